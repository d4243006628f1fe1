/* The charts of report.html: throughput, latency over time and its distribution, per
 * transaction and per page, counters, users, connections, errors and the agents' health, each
 * one a gnuplot script (reports/gnuplot.c draws it) inlined as SVG in a <figure>.
 *
 * What each chart shows and how it is computed is in docs/report.md. */
#include "reports/charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "reports/gnuplot.h"
#include "reports/output.h"
#include "reports/run.h"

#define CHART_MAX_SERIES 12
#define CHART_MAX_TR	 12
#define LATENCY_CAPTION                                                                            \
	"Each point is one interval: the mean and the 50th, 95th and 99th percentiles of that "    \
	"interval's histogram merged across all agents."

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
				      "#9467bd", "#8c564b", "#e377c2", "#17becf",
				      "#7f7f7f", "#bcbd22", "#393b79", "#637939"};

/* ---- building scripts ---- */

struct series {
	char title[STATS_MAX_NAME + 16]; /* a statistic's name and a unit */
	const double *y;		 /* per interval */
	const double *y2;		 /* optional: values summed into y (same length) */
	double scale;			 /* multiply by */
	bool per_interval;		 /* divide by interval_s (counts -> rate) */
	bool skip_zero;	   /* no point where the value is 0 (latency with no requests) */
	const bool *valid; /* optional: no point where valid[i] is false */
};

static void common_style(struct buf *s, const char *title, const char *ylabel)
{
	buf_append_str(
	    s, "set border 3 lc rgb '#555555'\nset tics nomirror textcolor rgb '#333333'\n"
	       "set grid lc rgb '#dddddd' lt 1\nset key outside top center horizontal noenhanced "
	       "textcolor rgb '#333333'\nset style data lines\n");
	/* The title is the figure's HTML heading (selectable, styled with the page). */
	(void)title;
	buf_printf(s, "set ylabel \"%s\"\n", ylabel);
}

static void time_chart(struct buf *s, const struct reports_run *run, const char *title,
		       const char *ylabel, const struct series *sr, size_t n)
{
	common_style(s, title, ylabel);
	buf_printf(s,
		   "set xlabel 'time since start (s)'\nset yrange [0:*]\nset xrange [0:%g]\n"
		   "set offsets 0, 0, graph 0.08, 0\n"
		   "set format y '%%.4g'\n",
		   (double)run->niv * run->interval_s);
	/* Points as well as lines while they can be told apart, so that an interval between two
	 * gaps still shows. */
	if (run->niv <= 90)
		buf_append_str(s, "set style data linespoints\n");
	/* Intervals that miss a lost agent's statistics are shaded: their values are too low. */
	for (size_t i = 0; i < run->niv; i++)
		if (run->partial[i] && !run->gap[i])
			buf_printf(s,
				   "set object rect from %.3f, graph 0 to %.3f, graph 1 "
				   "fc rgb '#f4c7c3' fs solid 0.6 noborder behind\n",
				   (double)i * run->interval_s, (double)(i + 1) * run->interval_s);
	/* Runtime changes of the load (dashboard, barrage ctl) are dashed vertical lines: a step in
	 * a curve there is the user's doing, not the target's. */
	for (size_t i = 0; i < run->nevents; i++)
		if (run->events[i].what && strcmp(run->events[i].what, "control") == 0)
			buf_printf(s,
				   "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead "
				   "lc rgb '#1f4fd8' dt 2 lw 1.5 front\n",
				   run->events[i].t, run->events[i].t);
	for (size_t k = 0; k < n; k++) {
		buf_printf(s, "$D%zu << EOD\n", k);
		for (size_t i = 0; i < run->niv; i++) {
			double v;

			if (run->gap[i] || (sr[k].valid && !sr[k].valid[i])) {
				buf_append_str(s, "\n"); /* a blank line breaks the curve */
				continue;
			}
			v = sr[k].y[i] + (sr[k].y2 ? sr[k].y2[i] : 0);
			if (sr[k].skip_zero && v == 0) {
				buf_append_str(s, "\n");
				continue;
			}
			if (sr[k].per_interval)
				v /= run->interval_s;
			v *= sr[k].scale;
			/* Each point sits in the middle of its interval. */
			buf_printf(s, "%.3f %.6g\n", ((double)i + 0.5) * run->interval_s, v);
		}
		buf_append_str(s, "EOD\n");
	}
	buf_append_str(s, "plot ");
	for (size_t k = 0; k < n; k++) {
		buf_printf(s, "%s$D%zu using 1:2 title ", k ? ", " : "", k);
		reports_gp_str(s, sr[k].title);
		buf_printf(s, " lw 2 pt 7 ps 0.6 lc rgb '%s'",
			   palette[k % (sizeof(palette) / sizeof(palette[0]))]);
	}
	buf_append_str(s, "\n");
}

/* Building the charts of one report: where they go, the script being written, how many so
 * far (for unique SVG ids) and why gnuplot failed, if it did. */
struct charts {
	const struct reports_run *run;
	struct buf *out;
	struct buf s;
	int nchart;
	char *err;
};

/* Draw the script in c->s as a <figure> with TITLE and CAPTION, and start a new script. On
 * failure nothing of the figure is left in out and c->err says why. */
static int emit(struct charts *c, const char *title, const char *caption)
{
	char prefix[32];
	struct buf *out = c->out;
	size_t mark = out->len;

	snprintf(prefix, sizeof(prefix), "c%d_", ++c->nchart);
	buf_append_str(out, "<figure class=\"chart\"><div class=\"ct\">");
	reports_html_escape(out, title);
	buf_append_str(out, "</div>");
	if (reports_gnuplot_svg(c->s.data, prefix, out, &c->err) < 0) {
		out->len = mark;
		out->data[mark] = '\0';
		return -1;
	}
	buf_append_str(out, "<figcaption>");
	reports_html_escape(out, caption);
	buf_append_str(out, "</figcaption></figure>\n");
	buf_reset(&c->s);
	return 0;
}

/* A chart of series over time (time_chart) emitted with its title and caption. */
static int emit_time_chart(struct charts *c, const char *title, const char *ylabel,
			   const struct series *sr, size_t n, const char *caption)
{
	time_chart(&c->s, c->run, title, ylabel, sr, n);
	return emit(c, title, caption);
}

/* Append a series to sr[*n]: Y per interval times SCALE, divided by the interval when
 * PER_INTERVAL (counts become rates). */
static void add_series(struct series *sr, size_t *n, const char *title, const double *y,
		       double scale, bool per_interval)
{
	memset(&sr[*n], 0, sizeof(sr[*n]));
	snprintf(sr[*n].title, sizeof(sr[*n].title), "%s", title);
	sr[*n].y = y;
	sr[*n].scale = scale;
	sr[*n].per_interval = per_interval;
	(*n)++;
}

static void latency_chart(struct buf *s, const struct reports_run *run, const char *title,
			  const struct reports_hist *h)
{
	struct series sr[4] = {
	    {.title = "mean", .y = h->mean_ms, .scale = 1, .skip_zero = true},
	    {.title = "p50", .y = h->p50_ms, .scale = 1, .skip_zero = true},
	    {.title = "p95", .y = h->p95_ms, .scale = 1, .skip_zero = true},
	    {.title = "p99", .y = h->p99_ms, .scale = 1, .skip_zero = true},
	};

	time_chart(s, run, title, "time (ms)", sr, 4);
}

/* Percentile curve: x is 1/(1-q) on a log axis, so 90%, 99%, 99.9% are evenly spaced. */
static void distribution_chart(struct buf *s, const struct reports_run *run,
			       const struct reports_hist **hs, size_t n)
{
	double xmax = 100;

	common_style(s, "Latency distribution (whole run, merged histograms)", "time (ms)");
	buf_append_str(
	    s, "set xlabel 'percentile'\nset logscale x 10\nset logscale y 10\n"
	       "set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, "
	       "'99.99%%' 10000, '99.999%%' 100000, '99.9999%%' 1000000)\nset format y '%g'\n");
	for (size_t k = 0; k < n; k++) {
		const struct hist *h = hs[k]->total;
		/* Beyond 1/(1-q) = count the histogram says nothing new. */
		double lim = (double)h->count;

		if (lim > 1e6)
			lim = 1e6;
		if (lim > xmax)
			xmax = lim;
		buf_printf(s, "$P%zu << EOD\n", k);
		for (int j = 0; j <= 240; j++) {
			double x = pow(10, j / 40.0);
			double q;
			uint64_t v;

			if (x > lim)
				break;
			q = 100.0 * (1.0 - 1.0 / x);
			v = hist_percentile(h, q);
			buf_printf(s, "%.6g %.6g\n", x, v > 0 ? (double)v / 1000.0 : 0.001);
		}
		buf_printf(s, "%.6g %.6g\nEOD\n", lim,
			   h->max > 0 ? (double)h->max / 1000.0 : 0.001);
	}
	buf_printf(s, "set xrange [1:%g]\nplot ", xmax);
	for (size_t k = 0; k < n; k++) {
		buf_printf(s, "%s$P%zu using 1:2 title ", k ? ", " : "", k);
		reports_gp_str(s, hs[k]->name);
		buf_printf(s, " lw 2 lc rgb '%s'",
			   palette[k % (sizeof(palette) / sizeof(palette[0]))]);
	}
	buf_append_str(s, "\n");
}

/* Response times over time: request, page, connect, session, then each transaction. The
 * request and page statistics and the transactions charted go into lat[] for the
 * distribution chart. */
static int times_section(struct charts *c, const struct reports_hist **lat, size_t *nlat)
{
	static const char *const main_stats[] = {"request", "page", "connect", "session"};
	const struct reports_run *run = c->run;
	char title[STATS_MAX_NAME + 80];
	size_t ntr = 0;

	buf_append_str(c->out, "<h3 id=\"chart-times\">Response times</h3>\n");
	for (size_t m = 0; m < sizeof(main_stats) / sizeof(main_stats[0]); m++) {
		const struct reports_hist *h = reports_run_hist(run, main_stats[m]);

		if (!h || h->first < 0)
			continue;
		snprintf(title, sizeof(title), "%s time per interval: mean, p50, p95, p99",
			 h->name);
		latency_chart(&c->s, run, title, h);
		if (emit(c, title, LATENCY_CAPTION) < 0)
			return -1;
		if (*nlat < CHART_MAX_SERIES && m < 2)
			lat[(*nlat)++] = h;
	}
	for (size_t k = 0; k < run->nhists && ntr < CHART_MAX_TR; k++) {
		const struct reports_hist *h = &run->hists[k];

		if (strncmp(h->name, "tr_", 3) != 0 || h->first < 0)
			continue;
		ntr++;
		snprintf(title, sizeof(title), "transaction %s per interval: mean, p50, p95, p99",
			 h->name);
		latency_chart(&c->s, run, title, h);
		if (emit(c, title, LATENCY_CAPTION) < 0)
			return -1;
		if (*nlat < CHART_MAX_SERIES)
			lat[(*nlat)++] = h;
	}
	return 0;
}

/* Throughput: requests, pages, sessions and transactions per second. */
static int throughput_section(struct charts *c)
{
	const struct reports_run *run = c->run;
	struct series sr[CHART_MAX_SERIES];
	size_t n = 0;

	buf_append_str(c->out, "<h3 id=\"chart-throughput\">Throughput</h3>\n");
	for (size_t k = 0; k < run->nhists && n < CHART_MAX_SERIES; k++) {
		const struct reports_hist *h = &run->hists[k];
		char title[STATS_MAX_NAME + 16];

		if (h->first < 0 || strcmp(h->name, "request_service") == 0 ||
		    strcmp(h->name, "ttfb") == 0 || strcmp(h->name, "tls") == 0 ||
		    strncmp(h->name, "req_", 4) == 0)
			continue;
		snprintf(title, sizeof(title), "%s/s", h->name);
		add_series(sr, &n, title, h->n, 1, true);
	}
	if (!n)
		return 0;
	return emit_time_chart(c, "Throughput (completed per second)", "per second", sr, n,
			       "Throughput: requests, pages, sessions, transactions and "
			       "connections completed per second, per interval");
}

/* Simultaneous users and open connections (gauges: value at the interval's end), then users
 * arriving, finishing and dropped per second. */
static int users_section(struct charts *c)
{
	static const char *const names[] = {"users_count", "finish_users_count", "dropped_users"};
	static const char *const titles[] = {"arrivals/s", "departures/s", "dropped/s"};
	const struct reports_counter *u = reports_run_counter(c->run, "users");
	const struct reports_counter *cn = reports_run_counter(c->run, "connected");
	struct series sr[CHART_MAX_SERIES];
	size_t n = 0;

	if (u)
		add_series(sr, &n, "users", u->v, 1, false);
	if (cn)
		add_series(sr, &n, "connections", cn->v, 1, false);
	if (n) {
		buf_append_str(c->out, "<h3 id=\"chart-users\">Users and connections</h3>\n");
		if (emit_time_chart(c, "Simultaneous users and open connections", "count", sr, n,
				    "Simultaneous users and open connections at the end of each "
				    "interval") < 0)
			return -1;
	}
	n = 0;
	for (size_t k = 0; k < 3; k++) {
		const struct reports_counter *ct = reports_run_counter(c->run, names[k]);

		if (!ct || (ct->first < 0 && k == 2))
			continue;
		add_series(sr, &n, titles[k], ct->v, 1, true);
	}
	if (!n)
		return 0;
	return emit_time_chart(
	    c, "User arrival and departure rate", "users per second", sr, n,
	    "Users arriving (starting a session), finishing and dropped per second");
}

/* Network throughput in Mbit/s. */
static int network_section(struct charts *c)
{
	const struct reports_counter *r = reports_run_counter(c->run, "size_rcv");
	const struct reports_counter *t = reports_run_counter(c->run, "size_sent");
	struct series sr[2];
	size_t n = 0;

	if (r)
		add_series(sr, &n, "received", r->v, 8e-6, true);
	if (t)
		add_series(sr, &n, "sent", t->v, 8e-6, true);
	if (!n)
		return 0;
	buf_append_str(c->out, "<h3 id=\"chart-network\">Network</h3>\n");
	return emit_time_chart(c, "Network throughput", "Mbit/s", sr, n,
			       "Network throughput: bytes received and sent, in megabits per "
			       "second");
}

/* The counters named PFX* (http_ or error_) that counted something, per second; the status
 * codes are titled without their prefix. */
static size_t counter_series(const struct reports_run *run, const char *pfx, struct series *sr)
{
	size_t n = 0;

	for (size_t k = 0; k < run->ncounters && n < CHART_MAX_SERIES; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (c->gauge || strncmp(c->name, pfx, strlen(pfx)) != 0 || c->first < 0)
			continue;
		add_series(sr, &n, strcmp(pfx, "http_") == 0 ? c->name + 5 : c->name, c->v, 1,
			   true);
	}
	return n;
}

/* HTTP status codes and errors per second. */
static int status_section(struct charts *c)
{
	struct series sr[CHART_MAX_SERIES];
	size_t n = counter_series(c->run, "http_", sr);

	if (n) {
		buf_append_str(c->out, "<h3 id=\"chart-http\">HTTP return codes</h3>\n");
		if (emit_time_chart(c, "HTTP return codes", "responses per second", sr, n,
				    "HTTP responses per second by status code") < 0)
			return -1;
	}
	n = counter_series(c->run, "error_", sr);
	buf_append_str(c->out, "<h3 id=\"chart-errors\">Errors</h3>\n");
	if (!n) {
		buf_append_str(c->out, "<p class=\"note\">No errors were counted.</p>\n");
		return 0;
	}
	return emit_time_chart(c, "Errors", "errors per second", sr, n,
			       "Errors per second by kind");
}

int reports_charts_html(const struct reports_run *run, struct buf *out, char **why)
{
	struct charts c = {.run = run, .out = out};
	const struct reports_hist *lat[CHART_MAX_SERIES];
	size_t nlat = 0;
	int rc = 0;

	if (run->niv == 0) {
		buf_append_str(
		    out, "<p class=\"note\">No interval was recorded: nothing to chart.</p>\n");
		return 0;
	}
	buf_init(&c.s, 0);
	if (times_section(&c, lat, &nlat) < 0 || throughput_section(&c) < 0 ||
	    users_section(&c) < 0 || network_section(&c) < 0 || status_section(&c) < 0)
		goto fail;
	if (nlat) {
		buf_append_str(out, "<h3 id=\"chart-distribution\">Latency distribution</h3>\n");
		distribution_chart(&c.s, run, lat, nlat);
		if (emit(&c, "Latency distribution (whole run, merged histograms)",
			 "Latency by percentile over the whole run (log-log: each step right is "
			 "one more nine)") < 0)
			goto fail;
	}
	goto out;
fail:
	buf_append_str(out, "<p class=\"note warn\">Charts are missing: ");
	reports_html_escape(out, c.err ? c.err : "gnuplot failed");
	buf_append_str(out, ". Install gnuplot (Debian: gnuplot-nox) and run "
			    "<code>barrage report RUN_DIR</code> again.</p>\n");
	rc = -1;
	if (why) {
		*why = c.err ? c.err : strdup("gnuplot failed");
		c.err = NULL;
	}
out:
	free(c.err);
	buf_free(&c.s);
	return rc;
}
