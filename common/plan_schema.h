/* The plan's plain fields as data: one row per field says where the user writes it in the
 * scenario (YAML mapping and key), what it is called in messages, its key in the plan's JSON,
 * its type and place in struct plan, and its bounds. The rows drive the scenario loader's
 * mapping of plain fields (controller/scenario_scalars.c, sc_map_fields), the JSON encoder and
 * decoder (common/plan_encode.c, common/plan_decode.c) and freeing and copying (common/plan.c).
 *
 * Compound things (steps, phases, hosts, headers, thresholds, enums with their own spelling)
 * are written by hand; they appear in the table as PLAN_FIELD_HOOK rows so that each JSON
 * object's keys, in the order they are written, are the table's rows. Adding a plain field is
 * one row here (plus its member in struct plan and its line in the docs); see
 * docs/architecture.md, "adding a plan field". */
#ifndef BARRAGE_COMMON_PLAN_SCHEMA_H
#define BARRAGE_COMMON_PLAN_SCHEMA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/plan.h"
#include "common/plan_json.h"

enum plan_field_type {
	PLAN_FIELD_HOOK,     /* written by hand: the codec calls the object's hook with the key */
	PLAN_FIELD_DURATION, /* int64_t microseconds; YAML "1500ms", JSON an integer */
	PLAN_FIELD_BOOL,     /* bool */
	PLAN_FIELD_U32,	     /* uint32_t; YAML a whole number ("3", "10k") */
	PLAN_FIELD_SIZE,     /* uint64_t bytes; YAML "64k", "1MiB" */
	PLAN_FIELD_STRING,   /* char *, owned by the plan; NULL when not set */
	PLAN_FIELD_FILE,     /* a STRING that is a path: resolved against the scenario's folder
				and checked readable by the loader */
};

/* flags */
#define PLAN_FIELD_NONEMPTY	1u /* an empty string is refused */
#define PLAN_FIELD_YAML_BY_HAND 2u /* the loader reads it by hand (its YAML is not its type) */

struct plan_field {
	const char *json_obj; /* JSON object that holds the key: "http", "agents"; "" = the top */
	const char *json_key; /* key in that object */
	enum plan_field_type type;
	size_t off; /* offsetof(struct plan, ...) */
	/* The scenario side: the YAML mapping ("http", "http.tls", "report") and key the field
	 * is written at, and its name in messages. A mapping's valid keys, in the order its
	 * messages list them, are its rows' keys in table order (a row of "http.tls" stands for
	 * the key "tls" of "http"). The loader reads the plain rows; HOOK rows and rows flagged
	 * PLAN_FIELD_YAML_BY_HAND are read by hand. NULL section: not in the scenario (or set by
	 * the loader by hand, like name and target). */
	const char *section;
	const char *key;
	const char *what;
	int64_t min, max;	    /* what a user may write (max 0 = no upper bound) */
	int64_t wire_min, wire_max; /* what the decoder accepts: defaults and an agent's share */
	unsigned flags;
};

extern const struct plan_field plan_fields[];
extern const size_t plan_nfields;

/* The field's storage in p. */
void *plan_field_ptr(struct plan *p, const struct plan_field *f);
const void *plan_field_cptr(const struct plan *p, const struct plan_field *f);

/* Strings of the table's rows: freed (and NULLed), or duplicated into dst after a shallow copy
 * of src (false on no memory; dst's strings are then NULL or copies, so plan_free works). */
void plan_fields_free(struct plan *p);
bool plan_fields_clone(struct plan *dst, const struct plan *src);

/* The JSON object `obj` ("" for the top): each row in table order, hook rows by the hook. */
typedef void (*plan_enc_hook)(struct plan_enc *e, json_t *o, const char *obj, const char *key,
			      const struct plan *p);
typedef int (*plan_dec_hook)(struct plan_dec *d, json_t *o, const char *obj, const char *key,
			     struct plan *p);
void plan_fields_encode(struct plan_enc *e, json_t *o, const char *obj, const struct plan *p,
			plan_enc_hook hook);
/* Checks o's keys against the rows of obj, then decodes each row (0, or -1 with the path). */
int plan_fields_decode(struct plan_dec *d, json_t *o, const char *obj, struct plan *p,
		       plan_dec_hook hook);

#endif
