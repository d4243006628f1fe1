/* The run loop (see run.h).
 *
 * Everything happens on one libevent loop: agent links deliver bytes (wire frames, decoded
 * incrementally), a 200 ms tick watches deadlines (readiness, silent agents, the end of the run,
 * the stop grace), and SIGINT/SIGTERM arrive as events. The run moves through phases:
 *
 *   SETUP     links open; each agent says HELLO (its version must equal ours), gets its PLAN,
 *             answers READY, and has its round trip measured with three PINGs. Any failure
 *             here ends the run before load starts (exit 3, naming the agents).
 *   RUNNING   START went out with per-agent delays so all agents begin at one instant; STATS
 *             frames are merged by interval index (controller/merge.c) into stats.log and the
 *             live line. An agent whose link closes, or whose link is silent (not even a
 *             HEARTBEAT, which it sends every second from its main loop whatever the load)
 *             for agents.link_timeout, is lost: an event is recorded at once, and the run
 *             goes on unless more than agents.max_lost are gone. Late statistics are merged
 *             whenever they come; being late is not being lost.
 *   STOPPING  STOP went out (the run is over, too many agents were lost, or Ctrl-C): agents send
 *             their last STATS and DONE; whoever has not finished after a grace is killed.
 *
 * Silence is counted on the controller's own clock, tick by tick, and a tick that comes much
 * later than it should (the controller itself was stopped or starved) adds nothing: after a
 * SIGSTOP the input that piled up is read before anyone can be judged silent. The controller
 * sends its own HEARTBEAT every second so that the agents can judge it the same way.
 *
 * Then the merger is flushed, the end record written, and reports/ builds summary.json,
 * report.html and the threshold verdicts from stats.log. */
#include "common/clock.h"
#include "controller/run.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/threshold.h"
#include "common/err.h"
#include "common/units.h"
#include "common/version.h"
#include "common/wire.h"
#include "controller/dashboard.h"
#include "controller/export.h"
#include "controller/link.h"
#include "controller/live.h"
#include "controller/local.h"
#include "controller/merge.h"
#include "controller/monitor.h"
#include "controller/rundir.h"
#include "controller/split.h"
#include "controller/ssh.h"
#include "reports/reports.h"

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

enum run_phase { PHASE_SETUP, PHASE_RUNNING, PHASE_STOPPING, PHASE_OVER };

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
	char *preflight_note; /* hosts left out at the start, for stats.log */
	struct dashboard *dash; /* --dashboard, or NULL */
	struct exporter *exp;	/* --export / export:, or NULL */
	struct run_control ctl; /* the load as runtime control left it (run_control_apply) */
};

/* ---- small helpers ---- */

static double elapsed_s(const struct run *r)
{
	if (r->phase == PHASE_SETUP || r->start_us == 0)
		return 0;
	return (double)(clock_mono_us() - r->start_us) / 1e6;
}

static int send_json(struct run_agent *a, enum wire_type type, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT);
	struct buf b;
	int rc = -1;

	json_decref(j);
	buf_init(&b, 0);
	if (txt && wire_frame(&b, type, txt, strlen(txt)) == 0 && a->link)
		rc = link_write(a->link, b.data, b.len);
	free(txt);
	buf_free(&b);
	return rc;
}

static void agent_log(struct run_agent *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void agent_log(struct run_agent *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->log)
		return;
	fputs("[barrage] ", a->log);
	va_start(ap, fmt);
	vfprintf(a->log, fmt, ap);
	va_end(ap);
	fputc('\n', a->log);
	fflush(a->log);
}

static bool all_settled(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!r->agents[i].closed)
			return false;
	return true;
}

static void finish_if_settled(struct run *r)
{
	if ((r->phase == PHASE_RUNNING || r->phase == PHASE_STOPPING) && all_settled(r)) {
		r->phase = PHASE_OVER;
		event_base_loopexit(r->base, NULL);
	}
}

/* Setup failed: nothing has started; end the run now. */
static void setup_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void setup_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (r->fail || r->phase == PHASE_OVER)
		return;
	va_start(ap, fmt);
	err_vset(&r->fail, fmt, ap);
	va_end(ap);
	for (i = 0; i < r->n; i++)
		if (r->agents[i].link && !r->agents[i].closed)
			r->agents[i].link->ops->kill(r->agents[i].link);
	r->exit_code = 3;
	r->reason = "error";
	r->phase = PHASE_OVER;
	event_base_loopexit(r->base, NULL);
}

static void stop_all(struct run *r, const char *reason, int exit_code)
{
	size_t i;

	if (r->phase != PHASE_RUNNING)
		return;
	r->phase = PHASE_STOPPING;
	r->reason = reason;
	if (exit_code > r->exit_code)
		r->exit_code = exit_code;
	r->stop_deadline_us = clock_mono_us() + RUN_STOP_GRACE_US;
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];
		json_t *j;

		if (a->closed || a->done || a->lost || a->stop_sent)
			continue;
		j = json_object();
		json_object_set_new(j, "reason", json_string(reason));
		send_json(a, WIRE_STOP, j);
		a->stop_sent = true;
		agent_log(a, "STOP sent (%s)", reason);
	}
	finish_if_settled(r);
}

static void agent_lost(struct run_agent *a, const char *why)
{
	struct run *r = a->run;

	if (a->lost || a->done)
		return;
	a->lost = true;
	r->nlost++;
	agent_log(a, "agent lost: %s", why);
	if (a->started && r->start_us > 0 && clock_mono_us() > r->start_us) {
		/* What it measured after its last interval is gone with it. Its load stopped at the
		 * latest link_timeout (checked every 250 ms) after it last heard from us; we
		 * noticed link_timeout after we last heard from it, which may be a heartbeat period
		 * (1 s) before the cut. So it stopped before now + 1.25 s (2 s to be safe), and its
		 * best rate over the span its statistics do not cover bounds what nobody counted.
		 */
		double iv_s = (double)r->plan->interval_us / 1e6;
		double load_s = (double)(plan_load_duration_us(r->plan) + r->plan->grace_us) / 1e6;
		double now_s = elapsed_s(r), stop_s = now_s + 2.0, from_s;
		int64_t k, last_k = (int64_t)(load_s / iv_s - 1e-9);
		json_t *extra = json_object(), *miss = json_array();
		char detail[1024];
		uint64_t bound;

		if (stop_s > load_s)
			stop_s = load_s;
		from_s = (double)(a->last_iv + 1) * iv_s;
		bound = stop_s > from_s ? (uint64_t)(a->max_rate * (stop_s - from_s) + 0.999) : 0;
		k = (int64_t)(now_s / iv_s);
		if (k > last_k)
			k = last_k;
		for (int64_t i = 0; i <= k; i++)
			if ((size_t)i >= a->ngot || !a->got[i])
				json_array_append_new(miss, json_integer(i));
		json_object_set_new(extra, "missing", miss);
		json_object_set_new(extra, "uncounted_max", json_integer((json_int_t)bound));
		if (r->fleet && !r->o->keep_remote &&
		    ssh_fleet_remote_dir(r->fleet, a->host_index)) {
			/* Where its spool is, for `barrage collect` (agent/link.c:
			 * DIR/spool.INDEX); the SSH target is its id without the "#N". */
			const char *hash = strrchr(a->id, '#');
			char *spool = NULL;

			if (asprintf(&spool, "%s/spool.%u",
				     ssh_fleet_remote_dir(r->fleet, a->host_index),
				     a->plan->share.index) >= 0) {
				json_object_set_new(extra, "spool", json_string(spool));
				free(spool);
			}
			json_object_set_new(
			    extra, "ssh",
			    json_stringn(a->id, hash ? (size_t)(hash - a->id) : strlen(a->id)));
		}
		snprintf(detail, sizeof(detail),
			 "%s; its statistics after %.0f s are missing: up to %llu requests could "
			 "not be counted",
			 why, from_s, (unsigned long long)bound);
		rundir_write_event_extra(r->dir, now_s, a->id, "agent_lost", detail, extra);
		if (!r->o->quiet)
			live_event(stderr, now_s,
				   "agent %s lost: %s (%u of %zu lost, max_lost %u); up to %llu of "
				   "its requests could not be counted",
				   a->id, why, r->nlost + r->nleft_out, r->n + r->nleft_out,
				   r->plan->agents.max_lost, (unsigned long long)bound);
	} else {
		rundir_write_event(r->dir, elapsed_s(r), a->id, "agent_lost", why);
		if (!r->o->quiet)
			live_event(stderr, elapsed_s(r),
				   "agent %s lost: %s (%u of %zu lost, max_lost %u)", a->id, why,
				   r->nlost + r->nleft_out, r->n + r->nleft_out,
				   r->plan->agents.max_lost);
	}
	/* After the event: intervals that were waiting for this agent go out now. */
	merge_agent_gone(r->merge, a->index);
	if (a->link && !a->closed)
		a->link->ops->kill(a->link);
	if (r->nlost + r->nleft_out > r->plan->agents.max_lost && r->phase == PHASE_RUNNING) {
		fprintf(
		    stderr,
		    "barrage: %u agent%s lost, more than agents.max_lost (%u): stopping the run\n",
		    r->nlost + r->nleft_out, r->nlost + r->nleft_out == 1 ? "" : "s",
		    r->plan->agents.max_lost);
		rundir_write_event(r->dir, elapsed_s(r), NULL, "notice",
				   "more agents lost than agents.max_lost: run stopped");
		stop_all(r, "agents_lost", 3);
	}
}

/* ---- merged intervals ---- */

/* abort_on_fail thresholds: evaluated on the running total after each merged interval (once
 * their delay has passed); the first one that fails stops the run. */
static void check_aborts(struct run *r, const struct stats_snapshot *s)
{
	double covered, value = 0;
	size_t i;

	if (r->naborts == 0 || !r->total)
		return;
	if (stats_accumulate(r->total, s) < 0)
		return;
	if (r->phase != PHASE_RUNNING)
		return;
	covered = (double)(s->interval + 1) * (double)r->plan->interval_us / 1e6;
	for (i = 0; i < r->naborts; i++) {
		const struct plan_threshold *pt = &r->plan->thresholds[r->abort_idx[i]];
		char detail[512];

		if (covered * 1e6 < (double)pt->delay_us)
			continue;
		if (reports_threshold_check(&r->aborts[i], r->total, covered, &value))
			continue;
		snprintf(detail, sizeof(detail), "%s %s failed (measured %g after %.0fs)",
			 pt->metric, pt->condition, value, covered);
		rundir_write_event(r->dir, elapsed_s(r), NULL, "threshold_abort", detail);
		fprintf(stderr, "barrage: threshold %s: stopping the run (abort_on_fail)\n",
			detail);
		stop_all(r, "threshold_abort", 1);
		return;
	}
}

static void on_merged(const struct stats_snapshot *s, bool late, void *arg)
{
	struct run *r = arg;
	char *err = NULL;
	size_t i, k;

	if (rundir_write_interval(r->dir, s, late, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
	}
	/* A saturated agent measures itself, not the target: say so once, live and in the log. */
	for (i = 0; i < s->nhealth; i++) {
		if (!s->health[i].saturated)
			continue;
		for (k = 0; k < r->n; k++) {
			struct run_agent *a = &r->agents[k];

			if (a->saturated || strcmp(a->id, s->health[i].agent) != 0)
				continue;
			a->saturated = true;
			rundir_write_event(
			    r->dir, elapsed_s(r), a->id, "agent_saturated",
			    "the agent could not keep up: its numbers measure the load "
			    "generator, not the target");
			if (!r->o->quiet)
				live_event(
				    stderr, elapsed_s(r),
				    "warning: agent %s is saturated (its figures measure the "
				    "load generator, not the target)",
				    a->id);
		}
	}
	if (late) {
		if (r->o->verbose && !r->o->quiet)
			live_event(stderr, elapsed_s(r), "late statistics for interval %u merged",
				   s->interval);
	} else if (!r->o->quiet) {
		char line[768];

		live_format(line, sizeof(line), r->plan, s, (unsigned)(r->n - r->nlost),
			    (unsigned)r->n);
		monitor_live_append(r->mon, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
	if (!late)
		dashboard_interval(r->dash, r->plan, s, (unsigned)(r->n - r->nlost),
				   (unsigned)r->n);
	export_interval(r->exp, s, late, r->start_wall_ms);
	check_aborts(r, s);
}

/* ---- frames from an agent ---- */

static void start_all(struct run *r)
{
	int64_t now = clock_mono_us(), max_rtt = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->agents[i].rtt_us > max_rtt)
			max_rtt = r->agents[i].rtt_us;
	/* START takes about rtt/2 to arrive: agent i waits (common instant - now - rtt_i/2). */
	r->start_us = now + max_rtt / 2 + RUN_START_MARGIN_US;
	r->start_wall_ms = clock_wall_ms() + (r->start_us - now) / 1000;
	r->end_due_us =
	    r->start_us + plan_load_duration_us(r->plan) + r->plan->grace_us + RUN_END_SLACK_US;
	r->phase = PHASE_RUNNING;
	{
		struct statslog_agent *ra = calloc(r->n, sizeof(*ra));
		char *err = NULL;

		for (i = 0; ra && i < r->n; i++) {
			ra[i].id = r->agents[i].id;
			ra[i].host = r->agents[i].host;
			ra[i].fraction = r->agents[i].plan->share.fraction;
			ra[i].cpus = r->agents[i].cpus;
		}
		if (!ra || rundir_write_header(r->dir, r->plan, r->o->scenario, r->start_wall_ms,
					       ra, r->n, &err) < 0)
			fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
		else
			r->header_written = true;
		if (r->header_written && r->preflight_note)
			rundir_write_event(r->dir, 0, NULL, "hosts_left_out", r->preflight_note);
		free(err);
		free(ra);
	}
	monitor_start(r->mon, r->dir, r->start_us);
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];
		int64_t delay = r->start_us - now - a->rtt_us / 2;
		json_t *j = json_object();

		json_object_set_new(j, "delay_ms", json_integer(delay > 0 ? delay / 1000 : 0));
		send_json(a, WIRE_START, j);
		a->started = true;
		a->silent_us = 0;
		agent_log(a, "START sent (delay %lld ms, round trip %.2f ms, clock offset %.1f ms)",
			  (long long)(delay > 0 ? delay / 1000 : 0), (double)a->rtt_us / 1000,
			  a->clock_offset_ms);
	}
	if (!r->o->quiet) {
		char d[32];

		units_fmt_duration(d, sizeof(d), (double)plan_load_duration_us(r->plan));
		fprintf(stderr, "barrage: %s: %zu agent%s ready, load for %s, results in %s\n",
			r->plan->name ? r->plan->name : "run", r->n, r->n == 1 ? "" : "s", d,
			r->dir->path);
	}
}

static void send_ping(struct run_agent *a)
{
	json_t *j = json_object();

	a->ping_sent_us = clock_mono_us();
	json_object_set_new(j, "t", json_integer(a->ping_sent_us / 1000));
	send_json(a, WIRE_PING, j);
}

static void on_hello(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	const char *ver = NULL;
	struct buf enc;
	json_int_t wire = 0;

	if (!j || !json_is_object(j)) {
		json_decref(j);
		setup_fail(r, "agent %s: malformed HELLO: %s", a->id,
			   j ? "not an object" : je.text);
		return;
	}
	ver = json_string_value(json_object_get(j, "version"));
	wire = json_integer_value(json_object_get(j, "wire"));
	a->cpus = (int)json_integer_value(json_object_get(j, "cpus"));
	if (!ver || strcmp(ver, BARRAGE_VERSION) != 0 || wire != BARRAGE_WIRE_VERSION) {
		setup_fail(r,
			   "agent %s on %s is barrage-agent %s (wire %lld); this controller is %s "
			   "(wire %d): install the same version everywhere (or use --push-agent)",
			   a->id, a->host, ver ? ver : "of an unknown version", (long long)wire,
			   BARRAGE_VERSION, BARRAGE_WIRE_VERSION);
		json_decref(j);
		return;
	}
	agent_log(a, "HELLO: %.*s", (int)(len > 300 ? 300 : len), p);
	json_decref(j);
	a->hello = true;
	buf_init(&enc, WIRE_MAX_PAYLOAD);
	if (plan_encode(a->plan, &enc) < 0) {
		buf_free(&enc);
		setup_fail(r, "agent %s: cannot encode its plan", a->id);
		return;
	}
	{
		struct buf fr;

		buf_init(&fr, 0);
		if (wire_frame(&fr, WIRE_PLAN, enc.data, enc.len) < 0 ||
		    link_write(a->link, fr.data, fr.len) < 0) {
			buf_free(&fr);
			buf_free(&enc);
			setup_fail(r, "agent %s: cannot send its plan", a->id);
			return;
		}
		buf_free(&fr);
	}
	buf_free(&enc);
}

static void on_ready(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	const char *e;

	if (!j || !json_is_object(j)) {
		json_decref(j);
		setup_fail(r, "agent %s: malformed READY", a->id);
		return;
	}
	e = json_string_value(json_object_get(j, "error"));
	if (e) {
		setup_fail(r, "agent %s refused the plan: %s", a->id, e);
		json_decref(j);
		return;
	}
	json_decref(j);
	if (a->ready)
		return;
	a->ready = true;
	r->nready++;
	agent_log(a, "READY");
	send_ping(a);
}

static void on_pong(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	int64_t rtt = clock_mono_us() - a->ping_sent_us;
	json_error_t je;
	json_t *j;
	size_t i;

	if (!a->ready || a->pings >= RUN_PINGS || r->phase != PHASE_SETUP)
		return;
	if (a->pings == 0 || rtt < a->rtt_us) {
		a->rtt_us = rtt;
		/* The agent's wall clock against ours at the middle of the round trip: only
		 * logged, since START carries a relative delay that needs no common clock. */
		j = json_loadb(p, len, 0, &je);
		if (j && json_is_integer(json_object_get(j, "agent_t")))
			a->clock_offset_ms =
			    (double)json_integer_value(json_object_get(j, "agent_t")) -
			    ((double)clock_wall_ms() - (double)rtt / 2000.0);
		json_decref(j);
	}
	if (++a->pings < RUN_PINGS) {
		send_ping(a);
		return;
	}
	for (i = 0; i < r->n; i++)
		if (r->agents[i].pings < RUN_PINGS)
			return;
	start_all(r);
}

static void on_stats(struct run_agent *a, const uint8_t *p, size_t len)
{
	struct run *r = a->run;
	struct stats_snapshot *s = stats_new();
	char *err = NULL;

	if (!s) {
		agent_lost(a, "out of memory decoding its statistics");
		return;
	}
	if (stats_decode(p, len, s, &err) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "bad STATS frame: %s", err ? err : "?");
		free(err);
		stats_free(s);
		agent_lost(a, why);
		return;
	}
	if (s->interval < 1000000) {
		const struct stats_counter *c = stats_find_counter(s, "requests");
		double secs = s->interval_us > 0 ? (double)s->interval_us / 1e6
						 : (double)r->plan->interval_us / 1e6;

		if (s->interval >= a->ngot) {
			size_t n = a->ngot ? a->ngot : 64;
			bool *g;

			while (n <= s->interval)
				n *= 2;
			g = realloc(a->got, n * sizeof(*g));
			if (g) {
				memset(g + a->ngot, 0, (n - a->ngot) * sizeof(*g));
				a->got = g;
				a->ngot = n;
			}
		}
		if (s->interval < a->ngot)
			a->got[s->interval] = true;
		if ((int64_t)s->interval > a->last_iv)
			a->last_iv = s->interval;
		if (c && secs > 0 && (double)c->value / secs > a->max_rate)
			a->max_rate = (double)c->value / secs;
	}
	if (merge_add(r->merge, a->index, s, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "merge failed");
		free(err);
	}
}

static void on_log_frame(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	const char *lvl = j ? json_string_value(json_object_get(j, "level")) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;

	if (!lvl)
		lvl = "info";
	agent_log(a, "%s: %s", lvl, msg ? msg : "(malformed LOG frame)");
	if (!r->o->quiet && msg &&
	    (strcmp(lvl, "error") == 0 || (strcmp(lvl, "warning") == 0) || r->o->verbose))
		live_event(stderr, elapsed_s(r), "agent %s: %s: %s", a->id, lvl, msg);
	json_decref(j);
}

static void on_error_frame(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	char why[1024];

	snprintf(why, sizeof(why), "%s", msg ? msg : "(malformed ERROR frame)");
	json_decref(j);
	agent_log(a, "ERROR: %s", why);
	if (r->phase == PHASE_SETUP)
		setup_fail(r, "agent %s: %s", a->id, why);
	else
		agent_lost(a, why);
}

static void handle_frame(struct run_agent *a, int type, const uint8_t *p, size_t len)
{
	struct run *r = a->run;

	if (a->lost || r->phase == PHASE_OVER)
		return;
	if (!a->hello && type != WIRE_HELLO && type != WIRE_LOG && type != WIRE_ERROR) {
		if (r->phase == PHASE_SETUP)
			setup_fail(r, "agent %s: sent %s before HELLO", a->id,
				   wire_type_name(type));
		return;
	}
	switch (type) {
	case WIRE_HELLO:
		if (!a->hello)
			on_hello(a, (const char *)p, len);
		break;
	case WIRE_READY:
		on_ready(a, (const char *)p, len);
		break;
	case WIRE_PONG:
		on_pong(a, (const char *)p, len);
		break;
	case WIRE_STATS:
		on_stats(a, p, len);
		break;
	case WIRE_HEARTBEAT:
		break; /* on_link_data has already counted the link as alive */
	case WIRE_DONE:
		agent_log(a, "DONE: %.*s", (int)(len > 200 ? 200 : len), (const char *)p);
		if (r->phase == PHASE_SETUP) {
			setup_fail(r, "agent %s finished before the run started", a->id);
			break;
		}
		a->done = true;
		merge_agent_gone(r->merge, a->index);
		break;
	case WIRE_LOG:
		on_log_frame(a, (const char *)p, len);
		break;
	case WIRE_ERROR:
		on_error_frame(a, (const char *)p, len);
		break;
	default:
		if (r->phase == PHASE_SETUP)
			setup_fail(r, "agent %s: unexpected %s frame", a->id, wire_type_name(type));
		else
			agent_lost(a, "unexpected frame from the agent");
		break;
	}
}

static void on_link_data(struct agent_link *l, const void *data, size_t len, void *arg)
{
	struct run_agent *a = arg;
	struct run *r = a->run;
	const uint8_t *p;
	size_t plen;
	char *err = NULL;
	int type, rc;

	if (a->lost)
		return;
	a->silent_us = 0;
	if (wire_reader_feed(&a->rd, data, len) < 0) {
		agent_lost(a, "too much unread data from the agent");
		return;
	}
	while ((rc = wire_reader_next(&a->rd, &type, &p, &plen, &err)) == 1) {
		handle_frame(a, type, p, plen);
		if (a->lost || r->phase == PHASE_OVER)
			return;
	}
	if (rc < 0) {
		char why[512];

		snprintf(why, sizeof(why), "corrupt stream from the agent: %s", err ? err : "?");
		free(err);
		if (r->phase == PHASE_SETUP)
			setup_fail(r, "agent %s: %s", a->id, why);
		else
			agent_lost(a, why);
	}
}

static void on_link_log(struct agent_link *l, const char *line, size_t len, void *arg)
{
	struct run_agent *a = arg;

	if (a->log) {
		fwrite(line, 1, len, a->log);
		fputc('\n', a->log);
		fflush(a->log);
	}
	if (a->run->o->verbose > 1) {
		fprintf(stderr, "%s: %.*s\n", a->id, (int)len, line);
	} else if (a->run->o->verbose == 1 && !a->run->o->quiet) {
		/* -v: the agent's warnings and errors (common/log.c writes them as "barrage-agent:
		 * warning: ..."), on the live output like the controller's own events; -vv copies
		 * every line. */
		static const char *const levels[] = {"barrage-agent: warning: ",
						     "barrage-agent: error: "};

		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			size_t pl = strlen(levels[i]);

			if (len >= pl && memcmp(line, levels[i], pl) == 0) {
				live_event(stderr, elapsed_s(a->run), "agent %s: %.*s", a->id,
					   (int)(len - strlen("barrage-agent: ")),
					   line + strlen("barrage-agent: "));
				break;
			}
		}
	}
}

static void on_link_close(struct agent_link *l, const char *why, void *arg)
{
	struct run_agent *a = arg;
	struct run *r = a->run;

	a->closed = true;
	agent_log(a, "link closed: %s", why ? why : "exit status 0");
	if (r->phase == PHASE_SETUP) {
		setup_fail(r, "agent %s %s before the run started (see its log in agents/)", a->id,
			   why ? why : "exited");
		return;
	}
	if (!a->done && !a->lost) {
		if (a->stop_sent && !why) {
			/* Asked to stop and exited cleanly: finished, even without DONE. */
			a->done = true;
			merge_agent_gone(r->merge, a->index);
		} else {
			agent_lost(a, why ? why : "link closed without DONE");
		}
	}
	finish_if_settled(r);
}

/* ---- timers and signals ---- */

static void send_heartbeats(struct run *r, int64_t now)
{
	char t[64];
	struct buf b;
	size_t i;

	if (now - r->last_heartbeat_us < RUN_HEARTBEAT_US)
		return;
	r->last_heartbeat_us = now;
	snprintf(t, sizeof(t), "{\"t\":%lld}", (long long)(now / 1000));
	buf_init(&b, 0);
	if (wire_frame(&b, WIRE_HEARTBEAT, t, strlen(t)) == 0)
		for (i = 0; i < r->n; i++) {
			struct run_agent *a = &r->agents[i];

			if (a->link && !a->closed && !a->lost)
				(void)link_write(a->link, b.data, b.len);
		}
	buf_free(&b);
}

/* ---- the live dashboard (controller/dashboard.c) ---- */

static void dashboard_tick(struct run *r)
{
	char ph[64];

	if (!r->dash)
		return;
	switch (r->phase) {
	case PHASE_SETUP:
		snprintf(ph, sizeof(ph), "setup");
		break;
	case PHASE_RUNNING:
		live_phase(r->plan, elapsed_s(r), ph, sizeof(ph));
		if (r->ctl.paused)
			snprintf(ph, sizeof(ph), "paused");
		break;
	case PHASE_STOPPING:
		snprintf(ph, sizeof(ph), "stopping");
		break;
	default:
		snprintf(ph, sizeof(ph), "over");
		break;
	}
	dashboard_set_phase(r->dash, ph, elapsed_s(r));
}

static void on_rundir_event(void *arg, double t, const char *agent, const char *what,
			    const char *detail)
{
	dashboard_event(((struct run *)arg)->dash, t, agent, what, detail);
}

#include "controller/run_control.inc"

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int64_t now = clock_mono_us();
	int64_t interval = r->plan->interval_us > 0 ? r->plan->interval_us : 10000000;
	int64_t step = r->last_tick_us ? now - r->last_tick_us : RUN_TICK_US;
	int64_t timeout = r->plan->agents.link_timeout_us > 0 ? r->plan->agents.link_timeout_us
							      : PLAN_LINK_TIMEOUT_US;
	bool stalled = step > RUN_STALL_US;
	size_t i;

	r->last_tick_us = now;
	if (stalled) {
		/* We were not running (SIGSTOP, a starved machine): that time is nobody's silence,
		 * and our own deadlines move with it. Input that waited meanwhile is read before
		 * the next tick judges anyone. */
		/* Said only for a real pause: a loaded machine is often a second late. */
		if (!r->o->quiet && r->phase == PHASE_RUNNING && step > RUN_PAUSE_NOTICE_US)
			live_event(stderr, elapsed_s(r),
				   "the controller did not run for %.1f s: reading what the agents "
				   "sent meanwhile",
				   (double)step / 1e6);
		if (r->phase == PHASE_RUNNING && step > RUN_PAUSE_NOTICE_US)
			rundir_write_event(r->dir, elapsed_s(r), NULL, "notice",
					   "the controller was paused; agents kept running");
		r->setup_deadline_us += step;
		r->stop_deadline_us += step;
		step = 0;
	}
	for (i = 0; i < r->n; i++)
		r->agents[i].silent_us += step;
	send_heartbeats(r, now);
	dashboard_tick(r);
	if (stalled)
		return;

	switch (r->phase) {
	case PHASE_SETUP:
		if (now > r->setup_deadline_us) {
			struct buf miss;

			buf_init(&miss, 1 << 16);
			for (i = 0; i < r->n; i++) {
				struct run_agent *a = &r->agents[i];

				if (a->pings >= RUN_PINGS)
					continue;
				buf_printf(&miss, "%s%s (%s)", miss.len ? ", " : "", a->id,
					   !a->hello   ? "no HELLO"
					   : !a->ready ? "no READY"
						       : "no PONG");
			}
			setup_fail(r, "agents not ready after %.0fs: %s",
				   (double)(r->o->ready_timeout_us > 0 ? r->o->ready_timeout_us
								       : RUN_DEFAULT_READY_US) /
				       1e6,
				   miss.data ? miss.data : "?");
			buf_free(&miss);
		}
		break;
	case PHASE_RUNNING:
		for (i = 0; i < r->n; i++) {
			struct run_agent *a = &r->agents[i];

			if (a->done || a->lost || a->closed || now < r->start_us)
				continue;
			if (a->silent_us > timeout) {
				char why[160];

				snprintf(why, sizeof(why),
					 "nothing on its link for %.1f s (agents.link_timeout)",
					 (double)a->silent_us / 1e6);
				agent_lost(a, why);
			}
		}
		if (r->phase != PHASE_RUNNING)
			break;
		/* An interval still open half an interval (at least 0.5 s) after it ended goes out
		 * without the laggard, so the live line keeps its pace; the laggard's numbers
		 * follow as a late record. A slow agent is not a lost one (its heartbeats say it is
		 * there), so its intervals are merged, never dropped. */
		{
			int64_t delay =
			    interval / 2 > RUN_FLUSH_MIN_US ? interval / 2 : RUN_FLUSH_MIN_US;

			if (now > r->start_us + interval + delay)
				merge_flush_before(
				    r->merge, (uint32_t)((now - r->start_us - delay) / interval));
		}
		if (now > r->end_due_us)
			stop_all(r, "completed", 0);
		break;
	case PHASE_STOPPING:
		if (now > r->stop_deadline_us) {
			for (i = 0; i < r->n; i++) {
				struct run_agent *a = &r->agents[i];

				if (a->closed)
					continue;
				if (!a->done)
					agent_lost(a, "did not stop in time: killed");
				if (a->link)
					a->link->ops->kill(a->link);
			}
			/* Links that do not report their end (a dead SSH session) must not hold the
			 * run: give them two more seconds, then end anyway. */
			if (now > r->stop_deadline_us + 2000000) {
				r->phase = PHASE_OVER;
				event_base_loopexit(r->base, NULL);
			}
		}
		break;
	case PHASE_OVER:
		break;
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;
	size_t i;

	r->interrupts++;
	if (r->phase == PHASE_SETUP) {
		setup_fail(r, "interrupted (%s) before the run started", strsignal((int)sig));
		r->reason = "interrupted";
		return;
	}
	if (r->interrupts == 1 && r->phase == PHASE_RUNNING) {
		rundir_write_event(r->dir, elapsed_s(r), NULL, "interrupted", strsignal((int)sig));
		if (!r->o->quiet)
			live_event(stderr, elapsed_s(r),
				   "interrupted: stopping the agents (again to kill them)");
		stop_all(r, "interrupted", 3);
		return;
	}
	/* Second signal: no more waiting. */
	for (i = 0; i < r->n; i++)
		if (r->agents[i].link && !r->agents[i].closed)
			r->agents[i].link->ops->kill(r->agents[i].link);
	if (r->exit_code < 3)
		r->exit_code = 3;
	r->reason = "interrupted";
	r->stop_deadline_us = 0;
	if (r->phase == PHASE_RUNNING)
		r->phase = PHASE_STOPPING;
}

/* ---- the target ---- */

int run_target_hostport(const char *url, char *host, size_t hsize, char *port, size_t psize,
			char **err)
{
	const char *p, *end, *hs, *he, *colon = NULL;
	const char *defport;

	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		defport = "80";
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		defport = "443";
	} else {
		return err_set(err, "target '%s' is not an http:// or https:// URL", url);
	}
	end = p + strcspn(p, "/?#");
	{
		const char *at = memchr(p, '@', (size_t)(end - p));

		if (at)
			p = at + 1;
	}
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(end - hs));
		if (!he)
			return err_set(err, "target '%s': unterminated [IPv6 address]", url);
		if (he + 1 < end && he[1] == ':')
			colon = he + 1;
	} else {
		hs = p;
		colon = memchr(p, ':', (size_t)(end - p));
		he = colon ? colon : end;
	}
	if (he == hs)
		return err_set(err, "target '%s' has no host", url);
	if ((size_t)(he - hs) >= hsize)
		return err_set(err, "target '%s': host name too long", url);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (colon) {
		const char *ps = colon + 1;
		size_t n = (size_t)(end - ps);
		size_t i;

		if (n == 0 || n >= psize || n > 5)
			return err_set(err, "target '%s': bad port", url);
		for (i = 0; i < n; i++)
			if (ps[i] < '0' || ps[i] > '9')
				return err_set(err, "target '%s': bad port", url);
		memcpy(port, ps, n);
		port[n] = '\0';
		if (strtol(port, NULL, 10) < 1 || strtol(port, NULL, 10) > 65535)
			return err_set(err, "target '%s': port out of range", url);
	} else {
		snprintf(port, psize, "%s", defport);
	}
	return 0;
}

int run_check_target(const char *url, int timeout_ms, char **err)
{
	char host[256], port[16];
	struct addrinfo hints, *res = NULL, *ai;
	char last[256] = "no address";
	int rc = -1, g;

	if (run_target_hostport(url, host, sizeof(host), port, sizeof(port), err) < 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	g = getaddrinfo(host, port, &hints, &res);
	if (g != 0)
		return err_set(err, "target %s: cannot resolve %s: %s", url, host, gai_strerror(g));
	for (ai = res; ai && rc < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		struct pollfd pfd;
		int soerr = 0, pr;
		socklen_t sl = sizeof(soerr);

		if (fd < 0) {
			snprintf(last, sizeof(last), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			rc = 0;
		} else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				pr = poll(&pfd, 1, timeout_ms);
			while (pr < 0 && errno == EINTR);
			if (pr == 0)
				snprintf(last, sizeof(last), "no answer within %d ms", timeout_ms);
			else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				snprintf(last, sizeof(last), "%s", strerror(errno));
			else if (soerr != 0)
				snprintf(last, sizeof(last), "%s", strerror(soerr));
			else
				rc = 0;
		} else {
			snprintf(last, sizeof(last), "%s", strerror(errno));
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (rc < 0)
		err_set(err, "target %s is unreachable: connect to %s port %s: %s", url, host, port,
			last);
	return rc;
}

/* ---- setting up ---- */

static uint32_t cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 1024 ? 1024 : (uint32_t)n;
}

/* Fill r->agents from --hosts / agents.hosts / agents.hosts_file, or local agents. */
static int pick_agents(struct run *r, struct plan_host **hosts_out, size_t *nhosts_out, char **err)
{
	const struct run_options *o = r->o;
	struct plan *p = r->plan;
	struct plan_host *hosts = NULL;
	size_t nhosts = 0, i, total = 0;
	bool own_hosts = false;
	int rc = -1;

	*hosts_out = NULL;
	*nhosts_out = 0;
	if (o->hosts_file) {
		if (hosts_file_read(o->hosts_file, &hosts, &nhosts, err) < 0)
			goto out;
		own_hosts = true;
	} else if (p->agents.nhosts > 0) {
		hosts = p->agents.hosts;
		nhosts = p->agents.nhosts;
	} else if (p->agents.hosts_file) {
		if (hosts_file_read(p->agents.hosts_file, &hosts, &nhosts, err) < 0)
			goto out;
		own_hosts = true;
	}
	if (o->hosts_file && o->local) {
		err_set(err, "--local and --hosts cannot be used together");
		goto out;
	}
	if (nhosts > 0) {
		for (i = 0; i < nhosts; i++)
			total += hosts[i].agents ? hosts[i].agents : 1;
		r->agents = calloc(total, sizeof(*r->agents));
		if (!r->agents) {
			err_set(err, "out of memory");
			goto out;
		}
		r->n = 0;
		for (i = 0; i < nhosts; i++) {
			unsigned k, na = hosts[i].agents ? hosts[i].agents : 1;

			for (k = 0; k < na; k++) {
				struct run_agent *a = &r->agents[r->n];
				const char *user = hosts[i].user ? hosts[i].user : getenv("USER");
				int port = hosts[i].port ? hosts[i].port : 22;
				int n;

				if (port == 22)
					n = asprintf(&a->id, "%s@%s#%u", user ? user : "barrage",
						     hosts[i].host, k + 1);
				else
					n = asprintf(&a->id, "%s@%s:%d#%u", user ? user : "barrage",
						     hosts[i].host, port, k + 1);
				a->host = strdup(hosts[i].host);
				if (n < 0 || !a->host) {
					err_set(err, "out of memory");
					goto out;
				}
				a->host_index = i;
				a->slot = k;
				a->sa.weight = hosts[i].weight > 0 ? hosts[i].weight : 1;
				r->n++;
			}
		}
	} else {
		uint32_t n = o->local ? o->local : p->agents.local;

		if (n == 0) {
			/* One per core by default, but no more than the load can keep busy. */
			uint32_t cap = split_max_agents(p);

			n = cpu_count();
			if (n > cap)
				n = cap;
		}
		if (n > 1024) {
			err_set(err, "%u local agents: at most 1024", n);
			goto out;
		}
		r->agents = calloc(n, sizeof(*r->agents));
		if (!r->agents) {
			err_set(err, "out of memory");
			goto out;
		}
		for (r->n = 0; r->n < n; r->n++) {
			struct run_agent *a = &r->agents[r->n];

			if (asprintf(&a->id, "local-%zu", r->n + 1) < 0 ||
			    !(a->host = strdup("localhost"))) {
				err_set(err, "out of memory");
				goto out;
			}
			a->sa.weight = 1;
		}
	}
	for (i = 0; i < r->n; i++) {
		r->agents[i].run = r;
		r->agents[i].index = i;
		r->agents[i].sa.id = r->agents[i].id;
		r->agents[i].sa.host = r->agents[i].host;
		r->agents[i].last_iv = -1;
		wire_reader_init(&r->agents[i].rd);
	}
	if (own_hosts) {
		*hosts_out = hosts;
		*nhosts_out = nhosts;
		hosts = NULL;
	} else if (nhosts > 0) {
		/* The plan owns them; hand back a view. */
		*hosts_out = NULL;
		*nhosts_out = nhosts;
	}
	rc = 0;
out:
	if (own_hosts && hosts)
		hosts_free(hosts, nhosts);
	return rc;
}

/* Point an agent plan's file paths at the copies uploaded to its host. */
static int rewrite_remote_paths(struct run *r, struct run_agent *a, char **err)
{
	struct plan *p = a->plan;
	char **paths[4] = {&p->http.tls_ca, &p->http.tls_cert, &p->http.tls_key, NULL};
	size_t i;

	for (i = 0; i < p->ndata; i++) {
		const char *rp = ssh_fleet_remote_path(r->fleet, a->host_index, p->data[i].file);
		char *dup;

		if (!rp)
			return err_set(err, "data file %s was not uploaded to %s", p->data[i].file,
				       a->host);
		dup = strdup(rp);
		if (!dup)
			return err_set(err, "out of memory");
		free(p->data[i].file);
		p->data[i].file = dup;
	}
	for (i = 0; paths[i]; i++) {
		const char *rp;
		char *dup;

		if (!*paths[i])
			continue;
		rp = ssh_fleet_remote_path(r->fleet, a->host_index, *paths[i]);
		if (!rp)
			return err_set(err, "file %s was not uploaded to %s", *paths[i], a->host);
		dup = strdup(rp);
		if (!dup)
			return err_set(err, "out of memory");
		free(*paths[i]);
		*paths[i] = dup;
	}
	return 0;
}

/* Hosts that failed their preflight (allow_failed) count against agents.max_lost: too many,
 * and the run does not start; else their agents are left out and the load is split again over
 * the others, which the user is told plainly (and stats.log records). */
static int drop_failed_hosts(struct run *r, const struct plan_host *hosts, size_t nhosts,
			     char **err)
{
	struct buf msg;
	size_t i, k, nfailed = 0, lost = 0, before = r->n;
	struct split_agent *sa = NULL;
	struct plan **plans = NULL;
	int rc = -1;

	buf_init(&msg, 1 << 20);
	for (i = 0; i < nhosts; i++) {
		const char *e = ssh_fleet_host_error(r->fleet, i);

		if (!e)
			continue;
		nfailed++;
		for (k = 0; k < r->n; k++)
			lost += r->agents[k].host_index == i;
		if (hosts[i].port && hosts[i].port != 22)
			buf_printf(&msg, "\n  %s%s%s:%d: %s", hosts[i].user ? hosts[i].user : "",
				   hosts[i].user ? "@" : "", hosts[i].host, hosts[i].port, e);
		else
			buf_printf(&msg, "\n  %s%s%s: %s", hosts[i].user ? hosts[i].user : "",
				   hosts[i].user ? "@" : "", hosts[i].host, e);
	}
	if (nfailed == 0) {
		rc = 0;
		goto out;
	}
	if (lost > r->plan->agents.max_lost || lost >= r->n) {
		err_set(err,
			"SSH: %zu of %zu host%s could not be prepared (%zu agent%s, more than "
			"agents.max_lost %u):%s",
			nfailed, nhosts, nhosts == 1 ? "" : "s", lost, lost == 1 ? "" : "s",
			r->plan->agents.max_lost, msg.data);
		goto out;
	}
	for (i = 0, k = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		if (ssh_fleet_host_error(r->fleet, a->host_index)) {
			wire_reader_free(&a->rd);
			plan_free(a->plan);
			free(a->id);
			free(a->host);
			continue;
		}
		r->agents[k] = *a;
		r->agents[k].index = k;
		r->agents[k].sa.id = r->agents[k].id;
		r->agents[k].sa.host = r->agents[k].host;
		k++;
	}
	r->n = k;
	r->nleft_out = (unsigned)lost;
	/* The merger was made for every agent: make it again for the ones that run. */
	merge_free(r->merge);
	r->merge = merge_new(r->n, on_merged, r);
	sa = calloc(r->n, sizeof(*sa));
	if (!r->merge || !sa) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		sa[i] = r->agents[i].sa;
		plan_free(r->agents[i].plan);
		r->agents[i].plan = NULL;
	}
	if (split_plan(r->plan, sa, r->n, &plans, err) < 0)
		goto out;
	for (i = 0; i < r->n; i++)
		r->agents[i].plan = plans[i];
	if (rundir_write_plan(r->dir, r->plan, plans, sa, r->n, err) < 0)
		goto out;
	free(r->preflight_note);
	if (asprintf(&r->preflight_note,
		     "%zu of %zu host%s failed the preflight and %s left out (%zu of %zu agents, "
		     "agents.max_lost %u): the load is split again over the other %zu agent%s, "
		     "which now do all of it:%s",
		     nfailed, nhosts, nhosts == 1 ? "" : "s", nfailed == 1 ? "is" : "are", lost,
		     before, r->plan->agents.max_lost, r->n, r->n == 1 ? "" : "s", msg.data) < 0)
		r->preflight_note = NULL;
	fprintf(stderr, "barrage: warning: %s\n",
		r->preflight_note ? r->preflight_note : "hosts left out");
	rc = 0;
out:
	free(plans);
	free(sa);
	buf_free(&msg);
	return rc;
}

static int open_links(struct run *r, const struct plan_host *hosts, size_t nhosts, char **err)
{
	size_t i;

	if (nhosts > 0) {
		struct ssh_options so;
		const char *files[64];
		size_t nfiles = 0;
		const struct plan *p = r->plan;

		memset(&so, 0, sizeof(so));
		so.known_hosts = r->o->known_hosts;
		so.identity = r->o->identity;
		so.accept_new_host_keys = r->o->accept_new_host_keys;
		so.push_agent = r->o->push_agent;
		so.remote_agent = r->o->remote_agent;
		so.keep_remote = r->o->keep_remote;
		so.connect_timeout_ms = 5000;
		/* The SSH transport gives up a little after the run would: the run's own verdict,
		 * with its reason, comes first. */
		so.dead_after_ms = (int)(r->plan->agents.link_timeout_us / 1000) + 1000;
		so.quiet = r->o->quiet;
		for (i = 0; i < p->ndata && nfiles < 60; i++)
			files[nfiles++] = p->data[i].file;
		if (p->http.tls_ca)
			files[nfiles++] = p->http.tls_ca;
		if (p->http.tls_cert)
			files[nfiles++] = p->http.tls_cert;
		if (p->http.tls_key)
			files[nfiles++] = p->http.tls_key;
		so.allow_failed = r->plan->agents.max_lost > 0;
		if (ssh_fleet_open(r->base, hosts, nhosts, &so, files, nfiles, &r->fleet, err) < 0)
			return -1;
		if (drop_failed_hosts(r, hosts, nhosts, err) < 0)
			return -1;
		for (i = 0; i < r->n; i++) {
			struct run_agent *a = &r->agents[i];

			if (rewrite_remote_paths(r, a, err) < 0)
				return -1;
			if (ssh_fleet_start_agent(r->fleet, a->host_index, a->slot, &a->link, err) <
			    0)
				return err_prefix(err, "agent %s", a->id);
		}
	} else {
		char path[PATH_MAX];

		if (local_agent_path(path, sizeof(path), err) < 0)
			return -1;
		for (i = 0; i < r->n; i++)
			if (local_agent_start(r->base, path, r->agents[i].id, &r->agents[i].link,
					      err) < 0)
				return -1;
	}
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		a->link->on_data = on_link_data;
		a->link->on_close = on_link_close;
		a->link->on_log = on_link_log;
		a->link->arg = a;
		a->log = rundir_agent_log(r->dir, a->id);
		if (!a->log)
			return err_set(err, "%s/agents: cannot create the log of agent %s",
				       r->dir->path, a->id);
		if (nhosts == 0)
			agent_log(a, "started barrage-agent, pid %ld",
				  (long)local_agent_pid(a->link));
	}
	return 0;
}

static int setup_aborts(struct run *r, char **err)
{
	const struct plan *p = r->plan;
	size_t i;

	for (i = 0; i < p->nthresholds; i++) {
		if (!p->thresholds[i].abort_on_fail)
			continue;
		if (!r->aborts) {
			r->aborts = calloc(p->nthresholds, sizeof(*r->aborts));
			r->abort_idx = calloc(p->nthresholds, sizeof(*r->abort_idx));
			r->total = stats_new();
			if (!r->aborts || !r->abort_idx || !r->total)
				return err_set(err, "out of memory");
		}
		if (threshold_parse(p->thresholds[i].metric, p->thresholds[i].condition,
				    &r->aborts[r->naborts], err, NULL) < 0)
			return err_prefix(err, "%s:%d:%d", p->source ? p->source : r->o->scenario,
					  p->thresholds[i].pos.line, p->thresholds[i].pos.col);
		r->abort_idx[r->naborts++] = i;
	}
	return 0;
}

static void write_fail_records(struct run *r)
{
	char *err = NULL;

	if (!r->dir)
		return;
	if (!r->header_written) {
		struct statslog_agent *ra = calloc(r->n ? r->n : 1, sizeof(*ra));
		size_t i;

		for (i = 0; ra && i < r->n; i++) {
			ra[i].id = r->agents[i].id;
			ra[i].host = r->agents[i].host;
			ra[i].fraction = r->agents[i].plan ? r->agents[i].plan->share.fraction : 0;
			ra[i].cpus = r->agents[i].cpus;
		}
		if (ra && rundir_write_header(r->dir, r->plan, r->o->scenario, clock_wall_ms(), ra,
					      r->n, &err) == 0)
			r->header_written = true;
		free(err);
		free(ra);
	}
	rundir_write_event(r->dir, 0, NULL, "notice", r->fail ? r->fail : "run failed");
	rundir_write_end(r->dir, clock_wall_ms(), 0, r->reason ? r->reason : "error", r->exit_code);
}

/* scenario.yaml in the run directory: the file as run, after a comment listing the --set
 * overrides. */
static int copy_scenario(struct run *r, char **err)
{
	struct buf pre;
	size_t i;
	int rc;

	buf_init(&pre, (size_t)1 << 20);
	if (r->o->nov > 0 && buf_append_str(&pre, "# barrage run with overrides:\n") < 0)
		goto oom;
	for (i = 0; i < r->o->nov; i++)
		if (buf_printf(&pre, "#   --set %s=%s\n", r->o->ov[i].path, r->o->ov[i].value) < 0)
			goto oom;
	rc = rundir_copy_scenario(r->dir, r->o->scenario, pre.data, err);
	buf_free(&pre);
	return rc;
oom:
	buf_free(&pre);
	return err_set(err, "out of memory");
}

int run_main(const struct run_options *o)
{
	struct run run, *r = &run;
	struct plan_host *own_hosts = NULL;
	size_t nhosts = 0, i;
	struct plan **plans = NULL;
	char *err = NULL;
	int code = 4;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->reason = "completed";
	/* SIGPIPE is ignored by main() for every command. */

	if (scenario_load(o->scenario, o->ov, o->nov, &r->plan, &err) < 0) {
		err_print_lines(stderr, "barrage", err ? err : "cannot load the scenario");
		code = 2;
		goto out;
	}
	if (setup_aborts(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
		code = 2;
		goto out;
	}
	if (pick_agents(r, &own_hosts, &nhosts, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "cannot pick the agents");
		code = 2;
		goto out;
	}
	{
		struct split_agent *sa = calloc(r->n, sizeof(*sa));

		for (i = 0; sa && i < r->n; i++)
			sa[i] = r->agents[i].sa;
		if (!sa || split_plan(r->plan, sa, r->n, &plans, &err) < 0) {
			free(sa);
			fprintf(stderr, "barrage: %s: %s\n", o->scenario,
				err ? err : "out of memory");
			code = 2;
			goto out;
		}
		for (i = 0; i < r->n; i++)
			r->agents[i].plan = plans[i];
		free(sa);
	}
	/* The target must answer before any load is sent. From a fleet the controller may not
	 * see it (private networks), so there it is only a warning. */
	{
		int64_t ct = r->plan->http.connect_timeout_us > 0 ? r->plan->http.connect_timeout_us
								  : 3000000;

		if (r->plan->target &&
		    run_check_target(r->plan->target, (int)(ct / 1000), &err) < 0) {
			if (nhosts == 0) {
				fprintf(stderr, "barrage: %s\n", err);
				code = 3;
				goto out;
			}
			if (!o->quiet)
				fprintf(stderr,
					"barrage: warning: %s (from this machine; the agents "
					"may still reach it)\n",
					err);
			free(err);
			err = NULL;
		}
	}
	if (rundir_create(o->runs_root, o->out, r->plan->name, &r->dir, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		code = 2;
		goto out;
	}
	if (copy_scenario(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		code = 4;
		goto out;
	}
	{
		struct split_agent *sa = calloc(r->n, sizeof(*sa));

		for (i = 0; sa && i < r->n; i++)
			sa[i] = r->agents[i].sa;
		if (!sa || rundir_write_plan(r->dir, r->plan, plans, sa, r->n, &err) < 0) {
			free(sa);
			fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
			code = 4;
			goto out;
		}
		free(sa);
	}
	r->merge = merge_new(r->n, on_merged, r);
	r->base = event_base_new();
	if (!r->merge || !r->base) {
		fprintf(stderr, "barrage: out of memory\n");
		code = 4;
		goto out;
	}
	r->tick = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	r->sigint = evsignal_new(r->base, SIGINT, on_signal, r);
	r->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r);
	if (!r->tick || !r->sigint || !r->sigterm || evsignal_add(r->sigint, NULL) < 0 ||
	    evsignal_add(r->sigterm, NULL) < 0) {
		fprintf(stderr, "barrage: cannot set up the event loop\n");
		code = 4;
		goto out;
	}
	{
		struct timeval tv = {0, RUN_TICK_US};

		event_add(r->tick, &tv);
	}
	if ((o->dashboard && run_dashboard_open(r, &err) < 0) || run_export_open(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		code = 2;
		goto out;
	}
	{
		/* Watched hosts answer once before any agent starts (docs/monitor.md). Ctrl-C
		 * during that wait ends the run as an interruption before the start. */
		struct monitor_options mo = {
		    .hosts_file = o->monitor_file,
		    .optional = o->monitor_optional || r->plan->monitor.optional,
		    .known_hosts = o->known_hosts,
		    .identity = o->identity,
		    .accept_new_host_keys = o->accept_new_host_keys,
		    .quiet = o->quiet,
		    .run_us = plan_load_duration_us(r->plan) + r->plan->grace_us,
		};

		r->setup_deadline_us = INT64_MAX; /* the agents' clock starts after this */
		if (monitor_open(r->base, r->plan, &mo, &r->mon, &err) < 0 || r->fail) {
			if (!r->fail) {
				r->fail = err;
				r->exit_code = 3;
				r->reason = "error";
			} else {
				free(err);
			}
			err = NULL;
			fprintf(stderr, "barrage: %s\n", r->fail ? r->fail : "monitor failed");
			write_fail_records(r);
			code = 3;
			goto out;
		}
	}
	r->phase = PHASE_SETUP;
	r->setup_deadline_us =
	    clock_mono_us() + (o->ready_timeout_us > 0 ? o->ready_timeout_us : RUN_DEFAULT_READY_US);
	if (open_links(r, own_hosts ? own_hosts : r->plan->agents.hosts, nhosts, &err) < 0) {
		if (!r->fail)
			r->fail = err;
		else
			free(err);
		err = NULL;
		r->exit_code = 3;
		r->reason = "error";
		r->phase = PHASE_OVER;
	} else if (r->phase != PHASE_OVER) {
		/* The readiness clock starts once the links exist (SSH setup has its own
		 * timeouts); a signal during that setup has already ended the run. */
		r->setup_deadline_us =
		    clock_mono_us() +
		    (o->ready_timeout_us > 0 ? o->ready_timeout_us : RUN_DEFAULT_READY_US);
		event_base_dispatch(r->base);
	}

	if (r->fail) {
		/* Nothing ran: say why, leave a stats.log that says so too. */
		for (i = 0; i < r->n; i++)
			if (r->agents[i].link)
				r->agents[i].link->ops->kill(r->agents[i].link);
		fprintf(stderr, "barrage: %s\n", r->fail);
		write_fail_records(r);
		code = 3;
		goto out;
	}
	merge_flush_all(r->merge);
	{
		double dur = (double)(clock_mono_us() - r->start_us) / 1e6;
		struct reports_result res;

		if (r->exit_code == 0 && r->nlost > 0 &&
		    r->nlost + r->nleft_out > r->plan->agents.max_lost)
			r->exit_code = 3;
		monitor_stop(r->mon);
		run_export_close(r);
		rundir_write_end(r->dir, clock_wall_ms(), dur, r->reason, r->exit_code);
		memset(&res, 0, sizeof(res));
		/* Close agent logs and links before the reports: the run is over. */
		for (i = 0; i < r->n; i++) {
			if (r->agents[i].link) {
				r->agents[i].link->ops->free(r->agents[i].link);
				r->agents[i].link = NULL;
			}
		}
		ssh_fleet_close(r->fleet);
		r->fleet = NULL;
		fflush(stderr);
		if (reports_build(r->dir->path, false, &res, &err) < 0) {
			fprintf(stderr, "barrage: %s: %s\n", r->dir->path,
				err ? err : "reports failed");
			code = r->exit_code ? r->exit_code : 4;
			goto out;
		}
		if (!o->quiet && reports_print_summary(r->dir->path, &err) < 0) {
			fprintf(stderr, "barrage: %s\n", err ? err : "cannot print the summary");
			free(err);
			err = NULL;
		}
		code = r->exit_code;
		if (code == 0 && res.thresholds_failed > 0)
			code = 1;
		if (strcmp(r->reason, "interrupted") == 0)
			fprintf(stderr, "barrage: run interrupted; partial results in %s\n",
				r->dir->path);
		else if (strcmp(r->reason, "agents_lost") == 0)
			fprintf(stderr,
				"barrage: run stopped: agents lost; partial results in %s\n",
				r->dir->path);
		else if (!o->quiet)
			fprintf(stderr, "barrage: results in %s\n", r->dir->path);
		run_dashboard_linger(r);
	}
out:
	/* Closing the monitor's SSH sessions runs the loop: the run's own events must still find
	 * the agents they point at. */
	monitor_free(r->mon);
	r->mon = NULL;
	if (r->dir)
		r->dir->on_event = NULL;
	dashboard_free(r->dash);
	r->dash = NULL;
	export_close(r->exp, 0, NULL);
	r->exp = NULL;
	for (i = 0; r->agents && i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		if (a->link)
			a->link->ops->free(a->link);
		if (a->log)
			fclose(a->log);
		wire_reader_free(&a->rd);
		free(a->got);
		plan_free(a->plan);
		free(a->id);
		free(a->host);
	}
	free(plans);
	free(r->agents);
	ssh_fleet_close(r->fleet);
	hosts_free(own_hosts, nhosts);
	if (r->tick)
		event_free(r->tick);
	if (r->sigint)
		event_free(r->sigint);
	if (r->sigterm)
		event_free(r->sigterm);
	if (r->base)
		event_base_free(r->base);
	merge_free(r->merge);
	stats_free(r->total);
	free(r->aborts);
	free(r->abort_idx);
	rundir_close(r->dir);
	plan_free(r->plan);
	free(r->preflight_note);
	free(r->fail);
	free(err);
	return code;
}
