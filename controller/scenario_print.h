/* `barrage check`'s printout of a plan (controller/scenario_print.c). */
#ifndef BARRAGE_CONTROLLER_SCENARIO_PRINT_H
#define BARRAGE_CONTROLLER_SCENARIO_PRINT_H

#include <stdio.h>

#include "common/plan.h"

/* `barrage check`: print the plan a human reads - load model and phases with expected users and
 * requests, sessions with their steps, data files with row counts, thresholds, agents. */
void scenario_print_plan(const struct plan *p, FILE *out);

#endif
