/* Where each figure of the reports is computed (reports/figures.c): per interval, over the
 * whole run, Tsung's Main Statistics, and the run's gaps and notices. */
#ifndef BARRAGE_REPORTS_FIGURES_H
#define BARRAGE_REPORTS_FIGURES_H

#include <stddef.h>

struct reports_run;
struct stats_snapshot;

/* Take interval i (every agent's snapshot merged, late records included) apart into the
 * run's per-interval series: timing statistics, counters and gauges, agents' health.
 * Intervals come in index order. Returns 0, or -1 on no memory. */
int reports_figures_interval(struct reports_run *run, size_t i, const struct stats_snapshot *s);
/* Once every interval is in (and run->total holds them all): statistics in name order, the
 * whole-run histograms, Tsung's figures, agents' means, duration, gaps, uncounted requests,
 * gauges at the load's end, and the notices that explain what is missing. */
void reports_figures_finish(struct reports_run *run);

#endif
