/* `barrage run`: the run driver. Loads the scenario, picks the agents (local processes or SSH
 * hosts), checks the target is reachable, splits the plan, creates the run directory, drives
 * every agent through HELLO -> PLAN -> READY -> PING/PONG -> START -> STATS* -> DONE on one
 * libevent loop, merges their intervals into stats.log with a live line, handles lost agents,
 * timeouts and Ctrl-C, and ends with the reports and the threshold verdict. */
#ifndef BARRAGE_CONTROLLER_RUN_H
#define BARRAGE_CONTROLLER_RUN_H

#include "controller/run_options.h"

/* The whole command; returns the process exit code (0 ok, 1 thresholds failed, 2 usage or
 * scenario error, 3 run could not complete, 4 internal error). */
int run_main(const struct run_options *o);

#endif
