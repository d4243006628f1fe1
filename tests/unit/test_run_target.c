/* The run's target probe (controller/run_target.c): URL host/port parsing and the TCP
 * reachability check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/run_target.h"

static void test_target_parse(void **state)
{
	char host[64], port[8], *err = NULL;

	assert_int_equal(run_target_hostport("https://127.0.0.1:8443/x", host, sizeof(host), port,
					     sizeof(port), &err),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "8443");
	assert_int_equal(
	    run_target_hostport("http://localhost", host, sizeof(host), port, sizeof(port), &err),
	    0);
	assert_string_equal(host, "localhost");
	assert_string_equal(port, "80");
	assert_int_equal(
	    run_target_hostport("https://[::1]/a?b", host, sizeof(host), port, sizeof(port), &err),
	    0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "443");
	assert_int_equal(
	    run_target_hostport("http://u:p@h:81", host, sizeof(host), port, sizeof(port), &err),
	    0);
	assert_string_equal(host, "h");
	assert_string_equal(port, "81");
	{
		static const char *const bad[] = {"ftp://x",	 "127.0.0.1:80", "http://",
						  "http://:80",	 "http://h:",	 "http://h:99999",
						  "http://h:8x", "http://[::1"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(run_target_hostport(bad[i], host, sizeof(host), port,
							     sizeof(port), &err),
					 -1);
			assert_non_null(err);
		}
	}
	free(err);
}

static void test_target_reachable(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64], *err = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(sa.sin_port));
	assert_int_equal(run_target_check(url, 1000, &err), 0);
	close(fd); /* now nobody listens there */
	assert_int_equal(run_target_check(url, 1000, &err), -1);
	assert_non_null(strstr(err, "unreachable"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_parse),
	    cmocka_unit_test(test_target_reachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
