/* Reading a scenario: YAML file -> validated struct plan (common/plan.h).
 *
 * Everything the brief lists is checked here, before any load is sent: unknown keys (with the
 * closest valid key), types, units, ranges, templates and expressions (they are compiled),
 * regexes and JSONPaths, data files (present, header row, no ragged rows), thresholds (common/
 * threshold.h), hosts files. Errors read "FILE:LINE:COL: what is wrong". */
#ifndef BARRAGE_CONTROLLER_SCENARIO_H
#define BARRAGE_CONTROLLER_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>

#include "common/plan.h"
#include "controller/scenario_override.h" /* struct scenario_override */
#include "controller/scenario_print.h"	  /* scenario_print_plan */

/* Load and check. Relative data and hosts file paths are resolved against the scenario's
 * folder. On error returns -1 with *err ("FILE:LINE:COL: ..."; several problems are listed one
 * per line, most important first). */
int scenario_load(const char *path, const struct scenario_override *ov, size_t nov,
		  struct plan **out, char **err);

/* The same from a string (tests); `name` stands in for the file name in messages. */
int scenario_load_string(const char *name, const char *yaml, size_t len,
			 const struct scenario_override *ov, size_t nov, struct plan **out,
			 char **err);

/* `run --local N` and `run --hosts FILE` choose the agents on the command line, overriding the
 * scenario's agents: block; the loader then skips the checks that compare the scenario's own
 * agent count with its load (the run checks the real count when it splits the plan). */
void scenario_set_cli_agents(bool cli_agents);

#endif
