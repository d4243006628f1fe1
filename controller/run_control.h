/* The live dashboard in a run and runtime control of the load (run_control.c). */
#ifndef BARRAGE_CONTROLLER_RUN_CONTROL_H
#define BARRAGE_CONTROLLER_RUN_CONTROL_H

#include "controller/run_state.h"

/* --dashboard: serve it on the run's loop, route control requests to the run and every
 * stats.log event to the page; print its URL (always, even with -q: it carries the token).
 * 0, or -1 with *err (exit 2). */
int run_control_open(struct run *r, char **err);
/* Each tick: the phase the page shows (setup, a phase name, paused, stopping, over). */
void run_control_tick(struct run *r);
/* --dashboard-linger: the page stays up (showing the finished run) for a while after the
 * reports are written; Ctrl-C ends the wait. Returns at once without a dashboard. */
void run_control_linger(struct run *r);

#endif
