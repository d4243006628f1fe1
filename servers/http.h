/* The HTTP plumbing shared by every service of barrage-target: listeners (HTTP and HTTPS), the
 * request/response records handed to a service, JSON helpers, counters, and group commit.
 *
 * A service is a table row (struct srv_service, registered in servers/services.c). Its handler
 * sees a socket-free request (struct srv_request) and fills a reusable response
 * (struct srv_response); the transport (http1.c) turns that into bytes. Because the handler
 * never touches the connection, the same handler runs from the fuzzer and from unit tests with
 * no network.
 *
 * Where things are: http.c (this contract's helpers and the built-in routes), loop.c (a loop's
 * counters and the group commit), http1.c and http1_parse.c (the transport), run.c (srv_run).
 *
 * Group commit: a service that keeps state opens a journal (servers/journal.h) in its init and
 * stores it in srv->journal. After each handler call, if the journal holds records not yet
 * committed (or replies are already waiting), the reply is held; once the event loop has run
 * every callback that was ready in this turn, one journal_commit() makes them all durable (one
 * fsync with --sync batch) and the held replies go out in arrival order. So no reply is sent
 * before the records appended before it are on disk, and a read never reports state that a
 * crash could still take back.
 *
 * Transport: HTTP/1.1 is served by a small parser of our own (http1.c: no allocation per
 * request, one write per batch of pipelined replies), over plain TCP or over an OpenSSL session
 * on the same connection code, so HTTP and HTTPS parse, refuse and answer identically.
 *
 * Threads: --threads N runs N event loops, each with its own listeners on the same ports
 * (SO_REUSEPORT). Only services with threads_ok (the stateless test target) accept N > 1;
 * stateful services run their handler on one loop, so they need no locks. */
#ifndef BARRAGE_SERVERS_HTTP_H
#define BARRAGE_SERVERS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "servers/journal.h"

struct event_base;
struct srv;

enum srv_method {
	SRV_GET = 1,
	SRV_POST,
	SRV_PUT,
	SRV_DELETE,
	SRV_HEAD,
	SRV_PATCH,
	SRV_OPTIONS,
	SRV_OTHER,
};

/* Default cap on a request body; --max-body changes it. Larger bodies get 413. */
#define SRV_DEFAULT_MAX_BODY ((size_t)1 << 20)

/* One request as a service sees it. Every pointer stays valid for the handler call only. */
struct srv_request {
	enum srv_method method;
	const char *method_name; /* "GET", ... */
	const char *path;	 /* raw path, without the query; starts with '/' */
	size_t path_len;
	const char *query; /* raw query after '?' (not decoded), "" when none */
	const char *body;  /* not NUL-terminated; may be NULL when body_len == 0 */
	size_t body_len;
	const char *cookie;	   /* Cookie header or NULL */
	const char *authorization; /* Authorization header or NULL */
	int64_t now_us;		   /* monotonic clock at dispatch */
	const char *uri;	   /* raw request target (path and query); may be NULL */
	size_t uri_len;
	const char *raw_headers; /* the header lines as received ("Name: v\r\n"...) */
	size_t raw_headers_len;
};

#define SRV_MAX_HEADERS	     8
#define SRV_HEADER_VALUE_MAX 512

/* The reply a handler fills. The transport resets it before each call and reuses its memory. */
struct srv_response {
	int status;		  /* 0 means 200 */
	struct buf body;	  /* the body, unless static_body is set */
	const char *content_type; /* NULL: application/json */
	const char *static_body;  /* referenced, not copied: must outlive the reply */
	size_t static_len;
	int nhdr;
	char hdr_name[SRV_MAX_HEADERS][64];
	char hdr_value[SRV_MAX_HEADERS][SRV_HEADER_VALUE_MAX];
	int64_t delay_us; /* send the reply this much later (test target) */
	int chunked;	  /* send the body as chunks (test target) */
	int close;	  /* Connection: close after this reply */
};

/* A service option: "--name VALUE" (has_arg) or "--name". */
struct srv_option {
	const char *name; /* without the leading dashes */
	int has_arg;
	const char *help; /* one line for --help, e.g. "--accounts N   seeded users (1000)" */
};

/* A row of the service table (servers/services.c). Every callback but handle may be NULL.
 * - option: called for each service option from the command line (value NULL when !has_arg);
 *   returns 0, or -1 with *err set. Runs before init.
 * - init: allocate srv->state, open the journal (srv->data_dir, srv->sync) and replay it, set
 *   srv->journal. Returns 0 or -1 with *err set (the program exits 2 on a usage error, 1 else).
 * - handle: answer one request (see srv_request / srv_response); must not block.
 * - metrics: append service counters to /metrics ("name value\n" lines).
 * - fini: free srv->state (after the loops stopped). */
struct srv_service {
	const char *name;
	const char *summary;		  /* one line for --help */
	const struct srv_option *options; /* terminated by a {NULL} row; may be NULL */
	int threads_ok;
	int (*option)(struct srv *s, const char *name, const char *value, char **err);
	int (*init)(struct srv *s, char **err);
	void (*handle)(struct srv *s, const struct srv_request *rq, struct srv_response *rs);
	void (*metrics)(struct srv *s, struct buf *out);
	void (*fini)(struct srv *s);
};

/* The service table, NULL-terminated (servers/services.c). */
extern const struct srv_service *const srv_services[];
const struct srv_service *srv_service_find(const char *name);

/* Request counters, kept per loop thread and summed for /metrics. */
struct srv_counters {
	uint64_t requests; /* every request handled, /health and /metrics included */
	uint64_t status_2xx, status_3xx, status_4xx, status_5xx;
	uint64_t bytes_in;     /* request bodies */
	uint64_t bytes_out;    /* response bodies */
	uint64_t commits;      /* journal commits that carried records */
	uint64_t held_replies; /* replies that waited for a commit */
};

struct srv_thread; /* one event loop: servers/loop.h */

struct srv {
	const struct srv_service *service;
	void *state;		 /* the service's */
	struct journal *journal; /* set by a stateful service's init; see group commit above */
	const char *data_dir;	 /* --data-dir (default "."); never NULL */
	enum journal_sync sync;	 /* --sync */
	int threads;		 /* --threads */
	size_t max_body;	 /* --max-body */
	int64_t start_us;	 /* monotonic clock when the server started */
	int verbose;		 /* -v count; -q sets log_level to errors */
	struct event_base *base; /* loop 0's base, available after srv_run started */

	/* the loops' own (servers/run.c, loop.c) */
	struct srv_thread *thr;
	int nthr;
	char **listen;
	int nlisten;
	char **tls_listen;
	int ntls_listen;
	const char *cert_file, *key_file, *port_file;
	void *ssl_ctx;
	volatile int stopping;
};

/* Bind every listener, write the port file, run the loops until SIGTERM/SIGINT. Returns 0 on a
 * clean stop, -1 with *err when a listener cannot be set up. */
int srv_run(struct srv *s, char **err);

/* Run a request through the service without a socket: the built-in routes (/health, /metrics)
 * and then the service's handler. Used by the transport, the fuzzer and unit tests. */
void srv_dispatch(struct srv *s, const struct srv_request *rq, struct srv_response *rs);

/* Response helpers. */
void srv_response_init(struct srv_response *rs);
void srv_response_reset(struct srv_response *rs);
void srv_response_free(struct srv_response *rs);
/* {"error": "MESSAGE"} with the given status. */
void srv_reply_error(struct srv_response *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Dump a JSON value as the body with the given status; takes the reference to v. */
void srv_reply_json(struct srv_response *rs, int status, json_t *v);
/* Add a response header (silently dropped past SRV_MAX_HEADERS or an over-long value). */
void srv_add_header(struct srv_response *rs, const char *name, const char *value);

/* Parse the body as a JSON object. On failure fills rs with a 400 error naming what is wrong
 * and returns NULL. The caller owns the result (json_decref). */
json_t *srv_body_json(const struct srv_request *rq, struct srv_response *rs);

/* The fake login shared by the target and voting: body {"user": U, "password": P}, accepted
 * when P is "pw-" + U. Returns 1 with U copied into user (NUL-terminated), 0 after replying 401
 * {"ok":false,"error":"bad credentials"}, -1 after replying 400 (not that shape, or U longer
 * than size - 1 bytes). */
int srv_login_check(const struct srv_request *rq, struct srv_response *rs, char *user, size_t size);
/* The 401 reply of a refused login. */
void srv_reply_bad_credentials(struct srv_response *rs);

/* Find NAME in a raw query string and percent-decode its value into out (NUL-terminated).
 * Returns the decoded length, or -1 when absent or longer than outsize - 1. */
int srv_query_get(const char *query, const char *name, char *out, size_t outsize);

/* Find cookie NAME in a Cookie header; copies its value. Returns the length or -1. */
int srv_cookie_get(const char *cookie, const char *name, char *out, size_t outsize);

/* Find the path and the query of a NUL-terminated request target: origin form "/p?q" or
 * absolute form "http://host/p?q". Sets *path and *path_len (the path ends at the '?', not
 * NUL-terminated) and *query (after the '?', "" when none). Returns 0, or -1 when the target
 * has no path starting with '/'. */
int srv_target_split(const char *target, const char **path, size_t *path_len, const char **query);

/* True when the path equals s (paths compare exactly, case-sensitive). */
int srv_path_is(const struct srv_request *rq, const char *s);

/* Call fn for every request header. Names and values are not
 * NUL-terminated. */
void srv_headers_each(const struct srv_request *rq,
		      void (*fn)(void *ctx, const char *name, size_t nlen, const char *value,
				 size_t vlen),
		      void *ctx);

/* Sum of every thread's counters. */
void srv_counters_sum(struct srv *s, struct srv_counters *out);

#endif
