/* A JSONPath subset for `capture: { json: ... }`: pick values out of a parsed response body.
 *
 *   $                the whole document
 *   .key  ['key']    an object member ("key" in double quotes works too; ['a.b'] for odd names)
 *   [n]              an array element; negative n counts from the end ([-1] is the last)
 *   [*]  .*          every element of an array, or every member value of an object
 *
 * No recursive descent (..), filters or slices. A path starts with `$`.
 *
 * Compile once (the controller reports errors at the scenario's line:col; the agent when it
 * decodes the plan), evaluate per response over a jansson tree (json_loadb). Matches are handed
 * to a callback as text: strings raw (unquoted, unescaped), numbers, booleans and null as their
 * JSON text, objects and arrays as compact JSON. Missing members, out-of-range indexes and
 * steps applied to the wrong type simply match nothing. */
#ifndef BARRAGE_COMMON_JSONPATH_H
#define BARRAGE_COMMON_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct jsonpath;

/* Called once per match, in document order. val is valid only during the call (it may point
 * into the jansson tree or a scratch buffer) and is NUL-terminated at val[len]. */
typedef void (*jsonpath_emit_fn)(void *ctx, const char *val, size_t len);

/* Compile src (NUL-terminated). On error returns -1, *err says what and *err_col (if not NULL)
 * is the 0-based byte offset in src where it was found. */
int jsonpath_compile(const char *src, struct jsonpath **out, char **err, size_t *err_col);
void jsonpath_free(struct jsonpath *p);

/* Evaluate over root; returns the number of matches (0 when nothing matched), or -1 when a
 * match could not be formatted (out of memory). Objects and arrays are formatted into a
 * temporary buffer; strings, numbers and literals need no allocation. */
int jsonpath_eval(const struct jsonpath *p, const json_t *root, jsonpath_emit_fn emit, void *ctx);

/* The hot-path form: stops after max matches (0: no limit) and formats objects and arrays into
 * the caller's scratch buffer (reset before each such match) instead of allocating. */
int jsonpath_eval_ex(const struct jsonpath *p, const json_t *root, size_t max, struct buf *scratch,
		     jsonpath_emit_fn emit, void *ctx);

/* True when the path has no wildcard, so it matches at most one value. */
bool jsonpath_definite(const struct jsonpath *p);

#endif
