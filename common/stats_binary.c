/* The binary codec of one interval's statistics, the payload of STATS frames from agent to
 * controller (docs/wire-protocol.md): varints, names as length + bytes, histograms as runs of
 * non-empty buckets. The decoder checks every length and limit against the frame and names
 * against stats_name_problem(), and says what is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/stats.h"

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
		if ((i > 0 && delta == 0) || delta >= HIST_COUNTS_LEN ||
		    idx + delta >= HIST_COUNTS_LEN)
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
	struct reader r = {data, (const uint8_t *)data + len, err, "header"};
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
		struct stats_health h = {0};
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
			return err_set(err, "stats frame: counter '%s' has unknown kind %u", name,
				       kind);
		if (i > 0 && strcmp(prev, name) >= 0)
			return err_set(err, "stats frame: counter '%s' out of order or repeated",
				       name);
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
