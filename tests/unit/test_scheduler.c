/* Scheduler tests with an injected clock: Poisson arrival rates, ramp shapes, closed-model
 * concurrency and wrk2-style constant-rate catch-up (agent/scheduler.c). Nothing here sleeps:
 * time is a number the test advances. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "agent/scheduler.h"

/* 100 s at 1000/s: 100000 arrivals expected; a Poisson count has sd sqrt(1e5) ~ 316, so 2%
 * (6 sd) is a safe bound. The gaps must look exponential: mean 1 ms and sd 1 ms. */
static void test_poisson_rate(void **state)
{
	int64_t dur = 100000000;
	double rate = 1000, t, last = 0, sum = 0, sumsq = 0;
	struct sched_open s;
	uint64_t rng = sched_seed(42, 0);
	size_t n = 0;

	(void)state;
	assert_int_equal(sched_open_init(&s, &dur, &rate, NULL, 1, 1.0), 0);
	while ((t = sched_open_next(&s, &rng)) >= 0) {
		double gap = t - last;

		assert_true(t >= last);
		sum += gap;
		sumsq += gap * gap;
		last = t;
		n++;
	}
	assert_true(fabs((double)n - 100000) < 2000);
	double mean = sum / (double)n, sd = sqrt(sumsq / (double)n - mean * mean);

	assert_true(fabs(mean - 1000) < 30);
	assert_true(fabs(sd - 1000) < 50);
	assert_true(last <= 100000000);
}

/* A ramp from 0 to 2000/s over 100 s: arrivals in each 10 s bin follow the line (expected
 * counts 1000, 3000, ..., 19000), and a constant phase after it keeps its rate. */
static void test_ramp_shape(void **state)
{
	int64_t dur[2] = {100000000, 10000000};
	double rate[2] = {0, 500}, ramp[2] = {2000, -1}, t;
	struct sched_open s;
	uint64_t rng = sched_seed(7, 1);
	size_t bins[11] = {0};

	(void)state;
	assert_int_equal(sched_open_init(&s, dur, rate, ramp, 2, 1.0), 0);
	while ((t = sched_open_next(&s, &rng)) >= 0) {
		size_t b = (size_t)(t / 10000000);

		assert_true(b < 11);
		bins[b]++;
	}
	for (size_t b = 0; b < 10; b++) {
		double want = sched_open_expected(&s, (double)b * 1e7, (double)(b + 1) * 1e7);

		assert_true(fabs(want - (double)(1000 + 2000 * b)) < 1);
		/* 5 sd of a Poisson count, at least 5%. */
		assert_true(fabs((double)bins[b] - want) < fmax(5 * sqrt(want), 0.05 * want));
	}
	assert_true(fabs((double)bins[10] - 5000) < 5 * sqrt(5000));
}

/* Scaling a phase's rates (a worker's share) scales the arrivals. */
static void test_scale_and_split(void **state)
{
	int64_t dur = 10000000;
	double rate = 1000;
	struct sched_open s;
	uint64_t rng = sched_seed(1, 2), total = 0;
	size_t n = 0;

	(void)state;
	sched_open_init(&s, &dur, &rate, NULL, 1, 0.25);
	while (sched_open_next(&s, &rng) >= 0)
		n++;
	assert_true(fabs((double)n - 2500) < 5 * sqrt(2500));
	for (uint64_t i = 0; i < 7; i++)
		total += sched_split(100, 7, i);
	assert_int_equal(total, 100);
	assert_int_equal(sched_split(100, 7, 0), 15);
	assert_int_equal(sched_split(100, 7, 6), 14);
	assert_int_equal(sched_split(5, 0, 0), 5);
}

/* A phase with rate 0 and no ramp produces nothing, and the next phase still runs. */
static void test_zero_phase(void **state)
{
	int64_t dur[2] = {5000000, 5000000};
	double rate[2] = {0, 100}, t;
	struct sched_open s;
	uint64_t rng = sched_seed(3, 3);
	size_t n = 0;

	(void)state;
	sched_open_init(&s, dur, rate, NULL, 2, 1.0);
	while ((t = sched_open_next(&s, &rng)) >= 0) {
		assert_true(t >= 5000000);
		n++;
	}
	assert_true(fabs((double)n - 500) < 5 * sqrt(500));
}

/* Closed model, simulated: 50 slots ramped over 10 s, each session lasts a random 0.1-2 s and
 * is replaced at once. After the ramp, concurrency is exactly 50 at every instant; during the
 * ramp it never exceeds the number of slots started. */
static void test_closed_concurrency(void **state)
{
	enum { N = 50 };
	int64_t ramp = 10000000, end_at[N];
	uint64_t rng = sched_seed(9, 9);
	uint64_t started = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		end_at[i] = -1;
	for (int64_t now = 0; now < 60000000; now += 10000) {
		int active = 0;

		while (started < N && sched_slot_start(started, N, ramp) <= now) {
			end_at[started] = now + 100000 + (int64_t)(sched_rand_unit(&rng) * 1900000);
			started++;
		}
		for (int i = 0; i < N; i++) {
			if (end_at[i] < 0)
				continue;
			if (end_at[i] <= now) /* replaced by a new user in the same slot */
				end_at[i] =
				    now + 100000 + (int64_t)(sched_rand_unit(&rng) * 1900000);
			active++;
		}
		assert_int_equal(active, (int)started);
		if (now >= ramp)
			assert_int_equal(active, N);
	}
	assert_int_equal(sched_slot_start(0, N, ramp), 0);
	assert_int_equal(sched_slot_start(25, N, ramp), 5000000);
	assert_int_equal(sched_slot_start(7, N, 0), 0);
}

/* wrk2 pacing: a user at 100/s (10 ms interval) whose target stalls for 1 s. Requests go out
 * at max(now, intended); after the stall the user catches up by sending back to back, and the
 * latency measured from the intended time shows the stall (the corrected p99 is large), while
 * the number of requests over the run stays what the rate asks for. */
static void test_constant_rate_catch_up(void **state)
{
	double next = 0, interval = 10000;
	double now = 0;
	size_t n = 0, big = 0;

	(void)state;
	while (now < 10000000) {
		double intended = sched_pace_take(&next, interval);
		double send = intended > now ? intended : now;
		/* service: 1 ms normally, the target frozen between 2 s and 3 s */
		double done = send + 1000;
		double latency;

		if (send >= 2000000 && send < 3000000)
			done = 3000000 + 1000;
		latency = done - intended;
		if (latency >= 500000)
			big++;
		now = done;
		n++;
		assert_true(send >= intended);
	}
	/* 10 s at 100/s: about 1000 requests, the stalled ones caught up, not skipped. */
	assert_true(n >= 995 && n <= 1001);
	/* The request intended at 2 s + x completes at about 3 s + x/10 (the backlog drains at
	 * 1 ms a request), so its latency 1 s - 0.9x is over 500 ms for x < 0.556 s: ~56 requests,
	 * 5.6% of the run — a p99 well over 500 ms. */
	assert_true(big >= 50 && big <= 60);
	/* Pacing never runs ahead: the next intended time is exactly n intervals in. */
	assert_true(fabs(next - (double)n * interval) < 1e-6);
}

/* Runtime control: a factor set halfway (with a restart at that instant, as the worker does,
 * which drops the arrival already drawn beyond it) scales the arrivals of the second half only;
 * a restart past the phases ends them. 1000/s for 100 s, x3 from 50 s: 50000 + 150000. */
static void test_control_factor(void **state)
{
	int64_t dur = 100000000;
	double rate = 1000, t;
	struct sched_open s;
	uint64_t rng = sched_seed(7, 0);
	size_t first = 0, second = 0;

	(void)state;
	assert_int_equal(sched_open_init(&s, &dur, &rate, NULL, 1, 1.0), 0);
	assert_true(s.factor == 1.0);
	while ((t = sched_open_next(&s, &rng)) >= 0 && t < 50e6)
		first++;
	s.factor = 3;
	assert_true(s.t_us > 50e6);
	sched_open_restart(&s, 50e6);
	assert_true(s.t_us == 50e6 && s.cur == 0);
	while ((t = sched_open_next(&s, &rng)) >= 0) {
		assert_true(t >= 50e6);
		second++;
	}
	assert_true(fabs((double)first - 50000) < 1500);
	assert_true(fabs((double)second - 150000) < 3000);
	sched_open_restart(&s, 200e6);
	assert_true(sched_open_next(&s, &rng) < 0);
}

static void test_random_helpers(void **state)
{
	uint64_t rng = sched_seed(0, 0);
	double sum = 0;

	(void)state;
	assert_true(rng != 0);
	assert_true(sched_seed(1, 0) != sched_seed(1, 1));
	for (int i = 0; i < 100000; i++) {
		double u = sched_rand_unit(&rng);

		assert_true(u > 0 && u <= 1);
		sum += sched_rand_exp(&rng);
	}
	assert_true(fabs(sum / 100000 - 1.0) < 0.02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_poisson_rate),
	    cmocka_unit_test(test_ramp_shape),
	    cmocka_unit_test(test_scale_and_split),
	    cmocka_unit_test(test_zero_phase),
	    cmocka_unit_test(test_closed_concurrency),
	    cmocka_unit_test(test_constant_rate_catch_up),
	    cmocka_unit_test(test_random_helpers),
	    cmocka_unit_test(test_control_factor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
