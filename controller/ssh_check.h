/* `hosts check` and `hosts clean` over SSH (ssh_check.c): what every host of a fleet can tell
 * before a load test, and removing the run directories no agent uses any more. */
#ifndef BARRAGE_CONTROLLER_SSH_CHECK_H
#define BARRAGE_CONTROLLER_SSH_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/plan.h"
#include "controller/ssh.h"

/* What one host gave. */
struct ssh_check_host {
	char *label; /* user@host:port */
	char *host, *user;
	int port;
	char *error; /* the host failed (connection, key, auth, cleaning), or NULL */
	struct ssh_host_facts facts;
};

/* Connects to every host in parallel (the connection options of opt; push_agent checks what
 * `run --push-agent` does) and gathers the facts, or with clean removes the stale run
 * directories. *out gets nhosts entries (ssh_check_free). Returns 0; -1 with *err when nothing
 * could be tried (a key that cannot be read, the agent to push missing); -2 when no event loop
 * could be made. */
int ssh_check_run(const struct plan_host *hosts, size_t nhosts, const struct ssh_options *opt,
		  bool clean, struct ssh_check_host **out, char **err);
void ssh_check_free(struct ssh_check_host *v, size_t n);
/* What the facts mean: a problem that would break a run (the caller frees it, NULL when none),
 * and a warning worth reading (likewise). */
void ssh_check_verdict(const struct ssh_check_host *h, char **problem, char **warning);

#endif
