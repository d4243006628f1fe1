/* The agent's internal model, shared by its files: the compiled plan (prog), worker threads,
 * users and the per-worker statistics they record into.
 *
 * The shape of the engine, wrk-style: the main thread talks to the controller (link.c) and
 * merges statistics; N worker threads each own an event_base, one curl multi handle and a set
 * of users. The compiled plan is built once and then only read, so workers share it without
 * locks. Each worker records into its own `struct wstats` (fixed arrays indexed by numbers the
 * compiler assigned, so the hot path never looks a name up) and hands it to the main thread
 * once per interval under a mutex. */
#ifndef BARRAGE_AGENT_H
#define BARRAGE_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <sys/socket.h>

#include "agent/scheduler.h"
#include "common/buf.h"
#include "common/expr.h"
#include "common/hist.h"
#include "common/jsonpath.h"
#include "common/plan.h"
#include "common/stats.h"
#include "common/tmpl.h"

struct event;
struct csv;
struct event_base;

/* ---- statistics a worker records (indexes into wstats arrays) ---- */

enum {
	H_CONNECT = 0,
	H_TLS,
	H_REQUEST,
	H_REQUEST_SERVICE,
	H_TTFB,
	H_PAGE,
	H_SESSION,
	H_REQUEST_FAILED, /* curl's total time of a request that got no complete response */
	H_FIXED /* tr_NAME and req_NAME follow */
};

enum {
	C_REQUESTS = 0,
	C_SIZE_RCV,
	C_SIZE_SENT,
	C_USERS_COUNT,
	C_FINISH_USERS,
	C_DROPPED_USERS,
	C_ERR_CONNECT,
	C_ERR_TIMEOUT,
	C_ERR_TLS,
	C_ERR_DNS,
	C_ERR_CLOSED,
	C_ERR_OTHER,
	C_ERR_EXPECT_STATUS,
	C_ERR_EXPECT_BODY,
	C_ERR_EXPECT_HEADER,
	C_ERR_ABORT,
	C_ERR_EVAL,
	C_ERR_RENDER,
	C_ERR_DATA_EXHAUSTED,
	C_ERR_CUT,	    /* in flight when the run's grace ended */
	C_REQUESTS_MISSED,  /* rate model: intended sends that never went out */
	C_USERS_BACKOFF,    /* a user waited before its next session after failing */
	C_ERR_HEADER_TOO_LARGE,
	C_WHILE_MAX,	    /* a while loop stopped at its max */
	C_ERR_BAD_URL,	    /* a rendered URL held a character not valid in a URL */
	C_FIXED /* error_capture_VAR and error_abort_REASON follow */
};

#define AGENT_HTTP_CODES 1000

struct wstats {
	uint32_t interval;
	bool ready;	 /* handed off and not yet taken by the main thread */
	struct hist **h; /* [prog->nhists], allocated on first record */
	uint64_t *c;	 /* [prog->nctrs] */
	uint64_t http[AGENT_HTTP_CODES];
	int64_t users, users_max; /* gauges: value at the hand-off and maximum during */
	int64_t conns, conns_max;
	double lag_max_ms;
};

/* ---- the compiled plan ---- */

enum sym_kind { SYM_VAR = 0, SYM_DATA };

struct sym {
	char *name;
	enum sym_kind kind;
	int data, column; /* SYM_DATA */
};

struct cset {
	int sym;
	struct tmpl *value;
};

struct ccapture {
	const struct plan_capture *src;
	int sym;
	int err_ctr;
	void *re; /* pcre2_code * (regex) */
	struct jsonpath *jp;
};

struct chdr {
	char *name;
	struct tmpl *t; /* NULL when constant */
	char *line;	/* "Name: value" when constant */
};

enum { M_GET = 0, M_POST, M_HEAD, M_OTHER };

struct creq {
	const struct plan_request *src;
	struct plan_pos pos; /* the step's place in the scenario, for the agent's log */
	int method;
	struct tmpl *url;  /* NULL when constant */
	char *url_const;   /* the absolute URL when constant */
	CURLU *url_handle; /* prebuilt for url_const (read only after compile) */
	bool url_is_path;  /* templated URL that needs the target prefix */
	struct chdr *hdrs;
	size_t nhdrs;
	size_t nhdr_tmpl;  /* how many of hdrs are templates */
	struct tmpl *body; /* NULL: no body or constant */
	char *body_const;
	size_t body_len;
	bool has_body;
	bool need_body;	   /* a capture or an expectation reads the response body */
	bool need_headers; /* a capture or an expectation reads a response header (lean client) */
	struct ccapture *caps;
	size_t ncaps;
	void *expect_re; /* pcre2_code * for expect.body_regex */
	int hist;	 /* req_NAME or -1 */
	long timeout_ms;
	uint32_t max_redirects; /* redirects followed (request's own or http.follow_redirects) */
};

struct cstep {
	const struct plan_step *src;
	enum plan_step_kind kind;
	struct creq *req;
	struct expr *cond;
	struct cstep *body, *else_body;
	size_t nbody, nelse;
	int hist;		/* TRANSACTION: tr_NAME */
	int list_sym, item_sym; /* FOREACH */
	struct cset *set;
	size_t nset;
	int abort_ctr; /* ABORT */
};

struct csession {
	const struct plan_session *src;
	struct cstep *steps;
	size_t nsteps;
	double cum_weight; /* for weighted choice */
};

/* A data file loaded into memory: rows of this agent's slice, each an array of columns. */
struct dataset {
	const struct plan_data *src;
	struct csv *csv;
	long *colmap; /* plan column i -> CSV column */
	size_t nrows;
	atomic_uint_fast64_t next;    /* sequential and unique orders: this agent's users so far */
	uint64_t seq_first, seq_step; /* sequential: this agent's k-th user takes row
				       * (seq_first + k * seq_step) mod nrows (data.c) */
};

struct prog {
	const struct plan *plan;
	struct csession *sessions;
	size_t nsessions;
	double total_weight;
	struct cset *globals; /* plan.variables, evaluated when a user starts */
	size_t nglobals;
	struct sym *syms;
	size_t nsyms, syms_cap;
	int *sym_hash; /* open addressing, -1 empty, size sym_hash_size */
	size_t sym_hash_size;
	char **hist_names;
	size_t nhists, hists_cap;
	char **ctr_names;
	size_t nctrs, ctrs_cap;
	struct dataset *data;
	size_t ndata;
	size_t max_depth; /* deepest nesting of steps + 1 */
	char *target;	  /* plan target without a trailing slash */
	bool https;
	bool lean;	    /* requests go through the agent's own HTTP/1.1 client (h1.c) */
	struct sockaddr_storage *src_addrs; /* http.source_addresses, port 0 */
	size_t nsrc_addrs;
	bool https_urls;    /* a request's constant URL is https:// */
	bool need_match_data;
	uint32_t max_groups;
};

int prog_compile(const struct plan *p, struct prog **out, char **err);
void prog_free(struct prog *g);
int prog_sym_find(const struct prog *g, const char *name, size_t len);
struct wstats *wstats_new(const struct prog *g);
void wstats_free(const struct prog *g, struct wstats *s);
void wstats_reset(const struct prog *g, struct wstats *s);
/* dst += src (histograms, counters; gauges take src's). */
void wstats_merge(const struct prog *g, struct wstats *dst, const struct wstats *src);
/* Add this worker-level record into a stats snapshot. */
int wstats_to_snapshot(const struct prog *g, const struct wstats *s, struct stats_snapshot *out);

static inline void wstats_record(const struct prog *g, struct wstats *s, int h, uint64_t us)
{
	if (!s->h[h]) {
		s->h[h] = hist_new();
		if (!s->h[h])
			return;
	}
	hist_record(s->h[h], us);
	(void)g;
}

/* data.c */
int data_load(struct prog *g, char **err);
void data_free(struct prog *g);
/* Pick a row for a new user (by the dataset's order). */
/* The row for a new user, or DATA_EXHAUSTED when an `order: unique` slice has no unused row. */
#define DATA_EXHAUSTED ((size_t)-1)
size_t data_pick(struct dataset *d, uint64_t *rng);

/* ---- runtime ---- */

/* Called with each interval's merged snapshot (final is the last one). */
typedef void (*agent_emit_fn)(void *arg, struct stats_snapshot *s, bool final);

struct agent_emit {
	agent_emit_fn fn;
	void *arg;
};

struct health_cpu {
	int64_t wall_us;
	int64_t cpu_us;
};

struct agent;
struct worker;

/* A user's variable: a value, or a list of items stored back to back in val with offsets. */
struct uvar {
	bool set;
	struct buf val;
	uint32_t *items; /* offsets into val: item i is [items[2i], items[2i] + items[2i+1]) */
	size_t nitems, items_cap;
};

struct frame {
	const struct cstep *owner; /* the step that opened this frame, NULL at the top */
	const struct cstep *steps;
	size_t n, i;
	uint64_t iter;
	int64_t t_start;
};

enum user_state { US_IDLE = 0, US_RUN, US_HTTP, US_WAIT };

/* struct user.slot of a user whose sessions are drawn by weight (open model). */
#define USER_NO_SLOT UINT64_MAX

struct user {
	struct worker *w;
	struct user *next, *prev; /* live list, or the free list (next) */
	enum user_state state;
	CURL *easy;
	CURLSH *share;
	struct event *timer;
	const struct csession *session;
	uint64_t slot;	     /* closed/rate: fleet-wide slot number (worker_slot_session());
			      * USER_NO_SLOT: sessions drawn by weight (open model) */
	uint64_t slot_round; /* sessions this slot has started (kept across the users who take
			      * the slot over) */
	struct frame *stack;
	size_t depth;
	struct uvar *vars; /* [nsyms] */
	size_t *rows;	   /* [ndata] */
	bool retired;	   /* refused a start (no unique row left): its slot is not refilled */
	uint64_t user_id;
	int64_t session_start, page_start, page_last_end;
	int64_t intended_us; /* rate model: intended send time of the current request */
	int64_t sent_us;
	double pace_next_us; /* rate model: next intended send time */
	bool page_open;
	bool stop_after;	     /* end the session at the next step boundary */
	const struct creq *req;	     /* request in flight */
	const struct creq *last_req; /* what the easy handle is set up for */
	int wait;		     /* what the timer is for (user.c) */
	bool counted;		     /* the session is counted in users_count */
	bool got_response;	     /* a response (a status line) came back in this session */
	int64_t backoff_us;	     /* wait before the next session after failing; 0 after a success */
	int64_t next_begin_us;	     /* delay before this slot's next session (user_end sets it) */
	uint32_t hops_left;	     /* redirects the request in flight may still follow */
	bool hop;		     /* the transfer in flight is a redirect hop, not the step's URL */
	struct buf url, hdrs, body, resp, scratch, tmp;
	struct h1 *h1;		      /* the lean client's state (http.client: lean), else NULL */
	struct curl_slist *hdr_nodes; /* [max headers + 2], our own nodes pointing into hdrs */
	size_t hdr_nodes_cap;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's reason for this user's last failed transfer */
};

#define WORKER_MAX_NOTES 64

struct worker {
	struct agent *agent;
	const struct prog *prog;
	int id;
	pthread_t thread;
	struct event_base *base;
	CURLM *multi;
	struct event *curl_timer, *tick, *stop_ev, *arrive, *lag_ev, *end_ev;
	struct event **fdev; /* per socket fd, created once and reused */
	size_t nfdev;
	struct wstats *cur;  /* recorded into on the hot path; only this thread touches it */
	pthread_mutex_t mu;  /* guards hand */
	struct wstats *hand; /* the last interval handed to the main thread */
	uint32_t interval;   /* index of the interval being recorded */
	bool finished;	     /* thread left its loop (set under mu) */
	uint64_t rng;
	struct user *live, *free_users;
	int64_t users_alive, conns_open;
	/* load share of this worker */
	struct sched_open open;
	uint64_t max_users;	 /* open model: 0 = no cap */
	uint64_t users_target;	 /* closed/rate */
	uint64_t users_started;	 /* closed/rate ramp */
	uint64_t slot_first;	 /* closed/rate: fleet-wide number of this worker's first slot */
	uint32_t *slot_seq;	 /* closed/rate with several sessions: the sessions' weighted
				  * round-robin, [slot_seq_len] (worker.c, slot_sessions()) */
	size_t slot_seq_len;
	double pace_interval_us; /* rate model: per-user interval between requests */
	int64_t next_arrival;	 /* absolute µs (monotonic) */
	int64_t t0, t_end_load, t_hard;
	int64_t lag_expect;
	bool stopping;	 /* users stop at their next step */
	bool load_ended; /* the plan's duration is over (end_ev now means the hard stop) */
	/* When this worker's load ended (its users are done, or are about to be torn down): the
	 * monotonic time and the process CPU then, 0 until then. Read by the main thread after the
	 * join: the last interval's CPU window ends here, so the teardown is not counted. */
	int64_t end_wall_us, end_cpu_us;
	int added; /* transfers added since drain() looked (http.c counts them) */
	atomic_int_fast64_t stop_hard_at; /* set by worker_request_stop from the main thread */
	/* Runtime control (CONTROL frames; worker_request_control): the main thread writes the
	 * ctl_* fields under mu and activates ctl_ev; the worker applies them in its own loop. */
	struct event *ctl_ev;
	double ctl_scale;
	int64_t ctl_users; /* this worker's users, -1 = unchanged */
	bool ctl_paused;
	bool paused;		/* no arrivals, no new sessions */
	double rate_base;	/* rate model: this worker's requests/s at scale 1 */
	uint64_t extra_slots;	/* users started beyond the plan's slots by control */
	struct buf scratch;
	void *h1w;	  /* the lean client's per-worker state (h1.c) */
	uint64_t src_next; /* the next of prog->src_addrs a new connection is bound to */
	void *match_data; /* pcre2_match_data * */
	/* Steps whose failure was already described in the agent's log (worker_note_once). */
	const void *noted[WORKER_MAX_NOTES];
	unsigned nnoted;
};

struct agent {
	struct plan *plan;
	struct prog *prog;
	struct worker *workers;
	int nworkers;
	struct event_base *base; /* main thread */
	struct event *collect;	 /* activated by workers after a hand-off */
	int64_t t0;		 /* monotonic start of the load, µs */
	atomic_uint_fast64_t user_seq;
	uint64_t seed;
	struct agent_emit emit;
	bool started, stopping, done, joined;
	int nstarted;		/* worker threads created */
	uint32_t next_interval; /* index of the next STATS */
	struct health_cpu cpu;
	struct event *cpu_start; /* at t0: the first CPU window starts with the load */
	struct event *safety;	 /* duration + grace + margin: stop no matter what */
};

/* engine.c: the agent's load as the main thread sees it. */

/* Take ownership of plan, compile it, load data, create the workers (not yet running).
 * base is the main thread's event_base. */
int agent_prepare(struct agent **out, struct plan *plan, struct event_base *base,
		  struct agent_emit emit, char **err);
/* Start the load delay_us from now. */
int agent_start(struct agent *a, int64_t delay_us);
/* Stop the load: in-flight requests get up to hard_us, then the final stats are emitted. */
void agent_stop(struct agent *a, int64_t hard_us);
/* Runtime control of a started load (worker_request_control; users is the agent's total, -1 =
 * unchanged, split over the workers as the plan's users are). */
void agent_control(struct agent *a, double scale, int64_t users, bool paused);
bool agent_started(const struct agent *a);
bool agent_done(const struct agent *a);
uint32_t agent_intervals_sent(const struct agent *a);
void agent_free(struct agent *a);

/* worker.c */
int worker_init(struct worker *w, struct agent *a, int id, char **err);
void worker_destroy(struct worker *w);
int worker_start(struct worker *w);
/* Ask a worker to stop (from any thread): its users stop at their next step, in-flight requests
 * get up to hard_us to finish. */
void worker_request_stop(struct worker *w, int64_t hard_us);
/* Runtime control (from the main thread): scale multiplies the open model's arrival rate and the
 * rate model's request rate; users (-1 = unchanged) is this worker's users in the closed and rate
 * models; paused stops arrivals and new sessions (users end at their next step). */
void worker_request_control(struct worker *w, double scale, int64_t users, bool paused);
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
int64_t worker_now(void);

/* user.c */
struct user *user_new(struct worker *w);
void user_free(struct user *u);
/* Begin a fresh user (new cookies, connections, data row, variables) and run its session. */
void user_begin(struct user *u, int64_t now);
/* Called by the worker when the user's transfer completed. */
void user_transfer_done(struct user *u, CURLcode rc);
/* Start a new user in this slot after delay_us (from the event loop, not from a callback). */
void user_schedule_begin(struct user *u, int64_t delay_us);
/* End now (hard stop): cancel the timer and any transfer; no session statistics. */
void user_kill(struct user *u);
/* Stop at the next step boundary; a user waiting in think time stops now. */
void user_soft_stop(struct user *u);
/* Rate model: how many of this user's intended sends fall before `until` and were never sent. */
uint64_t user_missed_sends(const struct user *u, int64_t until);
/* True while the user has a request in flight. */
bool user_in_flight(const struct user *u);

/* http.c */
int http_user_init(struct user *u, char **err);
void http_user_free(struct user *u);
int http_new_share(struct user *u);
/* The user's session is over: close its connections (unless http.share_connections). */
void http_end_session(struct user *u);
/* Prepare the easy handle for req (rendering templates) and add it to the multi. Returns 0,
 * -1 when a template failed to render, HTTP_BAD_URL when the rendered URL holds a character
 * that is not valid in a URL (u->errbuf says which). */
#define HTTP_BAD_URL (-2)
int http_send(struct user *u, const struct creq *req);
/* After completion: record timings and sizes, return the status (0 when none). */
long http_account(struct user *u, CURLcode rc);
/* After a complete response: when it is a redirect the request may follow, send the next hop
 * (returns 1), else 0; -1 when the hop could not be sent. */
int http_follow(struct user *u, long status);
/* The error counter for a failed transfer; reason is curl's error buffer (may be NULL). */
int http_error_counter(CURLcode rc, const char *reason);
/* Cancel the transfer in flight (hard stop). */
void http_cancel(struct user *u);
/* The idx-th value of response header name in the last answer (trimmed; not NUL-terminated
 * with the lean client). 0 found, -1 not. */
int http_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len);

/* What one transfer took, however it was made (µs from its start). */
struct http_xfer {
	long code, nconn;
	int64_t total, start, pre, connect, tls;
	uint64_t rcv, sent;
	const char *errbuf_owner; /* "libcurl" or "the lean client", for notes */
};

/* h1.c: the lean HTTP/1.1 client. Failures carry the CURLcode libcurl would give. */
int h1_user_init(struct user *u, char **err);
void h1_user_free(struct user *u);
void h1_new_share(struct user *u);
void h1_end_session(struct user *u);
void h1_cancel(struct user *u);
/* Send r to url with the rendered header lines (NUL-separated "Name: value") and body. hop: a
 * redirect hop (the step's Host line is dropped); to_get: the hop goes on as a GET without a
 * body. Failures are reported through user_transfer_done from the event loop. */
int h1_send(struct user *u, const struct creq *r, const char *url, size_t url_len,
	    const char *hdrs, size_t hdrs_len, const char *body, size_t body_len, bool hop,
	    bool to_get);
void h1_info(struct user *u, struct http_xfer *x);
const char *h1_location(struct user *u, size_t *len);
const char *h1_current_url(struct user *u, size_t *len);
int h1_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len);
int h1_cookie(struct user *u, const char *name, size_t idx, const char **val, size_t *len);
void h1_worker_free(struct worker *w);

/* capture.c, expect.c: return 0 ok, -1 failed (counted). */
int capture_run(struct user *u, const struct creq *req, long status);
int expect_run(struct user *u, const struct creq *req, long status);
void uvar_set(struct uvar *v, const char *s, size_t len);
void uvar_add_item(struct uvar *v, const char *s, size_t len);
void uvar_clear(struct uvar *v);
int user_expr_lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		     size_t *count);
void user_env(struct user *u, struct expr_env *env);

/* health.c */
/* Below this window the CPU share is reported but not judged (see health.c). */
#define HEALTH_CPU_MIN_WINDOW_US 200000

/* One interval as the saturation rule sees it. */
struct health_window {
	double cpu;	   /* cores used over the window (health_cpu_close) */
	double cpu_limit;  /* cores the agent may use */
	int64_t window_us; /* the time the interval really covered */
	double lag_ms;	   /* worst event-loop lag in the interval */
	bool loaded;	   /* requests completed, or users alive before the load's end */
};

/* The process's CPU time so far (user + system, all threads), µs. */
int64_t health_cpu_now_us(void);
/* Open a window now. */
void health_cpu_start(struct health_cpu *c);
/* cpu_us of CPU over wall_us of time, in cores (0 for an empty window). */
double health_cpu_share(int64_t cpu_us, int64_t wall_us);
/* Close the window at (wall_us, cpu_us), a sample taken at the interval's end: returns the
 * share over it, stores its length in *window_us (when not NULL) and opens the next there. */
double health_cpu_close(struct health_cpu *c, int64_t wall_us, int64_t cpu_us, int64_t *window_us);
bool health_saturated(const struct health_window *h);
int health_raise_nofile(uint64_t *nofile);

#endif
