/* A worker thread's context (worker.h): its event base and statistics records, and the
 * services its users and its HTTP client call — the clock, the once-per-site notes, the count
 * of open connections, source addresses for new sockets, and which session a user slot runs.
 * The thread's loop itself (arrivals, intervals, stopping) is loop.c.
 *
 * Nothing here is shared with other threads: the worker's statistics go to the main thread only
 * through the hand-off in loop.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "agent/prog.h"
#include "agent/transport.h"
#include "agent/worker.h"
#include "agent/wstats.h"
#include "common/err.h"
#include "common/log.h"

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

void worker_user_done(struct worker *w, struct user *u)
{
	w->user_done(w, u);
}

const struct csession *worker_slot_session(const struct worker *w, uint64_t slot, uint64_t round)
{
	if (!w->slot_seq)
		return NULL;
	return &w->prog->sessions[w->slot_seq[(slot + round) % w->slot_seq_len]];
}

static struct event_base *new_base(void)
{
	/* The changelist coalesces a delete and a re-add of the same socket within one loop
	 * iteration (a keep-alive connection between two requests) into nothing. */
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	/* Without it libevent times with CLOCK_MONOTONIC_COARSE (1-4 ms ticks): think times and
	 * rate-mode send times would fire up to a tick early or late. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

int worker_init(struct worker *w, const struct prog *g, int id, uint64_t seed,
		atomic_uint_fast64_t *user_seq, char **err)
{
	w->prog = g;
	w->tp = g->lean ? &lean_transport : &http_transport;
	w->id = id;
	w->user_seq = user_seq;
	buf_init(&w->scratch, (size_t)16 << 20);
	w->rng = sched_seed(seed, (uint64_t)id);
	w->base = new_base();
	w->cur = wstats_new(g);
	w->hand = wstats_new(g);
	if (!w->base || !w->cur || !w->hand)
		return err_set(err, "worker %d: out of memory", id);
	if (g->need_match_data) {
		w->match_data = pcre2_match_data_create(g->max_groups + 1, NULL);
		if (!w->match_data)
			return err_set(err, "worker %d: out of memory", id);
	}
	return w->tp->worker_init(w, err);
}

void worker_destroy(struct worker *w)
{
	if (w->tp)
		w->tp->worker_free(w);
	if (w->base)
		event_base_free(w->base);
	if (w->match_data)
		pcre2_match_data_free(w->match_data);
	if (w->prog) {
		wstats_free(w->prog, w->cur);
		wstats_free(w->prog, w->hand);
	}
	buf_free(&w->scratch);
}
