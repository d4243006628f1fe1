/* Agent placement for a run: which agents run where (run_placement.c). */
#ifndef BARRAGE_CONTROLLER_RUN_PLACEMENT_H
#define BARRAGE_CONTROLLER_RUN_PLACEMENT_H

#include "controller/run_state.h"

/* Fill r->agents (ids, hosts, weights; wire readers ready) from --hosts / agents.hosts /
 * agents.hosts_file, or local agents, and r->own_hosts / r->nhosts. 0, or -1 with *err (a
 * usage error: exit 2). */
int run_placement_pick(struct run *r, char **err);

#endif
