/* Where each figure of the reports is computed (reports/figures.c): per interval, over the
 * whole run, Tsung's Main Statistics, and the run's gaps and notices. */
#ifndef BARRAGE_REPORTS_FIGURES_H
#define BARRAGE_REPORTS_FIGURES_H

#include <stddef.h>
#include <stdint.h>

#include "reports/run.h"

struct reports_attempts;
struct stats_snapshot;

/* Take interval i (every agent's snapshot merged, late records included) apart into the
 * run's per-interval series: timing statistics, counters and gauges, agents' health.
 * Intervals come in index order. Returns 0, or -1 on no memory. */
int reports_figures_interval(struct reports_run *run, size_t i, const struct stats_snapshot *s);
/* Once every interval is in (and run->total holds them all): statistics in name order, the
 * whole-run histograms, Tsung's figures, agents' means, duration, gaps, uncounted requests,
 * gauges at the load's end, and the notices that explain what is missing. */
void reports_figures_finish(struct reports_run *run);

/* A timing statistic's whole-run row, from its merged histogram: summary.json's stats.NAME,
 * report.html's timing tables and summary tiles. h NULL gives zeros. */
struct reports_timing {
	uint64_t count;
	double rate; /* count per second of the run; 0 when the run has no duration */
	double mean_ms, stddev_ms;
	double min_ms; /* 0 when count is 0 */
	double max_ms;
	double pct_ms[REPORTS_NPCT]; /* at reports_pct[] */
};
void reports_figures_timing(const struct reports_run *run, const struct reports_hist *h,
			    struct reports_timing *out);
/* errors.rate's terms over the whole run (reports_attempts on every interval; zeros when
 * nothing was recorded). */
void reports_figures_attempts(const struct reports_run *run, struct reports_attempts *out);

#endif
