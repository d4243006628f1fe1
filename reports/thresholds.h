/* Threshold verdicts on merged statistics (reports/thresholds.c), and what errors.rate
 * divides. Used by the reports and by the controller's per-interval abort_on_fail check. */
#ifndef BARRAGE_REPORTS_THRESHOLDS_H
#define BARRAGE_REPORTS_THRESHOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reports_run;
struct reports_threshold;
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

/* total is every interval so far accumulated (stats_accumulate), duration_s the seconds they
 * cover. reports_threshold_measure gives the measured value in the threshold's unit (ms, per
 * second, fraction, count) and returns 0, or -1 when the statistic has no data yet.
 * reports_threshold_check returns false only when there is data and the threshold does not
 * hold. */
int reports_threshold_measure(const struct threshold *t, const struct stats_snapshot *total,
			      double duration_s, double *value);
bool reports_threshold_check(const struct threshold *t, const struct stats_snapshot *total,
			     double duration_s, double *value);

/* Evaluate run->thresholds (fills value/ok and thresholds_failed). */
void reports_thresholds_eval_run(struct reports_run *run);
/* A threshold's measured value with its unit, for people ("1.60 ms", "4.11%", "-"). */
const char *reports_threshold_value_str(char *v, size_t size, const struct reports_threshold *t);

#endif
