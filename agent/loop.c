/* A worker thread's loop: one libevent event_base with the users on it (session.c) and their
 * HTTP client (transport.h).
 *
 * What it decides: when users start (the open model's Poisson arrivals, the closed and rate
 * models' ramp over their slots, and which session each slot runs), whether a new user takes a
 * slot whose session ended, when the interval's statistics are handed to the main thread (a
 * swap of records under the worker's mutex, then a poke of the main thread's collect event),
 * how late the loop runs (the lag probe), when the load ends (users stop at their next step;
 * in-flight requests get the grace period, then are cut), and what runtime control changes
 * (scale, users, pause).
 *
 * This is the one file that knows both the worker and its users' insides; users reach back
 * only through worker.h (worker_user_done is this file's on_user_done). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "agent/health.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "agent/prog.h"
#include "agent/session.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "agent/wstats.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/swrr.h"

#define LAG_PROBE_US 100000

static void tv_of(struct timeval *tv, int64_t us)
{
	if (us < 0)
		us = 0;
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

static void add_at(struct event *ev, int64_t when)
{
	struct timeval tv;

	/* Refresh libevent's cached time first: it adds tv to that, not to clock_mono_us(). */
	event_base_update_cache_time(event_get_base(ev));
	tv_of(&tv, when - clock_mono_us());
	evtimer_add(ev, &tv);
}

/* ---- users ---- */

static void live_add(struct worker *w, struct user *u)
{
	u->prev = NULL;
	u->next = w->live;
	if (w->live)
		w->live->prev = u;
	w->live = u;
}

static void live_remove(struct worker *w, struct user *u)
{
	if (u->prev)
		u->prev->next = u->next;
	else
		w->live = u->next;
	if (u->next)
		u->next->prev = u->prev;
	u->next = u->prev = NULL;
}

static struct user *take_user(struct worker *w)
{
	struct user *u = w->free_users;

	if (u)
		w->free_users = u->next;
	else
		u = session_user_new(w);
	if (!u)
		return NULL;
	live_add(w, u);
	w->users_alive++;
	if (w->users_alive > w->cur->users_max)
		w->cur->users_max = w->users_alive;
	return u;
}

static void maybe_finish(struct worker *w)
{
	bool arrivals_over = w->prog->plan->load.model == PLAN_MODEL_OPEN && w->next_arrival < 0;

	if (w->users_alive == 0 && (w->stopping || arrivals_over))
		event_base_loopbreak(w->base);
}

static void on_user_done(struct worker *w, struct user *u)
{
	if (!w->stopping && !u->retired && !w->paused &&
	    w->prog->plan->load.model != PLAN_MODEL_OPEN && clock_mono_us() < w->t_end_load) {
		/* Closed and rate models: a new user takes the slot, from the event loop (not from
		 * inside this call chain, so a session without requests cannot recurse), after
		 * the user's backoff when its session failed without any response. */
		session_schedule_begin(u, u->next_begin_us);
		return;
	}
	live_remove(w, u);
	u->retired = false;
	u->next = w->free_users;
	w->free_users = u;
	w->users_alive--;
	maybe_finish(w);
}

/* Open model: draw the next arrival time (-1 when the phases are over). */
static void draw_arrival(struct worker *w)
{
	double t = sched_open_next(&w->open, &w->rng);

	w->next_arrival = t < 0 ? -1 : w->t0 + (int64_t)t;
}

/* Open model: wait for the next arrival, or end when there is none and no user is left. */
static void arm_arrival(struct worker *w)
{
	if (w->next_arrival >= 0)
		add_at(w->arrive, w->next_arrival);
	else
		maybe_finish(w);
}

/* slot: the fleet-wide number of the user's slot (closed and rate models), or USER_NO_SLOT to
 * draw each session by weight (open model). */
static void start_user(struct worker *w, int64_t delay_us, uint64_t slot)
{
	struct user *u = take_user(w);

	if (!u) {
		w->cur->c[C_DROPPED_USERS]++;
		return;
	}
	u->slot = slot;
	u->slot_round = 0;
	if (w->pace_interval_us > 0)
		/* Spread users' pacing phases over one interval so they do not fire together. */
		u->pace_next_us = (double)(clock_mono_us() + delay_us) +
				  sched_rand_unit(&w->rng) * w->pace_interval_us;
	session_schedule_begin(u, delay_us);
}

static void on_arrive(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t now = clock_mono_us();

	(void)fd;
	(void)what;
	if (w->stopping || w->paused)
		return;
	if (w->prog->plan->load.model != PLAN_MODEL_OPEN) {
		/* Closed/rate ramp-up: start every slot whose time has come. */
		const struct plan_load *l = &w->prog->plan->load;

		while (w->users_started < w->users_target) {
			int64_t at = w->t0 + sched_slot_start(w->users_started, w->users_target,
							      l->ramp_up_us);

			if (at > now) {
				add_at(w->arrive, at);
				return;
			}
			start_user(w, 0, w->slot_first + w->users_started);
			w->users_started++;
		}
		return;
	}
	while (w->next_arrival >= 0 && w->next_arrival <= now) {
		if (w->max_users && (uint64_t)w->users_alive >= w->max_users)
			w->cur->c[C_DROPPED_USERS]++;
		else
			start_user(w, 0, USER_NO_SLOT);
		draw_arrival(w);
	}
	arm_arrival(w);
}

/* ---- intervals, lag, stopping ---- */

static void hand_off(struct worker *w, bool final)
{
	struct wstats *s = w->cur;

	s->users = w->users_alive;
	s->conns = w->conns_open;
	pthread_mutex_lock(&w->mu);
	if (!w->hand->ready) {
		w->cur = w->hand;
		w->hand = s;
		w->hand->interval = w->interval;
		w->hand->ready = true;
	} else {
		/* The main thread has not taken the last one yet: add to it. */
		wstats_merge(w->prog, w->hand, s);
		wstats_reset(w->prog, s);
	}
	if (final)
		w->finished = true;
	pthread_mutex_unlock(&w->mu);
	w->cur->users_max = w->users_alive;
	w->cur->conns_max = w->conns_open;
	w->cur->lag_max_ms = 0;
	event_active(w->collect, EV_READ, 0);
}

static void note_lag(struct worker *w, int64_t late_us)
{
	double ms = (double)late_us / 1000.0;

	if (ms > w->cur->lag_max_ms)
		w->cur->lag_max_ms = ms;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t I = w->prog->plan->interval_us;
	int64_t due = w->t0 + (int64_t)(w->interval + 1) * I;

	(void)fd;
	(void)what;
	note_lag(w, clock_mono_us() - due);
	hand_off(w, false);
	w->interval++;
	add_at(w->tick, due + I);
}

static void on_lag(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t now = clock_mono_us();

	(void)fd;
	(void)what;
	note_lag(w, now - w->lag_expect);
	w->lag_expect = now + LAG_PROBE_US;
	add_at(w->lag_ev, w->lag_expect);
}

static void soft_stop(struct worker *w)
{
	struct user *u, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	evtimer_del(w->arrive);
	for (u = w->live; u; u = next) {
		next = u->next;
		session_soft_stop(u);
	}
	maybe_finish(w);
}

/* The load of this worker is over: sample the end of its last CPU window before the teardown. */
static void note_end(struct worker *w)
{
	if (w->end_wall_us)
		return;
	w->end_wall_us = clock_mono_us();
	w->end_cpu_us = health_cpu_now_us();
}

/* Rate model, when the load ends: every intended send before `until` that never went out (its
 * user was still waiting for an earlier answer) is counted in requests_missed. */
static void count_missed(struct worker *w, int64_t until)
{
	if (w->pace_interval_us <= 0 || w->load_ended)
		return;
	if (until > w->t_end_load)
		until = w->t_end_load;
	for (struct user *u = w->live; u; u = u->next)
		w->cur->c[C_REQUESTS_MISSED] += session_missed_sends(u, until);
}

static void hard_stop(struct worker *w)
{
	struct user *u;

	note_end(w);
	w->stopping = true;
	while ((u = w->live)) {
		/* A request still in flight when the grace is over is cut: it was attempted and
		 * failed, and is counted once as such (a hung target must not look idle). */
		if (session_in_flight(u)) {
			w->cur->c[C_REQUESTS]++;
			w->cur->c[C_ERR_CUT]++;
		}
		session_kill(u);
		live_remove(w, u);
		u->next = w->free_users;
		w->free_users = u;
		w->users_alive--;
	}
	event_base_loopbreak(w->base);
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (!w->load_ended) {
		/* The load's duration is over. Open model: no more arrivals, but the users already
		 * here finish their sessions within the grace period (as in Tsung). Closed and rate
		 * models loop for ever, so their users stop at their next step; in-flight requests
		 * get the grace period either way. */
		count_missed(w, w->t_end_load);
		w->load_ended = true;
		evtimer_del(w->arrive);
		w->next_arrival = -1;
		if (w->prog->plan->load.model == PLAN_MODEL_OPEN)
			maybe_finish(w);
		else
			soft_stop(w);
		add_at(w->end_ev, w->t_hard);
		return;
	}
	hard_stop(w);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t hard = atomic_load(&w->stop_hard_at);

	(void)fd;
	(void)what;
	count_missed(w, clock_mono_us());
	soft_stop(w);
	w->load_ended = true; /* end_ev now means the hard stop */
	if (hard < w->t_hard)
		w->t_hard = hard;
	evtimer_del(w->end_ev);
	add_at(w->end_ev, w->t_hard);
}

/* ---- runtime control (docs/dashboard.md) ---- */

/* Users beyond the target end at their next step and their slots are not refilled. */
static void shrink_to(struct worker *w, uint64_t target)
{
	uint64_t n = 0;
	struct user *u;

	for (u = w->live; u; u = u->next)
		if (!u->retired && n++ >= target) {
			u->retired = true;
			u->stop_after = true;
		}
}

static void on_control(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	const struct plan_load *l = &w->prog->plan->load;
	int64_t now = clock_mono_us(), users;
	double scale;
	bool paused;
	struct user *u;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mu);
	scale = w->ctl_scale;
	users = w->ctl_users;
	paused = w->ctl_paused;
	pthread_mutex_unlock(&w->mu);
	if (w->stopping || w->load_ended)
		return;
	w->paused = paused;
	if (l->model == PLAN_MODEL_OPEN) {
		w->open.factor = scale;
		evtimer_del(w->arrive);
		if (paused) {
			for (u = w->live; u; u = u->next)
				u->stop_after = true;
			return;
		}
		if (w->next_arrival < 0)
			return; /* the phases are over */
		/* Draw again from now: a Poisson process has no memory, so this is exact. */
		sched_open_restart(&w->open, (double)(now - w->t0));
		draw_arrival(w);
		arm_arrival(w);
		return;
	}
	if (users >= 0)
		w->users_target = (uint64_t)users;
	if (l->model == PLAN_MODEL_RATE && w->users_target > 0 && w->rate_base > 0) {
		/* The same total rate over however many users there now are. */
		w->pace_interval_us = 1e6 * (double)w->users_target / (w->rate_base * scale);
		for (u = w->live; u; u = u->next)
			u->pace_next_us =
			    (double)now + sched_rand_unit(&w->rng) * w->pace_interval_us;
	}
	shrink_to(w, paused ? 0 : w->users_target);
	if (paused)
		return;
	{
		uint64_t alive = 0, pending = 0;

		for (u = w->live; u; u = u->next)
			alive += !u->retired;
		if (w->users_started < w->users_target) {
			/* The ramp-up is not over: it goes on with the new target. */
			pending = w->users_target - w->users_started;
			add_at(w->arrive, now);
		}
		while (alive + pending < w->users_target && clock_mono_us() < w->t_end_load) {
			start_user(w, 0, w->slot_first + w->users_started + w->extra_slots++);
			alive++;
		}
	}
}

void loop_request_control(struct worker *w, double scale, int64_t users, bool paused)
{
	pthread_mutex_lock(&w->mu);
	w->ctl_scale = scale;
	w->ctl_users = users;
	w->ctl_paused = paused;
	pthread_mutex_unlock(&w->mu);
	event_active(w->ctl_ev, EV_READ, 0);
}

void loop_request_stop(struct worker *w, int64_t hard_us)
{
	atomic_store(&w->stop_hard_at, clock_mono_us() + hard_us);
	event_active(w->stop_ev, EV_READ, 0);
}

/* ---- setup ---- */

/* Closed and rate models: which session each user slot runs, session after session. The fleet
 * numbers slots agent after agent (share.slot_base, from controller/split.c) and, within an
 * agent, worker after worker in the order sched_split() gives them out. Slot k's j-th session is
 * element k + j of the sessions' smooth weighted round-robin: the slots that start together take
 * a window of consecutive elements (exact across the whole fleet: 4 users over 4 equal sessions
 * run all 4), and each slot walks the whole sequence over time (so 1 user over 2 sessions runs
 * both, alternately). With whole weights the sequence repeats after their sum, and one period is
 * kept; otherwise a window of SLOT_SEQ_MAX elements stands for it. */
#define SLOT_SEQ_MAX 4096

static int slot_sessions(struct worker *w, const struct plan_load *l, uint64_t n, int id)
{
	const struct prog *g = w->prog;
	double *wt, total = 0;
	bool whole = true;
	int rc;

	w->slot_first = g->plan->share.slot_base;
	for (uint64_t j = 0; j < (uint64_t)id; j++)
		w->slot_first += sched_split(l->users, n, j);
	if (g->nsessions < 2 || w->users_target == 0)
		return 0;
	wt = calloc(g->nsessions, sizeof(*wt));
	if (!wt)
		return -1;
	for (size_t i = 0; i < g->nsessions; i++) {
		wt[i] = g->sessions[i].cum_weight - (i ? g->sessions[i - 1].cum_weight : 0);
		total += wt[i];
		whole = whole && wt[i] == floor(wt[i]);
	}
	w->slot_seq_len = whole && total <= SLOT_SEQ_MAX ? (size_t)total : SLOT_SEQ_MAX;
	w->slot_seq = calloc(w->slot_seq_len, sizeof(*w->slot_seq));
	rc = w->slot_seq ? swrr_assign(wt, g->nsessions, 0, w->slot_seq_len, w->slot_seq) : -1;
	free(wt);
	return rc;
}

/* This worker's share of the load: the open model's arrival process and user cap, or the
 * closed and rate models' users, slots and pace. */
static int load_share(struct worker *w, uint64_t n, char **err)
{
	const struct plan_load *l = &w->prog->plan->load;
	int id = w->id;

	switch (l->model) {
	case PLAN_MODEL_OPEN: {
		int64_t dur[SCHED_MAX_PHASES];
		double rate[SCHED_MAX_PHASES], ramp[SCHED_MAX_PHASES];

		if (l->nphases > SCHED_MAX_PHASES)
			return err_set(err, "more than %d phases", SCHED_MAX_PHASES);
		for (size_t i = 0; i < l->nphases; i++) {
			dur[i] = l->phases[i].duration_us;
			rate[i] = l->phases[i].arrival_rate;
			ramp[i] = l->phases[i].ramp_to;
		}
		/* A Poisson process split evenly is n Poisson processes of rate/n. */
		sched_open_init(&w->open, dur, rate, ramp, l->nphases, 1.0 / (double)n);
		w->max_users = l->max_users ? sched_split(l->max_users, n, (uint64_t)id) : 0;
		if (l->max_users && w->max_users == 0)
			w->max_users = 1;
		break;
	}
	case PLAN_MODEL_RATE:
	case PLAN_MODEL_CLOSED:
		w->users_target = sched_split(l->users, n, (uint64_t)id);
		if (slot_sessions(w, l, n, id) < 0)
			return err_set(err, "worker %d: out of memory", id);
		w->rate_base = l->request_rate / (double)n;
		if (l->model == PLAN_MODEL_RATE && w->users_target > 0 && l->request_rate > 0)
			w->pace_interval_us =
			    1e6 * (double)w->users_target / (l->request_rate / (double)n);
		break;
	}
	return 0;
}

int loop_init(struct worker *w, int nworkers, struct event *collect, char **err)
{
	struct event_base *b = w->base;

	pthread_mutex_init(&w->mu, NULL);
	w->collect = collect;
	w->user_done = on_user_done;
	w->tick = evtimer_new(b, on_tick, w);
	w->stop_ev = event_new(b, -1, 0, on_stop, w);
	w->arrive = evtimer_new(b, on_arrive, w);
	w->lag_ev = evtimer_new(b, on_lag, w);
	w->end_ev = evtimer_new(b, on_end, w);
	w->ctl_ev = event_new(b, -1, 0, on_control, w);
	if (!w->tick || !w->stop_ev || !w->arrive || !w->lag_ev || !w->end_ev || !w->ctl_ev)
		return err_set(err, "worker %d: cannot create events", w->id);
	return load_share(w, (uint64_t)nworkers, err);
}

static void *loop_main(void *arg)
{
	struct worker *w = arg;
	const struct plan *p = w->prog->plan;
	bool open = p->load.model == PLAN_MODEL_OPEN;

	w->t_end_load = w->t0 + plan_load_duration_us(p);
	w->t_hard = w->t_end_load + p->grace_us;
	add_at(w->tick, w->t0 + p->interval_us);
	w->lag_expect = w->t0 + LAG_PROBE_US;
	add_at(w->lag_ev, w->lag_expect);
	add_at(w->end_ev, w->t_end_load);
	if (open) {
		draw_arrival(w);
		if (w->next_arrival >= 0)
			add_at(w->arrive, w->next_arrival);
	} else if (w->users_target > 0)
		add_at(w->arrive, w->t0);
	if (!(open && w->next_arrival < 0) && !(!open && w->users_target == 0))
		event_base_dispatch(w->base);
	hard_stop(w);
	hand_off(w, true);
	return NULL;
}

int loop_start(struct worker *w, int64_t t0)
{
	w->t0 = t0;
	return pthread_create(&w->thread, NULL, loop_main, w) == 0 ? 0 : -1;
}

void loop_destroy(struct worker *w)
{
	struct user *u;
	struct event *evs[] = {w->tick, w->stop_ev, w->arrive, w->lag_ev, w->end_ev, w->ctl_ev};

	while ((u = w->free_users)) {
		w->free_users = u->next;
		user_free(u);
	}
	while ((u = w->live)) {
		w->live = u->next;
		user_free(u);
	}
	free(w->slot_seq);
	w->slot_seq = NULL;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	pthread_mutex_destroy(&w->mu);
}
