/* Setting a host up after authentication (ssh_setup.c): the steps, the remote commands, what
 * their output means, the uploads. */
#ifndef BARRAGE_CONTROLLER_SSH_SETUP_H
#define BARRAGE_CONTROLLER_SSH_SETUP_H

#include <stddef.h>

#include "controller/ssh_host.h"

/* Chooses h's setup steps from the fleet's mode and options (none on an extra connection). */
void ssh_setup_plan(struct ssh_host *h);
/* Advances h's current step (h->steps[h->pi]): 0 when it is done, LIBSSH2_ERROR_EAGAIN, or -1
 * after ssh_host_error. The driver moves to the next step. */
int ssh_setup_step(struct ssh_host *h);
/* Frees a setup command's buffers and makes it ready for the next. */
void ssh_setup_cmd_reset(struct ssh_cmd *c);
/* Reads the files to upload into f->files (room is left for the agent). -1 with *err (not set
 * when out of memory while copying a name); the caller frees f. */
int ssh_setup_add_files(struct ssh_fleet *f, const char *const *files, size_t nfiles, char **err);
/* --push-agent: the local barrage-agent (opt.local_agent, else the one next to this
 * executable) becomes the last file to upload. f->files must have room for it. */
int ssh_setup_add_agent_file(struct ssh_fleet *f, char **err);

#endif
