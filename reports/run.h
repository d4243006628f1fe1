/* A run as the reports see it: stats.log read back (reports/statslog.c) and reduced to the
 * figures every output needs — whole-run histograms, per-interval series, Tsung's Main
 * Statistics figures, counters, agents' health, events, thresholds.
 *
 * This header is internal to reports/: statslog.c reads stats.log into a struct reports_run,
 * figures.c computes its figures, and summary.c, tsunglog.c, html.c, charts.c, junit.c and
 * compare.c all read the struct and never stats.log itself, so the numbers in every file of a
 * run directory come from one computation. Interval arrays are dense: index i is the
 * interval [i * interval_s, (i + 1) * interval_s); an index with no record is a gap. */
#ifndef BARRAGE_REPORTS_RUN_H
#define BARRAGE_REPORTS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hist.h"
#include "common/stats.h"
#include "common/threshold.h"

/* Percentiles reported everywhere: p50 p90 p95 p99 p99.9. */
#define REPORTS_NPCT 5
extern const double reports_pct[REPORTS_NPCT];
extern const char *const reports_pct_key[REPORTS_NPCT]; /* "p50", ..., "p999" */

/* One timing statistic (a histogram name). Times in milliseconds. */
struct reports_hist {
	char *name;
	struct hist *total; /* all intervals merged */
	/* Per interval; 0 where the interval had no value. */
	double *n, *mean_ms, *stddev_ms, *min_ms, *p50_ms, *p95_ms, *p99_ms, *max_ms;
	/* Tsung's Main Statistics, computed as tsung_stats.pl computes them (docs/report.md):
	 * from the first interval with a value to the last interval of the run. */
	int first;	     /* first interval with a value, -1 if none */
	double t_maxmean_ms; /* highest 10sec mean: highest interval mean */
	double t_minmean_ms; /* lowest 10sec mean: lowest mean of an interval with values */
	double t_max_rate;   /* Highest Rate: highest interval count / interval_s */
	double t_mean_rate;  /* Mean Rate: mean of interval count / interval_s */
};

/* A counter (events per interval) or a gauge (value at the end of each interval). */
struct reports_counter {
	char *name;
	bool gauge;
	int64_t total;	  /* counter: sum over the run; gauge: value at the end of the run */
	int64_t max;	  /* gauge: highest value seen; counter: highest interval value */
	double *v;	  /* per interval: events (counter) or value at the end (gauge) */
	double *vmax;	  /* per interval, gauges: highest value during the interval */
	int64_t load_end; /* gauge: value when the load ended (finish()): what STAT.count gates */
	int first;	  /* first interval with a non-zero value, -1 if none */
	double t_max_rate, t_mean_rate; /* as for histograms, on v / interval_s */
};

struct reports_agent {
	char *id, *host;
	double fraction;  /* share of the load from the plan; 0 if unknown */
	double cpu_max;	  /* cores, highest interval */
	double cpu_mean;  /* cores, mean over the intervals it reported */
	double cpu_limit; /* cores it may use */
	double lag_max_ms;
	uint64_t dropped; /* arrivals dropped over the run */
	uint64_t conns_max;
	int intervals; /* intervals it reported */
	int saturated_intervals;
	bool saturated, lost;
	double lost_t; /* seconds from the start, when lost */
	char *lost_detail;
	uint64_t uncounted_max; /* its agent_lost event's bound, until a complete spool came */
};

struct reports_event {
	double t;
	char *agent, *what, *detail;
};

struct reports_threshold {
	char *metric, *condition;
	bool abort_on_fail;
	bool valid;  /* threshold_parse accepted it */
	char *error; /* why not, or why it could not be evaluated */
	struct threshold t;
	bool has_value; /* the statistic had data */
	double value;	/* measured, in the threshold's unit */
	bool ok;
};

/* The first reason an agent's log gave for an error counter (reasons.c). */
struct reports_reason {
	char *name;   /* error_tls */
	char *reason; /* "scenario.yaml:8:9: request GET / failed: ...wrong version number" */
};

struct reports_run {
	/* header */
	char *name, *scenario, *started_at, *target, *barrage_version;
	int64_t start_unix_ms;
	double interval_s;
	char *load_json;	/* the header's "load" object, re-encoded, or NULL */
	char *model;		/* load.model: open, closed, rate */
	double load_duration_s; /* load.duration_s: how long load was sent; 0 if unknown */
	/* end record */
	bool has_end;
	char *ended_at, *end_reason;
	double end_duration_s;
	int end_exit_code;
	/* derived */
	double duration_s; /* end record's duration, else the intervals' span */
	size_t niv;	   /* intervals: last index + 1 */
	bool *gap;	   /* [niv] no record for this index */
	/* [niv] an agent's statistics for this index never arrived (it was lost: agent_lost
	 * events list them as "missing"); counted in ngaps too. */
	bool *partial;
	size_t *missing;       /* the indexes named by agent_lost events, before niv is known */
	size_t *missing_agent; /* ...and whose they are (index into agents) */
	size_t nmissing;
	uint64_t uncounted_max; /* requests lost agents may have sent uncounted (upper bound) */
	uint32_t *nagents;	/* [niv] agents merged into each interval */
	size_t ngaps;
	struct stats_snapshot *total; /* every interval accumulated */

	struct reports_hist *hists; /* sorted by name */
	size_t nhists;
	struct reports_counter *counters; /* sorted by name */
	size_t ncounters;
	struct reports_agent *agents;
	size_t nagents_list;
	struct reports_event *events;
	size_t nevents;
	struct reports_threshold *thresholds;
	size_t nthresholds;
	int thresholds_failed;

	bool truncated; /* no end record, or a cut last line */
	bool saturated; /* some agent was saturated in some interval */
	char **notices; /* human sentences shown in the console and report */
	size_t nnotices;
	struct reports_reason *reasons; /* from the agents' logs in the run directory, if any */
	size_t nreasons;
	struct reports_monitor *monitor; /* monitor records (reports/monitor.h), or NULL */
};

/* run.c: free a run (NULL is fine); find a statistic by name (NULL when the run has none). */
void reports_run_free(struct reports_run *run);
const struct reports_hist *reports_run_hist(const struct reports_run *run, const char *name);
const struct reports_counter *reports_run_counter(const struct reports_run *run, const char *name);
/* Sum of all counters named error_* (whole run, or one interval when i >= 0). */
int64_t reports_run_errors(const struct reports_run *run, long i);
/* While a run is built (statslog.c, figures.c): an agent's entry, created on first use (NULL
 * on no memory); a notice (a human sentence for the console and the report; -1 on no memory);
 * statistics and counters put in name order, which reports_run_hist and _counter rely on. */
struct reports_agent *reports_run_agent(struct reports_run *run, const char *id);
int reports_run_notice(struct reports_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void reports_run_sort(struct reports_run *run);

#endif
