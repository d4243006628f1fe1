/* The JSON primitives of the plan's codec (common/plan_json.c), shared by common/plan_*.c only:
 * enum names on the wire, the encoder's writers and the decoder's typed getters. */
#ifndef BARRAGE_COMMON_PLAN_JSON_H
#define BARRAGE_COMMON_PLAN_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/plan.h"
#include "common/plan_text.h"

/* Hard limits on what a decoded plan may hold: a plan is written by a person, so these are far
 * above anything real, and they keep a hostile or corrupt frame from eating the agent. */
#define PLAN_MAX_ARRAY	100000
#define PLAN_MAX_DEPTH	32
#define PLAN_MAX_STRING (1u << 20)

#define PLAN_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Names of enums on the wire, indexed by the enum's value. */
#define PLAN_N_MODEL 3
extern const char *const plan_model_names[PLAN_N_MODEL];
#define PLAN_N_ORDER 3
extern const char *const plan_order_names[PLAN_N_ORDER];
#define PLAN_N_STEP 9
extern const char *const plan_step_names[PLAN_N_STEP];
#define PLAN_N_CAPTURE 5
extern const char *const plan_capture_names[PLAN_N_CAPTURE];
#define PLAN_N_PICK 3
extern const char *const plan_pick_names[PLAN_N_PICK];
#define PLAN_N_ON_FAIL 3
extern const char *const plan_on_fail_names[PLAN_N_ON_FAIL];
#define PLAN_N_BODY 4
extern const char *const plan_body_names[PLAN_N_BODY];
#define PLAN_N_THINK 3
extern const char *const plan_think_names[PLAN_N_THINK];

const char *plan_json_enum_name(const char *const *names, size_t n, int v);

/* Encoding builds a jansson tree; allocation failures there are checked once at the end by
 * the dump (a NULL child makes json_object_set_new fail, which we count). */
struct plan_enc {
	int failed;
};

/* The decoder's state: where in the document it is (for messages) and how deep. */
struct plan_dec {
	char **err;
	char path[512];
	size_t plen;
	int depth;
	bool has_target;
};

/* Getter flags: an optional key may be absent (*out is left alone, so plan_new's defaults
 * survive); a required one may not; a non-empty string or array may not be empty. */
enum { PLAN_OPT = 0, PLAN_REQ = 1, PLAN_NONEMPTY = 2 };

/* Template escape for plan_json_chk: not a template at all. */
enum { PLAN_NO_TMPL = -1 };

void plan_json_put(struct plan_enc *e, json_t *o, const char *key, json_t *v);

void plan_json_put_str(struct plan_enc *e, json_t *o, const char *key, const char *s);

void plan_json_put_int(struct plan_enc *e, json_t *o, const char *key, int64_t v);

void plan_json_put_pos(struct plan_enc *e, json_t *o, struct plan_pos pos);

void plan_json_append(struct plan_enc *e, json_t *a, json_t *v);

size_t plan_json_push_key(struct plan_dec *d, const char *key);

size_t plan_json_push_idx(struct plan_dec *d, size_t i);

void plan_json_pop(struct plan_dec *d, size_t save);

int plan_json_fail(struct plan_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Every object is checked against its list of keys, so a typo or a field from a newer
 * controller is an error here rather than a silently ignored setting. */
int plan_json_check_keys(struct plan_dec *d, json_t *o, const char *const *keys);

/* Getters: each names the key in the path while it checks, and leaves *out alone when an
 * optional key is absent (so defaults set by plan_new survive). */
int plan_json_get_str(struct plan_dec *d, json_t *o, const char *key, int flags, char **out);

int plan_json_get_i64(struct plan_dec *d, json_t *o, const char *key, int flags, int64_t min,
		      int64_t max, int64_t *out);

int plan_json_get_u64(struct plan_dec *d, json_t *o, const char *key, int flags, uint64_t min,
		      uint64_t max, uint64_t *out);

int plan_json_get_u32(struct plan_dec *d, json_t *o, const char *key, int flags, uint32_t min,
		      uint32_t max, uint32_t *out);

int plan_json_get_int(struct plan_dec *d, json_t *o, const char *key, int flags, int min, int max,
		      int *out);

int plan_json_get_dbl(struct plan_dec *d, json_t *o, const char *key, int flags, double min,
		      double max, double *out);

int plan_json_get_bool(struct plan_dec *d, json_t *o, const char *key, bool *out);

int plan_json_get_u64_str(struct plan_dec *d, json_t *o, const char *key, uint64_t *out);

int plan_json_get_enum(struct plan_dec *d, json_t *o, const char *key, int flags,
		       const char *const *names, size_t n, int *out);

/* The array at key (or NULL when absent and optional); the path is left pointing at the key
 * on success when the array exists, so callers push indices under it and pop `*save`. */
int plan_json_get_arr(struct plan_dec *d, json_t *o, const char *key, int flags, json_t **out,
		      size_t *save);

int plan_json_want_obj(struct plan_dec *d, json_t *v);

/* The object at key, checked for type; NULL when absent. Path handling as get_arr. */
int plan_json_get_obj(struct plan_dec *d, json_t *o, const char *key, int flags, json_t **out,
		      size_t *save);

int plan_json_get_pos(struct plan_dec *d, json_t *o, struct plan_pos *pos);

/* Compiles src (NULL: nothing to check) as `kind` (common/plan_text.h); a failure names the key
 * and the offset. A template with esc PLAN_NO_TMPL is not a template. */
int plan_json_chk(struct plan_dec *d, const char *key, enum plan_text_kind kind, const char *src,
		  int esc);

void *plan_json_alloc_array(struct plan_dec *d, size_t n, size_t size);

#endif
