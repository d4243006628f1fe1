/* The fleet's constructor and destructor for the SSH files that run their own jobs on hosts
 * (ssh_check.c); everyone else uses the API of controller/ssh.h. */
#ifndef BARRAGE_CONTROLLER_SSH_FLEET_H
#define BARRAGE_CONTROLLER_SSH_FLEET_H

#include "controller/ssh_host.h"

struct event_base;

/* A fleet of connections to hosts on base, not started (ssh_drive_start_more starts them).
 * SSH_MODE_CHECK gives one connection per host. NULL with *err. */
struct ssh_fleet *ssh_fleet_new(struct event_base *base, const struct plan_host *hosts,
				size_t nhosts, const struct ssh_options *opt,
				enum ssh_fleet_mode mode, char **err);
/* Frees the fleet and everything of its hosts (no remote cleanup). Accepts NULL. */
void ssh_fleet_free(struct ssh_fleet *f);

#endif
