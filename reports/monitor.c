/* Target monitoring in the reports (see monitor.h; docs/monitor.md).
 *
 * The samples are kept as they came (t, figures): the sampling interval is the monitor's own
 * and need not be the stats interval. Where the two meet (tsung.log, the charts) a sample
 * belongs to the stats interval its t falls in. A host's silence is shown as it is: a `down`
 * record ends its curves, and two samples further apart than 2.5 sampling intervals are a gap
 * (a blank in the charts, listed in summary.json). */
#include "reports/monitor.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "reports/format.h"

#define MON_MAX_HOSTS	1000
#define MON_MAX_SAMPLES 1000000 /* per host: 11 days at 1 s */

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

/* fig >= 0: a figure; fig < 0: process -fig-1's CPU (rss: its memory). */
struct reports_mon_agg reports_monitor_aggregate(const struct reports_mon_host *h, int fig,
						 bool rss)
{
	struct reports_mon_agg a = {0, 0, 0, 0};

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

double reports_monitor_interval(const struct reports_mon_host *h, double run_interval_s)
{
	return h->interval_s > 0 ? h->interval_s : run_interval_s > 0 ? run_interval_s : 10;
}

void reports_monitor_fmt(char *v, size_t size, int fig, double x)
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
