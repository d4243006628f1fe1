/* One interval's statistics: named histograms, counters and gauges, plus each agent's health.
 *
 * This is the unit that flows through the whole system. A worker thread fills one per interval;
 * the agent merges its workers' snapshots and sends the result in a STATS frame (binary codec
 * below); the controller merges all agents' snapshots for the same interval index and writes
 * the result to stats.log as one JSON line (JSON codec below); reports read those lines back and
 * accumulate them over the run. Merging is exact at every step (histograms add bucket by
 * bucket).
 *
 * Names are any UTF-8 text (see stats_name_problem()). Built in: histograms `connect`, `tls`,
 * `request`, `request_service` (uncorrected service time in request_rate mode), `ttfb`, `page`,
 * `session`, `tr_NAME`, `req_NAME` (requests with a `name`); counters `http_NNN` per status code,
 * `error_NAME` per error, `users_count`, `finish_users_count`, `dropped_users`, `size_rcv`,
 * `size_sent`, `requests`; gauges `users`, `connected` (value at the end of the interval and the
 * maximum during it).
 *
 * Subset relations (agent/metrics.h): requests (attempted) == request.count + request_failed.count
 * + error_cut; request.count == sum of http_NNN (only complete responses are timed or get a
 * status; failed ones are counted in error_connect, error_timeout, error_tls, ...). */
#ifndef BARRAGE_COMMON_STATS_H
#define BARRAGE_COMMON_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hist.h"

enum stats_kind {
	STATS_COUNTER = 0, /* summed across agents and across intervals */
	STATS_GAUGE = 1,   /* summed across agents; over time: last value and maximum */
};

struct stats_hist {
	char *name;
	struct hist *h;
};

struct stats_counter {
	char *name;
	enum stats_kind kind;
	int64_t value; /* counter: events in the interval; gauge: value at its end */
	int64_t max;   /* gauge: highest value during the interval; counter: unused (= value) */
};

/* An agent's view of itself over one interval. */
struct stats_health {
	char *agent;	     /* agent id, e.g. "local-1" or "load@10.0.0.5#2" */
	double cpu;	     /* process CPU used in the interval, in cores (1.0 = one core busy) */
	double cpu_limit;    /* cores the agent may use (its worker threads) */
	double loop_lag_ms;  /* worst event-loop lag seen in the interval */
	uint64_t open_conns; /* connections open at the end of the interval */
	uint64_t dropped;    /* arrivals dropped in the interval (max_users reached or late) */
	uint64_t users;	     /* users alive at the end of the interval */
	bool saturated;	     /* the agent judged itself unable to keep up */
};

struct stats_snapshot {
	uint32_t interval;   /* index from the run's start: covers [i * interval_us, (i+1) * ...) */
	int64_t interval_us; /* interval length */
	uint32_t nagents;    /* how many agents' snapshots were merged into this one */
	size_t nhists, hists_cap;
	struct stats_hist *hists; /* sorted by name */
	size_t ncounters, counters_cap;
	struct stats_counter *counters; /* sorted by name */
	size_t nhealth, health_cap;
	struct stats_health *health;
};

struct stats_snapshot *stats_new(void);
void stats_free(struct stats_snapshot *s);
/* Empty every histogram and counter but keep names and memory for the next interval. */
void stats_reset(struct stats_snapshot *s);

/* Find or create. Returns NULL only when out of memory. Lookups are by binary search; hot paths
 * should keep the returned pointer (it stays valid until the next creation of a new name) or,
 * better, keep their own fixed histograms and merge into a snapshot once per interval. */
struct hist *stats_hist(struct stats_snapshot *s, const char *name);
struct stats_counter *stats_counter(struct stats_snapshot *s, const char *name,
				    enum stats_kind kind);
const struct hist *stats_find_hist(const struct stats_snapshot *s, const char *name);
const struct stats_counter *stats_find_counter(const struct stats_snapshot *s, const char *name);
int stats_add(struct stats_snapshot *s, const char *name, int64_t delta);
int stats_gauge(struct stats_snapshot *s, const char *name, int64_t value, int64_t max);
int stats_add_health(struct stats_snapshot *s, const struct stats_health *h);

/* Same interval, other agents or workers: histograms add, counters add, gauges add (value and
 * max), health entries are appended, nagents adds. */
int stats_merge(struct stats_snapshot *dst, const struct stats_snapshot *src);
/* Successive intervals into a whole-run total: histograms and counters add, gauges keep the
 * latest value and the highest max, health keeps per agent the worst cpu and lag and sums
 * dropped. */
int stats_accumulate(struct stats_snapshot *total, const struct stats_snapshot *next);

/* When most attempted requests (`requests`) failed without a response, write a plain sentence
 * saying so into buf ("target refused 98% of connections (error_connect 4900 of 5000
 * requests)") and return true; otherwise return false and leave buf empty. Used by the live
 * line (per interval) and the report (whole run). */
bool stats_failure_note(const struct stats_snapshot *s, char *buf, size_t size);

/* Binary codec for STATS frames (stats_binary.c, see docs/wire-protocol.md). decode fills an
 * empty snapshot and rejects anything malformed or over the limits with a message. */
int stats_encode(const struct stats_snapshot *s, struct buf *out);
int stats_decode(const void *data, size_t len, struct stats_snapshot *s, char **err);

/* JSON codec for stats.log "interval" records (stats_json.c, see docs/stats-log.md). to_json
 * appends one line without the newline. from_json takes a jansson json_t * (void * here so
 * this header does not pull jansson into every user). */
int stats_to_json(const struct stats_snapshot *s, struct buf *out);
int stats_from_json(const void *json_obj, struct stats_snapshot *s, char **err);

/* Limits enforced by the decoders. */
#define STATS_MAX_NAME	  200
#define STATS_MAX_ENTRIES 100000

/* What a statistic's name (and an agent id) may be, the one rule shared by the scenario check,
 * the agent's plan compiler and both decoders: 1 to STATS_MAX_NAME bytes of valid UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF) with no control character other
 * than tab (C0, DEL and C1 are refused: they would break the live line, stats.log readers and
 * terminals). Spaces, quotes, backslashes and any printable non-ASCII character are names like
 * any other: every encoder escapes them as its format needs (JSON, HTML, gnuplot, tsung.log).
 * Returns NULL when name is acceptable, else a short reason, with *bad (if not NULL) set to
 * the byte offset of the first offending byte. */
const char *stats_name_problem(const char *name, size_t len, size_t *bad);

#endif
