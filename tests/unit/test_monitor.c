/* Target monitoring: the scenario's monitor: section and its errors, host specs, the remote
 * loop's script, and monitor thresholds (syntax and the messages for bad ones). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfs.h"
#include "common/threshold.h"
#include "controller/monitor.h"
#include "controller/scenario.h"
#include "reports/reports.h"

static const char base[] = "name: m\n"
			   "target: http://127.0.0.1:1\n"
			   "load: { users: 1, duration: 1s }\n"
			   "sessions:\n"
			   "  - name: s\n"
			   "    steps:\n"
			   "      - request: { url: / }\n";

static char *load(const char *extra, struct plan **p)
{
	char yaml[2048];
	char *err = NULL;

	snprintf(yaml, sizeof(yaml), "%s%s", base, extra);
	*p = NULL;
	if (scenario_load_string("m.yaml", yaml, strlen(yaml), NULL, 0, p, &err) == 0)
		return NULL;
	assert_non_null(err);
	return err;
}

static void test_scenario_section(void **state)
{
	struct plan *p = NULL;
	char *err;

	(void)state;
	err = load("monitor:\n  hosts: [ local, \"load@10.0.0.7:2222\" ]\n  processes: [ srv ]\n"
		   "  interval: 500ms\n  optional: true\n",
		   &p);
	assert_null(err);
	assert_int_equal(p->monitor.nhosts, 2);
	assert_string_equal(p->monitor.hosts[1], "load@10.0.0.7:2222");
	assert_int_equal(p->monitor.nprocesses, 1);
	assert_int_equal(p->monitor.interval_us, 500000);
	assert_true(p->monitor.optional);
	{
		/* The agents' copies do not carry it. */
		struct plan *c = plan_clone(p);

		assert_non_null(c);
		assert_int_equal(c->monitor.nhosts, 0);
		plan_free(c);
	}
	plan_free(p);

	err = load("monitor:\n  hosts: [ local ]\n  proceses: [ x ]\n", &p);
	assert_non_null(strstr(err, "m.yaml:10:3: unknown key 'proceses' in monitor; did you mean "
				    "'processes'?"));
	free(err);
	err = load("monitor:\n  hosts: [ local, local ]\n", &p);
	assert_non_null(strstr(err, "m.yaml:9:19: monitor host 'local' is listed twice"));
	free(err);
	err = load("monitor:\n  hosts: [ \"a@b:99999\" ]\n", &p);
	assert_non_null(strstr(err, "m.yaml:9:13: monitor host: bad port '99999'"));
	free(err);
	err = load("monitor:\n  processes: [ x ]\n", &p);
	assert_non_null(strstr(err, "monitor: needs hosts:"));
	free(err);
	err = load("monitor:\n  hosts: [ local ]\n  interval: 1ms\n", &p);
	assert_non_null(strstr(err, "m.yaml:10:13:"));
	free(err);
	err = load("monitor:\n  hosts: [ local ]\nthresholds:\n  monitor.local.cpu.p95: \"< 5%\"\n",
		   &p);
	assert_non_null(strstr(err, "m.yaml:11:3: threshold 'monitor.local.cpu.p95': unknown field "
				    "'p95' (use max or mean)"));
	free(err);
	err = load("monitor:\n  hosts: [ local ]\nthresholds:\n  monitor.local.cpu.max:\n"
		   "    { condition: \"< 5%\", abort_on_fail: true }\n",
		   &p);
	assert_non_null(strstr(err, "abort_on_fail is not available on monitor figures"));
	free(err);
}

static void test_host_check_and_script(void **state)
{
	char *err = NULL, *s;

	(void)state;
	assert_int_equal(monitor_host_check("local", &err), 0);
	assert_int_equal(monitor_host_check("u@h:22", &err), 0);
	assert_int_equal(monitor_host_check("h", &err), 0);
	assert_int_equal(monitor_host_check("", &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(monitor_host_check("a b", &err), -1);
	assert_non_null(strstr(err, "expected local or user@host[:port]"));
	free(err);

	s = monitor_remote_script(1500000, true, 42);
	assert_non_null(s);
	/* Bounded, sleeps the interval, cats the processes only when asked. */
	assert_non_null(strstr(s, "[ $i -lt 42 ]"));
	assert_non_null(strstr(s, "sleep 1.500"));
	assert_non_null(strstr(s, "/proc/[0-9]*/stat"));
	free(s);
	s = monitor_remote_script(1000000, false, 1);
	assert_null(strstr(s, "/proc/[0-9]*/stat"));
	free(s);
}

static void test_threshold_syntax(void **state)
{
	char host[256], *err = NULL;
	int fig, op;
	bool max;
	double v;

	(void)state;
	assert_int_equal(reports_monitor_threshold_parse("monitor.local.cpu.max", "< 80%", host,
							 sizeof(host), &fig, &max, &op, &v, &err),
			 0);
	assert_string_equal(host, "local");
	assert_int_equal(fig, PROCFS_CPU_PCT);
	assert_true(max && op == THRESHOLD_LT && v == 80);
	/* Dots in the host; sizes with units; full figure names. */
	assert_int_equal(reports_monitor_threshold_parse("monitor.db@10.0.0.9:22.mem.mean",
							 ">= 2GiB", host, sizeof(host), &fig, &max,
							 &op, &v, &err),
			 0);
	assert_string_equal(host, "db@10.0.0.9:22");
	assert_true(fig == PROCFS_MEM_USED && !max && op == THRESHOLD_GE && v == 2147483648.0);
	assert_int_equal(reports_monitor_threshold_parse("monitor.h.net_rx_bps.max", "< 10MB/s",
							 host, sizeof(host), &fig, &max, &op, &v,
							 &err),
			 0);
	assert_true(fig == PROCFS_NET_RX_BPS && v == 1e7);
	{
		static const struct {
			const char *metric, *cond, *msg;
		} bad[] = {
		    {"monitor.local.cpu", "< 5", "expected monitor.HOST.FIGURE.max"},
		    {"monitor.cpu.max", "< 5", "expected monitor.HOST.FIGURE.max"},
		    {"monitor.local.cpux.max", "< 5", "unknown figure 'cpux'"},
		    {"monitor.local.cpu.max", "80%", "must start with <"},
		    {"monitor.local.cpu.max", "< lots", "expected a number"},
		    {"monitor.local.cpu.max", "< 5 parsecs", "unknown unit 'parsecs'"},
		    {"monitor.local.mem.max", "< 5%", "mem_used is not a percentage"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err = NULL;
			assert_int_equal(reports_monitor_threshold_parse(bad[i].metric, bad[i].cond,
									 host, sizeof(host), &fig,
									 &max, &op, &v, &err),
					 -1);
			if (!strstr(err, bad[i].msg))
				fail_msg("%s %s: %s", bad[i].metric, bad[i].cond, err);
			free(err);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenario_section),
	    cmocka_unit_test(test_host_check_and_script),
	    cmocka_unit_test(test_threshold_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
