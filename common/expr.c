/* The expression language of templates, conditions and `set` (see expr.h for the language).
 *
 * A recursive-descent parser compiles the source once into a flat array of stack-machine
 * operations in postfix order, with string literals and variable names in one pool. `&&` and
 * `||` compile to conditional jumps so they short-circuit. Evaluation walks the array with a
 * fixed-size value stack on the C stack: no allocation, no recursion, no rescanning of text.
 * Strings made during evaluation (concatenations, random strings, uuids, numbers turned to
 * text) live in the caller's scratch buffer; because that buffer may move as it grows, the
 * stack holds them as offsets and turns them into pointers only at the end. */
#include "common/expr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define EXPR_STACK	       64 /* value-stack slots; deeper expressions are refused at compile */
#define EXPR_MAX_NEST	       48 /* parser recursion (parentheses, unary operators, calls) */
#define EXPR_MAX_OPS	       4096 /* compiled size */
#define EXPR_MAX_RANDOM_STRING 65536

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

static const struct {
	const char *name;
	unsigned argc;
	bool pure; /* same result every time, given the same arguments */
} fn_table[] = {
    [FN_RANDOM_INT] = {"random_int", 2, false},
    [FN_RANDOM_STRING] = {"random_string", 1, false},
    [FN_UUID] = {"uuid", 0, false},
    [FN_USER_ID] = {"user_id", 0, false},
    [FN_NOW_MS] = {"now_ms", 0, false},
    [FN_LEN] = {"len", 1, true},
    [FN_URLENCODE] = {"urlencode", 1, true},
};
#define FN_COUNT (sizeof(fn_table) / sizeof(fn_table[0]))

static const char *bin_names[] = {"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"};

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

/* ---- compiling ---- */

enum tok_kind { T_END, T_NUM, T_STR, T_IDENT, T_OP, T_LPAREN, T_RPAREN, T_COMMA };

/* Operators the lexer knows, longest first so "<=" wins over "<". */
enum tok_op {
	O_EQ,
	O_NE,
	O_LE,
	O_GE,
	O_AND,
	O_OR,
	O_LT,
	O_GT,
	O_NOT,
	O_PLUS,
	O_MINUS,
	O_STAR,
	O_SLASH,
	O_PCT
};
static const char *tok_op_text[] = {"==", "!=", "<=", ">=", "&&", "||", "<",
				    ">",  "!",	"+",  "-",  "*",  "/",	"%"};

struct parser {
	const char *src;
	size_t len;
	size_t pos; /* after the current token */
	/* current token */
	enum tok_kind tok;
	enum tok_op op;
	size_t tstart, tend;
	double num;
	/* output */
	struct op *ops;
	size_t nops, cap;
	struct buf pool;
	struct expr_var *vars;
	size_t nvars, vcap;
	unsigned depth, max_depth; /* value stack, simulated */
	unsigned nest;
	bool impure;
	char **err;
	size_t err_col;
};

static int perr(struct parser *p, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(p->err, fmt, ap);
	va_end(ap);
	p->err_col = col;
	return -1;
}

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A printable rendering of the character at i for messages. */
static int describe_char(const struct parser *p, size_t i, char *out, size_t n)
{
	unsigned char c = (unsigned char)p->src[i];

	if (c >= 0x20 && c < 0x7f)
		return snprintf(out, n, "'%c'", c);
	return snprintf(out, n, "byte 0x%02x", c);
}

/* Skip a quoted string starting at p->src[i] (the quote); returns the index after the closing
 * quote, or -1 with the error set. Escapes are checked here and decoded in decode_string(). */
static int scan_string(struct parser *p, size_t i, size_t *end)
{
	char q = p->src[i];
	size_t j = i + 1;

	while (j < p->len && p->src[j] != q) {
		if (p->src[j] == '\\') {
			if (j + 1 >= p->len)
				break;
			if (!strchr("\\\"'nrt0/", p->src[j + 1]))
				return perr(p, j,
					    "unknown escape '\\%c' in string (use \\\\ \\\" \\' "
					    "\\n \\r \\t)",
					    p->src[j + 1] >= 0x20 && p->src[j + 1] < 0x7f
						? p->src[j + 1]
						: '?');
			j += 2;
			continue;
		}
		j++;
	}
	if (j >= p->len)
		return perr(p, i, "unterminated string (no closing %c)", q);
	*end = j + 1;
	return 0;
}

static int next(struct parser *p)
{
	size_t i = p->pos;
	const char *s = p->src;
	char what[32];

	while (i < p->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	p->tstart = i;
	if (i >= p->len) {
		p->tok = T_END;
		p->tend = p->pos = i;
		return 0;
	}
	if (is_digit(s[i])) {
		size_t j = i;
		char tmp[64];

		while (j < p->len && is_digit(s[j]))
			j++;
		if (j + 1 < p->len && s[j] == '.' && is_digit(s[j + 1])) {
			j++;
			while (j < p->len && is_digit(s[j]))
				j++;
		}
		if (j < p->len && (s[j] == 'e' || s[j] == 'E')) {
			size_t k = j + 1;

			if (k < p->len && (s[k] == '+' || s[k] == '-'))
				k++;
			if (k >= p->len || !is_digit(s[k]))
				return perr(p, i, "bad number: exponent without digits");
			while (k < p->len && is_digit(s[k]))
				k++;
			j = k;
		}
		if (j < p->len && (is_ident_char(s[j]) || s[j] == '.'))
			return perr(p, i, "bad number: unexpected '%c' after the digits", s[j]);
		if (j - i >= sizeof(tmp))
			return perr(p, i, "number too long");
		memcpy(tmp, s + i, j - i);
		tmp[j - i] = '\0';
		p->num = strtod(tmp, NULL);
		if (!isfinite(p->num))
			return perr(p, i, "number out of range");
		p->tok = T_NUM;
		p->tend = p->pos = j;
		return 0;
	}
	if (is_ident_start(s[i])) {
		size_t j = i;

		for (;;) {
			while (j < p->len && is_ident_char(s[j]))
				j++;
			if (j < p->len && s[j] == '.') {
				if (j + 1 >= p->len || !is_ident_start(s[j + 1]))
					return perr(p, j + 1, "expected a name after '.'");
				j++;
				continue;
			}
			break;
		}
		p->tok = T_IDENT;
		p->tend = p->pos = j;
		return 0;
	}
	if (s[i] == '"' || s[i] == '\'') {
		size_t end = 0;

		if (scan_string(p, i, &end) < 0)
			return -1;
		p->tok = T_STR;
		p->tend = p->pos = end;
		return 0;
	}
	if (s[i] == '(' || s[i] == ')' || s[i] == ',') {
		p->tok = s[i] == '(' ? T_LPAREN : s[i] == ')' ? T_RPAREN : T_COMMA;
		p->tend = p->pos = i + 1;
		return 0;
	}
	for (size_t k = 0; k < sizeof(tok_op_text) / sizeof(tok_op_text[0]); k++) {
		size_t n = strlen(tok_op_text[k]);

		if (i + n <= p->len && memcmp(s + i, tok_op_text[k], n) == 0) {
			p->tok = T_OP;
			p->op = (enum tok_op)k;
			p->tend = p->pos = i + n;
			return 0;
		}
	}
	if (s[i] == '=')
		return perr(p, i, "'=' is not an operator: use '==' to compare");
	if (s[i] == '&')
		return perr(p, i, "'&' is not an operator: use '&&'");
	if (s[i] == '|')
		return perr(p, i, "'|' is not an operator: use '||'");
	describe_char(p, i, what, sizeof(what));
	return perr(p, i, "unexpected %s", what);
}

static int emit(struct parser *p, const struct op *o, int stack_delta)
{
	if (p->nops >= EXPR_MAX_OPS)
		return perr(p, p->tstart, "expression too long");
	if (p->nops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct op *n = realloc(p->ops, cap * sizeof(*n));

		if (!n)
			return perr(p, p->tstart, "out of memory");
		p->ops = n;
		p->cap = cap;
	}
	p->ops[p->nops++] = *o;
	p->depth = (unsigned)((int)p->depth + stack_delta);
	if (p->depth > p->max_depth) {
		p->max_depth = p->depth;
		if (p->depth > EXPR_STACK)
			return perr(p, p->tstart, "expression too complex");
	}
	return 0;
}

/* Decode the string token into the pool; returns the pool offset. */
static int decode_string(struct parser *p, uint32_t *off, uint32_t *len)
{
	size_t i = p->tstart + 1, end = p->tend - 1;
	size_t start = p->pool.len;

	for (; i < end; i++) {
		char c = p->src[i];

		if (c == '\\') {
			c = p->src[++i];
			c = c == 'n'   ? '\n'
			    : c == 'r' ? '\r'
			    : c == 't' ? '\t'
			    : c == '0' ? '\0'
				       : c;
		}
		if (buf_append_byte(&p->pool, (uint8_t)c) < 0)
			return perr(p, p->tstart, "string too long");
	}
	if (buf_append_byte(&p->pool, 0) < 0)
		return perr(p, p->tstart, "string too long");
	*off = (uint32_t)start;
	*len = (uint32_t)(p->pool.len - 1 - start);
	return 0;
}

/* Index of the variable named by the current token, adding it on first use. */
static int intern_var(struct parser *p, uint32_t *idx)
{
	const char *name = p->src + p->tstart;
	size_t n = p->tend - p->tstart;
	size_t i;

	for (i = 0; i < p->nvars; i++) {
		if (p->vars[i].len == n && memcmp(p->pool.data + p->vars[i].off, name, n) == 0) {
			*idx = (uint32_t)i;
			return 0;
		}
	}
	if (p->nvars == p->vcap) {
		size_t cap = p->vcap ? p->vcap * 2 : 4;
		struct expr_var *v = realloc(p->vars, cap * sizeof(*v));

		if (!v)
			return perr(p, p->tstart, "out of memory");
		p->vars = v;
		p->vcap = cap;
	}
	p->vars[p->nvars].off = (uint32_t)p->pool.len;
	p->vars[p->nvars].len = (uint32_t)n;
	if (buf_append(&p->pool, name, n) < 0 || buf_append_byte(&p->pool, 0) < 0)
		return perr(p, p->tstart, "expression too long");
	*idx = (uint32_t)p->nvars++;
	return 0;
}

static int parse_or(struct parser *p);

static int expect_more(struct parser *p, const char *what)
{
	char c[32];

	if (p->tok == T_END)
		return perr(p, p->tstart, "unexpected end of expression: expected %s", what);
	if (p->tend - p->tstart <= 20)
		return perr(p, p->tstart, "expected %s, found '%.*s'", what,
			    (int)(p->tend - p->tstart), p->src + p->tstart);
	describe_char(p, p->tstart, c, sizeof(c));
	return perr(p, p->tstart, "expected %s, found %s", what, c);
}

static int parse_call(struct parser *p)
{
	size_t name_at = p->tstart, name_len = p->tend - p->tstart;
	const char *name = p->src + name_at;
	size_t fn, argc = 0;
	struct op o = {.kind = OP_CALL};
	size_t args_start;

	for (fn = 0; fn < FN_COUNT; fn++)
		if (strlen(fn_table[fn].name) == name_len &&
		    memcmp(fn_table[fn].name, name, name_len) == 0)
			break;
	if (fn == FN_COUNT)
		return perr(p, name_at,
			    "unknown function '%.*s' (known: random_int, random_string, uuid, "
			    "user_id, now_ms, len, urlencode)",
			    (int)name_len, name);
	if (next(p) < 0) /* past '(' */
		return -1;
	if (next(p) < 0)
		return -1;
	args_start = p->nops;
	if (p->tok != T_RPAREN) {
		for (;;) {
			if (parse_or(p) < 0)
				return -1;
			argc++;
			if (p->tok == T_COMMA) {
				if (next(p) < 0)
					return -1;
				continue;
			}
			if (p->tok != T_RPAREN)
				return expect_more(p, "',' or ')'");
			break;
		}
	}
	if (argc != fn_table[fn].argc)
		return perr(p, name_at, "%s() takes %u argument%s, got %zu", fn_table[fn].name,
			    fn_table[fn].argc, fn_table[fn].argc == 1 ? "" : "s", argc);
	if (!fn_table[fn].pure)
		p->impure = true;
	if (next(p) < 0) /* past ')' */
		return -1;
	/* len(variable) asks the store for the list's length instead of reading its value. */
	if (fn == FN_LEN && p->nops == args_start + 1 && p->ops[args_start].kind == OP_VAR) {
		p->ops[args_start].kind = OP_LEN_VAR;
		return 0;
	}
	o.sub = (uint8_t)fn;
	o.argc = (uint16_t)argc;
	return emit(p, &o, 1 - (int)argc);
}

static int parse_unary(struct parser *p);

static int parse_primary(struct parser *p)
{
	struct op o = {0};

	switch (p->tok) {
	case T_NUM:
		o.kind = OP_NUM;
		o.num = p->num;
		if (emit(p, &o, 1) < 0)
			return -1;
		return next(p);
	case T_STR:
		o.kind = OP_STR;
		if (decode_string(p, &o.a, &o.b) < 0 || emit(p, &o, 1) < 0)
			return -1;
		return next(p);
	case T_IDENT: {
		size_t n = p->tend - p->tstart;
		const char *s = p->src + p->tstart;
		size_t j = p->tend;

		while (j < p->len && (p->src[j] == ' ' || p->src[j] == '\t' || p->src[j] == '\n' ||
				      p->src[j] == '\r'))
			j++;
		if (j < p->len && p->src[j] == '(')
			return parse_call(p);
		if ((n == 4 && memcmp(s, "true", 4) == 0) ||
		    (n == 5 && memcmp(s, "false", 5) == 0)) {
			o.kind = OP_STR;
			o.a = (uint32_t)p->pool.len;
			o.b = (uint32_t)n;
			if (buf_append(&p->pool, s, n) < 0 || buf_append_byte(&p->pool, 0) < 0)
				return perr(p, p->tstart, "expression too long");
		} else {
			o.kind = OP_VAR;
			if (intern_var(p, &o.a) < 0)
				return -1;
		}
		if (emit(p, &o, 1) < 0)
			return -1;
		return next(p);
	}
	case T_LPAREN: {
		size_t open = p->tstart;

		if (next(p) < 0 || parse_or(p) < 0)
			return -1;
		if (p->tok != T_RPAREN) {
			if (p->tok == T_END)
				return perr(p, open, "unclosed '('");
			return expect_more(p, "')'");
		}
		return next(p);
	}
	default:
		return expect_more(p, "a value");
	}
}

static int parse_unary(struct parser *p)
{
	int rc;

	if (++p->nest > EXPR_MAX_NEST)
		return perr(p, p->tstart, "expression nested too deeply");
	if (p->tok == T_OP && (p->op == O_NOT || p->op == O_MINUS)) {
		struct op o = {.kind = p->op == O_NOT ? OP_NOT : OP_NEG};

		if (next(p) < 0 || parse_unary(p) < 0)
			return -1;
		rc = emit(p, &o, 0);
	} else {
		rc = parse_primary(p);
	}
	p->nest--;
	return rc;
}

/* Binary levels, loosest first after && and ||. */
static int parse_level(struct parser *p, int level)
{
	static const struct {
		enum tok_op tok;
		enum bin_op bin;
		int level;
	} ops[] = {
	    {O_EQ, BIN_EQ, 0},	   {O_NE, BIN_NE, 0},	  {O_LT, BIN_LT, 1},
	    {O_LE, BIN_LE, 1},	   {O_GT, BIN_GT, 1},	  {O_GE, BIN_GE, 1},
	    {O_PLUS, BIN_ADD, 2},  {O_MINUS, BIN_SUB, 2}, {O_STAR, BIN_MUL, 3},
	    {O_SLASH, BIN_DIV, 3}, {O_PCT, BIN_MOD, 3},
	};

	if (level > 3)
		return parse_unary(p);
	if (parse_level(p, level + 1) < 0)
		return -1;
	for (;;) {
		size_t k;
		struct op o = {.kind = OP_BIN};

		if (p->tok != T_OP)
			return 0;
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (ops[k].tok == p->op && ops[k].level == level)
				break;
		if (k == sizeof(ops) / sizeof(ops[0]))
			return 0;
		if (next(p) < 0 || parse_level(p, level + 1) < 0)
			return -1;
		o.sub = (uint8_t)ops[k].bin;
		if (emit(p, &o, -1) < 0)
			return -1;
	}
}

/* a && b: [a] AND->end [b] BOOL end:   (and the same for ||) */
static int parse_logic(struct parser *p, enum tok_op which)
{
	if (which == O_OR ? parse_logic(p, O_AND) < 0 : parse_level(p, 0) < 0)
		return -1;
	while (p->tok == T_OP && p->op == which) {
		struct op j = {.kind = which == O_AND ? OP_AND : OP_OR};
		struct op b = {.kind = OP_BOOL};
		size_t at = p->nops;

		if (emit(p, &j, -1) < 0 || next(p) < 0)
			return -1;
		if (which == O_OR ? parse_logic(p, O_AND) < 0 : parse_level(p, 0) < 0)
			return -1;
		if (emit(p, &b, 0) < 0)
			return -1;
		p->ops[at].a = (uint32_t)p->nops;
	}
	return 0;
}

static int parse_or(struct parser *p)
{
	int rc;

	if (++p->nest > EXPR_MAX_NEST)
		return perr(p, p->tstart, "expression nested too deeply");
	rc = parse_logic(p, O_OR);
	p->nest--;
	return rc;
}

int expr_compile(const char *src, size_t len, struct expr **out, char **err, size_t *err_col)
{
	struct parser p = {.src = src, .len = len, .err = err};
	struct expr *e = NULL;
	int rc = -1;

	*out = NULL;
	buf_init(&p.pool, 1 << 20);
	if (next(&p) < 0)
		goto out;
	if (p.tok == T_END) {
		perr(&p, p.tstart, "empty expression");
		goto out;
	}
	if (parse_or(&p) < 0)
		goto out;
	if (p.tok != T_END) {
		if (p.tok == T_RPAREN)
			perr(&p, p.tstart, "unmatched ')'");
		else
			perr(&p, p.tstart,
			     "unexpected '%.*s' after the expression (missing operator?)",
			     (int)(p.tend - p.tstart > 20 ? 20 : p.tend - p.tstart),
			     p.src + p.tstart);
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		perr(&p, 0, "out of memory");
		goto out;
	}
	e->ops = p.ops;
	e->nops = p.nops;
	e->pool = buf_steal(&p.pool);
	e->vars = p.vars;
	e->nvars = p.nvars;
	e->constant = p.nvars == 0 && !p.impure;
	p.ops = NULL;
	p.vars = NULL;
	*out = e;
	rc = 0;
out:
	if (rc < 0 && err_col)
		*err_col = p.err_col;
	free(p.ops);
	free(p.vars);
	buf_free(&p.pool);
	return rc;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	free(e->ops);
	free(e->pool);
	free(e->vars);
	free(e);
}

size_t expr_var_count(const struct expr *e)
{
	return e->nvars;
}

const char *expr_var_name(const struct expr *e, size_t i)
{
	return i < e->nvars ? e->pool + e->vars[i].off : NULL;
}

bool expr_constant(const struct expr *e)
{
	return e->constant;
}

const char *expr_single_var(const struct expr *e, size_t *len)
{
	if (e->nops != 1 || e->ops[0].kind != OP_VAR)
		return NULL;
	if (len)
		*len = e->vars[0].len;
	return e->pool + e->vars[0].off;
}

/* ---- values ---- */

enum val_kind { V_NUM, V_STR, V_SCR };

struct val {
	uint8_t kind;
	double num;
	const char *p; /* V_STR */
	size_t off;    /* V_SCR: offset in scratch */
	size_t len;
};

static const char str_true[] = "true";
static const char str_false[] = "false";

static struct val val_bool(bool b)
{
	struct val v = {.kind = V_STR, .p = b ? str_true : str_false, .len = b ? 4 : 5};

	return v;
}

static const char *val_ptr(const struct val *v, const struct buf *scratch)
{
	return v->kind == V_SCR ? scratch->data + v->off : v->p;
}

int expr_format_number(double d, char *out, size_t n)
{
	int k;

	/* Whole numbers (the common case: ids, counters, random_int) without snprintf. */
	if (d == trunc(d) && fabs(d) < 1e17 && n >= 20) {
		char tmp[20];
		unsigned long long u = (unsigned long long)fabs(d);
		size_t len = 0, i = 0;

		do {
			tmp[len++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (d < 0)
			out[i++] = '-';
		while (len)
			out[i++] = tmp[--len];
		out[i] = '\0';
		return (int)i;
	}
	for (int prec = 15; prec < 17; prec++) {
		k = snprintf(out, n, "%.*g", prec, d);
		if (k > 0 && (size_t)k < n && strtod(out, NULL) == d)
			return k;
	}
	return snprintf(out, n, "%.17g", d);
}

/* Does text read as a number? Strict: [+-]digits[.digits][e[+-]digits], or .digits. No
 * whitespace, hex, inf or nan, so "0x10" or " 1" stay strings. */
int expr_parse_number(const char *s, size_t len, double *out)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,	 1e6,  1e7,
				     1e8,  1e9,	 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	char tmp[64];
	size_t i = 0;
	uint64_t m = 0;
	int ndig = 0, frac = 0, e10 = 0, ex;
	bool digits = false, neg = false, esign = false;
	double v;

	/* One pass checks the syntax and gathers up to 15 significant digits; with a small power of
	 * ten the result is then exact in one multiplication or division (Clinger's fast path).
	 * Anything longer goes to strtod. */
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	if (s[i] == '-' || s[i] == '+')
		neg = s[i++] == '-';
	for (; i < len && is_digit(s[i]); i++) {
		digits = true;
		if (m || s[i] != '0') {
			m = m * 10 + (uint64_t)(s[i] - '0');
			if (++ndig > 18)
				m = UINT64_MAX; /* too long for the fast path; keep checking syntax
						 */
		}
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++) {
			digits = true;
			if (m || s[i] != '0') {
				m = m * 10 + (uint64_t)(s[i] - '0');
				if (++ndig > 18)
					m = UINT64_MAX;
			}
			frac++;
		}
	}
	if (!digits)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			esign = s[i++] == '-';
		if (i >= len || !is_digit(s[i]))
			return -1;
		for (; i < len && is_digit(s[i]); i++)
			if (e10 < 10000)
				e10 = e10 * 10 + (s[i] - '0');
	}
	if (i != len)
		return -1;
	ex = (esign ? -e10 : e10) - frac;
	if (ndig <= 15 && ex >= -22 && ex <= 22) {
		v = ex < 0 ? (double)m / p10[-ex] : (double)m * p10[ex];
		*out = neg ? -v : v;
		return 0;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*out = strtod(tmp, NULL);
	return isfinite(*out) ? 0 : -1;
}

static bool val_num(const struct val *v, const struct buf *scratch, double *d)
{
	if (v->kind == V_NUM) {
		*d = v->num;
		return true;
	}
	return expr_parse_number(val_ptr(v, scratch), v->len, d) == 0;
}

static bool text_truthy(const char *s, size_t len)
{
	double d;

	if (len == 0 || (len == 5 && memcmp(s, "false", 5) == 0))
		return false;
	if (expr_parse_number(s, len, &d) == 0)
		return d != 0;
	return true;
}

static bool val_truthy(const struct val *v, const struct buf *scratch)
{
	if (v->kind == V_NUM)
		return v->num != 0 && !isnan(v->num);
	return text_truthy(val_ptr(v, scratch), v->len);
}

bool expr_truthy(const struct expr_value *v)
{
	if (v->is_num)
		return v->num != 0 && !isnan(v->num);
	return text_truthy(v->str, v->len);
}

/* Append v's text to scratch. Reserving first keeps a V_SCR source valid across the move. */
static int scratch_append(struct buf *scratch, const struct val *v)
{
	if (v->kind == V_NUM) {
		char tmp[40];
		int n = expr_format_number(v->num, tmp, sizeof(tmp));

		return buf_append(scratch, tmp, (size_t)n);
	}
	if (buf_reserve(scratch, v->len) < 0)
		return -1;
	return buf_append(scratch, val_ptr(v, scratch), v->len);
}

int expr_value_append(const struct expr_value *v, struct buf *out)
{
	if (v->is_num) {
		char tmp[40];
		int n = expr_format_number(v->num, tmp, sizeof(tmp));

		return buf_append(out, tmp, (size_t)n);
	}
	return buf_append(out, v->str, v->len);
}

/* ---- evaluating ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull; /* xorshift stays at 0 forever */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n) without modulo bias worth speaking of (multiply-high). */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

static int rt_err(char **err, const struct val *v, const struct buf *scratch, const char *what)
{
	if (!v)
		return err_set(err, "%s", what);
	if (v->kind == V_NUM) {
		char tmp[40];

		expr_format_number(v->num, tmp, sizeof(tmp));
		return err_set(err, "%s, got %s", what, tmp);
	}
	return err_set(err, "%s, got \"%.*s%s\"", what, (int)(v->len > 40 ? 40 : v->len),
		       val_ptr(v, scratch), v->len > 40 ? "..." : "");
}

static int need_int(const struct val *v, const struct buf *scratch, const char *fn, double *d,
		    char **err)
{
	char what[64];

	if (val_num(v, scratch, d) && *d == trunc(*d) && fabs(*d) <= 9007199254740992.0)
		return 0;
	snprintf(what, sizeof(what), "%s() needs a whole number", fn);
	return rt_err(err, v, scratch, what);
}

static int call(uint8_t fn, struct val *args, const struct expr_env *env, struct buf *scratch,
		struct val *res, char **err)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static const char hex[] = "0123456789abcdef";
	double a, b;

	if ((fn == FN_RANDOM_INT || fn == FN_RANDOM_STRING || fn == FN_UUID) && !env->rng)
		return err_set(err, "%s(): no random source", fn_table[fn].name);
	switch (fn) {
	case FN_RANDOM_INT: {
		uint64_t span;

		if (need_int(&args[0], scratch, "random_int", &a, err) < 0 ||
		    need_int(&args[1], scratch, "random_int", &b, err) < 0)
			return -1;
		if (a > b)
			return err_set(
			    err, "random_int(%lld, %lld): the low bound is above the high bound",
			    (long long)a, (long long)b);
		span = (uint64_t)((long long)b - (long long)a) + 1;
		*res = (struct val){.kind = V_NUM, .num = a + (double)rng_below(env->rng, span)};
		return 0;
	}
	case FN_RANDOM_STRING: {
		size_t n, i;

		if (need_int(&args[0], scratch, "random_string", &a, err) < 0)
			return -1;
		if (a < 0 || a > EXPR_MAX_RANDOM_STRING)
			return err_set(err, "random_string(%lld): the length must be 0 to %d",
				       (long long)a, EXPR_MAX_RANDOM_STRING);
		n = (size_t)a;
		if (buf_reserve(scratch, n) < 0)
			return err_set(err, "random_string(): scratch buffer full");
		*res = (struct val){.kind = V_SCR, .off = scratch->len, .len = n};
		for (i = 0; i < n; i++)
			scratch->data[scratch->len + i] = alnum[rng_below(env->rng, 62)];
		scratch->len += n;
		scratch->data[scratch->len] = '\0';
		return 0;
	}
	case FN_UUID: {
		uint8_t r[16];
		uint64_t x = rng_next(env->rng), y = rng_next(env->rng);
		char *o;
		size_t i;

		memcpy(r, &x, 8);
		memcpy(r + 8, &y, 8);
		r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
		r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
		if (buf_reserve(scratch, 36) < 0)
			return err_set(err, "uuid(): scratch buffer full");
		o = scratch->data + scratch->len;
		for (i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				*o++ = '-';
			*o++ = hex[r[i] >> 4];
			*o++ = hex[r[i] & 15];
		}
		*res = (struct val){.kind = V_SCR, .off = scratch->len, .len = 36};
		scratch->len += 36;
		scratch->data[scratch->len] = '\0';
		return 0;
	}
	case FN_USER_ID:
		*res = (struct val){.kind = V_NUM, .num = (double)env->user_id};
		return 0;
	case FN_NOW_MS:
		*res = (struct val){.kind = V_NUM, .num = (double)env->now_ms};
		return 0;
	case FN_LEN:
		if (args[0].kind == V_NUM) {
			char tmp[40];

			*res = (struct val){
			    .kind = V_NUM,
			    .num = (double)expr_format_number(args[0].num, tmp, sizeof(tmp))};
		} else {
			*res = (struct val){.kind = V_NUM, .num = (double)args[0].len};
		}
		return 0;
	case FN_URLENCODE: {
		/* RFC 3986: unreserved characters as they are, every other byte %XX, so the value
		 * can go in a query or a path segment whatever it holds (spaces, &, #, UTF-8). */
		static const char HEX[] = "0123456789ABCDEF";
		size_t off = scratch->len, n, i;
		const char *s;

		if (scratch_append(scratch, &args[0]) < 0)
			return err_set(err, "urlencode(): scratch buffer full");
		n = scratch->len - off;
		if (buf_reserve(scratch, 3 * n) < 0)
			return err_set(err, "urlencode(): scratch buffer full");
		s = scratch->data + off; /* stable now: the room is reserved */
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			char *o = scratch->data + scratch->len;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			    c == '~') {
				*o = (char)c;
				scratch->len++;
			} else {
				o[0] = '%';
				o[1] = HEX[c >> 4];
				o[2] = HEX[c & 15];
				scratch->len += 3;
			}
		}
		*res = (struct val){.kind = V_SCR, .off = off + n, .len = scratch->len - off - n};
		scratch->data[scratch->len] = '\0';
		return 0;
	}
	default:
		return err_set(err, "bad function");
	}
}

static int compare(const struct val *l, const struct val *r, const struct buf *scratch)
{
	double a, b;
	char ta[40], tb[40];
	const char *pa, *pb;
	size_t la, lb;
	int c;

	if (val_num(l, scratch, &a) && val_num(r, scratch, &b))
		return a < b ? -1 : a > b ? 1 : 0;
	if (l->kind == V_NUM) {
		la = (size_t)expr_format_number(l->num, ta, sizeof(ta));
		pa = ta;
	} else {
		la = l->len;
		pa = val_ptr(l, scratch);
	}
	if (r->kind == V_NUM) {
		lb = (size_t)expr_format_number(r->num, tb, sizeof(tb));
		pb = tb;
	} else {
		lb = r->len;
		pb = val_ptr(r, scratch);
	}
	c = memcmp(pa, pb, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

static int binary(uint8_t op, struct val *l, const struct val *r, struct buf *scratch, char **err)
{
	double a, b;
	char what[48];

	switch (op) {
	case BIN_EQ:
		*l = val_bool(compare(l, r, scratch) == 0);
		return 0;
	case BIN_NE:
		*l = val_bool(compare(l, r, scratch) != 0);
		return 0;
	case BIN_LT:
		*l = val_bool(compare(l, r, scratch) < 0);
		return 0;
	case BIN_LE:
		*l = val_bool(compare(l, r, scratch) <= 0);
		return 0;
	case BIN_GT:
		*l = val_bool(compare(l, r, scratch) > 0);
		return 0;
	case BIN_GE:
		*l = val_bool(compare(l, r, scratch) >= 0);
		return 0;
	default:
		break;
	}
	if (op == BIN_ADD && !(val_num(l, scratch, &a) && val_num(r, scratch, &b))) {
		size_t off = scratch->len;

		if (scratch_append(scratch, l) < 0 || scratch_append(scratch, r) < 0)
			return err_set(err, "'+': result too long");
		*l = (struct val){.kind = V_SCR, .off = off, .len = scratch->len - off};
		return 0;
	}
	snprintf(what, sizeof(what), "'%s' needs numbers", bin_names[op]);
	if (!val_num(l, scratch, &a))
		return rt_err(err, l, scratch, what);
	if (!val_num(r, scratch, &b))
		return rt_err(err, r, scratch, what);
	switch (op) {
	case BIN_ADD:
		a += b;
		break;
	case BIN_SUB:
		a -= b;
		break;
	case BIN_MUL:
		a *= b;
		break;
	case BIN_DIV:
		if (b == 0)
			return err_set(err, "division by zero");
		a /= b;
		break;
	case BIN_MOD:
		if (b == 0)
			return err_set(err, "modulo by zero");
		a = fmod(a, b);
		break;
	}
	*l = (struct val){.kind = V_NUM, .num = a};
	return 0;
}

int expr_eval(const struct expr *e, const struct expr_env *env, struct buf *scratch,
	      struct expr_value *out, char **err)
{
	struct val st[EXPR_STACK];
	size_t sp = 0, pc = 0;

	while (pc < e->nops) {
		const struct op *o = &e->ops[pc++];

		switch (o->kind) {
		case OP_NUM:
			st[sp++] = (struct val){.kind = V_NUM, .num = o->num};
			break;
		case OP_STR:
			st[sp++] = (struct val){.kind = V_STR, .p = e->pool + o->a, .len = o->b};
			break;
		case OP_VAR:
		case OP_LEN_VAR: {
			const struct expr_var *v = &e->vars[o->a];
			const char *val = NULL;
			size_t vlen = 0, count = SIZE_MAX;
			int found = env->lookup
					? env->lookup(env->ctx, e->pool + v->off, v->len, &val,
						      &vlen, o->kind == OP_LEN_VAR ? &count : NULL)
					: -1;

			if (found < 0) {
				val = "";
				vlen = 0;
				count = 0;
			}
			if (o->kind == OP_VAR)
				st[sp++] =
				    (struct val){.kind = V_STR, .p = val ? val : "", .len = vlen};
			else
				st[sp++] = (struct val){
				    .kind = V_NUM, .num = (double)(count == SIZE_MAX ? 1 : count)};
			break;
		}
		case OP_CALL: {
			struct val res;

			sp -= o->argc;
			if (call(o->sub, &st[sp], env, scratch, &res, err) < 0)
				return -1;
			st[sp++] = res;
			break;
		}
		case OP_NOT:
			st[sp - 1] = val_bool(!val_truthy(&st[sp - 1], scratch));
			break;
		case OP_NEG: {
			double d;

			if (!val_num(&st[sp - 1], scratch, &d))
				return rt_err(err, &st[sp - 1], scratch, "'-' needs a number");
			st[sp - 1] = (struct val){.kind = V_NUM, .num = -d};
			break;
		}
		case OP_BIN:
			sp--;
			if (binary(o->sub, &st[sp - 1], &st[sp], scratch, err) < 0)
				return -1;
			break;
		case OP_AND:
		case OP_OR: {
			bool t = val_truthy(&st[sp - 1], scratch);

			if (t == (o->kind == OP_OR)) {
				st[sp - 1] = val_bool(t);
				pc = o->a;
			} else {
				sp--;
			}
			break;
		}
		case OP_BOOL:
			st[sp - 1] = val_bool(val_truthy(&st[sp - 1], scratch));
			break;
		}
	}
	if (st[0].kind == V_NUM)
		*out = (struct expr_value){.is_num = true, .num = st[0].num};
	else
		*out = (struct expr_value){.str = val_ptr(&st[0], scratch), .len = st[0].len};
	return 0;
}
