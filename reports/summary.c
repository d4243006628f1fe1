/* summary.json: the whole-run figures CI scripts read (docs/summary-json.md).
 *
 * The core shape is the brief's and fixed (version 1); everything else is added beside it and
 * never renamed. Times are milliseconds, rates per second, sizes bytes. Percentiles come from
 * the run's merged histograms, so they are exact to the histogram's precision. */
#include "reports/summary.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/version.h"
#include "reports/monitor_report.h"
#include "reports/output.h"
#include "reports/run.h"
#include "reports/thresholds.h"

/* Round to 3 decimals so the file is readable and stable (microsecond resolution in ms). */
static json_t *num(double v)
{
	if (!isfinite(v))
		return json_null();
	return json_real(round(v * 1000.0) / 1000.0);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *hist_json(const struct reports_run *run, const struct reports_hist *rh)
{
	const struct hist *h = rh->total;
	json_t *o = json_object();
	json_t *t = json_object();

	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	json_object_set_new(o, "rate",
			    num(run->duration_s > 0 ? (double)h->count / run->duration_s : 0));
	json_object_set_new(o, "mean_ms", num(hist_mean(h) / 1000.0));
	json_object_set_new(o, "stddev_ms", num(hist_stddev(h) / 1000.0));
	json_object_set_new(o, "min_ms", num(h->count ? (double)h->min / 1000.0 : 0));
	json_object_set_new(o, "max_ms", num((double)h->max / 1000.0));
	for (int k = 0; k < REPORTS_NPCT; k++) {
		char key[16];

		snprintf(key, sizeof(key), "%s_ms", reports_pct_key[k]);
		json_object_set_new(o, key,
				    num((double)hist_percentile(h, reports_pct[k]) / 1000.0));
	}
	json_object_set_new(o, "clamped", json_integer((json_int_t)h->clamped));
	/* Tsung's Main Statistics, as tsung_stats.pl computes them from tsung.log. */
	json_object_set_new(t, "highest_10sec_mean_ms", num(rh->t_maxmean_ms));
	json_object_set_new(t, "lowest_10sec_mean_ms", num(rh->t_minmean_ms));
	json_object_set_new(t, "highest_rate", num(rh->t_max_rate));
	json_object_set_new(t, "mean_rate", num(rh->t_mean_rate));
	json_object_set_new(o, "tsung", t);
	return o;
}

/* stats (timing statistics), counters, gauges, http_status and errors: every counter goes to
 * the one its name says. The brief's counters are always present, zero when nothing was
 * counted. */
static void counters_json(const struct reports_run *run, json_t *stats, json_t *counters,
			  json_t *gauges, json_t *codes, json_t *errors)
{
	static const char *const core[] = {"users_count", "finish_users_count", "dropped_users",
					   "size_rcv", "size_sent"};

	for (size_t i = 0; i < run->nhists; i++)
		json_object_set_new(stats, run->hists[i].name, hist_json(run, &run->hists[i]));
	for (size_t i = 0; i < run->ncounters; i++) {
		const struct reports_counter *c = &run->counters[i];

		if (c->gauge) {
			json_t *g = json_object();

			json_object_set_new(g, "last", json_integer(c->total));
			json_object_set_new(g, "max", json_integer(c->max));
			json_object_set_new(g, "load_end", json_integer(c->load_end));
			json_object_set_new(gauges, c->name, g);
		} else if (strncmp(c->name, "http_", 5) == 0) {
			json_object_set_new(codes, c->name + 5, json_integer(c->total));
		} else if (strncmp(c->name, "error_", 6) == 0) {
			json_object_set_new(errors, c->name, json_integer(c->total));
		} else {
			json_object_set_new(counters, c->name, json_integer(c->total));
		}
	}
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (!json_object_get(counters, core[i]))
			json_object_set_new(counters, core[i], json_integer(0));
}

/* error_reasons, errors_total, error_rate and its terms (reports_attempts). */
static void errors_json(const struct reports_run *run, json_t *root)
{
	/* Why, where the agents' logs said (reasons.c): first reason per error counter. */
	json_t *why = json_object();
	struct reports_attempts att = {0};

	if (run->total)
		reports_attempts(run->total, &att);
	for (size_t i = 0; i < run->nreasons; i++)
		json_object_set_new(why, run->reasons[i].name, json_string(run->reasons[i].reason));
	json_object_set_new(root, "error_reasons", why);
	json_object_set_new(root, "errors_total", json_integer(reports_run_errors(run, -1)));
	json_object_set_new(root, "error_rate",
			    num(att.attempted ? (double)att.failed / (double)att.attempted : 0));
	json_object_set_new(root, "failed_attempts", json_integer((json_int_t)att.failed));
	json_object_set_new(root, "attempts", json_integer((json_int_t)att.attempted));
	json_object_set_new(root, "dropped_users", json_integer((json_int_t)att.dropped));
}

static json_t *threshold_json(const struct reports_threshold *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "metric", json_string(t->metric));
	json_object_set_new(o, "condition", json_string(t->condition));
	json_object_set_new(o, "value", t->has_value ? num(t->value) : json_null());
	json_object_set_new(o, "ok", json_boolean(t->ok));
	if (t->valid)
		json_object_set_new(o, "unit",
				    json_string(t->t.unit == THRESHOLD_UNIT_MS	    ? "ms"
						: t->t.unit == THRESHOLD_UNIT_PER_S ? "/s"
						: t->t.unit == THRESHOLD_UNIT_RATIO ? "ratio"
										    : "count"));
	if (t->error)
		json_object_set_new(o, "error", json_string(t->error));
	json_object_set_new(o, "abort_on_fail", json_boolean(t->abort_on_fail));
	return o;
}

static json_t *agent_json(const struct reports_agent *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "host", json_string(a->host ? a->host : ""));
	json_object_set_new(o, "cpu_max", num(a->cpu_max));
	json_object_set_new(o, "loop_lag_max_ms", num(a->lag_max_ms));
	json_object_set_new(o, "saturated", json_boolean(a->saturated));
	json_object_set_new(o, "lost", json_boolean(a->lost));
	json_object_set_new(o, "cpu_mean", num(a->cpu_mean));
	json_object_set_new(o, "cpu_limit", num(a->cpu_limit));
	json_object_set_new(o, "dropped", json_integer((json_int_t)a->dropped));
	json_object_set_new(o, "conns_max", json_integer((json_int_t)a->conns_max));
	json_object_set_new(o, "intervals", json_integer(a->intervals));
	json_object_set_new(o, "saturated_intervals", json_integer(a->saturated_intervals));
	if (a->fraction > 0)
		json_object_set_new(o, "fraction", num(a->fraction));
	if (a->lost) {
		json_object_set_new(o, "lost_at_s", num(a->lost_t));
		json_object_set_new(o, "lost_detail", str_or_null(a->lost_detail));
	}
	return o;
}

static json_t *event_json(const struct reports_event *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "t", num(e->t));
	json_object_set_new(o, "what", json_string(e->what));
	json_object_set_new(o, "agent", str_or_null(e->agent));
	json_object_set_new(o, "detail", str_or_null(e->detail));
	return o;
}

/* The indexes i where which[i] (or, when also is not NULL, also[i]) as an array. */
static json_t *interval_indexes(const struct reports_run *run, const bool *which, const bool *also)
{
	json_t *a = json_array();

	for (size_t i = 0; i < run->niv; i++)
		if (which[i] || (also && also[i]))
			json_array_append_new(a, json_integer((json_int_t)i));
	return a;
}

/* uncounted: what lost agents may have sent uncounted, and the intervals that miss them. */
static json_t *uncounted_json(const struct reports_run *run)
{
	json_t *u = json_object();

	json_object_set_new(u, "requests_max", json_integer((json_int_t)run->uncounted_max));
	json_object_set_new(u, "intervals", interval_indexes(run, run->partial, NULL));
	return u;
}

void *reports_summary_json(const struct reports_run *run)
{
	json_t *root = json_object();
	json_t *stats = json_object(), *counters = json_object(), *gauges = json_object();
	json_t *codes = json_object(), *errors = json_object(), *ths = json_array();
	json_t *agents = json_array(), *events = json_array(), *notices = json_array();

	json_object_set_new(root, "version", json_integer(BARRAGE_SUMMARY_VERSION));
	json_object_set_new(root, "name", json_string(run->name));
	json_object_set_new(root, "started_at", str_or_null(run->started_at));
	json_object_set_new(root, "duration_s", num(run->duration_s));
	json_object_set_new(root, "stats", stats);
	json_object_set_new(root, "counters", counters);
	json_object_set_new(root, "http_status", codes);
	json_object_set_new(root, "errors", errors);
	json_object_set_new(root, "thresholds", ths);
	json_object_set_new(root, "agents", agents);
	/* Additions beyond the brief's core. */
	json_object_set_new(root, "ended_at", str_or_null(run->ended_at));
	json_object_set_new(root, "end_reason",
			    str_or_null(run->has_end ? run->end_reason : "truncated"));
	json_object_set_new(root, "scenario", str_or_null(run->scenario));
	json_object_set_new(root, "target", str_or_null(run->target));
	json_object_set_new(root, "barrage_version", json_string(BARRAGE_VERSION));
	json_object_set_new(root, "interval_s", num(run->interval_s));
	json_object_set_new(root, "intervals", json_integer((json_int_t)run->niv));
	json_object_set_new(root, "gaps", interval_indexes(run, run->gap, run->partial));
	json_object_set_new(root, "truncated", json_boolean(run->truncated));
	json_object_set_new(root, "saturated", json_boolean(run->saturated));
	json_object_set_new(root, "gauges", gauges);
	json_object_set_new(root, "events", events);
	json_object_set_new(root, "notices", notices);
	if (run->monitor)
		json_object_set_new(root, "monitor", reports_monitor_json(run));
	json_object_set_new(root, "thresholds_failed", json_integer(run->thresholds_failed));

	counters_json(run, stats, counters, gauges, codes, errors);
	errors_json(run, root);
	for (size_t i = 0; i < run->nthresholds; i++)
		json_array_append_new(ths, threshold_json(&run->thresholds[i]));
	for (size_t i = 0; i < run->nagents_list; i++)
		json_array_append_new(agents, agent_json(&run->agents[i]));
	for (size_t i = 0; i < run->nevents; i++)
		json_array_append_new(events, event_json(&run->events[i]));
	json_object_set_new(root, "uncounted", uncounted_json(run));
	for (size_t i = 0; i < run->nnotices; i++)
		json_array_append_new(notices, json_string(run->notices[i]));
	return root;
}

int reports_summary_write(const struct reports_run *run, const char *path, char **err)
{
	json_t *root = reports_summary_json(run);
	char *text;
	int rc;

	if (!root)
		return err_set(err, "out of memory");
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(root);
	if (!text)
		return err_set(err, "out of memory");
	rc = reports_write_file(path, text, strlen(text), err);
	free(text);
	return rc;
}
