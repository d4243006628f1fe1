/* HTTP plumbing for barrage-target: listeners (plain and TLS, both served by the HTTP/1.1 code
 * of http1.c), replies held for group commit, the built-in /health and /metrics routes,
 * counters, and a clean stop on SIGTERM/SIGINT. See http.h for the contract. */
#include "servers/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/err.h"
#include "common/log.h"
#include "servers/http_internal.h"
#include "servers/tls.h"

#define SRV_HELD_MAX ((size_t)1 << 20)

static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

int64_t srv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- responses ---- */

void srv_response_init(struct srv_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, 64u << 20);
}

void srv_response_reset(struct srv_response *rs)
{
	buf_reset(&rs->body);
	rs->status = 0;
	rs->content_type = NULL;
	rs->static_body = NULL;
	rs->static_len = 0;
	rs->nhdr = 0;
	rs->delay_us = 0;
	rs->chunked = 0;
	rs->close = 0;
}

void srv_response_free(struct srv_response *rs)
{
	buf_free(&rs->body);
}

void srv_reply_error(struct srv_response *rs, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&rs->body);
	rs->static_body = NULL;
	rs->status = status;
	rs->content_type = NULL;
	buf_append_str(&rs->body, "{\"error\":");
	buf_append_json_str(&rs->body, msg, strlen(msg));
	buf_append_str(&rs->body, "}\n");
}

void srv_reply_json(struct srv_response *rs, int status, json_t *v)
{
	char *text;

	buf_reset(&rs->body);
	rs->static_body = NULL;
	rs->status = status;
	text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text) {
		srv_reply_error(rs, 500, "out of memory");
		return;
	}
	buf_append_str(&rs->body, text);
	buf_append_byte(&rs->body, '\n');
	free(text);
}

void srv_add_header(struct srv_response *rs, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (rs->nhdr >= SRV_MAX_HEADERS || nl >= sizeof(rs->hdr_name[0]) ||
	    vl >= sizeof(rs->hdr_value[0]))
		return;
	memcpy(rs->hdr_name[rs->nhdr], name, nl + 1);
	memcpy(rs->hdr_value[rs->nhdr], value, vl + 1);
	rs->nhdr++;
}

json_t *srv_body_json(const struct srv_request *rq, struct srv_response *rs)
{
	json_error_t je;
	json_t *v;

	if (rq->body_len == 0) {
		srv_reply_error(rs, 400, "request body: expected a JSON object, got nothing");
		return NULL;
	}
	v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		srv_reply_error(rs, 400, "request body: malformed JSON at line %d column %d: %s",
				je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		srv_reply_error(rs, 400, "request body: expected a JSON object");
		return NULL;
	}
	return v;
}

void srv_reply_bad_credentials(struct srv_response *rs)
{
	buf_reset(&rs->body);
	rs->status = 401;
	buf_append_str(&rs->body, "{\"ok\":false,\"error\":\"bad credentials\"}\n");
}

int srv_login_check(const struct srv_request *rq, struct srv_response *rs, char *user, size_t size)
{
	json_t *body = srv_body_json(rq, rs), *u, *p;
	size_t ul;
	int rc = -1;

	if (!body)
		return -1;
	u = json_object_get(body, "user");
	p = json_object_get(body, "password");
	if (!json_is_string(u) || !json_is_string(p)) {
		srv_reply_error(rs, 400,
				"login: expected {\"user\": string, \"password\": string}");
		goto out;
	}
	ul = json_string_length(u);
	if (ul + 1 > size) {
		srv_reply_error(rs, 400, "login: user longer than %zu bytes", size - 1);
		goto out;
	}
	if (json_string_length(p) != ul + 3 || memcmp(json_string_value(p), "pw-", 3) != 0 ||
	    memcmp(json_string_value(p) + 3, json_string_value(u), ul) != 0) {
		srv_reply_bad_credentials(rs);
		rc = 0;
		goto out;
	}
	memcpy(user, json_string_value(u), ul);
	user[ul] = '\0';
	rc = 1;
out:
	json_decref(body);
	return rc;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int srv_query_get(const char *query, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) >= nl && memcmp(p, name, nl) == 0 &&
		    (p + nl == end || p[nl] == '=')) {
			const char *v = p + nl + (p + nl < end ? 1 : 0);
			size_t o = 0;

			while (v < end) {
				int c = (unsigned char)*v;

				if (c == '+') {
					c = ' ';
					v++;
				} else if (c == '%' && end - v >= 3 && hexval(v[1]) >= 0 &&
					   hexval(v[2]) >= 0) {
					c = hexval(v[1]) * 16 + hexval(v[2]);
					v += 3;
				} else {
					v++;
				}
				if (o + 1 >= outsize)
					return -1;
				out[o++] = (char)c;
			}
			if (outsize == 0)
				return -1;
			out[o] = '\0';
			return (int)o;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

int srv_cookie_get(const char *cookie, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name);
	const char *p = cookie;

	while (p && *p) {
		const char *semi, *end;

		while (*p == ' ' || *p == ';')
			p++;
		semi = strchr(p, ';');
		end = semi ? semi : p + strlen(p);
		if ((size_t)(end - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = (size_t)(end - p) - nl - 1;

			if (vl + 1 > outsize)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return (int)vl;
		}
		p = semi;
	}
	return -1;
}

int srv_path_is(const struct srv_request *rq, const char *s)
{
	size_t n = strlen(s);

	return rq->path_len == n && memcmp(rq->path, s, n) == 0;
}

void srv_headers_each(const struct srv_request *rq,
		      void (*fn)(void *ctx, const char *name, size_t nlen, const char *value,
				 size_t vlen),
		      void *ctx)
{
	for (const char *p = rq->raw_headers, *end = p ? p + rq->raw_headers_len : NULL;
	     p && p < end;) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *colon, *v;
		size_t vlen;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			vlen = (size_t)(eol - v);
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			fn(ctx, p, (size_t)(colon - p), v, vlen);
		}
		p = eol + 2;
	}
}

void srv_counters_sum(struct srv *s, struct srv_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->nthr; i++) {
		const uint64_t *src = (const uint64_t *)&s->thr[i].ctr;
		uint64_t *dst = (uint64_t *)out;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

/* ---- built-in routes ---- */

static void metrics(struct srv *s, struct srv_response *rs)
{
	struct srv_counters c;
	struct buf *b = &rs->body;

	srv_counters_sum(s, &c);
	rs->content_type = "text/plain; charset=utf-8";
	buf_printf(b, "service %s\n", s->service->name);
	buf_printf(b, "uptime_s %.3f\n", (double)(srv_now_us() - s->start_us) / 1e6);
	buf_printf(b, "requests %llu\n", (unsigned long long)c.requests);
	buf_printf(b, "responses_2xx %llu\n", (unsigned long long)c.status_2xx);
	buf_printf(b, "responses_3xx %llu\n", (unsigned long long)c.status_3xx);
	buf_printf(b, "responses_4xx %llu\n", (unsigned long long)c.status_4xx);
	buf_printf(b, "responses_5xx %llu\n", (unsigned long long)c.status_5xx);
	buf_printf(b, "bytes_in %llu\n", (unsigned long long)c.bytes_in);
	buf_printf(b, "bytes_out %llu\n", (unsigned long long)c.bytes_out);
	buf_printf(b, "held_replies %llu\n", (unsigned long long)c.held_replies);
	if (s->journal) {
		struct journal_stats js;

		journal_get_stats(s->journal, &js);
		buf_printf(b, "journal_sync %s\n", journal_sync_name(s->sync));
		buf_printf(b, "journal_appended %llu\n", (unsigned long long)js.appended);
		buf_printf(b, "journal_commits %llu\n", (unsigned long long)js.commits);
		buf_printf(b, "journal_fsyncs %llu\n", (unsigned long long)js.fsyncs);
		buf_printf(b, "journal_compactions %llu\n", (unsigned long long)js.compactions);
		buf_printf(b, "journal_file_bytes %llu\n", (unsigned long long)js.file_bytes);
		buf_printf(b, "journal_file_records %llu\n", (unsigned long long)js.file_records);
	}
	if (s->service->metrics)
		s->service->metrics(s, b);
}

void srv_dispatch(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	if (srv_path_is(rq, "/health")) {
		buf_printf(&rs->body, "{\"ok\":true,\"service\":\"%s\"}\n", s->service->name);
		return;
	}
	if (srv_path_is(rq, "/metrics")) {
		metrics(s, rs);
		return;
	}
	s->service->handle(s, rq, rs);
}

/* ---- sending ---- */

static void send_held(struct srv_thread *t, struct srv_held *h)
{
	(void)t;
	h1_release(h->conn);
}

static void fatal_journal(struct srv *s, const char *err)
{
	char what[4200];

	snprintf(what, sizeof(what),
		 "journal %s: commit failed, stopping so memory is not ahead of disk",
		 journal_path(s->journal));
	log_fatal(what, err);
}

void srv_flush(struct srv_thread *t)
{
	struct srv *s = t->s;
	struct srv_held *batch;
	size_t n, bcap;
	char *err = NULL;

	t->flush_armed = 0;
	if (s->journal && journal_pending(s->journal)) {
		if (journal_commit(s->journal, &err) < 0)
			fatal_journal(s, err);
		ctr_add(&t->ctr.commits, 1);
	}
	/* Replies released now may parse pipelined requests that hold new replies: those go to
	 * the other array and wait for the next commit. Both arrays are kept, so steady state
	 * allocates nothing. */
	batch = t->held;
	n = t->nheld;
	bcap = t->capheld;
	t->held = t->held_spare;
	t->capheld = t->capspare;
	t->nheld = 0;
	t->held_spare = NULL;
	t->capspare = 0;
	for (size_t i = 0; i < n; i++)
		send_held(t, &batch[i]);
	if (t->held_spare) {
		free(batch); /* a nested flush already parked an array */
	} else {
		t->held_spare = batch;
		t->capspare = bcap;
	}
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	srv_flush(arg);
}

int srv_hold(struct srv_thread *t, const struct srv_held *h)
{
	if (t->nheld == t->capheld) {
		size_t nc = t->capheld ? t->capheld * 2 : 256;
		struct srv_held *nh;

		if (nc > SRV_HELD_MAX)
			return -1;
		nh = realloc(t->held, nc * sizeof(*nh));
		if (!nh)
			return -1;
		t->held = nh;
		t->capheld = nc;
	}
	t->held[t->nheld++] = *h;
	if (!t->flush_armed) {
		t->flush_armed = 1;
		event_active(t->flush_ev, EV_TIMEOUT, 0);
	}
	return 0;
}

int srv_must_hold(struct srv_thread *t)
{
	return t->nheld > 0 || (t->s->journal && journal_pending(t->s->journal));
}

void srv_count(struct srv_thread *t, int status, size_t blen)
{
	ctr_add(&t->ctr.requests, 1);
	ctr_add(&t->ctr.bytes_out, blen);
	if (status < 300)
		ctr_add(&t->ctr.status_2xx, 1);
	else if (status < 400)
		ctr_add(&t->ctr.status_3xx, 1);
	else if (status < 500)
		ctr_add(&t->ctr.status_4xx, 1);
	else
		ctr_add(&t->ctr.status_5xx, 1);
}

/* ---- listeners ---- */

static int parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char **err)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return err_set(err, "listen address '%s': expected ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return err_set(err, "listen address '%s': address too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return err_set(err, "listen address '%s': port must be 0..65535", spec);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return err_set(err, "listen address '%s': bad IPv6 address", spec);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (hl == 0 || strcmp(host, "*") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (strcmp(host, "localhost") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return err_set(err, "listen address '%s': bad IPv4 address", spec);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

/* Bind a listening socket. port_io: in, the port to use when the spec says 0 (0 = let the
 * kernel pick); out, the port bound. */
static int bind_one(const char *spec, int reuseport, int *port_io, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_addr(spec, &ss, &len, err) < 0)
		return -1;
	if (*port_io) {
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)*port_io);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)*port_io);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, "listen %s: socket: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
		err_set(err, "listen %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		*port_io = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
							 : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void stop_all(struct srv *s)
{
	s->stopping = 1;
	for (int i = 0; i < s->nthr; i++)
		if (s->thr[i].base)
			event_base_loopexit(s->thr[i].base, NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;

	log_info("%s: signal %d, stopping", s->service->name, (int)sig);
	stop_all(s);
}

static void *thread_main(void *arg)
{
	struct srv_thread *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

static int write_port_file(const char *path, int http_port, int https_port, char **err)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_set(err, "port file '%s': name too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return err_set(err, "port file '%s': %s", tmp, strerror(errno));
	if (http_port >= 0)
		fprintf(f, "http %d\n", http_port);
	if (https_port >= 0)
		fprintf(f, "https %d\n", https_port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return err_set(err, "port file '%s': %s", path, strerror(errno));
	return 0;
}

int srv_run(struct srv *s, char **err)
{
	int rc = -1;
	int *ports = NULL, *tls_ports = NULL;
	int first_http = -1, first_https = -1;
	int reuse = s->threads > 1;

	if (s->threads > 1 && evthread_use_pthreads() < 0)
		return err_set(err, "libevent threads unavailable");
	signal(SIGPIPE, SIG_IGN);
	s->nthr = s->threads;
	s->thr = calloc((size_t)s->nthr, sizeof(*s->thr));
	ports = calloc((size_t)s->nlisten + 1, sizeof(int));
	tls_ports = calloc((size_t)s->ntls_listen + 1, sizeof(int));
	if (!s->thr || !ports || !tls_ports) {
		err_set(err, "out of memory");
		goto out;
	}
	if (s->ntls_listen > 0) {
		s->ssl_ctx = srv_tls_ctx_new(s->cert_file, s->key_file, err);
		if (!s->ssl_ctx)
			goto out;
	}
	for (int i = 0; i < s->nthr; i++) {
		struct srv_thread *t = &s->thr[i];
		struct event_config *cfg = event_config_new();

		t->s = s;
		t->idx = i;
		srv_response_init(&t->rs);
		/* Stateless loops need no locks inside libevent. */
		if (cfg && s->threads == 1)
			event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
		/* The target's delay=50ms and --freeze are measured by tests: without this flag
		 * libevent times with CLOCK_MONOTONIC_COARSE and a delay is off by up to a tick. */
		if (cfg)
			event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
		t->base = cfg ? event_base_new_with_config(cfg) : NULL;
		event_config_free(cfg);
		/* Three priorities: I/O runs at the default (1); the commit flush at 2 runs only
		 * once every ready callback of this turn has run, so it batches them. */
		if (!t->base || event_base_priority_init(t->base, 3) < 0) {
			err_set(err, "cannot create an event loop");
			goto out;
		}
		t->flush_ev = event_new(t->base, -1, 0, flush_cb, t);
		if (!t->flush_ev || event_priority_set(t->flush_ev, 2) < 0) {
			err_set(err, "cannot create the commit event");
			goto out;
		}
		for (int k = 0; k < s->nlisten; k++) {
			int fd = bind_one(s->listen[k], reuse, &ports[k], err);

			if (fd < 0)
				goto out;
			if (h1_listen(t, fd, 0) < 0) {
				close(fd);
				err_set(err, "listen %s: cannot accept", s->listen[k]);
				goto out;
			}
		}
		for (int k = 0; k < s->ntls_listen; k++) {
			int fd = bind_one(s->tls_listen[k], reuse, &tls_ports[k], err);
			int one = 1;

			if (fd < 0)
				goto out;
			/* Accepted sockets inherit TCP_NODELAY from the listener on Linux. Without
			 * it a TLS record written in two pieces waits for the client's delayed ACK:
			 * ~40 ms per request on a reused HTTPS connection. */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (h1_listen(t, fd, 1) < 0) {
				close(fd);
				err_set(err, "listen %s: cannot accept", s->tls_listen[k]);
				goto out;
			}
		}
	}
	s->base = s->thr[0].base;
	if (s->nlisten > 0)
		first_http = ports[0];
	if (s->ntls_listen > 0)
		first_https = tls_ports[0];
	s->thr[0].sig_term = evsignal_new(s->base, SIGTERM, signal_cb, s);
	s->thr[0].sig_int = evsignal_new(s->base, SIGINT, signal_cb, s);
	if (!s->thr[0].sig_term || !s->thr[0].sig_int ||
	    evsignal_add(s->thr[0].sig_term, NULL) < 0 ||
	    evsignal_add(s->thr[0].sig_int, NULL) < 0) {
		err_set(err, "cannot install signal handlers");
		goto out;
	}
	if (s->port_file && write_port_file(s->port_file, first_http, first_https, err) < 0)
		goto out;
	{
		char lbuf[512];
		int o = 0;

		lbuf[0] = '\0';
		for (int k = 0; k < s->nlisten && o < (int)sizeof(lbuf) - 64; k++)
			o +=
			    snprintf(lbuf + o, sizeof(lbuf) - (size_t)o, " http port %d", ports[k]);
		for (int k = 0; k < s->ntls_listen && o < (int)sizeof(lbuf) - 64; k++)
			o += snprintf(lbuf + o, sizeof(lbuf) - (size_t)o, " https port %d",
				      tls_ports[k]);
		log_info("%s: listening on%s (%d thread%s, sync %s)", s->service->name, lbuf,
			 s->nthr, s->nthr == 1 ? "" : "s", journal_sync_name(s->sync));
	}
	for (int i = 1; i < s->nthr; i++) {
		if (pthread_create(&s->thr[i].tid, NULL, thread_main, &s->thr[i]) != 0) {
			err_set(err, "cannot start thread %d", i);
			stop_all(s);
			for (int k = 1; k < i; k++)
				pthread_join(s->thr[k].tid, NULL);
			goto out;
		}
	}
	event_base_dispatch(s->base);
	stop_all(s);
	for (int i = 1; i < s->nthr; i++)
		pthread_join(s->thr[i].tid, NULL);
	/* Anything appended but not yet answered is committed before the process goes. */
	srv_flush(&s->thr[0]);
	log_info("%s: stopped", s->service->name);
	rc = 0;
out:
	for (int i = 0; s->thr && i < s->nthr; i++) {
		struct srv_thread *t = &s->thr[i];

		h1_close_all(t);
		if (t->flush_ev)
			event_free(t->flush_ev);
		if (t->sig_term)
			event_free(t->sig_term);
		if (t->sig_int)
			event_free(t->sig_int);
		if (t->base)
			event_base_free(t->base);
		free(t->held);
		free(t->held_spare);
		srv_response_free(&t->rs);
	}
	free(s->thr);
	s->thr = NULL;
	s->nthr = 0;
	s->base = NULL;
	if (s->ssl_ctx)
		srv_tls_ctx_free(s->ssl_ctx);
	s->ssl_ctx = NULL;
	free(ports);
	free(tls_ports);
	return rc;
}
