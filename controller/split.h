/* Splitting a plan across agents: one plan per agent, each carrying its own share of the load.
 *
 * Arrival rates and request rates are scaled by the agent's fraction of the total weight; user
 * counts (max_users, users) are integers split by largest remainder so the agents' shares add
 * up to exactly the scenario's figure; `order: unique` data is partitioned (each row used by one
 * agent). Each agent gets an id, an index, a seed derived from the scenario name and its index
 * (runs are reproducible), and the base of its user_id() numbering. */
#ifndef BARRAGE_CONTROLLER_SPLIT_H
#define BARRAGE_CONTROLLER_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/plan.h"

struct split_agent {
	const char *id;	  /* "local-1", "load@10.0.0.5#2" */
	const char *host; /* "localhost" or the host name */
	double weight;	  /* > 0 */
};

/* Largest-remainder split of total into n parts proportional to weights: parts add up to
 * total exactly; ties go to the lower index. */
void split_count(uint64_t total, const double *weights, size_t n, uint64_t *parts);

/* Make n plans from p (deep copies, owned by the caller: free each with plan_free and the array
 * with free). Fails with *err when the load cannot be split into n non-empty shares (fewer
 * users than agents). */
int split_plan(const struct plan *p, const struct split_agent *agents, size_t n, struct plan ***out,
	       char **err);

/* The seed of agent `index` in a run of scenario `name`. */
uint64_t split_seed(const char *name, uint32_t index);

/* How many agents a load can usefully keep busy: the closed and rate models' users, the open
 * model's max_users when set; UINT32_MAX when there is no such limit. Used to cap the default
 * agent count (one per core) on small loads. */
uint32_t split_max_agents(const struct plan *p);

#endif
