/* A worker thread: one libevent event_base, one curl multi handle, and the users on them.
 *
 * The libcurl multi-socket glue (the pattern of curl's docs/examples/multi-event.c, written
 * for this engine): libcurl tells us which sockets to watch (on_socket) and when to call it
 * back (on_curl_timer); we tell it which socket became ready (curl_multi_socket_action) and
 * then read finished transfers (drain). One struct event per file descriptor number is created
 * the first time that number is seen and re-assigned afterwards, so no event is allocated per
 * connection or per request.
 *
 * Nothing here is shared with other threads except the hand-off: once per interval the worker
 * swaps its statistics record with the one the main thread reads, under the worker's mutex,
 * and pokes the main thread's collect event. */
#include <stdarg.h>
#include <errno.h>
#include <netinet/in.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "agent/agent.h"
#include "common/err.h"
#include "common/log.h"
#include "common/swrr.h"

#define LAG_PROBE_US 100000

int64_t worker_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

	/* Refresh libevent's cached time first: it adds tv to that, not to worker_now(). */
	event_base_update_cache_time(event_get_base(ev));
	tv_of(&tv, when - worker_now());
	evtimer_add(ev, &tv);
}

void worker_note_once(struct worker *w, const void *site, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	unsigned i;

	for (i = 0; i < w->nnoted; i++)
		if (w->noted[i] == site)
			return;
	if (w->nnoted == WORKER_MAX_NOTES)
		return;
	w->noted[w->nnoted++] = site;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s (first occurrence; later ones are only counted)", msg);
}

void worker_count_conn(struct worker *w, int delta)
{
	w->conns_open += delta;
	if (w->conns_open > w->cur->conns_max)
		w->cur->conns_max = w->conns_open;
}

int worker_bind_source(struct worker *w, int fd, int family)
{
	const struct prog *g = w->prog;

	if (g->nsrc_addrs == 0)
		return 0;
	for (size_t k = 0; k < g->nsrc_addrs; k++) {
		const struct sockaddr_storage *a = &g->src_addrs[w->src_next++ % g->nsrc_addrs];

		if (a->ss_family != family)
			continue;
		return bind(fd, (const struct sockaddr *)a,
			    family == AF_INET ? sizeof(struct sockaddr_in)
					      : sizeof(struct sockaddr_in6));
	}
	errno = EAFNOSUPPORT; /* no source address of the target's family */
	return -1;
}

/* ---- libcurl glue ---- */

static void drain(struct worker *w)
{
	CURLMsg *m;
	int left, running;
	bool added = false;

again:
	while ((m = curl_multi_info_read(w->multi, &left))) {
		struct user *u = NULL;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&u);
		curl_multi_remove_handle(w->multi, e);
		if (u) {
			w->added = 0;
			user_transfer_done(u, rc);
			added |= w->added > 0;
		}
	}
	/* Completions usually start the users' next requests. Kicking libcurl now, in the same
	 * loop iteration, sends them at once instead of one timer round trip later, and lets
	 * libevent's changelist fold the idle connection's "remove" and the new request's "watch"
	 * into no epoll_ctl call at all. */
	if (added) {
		added = false;
		curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		goto again;
	}
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int flags =
	    (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(w->multi, fd, flags, &running);
	drain(w);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct event *ev;
	short flags;

	(void)e;
	(void)socketp;
	if (s < 0)
		return 0;
	if ((size_t)s >= w->nfdev) {
		size_t n = w->nfdev ? w->nfdev : 64;
		struct event **v;

		while (n <= (size_t)s)
			n *= 2;
		v = realloc(w->fdev, n * sizeof(*v));
		if (!v)
			return -1;
		memset(v + w->nfdev, 0, (n - w->nfdev) * sizeof(*v));
		w->fdev = v;
		w->nfdev = n;
	}
	ev = w->fdev[s];
	if (what == CURL_POLL_REMOVE) {
		if (ev)
			event_del(ev);
		return 0;
	}
	flags = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		(what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!ev) {
		ev = event_new(w->base, s, flags, on_sock_event, w);
		if (!ev)
			return -1;
		w->fdev[s] = ev;
	} else {
		event_del(ev);
		event_assign(ev, w->base, s, flags, on_sock_event, w);
	}
	event_add(ev, NULL);
	return 0;
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(w);
}

static int on_timer_change(CURLM *m, long timeout_ms, void *userp)
{
	struct worker *w = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(w->curl_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(w->curl_timer, &tv);
	return 0;
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
		u = user_new(w);
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
	bool arrivals_over = w->agent->plan->load.model == PLAN_MODEL_OPEN && w->next_arrival < 0;

	if (w->users_alive == 0 && (w->stopping || arrivals_over))
		event_base_loopbreak(w->base);
}

void worker_user_done(struct worker *w, struct user *u)
{
	if (!w->stopping && !u->retired && !w->paused &&
	    w->agent->plan->load.model != PLAN_MODEL_OPEN &&
	    worker_now() < w->t_end_load) {
		/* Closed and rate models: a new user takes the slot, from the event loop (not from
		 * inside this call chain, so a session without requests cannot recurse), after
		 * the user's backoff when its session failed without any response. */
		user_schedule_begin(u, u->next_begin_us);
		return;
	}
	live_remove(w, u);
	u->retired = false;
	u->next = w->free_users;
	w->free_users = u;
	w->users_alive--;
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
		u->pace_next_us = (double)(worker_now() + delay_us) +
				  sched_rand_unit(&w->rng) * w->pace_interval_us;
	user_schedule_begin(u, delay_us);
}

static void on_arrive(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t now = worker_now();

	(void)fd;
	(void)what;
	if (w->stopping || w->paused)
		return;
	if (w->agent->plan->load.model != PLAN_MODEL_OPEN) {
		/* Closed/rate ramp-up: start every slot whose time has come. */
		const struct plan_load *l = &w->agent->plan->load;

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
		double t = sched_open_next(&w->open, &w->rng);

		w->next_arrival = t < 0 ? -1 : w->t0 + (int64_t)t;
	}
	if (w->next_arrival >= 0)
		add_at(w->arrive, w->next_arrival);
	else
		maybe_finish(w);
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
	event_active(w->agent->collect, EV_READ, 0);
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
	int64_t I = w->agent->plan->interval_us;
	int64_t due = w->t0 + (int64_t)(w->interval + 1) * I;

	(void)fd;
	(void)what;
	note_lag(w, worker_now() - due);
	hand_off(w, false);
	w->interval++;
	add_at(w->tick, due + I);
}

static void on_lag(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t now = worker_now();

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
		user_soft_stop(u);
	}
	maybe_finish(w);
}

/* The load of this worker is over: sample the end of its last CPU window before the teardown. */
static void note_end(struct worker *w)
{
	if (w->end_wall_us)
		return;
	w->end_wall_us = worker_now();
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
		w->cur->c[C_REQUESTS_MISSED] += user_missed_sends(u, until);
}

static void hard_stop(struct worker *w)
{
	struct user *u;

	note_end(w);
	w->stopping = true;
	while ((u = w->live)) {
		/* A request still in flight when the grace is over is cut: it was attempted and
		 * failed, and is counted once as such (a hung target must not look idle). */
		if (user_in_flight(u)) {
			w->cur->c[C_REQUESTS]++;
			w->cur->c[C_ERR_CUT]++;
		}
		user_kill(u);
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
		if (w->agent->plan->load.model == PLAN_MODEL_OPEN)
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
	count_missed(w, worker_now());
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
	const struct plan_load *l = &w->agent->plan->load;
	int64_t now = worker_now(), users;
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
		{
			double t = sched_open_next(&w->open, &w->rng);

			w->next_arrival = t < 0 ? -1 : w->t0 + (int64_t)t;
		}
		if (w->next_arrival >= 0)
			add_at(w->arrive, w->next_arrival);
		else
			maybe_finish(w);
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
		while (alive + pending < w->users_target && worker_now() < w->t_end_load) {
			start_user(w, 0, w->slot_first + w->users_started + w->extra_slots++);
			alive++;
		}
	}
}

void worker_request_control(struct worker *w, double scale, int64_t users, bool paused)
{
	pthread_mutex_lock(&w->mu);
	w->ctl_scale = scale;
	w->ctl_users = users;
	w->ctl_paused = paused;
	pthread_mutex_unlock(&w->mu);
	event_active(w->ctl_ev, EV_READ, 0);
}

void worker_request_stop(struct worker *w, int64_t hard_us)
{
	atomic_store(&w->stop_hard_at, worker_now() + hard_us);
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

const struct csession *worker_slot_session(const struct worker *w, uint64_t slot, uint64_t round)
{
	if (!w->slot_seq)
		return NULL;
	return &w->prog->sessions[w->slot_seq[(slot + round) % w->slot_seq_len]];
}

int worker_init(struct worker *w, struct agent *a, int id, char **err)
{
	const struct plan *p = a->plan;
	const struct plan_load *l = &p->load;
	uint64_t n = (uint64_t)a->nworkers;

	memset(w, 0, sizeof(*w));
	w->agent = a;
	w->prog = a->prog;
	w->id = id;
	pthread_mutex_init(&w->mu, NULL);
	buf_init(&w->scratch, (size_t)16 << 20);
	w->rng = sched_seed(a->seed, (uint64_t)id);
	{
		/* The changelist coalesces a delete and a re-add of the same socket within one loop
		 * iteration (a keep-alive connection between two requests) into nothing. */
		struct event_config *cfg = event_config_new();

		if (cfg) {
			event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
			/* Without it libevent times with CLOCK_MONOTONIC_COARSE (1-4 ms ticks):
			 * think times and rate-mode send times would fire up to a tick early or
			 * late. */
			event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
			w->base = event_base_new_with_config(cfg);
			event_config_free(cfg);
		}
	}
	w->multi = curl_multi_init();
	w->cur = wstats_new(w->prog);
	w->hand = wstats_new(w->prog);
	if (!w->base || !w->multi || !w->cur || !w->hand)
		return err_set(err, "worker %d: out of memory", id);
	w->curl_timer = evtimer_new(w->base, on_curl_timer, w);
	w->tick = evtimer_new(w->base, on_tick, w);
	w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
	w->arrive = evtimer_new(w->base, on_arrive, w);
	w->lag_ev = evtimer_new(w->base, on_lag, w);
	w->end_ev = evtimer_new(w->base, on_end, w);
	w->ctl_ev = event_new(w->base, -1, 0, on_control, w);
	if (!w->curl_timer || !w->tick || !w->stop_ev || !w->arrive || !w->lag_ev || !w->end_ev ||
	    !w->ctl_ev)
		return err_set(err, "worker %d: cannot create events", id);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	if (w->prog->need_match_data) {
		w->match_data = pcre2_match_data_create(w->prog->max_groups + 1, NULL);
		if (!w->match_data)
			return err_set(err, "worker %d: out of memory", id);
	}
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

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct agent *a = w->agent;

	w->t0 = a->t0;
	w->t_end_load = w->t0 + plan_load_duration_us(a->plan);
	w->t_hard = w->t_end_load + a->plan->grace_us;
	add_at(w->tick, w->t0 + a->plan->interval_us);
	w->lag_expect = w->t0 + LAG_PROBE_US;
	add_at(w->lag_ev, w->lag_expect);
	add_at(w->end_ev, w->t_end_load);
	if (a->plan->load.model == PLAN_MODEL_OPEN) {
		double t = sched_open_next(&w->open, &w->rng);

		w->next_arrival = t < 0 ? -1 : w->t0 + (int64_t)t;
		if (w->next_arrival >= 0)
			add_at(w->arrive, w->next_arrival);
	} else if (w->users_target > 0)
		add_at(w->arrive, w->t0);
	if (!(a->plan->load.model == PLAN_MODEL_OPEN && w->next_arrival < 0) &&
	    !(a->plan->load.model != PLAN_MODEL_OPEN && w->users_target == 0))
		event_base_dispatch(w->base);
	hard_stop(w);
	hand_off(w, true);
	return NULL;
}

int worker_start(struct worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void worker_destroy(struct worker *w)
{
	struct user *u;

	while ((u = w->free_users)) {
		w->free_users = u->next;
		user_free(u);
	}
	while ((u = w->live)) {
		w->live = u->next;
		user_free(u);
	}
	if (w->multi)
		curl_multi_cleanup(w->multi);
	h1_worker_free(w);
	for (size_t i = 0; i < w->nfdev; i++)
		if (w->fdev[i])
			event_free(w->fdev[i]);
	free(w->fdev);
	free(w->slot_seq);
	w->slot_seq = NULL;
	struct event *evs[] = {w->curl_timer, w->tick,   w->stop_ev, w->arrive,
			       w->lag_ev,      w->end_ev, w->ctl_ev};

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	if (w->base)
		event_base_free(w->base);
	if (w->match_data)
		pcre2_match_data_free(w->match_data);
	wstats_free(w->prog, w->cur);
	wstats_free(w->prog, w->hand);
	buf_free(&w->scratch);
	pthread_mutex_destroy(&w->mu);
}
