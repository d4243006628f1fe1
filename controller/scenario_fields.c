/* The plan schema's plain fields read from the scenario: for a YAML mapping (http, http.tls,
 * agents, load, report), each row of common/plan_schema.c that names that mapping is looked up
 * by its key and parsed by its type, with its bounds, into the plan. Problems are reported at
 * the value the user wrote. The compound keys beside them are read by hand in
 * controller/scenario_sections.c. */
#include "controller/scenario_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan_schema.h"
#include "common/plan_validate.h"
#include "common/units.h"
#include "controller/scenario_scalars.h"

/* "4GiB", "64KiB" or "100" bytes: a size bound as the user would write it. */
static const char *fmt_size(char *b, size_t size, uint64_t v)
{
	static const char *const units[] = {"GiB", "MiB", "KiB"};
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t unit = (uint64_t)1 << (10 * (3 - i));

		if (v >= unit && v % unit == 0) {
			snprintf(b, size, "%llu%s", (unsigned long long)(v / unit), units[i]);
			return b;
		}
	}
	snprintf(b, size, "%llu", (unsigned long long)v);
	return b;
}

/* A duration bound in its largest whole unit ("1h", "2s"), as the user would write it. */
static const char *fmt_duration(char *b, size_t size, int64_t us)
{
	static const struct {
		int64_t us;
		const char *unit;
	} units[] = {{3600000000LL, "h"}, {60000000, "m"}, {1000000, "s"}, {1000, "ms"}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (us >= units[i].us && us % units[i].us == 0) {
			snprintf(b, size, "%lld%s", (long long)(us / units[i].us), units[i].unit);
			return b;
		}
	return units_fmt_duration(b, size, (double)us);
}

static void map_size(struct sc *sc, const struct ynode *v, const struct plan_field *f,
		     uint64_t *out)
{
	char *e = NULL, b[32];

	if (sc_want_scalar(sc, v, f->what) == 0 &&
	    (units_parse_size(v->str, out, &e) != 0 || *out > (uint64_t)f->max))
		sc_err(sc, v, 0, "%s: expected a size like 64k or 1MiB (at most %s), got '%.60s'",
		       f->what, fmt_size(b, sizeof(b), (uint64_t)f->max), v->str);
	free(e);
}

static void map_one(struct sc *sc, const struct ynode *v, const struct plan_field *f, void *out)
{
	char b[32];

	switch (f->type) {
	case PLAN_FIELD_HOOK:
		break;
	case PLAN_FIELD_DURATION:
		if (sc_get_duration(sc, v, f->what, f->min, out) == 0 && f->max &&
		    *(int64_t *)out > f->max)
			sc_err(sc, v, 0, "%s: at most %s, got '%.60s'", f->what,
			       fmt_duration(b, sizeof(b), f->max), v->str);
		break;
	case PLAN_FIELD_BOOL:
		sc_get_bool(sc, v, f->what, out);
		break;
	case PLAN_FIELD_U32:
		sc_get_u32(sc, v, f->what, (uint32_t)f->min, (uint32_t)f->max, out);
		break;
	case PLAN_FIELD_SIZE:
		map_size(sc, v, f, out);
		break;
	case PLAN_FIELD_STRING:
		sc_get_string(sc, v, f->what, (f->flags & PLAN_FIELD_NONEMPTY) != 0, out);
		break;
	case PLAN_FIELD_FILE:
		sc_get_file(sc, v, f->what, out);
		break;
	}
}

void sc_map_fields(struct sc *sc, const struct ynode *m, const char *section, struct plan *p)
{
	size_t i;

	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];
		const struct ynode *v;

		if (f->section && strcmp(f->section, section) == 0 && f->type != PLAN_FIELD_HOOK &&
		    !(f->flags & PLAN_FIELD_YAML_BY_HAND) && (v = sc_map_get(m, f->key)))
			map_one(sc, v, f, plan_field_ptr(p, f));
	}
}

const char *const *sc_field_keys(const char *section, const char **keys, size_t nkeys)
{
	size_t i, j, n = 0, len = strlen(section);

	for (i = 0; i < plan_nfields && n + 1 < nkeys; i++) {
		const struct plan_field *f = &plan_fields[i];
		const char *key = NULL;

		if (!f->section || strncmp(f->section, section, len) != 0)
			continue;
		if (f->section[len] == '\0')
			key = f->key;
		else if (f->section[len] == '.')
			key = f->section + len + 1; /* a nested mapping: its own key, once */
		for (j = 0; key && j < n; j++)
			if (strcmp(keys[j], key) == 0)
				key = NULL;
		if (key)
			keys[n++] = key;
	}
	keys[n] = NULL;
	return keys;
}

void sc_check_rules(struct sc *sc, const struct ynode *m, const struct plan *p, const char *section)
{
	struct plan_problem pb;
	const struct ynode *v;

	/* A rule without the loader's wording is one the loader reports itself, where the value
	 * is missing; a value that did not parse left its default, which breaks no rule. */
	if (plan_validate(p, section, &pb) == 0 || !pb.user || !(v = sc_map_get(m, pb.key)))
		return;
	sc_err(sc, v, 0, pb.user, v->str);
}
