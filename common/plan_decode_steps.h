/* Decoding steps and name/value lists (common/plan_decode_steps.c), for common/plan_decode.c. */
#ifndef BARRAGE_COMMON_PLAN_DECODE_STEPS_H
#define BARRAGE_COMMON_PLAN_DECODE_STEPS_H

#include <jansson.h>
#include <stddef.h>

#include "common/plan.h"
#include "common/plan_json.h"

/* A list of name/value pairs; `values_required` says whether value may be absent. */
int plan_decode_kvs(struct plan_dec *d, json_t *o, const char *key, int flags, int esc,
		    struct plan_kv **out, size_t *nout);

int plan_decode_steps(struct plan_dec *d, json_t *o, const char *key, int flags,
		      struct plan_steps *out);

#endif
