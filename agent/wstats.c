/* Per-worker statistics records (wstats.h): allocation, reset, merging two records, and
 * turning one into the named statistics of a snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/prog.h"
#include "agent/wstats.h"
#include "common/stats.h"

struct wstats *wstats_new(const struct prog *g)
{
	struct wstats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->h = calloc(g->nhists, sizeof(*s->h));
	s->c = calloc(g->nctrs, sizeof(*s->c));
	if (!s->h || !s->c) {
		free(s->h);
		free(s->c);
		free(s);
		return NULL;
	}
	return s;
}

void wstats_free(const struct prog *g, struct wstats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < g->nhists; i++)
		hist_free(s->h[i]);
	free(s->h);
	free(s->c);
	free(s);
}

void wstats_reset(const struct prog *g, struct wstats *s)
{
	for (size_t i = 0; i < g->nhists; i++)
		if (s->h[i])
			hist_reset(s->h[i]);
	memset(s->c, 0, g->nctrs * sizeof(*s->c));
	memset(s->http, 0, sizeof(s->http));
	s->lag_max_ms = 0;
	s->ready = false;
}

void wstats_merge(const struct prog *g, struct wstats *dst, const struct wstats *src)
{
	for (size_t i = 0; i < g->nhists; i++) {
		if (!src->h[i] || src->h[i]->count == 0)
			continue;
		if (!dst->h[i])
			dst->h[i] = hist_new();
		if (dst->h[i])
			hist_merge(dst->h[i], src->h[i]);
	}
	for (size_t i = 0; i < g->nctrs; i++)
		dst->c[i] += src->c[i];
	for (size_t i = 0; i < AGENT_HTTP_CODES; i++)
		dst->http[i] += src->http[i];
	dst->users = src->users;
	dst->users_max = src->users_max > dst->users_max ? src->users_max : dst->users_max;
	dst->conns = src->conns;
	dst->conns_max = src->conns_max > dst->conns_max ? src->conns_max : dst->conns_max;
	if (src->lag_max_ms > dst->lag_max_ms)
		dst->lag_max_ms = src->lag_max_ms;
}

int wstats_to_snapshot(const struct prog *g, const struct wstats *s, struct stats_snapshot *out)
{
	for (size_t i = 0; i < g->nhists; i++) {
		struct hist *h;

		if (!s->h[i] || s->h[i]->count == 0)
			continue;
		h = stats_hist(out, g->hist_names[i]);
		if (!h)
			return -1;
		hist_merge(h, s->h[i]);
	}
	for (size_t i = 0; i < g->nctrs; i++)
		if (s->c[i] && stats_add(out, g->ctr_names[i], (int64_t)s->c[i]) < 0)
			return -1;
	for (size_t i = 0; i < AGENT_HTTP_CODES; i++) {
		char name[16];

		if (!s->http[i])
			continue;
		snprintf(name, sizeof(name), "http_%03zu", i);
		if (stats_add(out, name, (int64_t)s->http[i]) < 0)
			return -1;
	}
	return 0;
}
