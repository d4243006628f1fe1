/* Local agents: barrage-agent started as a child process, its stdin and stdout carrying the
 * wire protocol over pipes and its stderr its log (controller/link.h on libevent).
 *
 * The child runs in its own process group (Ctrl-C at the terminal reaches only the controller,
 * which then stops the agents cleanly) and gets PR_SET_PDEATHSIG as a second line of defence
 * behind the agent's own rule that stdin EOF stops its load: no orphan load. Every pipe end is
 * close-on-exec, so one agent never holds another agent's stdin open. */
#ifndef BARRAGE_CONTROLLER_LOCAL_H
#define BARRAGE_CONTROLLER_LOCAL_H

#include <stddef.h>
#include <sys/types.h>

#include "controller/link.h"

struct event_base;

/* The agent binary: $BARRAGE_AGENT if set, else barrage-agent in the folder of this executable
 * (/proc/self/exe). Returns -1 with *err when it is missing or not executable. */
int local_agent_path(char *buf, size_t size, char **err);

/* Start one agent. The caller sets the link's callbacks and arg before returning to the event
 * loop; nothing is read before that. */
int local_agent_start(struct event_base *base, const char *agent_path, const char *id,
		      struct agent_link **out, char **err);

/* The child's pid (tests, and the agent log's first line). */
pid_t local_agent_pid(const struct agent_link *l);

#endif
