/* `barrage run`: the run loop. Loads the scenario, picks the agents (local processes or SSH
 * hosts), checks the target is reachable, splits the plan, creates the run directory, drives
 * every agent through HELLO -> PLAN -> READY -> PING/PONG -> START -> STATS* -> DONE on one
 * libevent loop, merges their intervals into stats.log with a live line, handles lost agents,
 * timeouts and Ctrl-C, and ends with the reports and the threshold verdict. */
#ifndef BARRAGE_RUN_H
#define BARRAGE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/scenario.h"

struct run_options {
	const char *scenario;	  /* the YAML file */
	const char *out;	  /* --out DIR, or NULL for runs/NAME-YYYYMMDD-HHMMSS */
	const char *runs_root;	  /* where runs/ goes when out is NULL; NULL = "runs" */
	const char *hosts_file;	  /* --hosts FILE */
	bool push_agent;	  /* --push-agent */
	const char *remote_agent; /* --agent PATH: the agent on the hosts; NULL = barrage-agent */
	bool accept_new_host_keys;
	bool keep_remote;
	const char *identity;		    /* --identity FILE */
	const char *known_hosts;	    /* --known-hosts FILE */
	uint32_t local;			    /* --local N; 0 = not given */
	bool quiet;			    /* -q: no live line, no summary table */
	int verbose;			    /* -v: agents' warnings and protocol detail */
	int64_t ready_timeout_us;	    /* --ready-timeout; 0 = 30 s */
	const char *monitor_file;	    /* --monitor FILE (controller/monitor.h) */
	bool monitor_optional;		    /* --monitor-optional */
	const char *dashboard;		    /* --dashboard [ADDR:PORT], or NULL (controller/dashboard.h) */
	bool dashboard_public;		    /* --dashboard-public: a non-loopback address is meant */
	int64_t dashboard_linger_us;	    /* --dashboard-linger: serve this long after the run */
	const char *export_spec;	    /* --export prometheus-rw=URL (controller/export.h) */
	const struct scenario_override *ov; /* --set key=value */
	size_t nov;
};

/* The whole command; returns the process exit code (0 ok, 1 thresholds failed, 2 usage or
 * scenario error, 3 run could not complete, 4 internal error). */
int run_main(const struct run_options *o);

/* Parse a target URL's host and port ("https://127.0.0.1:8443/x" -> "127.0.0.1", "8443";
 * default ports 80 and 443; IPv6 in brackets). Returns -1 with *err when it is not a URL. */
int run_target_hostport(const char *url, char *host, size_t hsize, char *port, size_t psize,
			char **err);
/* TCP connect to the target within timeout_ms: 0 when it accepts, -1 with *err saying why. */
int run_check_target(const char *url, int timeout_ms, char **err);

#endif
