/* The plan's text that is compiled before it runs - templates, expressions, regexes and
 * JSONPaths - checked in one place (common/plan_text.c) for the scenario loader, which reports
 * at file:line:col, and for the plan decoder, which reports at the JSON path: a plan that
 * loads or decodes never meets a syntax error under load. */
#ifndef BARRAGE_COMMON_PLAN_TEXT_H
#define BARRAGE_COMMON_PLAN_TEXT_H

#include <stddef.h>

enum plan_text_kind {
	PLAN_TEXT_TEMPLATE, /* common/tmpl.h; `esc` is its enum tmpl_escape */
	PLAN_TEXT_EXPR,	    /* common/expr.h */
	PLAN_TEXT_REGEX,    /* PCRE2 */
	PLAN_TEXT_JSONPATH, /* common/jsonpath.h */
};

/* Called with each variable a template or expression reads. */
typedef void (*plan_text_use)(void *ctx, const char *name);

/* Compiles len bytes of src as `kind` and throws the result away. 0 when it compiles; else -1
 * with *off the byte offset of the problem and *msg the compiler's message (the caller frees
 * it; NULL when the compiler gave none). `use` (may be NULL) sees the variables read. */
int plan_text_check(enum plan_text_kind kind, const char *src, size_t len, int esc, size_t *off,
		    char **msg, plan_text_use use, void *ctx);

#endif
