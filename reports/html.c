/* report.html: Tsung's report, self-contained, plus what Tsung lacks.
 *
 * One file with inline CSS and inline SVG charts (reports/charts.c): no script, no font, no
 * image fetched from anywhere, so it opens from file:// on a machine with no network. The
 * tables keep Tsung's names and column headings (Main Statistics, Transactions Statistics,
 * Network Throughput, Counters Statistics, HTTP return code, Errors) and compute the Tsung
 * columns as tsung_stats.pl does; the percentile columns come from the merged histograms.
 * Every figure cell carries data-cell="ROW.COLUMN" so tests (and scripts) can find it.
 * docs/report.md says how each cell is computed. */
#include "reports/html.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/version.h"
#include "reports/charts.h"
#include "reports/figures.h"
#include "reports/format.h"
#include "reports/monitor_html.h"
#include "reports/output.h"
#include "reports/reasons.h"
#include "reports/run.h"
#include "reports/thresholds.h"

/* ---- cells ---- */

static void th(struct buf *b, const char *text, bool pct)
{
	buf_printf(b, pct ? "<th class=\"pct\">" : "<th>");
	reports_html_escape(b, text);
	buf_append_str(b, "</th>");
}

static void td(struct buf *b, const char *row, const char *col, const char *text)
{
	buf_append_str(b, "<td data-cell=\"");
	reports_html_escape(b, row);
	buf_append_str(b, ".");
	buf_append_str(b, col);
	buf_append_str(b, "\">");
	reports_html_escape(b, text);
	buf_append_str(b, "</td>");
}

/* Tsung's three columns of a counter row: Highest Rate, Mean Rate, Total number. Leaves the
 * total in v, which the Counters table repeats as Max. */
static void counter_cells(struct buf *b, const struct reports_counter *c, char *v, size_t size)
{
	snprintf(v, size, "%.2f / sec", c->t_max_rate);
	td(b, c->name, "highest_rate", v);
	snprintf(v, size, "%.2f / sec", c->t_mean_rate);
	td(b, c->name, "mean_rate", v);
	snprintf(v, size, "%lld", (long long)c->total);
	td(b, c->name, "total", v);
}

static void td_name(struct buf *b, const char *name)
{
	buf_append_str(b, "<td>");
	reports_html_escape(b, name);
	buf_append_str(b, "</td>");
}

/* 0: Tsung's Main Statistics (connect, page, request, session); 1: transactions; 2: the
 * timings Tsung lacks (tls, ttfb, request_service, req_NAME). */
static int hist_kind(const char *n)
{
	if (strcmp(n, "connect") == 0 || strcmp(n, "page") == 0 || strcmp(n, "request") == 0 ||
	    strcmp(n, "session") == 0)
		return 0;
	return strncmp(n, "tr_", 3) == 0 ? 1 : 2;
}

static bool has_kind(const struct reports_run *run, int kind)
{
	for (size_t k = 0; k < run->nhists; k++)
		if (hist_kind(run->hists[k].name) == kind && run->hists[k].total->count)
			return true;
	return false;
}

/* Main Statistics, Transactions Statistics and other timings share these columns. */
static void timing_table(struct buf *b, const struct reports_run *run, int kind)
{
	static const char *const pcol[REPORTS_NPCT] = {"p50", "p90", "p95", "p99", "p99.9"};
	size_t rows = 0;

	for (size_t k = 0; k < run->nhists; k++) {
		const struct reports_hist *h = &run->hists[k];
		const char *n = h->name;
		int hk = hist_kind(n);
		struct reports_timing tm;
		char v[64];

		if (hk != kind || h->total->count == 0)
			continue;
		if (rows++ == 0) {
			buf_append_str(b, "<table>\n<tr>");
			th(b, "Name", false);
			th(b, "highest 10sec mean", false);
			th(b, "lowest 10sec mean", false);
			th(b, "Highest Rate", false);
			th(b, "Mean Rate", false);
			th(b, "Mean", false);
			th(b, "Count", false);
			for (int p = 0; p < REPORTS_NPCT; p++)
				th(b, pcol[p], true);
			th(b, "max", true);
			buf_append_str(b, "</tr>\n");
		}
		reports_figures_timing(run, h, &tm);
		buf_append_str(b, "<tr>");
		td_name(b, n);
		td(b, n, "highest_10sec_mean",
		   reports_fmt_tsung_time(v, sizeof(v), h->t_maxmean_ms));
		td(b, n, "lowest_10sec_mean",
		   reports_fmt_tsung_time(v, sizeof(v), h->t_minmean_ms));
		snprintf(v, sizeof(v), "%.2f / sec", h->t_max_rate);
		td(b, n, "highest_rate", v);
		snprintf(v, sizeof(v), "%.2f / sec", h->t_mean_rate);
		td(b, n, "mean_rate", v);
		td(b, n, "mean", reports_fmt_tsung_time(v, sizeof(v), tm.mean_ms));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)tm.count);
		td(b, n, "count", v);
		for (int p = 0; p < REPORTS_NPCT; p++)
			td(b, n, reports_pct_key[p], reports_fmt_ms(v, sizeof(v), tm.pct_ms[p]));
		td(b, n, "max", reports_fmt_ms(v, sizeof(v), tm.max_ms));
		buf_append_str(b, "</tr>\n");
	}
	if (rows)
		buf_append_str(b, "</table>\n");
	else
		buf_append_str(b, "<p class=\"note\">None recorded.</p>\n");
}

static bool is_http(const struct reports_counter *c)
{
	return !c->gauge && strncmp(c->name, "http_", 5) == 0;
}

static bool is_error(const struct reports_counter *c)
{
	return !c->gauge && strncmp(c->name, "error_", 6) == 0;
}

/* Tsung's Network Throughput and Counters Statistics tables. */
static void counters_tables(struct buf *b, const struct reports_run *run)
{
	char v[64];
	const char *net[] = {"size_rcv", "size_sent"};

	/* Network Throughput: Tsung shows bits per second and bytes in total. */
	buf_append_str(
	    b, "<h3 id=\"network\">Network Throughput</h3>\n<table class=\"narrow\">\n<tr>");
	th(b, "Name", false);
	th(b, "Highest Rate", false);
	th(b, "Mean Rate", false);
	th(b, "Total", false);
	buf_append_str(b, "</tr>\n");
	for (int k = 0; k < 2; k++) {
		const struct reports_counter *c = reports_run_counter(run, net[k]);
		double hi = c ? c->t_max_rate : 0, mean = c ? c->t_mean_rate : 0;
		double tot = c ? (double)c->total : 0;

		buf_append_str(b, "<tr>");
		td_name(b, net[k]);
		reports_fmt_tsung_size(v, sizeof(v), hi * 8, "bits");
		if (*v)
			strncat(v, "/sec", sizeof(v) - strlen(v) - 1);
		td(b, net[k], "highest_rate", v);
		reports_fmt_tsung_size(v, sizeof(v), mean * 8, "bits");
		if (*v)
			strncat(v, "/sec", sizeof(v) - strlen(v) - 1);
		td(b, net[k], "mean_rate", v);
		td(b, net[k], "total", reports_fmt_tsung_size(v, sizeof(v), tot, "B"));
		buf_append_str(b, "</tr>\n");
	}
	buf_append_str(b, "</table>\n");

	/* Counters: Tsung's gauge table ("Max") with rates added for the counters. */
	buf_append_str(b,
		       "<h3 id=\"count\">Counters Statistics</h3>\n<table class=\"narrow\">\n<tr>");
	th(b, "Name", false);
	th(b, "Highest Rate", false);
	th(b, "Mean Rate", false);
	th(b, "Total number", false);
	th(b, "Max", false);
	buf_append_str(b, "</tr>\n");
	for (size_t k = 0; k < run->ncounters; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (is_http(c) || is_error(c) || strcmp(c->name, "size_rcv") == 0 ||
		    strcmp(c->name, "size_sent") == 0)
			continue;
		buf_append_str(b, "<tr>");
		td_name(b, c->name);
		if (c->gauge) {
			td(b, c->name, "highest_rate", "");
			td(b, c->name, "mean_rate", "");
			td(b, c->name, "total", "");
			snprintf(v, sizeof(v), "%lld", (long long)c->max);
		} else {
			counter_cells(b, c, v, sizeof(v));
		}
		/* Tsung's Max of a counter is its running total at the end. */
		td(b, c->name, "max", v);
		buf_append_str(b, "</tr>\n");
	}
	buf_append_str(b, "</table>\n");
}

/* Tsung's HTTP return code table (with each code's share of the responses) and the errors
 * table (with the first reason the agents' logs gave). */
static void status_tables(struct buf *b, const struct reports_run *run)
{
	char v[64];
	int64_t nresp = 0;
	size_t rows = 0;

	/* HTTP return code */
	for (size_t k = 0; k < run->ncounters; k++)
		if (is_http(&run->counters[k]))
			nresp += run->counters[k].total;
	buf_append_str(b, "<h3 id=\"http_status\">HTTP return code</h3>\n");
	for (size_t k = 0; k < run->ncounters; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (!is_http(c))
			continue;
		if (rows++ == 0) {
			buf_append_str(b, "<table class=\"narrow\">\n<tr>");
			th(b, "Code", false);
			th(b, "Highest Rate", false);
			th(b, "Mean Rate", false);
			th(b, "Total number", false);
			th(b, "Share", true);
			buf_append_str(b, "</tr>\n");
		}
		buf_append_str(b, "<tr>");
		td_name(b, c->name + 5);
		counter_cells(b, c, v, sizeof(v));
		snprintf(v, sizeof(v), "%.2f%%",
			 nresp ? 100.0 * (double)c->total / (double)nresp : 0);
		td(b, c->name, "share", v);
		buf_append_str(b, "</tr>\n");
	}
	buf_append_str(b, rows ? "</table>\n" : "<p class=\"note\">No HTTP response.</p>\n");

	/* Errors */
	rows = 0;
	buf_append_str(b, "<h3 id=\"errors\">Errors</h3>\n");
	for (size_t k = 0; k < run->ncounters; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (!is_error(c) || c->total == 0)
			continue;
		if (rows++ == 0) {
			buf_append_str(b, "<table class=\"narrow\">\n<tr>");
			th(b, "Name", false);
			th(b, "Highest Rate", false);
			th(b, "Mean Rate", false);
			th(b, "Total number", false);
			th(b, "First reason (agents' logs)", false);
			buf_append_str(b, "</tr>\n");
		}
		buf_append_str(b, "<tr>");
		td_name(b, c->name);
		counter_cells(b, c, v, sizeof(v));
		td(b, c->name, "reason",
		   reports_run_reason(run, c->name) ? reports_run_reason(run, c->name) : "");
		buf_append_str(b, "</tr>\n");
	}
	buf_append_str(b, rows ? "</table>\n" : "<p class=\"note\">No errors.</p>\n");
}

static void kv(struct buf *b, const char *k, const char *v)
{
	buf_append_str(b, "<tr><td>");
	reports_html_escape(b, k);
	buf_append_str(b, "</td><td>");
	reports_html_escape(b, v && *v ? v : "-");
	buf_append_str(b, "</td></tr>\n");
}

static void load_text(struct buf *out, const struct reports_run *run)
{
	json_t *l = run->load_json ? json_loads(run->load_json, 0, NULL) : NULL;
	json_t *ph;
	size_t i;

	if (!l) {
		buf_append_str(out, "-");
		return;
	}
	buf_printf(out, "%s model", run->model ? run->model : "unknown");
	json_array_foreach(json_object_get(l, "phases"), i, ph)
	{
		double d = json_number_value(json_object_get(ph, "duration_s"));
		double r = json_number_value(json_object_get(ph, "arrival_rate"));
		json_t *to = json_object_get(ph, "ramp_to");

		buf_printf(out, "; phase %zu: %gs at %g users/s", i + 1, d, r);
		if (json_is_number(to))
			buf_printf(out, " ramping to %g/s", json_number_value(to));
	}
	if (json_is_number(json_object_get(l, "users")))
		buf_printf(out, "; %g users", json_number_value(json_object_get(l, "users")));
	if (json_is_number(json_object_get(l, "request_rate")))
		buf_printf(out, "; %g requests/s",
			   json_number_value(json_object_get(l, "request_rate")));
	if (json_is_number(json_object_get(l, "duration_s")))
		buf_printf(out, "; %gs", json_number_value(json_object_get(l, "duration_s")));
	if (json_number_value(json_object_get(l, "max_users")) > 0)
		buf_printf(out, "; max_users %g",
			   json_number_value(json_object_get(l, "max_users")));
	json_decref(l);
}

static void tile(struct buf *b, const char *label, const char *value, const char *cell)
{
	buf_printf(b, "<div class=\"tile\"><div class=\"v\" data-cell=\"tile.%s\">", cell);
	reports_html_escape(b, value);
	buf_append_str(b, "</div><div class=\"l\">");
	reports_html_escape(b, label);
	buf_append_str(b, "</div></div>\n");
}

static void thresholds_table(struct buf *b, const struct reports_run *run)
{
	buf_append_str(b, "<table class=\"narrow\">\n<tr>");
	th(b, "Metric", false);
	th(b, "Condition", false);
	th(b, "Measured", false);
	th(b, "Result", false);
	buf_append_str(b, "</tr>\n");
	for (size_t i = 0; i < run->nthresholds; i++) {
		const struct reports_threshold *t = &run->thresholds[i];
		char v[256];

		reports_threshold_value_str(v, sizeof(v), t);
		buf_append_str(b, "<tr>");
		td_name(b, t->metric);
		td(b, t->metric, "condition", t->condition);
		td(b, t->metric, "measured", v);
		buf_printf(b, "<td data-cell=\"%s.result\"><span class=\"badge %s\">%s</span></td>",
			   t->metric, t->ok ? "pass" : "fail", t->ok ? "PASS" : "FAIL");
		buf_append_str(b, "</tr>\n");
	}
	buf_append_str(b, "</table>\n");
}

static void agents_table(struct buf *b, const struct reports_run *run)
{
	if (run->nagents_list == 0) {
		buf_append_str(b, "<p class=\"note\">No agent reported its health.</p>\n");
		return;
	}
	buf_append_str(b, "<table>\n<tr>");
	th(b, "Agent", false);
	th(b, "Host", false);
	th(b, "Share", false);
	th(b, "CPU max (cores)", false);
	th(b, "CPU mean (cores)", false);
	th(b, "CPU limit", false);
	th(b, "Loop lag max", false);
	th(b, "Connections max", false);
	th(b, "Dropped arrivals", false);
	th(b, "Intervals", false);
	th(b, "Status", false);
	buf_append_str(b, "</tr>\n");
	for (size_t i = 0; i < run->nagents_list; i++) {
		const struct reports_agent *a = &run->agents[i];
		char v[64];

		buf_append_str(b, "<tr>");
		td_name(b, a->id);
		td(b, a->id, "host", a->host ? a->host : "");
		snprintf(v, sizeof(v), "%.0f%%", a->fraction * 100);
		td(b, a->id, "share", a->fraction > 0 ? v : "");
		snprintf(v, sizeof(v), "%.2f", a->cpu_max);
		td(b, a->id, "cpu_max", v);
		snprintf(v, sizeof(v), "%.2f", a->cpu_mean);
		td(b, a->id, "cpu_mean", v);
		snprintf(v, sizeof(v), "%.0f", a->cpu_limit);
		td(b, a->id, "cpu_limit", v);
		td(b, a->id, "lag_max", reports_fmt_ms(v, sizeof(v), a->lag_max_ms));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)a->conns_max);
		td(b, a->id, "conns_max", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)a->dropped);
		td(b, a->id, "dropped", v);
		snprintf(v, sizeof(v), "%d", a->intervals);
		td(b, a->id, "intervals", v);
		buf_printf(b, "<td data-cell=\"%s.status\">", a->id);
		if (a->lost)
			buf_printf(b, "<span class=\"badge fail\">LOST at %.1f s</span>",
				   a->lost_t);
		else if (a->saturated)
			buf_printf(b, "<span class=\"badge warnb\">SATURATED (%d)</span>",
				   a->saturated_intervals);
		else
			buf_append_str(b, "<span class=\"badge pass\">OK</span>");
		buf_append_str(b, "</td></tr>\n");
	}
	buf_append_str(b, "</table>\n");
}

/* The title bar (name, verdict, start, duration, target) and the navigation. */
static void title_bar(struct buf *b, const struct reports_run *run)
{
	buf_append_str(b, "<header class=\"top\"><h1>");
	reports_html_escape(b, run->name);
	buf_append_str(b, " <span style=\"font-weight:400;color:#b9c2d3\">load test report</span>");
	if (run->nthresholds)
		buf_printf(b, " <span class=\"badge %s\" data-cell=\"verdict\">%s</span>",
			   run->thresholds_failed ? "fail" : "pass",
			   run->thresholds_failed ? "THRESHOLDS FAILED" : "THRESHOLDS PASSED");
	buf_append_str(b, "</h1><div class=\"sub\">");
	reports_html_escape(b, run->started_at ? run->started_at : "start unknown");
	buf_printf(b, " &middot; %.1f s", run->duration_s);
	if (run->target) {
		buf_append_str(b, " &middot; ");
		reports_html_escape(b, run->target);
	}
	buf_append_str(b, "</div></header>\n");
	buf_printf(b,
		   "<nav><a href=\"#summary\">Summary</a><a href=\"#stats\">Main Statistics</a>"
		   "<a href=\"#transaction\">Transactions</a><a href=\"#network\">Network</a>"
		   "<a href=\"#count\">Counters</a><a href=\"#http_status\">HTTP codes</a>"
		   "<a href=\"#errors\">Errors</a><a href=\"#thresholds\">Thresholds</a>"
		   "<a href=\"#agents\">Agents</a>%s<a href=\"#charts\">Charts</a></nav>\n<main>\n",
		   run->monitor ? "<a href=\"#monitor\">Monitoring</a>" : "");
}

/* Notices: saturation and lost agents in red, the rest amber. */
static void notices(struct buf *b, const struct reports_run *run)
{
	for (size_t i = 0; i < run->nnotices; i++) {
		bool bad = strstr(run->notices[i], "saturated") || strstr(run->notices[i], "lost");

		buf_printf(b, "<div class=\"notice%s\" data-notice=\"%zu\">", bad ? " bad" : "", i);
		if (bad)
			buf_append_str(b, "<strong>Warning:</strong> ");
		else
			buf_append_str(b, "<strong>Notice:</strong> ");
		reports_html_escape(b, run->notices[i]);
		buf_append_str(b, "</div>\n");
	}
}

/* The summary tiles: requests, rate, request percentiles, errors, dropped and peak users. */
static void summary_tiles(struct buf *b, const struct reports_run *run)
{
	const struct reports_counter *users = reports_run_counter(run, "users");
	struct reports_timing rq;
	struct reports_attempts att;
	char v[96];

	/* The request statistic's row (zeros when no request was timed); p50, p95, p99 are
	 * reports_pct[0], [2] and [3]. */
	reports_figures_timing(run, reports_run_hist(run, "request"), &rq);
	buf_append_str(b, "<div class=\"tiles\">\n");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)rq.count);
	tile(b, "requests", v, "requests");
	snprintf(v, sizeof(v), "%.1f/s", rq.rate);
	tile(b, "mean request rate", v, "rate");
	tile(b, "request p50", reports_fmt_ms(v, sizeof(v), rq.pct_ms[0]), "p50");
	tile(b, "request p95", reports_fmt_ms(v, sizeof(v), rq.pct_ms[2]), "p95");
	tile(b, "request p99", reports_fmt_ms(v, sizeof(v), rq.pct_ms[3]), "p99");
	/* errors.rate's figures (reports_attempts): failed over attempted, with the users who
	 * never started beside it. */
	reports_figures_attempts(run, &att);
	snprintf(v, sizeof(v), "%llu (%.2f%%)", (unsigned long long)att.failed,
		 att.attempted ? 100.0 * (double)att.failed / (double)att.attempted : 0);
	tile(b, "errors (of attempts)", v, "errors");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)att.dropped);
	tile(b, "dropped users", v, "dropped_users");
	snprintf(v, sizeof(v), "%lld", users ? (long long)users->max : 0LL);
	tile(b, "max simultaneous users", v, "users_max");
	buf_append_str(b, "</div>\n");
}

/* The run's settings: scenario, target, load, agents, times, interval, end. */
static void settings_table(struct buf *b, const struct reports_run *run)
{
	struct buf load;
	char v[96];

	buf_init(&load, 0);
	buf_append_str(b, "<h3 id=\"settings\">Run settings</h3>\n<table class=\"kv\">\n");
	kv(b, "Scenario", run->scenario);
	kv(b, "Target", run->target);
	load_text(&load, run);
	kv(b, "Load", load.data);
	snprintf(v, sizeof(v), "%zu", run->nagents_list);
	kv(b, "Agents", v);
	kv(b, "Started", run->started_at);
	kv(b, "Ended", run->has_end ? run->ended_at : "did not end (no end record)");
	snprintf(v, sizeof(v), "%.1f s", run->duration_s);
	kv(b, "Duration", v);
	snprintf(v, sizeof(v), "%g s (%zu intervals, %zu gap%s)", run->interval_s, run->niv,
		 run->ngaps, run->ngaps == 1 ? "" : "s");
	kv(b, "Stats interval", v);
	kv(b, "End reason", run->has_end ? run->end_reason : "truncated");
	kv(b, "Barrage", run->barrage_version ? run->barrage_version : BARRAGE_VERSION);
	buf_append_str(b, "</table>\n");
	buf_free(&load);
}

/* Tsung's tables: Main Statistics, Transactions, other timings, then the counters'. */
static void tsung_section(struct buf *b, const struct reports_run *run)
{
	buf_append_str(b, "<section><h2 id=\"stats\">Main Statistics</h2>\n");
	timing_table(b, run, 0);
	buf_append_str(b, "<h3 id=\"transaction\">Transactions Statistics</h3>\n");
	timing_table(b, run, 1);
	if (has_kind(run, 2)) {
		buf_append_str(b, "<h3 id=\"other\">Other timings</h3>\n");
		timing_table(b, run, 2);
	}
	counters_tables(b, run);
	status_tables(b, run);
	buf_append_str(b, "<p class=\"note\">Tsung's columns (highest/lowest 10sec mean, rates, "
			  "Mean, Count) are computed as tsung_stats.pl computes them; the "
			  "percentile columns come from the merged histograms of every agent and "
			  "interval (3 significant digits).</p></section>\n");
}

static void events_table(struct buf *b, const struct reports_run *run)
{
	buf_append_str(b, "<h3>Events</h3>\n<table class=\"left\">\n<tr>");
	th(b, "Time", false);
	th(b, "Agent", false);
	th(b, "Event", false);
	th(b, "Detail", false);
	buf_append_str(b, "</tr>\n");
	for (size_t i = 0; i < run->nevents; i++) {
		const struct reports_event *e = &run->events[i];

		buf_printf(b, "<tr><td>%.1f s</td><td>", e->t);
		reports_html_escape(b, e->agent ? e->agent : "");
		buf_append_str(b, "</td><td>");
		reports_html_escape(b, e->what);
		buf_append_str(b, "</td><td>");
		reports_html_escape(b, e->detail ? e->detail : "");
		buf_append_str(b, "</td></tr>\n");
	}
	buf_append_str(b, "</table>\n");
}

/* The intervals i where which[i], as "0&ndash;10 s, 20&ndash;30 s"; false when none. */
static bool interval_list(struct buf *b, const struct reports_run *run, const bool *which)
{
	size_t n = 0;

	for (size_t i = 0; i < run->niv; i++)
		if (which[i])
			buf_printf(b, "%s%g&ndash;%g s", n++ ? ", " : "",
				   (double)i * run->interval_s, (double)(i + 1) * run->interval_s);
	return n > 0;
}

static bool any_interval(const struct reports_run *run, const bool *which)
{
	for (size_t i = 0; i < run->niv; i++)
		if (which[i])
			return true;
	return false;
}

/* Agents: saturation, the health table, events, gaps, and what lost agents left uncounted. */
static void agents_section(struct buf *b, const struct reports_run *run)
{
	buf_append_str(b, "<section id=\"agents\"><h2>Agents</h2>\n");
	if (run->saturated)
		buf_append_str(b, "<div class=\"notice bad\" data-cell=\"saturation\"><strong>"
				  "An agent was saturated.</strong> While an agent is saturated "
				  "its latencies and rates measure the load generator, not the "
				  "target: add agents or lower the load.</div>\n");
	agents_table(b, run);
	if (run->nevents)
		events_table(b, run);
	if (run->ngaps) {
		buf_append_str(b, "<h3>Gaps</h3>");
		if (any_interval(run, run->gap)) {
			buf_append_str(b, "<p>Intervals with no statistics: ");
			interval_list(b, run, run->gap);
			buf_append_str(b, "</p>\n");
		}
	}
	if (run->uncounted_max || any_interval(run, run->partial)) {
		/* Lost agents (agent_lost events): which intervals miss their statistics (shaded on
		 * the charts when others reported in them) and how much went uncounted. */
		buf_append_str(b, "<p data-cell=\"uncounted\">Intervals missing a lost agent's "
				  "statistics: ");
		interval_list(b, run, run->partial);
		buf_printf(b, ". Up to %llu requests could not be counted.</p>\n",
			   (unsigned long long)run->uncounted_max);
	}
	buf_append_str(b, "</section>\n");
}

int reports_html_write(const struct reports_run *run, const char *path, char **err,
		       char **charts_why)
{
	struct buf b;
	char v[96], title[256];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	buf_init(&b, 0);
	snprintf(title, sizeof(title), "Barrage report: %s", run->name);
	reports_html_head(&b, title);
	title_bar(&b, run);
	notices(&b, run);
	buf_append_str(&b, "<section id=\"summary\"><h2>Summary</h2>");
	summary_tiles(&b, run);
	settings_table(&b, run);
	buf_append_str(&b, "</section>\n");
	tsung_section(&b, run);

	buf_append_str(&b, "<section id=\"thresholds\"><h2>Thresholds</h2>\n");
	if (run->nthresholds)
		thresholds_table(&b, run);
	else
		buf_append_str(&b, "<p class=\"note\">The scenario sets no thresholds.</p>\n");
	buf_append_str(&b, "</section>\n");
	agents_section(&b, run);
	reports_monitor_html(run, &b);
	buf_append_str(&b, "<section id=\"charts\"><h2>Charts</h2>\n");
	reports_charts_html(run, &b, charts_why);
	buf_append_str(&b, "</section>\n");

	gmtime_r(&now, &tm);
	strftime(v, sizeof(v), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&b,
		   "</main>\n<footer>Generated by Barrage %s from stats.log at %s</footer>\n"
		   "</body>\n</html>\n",
		   BARRAGE_VERSION, v);
	rc = reports_write_file(path, b.data, b.len, err);
	buf_free(&b);
	return rc;
}
