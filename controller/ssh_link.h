/* Agent links over SSH (ssh_link.c): the struct agent_link of controller/link.h on an exec
 * channel of a host's session. */
#ifndef BARRAGE_CONTROLLER_SSH_LINK_H
#define BARRAGE_CONTROLLER_SSH_LINK_H

#include "controller/link.h"
#include "controller/ssh_host.h"

/* A new link on h running command (by the remote shell), named HOST#slot; its channel opens
 * from the event loop, after the caller set its callbacks. -1 with *err. */
int ssh_link_new(struct ssh_host *h, unsigned slot, const char *command, struct agent_link **out,
		 char **err);
/* Advances every link of a ready host, then frees those their owner freed and that are done. */
void ssh_link_run_all(struct ssh_host *h);
/* The host's connection is gone: every link is done with `why`, their owners are told, and a
 * ready host becomes failed. */
void ssh_link_lost_all(struct ssh_host *h, const char *why);
/* Frees a link's memory (not its channel). */
void ssh_link_destroy(struct ssh_link *l);

#endif
