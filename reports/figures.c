/* Where a report row's figures are computed: from the decoded intervals of stats.log
 * (reports/statslog.c hands them over one at a time) to every number summary.json,
 * report.html, tsung.log and junit.xml show.
 *
 *   per interval    count, mean, standard deviation, min, p50, p95, p99, max of every timing
 *                   statistic; every counter's events and every gauge's value and peak; each
 *                   agent's health (CPU, loop lag, connections, drops, saturation)
 *   whole run       the merged histogram of each statistic (its percentiles are the report's
 *                   columns), counter totals and peaks, each agent's mean CPU
 *   Tsung's Main    highest and lowest 10sec mean, highest rate and mean rate, computed as
 *   Statistics      tsung_stats.pl computes them (docs/report.md)
 *   run facts       duration, gaps, intervals missing a lost agent's statistics, requests
 *                   that could not be counted, gauges' values when the load ended, and the
 *                   notices that explain them
 *
 * The renderers (summary.c, html.c, tsunglog.c, charts.c, junit.c) only format these. */
#include "reports/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/run.h"

static struct reports_hist *hist_get(struct reports_run *run, const char *name)
{
	struct reports_hist *h;

	for (size_t i = 0; i < run->nhists; i++)
		if (strcmp(run->hists[i].name, name) == 0)
			return &run->hists[i];
	h = realloc(run->hists, (run->nhists + 1) * sizeof(*h));
	if (!h)
		return NULL;
	run->hists = h;
	h = &run->hists[run->nhists];
	memset(h, 0, sizeof(*h));
	h->first = -1;
	h->name = strdup(name);
	h->n = calloc(run->niv, sizeof(double));
	h->mean_ms = calloc(run->niv, sizeof(double));
	h->stddev_ms = calloc(run->niv, sizeof(double));
	h->min_ms = calloc(run->niv, sizeof(double));
	h->p50_ms = calloc(run->niv, sizeof(double));
	h->p95_ms = calloc(run->niv, sizeof(double));
	h->p99_ms = calloc(run->niv, sizeof(double));
	h->max_ms = calloc(run->niv, sizeof(double));
	run->nhists++;
	if (!h->name || !h->n || !h->mean_ms || !h->stddev_ms || !h->min_ms || !h->p50_ms ||
	    !h->p95_ms || !h->p99_ms || !h->max_ms)
		return NULL;
	return h;
}

static struct reports_counter *counter_get(struct reports_run *run, const char *name, bool gauge)
{
	struct reports_counter *c;

	for (size_t i = 0; i < run->ncounters; i++)
		if (strcmp(run->counters[i].name, name) == 0)
			return &run->counters[i];
	c = realloc(run->counters, (run->ncounters + 1) * sizeof(*c));
	if (!c)
		return NULL;
	run->counters = c;
	c = &run->counters[run->ncounters];
	memset(c, 0, sizeof(*c));
	c->first = -1;
	c->gauge = gauge;
	c->name = strdup(name);
	c->v = calloc(run->niv, sizeof(double));
	c->vmax = calloc(run->niv, sizeof(double));
	run->ncounters++;
	if (!c->name || !c->v || !c->vmax)
		return NULL;
	return c;
}

/* Take one decoded interval apart into the per-interval series. */
int reports_figures_interval(struct reports_run *run, size_t i, const struct stats_snapshot *s)
{
	for (size_t k = 0; k < s->nhists; k++) {
		const struct hist *src = s->hists[k].h;
		struct reports_hist *h = hist_get(run, s->hists[k].name);

		if (!h)
			return -1;
		if (!src || src->count == 0)
			continue;
		h->n[i] = (double)src->count;
		h->mean_ms[i] = hist_mean(src) / 1000.0;
		h->stddev_ms[i] = hist_stddev(src) / 1000.0;
		h->min_ms[i] = (double)src->min / 1000.0;
		h->p50_ms[i] = (double)hist_percentile(src, 50) / 1000.0;
		h->p95_ms[i] = (double)hist_percentile(src, 95) / 1000.0;
		h->p99_ms[i] = (double)hist_percentile(src, 99) / 1000.0;
		h->max_ms[i] = (double)src->max / 1000.0;
		if (h->first < 0)
			h->first = (int)i;
	}
	for (size_t k = 0; k < s->ncounters; k++) {
		const struct stats_counter *sc = &s->counters[k];
		struct reports_counter *c = counter_get(run, sc->name, sc->kind == STATS_GAUGE);

		if (!c)
			return -1;
		c->v[i] = (double)sc->value;
		c->vmax[i] = (double)(c->gauge ? sc->max : sc->value);
		if (c->first < 0 && sc->value != 0)
			c->first = (int)i;
		if (c->gauge) {
			c->total = sc->value;
			if (sc->max > c->max)
				c->max = sc->max;
			if (sc->value > c->max)
				c->max = sc->value;
		} else {
			c->total += sc->value;
			if (sc->value > c->max)
				c->max = sc->value;
		}
	}
	for (size_t k = 0; k < s->nhealth; k++) {
		const struct stats_health *hh = &s->health[k];
		struct reports_agent *a;

		if (!hh->agent)
			continue;
		a = reports_run_agent(run, hh->agent);
		if (!a)
			return -1;
		if (hh->cpu > a->cpu_max)
			a->cpu_max = hh->cpu;
		a->cpu_mean += hh->cpu; /* divided by intervals at the end */
		if (hh->cpu_limit > 0)
			a->cpu_limit = hh->cpu_limit;
		if (hh->loop_lag_ms > a->lag_max_ms)
			a->lag_max_ms = hh->loop_lag_ms;
		if (hh->open_conns > a->conns_max)
			a->conns_max = hh->open_conns;
		a->dropped += hh->dropped;
		a->intervals++;
		if (hh->saturated) {
			a->saturated = true;
			a->saturated_intervals++;
			run->saturated = true;
		}
	}
	run->nagents[i] = s->nagents;
	return 0;
}

/* Tsung's figures for one series of per-interval values (see struct reports_hist). */
static void tsung_figures(const struct reports_run *run, const double *n, const double *mean,
			  int first, double *max_rate, double *mean_rate, double *maxmean,
			  double *minmean)
{
	double sum_rate = 0;
	size_t k = 0;
	bool have_min = false;

	*max_rate = *mean_rate = 0;
	if (maxmean)
		*maxmean = *minmean = 0;
	if (first < 0)
		return;
	for (size_t i = (size_t)first; i < run->niv; i++, k++) {
		double rate = n[i] / run->interval_s;

		if (rate > *max_rate)
			*max_rate = rate;
		sum_rate += rate;
		if (!maxmean)
			continue;
		if (mean[i] > *maxmean)
			*maxmean = mean[i];
		if (n[i] > 0 && (!have_min || mean[i] < *minmean)) {
			*minmean = mean[i];
			have_min = true;
		}
	}
	*mean_rate = k ? sum_rate / (double)k : 0;
}

/* A gauge's value when the load ended, which `users.count` and `connected.count` gate: the
 * value at the end of the last interval that closed before the load's end. The last record is
 * never that interval: an agent sends its last snapshot after its users have stopped (users 0,
 * and connections closed), so its value describes the drain, not the load. A run too short
 * for any interval to close during the load has only the highest value to offer. */
static void gauges_at_load_end(struct reports_run *run)
{
	long best = -1;

	for (size_t i = 0; i + 1 < run->niv; i++) {
		if (run->gap[i])
			continue;
		/* Strictly before the end: the interval that closes at the load's end races with
		 * the agents' final snapshots, and may already hold some of them. */
		if (run->load_duration_s > 0 &&
		    (double)(i + 1) * run->interval_s > run->load_duration_s - 1e-6)
			break;
		best = (long)i;
	}
	for (size_t k = 0; k < run->ncounters; k++) {
		struct reports_counter *c = &run->counters[k];

		if (c->gauge)
			c->load_end = best >= 0 ? (int64_t)llround(c->v[best]) : c->max;
	}
}

void reports_figures_finish(struct reports_run *run)
{
	reports_run_sort(run);
	for (size_t k = 0; k < run->nhists; k++) {
		struct reports_hist *h = &run->hists[k];
		const struct hist *t = stats_find_hist(run->total, h->name);

		h->total = hist_new();
		if (h->total && t)
			hist_merge(h->total, t);
		tsung_figures(run, h->n, h->mean_ms, h->first, &h->t_max_rate, &h->t_mean_rate,
			      &h->t_maxmean_ms, &h->t_minmean_ms);
	}
	for (size_t k = 0; k < run->ncounters; k++) {
		struct reports_counter *c = &run->counters[k];

		if (c->gauge)
			continue;
		tsung_figures(run, c->v, NULL, c->first, &c->t_max_rate, &c->t_mean_rate, NULL,
			      NULL);
	}
	for (size_t k = 0; k < run->nagents_list; k++) {
		struct reports_agent *a = &run->agents[k];

		if (a->intervals)
			a->cpu_mean /= a->intervals;
		if (!a->host)
			a->host = strdup("");
		if (a->saturated)
			reports_run_notice(
			    run,
			    "agent %s was saturated in %d of %d intervals (CPU up to %.2f of "
			    "%.0f cores, loop lag up to %.1f ms): its figures measure the load "
			    "generator, not the target",
			    a->id, a->saturated_intervals, a->intervals, a->cpu_max, a->cpu_limit,
			    a->lag_max_ms);
		if (a->lost)
			reports_run_notice(run, "agent %s was lost at %.1f s%s%s", a->id, a->lost_t,
					   a->lost_detail ? ": " : "",
					   a->lost_detail ? a->lost_detail : "");
	}
	if (run->has_end && run->end_duration_s > 0)
		run->duration_s = run->end_duration_s;
	else
		run->duration_s = (double)run->niv * run->interval_s;
	for (size_t k = 0; k < run->nagents_list; k++)
		run->uncounted_max += run->agents[k].uncounted_max;
	{
		size_t npartial = 0;

		for (size_t i = 0; i < run->niv; i++)
			if (run->partial[i] && !run->gap[i]) {
				npartial++;
				run->ngaps++;
			}
		if (run->ngaps > npartial)
			reports_run_notice(
			    run, "%zu of %zu intervals have no statistics (gaps in stats.log)",
			    run->ngaps - npartial, run->niv);
		if (npartial)
			reports_run_notice(
			    run,
			    "%zu interval%s miss%s the statistics of a lost agent: up to %llu "
			    "requests could not be counted",
			    npartial, npartial == 1 ? "" : "s", npartial == 1 ? "es" : "",
			    (unsigned long long)run->uncounted_max);
		else if (run->uncounted_max)
			reports_run_notice(
			    run, "up to %llu requests of lost agents could not be counted",
			    (unsigned long long)run->uncounted_max);
	}
	/* Say plainly when most attempts failed: the latencies then describe the few answers. */
	if (run->total) {
		char note[256];

		if (stats_failure_note(run->total, note, sizeof(note)))
			reports_run_notice(run, "most requests failed: %s", note);
	}
	gauges_at_load_end(run);
}
