/* One interval's statistics (see stats.h): creating, finding, merging and accumulating
 * histograms, counters, gauges and agent health; the rule for names; the failure note. The
 * codecs are in stats_binary.c (STATS frames) and stats_json.c (stats.log lines).
 *
 * Histograms and counters are kept in arrays sorted by name: snapshots hold tens of entries,
 * lookups happen once per interval per entry (workers keep their own fixed histograms on the
 * hot path), and a sorted order makes merging a linear walk and the encodings canonical. */
#include "common/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct stats_snapshot *stats_new(void)
{
	return calloc(1, sizeof(struct stats_snapshot));
}

static void health_clear(struct stats_health *h)
{
	free(h->agent);
	memset(h, 0, sizeof(*h));
}

void stats_free(struct stats_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nhists; i++) {
		free(s->hists[i].name);
		hist_free(s->hists[i].h);
	}
	for (i = 0; i < s->ncounters; i++)
		free(s->counters[i].name);
	for (i = 0; i < s->nhealth; i++)
		health_clear(&s->health[i]);
	free(s->hists);
	free(s->counters);
	free(s->health);
	free(s);
}

void stats_reset(struct stats_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nhists; i++)
		hist_reset(s->hists[i].h);
	for (i = 0; i < s->ncounters; i++) {
		s->counters[i].value = 0;
		s->counters[i].max = 0;
	}
	for (i = 0; i < s->nhealth; i++)
		health_clear(&s->health[i]);
	s->nhealth = 0;
	s->nagents = 0;
}

/* Binary search over an array of structs whose first member is `char *name`; returns the index
 * where key is, or would be inserted, and sets *found. */
static size_t find_sorted(const void *arr, size_t n, size_t stride, const char *key, int *found)
{
	size_t lo = 0, hi = n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = *(char *const *)((const char *)arr + mid * stride);
		int c = strcmp(name, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define FIND_SORTED(arr, n, key, found) find_sorted((arr), (n), sizeof(*(arr)), (key), (found))

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct hist *stats_hist(struct stats_snapshot *s, const char *name)
{
	int found;
	size_t i = FIND_SORTED(s->hists, s->nhists, name, &found);
	struct stats_hist e;

	if (found)
		return s->hists[i].h;
	if (grow((void **)&s->hists, &s->hists_cap, s->nhists, sizeof(*s->hists)) < 0)
		return NULL;
	e.name = strdup(name);
	e.h = hist_new();
	if (!e.name || !e.h) {
		free(e.name);
		hist_free(e.h);
		return NULL;
	}
	memmove(&s->hists[i + 1], &s->hists[i], (s->nhists - i) * sizeof(*s->hists));
	s->hists[i] = e;
	s->nhists++;
	return e.h;
}

struct stats_counter *stats_counter(struct stats_snapshot *s, const char *name,
				    enum stats_kind kind)
{
	int found;
	size_t i = FIND_SORTED(s->counters, s->ncounters, name, &found);
	struct stats_counter e = {0};

	if (found)
		return &s->counters[i];
	if (grow((void **)&s->counters, &s->counters_cap, s->ncounters, sizeof(*s->counters)) < 0)
		return NULL;
	e.name = strdup(name);
	if (!e.name)
		return NULL;
	e.kind = kind;
	memmove(&s->counters[i + 1], &s->counters[i], (s->ncounters - i) * sizeof(*s->counters));
	s->counters[i] = e;
	s->ncounters++;
	return &s->counters[i];
}

const struct hist *stats_find_hist(const struct stats_snapshot *s, const char *name)
{
	int found;
	size_t i = FIND_SORTED(s->hists, s->nhists, name, &found);

	return found ? s->hists[i].h : NULL;
}

const struct stats_counter *stats_find_counter(const struct stats_snapshot *s, const char *name)
{
	int found;
	size_t i = FIND_SORTED(s->counters, s->ncounters, name, &found);

	return found ? &s->counters[i] : NULL;
}

int stats_add(struct stats_snapshot *s, const char *name, int64_t delta)
{
	struct stats_counter *c = stats_counter(s, name, STATS_COUNTER);

	if (!c)
		return -1;
	c->value += delta;
	c->max = c->value;
	return 0;
}

int stats_gauge(struct stats_snapshot *s, const char *name, int64_t value, int64_t max)
{
	struct stats_counter *c = stats_counter(s, name, STATS_GAUGE);

	if (!c)
		return -1;
	c->kind = STATS_GAUGE;
	c->value = value;
	c->max = max > value ? max : value;
	return 0;
}

int stats_add_health(struct stats_snapshot *s, const struct stats_health *h)
{
	struct stats_health *d;

	if (grow((void **)&s->health, &s->health_cap, s->nhealth, sizeof(*s->health)) < 0)
		return -1;
	d = &s->health[s->nhealth];
	*d = *h;
	d->agent = strdup(h->agent ? h->agent : "");
	if (!d->agent)
		return -1;
	s->nhealth++;
	return 0;
}

static int merge_common(struct stats_snapshot *dst, const struct stats_snapshot *src, int over_time)
{
	size_t i;

	for (i = 0; i < src->nhists; i++) {
		struct hist *h = stats_hist(dst, src->hists[i].name);

		if (!h)
			return -1;
		hist_merge(h, src->hists[i].h);
	}
	for (i = 0; i < src->ncounters; i++) {
		const struct stats_counter *sc = &src->counters[i];
		struct stats_counter *c = stats_counter(dst, sc->name, sc->kind);

		if (!c)
			return -1;
		if (sc->kind == STATS_GAUGE && over_time) {
			c->kind = STATS_GAUGE;
			c->value = sc->value;
			if (sc->max > c->max)
				c->max = sc->max;
		} else if (sc->kind == STATS_GAUGE) {
			c->kind = STATS_GAUGE;
			c->value += sc->value;
			c->max += sc->max;
		} else {
			c->value += sc->value;
			c->max = c->value;
		}
	}
	return 0;
}

int stats_merge(struct stats_snapshot *dst, const struct stats_snapshot *src)
{
	size_t i;

	if (merge_common(dst, src, 0) < 0)
		return -1;
	for (i = 0; i < src->nhealth; i++)
		if (stats_add_health(dst, &src->health[i]) < 0)
			return -1;
	dst->nagents += src->nagents;
	if (!dst->interval_us)
		dst->interval_us = src->interval_us;
	return 0;
}

int stats_accumulate(struct stats_snapshot *total, const struct stats_snapshot *next)
{
	size_t i, j;

	if (merge_common(total, next, 1) < 0)
		return -1;
	for (i = 0; i < next->nhealth; i++) {
		const struct stats_health *n = &next->health[i];

		for (j = 0; j < total->nhealth; j++)
			if (strcmp(total->health[j].agent, n->agent) == 0)
				break;
		if (j == total->nhealth) {
			if (stats_add_health(total, n) < 0)
				return -1;
			continue;
		}
		if (n->cpu > total->health[j].cpu)
			total->health[j].cpu = n->cpu;
		if (n->cpu_limit > total->health[j].cpu_limit)
			total->health[j].cpu_limit = n->cpu_limit;
		if (n->loop_lag_ms > total->health[j].loop_lag_ms)
			total->health[j].loop_lag_ms = n->loop_lag_ms;
		if (n->open_conns > total->health[j].open_conns)
			total->health[j].open_conns = n->open_conns;
		if (n->users > total->health[j].users)
			total->health[j].users = n->users;
		total->health[j].dropped += n->dropped;
		total->health[j].saturated |= n->saturated;
	}
	if (next->nagents > total->nagents)
		total->nagents = next->nagents;
	total->interval = next->interval;
	if (!total->interval_us)
		total->interval_us = next->interval_us;
	return 0;
}

const char *stats_name_problem(const char *name, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;

	if (bad)
		*bad = 0;
	if (len == 0)
		return "empty name";
	if (len > STATS_MAX_NAME) {
		if (bad)
			*bad = STATS_MAX_NAME;
		return "name longer than 200 bytes";
	}
	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t n, k;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				goto control;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else
			goto utf8;
		if (len - i < n)
			goto utf8;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto utf8;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto utf8;
		if (cp >= 0x80 && cp <= 0x9f)
			goto control;
		i += n;
	}
	return NULL;
control:
	if (bad)
		*bad = i;
	return "control character";
utf8:
	if (bad)
		*bad = i;
	return "invalid UTF-8";
}

/* The errors of a request that got no response (agent/http.c), with how to say that most
 * attempts ended that way. */
static const struct {
	const char *name, *fmt;
} failure_kinds[] = {
    {"error_connect", "target refused %d%% of connections"},
    {"error_timeout", "%d%% of requests timed out"},
    {"error_dns", "DNS lookup failed for %d%% of requests"},
    {"error_tls", "TLS failed for %d%% of requests"},
    {"error_closed", "target closed or reset %d%% of requests before answering"},
    {"error_cut", "%d%% of requests were still unanswered when the run ended"},
    {"error_header_too_large", "%d%% of responses had headers too large"},
    {"error_other", "%d%% of requests failed (error_other)"},
};

bool stats_failure_note(const struct stats_snapshot *s, char *buf, size_t size)
{
	const struct stats_counter *req = stats_find_counter(s, "requests");
	int64_t failed = 0, worst = 0, attempted = req ? req->value : 0;
	size_t wi = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(failure_kinds) / sizeof(failure_kinds[0]); i++) {
		const struct stats_counter *c = stats_find_counter(s, failure_kinds[i].name);
		int64_t v = c ? c->value : 0;

		failed += v;
		if (v > worst) {
			worst = v;
			wi = i;
		}
	}
	if (attempted <= 0 || failed * 2 <= attempted)
		return false;
	if (worst * 2 > attempted) {
		int pct = (int)(100.0 * (double)worst / (double)attempted);

		snprintf(buf, size, failure_kinds[wi].fmt,
			 pct > 99 && worst < attempted ? 99 : pct);
		size_t n = strlen(buf);

		snprintf(buf + n, size > n ? size - n : 0, " (%s %lld of %lld requests)",
			 failure_kinds[wi].name, (long long)worst, (long long)attempted);
	} else
		snprintf(buf, size, "%d%% of requests got no response (%lld of %lld)",
			 (int)(100.0 * (double)failed / (double)attempted), (long long)failed,
			 (long long)attempted);
	return true;
}
