/* Log-linear histogram (see hist.h for the contract).
 *
 * Layout, as in HdrHistogram with a unit of 1 µs: values below 2048 get a bucket of their own.
 * Above that, each power of two [2^k, 2^(k+1)) is split into 1024 equal sub-buckets, so the
 * width of a bucket is at most 1/1024 of the values in it. Bucket b (b >= 1) covers values whose
 * top bit is at position b + 10; index = (b + 1) * 1024 + (value >> b) - 1024. */
#include "common/hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct hist *hist_new(void)
{
	struct hist *h = calloc(1, sizeof(*h));

	if (h)
		hist_reset(h);
	return h;
}

void hist_free(struct hist *h)
{
	free(h);
}

void hist_reset(struct hist *h)
{
	/* Only the occupied range needs clearing, which keeps per-interval resets cheap. The struct
	 * must start zeroed (hist_new does) so the range is meaningful. */
	if (h->hi > h->lo && h->hi <= HIST_COUNTS_LEN)
		memset(h->counts + h->lo, 0, (h->hi - h->lo) * sizeof(h->counts[0]));
	h->count = 0;
	h->sum = 0;
	h->sumsq = 0;
	h->min = 0;
	h->max = 0;
	h->clamped = 0;
	h->lo = HIST_COUNTS_LEN;
	h->hi = 0;
}

static uint32_t bucket_of(uint64_t v)
{
	/* Position of the highest set bit among v | (SUB_COUNT - 1), minus the sub-bucket bits. */
	int top = 63 - __builtin_clzll(v | (HIST_SUB_COUNT - 1));

	return (uint32_t)(top - (HIST_SUB_BITS - 1));
}

uint32_t hist_index(uint64_t v)
{
	uint32_t b;
	uint64_t sub;

	if (v > HIST_MAX_US)
		v = HIST_MAX_US;
	b = bucket_of(v);
	if (b == 0)
		return (uint32_t)v;
	sub = v >> b;
	return (b + 1) * HIST_HALF_COUNT + (uint32_t)(sub - HIST_HALF_COUNT);
}

uint64_t hist_lowest_equivalent(uint32_t index)
{
	uint32_t b;
	uint64_t sub;

	if (index < HIST_SUB_COUNT)
		return index;
	b = index / HIST_HALF_COUNT - 1;
	sub = index % HIST_HALF_COUNT + HIST_HALF_COUNT;
	return sub << b;
}

uint64_t hist_highest_equivalent(uint32_t index)
{
	uint32_t b;

	if (index < HIST_SUB_COUNT)
		return index;
	b = index / HIST_HALF_COUNT - 1;
	return hist_lowest_equivalent(index) + ((uint64_t)1 << b) - 1;
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	uint32_t i;

	if (n == 0)
		return;
	if (v > HIST_MAX_US) {
		v = HIST_MAX_US;
		h->clamped += n;
	}
	i = hist_index(v);
	h->counts[i] += n;
	if (i < h->lo)
		h->lo = i;
	if (i + 1 > h->hi)
		h->hi = i + 1;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->sum += v * n;
	h->sumsq += (double)v * (double)v * (double)n;
}

void hist_record(struct hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	uint32_t i;

	if (src->count == 0)
		return;
	for (i = src->lo; i < src->hi; i++)
		dst->counts[i] += src->counts[i];
	if (src->lo < dst->lo)
		dst->lo = src->lo;
	if (src->hi > dst->hi)
		dst->hi = src->hi;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	dst->clamped += src->clamped;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank;
	uint64_t seen = 0;
	uint64_t v;
	uint32_t i;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* Nearest rank: the smallest value with at least ceil(p% of count) values at or below it.
	 * The small epsilon keeps 0.95 * 1000 from becoming 951 through rounding. */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count - 1e-9);
	if (rank < 1)
		rank = 1;
	for (i = h->lo; i < h->hi; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	if (i >= h->hi)
		return h->max;
	v = hist_lowest_equivalent(i) + (hist_highest_equivalent(i) - hist_lowest_equivalent(i)) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

double hist_stddev(const struct hist *h)
{
	double mean;
	double var;

	if (h->count < 2)
		return 0.0;
	mean = hist_mean(h);
	var = h->sumsq / (double)h->count - mean * mean;
	return var > 0 ? sqrt(var) : 0.0;
}

int hist_next_bucket(const struct hist *h, uint32_t *index, uint64_t *count)
{
	uint32_t i = *index < h->lo ? h->lo : *index;

	for (; i < h->hi; i++) {
		if (h->counts[i]) {
			*count = h->counts[i];
			*index = i;
			return 1;
		}
	}
	*index = i;
	return 0;
}

void hist_set_bucket(struct hist *h, uint32_t index, uint64_t count)
{
	if (index >= HIST_COUNTS_LEN || count == 0)
		return;
	h->counts[index] = count;
	if (index < h->lo)
		h->lo = index;
	if (index + 1 > h->hi)
		h->hi = index + 1;
}

int hist_check(const struct hist *h, char **err)
{
	uint64_t total = 0;
	uint32_t i;

	for (i = h->lo; i < h->hi && i < HIST_COUNTS_LEN; i++) {
		if (h->counts[i] > UINT64_MAX - total)
			return err_set(err, "histogram bucket counts overflow");
		total += h->counts[i];
	}
	if (total != h->count)
		return err_set(err, "histogram buckets hold %llu values but count says %llu",
			       (unsigned long long)total, (unsigned long long)h->count);
	if (h->count == 0)
		return 0;
	if (h->min > h->max || h->max > HIST_MAX_US)
		return err_set(err, "histogram min/max out of range");
	if (hist_index(h->min) != h->lo || hist_index(h->max) + 1 != h->hi)
		return err_set(err, "histogram min/max disagree with its buckets");
	return 0;
}
