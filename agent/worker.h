/* A worker thread's state (struct worker) and the services its users and its HTTP client call.
 *
 * The shape of the engine, wrk-style: the main thread talks to the controller (link.c) and
 * merges statistics (engine.c); N worker threads each own an event_base, one HTTP client's
 * per-thread state (transport.h) and a set of users. The compiled plan is built once and then
 * only read, so workers share it without locks. Each worker records into its own struct wstats
 * and hands it to the main thread once per interval under a mutex.
 *
 * Who touches what: users (user.c, session.c) and the clients (http.c, lean.c, h1.c) read the
 * context half of this struct and call the worker_* services below; the loop half (arrivals,
 * slots, intervals, stopping, runtime control) belongs to loop.c, which owns the users. This
 * header does not know struct user's insides, so a user reaching its worker makes no include
 * cycle: loop.c is the one place that knows both. */
#ifndef BARRAGE_AGENT_WORKER_H
#define BARRAGE_AGENT_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "agent/scheduler.h"
#include "common/buf.h"

struct csession;
struct event;
struct event_base;
struct plan_load;
struct prog;
struct transport;
struct user;
struct wstats;

#define WORKER_MAX_NOTES 64

struct worker {
	/* ---- the context users and the HTTP client share (worker.c) ---- */
	const struct prog *prog;
	const struct transport *tp; /* the HTTP client of this load (transport.h) */
	int id;
	struct event_base *base;
	struct wstats *cur; /* recorded into on the hot path; only this thread touches it */
	uint64_t rng;
	atomic_uint_fast64_t *user_seq; /* the agent's users so far (all workers) */
	bool stopping;			/* users stop at their next step */
	double pace_interval_us;	/* rate model: per-user interval between requests */
	int64_t conns_open;
	struct buf scratch;
	void *match_data;  /* pcre2_match_data * */
	uint64_t src_next; /* the next of prog->src_addrs a new connection is bound to */
	/* Steps whose failure was already described in the agent's log (worker_note_once). */
	const void *noted[WORKER_MAX_NOTES];
	unsigned nnoted;
	/* Closed and rate models with several sessions: the sessions' weighted round-robin,
	 * [slot_seq_len] (set up by loop.c, read by worker_slot_session()). */
	uint32_t *slot_seq;
	size_t slot_seq_len;
	uint64_t slot_first; /* closed/rate: fleet-wide number of this worker's first slot */
	/* A user's session ended (loop.c decides whether a new user takes the slot). */
	void (*user_done)(struct worker *w, struct user *u);

	/* ---- the libcurl client's per-thread state (http.c) ---- */
	CURLM *multi;
	struct event *curl_timer;
	struct event **fdev; /* per socket fd, created once and reused */
	size_t nfdev;
	int added; /* transfers added since the last completion was handled */
	/* ---- the lean client's per-thread state (h1.c) ---- */
	void *h1w;

	/* ---- the loop: arrivals, intervals, stopping, control (loop.c) ---- */
	pthread_t thread;
	struct event *tick, *stop_ev, *arrive, *lag_ev, *end_ev;
	struct event *collect; /* the main thread's: activated after a hand-off */
	pthread_mutex_t mu;    /* guards hand, finished and the ctl_* fields */
	struct wstats *hand;   /* the last interval handed to the main thread */
	uint32_t interval;     /* index of the interval being recorded */
	bool finished;	       /* thread left its loop (set under mu) */
	struct user *live, *free_users;
	int64_t users_alive;
	/* load share of this worker */
	struct sched_open open;
	uint64_t max_users;	/* open model: 0 = no cap */
	uint64_t users_target;	/* closed/rate */
	uint64_t users_started; /* closed/rate ramp */
	int64_t next_arrival;	/* absolute µs (monotonic) */
	int64_t t0, t_end_load, t_hard;
	int64_t lag_expect;
	bool load_ended; /* the plan's duration is over (end_ev now means the hard stop) */
	/* When this worker's load ended (its users are done, or are about to be torn down): the
	 * monotonic time and the process CPU then, 0 until then. Read by the main thread after the
	 * join: the last interval's CPU window ends here, so the teardown is not counted. */
	int64_t end_wall_us, end_cpu_us;
	atomic_int_fast64_t stop_hard_at; /* set by loop_request_stop from the main thread */
	/* Runtime control (CONTROL frames; loop_request_control): the main thread writes the
	 * ctl_* fields under mu and activates ctl_ev; the worker applies them in its own loop. */
	struct event *ctl_ev;
	double ctl_scale;
	int64_t ctl_users; /* this worker's users, -1 = unchanged */
	bool ctl_paused;
	bool paused;	      /* no arrivals, no new sessions */
	double rate_base;     /* rate model: this worker's requests/s at scale 1 */
	uint64_t extra_slots; /* users started beyond the plan's slots by control */
};

/* Set up the context half (w zeroed by the caller): event base, statistics records, match
 * data and the HTTP client's per-thread state. seed is the agent's; user_seq is the agent's
 * counter of users. */
int worker_init(struct worker *w, const struct prog *g, int id, uint64_t seed,
		atomic_uint_fast64_t *user_seq, char **err);
void worker_destroy(struct worker *w);
/* Monotonic time, µs. */
void worker_count_conn(struct worker *w, int delta);
/* http.source_addresses: bind a new socket of this family to the next source address (round
 * robin over the worker's connections). 0 when bound or there is no pool, -1 with errno. */
int worker_bind_source(struct worker *w, int fd, int family);
/* Describe a failure in the agent's log the first time it happens at `site` (a step or a
 * template: failures are counted per request, but a count alone does not say why). At most
 * WORKER_MAX_NOTES sites per worker, so a broken scenario cannot flood the log. */
void worker_note_once(struct worker *w, const void *site, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A user's session ended: the worker decides whether a new user takes the slot. */
void worker_user_done(struct worker *w, struct user *u);
/* Closed and rate models: the session that fleet-wide slot `slot` runs for its round-th
 * session, or NULL when sessions are drawn by weight. */
const struct csession *worker_slot_session(const struct worker *w, uint64_t slot, uint64_t round);

#endif
