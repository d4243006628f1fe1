/* Everything derived from a run's stats.log (docs/stats-log.md): summary.json, tsung.log,
 * report.html with gnuplot charts, junit.xml, threshold verdicts, and the compare command.
 *
 * What the rest of the tree uses of reports/. Inside the folder each file has a header of its
 * own (run.h the data, statslog.h reading, figures.h the computation, one per output) and
 * none of them includes this one, so the folder's include graph has no cycle. */
#ifndef BARRAGE_REPORTS_REPORTS_H
#define BARRAGE_REPORTS_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reports_result {
	int thresholds; /* how many were evaluated */
	int thresholds_failed;
	bool truncated; /* stats.log had no end record (controller died): a notice is shown */
	bool saturated; /* some agent was saturated */
};

/* Read RUN_DIR/stats.log and (re)write summary.json, tsung.log, report.html and, when thresholds
 * exist, junit.xml. Prints the per-threshold verdict lines to stdout unless quiet. Returns 0 on
 * success (whatever the thresholds say: see res); with *err, -1 when stats.log cannot be read
 * (the user's input) and -2 when the reports cannot be written. */
int reports_build(const char *run_dir, bool quiet, struct reports_result *res, char **err);

/* Print the final summary table (per statistic: count, rate, mean, p50, p90, p95, p99, p99.9,
 * max; counters; status codes; errors) from RUN_DIR/summary.json to stdout. */
int reports_print_summary(const char *run_dir, char **err);

/* Two runs side by side (reports/compare.c; the command is controller/cli_compare.c). A
 * comparison holds the regression limits given (--max-regression p95=10%,rate=5%, repeatable):
 * reports_compare_add_limits returns -1 with *err for a bad one. reports_compare_runs reads
 * both runs, prints the limits' verdicts and (unless quiet) the table, writes the HTML page to
 * outpath (NULL: NEW_DIR/compare.html) and sets *exceeded to the number of limits exceeded.
 * It returns 0, -1 with *err when a run cannot be read, -2 with *err when the page cannot be
 * written. */
struct reports_compare;
struct reports_compare *reports_compare_new(void);
int reports_compare_add_limits(struct reports_compare *c, const char *spec, char **err);
int reports_compare_runs(struct reports_compare *c, const char *base_dir, const char *new_dir,
			 const char *outpath, bool quiet, int *exceeded, char **err);
void reports_compare_free(struct reports_compare *c);

/* Thresholds on running totals, for the controller's per-interval `abort_on_fail` check,
 * and the errors' arithmetic (reports/thresholds.h); monitor.HOST.FIGURE.STAT thresholds for
 * the scenario check (reports/monitor_threshold.h). */
#include "reports/monitor_threshold.h"
#include "reports/thresholds.h"

#endif
