/* A simulated user: a small state machine that walks its session's step tree.
 *
 * The user keeps a stack of frames, one per open block (transaction, if branch, repeat, while,
 * foreach body). It runs steps synchronously until one has to wait — a request (resumed by the
 * worker when libcurl reports the transfer done) or a think time or a rate-model pacing delay
 * (resumed by the user's own timer, created once with the user and re-armed, never recreated).
 * Loops that send nothing (an empty repeat, a long while over `set` steps) yield to the event
 * loop every USER_BUDGET steps so one user cannot starve the others.
 *
 * What is measured here: `page` (a run of requests with no think time between them: from the
 * first request's send to the last one's end), `session` (a user's whole session, for sessions
 * that ended by themselves or by an abort), `tr_NAME` (each transaction block), and the
 * counters users_count, finish_users_count and the errors of failed expectations, captures and
 * abort steps. Request timings are recorded by http.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent/agent.h"
#include "common/clock.h"
#include "common/csv.h"

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

/* ---- variables ---- */

void uvar_clear(struct uvar *v)
{
	v->set = false;
	v->nitems = 0;
	buf_reset(&v->val);
}

void uvar_set(struct uvar *v, const char *s, size_t len)
{
	uvar_clear(v);
	if (buf_append(&v->val, s, len) == 0)
		v->set = true;
}

void uvar_add_item(struct uvar *v, const char *s, size_t len)
{
	size_t at = v->val.len;

	if (v->nitems == v->items_cap) {
		size_t nc = v->items_cap ? v->items_cap * 2 : 8;
		uint32_t *it = realloc(v->items, nc * 2 * sizeof(*it));

		if (!it)
			return;
		v->items = it;
		v->items_cap = nc;
	}
	if (buf_append(&v->val, s, len) < 0)
		return;
	v->items[2 * v->nitems] = (uint32_t)at;
	v->items[2 * v->nitems + 1] = (uint32_t)len;
	v->nitems++;
	v->set = true;
}

int user_expr_lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		     size_t *count)
{
	struct user *u = ctx;
	const struct prog *g = u->w->prog;
	int s = prog_sym_find(g, name, len);
	const struct uvar *v;

	if (s < 0)
		return -1;
	if (g->syms[s].kind == SYM_DATA) {
		const struct dataset *d = &g->data[g->syms[s].data];

		*val = csv_cell(d->csv, u->rows[g->syms[s].data],
				(size_t)d->colmap[g->syms[s].column], vlen);
		if (count)
			*count = 1;
		return 0;
	}
	v = &u->vars[s];
	if (!v->set)
		return -1;
	if (v->nitems) {
		*val = v->val.data + v->items[0];
		*vlen = v->items[1];
		if (count)
			*count = v->nitems;
		return 0;
	}
	*val = v->val.data ? v->val.data : "";
	*vlen = v->val.len;
	if (count)
		*count = 1;
	return 0;
}

void user_env(struct user *u, struct expr_env *env)
{
	env->lookup = user_expr_lookup;
	env->ctx = u;
	env->rng = &u->w->rng;
	env->user_id = u->user_id;
	env->now_ms = clock_wall_ms();
}

/* ---- life cycle ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

struct user *user_new(struct worker *w)
{
	const struct prog *g = w->prog;
	struct user *u = calloc(1, sizeof(*u));
	char *err = NULL;

	if (!u)
		return NULL;
	u->w = w;
	u->stack = calloc(g->max_depth + 1, sizeof(*u->stack));
	u->vars = calloc(g->nsyms ? g->nsyms : 1, sizeof(*u->vars));
	u->rows = calloc(g->ndata ? g->ndata : 1, sizeof(*u->rows));
	u->timer = evtimer_new(w->base, on_timer, u);
	if (!u->stack || !u->vars || !u->rows || !u->timer)
		goto fail;
	for (size_t i = 0; i < g->nsyms; i++)
		buf_init(&u->vars[i].val, (size_t)1 << 24);
	buf_init(&u->url, 1 << 16);
	buf_init(&u->hdrs, 1 << 20);
	buf_init(&u->body, (size_t)64 << 20);
	buf_init(&u->resp, g->plan->http.max_body ? g->plan->http.max_body : (1 << 20));
	buf_init(&u->scratch, 1 << 20);
	buf_init(&u->tmp, (size_t)64 << 20);
	if (http_user_init(u, &err) < 0) {
		free(err);
		goto fail;
	}
	return u;
fail:
	user_free(u);
	return NULL;
}

void user_free(struct user *u)
{
	if (!u)
		return;
	http_user_free(u);
	if (u->timer)
		event_free(u->timer);
	if (u->vars)
		for (size_t i = 0; i < u->w->prog->nsyms; i++) {
			buf_free(&u->vars[i].val);
			free(u->vars[i].items);
		}
	free(u->vars);
	free(u->stack);
	free(u->rows);
	free(u->hdr_nodes);
	buf_free(&u->url);
	buf_free(&u->hdrs);
	buf_free(&u->body);
	buf_free(&u->resp);
	buf_free(&u->scratch);
	buf_free(&u->tmp);
	free(u);
}

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
	uvar_set(&u->vars[sym], u->tmp.data ? u->tmp.data : "", u->tmp.len);
}

static void start_session(struct user *u, int64_t now)
{
	const struct csession *slot = u->slot == USER_NO_SLOT
					  ? NULL
					  : worker_slot_session(u->w, u->slot, u->slot_round++);

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

void user_begin(struct user *u, int64_t now)
{
	struct worker *w = u->w;
	const struct prog *g = w->prog;
	const struct plan_share *sh = &g->plan->share;
	uint64_t seq;

	if (u->retired) {
		/* Runtime control took its slot away while it waited (worker.c, on_control). */
		u->counted = false;
		user_end(u, END_STOPPED);
		return;
	}
	seq = atomic_fetch_add(&w->agent->user_seq, 1);
	/* A new user: fresh cookies and connections, a new data row, no variables. */
	if (http_new_share(u) < 0) {
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
		uvar_clear(&u->vars[i]);
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
	http_end_session(u);
	u->next_begin_us = 0;
	if (how == END_ABORTED && !u->got_response)
		u->next_begin_us = next_backoff(u);
	else if (u->got_response)
		u->backoff_us = 0;
	if (u->counted && how != END_STOPPED) {
		wstats_record(w->prog, w->cur, H_SESSION,
			      (uint64_t)(worker_now() - u->session_start));
		w->cur->c[C_FINISH_USERS]++;
	}
	u->counted = false;
	worker_user_done(w, u);
}

void user_kill(struct user *u)
{
	evtimer_del(u->timer);
	if (u->state == US_HTTP)
		http_cancel(u);
	http_end_session(u);
	u->state = US_IDLE;
	u->req = NULL;
	u->counted = false;
}

bool user_in_flight(const struct user *u)
{
	return u->state == US_HTTP;
}

uint64_t user_missed_sends(const struct user *u, int64_t until)
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

void user_soft_stop(struct user *u)
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
		uvar_set(&u->vars[item_sym], l->val.data + l->items[2 * i], l->items[2 * i + 1]);
	else
		uvar_set(&u->vars[item_sym], l->val.data ? l->val.data : "", l->val.len);
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
	    (struct frame){.owner = owner, .steps = steps, .n = n, .t_start = worker_now()};
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
			      (uint64_t)(worker_now() - f->t_start));
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
	rc = http_send(u, r);
	if (rc == HTTP_BAD_URL) {
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
				int64_t now = worker_now();

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
		user_begin(u, worker_now());
		return;
	case W_RESTART:
		u->wait = W_NONE;
		if (u->stop_after || u->w->stopping) {
			user_end(u, END_STOPPED);
			return;
		}
		start_session(u, worker_now());
		user_run(u);
		return;
	default:
		u->wait = W_NONE;
		u->state = US_RUN;
		user_run(u);
	}
}

void user_schedule_begin(struct user *u, int64_t delay_us)
{
	arm(u, W_BEGIN, delay_us);
}

void user_transfer_done(struct user *u, CURLcode rc)
{
	const struct creq *r = u->req;
	enum plan_on_fail on_fail =
	    r->src->has_expect ? r->src->expect.on_fail : PLAN_ON_FAIL_ABORT;
	long status = http_account(u, rc);
	bool failed = rc != CURLE_OK;
	int hop;

	if (!failed && (hop = http_follow(u, status)) != 0) {
		if (hop > 0)
			return; /* the next hop is in flight; this one was counted as a request */
		u->w->cur->c[C_ERR_OTHER]++;
		failed = true;
	}

	u->page_last_end = worker_now();
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
				start_session(u, worker_now());
			}
			break;
		default:
			user_end(u, END_ABORTED);
			return;
		}
	}
	user_run(u);
}
