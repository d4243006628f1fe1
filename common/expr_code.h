/* The compiled form of an expression, shared by the compiler (expr_compile.c), the evaluator
 * (expr_eval.c) and the built-in functions (expr_fn.c); callers outside common/expr*.c use
 * expr.h only.
 *
 * A recursive-descent parser compiles the source once into a flat array of stack-machine
 * operations in postfix order, with string literals and variable names in one pool. `&&` and
 * `||` compile to conditional jumps so they short-circuit. Evaluation walks the array with a
 * fixed-size value stack on the C stack: no allocation, no recursion, no rescanning of text.
 * Strings made during evaluation (concatenations, random strings, uuids, numbers turned to
 * text) live in the caller's scratch buffer; because that buffer may move as it grows, the
 * stack holds them as offsets and turns them into pointers only at the end. */
#ifndef BARRAGE_COMMON_EXPR_CODE_H
#define BARRAGE_COMMON_EXPR_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/expr.h"

#define EXPR_STACK    64   /* value-stack slots; deeper expressions are refused at compile */
#define EXPR_MAX_NEST 48   /* parser recursion (parentheses, unary operators, calls) */
#define EXPR_MAX_OPS  4096 /* compiled size */

enum expr_op_kind {
	EXPR_OP_NUM,	 /* push num */
	EXPR_OP_STR,	 /* push pool[a .. a+b) */
	EXPR_OP_VAR,	 /* push variable a (index into vars) */
	EXPR_OP_LEN_VAR, /* push len(variable a) */
	EXPR_OP_CALL,	 /* call function sub with argc arguments from the stack */
	EXPR_OP_NOT,
	EXPR_OP_NEG,
	EXPR_OP_BIN, /* binary operator sub */
	EXPR_OP_AND, /* if top is false: replace by false and jump to a; else pop */
	EXPR_OP_OR,  /* if top is true: replace by true and jump to a; else pop */
	EXPR_OP_BOOL /* replace top by its truth value */
};

enum expr_bin_op {
	EXPR_BIN_EQ,
	EXPR_BIN_NE,
	EXPR_BIN_LT,
	EXPR_BIN_LE,
	EXPR_BIN_GT,
	EXPR_BIN_GE,
	EXPR_BIN_ADD,
	EXPR_BIN_SUB,
	EXPR_BIN_MUL,
	EXPR_BIN_DIV,
	EXPR_BIN_MOD
};

enum expr_fn_id {
	EXPR_FN_RANDOM_INT,
	EXPR_FN_RANDOM_STRING,
	EXPR_FN_UUID,
	EXPR_FN_USER_ID,
	EXPR_FN_NOW_MS,
	EXPR_FN_LEN,
	EXPR_FN_URLENCODE
};

/* The built-in functions by fn_id (expr_fn.c): what the parser checks a call against. */
struct expr_fn {
	const char *name;
	unsigned argc;
	bool pure; /* same result every time, given the same arguments */
};
extern const struct expr_fn expr_fn_table[];
extern const size_t expr_fn_count;

struct expr_op {
	uint8_t kind;
	uint8_t sub; /* expr_bin_op or expr_fn_id */
	uint16_t argc;
	uint32_t a, b;
	double num;
};

struct expr_var {
	uint32_t off, len; /* name in the pool, NUL-terminated there */
};

struct expr {
	struct expr_op *ops;
	size_t nops;
	char *pool;
	struct expr_var *vars;
	size_t nvars;
	bool constant; /* reads no variable and calls no impure function */
};

/* A value on the evaluator's stack. */
enum expr_val_kind { EXPR_V_NUM, EXPR_V_STR, EXPR_V_SCR };

struct expr_val {
	uint8_t kind;
	double num;
	const char *p; /* EXPR_V_STR */
	size_t off;    /* EXPR_V_SCR: offset in scratch */
	size_t len;
};

static inline const char *expr_val_ptr(const struct expr_val *v, const struct buf *scratch)
{
	return v->kind == EXPR_V_SCR ? scratch->data + v->off : v->p;
}

/* expr_eval.c: a value read as a number (true) or not; v's text appended to scratch; a runtime
 * error "what, got <v>" into *err (v may be NULL), returning -1. */
bool expr_val_num(const struct expr_val *v, const struct buf *scratch, double *d);
int expr_val_scratch_append(struct buf *scratch, const struct expr_val *v);
int expr_val_error(char **err, const struct expr_val *v, const struct buf *scratch,
		   const char *what);

/* expr_fn.c: call built-in fn with its arguments; the result goes to *res. */
int expr_fn_call(uint8_t fn, struct expr_val *args, const struct expr_env *env, struct buf *scratch,
		 struct expr_val *res, char **err);

#endif
