/* The dashboard's pure parts: control bodies (each bad form refused with a message that says what
 * is expected), listen addresses, loopback detection, the interval summary, and `barrage ctl`'s
 * words turned into the same bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "controller/ctl.h"
#include "controller/dashboard.h"

static void test_control_ok(void **state)
{
	static const struct {
		const char *body, *action;
		double factor;
		long long users;
	} ok[] = {
	    {"{\"action\":\"rate\",\"factor\":1.5}", "rate", 1.5, -1},
	    {"{\"action\":\"users\",\"users\":200}", "users", 0, 200},
	    {"{\"action\":\"users\",\"factor\":2}", "users", 2, -1},
	    {"{\"action\":\"users\",\"users\":0}", "users", 0, 0},
	    {"{\"action\":\"pause\"}", "pause", 0, -1},
	    {"{\"action\":\"resume\"}", "resume", 0, -1},
	    {" {\"action\":\"stop\"} ", "stop", 0, -1},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dashboard_control c;
		json_t *j = NULL;
		char *err = NULL;

		assert_int_equal(
		    dashboard_parse_control(ok[i].body, strlen(ok[i].body), &c, &j, &err), 0);
		assert_string_equal(c.action, ok[i].action);
		assert_true(c.factor == ok[i].factor);
		assert_int_equal(c.users, ok[i].users);
		json_decref(j);
	}
}

static void test_control_bad(void **state)
{
	static const struct {
		const char *body, *msg;
	} bad[] = {
	    {"", "malformed JSON"},
	    {"{\"action\":\"rate\",\"factor\":1.5", "malformed JSON"},
	    {"[1]", "expected a JSON object"},
	    {"{}", "\"action\" (a string) is required"},
	    {"{\"action\":7}", "\"action\" (a string) is required"},
	    {"{\"action\":\"explode\"}", "unknown action 'explode'"},
	    {"{\"action\":\"rate\"}", "\"rate\" takes a \"factor\""},
	    {"{\"action\":\"rate\",\"factor\":-1}", "\"factor\" must be a number > 0"},
	    {"{\"action\":\"rate\",\"factor\":0}", "\"factor\" must be a number > 0"},
	    {"{\"action\":\"rate\",\"factor\":\"2\"}", "\"factor\" must be a number > 0"},
	    {"{\"action\":\"rate\",\"factor\":1e9}", "\"factor\" must be a number > 0"},
	    {"{\"action\":\"rate\",\"factor\":2,\"users\":3}", "\"rate\" takes a \"factor\""},
	    {"{\"action\":\"users\",\"users\":-3}", "\"users\" must be a whole number"},
	    {"{\"action\":\"users\",\"users\":2.5}", "\"users\" must be a whole number"},
	    {"{\"action\":\"users\"}", "either \"users\""},
	    {"{\"action\":\"users\",\"users\":2,\"factor\":2}", "either \"users\""},
	    {"{\"action\":\"pause\",\"factor\":2}", "\"pause\" takes no"},
	    {"{\"action\":\"stop\",\"action\":\"rate\"}", "malformed JSON"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dashboard_control c;
		json_t *j = NULL;
		char *err = NULL;

		assert_int_equal(
		    dashboard_parse_control(bad[i].body, strlen(bad[i].body), &c, &j, &err), -1);
		assert_null(j);
		assert_non_null(err);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': got '%s', expected '%s'", bad[i].body, err, bad[i].msg);
		free(err);
	}
}

static void test_listen(void **state)
{
	char host[64];
	uint16_t port;
	char *err = NULL;

	(void)state;
	assert_int_equal(dashboard_parse_listen("127.0.0.1:8091", host, sizeof(host), &port, &err),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8091);
	assert_int_equal(dashboard_parse_listen("[::1]:0", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_equal(dashboard_parse_listen("9000", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9000);
	assert_int_equal(dashboard_parse_listen(":9001", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9001);
	for (size_t i = 0; i < 5; i++) {
		const char *bad[] = {"127.0.0.1:", "127.0.0.1:65536", "host:x", "[::1]8091", ""};

		assert_int_equal(dashboard_parse_listen(bad[i], host, sizeof(host), &port, &err),
				 -1);
		assert_non_null(err);
		free(err);
		err = NULL;
	}
	assert_true(dashboard_host_is_loopback("127.0.0.1"));
	assert_true(dashboard_host_is_loopback("127.5.0.9"));
	assert_true(dashboard_host_is_loopback("::1"));
	assert_true(dashboard_host_is_loopback("localhost"));
	assert_false(dashboard_host_is_loopback("0.0.0.0"));
	assert_false(dashboard_host_is_loopback("10.0.0.1"));
	assert_false(dashboard_host_is_loopback("::"));
	assert_false(dashboard_host_is_loopback("example.com"));
}

static void test_summary(void **state)
{
	struct plan p;
	struct stats_snapshot *s = stats_new();
	struct hist *h;
	json_t *j;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.interval_us = 2000000;
	s->interval = 4;
	h = stats_hist(s, "request");
	for (int i = 1; i <= 100; i++)
		hist_record(h, (uint64_t)i * 1000);
	stats_add(s, "error_timeout", 3);
	stats_add(s, "error_connect", 2);
	stats_add(s, "users_count", 7);
	stats_gauge(s, "users", 12, 15);
	j = dashboard_summary(&p, s);
	assert_int_equal(json_integer_value(json_object_get(j, "i")), 4);
	assert_true(json_real_value(json_object_get(j, "t")) == 10.0);
	assert_true(json_real_value(json_object_get(j, "rate")) == 50.0);
	assert_int_equal(json_integer_value(json_object_get(j, "errors")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "users")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "arrivals")), 7);
	assert_true(json_real_value(json_object_get(j, "max")) == 100.0);
	{
		double p99 = json_real_value(json_object_get(j, "p99"));

		assert_true(p99 > 98.5 && p99 < 99.5);
	}
	json_decref(j);
	stats_free(s);
}

static void test_ctl_words(void **state)
{
	static const struct {
		int argc;
		const char *argv[3];
		const char *body; /* NULL: refused */
	} cases[] = {
	    {2, {"rate", "x1.5"}, "{\"action\":\"rate\",\"factor\":1.5}"},
	    {2, {"rate", "2"}, "{\"action\":\"rate\",\"factor\":2}"},
	    {2, {"users", "200"}, "{\"action\":\"users\",\"users\":200}"},
	    {2, {"users", "x2"}, "{\"action\":\"users\",\"factor\":2}"},
	    {1, {"pause"}, "{\"action\":\"pause\"}"},
	    {1, {"stop"}, "{\"action\":\"stop\"}"},
	    {1, {"rate"}, NULL},
	    {2, {"rate", "fast"}, NULL},
	    {2, {"users", "-4"}, NULL},
	    {2, {"pause", "now"}, NULL},
	    {1, {"jump"}, NULL},
	    {0, {NULL}, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[256], *err = NULL;
		int rc = ctl_body(cases[i].argc, (char **)cases[i].argv, body, sizeof(body), &err);

		if (cases[i].body) {
			assert_int_equal(rc, 0);
			assert_string_equal(body, cases[i].body);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			free(err);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_ok), cmocka_unit_test(test_control_bad),
	    cmocka_unit_test(test_listen),     cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_ctl_words),
	};
	return cmocka_run_group_tests_name("dashboard", tests, NULL, NULL);
}
