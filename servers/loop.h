/* One event loop of barrage-target (struct srv_thread: its libevent base, listeners, open
 * connections, counters) and the group commit that holds replies until the journal records
 * appended before them are durable (see "Group commit" in http.h).
 *
 * Layers, each depending only on the ones above it:
 *   http.h        the service contract (requests, replies, the service table)
 *   loop.h        a loop's state, counters, held replies and the commit flush   (this file)
 *   http1.h       HTTP/1.1 connections (plain and TLS) on a loop
 *   run.c         srv_run: builds the loops and listeners, runs them, tears them down
 * A held reply carries its own release callback, so the commit flush needs nothing of the
 * transport that holds it. Not for services: they see http.h only. */
#ifndef BARRAGE_SERVERS_LOOP_H
#define BARRAGE_SERVERS_LOOP_H

#include <pthread.h>

#include "servers/http.h"

struct event;
struct evconnlistener;
struct h1_conn;

/* A reply waiting for a journal commit: a connection whose serialized reply sits in its output
 * buffer. release(conn) lets it go out once the commit is done. */
struct loop_held {
	int status;
	void *conn;
	void (*release)(void *conn);
};

struct srv_thread {
	struct srv *s;
	int idx;
	pthread_t tid;
	struct event_base *base;
	struct evconnlistener **plain; /* one per --listen and --tls-listen */
	int nplain;
	struct h1_conn *conns; /* every open connection, for the stop */
	struct event *flush_ev;
	int flush_armed;
	struct loop_held *held, *held_spare; /* double-buffered: see loop_flush */
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

/* Add n to a counter of t->ctr (relaxed atomics: /metrics sums them from another thread). */
void loop_counter_add(uint64_t *c, uint64_t n);
/* Count a reply. */
void loop_count(struct srv_thread *t, int status, size_t body_len);
/* Non-zero when a reply must wait for a commit (records pending, or replies already waiting). */
int loop_must_hold(struct srv_thread *t);
/* Queue a reply until the next commit; -1 when the queue is full (the caller commits now). */
int loop_hold(struct srv_thread *t, const struct loop_held *h);
/* Commit and send every held reply now. */
void loop_flush(struct srv_thread *t);
/* The event callback that runs loop_flush (arg: the thread), at the lowest priority of its loop
 * so it runs once every ready callback of the turn has run. */
void loop_flush_cb(int fd, short what, void *arg);

#endif
