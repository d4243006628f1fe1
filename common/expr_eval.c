/* The expression evaluator: the values on its stack (numbers, text, text in the scratch
 * buffer), the language's rules for numbers as text and for truthiness, the operators, and the
 * stack machine that runs a compiled expression (expr_code.h) without allocating. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/expr.h"
#include "common/expr_code.h"

static const char *bin_names[] = {"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"};

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static const char str_true[] = "true";
static const char str_false[] = "false";

static struct expr_val val_bool(bool b)
{
	struct expr_val v = {.kind = EXPR_V_STR, .p = b ? str_true : str_false, .len = b ? 4 : 5};

	return v;
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

bool expr_val_num(const struct expr_val *v, const struct buf *scratch, double *d)
{
	if (v->kind == EXPR_V_NUM) {
		*d = v->num;
		return true;
	}
	return expr_parse_number(expr_val_ptr(v, scratch), v->len, d) == 0;
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

static bool val_truthy(const struct expr_val *v, const struct buf *scratch)
{
	if (v->kind == EXPR_V_NUM)
		return v->num != 0 && !isnan(v->num);
	return text_truthy(expr_val_ptr(v, scratch), v->len);
}

bool expr_truthy(const struct expr_value *v)
{
	if (v->is_num)
		return v->num != 0 && !isnan(v->num);
	return text_truthy(v->str, v->len);
}

/* Append v's text to scratch. Reserving first keeps a EXPR_V_SCR source valid across the move. */
int expr_val_scratch_append(struct buf *scratch, const struct expr_val *v)
{
	if (v->kind == EXPR_V_NUM) {
		char tmp[40];
		int n = expr_format_number(v->num, tmp, sizeof(tmp));

		return buf_append(scratch, tmp, (size_t)n);
	}
	if (buf_reserve(scratch, v->len) < 0)
		return -1;
	return buf_append(scratch, expr_val_ptr(v, scratch), v->len);
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

int expr_val_error(char **err, const struct expr_val *v, const struct buf *scratch,
		   const char *what)
{
	if (!v)
		return err_set(err, "%s", what);
	if (v->kind == EXPR_V_NUM) {
		char tmp[40];

		expr_format_number(v->num, tmp, sizeof(tmp));
		return err_set(err, "%s, got %s", what, tmp);
	}
	return err_set(err, "%s, got \"%.*s%s\"", what, (int)(v->len > 40 ? 40 : v->len),
		       expr_val_ptr(v, scratch), v->len > 40 ? "..." : "");
}

static int compare(const struct expr_val *l, const struct expr_val *r, const struct buf *scratch)
{
	double a, b;
	char ta[40], tb[40];
	const char *pa, *pb;
	size_t la, lb;
	int c;

	if (expr_val_num(l, scratch, &a) && expr_val_num(r, scratch, &b))
		return a < b ? -1 : a > b ? 1 : 0;
	if (l->kind == EXPR_V_NUM) {
		la = (size_t)expr_format_number(l->num, ta, sizeof(ta));
		pa = ta;
	} else {
		la = l->len;
		pa = expr_val_ptr(l, scratch);
	}
	if (r->kind == EXPR_V_NUM) {
		lb = (size_t)expr_format_number(r->num, tb, sizeof(tb));
		pb = tb;
	} else {
		lb = r->len;
		pb = expr_val_ptr(r, scratch);
	}
	c = memcmp(pa, pb, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

static int binary(uint8_t op, struct expr_val *l, const struct expr_val *r, struct buf *scratch,
		  char **err)
{
	double a, b;
	char what[48];

	switch (op) {
	case EXPR_BIN_EQ:
		*l = val_bool(compare(l, r, scratch) == 0);
		return 0;
	case EXPR_BIN_NE:
		*l = val_bool(compare(l, r, scratch) != 0);
		return 0;
	case EXPR_BIN_LT:
		*l = val_bool(compare(l, r, scratch) < 0);
		return 0;
	case EXPR_BIN_LE:
		*l = val_bool(compare(l, r, scratch) <= 0);
		return 0;
	case EXPR_BIN_GT:
		*l = val_bool(compare(l, r, scratch) > 0);
		return 0;
	case EXPR_BIN_GE:
		*l = val_bool(compare(l, r, scratch) >= 0);
		return 0;
	default:
		break;
	}
	if (op == EXPR_BIN_ADD && !(expr_val_num(l, scratch, &a) && expr_val_num(r, scratch, &b))) {
		size_t off = scratch->len;

		if (expr_val_scratch_append(scratch, l) < 0 ||
		    expr_val_scratch_append(scratch, r) < 0)
			return err_set(err, "'+': result too long");
		*l = (struct expr_val){.kind = EXPR_V_SCR, .off = off, .len = scratch->len - off};
		return 0;
	}
	snprintf(what, sizeof(what), "'%s' needs numbers", bin_names[op]);
	if (!expr_val_num(l, scratch, &a))
		return expr_val_error(err, l, scratch, what);
	if (!expr_val_num(r, scratch, &b))
		return expr_val_error(err, r, scratch, what);
	switch (op) {
	case EXPR_BIN_ADD:
		a += b;
		break;
	case EXPR_BIN_SUB:
		a -= b;
		break;
	case EXPR_BIN_MUL:
		a *= b;
		break;
	case EXPR_BIN_DIV:
		if (b == 0)
			return err_set(err, "division by zero");
		a /= b;
		break;
	case EXPR_BIN_MOD:
		if (b == 0)
			return err_set(err, "modulo by zero");
		a = fmod(a, b);
		break;
	}
	*l = (struct expr_val){.kind = EXPR_V_NUM, .num = a};
	return 0;
}

int expr_eval(const struct expr *e, const struct expr_env *env, struct buf *scratch,
	      struct expr_value *out, char **err)
{
	struct expr_val st[EXPR_STACK];
	size_t sp = 0, pc = 0;

	while (pc < e->nops) {
		const struct expr_op *o = &e->ops[pc++];

		switch (o->kind) {
		case EXPR_OP_NUM:
			st[sp++] = (struct expr_val){.kind = EXPR_V_NUM, .num = o->num};
			break;
		case EXPR_OP_STR:
			st[sp++] =
			    (struct expr_val){.kind = EXPR_V_STR, .p = e->pool + o->a, .len = o->b};
			break;
		case EXPR_OP_VAR:
		case EXPR_OP_LEN_VAR: {
			const struct expr_var *v = &e->vars[o->a];
			const char *val = NULL;
			size_t vlen = 0, count = SIZE_MAX;
			int found =
			    env->lookup
				? env->lookup(env->ctx, e->pool + v->off, v->len, &val, &vlen,
					      o->kind == EXPR_OP_LEN_VAR ? &count : NULL)
				: -1;

			if (found < 0) {
				val = "";
				vlen = 0;
				count = 0;
			}
			if (o->kind == EXPR_OP_VAR)
				st[sp++] = (struct expr_val){
				    .kind = EXPR_V_STR, .p = val ? val : "", .len = vlen};
			else
				st[sp++] = (struct expr_val){
				    .kind = EXPR_V_NUM,
				    .num = (double)(count == SIZE_MAX ? 1 : count)};
			break;
		}
		case EXPR_OP_CALL: {
			struct expr_val res;

			sp -= o->argc;
			if (expr_fn_call(o->sub, &st[sp], env, scratch, &res, err) < 0)
				return -1;
			st[sp++] = res;
			break;
		}
		case EXPR_OP_NOT:
			st[sp - 1] = val_bool(!val_truthy(&st[sp - 1], scratch));
			break;
		case EXPR_OP_NEG: {
			double d;

			if (!expr_val_num(&st[sp - 1], scratch, &d))
				return expr_val_error(err, &st[sp - 1], scratch,
						      "'-' needs a number");
			st[sp - 1] = (struct expr_val){.kind = EXPR_V_NUM, .num = -d};
			break;
		}
		case EXPR_OP_BIN:
			sp--;
			if (binary(o->sub, &st[sp - 1], &st[sp], scratch, err) < 0)
				return -1;
			break;
		case EXPR_OP_AND:
		case EXPR_OP_OR: {
			bool t = val_truthy(&st[sp - 1], scratch);

			if (t == (o->kind == EXPR_OP_OR)) {
				st[sp - 1] = val_bool(t);
				pc = o->a;
			} else {
				sp--;
			}
			break;
		}
		case EXPR_OP_BOOL:
			st[sp - 1] = val_bool(val_truthy(&st[sp - 1], scratch));
			break;
		}
	}
	if (st[0].kind == EXPR_V_NUM)
		*out = (struct expr_value){.is_num = true, .num = st[0].num};
	else
		*out = (struct expr_value){.str = expr_val_ptr(&st[0], scratch), .len = st[0].len};
	return 0;
}
