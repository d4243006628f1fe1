/* One interval's statistics and their two codecs (see stats.h, docs/wire-protocol.md and
 * docs/stats-log.md).
 *
 * Histograms and counters are kept in arrays sorted by name: snapshots hold tens of entries,
 * lookups happen once per interval per entry (workers keep their own fixed histograms on the
 * hot path), and a sorted order makes merging a linear walk and the encodings canonical. */
#include "common/stats.h"

#include <jansson.h>
#include <math.h>
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
	struct stats_counter e = { 0 };

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

/* ---- binary codec ---- */

static int put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	return buf_append(b, tmp, n);
}

static int put_svarint(struct buf *b, int64_t v)
{
	return put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static int put_double(struct buf *b, double d)
{
	uint64_t u;
	uint8_t tmp[8];
	int i;

	memcpy(&u, &d, sizeof(u));
	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t)(u >> (8 * i));
	return buf_append(b, tmp, 8);
}

static int put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (put_varint(b, n) < 0)
		return -1;
	return buf_append(b, s, n);
}

static int put_hist(struct buf *b, const struct hist *h)
{
	uint32_t idx = 0, prev = 0;
	uint64_t count;
	uint64_t nb = 0;

	while (hist_next_bucket(h, &idx, &count)) {
		nb++;
		idx++;
	}
	if (put_varint(b, h->count) < 0 || put_varint(b, h->sum) < 0 ||
	    put_double(b, h->sumsq) < 0 || put_varint(b, h->count ? h->min : 0) < 0 ||
	    put_varint(b, h->count ? h->max : 0) < 0 || put_varint(b, h->clamped) < 0 ||
	    put_varint(b, nb) < 0)
		return -1;
	idx = 0;
	while (hist_next_bucket(h, &idx, &count)) {
		if (put_varint(b, idx - prev) < 0 || put_varint(b, count) < 0)
			return -1;
		prev = idx;
		idx++;
	}
	return 0;
}

int stats_encode(const struct stats_snapshot *s, struct buf *out)
{
	size_t i;

	if (put_varint(out, s->interval) < 0 || put_varint(out, (uint64_t)s->interval_us) < 0 ||
	    put_varint(out, s->nagents) < 0 || put_varint(out, s->nhealth) < 0)
		return -1;
	for (i = 0; i < s->nhealth; i++) {
		const struct stats_health *h = &s->health[i];

		if (put_str(out, h->agent ? h->agent : "") < 0 || put_double(out, h->cpu) < 0 ||
		    put_double(out, h->cpu_limit) < 0 || put_double(out, h->loop_lag_ms) < 0 ||
		    put_varint(out, h->open_conns) < 0 || put_varint(out, h->dropped) < 0 ||
		    put_varint(out, h->users) < 0 || buf_append_byte(out, h->saturated ? 1 : 0) < 0)
			return -1;
	}
	if (put_varint(out, s->ncounters) < 0)
		return -1;
	for (i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];

		if (put_str(out, c->name) < 0 || buf_append_byte(out, (uint8_t)c->kind) < 0 ||
		    put_svarint(out, c->value) < 0 || put_svarint(out, c->max) < 0)
			return -1;
	}
	if (put_varint(out, s->nhists) < 0)
		return -1;
	for (i = 0; i < s->nhists; i++)
		if (put_str(out, s->hists[i].name) < 0 || put_hist(out, s->hists[i].h) < 0)
			return -1;
	return 0;
}

struct reader {
	const uint8_t *p, *end;
	char **err;
	const char *where;
};

static int get_varint(struct reader *r, uint64_t *v)
{
	uint64_t x = 0;
	int shift = 0;

	while (r->p < r->end) {
		uint8_t c = *r->p++;

		if (shift == 63 && (c & 0x7e))
			return err_set(r->err, "stats frame: varint overflow in %s", r->where);
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return err_set(r->err, "stats frame: varint too long in %s", r->where);
	}
	return err_set(r->err, "stats frame: truncated in %s", r->where);
}

static int get_svarint(struct reader *r, int64_t *v)
{
	uint64_t u;

	if (get_varint(r, &u) < 0)
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

static int get_double(struct reader *r, double *d)
{
	uint64_t u = 0;
	int i;

	if (r->end - r->p < 8)
		return err_set(r->err, "stats frame: truncated in %s", r->where);
	for (i = 0; i < 8; i++)
		u |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	memcpy(d, &u, sizeof(*d));
	if (!isfinite(*d))
		return err_set(r->err, "stats frame: non-finite number in %s", r->where);
	return 0;
}

static int get_byte(struct reader *r, uint8_t *c)
{
	if (r->p >= r->end)
		return err_set(r->err, "stats frame: truncated in %s", r->where);
	*c = *r->p++;
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

/* Names: see stats_name_problem(). They end up in JSON, HTML, gnuplot scripts and tsung.log,
 * each of which escapes them its own way. */
static int get_name(struct reader *r, char *name)
{
	uint64_t n;
	const char *why;
	size_t bad;

	if (get_varint(r, &n) < 0)
		return -1;
	if (n == 0 || n > STATS_MAX_NAME)
		return err_set(r->err, "stats frame: name of %llu bytes in %s",
			       (unsigned long long)n, r->where);
	if ((uint64_t)(r->end - r->p) < n)
		return err_set(r->err, "stats frame: truncated in %s", r->where);
	why = stats_name_problem((const char *)r->p, (size_t)n, &bad);
	if (why)
		return err_set(r->err, "stats frame: %s (byte 0x%02x) in a name in %s", why,
			       r->p[bad], r->where);
	memcpy(name, r->p, n);
	name[n] = '\0';
	r->p += n;
	return 0;
}

static int get_hist(struct reader *r, struct hist *h)
{
	uint64_t nb, i, idx = 0, delta, count, min, max;
	uint32_t prev_set = 0;

	if (get_varint(r, &h->count) < 0 || get_varint(r, &h->sum) < 0 ||
	    get_double(r, &h->sumsq) < 0 || get_varint(r, &min) < 0 || get_varint(r, &max) < 0 ||
	    get_varint(r, &h->clamped) < 0 || get_varint(r, &nb) < 0)
		return -1;
	if (h->sumsq < 0)
		return err_set(r->err, "stats frame: negative sum of squares in %s", r->where);
	if (nb > HIST_COUNTS_LEN)
		return err_set(r->err, "stats frame: %llu buckets in %s", (unsigned long long)nb,
			       r->where);
	h->min = min;
	h->max = max;
	for (i = 0; i < nb; i++) {
		if (get_varint(r, &delta) < 0 || get_varint(r, &count) < 0)
			return -1;
		if ((i > 0 && delta == 0) || delta >= HIST_COUNTS_LEN || idx + delta >= HIST_COUNTS_LEN)
			return err_set(r->err, "stats frame: bucket index out of range in %s",
				       r->where);
		idx += delta;
		if (count == 0)
			return err_set(r->err, "stats frame: empty bucket listed in %s", r->where);
		hist_set_bucket(h, (uint32_t)idx, count);
		prev_set = 1;
	}
	(void)prev_set;
	if (hist_check(h, r->err) < 0)
		return err_prefix(r->err, "stats frame: %s", r->where);
	return 0;
}

int stats_decode(const void *data, size_t len, struct stats_snapshot *s, char **err)
{
	struct reader r = { data, (const uint8_t *)data + len, err, "header" };
	uint64_t v, n, i;
	char name[STATS_MAX_NAME + 1];
	char prev[STATS_MAX_NAME + 1];

	if (get_varint(&r, &v) < 0)
		return -1;
	if (v > UINT32_MAX)
		return err_set(err, "stats frame: interval index %llu out of range",
			       (unsigned long long)v);
	s->interval = (uint32_t)v;
	if (get_varint(&r, &v) < 0)
		return -1;
	if (v == 0 || v > (uint64_t)86400 * 1000000)
		return err_set(err, "stats frame: interval length %llu us out of range",
			       (unsigned long long)v);
	s->interval_us = (int64_t)v;
	if (get_varint(&r, &v) < 0)
		return -1;
	if (v > STATS_MAX_ENTRIES)
		return err_set(err, "stats frame: %llu agents", (unsigned long long)v);
	s->nagents = (uint32_t)v;

	r.where = "health";
	if (get_varint(&r, &n) < 0)
		return -1;
	if (n > STATS_MAX_ENTRIES)
		return err_set(err, "stats frame: %llu health entries", (unsigned long long)n);
	for (i = 0; i < n; i++) {
		struct stats_health h = { 0 };
		uint8_t sat = 0;

		if (get_name(&r, name) < 0 || get_double(&r, &h.cpu) < 0 ||
		    get_double(&r, &h.cpu_limit) < 0 || get_double(&r, &h.loop_lag_ms) < 0 ||
		    get_varint(&r, &h.open_conns) < 0 || get_varint(&r, &h.dropped) < 0 ||
		    get_varint(&r, &h.users) < 0 || get_byte(&r, &sat) < 0)
			return -1;
		if (sat > 1)
			return err_set(err, "stats frame: bad saturated flag %u", sat);
		h.saturated = sat;
		h.agent = name;
		if (stats_add_health(s, &h) < 0)
			return err_set(err, "out of memory");
	}

	r.where = "counters";
	if (get_varint(&r, &n) < 0)
		return -1;
	if (n > STATS_MAX_ENTRIES)
		return err_set(err, "stats frame: %llu counters", (unsigned long long)n);
	prev[0] = '\0';
	for (i = 0; i < n; i++) {
		uint8_t kind = 0;
		int64_t value, max;
		struct stats_counter *c;

		if (get_name(&r, name) < 0 || get_byte(&r, &kind) < 0 ||
		    get_svarint(&r, &value) < 0 || get_svarint(&r, &max) < 0)
			return -1;
		if (kind > STATS_GAUGE)
			return err_set(err, "stats frame: counter '%s' has unknown kind %u", name, kind);
		if (i > 0 && strcmp(prev, name) >= 0)
			return err_set(err, "stats frame: counter '%s' out of order or repeated", name);
		memcpy(prev, name, sizeof(prev));
		c = stats_counter(s, name, (enum stats_kind)kind);
		if (!c)
			return err_set(err, "out of memory");
		c->value = value;
		c->max = max;
	}

	r.where = "histograms";
	if (get_varint(&r, &n) < 0)
		return -1;
	if (n > STATS_MAX_ENTRIES)
		return err_set(err, "stats frame: %llu histograms", (unsigned long long)n);
	for (i = 0; i < n; i++) {
		struct hist *h;

		if (get_name(&r, name) < 0)
			return -1;
		if (i > 0 && strcmp(prev, name) >= 0)
			return err_set(err, "stats frame: histogram '%s' out of order or repeated",
				       name);
		memcpy(prev, name, sizeof(prev));
		h = stats_hist(s, name);
		if (!h)
			return err_set(err, "out of memory");
		r.where = h == NULL ? "histograms" : "histogram";
		if (get_hist(&r, h) < 0)
			return err_prefix(err, "histogram '%s'", name);
		r.where = "histograms";
	}
	if (r.p != r.end)
		return err_set(err, "stats frame: %zu trailing bytes", (size_t)(r.end - r.p));
	return 0;
}

/* ---- JSON codec (stats.log) ---- */

static int json_hist(struct buf *b, const struct hist *h)
{
	uint32_t idx = 0, prev = 0;
	uint64_t count;
	int first = 1;

	if (buf_printf(b, "{\"n\":%llu,\"sum\":%llu,\"sumsq\":%.17g,\"min\":%llu,\"max\":%llu,"
			  "\"clamped\":%llu,\"b\":[",
		       (unsigned long long)h->count, (unsigned long long)h->sum, h->sumsq,
		       (unsigned long long)(h->count ? h->min : 0),
		       (unsigned long long)(h->count ? h->max : 0), (unsigned long long)h->clamped) < 0)
		return -1;
	while (hist_next_bucket(h, &idx, &count)) {
		if (buf_printf(b, "%s%u,%llu", first ? "" : ",", idx - prev, (unsigned long long)count) <
		    0)
			return -1;
		first = 0;
		prev = idx;
		idx++;
	}
	return buf_append_str(b, "]}");
}

int stats_to_json(const struct stats_snapshot *s, struct buf *b)
{
	size_t i;
	int first;

	if (buf_printf(b, "{\"type\":\"interval\",\"i\":%u,\"interval_s\":%.6g,\"nagents\":%u,\"hists\":{",
		       s->interval, (double)s->interval_us / 1e6, s->nagents) < 0)
		return -1;
	for (i = 0; i < s->nhists; i++) {
		if ((i && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, s->hists[i].name, strlen(s->hists[i].name)) < 0 ||
		    buf_append_byte(b, ':') < 0 || json_hist(b, s->hists[i].h) < 0)
			return -1;
	}
	if (buf_append_str(b, "},\"counters\":{") < 0)
		return -1;
	first = 1;
	for (i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];

		if (c->kind != STATS_COUNTER)
			continue;
		if ((!first && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, c->name, strlen(c->name)) < 0 ||
		    buf_printf(b, ":%lld", (long long)c->value) < 0)
			return -1;
		first = 0;
	}
	if (buf_append_str(b, "},\"gauges\":{") < 0)
		return -1;
	first = 1;
	for (i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];

		if (c->kind != STATS_GAUGE)
			continue;
		if ((!first && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, c->name, strlen(c->name)) < 0 ||
		    buf_printf(b, ":[%lld,%lld]", (long long)c->value, (long long)c->max) < 0)
			return -1;
		first = 0;
	}
	if (buf_append_str(b, "},\"agents\":[") < 0)
		return -1;
	for (i = 0; i < s->nhealth; i++) {
		const struct stats_health *h = &s->health[i];

		if ((i && buf_append_byte(b, ',') < 0) || buf_append_str(b, "{\"id\":") < 0 ||
		    buf_append_json_str(b, h->agent, strlen(h->agent)) < 0 ||
		    buf_printf(b,
			       ",\"cpu\":%.4g,\"cpu_limit\":%.4g,\"lag_ms\":%.4g,\"conns\":%llu,"
			       "\"dropped\":%llu,\"users\":%llu,\"saturated\":%s}",
			       h->cpu, h->cpu_limit, h->loop_lag_ms, (unsigned long long)h->open_conns,
			       (unsigned long long)h->dropped, (unsigned long long)h->users,
			       h->saturated ? "true" : "false") < 0)
			return -1;
	}
	return buf_append_str(b, "]}");
}

static int json_u64(json_t *o, const char *key, uint64_t *v, int required, char **err,
		    const char *where)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		if (required)
			return err_set(err, "%s: missing \"%s\"", where, key);
		*v = 0;
		return 0;
	}
	if (json_is_integer(x) && json_integer_value(x) >= 0) {
		*v = (uint64_t)json_integer_value(x);
		return 0;
	}
	/* Large sums may have been written as reals by other tools. */
	if (json_is_real(x) && json_real_value(x) >= 0 && json_real_value(x) < 1.8e19) {
		*v = (uint64_t)json_real_value(x);
		return 0;
	}
	return err_set(err, "%s: \"%s\" must be a non-negative integer", where, key);
}

static int json_dbl(json_t *o, const char *key, double *v, char **err, const char *where)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		*v = 0;
		return 0;
	}
	if (!json_is_number(x))
		return err_set(err, "%s: \"%s\" must be a number", where, key);
	*v = json_number_value(x);
	return 0;
}

static int valid_json_name(const char *name, char **err)
{
	const char *why = stats_name_problem(name, strlen(name), NULL);

	if (why)
		return err_set(err, "statistic name '%.60s': %s", name, why);
	return 0;
}

int stats_from_json(const void *json_obj, struct stats_snapshot *s, char **err)
{
	json_t *o = (json_t *)json_obj;
	json_t *hists, *counters, *gauges, *agents, *v;
	const char *key;
	uint64_t u;
	double d = 0;
	size_t i;

	if (!json_is_object(o))
		return err_set(err, "interval record is not an object");
	if (json_u64(o, "i", &u, 1, err, "interval") < 0)
		return -1;
	if (u > UINT32_MAX)
		return err_set(err, "interval: index out of range");
	s->interval = (uint32_t)u;
	if (json_dbl(o, "interval_s", &d, err, "interval") < 0)
		return -1;
	if (d <= 0 || d > 86400)
		return err_set(err, "interval %u: interval_s out of range", s->interval);
	s->interval_us = (int64_t)llround(d * 1e6);
	if (json_u64(o, "nagents", &u, 0, err, "interval") < 0)
		return -1;
	s->nagents = (uint32_t)u;

	hists = json_object_get(o, "hists");
	if (hists && !json_is_object(hists))
		return err_set(err, "interval %u: \"hists\" must be an object", s->interval);
	json_object_foreach(hists, key, v) {
		struct hist *h;
		json_t *b;
		uint64_t idx = 0;

		if (valid_json_name(key, err) < 0 || !json_is_object(v))
			return err_set(err, "interval %u: bad histogram '%s'", s->interval, key);
		h = stats_hist(s, key);
		if (!h)
			return err_set(err, "out of memory");
		if (json_u64(v, "n", &h->count, 1, err, key) < 0 || json_u64(v, "sum", &h->sum, 1, err, key) < 0 ||
		    json_dbl(v, "sumsq", &h->sumsq, err, key) < 0 ||
		    json_u64(v, "min", &h->min, 1, err, key) < 0 || json_u64(v, "max", &h->max, 1, err, key) < 0 ||
		    json_u64(v, "clamped", &h->clamped, 0, err, key) < 0)
			return err_prefix(err, "interval %u", s->interval);
		b = json_object_get(v, "b");
		if (!json_is_array(b) || json_array_size(b) % 2)
			return err_set(err, "interval %u: histogram '%s' needs \"b\" as pairs", s->interval,
				       key);
		for (i = 0; i < json_array_size(b); i += 2) {
			json_t *dj = json_array_get(b, i), *cj = json_array_get(b, i + 1);

			if (!json_is_integer(dj) || !json_is_integer(cj) || json_integer_value(dj) < 0 ||
			    json_integer_value(cj) <= 0)
				return err_set(err, "interval %u: histogram '%s' has a bad bucket",
					       s->interval, key);
			idx += (uint64_t)json_integer_value(dj);
			if (idx >= HIST_COUNTS_LEN || (i > 0 && json_integer_value(dj) == 0))
				return err_set(err, "interval %u: histogram '%s' bucket out of range",
					       s->interval, key);
			hist_set_bucket(h, (uint32_t)idx, (uint64_t)json_integer_value(cj));
		}
		if (hist_check(h, err) < 0)
			return err_prefix(err, "interval %u: histogram '%s'", s->interval, key);
	}

	counters = json_object_get(o, "counters");
	if (counters && !json_is_object(counters))
		return err_set(err, "interval %u: \"counters\" must be an object", s->interval);
	json_object_foreach(counters, key, v) {
		if (valid_json_name(key, err) < 0 || !json_is_integer(v))
			return err_set(err, "interval %u: bad counter '%s'", s->interval, key);
		if (stats_add(s, key, json_integer_value(v)) < 0)
			return err_set(err, "out of memory");
	}
	gauges = json_object_get(o, "gauges");
	if (gauges && !json_is_object(gauges))
		return err_set(err, "interval %u: \"gauges\" must be an object", s->interval);
	json_object_foreach(gauges, key, v) {
		if (valid_json_name(key, err) < 0 || !json_is_array(v) || json_array_size(v) != 2 ||
		    !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1)))
			return err_set(err, "interval %u: bad gauge '%s'", s->interval, key);
		if (stats_gauge(s, key, json_integer_value(json_array_get(v, 0)),
				json_integer_value(json_array_get(v, 1))) < 0)
			return err_set(err, "out of memory");
	}
	agents = json_object_get(o, "agents");
	if (agents && !json_is_array(agents))
		return err_set(err, "interval %u: \"agents\" must be an array", s->interval);
	json_array_foreach(agents, i, v) {
		struct stats_health h = { 0 };
		json_t *id = json_object_get(v, "id");
		json_t *sat = json_object_get(v, "saturated");

		if (!json_is_object(v) || !json_is_string(id))
			return err_set(err, "interval %u: agent entry %zu needs an \"id\"", s->interval, i);
		if (json_dbl(v, "cpu", &h.cpu, err, "agent") < 0 ||
		    json_dbl(v, "cpu_limit", &h.cpu_limit, err, "agent") < 0 ||
		    json_dbl(v, "lag_ms", &h.loop_lag_ms, err, "agent") < 0 ||
		    json_u64(v, "conns", &h.open_conns, 0, err, "agent") < 0 ||
		    json_u64(v, "dropped", &h.dropped, 0, err, "agent") < 0 ||
		    json_u64(v, "users", &h.users, 0, err, "agent") < 0)
			return err_prefix(err, "interval %u", s->interval);
		h.saturated = json_is_true(sat);
		h.agent = (char *)json_string_value(id);
		if (stats_add_health(s, &h) < 0)
			return err_set(err, "out of memory");
	}
	return 0;
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

		snprintf(buf, size, failure_kinds[wi].fmt, pct > 99 && worst < attempted ? 99 : pct);
		size_t n = strlen(buf);

		snprintf(buf + n, size > n ? size - n : 0, " (%s %lld of %lld requests)",
			 failure_kinds[wi].name, (long long)worst, (long long)attempted);
	} else
		snprintf(buf, size, "%d%% of requests got no response (%lld of %lld)",
			 (int)(100.0 * (double)failed / (double)attempted), (long long)failed,
			 (long long)attempted);
	return true;
}
