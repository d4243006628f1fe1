/* The agent's side of the conversation with the controller (docs/wire-protocol.md), and the
 * standalone mode that runs a plan file without one.
 *
 * Frames come in on stdin and go out on stdout; stderr is the log. The main thread runs one
 * event_base: stdin readable, stdout writable, the workers' collect notifications, and timers
 * (readiness, START delay, heartbeat). Everything the agent sends is queued and written from
 * this thread only, without ever blocking: a controller that stops reading (paused, or a link
 * whose far end is gone) must not freeze the loop that watches the link.
 *
 * Never orphan load: stdin EOF or STOP stops the load within 2 s (in-flight requests get
 * LINK_STOP_GRACE_US, then they are cut) and the agent sends its final STATS and DONE and
 * exits; a link silent for the plan's agents.link_timeout (the controller sends a HEARTBEAT
 * every second) stops the load at once and the agent exits; the engine also stops by itself at
 * duration + grace; and an agent that never gets START exits after the readiness timeout.
 *
 * A local agent (--controller-is-parent) talks through pipes to its parent: such a link cannot
 * be cut without an EOF, so silence from a parent that is still there means the controller is
 * paused or busy, not gone, and the load goes on. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/engine.h"
#include "agent/health.h"
#include "agent/link.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/hist.h"
#include "common/log.h"
#include "common/plan.h"
#include "common/stats.h"
#include "common/units.h"
#include "common/version.h"
#include "common/wire.h"

#define LINK_STOP_GRACE_US  1500000
#define LINK_HEARTBEAT_US   1000000
#define LINK_WATCH_US	    250000		/* how often the link's silence is looked at */
#define LINK_FINAL_FLUSH_MS 5000		/* at exit: time to hand over the last frames */
#define LINK_OUTQ_MAX	    ((size_t)256 << 20) /* frames waiting for the controller */
#define LINK_LOST_EXIT_US   3000000 /* after a lost link: the load must be down by then */

struct link {
	const struct link_opts *o;
	struct event_base *base;
	struct event *in_ev, *out_ev, *ready_timer, *hb_timer, *lost_timer, *sig_ev, *sigterm_ev,
	    *sighup_ev;
	struct wire_reader rd;
	struct agent *agent;
	int exit_code;
	bool eof;
	bool out_broken;     /* stdout failed: nothing more can reach the controller */
	bool link_lost;	     /* no frame for link_timeout: the controller is gone */
	bool silence_logged; /* a local controller's silence was noted once */
	int64_t last_rx_us;  /* monotonic time of the last byte from the controller */
	int64_t last_hb_us;  /* when the last HEARTBEAT went out */
	int64_t link_timeout_us;
	pid_t parent;
	struct buf out;
	struct buf outq; /* encoded frames not yet written to stdout */
	size_t outq_pos;
	struct stats_snapshot *total; /* standalone: the whole run, for the summary line */
	FILE *spool;		      /* --run-dir: every frame of statistics, for collect */
	char *spool_path;
};

/* The spool: the STATS frames (and the final DONE) exactly as sent, appended as they go, so
 * that what a lost link could not carry is still on the host (docs/fleet.md). */
static void spool_open(struct link *l, const struct plan *p)
{
	int fd;

	if (!l->o->run_dir || l->spool)
		return;
	if (asprintf(&l->spool_path, "%s/spool.%u", l->o->run_dir, p->share.index) < 0) {
		l->spool_path = NULL;
		return;
	}
	fd = open(l->spool_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		l->spool = fdopen(fd, "w");
	if (!l->spool) {
		log_warn("cannot write the spool %s: %s", l->spool_path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

static void spool_frame(struct link *l, enum wire_type type, const void *payload, size_t len)
{
	struct buf b;

	if (!l->spool)
		return;
	buf_init(&b, 0);
	if (wire_frame(&b, type, payload, len) < 0 || fwrite(b.data, 1, b.len, l->spool) != b.len ||
	    fflush(l->spool) != 0) {
		log_warn("spool %s: write failed: %s", l->spool_path, strerror(errno));
		fclose(l->spool);
		l->spool = NULL;
	}
	buf_free(&b);
}

/* At exit: a spool is only needed when the controller may not have what it holds. */
static void spool_close(struct link *l)
{
	if (l->spool)
		fclose(l->spool);
	l->spool = NULL;
	if (l->spool_path && !l->link_lost)
		unlink(l->spool_path);
	else if (l->spool_path)
		log_info("statistics kept in %s for `barrage collect`", l->spool_path);
	free(l->spool_path);
	l->spool_path = NULL;
}

/* Write what the queue holds until stdout would block; the rest waits for out_ev. */
static void flush_out(struct link *l)
{
	while (!l->out_broken && l->outq_pos < l->outq.len) {
		ssize_t n =
		    write(STDOUT_FILENO, l->outq.data + l->outq_pos, l->outq.len - l->outq_pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			log_warn("cannot write to the controller: %s",
				 n < 0 ? strerror(errno) : "short write");
			l->out_broken = true;
			break;
		}
		l->outq_pos += (size_t)n;
	}
	if (l->out_broken || l->outq_pos == l->outq.len) {
		buf_reset(&l->outq);
		l->outq_pos = 0;
		if (l->out_ev)
			event_del(l->out_ev);
	} else if (l->out_ev) {
		event_add(l->out_ev, NULL);
	}
}

static void on_stdout_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_out(arg);
}

/* Queue one frame for the controller and start writing it. */
static void send_frame(struct link *l, enum wire_type type, const void *payload, size_t len)
{
	if (l->out_broken)
		return;
	if (l->outq_pos > 0 && l->outq_pos >= l->outq.len / 2) {
		/* Keep the queue compact: what was written goes. */
		memmove(l->outq.data, l->outq.data + l->outq_pos, l->outq.len - l->outq_pos);
		l->outq.len -= l->outq_pos;
		l->outq_pos = 0;
	}
	if (wire_frame(&l->outq, type, payload, len) < 0) {
		log_error("%s frame dropped: %zu bytes already wait for the controller",
			  wire_type_name(type), l->outq.len - l->outq_pos);
		return;
	}
	flush_out(l);
}

/* At exit: give the last frames (final STATS, DONE) a bounded time to leave. */
static void flush_out_final(struct link *l)
{
	int64_t until = clock_mono_us() + (int64_t)LINK_FINAL_FLUSH_MS * 1000;

	while (!l->out_broken && !l->link_lost && l->outq_pos < l->outq.len) {
		struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};
		int64_t left = (until - clock_mono_us()) / 1000;

		if (left <= 0) {
			log_warn("%zu bytes for the controller not delivered at exit",
				 l->outq.len - l->outq_pos);
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		flush_out(l);
	}
}

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
		send_frame(l, type, s, strlen(s));
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
		send_frame(l, WIRE_STATS, l->out.data, l->out.len);
		spool_frame(l, WIRE_STATS, l->out.data, l->out.len);
	} else
		log_error("cannot encode interval %u", s->interval);
	if (final) {
		if (!l->o->standalone) {
			char done[64];

			snprintf(done, sizeof(done), "{\"intervals\":%u}", s->interval + 1);
			send_frame(l, WIRE_DONE, done, strlen(done));
			spool_frame(l, WIRE_DONE, done, strlen(done));
		}
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
	l->link_timeout_us = p->agents.link_timeout_us;
	if (!l->o->standalone)
		spool_open(l, p);
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
			  json_pack("{s:I,s:I}", "t", t, "agent_t", (json_int_t)clock_wall_ms()));
		return;
	}
	case WIRE_HEARTBEAT:
		return; /* its arrival is what counts (on_stdin) */
	case WIRE_STOP:
		stop(l, "STOP received");
		return;
	case WIRE_CONTROL: {
		/* The whole state of the load each time (docs/wire-protocol.md). */
		double scale = 1;
		json_int_t users = -1, seq = 0;
		int paused = 0;

		j = json_loadb((const char *)payload, len, 0, NULL);
		if (!j ||
		    json_unpack(j, "{s?I,s?F,s?I,s?b}", "seq", &seq, "rate_scale", &scale, "users",
				&users, "paused", &paused) < 0 ||
		    !(scale > 0 && scale <= 1000) || users < -1) {
			json_decref(j);
			log_warn("ignoring a malformed CONTROL frame");
			return;
		}
		json_decref(j);
		log_info("CONTROL %lld: rate x%g, users %lld%s", (long long)seq, scale,
			 (long long)users, paused ? ", paused" : "");
		if (l->agent)
			agent_control(l->agent, scale, (int64_t)users, paused != 0);
		return;
	}
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
	l->last_rx_us = clock_mono_us();
	l->silence_logged = false;
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

static void on_lost_timer(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)what;
	log_error("the load did not stop in time after the link was lost: exiting anyway");
	event_base_loopbreak(l->base);
}

/* The link is gone: nobody can count what we send, so the load stops now (in-flight requests
 * are cut) and the agent exits without waiting for anyone. */
static void link_lost(struct link *l, int64_t silent_us)
{
	struct timeval tv = {.tv_sec = LINK_LOST_EXIT_US / 1000000};

	l->link_lost = true;
	l->exit_code = 3;
	log_error(
	    "nothing from the controller for %.1f s (agents.link_timeout %.1f s): the link is "
	    "lost, stopping the load and exiting",
	    (double)silent_us / 1e6, (double)l->link_timeout_us / 1e6);
	if (l->in_ev)
		event_del(l->in_ev);
	if (l->out_ev)
		event_del(l->out_ev);
	l->out_broken = true;
	if (!l->agent || !agent_started(l->agent)) {
		event_base_loopbreak(l->base);
		return;
	}
	agent_stop(l->agent, 0);
	l->lost_timer = evtimer_new(l->base, on_lost_timer, l);
	if (l->lost_timer)
		evtimer_add(l->lost_timer, &tv);
}

/* Every LINK_WATCH_US: a look at how long the controller has been silent, and every second a
 * HEARTBEAT to it. */
static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	int64_t now = clock_mono_us(), silent = now - l->last_rx_us;
	char t[64];

	(void)fd;
	(void)what;
	if (l->link_lost)
		return;
	if (now - l->last_hb_us >= LINK_HEARTBEAT_US - LINK_WATCH_US / 2) {
		l->last_hb_us = now;
		snprintf(t, sizeof(t), "{\"t\":%lld}", (long long)(now / 1000));
		send_frame(l, WIRE_HEARTBEAT, t, strlen(t));
	}
	if (l->link_timeout_us <= 0 || silent <= l->link_timeout_us || l->eof)
		return;
	if (l->o->controller_is_parent && getppid() == l->parent) {
		if (!l->silence_logged)
			log_warn("nothing from the controller for %.1f s, but it is still running "
				 "(paused?): the load goes on",
				 (double)silent / 1e6);
		l->silence_logged = true;
		return;
	}
	link_lost(l, silent);
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
	buf_init(&l.outq, LINK_OUTQ_MAX);
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
		struct timeval hb = {.tv_usec = LINK_WATCH_US};
		int fl = fcntl(STDOUT_FILENO, F_GETFL);

		l.parent = getppid();
		l.last_rx_us = clock_mono_us();
		if (fl < 0 || fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) < 0)
			log_warn("stdout: cannot make it non-blocking: %s", strerror(errno));
		l.out_ev = event_new(l.base, STDOUT_FILENO, EV_WRITE, on_stdout_writable, &l);
		l.in_ev = event_new(l.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, &l);
		l.ready_timer = evtimer_new(l.base, on_ready_timeout, &l);
		l.hb_timer = event_new(l.base, -1, EV_PERSIST, on_heartbeat, &l);
		if (!l.in_ev || !l.out_ev || !l.ready_timer || !l.hb_timer) {
			l.exit_code = 4;
			goto out;
		}
		send_hello(&l);
		event_add(l.in_ev, NULL);
		evtimer_add(l.ready_timer, &tv);
		event_add(l.hb_timer, &hb);
		l.sigterm_ev = evsignal_new(l.base, SIGTERM, on_signal, &l);
		if (l.sigterm_ev)
			evsignal_add(l.sigterm_ev, NULL);
		/* An SSH session that hangs up sends SIGHUP: a stop like any other. */
		l.sighup_ev = evsignal_new(l.base, SIGHUP, on_signal, &l);
		if (l.sighup_ev)
			evsignal_add(l.sighup_ev, NULL);
	}
	event_base_dispatch(l.base);
	if (!o->standalone)
		flush_out_final(&l);
out:
	agent_free(l.agent);
	spool_close(&l);
	if (l.in_ev)
		event_free(l.in_ev);
	if (l.ready_timer)
		event_free(l.ready_timer);
	if (l.out_ev)
		event_free(l.out_ev);
	if (l.hb_timer)
		event_free(l.hb_timer);
	if (l.lost_timer)
		event_free(l.lost_timer);
	if (l.sighup_ev)
		event_free(l.sighup_ev);
	if (l.sig_ev)
		event_free(l.sig_ev);
	if (l.sigterm_ev)
		event_free(l.sigterm_ev);
	event_base_free(l.base);
	wire_reader_free(&l.rd);
	buf_free(&l.out);
	buf_free(&l.outq);
	stats_free(l.total);
	return l.exit_code;
}
