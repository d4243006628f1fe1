/* The end of a run. A run that never started says why and leaves a stats.log saying so too; a
 * run that ran gets its end record, then reports/ builds summary.json, report.html and the
 * threshold verdicts from stats.log, and the exit code is decided: the run's own (0, or 3 for
 * an interrupted run or lost agents), else 1 when a threshold failed. */
#include "controller/run_end.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "controller/merge.h"
#include "controller/monitor.h"
#include "controller/run_control.h"
#include "controller/run_stats.h"
#include "controller/rundir.h"
#include "controller/ssh.h"
#include "reports/reports.h"

void run_end_fail_records(struct run *r)
{
	char *err = NULL;

	if (!r->dir)
		return;
	if (!r->header_written) {
		if (run_stats_write_header(r, clock_wall_ms(), &err) < 0)
			free(err);
	}
	rundir_write_event(r->dir, 0, NULL, "notice", r->fail ? r->fail : "run failed");
	rundir_write_end(r->dir, clock_wall_ms(), 0, r->reason ? r->reason : "error", r->exit_code);
}

int run_end_failed(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->agents[i].link)
			r->agents[i].link->ops->kill(r->agents[i].link);
	fprintf(stderr, "barrage: %s\n", r->fail ? r->fail : "run failed");
	run_end_fail_records(r);
	return 3;
}

/* The last words on stderr: where the results are and, when it ended early, why. */
static void say_where(const struct run *r)
{
	if (strcmp(r->reason, "interrupted") == 0)
		fprintf(stderr, "barrage: run interrupted; partial results in %s\n", r->dir->path);
	else if (strcmp(r->reason, "agents_lost") == 0)
		fprintf(stderr, "barrage: run stopped: agents lost; partial results in %s\n",
			r->dir->path);
	else if (!r->o->quiet)
		fprintf(stderr, "barrage: results in %s\n", r->dir->path);
}

int run_end_finish(struct run *r)
{
	double dur;
	struct reports_result res;
	char *err = NULL;
	size_t i;
	int code;

	merge_flush_all(r->merge);
	dur = (double)(clock_mono_us() - r->start_us) / 1e6;
	if (r->exit_code == 0 && r->nlost > 0 && r->nlost + r->nleft_out > r->plan->agents.max_lost)
		r->exit_code = 3;
	monitor_stop(r->mon);
	run_stats_export_close(r);
	rundir_write_end(r->dir, clock_wall_ms(), dur, r->reason, r->exit_code);
	memset(&res, 0, sizeof(res));
	/* Close agent logs and links before the reports: the run is over. */
	for (i = 0; i < r->n; i++) {
		if (r->agents[i].link) {
			r->agents[i].link->ops->free(r->agents[i].link);
			r->agents[i].link = NULL;
		}
	}
	ssh_fleet_close(r->fleet);
	r->fleet = NULL;
	fflush(stderr);
	if (reports_build(r->dir->path, false, &res, &err) < 0) {
		fprintf(stderr, "barrage: %s: %s\n", r->dir->path, err ? err : "reports failed");
		free(err);
		return r->exit_code ? r->exit_code : 4;
	}
	if (!r->o->quiet && reports_print_summary(r->dir->path, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "cannot print the summary");
		free(err);
		err = NULL;
	}
	code = r->exit_code;
	if (code == 0 && res.thresholds_failed > 0)
		code = 1;
	say_where(r);
	run_control_linger(r);
	free(err);
	return code;
}
