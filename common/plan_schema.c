/* The plan's plain fields as data (see plan_schema.h), and what is done with them generically:
 * freeing, copying, encoding and decoding. The rows of each JSON object are in the order the
 * encoder writes them (plan.json and the PLAN frame are compared byte for byte with golden
 * copies in tests/fixtures/plans/). */
#include "common/plan_schema.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OFF(member) offsetof(struct plan, member)
#define HOOK(obj, key)                                                                             \
	{                                                                                          \
		obj, key, PLAN_FIELD_HOOK, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0                      \
	}
#define MAX_US INT64_MAX

/* clang-format off */
const struct plan_field plan_fields[] = {
	/* json_obj, json_key, type, offset,
	 *	YAML section, key, name in messages, user min, max, wire min, max, flags */
	HOOK("", "version"),
	{"", "name", PLAN_FIELD_STRING, OFF(name), NULL, NULL, NULL, 0, 0, 0, 0, 0},
	{"", "source", PLAN_FIELD_STRING, OFF(source), NULL, NULL, NULL, 0, 0, 0, 0, 0},
	{"", "target", PLAN_FIELD_STRING, OFF(target), NULL, NULL, NULL, 0, 0, 0, 0,
	 PLAN_FIELD_NONEMPTY},
	HOOK("", "http"),
	HOOK("", "load"),
	HOOK("", "data"),
	HOOK("", "variables"),
	HOOK("", "sessions"),
	HOOK("", "thresholds"),
	HOOK("", "agents"),
	{"", "interval_us", PLAN_FIELD_DURATION, OFF(interval_us),
	 "report", "interval", "report interval", 100000, 0, 1000, MAX_US, 0},
	{"", "grace_us", PLAN_FIELD_DURATION, OFF(grace_us),
	 "load", "grace", "grace", 0, 0, 0, MAX_US, 0},
	HOOK("", "share"),

	{"http", "timeout_us", PLAN_FIELD_DURATION, OFF(http.timeout_us),
	 "http", "timeout", "timeout", 1000, 0, 1, MAX_US, 0},
	{"http", "connect_timeout_us", PLAN_FIELD_DURATION, OFF(http.connect_timeout_us),
	 "http", "connect_timeout", "connect_timeout", 1000, 0, 1, MAX_US, 0},
	{"http", "keepalive", PLAN_FIELD_BOOL, OFF(http.keepalive),
	 "http", "keepalive", "keepalive", 0, 0, 0, 0, 0},
	{"http", "version", PLAN_FIELD_HOOK, 0, "http", "version", NULL, 0, 0, 0, 0, 0},
	{"http", "tls_verify", PLAN_FIELD_BOOL, OFF(http.tls_verify),
	 "http.tls", "verify", "verify", 0, 0, 0, 0, 0},
	{"http", "tls_ca", PLAN_FIELD_FILE, OFF(http.tls_ca),
	 "http.tls", "ca", "tls ca", 0, 0, 0, 0, PLAN_FIELD_NONEMPTY},
	{"http", "tls_cert", PLAN_FIELD_FILE, OFF(http.tls_cert),
	 "http.tls", "cert", "tls cert", 0, 0, 0, 0, PLAN_FIELD_NONEMPTY},
	{"http", "tls_key", PLAN_FIELD_FILE, OFF(http.tls_key),
	 "http.tls", "key", "tls key", 0, 0, 0, 0, PLAN_FIELD_NONEMPTY},
	{"http", "tls_ciphers", PLAN_FIELD_STRING, OFF(http.tls_ciphers),
	 "http.tls", "ciphers", "tls ciphers", 0, 0, 0, 0, PLAN_FIELD_NONEMPTY},
	{"http", "tls_session_reuse", PLAN_FIELD_BOOL, OFF(http.tls_session_reuse),
	 "http.tls", "session_reuse", "session_reuse", 0, 0, 0, 0, 0},
	{"http", "headers", PLAN_FIELD_HOOK, 0, "http", "headers", NULL, 0, 0, 0, 0, 0},
	{"http", "share_connections", PLAN_FIELD_BOOL, OFF(http.share_connections),
	 "http", "share_connections", "share_connections", 0, 0, 0, 0, 0},
	{"http", "max_body", PLAN_FIELD_SIZE, OFF(http.max_body),
	 "http", "max_body", "max_body", 0, 1LL << 32, 0, 1LL << 32, 0},
	{"http", "compression", PLAN_FIELD_BOOL, OFF(http.compression),
	 "http", "compression", "compression", 0, 0, 0, 0, 0},
	{"http", "follow_redirects", PLAN_FIELD_U32, OFF(http.follow_redirects),
	 "http", "follow_redirects", "follow_redirects", 0, PLAN_MAX_REDIRECTS,
	 0, PLAN_MAX_REDIRECTS, 0},
	{"http", "client", PLAN_FIELD_HOOK, 0, "http", "client", NULL, 0, 0, 0, 0, 0},
	/* A list of addresses in the scenario, read by hand (scenario_sections.c). */
	{"http", "source_addresses", PLAN_FIELD_STRING, OFF(http.source_addresses),
	 "http", "source_addresses", NULL, 0, 0, 0, 0,
	 PLAN_FIELD_NONEMPTY | PLAN_FIELD_YAML_BY_HAND},

	{"agents", "local", PLAN_FIELD_U32, OFF(agents.local),
	 "agents", "local", "local agents", 1, 1024, 0, 100000, 0},
	{"agents", "hosts", PLAN_FIELD_HOOK, 0, "agents", "hosts", NULL, 0, 0, 0, 0, 0},
	{"agents", "hosts_file", PLAN_FIELD_FILE, OFF(agents.hosts_file),
	 "agents", "hosts_file", "hosts_file", 0, 0, 0, 0, PLAN_FIELD_NONEMPTY},
	{"agents", "max_lost", PLAN_FIELD_U32, OFF(agents.max_lost),
	 "agents", "max_lost", "max_lost", 0, 100000, 0, UINT32_MAX, 0},
	{"agents", "threads", PLAN_FIELD_U32, OFF(agents.threads),
	 "agents", "threads", "threads", 1, 1024, 0, 1024, 0},
	{"agents", "link_timeout_us", PLAN_FIELD_DURATION, OFF(agents.link_timeout_us),
	 "agents", "link_timeout", "link_timeout", 2000000, 3600000000LL, 0, 3600000000LL, 0},
};
/* clang-format on */

const size_t plan_nfields = sizeof(plan_fields) / sizeof(plan_fields[0]);

void *plan_field_ptr(struct plan *p, const struct plan_field *f)
{
	return (char *)p + f->off;
}

const void *plan_field_cptr(const struct plan *p, const struct plan_field *f)
{
	return (const char *)p + f->off;
}

static bool is_string(const struct plan_field *f)
{
	return f->type == PLAN_FIELD_STRING || f->type == PLAN_FIELD_FILE;
}

void plan_fields_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < plan_nfields; i++)
		if (is_string(&plan_fields[i])) {
			char **s = plan_field_ptr(p, &plan_fields[i]);

			free(*s);
			*s = NULL;
		}
}

bool plan_fields_clone(struct plan *dst, const struct plan *src)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];
		char *const *from;
		char **to;

		if (!is_string(f))
			continue;
		from = plan_field_cptr(src, f);
		to = plan_field_ptr(dst, f);
		*to = *from ? strdup(*from) : NULL;
		if (*from && !*to)
			ok = false;
	}
	return ok;
}

static void encode_one(struct plan_enc *e, json_t *o, const struct plan_field *f,
		       const struct plan *p)
{
	const void *v = plan_field_cptr(p, f);

	switch (f->type) {
	case PLAN_FIELD_HOOK:
		break;
	case PLAN_FIELD_DURATION:
		plan_json_put_int(e, o, f->json_key, *(const int64_t *)v);
		break;
	case PLAN_FIELD_BOOL:
		plan_json_put(e, o, f->json_key, json_boolean(*(const bool *)v));
		break;
	case PLAN_FIELD_U32:
		plan_json_put_int(e, o, f->json_key, *(const uint32_t *)v);
		break;
	case PLAN_FIELD_SIZE:
		plan_json_put_int(e, o, f->json_key, (int64_t) * (const uint64_t *)v);
		break;
	case PLAN_FIELD_STRING:
	case PLAN_FIELD_FILE:
		plan_json_put_str(e, o, f->json_key, *(char *const *)v);
		break;
	}
}

void plan_fields_encode(struct plan_enc *e, json_t *o, const char *obj, const struct plan *p,
			plan_enc_hook hook)
{
	size_t i;

	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];

		if (strcmp(f->json_obj, obj) != 0)
			continue;
		if (f->type == PLAN_FIELD_HOOK)
			hook(e, o, obj, f->json_key, p);
		else
			encode_one(e, o, f, p);
	}
}

static int decode_one(struct plan_dec *d, json_t *o, const struct plan_field *f, struct plan *p)
{
	void *v = plan_field_ptr(p, f);

	switch (f->type) {
	case PLAN_FIELD_HOOK:
		return 0;
	case PLAN_FIELD_DURATION:
		return plan_json_get_i64(d, o, f->json_key, PLAN_OPT, f->wire_min, f->wire_max, v);
	case PLAN_FIELD_BOOL:
		return plan_json_get_bool(d, o, f->json_key, v);
	case PLAN_FIELD_U32:
		return plan_json_get_u32(d, o, f->json_key, PLAN_OPT, (uint32_t)f->wire_min,
					 (uint32_t)f->wire_max, v);
	case PLAN_FIELD_SIZE:
		return plan_json_get_u64(d, o, f->json_key, PLAN_OPT, (uint64_t)f->wire_min,
					 (uint64_t)f->wire_max, v);
	case PLAN_FIELD_STRING:
	case PLAN_FIELD_FILE:
		return plan_json_get_str(
		    d, o, f->json_key,
		    PLAN_OPT | (f->flags & PLAN_FIELD_NONEMPTY ? PLAN_NONEMPTY : 0), v);
	}
	return 0;
}

int plan_fields_decode(struct plan_dec *d, json_t *o, const char *obj, struct plan *p,
		       plan_dec_hook hook)
{
	const char *keys[64];
	size_t i, n = 0;

	for (i = 0; i < plan_nfields && n + 1 < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(plan_fields[i].json_obj, obj) == 0)
			keys[n++] = plan_fields[i].json_key;
	keys[n] = NULL;
	if (plan_json_check_keys(d, o, keys) != 0)
		return -1;
	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];

		if (strcmp(f->json_obj, obj) != 0)
			continue;
		if (f->type == PLAN_FIELD_HOOK ? hook(d, o, obj, f->json_key, p) != 0
					       : decode_one(d, o, f, p) != 0)
			return -1;
	}
	return 0;
}
