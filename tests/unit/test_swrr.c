/* Smooth weighted round-robin: which session each closed-model user slot runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/swrr.h"

/* Sessions by weight over user slots: exact in any run of slots, and the same sequence whoever
 * computes which part of it (agents and workers each compute their own range). */
static void test_swrr_sessions(void **state)
{
	const double equal[4] = {1, 1, 1, 1}, w931[3] = {3, 1, 1}, frac[2] = {0.9, 0.1};
	uint32_t out[100], part[100];
	size_t count[4] = {0};

	(void)state;
	assert_int_equal(swrr_assign(equal, 4, 0, 4, out), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i], (uint32_t)i);
	/* 3:1:1 over 10 slots: 6, 2, 2, and the two light sessions are spread out. */
	assert_int_equal(swrr_assign(w931, 3, 0, 10, out), 0);
	for (int i = 0; i < 10; i++)
		count[out[i]]++;
	assert_int_equal(count[0], 6);
	assert_int_equal(count[1], 2);
	assert_int_equal(count[2], 2);
	{
		const uint32_t want[5] = {0, 1, 0, 2, 0}; /* nginx's smooth order, period 5 */

		assert_memory_equal(out, want, sizeof(want));
		assert_memory_equal(out + 5, want, sizeof(want));
		/* Far slots (a large fleet) start from their place in the period. */
		assert_int_equal(swrr_assign(w931, 3, 5000000, 5, part), 0);
		assert_memory_equal(part, want, sizeof(want));
	}
	/* Ranges computed separately are slices of one sequence: 4 + 3 + 3 slots. */
	assert_int_equal(swrr_assign(w931, 3, 4, 3, part), 0);
	assert_memory_equal(part, out + 4, 3 * sizeof(*part));
	assert_int_equal(swrr_assign(w931, 3, 7, 3, part), 0);
	assert_memory_equal(part, out + 7, 3 * sizeof(*part));
	/* Fractional weights: 9 to 1 in every 10 slots. */
	assert_int_equal(swrr_assign(frac, 2, 0, 100, out), 0);
	count[0] = count[1] = 0;
	for (int i = 0; i < 100; i++)
		count[out[i]]++;
	assert_int_equal(count[0], 90);
	assert_int_equal(count[1], 10);
	/* One session: always it. */
	assert_int_equal(swrr_assign(equal, 1, 5, 3, out), 0);
	assert_int_equal(out[0] + out[1] + out[2], 0);
}

/* Counts over the first N slots, as `barrage check` prints them: whole periods and the
 * remainder, the same as walking every slot. */
static void test_swrr_counts(void **state)
{
	const double w931[3] = {3, 1, 1}, equal[4] = {1, 1, 1, 1}, frac[3] = {0.5, 0.25, 0.3};
	uint64_t c[4];
	uint32_t out[1000];

	(void)state;
	assert_int_equal(swrr_count(equal, 4, 4, c), 0);
	assert_true(c[0] == 1 && c[1] == 1 && c[2] == 1 && c[3] == 1);
	assert_int_equal(swrr_count(equal, 4, 3, c), 0);
	assert_true(c[0] == 1 && c[1] == 1 && c[2] == 1 && c[3] == 0);
	assert_int_equal(swrr_count(w931, 3, 10, c), 0);
	assert_true(c[0] == 6 && c[1] == 2 && c[2] == 2);
	assert_int_equal(swrr_count(w931, 3, 10000003, c), 0);
	assert_true(c[0] == 6000002 && c[1] == 2000001 && c[2] == 2000000);
	for (uint64_t n = 0; n <= 1000; n += 37) {
		uint64_t want[3] = {0, 0, 0};

		assert_int_equal(swrr_assign(frac, 3, 0, n, out), 0);
		for (uint64_t k = 0; k < n; k++)
			want[out[k]]++;
		assert_int_equal(swrr_count(frac, 3, n, c), 0);
		assert_true(c[0] == want[0] && c[1] == want[1] && c[2] == want[2]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_swrr_sessions),
	    cmocka_unit_test(test_swrr_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
