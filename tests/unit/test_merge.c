/* Merging agents' intervals: records come out once per index, in order, when every live agent
 * has sent or passed the index; merged histograms equal the histogram of all values (exact);
 * a lost agent stops being waited for; a forced flush followed by the laggard's snapshot
 * produces a late record, so the totals over interval + late records equal everything sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/stats.h"
#include "controller/merge.h"

struct seen {
	uint32_t index[64];
	bool late[64];
	uint64_t requests[64];
	uint32_t nagents[64];
	int n;
	struct hist *all; /* everything emitted, for exactness */
};

static void emit(const struct stats_snapshot *s, bool late, void *arg)
{
	struct seen *z = arg;
	const struct hist *h = stats_find_hist(s, "request");
	const struct stats_counter *c = stats_find_counter(s, "http_200");

	assert_true(z->n < 64);
	z->index[z->n] = s->interval;
	z->late[z->n] = late;
	z->requests[z->n] = c ? (uint64_t)c->value : 0;
	z->nagents[z->n] = s->nagents;
	if (h) {
		assert_int_equal(h->count, c ? (uint64_t)c->value : 0);
		if (z->all)
			hist_merge(z->all, h);
	}
	z->n++;
}

/* One agent's snapshot: n requests with values from seed. */
static struct stats_snapshot *snap(uint32_t i, const char *agent, int n, unsigned seed,
				   struct hist *mirror)
{
	struct stats_snapshot *s = stats_new();
	struct stats_health h = {0};
	int k;

	s->interval = i;
	s->interval_us = 1000000;
	s->nagents = 1;
	for (k = 0; k < n; k++) {
		uint64_t v = 100 + (uint64_t)(rand_r(&seed) % 5000000);

		hist_record(stats_hist(s, "request"), v);
		if (mirror)
			hist_record(mirror, v);
	}
	stats_add(s, "http_200", n);
	stats_gauge(s, "users", n, n);
	h.agent = (char *)agent;
	h.cpu = 0.25;
	h.cpu_limit = 1;
	stats_add_health(s, &h);
	return s;
}

static void test_in_order_and_exact(void **state)
{
	struct seen z = {0};
	struct hist *mirror = hist_new();
	struct merge *m;
	char *err = NULL;
	int k;

	z.all = hist_new();
	m = merge_new(3, emit, &z);
	assert_non_null(m);
	/* Agent 0 runs ahead by two intervals: nothing may come out yet. */
	assert_int_equal(merge_add(m, 0, snap(0, "a0", 100, 1, mirror), &err), 0);
	assert_int_equal(merge_add(m, 0, snap(1, "a0", 110, 2, mirror), &err), 0);
	assert_int_equal(merge_add(m, 0, snap(2, "a0", 120, 3, mirror), &err), 0);
	assert_int_equal(merge_add(m, 1, snap(0, "a1", 200, 4, mirror), &err), 0);
	assert_int_equal(z.n, 0);
	assert_int_equal(merge_pending(m), 3);
	assert_int_equal(merge_add(m, 2, snap(0, "a2", 300, 5, mirror), &err), 0);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.index[0], 0);
	assert_int_equal(z.requests[0], 600);
	assert_int_equal(z.nagents[0], 3);
	/* Agent 2 skips index 1 (sends 2): index 1 waits only for agent 1 now. */
	assert_int_equal(merge_add(m, 2, snap(2, "a2", 50, 6, mirror), &err), 0);
	assert_int_equal(z.n, 1);
	assert_int_equal(merge_add(m, 1, snap(1, "a1", 70, 7, mirror), &err), 0);
	assert_int_equal(z.n, 2);
	assert_int_equal(z.index[1], 1);
	assert_int_equal(z.requests[1], 180);
	assert_int_equal(merge_add(m, 1, snap(2, "a1", 30, 8, mirror), &err), 0);
	assert_int_equal(z.n, 3);
	assert_int_equal(z.requests[2], 200);
	assert_int_equal(merge_next_index(m), 3);
	assert_int_equal(merge_pending(m), 0);
	/* Exact: every bucket of the emitted merge equals the histogram of all values. */
	assert_int_equal(z.all->count, mirror->count);
	assert_int_equal(z.all->sum, mirror->sum);
	assert_int_equal(z.all->min, mirror->min);
	assert_int_equal(z.all->max, mirror->max);
	assert_memory_equal(z.all->counts, mirror->counts, sizeof(mirror->counts));
	for (k = 0; k < z.n; k++)
		assert_false(z.late[k]);
	assert_int_equal(merge_received(m), 8);
	merge_free(m);
	hist_free(mirror);
	hist_free(z.all);
}

static void test_lost_agent(void **state)
{
	struct seen z = {0};
	struct merge *m = merge_new(2, emit, &z);
	char *err = NULL;

	assert_int_equal(merge_add(m, 0, snap(0, "a0", 10, 1, NULL), &err), 0);
	assert_int_equal(merge_add(m, 0, snap(1, "a0", 11, 2, NULL), &err), 0);
	assert_int_equal(z.n, 0);
	merge_agent_gone(m, 1);
	assert_int_equal(z.n, 2);
	assert_int_equal(z.requests[0], 10);
	assert_int_equal(z.requests[1], 11);
	/* With no agent waited for, new indexes go straight out. */
	assert_int_equal(merge_add(m, 0, snap(2, "a0", 12, 3, NULL), &err), 0);
	assert_int_equal(z.n, 3);
	assert_int_equal(merge_add(m, 5, snap(0, "x", 1, 1, NULL), &err), -1);
	assert_non_null(err);
	free(err);
	merge_free(m);
}

static void test_late_agent(void **state)
{
	struct seen z = {0};
	struct merge *m = merge_new(2, emit, &z);
	char *err = NULL;
	uint64_t total = 0;
	int k;

	assert_int_equal(merge_add(m, 0, snap(0, "a0", 40, 1, NULL), &err), 0);
	assert_int_equal(merge_add(m, 0, snap(1, "a0", 41, 2, NULL), &err), 0);
	/* The caller gives up waiting for index 0. */
	merge_flush_before(m, 1);
	assert_int_equal(z.n, 1);
	assert_int_equal(z.requests[0], 40);
	assert_int_equal(z.nagents[0], 1);
	/* Agent 1's index 0 arrives: a late record, not dropped; then its index 1 completes 1. */
	assert_int_equal(merge_add(m, 1, snap(0, "a1", 5, 3, NULL), &err), 0);
	assert_int_equal(z.n, 2);
	assert_true(z.late[1]);
	assert_int_equal(z.index[1], 0);
	assert_int_equal(z.requests[1], 5);
	assert_int_equal(merge_add(m, 1, snap(1, "a1", 6, 4, NULL), &err), 0);
	assert_int_equal(z.n, 3);
	assert_false(z.late[2]);
	assert_int_equal(z.requests[2], 47);
	assert_int_equal(merge_late(m), 1);
	/* End of run: flush_all writes what is still open. */
	assert_int_equal(merge_add(m, 0, snap(2, "a0", 9, 5, NULL), &err), 0);
	assert_int_equal(z.n, 3);
	merge_flush_all(m);
	assert_int_equal(z.n, 4);
	for (k = 0; k < z.n; k++)
		total += z.requests[k];
	assert_int_equal(total, 40 + 41 + 5 + 6 + 9);
	merge_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order_and_exact),
	    cmocka_unit_test(test_lost_agent),
	    cmocka_unit_test(test_late_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
