/* `barrage ctl ADDR [--token T] ACTION`: runtime control of a running load from the terminal,
 * through the run's dashboard (POST /api/control; docs/dashboard.md). */
#ifndef BARRAGE_CTL_H
#define BARRAGE_CTL_H

#include <stddef.h>

int ctl_main(int argc, char **argv);

/* Build the control body from the action words ("rate", "x1.5"). Returns 0, or -1 with *err. */
int ctl_body(int argc, char **argv, char *body, size_t size, char **err);

#endif
