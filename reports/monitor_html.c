/* The monitoring section of report.html (reports/monitor.h has the records): per host, the
 * "where was the bottleneck" table and charts of its figures against the request rate and
 * latency, drawn by gnuplot (reports/gnuplot.c). */
#include "reports/monitor_html.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/format.h"
#include "reports/gnuplot.h"
#include "reports/monitor.h"
#include "reports/output.h"
#include "reports/run.h"

#define MON_CHART_HOSTS 12

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* One monitored series as an inline data block: blank lines where the host was silent. */
static void gp_series(struct buf *s, const struct reports_mon_host *h, double iv, int fig,
		      double scale, int id)
{
	double prev = -1;

	buf_printf(s, "$M%d << EOD\n", id);
	for (size_t i = 0; i < h->n; i++) {
		if (!(h->s[i].have & (1u << fig)))
			continue;
		if (prev >= 0 && h->s[i].t - prev > 2.5 * iv)
			buf_append_str(s, "\n");
		buf_printf(s, "%.3f %.6g\n", h->s[i].t, h->s[i].v[fig] * scale);
		prev = h->s[i].t;
	}
	buf_append_str(s, "EOD\n");
}

/* The load's own series, on the same time axis: each interval's point in its middle. */
static void gp_load(struct buf *s, const struct reports_run *run, bool latency, int id)
{
	const struct reports_hist *rq = reports_run_hist(run, "request");

	buf_printf(s, "$L%d << EOD\n", id);
	for (size_t i = 0; rq && i < run->niv; i++) {
		double v = latency ? rq->p95_ms[i] : rq->n[i] / run->interval_s;

		if (run->gap[i] || (latency && rq->n[i] == 0)) {
			buf_append_str(s, "\n");
			continue;
		}
		buf_printf(s, "%.3f %.6g\n", ((double)i + 0.5) * run->interval_s, v);
	}
	buf_append_str(s, "EOD\n");
}

struct chart_line {
	int fig;
	const char *title;
	double scale;
};

static int host_chart(struct buf *out, const struct reports_run *run,
		      const struct reports_mon_host *h, int n, const char *title,
		      const char *ylabel, const struct chart_line *lines, size_t nlines,
		      bool latency, char **why)
{
	static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"};
	struct buf s;
	char prefix[32];
	double iv = reports_monitor_interval(h, run->interval_s),
	       xmax = (double)run->niv * run->interval_s;
	size_t mark = out->len, used = 0;
	int rc;

	if (h->n && h->s[h->n - 1].t > xmax)
		xmax = h->s[h->n - 1].t;
	buf_init(&s, 0);
	buf_append_str(
	    &s, "set border 11 lc rgb '#555555'\nset tics nomirror textcolor rgb '#333333'\n"
		"set grid lc rgb '#dddddd' lt 1\nset key outside top center horizontal "
		"noenhanced textcolor rgb '#333333'\nset style data linespoints\n"
		"set xlabel 'time since start (s)'\nset yrange [0:*]\nset y2range [0:*]\n"
		"set ytics nomirror\nset y2tics\nset format y '%.4g'\nset format y2 '%.4g'\n");
	buf_printf(&s, "set xrange [0:%g]\nset ylabel '%s'\nset y2label '%s'\n", xmax, ylabel,
		   latency ? "request p95 (ms)" : "requests/s");
	/* Where the host became unreachable: a red dotted line, its curves end there. */
	for (size_t k = 0; k < h->ndown; k++)
		buf_printf(
		    &s,
		    "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead lc rgb '#d62728' "
		    "dt 3 lw 2\nset label 'unreachable' at %.3f, graph 0.95 left offset 0.5,0 "
		    "textcolor rgb '#d62728'\n",
		    h->down[k].t, h->down[k].t, h->down[k].t);
	for (size_t k = 0; k < nlines; k++)
		gp_series(&s, h, iv, lines[k].fig, lines[k].scale, (int)k);
	gp_load(&s, run, latency, 0);
	buf_append_str(&s, "plot ");
	for (size_t k = 0; k < nlines; k++) {
		struct reports_mon_agg a = reports_monitor_aggregate(h, lines[k].fig, false);

		if (!a.n)
			continue;
		buf_printf(&s, "%s$M%zu using 1:2 axes x1y1 title ", used++ ? ", " : "", k);
		reports_gp_str(&s, lines[k].title);
		buf_printf(&s, " lw 2 pt 7 ps 0.5 lc rgb '%s'", colors[k % 5]);
	}
	buf_printf(
	    &s, "%s$L0 using 1:2 axes x1y2 title '%s' lw 1 dt 2 pt 6 ps 0.5 lc rgb '#777777'\n",
	    used ? ", " : "", latency ? "request p95 (right axis)" : "requests/s (right axis)");
	snprintf(prefix, sizeof(prefix), "m%d_", n);
	buf_append_str(out, "<figure class=\"chart\"><div class=\"ct\">");
	reports_html_escape(out, h->name);
	buf_append_str(out, ": ");
	reports_html_escape(out, title);
	buf_append_str(out, "</div>");
	rc = reports_gnuplot_svg(s.data, prefix, out, why);
	if (rc < 0) {
		out->len = mark;
		out->data[mark] = '\0';
	} else {
		buf_append_str(out, "<figcaption>");
		reports_html_escape(out, title);
		buf_append_str(out, ", per sample of the monitored host, against the load on the "
				    "same time axis (dashed, right axis)</figcaption></figure>\n");
	}
	buf_free(&s);
	return rc;
}

/* How close a figure is to a limit, 0..1, for the "where was the bottleneck" verdict; < 0 when
 * the figure has no known limit (bytes per second of an unknown link). */
static double pressure(int fig, double max, const struct reports_mon_host *h)
{
	switch (fig) {
	case PROCFS_CPU_PCT:
		return max / 100;
	case PROCFS_CPU_CORE_MAX_PCT:
		return max >= 95 ? max / 100 * 0.9 : max / 100 * 0.5;
	case PROCFS_CPU_IOWAIT_PCT:
		return max / 30;
	case PROCFS_CPU_STEAL_PCT:
		return max / 20;
	case PROCFS_DISK_UTIL_PCT:
		return max / 100;
	case PROCFS_SWAP_PAGES_PS:
		return max > 0 ? 0.9 : 0;
	case PROCFS_TCP_RETRANS_PS:
		return max > 0 ? 0.6 : 0;
	case PROCFS_NUMA_MISS_PS:
		return max > 0 ? 0.5 : 0;
	case PROCFS_MEM_USED: {
		struct reports_mon_agg av =
		    reports_monitor_aggregate(h, PROCFS_MEM_AVAILABLE, false);
		double total = max + (av.n ? av.sum / (double)av.n : 0);

		return total > 0 ? max / total : -1;
	}
	default:
		return -1;
	}
}

static const char *fig_label(int fig)
{
	static const char *const labels[PROCFS_NFIGS] = {
	    "CPU busy",		"CPU user",	    "CPU system",	"CPU iowait",
	    "CPU steal",	"busiest core",	    "load (1 min)",	"memory used",
	    "memory available", "swap used",	    "swap in+out",	"major faults",
	    "disk read",	"disk write",	    "disk utilisation", "network received",
	    "network sent",	"packets received", "packets sent",	"TCP retransmits",
	    "NUMA misses",
	};
	return labels[fig];
}

static void bottleneck_table(struct buf *b, const struct reports_mon_host *h)
{
	double best = -1;
	int best_fig = -1;
	char v[64], w[64];

	buf_append_str(b, "<table class=\"left\" data-monitor-host=\"");
	reports_html_escape(b, h->name);
	buf_append_str(b, "\">\n<tr><th>Figure</th><th>Mean</th><th>Highest</th><th>When</th>"
			  "<th>Pressure</th></tr>\n");
	for (int f = 0; f < PROCFS_NFIGS; f++) {
		struct reports_mon_agg a = reports_monitor_aggregate(h, f, false);
		double p;

		if (!a.n)
			continue;
		p = pressure(f, a.max, h);
		if (p > best) {
			best = p;
			best_fig = f;
		}
		reports_monitor_fmt(v, sizeof(v), f, a.sum / (double)a.n);
		reports_monitor_fmt(w, sizeof(w), f, a.max);
		buf_printf(
		    b, "<tr data-figure=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td>%.1f s</td>",
		    procfs_fig_names[f], fig_label(f), v, w, a.max_t);
		if (p < 0)
			buf_append_str(b, "<td>&ndash;</td></tr>\n");
		else
			buf_printf(b, "<td>%s%.0f%%%s</td></tr>\n", p >= 0.8 ? "<strong>" : "",
				   p > 1 ? 100.0 : p * 100, p >= 0.8 ? "</strong>" : "");
	}
	for (size_t k = 0; k < h->nprocs; k++) {
		struct reports_mon_agg c = reports_monitor_aggregate(h, -(int)k - 1, false),
				       r = reports_monitor_aggregate(h, -(int)k - 1, true);

		if (!c.n)
			continue;
		buf_append_str(b, "<tr><td>process ");
		reports_html_escape(b, h->procs[k]);
		buf_printf(b,
			   " CPU</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f s</td><td>&ndash;"
			   "</td></tr>\n",
			   c.sum / (double)c.n, c.max, c.max_t);
		buf_append_str(b, "<tr><td>process ");
		reports_html_escape(b, h->procs[k]);
		reports_fmt_bytes(v, sizeof(v), r.sum / (double)r.n);
		reports_fmt_bytes(w, sizeof(w), r.max);
		buf_printf(b,
			   " memory (RSS)</td><td>%s</td><td>%s</td><td>%.1f s</td><td>&ndash;"
			   "</td></tr>\n",
			   v, w, r.max_t);
	}
	buf_append_str(b, "</table>\n");
	if (best_fig >= 0) {
		struct reports_mon_agg a = reports_monitor_aggregate(h, best_fig, false);

		reports_monitor_fmt(v, sizeof(v), best_fig, a.max);
		buf_printf(b,
			   "<p data-bottleneck=\"%s\"><strong>Where was the bottleneck:</strong> "
			   "%s, highest %s at %.1f s (%.0f%% of its limit)%s</p>\n",
			   procfs_fig_names[best_fig], fig_label(best_fig), v, a.max_t,
			   best > 1 ? 100.0 : best * 100,
			   best < 0.6 ? "; no figure came near its limit: look at the target's own "
					"code, locks or the network beyond this host"
				      : "");
	}
}

void reports_monitor_html(const struct reports_run *run, struct buf *b)
{
	static const struct chart_line cpu[] = {
	    {PROCFS_CPU_PCT, "CPU busy %", 1},
	    {PROCFS_CPU_CORE_MAX_PCT, "busiest core %", 1},
	    {PROCFS_CPU_IOWAIT_PCT, "iowait %", 1},
	    {PROCFS_CPU_STEAL_PCT, "steal %", 1},
	    {PROCFS_DISK_UTIL_PCT, "disk utilisation %", 1},
	};
	static const struct chart_line net[] = {
	    {PROCFS_NET_RX_BPS, "received MB/s", 1.0 / 1e6},
	    {PROCFS_NET_TX_BPS, "sent MB/s", 1.0 / 1e6},
	    {PROCFS_DISK_READ_BPS, "disk read MB/s", 1.0 / 1e6},
	    {PROCFS_DISK_WRITE_BPS, "disk write MB/s", 1.0 / 1e6},
	};
	static const struct chart_line mem[] = {
	    {PROCFS_MEM_USED, "memory used GB", 1.0 / 1e9},
	    {PROCFS_MEM_AVAILABLE, "memory available GB", 1.0 / 1e9},
	    {PROCFS_SWAP_USED, "swap used GB", 1.0 / 1e9},
	};
	const struct reports_monitor *m = run->monitor;
	char *why = NULL;
	int n = 0;
	bool charts = true;

	double cut = -1;

	if (!m || m->n == 0)
		return;
	/* Charts for the MON_CHART_HOSTS hosts with the busiest CPU (a fleet of 50 would make a
	 * page of 150 charts); every host keeps its table. */
	if (m->n > MON_CHART_HOSTS) {
		double *mx = calloc(m->n, sizeof(*mx));

		for (size_t i = 0; mx && i < m->n; i++)
			mx[i] = reports_monitor_aggregate(&m->h[i], PROCFS_CPU_PCT, false).max;
		if (mx) {
			qsort(mx, m->n, sizeof(*mx), cmp_desc);
			cut = mx[MON_CHART_HOSTS - 1];
		}
		free(mx);
	}
	buf_append_str(b, "<section id=\"monitor\"><h2>Target monitoring</h2>\n");
	if (cut >= 0)
		buf_printf(b,
			   "<p class=\"note\">%zu hosts: charts for the %d with the busiest CPU, "
			   "tables for all.</p>\n",
			   m->n, MON_CHART_HOSTS);
	for (size_t i = 0; i < m->n; i++) {
		const struct reports_mon_host *h = &m->h[i];
		bool chart =
		    charts &&
		    (cut < 0 || (reports_monitor_aggregate(h, PROCFS_CPU_PCT, false).max >= cut &&
				 n < 3 * MON_CHART_HOSTS));

		buf_append_str(b, "<h3>");
		reports_html_escape(b, h->name);
		buf_printf(b, "</h3>\n<p class=\"note\">%zu samples, every %g s.</p>\n", h->n,
			   reports_monitor_interval(h, run->interval_s));
		for (size_t k = 0; k < h->ndown; k++) {
			buf_printf(b,
				   "<div class=\"notice bad\" data-monitor-down=\"%.1f\"><strong>"
				   "Unreachable from %.1f s:</strong> ",
				   h->down[k].t, h->down[k].t);
			reports_html_escape(b, h->down[k].why);
			buf_append_str(b, " (no figures after this point)</div>\n");
		}
		if (h->nmissing) {
			buf_append_str(b, "<div class=\"notice\" data-monitor-missing=\"1\">"
					  "<strong>Missing on this host:</strong>");
			for (size_t k = 0; k < h->nmissing; k++) {
				buf_append_str(b, " /proc/");
				reports_html_escape(b, h->missing[k]);
			}
			buf_append_str(b, " &mdash; the figures that come from it are left "
					  "out.</div>\n");
		}
		if (h->n == 0)
			continue;
		bottleneck_table(b, h);
		if (!chart)
			continue;
		if (host_chart(b, run, h, ++n, "CPU and disk utilisation against request rate", "%",
			       cpu, 5, false, &why) < 0 ||
		    host_chart(b, run, h, ++n, "network and disk throughput against request p95",
			       "MB/s", net, 4, true, &why) < 0 ||
		    host_chart(b, run, h, ++n, "memory against request rate", "GB", mem, 3, false,
			       &why) < 0) {
			buf_append_str(b, "<p class=\"note\">Monitoring charts left out: ");
			reports_html_escape(b, why ? why : "gnuplot failed");
			buf_append_str(b, "</p>\n");
			charts = false;
		}
	}
	free(why);
	buf_append_str(b, "</section>\n");
}
