/* The agent's side of the conversation with the controller (docs/wire-protocol.md), and the
 * standalone mode that runs a plan file without one.
 *
 * Frames come in on stdin and go out on stdout; stderr is the log. The main thread runs one
 * event_base: stdin readable, the workers' collect notifications, and timers (readiness,
 * START delay). Everything the agent sends is written from this thread only.
 *
 * Never orphan load: stdin EOF or STOP stops the load within 2 s (in-flight requests get
 * LINK_STOP_GRACE_US, then they are cut) and the agent sends its final STATS and DONE and
 * exits; the engine also stops by itself at duration + grace; and an agent that never gets
 * START exits after the readiness timeout. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/agent.h"
#include "agent/link.h"
#include "common/err.h"
#include "common/log.h"
#include "common/units.h"
#include "common/version.h"
#include "common/wire.h"

#define LINK_STOP_GRACE_US 1500000

struct link {
	const struct link_opts *o;
	struct event_base *base;
	struct event *in_ev, *ready_timer, *sig_ev, *sigterm_ev;
	struct wire_reader rd;
	struct agent *agent;
	int exit_code;
	bool eof;
	struct buf out;
	struct stats_snapshot *total; /* standalone: the whole run, for the summary line */
};

/* Standalone mode's last line: the whole run per statistic (exact percentiles from the merged
 * histograms) and every counter, so scripts need not decode histogram buckets. */
static void print_summary(struct link *l)
{
	const struct stats_snapshot *t = l->total;

	buf_reset(&l->out);
	buf_append_str(&l->out, "{\"type\":\"summary\",\"hists\":{");
	for (size_t i = 0; i < t->nhists; i++) {
		const struct hist *h = t->hists[i].h;

		/* Names are any UTF-8 text (quotes, backslashes, tabs): JSON-escaped. */
		if (i)
			buf_append_byte(&l->out, ',');
		buf_append_json_str(&l->out, t->hists[i].name, strlen(t->hists[i].name));
		buf_printf(&l->out,
			   ":{\"n\":%llu,\"mean_us\":%.1f,\"min_us\":%llu,\"p50_us\":%llu,"
			   "\"p90_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu}",
			   (unsigned long long)h->count, hist_mean(h), (unsigned long long)h->min,
			   (unsigned long long)hist_percentile(h, 50),
			   (unsigned long long)hist_percentile(h, 90),
			   (unsigned long long)hist_percentile(h, 99),
			   (unsigned long long)hist_percentile(h, 99.9),
			   (unsigned long long)h->max);
	}
	buf_append_str(&l->out, "},\"counters\":{");
	for (size_t i = 0, n = 0; i < t->ncounters; i++) {
		if (t->counters[i].kind != STATS_COUNTER)
			continue;
		if (n++)
			buf_append_byte(&l->out, ',');
		buf_append_json_str(&l->out, t->counters[i].name, strlen(t->counters[i].name));
		buf_printf(&l->out, ":%lld", (long long)t->counters[i].value);
	}
	buf_append_str(&l->out, "}}");
	fwrite(l->out.data, 1, l->out.len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static void send_json(struct link *l, enum wire_type type, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s) {
		if (wire_write_fd(STDOUT_FILENO, type, s, strlen(s)) < 0)
			log_warn("cannot write %s frame: %s", wire_type_name(type),
				 strerror(errno));
		free(s);
	}
	json_decref(j);
}

static void send_error(struct link *l, const char *msg)
{
	send_json(l, WIRE_ERROR, json_pack("{s:s}", "message", msg));
}

static void emit(void *arg, struct stats_snapshot *s, bool final)
{
	struct link *l = arg;

	buf_reset(&l->out);
	if (l->o->standalone) {
		if (l->total)
			(void)stats_accumulate(l->total, s);
		if (l->o->stats_json && stats_to_json(s, &l->out) == 0) {
			fwrite(l->out.data, 1, l->out.len, stdout);
			fputc('\n', stdout);
			fflush(stdout);
		}
		if (final && l->total)
			print_summary(l);
	} else if (stats_encode(s, &l->out) == 0) {
		if (wire_write_fd(STDOUT_FILENO, WIRE_STATS, l->out.data, l->out.len) < 0)
			log_warn("cannot write STATS: %s", strerror(errno));
	} else
		log_error("cannot encode interval %u", s->interval);
	if (final) {
		if (!l->o->standalone)
			send_json(l, WIRE_DONE,
				  json_pack("{s:i}", "intervals", (json_int_t)(s->interval + 1)));
		event_base_loopbreak(l->base);
	}
}

static void stop(struct link *l, const char *why)
{
	if (!l->agent || !agent_started(l->agent)) {
		log_info("%s before START: exiting", why);
		if (!l->o->standalone && l->agent)
			send_json(l, WIRE_DONE, json_pack("{s:i}", "intervals", 0));
		event_base_loopbreak(l->base);
		return;
	}
	log_info("%s: stopping the load", why);
	agent_stop(l->agent, LINK_STOP_GRACE_US);
}

static int prepare(struct link *l, const char *json, size_t len, char **err)
{
	struct plan *p = NULL;
	struct agent_emit em = {emit, l};

	if (l->agent)
		return err_set(err, "a second PLAN");
	if (plan_decode(json, len, &p, err) < 0)
		return -1;
	return agent_prepare(&l->agent, p, l->base, em, err);
}

static void on_ready_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)what;
	if (!l->agent || !agent_started(l->agent)) {
		log_error("no START within %d s: exiting", l->o->ready_timeout_s);
		l->exit_code = 3;
		event_base_loopbreak(l->base);
	}
}

static void handle(struct link *l, int type, const uint8_t *payload, size_t len)
{
	char *err = NULL;
	json_t *j = NULL;

	switch (type) {
	case WIRE_PLAN:
		if (prepare(l, (const char *)payload, len, &err) < 0) {
			log_error("%s", err);
			send_json(l, WIRE_READY, json_pack("{s:s}", "error", err));
			free(err);
			return;
		}
		send_json(l, WIRE_READY, json_object());
		return;
	case WIRE_START: {
		json_int_t delay = 0;

		if (!l->agent) {
			send_error(l, "START before PLAN");
			l->exit_code = 2;
			event_base_loopbreak(l->base);
			return;
		}
		j = json_loadb((const char *)payload, len, 0, NULL);
		if (j && json_unpack(j, "{s?I}", "delay_ms", &delay) < 0)
			delay = 0;
		json_decref(j);
		if (delay < 0 || delay > 3600000)
			delay = 0;
		if (agent_started(l->agent))
			return;
		if (agent_start(l->agent, (int64_t)delay * 1000) < 0) {
			send_error(l, "cannot start worker threads");
			l->exit_code = 4;
			event_base_loopbreak(l->base);
		}
		return;
	}
	case WIRE_PING: {
		json_int_t t = 0;

		j = json_loadb((const char *)payload, len, 0, NULL);
		if (j)
			(void)json_unpack(j, "{s?I}", "t", &t);
		json_decref(j);
		send_json(l, WIRE_PONG,
			  json_pack("{s:I,s:I}", "t", t, "agent_t", (json_int_t)units_wall_ms()));
		return;
	}
	case WIRE_STOP:
		stop(l, "STOP received");
		return;
	case WIRE_ERROR:
		log_error("controller error: %.*s", (int)(len > 500 ? 500 : len),
			  (const char *)payload);
		stop(l, "controller ERROR");
		return;
	default:
		log_warn("ignoring unexpected %s frame", wire_type_name(type));
	}
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	const uint8_t *payload;
	size_t len;
	int type, rc;
	char *err = NULL;

	(void)what;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		event_del(l->in_ev);
		l->eof = true;
		stop(l, "controller went away (stdin closed)");
		return;
	}
	if (wire_reader_feed(&l->rd, chunk, (size_t)n) < 0) {
		send_error(l, "frame too large");
		event_del(l->in_ev);
		stop(l, "corrupt input");
		return;
	}
	while ((rc = wire_reader_next(&l->rd, &type, &payload, &len, &err)) == 1)
		handle(l, type, payload, len);
	if (rc < 0) {
		log_error("corrupt frame from the controller: %s", err);
		send_error(l, err);
		free(err);
		event_del(l->in_ev);
		l->exit_code = 2;
		stop(l, "corrupt input");
	}
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stop(arg, "signal");
}

static int send_hello(struct link *l)
{
	char host[256] = "unknown";
	uint64_t nofile = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)health_raise_nofile(&nofile);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	send_json(l, WIRE_HELLO,
		  json_pack("{s:s,s:i,s:I,s:s,s:I,s:I}", "version", BARRAGE_VERSION, "wire",
			    BARRAGE_WIRE_VERSION, "pid", (json_int_t)getpid(), "host", host, "cpus",
			    (json_int_t)(cpus > 0 ? cpus : 1), "nofile", (json_int_t)nofile));
	return 0;
}

static int read_file(const char *path, struct buf *b, char **err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) < 0) {
			fclose(f);
			return err_set(err, "%s: too large", path);
		}
	fclose(f);
	return 0;
}

int link_run(const struct link_opts *o)
{
	struct link l = {.o = o};
	struct timeval tv = {.tv_sec = o->ready_timeout_s};
	char *err = NULL;

	buf_init(&l.out, WIRE_MAX_PAYLOAD);
	wire_reader_init(&l.rd);
	signal(SIGPIPE, SIG_IGN);
	l.base = event_base_new();
	if (!l.base) {
		log_error("cannot create the event loop");
		return 4;
	}
	if (o->standalone) {
		struct buf text;
		uint64_t nofile;

		l.total = stats_new();
		(void)health_raise_nofile(&nofile);
		buf_init(&text, WIRE_MAX_PAYLOAD);
		if (read_file(o->plan_path, &text, &err) < 0 ||
		    prepare(&l, text.data ? text.data : "", text.len, &err) < 0) {
			log_error("%s", err);
			free(err);
			buf_free(&text);
			l.exit_code = 2;
			goto out;
		}
		buf_free(&text);
		if (agent_start(l.agent, 0) < 0) {
			l.exit_code = 4;
			goto out;
		}
		l.sig_ev = evsignal_new(l.base, SIGINT, on_signal, &l);
		l.sigterm_ev = evsignal_new(l.base, SIGTERM, on_signal, &l);
		if (l.sig_ev)
			evsignal_add(l.sig_ev, NULL);
		if (l.sigterm_ev)
			evsignal_add(l.sigterm_ev, NULL);
	} else {
		send_hello(&l);
		l.in_ev = event_new(l.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, &l);
		l.ready_timer = evtimer_new(l.base, on_ready_timeout, &l);
		if (!l.in_ev || !l.ready_timer) {
			l.exit_code = 4;
			goto out;
		}
		event_add(l.in_ev, NULL);
		evtimer_add(l.ready_timer, &tv);
		l.sigterm_ev = evsignal_new(l.base, SIGTERM, on_signal, &l);
		if (l.sigterm_ev)
			evsignal_add(l.sigterm_ev, NULL);
	}
	event_base_dispatch(l.base);
out:
	agent_free(l.agent);
	if (l.in_ev)
		event_free(l.in_ev);
	if (l.ready_timer)
		event_free(l.ready_timer);
	if (l.sig_ev)
		event_free(l.sig_ev);
	if (l.sigterm_ev)
		event_free(l.sigterm_ev);
	event_base_free(l.base);
	wire_reader_free(&l.rd);
	buf_free(&l.out);
	stats_free(l.total);
	return l.exit_code;
}
