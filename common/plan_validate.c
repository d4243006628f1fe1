/* The plan's cross-field rules (see plan_validate.h). Each rule says where it is reported in
 * both forms of the plan, and in both wordings. */
#include "common/plan_validate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/plan_json.h"

struct rule {
	const char *section, *json_key, *key, *user;
	/* true when broken, with the decoder's wording in wire */
	bool (*broken)(const struct plan *p, char *wire, size_t size);
};

static bool bad_http_version(const struct plan *p, char *wire, size_t size)
{
	if (p->http.version == 11 || p->http.version == 2)
		return false;
	snprintf(wire, size, "%d is not 11 (HTTP/1.1) or 2 (HTTP/2)", p->http.version);
	return true;
}

/* A closed or paced agent may get 0 users as its share, but never a run that cannot end. */
static bool no_duration(const struct plan *p, char *wire, size_t size)
{
	if (p->load.model == PLAN_MODEL_OPEN || p->load.duration_us > 0)
		return false;
	snprintf(
	    wire, size, "must be > 0 for the %s model",
	    plan_json_enum_name(plan_model_names, PLAN_NELEM(plan_model_names), p->load.model));
	return true;
}

static bool ramp_too_long(const struct plan *p, char *wire, size_t size)
{
	if (p->load.model == PLAN_MODEL_OPEN || p->load.ramp_up_us <= p->load.duration_us)
		return false;
	snprintf(wire, size, "longer than the load's duration");
	return true;
}

static const struct rule rules[] = {
    {"http", "version", "version", NULL, bad_http_version},
    {"load", "duration_us", "duration", NULL, no_duration},
    {"load", "ramp_up_us", "ramp_up", "ramp_up (%s) is longer than the duration", ramp_too_long},
};

int plan_validate(const struct plan *p, const char *section, struct plan_problem *pb)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];

		if (strcmp(r->section, section) != 0 || !r->broken(p, pb->wire, sizeof(pb->wire)))
			continue;
		pb->json_key = r->json_key;
		pb->key = r->key;
		pb->user = r->user;
		return -1;
	}
	return 0;
}
