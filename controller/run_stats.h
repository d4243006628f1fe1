/* The run's merged statistics and where they go (run_stats.c). */
#ifndef BARRAGE_CONTROLLER_RUN_STATS_H
#define BARRAGE_CONTROLLER_RUN_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/stats.h"
#include "controller/run_state.h"

/* Parse the plan's abort_on_fail thresholds (a bad one is a scenario error: exit 2). */
int run_stats_setup_aborts(struct run *r, char **err);
/* The stats.log header: the plan and every agent (id, host, share, cpus); sets
 * r->header_written. 0, or -1 with *err. */
int run_stats_write_header(struct run *r, int64_t start_wall_ms, char **err);
/* The merger's callback (arg: the run): one merged interval, or a late part of one. */
void run_stats_on_merged(const struct stats_snapshot *s, bool late, void *arg);

/* --export (or the scenario's export:): started before the agents (0, or -1 with *err), closed
 * before the end record so that what it sent and dropped is in stats.log. */
int run_stats_export_open(struct run *r, char **err);
void run_stats_export_close(struct run *r);

#endif
