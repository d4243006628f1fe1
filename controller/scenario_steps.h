/* A session's steps (controller/scenario_steps.c), for the loader's files only. */
#ifndef BARRAGE_CONTROLLER_SCENARIO_STEPS_H
#define BARRAGE_CONTROLLER_SCENARIO_STEPS_H

#include <stdbool.h>

#include "common/plan.h"
#include "controller/scenario_yaml.h"

/* Steps of a session or of a block (then, else, steps); `nonempty`: an empty list is an
 * error. */
void sc_parse_steps(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		    struct plan_steps *out);

#endif
