/* The run directory (brief: "Run directory"; docs/stats-log.md): created at the start of a run,
 * it receives a copy of the scenario, plan.json (which agent got which share), stats.log as the
 * run goes (header, interval, late, event and end records, each line flushed as it is written,
 * so a controller killed midway leaves every completed interval) and agents/ID.log with each
 * agent's own log. reports/ derives everything else from stats.log afterwards. */
#ifndef BARRAGE_CONTROLLER_RUNDIR_H
#define BARRAGE_CONTROLLER_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>

#include "common/plan.h"
#include "common/stats.h"
#include "controller/split.h"
#include "reports/statslog_write.h"

struct rundir {
	char *path;  /* the run directory */
	FILE *stats; /* stats.log, line-flushed */
	bool ended;  /* the end record is written */
	/* Told of every event record written (the live dashboard marks them), or NULL. */
	void (*on_event)(void *arg, double t, const char *agent, const char *what,
			 const char *detail);
	void *event_arg;
};

/* Create `out` (parents too; it must be empty or new) or, when out is NULL,
 * ROOT/NAME-YYYYMMDD-HHMMSS (ROOT is "runs" when NULL; a -2, -3 ... suffix when taken). */
int rundir_create(const char *root, const char *out, const char *name, struct rundir **d,
		  char **err);
void rundir_close(struct rundir *d);

/* The scenario as run: `preface` (the run's comment listing the --set overrides, or NULL),
 * then the file's bytes. */
int rundir_copy_scenario(struct rundir *d, const char *scenario, const char *preface, char **err);
/* plan.json: {"version":1,"plan":<the scenario's plan>,"agents":[{id, host, index, fraction,
 * weight, seed, user_id_base, load:{...}, data:[{name, part_index, part_count}]}]}. */
int rundir_write_plan(struct rundir *d, const struct plan *p, struct plan *const *agent_plans,
		      const struct split_agent *agents, size_t n, char **err);

/* stats.log records (docs/stats-log.md), written by reports/statslog_write.c; a failed write
 * is reported as "DIR/stats.log: write failed: ...". */
int rundir_write_header(struct rundir *d, const struct plan *p, const char *scenario,
			int64_t start_wall_ms, const struct statslog_agent *agents, size_t n,
			char **err);
int rundir_write_interval(struct rundir *d, const struct stats_snapshot *s, bool late, char **err);
int rundir_write_event(struct rundir *d, double t, const char *agent, const char *what,
		       const char *detail);
/* The same with more fields: `extra` (an object, or NULL; this function takes it) is merged
 * into the record (e.g. an agent_lost event's "missing" intervals and "uncounted_max"). */
int rundir_write_event_extra(struct rundir *d, double t, const char *agent, const char *what,
			     const char *detail, json_t *extra);
/* A record built by its owner (monitor samples); nothing once the end record is written. The
 * caller keeps j. */
int rundir_write_record(struct rundir *d, json_t *j);
int rundir_write_end(struct rundir *d, int64_t end_wall_ms, double duration_s, const char *reason,
		     int exit_code);

/* Open agents/ID.log for appending (the id made safe as a file name). NULL on failure. */
FILE *rundir_agent_log(struct rundir *d, const char *agent_id);

#endif
