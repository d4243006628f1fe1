/* The imported scenario's tree and its YAML writer (see import_model.h). The writer quotes every
 * string the importers took from the user's file with YAML's double-quoted style, which can hold
 * any byte sequence; only values the importers composed themselves (a think time, a JSON body
 * already in flow syntax) are written as they are. Comments are written on their own lines so a
 * person reading the scenario sees them just above the step they are about. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/import_model.h"

void imp_doc_init(struct imp_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void imp_doc_free(struct imp_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	memset(d, 0, sizeof(*d));
}

static void oom(void)
{
	fputs("barrage: out of memory\n", stderr);
	exit(4);
}

void *imp_alloc(struct imp_doc *d, size_t size)
{
	void *p;

	if (d->nblocks == d->blocks_cap) {
		size_t cap = d->blocks_cap ? d->blocks_cap * 2 : 64;
		void **nb = realloc(d->blocks, cap * sizeof(*nb));

		if (!nb)
			oom();
		d->blocks = nb;
		d->blocks_cap = cap;
	}
	p = calloc(1, size ? size : 1);
	if (!p)
		oom();
	d->blocks[d->nblocks++] = p;
	return p;
}

char *imp_strndup(struct imp_doc *d, const char *s, size_t n)
{
	char *p = imp_alloc(d, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *imp_strdup(struct imp_doc *d, const char *s)
{
	return s ? imp_strndup(d, s, strlen(s)) : NULL;
}

static char *imp_vprintf(struct imp_doc *d, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	p = imp_alloc(d, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *imp_printf(struct imp_doc *d, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = imp_vprintf(d, fmt, ap);
	va_end(ap);
	return p;
}

/* Lists grow by doubling inside the arena: the old block stays until the document is freed,
 * which at most doubles a list's footprint and keeps every pointer handed out valid. */
static void *grow(struct imp_doc *d, void *v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 4;
	nv = imp_alloc(d, ncap * elem);
	if (n)
		memcpy(nv, v, n * elem);
	*cap = ncap;
	return nv;
}

void imp_strs_add(struct imp_doc *d, struct imp_strs *l, char *s)
{
	l->v = grow(d, l->v, &l->cap, l->n, sizeof(*l->v));
	l->v[l->n++] = s;
}

void imp_note(struct imp_doc *d, struct imp_strs *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imp_strs_add(d, l, imp_vprintf(d, fmt, ap));
	va_end(ap);
}

void imp_pairs_add(struct imp_doc *d, struct imp_pairs *l, const char *key, const char *val)
{
	l->v = grow(d, l->v, &l->cap, l->n, sizeof(*l->v));
	l->v[l->n].key = imp_strdup(d, key);
	l->v[l->n].val = imp_strdup(d, val);
	l->n++;
}

const char *imp_pairs_get(const struct imp_pairs *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

struct imp_capture *imp_capture_add(struct imp_doc *d, struct imp_step *st, const char *var,
				    const char *kind, const char *expr)
{
	struct imp_captures *l = &st->captures;
	struct imp_capture *c;

	l->v = grow(d, l->v, &l->cap, l->n, sizeof(*l->v));
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	c->var = imp_strdup(d, var);
	c->kind = imp_strdup(d, kind);
	c->expr = imp_strdup(d, expr);
	return c;
}

struct imp_step *imp_step_new(struct imp_doc *d, enum imp_kind kind)
{
	struct imp_step *st = imp_alloc(d, sizeof(*st));

	st->kind = kind;
	return st;
}

void imp_list_add(struct imp_doc *d, struct imp_list *l, struct imp_step *st)
{
	l->v = grow(d, l->v, &l->cap, l->n, sizeof(*l->v));
	l->v[l->n++] = st;
}

struct imp_session *imp_session_add(struct imp_doc *d, const char *name)
{
	struct imp_session *s;

	d->sessions = grow(d, d->sessions, &d->sessions_cap, d->nsessions, sizeof(*d->sessions));
	s = &d->sessions[d->nsessions++];
	memset(s, 0, sizeof(*s));
	s->name = imp_strdup(d, name);
	return s;
}

char *imp_ident(struct imp_doc *d, const char *s)
{
	size_t n = strlen(s), j = 0;
	char *out = imp_alloc(d, n + 8);

	for (size_t i = 0; i < n && j < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c))
			out[j++] = (char)tolower(c);
		else if (j && out[j - 1] != '_')
			out[j++] = '_';
	}
	while (j && out[j - 1] == '_')
		j--;
	out[j] = '\0';
	if (!j)
		return imp_strdup(d, "value");
	if (isdigit((unsigned char)out[0]))
		return imp_printf(d, "v_%s", out);
	return out;
}

char *imp_run_name(struct imp_doc *d, const char *path)
{
	const char *b = strrchr(path, '/');
	char *n = imp_strdup(d, b ? b + 1 : path);
	char *dot = strrchr(n, '.');

	if (dot && dot != n)
		*dot = '\0';
	for (char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			*p = '-';
	return *n ? n : imp_strdup(d, "imported");
}

char *imp_duration(struct imp_doc *d, double s)
{
	if (!(s > 0))
		return imp_strdup(d, "0s");
	if (s >= 3600 && fmod(s, 3600) == 0)
		return imp_printf(d, "%.0fh", s / 3600);
	if (s >= 60 && fmod(s, 60) == 0)
		return imp_printf(d, "%.0fm", s / 60);
	if (s >= 1)
		return imp_printf(d, "%gs", s);
	return imp_printf(d, "%gms", s * 1000);
}

int imp_yaml_quote(struct buf *out, const char *s)
{
	int rc = buf_append_byte(out, '"');

	for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
		switch (*p) {
		case '"':
			rc = buf_append_str(out, "\\\"");
			break;
		case '\\':
			rc = buf_append_str(out, "\\\\");
			break;
		case '\n':
			rc = buf_append_str(out, "\\n");
			break;
		case '\r':
			rc = buf_append_str(out, "\\r");
			break;
		case '\t':
			rc = buf_append_str(out, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = buf_printf(out, "\\x%02x", *p);
			else
				rc = buf_append_byte(out, *p);
		}
	}
	return rc < 0 ? rc : buf_append_byte(out, '"');
}

/* ---- the writer ---- */

struct w {
	struct buf *out;
	int rc;
};

static void put(struct w *w, const char *s)
{
	if (w->rc == 0)
		w->rc = buf_append_str(w->out, s);
}

static void putf(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct w *w, const char *fmt, ...)
{
	va_list ap;

	if (w->rc)
		return;
	va_start(ap, fmt);
	w->rc = buf_vprintf(w->out, fmt, ap);
	va_end(ap);
}

static void quote(struct w *w, const char *s)
{
	if (w->rc == 0)
		w->rc = imp_yaml_quote(w->out, s ? s : "");
}

static void indent(struct w *w, int n)
{
	for (int i = 0; i < n; i++)
		put(w, " ");
}

/* One comment per line; a note holding newlines becomes several comment lines. */
static void comments(struct w *w, int ind, const struct imp_strs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];

		do {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);

			indent(w, ind);
			put(w, "# ");
			if (w->rc == 0)
				w->rc = buf_append(w->out, s, len);
			put(w, "\n");
			s = nl ? nl + 1 : NULL;
		} while (s);
	}
}

static void pairs(struct w *w, int ind, const char *key, const struct imp_pairs *l)
{
	if (!l->n)
		return;
	indent(w, ind);
	putf(w, "%s:\n", key);
	for (size_t i = 0; i < l->n; i++) {
		indent(w, ind + 2);
		quote(w, l->v[i].key);
		put(w, ": ");
		quote(w, l->v[i].val);
		put(w, "\n");
	}
}

static void steps(struct w *w, int ind, const char *key, const struct imp_list *l);

static void request(struct w *w, int ind, const struct imp_step *st)
{
	put(w, "request:\n");
	if (st->method && strcmp(st->method, "GET") != 0) {
		indent(w, ind + 4);
		put(w, "method: ");
		quote(w, st->method);
		put(w, "\n");
	}
	indent(w, ind + 4);
	put(w, "url: ");
	quote(w, st->url);
	put(w, "\n");
	if (st->name) {
		indent(w, ind + 4);
		putf(w, "name: %s\n", st->name);
	}
	pairs(w, ind + 4, "headers", &st->headers);
	switch (st->body_kind) {
	case IMP_BODY_RAW:
		indent(w, ind + 4);
		put(w, "body: ");
		quote(w, st->body);
		put(w, "\n");
		break;
	case IMP_BODY_JSON:
		indent(w, ind + 4);
		putf(w, "json: %s\n", st->body);
		break;
	case IMP_BODY_FORM:
		if (st->form.n)
			pairs(w, ind + 4, "form", &st->form);
		else {
			indent(w, ind + 4);
			put(w, "form: {}\n");
		}
		break;
	case IMP_BODY_NONE:
		break;
	}
	if (st->expect_status || st->expect_regex || st->on_fail) {
		indent(w, ind + 2);
		put(w, "expect:\n");
		if (st->expect_status) {
			indent(w, ind + 4);
			putf(w, "status: %s\n", st->expect_status);
		}
		if (st->expect_regex) {
			indent(w, ind + 4);
			put(w, "body: { regex: ");
			quote(w, st->expect_regex);
			put(w, " }\n");
		}
		if (st->on_fail) {
			indent(w, ind + 4);
			putf(w, "on_fail: %s\n", st->on_fail);
		}
	}
	if (st->captures.n) {
		indent(w, ind + 2);
		put(w, "capture:\n");
		for (size_t i = 0; i < st->captures.n; i++) {
			const struct imp_capture *c = &st->captures.v[i];

			if (c->comment) {
				indent(w, ind + 4);
				putf(w, "# %s\n", c->comment);
			}
			indent(w, ind + 4);
			putf(w, "%s: { %s: ", c->var, c->kind);
			quote(w, c->expr);
			if (c->all)
				put(w, ", pick: all");
			if (c->def) {
				put(w, ", default: ");
				quote(w, c->def);
			}
			put(w, " }\n");
		}
	}
}

static void step(struct w *w, int ind, const struct imp_step *st)
{
	comments(w, ind, &st->notes);
	indent(w, ind);
	put(w, "- ");
	switch (st->kind) {
	case IMP_REQUEST:
		request(w, ind, st);
		break;
	case IMP_THINK:
		putf(w, "think: %s\n", st->think);
		break;
	case IMP_TRANSACTION:
		putf(w, "transaction: %s\n", st->name);
		steps(w, ind + 2, "steps", &st->steps);
		break;
	case IMP_IF:
		put(w, "if: ");
		quote(w, st->cond);
		put(w, "\n");
		steps(w, ind + 2, "then", &st->steps);
		if (st->has_else)
			steps(w, ind + 2, "else", &st->else_steps);
		break;
	case IMP_WHILE:
		put(w, "while: ");
		quote(w, st->cond);
		put(w, "\n");
		indent(w, ind + 2);
		putf(w, "max: %lu\n", st->max);
		steps(w, ind + 2, "steps", &st->steps);
		break;
	case IMP_FOREACH:
		putf(w, "foreach: %s\n", st->list);
		indent(w, ind + 2);
		putf(w, "as: %s\n", st->as);
		steps(w, ind + 2, "steps", &st->steps);
		break;
	case IMP_SET:
		put(w, "set: {");
		for (size_t i = 0; i < st->set.n; i++) {
			putf(w, "%s %s: ", i ? "," : "", st->set.v[i].key);
			quote(w, st->set.v[i].val);
		}
		put(w, " }\n");
		break;
	case IMP_ABORT:
		put(w, "abort: ");
		quote(w, st->reason);
		put(w, "\n");
		break;
	}
}

static void steps(struct w *w, int ind, const char *key, const struct imp_list *l)
{
	indent(w, ind);
	if (!l->n) {
		putf(w, "%s: []\n", key);
		return;
	}
	putf(w, "%s:\n", key);
	for (size_t i = 0; i < l->n; i++)
		step(w, ind + 2, l->v[i]);
}

int imp_write(const struct imp_doc *d, struct buf *out)
{
	struct w w = {.out = out};

	comments(&w, 0, &d->header);
	if (d->name) {
		put(&w, "name: ");
		quote(&w, d->name);
		put(&w, "\n");
	}
	comments(&w, 0, &d->target_notes);
	if (d->target) {
		put(&w, "target: ");
		quote(&w, d->target);
		put(&w, "\n");
	}
	if (d->http_headers.n || d->http_version) {
		put(&w, "http:\n");
		if (d->http_version)
			putf(&w, "  version: \"%s\"\n", d->http_version);
		pairs(&w, 2, "headers", &d->http_headers);
	}
	put(&w, "load:\n");
	comments(&w, 2, &d->load_notes);
	if (d->nsessions && d->phases.n) {
		put(&w, "  phases:\n");
		for (size_t i = 0; i < d->phases.n; i++)
			putf(&w, "    - %s\n", d->phases.v[i]);
		if (d->max_users)
			putf(&w, "  max_users: %s\n", d->max_users);
	} else {
		putf(&w, "  users: %s\n", d->users ? d->users : "1");
		putf(&w, "  duration: %s\n", d->duration ? d->duration : "1m");
	}
	pairs(&w, 0, "data", &d->data);
	if (d->variables.n) {
		put(&w, "variables:\n");
		for (size_t i = 0; i < d->variables.n; i++) {
			if (i < d->variable_notes.n && d->variable_notes.v[i])
				putf(&w, "  # %s\n", d->variable_notes.v[i]);
			putf(&w, "  %s: ", d->variables.v[i].key);
			quote(&w, d->variables.v[i].val);
			put(&w, "\n");
		}
	}
	put(&w, "sessions:\n");
	for (size_t i = 0; i < d->nsessions; i++) {
		const struct imp_session *s = &d->sessions[i];

		comments(&w, 2, &s->notes);
		put(&w, "  - name: ");
		quote(&w, s->name);
		put(&w, "\n");
		if (s->weight)
			putf(&w, "    weight: %s\n", s->weight);
		steps(&w, 4, "steps", &s->steps);
	}
	if (d->trailer.n) {
		put(&w, "\n");
		comments(&w, 0, &d->trailer);
	}
	return w.rc;
}
