/* Templates: literal text with {{ expression }} holes (see tmpl.h).
 *
 * Compiling splits the source once into segments — literal runs kept in one pool, and holes
 * holding a compiled expression — so rendering is a walk over an array: copy, evaluate, escape,
 * with no scanning of the source and no allocation. A hole whose expression is constant
 * (`{{ 1 + 2 }}`, `{{ 'x' }}`) is evaluated at compile time and folded into the literal text,
 * so a template with only such holes renders by a single copy (tmpl_constant_text).
 *
 * Only the values of holes are escaped: the literal text is whatever the author wrote (in a
 * json: body, already JSON). */
#include "common/tmpl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

enum seg_kind { SEG_LIT, SEG_HOLE };

struct seg {
	enum seg_kind kind;
	size_t off, len; /* SEG_LIT: text in the pool */
	struct expr *e;	 /* SEG_HOLE */
	const char *var; /* SEG_HOLE that is one variable: its name (in e), for a faster path */
	size_t var_len;
};

struct tmpl {
	struct seg *segs;
	size_t nsegs;
	char *pool;
	enum tmpl_escape esc;
	bool has_holes;	   /* in the source, folded or not */
	const char **vars; /* point into the holes' expressions */
	size_t nvars;
};

/* Bytes that need escaping: bit 0 in JSON strings, bit 1 in percent-encoding. */
/* clang-format off */
static const uint8_t needs_escape[256] = {
	[0 ... 0x1f] = 3,
	[' '] = 2, ['!'] = 2, ['"'] = 3, ['#'] = 2, ['$'] = 2, ['%'] = 2, ['&'] = 2, ['\''] = 2,
	['('] = 2, [')'] = 2, ['*'] = 2, ['+'] = 2, [','] = 2, ['/'] = 2, [':'] = 2, [';'] = 2,
	['<'] = 2, ['='] = 2, ['>'] = 2, ['?'] = 2, ['@'] = 2, ['['] = 2, ['\\'] = 3, [']'] = 2,
	['^'] = 2, ['`'] = 2, ['{'] = 2, ['|'] = 2, ['}'] = 2,
	[0x7f ... 0xff] = 2,
};
/* clang-format on */

int tmpl_append_escaped(struct buf *out, enum tmpl_escape esc, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t mask = esc == TMPL_ESCAPE_JSON ? 1 : 2;
	size_t i, run = 0;

	if (esc == TMPL_ESCAPE_NONE)
		return buf_append(out, s, len);
	/* Copy runs that need no escaping in one append; escape the rest byte by byte. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[6];
		size_t n;

		if (!(needs_escape[c] & mask))
			continue;
		if (esc == TMPL_ESCAPE_URL) {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			n = 3;
		} else if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			n = 2;
		} else {
			e[0] = '\\';
			n = 2;
			switch (c) {
			case '\n':
				e[1] = 'n';
				break;
			case '\r':
				e[1] = 'r';
				break;
			case '\t':
				e[1] = 't';
				break;
			default:
				memcpy(e, "\\u00", 4);
				e[4] = (char)(hex[c >> 4] |
					      0x20); /* lower case, as JSON encoders write it */
				e[5] = (char)(hex[c & 15] | 0x20);
				n = 6;
			}
		}
		if (buf_append(out, s + run, i - run) < 0 || buf_append(out, e, n) < 0)
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, len - run);
}

static int append_value(struct buf *out, enum tmpl_escape esc, const struct expr_value *v)
{
	if (v->is_num) {
		char tmp[40];
		int n = expr_format_number(v->num, tmp, sizeof(tmp));

		/* Only URL escaping touches number text: the '+' of 1e+300. */
		return tmpl_append_escaped(out, esc == TMPL_ESCAPE_URL ? esc : TMPL_ESCAPE_NONE,
					   tmp, (size_t)n);
	}
	return tmpl_append_escaped(out, esc, v->str, v->len);
}

static int add_seg(struct tmpl *t, size_t *cap, const struct seg *s)
{
	/* Adjacent literals (text, then a folded constant hole) become one. */
	if (s->kind == SEG_LIT && t->nsegs && t->segs[t->nsegs - 1].kind == SEG_LIT) {
		t->segs[t->nsegs - 1].len += s->len;
		return 0;
	}
	if (s->kind == SEG_LIT && s->len == 0)
		return 0;
	if (t->nsegs == *cap) {
		size_t n = *cap ? *cap * 2 : 4;
		struct seg *p = realloc(t->segs, n * sizeof(*p));

		if (!p)
			return -1;
		t->segs = p;
		*cap = n;
	}
	t->segs[t->nsegs++] = *s;
	return 0;
}

static int add_vars(struct tmpl *t, const struct expr *e)
{
	size_t i, j, n = expr_var_count(e);

	for (i = 0; i < n; i++) {
		const char *name = expr_var_name(e, i);
		const char **p;

		for (j = 0; j < t->nvars; j++)
			if (strcmp(t->vars[j], name) == 0)
				break;
		if (j < t->nvars)
			continue;
		p = realloc(t->vars, (t->nvars + 1) * sizeof(*p));
		if (!p)
			return -1;
		t->vars = p;
		t->vars[t->nvars++] = name;
	}
	return 0;
}

/* Where the hole that starts at src[i] (just after "{{") ends: the index of its "}}", skipping
 * quoted strings so `{{ "}}" }}` works. Returns -1 when there is none. */
static long hole_end(const char *src, size_t i)
{
	char q = 0;

	for (; src[i]; i++) {
		if (q) {
			if (src[i] == '\\' && src[i + 1])
				i++;
			else if (src[i] == q)
				q = 0;
		} else if (src[i] == '"' || src[i] == '\'') {
			q = src[i];
		} else if (src[i] == '}' && src[i + 1] == '}') {
			return (long)i;
		}
	}
	return -1;
}

int tmpl_compile(const char *src, enum tmpl_escape esc, struct tmpl **out, char **err,
		 size_t *err_col)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	struct buf pool, scratch;
	size_t cap = 0, i = 0, col = 0;
	int rc = -1;

	*out = NULL;
	buf_init(&pool, 0);
	buf_init(&scratch, 1 << 20);
	if (!t) {
		err_set(err, "out of memory");
		goto out;
	}
	t->esc = esc;
	while (src[i]) {
		const char *open = strstr(src + i, "{{");
		size_t lit_end = open ? (size_t)(open - src) : i + strlen(src + i);
		struct seg s = {.kind = SEG_LIT, .off = pool.len, .len = lit_end - i};
		struct expr *e = NULL;
		size_t ecol = 0;
		long close;

		if (buf_append(&pool, src + i, lit_end - i) < 0 || add_seg(t, &cap, &s) < 0) {
			err_set(err, "template too long");
			col = i;
			goto out;
		}
		if (!open)
			break;
		t->has_holes = true;
		close = hole_end(src, lit_end + 2);
		if (close < 0) {
			err_set(err, "unterminated '{{' (no closing '}}')");
			col = lit_end;
			goto out;
		}
		if (expr_compile(src + lit_end + 2, (size_t)close - lit_end - 2, &e, err, &ecol) <
		    0) {
			col = lit_end + 2 + ecol;
			goto out;
		}
		if (expr_constant(e)) {
			struct expr_env env = {0};
			struct expr_value v;

			buf_reset(&scratch);
			s = (struct seg){.kind = SEG_LIT, .off = pool.len};
			if (expr_eval(e, &env, &scratch, &v, err) < 0 ||
			    append_value(&pool, esc, &v) < 0) {
				expr_free(e);
				col = lit_end;
				goto out;
			}
			expr_free(e);
			s.len = pool.len - s.off;
			if (add_seg(t, &cap, &s) < 0) {
				err_set(err, "out of memory");
				goto out;
			}
		} else {
			s = (struct seg){.kind = SEG_HOLE, .e = e};
			s.var = expr_single_var(e, &s.var_len);
			if (add_seg(t, &cap, &s) < 0 || add_vars(t, e) < 0) {
				if (t->nsegs == 0 || t->segs[t->nsegs - 1].e != e)
					expr_free(e);
				err_set(err, "out of memory");
				goto out;
			}
		}
		i = (size_t)close + 2;
	}
	t->pool = buf_steal(&pool);
	*out = t;
	t = NULL;
	rc = 0;
out:
	if (rc < 0 && err_col)
		*err_col = col;
	buf_free(&pool);
	buf_free(&scratch);
	tmpl_free(t);
	return rc;
}

void tmpl_free(struct tmpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].kind == SEG_HOLE)
			expr_free(t->segs[i].e);
	free(t->segs);
	free(t->pool);
	free(t->vars);
	free(t);
}

bool tmpl_constant(const struct tmpl *t)
{
	return !t->has_holes;
}

const char *tmpl_constant_text(const struct tmpl *t, size_t *len)
{
	if (t->nsegs > 1 || (t->nsegs == 1 && t->segs[0].kind != SEG_LIT))
		return NULL;
	if (len)
		*len = t->nsegs ? t->segs[0].len : 0;
	return t->nsegs ? t->pool + t->segs[0].off : "";
}

int tmpl_render(const struct tmpl *t, const struct expr_env *env, struct buf *scratch,
		struct buf *out, char **err)
{
	size_t i;

	for (i = 0; i < t->nsegs; i++) {
		const struct seg *s = &t->segs[i];
		struct expr_value v;

		if (s->kind == SEG_LIT) {
			if (buf_append(out, t->pool + s->off, s->len) < 0)
				return err_set(err, "template result too long");
			continue;
		}
		if (s->var) { /* {{ name }}: straight from the variable store */
			const char *val;
			size_t vlen;

			if (!env->lookup ||
			    env->lookup(env->ctx, s->var, s->var_len, &val, &vlen, NULL) < 0)
				continue; /* unset renders as nothing, as in expressions */
			if (tmpl_append_escaped(out, t->esc, val, vlen) < 0)
				return err_set(err, "template result too long");
			continue;
		}
		buf_reset(scratch);
		if (expr_eval(s->e, env, scratch, &v, err) < 0)
			return -1;
		if (append_value(out, t->esc, &v) < 0)
			return err_set(err, "template result too long");
	}
	return 0;
}

size_t tmpl_var_count(const struct tmpl *t)
{
	return t->nvars;
}

const char *tmpl_var_name(const struct tmpl *t, size_t i)
{
	return i < t->nvars ? t->vars[i] : NULL;
}
