/* Unit tests for the expression language (common/expr_compile.c, expr_eval.c, expr_fn.c):
 * table-driven good inputs with their results, bad inputs with their exact message and offset,
 * runtime errors, reproducible random functions, and every truncated prefix of valid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/expr.h"

static const struct {
	const char *name, *value;
	size_t count; /* 0: a scalar */
} vars[] = {
    {"token", "abc", 0},
    {"n", "5", 0},
    {"zero", "0", 0},
    {"neg", "-3", 0},
    {"f", "false", 0},
    {"items", "x", 3},
    {"accounts.user", "alice", 0},
    {"empty", "", 0},
    {"big", "10", 0},
    {"dec", "2.5", 0},
};

static int lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		  size_t *count)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0) {
			*val = vars[i].value;
			*vlen = strlen(vars[i].value);
			if (count && vars[i].count)
				*count = vars[i].count;
			return 0;
		}
	}
	return -1;
}

static uint64_t rng_state;
static struct expr_env env = {
    .lookup = lookup, .rng = &rng_state, .user_id = 42, .now_ms = 1700000000123};

/* Compile and evaluate src; the text of the result goes to out. Returns 0, or -1 with *err. */
static int run(const char *src, struct buf *out, char **err)
{
	struct expr *e = NULL;
	struct buf scratch;
	struct expr_value v;
	int rc = -1;

	buf_init(&scratch, 1 << 20);
	buf_reset(out);
	if (expr_compile(src, strlen(src), &e, err, NULL) < 0)
		goto out;
	if (expr_eval(e, &env, &scratch, &v, err) < 0)
		goto out;
	if (expr_value_append(&v, out) < 0)
		goto out;
	rc = 0;
out:
	expr_free(e);
	buf_free(&scratch);
	return rc;
}

/* An expression and its result's text, or the message of its runtime error. */
struct expr_case {
	const char *src, *text;
};

/* Run every case: each must evaluate to its text, or (errors) fail with its text. */
static void run_cases(const struct expr_case *cases, size_t n, bool errors)
{
	struct buf out;

	buf_init(&out, 0);
	for (size_t i = 0; i < n; i++) {
		char *err = NULL;
		int rc = run(cases[i].src, &out, &err);

		if (!errors && rc < 0)
			fail_msg("%s: %s", cases[i].src, err);
		if (!errors && strcmp(out.data, cases[i].text) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].src, out.data, cases[i].text);
		if (errors && rc == 0)
			fail_msg("'%s' evaluated to '%s'", cases[i].src, out.data);
		if (errors && (!err || strcmp(err, cases[i].text) != 0))
			fail_msg("'%s': got '%s', want '%s'", cases[i].src, err, cases[i].text);
		free(err);
	}
	buf_free(&out);
}

static void test_good(void **state)
{
	static const struct expr_case cases[] = {
	    {"42", "42"},
	    {"1.5", "1.5"},
	    {"1e3", "1000"},
	    {"0.1 + 0.2", "0.30000000000000004"},
	    {"\"text\"", "text"},
	    {"'text'", "text"},
	    {"'it\\'s'", "it's"},
	    {"\"a\\tb\\n\"", "a\tb\n"},
	    {"true", "true"},
	    {"false", "false"},
	    {"token", "abc"},
	    {"accounts.user", "alice"},
	    {"unset", ""},
	    {"1 + 2 * 3", "7"},
	    {"(1 + 2) * 3", "9"},
	    {"7 % 3", "1"},
	    {"7 / 2", "3.5"},
	    {"10 - 4 - 3", "3"},
	    {"-n", "-5"},
	    {"--n", "5"},
	    {"n + 1", "6"},
	    {"n * big", "50"},
	    {"dec * 2", "5"},
	    {"\"id-\" + n", "id-5"},
	    {"token + \"-\" + n + \"-\" + token", "abc-5-abc"},
	    {"token + 1.5", "abc1.5"},
	    {"n == 5", "true"},
	    {"n == \"5\"", "true"},
	    {"n == 5.0", "true"},
	    {"big > n", "true"},	/* numeric: 10 > 5 */
	    {"\"10\" > \"9\"", "true"}, /* both read as numbers */
	    {"\"b\" > \"a\"", "true"},
	    {"\"abc\" < \"abd\"", "true"},
	    {"\"ab\" < \"abc\"", "true"},
	    {"token == \"abc\"", "true"},
	    {"token != \"abc\"", "false"},
	    {"n >= 5 && n <= 5", "true"},
	    {"n < 5 || n > 5", "false"},
	    {"neg < zero", "true"},
	    {"!zero", "true"},
	    {"!f", "true"},
	    {"!empty", "true"},
	    {"!unset", "true"},
	    {"!token", "false"},
	    {"!!n", "true"},
	    {"zero || token", "true"},
	    {"token && 0", "false"},
	    {"1 == 1 && 2 == 2 || 0", "true"},
	    {"0 || 0 || 1", "true"},
	    {"1 && 1 && 0", "false"},
	    {"len(items)", "3"},
	    {"len(token)", "1"},
	    {"len('' + token)", "3"},
	    {"len(unset)", "0"},
	    {"len(\"hello\")", "5"},
	    {"len(token + token)", "6"},
	    {"len(12345)", "5"},
	    {"urlencode('a b#c&d=1/é~')", "a%20b%23c%26d%3D1%2F%C3%A9~"},
	    {"urlencode(2.5)", "2.5"},
	    {"urlencode('')", ""},
	    {"urlencode(token + ' ' + token)", "abc%20abc"},
	    {"len(urlencode('a b'))", "5"},
	    {"user_id()", "42"},
	    {"now_ms()", "1700000000123"},
	    {"now_ms() - now_ms()", "0"},
	    {"len(uuid())", "36"},
	    {"len(random_string(12))", "12"},
	    {"len(random_string(0))", "0"},
	    {"random_int(7, 7)", "7"},
	    {"random_int(1, 10) >= 1 && random_int(1, 10) <= 10", "true"},
	    {"  n  ", "5"},
	    {"1e16", "10000000000000000"},
	    {"1e17", "1e+17"},
	    {"123456789012", "123456789012"},
	    {"2 == 2 == true", "true"},
	    {"random_int(n, big) >= 5", "true"},
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), false);
}

static void test_compile_errors(void **state)
{
	static const struct {
		const char *src, *msg;
		size_t col;
	} cases[] = {
	    {"", "empty expression", 0},
	    {"   ", "empty expression", 3},
	    {"1 +", "unexpected end of expression: expected a value", 3},
	    {"(1 + 2", "unclosed '('", 0},
	    {"1 + 2)", "unmatched ')'", 5},
	    {"a b", "unexpected 'b' after the expression (missing operator?)", 2},
	    {"foo(1)",
	     "unknown function 'foo' (known: random_int, random_string, uuid, user_id, now_ms, "
	     "len, urlencode)",
	     0},
	    {"1 + bar ()",
	     "unknown function 'bar' (known: random_int, random_string, uuid, user_id, now_ms, "
	     "len, urlencode)",
	     4},
	    {"random_int(1)", "random_int() takes 2 arguments, got 1", 0},
	    {"uuid(1)", "uuid() takes 0 arguments, got 1", 0},
	    {"len()", "len() takes 1 argument, got 0", 0},
	    {"random_int(1 2)", "expected ',' or ')', found '2'", 13},
	    {"random_int(1,", "unexpected end of expression: expected a value", 13},
	    {"\"abc", "unterminated string (no closing \")", 0},
	    {"x == 'abc", "unterminated string (no closing ')", 5},
	    {"'a\\qb'", "unknown escape '\\q' in string (use \\\\ \\\" \\' \\n \\r \\t)", 2},
	    {"a = 1", "'=' is not an operator: use '==' to compare", 2},
	    {"a & b", "'&' is not an operator: use '&&'", 2},
	    {"a | b", "'|' is not an operator: use '||'", 2},
	    {"a # b", "unexpected '#'", 2},
	    {"12abc", "bad number: unexpected 'a' after the digits", 0},
	    {"1e", "bad number: exponent without digits", 0},
	    {"1.2.3", "bad number: unexpected '.' after the digits", 0},
	    {"accounts.", "expected a name after '.'", 9},
	    {"accounts.1", "expected a name after '.'", 9},
	    {"*", "expected a value, found '*'", 0},
	    {"1 + * 2", "expected a value, found '*'", 4},
	    {"()", "expected a value, found ')'", 1},
	    {"\x01", "unexpected byte 0x01", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct expr *e = NULL;
		char *err = NULL;
		size_t col = 999;

		if (expr_compile(cases[i].src, strlen(cases[i].src), &e, &err, &col) == 0)
			fail_msg("'%s' compiled", cases[i].src);
		assert_null(e);
		if (!err || strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].src, err, cases[i].msg);
		if (col != cases[i].col)
			fail_msg("'%s': col %zu, want %zu", cases[i].src, col, cases[i].col);
		free(err);
	}
}

static void test_nesting_limits(void **state)
{
	char src[512];
	struct expr *e = NULL;
	char *err = NULL;
	size_t col = 0, i;

	(void)state;
	for (i = 0; i < 200; i++)
		src[i] = '(';
	src[i++] = '1';
	src[i] = '\0';
	assert_int_equal(expr_compile(src, strlen(src), &e, &err, &col), -1);
	assert_string_equal(err, "expression nested too deeply");
	free(err);
	err = NULL;
	for (i = 0; i < 300; i++)
		src[i] = '!';
	src[i++] = '1';
	src[i] = '\0';
	assert_int_equal(expr_compile(src, strlen(src), &e, &err, &col), -1);
	assert_string_equal(err, "expression nested too deeply");
	free(err);
}

static void test_runtime_errors(void **state)
{
	static const struct expr_case cases[] = {
	    {"1 / 0", "division by zero"},
	    {"n % zero", "modulo by zero"},
	    {"token * 2", "'*' needs numbers, got \"abc\""},
	    {"2 - token", "'-' needs numbers, got \"abc\""},
	    {"-token", "'-' needs a number, got \"abc\""},
	    {"random_int(5, 1)", "random_int(5, 1): the low bound is above the high bound"},
	    {"random_int(1.5, 2)", "random_int() needs a whole number, got 1.5"},
	    {"random_int(token, 2)", "random_int() needs a whole number, got \"abc\""},
	    {"random_string(-1)", "random_string(-1): the length must be 0 to 65536"},
	    {"random_string(1000000)", "random_string(1000000): the length must be 0 to 65536"},
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), true);
}

static void test_random_reproducible(void **state)
{
	struct buf a, b;
	char *err = NULL;
	const char *src = "uuid() + random_string(20) + random_int(1, 1000000)";
	size_t i;

	(void)state;
	buf_init(&a, 0);
	buf_init(&b, 0);
	rng_state = 12345;
	assert_int_equal(run(src, &a, &err), 0);
	rng_state = 12345;
	assert_int_equal(run(src, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	assert_int_equal(run(src, &b, &err), 0);
	assert_string_not_equal(a.data, b.data);
	/* v4 layout: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx */
	assert_int_equal(run("uuid()", &a, &err), 0);
	assert_int_equal(a.len, 36);
	assert_int_equal(a.data[8], '-');
	assert_int_equal(a.data[14], '4');
	assert_non_null(strchr("89ab", a.data[19]));
	/* random_int covers both ends */
	{
		bool lo = false, hi = false;

		for (i = 0; i < 200; i++) {
			assert_int_equal(run("random_int(1, 3)", &a, &err), 0);
			lo |= strcmp(a.data, "1") == 0;
			hi |= strcmp(a.data, "3") == 0;
			assert_true(strcmp(a.data, "1") == 0 || strcmp(a.data, "2") == 0 ||
				    strcmp(a.data, "3") == 0);
		}
		assert_true(lo && hi);
	}
	/* a zero seed still makes random numbers */
	rng_state = 0;
	assert_int_equal(run("random_int(0, 1000000000)", &a, &err), 0);
	assert_int_not_equal(rng_state, 0);
	buf_free(&a);
	buf_free(&b);
}

static void test_vars_and_constant(void **state)
{
	struct expr *e = NULL;
	char *err = NULL;
	const char *src = "token == 'x' && accounts.user != token || len(items) > 0";
	size_t len;

	(void)state;
	assert_int_equal(expr_compile(src, strlen(src), &e, &err, NULL), 0);
	assert_int_equal(expr_var_count(e), 3);
	assert_string_equal(expr_var_name(e, 0), "token");
	assert_string_equal(expr_var_name(e, 1), "accounts.user");
	assert_string_equal(expr_var_name(e, 2), "items");
	assert_null(expr_var_name(e, 3));
	assert_false(expr_constant(e));
	assert_null(expr_single_var(e, NULL));
	expr_free(e);

	assert_int_equal(expr_compile("1 + len('ab')", 13, &e, &err, NULL), 0);
	assert_true(expr_constant(e));
	assert_int_equal(expr_var_count(e), 0);
	expr_free(e);
	assert_int_equal(expr_compile("uuid()", 6, &e, &err, NULL), 0);
	assert_false(expr_constant(e));
	expr_free(e);
	assert_int_equal(expr_compile(" token ", 7, &e, &err, NULL), 0);
	assert_string_equal(expr_single_var(e, &len), "token");
	assert_int_equal(len, 5);
	expr_free(e);
	/* not NUL-terminated: only len bytes count */
	assert_int_equal(expr_compile("n + 1garbage", 5, &e, &err, NULL), 0);
	expr_free(e);
}

static void test_truthy_and_numbers(void **state)
{
	static const struct {
		const char *s;
		bool t;
	} texts[] = {{"", false},    {"false", false}, {"0", false}, {"0.0", false}, {"-0", false},
		     {"true", true}, {"x", true},      {"1", true},  {"00", false},  {" 0", true}};
	struct expr_value v = {0};
	double d;
	char tmp[40];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		v.str = texts[i].s;
		v.len = strlen(texts[i].s);
		if (expr_truthy(&v) != texts[i].t)
			fail_msg("truthy('%s')", texts[i].s);
	}
	v = (struct expr_value){.is_num = true, .num = 0};
	assert_false(expr_truthy(&v));
	v.num = -2;
	assert_true(expr_truthy(&v));

	assert_int_equal(expr_parse_number("12", 2, &d), 0);
	assert_true(d == 12);
	assert_int_equal(expr_parse_number("-1.5e2", 6, &d), 0);
	assert_true(d == -150);
	assert_int_equal(expr_parse_number(".5", 2, &d), 0);
	assert_int_equal(expr_parse_number("0x10", 4, &d), -1);
	assert_int_equal(expr_parse_number("inf", 3, &d), -1);
	assert_int_equal(expr_parse_number("nan", 3, &d), -1);
	assert_int_equal(expr_parse_number("1 ", 2, &d), -1);
	assert_int_equal(expr_parse_number("", 0, &d), -1);
	assert_int_equal(expr_parse_number("-", 1, &d), -1);
	assert_int_equal(expr_parse_number("1e", 2, &d), -1);
	assert_int_equal(expr_parse_number("1e999", 5, &d), -1);

	expr_format_number(3, tmp, sizeof(tmp));
	assert_string_equal(tmp, "3");
	expr_format_number(-0.0, tmp, sizeof(tmp));
	assert_string_equal(tmp, "0");
	expr_format_number(0.1, tmp, sizeof(tmp));
	assert_string_equal(tmp, "0.1");
	expr_format_number(1.0 / 3, tmp, sizeof(tmp));
	assert_string_equal(tmp, "0.3333333333333333");
	expr_format_number(1e300, tmp, sizeof(tmp));
	assert_string_equal(tmp, "1e+300");
}

/* The fast path of expr_parse_number agrees with strtod on many generated numbers. */
static void test_parse_matches_strtod(void **state)
{
	uint64_t x = 88172645463325252ull;
	char s[64];
	size_t i;

	(void)state;
	for (i = 0; i < 50000; i++) {
		double a, b;
		int n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (x % 4) {
		case 0:
			n = snprintf(s, sizeof(s), "%llu", (unsigned long long)(x >> (x % 50)));
			break;
		case 1:
			n = snprintf(s, sizeof(s), "%s%llu.%0*llu", x & 16 ? "-" : "",
				     (unsigned long long)(x >> 40), (int)(x % 9) + 1,
				     (unsigned long long)((x >> 8) % 1000000));
			break;
		case 2:
			n = snprintf(s, sizeof(s), "%llue%s%d",
				     (unsigned long long)(x >> (20 + x % 40)), x & 32 ? "-" : "",
				     (int)((x >> 6) % 30));
			break;
		default:
			n = snprintf(s, sizeof(s), "0.%0*llu", (int)(x % 12) + 1,
				     (unsigned long long)((x >> 12) % 100000));
			break;
		}
		b = strtod(s, NULL);
		if (expr_parse_number(s, (size_t)n, &a) < 0)
			fail_msg("'%s' not a number", s);
		if (a != b)
			fail_msg("'%s': %.17g, strtod says %.17g", s, a, b);
	}
}

/* Every prefix of a valid input either compiles or fails with an offset inside it. */
static void test_prefixes(void **state)
{
	static const char *srcs[] = {
	    "token == \"abc\" && (n + 1) * 2 >= 12 || !len(items)",
	    "random_int(1, 10) + random_string(5) + uuid() + user_id() + now_ms()",
	    "'a\\'b' != accounts.user",
	    "-1.5e3 % 7 / 2 - 1",
	};
	struct buf scratch;
	size_t i, n;

	(void)state;
	buf_init(&scratch, 1 << 20);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		size_t len = strlen(srcs[i]);

		for (n = 0; n <= len; n++) {
			struct expr *e = NULL;
			char *err = NULL;
			size_t col = SIZE_MAX;
			char *copy = malloc(n ? n : 1);

			memcpy(copy, srcs[i],
			       n); /* exactly n bytes: ASan catches reads past them */
			if (expr_compile(copy, n, &e, &err, &col) == 0) {
				struct expr_value v;

				buf_reset(&scratch);
				if (expr_eval(e, &env, &scratch, &v, &err) < 0)
					free(err);
				expr_free(e);
			} else {
				assert_non_null(err);
				assert_true(col <= n);
				free(err);
			}
			free(copy);
		}
	}
	buf_free(&scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_nesting_limits),
	    cmocka_unit_test(test_runtime_errors),
	    cmocka_unit_test(test_random_reproducible),
	    cmocka_unit_test(test_vars_and_constant),
	    cmocka_unit_test(test_truthy_and_numbers),
	    cmocka_unit_test(test_parse_matches_strtod),
	    cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
