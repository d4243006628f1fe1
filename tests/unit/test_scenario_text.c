/* Unit tests for the scenario loader on raw text (controller/scenario*.c): messages that need
 * no file, a NUL byte, many problems listed up to a limit, and every truncated prefix of valid
 * scenarios, which must parse or fail cleanly. Fixture files are in test_scenario.c.
 *
 * Run from the repository root (make does): fixtures are read from tests/fixtures/scenarios. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/scenario.h"

#define GOOD "tests/fixtures/scenarios/good/"

/* ---- strings: messages that need no file ---- */

struct str_case {
	const char *yaml;
	const char *message;
};

static const struct str_case str_cases[] = {
    {"", "t.yaml: the scenario is empty"},
    /* A cross-field rule (common/plan_validate.c) reported at the value, in the loader's words. */
    {"target: http://127.0.0.1:1\nload: { users: 1, duration: 1s, ramp_up: 2s }\nsessions:\n"
     "  - name: s\n    steps:\n      - think: 1s\n",
     "t.yaml:2:42: ramp_up (2s) is longer than the duration"},
    {"# only a comment\n", "t.yaml: the scenario is empty"},
    {"a: [1, 2\n", "t.yaml:2:1: invalid YAML: did not find expected ',' or ']' while parsing a "
		   "flow sequence"},
    {"{ load: 1, sessions: 2 }",
     "t.yaml:1:9: load: expected a mapping, got '1'\nt.yaml:1:22: sessions: expected a list, "
     "got '2'"},
    {"? [a]\n: 1\n", "t.yaml:1:3: a key must be a plain string, not a list"},
    {"target: http://127.0.0.1:1\nload: { users: 1, duration: 1s }\nsessions:\n"
     "  - name: s\n    steps:\n      - request: { url: /, timeout: 5 }\n",
     "t.yaml:6:37: timeout: expected a duration with units like 30s, got '5'"},
    {"target: http://127.0.0.1:1\nload: { users: 1, duration: 1s }\nsessions:\n"
     "  - name: s\n    steps:\n      - think: 1s\n  - name: s\n    steps:\n      - think: 1s\n",
     "t.yaml:7:11: session name 's' is used twice"},
    {"target: http://127.0.0.1:1\nload: { users: 1, duration: 1s }\nsessions:\n"
     "  - name: s\n    steps:\n      - if: |\n          a >\n        then: [ { think: 1s } ]\n",
     "t.yaml:7:14: unexpected end of expression: expected a value"},
    {"target: http://127.0.0.1:1\nhttp: { client: fast }\nload: { users: 1, duration: 1s }\n"
     "sessions:\n  - name: s\n    steps:\n      - think: 1s\n",
     "t.yaml:2:17: client must be auto, lean or curl, got 'fast'"},
    {"target: http://127.0.0.1:1\nhttp: { client: lean, version: 2 }\n"
     "load: { users: 1, duration: 1s }\nsessions:\n  - name: s\n    steps:\n      - think: 1s\n",
     "t.yaml:2:17: client lean speaks HTTP/1.1 only; use client: curl (or auto) with version 2"},
};

static void test_strings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(str_cases) / sizeof(str_cases[0]); i++) {
		struct plan *p = NULL;
		char *err = NULL;

		if (scenario_load_string("t.yaml", str_cases[i].yaml, strlen(str_cases[i].yaml),
					 NULL, 0, &p, &err) == 0) {
			print_error("case %zu loaded\n", i);
			fail();
		}
		if (strcmp(err, str_cases[i].message) != 0) {
			print_error("case %zu\n  want: %s\n  got:  %s\n", i, str_cases[i].message,
				    err);
			fail();
		}
		free(err);
	}
}

static void test_nul_byte(void **state)
{
	static const char yaml[] = "name: a\0b\n";
	struct plan *p = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(scenario_load_string("t.yaml", yaml, sizeof(yaml) - 1, NULL, 0, &p, &err),
			 -1);
	assert_string_equal(err, "t.yaml: the file holds a NUL byte; a scenario is UTF-8 text");
	free(err);
}

/* Problems are listed one per line, up to a limit. */
static void test_many_errors(void **state)
{
	struct buf b;
	struct plan *p = NULL;
	char *err = NULL, *line, *save = NULL, *last = NULL;
	int i, lines = 0;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 30; i++)
		buf_printf(&b, "key%d: 1\n", i);
	assert_int_equal(scenario_load_string("t.yaml", b.data, b.len, NULL, 0, &p, &err), -1);
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		last = line;
		if (lines == 1)
			assert_true(
			    strncmp(line, "t.yaml:1:1: unknown key 'key0' in scenario", 42) == 0);
	}
	assert_int_equal(lines, 20);
	assert_string_equal(last, "t.yaml: too many problems; stopping here");
	free(err);
	buf_free(&b);
}

/* ---- every truncated prefix parses or fails cleanly ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static void test_truncated(void **state)
{
	static const char *const files[] = {GOOD "brief.yaml", GOOD "request.yaml",
					    GOOD "capture.yaml", GOOD "control.yaml"};
	size_t f;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len, i, ok = 0;
		char *data = slurp(files[f], &len);

		for (i = 0; i <= len; i++) {
			struct plan *p = NULL;
			char *err = NULL;
			/* A copy of exactly i bytes, so ASan sees any read past the end. */
			char *cut = malloc(i ? i : 1);

			assert_non_null(cut);
			memcpy(cut, data, i);
			if (scenario_load_string(files[f], cut, i, NULL, 0, &p, &err) == 0) {
				assert_non_null(p);
				ok++;
			} else {
				assert_null(p);
				assert_non_null(err);
				assert_true(strncmp(err, files[f], strlen(files[f])) == 0);
			}
			plan_free(p);
			free(err);
			free(cut);
		}
		free(data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_many_errors),
	};

	return cmocka_run_group_tests_name("scenario_text", tests, NULL, NULL);
}
