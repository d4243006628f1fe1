/* The agent's main loop: the controller conversation on stdin/stdout, or standalone. */
#ifndef BARRAGE_AGENT_LINK_H
#define BARRAGE_AGENT_LINK_H

#include <stdbool.h>

struct link_opts {
	bool standalone; /* run plan_path now and print interval JSON lines on stdout */
	const char *plan_path;
	bool stats_json;     /* standalone: also print every interval (stats_to_json lines) */
	int ready_timeout_s; /* exit when START has not come after this long */
	/* The controller is our parent over local pipes (--controller-is-parent): its silence
	 * while it still exists is a pause, not a lost link. */
	bool controller_is_parent;
	/* The per-run directory (--run-dir): every interval is also spooled to DIR/spool.N (N the
	 * agent's index) so that `barrage collect` can fetch what a lost link could not carry.
	 * The spool is removed at exit unless the link was lost. */
	const char *run_dir;
};

/* Returns the process exit code. */
int link_run(const struct link_opts *o);

#endif
