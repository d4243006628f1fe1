/* Splitting a plan across agents: integer shares add up exactly to the scenario's totals
 * (largest remainder, by weight), rates scale by the weight fraction, unique data is
 * partitioned, ids and seeds are set and reproducible, and loads too small for the agents are
 * refused with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan.h"
#include "controller/split.h"

static void test_count_exact(void **state)
{
	double w3[] = {1, 1, 1};
	double wx[] = {2, 1, 1, 0.5};
	uint64_t parts[4];
	uint64_t total;

	split_count(10, w3, 3, parts);
	assert_int_equal(parts[0], 4);
	assert_int_equal(parts[1], 3);
	assert_int_equal(parts[2], 3);
	split_count(0, w3, 3, parts);
	assert_int_equal(parts[0] + parts[1] + parts[2], 0);
	for (total = 0; total < 2000; total += 7) {
		uint64_t sum;

		split_count(total, wx, 4, parts);
		sum = parts[0] + parts[1] + parts[2] + parts[3];
		assert_int_equal(sum, total);
		/* Each part within one of its exact share. */
		assert_true(fabs((double)parts[0] - (double)total * 2 / 4.5) < 1.0);
		assert_true(fabs((double)parts[3] - (double)total * 0.5 / 4.5) < 1.0);
	}
}

static struct plan *open_plan(void)
{
	struct plan *p = plan_new();

	p->name = strdup("split-test");
	p->target = strdup("http://127.0.0.1:1");
	p->load.model = PLAN_MODEL_OPEN;
	p->load.nphases = 2;
	p->load.phases = calloc(2, sizeof(*p->load.phases));
	p->load.phases[0].duration_us = 10000000;
	p->load.phases[0].arrival_rate = 90;
	p->load.phases[0].ramp_to = -1;
	p->load.phases[1].duration_us = 10000000;
	p->load.phases[1].arrival_rate = 90;
	p->load.phases[1].ramp_to = 300;
	p->load.max_users = 1001;
	p->ndata = 2;
	p->data = calloc(2, sizeof(*p->data));
	p->data[0].name = strdup("accounts");
	p->data[0].file = strdup("accounts.csv");
	p->data[0].order = PLAN_ORDER_UNIQUE;
	p->data[0].part_count = 1;
	p->data[1].name = strdup("words");
	p->data[1].file = strdup("words.csv");
	p->data[1].order = PLAN_ORDER_RANDOM;
	p->data[1].part_count = 1;
	return p;
}

static void free_plans(struct plan **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		plan_free(v[i]);
	free(v);
}

static void test_open_model(void **state)
{
	struct split_agent ag[3] = {{"a@h1#1", "h1", 2}, {"a@h1#2", "h1", 2}, {"b@h2#1", "h2", 1}};
	struct plan *p = open_plan();
	struct plan **v = NULL;
	char *err = NULL;
	double rate0 = 0, ramp1 = 0;
	uint64_t users = 0;
	size_t i;

	assert_int_equal(split_plan(p, ag, 3, &v, &err), 0);
	for (i = 0; i < 3; i++) {
		rate0 += v[i]->load.phases[0].arrival_rate;
		ramp1 += v[i]->load.phases[1].ramp_to;
		users += v[i]->load.max_users;
		assert_true(v[i]->load.phases[0].ramp_to < 0); /* constant stays constant */
		assert_string_equal(v[i]->share.agent_id, ag[i].id);
		assert_int_equal(v[i]->share.index, i);
		assert_int_equal(v[i]->share.count, 3);
		assert_int_equal(v[i]->share.user_id_base, i);
		assert_int_equal(v[i]->data[0].part_index, i);
		assert_int_equal(v[i]->data[0].part_count, 3);
		assert_int_equal(v[i]->data[1].part_index, 0);
		assert_int_equal(v[i]->data[1].part_count, 1);
	}
	assert_true(fabs(rate0 - 90) < 1e-9);
	assert_true(fabs(ramp1 - 300) < 1e-9);
	assert_int_equal(users, 1001);
	assert_true(fabs(v[0]->share.fraction - 0.4) < 1e-12);
	assert_true(fabs(v[2]->share.fraction - 0.2) < 1e-12);
	assert_true(fabs(v[2]->load.phases[0].arrival_rate - 18) < 1e-9);
	/* Seeds differ per agent and are reproducible. */
	assert_true(v[0]->share.seed != v[1]->share.seed);
	assert_int_equal(v[1]->share.seed, split_seed("split-test", 1));
	/* The base plan is untouched. */
	assert_true(p->load.phases[0].arrival_rate == 90);
	assert_int_equal(p->load.max_users, 1001);
	free_plans(v, 3);
	plan_free(p);
}

static void test_closed_and_rate(void **state)
{
	struct split_agent ag[2] = {{"local-1", "localhost", 1}, {"local-2", "localhost", 1}};
	struct plan *p = plan_new();
	struct plan **v = NULL;
	char *err = NULL;

	p->name = strdup("rate");
	p->load.model = PLAN_MODEL_RATE;
	p->load.users = 7;
	p->load.duration_us = 5000000;
	p->load.request_rate = 1001;
	assert_int_equal(split_plan(p, ag, 2, &v, &err), 0);
	assert_int_equal(v[0]->load.users + v[1]->load.users, 7);
	assert_int_equal(v[0]->load.users, 4);
	/* Slots are numbered agent after agent: 0-3, then 4-6. */
	assert_int_equal(v[0]->share.slot_base, 0);
	assert_int_equal(v[1]->share.slot_base, 4);
	assert_true(fabs(v[0]->load.request_rate + v[1]->load.request_rate - 1001) < 1e-9);
	free_plans(v, 2);
	plan_free(p);
}

static void test_too_small(void **state)
{
	struct split_agent ag[3] = {
	    {"local-1", "localhost", 1}, {"local-2", "localhost", 1}, {"local-3", "localhost", 1}};
	struct plan *p = plan_new();
	struct plan **v = NULL;
	char *err = NULL;

	p->load.model = PLAN_MODEL_CLOSED;
	p->load.users = 2;
	p->load.duration_us = 1000000;
	assert_int_equal(split_plan(p, ag, 3, &v, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "load.users (2)"));
	assert_null(v);
	free(err);
	err = NULL;
	assert_int_equal(split_max_agents(p), 2);
	/* Zero weight is refused, not divided by. */
	p->load.users = 30;
	ag[1].weight = 0;
	assert_int_equal(split_plan(p, ag, 3, &v, &err), -1);
	assert_non_null(strstr(err, "local-2"));
	free(err);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_exact),
	    cmocka_unit_test(test_open_model),
	    cmocka_unit_test(test_closed_and_rate),
	    cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
