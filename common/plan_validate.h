/* Cross-field rules of the plan, in one place for the scenario loader (which reports at the
 * value the user wrote, file:line:col) and the plan decoder (which reports at the JSON path).
 * Single values are checked where they are read, by their type and bounds (common/
 * plan_schema.h); text that compiles by common/plan_text.h. */
#ifndef BARRAGE_COMMON_PLAN_VALIDATE_H
#define BARRAGE_COMMON_PLAN_VALIDATE_H

#include "common/plan.h"

struct plan_problem {
	const char *json_key; /* key in the section's JSON object: "ramp_up_us" */
	const char *key;      /* key in the section's YAML mapping: "ramp_up" */
	/* The loader's wording, "%s" standing for the value as written; NULL when the loader
	 * reports the case itself, in its own words (a missing duration, say). */
	const char *user;
	char wire[160]; /* the decoder's wording */
};

/* Checks the rules of `section` ("http", "load") in order. 0, or -1 with *pb the first rule
 * broken. */
int plan_validate(const struct plan *p, const char *section, struct plan_problem *pb);

#endif
