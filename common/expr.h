/* The expression language of templates ({{ ... }}), conditions (if, while) and set.
 *
 *   literals     42, 1.5, "text", 'text', true, false
 *   variables    token, accounts.user (a data column), item
 *   functions    random_int(a, b), random_string(n), uuid(), user_id(), now_ms(), len(list)
 *   operators    == != < <= > >=  && || !  + - * / %  ( )
 *
 * Values are numbers or strings; a comparison is numeric when both sides read as numbers, else
 * by bytes. Truthiness: false, 0, "" and an unset variable are false. `+` adds numbers and
 * concatenates otherwise. Variables hold text; text that reads as a number counts as one
 * ("5" + 1 is 6, "0" is false). An unset variable is "". true, false and the results of
 * comparisons and logic are the strings "true" and "false". docs/expressions.md has it all.
 *
 * Compile once (controller, to report errors at the scenario's line:col; agent, when it decodes
 * the plan); evaluate many times on the hot path without allocating: results go into a caller's
 * scratch buffer. */
#ifndef BARRAGE_COMMON_EXPR_H
#define BARRAGE_COMMON_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct expr;

/* What an expression can read. Supplied by the runner (the agent's user) per evaluation. */
struct expr_env {
	/* Value of variable `name` (len bytes, not NUL-terminated). Returns 0 and sets *val and
	 * *vlen (valid until the user's variables change), or -1 when unset. For a list variable
	 * the value is its first element, and *count (if not NULL) is set to the number of items.
	 * For a plain variable *count may be set to 1 or left alone; len() counts it as 1. */
	int (*lookup)(void *ctx, const char *name, size_t name_len, const char **val, size_t *vlen,
		      size_t *count);
	void *ctx;
	uint64_t *rng;	  /* xorshift64* state for random_int, random_string, uuid */
	uint64_t user_id; /* user_id() */
	int64_t now_ms;	  /* now_ms(); the caller sets it once per step */
};

struct expr_value {
	bool is_num;
	double num;
	const char *str; /* when !is_num: points into the scratch buffer or the variable store */
	size_t len;
};

/* Compile src. On error returns -1 and *err says what is wrong, and *err_col (if not NULL) is
 * the 0-based byte offset in src where it was found, so callers can point at line:col. */
int expr_compile(const char *src, size_t len, struct expr **out, char **err, size_t *err_col);
void expr_free(struct expr *e);

/* Evaluate. scratch holds intermediate strings; reset it between evaluations. Errors (a
 * division by zero, a function given a bad argument) return -1 with *err. */
int expr_eval(const struct expr *e, const struct expr_env *env, struct buf *scratch,
	      struct expr_value *out, char **err);
bool expr_truthy(const struct expr_value *v);
/* Render a value as text (numbers without a trailing .0 when whole). */
int expr_value_append(const struct expr_value *v, struct buf *out);

/* Variables the expression reads (for the checker's "used before set" warnings). */
size_t expr_var_count(const struct expr *e);
const char *expr_var_name(const struct expr *e, size_t i);

/* True when the expression reads no variable and calls no function whose result varies
 * (random_*, uuid, user_id, now_ms): it may be evaluated once and the result kept. */
bool expr_constant(const struct expr *e);
/* When the whole expression is one variable (`{{ token }}`), its name (*len bytes, also
 * NUL-terminated), else NULL: a caller may then skip evaluation and copy the value itself. */
const char *expr_single_var(const struct expr *e, size_t *len);

/* The rules the language uses, for callers that want the same ones. expr_format_number writes
 * the text of d (whole numbers without ".0"; else the shortest form that reads back the same)
 * and returns its length. expr_parse_number accepts exactly [+-]digits[.digits][e[+-]digits]
 * (or .digits), no spaces, hex, inf or nan: 0 and *out, or -1. */
int expr_format_number(double d, char *out, size_t n);
int expr_parse_number(const char *s, size_t len, double *out);

#endif
