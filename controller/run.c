/* The run driver (see run.h; the parts of a run are listed in run_state.h).
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
 * report.html and the threshold verdicts from stats.log (run_end.c).
 *
 * run_main is that story as a sequence of stages: plan the run (scenario, abort thresholds,
 * placement, split), probe the target, create the run directory, prepare the event loop, open
 * what watches the run (dashboard, export, monitor), drive the agents, end. */
#include "controller/run.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/wire.h"
#include "controller/dashboard.h"
#include "controller/export.h"
#include "controller/live.h"
#include "controller/merge.h"
#include "controller/monitor.h"
#include "controller/run_control.h"
#include "controller/run_end.h"
#include "controller/run_links.h"
#include "controller/run_placement.h"
#include "controller/run_state.h"
#include "controller/run_stats.h"
#include "controller/run_target.h"
#include "controller/rundir.h"
#include "controller/scenario.h"
#include "controller/split.h"
#include "controller/ssh.h"

/* ---- timers and signals ---- */

/* Our HEARTBEAT, every second whatever the load, so the agents can judge our silence. */
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

static int64_t ready_timeout_us(const struct run_options *o)
{
	return o->ready_timeout_us > 0 ? o->ready_timeout_us : RUN_DEFAULT_READY_US;
}

/* SETUP: every agent must have answered its pings before the readiness deadline. */
static void tick_setup(struct run *r, int64_t now)
{
	struct buf miss;
	size_t i;

	if (now <= r->setup_deadline_us)
		return;
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
	run_setup_fail(r, "agents not ready after %.0fs: %s", (double)ready_timeout_us(r->o) / 1e6,
		       miss.data ? miss.data : "?");
	buf_free(&miss);
}

/* RUNNING: silent agents are lost, intervals that waited long enough go out, and the run
 * ends once its load, grace and slack are over. */
static void tick_running(struct run *r, int64_t now)
{
	int64_t interval = r->plan->interval_us > 0 ? r->plan->interval_us : 10000000;
	int64_t timeout = r->plan->agents.link_timeout_us > 0 ? r->plan->agents.link_timeout_us
							      : PLAN_LINK_TIMEOUT_US;
	int64_t delay;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		if (a->done || a->lost || a->closed || now < r->start_us)
			continue;
		if (a->silent_us > timeout) {
			char why[160];

			snprintf(why, sizeof(why),
				 "nothing on its link for %.1f s (agents.link_timeout)",
				 (double)a->silent_us / 1e6);
			run_agent_lost(a, why);
		}
	}
	if (r->phase != RUN_PHASE_RUNNING)
		return;
	/* An interval still open half an interval (at least 0.5 s) after it ended goes out
	 * without the laggard, so the live line keeps its pace; the laggard's numbers follow as
	 * a late record. A slow agent is not a lost one (its heartbeats say it is there), so its
	 * intervals are merged, never dropped. */
	delay = interval / 2 > RUN_FLUSH_MIN_US ? interval / 2 : RUN_FLUSH_MIN_US;
	if (now > r->start_us + interval + delay)
		merge_flush_before(r->merge, (uint32_t)((now - r->start_us - delay) / interval));
	if (now > r->end_due_us)
		run_stop_all(r, "completed", 0);
}

/* STOPPING: whoever has not finished after the grace is killed. */
static void tick_stopping(struct run *r, int64_t now)
{
	size_t i;

	if (now <= r->stop_deadline_us)
		return;
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		if (a->closed)
			continue;
		if (!a->done)
			run_agent_lost(a, "did not stop in time: killed");
		if (a->link)
			a->link->ops->kill(a->link);
	}
	/* Links that do not report their end (a dead SSH session) must not hold the run: give
	 * them two more seconds, then end anyway. */
	if (now > r->stop_deadline_us + 2000000) {
		r->phase = RUN_PHASE_OVER;
		event_base_loopexit(r->base, NULL);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int64_t now = clock_mono_us();
	int64_t step = r->last_tick_us ? now - r->last_tick_us : RUN_TICK_US;
	bool stalled = step > RUN_STALL_US;
	size_t i;

	r->last_tick_us = now;
	if (stalled) {
		/* We were not running (SIGSTOP, a starved machine): that time is nobody's silence,
		 * and our own deadlines move with it. Input that waited meanwhile is read before
		 * the next tick judges anyone. */
		/* Said only for a real pause: a loaded machine is often a second late. */
		if (!r->o->quiet && r->phase == RUN_PHASE_RUNNING && step > RUN_PAUSE_NOTICE_US)
			live_event(stderr, run_elapsed_s(r),
				   "the controller did not run for %.1f s: reading what the agents "
				   "sent meanwhile",
				   (double)step / 1e6);
		if (r->phase == RUN_PHASE_RUNNING && step > RUN_PAUSE_NOTICE_US)
			rundir_write_event(r->dir, run_elapsed_s(r), NULL, "notice",
					   "the controller was paused; agents kept running");
		r->setup_deadline_us += step;
		r->stop_deadline_us += step;
		step = 0;
	}
	for (i = 0; i < r->n; i++)
		r->agents[i].silent_us += step;
	send_heartbeats(r, now);
	run_control_tick(r);
	if (stalled)
		return;
	if (r->phase == RUN_PHASE_SETUP)
		tick_setup(r, now);
	else if (r->phase == RUN_PHASE_RUNNING)
		tick_running(r, now);
	else if (r->phase == RUN_PHASE_STOPPING)
		tick_stopping(r, now);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;
	size_t i;

	r->interrupts++;
	if (r->phase == RUN_PHASE_SETUP) {
		run_setup_fail(r, "interrupted (%s) before the run started", strsignal((int)sig));
		r->reason = "interrupted";
		return;
	}
	if (r->interrupts == 1 && r->phase == RUN_PHASE_RUNNING) {
		rundir_write_event(r->dir, run_elapsed_s(r), NULL, "interrupted",
				   strsignal((int)sig));
		if (!r->o->quiet)
			live_event(stderr, run_elapsed_s(r),
				   "interrupted: stopping the agents (again to kill them)");
		run_stop_all(r, "interrupted", 3);
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
	if (r->phase == RUN_PHASE_RUNNING)
		r->phase = RUN_PHASE_STOPPING;
}

/* ---- the stages of run_main: each returns 0 to go on, or the exit code ---- */

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

/* A copy of the agents' split facts (id, host, weight) for split.h; NULL when out of memory. */
static struct split_agent *split_agents(const struct run *r)
{
	struct split_agent *sa = calloc(r->n ? r->n : 1, sizeof(*sa));
	size_t i;

	for (i = 0; sa && i < r->n; i++)
		sa[i] = r->agents[i].sa;
	return sa;
}

/* The scenario, its abort thresholds, the agents and their shares: all checked before anything
 * is started (a problem here is the user's: exit 2). */
static int plan_run(struct run *r)
{
	const struct run_options *o = r->o;
	struct split_agent *sa = NULL;
	char *err = NULL;
	size_t i;
	int code = 2;

	if (scenario_load(o->scenario, o->ov, o->nov, &r->plan, &err) < 0) {
		err_print_lines(stderr, "barrage", err ? err : "cannot load the scenario");
		goto out;
	}
	if (run_stats_setup_aborts(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
		goto out;
	}
	if (run_placement_pick(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "cannot pick the agents");
		goto out;
	}
	sa = split_agents(r);
	if (!sa || split_plan(r->plan, sa, r->n, &r->plans, &err) < 0) {
		fprintf(stderr, "barrage: %s: %s\n", o->scenario, err ? err : "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++)
		r->agents[i].plan = r->plans[i];
	code = 0;
out:
	free(sa);
	free(err);
	return code;
}

/* The target must answer before any load is sent. From a fleet the controller may not see it
 * (private networks), so there it is only a warning. */
static int probe_target(struct run *r)
{
	int64_t ct =
	    r->plan->http.connect_timeout_us > 0 ? r->plan->http.connect_timeout_us : 3000000;
	char *err = NULL;

	if (!r->plan->target || run_target_check(r->plan->target, (int)(ct / 1000), &err) == 0)
		return 0;
	if (r->nhosts == 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
		return 3;
	}
	if (!r->o->quiet)
		fprintf(stderr,
			"barrage: warning: %s (from this machine; the agents may still reach it)\n",
			err);
	free(err);
	return 0;
}

/* The run directory with the scenario as run and plan.json. */
static int create_rundir(struct run *r)
{
	struct split_agent *sa = NULL;
	char *err = NULL;
	int code = 0;

	if (rundir_create(r->o->runs_root, r->o->out, r->plan->name, &r->dir, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		code = 2;
	} else if (copy_scenario(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		code = 4;
	} else if (!(sa = split_agents(r)) ||
		   rundir_write_plan(r->dir, r->plan, r->plans, sa, r->n, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
		code = 4;
	}
	free(sa);
	free(err);
	return code;
}

/* The merger, the event loop, its tick and the signals that interrupt the run. */
static int prepare_loop(struct run *r)
{
	struct timeval tv = {0, RUN_TICK_US};

	r->merge = merge_new(r->n, run_stats_on_merged, r);
	r->base = event_base_new();
	if (!r->merge || !r->base) {
		fprintf(stderr, "barrage: out of memory\n");
		return 4;
	}
	r->tick = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	r->sigint = evsignal_new(r->base, SIGINT, on_signal, r);
	r->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r);
	if (!r->tick || !r->sigint || !r->sigterm || evsignal_add(r->sigint, NULL) < 0 ||
	    evsignal_add(r->sigterm, NULL) < 0) {
		fprintf(stderr, "barrage: cannot set up the event loop\n");
		return 4;
	}
	event_add(r->tick, &tv);
	return 0;
}

/* Watched hosts answer once before any agent starts (docs/monitor.md). Ctrl-C during that wait
 * ends the run as an interruption before the start. */
static int open_monitor(struct run *r)
{
	const struct run_options *o = r->o;
	struct monitor_options mo = {
	    .hosts_file = o->monitor_file,
	    .optional = o->monitor_optional || r->plan->monitor.optional,
	    .known_hosts = o->known_hosts,
	    .identity = o->identity,
	    .accept_new_host_keys = o->accept_new_host_keys,
	    .quiet = o->quiet,
	    .run_us = plan_load_duration_us(r->plan) + r->plan->grace_us,
	};
	char *err = NULL;

	r->setup_deadline_us = INT64_MAX; /* the agents' clock starts after this */
	if (monitor_open(r->base, r->plan, &mo, &r->mon, &err) == 0 && !r->fail)
		return 0;
	if (!r->fail) {
		r->fail = err;
		r->exit_code = 3;
		r->reason = "error";
	} else {
		free(err);
	}
	fprintf(stderr, "barrage: %s\n", r->fail ? r->fail : "monitor failed");
	run_end_fail_records(r);
	return 3;
}

/* What watches the run: the dashboard, the export, the monitored hosts. */
static int open_watchers(struct run *r)
{
	char *err = NULL;

	if ((r->o->dashboard && run_control_open(r, &err) < 0) ||
	    run_stats_export_open(r, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
		return 2;
	}
	return open_monitor(r);
}

/* Start the agents and run the loop from SETUP to OVER. When the run could not start,
 * r->fail says why. */
static void drive(struct run *r)
{
	char *err = NULL;

	r->phase = RUN_PHASE_SETUP;
	r->setup_deadline_us = clock_mono_us() + ready_timeout_us(r->o);
	if (run_links_open(r, &err) < 0) {
		if (!r->fail)
			r->fail = err;
		else
			free(err);
		r->exit_code = 3;
		r->reason = "error";
		r->phase = RUN_PHASE_OVER;
	} else if (r->phase != RUN_PHASE_OVER) {
		/* The readiness clock starts once the links exist (SSH setup has its own
		 * timeouts); a signal during that setup has already ended the run. */
		r->setup_deadline_us = clock_mono_us() + ready_timeout_us(r->o);
		event_base_dispatch(r->base);
	}
}

static void run_free(struct run *r)
{
	size_t i;

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
	free(r->plans);
	free(r->agents);
	ssh_fleet_close(r->fleet);
	hosts_free(r->own_hosts, r->nhosts);
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
}

int run_main(const struct run_options *o)
{
	struct run run, *r = &run;
	int code;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->reason = "completed";
	/* SIGPIPE is ignored by main() for every command. */
	code = plan_run(r);
	if (code == 0)
		code = probe_target(r);
	if (code == 0)
		code = create_rundir(r);
	if (code == 0)
		code = prepare_loop(r);
	if (code == 0)
		code = open_watchers(r);
	if (code == 0) {
		drive(r);
		code = r->fail ? run_end_failed(r) : run_end_finish(r);
	}
	run_free(r);
	return code;
}
