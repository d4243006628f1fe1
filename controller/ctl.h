/* Runtime control of a running load from the terminal, through the run's dashboard
 * (POST /api/control; docs/dashboard.md). The command, `barrage ctl ADDR [--token T] ACTION`,
 * is controller/cli_ctl.c. */
#ifndef BARRAGE_CONTROLLER_CTL_H
#define BARRAGE_CONTROLLER_CTL_H

#include <stddef.h>

/* Build the control body from the action words ("rate", "x1.5"). Returns 0, or -1 with *err. */
int ctl_body(int argc, char **argv, char *body, size_t size, char **err);

/* POST body to url with the token; prints the dashboard's answer on stdout, or on stderr why
 * it was refused or could not be reached. Returns 0 or -1. */
int ctl_send(const char *url, const char *token, const char *body);

#endif
