/* Units: every accepted spelling, every rejected one with a message, and output formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/threshold.h"
#include "common/units.h"

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t us;
	} good[] = { { "30s", 30000000 }, { "2m", 120000000 },   { "250ms", 250000 },
		     { "1h", 3600000000 }, { "500us", 500 },	  { "1.5s", 1500000 },
		     { " 10 s ", 10000000 }, { "0s", 0 },	  { "3min", 180000000 } };
	static const char *const bad[] = { "30", "", "s", "-1s", "10 parsecs", "1e999s", "abc", "5 s x" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t us = -1;
		char *err = NULL;

		assert_int_equal(units_parse_duration(good[i].in, &us, &err), 0);
		assert_int_equal(us, good[i].us);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us;
		char *err = NULL;

		assert_int_equal(units_parse_duration(bad[i], &us, &err), -1);
		assert_non_null(err);
		free(err);
	}
	{
		char *err = NULL;
		int64_t us;

		units_parse_duration("30", &us, &err);
		assert_non_null(strstr(err, "needs a unit"));
		free(err);
	}
}

static void test_rates_counts_sizes(void **state)
{
	double r;
	uint64_t n;
	char *err = NULL;

	(void)state;
	assert_int_equal(units_parse_rate("50/s", &r, NULL), 0);
	assert_true(r == 50);
	assert_int_equal(units_parse_rate("10k/s", &r, NULL), 0);
	assert_true(r == 10000);
	assert_int_equal(units_parse_rate("600/m", &r, NULL), 0);
	assert_true(r == 10);
	assert_int_equal(units_parse_rate("7", &r, NULL), 0);
	assert_true(r == 7);
	assert_int_equal(units_parse_rate("5/fortnight", &r, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(units_parse_count("10k", &n, NULL), 0);
	assert_int_equal(n, 10000);
	assert_int_equal(units_parse_count("1.5", &n, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(units_parse_size("1MiB", &n, NULL), 0);
	assert_int_equal(n, 1048576);
	assert_int_equal(units_parse_size("10k", &n, NULL), 0);
	assert_int_equal(n, 10000);
	assert_int_equal(units_parse_size("10 furlongs", &n, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(units_parse_percent("0.5%", &r, NULL), 0);
	assert_true(fabs(r - 0.005) < 1e-12);
	assert_int_equal(units_parse_percent("5", &r, &err), -1);
	free(err);
}

static void test_format(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(units_fmt_duration(b, sizeof(b), 830), "830us");
	assert_string_equal(units_fmt_duration(b, sizeof(b), 1250000), "1.25s");
	assert_string_equal(units_fmt_duration(b, sizeof(b), 50000), "50ms");
	assert_string_equal(units_fmt_rate(b, sizeof(b), 1234), "1.23k/s");
	assert_string_equal(units_fmt_size(b, sizeof(b), 2048), "2 KiB");
	assert_string_equal(units_fmt_count(b, sizeof(b), 12), "12");
}

static void test_thresholds(void **state)
{
	struct threshold t;
	char *err = NULL;
	int col;

	(void)state;
	assert_int_equal(threshold_parse("request.p95", "< 200ms", &t, NULL, NULL), 0);
	assert_string_equal(t.stat, "request");
	assert_string_equal(t.field, "p95");
	assert_int_equal(t.op, THRESHOLD_LT);
	assert_true(t.value == 200 && t.unit == THRESHOLD_UNIT_MS);
	assert_true(threshold_holds(&t, 199.9) && !threshold_holds(&t, 200));
	assert_int_equal(threshold_parse("tr_login.p99.9", "<= 1s", &t, NULL, NULL), 0);
	assert_string_equal(t.field, "p999");
	assert_true(t.value == 1000);
	assert_int_equal(threshold_parse("errors.rate", "< 1%", &t, NULL, NULL), 0);
	assert_true(t.unit == THRESHOLD_UNIT_RATIO && fabs(t.value - 0.01) < 1e-12);
	assert_int_equal(threshold_parse("request.rate", "> 1000/s", &t, NULL, NULL), 0);
	assert_true(t.unit == THRESHOLD_UNIT_PER_S && t.value == 1000);
	assert_int_equal(threshold_parse("http_5xx.count", "== 0", &t, NULL, NULL), 0);
	assert_true(t.unit == THRESHOLD_UNIT_COUNT && t.op == THRESHOLD_EQ);

	assert_int_equal(threshold_parse("request", "< 1s", &t, &err, NULL), -1);
	assert_non_null(strstr(err, "STAT.FIELD"));
	free(err);
	err = NULL;
	assert_int_equal(threshold_parse("request.p42", "< 1s", &t, &err, NULL), -1);
	assert_non_null(strstr(err, "unknown field"));
	free(err);
	err = NULL;
	assert_int_equal(threshold_parse("request.p95", "about 1s", &t, &err, &col), -1);
	assert_int_equal(col, 0);
	free(err);
	err = NULL;
	assert_int_equal(threshold_parse("request.p95", "< 200", &t, &err, &col), -1);
	assert_int_equal(col, 2);
	assert_non_null(strstr(err, "needs a unit"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_rates_counts_sizes),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_thresholds),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
