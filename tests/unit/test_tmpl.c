/* Unit tests for templates (common/tmpl.c): rendering with each escape mode, constant folding,
 * variable lists, bad templates with exact messages and offsets, and every truncated prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/tmpl.h"

static const struct {
	const char *name, *value;
} vars[] = {
    {"token", "abc"},	{"n", "5"},	      {"accounts.user", "al\"ice"},
    {"q", "a b&c=d/é"}, {"nl", "x\ny\t\x01"},
};

static int lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		  size_t *count)
{
	size_t i;

	(void)ctx;
	(void)count;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0) {
			*val = vars[i].value;
			*vlen = strlen(vars[i].value);
			return 0;
		}
	}
	return -1;
}

static uint64_t rng = 7;
static struct expr_env env = {.lookup = lookup, .rng = &rng, .user_id = 9, .now_ms = 1000};

static void test_render(void **state)
{
	static const struct {
		const char *src;
		enum tmpl_escape esc;
		const char *want;
		bool constant; /* renders the same for everyone: tmpl_constant_text */
	} cases[] = {
	    {"", TMPL_ESCAPE_NONE, "", true},
	    {"plain text", TMPL_ESCAPE_NONE, "plain text", true},
	    {"Bearer {{ token }}", TMPL_ESCAPE_NONE, "Bearer abc", false},
	    {"{{token}}", TMPL_ESCAPE_NONE, "abc", false},
	    {"{{ token }}{{ n }}", TMPL_ESCAPE_NONE, "abc5", false},
	    {"/results?page={{ n + 1 }}&u={{ user_id() }}", TMPL_ESCAPE_NONE, "/results?page=6&u=9",
	     false},
	    {"a {{ 1 + 2 }} b", TMPL_ESCAPE_NONE, "a 3 b", true},
	    {"{{ 'x' + \"y\" }}", TMPL_ESCAPE_NONE, "xy", true},
	    {"{{ \"}}\" }}", TMPL_ESCAPE_NONE, "}}", true},
	    {"{{ '\\'}}' }}", TMPL_ESCAPE_NONE, "'}}", true},
	    {"a }} b", TMPL_ESCAPE_NONE, "a }} b", true},
	    {"{ {{ n }} }", TMPL_ESCAPE_NONE, "{ 5 }", false},
	    {"{{ unset }}", TMPL_ESCAPE_NONE, "", false},
	    {"{\"user\":\"{{ accounts.user }}\"}", TMPL_ESCAPE_JSON, "{\"user\":\"al\\\"ice\"}",
	     false},
	    {"{{ nl }}", TMPL_ESCAPE_JSON, "x\\ny\\t\\u0001", false},
	    {"{{ 'a\\\\b' }}", TMPL_ESCAPE_JSON, "a\\\\b", true},
	    {"\"{{ 'quote\"' }}\"", TMPL_ESCAPE_JSON, "\"quote\\\"\"", true},
	    {"q={{ q }}", TMPL_ESCAPE_URL, "q=a%20b%26c%3Dd%2F%C3%A9", false},
	    {"{{ 'A-z_0.9~' }}", TMPL_ESCAPE_URL, "A-z_0.9~", true},
	    {"{{ n * 1.5 }}", TMPL_ESCAPE_URL, "7.5", false},
	    {"{{ n * 1e300 }}", TMPL_ESCAPE_URL, "5e%2B300", false},
	    {"{{ n * 1e300 }}", TMPL_ESCAPE_JSON, "5e+300", false},
	    {"{{ '{{' }} x }}", TMPL_ESCAPE_NONE, "{{ x }}", true},
	    {"{{ n == 5 }}", TMPL_ESCAPE_NONE, "true", false},
	};
	struct buf out, scratch;
	size_t i;

	(void)state;
	buf_init(&out, 0);
	buf_init(&scratch, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmpl *t = NULL;
		char *err = NULL;
		size_t col = 0;

		if (tmpl_compile(cases[i].src, cases[i].esc, &t, &err, &col) < 0)
			fail_msg("'%s': %s at %zu", cases[i].src, err, col);
		buf_reset(&out);
		if (tmpl_render(t, &env, &scratch, &out, &err) < 0)
			fail_msg("'%s': %s", cases[i].src, err);
		if (strcmp(out.data ? out.data : "", cases[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].src, out.data,
				 cases[i].want);
		if (tmpl_constant(t) != (strstr(cases[i].src, "{{") == NULL))
			fail_msg("'%s': constant %d", cases[i].src, tmpl_constant(t));
		if (cases[i].constant) {
			size_t len;
			const char *text = tmpl_constant_text(t, &len);

			assert_non_null(text);
			assert_int_equal(len, strlen(cases[i].want));
			assert_memory_equal(text, cases[i].want, len);
		} else {
			assert_null(tmpl_constant_text(t, NULL));
		}
		tmpl_free(t);
	}
	buf_free(&out);
	buf_free(&scratch);
}

static void test_errors(void **state)
{
	static const struct {
		const char *src, *msg;
		size_t col;
	} cases[] = {
	    {"Bearer {{ token", "unterminated '{{' (no closing '}}')", 7},
	    {"a {{ }} b", "empty expression", 5},
	    {"{{}}", "empty expression", 2},
	    {"x {{ foo() }}",
	     "unknown function 'foo' (known: random_int, random_string, uuid, user_id, now_ms, "
	     "len, urlencode)",
	     5},
	    {"ok {{ n }} {{ n + }}", "unexpected end of expression: expected a value", 18},
	    {"{{ 1 / 0 }}", "division by zero", 0},
	    {"{{ 'abc }}", "unterminated '{{' (no closing '}}')", 0},
	    {"{{ random_int(1) }}", "random_int() takes 2 arguments, got 1", 3},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmpl *t = NULL;
		char *err = NULL;
		size_t col = 999;

		if (tmpl_compile(cases[i].src, TMPL_ESCAPE_NONE, &t, &err, &col) == 0)
			fail_msg("'%s' compiled", cases[i].src);
		assert_null(t);
		if (!err || strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].src, err, cases[i].msg);
		if (col != cases[i].col)
			fail_msg("'%s': col %zu, want %zu", cases[i].src, col, cases[i].col);
		free(err);
	}
}

static void test_render_errors_and_caps(void **state)
{
	struct tmpl *t = NULL;
	char *err = NULL;
	struct buf out, scratch;

	(void)state;
	buf_init(&out, 8);
	buf_init(&scratch, 0);
	assert_int_equal(tmpl_compile("x{{ n / (n - 5) }}", TMPL_ESCAPE_NONE, &t, &err, NULL), 0);
	assert_int_equal(tmpl_render(t, &env, &scratch, &out, &err), -1);
	assert_string_equal(err, "division by zero");
	free(err);
	err = NULL;
	tmpl_free(t);
	assert_int_equal(
	    tmpl_compile("{{ token }}{{ token }}{{ token }}", TMPL_ESCAPE_NONE, &t, &err, NULL), 0);
	assert_int_equal(tmpl_render(t, &env, &scratch, &out, &err), -1);
	assert_string_equal(err, "template result too long");
	free(err);
	tmpl_free(t);
	buf_free(&out);
	buf_free(&scratch);
}

static void test_vars(void **state)
{
	struct tmpl *t = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(
	    tmpl_compile("{{ a }}-{{ b + a }}-{{ c.d }}-{{ 3 }}", TMPL_ESCAPE_NONE, &t, &err, NULL),
	    0);
	assert_int_equal(tmpl_var_count(t), 3);
	assert_string_equal(tmpl_var_name(t, 0), "a");
	assert_string_equal(tmpl_var_name(t, 1), "b");
	assert_string_equal(tmpl_var_name(t, 2), "c.d");
	assert_null(tmpl_var_name(t, 3));
	tmpl_free(t);
}

static void test_reproducible(void **state)
{
	struct tmpl *t = NULL;
	char *err = NULL;
	struct buf a, b, scratch;

	(void)state;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&scratch, 0);
	assert_int_equal(tmpl_compile("{\"txn\":\"{{ uuid() }}\",\"n\":{{ random_int(1, 9) }}}",
				      TMPL_ESCAPE_JSON, &t, &err, NULL),
			 0);
	assert_false(tmpl_constant(t));
	rng = 99;
	assert_int_equal(tmpl_render(t, &env, &scratch, &a, &err), 0);
	rng = 99;
	assert_int_equal(tmpl_render(t, &env, &scratch, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	assert_int_equal(a.len, strlen("{\"txn\":\"\",\"n\":1}") + 36);
	tmpl_free(t);
	buf_free(&a);
	buf_free(&b);
	buf_free(&scratch);
}

static void test_prefixes(void **state)
{
	static const char *srcs[] = {
	    "Bearer {{ token }} and {{ 'x}}' + n }} {{ random_string(3) }}",
	    "{\"a\":\"{{ accounts.user }}\",\"b\":{{ n * 2 }}}",
	};
	struct buf out, scratch;
	size_t i, n;

	(void)state;
	buf_init(&out, 0);
	buf_init(&scratch, 0);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		size_t len = strlen(srcs[i]);

		for (n = 0; n <= len; n++) {
			struct tmpl *t = NULL;
			char *err = NULL;
			size_t col = SIZE_MAX;
			char *copy = strndup(srcs[i], n);

			if (tmpl_compile(copy, TMPL_ESCAPE_JSON, &t, &err, &col) == 0) {
				buf_reset(&out);
				assert_int_equal(tmpl_render(t, &env, &scratch, &out, &err), 0);
				tmpl_free(t);
			} else {
				assert_non_null(err);
				assert_true(col <= n);
				free(err);
			}
			free(copy);
		}
	}
	buf_free(&out);
	buf_free(&scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_render_errors_and_caps),
	    cmocka_unit_test(test_vars),
	    cmocka_unit_test(test_reproducible),
	    cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
