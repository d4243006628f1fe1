/* Templates: text with {{ expression }} holes (the language is in expr.h).
 *
 * Compiled once, rendered per request into a caller's buffer with no allocation. A template
 * with no holes renders by a single copy; tmpl_constant() tells callers they may render it once
 * and keep the result. */
#ifndef BARRAGE_COMMON_TMPL_H
#define BARRAGE_COMMON_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/expr.h"

enum tmpl_escape {
	TMPL_ESCAPE_NONE = 0,
	TMPL_ESCAPE_JSON, /* values are inserted JSON-string-escaped (for json: bodies) */
	TMPL_ESCAPE_URL,  /* values are percent-encoded (form fields) */
};

struct tmpl;

/* On error returns -1, *err says what, *err_col is the 0-based offset in src. Only the values
 * of holes are escaped, never the literal text. Holes with constant expressions are evaluated
 * here and folded into the text. */
int tmpl_compile(const char *src, enum tmpl_escape esc, struct tmpl **out, char **err,
		 size_t *err_col);
void tmpl_free(struct tmpl *t);
/* True when the source has no {{ }} at all: the source text is the rendering. */
bool tmpl_constant(const struct tmpl *t);
/* Append the rendering to out. scratch is for expression evaluation. */
int tmpl_render(const struct tmpl *t, const struct expr_env *env, struct buf *scratch,
		struct buf *out, char **err);

/* When the rendering does not depend on the user — no holes, or only constant ones, folded
 * when compiling ({{ 1 + 2 }}, {{ '{{' }}) — its text (*len bytes; owned by t), else NULL. */
const char *tmpl_constant_text(const struct tmpl *t, size_t *len);
/* Append s to out escaped as esc asks: JSON string content (no quotes added), or percent-encoded
 * (all but A-Z a-z 0-9 - . _ ~). */
int tmpl_append_escaped(struct buf *out, enum tmpl_escape esc, const char *s, size_t len);

size_t tmpl_var_count(const struct tmpl *t);
const char *tmpl_var_name(const struct tmpl *t, size_t i);

#endif
