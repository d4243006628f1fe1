/* The JSONPath subset of `capture: { json: ... }` (see jsonpath.h).
 *
 * A path compiles to a short array of steps (member, index, wildcard); evaluation walks the
 * jansson tree step by step, recursing only at wildcards, and hands each match to the caller as
 * text. Strings are passed straight out of the tree and numbers are formatted on the stack, so
 * the common capture (`$.token`) allocates nothing; only objects and arrays need a buffer. */
#include "common/jsonpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/expr.h"

#define JSONPATH_MAX_STEPS 128

enum step_kind { STEP_KEY, STEP_INDEX, STEP_WILD };

struct step {
	enum step_kind kind;
	size_t off, len; /* STEP_KEY: name in the pool */
	long long index; /* STEP_INDEX; negative counts from the end */
};

struct jsonpath {
	struct step *steps;
	size_t nsteps;
	char *pool;
	bool definite;
};

struct compiler {
	const char *src;
	size_t pos;
	struct step *steps;
	size_t nsteps;
	struct buf pool;
	char **err;
	size_t err_col;
};

static int cerr(struct compiler *c, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cerr(struct compiler *c, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(c->err, fmt, ap);
	va_end(ap);
	c->err_col = col;
	return -1;
}

static bool is_name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '$' || ch >= 0x80;
}

static int add_step(struct compiler *c, const struct step *s, size_t at)
{
	if (c->nsteps == JSONPATH_MAX_STEPS)
		return cerr(c, at, "JSONPath too long (at most %d steps)", JSONPATH_MAX_STEPS);
	if ((c->nsteps & (c->nsteps - 1)) ==
	    0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
		struct step *n = realloc(c->steps, (c->nsteps ? c->nsteps * 2 : 1) * sizeof(*n));

		if (!n)
			return cerr(c, at, "out of memory");
		c->steps = n;
	}
	c->steps[c->nsteps++] = *s;
	return 0;
}

static void describe(const char *src, size_t i, char *out, size_t n)
{
	unsigned char ch = (unsigned char)src[i];

	if (!ch)
		snprintf(out, n, "end of path");
	else if (ch >= 0x20 && ch < 0x7f)
		snprintf(out, n, "'%c'", ch);
	else
		snprintf(out, n, "byte 0x%02x", ch);
}

static int parse_bracket(struct compiler *c)
{
	const char *s = c->src;
	size_t open = c->pos, i = c->pos + 1;
	struct step st = {0};
	char what[32];

	while (s[i] == ' ')
		i++;
	if (s[i] == '*') {
		st.kind = STEP_WILD;
		i++;
	} else if (s[i] == '\'' || s[i] == '"') {
		char q = s[i++];

		st.kind = STEP_KEY;
		st.off = c->pool.len;
		for (; s[i] && s[i] != q; i++) {
			char ch = s[i];

			if (ch == '\\') {
				if (s[i + 1] != '\\' && s[i + 1] != '\'' && s[i + 1] != '"')
					return cerr(c, i,
						    "unknown escape in quoted name (use \\\\, \\' "
						    "or \\\")");
				ch = s[++i];
			}
			if (buf_append_byte(&c->pool, (uint8_t)ch) < 0)
				return cerr(c, i, "name too long");
		}
		if (!s[i])
			return cerr(c, open + 1, "unterminated quoted name");
		st.len = c->pool.len - st.off;
		if (buf_append_byte(&c->pool, 0) < 0)
			return cerr(c, i, "name too long");
		i++;
	} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
		size_t start = i;
		bool neg = s[i] == '-';
		long long v = 0;

		if (neg)
			i++;
		if (s[i] < '0' || s[i] > '9')
			return cerr(c, start, "expected digits after '-'");
		for (; s[i] >= '0' && s[i] <= '9'; i++) {
			if (v > 1000000000000LL)
				return cerr(c, start, "index too large");
			v = v * 10 + (s[i] - '0');
		}
		st.kind = STEP_INDEX;
		st.index = neg ? -v : v;
	} else if (s[i] == '?' || s[i] == '(') {
		return cerr(c, i, "filters and script expressions are not supported");
	} else if (s[i] == ':') {
		return cerr(c, i, "slices are not supported");
	} else {
		describe(s, i, what, sizeof(what));
		return cerr(c, i, "expected a number, '*' or a quoted name after '[', found %s",
			    what);
	}
	while (s[i] == ' ')
		i++;
	if (s[i] == ':' || s[i] == ',')
		return cerr(c, i, "%s are not supported", s[i] == ':' ? "slices" : "unions");
	if (s[i] != ']') {
		if (!s[i])
			return cerr(c, open, "unclosed '['");
		describe(s, i, what, sizeof(what));
		return cerr(c, i, "expected ']', found %s", what);
	}
	c->pos = i + 1;
	return add_step(c, &st, open);
}

int jsonpath_compile(const char *src, struct jsonpath **out, char **err, size_t *err_col)
{
	struct compiler c = {.src = src, .err = err};
	struct jsonpath *p = NULL;
	size_t end;
	char what[32];
	int rc = -1;

	*out = NULL;
	buf_init(&c.pool, 1 << 16);
	while (src[c.pos] == ' ')
		c.pos++;
	if (src[c.pos] != '$') {
		cerr(&c, c.pos,
		     src[c.pos] ? "a JSONPath starts with '$' (like $.token)" : "empty JSONPath");
		goto out;
	}
	c.pos++;
	end = strlen(src);
	while (end > c.pos && src[end - 1] == ' ')
		end--;
	while (c.pos < end) {
		char ch = src[c.pos];

		if (ch == '.') {
			size_t at = c.pos++, start;
			struct step st = {.kind = STEP_KEY};

			if (src[c.pos] == '.') {
				cerr(&c, at, "recursive descent '..' is not supported");
				goto out;
			}
			if (src[c.pos] == '*') {
				st.kind = STEP_WILD;
				c.pos++;
			} else {
				start = c.pos;
				while (c.pos < end && is_name_char((unsigned char)src[c.pos]))
					c.pos++;
				if (c.pos == start) {
					describe(src, c.pos, what, sizeof(what));
					cerr(&c, c.pos,
					     "expected a member name after '.', found %s", what);
					goto out;
				}
				st.off = c.pool.len;
				st.len = c.pos - start;
				if (buf_append(&c.pool, src + start, st.len) < 0 ||
				    buf_append_byte(&c.pool, 0) < 0) {
					cerr(&c, start, "name too long");
					goto out;
				}
			}
			if (add_step(&c, &st, at) < 0)
				goto out;
		} else if (ch == '[') {
			if (parse_bracket(&c) < 0)
				goto out;
		} else {
			describe(src, c.pos, what, sizeof(what));
			cerr(&c, c.pos, "unexpected %s in JSONPath (expected '.' or '[')", what);
			goto out;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		cerr(&c, 0, "out of memory");
		goto out;
	}
	p->steps = c.steps;
	p->nsteps = c.nsteps;
	p->pool = buf_steal(&c.pool);
	p->definite = true;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].kind == STEP_WILD)
			p->definite = false;
	c.steps = NULL;
	*out = p;
	rc = 0;
out:
	if (rc < 0 && err_col)
		*err_col = c.err_col;
	free(c.steps);
	buf_free(&c.pool);
	return rc;
}

void jsonpath_free(struct jsonpath *p)
{
	if (!p)
		return;
	free(p->steps);
	free(p->pool);
	free(p);
}

bool jsonpath_definite(const struct jsonpath *p)
{
	return p->definite;
}

struct walk {
	const struct jsonpath *p;
	size_t max, count;
	struct buf *scratch;
	jsonpath_emit_fn emit;
	void *ctx;
	int failed;
};

static int dump_cb(const char *data, size_t size, void *data_ctx)
{
	return buf_append(data_ctx, data, size);
}

/* Integers are the usual capture (ids, balances): format them without snprintf. */
static int format_int(json_int_t x, char *out)
{
	char tmp[24];
	unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
	int len = 0, i = 0;

	do {
		tmp[len++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		out[i++] = '-';
	while (len)
		out[i++] = tmp[--len];
	out[i] = '\0';
	return i;
}

static void emit_value(struct walk *w, const json_t *v)
{
	char tmp[48];
	int n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		w->emit(w->ctx, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		n = format_int(json_integer_value(v), tmp);
		w->emit(w->ctx, tmp, (size_t)n);
		break;
	case JSON_REAL:
		n = expr_format_number(json_real_value(v), tmp, sizeof(tmp));
		w->emit(w->ctx, tmp, (size_t)n);
		break;
	case JSON_TRUE:
		w->emit(w->ctx, "true", 4);
		break;
	case JSON_FALSE:
		w->emit(w->ctx, "false", 5);
		break;
	case JSON_NULL:
		w->emit(w->ctx, "null", 4);
		break;
	default:
		buf_reset(w->scratch);
		if (json_dump_callback(v, dump_cb, w->scratch, JSON_COMPACT) < 0) {
			w->failed = 1;
			return;
		}
		w->emit(w->ctx, w->scratch->data ? w->scratch->data : "", w->scratch->len);
		break;
	}
	w->count++;
}

static void walk(struct walk *w, const json_t *v, size_t i)
{
	for (; i < w->p->nsteps; i++) {
		const struct step *s = &w->p->steps[i];

		if (!v)
			return;
		if (s->kind == STEP_KEY) {
			if (!json_is_object(v))
				return;
			v = json_object_getn(v, w->p->pool + s->off, s->len);
		} else if (s->kind == STEP_INDEX) {
			long long n = json_is_array(v) ? (long long)json_array_size(v) : 0;
			long long k = s->index < 0 ? n + s->index : s->index;

			if (!json_is_array(v) || k < 0 || k >= n)
				return;
			v = json_array_get(v, (size_t)k);
		} else {
			size_t k;
			const char *key;
			json_t *item;

			if (json_is_array(v)) {
				for (k = 0; k < json_array_size(v) && !w->failed &&
					    (!w->max || w->count < w->max);
				     k++)
					walk(w, json_array_get(v, k), i + 1);
			} else if (json_is_object(v)) {
				json_object_foreach((json_t *)v, key, item)
				{
					if (w->failed || (w->max && w->count >= w->max))
						break;
					walk(w, item, i + 1);
				}
			}
			return;
		}
	}
	if (v && !w->failed && (!w->max || w->count < w->max))
		emit_value(w, v);
}

int jsonpath_eval_ex(const struct jsonpath *p, const json_t *root, size_t max, struct buf *scratch,
		     jsonpath_emit_fn emit, void *ctx)
{
	struct walk w = {.p = p, .max = max, .scratch = scratch, .emit = emit, .ctx = ctx};

	if (!root)
		return 0;
	walk(&w, root, 0);
	return w.failed ? -1 : (int)w.count;
}

int jsonpath_eval(const struct jsonpath *p, const json_t *root, jsonpath_emit_fn emit, void *ctx)
{
	struct buf scratch;
	int rc;

	buf_init(&scratch, 0);
	rc = jsonpath_eval_ex(p, root, 0, &scratch, emit, ctx);
	buf_free(&scratch);
	return rc;
}
