/* The conversation with each agent (docs/wire-protocol.md), frame by frame: HELLO (same version
 * or the run does not start) -> PLAN -> READY -> three PING/PONG round trips -> START (sent
 * when every agent is ready, see start_all) -> STATS* -> DONE, with LOG and ERROR frames at any
 * time. Bytes come from the agent's link (controller/link.h) and are decoded incrementally;
 * anything wrong before the start fails the setup, after it loses the agent. */
#include "controller/run_protocol.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/units.h"
#include "common/version.h"
#include "controller/live.h"
#include "controller/merge.h"
#include "controller/monitor.h"
#include "controller/rundir.h"
#include "controller/run_stats.h"

/* Every agent has answered its pings: START goes out with per-agent delays so that all of them
 * begin at one instant, and stats.log gets its header. */
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
	r->phase = RUN_PHASE_RUNNING;
	{
		char *err = NULL;

		if (run_stats_write_header(r, r->start_wall_ms, &err) < 0)
			fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
		if (r->header_written && r->preflight_note)
			rundir_write_event(r->dir, 0, NULL, "hosts_left_out", r->preflight_note);
		free(err);
	}
	monitor_start(r->mon, r->dir, r->start_us);
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];
		int64_t delay = r->start_us - now - a->rtt_us / 2;
		json_t *j = json_object();

		json_object_set_new(j, "delay_ms", json_integer(delay > 0 ? delay / 1000 : 0));
		run_send_json(a, WIRE_START, j);
		a->started = true;
		a->silent_us = 0;
		run_agent_log(
		    a, "START sent (delay %lld ms, round trip %.2f ms, clock offset %.1f ms)",
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
	run_send_json(a, WIRE_PING, j);
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
		run_setup_fail(r, "agent %s: malformed HELLO: %s", a->id,
			       j ? "not an object" : je.text);
		return;
	}
	ver = json_string_value(json_object_get(j, "version"));
	wire = json_integer_value(json_object_get(j, "wire"));
	a->cpus = (int)json_integer_value(json_object_get(j, "cpus"));
	if (!ver || strcmp(ver, BARRAGE_VERSION) != 0 || wire != BARRAGE_WIRE_VERSION) {
		run_setup_fail(
		    r,
		    "agent %s on %s is barrage-agent %s (wire %lld); this controller is %s "
		    "(wire %d): install the same version everywhere (or use --push-agent)",
		    a->id, a->host, ver ? ver : "of an unknown version", (long long)wire,
		    BARRAGE_VERSION, BARRAGE_WIRE_VERSION);
		json_decref(j);
		return;
	}
	run_agent_log(a, "HELLO: %.*s", (int)(len > 300 ? 300 : len), p);
	json_decref(j);
	a->hello = true;
	buf_init(&enc, WIRE_MAX_PAYLOAD);
	if (plan_encode(a->plan, &enc) < 0) {
		buf_free(&enc);
		run_setup_fail(r, "agent %s: cannot encode its plan", a->id);
		return;
	}
	{
		struct buf fr;

		buf_init(&fr, 0);
		if (wire_frame(&fr, WIRE_PLAN, enc.data, enc.len) < 0 ||
		    link_write(a->link, fr.data, fr.len) < 0) {
			buf_free(&fr);
			buf_free(&enc);
			run_setup_fail(r, "agent %s: cannot send its plan", a->id);
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
		run_setup_fail(r, "agent %s: malformed READY", a->id);
		return;
	}
	e = json_string_value(json_object_get(j, "error"));
	if (e) {
		run_setup_fail(r, "agent %s refused the plan: %s", a->id, e);
		json_decref(j);
		return;
	}
	json_decref(j);
	if (a->ready)
		return;
	a->ready = true;
	r->nready++;
	run_agent_log(a, "READY");
	send_ping(a);
}

static void on_pong(struct run_agent *a, const char *p, size_t len)
{
	struct run *r = a->run;
	int64_t rtt = clock_mono_us() - a->ping_sent_us;
	json_error_t je;
	json_t *j;
	size_t i;

	if (!a->ready || a->pings >= RUN_PINGS || r->phase != RUN_PHASE_SETUP)
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
		run_agent_lost(a, "out of memory decoding its statistics");
		return;
	}
	if (stats_decode(p, len, s, &err) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "bad STATS frame: %s", err ? err : "?");
		free(err);
		stats_free(s);
		run_agent_lost(a, why);
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
	run_agent_log(a, "%s: %s", lvl, msg ? msg : "(malformed LOG frame)");
	if (!r->o->quiet && msg &&
	    (strcmp(lvl, "error") == 0 || (strcmp(lvl, "warning") == 0) || r->o->verbose))
		live_event(stderr, run_elapsed_s(r), "agent %s: %s: %s", a->id, lvl, msg);
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
	run_agent_log(a, "ERROR: %s", why);
	if (r->phase == RUN_PHASE_SETUP)
		run_setup_fail(r, "agent %s: %s", a->id, why);
	else
		run_agent_lost(a, why);
}

static void handle_frame(struct run_agent *a, int type, const uint8_t *p, size_t len)
{
	struct run *r = a->run;

	if (a->lost || r->phase == RUN_PHASE_OVER)
		return;
	if (!a->hello && type != WIRE_HELLO && type != WIRE_LOG && type != WIRE_ERROR) {
		if (r->phase == RUN_PHASE_SETUP)
			run_setup_fail(r, "agent %s: sent %s before HELLO", a->id,
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
		break; /* run_protocol_on_data has already counted the link as alive */
	case WIRE_DONE:
		run_agent_log(a, "DONE: %.*s", (int)(len > 200 ? 200 : len), (const char *)p);
		if (r->phase == RUN_PHASE_SETUP) {
			run_setup_fail(r, "agent %s finished before the run started", a->id);
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
		if (r->phase == RUN_PHASE_SETUP)
			run_setup_fail(r, "agent %s: unexpected %s frame", a->id,
				       wire_type_name(type));
		else
			run_agent_lost(a, "unexpected frame from the agent");
		break;
	}
}

void run_protocol_on_data(struct agent_link *l, const void *data, size_t len, void *arg)
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
		run_agent_lost(a, "too much unread data from the agent");
		return;
	}
	while ((rc = wire_reader_next(&a->rd, &type, &p, &plen, &err)) == 1) {
		handle_frame(a, type, p, plen);
		if (a->lost || r->phase == RUN_PHASE_OVER)
			return;
	}
	if (rc < 0) {
		char why[512];

		snprintf(why, sizeof(why), "corrupt stream from the agent: %s", err ? err : "?");
		free(err);
		if (r->phase == RUN_PHASE_SETUP)
			run_setup_fail(r, "agent %s: %s", a->id, why);
		else
			run_agent_lost(a, why);
	}
}

void run_protocol_on_log(struct agent_link *l, const char *line, size_t len, void *arg)
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
				live_event(stderr, run_elapsed_s(a->run), "agent %s: %.*s", a->id,
					   (int)(len - strlen("barrage-agent: ")),
					   line + strlen("barrage-agent: "));
				break;
			}
		}
	}
}

void run_protocol_on_close(struct agent_link *l, const char *why, void *arg)
{
	struct run_agent *a = arg;
	struct run *r = a->run;

	a->closed = true;
	run_agent_log(a, "link closed: %s", why ? why : "exit status 0");
	if (r->phase == RUN_PHASE_SETUP) {
		run_setup_fail(r, "agent %s %s before the run started (see its log in agents/)",
			       a->id, why ? why : "exited");
		return;
	}
	if (!a->done && !a->lost) {
		if (a->stop_sent && !why) {
			/* Asked to stop and exited cleanly: finished, even without DONE. */
			a->done = true;
			merge_agent_gone(r->merge, a->index);
		} else {
			run_agent_lost(a, why ? why : "link closed without DONE");
		}
	}
	run_finish_if_settled(r);
}
