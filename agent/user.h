/* A simulated user's state (struct user) and its variables.
 *
 * This header is what the parts of a user share: the session state machine (session.c) walks
 * the steps; the HTTP clients (http.c, lean.c, h1.c) and request rendering (render.c) fill and
 * read the per-user buffers; captures and expectations (capture.c, expect.c) read the answer
 * and set variables; the worker's loop (loop.c) keeps users on its lists. It declares only the
 * user's construction and its variables, so every one of them can include it without a cycle:
 * control flows through session.h, which includes this, never the other way. */
#ifndef BARRAGE_AGENT_USER_H
#define BARRAGE_AGENT_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/buf.h"

struct creq;
struct csession;
struct cstep;
struct expr_env;
struct event;
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
	const struct creq *last_req; /* what the client's handle is set up for */
	int wait;		     /* what the timer is for (session.c) */
	bool counted;		     /* the session is counted in users_count */
	bool got_response;	     /* a response (a status line) came back in this session */
	int64_t backoff_us;    /* wait before the next session after failing; 0 after a success */
	int64_t next_begin_us; /* delay before this slot's next session (session.c sets it) */
	uint32_t hops_left;    /* redirects the request in flight may still follow */
	bool hop;	       /* the transfer in flight is a redirect hop, not the step's URL */
	/* Rendered request (render.c), the answer's body as far as needed, and work space. */
	struct buf url, hdrs, body, resp, scratch, tmp;
	/* The HTTP client's per-user state: libcurl's (http.c) or the lean client's (h1.c). */
	CURL *easy;
	CURLSH *share;
	struct curl_slist *hdr_nodes; /* [max headers + 2], our own nodes pointing into hdrs */
	size_t hdr_nodes_cap;
	struct h1 *h1;
	char errbuf[CURL_ERROR_SIZE]; /* the client's reason for this user's last failed transfer */
};

/* A new user of worker w, with its timer (calling on_timer with the user) and the worker's
 * HTTP client's per-user state. NULL when out of memory. */
struct user *user_new(struct worker *w, event_callback_fn on_timer);
void user_free(struct user *u);

void user_var_set(struct uvar *v, const char *s, size_t len);
void user_var_add(struct uvar *v, const char *s, size_t len);
void user_var_clear(struct uvar *v);
/* The expression environment over u's variables and data row (templates, conditions). */
void user_env(struct user *u, struct expr_env *env);
int user_expr_lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		     size_t *count);

#endif
