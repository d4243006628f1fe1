/* Hosts files (controller/hosts.c): the accepted forms, the defaults, and an error naming
 * file:line:col for each kind of mistake, including every truncated prefix of a valid file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/ssh.h"

static void parse_ok(const char *text, struct plan_host **h, size_t *n)
{
	char *err = NULL;
	int rc = hosts_parse("fleet.txt", text, strlen(text), h, n, &err);
	if (rc != 0)
		fail_msg("unexpected error: %s", err);
	free(err);
}

static void expect_error(const char *text, const char *needle)
{
	struct plan_host *h = NULL;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(hosts_parse("fleet.txt", text, strlen(text), &h, &n, &err), -1);
	assert_null(h);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
	free(err);
}

static void test_forms(void **state)
{
	struct plan_host *h;
	size_t n;

	(void)state;
	parse_ok("# fleet\n"
		 "load@10.0.0.5:2222 agents=4 weight=2\n"
		 "\n"
		 "  10.0.0.6   # default user and port\n"
		 "ops@[fd00::7]:22 weight=0.5\n"
		 "ops@[::1]\n"
		 "root@host-1.example.com agents=2\n",
		 &h, &n);
	assert_int_equal(n, 5);
	assert_string_equal(h[0].user, "load");
	assert_string_equal(h[0].host, "10.0.0.5");
	assert_int_equal(h[0].port, 2222);
	assert_int_equal(h[0].agents, 4);
	assert_true(h[0].weight == 2.0);
	assert_int_equal(h[0].pos.line, 2);
	assert_null(h[1].user);
	assert_string_equal(h[1].host, "10.0.0.6");
	assert_int_equal(h[1].port, 22);
	assert_int_equal(h[1].agents, 1);
	assert_true(h[1].weight == 1.0);
	assert_int_equal(h[1].pos.line, 4);
	assert_int_equal(h[1].pos.col, 3);
	assert_string_equal(h[2].host, "fd00::7");
	assert_true(h[2].weight == 0.5);
	assert_string_equal(h[3].host, "::1");
	assert_int_equal(h[3].port, 22);
	assert_string_equal(h[4].host, "host-1.example.com");
	assert_int_equal(h[4].agents, 2);
	hosts_free(h, n);

	/* No trailing newline, CRLF line ends. */
	parse_ok("a@b:1\r\nc@d", &h, &n);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].port, 1);
	assert_string_equal(h[1].host, "d");
	hosts_free(h, n);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "fleet.txt: no hosts");
	expect_error("# only a comment\n\n", "no hosts");
	expect_error("a@b\nc@d:0\n", "fleet.txt:2:5: bad port '0'");
	expect_error("a@b:70000\n", "fleet.txt:1:5: bad port '70000'");
	expect_error("a@b:\n", "bad port ''");
	expect_error("a@b:22x\n", "bad port '22x'");
	expect_error("@b\n", "fleet.txt:1:1: empty user name");
	expect_error("a@\n", "fleet.txt:1:3: missing host name");
	expect_error("a b@c\n", "fleet.txt:1:3: expected key=value");
	expect_error("a@b agents=0\n", "fleet.txt:1:12: bad agents '0'");
	expect_error("a@b agents=many\n", "bad agents 'many'");
	expect_error("a@b agents=99999\n", "bad agents");
	expect_error("a@b weight=-1\n", "fleet.txt:1:12: bad weight '-1'");
	expect_error("a@b weight=nan\n", "bad weight");
	expect_error("a@b weight=inf\n", "bad weight");
	expect_error("a@b weight=0\n", "bad weight");
	expect_error("a@b agent=2\n",
		     "fleet.txt:1:5: unknown option 'agent' (did you mean 'agents'?)");
	expect_error("a@b port=2\n", "unknown option 'port'");
	expect_error("a@b/c\n", "fleet.txt:1:4: '/' is not allowed in a host name");
	expect_error("a@fd00::1\n", "bad port");
	expect_error("a@[fd00::1\n", "no ']' closes it");
	expect_error("a@[]\n", "empty IPv6 address");
	expect_error("a@[fd00::g]\n", "'g' is not allowed in an IPv6 address");
	expect_error("a@[::1]x\n", "expected ':PORT' after ']'");
	expect_error("a@b@c\n", "more than one '@'");
	expect_error("a!x@b\n", "fleet.txt:1:2: '!' is not allowed in a user name");
	expect_error("a@b\n\nx@y\na@b:22 agents=2\n",
		     "fleet.txt:4:1: b:22 is listed twice (first on line 1)");
	expect_error("a@b\x01\n", "control character");
}

/* Every prefix of a valid file either parses or fails with a message; never crashes. */
static void test_prefixes(void **state)
{
	const char *text = "load@10.0.0.5:2222 agents=4 weight=2 # c\nops@[fd00::7]:22\n";
	(void)state;
	for (size_t i = 0; i <= strlen(text); i++) {
		struct plan_host *h = NULL;
		size_t n = 0;
		char *err = NULL;
		int rc = hosts_parse("p", text, i, &h, &n, &err);
		assert_true(rc == 0 ? h != NULL && n > 0 : err != NULL);
		hosts_free(h, n);
		free(err);
	}
}

static void test_file(void **state)
{
	struct plan_host *h = NULL;
	size_t n = 0;
	char *err = NULL;

	(void)state;
	assert_int_equal(hosts_file_read("/nonexistent/fleet.txt", &h, &n, &err), -1);
	assert_non_null(strstr(err, "/nonexistent/fleet.txt: No such file"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
