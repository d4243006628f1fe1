/* Fetching the spooled statistics of agents lost during a run (controller/collect.c,
 * docs/fleet.md); the command `barrage collect RUN_DIR` is controller/cli_collect.c. */
#ifndef BARRAGE_CONTROLLER_COLLECT_H
#define BARRAGE_CONTROLLER_COLLECT_H

#include <stdbool.h>

#include "controller/ssh.h"

/* Reads RUN_DIR/stats.log's agent_lost events, fetches their spools over SSH (the connection
 * options of opt), appends the missing intervals, removes the spools and rebuilds the reports;
 * progress on stdout unless quiet, problems on stderr. Returns the exit code of `barrage
 * collect`: 0 all collected, 2 unreadable stats.log, 3 some host or spool could not be read,
 * 4 internal error. */
int collect_run(const char *run_dir, const struct ssh_options *opt, bool quiet);

#endif
