/* What `barrage run` is asked to do: the command line as the CLI (controller/main.c) fills it.
 * In a header of its own so that every part of the run (run_state.h) can read the options
 * without depending on the driver (run.h). */
#ifndef BARRAGE_CONTROLLER_RUN_OPTIONS_H
#define BARRAGE_CONTROLLER_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/scenario_override.h"

struct run_options {
	const char *scenario;	  /* the YAML file */
	const char *out;	  /* --out DIR, or NULL for runs/NAME-YYYYMMDD-HHMMSS */
	const char *runs_root;	  /* where runs/ goes when out is NULL; NULL = "runs" */
	const char *hosts_file;	  /* --hosts FILE */
	bool push_agent;	  /* --push-agent */
	const char *remote_agent; /* --agent PATH: the agent on the hosts; NULL = barrage-agent */
	bool accept_new_host_keys;
	bool keep_remote;
	const char *identity;	     /* --identity FILE */
	const char *known_hosts;     /* --known-hosts FILE */
	uint32_t local;		     /* --local N; 0 = not given */
	bool quiet;		     /* -q: no live line, no summary table */
	int verbose;		     /* -v: agents' warnings and protocol detail */
	int64_t ready_timeout_us;    /* --ready-timeout; 0 = 30 s */
	const char *monitor_file;    /* --monitor FILE (controller/monitor.h) */
	bool monitor_optional;	     /* --monitor-optional */
	const char *dashboard;	     /* --dashboard [ADDR:PORT], or NULL (controller/dashboard.h) */
	bool dashboard_public;	     /* --dashboard-public: a non-loopback address is meant */
	int64_t dashboard_linger_us; /* --dashboard-linger: serve this long after the run */
	const char *export_spec;     /* --export prometheus-rw=URL (controller/export.h) */
	const struct scenario_override *ov; /* --set key=value */
	size_t nov;
};

#endif
