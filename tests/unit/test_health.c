/* The agent's health (agent/health.c): the CPU share over the window an interval really
 * covered, and the saturation rule. The case behind issue 14: the last interval of a run is
 * partial (a few ms of grace after the last interval boundary) and idle, yet a burst of
 * teardown or bookkeeping CPU over those few ms made a share near one core, and the agent
 * was flagged saturated. Every figure here is given, not measured: no timing is involved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>

#include "agent/health.h"

#define MS 1000
#define S  1000000

static void test_share_over_window(void **state)
{
	struct health_cpu c = {.wall_us = 5 * S, .cpu_us = 700 * MS};
	int64_t win = -1;

	(void)state;
	/* A full 1 s interval with 450 ms of CPU: 0.45 cores. */
	assert_true(fabs(health_cpu_close(&c, 6 * S, 1150 * MS, &win) - 0.45) < 1e-9);
	assert_int_equal(win, 1 * S);
	/* The next window starts where that one ended: a 20 ms partial interval with 18 ms of
	 * CPU is 0.9 cores over those 20 ms, not 18 ms spread over a whole interval. */
	assert_true(fabs(health_cpu_close(&c, 6 * S + 20 * MS, 1168 * MS, &win) - 0.9) < 1e-9);
	assert_int_equal(win, 20 * MS);
	/* An empty window (the previous interval was emitted after the load ended) is 0. */
	assert_true(health_cpu_close(&c, 6 * S + 20 * MS, 1168 * MS, &win) == 0);
	assert_int_equal(win, 0);
	assert_true(health_cpu_share(-5, 10) == 0);
	assert_true(health_cpu_share(5, 0) == 0);
}

static void test_short_partial_interval(void **state)
{
	/* The last interval of run_basic: 20 ms after the boundary, 18 ms of CPU, one worker. */
	struct health_window w = {
	    .cpu = 0.9, .cpu_limit = 1, .window_us = 20 * MS, .lag_ms = 0, .loaded = true};

	(void)state;
	/* Too short to judge the CPU share: one burst is not saturation. */
	assert_false(health_saturated(&w));
	/* The same share over a window long enough to judge is saturation. */
	w.window_us = HEALTH_CPU_MIN_WINDOW_US;
	assert_true(health_saturated(&w));
	w.window_us = 1 * S;
	w.cpu = 0.89;
	assert_false(health_saturated(&w));
	/* Two workers: the limit is two cores. */
	w.cpu = 1.79;
	w.cpu_limit = 2;
	assert_false(health_saturated(&w));
	w.cpu = 1.8;
	assert_true(health_saturated(&w));
	/* A late event loop is saturation whatever the window's length. */
	w = (struct health_window){
	    .cpu = 0.1, .cpu_limit = 1, .window_us = 20 * MS, .lag_ms = 100, .loaded = true};
	assert_true(health_saturated(&w));
	w.lag_ms = 99.9;
	assert_false(health_saturated(&w));
}

static void test_idle_grace_is_not_load(void **state)
{
	/* A whole interval of grace, no request completed, no user alive before the load's end:
	 * neither a full core nor a late loop makes it saturated (the teardown is not load). */
	struct health_window w = {
	    .cpu = 0.99, .cpu_limit = 1, .window_us = 1 * S, .lag_ms = 250, .loaded = false};

	(void)state;
	assert_false(health_saturated(&w));
	w.loaded = true;
	assert_true(health_saturated(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_share_over_window),
	    cmocka_unit_test(test_short_partial_interval),
	    cmocka_unit_test(test_idle_grace_is_not_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
