/* HTTP/1.1 for the reference servers, plain and over TLS (OpenSSL on the same connection code,
 * so HTTP and HTTPS parse and answer identically): accept, parse requests in place in a
 * per-connection buffer, dispatch, and serialize replies into a per-connection output buffer that
 * is written with one write(2) per batch of pipelined requests. Nothing is allocated per request
 * once a connection's buffers have grown, and there are no event re-registrations on the keep-alive
 * fast path; this is what makes the test target cheap enough to sit under `make bench`.
 *
 * Ordering: while a reply waits (a delay, or a journal commit), the connection parses nothing
 * more, so replies leave in request order. A reply that waits for a commit is already serialized
 * in the output buffer but not yet "ready": only bytes before `ready` are ever written.
 *
 * Limits: request head 64 KiB (431), body --max-body (413, connection closed), chunked request
 * bodies are refused (501). Expect: 100-continue is honoured. HTTP/1.0 closes after the reply
 * unless it asked for keep-alive. Idle connections close after 120 s. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/clock.h"
#include "common/log.h"
#include "servers/http1.h"
#include "servers/http1_parse.h"
#include "servers/loop.h"

#define H1_READ_MIN 16384
#define H1_OUT_MAX  ((size_t)256 << 20)
#define H1_IDLE_S   120

struct h1_conn {
	struct srv_thread *t;
	int fd;
	struct event *rev, *wev, *timer;
	char *in;
	size_t in_off, in_len, in_cap;
	struct buf out;
	size_t out_off, ready;
	int busy;	 /* a reply waits: parse nothing more until it is released */
	int close_after; /* close once everything ready is written */
	int dead;	 /* the socket is gone while busy: free on release */
	int sent_continue;
	int paused; /* input buffer full: reading stopped until requests are consumed */
	SSL *ssl;   /* HTTPS: the TLS session over fd (the handshake runs inside SSL_read) */
	struct h1_conn *prev, *next;
};

/* I/O on the connection, plain or TLS. Returns bytes moved, 0 at the peer's end of stream, -1
 * on an error (the connection must close), -2 when it would block (for TLS, the event it waits
 * for is armed here). */
static ssize_t conn_io_ssl(struct h1_conn *c, int rc)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return -2; /* the read event is always armed while the connection lives */
	case SSL_ERROR_WANT_WRITE:
		event_add(c->wev, NULL);
		return -2;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

static ssize_t conn_read(struct h1_conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		int rc = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

		return rc > 0 ? rc : conn_io_ssl(c, rc);
	}
	n = read(c->fd, buf, len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return -2;
	return n;
}

static ssize_t conn_write(struct h1_conn *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		int rc = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

		return rc > 0 ? rc : conn_io_ssl(c, rc);
	}
	n = write(c->fd, buf, len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		if (errno != EINTR)
			event_add(c->wev, NULL);
		return -2;
	}
	return n;
}

static __thread char h1_cookie[8192];
static __thread char h1_auth[2048];

static const char *reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Status";
	}
}

static void conn_free(struct h1_conn *c)
{
	struct srv_thread *t = c->t;

	t->nconns--;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->timer)
		event_free(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	SSL_free(c->ssl);
	buf_free(&c->out);
	free(c->in);
	free(c);
}

/* The peer is gone or the connection failed: free it, or, when a reply still waits for a
 * commit or a timer, close the socket and let the release free it. */
static void conn_close(struct h1_conn *c)
{
	if (!c->busy) {
		conn_free(c);
		return;
	}
	event_del(c->rev);
	event_del(c->wev);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = 1;
}

/* Write what is ready. Returns 0, or -1 when the connection was closed (freed or dead). */
static int flush_out(struct h1_conn *c)
{
	while (c->out_off < c->ready) {
		ssize_t n = conn_write(c, c->out.data + c->out_off, c->ready - c->out_off);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n == -2) {
			if (errno == EINTR && !c->ssl)
				continue;
			return 0;
		}
		conn_close(c);
		return -1;
	}
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = c->ready = 0;
	}
	event_del(c->wev);
	if (c->close_after && !c->busy && c->out.len == 0) {
		if (c->ssl)
			(void)SSL_shutdown(c->ssl); /* close_notify, best effort */
		shutdown(c->fd, SHUT_WR);
		conn_free(c);
		return -1;
	}
	return 0;
}

static void serialize(struct h1_conn *c, const struct srv_request *rq,
		      const struct srv_response *rs, int status, int head_only)
{
	struct buf *o = &c->out;
	const char *body = rs->static_body ? rs->static_body : rs->body.data;
	size_t blen = rs->static_body ? rs->static_len : rs->body.len;
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nContent-Type: ", status,
		     reason(status));
	buf_append(o, line, (size_t)n);
	buf_append_str(o, rs->content_type ? rs->content_type : "application/json");
	buf_append(o, "\r\n", 2);
	for (int i = 0; i < rs->nhdr; i++) {
		buf_append_str(o, rs->hdr_name[i]);
		buf_append(o, ": ", 2);
		buf_append_str(o, rs->hdr_value[i]);
		buf_append(o, "\r\n", 2);
	}
	if (c->close_after)
		buf_append_str(o, "Connection: close\r\n");
	if (rs->chunked && !head_only) {
		buf_append_str(o, "Transfer-Encoding: chunked\r\n\r\n");
		for (size_t off = 0; off < blen;) {
			size_t k = blen - off < 8192 ? blen - off : 8192;

			n = snprintf(line, sizeof(line), "%zx\r\n", k);
			buf_append(o, line, (size_t)n);
			buf_append(o, body + off, k);
			buf_append(o, "\r\n", 2);
			off += k;
		}
		buf_append(o, "0\r\n\r\n", 5);
		return;
	}
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", blen);
	buf_append(o, line, (size_t)n);
	if (!head_only && blen)
		buf_append(o, body, blen);
	(void)rq;
}

/* Answer an unparseable request without a service and close after it. */
static void fail_request(struct h1_conn *c, int status, const char *msg)
{
	struct srv_response *rs = &c->t->rs;

	srv_response_reset(rs);
	srv_reply_error(rs, status, "%s", msg);
	c->close_after = 1;
	serialize(c, NULL, rs, status, 0);
	loop_count(c->t, status, rs->body.len);
	c->ready = c->out.len;
}

static enum srv_method parse_method(const char *m, size_t n, const char **name)
{
	static const struct {
		const char *s;
		enum srv_method m;
	} tab[] = {{"GET", SRV_GET},	    {"POST", SRV_POST}, {"PUT", SRV_PUT},
		   {"DELETE", SRV_DELETE},  {"HEAD", SRV_HEAD}, {"PATCH", SRV_PATCH},
		   {"OPTIONS", SRV_OPTIONS}};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].s) == n && memcmp(tab[i].s, m, n) == 0) {
			*name = tab[i].s;
			return tab[i].m;
		}
	*name = "OTHER";
	return SRV_OTHER;
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void h1_release(struct h1_conn *c);

/* Copy a header the service reads as a C string (Cookie, Authorization) into its thread-local
 * buffer. Returns 0, or -1 after refusing the request with 431 when it does not fit. */
static int copy_header(struct h1_conn *c, const char *v, size_t vlen, char *dst, size_t size,
		       const char *name, const char **out)
{
	char msg[64];

	if (!v)
		return 0;
	if (vlen >= size) {
		snprintf(msg, sizeof(msg), "%s header too long", name);
		fail_request(c, 431, msg);
		return -1;
	}
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	*out = dst;
	return 0;
}

/* The head is parsed but the body is not all in: make room for it, and answer an Expect:
 * 100-continue so a polite client sends it. */
static void wait_for_body(struct h1_conn *c, const struct h1_head *hd)
{
	size_t avail = c->in_len - c->in_off;
	size_t need = c->in_off + hd->head_len + hd->clen;

	if (need > c->in_cap) {
		char *ni;

		if (c->in_off) {
			memmove(c->in, c->in + c->in_off, avail);
			c->in_len = avail;
			c->in_off = 0;
			need = hd->head_len + hd->clen;
		}
		if (need > c->in_cap) {
			ni = realloc(c->in, need);
			if (!ni) {
				fail_request(c, 503, "out of memory");
				return;
			}
			c->in = ni;
			c->in_cap = need;
		}
	}
	if (hd->expect && !c->sent_continue) {
		c->sent_continue = 1;
		buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		c->ready = c->out.len;
	}
}

/* Find the path and query of the request target and run the request through the service. The
 * request line is consumed, so the target is terminated in place. */
static void route(struct srv_thread *t, const struct h1_head *hd, struct srv_request *rq,
		  struct srv_response *rs)
{
	const char *path;
	size_t plen;

	*hd->version_sp = '\0';
	if (srv_target_split(hd->uri, &path, &plen, &rq->query) < 0) {
		srv_reply_error(rs, 400, "request target must be a path starting with '/'");
		return;
	}
	if (plen >= sizeof(t->path)) {
		srv_reply_error(rs, 414, "path longer than %zu bytes", sizeof(t->path) - 1);
		return;
	}
	memcpy(t->path, path, plen);
	t->path[plen] = '\0';
	rq->path = t->path;
	rq->path_len = plen;
	srv_dispatch(t->s, rq, rs);
}

static void release_held(void *conn)
{
	h1_release(conn);
}

/* The reply is serialized: let it go now, after its delay, or after the next commit. Returns
 * non-zero when the next pipelined request may be parsed at once. */
static int schedule_reply(struct h1_conn *c, const struct srv_response *rs, int status)
{
	struct srv_thread *t = c->t;

	if (rs->delay_us > 0) {
		struct timeval tv = {(time_t)(rs->delay_us / 1000000),
				     (suseconds_t)(rs->delay_us % 1000000)};

		c->busy = 1;
		evtimer_add(c->timer, &tv);
		return 0;
	}
	if (loop_must_hold(t)) {
		struct loop_held held = {.status = status, .conn = c, .release = release_held};

		c->busy = 1;
		if (loop_hold(t, &held) == 0) {
			loop_counter_add(&t->ctr.held_replies, 1);
			return 0;
		}
		/* The queue is full: commit now; that releases every held reply, this one too. */
		loop_flush(t);
		return 0;
	}
	c->ready = c->out.len;
	return !c->close_after;
}

/* Parse, dispatch and serialize the next request of the input, if it is whole. Returns
 * non-zero when the next one may be handled at once. */
static int handle_one(struct h1_conn *c)
{
	struct srv_thread *t = c->t;
	struct srv_response *rs = &t->rs;
	struct srv_request rq;
	char *p = c->in + c->in_off;
	size_t avail = c->in_len - c->in_off;
	struct h1_head hd;
	int status;

	if (h1_parse_head(p, avail, t->s->max_body, &hd) == 0)
		return 0;
	if (hd.status) {
		fail_request(c, hd.status, hd.msg);
		return 0;
	}
	memset(&rq, 0, sizeof(rq));
	if (copy_header(c, hd.cookie, hd.cookie_len, h1_cookie, sizeof(h1_cookie), "Cookie",
			&rq.cookie) < 0 ||
	    copy_header(c, hd.auth, hd.auth_len, h1_auth, sizeof(h1_auth), "Authorization",
			&rq.authorization) < 0)
		return 0;
	rq.method = parse_method(hd.method, hd.method_len, &rq.method_name);
	rq.raw_headers = hd.headers;
	rq.raw_headers_len = hd.headers_len;
	if (avail < hd.head_len + hd.clen) {
		wait_for_body(c, &hd);
		return 0;
	}

	/* The request is whole: dispatch it. */
	c->sent_continue = 0;
	c->close_after = hd.keepalive == 0 || (hd.http10 && hd.keepalive != 1);
	rq.body = hd.clen ? p + hd.head_len : NULL;
	rq.body_len = hd.clen;
	rq.uri = hd.uri;
	rq.uri_len = hd.uri_len;
	rq.now_us = clock_mono_us();
	loop_counter_add(&t->ctr.bytes_in, hd.clen);
	srv_response_reset(rs);
	route(t, &hd, &rq, rs);
	status = rs->status ? rs->status : 200;
	if (rs->close)
		c->close_after = 1;
	serialize(c, &rq, rs, status, rq.method == SRV_HEAD);
	loop_count(t, status, rs->static_body ? rs->static_len : rs->body.len);
	c->in_off += hd.head_len + hd.clen;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	return schedule_reply(c, rs, status);
}

/* Handle what the input holds, then write. Returns -1 when the connection went away. */
static int process(struct h1_conn *c)
{
	while (!c->busy && !c->close_after && handle_one(c))
		;
	if (c->paused && c->in_len - c->in_off < c->in_cap) {
		struct timeval idle = {H1_IDLE_S, 0};

		c->paused = 0;
		event_add(c->rev, &idle);
	}
	/* TLS may hold decrypted bytes the socket will not signal again: read them now. */
	if (c->ssl && !c->busy && !c->close_after && !c->paused && SSL_pending(c->ssl) > 0)
		event_active(c->rev, EV_READ, 0);
	/* Write what is ready even when a reply now waits: the replies before it must not
	 * wait with it. */
	return flush_out(c);
}

static void h1_release(struct h1_conn *c)
{
	c->busy = 0;
	if (c->dead) {
		conn_free(c);
		return;
	}
	c->ready = c->out.len;
	process(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct h1_conn *c = arg;

	/* A delayed reply that must also wait for a commit joins the held queue. */
	if (!c->dead && loop_must_hold(c->t)) {
		struct loop_held hd = {.status = 200, .conn = c, .release = release_held};

		if (loop_hold(c->t, &hd) == 0)
			return;
	}
	h1_release(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg);

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct h1_conn *c = arg;

	if (c->ssl && !SSL_is_init_finished(c->ssl)) {
		/* The handshake wanted to write: go on with it where it runs, in the read. */
		event_del(c->wev);
		on_read(fd, EV_READ, c);
		return;
	}
	if (flush_out(c) == 0 && !c->busy && c->out.len == 0)
		process(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct h1_conn *c = arg;
	struct timeval idle = {H1_IDLE_S, 0};
	ssize_t n;

	if (what & EV_TIMEOUT) {
		if (c->busy) {
			event_add(c->rev, &idle);
			return;
		}
		conn_free(c);
		return;
	}
	if (c->in_off > 0 && c->in_cap - c->in_len < H1_READ_MIN / 2) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < H1_READ_MIN / 2) {
		size_t nc = c->in_cap * 2;
		char *ni;

		if (nc > H1_MAX_HEAD + c->t->s->max_body + H1_READ_MIN) {
			/* Pipelined requests piling up faster than we answer: stop reading until
			 * the backlog drains. */
			if (c->in_cap - c->in_len == 0) {
				event_del(
				    c->rev); /* level-triggered: it would fire again at once */
				c->paused = 1;
				return;
			}
			nc = c->in_cap;
		}
		ni = nc == c->in_cap ? c->in : realloc(c->in, nc);
		if (!ni) {
			conn_close(c);
			return;
		}
		c->in = ni;
		c->in_cap = nc;
	}
	n = conn_read(c, c->in + c->in_len, c->in_cap - c->in_len);
	if (n == 0 || n == -1) {
		conn_close(c);
		return;
	}
	if (n == -2)
		return;
	c->in_len += (size_t)n;
	if (c->busy || c->close_after)
		return; /* parsed when the waiting reply is released */
	process(c);
}

static void accept_conn(struct srv_thread *t, evutil_socket_t fd, void *ssl_ctx)
{
	struct h1_conn *c = calloc(1, sizeof(*c));
	struct timeval idle = {H1_IDLE_S, 0};
	int one = 1;

	if (!c) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t = t;
	c->fd = fd;
	c->in_cap = H1_READ_MIN;
	c->in = malloc(c->in_cap);
	buf_init(&c->out, H1_OUT_MAX);
	c->rev = event_new(t->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(t->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	c->timer = evtimer_new(t->base, on_timer, c);
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	t->nconns++;
	/* Descriptors are available again: the next shortage starts from a short pause. */
	t->accept_backoff_ms = 0;
	if (ssl_ctx) {
		c->ssl = SSL_new(ssl_ctx);
		if (c->ssl && SSL_set_fd(c->ssl, fd) == 1) {
			SSL_set_accept_state(c->ssl);
		} else {
			conn_free(c);
			return;
		}
	}
	if (!c->in || !c->rev || !c->wev || !c->timer || event_add(c->rev, &idle) < 0)
		conn_free(c);
}

static void listeners_enable(struct srv_thread *t, int on)
{
	for (int i = 0; i < t->nplain; i++) {
		if (on)
			evconnlistener_enable(t->plain[i]);
		else
			evconnlistener_disable(t->plain[i]);
	}
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	listeners_enable(arg, 1);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct srv_thread *t = arg;
	int e = EVUTIL_SOCKET_ERROR();
	int64_t now = clock_mono_us();

	t->accept_errors++;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		struct timeval tv;

		t->accept_backoff_ms = t->accept_backoff_ms ? t->accept_backoff_ms * 2 : 10;
		if (t->accept_backoff_ms > 1000)
			t->accept_backoff_ms = 1000;
		tv.tv_sec = (time_t)(t->accept_backoff_ms / 1000);
		tv.tv_usec = (suseconds_t)(t->accept_backoff_ms % 1000) * 1000;
		listeners_enable(t, 0);
		if (t->accept_resume)
			evtimer_add(t->accept_resume, &tv);
		else
			listeners_enable(t, 1); /* no timer: keep accepting rather than never */
	}
	if (now - t->accept_log_us >= 1000000) {
		log_warn(
		    "accept: %s (%llu failed accept(s) since the last report); new connections "
		    "wait %lld ms, the %zu open one(s) are still served",
		    strerror(e), (unsigned long long)(t->accept_errors - t->accept_errors_logged),
		    (long long)t->accept_backoff_ms, t->nconns);
		t->accept_log_us = now;
		t->accept_errors_logged = t->accept_errors;
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	accept_conn(arg, fd, NULL);
}

static void on_accept_tls(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct srv_thread *t = arg;

	accept_conn(t, fd, t->s->ssl_ctx);
}

int h1_listen(struct srv_thread *t, int fd, int tls)
{
	struct evconnlistener *l = evconnlistener_new(t->base, tls ? on_accept_tls : on_accept, t,
						      LEV_OPT_CLOSE_ON_FREE, -1, fd);
	struct evconnlistener **nl;

	if (!l)
		return -1;
	evconnlistener_set_error_cb(l, on_accept_error);
	if (!t->accept_resume)
		t->accept_resume = evtimer_new(t->base, on_accept_resume, t);
	nl = realloc(t->plain, (size_t)(t->nplain + 1) * sizeof(*nl));
	if (!nl) {
		evconnlistener_free(l);
		return -1;
	}
	t->plain = nl;
	t->plain[t->nplain++] = l;
	return 0;
}

void h1_close_all(struct srv_thread *t)
{
	for (int i = 0; i < t->nplain; i++)
		evconnlistener_free(t->plain[i]);
	free(t->plain);
	t->plain = NULL;
	t->nplain = 0;
	if (t->accept_resume)
		event_free(t->accept_resume);
	t->accept_resume = NULL;
	while (t->conns)
		conn_free(t->conns);
}
