/* Opening the agents' links for a run: local processes or the SSH fleet (run_links.c). */
#ifndef BARRAGE_CONTROLLER_RUN_LINKS_H
#define BARRAGE_CONTROLLER_RUN_LINKS_H

#include "controller/run_state.h"

/* Start every agent of r->agents and wire its link to the run (run_protocol.h) and its log
 * (agents/ID.log). With SSH hosts, hosts that fail their preflight are dropped when
 * agents.max_lost allows (the plan is split again and plan.json rewritten). 0, or -1 with
 * *err. */
int run_links_open(struct run *r, char **err);

#endif
