/* A run's data as the reports hold it (reports/run.h): freeing it, finding a statistic by
 * name, and the small steps the reader and the figures share (an agent's entry, a notice, the
 * order of statistics). */
#include "reports/run.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "reports/monitor.h"

const double reports_pct[REPORTS_NPCT] = {50.0, 90.0, 95.0, 99.0, 99.9};
const char *const reports_pct_key[REPORTS_NPCT] = {"p50", "p90", "p95", "p99", "p999"};

int reports_run_notice(struct reports_run *run, const char *fmt, ...)
{
	char **n;
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	err_vset(&msg, fmt, ap);
	va_end(ap);
	if (!msg)
		return -1;
	n = realloc(run->notices, (run->nnotices + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return -1;
	}
	run->notices = n;
	run->notices[run->nnotices++] = msg;
	return 0;
}

struct reports_agent *reports_run_agent(struct reports_run *run, const char *id)
{
	struct reports_agent *a;

	for (size_t i = 0; i < run->nagents_list; i++)
		if (strcmp(run->agents[i].id, id) == 0)
			return &run->agents[i];
	a = realloc(run->agents, (run->nagents_list + 1) * sizeof(*a));
	if (!a)
		return NULL;
	run->agents = a;
	a = &run->agents[run->nagents_list];
	memset(a, 0, sizeof(*a));
	a->id = strdup(id);
	if (!a->id)
		return NULL;
	run->nagents_list++;
	return a;
}

/* Comparison for qsort/bsearch on the name of hist and counter entries. */
static int cmp_hist(const void *a, const void *b)
{
	return strcmp(((const struct reports_hist *)a)->name,
		      ((const struct reports_hist *)b)->name);
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct reports_counter *)a)->name,
		      ((const struct reports_counter *)b)->name);
}

void reports_run_sort(struct reports_run *run)
{
	if (run->nhists)
		qsort(run->hists, run->nhists, sizeof(*run->hists), cmp_hist);
	if (run->ncounters)
		qsort(run->counters, run->ncounters, sizeof(*run->counters), cmp_counter);
}

void reports_run_free(struct reports_run *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->nreasons; i++) {
		free(run->reasons[i].name);
		free(run->reasons[i].reason);
	}
	free(run->reasons);
	free(run->name);
	free(run->scenario);
	free(run->started_at);
	free(run->target);
	free(run->barrage_version);
	free(run->load_json);
	free(run->model);
	free(run->ended_at);
	free(run->end_reason);
	free(run->gap);
	free(run->partial);
	free(run->missing);
	free(run->missing_agent);
	free(run->nagents);
	reports_monitor_free(run->monitor);
	stats_free(run->total);
	for (size_t i = 0; i < run->nhists; i++) {
		struct reports_hist *h = &run->hists[i];

		free(h->name);
		hist_free(h->total);
		free(h->n);
		free(h->mean_ms);
		free(h->stddev_ms);
		free(h->min_ms);
		free(h->p50_ms);
		free(h->p95_ms);
		free(h->p99_ms);
		free(h->max_ms);
	}
	free(run->hists);
	for (size_t i = 0; i < run->ncounters; i++) {
		free(run->counters[i].name);
		free(run->counters[i].v);
		free(run->counters[i].vmax);
	}
	free(run->counters);
	for (size_t i = 0; i < run->nagents_list; i++) {
		free(run->agents[i].id);
		free(run->agents[i].host);
		free(run->agents[i].lost_detail);
	}
	free(run->agents);
	for (size_t i = 0; i < run->nevents; i++) {
		free(run->events[i].agent);
		free(run->events[i].what);
		free(run->events[i].detail);
	}
	free(run->events);
	for (size_t i = 0; i < run->nthresholds; i++) {
		free(run->thresholds[i].metric);
		free(run->thresholds[i].condition);
		free(run->thresholds[i].error);
	}
	free(run->thresholds);
	for (size_t i = 0; i < run->nnotices; i++)
		free(run->notices[i]);
	free(run->notices);
	free(run);
}

const struct reports_hist *reports_run_hist(const struct reports_run *run, const char *name)
{
	struct reports_hist key = {.name = (char *)name};

	if (!run->nhists)
		return NULL;
	return bsearch(&key, run->hists, run->nhists, sizeof(key), cmp_hist);
}

const struct reports_counter *reports_run_counter(const struct reports_run *run, const char *name)
{
	struct reports_counter key = {.name = (char *)name};

	if (!run->ncounters)
		return NULL;
	return bsearch(&key, run->counters, run->ncounters, sizeof(key), cmp_counter);
}

int64_t reports_run_errors(const struct reports_run *run, long i)
{
	int64_t n = 0;

	for (size_t k = 0; k < run->ncounters; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (c->gauge || strncmp(c->name, "error_", 6) != 0)
			continue;
		n += i < 0 ? c->total : (int64_t)c->v[i];
	}
	return n;
}
