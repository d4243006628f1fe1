/* Threshold verdicts: the scenario's `thresholds:` (parsed by common/threshold.c) measured on
 * merged statistics.
 *
 * One function measures a threshold on an accumulated snapshot, so the whole-run verdict
 * (reports_build) and the controller's per-interval abort_on_fail check use the same
 * arithmetic. What each metric means:
 *   STAT.pNN / mean / min / max   the merged histogram of STAT, in ms
 *   STAT.count                    histogram count, or counter total; http_Nxx sums a class;
 *                                 a gauge's (users, connected) value when the load ended
 *   users.max / connected.max     a gauge's highest value
 *   STAT.rate                     that count per second of the run
 *   errors.count / errors.rate    failed attempts (reports_attempts(): every error_* but the
 *                                 dropped users'); as a ratio to attempted requests when the
 *                                 condition is a percentage, else per second */
#include "reports/thresholds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "reports/format.h"
#include "reports/monitor_threshold.h"
#include "reports/run.h"

/* error_* counters that count users who never started: reported with dropped_users. */
static bool dropped_error(const char *name)
{
	return strcmp(name, "error_data_exhausted") == 0;
}

void reports_attempts(const struct stats_snapshot *s, struct reports_attempts *out)
{
	uint64_t responses = 0, expect_failed = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];
		uint64_t v = c->value > 0 ? (uint64_t)c->value : 0;

		if (c->kind != STATS_COUNTER)
			continue;
		if (strncmp(c->name, "http_", 5) == 0) {
			responses += v;
		} else if (strcmp(c->name, "dropped_users") == 0) {
			out->dropped += v;
		} else if (strncmp(c->name, "error_", 6) == 0 && !dropped_error(c->name)) {
			out->failed += v;
			if (strncmp(c->name, "error_expect_", 13) == 0)
				expect_failed += v;
		}
	}
	out->attempted = (responses > expect_failed ? responses - expect_failed : 0) + out->failed;
}

/* A count for STAT: a histogram's count, a counter, errors, or an http_Nxx class. Returns -1
 * when STAT names a timing statistic that has no histogram yet (the caller then decides
 * between "no data" and zero). */
static int count_of(const struct stats_snapshot *s, const char *stat, double *n)
{
	const struct hist *h = stats_find_hist(s, stat);
	const struct stats_counter *c;

	*n = 0;
	if (h) {
		*n = (double)h->count;
		return 0;
	}
	if (strcmp(stat, "errors") == 0) {
		struct reports_attempts a;

		reports_attempts(s, &a);
		*n = (double)a.failed;
		return 0;
	}
	/* http_5xx: every http_5NN counter. */
	if (strncmp(stat, "http_", 5) == 0 && strlen(stat) == 8 && strcmp(stat + 6, "xx") == 0) {
		for (size_t i = 0; i < s->ncounters; i++) {
			const char *nm = s->counters[i].name;

			if (strncmp(nm, "http_", 5) == 0 && strlen(nm) == 8 && nm[5] == stat[5])
				*n += (double)s->counters[i].value;
		}
		return 0;
	}
	c = stats_find_counter(s, stat);
	if (c) {
		*n = (double)c->value;
		return 0;
	}
	/* A counter that never counted is zero; a timing statistic that never timed has no
	 * data. Counter names are the ones below. */
	if (strncmp(stat, "http_", 5) == 0 || strncmp(stat, "error_", 6) == 0 ||
	    strcmp(stat, "users_count") == 0 || strcmp(stat, "finish_users_count") == 0 ||
	    strcmp(stat, "dropped_users") == 0 || strcmp(stat, "size_rcv") == 0 ||
	    strcmp(stat, "size_sent") == 0 || strcmp(stat, "requests") == 0 ||
	    strcmp(stat, "requests_missed") == 0 || strcmp(stat, "users_backoff") == 0 ||
	    strcmp(stat, "while_max") == 0)
		return 0;
	return -1;
}

int reports_threshold_measure(const struct threshold *t, const struct stats_snapshot *total,
			      double duration_s, double *value)
{
	const struct hist *h;
	double n;

	*value = 0;
	if (!total)
		return -1;
	if (threshold_is_gauge(t->stat)) {
		/* Gauges: .max the highest value so far; .count the value now (reports_thresholds_
		 * eval_run gates the whole run on the value when the load ended). */
		const struct stats_counter *c = stats_find_counter(total, t->stat);

		if (!c || c->kind != STATS_GAUGE)
			return -1;
		*value = (double)(strcmp(t->field, "max") == 0 ? c->max : c->value);
		return 0;
	}
	if (strcmp(t->field, "count") == 0)
		return count_of(total, t->stat, value);
	if (strcmp(t->field, "rate") == 0) {
		if (count_of(total, t->stat, &n) < 0)
			return -1;
		if (t->unit == THRESHOLD_UNIT_RATIO) {
			/* Failed over attempted: a run that attempted nothing has no error rate. */
			struct reports_attempts a;

			reports_attempts(total, &a);
			if (a.attempted == 0)
				return -1;
			*value = (double)a.failed / (double)a.attempted;
			return 0;
		}
		if (!(duration_s > 0))
			return -1;
		*value = n / duration_s;
		return 0;
	}
	h = stats_find_hist(total, t->stat);
	if (!h || h->count == 0)
		return -1;
	if (strcmp(t->field, "mean") == 0)
		*value = hist_mean(h) / 1000.0;
	else if (strcmp(t->field, "min") == 0)
		*value = (double)h->min / 1000.0;
	else if (strcmp(t->field, "max") == 0)
		*value = (double)h->max / 1000.0;
	else if (strcmp(t->field, "stddev") == 0)
		*value = hist_stddev(h) / 1000.0;
	else if (t->field[0] == 'p') {
		/* p50, p99, p999 (99.9), p9999 (99.99): digits after the first two are decimals. */
		const char *d = t->field + 1;
		size_t nd = strlen(d);
		double p;

		if (nd < 2 || strspn(d, "0123456789") != nd)
			return -1;
		p = (d[0] - '0') * 10 + (d[1] - '0');
		for (size_t i = 2, scale = 10; i < nd; i++, scale *= 10)
			p += (double)(d[i] - '0') / (double)scale;
		*value = (double)hist_percentile(h, p) / 1000.0;
	} else
		return -1;
	return 0;
}

bool reports_threshold_check(const struct threshold *t, const struct stats_snapshot *total,
			     double duration_s, double *value)
{
	if (reports_threshold_measure(t, total, duration_s, value) < 0)
		return true;
	return threshold_holds(t, *value);
}

void reports_thresholds_eval_run(struct reports_run *run)
{
	run->thresholds_failed = 0;
	for (size_t i = 0; i < run->nthresholds; i++) {
		struct reports_threshold *rt = &run->thresholds[i];
		char *err = NULL;

		free(rt->error);
		rt->error = NULL;
		rt->ok = false;
		rt->has_value = false;
		if (reports_monitor_threshold_eval(run, rt)) {
			if (!rt->ok)
				run->thresholds_failed++;
			continue;
		}
		rt->valid = threshold_parse(rt->metric, rt->condition, &rt->t, &err, NULL) == 0;
		if (!rt->valid) {
			rt->error = err ? err : strdup("invalid threshold");
			run->thresholds_failed++;
			continue;
		}
		if (reports_threshold_measure(&rt->t, run->total, run->duration_s, &rt->value) <
		    0) {
			/* No data is a failure: a gate on a statistic the run never produced (a
			 * misspelt transaction, a run that sent nothing) must not pass silently. */
			err_set(&rt->error, "no data for %s", rt->t.stat);
			run->thresholds_failed++;
			continue;
		}
		if (threshold_is_gauge(rt->t.stat) && strcmp(rt->t.field, "count") == 0) {
			const struct reports_counter *c = reports_run_counter(run, rt->t.stat);

			if (c && c->gauge)
				rt->value = (double)c->load_end;
		}
		rt->has_value = true;
		rt->ok = threshold_holds(&rt->t, rt->value);
		if (!rt->ok)
			run->thresholds_failed++;
	}
}

/* The measured value of a threshold as people read it, shared by the console verdict lines
 * and the report's thresholds table. */
const char *reports_threshold_value_str(char *v, size_t size, const struct reports_threshold *t)
{
	if (!t->has_value)
		snprintf(v, size, "%s", t->error ? t->error : "no data");
	else if (t->t.unit == THRESHOLD_UNIT_MS)
		reports_fmt_ms(v, size, t->value);
	else if (t->t.unit == THRESHOLD_UNIT_RATIO)
		snprintf(v, size, "%.3g%%", t->value * 100);
	else if (t->t.unit == THRESHOLD_UNIT_PER_S)
		snprintf(v, size, "%.2f/s", t->value);
	else
		snprintf(v, size, "%.0f", t->value);
	return v;
}
