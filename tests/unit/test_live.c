/* The live line: phase names over an open model's phases and a closed model's ramp, and the
 * figures of one merged interval (rate, percentiles, errors summed over error_* counters, the
 * busiest agent's CPU, agents connected/total). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/plan.h"
#include "common/stats.h"
#include "controller/live.h"

static void test_phase(void **state)
{
	struct plan *p = plan_new();
	char b[64];

	p->load.nphases = 2;
	p->load.phases = calloc(2, sizeof(*p->load.phases));
	p->load.phases[0].duration_us = 10000000;
	p->load.phases[0].ramp_to = -1;
	p->load.phases[1].duration_us = 5000000;
	p->load.phases[1].ramp_to = 50;
	assert_string_equal(live_phase(p, 0.5, b, sizeof(b)), "phase 1/2");
	assert_string_equal(live_phase(p, 12, b, sizeof(b)), "phase 2/2 ramp");
	assert_string_equal(live_phase(p, 16, b, sizeof(b)), "grace");
	p->load.model = PLAN_MODEL_CLOSED;
	p->load.ramp_up_us = 2000000;
	p->load.duration_us = 10000000;
	assert_string_equal(live_phase(p, 1, b, sizeof(b)), "ramp-up");
	assert_string_equal(live_phase(p, 5, b, sizeof(b)), "steady");
	assert_string_equal(live_phase(p, 11, b, sizeof(b)), "grace");
	plan_free(p);
}

static void test_line(void **state)
{
	struct plan *p = plan_new();
	struct stats_snapshot *s = stats_new();
	struct stats_health h1 = {0}, h2 = {0};
	char line[512];
	int i;

	p->load.model = PLAN_MODEL_CLOSED;
	p->load.duration_us = 60000000;
	s->interval = 2;
	s->interval_us = 2000000;
	for (i = 0; i < 1000; i++)
		hist_record(stats_hist(s, "request"), 4000);
	stats_add(s, "error_timeout", 3);
	stats_add(s, "error_connect", 4);
	stats_add(s, "http_500", 100);
	stats_gauge(s, "users", 42, 50);
	h1.agent = "a";
	h1.cpu = 0.2;
	h1.cpu_limit = 1;
	h2.agent = "b";
	h2.cpu = 1.5;
	h2.cpu_limit = 2;
	stats_add_health(s, &h1);
	stats_add_health(s, &h2);
	assert_int_equal(live_errors(s), 7);
	live_format(line, sizeof(line), p, s, 2, 3);
	assert_non_null(strstr(line, "[   6s]"));
	assert_non_null(strstr(line, "users 42"));
	assert_non_null(strstr(line, "500/s"));
	assert_non_null(strstr(line, "errors 7"));
	assert_non_null(strstr(line, "cpu  75%"));
	assert_non_null(strstr(line, "agents 2/3"));
	stats_free(s);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_phase),
	    cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
