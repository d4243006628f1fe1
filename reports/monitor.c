/* Target monitoring in the reports (see monitor.h; docs/monitor.md).
 *
 * The samples are kept as they came (t, figures): the sampling interval is the monitor's own
 * and need not be the stats interval. Where the two meet (tsung.log, the charts) a sample
 * belongs to the stats interval its t falls in. A host's silence is shown as it is: a `down`
 * record ends its curves, and two samples further apart than 2.5 sampling intervals are a gap
 * (a blank in the charts, listed in summary.json). */
#include "reports/monitor.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/threshold.h"
#include "reports/reports.h"
#include "reports/run.h"

#define MON_MAX_HOSTS	1000
#define MON_MAX_SAMPLES 1000000 /* per host: 11 days at 1 s */
#define MON_CHART_HOSTS 12

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* ---- reading records ---- */

static struct reports_mon_host *host_get(struct reports_monitor *m, const char *name)
{
	struct reports_mon_host *nh;

	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->h[i].name, name) == 0)
			return &m->h[i];
	if (m->n >= MON_MAX_HOSTS)
		return NULL;
	nh = realloc(m->h, (m->n + 1) * sizeof(*m->h));
	if (!nh)
		return NULL;
	m->h = nh;
	memset(&m->h[m->n], 0, sizeof(m->h[m->n]));
	m->h[m->n].name = strdup(name);
	if (!m->h[m->n].name)
		return NULL;
	return &m->h[m->n++];
}

static int proc_index(struct reports_mon_host *h, const char *name)
{
	for (size_t i = 0; i < h->nprocs; i++)
		if (strcmp(h->procs[i], name) == 0)
			return (int)i;
	if (h->nprocs >= PROCFS_MAX_NAMES || !(h->procs[h->nprocs] = strdup(name)))
		return -1;
	return (int)h->nprocs++;
}

int reports_monitor_add(struct reports_monitor **mp, const void *record)
{
	json_t *o = (json_t *)record, *figs, *procs, *miss, *v;
	const char *host = json_string_value(json_object_get(o, "host")), *key;
	struct reports_mon_host *h;
	struct reports_mon_sample *s;
	double t = json_number_value(json_object_get(o, "t"));
	size_t i;

	if (!host || !json_is_number(json_object_get(o, "t")) || !isfinite(t) || t < 0 || t > 1e9)
		return 0;
	if (!*mp && !(*mp = calloc(1, sizeof(**mp))))
		return -1;
	if (!(h = host_get(*mp, host)))
		return (*mp)->n >= MON_MAX_HOSTS ? 0 : -1;
	if (json_is_true(json_object_get(o, "down"))) {
		struct reports_mon_down *nd = realloc(h->down, (h->ndown + 1) * sizeof(*nd));
		const char *why = json_string_value(json_object_get(o, "why"));

		if (!nd)
			return -1;
		h->down = nd;
		h->down[h->ndown].t = t;
		h->down[h->ndown].why = strdup(why ? why : "unreachable");
		h->ndown++;
		return 0;
	}
	if (h->n >= MON_MAX_SAMPLES)
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct reports_mon_sample *ns = realloc(h->s, cap * sizeof(*ns));

		if (!ns)
			return -1;
		h->s = ns;
		h->cap = cap;
	}
	s = &h->s[h->n];
	memset(s, 0, sizeof(*s));
	s->t = t;
	for (i = 0; i < PROCFS_MAX_NAMES; i++)
		s->proc_cpu[i] = s->proc_rss[i] = NAN;
	if ((v = json_object_get(o, "interval_s")) && json_is_number(v) && json_number_value(v) > 0)
		h->interval_s = json_number_value(v);
	figs = json_object_get(o, "figures");
	for (i = 0; i < PROCFS_NFIGS; i++) {
		double x;

		v = json_object_get(figs, procfs_fig_names[i]);
		if (!json_is_number(v) || !isfinite(x = json_number_value(v)))
			continue;
		s->v[i] = x;
		s->have |= 1u << i;
	}
	procs = json_object_get(o, "procs");
	json_object_foreach(procs, key, v)
	{
		int k = proc_index(h, key);

		if (k < 0 || !json_is_object(v))
			continue;
		if (json_integer_value(json_object_get(v, "count")) <= 0)
			continue;
		s->proc_cpu[k] = json_number_value(json_object_get(v, "cpu_pct"));
		s->proc_rss[k] = json_number_value(json_object_get(v, "rss"));
	}
	miss = json_object_get(o, "missing");
	for (i = 0; i < json_array_size(miss); i++) {
		const char *f = json_string_value(json_array_get(miss, i));
		size_t k;

		if (!f)
			continue;
		for (k = 0; k < h->nmissing; k++)
			if (strcmp(h->missing[k], f) == 0)
				break;
		if (k == h->nmissing && h->nmissing < PROCFS_NFILES &&
		    (h->missing[h->nmissing] = strdup(f)))
			h->nmissing++;
	}
	h->n++;
	return 0;
}

void reports_monitor_free(struct reports_monitor *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct reports_mon_host *h = &m->h[i];

		free(h->name);
		free(h->s);
		for (size_t k = 0; k < h->ndown; k++)
			free(h->down[k].why);
		free(h->down);
		for (size_t k = 0; k < h->nmissing; k++)
			free(h->missing[k]);
		for (size_t k = 0; k < h->nprocs; k++)
			free(h->procs[k]);
	}
	free(m->h);
	free(m);
}

/* ---- figures over the run ---- */

struct agg {
	size_t n;
	double sum, max, max_t;
};

/* fig >= 0: a figure; fig < 0: process -fig-1's CPU (rss: its memory). */
static struct agg aggregate(const struct reports_mon_host *h, int fig, bool rss)
{
	struct agg a = {0, 0, 0, 0};

	for (size_t i = 0; i < h->n; i++) {
		const struct reports_mon_sample *s = &h->s[i];
		double x;

		if (fig >= 0) {
			if (!(s->have & (1u << fig)))
				continue;
			x = s->v[fig];
		} else {
			x = rss ? s->proc_rss[-fig - 1] : s->proc_cpu[-fig - 1];
			if (isnan(x))
				continue;
		}
		if (a.n == 0 || x > a.max) {
			a.max = x;
			a.max_t = s->t;
		}
		a.sum += x;
		a.n++;
	}
	return a;
}

static json_t *agg_json(struct agg a)
{
	json_t *o = json_object();

	json_object_set_new(o, "mean", json_real(a.n ? a.sum / (double)a.n : 0));
	json_object_set_new(o, "max", json_real(a.max));
	json_object_set_new(o, "max_t", json_real(a.max_t));
	json_object_set_new(o, "samples", json_integer((json_int_t)a.n));
	return o;
}

static double host_interval(const struct reports_mon_host *h, const struct reports_run *run)
{
	return h->interval_s > 0 ? h->interval_s : run->interval_s > 0 ? run->interval_s : 10;
}

void *reports_monitor_json(const struct reports_run *run)
{
	json_t *root = json_object();
	const struct reports_monitor *m = run->monitor;

	for (size_t i = 0; m && i < m->n; i++) {
		const struct reports_mon_host *h = &m->h[i];
		json_t *o = json_object(), *procs = json_object(), *down = json_array(),
		       *gaps = json_array(), *miss = json_array();
		double iv = host_interval(h, run);

		for (int f = 0; f < PROCFS_NFIGS; f++) {
			struct agg a = aggregate(h, f, false);

			if (a.n)
				json_object_set_new(o, procfs_fig_names[f], agg_json(a));
		}
		for (size_t k = 0; k < h->nprocs; k++) {
			json_t *p = json_object();

			json_object_set_new(p, "cpu_pct",
					    agg_json(aggregate(h, -(int)k - 1, false)));
			json_object_set_new(p, "rss", agg_json(aggregate(h, -(int)k - 1, true)));
			json_object_set_new(procs, h->procs[k], p);
		}
		for (size_t k = 0; k < h->ndown; k++) {
			json_t *d = json_object();

			json_object_set_new(d, "t", json_real(h->down[k].t));
			json_object_set_new(d, "why", json_string(h->down[k].why));
			json_array_append_new(down, d);
		}
		for (size_t k = 1; k < h->n; k++)
			if (h->s[k].t - h->s[k - 1].t > 2.5 * iv) {
				json_t *g = json_object();

				json_object_set_new(g, "from", json_real(h->s[k - 1].t));
				json_object_set_new(g, "to", json_real(h->s[k].t));
				json_array_append_new(gaps, g);
			}
		for (size_t k = 0; k < h->nmissing; k++)
			json_array_append_new(miss, json_string(h->missing[k]));
		json_object_set_new(o, "processes", procs);
		json_object_set_new(o, "samples", json_integer((json_int_t)h->n));
		json_object_set_new(o, "interval_s", json_real(iv));
		json_object_set_new(o, "down", down);
		json_object_set_new(o, "gaps", gaps);
		json_object_set_new(o, "missing", miss);
		json_object_set_new(root, h->name, o);
	}
	return root;
}

/* ---- tsung.log ---- */

/* Tsung's names (ts_os_mon_erlang.erl): cpu (%), freemem (MB), load, recvpackets and
 * sentpackets; the rest go to tsung_stats.pl's "other" os_mon graphs. */
static const struct {
	const char *tsung;
	int fig;
	double scale;
} tsung_figs[] = {
    {"cpu", PROCFS_CPU_PCT, 1},
    {"freemem", PROCFS_MEM_AVAILABLE, 1.0 / (1024 * 1024)},
    {"load", PROCFS_LOAD1, 1},
    {"recvpackets", PROCFS_NET_RX_PPS, 1},
    {"sentpackets", PROCFS_NET_TX_PPS, 1},
    {"iowait", PROCFS_CPU_IOWAIT_PCT, 1},
    {"cpucoremax", PROCFS_CPU_CORE_MAX_PCT, 1},
    {"diskread", PROCFS_DISK_READ_BPS, 1.0 / 1024},
    {"diskwrite", PROCFS_DISK_WRITE_BPS, 1.0 / 1024},
    {"diskutil", PROCFS_DISK_UTIL_PCT, 1},
    {"netrecv", PROCFS_NET_RX_BPS, 1.0 / 1024},
    {"netsent", PROCFS_NET_TX_BPS, 1.0 / 1024},
    {"tcpretrans", PROCFS_TCP_RETRANS_PS, 1},
    {"numamiss", PROCFS_NUMA_MISS_PS, 1},
};

_Static_assert(sizeof(tsung_figs) / sizeof(tsung_figs[0]) <= 16,
	       "reports_mon_host's tsung_nb and tsung_sb hold 16 figures");

/* The node name as tsung_stats.pl reads it: "os_mon@HOST", HOST escaped like every name in
 * tsung.log (letters, digits, '_', '-', '.' kept; other bytes =XX). */
static void tsung_node(struct buf *b, const char *host)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_append_str(b, "os_mon@");
	for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
		if (isalnum(*p) || *p == '_' || *p == '-' || *p == '.') {
			buf_append_byte(b, *p);
		} else {
			char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};

			buf_append(b, e, 3);
		}
	}
}

/* Called for i = 0, 1, ... in order: each host keeps a cursor on its samples (they are in
 * time order) and the running sums of the samples before the current dump, so writing the
 * whole file is linear in the samples. */
void reports_monitor_tsung(const struct reports_run *run, size_t i, struct buf *b)
{
	enum { NT = sizeof(tsung_figs) / sizeof(tsung_figs[0]) };
	struct reports_monitor *m = run->monitor;
	double lo = (double)i * run->interval_s, hi = (double)(i + 1) * run->interval_s;
	bool last = i + 1 == run->niv;

	for (size_t k = 0; m && k < m->n; k++) {
		struct reports_mon_host *h = &m->h[k];
		double n[NT] = {0}, sum[NT] = {0}, sq[NT] = {0}, mx[NT] = {0}, mn[NT] = {0};

		if (i == 0) {
			h->tsung_cur = 0;
			memset(h->tsung_nb, 0, sizeof(h->tsung_nb));
			memset(h->tsung_sb, 0, sizeof(h->tsung_sb));
		}
		for (; h->tsung_cur < h->n && h->s[h->tsung_cur].t < lo; h->tsung_cur++)
			for (size_t f = 0; f < NT; f++)
				if (h->s[h->tsung_cur].have & (1u << tsung_figs[f].fig)) {
					h->tsung_nb[f]++;
					h->tsung_sb[f] += h->s[h->tsung_cur].v[tsung_figs[f].fig] *
							  tsung_figs[f].scale;
				}
		/* The last dump takes whatever came after it, as it closes the run. */
		for (size_t j = h->tsung_cur; j < h->n && (h->s[j].t < hi || last); j++)
			for (size_t f = 0; f < NT; f++) {
				double x;

				if (!(h->s[j].have & (1u << tsung_figs[f].fig)))
					continue;
				x = h->s[j].v[tsung_figs[f].fig] * tsung_figs[f].scale;
				if (n[f] == 0 || x > mx[f])
					mx[f] = x;
				if (n[f] == 0 || x < mn[f])
					mn[f] = x;
				n[f]++;
				sum[f] += x;
				sq[f] += x * x;
			}
		for (size_t f = 0; f < NT; f++) {
			double mean, var, nb = h->tsung_nb[f];

			if (n[f] == 0)
				continue;
			mean = sum[f] / n[f];
			var = sq[f] / n[f] - mean * mean;
			buf_printf(b, "stats: {%s,\"", tsung_figs[f].tsung);
			tsung_node(b, h->name);
			buf_printf(b, "\"} %.0f %.6f %.6f %.6f %.6f %.6f %.0f\n", n[f], mean,
				   var > 0 ? sqrt(var) : 0, mx[f], mn[f],
				   nb ? h->tsung_sb[f] / nb : 0, nb);
		}
	}
}

/* ---- report.html ---- */

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
	double iv = host_interval(h, run), xmax = (double)run->niv * run->interval_s;
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
		struct agg a = aggregate(h, lines[k].fig, false);

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
		struct agg av = aggregate(h, PROCFS_MEM_AVAILABLE, false);
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

static void fmt_fig(char *v, size_t size, int fig, double x)
{
	const char *u = procfs_fig_units[fig];

	if (strcmp(u, "%") == 0)
		snprintf(v, size, "%.1f%%", x);
	else if (strcmp(u, "B") == 0)
		reports_fmt_bytes(v, size, x);
	else if (strcmp(u, "B/s") == 0) {
		reports_fmt_bytes(v, size, x);
		strncat(v, "/s", size - strlen(v) - 1);
	} else if (strcmp(u, "/s") == 0)
		snprintf(v, size, x >= 1000 ? "%.0f/s" : "%.3g/s", x);
	else
		snprintf(v, size, "%.2f", x);
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
		struct agg a = aggregate(h, f, false);
		double p;

		if (!a.n)
			continue;
		p = pressure(f, a.max, h);
		if (p > best) {
			best = p;
			best_fig = f;
		}
		fmt_fig(v, sizeof(v), f, a.sum / (double)a.n);
		fmt_fig(w, sizeof(w), f, a.max);
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
		struct agg c = aggregate(h, -(int)k - 1, false),
			   r = aggregate(h, -(int)k - 1, true);

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
		struct agg a = aggregate(h, best_fig, false);

		fmt_fig(v, sizeof(v), best_fig, a.max);
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
			mx[i] = aggregate(&m->h[i], PROCFS_CPU_PCT, false).max;
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
		    charts && (cut < 0 || (aggregate(h, PROCFS_CPU_PCT, false).max >= cut &&
					   n < 3 * MON_CHART_HOSTS));

		buf_append_str(b, "<h3>");
		reports_html_escape(b, h->name);
		buf_printf(b, "</h3>\n<p class=\"note\">%zu samples, every %g s.</p>\n", h->n,
			   host_interval(h, run));
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

/* ---- console ---- */

void reports_monitor_print(const void *monitor, FILE *out)
{
	static const int figs[] = {PROCFS_CPU_PCT,	  PROCFS_CPU_CORE_MAX_PCT,
				   PROCFS_CPU_IOWAIT_PCT, PROCFS_MEM_USED,
				   PROCFS_DISK_UTIL_PCT,  PROCFS_NET_RX_BPS,
				   PROCFS_NET_TX_BPS,	  PROCFS_TCP_RETRANS_PS};
	static const char *const short_names[] = {"cpu",  "core", "iowait", "mem",
						  "disk", "rx",	  "tx",	    "retrans"};
	json_t *m = (json_t *)monitor, *h;
	const char *name;

	if (!json_is_object(m) || json_object_size(m) == 0)
		return;
	fprintf(out, "monitored hosts (highest):\n");
	json_object_foreach(m, name, h)
	{
		json_t *down = json_object_get(h, "down");

		fprintf(out, "  %s:", name);
		for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
			json_t *f = json_object_get(h, procfs_fig_names[figs[i]]);
			char v[64];

			if (!f)
				continue;
			fmt_fig(v, sizeof(v), figs[i],
				json_number_value(json_object_get(f, "max")));
			fprintf(out, " %s %s", short_names[i], v);
		}
		if (json_array_size(down))
			fprintf(out, "  DOWN from %.1f s",
				json_number_value(json_object_get(json_array_get(down, 0), "t")));
		if (json_array_size(json_object_get(h, "missing")))
			fprintf(out, "  (some /proc files missing)");
		fputc('\n', out);
	}
}

/* ---- thresholds ---- */

static const struct {
	const char *alias;
	int fig;
} fig_alias[] = {
    {"cpu", PROCFS_CPU_PCT},	     {"iowait", PROCFS_CPU_IOWAIT_PCT},
    {"steal", PROCFS_CPU_STEAL_PCT}, {"core", PROCFS_CPU_CORE_MAX_PCT},
    {"load", PROCFS_LOAD1},	     {"mem", PROCFS_MEM_USED},
    {"memory", PROCFS_MEM_USED},     {"swap", PROCFS_SWAP_USED},
    {"disk", PROCFS_DISK_UTIL_PCT},  {"retrans", PROCFS_TCP_RETRANS_PS},
    {"numa", PROCFS_NUMA_MISS_PS},
};

static int fig_by_name(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(fig_alias) / sizeof(fig_alias[0]); i++)
		if (strlen(fig_alias[i].alias) == len && memcmp(fig_alias[i].alias, s, len) == 0)
			return fig_alias[i].fig;
	for (int f = 0; f < PROCFS_NFIGS; f++)
		if (strlen(procfs_fig_names[f]) == len && memcmp(procfs_fig_names[f], s, len) == 0)
			return f;
	return -1;
}

int reports_monitor_threshold_parse(const char *metric, const char *condition, char *host,
				    size_t hsize, int *fig, bool *max, int *op, double *value,
				    char **err)
{
	const char *last, *fdot, *p = condition;
	char *end;
	double v, mul = 1;
	size_t hl;

	if (strncmp(metric, "monitor.", 8) != 0)
		return err_set(err, "'%s' is not a monitor threshold", metric);
	last = strrchr(metric, '.');
	if (last == metric + 7)
		return err_set(err, "threshold '%s': expected monitor.HOST.FIGURE.max (or .mean)",
			       metric);
	for (fdot = last - 1; fdot > metric + 7 && *fdot != '.'; fdot--)
		;
	if (fdot <= metric + 7)
		return err_set(err, "threshold '%s': expected monitor.HOST.FIGURE.max (or .mean)",
			       metric);
	if (strcmp(last + 1, "max") == 0)
		*max = true;
	else if (strcmp(last + 1, "mean") == 0)
		*max = false;
	else
		return err_set(err, "threshold '%s': unknown field '%s' (use max or mean)", metric,
			       last + 1);
	*fig = fig_by_name(fdot + 1, (size_t)(last - fdot - 1));
	if (*fig < 0)
		return err_set(
		    err,
		    "threshold '%s': unknown figure '%.*s' (use cpu, core, iowait, steal, "
		    "load, mem, swap, disk, retrans, numa or a figure of docs/monitor.md)",
		    metric, (int)(last - fdot - 1), fdot + 1);
	hl = (size_t)(fdot - (metric + 8));
	if (hl == 0 || hl >= hsize)
		return err_set(err, "threshold '%s': no host", metric);
	memcpy(host, metric + 8, hl);
	host[hl] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "<=", 2) == 0)
		*op = THRESHOLD_LE, p += 2;
	else if (strncmp(p, ">=", 2) == 0)
		*op = THRESHOLD_GE, p += 2;
	else if (strncmp(p, "==", 2) == 0)
		*op = THRESHOLD_EQ, p += 2;
	else if (strncmp(p, "!=", 2) == 0)
		*op = THRESHOLD_NE, p += 2;
	else if (*p == '<')
		*op = THRESHOLD_LT, p++;
	else if (*p == '>')
		*op = THRESHOLD_GT, p++;
	else
		return err_set(err,
			       "condition '%s' must start with <, <=, >, >=, == or !=", condition);
	while (isspace((unsigned char)*p))
		p++;
	v = strtod(p, &end);
	if (end == p || !isfinite(v))
		return err_set(err, "condition '%s': expected a number after the operator",
			       condition);
	while (isspace((unsigned char)*end))
		end++;
	{
		static const struct {
			const char *u;
			double mul;
		} units[] = {{"%", 1},	       {"/s", 1},	    {"B", 1},	 {"kB", 1e3},
			     {"KB", 1e3},      {"MB", 1e6},	    {"GB", 1e9}, {"KiB", 1024},
			     {"MiB", 1048576}, {"GiB", 1073741824}, {"B/s", 1},	 {"kB/s", 1e3},
			     {"MB/s", 1e6},    {"GB/s", 1e9},	    {"", 1}};
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strcmp(end, units[k].u) == 0)
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return err_set(err,
				       "condition '%s': unknown unit '%s' (use %%, /s, B, kB, MB, "
				       "GB, KiB, MiB, GiB or none)",
				       condition, end);
		mul = units[k].mul;
		if (strcmp(end, "%") == 0 && strcmp(procfs_fig_units[*fig], "%") != 0)
			return err_set(err, "condition '%s': %s is not a percentage", condition,
				       procfs_fig_names[*fig]);
	}
	*value = v * mul;
	return 0;
}

bool reports_monitor_threshold_eval(const struct reports_run *run, struct reports_threshold *rt)
{
	char host[256];
	int fig, op;
	bool max;
	double value;
	const struct reports_monitor *m = run->monitor;
	const struct reports_mon_host *h = NULL;
	struct agg a;

	if (strncmp(rt->metric, "monitor.", 8) != 0)
		return false;
	rt->valid = reports_monitor_threshold_parse(rt->metric, rt->condition, host, sizeof(host),
						    &fig, &max, &op, &value, &rt->error) == 0;
	if (!rt->valid)
		return true;
	memset(&rt->t, 0, sizeof(rt->t));
	snprintf(rt->t.stat, sizeof(rt->t.stat), "%s", rt->metric);
	snprintf(rt->t.field, sizeof(rt->t.field), "%s", max ? "max" : "mean");
	rt->t.op = (enum threshold_op)op;
	rt->t.value = value;
	rt->t.unit = THRESHOLD_UNIT_COUNT;
	for (size_t i = 0; m && i < m->n; i++)
		if (strcmp(m->h[i].name, host) == 0)
			h = &m->h[i];
	if (!h) {
		err_set(&rt->error, "no data: host %s was not monitored", host);
		return true;
	}
	a = aggregate(h, fig, false);
	if (!a.n) {
		err_set(&rt->error, "no data for %s on %s", procfs_fig_names[fig], host);
		return true;
	}
	rt->has_value = true;
	rt->value = max ? a.max : a.sum / (double)a.n;
	rt->ok = threshold_holds(&rt->t, rt->value);
	return true;
}
