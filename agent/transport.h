/* The seam between a user's session and the HTTP client that carries its requests.
 *
 * A user's state machine (session.c) never calls an HTTP client by name: it goes through the
 * worker's `const struct transport *` (w->tp), chosen once per load from the compiled plan
 * (prog->lean, from http.client) when the worker is set up. Two implementations sit behind it:
 *
 *   http_transport  (http.c)  libcurl: HTTP/1.1 and HTTP/2, one easy handle per user on the
 *                             worker's curl multi handle, driven by libevent;
 *   lean_transport  (lean.c)  the agent's own HTTP/1.1 client (h1.c, h1_parse.c): requests
 *                             rendered into the user's buffers and written with one call.
 *
 * The contract, which a third client (HTTP/3, a Unix socket, a mock) implements the same way:
 *
 * - worker_init/worker_free set up and tear down the client's per-thread state (the curl multi
 *   handle and its socket events; the lean client's TLS contexts and read buffer). They run on
 *   the thread that creates the worker, before its loop runs.
 * - user_init/user_free pair for each struct user; new_share gives the user fresh cookies and
 *   connections (a new user in the slot); end_session closes its connections at the end of its
 *   session (unless http.share_connections keeps a worker-wide pool).
 * - send renders the compiled request (render.c) and starts it. 0, -1 when a template failed to
 *   render, TRANSPORT_BAD_URL when the rendered URL is not a valid URL (u->errbuf says why).
 * - When the transfer is over — answered, failed or timed out — the client calls
 *   session_transfer_done(u, rc) (session.h) from its event callback, never from inside send:
 *   that is the completion callback back into the user. rc is a CURLcode; the lean client
 *   reports its failures with the code libcurl would give, so error names do not depend on the
 *   client. u->errbuf holds the client's reason.
 * - Inside that callback the session asks: xfer (what the transfer took: status, connections,
 *   timings, bytes), follow (only for a redirect the request may still follow, render.h: send
 *   the next hop; 1 sent, 0 no usable Location, -1 failed; completion comes back the same way),
 *   header and cookies (for captures and expectations). The answer's body, as far as a capture
 *   or an expectation needs it (creq.need_body), is in u->resp.
 * - Before send the session has set u->req, u->hop, u->hops_left and emptied u->resp; send
 *   stamps u->sent_us when the request goes out and clears u->errbuf.
 * - cancel drops the transfer in flight without a callback (hard stop).
 *
 * Cost: one indirect call per operation, a few per request; nothing is allocated here. */
#ifndef BARRAGE_AGENT_TRANSPORT_H
#define BARRAGE_AGENT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct creq;
struct user;
struct worker;

/* transport.send: the rendered URL holds a character that is not valid in a URL. */
#define TRANSPORT_BAD_URL (-2)

/* What one transfer took, however it was made (µs from its start). */
struct http_xfer {
	long code, nconn;
	int64_t total, start, pre, connect, tls;
	uint64_t rcv, sent;
	const char *errbuf_owner; /* "libcurl" or "the lean client", for notes */
};

/* A capture's consumer of cookie values: returns nonzero to stop. */
typedef int (*transport_take_fn)(void *arg, const char *val, size_t len);

struct transport {
	const char *name; /* "libcurl" or "the lean client", for the agent's log */
	int (*worker_init)(struct worker *w, char **err);
	void (*worker_free)(struct worker *w);
	int (*user_init)(struct user *u, char **err);
	void (*user_free)(struct user *u);
	int (*new_share)(struct user *u);
	void (*end_session)(struct user *u);
	int (*send)(struct user *u, const struct creq *r);
	void (*xfer)(struct user *u, struct http_xfer *x);
	int (*follow)(struct user *u, long status);
	void (*cancel)(struct user *u);
	/* The idx-th value of response header name in the last answer (trimmed; not
	 * NUL-terminated with the lean client). 0 found, -1 not. */
	int (*header)(struct user *u, const char *name, size_t idx, const char **val, size_t *len);
	/* Each value of the user's cookie name, in the jar's order, to take until it returns
	 * nonzero. */
	void (*cookies)(struct user *u, const char *name, transport_take_fn take, void *arg);
};

extern const struct transport http_transport; /* http.c: libcurl */
extern const struct transport lean_transport; /* lean.c: the agent's HTTP/1.1 client */

#endif
