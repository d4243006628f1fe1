/* The load as the main thread runs it: compile the plan, create the workers, start them at a
 * common time, collect their interval hand-offs into one snapshot per interval (with this
 * agent's health), and stop them.
 *
 * The interval protocol: workers tick on the same boundaries (t0 + k * interval) and each hands
 * its record over and pokes `collect`. Interval k is emitted once every worker has handed over
 * (or has finished). When every worker has finished — the plan's duration and grace passed, the
 * open model's last user ended, or agent_stop() was called — the threads are joined and what
 * remains is emitted as the final interval. A safety timer at duration + grace + 5 s stops the
 * workers whatever happens: there is never orphan load. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent/engine.h"
#include "agent/health.h"
#include "agent/loop.h"
#include "agent/prog.h"
#include "agent/worker.h"
#include "agent/wstats.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/plan.h"
#include "common/stats.h"
#include "common/units.h"

#define SAFETY_MARGIN_US 5000000

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

static void on_collect(evutil_socket_t fd, short what, void *arg);

/* Each user holds its own connection (unless http.share_connections), so users over the open
 * file limit would only fail with error_connect, fast and in numbers. Say so before the load
 * starts (the limit is already raised to the hard limit by then; health_raise_nofile). */
#define AGENT_FD_RESERVE 64 /* the agent's own descriptors: link, logs, epoll, data files */

static void warn_nofile(const struct plan *p)
{
	uint64_t nofile = 0, users = 0;

	if (p->http.share_connections || health_raise_nofile(&nofile) < 0 || nofile == 0)
		return;
	users = p->load.model == PLAN_MODEL_OPEN ? p->load.max_users : p->load.users;
	if (users + AGENT_FD_RESERVE > nofile)
		log_warn("this agent may run %llu users at once, each with its own connection, but "
			 "its open-file limit is %llu (the hard limit): users past about %llu will "
			 "fail with error_connect; raise the hard limit (ulimit -Hn, "
			 "LimitNOFILE=) or spread the users over more agents",
			 (unsigned long long)users, (unsigned long long)nofile,
			 (unsigned long long)(nofile > AGENT_FD_RESERVE ? nofile - AGENT_FD_RESERVE
									: 0));
}

int agent_prepare(struct agent **out, struct plan *plan, struct event_base *base,
		  struct agent_emit emit, char **err)
{
	struct agent *a = calloc(1, sizeof(*a));
	int threads = plan->agents.threads ? (int)plan->agents.threads : 1;

	*out = NULL;
	if (!a) {
		plan_free(plan);
		return err_set(err, "out of memory");
	}
	a->plan = plan;
	a->base = base;
	a->emit = emit;
	a->seed = plan->share.seed ? plan->share.seed : 0x5eed;
	atomic_init(&a->user_seq, 0);
	if (threads > 256) {
		err_set(err, "agents.threads: %d is more than 256", threads);
		goto fail;
	}
	if (plan->interval_us <= 0)
		plan->interval_us = 10000000;
	if (prog_compile(plan, &a->prog, err) < 0)
		goto fail;
	log_info("http client: %s%s", a->prog->lean ? "lean" : "libcurl",
		 plan->http.client == PLAN_CLIENT_AUTO ? " (auto)" : "");
	a->collect = event_new(base, -1, 0, on_collect, a);
	a->workers = calloc((size_t)threads, sizeof(*a->workers));
	if (!a->collect || !a->workers) {
		err_set(err, "out of memory");
		goto fail;
	}
	a->nworkers = threads;
	for (int i = 0; i < threads; i++)
		if (worker_init(&a->workers[i], a->prog, i, a->seed, &a->user_seq, err) < 0 ||
		    loop_init(&a->workers[i], threads, a->collect, err) < 0)
			goto fail;
	warn_nofile(plan);
	*out = a;
	return 0;
fail:
	agent_free(a);
	return -1;
}

static void on_safety(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	log_warn("the load did not end by duration + grace: stopping it");
	agent_stop(a, 0);
}

static void on_cpu_start(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	health_cpu_start(&a->cpu);
}

int agent_start(struct agent *a, int64_t delay_us)
{
	struct timeval tv;
	int64_t limit;

	if (a->started)
		return -1;
	a->started = true;
	a->t0 = clock_mono_us() + (delay_us > 0 ? delay_us : 0);
	/* The first CPU window opens when the load starts: the wait for a common start (up to
	 * seconds on a fleet) is not part of interval 0. */
	health_cpu_start(&a->cpu);
	if (delay_us > 0) {
		a->cpu_start = evtimer_new(a->base, on_cpu_start, a);
		if (a->cpu_start) {
			tv.tv_sec = (time_t)(delay_us / 1000000);
			tv.tv_usec = (suseconds_t)(delay_us % 1000000);
			evtimer_add(a->cpu_start, &tv);
		}
	}
	for (int i = 0; i < a->nworkers; i++) {
		if (loop_start(&a->workers[i], a->t0) < 0) {
			log_error("cannot start worker thread %d", i);
			break;
		}
		a->nstarted++;
	}
	limit = (a->t0 - clock_mono_us()) + plan_load_duration_us(a->plan) + a->plan->grace_us +
		SAFETY_MARGIN_US;
	a->safety = evtimer_new(a->base, on_safety, a);
	if (a->safety) {
		tv.tv_sec = (time_t)(limit / 1000000);
		tv.tv_usec = (suseconds_t)(limit % 1000000);
		evtimer_add(a->safety, &tv);
	}
	if (a->nstarted < a->nworkers) {
		agent_stop(a, 0);
		return a->nstarted ? 0 : -1;
	}
	return 0;
}

void agent_stop(struct agent *a, int64_t hard_us)
{
	if (!a->started) {
		a->done = true;
		return;
	}
	a->stopping = true;
	for (int i = 0; i < a->nstarted; i++)
		loop_request_stop(&a->workers[i], hard_us);
	if (a->nstarted == 0)
		on_collect(-1, 0, a);
}

void agent_control(struct agent *a, double scale, int64_t users, bool paused)
{
	const struct plan_load *l = &a->plan->load;
	uint64_t live = 0, k = 0;

	if (!a->started || a->stopping)
		return;
	/* A closed or rate worker that got no users from the plan has already left its loop
	 * (loop.c): the users go to the workers that run. */
	for (int i = 0; i < a->nstarted; i++)
		live += l->model == PLAN_MODEL_OPEN ||
			sched_split(l->users, (uint64_t)a->nworkers, (uint64_t)i) > 0;
	for (int i = 0; i < a->nstarted; i++) {
		if (l->model != PLAN_MODEL_OPEN &&
		    sched_split(l->users, (uint64_t)a->nworkers, (uint64_t)i) == 0)
			continue;
		loop_request_control(
		    &a->workers[i], scale,
		    users < 0 ? -1 : (int64_t)sched_split((uint64_t)users, live, k), paused);
		k++;
	}
}

bool agent_started(const struct agent *a)
{
	return a->started;
}

/* Merge what the workers handed over into a snapshot (with health) and emit it. */
static void emit_interval(struct agent *a, bool final)
{
	struct stats_snapshot *s = stats_new();
	struct stats_health h = {0};
	struct health_window hw = {0};
	int64_t users = 0, users_max = 0, conns = 0, conns_max = 0, end_wall, end_cpu;
	const struct stats_counter *dropped;
	const struct hist *requests;

	if (!s) {
		log_error("out of memory building interval %u", a->next_interval);
		return;
	}
	s->interval = a->next_interval;
	s->interval_us = a->plan->interval_us;
	s->nagents = 1;
	for (int i = 0; i < a->nstarted; i++) {
		struct worker *w = &a->workers[i];

		pthread_mutex_lock(&w->mu);
		if (w->hand->ready) {
			if (wstats_to_snapshot(a->prog, w->hand, s) < 0)
				log_error("out of memory merging interval %u", a->next_interval);
			users += w->hand->users;
			users_max += w->hand->users_max;
			conns += w->hand->conns;
			conns_max += w->hand->conns_max;
			if (w->hand->lag_max_ms > h.loop_lag_ms)
				h.loop_lag_ms = w->hand->lag_max_ms;
			wstats_reset(a->prog, w->hand);
			w->hand->users = w->hand->users_max = w->hand->conns = w->hand->conns_max =
			    0;
		}
		pthread_mutex_unlock(&w->mu);
	}
	stats_gauge(s, "users", users, users_max > users ? users_max : users);
	stats_gauge(s, "connected", conns, conns_max > conns ? conns_max : conns);
	dropped = stats_find_counter(s, "dropped_users");
	requests = stats_find_hist(s, "request");
	h.agent = a->plan->share.agent_id ? a->plan->share.agent_id : "local";
	/* The window ends at the interval's end: now for a full interval; for the last one, when
	 * the last worker's load ended (the threads are joined, their samples are ours to read),
	 * so tearing users down and joining is not counted as load. */
	end_wall = clock_mono_us();
	end_cpu = health_cpu_now_us();
	if (final) {
		int64_t last = 0, last_cpu = 0;

		for (int i = 0; i < a->nstarted; i++)
			if (a->workers[i].end_wall_us > last) {
				last = a->workers[i].end_wall_us;
				last_cpu = a->workers[i].end_cpu_us;
			}
		if (last) {
			/* The previous interval may have been emitted after the load ended: then
			 * this one covered nothing. */
			end_wall = last > a->cpu.wall_us ? last : a->cpu.wall_us;
			end_cpu = last_cpu > a->cpu.cpu_us ? last_cpu : a->cpu.cpu_us;
		}
	}
	hw.cpu = health_cpu_close(&a->cpu, end_wall, end_cpu, &hw.window_us);
	hw.cpu_limit = a->nworkers;
	hw.lag_ms = h.loop_lag_ms;
	/* Load ran in this interval if requests completed in it, or users were alive in it
	 * before the load's end. A grace tail where users only wind down, and the teardown, are
	 * not load: no saturation is judged there. */
	hw.loaded = (requests && requests->count > 0) ||
		    (users_max > 0 &&
		     (int64_t)s->interval * a->plan->interval_us < plan_load_duration_us(a->plan));
	h.cpu = hw.cpu;
	h.cpu_limit = hw.cpu_limit;
	h.open_conns = (uint64_t)conns;
	h.dropped = dropped ? (uint64_t)dropped->value : 0;
	h.users = (uint64_t)users;
	h.saturated = health_saturated(&hw);
	stats_add_health(s, &h);
	a->next_interval++;
	a->emit.fn(a->emit.arg, s, final);
	stats_free(s);
}

static void on_collect(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	if (a->done)
		return;
	for (;;) {
		int ready = 0, finished = 0;

		for (int i = 0; i < a->nstarted; i++) {
			struct worker *w = &a->workers[i];

			pthread_mutex_lock(&w->mu);
			if (w->finished)
				finished++;
			else if (w->hand->ready)
				ready++;
			pthread_mutex_unlock(&w->mu);
		}
		if (finished == a->nstarted) {
			for (int i = 0; i < a->nstarted; i++)
				pthread_join(a->workers[i].thread, NULL);
			a->joined = true;
			emit_interval(a, true);
			a->done = true;
			if (a->safety)
				evtimer_del(a->safety);
			return;
		}
		if (ready + finished < a->nstarted || ready == 0)
			return;
		emit_interval(a, false);
	}
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	if (a->nstarted && !a->joined) {
		for (int i = 0; i < a->nstarted; i++)
			loop_request_stop(&a->workers[i], 0);
		for (int i = 0; i < a->nstarted; i++)
			pthread_join(a->workers[i].thread, NULL);
	}
	for (int i = 0; i < a->nworkers; i++) {
		loop_destroy(&a->workers[i]);
		worker_destroy(&a->workers[i]);
	}
	free(a->workers);
	if (a->collect)
		event_free(a->collect);
	if (a->cpu_start)
		event_free(a->cpu_start);
	if (a->safety)
		event_free(a->safety);
	prog_free(a->prog);
	plan_free(a->plan);
	free(a);
}
