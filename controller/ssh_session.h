/* Connecting to a host and authenticating (ssh_session.c). Both are stages of the host driver
 * (ssh_drive.c): they return 0 when done, LIBSSH2_ERROR_EAGAIN to be called again when the
 * socket is ready, or -1 after ssh_host_error said why. */
#ifndef BARRAGE_CONTROLLER_SSH_SESSION_H
#define BARRAGE_CONTROLLER_SSH_SESSION_H

#include <event2/event.h>

#include "controller/ssh_host.h"

/* The TCP connection to h->ai; on_io becomes the callback of the socket's events. */
int ssh_session_connect(struct ssh_host *h, event_callback_fn on_io);
/* Public-key authentication: the given key file; or ssh-agent's keys, then the default key
 * files (ssh_keys_load). */
int ssh_session_auth(struct ssh_host *h);

#endif
