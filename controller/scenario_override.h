/* `--set key=value` overrides of a scenario (controller/scenario_override.c). */
#ifndef BARRAGE_CONTROLLER_SCENARIO_OVERRIDE_H
#define BARRAGE_CONTROLLER_SCENARIO_OVERRIDE_H

struct sc;
struct ynode;

/* Overrides from `--set key=value` (dotted paths into the YAML: "load.users=50",
 * "target=http://127.0.0.1:8080"), applied before validation. */
struct scenario_override {
	const char *path;
	const char *value;
};

/* Applies one override to the tree at *rootp (which may be replaced); reports with sc_err. */
/* Apply one --set PATH=VALUE to the tree. The value is read as YAML (so lists and mappings can
 * be given in flow style), falling back to a plain string. Path segments are mapping keys or
 * list indexes; at a mapping, the longest run of segments that is an existing key wins, so
 * dotted keys such as thresholds' request.p95 can be reached. */
int scenario_override_apply(struct sc *sc, struct ynode **rootp, const struct scenario_override *o);

#endif
