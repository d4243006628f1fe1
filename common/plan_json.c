/* The JSON primitives of the plan's codec: the wire names of its enums, writing values with
 * one failure flag checked at the end, and reading typed values with the JSON path of the value
 * kept for messages ("sessions[0].steps[2].request.url: ...") and every size bounded. */
#include "common/plan_json.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/plan_text.h"

/* ---- names of enums on the wire ---- */

const char *const plan_model_names[PLAN_N_MODEL] = {"open", "closed", "rate"};
const char *const plan_order_names[PLAN_N_ORDER] = {"sequential", "random", "unique"};
const char *const plan_step_names[PLAN_N_STEP] = {
    "request", "think", "transaction", "if", "repeat", "while", "foreach", "set", "abort"};
const char *const plan_capture_names[PLAN_N_CAPTURE] = {"json", "regex", "header", "cookie",
							"status"};
const char *const plan_pick_names[PLAN_N_PICK] = {"first", "random", "all"};
const char *const plan_on_fail_names[PLAN_N_ON_FAIL] = {"abort", "continue", "restart"};
const char *const plan_body_names[PLAN_N_BODY] = {"none", "raw", "json", "form"};
const char *const plan_think_names[PLAN_N_THINK] = {"fixed", "uniform", "exponential"};

const char *plan_json_enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

/* ---- encoding ---- */

void plan_json_put(struct plan_enc *e, json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		e->failed = 1;
}

void plan_json_put_str(struct plan_enc *e, json_t *o, const char *key, const char *s)
{
	if (s)
		plan_json_put(e, o, key, json_string(s));
}

void plan_json_put_int(struct plan_enc *e, json_t *o, const char *key, int64_t v)
{
	plan_json_put(e, o, key, json_integer((json_int_t)v));
}

void plan_json_put_pos(struct plan_enc *e, json_t *o, struct plan_pos pos)
{
	if (pos.line > 0 || pos.col > 0) {
		plan_json_put_int(e, o, "line", pos.line);
		plan_json_put_int(e, o, "col", pos.col);
	}
}

void plan_json_append(struct plan_enc *e, json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) != 0)
		e->failed = 1;
}

/* ---- decoding ---- */

size_t plan_json_push_key(struct plan_dec *d, const char *key)
{
	size_t save = d->plen;
	int n =
	    snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "%s%s", d->plen ? "." : "", key);

	if (n > 0)
		d->plen = d->plen + (size_t)n < sizeof(d->path) ? d->plen + (size_t)n
								: sizeof(d->path) - 1;
	return save;
}

size_t plan_json_push_idx(struct plan_dec *d, size_t i)
{
	size_t save = d->plen;
	int n = snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "[%zu]", i);

	if (n > 0)
		d->plen = d->plen + (size_t)n < sizeof(d->path) ? d->plen + (size_t)n
								: sizeof(d->path) - 1;
	return save;
}

void plan_json_pop(struct plan_dec *d, size_t save)
{
	d->plen = save;
	d->path[save] = '\0';
}

int plan_json_fail(struct plan_dec *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(d->err, "plan: %s: %s", d->plen ? d->path : "(top)", msg);
}

static const char *json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* Every object is checked against its list of keys, so a typo or a field from a newer
 * controller is an error here rather than a silently ignored setting. */
int plan_json_check_keys(struct plan_dec *d, json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		size_t i;

		for (i = 0; keys[i]; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (!keys[i]) {
			plan_json_push_key(d, key);
			return plan_json_fail(d, "unknown key");
		}
	}
	return 0;
}

/* The member at key, its name pushed on the path: 1 when present (pop the path when done with
 * it), 0 when absent and optional (path popped, *out left alone by the caller), -1 when a
 * required key is missing. A JSON null counts as absent where null_absent says so. */
static int member(struct plan_dec *d, json_t *o, const char *key, int flags, bool null_absent,
		  json_t **v, size_t *save)
{
	*v = json_object_get(o, key);
	*save = plan_json_push_key(d, key);
	if (*v && !(null_absent && json_is_null(*v)))
		return 1;
	if (flags & PLAN_REQ)
		return plan_json_fail(d, "missing");
	plan_json_pop(d, *save);
	return 0;
}

/* Getters: each names the key in the path while it checks, and leaves *out alone when an
 * optional key is absent (so defaults set by plan_new survive). */
int plan_json_get_str(struct plan_dec *d, json_t *o, const char *key, int flags, char **out)
{
	json_t *v;
	size_t save;
	size_t len;
	int rc = member(d, o, key, flags, true, &v, &save);

	if (rc <= 0)
		return rc;
	if (!json_is_string(v))
		return plan_json_fail(d, "expected a string, got %s", json_type_word(v));
	len = json_string_length(v);
	if (len != strlen(json_string_value(v)))
		return plan_json_fail(d, "string holds a NUL byte");
	if (len > PLAN_MAX_STRING)
		return plan_json_fail(d, "string longer than %u bytes", PLAN_MAX_STRING);
	if ((flags & PLAN_NONEMPTY) && len == 0)
		return plan_json_fail(d, "must not be empty");
	free(*out);
	*out = strdup(json_string_value(v));
	if (!*out)
		return plan_json_fail(d, "out of memory");
	plan_json_pop(d, save);
	return 0;
}

int plan_json_get_i64(struct plan_dec *d, json_t *o, const char *key, int flags, int64_t min,
		      int64_t max, int64_t *out)
{
	json_t *v;
	size_t save;
	int64_t n;
	int rc = member(d, o, key, flags, false, &v, &save);

	if (rc <= 0)
		return rc;
	if (!json_is_integer(v))
		return plan_json_fail(d, "expected an integer, got %s", json_type_word(v));
	n = (int64_t)json_integer_value(v);
	if (n < min || n > max)
		return plan_json_fail(d, "%lld is out of range [%lld, %lld]", (long long)n,
				      (long long)min, (long long)max);
	*out = n;
	plan_json_pop(d, save);
	return 0;
}

int plan_json_get_u64(struct plan_dec *d, json_t *o, const char *key, int flags, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	int64_t v = (int64_t)*out;

	if (plan_json_get_i64(d, o, key, flags, (int64_t)min, (int64_t)max, &v) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int plan_json_get_u32(struct plan_dec *d, json_t *o, const char *key, int flags, uint32_t min,
		      uint32_t max, uint32_t *out)
{
	int64_t v = *out;

	if (plan_json_get_i64(d, o, key, flags, min, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int plan_json_get_int(struct plan_dec *d, json_t *o, const char *key, int flags, int min, int max,
		      int *out)
{
	int64_t v = *out;

	if (plan_json_get_i64(d, o, key, flags, min, max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

int plan_json_get_dbl(struct plan_dec *d, json_t *o, const char *key, int flags, double min,
		      double max, double *out)
{
	json_t *v;
	size_t save;
	double n;
	int rc = member(d, o, key, flags, false, &v, &save);

	if (rc <= 0)
		return rc;
	if (!json_is_number(v))
		return plan_json_fail(d, "expected a number, got %s", json_type_word(v));
	n = json_number_value(v);
	if (!isfinite(n) || n < min || n > max)
		return plan_json_fail(d, "%g is out of range [%g, %g]", n, min, max);
	*out = n;
	plan_json_pop(d, save);
	return 0;
}

int plan_json_get_bool(struct plan_dec *d, json_t *o, const char *key, bool *out)
{
	json_t *v;
	size_t save;
	int rc = member(d, o, key, PLAN_OPT, false, &v, &save);

	if (rc <= 0)
		return rc;
	if (!json_is_boolean(v))
		return plan_json_fail(d, "expected a boolean, got %s", json_type_word(v));
	*out = json_is_true(v);
	plan_json_pop(d, save);
	return 0;
}

int plan_json_get_u64_str(struct plan_dec *d, json_t *o, const char *key, uint64_t *out)
{
	json_t *v;
	size_t save;
	unsigned long long n;
	const char *s;
	char *end;
	int rc = member(d, o, key, PLAN_OPT, false, &v, &save);

	if (rc <= 0)
		return rc;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		plan_json_pop(d, save);
		return 0;
	}
	if (!json_is_string(v))
		return plan_json_fail(d, "expected an unsigned integer as a string, got %s",
				      json_type_word(v));
	s = json_string_value(v);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno)
		return plan_json_fail(d, "'%.40s' is not an unsigned 64-bit integer", s);
	*out = n;
	plan_json_pop(d, save);
	return 0;
}

int plan_json_get_enum(struct plan_dec *d, json_t *o, const char *key, int flags,
		       const char *const *names, size_t n, int *out)
{
	json_t *v;
	size_t save;
	size_t i;
	int rc = member(d, o, key, flags, false, &v, &save);

	if (rc <= 0)
		return rc;
	if (!json_is_string(v))
		return plan_json_fail(d, "expected a string, got %s", json_type_word(v));
	for (i = 0; i < n; i++)
		if (strcmp(names[i], json_string_value(v)) == 0) {
			*out = (int)i;
			plan_json_pop(d, save);
			return 0;
		}
	return plan_json_fail(d, "unknown value '%.40s'", json_string_value(v));
}

/* The array at key (or NULL when absent and optional); the path is left pointing at the key
 * on success when the array exists, so callers push indices under it and pop `*save`. */
int plan_json_get_arr(struct plan_dec *d, json_t *o, const char *key, int flags, json_t **out,
		      size_t *save)
{
	json_t *v;
	int rc;

	*out = NULL;
	rc = member(d, o, key, flags, true, &v, save);
	if (rc <= 0)
		return rc;
	if (!json_is_array(v))
		return plan_json_fail(d, "expected an array, got %s", json_type_word(v));
	if (json_array_size(v) > PLAN_MAX_ARRAY)
		return plan_json_fail(d, "more than %d items", PLAN_MAX_ARRAY);
	if ((flags & PLAN_NONEMPTY) && json_array_size(v) == 0)
		return plan_json_fail(d, "must not be empty");
	*out = v;
	return 0;
}

int plan_json_want_obj(struct plan_dec *d, json_t *v)
{
	if (!json_is_object(v))
		return plan_json_fail(d, "expected an object, got %s", json_type_word(v));
	return 0;
}

/* The object at key, checked for type; NULL when absent. Path handling as get_arr. */
int plan_json_get_obj(struct plan_dec *d, json_t *o, const char *key, int flags, json_t **out,
		      size_t *save)
{
	json_t *v;
	int rc;

	*out = NULL;
	rc = member(d, o, key, flags, false, &v, save);
	if (rc <= 0)
		return rc;
	if (plan_json_want_obj(d, v) != 0)
		return -1;
	*out = v;
	return 0;
}

int plan_json_get_pos(struct plan_dec *d, json_t *o, struct plan_pos *pos)
{
	if (plan_json_get_int(d, o, "line", PLAN_OPT, 0, INT_MAX, &pos->line) != 0 ||
	    plan_json_get_int(d, o, "col", PLAN_OPT, 0, INT_MAX, &pos->col) != 0)
		return -1;
	return 0;
}

/* Templates, expressions, JSONPaths and regexes are compiled once here, so a plan that decodes
 * can be run: the agent never meets a syntax error under load. */

int plan_json_chk(struct plan_dec *d, const char *key, enum plan_text_kind kind, const char *src,
		  int esc)
{
	static const char *const what[] = {
	    [PLAN_TEXT_TEMPLATE] = "template",
	    [PLAN_TEXT_EXPR] = "expression",
	    [PLAN_TEXT_REGEX] = "regex",
	    [PLAN_TEXT_JSONPATH] = "JSONPath",
	};
	char *e = NULL;
	size_t col = 0;

	if (!src || (kind == PLAN_TEXT_TEMPLATE && esc == PLAN_NO_TMPL))
		return 0;
	if (plan_text_check(kind, src, strlen(src), esc, &col, &e, NULL, NULL) == 0)
		return 0;
	plan_json_push_key(d, key);
	plan_json_fail(d, "bad %s at offset %zu: %s", what[kind], col, e ? e : "?");
	free(e);
	return -1;
}

void *plan_json_alloc_array(struct plan_dec *d, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		plan_json_fail(d, "out of memory");
	return p;
}
