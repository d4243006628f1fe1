/* The plan schema's plain fields read from a scenario mapping (controller/scenario_fields.c),
 * for the loader's files only. */
#ifndef BARRAGE_CONTROLLER_SCENARIO_FIELDS_H
#define BARRAGE_CONTROLLER_SCENARIO_FIELDS_H

#include <stddef.h>

#include "common/plan.h"
#include "controller/scenario_yaml.h"

/* Reads every row of the schema (common/plan_schema.h) whose YAML section is `section` from
 * mapping m into p, in the table's order; each problem is reported at its value. */
void sc_map_fields(struct sc *sc, const struct ynode *m, const char *section, struct plan *p);

/* The valid keys of mapping `section` from the schema, in table order, NULL-terminated in
 * keys[nkeys] (which is returned). */
const char *const *sc_field_keys(const char *section, const char **keys, size_t nkeys);

/* The plan's cross-field rules of `section` (common/plan_validate.h), reported at the value
 * of mapping m that breaks one, in the loader's words. */
void sc_check_rules(struct sc *sc, const struct ynode *m, const struct plan *p,
		    const char *section);

#endif
