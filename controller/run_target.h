/* The target probe: before any load is sent, `barrage run` checks that the scenario's target
 * accepts a TCP connection (from this machine; with a fleet a failure is only a warning, since
 * the agents may reach networks the controller does not). */
#ifndef BARRAGE_CONTROLLER_RUN_TARGET_H
#define BARRAGE_CONTROLLER_RUN_TARGET_H

#include <stddef.h>

/* Parse a target URL's host and port ("https://127.0.0.1:8443/x" -> "127.0.0.1", "8443";
 * default ports 80 and 443; IPv6 in brackets). Returns -1 with *err when it is not a URL. */
int run_target_hostport(const char *url, char *host, size_t hsize, char *port, size_t psize,
			char **err);
/* TCP connect to the target within timeout_ms: 0 when it accepts, -1 with *err saying why. */
int run_target_check(const char *url, int timeout_ms, char **err);

#endif
