/* The run's statistics once merged (controller/merge.c calls run_stats_on_merged for each
 * interval, in order): the stats.log header and interval records, the live line, the
 * dashboard, the Prometheus export, and the abort_on_fail thresholds judged on the running
 * total. */
#include "controller/run_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "controller/dashboard.h"
#include "controller/export.h"
#include "controller/live.h"
#include "controller/monitor.h"
#include "controller/rundir.h"
#include "reports/reports.h"

int run_stats_write_header(struct run *r, int64_t start_wall_ms, char **err)
{
	struct statslog_agent *ra = calloc(r->n ? r->n : 1, sizeof(*ra));
	size_t i;
	int rc;

	if (!ra)
		return err_set(err, "out of memory");
	for (i = 0; i < r->n; i++) {
		ra[i].id = r->agents[i].id;
		ra[i].host = r->agents[i].host;
		ra[i].fraction = r->agents[i].plan ? r->agents[i].plan->share.fraction : 0;
		ra[i].cpus = r->agents[i].cpus;
	}
	rc = rundir_write_header(r->dir, r->plan, r->o->scenario, start_wall_ms, ra, r->n, err);
	if (rc == 0)
		r->header_written = true;
	free(ra);
	return rc;
}

int run_stats_setup_aborts(struct run *r, char **err)
{
	const struct plan *p = r->plan;
	size_t i;

	for (i = 0; i < p->nthresholds; i++) {
		if (!p->thresholds[i].abort_on_fail)
			continue;
		if (!r->aborts) {
			r->aborts = calloc(p->nthresholds, sizeof(*r->aborts));
			r->abort_idx = calloc(p->nthresholds, sizeof(*r->abort_idx));
			r->total = stats_new();
			if (!r->aborts || !r->abort_idx || !r->total)
				return err_set(err, "out of memory");
		}
		if (threshold_parse(p->thresholds[i].metric, p->thresholds[i].condition,
				    &r->aborts[r->naborts], err, NULL) < 0)
			return err_prefix(err, "%s:%d:%d", p->source ? p->source : r->o->scenario,
					  p->thresholds[i].pos.line, p->thresholds[i].pos.col);
		r->abort_idx[r->naborts++] = i;
	}
	return 0;
}

/* abort_on_fail thresholds: evaluated on the running total after each merged interval (once
 * their delay has passed); the first one that fails stops the run. */
static void check_aborts(struct run *r, const struct stats_snapshot *s)
{
	double covered, value = 0;
	size_t i;

	if (r->naborts == 0 || !r->total)
		return;
	if (stats_accumulate(r->total, s) < 0)
		return;
	if (r->phase != RUN_PHASE_RUNNING)
		return;
	covered = (double)(s->interval + 1) * (double)r->plan->interval_us / 1e6;
	for (i = 0; i < r->naborts; i++) {
		const struct plan_threshold *pt = &r->plan->thresholds[r->abort_idx[i]];
		char detail[512];

		if (covered * 1e6 < (double)pt->delay_us)
			continue;
		if (reports_threshold_check(&r->aborts[i], r->total, covered, &value))
			continue;
		snprintf(detail, sizeof(detail), "%s %s failed (measured %g after %.0fs)",
			 pt->metric, pt->condition, value, covered);
		rundir_write_event(r->dir, run_elapsed_s(r), NULL, "threshold_abort", detail);
		fprintf(stderr, "barrage: threshold %s: stopping the run (abort_on_fail)\n",
			detail);
		run_stop_all(r, "threshold_abort", 1);
		return;
	}
}

void run_stats_on_merged(const struct stats_snapshot *s, bool late, void *arg)
{
	struct run *r = arg;
	char *err = NULL;
	size_t i, k;

	if (rundir_write_interval(r->dir, s, late, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
	}
	/* A saturated agent measures itself, not the target: say so once, live and in the log. */
	for (i = 0; i < s->nhealth; i++) {
		if (!s->health[i].saturated)
			continue;
		for (k = 0; k < r->n; k++) {
			struct run_agent *a = &r->agents[k];

			if (a->saturated || strcmp(a->id, s->health[i].agent) != 0)
				continue;
			a->saturated = true;
			rundir_write_event(
			    r->dir, run_elapsed_s(r), a->id, "agent_saturated",
			    "the agent could not keep up: its numbers measure the load "
			    "generator, not the target");
			if (!r->o->quiet)
				live_event(
				    stderr, run_elapsed_s(r),
				    "warning: agent %s is saturated (its figures measure the "
				    "load generator, not the target)",
				    a->id);
		}
	}
	if (late) {
		if (r->o->verbose && !r->o->quiet)
			live_event(stderr, run_elapsed_s(r),
				   "late statistics for interval %u merged", s->interval);
	} else if (!r->o->quiet) {
		char line[768];

		live_format(line, sizeof(line), r->plan, s, (unsigned)(r->n - r->nlost),
			    (unsigned)r->n);
		monitor_live_append(r->mon, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
	if (!late)
		dashboard_interval(r->dash, r->plan, s, (unsigned)(r->n - r->nlost),
				   (unsigned)r->n);
	export_interval(r->exp, s, late, r->start_wall_ms);
	check_aborts(r, s);
}

/* --export (or the scenario's export:): started before the agents, closed before the end
 * record so that what it sent and dropped is in stats.log. */
int run_stats_export_open(struct run *r, char **err)
{
	char *spec = NULL;
	const char *slash = strrchr(r->dir->path, '/');
	int rc;

	if (!r->o->export_spec && !r->plan->export.prometheus_rw)
		return 0;
	if (!r->o->export_spec &&
	    asprintf(&spec, "prometheus-rw=%s", r->plan->export.prometheus_rw) < 0)
		return err_set(err, "out of memory");
	rc = export_open(r->o->export_spec ? r->o->export_spec : spec,
			 slash ? slash + 1 : r->dir->path, r->plan->name ? r->plan->name : "run",
			 &r->exp, err);
	free(spec);
	return rc;
}

#define RUN_EXPORT_DRAIN_MS 10000

void run_stats_export_close(struct run *r)
{
	struct export_result res;
	char detail[512];
	json_t *extra;

	if (!r->exp)
		return;
	export_close(r->exp, RUN_EXPORT_DRAIN_MS, &res);
	r->exp = NULL;
	snprintf(detail, sizeof(detail),
		 "prometheus remote write: %llu requests sent (%llu samples), %llu dropped, %llu "
		 "retries%s%s",
		 (unsigned long long)res.sent, (unsigned long long)res.samples,
		 (unsigned long long)res.dropped, (unsigned long long)res.retries,
		 res.last_error[0] ? "; last error: " : "", res.last_error);
	extra = json_object();
	json_object_set_new(extra, "sent", json_integer((json_int_t)res.sent));
	json_object_set_new(extra, "dropped", json_integer((json_int_t)res.dropped));
	json_object_set_new(extra, "retries", json_integer((json_int_t)res.retries));
	json_object_set_new(extra, "samples", json_integer((json_int_t)res.samples));
	rundir_write_event_extra(r->dir, run_elapsed_s(r), NULL, "export", detail, extra);
	if (res.dropped > 0)
		fprintf(stderr, "barrage: warning: %s\n", detail);
	else if (!r->o->quiet)
		fprintf(stderr, "barrage: %s\n", detail);
}
