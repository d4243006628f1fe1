/* A simulated user's session: a small state machine that walks its session's step tree.
 *
 * The user keeps a stack of frames, one per open block (transaction, if branch, repeat, while,
 * foreach body). It runs steps synchronously until one has to wait — a request (resumed by its
 * HTTP client's completion callback, session_transfer_done) or a think time or a rate-model
 * pacing delay (resumed by the user's own timer, created once with the user and re-armed, never
 * recreated). Loops that send nothing (an empty repeat, a long while over `set` steps) yield to
 * the event loop every USER_BUDGET steps so one user cannot starve the others.
 *
 * The state machine reaches its HTTP client only through the worker's transport table
 * (transport.h) and its worker through worker.h; the worker's loop (loop.c) drives it through
 * session.h.
 *
 * What is measured here: `page` (a run of requests with no think time between them: from the
 * first request's send to the last one's end), `session` (a user's whole session, for sessions
 * that ended by themselves or by an abort), `tr_NAME` (each transaction block), and the
 * counters users_count, finish_users_count and the errors of failed expectations, captures and
 * abort steps. Request timings are recorded by xfer.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent/capture.h"
#include "agent/data.h"
#include "agent/expect.h"
#include "agent/prog.h"
#include "agent/render.h"
#include "agent/session.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "agent/wstats.h"
#include "agent/xfer.h"
#include "common/clock.h"

#define USER_BUDGET 1000

enum { W_NONE = 0, W_THINK, W_PACE, W_BEGIN, W_YIELD, W_RESTART };

/* Backoff after a session that failed without any response (a refused port, a template that
 * cannot render): the user waits before trying again, 10 ms doubling to 1 s, and a success
 * resets it. Without it such a session fails in microseconds and the user spins. */
#define USER_BACKOFF_MIN_US 10000
#define USER_BACKOFF_MAX_US 1000000
enum end_how { END_FINISHED, END_ABORTED, END_STOPPED };

static void user_run(struct user *u);
static void user_end(struct user *u, enum end_how how);
static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm(struct user *u, int wait, int64_t delay_us)
{
	struct timeval tv;

	if (delay_us < 0)
		delay_us = 0;
	tv.tv_sec = (time_t)(delay_us / 1000000);
	tv.tv_usec = (suseconds_t)(delay_us % 1000000);
	u->wait = wait;
	u->state = US_WAIT;
	/* libevent adds a relative timeout to the time it cached at the top of the loop pass,
	 * which may be milliseconds stale under load: a think time would then end early. */
	event_base_update_cache_time(u->w->base);
	evtimer_add(u->timer, &tv);
}

static const struct csession *pick_session(struct user *u)
{
	const struct prog *g = u->w->prog;
	double x;

	if (g->nsessions == 1)
		return &g->sessions[0];
	x = sched_rand_unit(&u->w->rng) * g->total_weight;
	for (size_t i = 0; i < g->nsessions; i++)
		if (x <= g->sessions[i].cum_weight)
			return &g->sessions[i];
	return &g->sessions[g->nsessions - 1];
}

static void set_var(struct user *u, int sym, const struct tmpl *t)
{
	struct expr_env env;
	char *e = NULL;

	user_env(u, &env);
	buf_reset(&u->tmp);
	buf_reset(&u->w->scratch);
	if (tmpl_render(t, &env, &u->w->scratch, &u->tmp, &e) < 0) {
		worker_note_once(u->w, t, "set: %s (counted as error_render)",
				 e ? e : "cannot render");
		free(e);
		u->w->cur->c[C_ERR_RENDER]++;
		return;
	}
	user_var_set(&u->vars[sym], u->tmp.data ? u->tmp.data : "", u->tmp.len);
}

static void start_session(struct user *u, int64_t now)
{
	const struct csession *slot =
	    u->slot == USER_NO_SLOT ? NULL : worker_slot_session(u->w, u->slot, u->slot_round++);

	u->session = slot ? slot : pick_session(u);
	u->depth = 1;
	u->stack[0] = (struct frame){.steps = u->session->steps, .n = u->session->nsteps};
	u->session_start = now;
	u->page_open = false;
	u->stop_after = false;
	u->got_response = false;
	u->state = US_RUN;
}

/* The next backoff wait (and count it). */
static int64_t next_backoff(struct user *u)
{
	u->backoff_us = u->backoff_us ? u->backoff_us * 2 : USER_BACKOFF_MIN_US;
	if (u->backoff_us > USER_BACKOFF_MAX_US)
		u->backoff_us = USER_BACKOFF_MAX_US;
	u->w->cur->c[C_USERS_BACKOFF]++;
	return u->backoff_us;
}

void session_begin(struct user *u, int64_t now)
{
	struct worker *w = u->w;
	const struct prog *g = w->prog;
	const struct plan_share *sh = &g->plan->share;
	uint64_t seq;

	if (u->retired) {
		/* Runtime control took its slot away while it waited (loop.c, on_control). */
		u->counted = false;
		user_end(u, END_STOPPED);
		return;
	}
	seq = atomic_fetch_add(w->user_seq, 1);
	/* A new user: fresh cookies and connections, a new data row, no variables. */
	if (w->tp->new_share(u) < 0) {
		w->cur->c[C_ERR_OTHER]++;
		u->counted = false;
		user_end(u, END_STOPPED);
		return;
	}
	u->user_id = sh->user_id_base + seq * (sh->count ? sh->count : 1);
	for (size_t i = 0; i < g->ndata; i++) {
		u->rows[i] = data_pick(&g->data[i], &w->rng);
		if (u->rows[i] == DATA_EXHAUSTED) {
			w->cur->c[C_DROPPED_USERS]++;
			w->cur->c[C_ERR_DATA_EXHAUSTED]++;
			u->counted = false;
			u->retired = true;
			user_end(u, END_STOPPED);
			return;
		}
	}
	for (size_t i = 0; i < g->nsyms; i++)
		user_var_clear(&u->vars[i]);
	for (size_t i = 0; i < g->nglobals; i++)
		set_var(u, g->globals[i].sym, g->globals[i].value);
	w->cur->c[C_USERS_COUNT]++;
	u->counted = true;
	start_session(u, now);
	user_run(u);
}

static void close_page(struct user *u)
{
	if (u->page_open) {
		wstats_record(u->w->prog, u->w->cur, H_PAGE,
			      (uint64_t)(u->page_last_end - u->page_start));
		u->page_open = false;
	}
}

static void user_end(struct user *u, enum end_how how)
{
	struct worker *w = u->w;

	u->state = US_IDLE;
	u->req = NULL;
	close_page(u);
	u->w->tp->end_session(u);
	u->next_begin_us = 0;
	if (how == END_ABORTED && !u->got_response)
		u->next_begin_us = next_backoff(u);
	else if (u->got_response)
		u->backoff_us = 0;
	if (u->counted && how != END_STOPPED) {
		wstats_record(w->prog, w->cur, H_SESSION,
			      (uint64_t)(clock_mono_us() - u->session_start));
		w->cur->c[C_FINISH_USERS]++;
	}
	u->counted = false;
	worker_user_done(w, u);
}

void session_kill(struct user *u)
{
	evtimer_del(u->timer);
	if (u->state == US_HTTP)
		u->w->tp->cancel(u);
	u->w->tp->end_session(u);
	u->state = US_IDLE;
	u->req = NULL;
	u->counted = false;
}

bool session_in_flight(const struct user *u)
{
	return u->state == US_HTTP;
}

uint64_t session_missed_sends(const struct user *u, int64_t until)
{
	double interval = u->w->pace_interval_us, next = u->pace_next_us;
	uint64_t n = 0;

	if (interval <= 0)
		return 0;
	/* A request waiting for its intended time was taken from the schedule already. */
	if (u->state == US_WAIT && u->wait == W_PACE && u->intended_us < until)
		n++;
	/* next, next + interval, ... while before until */
	if (next < (double)until)
		n += (uint64_t)ceil(((double)until - next) / interval);
	return n;
}

void session_soft_stop(struct user *u)
{
	u->stop_after = true;
	if (u->state == US_WAIT) {
		evtimer_del(u->timer);
		if (u->wait == W_BEGIN) {
			u->state = US_IDLE;
			worker_user_done(u->w, u);
			return;
		}
		user_end(u, END_STOPPED);
	}
}

/* ---- stepping ---- */

/* Evaluate a step's condition (if, while). A failure is counted as error_eval and described
 * once in the agent's log with the step's place in the scenario. */
static int eval_cond(struct user *u, const struct cstep *st, bool *out)
{
	const struct plan *p = u->w->prog->plan;
	struct expr_env env;
	struct expr_value v;
	char *err = NULL;

	user_env(u, &env);
	buf_reset(&u->w->scratch);
	if (expr_eval(st->cond, &env, &u->w->scratch, &v, &err) < 0) {
		worker_note_once(u->w, st->cond,
				 "%s:%d:%d: %s condition \"%s\": %s (counted as "
				 "error_eval)",
				 p->source ? p->source : "plan", st->src->pos.line,
				 st->src->pos.col, st->kind == PLAN_STEP_WHILE ? "while" : "if",
				 st->src->cond ? st->src->cond : "", err ? err : "cannot evaluate");
		free(err);
		u->w->cur->c[C_ERR_EVAL]++;
		return -1;
	}
	*out = expr_truthy(&v);
	return 0;
}

static void set_item(struct user *u, int list_sym, int item_sym, uint64_t i)
{
	struct uvar *l = &u->vars[list_sym];

	if (l->nitems)
		user_var_set(&u->vars[item_sym], l->val.data + l->items[2 * i],
			     l->items[2 * i + 1]);
	else
		user_var_set(&u->vars[item_sym], l->val.data ? l->val.data : "", l->val.len);
}

static size_t list_len(struct user *u, int sym)
{
	struct uvar *l = &u->vars[sym];

	if (!l->set)
		return 0;
	return l->nitems ? l->nitems : 1;
}

static void push(struct user *u, const struct cstep *owner, const struct cstep *steps, size_t n)
{
	u->stack[u->depth++] =
	    (struct frame){.owner = owner, .steps = steps, .n = n, .t_start = clock_mono_us()};
}

/* The top frame ran out of steps: loop it again or close it. Returns false when the session
 * itself is over. */
static bool frame_next(struct user *u)
{
	struct frame *f = &u->stack[u->depth - 1];
	const struct cstep *o = f->owner;
	bool again = false;

	if (!o)
		return false;
	switch (o->kind) {
	case PLAN_STEP_REPEAT:
		again = ++f->iter < o->src->count;
		break;
	case PLAN_STEP_WHILE:
		if (++f->iter < o->src->count && eval_cond(u, o, &again) < 0)
			again = false;
		else if (f->iter >= o->src->count) {
			/* The loop's guard `max` stopped it, not its condition. */
			u->w->cur->c[C_WHILE_MAX]++;
			again = false;
		}
		break;
	case PLAN_STEP_FOREACH:
		again = ++f->iter < list_len(u, o->list_sym);
		if (again)
			set_item(u, o->list_sym, o->item_sym, f->iter);
		break;
	case PLAN_STEP_TRANSACTION:
		wstats_record(u->w->prog, u->w->cur, o->hist,
			      (uint64_t)(clock_mono_us() - f->t_start));
		break;
	default:
		break;
	}
	if (again) {
		f->i = 0;
		return true;
	}
	u->depth--;
	u->stack[u->depth - 1].i++;
	return true;
}

static void send_request(struct user *u, const struct creq *r)
{
	int rc;

	u->state = US_HTTP;
	u->req = r;
	u->hop = false;
	u->hops_left = r->max_redirects;
	buf_reset(&u->resp);
	rc = u->w->tp->send(u, r);
	if (rc == TRANSPORT_BAD_URL) {
		worker_note_once(u->w, r,
				 "%s:%d:%d: request %s %s: %s; put values in URLs with "
				 "urlencode(), e.g. {{ urlencode(q) }} (counted as error_bad_url)",
				 u->w->prog->plan->source ? u->w->prog->plan->source : "plan",
				 r->pos.line, r->pos.col, r->src->method, r->src->url, u->errbuf);
		u->w->cur->c[C_ERR_BAD_URL]++;
		u->state = US_RUN;
		user_end(u, END_ABORTED);
		return;
	}
	if (rc < 0) {
		worker_note_once(u->w, r,
				 "%s:%d:%d: request %s %s could not be built: a template "
				 "in it failed to render (counted as error_render)",
				 u->w->prog->plan->source ? u->w->prog->plan->source : "plan",
				 r->pos.line, r->pos.col, r->src->method, r->src->url);
		u->w->cur->c[C_ERR_RENDER]++;
		u->state = US_RUN;
		user_end(u, END_ABORTED);
		return;
	}
	if (!u->page_open) {
		u->page_open = true;
		u->page_start = u->sent_us;
	}
}

static int64_t think_us(struct user *u, const struct plan_think *t)
{
	switch (t->kind) {
	case PLAN_THINK_UNIFORM:
		return t->min_us +
		       (int64_t)(sched_rand_unit(&u->w->rng) * (double)(t->max_us - t->min_us));
	case PLAN_THINK_EXPONENTIAL:
		return (int64_t)(sched_rand_exp(&u->w->rng) * (double)t->mean_us);
	default:
		return t->value_us;
	}
}

static void user_run(struct user *u)
{
	for (int budget = USER_BUDGET; budget > 0; budget--) {
		struct frame *f = &u->stack[u->depth - 1];
		const struct cstep *s;
		bool b;

		if (u->stop_after || u->w->stopping) {
			user_end(u, END_STOPPED);
			return;
		}
		if (f->i >= f->n) {
			if (!frame_next(u)) {
				user_end(u, END_FINISHED);
				return;
			}
			continue;
		}
		s = &f->steps[f->i];
		switch (s->kind) {
		case PLAN_STEP_REQUEST:
			if (u->w->pace_interval_us > 0) {
				/* wrk2 pacing: never before the intended time, at once when late.
				 */
				int64_t now = clock_mono_us();

				u->intended_us = (int64_t)sched_pace_take(&u->pace_next_us,
									  u->w->pace_interval_us);
				if (u->intended_us > now) {
					u->req = s->req;
					arm(u, W_PACE, u->intended_us - now);
					return;
				}
			}
			send_request(u, s->req);
			return;
		case PLAN_STEP_THINK:
			close_page(u);
			f->i++;
			arm(u, W_THINK, think_us(u, &s->src->think));
			return;
		case PLAN_STEP_TRANSACTION:
			push(u, s, s->body, s->nbody);
			break;
		case PLAN_STEP_IF:
			if (eval_cond(u, s, &b) < 0) {
				user_end(u, END_ABORTED);
				return;
			}
			if (b)
				push(u, s, s->body, s->nbody);
			else
				push(u, s, s->else_body, s->nelse);
			break;
		case PLAN_STEP_REPEAT:
			if (s->src->count == 0)
				f->i++;
			else
				push(u, s, s->body, s->nbody);
			break;
		case PLAN_STEP_WHILE:
			if (s->src->count == 0 || eval_cond(u, s, &b) < 0 || !b)
				f->i++;
			else
				push(u, s, s->body, s->nbody);
			break;
		case PLAN_STEP_FOREACH:
			if (list_len(u, s->list_sym) == 0)
				f->i++;
			else {
				set_item(u, s->list_sym, s->item_sym, 0);
				push(u, s, s->body, s->nbody);
			}
			break;
		case PLAN_STEP_SET:
			for (size_t i = 0; i < s->nset; i++)
				set_var(u, s->set[i].sym, s->set[i].value);
			f->i++;
			break;
		case PLAN_STEP_ABORT:
			u->w->cur->c[s->abort_ctr]++;
			user_end(u, END_ABORTED);
			return;
		}
	}
	/* Out of budget: let the loop breathe and come back. */
	arm(u, W_YIELD, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct user *u = arg;

	(void)fd;
	(void)what;
	switch (u->wait) {
	case W_PACE:
		u->wait = W_NONE;
		if (u->stop_after || u->w->stopping) {
			user_end(u, END_STOPPED);
			return;
		}
		send_request(u, u->req);
		return;
	case W_BEGIN:
		u->wait = W_NONE;
		session_begin(u, clock_mono_us());
		return;
	case W_RESTART:
		u->wait = W_NONE;
		if (u->stop_after || u->w->stopping) {
			user_end(u, END_STOPPED);
			return;
		}
		start_session(u, clock_mono_us());
		user_run(u);
		return;
	default:
		u->wait = W_NONE;
		u->state = US_RUN;
		user_run(u);
	}
}

void session_schedule_begin(struct user *u, int64_t delay_us)
{
	arm(u, W_BEGIN, delay_us);
}

void session_transfer_done(struct user *u, CURLcode rc)
{
	const struct creq *r = u->req;
	enum plan_on_fail on_fail =
	    r->src->has_expect ? r->src->expect.on_fail : PLAN_ON_FAIL_ABORT;
	long status = xfer_account(u, rc);
	bool failed = rc != CURLE_OK;
	int hop;

	if (!failed && render_is_redirect(u, status) && (hop = u->w->tp->follow(u, status)) != 0) {
		if (hop > 0)
			return; /* the next hop is in flight; this one was counted as a request */
		u->w->cur->c[C_ERR_OTHER]++;
		failed = true;
	}

	u->page_last_end = clock_mono_us();
	u->state = US_RUN;
	if (failed)
		/* A page with a failed request has no load time: it did not load. */
		u->page_open = false;
	if (!failed && expect_run(u, r, status) < 0)
		failed = true;
	if (!failed && capture_run(u, r, status) < 0)
		failed = true;
	u->stack[u->depth - 1].i++;
	u->req = NULL;
	if (failed) {
		switch (on_fail) {
		case PLAN_ON_FAIL_CONTINUE:
			break;
		case PLAN_ON_FAIL_RESTART:
			if (!u->stop_after && !u->w->stopping) {
				close_page(u);
				if (!u->got_response) {
					/* Nothing answered: back off before restarting, as
					 * between sessions. */
					arm(u, W_RESTART, next_backoff(u));
					return;
				}
				start_session(u, clock_mono_us());
			}
			break;
		default:
			user_end(u, END_ABORTED);
			return;
		}
	}
	user_run(u);
}

struct user *session_user_new(struct worker *w)
{
	return user_new(w, on_timer);
}
