/* The expression compiler: a lexer and a recursive-descent parser that turn source text into
 * the flat stack-machine program of expr_code.h, with errors at a byte offset so callers can
 * point at line:col; and the accessors callers ask a compiled expression. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/expr.h"
#include "common/expr_code.h"

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
	struct expr_op *ops;
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

/* Room for one more element in *arr (n used of *cap, doubling from first). */
static int grow(struct parser *p, void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c;
	void *v;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : first;
	v = realloc(*arr, c * elem);
	if (!v)
		return perr(p, p->tstart, "out of memory");
	*arr = v;
	*cap = c;
	return 0;
}

static int emit(struct parser *p, const struct expr_op *o, int stack_delta)
{
	if (p->nops >= EXPR_MAX_OPS)
		return perr(p, p->tstart, "expression too long");
	if (grow(p, (void **)&p->ops, &p->cap, p->nops, sizeof(*p->ops), 16) < 0)
		return -1;
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
	if (grow(p, (void **)&p->vars, &p->vcap, p->nvars, sizeof(*p->vars), 4) < 0)
		return -1;
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
	struct expr_op o = {.kind = EXPR_OP_CALL};
	size_t args_start;

	for (fn = 0; fn < expr_fn_count; fn++)
		if (strlen(expr_fn_table[fn].name) == name_len &&
		    memcmp(expr_fn_table[fn].name, name, name_len) == 0)
			break;
	if (fn == expr_fn_count)
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
	if (argc != expr_fn_table[fn].argc)
		return perr(p, name_at, "%s() takes %u argument%s, got %zu", expr_fn_table[fn].name,
			    expr_fn_table[fn].argc, expr_fn_table[fn].argc == 1 ? "" : "s", argc);
	if (!expr_fn_table[fn].pure)
		p->impure = true;
	if (next(p) < 0) /* past ')' */
		return -1;
	/* len(variable) asks the store for the list's length instead of reading its value. */
	if (fn == EXPR_FN_LEN && p->nops == args_start + 1 &&
	    p->ops[args_start].kind == EXPR_OP_VAR) {
		p->ops[args_start].kind = EXPR_OP_LEN_VAR;
		return 0;
	}
	o.sub = (uint8_t)fn;
	o.argc = (uint16_t)argc;
	return emit(p, &o, 1 - (int)argc);
}

static int parse_unary(struct parser *p);

static int parse_primary(struct parser *p)
{
	struct expr_op o = {0};

	switch (p->tok) {
	case T_NUM:
		o.kind = EXPR_OP_NUM;
		o.num = p->num;
		if (emit(p, &o, 1) < 0)
			return -1;
		return next(p);
	case T_STR:
		o.kind = EXPR_OP_STR;
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
			o.kind = EXPR_OP_STR;
			o.a = (uint32_t)p->pool.len;
			o.b = (uint32_t)n;
			if (buf_append(&p->pool, s, n) < 0 || buf_append_byte(&p->pool, 0) < 0)
				return perr(p, p->tstart, "expression too long");
		} else {
			o.kind = EXPR_OP_VAR;
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
		struct expr_op o = {.kind = p->op == O_NOT ? EXPR_OP_NOT : EXPR_OP_NEG};

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
		enum expr_bin_op bin;
		int level;
	} ops[] = {
	    {O_EQ, EXPR_BIN_EQ, 0},	{O_NE, EXPR_BIN_NE, 0},	    {O_LT, EXPR_BIN_LT, 1},
	    {O_LE, EXPR_BIN_LE, 1},	{O_GT, EXPR_BIN_GT, 1},	    {O_GE, EXPR_BIN_GE, 1},
	    {O_PLUS, EXPR_BIN_ADD, 2},	{O_MINUS, EXPR_BIN_SUB, 2}, {O_STAR, EXPR_BIN_MUL, 3},
	    {O_SLASH, EXPR_BIN_DIV, 3}, {O_PCT, EXPR_BIN_MOD, 3},
	};

	if (level > 3)
		return parse_unary(p);
	if (parse_level(p, level + 1) < 0)
		return -1;
	for (;;) {
		size_t k;
		struct expr_op o = {.kind = EXPR_OP_BIN};

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
		struct expr_op j = {.kind = which == O_AND ? EXPR_OP_AND : EXPR_OP_OR};
		struct expr_op b = {.kind = EXPR_OP_BOOL};
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
	if (e->nops != 1 || e->ops[0].kind != EXPR_OP_VAR)
		return NULL;
	if (len)
		*len = e->vars[0].len;
	return e->pool + e->vars[0].off;
}
