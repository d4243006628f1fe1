/* The driver of every SSH host of a fleet (ssh_drive.c): runs each connection's stages in
 * order on the fleet's event loop, watches timeouts and liveness, and fails hosts. */
#ifndef BARRAGE_CONTROLLER_SSH_DRIVE_H
#define BARRAGE_CONTROLLER_SSH_DRIVE_H

#include "controller/ssh_host.h"

/* Creates h's timer (timeouts, keepalives) and wake-up events on f->base. -1 when out of
 * memory. */
int ssh_drive_watch(struct ssh_host *h);
/* Starts hosts not yet started while fewer than SSH_MAX_OPENING are opening. */
void ssh_drive_start_more(struct ssh_fleet *f);
/* Runs the loop until no host is busy (opening or cleaning up). The loop is the caller's: if
 * one of its events asks the loop to stop (Ctrl-C, a setup deadline), the hosts still busy are
 * given up rather than holding the caller for their timeouts. */
void ssh_drive_wait(struct ssh_fleet *f);

#endif
