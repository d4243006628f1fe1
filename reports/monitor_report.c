/* What the text outputs make of the monitor records (reports/monitor.h): summary.json's
 * `monitor` section (per host, per figure mean, max and when), tsung.log's os_mon lines in
 * Tsung's names, and the console summary's lines. */
#include "reports/monitor_report.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/monitor.h"
#include "reports/run.h"

static json_t *agg_json(struct reports_mon_agg a)
{
	json_t *o = json_object();

	json_object_set_new(o, "mean", json_real(a.n ? a.sum / (double)a.n : 0));
	json_object_set_new(o, "max", json_real(a.max));
	json_object_set_new(o, "max_t", json_real(a.max_t));
	json_object_set_new(o, "samples", json_integer((json_int_t)a.n));
	return o;
}

void *reports_monitor_json(const struct reports_run *run)
{
	json_t *root = json_object();
	const struct reports_monitor *m = run->monitor;

	for (size_t i = 0; m && i < m->n; i++) {
		const struct reports_mon_host *h = &m->h[i];
		json_t *o = json_object(), *procs = json_object(), *down = json_array(),
		       *gaps = json_array(), *miss = json_array();
		double iv = reports_monitor_interval(h, run->interval_s);

		for (int f = 0; f < PROCFS_NFIGS; f++) {
			struct reports_mon_agg a = reports_monitor_aggregate(h, f, false);

			if (a.n)
				json_object_set_new(o, procfs_fig_names[f], agg_json(a));
		}
		for (size_t k = 0; k < h->nprocs; k++) {
			json_t *p = json_object();

			json_object_set_new(
			    p, "cpu_pct",
			    agg_json(reports_monitor_aggregate(h, -(int)k - 1, false)));
			json_object_set_new(
			    p, "rss", agg_json(reports_monitor_aggregate(h, -(int)k - 1, true)));
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
			reports_monitor_fmt(v, sizeof(v), figs[i],
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
