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

enum op_kind {
	OP_NUM,	    /* push num */
	OP_STR,	    /* push pool[a .. a+b) */
	OP_VAR,	    /* push variable a (index into vars) */
	OP_LEN_VAR, /* push len(variable a) */
	OP_CALL,    /* call function sub with argc arguments from the stack */
	OP_NOT,
	OP_NEG,
	OP_BIN, /* binary operator sub */
	OP_AND, /* if top is false: replace by false and jump to a; else pop */
	OP_OR,	/* if top is true: replace by true and jump to a; else pop */
	OP_BOOL /* replace top by its truth value */
};

enum bin_op {
	BIN_EQ,
	BIN_NE,
	BIN_LT,
	BIN_LE,
	BIN_GT,
	BIN_GE,
	BIN_ADD,
	BIN_SUB,
	BIN_MUL,
	BIN_DIV,
	BIN_MOD
};

enum fn_id {
	FN_RANDOM_INT,
	FN_RANDOM_STRING,
	FN_UUID,
	FN_USER_ID,
	FN_NOW_MS,
	FN_LEN,
	FN_URLENCODE
};

/* The built-in functions by fn_id (expr_fn.c): what the parser checks a call against. */
struct expr_fn {
	const char *name;
	unsigned argc;
	bool pure; /* same result every time, given the same arguments */
};
extern const struct expr_fn expr_fn_table[];
extern const size_t expr_fn_count;

struct op {
	uint8_t kind;
	uint8_t sub; /* bin_op or fn_id */
	uint16_t argc;
	uint32_t a, b;
	double num;
};

struct expr_var {
	uint32_t off, len; /* name in the pool, NUL-terminated there */
};

struct expr {
	struct op *ops;
	size_t nops;
	char *pool;
	struct expr_var *vars;
	size_t nvars;
	bool constant; /* reads no variable and calls no impure function */
};

/* A value on the evaluator's stack. */
enum val_kind { V_NUM, V_STR, V_SCR };

struct val {
	uint8_t kind;
	double num;
	const char *p; /* V_STR */
	size_t off;    /* V_SCR: offset in scratch */
	size_t len;
};

static inline const char *expr_val_ptr(const struct val *v, const struct buf *scratch)
{
	return v->kind == V_SCR ? scratch->data + v->off : v->p;
}

/* expr_eval.c: a value read as a number (true) or not; v's text appended to scratch; a runtime
 * error "what, got <v>" into *err (v may be NULL), returning -1. */
bool expr_val_num(const struct val *v, const struct buf *scratch, double *d);
int expr_val_scratch_append(struct buf *scratch, const struct val *v);
int expr_val_error(char **err, const struct val *v, const struct buf *scratch, const char *what);

/* expr_fn.c: call built-in fn with its arguments; the result goes to *res. */
int expr_fn_call(uint8_t fn, struct val *args, const struct expr_env *env, struct buf *scratch,
		 struct val *res, char **err);

#endif
