/* The run directory (brief: "Run directory"; docs/stats-log.md): created at the start of a run,
 * it receives a copy of the scenario, plan.json (which agent got which share), stats.log as the
 * run goes (header, interval, late, event and end records, each line flushed as it is written,
 * so a controller killed midway leaves every completed interval) and agents/ID.log with each
 * agent's own log. reports/ derives everything else from stats.log afterwards. */
#ifndef BARRAGE_RUNDIR_H
#define BARRAGE_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>

#include "common/plan.h"
#include "common/stats.h"
#include "controller/scenario_override.h" /* struct scenario_override */
#include "controller/split.h"

struct rundir {
	char *path;  /* the run directory */
	FILE *stats; /* stats.log, line-flushed */
	bool ended;  /* the end record is written */
	/* Told of every event record written (the live dashboard marks them), or NULL. */
	void (*on_event)(void *arg, double t, const char *agent, const char *what,
			 const char *detail);
	void *event_arg;
};

/* What the header records about each agent (HELLO's facts and the split). */
struct rundir_agent {
	const char *id;
	const char *host;
	double fraction;
	int cpus; /* 0 when unknown */
};

/* Create `out` (parents too; it must be empty or new) or, when out is NULL,
 * ROOT/NAME-YYYYMMDD-HHMMSS (ROOT is "runs" when NULL; a -2, -3 ... suffix when taken). */
int rundir_create(const char *root, const char *out, const char *name, struct rundir **d,
		  char **err);
void rundir_close(struct rundir *d);

/* The scenario as run: the file's bytes, after a comment listing the --set overrides. */
int rundir_copy_scenario(struct rundir *d, const char *scenario, const struct scenario_override *ov,
			 size_t nov, char **err);
/* plan.json: {"version":1,"plan":<the scenario's plan>,"agents":[{id, host, index, fraction,
 * weight, seed, user_id_base, load:{...}, data:[{name, part_index, part_count}]}]}. */
int rundir_write_plan(struct rundir *d, const struct plan *p, struct plan *const *agent_plans,
		      const struct split_agent *agents, size_t n, char **err);

/* stats.log records (docs/stats-log.md). */
int rundir_write_header(struct rundir *d, const struct plan *p, const char *scenario,
			int64_t start_wall_ms, const struct rundir_agent *agents, size_t n,
			char **err);
int rundir_write_interval(struct rundir *d, const struct stats_snapshot *s, bool late, char **err);
int rundir_write_event(struct rundir *d, double t, const char *agent, const char *what,
		       const char *detail);
/* The same with more fields: `extra` (an object, or NULL; this function takes it) is merged
 * into the record (e.g. an agent_lost event's "missing" intervals and "uncounted_max"). */
int rundir_write_event_extra(struct rundir *d, double t, const char *agent, const char *what,
			     const char *detail, json_t *extra);
int rundir_write_end(struct rundir *d, int64_t end_wall_ms, double duration_s, const char *reason,
		     int exit_code);

/* Open agents/ID.log for appending (the id made safe as a file name). NULL on failure. */
FILE *rundir_agent_log(struct rundir *d, const char *agent_id);

/* "2026-11-22T14:00:00Z" for a wall-clock time in ms. */
void rundir_iso_time(int64_t wall_ms, char *buf, size_t size);

#endif
