/* Checking the plan's compiled text (see plan_text.h): each kind is compiled by its own
 * module, the variables it reads are reported, and the compiled form is freed. */
#include "common/plan_text.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/expr.h"
#include "common/jsonpath.h"
#include "common/tmpl.h"

static int check_template(const char *src, int esc, size_t *off, char **msg, plan_text_use use,
			  void *ctx)
{
	struct tmpl *t = NULL;
	size_t i;

	if (tmpl_compile(src, (enum tmpl_escape)esc, &t, msg, off) != 0)
		return -1;
	for (i = 0; use && i < tmpl_var_count(t); i++)
		use(ctx, tmpl_var_name(t, i));
	tmpl_free(t);
	return 0;
}

static int check_expr(const char *src, size_t len, size_t *off, char **msg, plan_text_use use,
		      void *ctx)
{
	struct expr *x = NULL;
	size_t i;

	if (expr_compile(src, len, &x, msg, off) != 0)
		return -1;
	for (i = 0; use && i < expr_var_count(x); i++)
		use(ctx, expr_var_name(x, i));
	expr_free(x);
	return 0;
}

static int check_regex(const char *src, size_t len, size_t *off, char **msg)
{
	PCRE2_UCHAR text[256];
	PCRE2_SIZE at;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)src, len, 0, &code, &at, NULL);
	if (re) {
		pcre2_code_free(re);
		return 0;
	}
	pcre2_get_error_message(code, text, sizeof(text));
	*off = (size_t)at;
	*msg = strdup((const char *)text);
	return -1;
}

static int check_jsonpath(const char *src, size_t *off, char **msg)
{
	struct jsonpath *jp = NULL;

	if (jsonpath_compile(src, &jp, msg, off) != 0)
		return -1;
	jsonpath_free(jp);
	return 0;
}

int plan_text_check(enum plan_text_kind kind, const char *src, size_t len, int esc, size_t *off,
		    char **msg, plan_text_use use, void *ctx)
{
	*off = 0;
	*msg = NULL;
	switch (kind) {
	case PLAN_TEXT_TEMPLATE:
		return check_template(src, esc, off, msg, use, ctx);
	case PLAN_TEXT_EXPR:
		return check_expr(src, len, off, msg, use, ctx);
	case PLAN_TEXT_REGEX:
		return check_regex(src, len, off, msg);
	case PLAN_TEXT_JSONPATH:
		return check_jsonpath(src, off, msg);
	}
	return -1;
}
