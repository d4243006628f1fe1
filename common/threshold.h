/* Threshold expressions: `METRIC: "OP VALUE[UNIT]"`, the CI gates of a scenario.
 *
 *   request.p95: "< 200ms"       any timing statistic: p50 p90 p95 p99 p999 max min mean
 *   tr_login.p99: "< 500ms"        (values with a duration unit)
 *   request.rate: "> 1000/s"     rate of a statistic's count (per second over the run)
 *   request.count: ">= 1000"     count of a timing statistic or a counter
 *   errors.rate: "< 1%"          failed attempts / attempted requests (reports_attempts();
 *                                errors.count: failed attempts)
 *   http_5xx.count: "== 0"       status codes: http_NNN or a class http_Nxx
 *   error_timeout.count: "< 5"   any counter
 *   users.max: "<= 500"          gauges (users, connected): .max the highest value, .count the
 *   connected.count: "> 0"         value when the load ended (reports/statslog.c)
 *
 * Parsing lives here (the controller validates a scenario with it; reports evaluate with it). */
#ifndef BARRAGE_COMMON_THRESHOLD_H
#define BARRAGE_COMMON_THRESHOLD_H

#include <stdbool.h>

enum threshold_op { THRESHOLD_LT, THRESHOLD_LE, THRESHOLD_GT, THRESHOLD_GE, THRESHOLD_EQ,
		    THRESHOLD_NE };

enum threshold_unit {
	THRESHOLD_UNIT_MS,      /* timing fields; value in milliseconds */
	THRESHOLD_UNIT_PER_S,   /* .rate of a statistic; value per second */
	THRESHOLD_UNIT_RATIO,   /* errors.rate; value as a fraction (1% = 0.01) */
	THRESHOLD_UNIT_COUNT,   /* .count */
};

struct threshold {
	char stat[201];	  /* "request", "tr_login", "errors", "http_5xx", "error_timeout"; any
			   * statistic name (STATS_MAX_NAME bytes) */
	char field[16];   /* "p95", "rate", "count", "mean", ... */
	enum threshold_op op;
	double value;     /* in the unit below */
	enum threshold_unit unit;
};

/* Parse metric ("request.p95") and condition ("< 200ms"). Errors say which part is wrong and
 * what was expected; *err_col (if not NULL) is the 0-based offset in the condition. */
int threshold_parse(const char *metric, const char *condition, struct threshold *out, char **err,
		    int *err_col);
bool threshold_holds(const struct threshold *t, double measured);
/* users and connected: gauges, which take only .max and .count. */
bool threshold_is_gauge(const char *stat);
const char *threshold_op_str(enum threshold_op op);

#endif
