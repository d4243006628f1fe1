/* Merging the agents' STATS snapshots by interval index (see docs/stats-log.md).
 *
 * Each agent sends one snapshot per interval index. The merger keeps the indexes still open and
 * writes one out (through the emit callback) as soon as every live agent has either sent it or
 * moved past it, in index order. Merging is exact (stats_merge adds histograms bucket by
 * bucket). An agent that falls behind does not hold the run back forever: the caller can force
 * the open indexes out (merge_flush_before), and when the late agent's snapshot for an index
 * already written arrives, it is emitted on its own as a "late" record with the same index, so
 * nothing it measured is dropped. */
#ifndef BARRAGE_CONTROLLER_MERGE_H
#define BARRAGE_CONTROLLER_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/stats.h"

struct merge;

/* Called for each merged interval (late == false, in increasing index order) and for each late
 * snapshot (late == true). The snapshot belongs to the merger and is freed after the call. */
typedef void merge_emit_fn(const struct stats_snapshot *s, bool late, void *arg);

struct merge *merge_new(size_t nagents, merge_emit_fn *emit, void *arg);
void merge_free(struct merge *m);

/* Agent `agent` (0-based) sent `snap`. The merger takes ownership of snap in every case.
 * Returns -1 with *err on out of memory or a bad agent number. */
int merge_add(struct merge *m, size_t agent, struct stats_snapshot *snap, char **err);
/* The agent will send nothing more (DONE, lost, stopped): stop waiting for it. */
void merge_agent_gone(struct merge *m, size_t agent);
/* Write out every open index below `index` now, whoever is missing. */
void merge_flush_before(struct merge *m, uint32_t index);
/* Write out everything still open (end of run). */
void merge_flush_all(struct merge *m);

/* The lowest index not yet written (0 at the start). */
uint32_t merge_next_index(const struct merge *m);
/* How many indexes are open, waiting for some agent. */
size_t merge_pending(const struct merge *m);
/* Totals for tests and the end-of-run check: snapshots received, late ones among them. */
uint64_t merge_received(const struct merge *m);
uint64_t merge_late(const struct merge *m);

#endif
