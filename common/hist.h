/* A mergeable log-linear latency histogram, HdrHistogram-style.
 *
 * Values are microseconds from 0 to HIST_MAX_US (one hour); larger values are clamped to it and
 * counted in `clamped`. Three significant digits: every value lands in a bucket whose width is
 * at most 1/1024 of its magnitude, so any percentile read back is within 0.1% of the true order
 * statistic. Alongside the buckets we keep the exact count, sum, sum of squares, min and max, so
 * mean, stddev, min and max are exact, not bucket approximations.
 *
 * Merging is addition, bucket by bucket: the merge of per-worker, per-agent, per-interval
 * histograms is exactly the histogram of all the values, which is why Barrage never averages
 * percentiles. */
#ifndef BARRAGE_COMMON_HIST_H
#define BARRAGE_COMMON_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MAX_US ((uint64_t)3600 * 1000000)
#define HIST_SUB_BITS 11 /* 2048 sub-buckets: 3 significant digits */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_HALF_COUNT (HIST_SUB_COUNT / 2)
/* Buckets needed to reach HIST_MAX_US: 2048 << 21 > 3.6e9. */
#define HIST_BUCKETS 22
#define HIST_COUNTS_LEN ((HIST_BUCKETS + 1) * HIST_HALF_COUNT)

struct hist {
	uint64_t count;
	uint64_t sum;   /* µs */
	double sumsq;   /* µs², for the standard deviation */
	uint64_t min;   /* valid when count > 0 */
	uint64_t max;
	uint64_t clamped; /* values above HIST_MAX_US, recorded as HIST_MAX_US */
	uint32_t lo, hi;  /* range of indexes that may be non-zero: [lo, hi) */
	uint64_t counts[HIST_COUNTS_LEN];
};

/* Allocation: a histogram is ~185 KiB; callers keep them and hist_reset() between intervals. */
struct hist *hist_new(void);
void hist_free(struct hist *h);
void hist_reset(struct hist *h);

void hist_record(struct hist *h, uint64_t value_us);
void hist_record_n(struct hist *h, uint64_t value_us, uint64_t n);
/* dst += src. Exact. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Percentile p in [0, 100], nearest-rank: the value v such that at least p% of the recorded
 * values are <= v, reported as the middle of its bucket and clamped to [min, max]. p = 0 gives
 * min, p = 100 gives max. Returns 0 for an empty histogram. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);

/* Bucket arithmetic, exposed for the codecs and tests. */
uint32_t hist_index(uint64_t value_us);
uint64_t hist_lowest_equivalent(uint32_t index);
uint64_t hist_highest_equivalent(uint32_t index);

/* Iterate non-zero buckets in order: start with *index = 0; returns 0 when done. */
int hist_next_bucket(const struct hist *h, uint32_t *index, uint64_t *count);
/* Set a bucket's count directly (decoders). Does not touch count/sum/min/max; the decoder sets
 * those from the encoded header and hist_check() verifies they agree with the buckets. */
void hist_set_bucket(struct hist *h, uint32_t index, uint64_t count);
/* Returns 0 when the bucket total equals count and min/max fall in the occupied range. */
int hist_check(const struct hist *h, char **err);

#endif
