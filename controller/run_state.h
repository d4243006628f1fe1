/* The state of one `barrage run`, shared by the files that drive it (not part of the public
 * interface, which is run.h), and its transitions (run_state.c: a setup that fails, stopping,
 * losing an agent, the end once every link has closed). The parts of a run:
 *
 *   run.c            the driver: run_main's stages, the tick (deadlines, silence), signals
 *   run_target.c     the target probe before any load is sent
 *   run_placement.c  which agents run where (--hosts, agents.hosts, agents.hosts_file, local)
 *   run_links.c      opening their links: local processes or the SSH fleet and its preflight
 *   run_protocol.c   the conversation with each agent, frame by frame, up to the START
 *   run_stats.c      merged intervals: stats.log, live line, dashboard, export, abort thresholds
 *   run_control.c    the live dashboard and runtime control of the load
 *   run_end.c        the end: the end record, the reports, the verdict and the last messages
 *   run_options.h    what the command line asked for
 *
 * Everything runs on one libevent thread, so nothing here is locked. */
#ifndef BARRAGE_CONTROLLER_RUN_STATE_H
#define BARRAGE_CONTROLLER_RUN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/plan.h"
#include "common/stats.h"
#include "common/threshold.h"
#include "common/wire.h"
#include "controller/link.h"
#include "controller/run_options.h"
#include "controller/split.h"

struct event;
struct event_base;
struct merge;
struct rundir;
struct ssh_fleet;
struct monitor;
struct dashboard;
struct exporter;

#define RUN_TICK_US	     200000
#define RUN_PINGS	     3
#define RUN_START_MARGIN_US  200000  /* START reaches every agent before the common instant */
#define RUN_STOP_GRACE_US    5000000 /* after STOP: time for the last STATS and DONE */
#define RUN_END_SLACK_US     5000000 /* past duration + grace before the controller sends STOP */
#define RUN_FLUSH_MIN_US     500000  /* an interval is written at most this late (or I/2) */
#define RUN_DEFAULT_READY_US 30000000
#define RUN_HEARTBEAT_US     1000000
#define RUN_STALL_US	     1000000 /* a tick this late means the controller was not running */
#define RUN_PAUSE_NOTICE_US  3000000 /* ...and this late is worth an event */

enum run_phase { RUN_PHASE_SETUP, RUN_PHASE_RUNNING, RUN_PHASE_STOPPING, RUN_PHASE_OVER };

/* The load as runtime control left it (POST /api/control, `barrage ctl`; docs/dashboard.md),
 * relative to the plan; every CONTROL frame carries all of it, so a frame is never relative to
 * one an agent may have missed. */
struct run_control {
	double rate_scale; /* open model: arrival rate; rate model: request rate; 1 = the plan's */
	int64_t users;	   /* closed and rate models: users in total */
	bool paused;
	unsigned seq;
};

struct run_agent {
	struct run *run;
	size_t index;
	struct agent_link *link;
	struct wire_reader rd;
	struct plan *plan;     /* this agent's share */
	struct split_agent sa; /* id, host, weight (strings owned by ids/hosts below) */
	char *id, *host;
	size_t host_index; /* SSH: which host */
	unsigned slot;	   /* SSH: agent number on that host */
	bool hello, ready, started, done, closed, lost, stop_sent, saturated;
	int cpus;
	int pings;
	int64_t ping_sent_us, rtt_us;
	double clock_offset_ms; /* agent wall clock minus ours, from the best PONG */
	int64_t silent_us;	/* controller running time since the last byte from this agent */
	/* What this agent delivered, to say what a loss left uncounted: which intervals came
	 * (got[i]), the highest index, and its highest request rate over one interval. */
	bool *got;
	size_t ngot;
	int64_t last_iv;
	double max_rate;
	FILE *log;
};

struct run {
	const struct run_options *o;
	struct event_base *base;
	struct plan *plan;
	struct run_agent *agents;
	size_t n;
	struct plan **plans;	     /* the agents' shares as split (each owned by its agent) */
	struct plan_host *own_hosts; /* hosts read from a hosts file (owned), or NULL */
	size_t nhosts; /* SSH hosts (own_hosts or the plan's agents.hosts); 0 = local */
	struct merge *merge;
	struct rundir *dir;
	struct ssh_fleet *fleet;
	struct monitor *mon; /* watched hosts (monitor:), or NULL */
	struct event *tick, *sigint, *sigterm;
	enum run_phase phase;
	int64_t setup_deadline_us;
	int64_t start_us; /* monotonic instant the load starts */
	int64_t start_wall_ms;
	int64_t end_due_us; /* start + duration + grace + slack: STOP goes out */
	int64_t stop_deadline_us;
	int64_t last_tick_us, last_heartbeat_us;
	unsigned nlost, nready;
	unsigned nleft_out; /* agents of hosts that failed the preflight: count against max_lost */
	int interrupts;
	int exit_code;		      /* 0 or 3 so far; thresholds come after */
	const char *reason;	      /* end record: completed, interrupted, agents_lost, error */
	char *fail;		      /* setup failure message */
	struct stats_snapshot *total; /* every interval so far, for abort_on_fail thresholds */
	struct threshold *aborts;     /* the abort_on_fail thresholds, parsed */
	size_t *abort_idx;	      /* their index in plan->thresholds */
	size_t naborts;
	bool header_written;
	char *preflight_note;	/* hosts left out at the start, for stats.log */
	struct dashboard *dash; /* --dashboard, or NULL */
	struct exporter *exp;	/* --export / export:, or NULL */
	struct run_control ctl; /* the load as runtime control left it (run_control_apply) */
};

/* ---- run_state.c ---- */

/* Seconds since the load started (0 before). */
double run_elapsed_s(const struct run *r);
/* Send one JSON frame to an agent (takes j). 0, or -1 when the link does not take it. */
int run_send_json(struct run_agent *a, enum wire_type type, json_t *j);
/* A line in the agent's log (agents/ID.log), marked as the controller's. */
void run_agent_log(struct run_agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Setup failed: nothing has started; end the run now (exit 3) with this message. */
void run_setup_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send STOP to every agent still running; the run is over once they have all settled. */
void run_stop_all(struct run *r, const char *reason, int exit_code);
/* The run ends once every link has closed (RUNNING or STOPPING). */
void run_finish_if_settled(struct run *r);
/* An agent is gone: record what it left uncounted, and stop the run past agents.max_lost. */
void run_agent_lost(struct run_agent *a, const char *why);

#endif
