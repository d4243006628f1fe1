/* Everything derived from a run's stats.log (docs/stats-log.md): summary.json, tsung.log,
 * report.html with gnuplot charts, junit.xml, threshold verdicts, and the compare command. */
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

/* Thresholds on running totals, for the controller's per-interval `abort_on_fail` check (the
 * whole-run verdicts are part of reports_build). total is every interval so far accumulated
 * (stats_accumulate), duration_s the seconds they cover. reports_threshold_measure gives the
 * measured value in the threshold's unit (ms, per second, fraction, count) and returns 0, or
 * -1 when the statistic has no data yet. reports_threshold_check returns false only when there
 * is data and the threshold does not hold. */
struct stats_snapshot;
struct threshold;

/* What errors.rate divides (docs/summary-json.md), from a snapshot's counters:
 *   failed     every error_* counter (each counts one failed attempt: a request that got no
 *              answer, an answer that failed its expectation, a capture, template or condition
 *              that failed, an abort, a request cut at the end...), except the ones that count
 *              users who never started (error_data_exhausted, counted with dropped_users);
 *   attempted  successful responses (every http_NNN, less those that failed an expectation)
 *              plus the failed attempts;
 *   dropped    dropped_users, reported beside the rate and never inside it.
 * So errors.rate = failed / attempted is never above 100%, and a new error_* counter is counted
 * without a change here. */
struct reports_attempts {
	uint64_t failed, attempted, dropped;
};
void reports_attempts(const struct stats_snapshot *s, struct reports_attempts *out);
int reports_threshold_measure(const struct threshold *t, const struct stats_snapshot *total,
			      double duration_s, double *value);
bool reports_threshold_check(const struct threshold *t, const struct stats_snapshot *total,
			     double duration_s, double *value);

/* monitor.HOST.FIGURE.STAT thresholds (reports/monitor.c; docs/monitor.md): "monitor.local.cpu.max"
 * with "< 80%". Fills host, the figure (enum procfs_fig), whether STAT is max (else mean), the
 * operator (enum threshold_op) and the value in the figure's unit; -1 with a message. */
int reports_monitor_threshold_parse(const char *metric, const char *condition, char *host,
				    size_t hsize, int *fig, bool *max, int *op, double *value,
				    char **err);

#endif
