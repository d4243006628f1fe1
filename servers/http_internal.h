/* What http.c (the loops, group commit) and http1.c (the HTTP/1.1 transport, plain and TLS)
 * share. Not for services: they see http.h only. */
#ifndef BARRAGE_SERVERS_HTTP_INTERNAL_H
#define BARRAGE_SERVERS_HTTP_INTERNAL_H

#include <pthread.h>

#include "servers/http.h"

struct event;
struct evconnlistener;
struct h1_conn;

/* A reply waiting for a journal commit: a connection whose serialized reply sits in its output
 * buffer. */
struct srv_held {
	int status;
	struct h1_conn *conn;
};

struct srv_thread {
	struct srv *s;
	int idx;
	pthread_t tid;
	struct event_base *base;
	struct evconnlistener **plain; /* one per --listen and --tls-listen */
	int nplain;
	struct h1_conn *conns; /* every open plain connection, for the stop */
	struct event *flush_ev;
	int flush_armed;
	struct srv_held *held, *held_spare; /* double-buffered: see srv_flush */
	size_t nheld, capheld, capspare;
	struct srv_response rs;
	char path[4096];
	struct srv_counters ctr;
	struct event *sig_term, *sig_int;
	/* Accepting at the open-file limit: see h1_listen. */
	struct event *accept_resume;
	int64_t accept_backoff_ms; /* current pause, 0 when accepting normally */
	uint64_t accept_errors, accept_errors_logged;
	int64_t accept_log_us;
	size_t nconns;
};

/* Count a reply. */
void srv_count(struct srv_thread *t, int status, size_t body_len);
/* Non-zero when a reply must wait for a commit (records pending, or replies already waiting). */
int srv_must_hold(struct srv_thread *t);
/* Queue a reply until the next commit; -1 when the queue is full (the caller commits now). */
int srv_hold(struct srv_thread *t, const struct srv_held *h);
/* Commit and send every held reply now. */
void srv_flush(struct srv_thread *t);

/* http1.c */

/* A parsed request head. Pointers are into the caller's buffer. */
struct h1_head {
	size_t head_len; /* request line and headers, final CRLFCRLF included */
	size_t clen;	 /* Content-Length (0 when absent) */
	int http10;
	int keepalive; /* -1 unsaid, 0 close, 1 keep-alive */
	int expect;    /* Expect: 100-continue */
	const char *method;
	size_t method_len;
	char *uri;
	size_t uri_len;
	char *version_sp; /* the space before "HTTP/1.x" (the caller may write a NUL there) */
	const char *headers;
	size_t headers_len;
	const char *cookie, *auth;
	size_t cookie_len, auth_len;
	int status; /* non-zero: the request is refused with this status and msg */
	char msg[96];
};

/* Parse the request head at p (avail bytes; nothing is written). Returns 0 when the head is not
 * complete yet, 1 when it is parsed (hd->status 0) or refused (hd->status 400/413/431/501 with
 * hd->msg). max_body bounds Content-Length. */
int h1_parse_head(char *p, size_t avail, size_t max_body, struct h1_head *hd);

/* Accept connections on the listening socket fd: plain HTTP, or with tls HTTPS through the
 * server's SSL_CTX (t->s->ssl_ctx). When accept fails for want of a descriptor or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM), the thread's listeners pause (10 ms, doubling up to 1 s
 * while it keeps failing) instead of spinning on a socket that stays readable; the connections
 * already open are served meanwhile; one log line a second at most says how many accepts
 * failed. */
int h1_listen(struct srv_thread *t, int fd, int tls);
void h1_release(struct h1_conn *c); /* a held reply may go out */
void h1_close_all(struct srv_thread *t);

#endif
