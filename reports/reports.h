/* Everything derived from a run's stats.log (docs/stats-log.md): summary.json, tsung.log,
 * report.html with gnuplot charts, junit.xml, threshold verdicts, and the compare command.
 *
 * What the rest of the tree uses of reports/. Inside the folder each file has a header of its
 * own (run.h the data, statslog.h reading, figures.h the computation, one per output) and
 * none of them includes this one, so the folder's include graph has no cycle. */
#ifndef BARRAGE_REPORTS_H
#define BARRAGE_REPORTS_H

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
 * success (whatever the thresholds say: see res), -1 with *err when the run directory cannot be
 * read or written. */
int reports_build(const char *run_dir, bool quiet, struct reports_result *res, char **err);

/* Print the final summary table (per statistic: count, rate, mean, p50, p90, p95, p99, p99.9,
 * max; counters; status codes; errors) from RUN_DIR/summary.json to stdout. */
int reports_print_summary(const char *run_dir, char **err);

/* `barrage report RUN_DIR` and `barrage compare BASE NEW [--max-regression ...]`: whole
 * commands, argv[0] being the command name. Return the process exit code (brief's table). */
int reports_report_main(int argc, char **argv);
int reports_compare_main(int argc, char **argv);

/* Thresholds on running totals, for the controller's per-interval `abort_on_fail` check,
 * and the errors' arithmetic (reports/thresholds.h); monitor.HOST.FIGURE.STAT thresholds for
 * the scenario check (reports/monitor_threshold.h). */
#include "reports/monitor_threshold.h"
#include "reports/thresholds.h"

#endif
