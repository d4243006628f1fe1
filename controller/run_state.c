/* The run's shared state and its transitions (see run_state.h): a setup that fails, STOP to
 * every agent, an agent lost (with what it left uncounted), the end once every link has closed.
 * Every part of the run uses these; they depend on none of the parts. */
#include "controller/run_state.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/clock.h"
#include "controller/live.h"
#include "controller/merge.h"
#include "controller/rundir.h"
#include "controller/ssh.h"

double run_elapsed_s(const struct run *r)
{
	if (r->phase == RUN_PHASE_SETUP || r->start_us == 0)
		return 0;
	return (double)(clock_mono_us() - r->start_us) / 1e6;
}

int run_send_json(struct run_agent *a, enum wire_type type, json_t *j)
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

void run_agent_log(struct run_agent *a, const char *fmt, ...)
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

void run_finish_if_settled(struct run *r)
{
	if ((r->phase == RUN_PHASE_RUNNING || r->phase == RUN_PHASE_STOPPING) && all_settled(r)) {
		r->phase = RUN_PHASE_OVER;
		event_base_loopexit(r->base, NULL);
	}
}

void run_setup_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (r->fail || r->phase == RUN_PHASE_OVER)
		return;
	va_start(ap, fmt);
	err_vset(&r->fail, fmt, ap);
	va_end(ap);
	for (i = 0; i < r->n; i++)
		if (r->agents[i].link && !r->agents[i].closed)
			r->agents[i].link->ops->kill(r->agents[i].link);
	r->exit_code = 3;
	r->reason = "error";
	r->phase = RUN_PHASE_OVER;
	event_base_loopexit(r->base, NULL);
}

void run_stop_all(struct run *r, const char *reason, int exit_code)
{
	size_t i;

	if (r->phase != RUN_PHASE_RUNNING)
		return;
	r->phase = RUN_PHASE_STOPPING;
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
		run_send_json(a, WIRE_STOP, j);
		a->stop_sent = true;
		run_agent_log(a, "STOP sent (%s)", reason);
	}
	run_finish_if_settled(r);
}

void run_agent_lost(struct run_agent *a, const char *why)
{
	struct run *r = a->run;

	if (a->lost || a->done)
		return;
	a->lost = true;
	r->nlost++;
	run_agent_log(a, "agent lost: %s", why);
	if (a->started && r->start_us > 0 && clock_mono_us() > r->start_us) {
		/* What it measured after its last interval is gone with it. Its load stopped at the
		 * latest link_timeout (checked every 250 ms) after it last heard from us; we
		 * noticed link_timeout after we last heard from it, which may be a heartbeat period
		 * (1 s) before the cut. So it stopped before now + 1.25 s (2 s to be safe), and its
		 * best rate over the span its statistics do not cover bounds what nobody counted.
		 */
		double iv_s = (double)r->plan->interval_us / 1e6;
		double load_s = (double)(plan_load_duration_us(r->plan) + r->plan->grace_us) / 1e6;
		double now_s = run_elapsed_s(r), stop_s = now_s + 2.0, from_s;
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
		rundir_write_event(r->dir, run_elapsed_s(r), a->id, "agent_lost", why);
		if (!r->o->quiet)
			live_event(stderr, run_elapsed_s(r),
				   "agent %s lost: %s (%u of %zu lost, max_lost %u)", a->id, why,
				   r->nlost + r->nleft_out, r->n + r->nleft_out,
				   r->plan->agents.max_lost);
	}
	/* After the event: intervals that were waiting for this agent go out now. */
	merge_agent_gone(r->merge, a->index);
	if (a->link && !a->closed)
		a->link->ops->kill(a->link);
	if (r->nlost + r->nleft_out > r->plan->agents.max_lost && r->phase == RUN_PHASE_RUNNING) {
		fprintf(
		    stderr,
		    "barrage: %u agent%s lost, more than agents.max_lost (%u): stopping the run\n",
		    r->nlost + r->nleft_out, r->nlost + r->nleft_out == 1 ? "" : "s",
		    r->plan->agents.max_lost);
		rundir_write_event(r->dir, run_elapsed_s(r), NULL, "notice",
				   "more agents lost than agents.max_lost: run stopped");
		run_stop_all(r, "agents_lost", 3);
	}
}
