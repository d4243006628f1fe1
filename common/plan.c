/* A new plan with its defaults, the client names, and the load's duration (see plan.h).
 * Freeing and copying are in common/plan_free_clone.c, the JSON codec in common/plan_encode.c
 * and common/plan_decode*.c, the plain fields' table in common/plan_schema.c. */
#include "common/plan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/version.h"

/* ---- allocation ---- */

const char *plan_client_name(int client)
{
	switch (client) {
	case PLAN_CLIENT_LEAN:
		return "lean";
	case PLAN_CLIENT_AUTO:
		return "auto";
	default:
		return "curl";
	}
}

int plan_client_parse(const char *s)
{
	if (strcmp(s, "curl") == 0)
		return PLAN_CLIENT_CURL;
	if (strcmp(s, "lean") == 0)
		return PLAN_CLIENT_LEAN;
	if (strcmp(s, "auto") == 0)
		return PLAN_CLIENT_AUTO;
	return -1;
}

struct plan *plan_new(void)
{
	struct plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->version = BARRAGE_PLAN_VERSION;
	p->http.timeout_us = 10 * 1000000LL;
	p->http.connect_timeout_us = 3 * 1000000LL;
	p->http.keepalive = true;
	p->http.version = 11;
	p->http.tls_verify = true;
	p->http.tls_session_reuse = true;
	p->http.max_body = 1u << 20;
	p->http.compression = true;
	p->http.client = PLAN_CLIENT_AUTO;
	p->load.model = PLAN_MODEL_OPEN;
	p->interval_us = 10 * 1000000LL;
	p->grace_us = 5 * 1000000LL;
	p->agents.link_timeout_us = PLAN_LINK_TIMEOUT_US;
	p->share.index = 0;
	p->share.count = 1;
	p->share.fraction = 1.0;
	return p;
}

int64_t plan_load_duration_us(const struct plan *p)
{
	int64_t total = 0;
	size_t i;

	if (p->load.model != PLAN_MODEL_OPEN)
		return p->load.duration_us;
	for (i = 0; i < p->load.nphases; i++) {
		if (p->load.phases[i].duration_us > INT64_MAX - total)
			return INT64_MAX;
		total += p->load.phases[i].duration_us;
	}
	return total;
}
