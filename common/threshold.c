/* Threshold syntax (see threshold.h). Parsing only knows the shape of a metric, not which
 * statistics a run will have: a threshold on a transaction that never ran is reported by the
 * evaluator (reports/thresholds.c) as failed with "no data", not rejected here. */
#include "common/threshold.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/stats.h"
#include "common/units.h"

static const char *const timing_fields[] = {"p50", "p90", "p95",  "p99",   "p999",
					    "max", "min", "mean", "stddev"};

static int is_timing_field(const char *f)
{
	size_t i;

	for (i = 0; i < sizeof(timing_fields) / sizeof(timing_fields[0]); i++)
		if (strcmp(f, timing_fields[i]) == 0)
			return 1;
	return 0;
}

/* Statistic names are any UTF-8 text (common/stats.h): a transaction "Log in" is gated as
 * "tr_Log in.p95". */
static int valid_stat_name(const char *s)
{
	return stats_name_problem(s, strlen(s), NULL) == NULL;
}

bool threshold_is_gauge(const char *stat)
{
	return strcmp(stat, "users") == 0 || strcmp(stat, "connected") == 0;
}

const char *threshold_op_str(enum threshold_op op)
{
	switch (op) {
	case THRESHOLD_LT:
		return "<";
	case THRESHOLD_LE:
		return "<=";
	case THRESHOLD_GT:
		return ">";
	case THRESHOLD_GE:
		return ">=";
	case THRESHOLD_EQ:
		return "==";
	case THRESHOLD_NE:
		return "!=";
	}
	return "?";
}

/* The left side: STAT.FIELD into out->stat and out->field, and the unit the field is in. */
static int parse_metric(const char *metric, struct threshold *out, char **err)
{
	size_t mlen = strlen(metric);
	/* The field is after the last dot (names may hold dots: tr_v1.2.p95), or is p99.9. */
	const char *dot = mlen > 6 && strcmp(metric + mlen - 6, ".p99.9") == 0
			      ? metric + mlen - 6
			      : strrchr(metric, '.');
	size_t stat_len;

	if (!dot)
		return err_set(err, "threshold metric '%s' must be STAT.FIELD, e.g. request.p95",
			       metric);
	stat_len = (size_t)(dot - metric);
	if (stat_len == 0 || stat_len >= sizeof(out->stat))
		return err_set(err, "threshold metric '%s' has no statistic name before the dot",
			       metric);
	memcpy(out->stat, metric, stat_len);
	out->stat[stat_len] = '\0';
	if (!valid_stat_name(out->stat))
		return err_set(err, "threshold metric '%s': '%s' is not a statistic name", metric,
			       out->stat);
	/* Accept p99.9 as a spelling of p999. */
	if (strcmp(dot + 1, "p99.9") == 0)
		snprintf(out->field, sizeof(out->field), "p999");
	else if (strlen(dot + 1) < sizeof(out->field))
		snprintf(out->field, sizeof(out->field), "%s", dot + 1);
	else
		return err_set(err, "threshold metric '%s': unknown field", metric);

	if (threshold_is_gauge(out->stat)) {
		/* users.max, connected.max: the highest value; .count: the value when the load
		 * ended. Neither is a time. */
		if (strcmp(out->field, "max") != 0 && strcmp(out->field, "count") != 0)
			return err_set(
			    err,
			    "threshold metric '%s': %s is a gauge; use %s.max (the highest "
			    "value) or %s.count (the value when the load ended)",
			    metric, out->stat, out->stat, out->stat);
		out->unit = THRESHOLD_UNIT_COUNT;
	} else if (is_timing_field(out->field)) {
		out->unit = THRESHOLD_UNIT_MS;
	} else if (strcmp(out->field, "rate") == 0) {
		out->unit =
		    strcmp(out->stat, "errors") == 0 ? THRESHOLD_UNIT_RATIO : THRESHOLD_UNIT_PER_S;
	} else if (strcmp(out->field, "count") == 0) {
		out->unit = THRESHOLD_UNIT_COUNT;
	} else {
		return err_set(err,
			       "threshold metric '%s': unknown field '%s' (use p50, p90, p95, p99, "
			       "p999, min, max, mean, stddev, rate or count)",
			       metric, out->field);
	}
	return 0;
}

/* The comparison at the start of *p (after spaces), into *op; *p moves past it. */
static int parse_op(const char **p, enum threshold_op *op)
{
	static const struct {
		const char *text;
		enum threshold_op op;
	} ops[] = {{"<=", THRESHOLD_LE}, {">=", THRESHOLD_GE}, {"==", THRESHOLD_EQ},
		   {"!=", THRESHOLD_NE}, {"<", THRESHOLD_LT},  {">", THRESHOLD_GT}};

	while (isspace((unsigned char)**p))
		(*p)++;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (strncmp(*p, ops[i].text, n) == 0) {
			*op = ops[i].op;
			*p += n;
			return 0;
		}
	}
	return -1;
}

/* The right side in the unit of the field; errors.rate may turn from a ratio into a rate. */
static int parse_value(const char *value, struct threshold *out, char **verr)
{
	switch (out->unit) {
	case THRESHOLD_UNIT_MS: {
		int64_t us;

		if (units_parse_duration(value, &us, verr) < 0)
			return -1;
		out->value = (double)us / 1000.0;
		return 0;
	}
	case THRESHOLD_UNIT_RATIO:
		if (strchr(value, '%'))
			return units_parse_percent(value, &out->value, verr);
		/* errors.rate "< 5/s": errors per second instead of a ratio. */
		out->unit = THRESHOLD_UNIT_PER_S;
		if (!strchr(value, '/'))
			return err_set(verr, "expected a percentage like 1%% or a rate like 5/s");
		return units_parse_rate(value, &out->value, verr);
	case THRESHOLD_UNIT_PER_S:
		return units_parse_rate(value, &out->value, verr);
	case THRESHOLD_UNIT_COUNT: {
		uint64_t n;

		if (units_parse_count(value, &n, verr) < 0)
			return -1;
		out->value = (double)n;
		return 0;
	}
	}
	return 0;
}

int threshold_parse(const char *metric, const char *condition, struct threshold *out, char **err,
		    int *err_col)
{
	const char *p = condition;
	char *verr = NULL;

	if (err_col)
		*err_col = 0;
	memset(out, 0, sizeof(*out));
	if (parse_metric(metric, out, err) < 0)
		return -1;
	if (parse_op(&p, &out->op) < 0) {
		if (err_col)
			*err_col = (int)(p - condition);
		return err_set(
		    err,
		    "threshold condition '%s' must start with <, <=, >, >=, == or !=", condition);
	}
	while (isspace((unsigned char)*p))
		p++;
	if (err_col)
		*err_col = (int)(p - condition);
	if (parse_value(p, out, &verr) < 0) {
		err_set(err, "threshold %s: %s", metric, verr ? verr : "bad value");
		free(verr);
		return -1;
	}
	return 0;
}

bool threshold_holds(const struct threshold *t, double v)
{
	switch (t->op) {
	case THRESHOLD_LT:
		return v < t->value;
	case THRESHOLD_LE:
		return v <= t->value;
	case THRESHOLD_GT:
		return v > t->value;
	case THRESHOLD_GE:
		return v >= t->value;
	case THRESHOLD_EQ:
		return v == t->value;
	case THRESHOLD_NE:
		return v != t->value;
	}
	return false;
}
