/* Unit tests for the JSONPath subset (common/jsonpath.c): matches over a fixed document, text
 * forms of each JSON type, bad paths with exact messages and offsets, the max-match form, and
 * every truncated prefix of valid paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonpath.h"

static const char doc[] =
    "{\"token\":\"t0k\\\"en\",\"n\":42,\"r\":2.5,\"w\":3.0,\"t\":true,\"f\":false,\"z\":null,"
    "\"candidates\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"},{\"id\":3}],"
    "\"nested\":{\"a\":{\"b\":[10,[20,21]]}},\"odd key\":\"sp\",\"a.b\":\"dot\","
    "\"obj\":{\"x\":1,\"y\":\"two\"},\"min\":-9223372036854775808,\"max\":9223372036854775807,"
    "\"tiny\":1e-300,\"empty\":[],\"u\":\"\\u00e9\",\"it's\":\"q\"}";

struct collect {
	struct buf out;
};

/* Join matches with '|' so one string compares all of them. */
static void collect(void *ctx, const char *val, size_t len)
{
	struct collect *c = ctx;

	assert_int_equal(val[len], '\0');
	if (c->out.len)
		buf_append_byte(&c->out, '|');
	buf_append(&c->out, val, len);
}

static json_t *load_doc(void)
{
	json_error_t jerr;
	json_t *root = json_loadb(doc, sizeof(doc) - 1, 0, &jerr);

	if (!root)
		fail_msg("test document: %s", jerr.text);
	return root;
}

static void test_matches(void **state)
{
	static const struct {
		const char *path, *want;
		int count;
		bool definite;
	} cases[] = {
	    {"$.token", "t0k\"en", 1, true},
	    {"$.n", "42", 1, true},
	    {"$.r", "2.5", 1, true},
	    {"$.w", "3", 1, true},
	    {"$.min", "-9223372036854775808", 1, true},
	    {"$.max", "9223372036854775807", 1, true},
	    {"$.tiny", "1e-300", 1, true},
	    {"$.t", "true", 1, true},
	    {"$.f", "false", 1, true},
	    {"$.z", "null", 1, true},
	    {"$.u", "\xc3\xa9", 1, true},
	    {"$.candidates[0].id", "1", 1, true},
	    {"$.candidates[-1].id", "3", 1, true},
	    {"$.candidates[-3].name", "a", 1, true},
	    {"$.candidates[*].id", "1|2|3", 3, false},
	    {"$.candidates[*].name", "a|b", 2, false},
	    {"$.candidates.*.id", "1|2|3", 3, false},
	    {"$['candidates'][1]['name']", "b", 1, true},
	    {"$[\"odd key\"]", "sp", 1, true},
	    {"$['a.b']", "dot", 1, true},
	    {"$['it\\'s']", "q", 1, true},
	    {"$.nested.a.b[1][0]", "20", 1, true},
	    {"$.nested.a.b[*]", "10|[20,21]", 2, false},
	    {"$.obj", "{\"x\":1,\"y\":\"two\"}", 1, true},
	    {"$.obj[*]", "1|two", 2, false},
	    {"$.obj.*", "1|two", 2, false},
	    {"$.empty", "[]", 1, true},
	    {"$.empty[*]", "", 0, false},
	    {"$[ 'n' ]", "42", 1, true},
	    {"  $.n  ", "42", 1, true},
	    /* nothing matches */
	    {"$.missing", "", 0, true},
	    {"$.token.x", "", 0, true},
	    {"$.token[0]", "", 0, true},
	    {"$.candidates[3]", "", 0, true},
	    {"$.candidates[-4]", "", 0, true},
	    {"$.candidates.id", "", 0, true},
	    {"$.n[*]", "", 0, false},
	    {"$[0]", "", 0, true},
	};
	json_t *root = load_doc();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonpath *p = NULL;
		char *err = NULL;
		struct collect c;
		int n;

		buf_init(&c.out, 0);
		if (jsonpath_compile(cases[i].path, &p, &err, NULL) < 0)
			fail_msg("%s: %s", cases[i].path, err);
		n = jsonpath_eval(p, root, collect, &c);
		if (n != cases[i].count || strcmp(c.out.data ? c.out.data : "", cases[i].want) != 0)
			fail_msg("%s: got %d '%s', want %d '%s'", cases[i].path, n, c.out.data,
				 cases[i].count, cases[i].want);
		if (jsonpath_definite(p) != cases[i].definite)
			fail_msg("%s: definite %d", cases[i].path, jsonpath_definite(p));
		jsonpath_free(p);
		buf_free(&c.out);
	}
	json_decref(root);
}

static void test_root_and_max(void **state)
{
	struct jsonpath *p = NULL;
	char *err = NULL;
	struct collect c;
	struct buf scratch;
	json_t *root = json_loads("[1,[2,3],{\"a\":4}]", 0, NULL);

	(void)state;
	buf_init(&c.out, 0);
	buf_init(&scratch, 0);
	assert_int_equal(jsonpath_compile("$", &p, &err, NULL), 0);
	assert_int_equal(jsonpath_eval(p, root, collect, &c), 1);
	assert_string_equal(c.out.data, "[1,[2,3],{\"a\":4}]");
	jsonpath_free(p);

	buf_reset(&c.out);
	assert_int_equal(jsonpath_compile("$[*]", &p, &err, NULL), 0);
	assert_int_equal(jsonpath_eval_ex(p, root, 2, &scratch, collect, &c), 2);
	assert_string_equal(c.out.data, "1|[2,3]");
	buf_reset(&c.out);
	assert_int_equal(jsonpath_eval_ex(p, root, 1, &scratch, collect, &c), 1);
	assert_string_equal(c.out.data, "1");
	assert_int_equal(jsonpath_eval_ex(p, NULL, 0, &scratch, collect, &c), 0);
	jsonpath_free(p);

	/* a tiny scratch cap makes formatting an object fail rather than grow */
	buf_free(&scratch);
	buf_init(&scratch, 4);
	assert_int_equal(jsonpath_compile("$[2]", &p, &err, NULL), 0);
	assert_int_equal(jsonpath_eval_ex(p, root, 0, &scratch, collect, &c), -1);
	jsonpath_free(p);
	buf_free(&scratch);
	buf_free(&c.out);
	json_decref(root);
}

static void test_errors(void **state)
{
	static const struct {
		const char *path, *msg;
		size_t col;
	} cases[] = {
	    {"", "empty JSONPath", 0},
	    {"token", "a JSONPath starts with '$' (like $.token)", 0},
	    {".token", "a JSONPath starts with '$' (like $.token)", 0},
	    {"$.", "expected a member name after '.', found end of path", 2},
	    {"$.a.", "expected a member name after '.', found end of path", 4},
	    {"$.a..b", "recursive descent '..' is not supported", 3},
	    {"$..b", "recursive descent '..' is not supported", 1},
	    {"$.a[", "expected a number, '*' or a quoted name after '[', found end of path", 4},
	    {"$.a[0", "unclosed '['", 3},
	    {"$.a[0x]", "expected ']', found 'x'", 5},
	    {"$.a[x]", "expected a number, '*' or a quoted name after '[', found 'x'", 4},
	    {"$.a['x]", "unterminated quoted name", 4},
	    {"$.a['x'", "unclosed '['", 3},
	    {"$.a[-]", "expected digits after '-'", 4},
	    {"$.a[?(@.x)]", "filters and script expressions are not supported", 4},
	    {"$.a[1:2]", "slices are not supported", 5},
	    {"$.a[:2]", "slices are not supported", 4},
	    {"$.a[1,2]", "unions are not supported", 5},
	    {"$.a[99999999999999999]", "index too large", 4},
	    {"$.a b", "unexpected ' ' in JSONPath (expected '.' or '[')", 3},
	    {"$a", "unexpected 'a' in JSONPath (expected '.' or '[')", 1},
	    {"$.a['\\n']", "unknown escape in quoted name (use \\\\, \\' or \\\")", 5},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonpath *p = NULL;
		char *err = NULL;
		size_t col = 999;

		if (jsonpath_compile(cases[i].path, &p, &err, &col) == 0)
			fail_msg("'%s' compiled", cases[i].path);
		assert_null(p);
		if (!err || strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].path, err, cases[i].msg);
		if (col != cases[i].col)
			fail_msg("'%s': col %zu, want %zu", cases[i].path, col, cases[i].col);
		free(err);
	}
}

static void test_long_path(void **state)
{
	char src[1024] = "$";
	struct jsonpath *p = NULL;
	char *err = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 129; i++)
		memcpy(src + 1 + 3 * i, "[0]", 4);
	assert_int_equal(jsonpath_compile(src, &p, &err, NULL), -1);
	assert_string_equal(err, "JSONPath too long (at most 128 steps)");
	free(err);
}

static void test_prefixes(void **state)
{
	static const char *paths[] = {
	    "$.candidates[*].id",
	    "$['odd key'][-1].x",
	    "$.nested.a.b[1][0]",
	    "$[\"a.b\"].*",
	};
	json_t *root = load_doc();
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t len = strlen(paths[i]);

		for (n = 0; n <= len; n++) {
			struct jsonpath *p = NULL;
			char *err = NULL;
			size_t col = SIZE_MAX;
			char *copy = strndup(paths[i], n);
			struct collect c;

			buf_init(&c.out, 0);
			if (jsonpath_compile(copy, &p, &err, &col) == 0) {
				assert_true(jsonpath_eval(p, root, collect, &c) >= 0);
				jsonpath_free(p);
			} else {
				assert_non_null(err);
				assert_true(col <= n);
				free(err);
			}
			buf_free(&c.out);
			free(copy);
		}
	}
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches),  cmocka_unit_test(test_root_and_max),
	    cmocka_unit_test(test_errors),   cmocka_unit_test(test_long_path),
	    cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
