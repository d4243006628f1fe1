/* The lean HTTP/1.1 client (http.client: lean): one user's connection as a small state machine
 * on the worker's event_base (connect, TLS handshake with OpenSSL for https://, send, read).
 * Its parts: h1_request.c renders a request, h1_parse.c reads an answer with Debian's
 * libhttp-parser, h1_tls.c holds the TLS context and I/O, h1_url.c the URLs, cookie.c the
 * user's cookie jar.
 *
 * What it costs per request, and why:
 *   - the request is rendered into the user's own buffer (kept across requests, so nothing is
 *     allocated once it has grown to size) and sent with one send();
 *   - one struct event per user, created with the user and re-assigned to each connection's
 *     socket; its timeout is the request's (or the connect's) deadline, so no timer is added per
 *     request;
 *   - the answer is read into the worker's one read buffer and parsed at once: an idle
 *     connection holds no read buffer at all, and a response body is only copied (decoded when
 *     gzip/deflate) when a capture or an expectation reads it, up to http.max_body;
 *   - host names are resolved once per worker (a small cache), as wrk does.
 *
 * It keeps the libcurl path's semantics: each user's connections are its own and close with its
 * session; a reused connection that turns out dead before any byte of the answer is retried once
 * on a new one; the timings connect (TCP connect), ttfb (request ready to send -> first byte)
 * and request (send -> end) are taken at the same points; failures carry the CURLcode libcurl
 * would have given, so xfer_error_counter() names them the same way. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "agent/cookie.h"
#include "agent/h1.h"
#include "agent/h1_dns.h"
#include "agent/h1_request.h"
#include "agent/h1_tls.h"
#include "agent/prog.h"
#include "agent/session.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"

#define H1_RBUF		   (64 * 1024)
#define H1_READS_PER_EVENT 16

struct h1_worker {
	char rbuf[H1_RBUF];
	struct h1_dns dns;
	SSL_CTX *ctx; /* the worker's one TLS context (the plan has one TLS configuration) */
};

enum { H1_IDLE = 0, H1_CONNECTING, H1_TLS, H1_SENDING, H1_READING, H1_FAILED };

struct h1 {
	struct user *u;
	int fd;
	struct event *ev;
	evutil_socket_t ev_fd; /* the socket ev is assigned to (-2: none) */
	short ev_what;	       /* and for what (EV_READ or EV_WRITE, always EV_PERSIST) */
	int state;
	struct buf key;		/* host of the open connection */
	unsigned key_port;	/* and its port */
	bool key_https;		/* and whether it speaks TLS */
	SSL *ssl;		/* the connection's TLS, or NULL */
	SSL_SESSION *sess;	/* the TLS session to resume (http.tls.session_reuse), or NULL */
	uint64_t sess_key;	/* the host and port it is for (key_hash) */
	const char *target_src; /* the constant URL h->target holds and pu parsed, or NULL */
	struct h1_url pu;
	struct buf req;		  /* the rendered request */
	const struct creq *req_r; /* the step it is for when it can be sent again as it is */
	bool req_to_get;	  /* with to_get as given then */
	struct buf req_hdrs;	  /* and these header lines */
	struct buf target;	  /* the request's URL (for a relative Location) */
	size_t wr_off;
	struct h1_resp resp; /* parser state (h1_parse.c) */
	int64_t t_start, t_conn0, t_conn, t_tls, t_pre, t_first, t_end;
	int64_t deadline, conn_deadline;
	bool reused, retried, new_conn;
	CURLcode rc;
	uint64_t rcv, sent;
	struct cookie_jar jar;
};

static struct h1_worker *wstate(struct worker *w)
{
	if (!w->h1w)
		w->h1w = calloc(1, sizeof(struct h1_worker));
	return w->h1w;
}

void h1_worker_free(struct worker *w)
{
	struct h1_worker *ws = w->h1w;

	if (ws && ws->ctx)
		SSL_CTX_free(ws->ctx);
	free(w->h1w);
	w->h1w = NULL;
}

static void close_conn(struct h1 *h)
{
	if (h->ssl) {
		h1_tls_free(h->ssl);
		h->ssl = NULL;
	}
	if (h->fd >= 0) {
		event_del(h->ev);
		h->ev_fd = -2;
		close(h->fd);
		h->fd = -1;
		worker_count_conn(h->u->w, -1);
	}
	buf_reset(&h->key);
}

static void drop_session(struct h1 *h)
{
	if (h->sess)
		SSL_SESSION_free(h->sess);
	h->sess = NULL;
}

static void on_event(evutil_socket_t fd, short what, void *arg);

int h1_user_init(struct user *u, char **err)
{
	struct h1 *h = calloc(1, sizeof(*h));

	if (!h || !wstate(u->w)) {
		free(h);
		return err_set(err, "out of memory");
	}
	h->u = u;
	h->fd = -1;
	h->ev_fd = -2;
	h->ev = event_new(u->w->base, -1, 0, on_event, u);
	if (!h->ev) {
		free(h);
		return err_set(err, "cannot create an event");
	}
	buf_init(&h->key, 512);
	buf_init(&h->req, (size_t)80 << 20);
	buf_init(&h->req_hdrs, (size_t)80 << 20);
	buf_init(&h->target, 1 << 16);
	h1_resp_init(&h->resp, &u->resp);
	cookie_jar_init(&h->jar);
	u->h1 = h;
	return 0;
}

void h1_user_free(struct user *u)
{
	struct h1 *h = u->h1;

	if (!h)
		return;
	close_conn(h);
	drop_session(h);
	event_free(h->ev);
	buf_free(&h->key);
	buf_free(&h->req);
	buf_free(&h->req_hdrs);
	buf_free(&h->target);
	h1_resp_free(&h->resp);
	cookie_jar_free(&h->jar);
	free(h);
	u->h1 = NULL;
}

void h1_new_share(struct user *u)
{
	close_conn(u->h1);
	drop_session(u->h1); /* a new user: no TLS session to resume, as with libcurl's share */
	cookie_jar_clear(&u->h1->jar);
}

void h1_end_session(struct user *u)
{
	close_conn(u->h1);
}

void h1_cancel(struct user *u)
{
	struct h1 *h = u->h1;

	event_del(h->ev);
	h->ev_fd = -2;
	close_conn(h);
	h1_resp_end(&h->resp);
	h->state = H1_IDLE;
}

/* ---- finishing ---- */

static void set_cookies(struct user *u);

static void finish(struct user *u, CURLcode rc)
{
	struct h1 *h = u->h1;

	h->t_end = clock_mono_us();
	h->rc = rc;
	set_cookies(u); /* as libcurl does, from any answer that got as far as its headers */
	if (rc != CURLE_OK || !h->resp.keep_alive || !u->w->prog->plan->http.keepalive)
		close_conn(h);
	/* A connection kept open stays watched for reading, without a timeout (on_idle), so the
	 * next request needs no event_add of its socket; anything else is unhooked. */
	if (h->fd >= 0 && h->ev_fd == h->fd && h->ev_what == EV_READ)
		event_remove_timer(h->ev);
	else {
		event_del(h->ev);
		h->ev_fd = -2;
	}
	h1_resp_end(&h->resp);
	h->state = H1_IDLE;
	session_transfer_done(u, rc); /* may start the next request: h is not touched after */
}

/* A failure found while starting: delivered from the event loop, not from inside h1_send. */
static void fail_soon(struct user *u, CURLcode rc)
{
	struct h1 *h = u->h1;

	event_del(h->ev);
	h->ev_fd = -2;
	h->state = H1_FAILED;
	h->rc = rc;
	event_assign(h->ev, u->w->base, -1, 0, on_event, u);
	event_active(h->ev, EV_TIMEOUT, 0);
}

static void arm(struct user *u, short what)
{
	struct h1 *h = u->h1;
	int64_t dl = h->deadline, left;
	struct timeval tv;

	if ((h->state == H1_CONNECTING || h->state == H1_TLS) && h->conn_deadline < dl)
		dl = h->conn_deadline;
	left = dl - clock_mono_us();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	/* The event stays assigned (EV_PERSIST) while the socket and the direction are the same:
	 * then event_add only moves its timeout, with no epoll_ctl. */
	if (h->ev_fd != h->fd || h->ev_what != what) {
		event_del(h->ev);
		event_assign(h->ev, u->w->base, h->fd, what | EV_PERSIST, on_event, u);
		h->ev_fd = h->fd;
		h->ev_what = what;
	}
	event_base_update_cache_time(u->w->base);
	event_add(h->ev, &tv);
}

/* ---- connecting ---- */

static void start_write(struct user *u);
static void connected(struct user *u);

static void start_connect(struct user *u, const struct h1_url *url)
{
	struct h1 *h = u->h1;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;
	int64_t ct = u->w->prog->plan->http.connect_timeout_us;

	close_conn(h);
	h->reused = false;
	h->new_conn = true;
	if (h1_dns_resolve(&wstate(u->w)->dns, url, &ss, &len, u->errbuf, sizeof(u->errbuf)) < 0) {
		fail_soon(u, CURLE_COULDNT_RESOLVE_HOST);
		return;
	}
	h->t_conn0 = clock_mono_us();
	h->conn_deadline = h->t_conn0 + (ct ? ct : 3000000);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(u->errbuf, sizeof(u->errbuf), "socket: %s", strerror(errno));
		fail_soon(u, CURLE_COULDNT_CONNECT);
		return;
	}
	worker_count_conn(u->w, 1);
	h->fd = fd;
	/* With a source address, the port is chosen at connect() for the whole 4-tuple rather than
	 * at bind(): cheaper with tens of thousands of connections, and each address's ports can
	 * then serve every target. */
	if (u->w->prog->nsrc_addrs)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (worker_bind_source(u->w, fd, ss.ss_family) < 0) {
		snprintf(u->errbuf, sizeof(u->errbuf), "cannot bind to a source address: %s",
			 strerror(errno));
		close_conn(h);
		fail_soon(u, CURLE_COULDNT_CONNECT);
		return;
	}
	buf_reset(&h->key);
	buf_append(&h->key, url->host, url->hlen);
	h->key_port = url->port;
	h->key_https = url->https;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		connected(u);
		return;
	}
	if (errno != EINPROGRESS) {
		snprintf(u->errbuf, sizeof(u->errbuf), "Failed to connect to %.*s port %u: %s",
			 (int)url->hlen, url->host, url->port, strerror(errno));
		close_conn(h);
		fail_soon(u, CURLE_COULDNT_CONNECT);
		return;
	}
	h->state = H1_CONNECTING;
	arm(u, EV_WRITE);
}

/* The connection died under a request that had not got a byte of its answer: a reused
 * keep-alive connection the server had closed meanwhile. As libcurl does, try once more on a
 * new connection. Returns false when that is not allowed. */
static bool retry(struct user *u)
{
	struct h1 *h = u->h1;
	struct h1_url url;

	if (!h->reused || h->retried || h->resp.got_bytes)
		return false;
	h->retried = true;
	if (h1_url_parse(h->target.data, h->target.len, &url) < 0)
		return false;
	h->wr_off = 0;
	h->sent = 0;
	h1_resp_begin(&h->resp, h->resp.head, h->resp.need_body, h->resp.need_headers,
		      h->resp.decode);
	h->t_first = 0;
	start_connect(u, &url);
	return true;
}

/* ---- TLS ---- */

static void tls_reason(struct user *u, const char *what)
{
	h1_tls_reason(u->errbuf, sizeof(u->errbuf), what);
}

/* The worker's TLS context, made on first use. */
static SSL_CTX *tls_ctx(struct user *u)
{
	struct h1_worker *ws = wstate(u->w);

	if (!ws->ctx)
		ws->ctx = h1_tls_ctx_new(&u->w->prog->plan->http);
	return ws->ctx;
}

static void handshake(struct user *u)
{
	struct h1 *h = u->h1;
	int r = SSL_connect(h->ssl);

	if (r == 1) {
		h->t_tls = clock_mono_us();
		start_write(u);
		return;
	}
	switch (SSL_get_error(h->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		h->state = H1_TLS;
		arm(u, EV_READ);
		return;
	case SSL_ERROR_WANT_WRITE:
		h->state = H1_TLS;
		arm(u, EV_WRITE);
		return;
	default: {
		long v = SSL_get_verify_result(h->ssl);

		if (v != X509_V_OK) {
			snprintf(u->errbuf, sizeof(u->errbuf), "TLS certificate verification: %s",
				 X509_verify_cert_error_string(v));
			ERR_clear_error();
			close_conn(h);
			finish(u, CURLE_PEER_FAILED_VERIFICATION);
			return;
		}
		tls_reason(u, "TLS handshake");
		close_conn(h);
		finish(u, CURLE_SSL_CONNECT_ERROR);
		return;
	}
	}
}

/* Which target a kept TLS session is for: host and port. */
static uint64_t key_hash(const char *host, size_t n, unsigned port)
{
	return (hash_bytes(host, n) ^ port) * 1099511628211ULL;
}

/* The TCP connection is up: TLS first for https://, then the request. */
static void connected(struct user *u)
{
	struct h1 *h = u->h1;
	const struct plan_http *ph = &u->w->prog->plan->http;

	h->t_conn = clock_mono_us();
	if (!h->key_https) {
		start_write(u);
		return;
	}
	if (ph->tls_session_reuse) {
		uint64_t k = key_hash(h->key.data, h->key.len, h->key_port);

		if (h->sess_key != k)
			drop_session(h); /* another host's */
		h->sess_key = k;
	}
	h->ssl = h1_tls_new(tls_ctx(u), h->fd, h->key.data, h->key.len, ph->tls_verify,
			    ph->tls_session_reuse ? &h->sess : NULL);
	if (!h->ssl) {
		tls_reason(u, "TLS setup (http.tls)");
		close_conn(h);
		fail_soon(u, CURLE_SSL_CERTPROBLEM);
		return;
	}
	h->state = H1_TLS;
	handshake(u);
}

/* ---- sending and reading ---- */

static void do_read(struct user *u);

static void start_write(struct user *u)
{
	struct h1 *h = u->h1;

	h->state = H1_SENDING;
	h->t_pre = clock_mono_us();
	while (h->wr_off < h->req.len) {
		ssize_t n =
		    h1_tls_send(h->ssl, h->fd, h->req.data + h->wr_off, h->req.len - h->wr_off);

		if (n == H1_TLS_WANT_READ || n == H1_TLS_WANT_WRITE) {
			arm(u, n == H1_TLS_WANT_READ ? EV_READ : EV_WRITE);
			return;
		}
		if (n <= 0) {
			snprintf(u->errbuf, sizeof(u->errbuf), "Send failure: %s", strerror(errno));
			close_conn(h);
			if (!retry(u))
				fail_soon(u, CURLE_SEND_ERROR);
			return;
		}
		h->wr_off += (size_t)n;
		h->sent += (uint64_t)n;
	}
	h->state = H1_READING;
	arm(u, EV_READ);
}

static void read_failed(struct user *u, CURLcode rc)
{
	struct h1 *h = u->h1;

	close_conn(h);
	if (retry(u))
		return;
	finish(u, rc);
}

static void do_read(struct user *u)
{
	struct h1 *h = u->h1;
	char *rb = wstate(u->w)->rbuf;

	for (int i = 0; i < H1_READS_PER_EVENT; i++) {
		ssize_t n = h1_tls_recv(h->ssl, h->fd, rb, H1_RBUF);
		int st;

		if (n == H1_TLS_WANT_WRITE) {
			arm(u, EV_WRITE);
			return;
		}
		if (n == H1_TLS_WANT_READ)
			break;
		if (n < 0) {
			snprintf(u->errbuf, sizeof(u->errbuf), "Recv failure: %s", strerror(errno));
			read_failed(u, CURLE_RECV_ERROR);
			return;
		}
		if (n > 0 && !h->resp.got_bytes)
			h->t_first = clock_mono_us();
		h->rcv += (uint64_t)n;
		st = h1_resp_feed(&h->resp, rb, (size_t)n);
		if (st == H1_DONE) {
			finish(u, CURLE_OK);
			return;
		}
		if (st < 0) {
			CURLcode rc = st == H1_E_HEADER	    ? CURLE_OUT_OF_MEMORY
				      : st == H1_E_ENCODING ? CURLE_BAD_CONTENT_ENCODING
							    : CURLE_WEIRD_SERVER_REPLY;

			snprintf(u->errbuf, sizeof(u->errbuf), "%s", h->resp.why);
			close_conn(h);
			finish(u, rc);
			return;
		}
		if (n == 0) {
			/* The peer closed before the answer was complete. */
			if (!h->resp.got_bytes) {
				snprintf(u->errbuf, sizeof(u->errbuf), "Empty reply from server");
				read_failed(u, CURLE_GOT_NOTHING);
			} else {
				snprintf(u->errbuf, sizeof(u->errbuf),
					 "the connection closed before the response was complete");
				close_conn(h);
				finish(u, CURLE_PARTIAL_FILE);
			}
			return;
		}
	}
	arm(u, EV_READ);
}

/* An idle keep-alive connection became readable: the server closed it (or sent what nobody
 * asked for, or TLS records such as session tickets that need no answer). Close it unless it
 * was only the latter, so the next request opens a new connection instead of failing on it. */
static void on_idle(struct user *u)
{
	struct h1 *h = u->h1;
	ssize_t n;

	if (h->fd < 0)
		return;
	n = h1_tls_recv(h->ssl, h->fd, wstate(u->w)->rbuf, H1_RBUF);
	if (n != H1_TLS_WANT_READ)
		close_conn(h);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct user *u = arg;
	struct h1 *h = u->h1;

	(void)fd;
	if (h->state == H1_FAILED) {
		finish(u, h->rc);
		return;
	}
	if (h->state == H1_IDLE) {
		on_idle(u);
		return;
	}
	if (what & EV_TIMEOUT) {
		int64_t now = clock_mono_us();

		if (h->state == H1_CONNECTING && now < h->deadline)
			snprintf(u->errbuf, sizeof(u->errbuf), "Connection timed out after %lld ms",
				 (long long)((now - h->t_conn0) / 1000));
		else
			snprintf(u->errbuf, sizeof(u->errbuf), "Operation timed out after %lld ms",
				 (long long)((now - h->t_start) / 1000));
		close_conn(h);
		finish(u, CURLE_OPERATION_TIMEDOUT);
		return;
	}
	switch (h->state) {
	case H1_CONNECTING: {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			snprintf(u->errbuf, sizeof(u->errbuf), "Failed to connect: %s",
				 strerror(err));
			close_conn(h);
			finish(u, CURLE_COULDNT_CONNECT);
			return;
		}
		connected(u);
		return;
	}
	case H1_TLS:
		handshake(u);
		return;
	case H1_SENDING:
		start_write(u);
		return;
	case H1_READING:
		do_read(u);
		return;
	default:
		return;
	}
}

/* ---- the request ---- */

static bool same_key(const struct h1 *h, const struct h1_url *pu)
{
	return h->key_port == pu->port && h->key_https == pu->https && h->key.len == pu->hlen &&
	       memcmp(h->key.data, pu->host, pu->hlen) == 0;
}

/* Can the request rendered last be sent again as it is? */
static bool same_request(const struct h1 *h, const struct creq *r, const char *url, bool hop,
			 const char *hdrs, size_t hdrs_len, bool to_get)
{
	return h->req_r == r && !hop && url && url == r->url_const && url == h->target_src &&
	       h->req_to_get == to_get && h->jar.n == 0 && h->req_hdrs.len == hdrs_len &&
	       (hdrs_len == 0 || memcmp(h->req_hdrs.data, hdrs, hdrs_len) == 0);
}

int h1_send(struct user *u, const struct creq *r, const char *url, size_t url_len, const char *hdrs,
	    size_t hdrs_len, const char *body, size_t body_len, bool hop, bool to_get)
{
	struct h1 *h = u->h1;
	const struct plan_http *ph = &u->w->prog->plan->http;
	struct buf *q = &h->req;
	struct h1_url *pu = &h->pu;
	bool parsed = true;
	bool has_body = !to_get && (r->has_body || r->method == M_POST);
	const char *method = to_get ? (r->method == M_HEAD ? "HEAD" : "GET") : r->src->method;

	h->t_start = u->sent_us;
	h->deadline = h->t_start + (int64_t)r->timeout_ms * 1000;
	h->rcv = h->sent = 0;
	h->wr_off = 0;
	h->retried = false;
	h->new_conn = false;
	h->t_conn0 = h->t_conn = h->t_tls = h->t_pre = h->t_first = 0;
	u->errbuf[0] = '\0';
	/* The same constant URL as last time is parsed already. */
	if (!(url == h->target_src && url == r->url_const)) {
		if (url != h->target.data) {
			buf_reset(&h->target);
			if (buf_append(&h->target, url, url_len) < 0 ||
			    buf_append_byte(&h->target, 0) < 0)
				return -1;
			h->target.len--;
		}
		h->target_src = NULL;
		parsed = h1_url_parse(h->target.data, h->target.len, pu) == 0;
		if (parsed && url == r->url_const)
			h->target_src = url;
	}
	h1_resp_begin(&h->resp, r->method == M_HEAD, r->need_body, r->need_headers,
		      ph->compression);
	if (!parsed) {
		snprintf(u->errbuf, sizeof(u->errbuf), "cannot read the URL \"%.200s\"",
			 h->target.data);
		fail_soon(u, CURLE_URL_MALFORMAT);
		return 0;
	}
	if (!same_request(h, r, url, hop, hdrs, hdrs_len, to_get)) {
		/* Rendered again unless the URL and body are the step's constants, the header lines
		 * are the same as last time and no cookie is to be sent (h1_request.h). */
		bool constant = url == h->target_src && !hop && h->jar.n == 0 &&
				(!has_body || body == r->body_const);

		if (h1_request_render(q, method ? method : "GET", pu, hdrs, hdrs_len, hop,
				      ph->compression, &h->jar, has_body, body, body_len) < 0)
			return -1;
		h->req_r = NULL;
		buf_reset(&h->req_hdrs);
		if (constant && buf_append(&h->req_hdrs, hdrs, hdrs_len) == 0) {
			h->req_r = r;
			h->req_to_get = to_get;
		}
	}
	/* The user's connection, when it is to the same host and port. */
	if (h->fd >= 0 && same_key(h, pu)) {
		h->reused = true;
		start_write(u);
	} else
		start_connect(u, pu);
	return 0;
}

/* ---- after the answer ---- */

void h1_info(struct user *u, struct http_xfer *x)
{
	struct h1 *h = u->h1;

	memset(x, 0, sizeof(*x));
	x->code = h->resp.status;
	x->total = h->t_end - h->t_start;
	if (h->t_pre)
		x->pre = h->t_pre - h->t_start;
	if (h->t_first)
		x->start = h->t_first - h->t_start;
	x->nconn = h->new_conn ? 1 : 0;
	if (h->new_conn && h->t_conn)
		x->connect = h->t_conn - h->t_conn0;
	if (h->new_conn && h->t_tls)
		x->tls = h->t_tls - h->t_conn;
	x->errbuf_owner = "the lean client";
	x->rcv = h1_resp_counted(&h->resp);
	x->sent = h->sent;
}

const char *h1_location(struct user *u, size_t *len)
{
	struct h1 *h = u->h1;

	if (!h->resp.location.len)
		return NULL;
	*len = h->resp.location.len;
	return h->resp.location.data;
}

const char *h1_current_url(struct user *u, size_t *len)
{
	*len = u->h1->target.len;
	return u->h1->target.data;
}

int h1_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len)
{
	return h1_resp_header(&u->h1->resp, name, idx, val, len);
}

int h1_cookie(struct user *u, const char *name, size_t idx, const char **val, size_t *len)
{
	return cookie_jar_get(&u->h1->jar, name, idx, val, len);
}

static void set_cookies(struct user *u)
{
	struct h1 *h = u->h1;
	struct h1_url pu;

	if (!h->resp.cookies.len || h1_url_parse(h->target.data, h->target.len, &pu) < 0)
		return;
	for (size_t off = 0; off < h->resp.cookies.len;) {
		const char *c = h->resp.cookies.data + off;
		size_t n = strnlen(c, h->resp.cookies.len - off);

		cookie_jar_set(&h->jar, &pu, c, n, clock_wall_ms() / 1000);
		off += n + 1;
	}
}
