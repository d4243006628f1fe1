/* Histogram: bucket arithmetic, percentile accuracy against a sorted array, exact merging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hist.h"
#include "tests/unit/test_rng.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_index_roundtrip(void **state)
{
	uint64_t v;

	(void)state;
	/* Every value maps into a bucket whose range contains it, and the buckets are contiguous. */
	for (v = 0; v < 5000000; v += 1 + v / 997) {
		uint32_t i = hist_index(v);

		assert_true(i < HIST_COUNTS_LEN);
		assert_true(hist_lowest_equivalent(i) <= v);
		assert_true(hist_highest_equivalent(i) >= v);
		if (i > 0)
			assert_int_equal(hist_highest_equivalent(i - 1) + 1, hist_lowest_equivalent(i));
	}
	assert_int_equal(hist_index(HIST_MAX_US) + 1 <= HIST_COUNTS_LEN, 1);
	/* Values below 2048 us are exact. */
	for (v = 0; v < 2048; v++)
		assert_int_equal(hist_lowest_equivalent(hist_index(v)), v);
}

/* The acceptance criterion: percentile error <= 0.1% against a sorted array, on random data of
 * several shapes. */
static void check_accuracy(uint64_t *vals, size_t n)
{
	static const double ps[] = { 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99 };
	struct hist *h = hist_new();
	size_t i;

	for (i = 0; i < n; i++)
		hist_record(h, vals[i]);
	qsort(vals, n, sizeof(*vals), cmp_u64);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min, vals[0]);
	assert_int_equal(h->max, vals[n - 1]);
	assert_int_equal(hist_percentile(h, 100), vals[n - 1]);
	assert_int_equal(hist_percentile(h, 0), vals[0]);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		size_t rank = (size_t)ceil(ps[i] / 100.0 * (double)n - 1e-9);
		double exact = (double)vals[rank ? rank - 1 : 0];
		double got = (double)hist_percentile(h, ps[i]);

		assert_true(fabs(got - exact) <= exact * 0.001 + 0.5);
	}
	hist_free(h);
}

static void test_percentile_accuracy(void **state)
{
	size_t n = 200000, i;
	uint64_t *vals = malloc(n * sizeof(*vals));

	(void)state;
	/* Uniform over 1 us .. 10 s. */
	for (i = 0; i < n; i++)
		vals[i] = 1 + rnd() % 10000000;
	check_accuracy(vals, n);
	/* Log-uniform: latencies spread over six decades. */
	for (i = 0; i < n; i++)
		vals[i] = (uint64_t)exp((double)(rnd() % 1000000) / 1000000.0 * log(3e9));
	check_accuracy(vals, n);
	/* A tight mode with a long tail. */
	for (i = 0; i < n; i++)
		vals[i] = i % 100 == 0 ? 50000 + rnd() % 5000000 : 50000 + rnd() % 2000;
	check_accuracy(vals, n);
	free(vals);
}

static void test_merge_exact(void **state)
{
	struct hist *a = hist_new(), *b = hist_new(), *all = hist_new(), *m = hist_new();
	unsigned i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		uint64_t v = rnd() % 3000000;

		hist_record(i % 3 ? a : b, v);
		hist_record(all, v);
	}
	hist_merge(m, a);
	hist_merge(m, b);
	assert_int_equal(m->count, all->count);
	assert_int_equal(m->sum, all->sum);
	assert_int_equal(m->min, all->min);
	assert_int_equal(m->max, all->max);
	assert_memory_equal(m->counts, all->counts, sizeof(m->counts));
	assert_true(fabs(hist_stddev(m) - hist_stddev(all)) < 1e-6 * hist_stddev(all));
	assert_int_equal(hist_check(m, NULL), 0);
	hist_reset(m);
	assert_int_equal(m->count, 0);
	for (i = 0; i < HIST_COUNTS_LEN; i++)
		assert_int_equal(m->counts[i], 0);
	hist_free(a);
	hist_free(b);
	hist_free(all);
	hist_free(m);
}

static void test_clamp_and_stats(void **state)
{
	struct hist *h = hist_new();

	(void)state;
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_true(hist_mean(h) == 0);
	hist_record(h, HIST_MAX_US * 2);
	assert_int_equal(h->clamped, 1);
	assert_int_equal(h->max, HIST_MAX_US);
	hist_record(h, 0);
	hist_record_n(h, 1000, 2);
	assert_int_equal(h->count, 4);
	assert_true(fabs(hist_mean(h) - (double)(HIST_MAX_US + 2000) / 4) < 1e-6);
	assert_int_equal(hist_check(h, NULL), 0);
	hist_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_roundtrip),
		cmocka_unit_test(test_percentile_accuracy),
		cmocka_unit_test(test_merge_exact),
		cmocka_unit_test(test_clamp_and_stats),
	};
	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
