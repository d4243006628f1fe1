/* Correlation for `barrage import har` (see import_correlate.h): an index of the values the
 * responses held, and the splitting of requests into words to look up in it. Kept apart from
 * the HAR walk so the rules of what counts as a server-made value live in one place. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "controller/import_correlate.h"

struct corr_val *corr_find(const struct corr_index *x, const char *s, size_t n)
{
	if (!x->cap)
		return NULL;
	for (size_t i = hash_bytes(s, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		struct corr_val *v = x->slot[i];

		if (!v)
			return NULL;
		if (v->len == n && memcmp(v->s, s, n) == 0)
			return v;
	}
}

static int grow(struct corr_index *x)
{
	size_t cap = x->cap ? x->cap * 2 : 1024;
	struct corr_val **ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -1;
	for (size_t i = 0; i < x->cap; i++) {
		struct corr_val *v = x->slot[i];

		if (!v)
			continue;
		for (size_t j = hash_bytes(v->s, v->len) & (cap - 1);; j = (j + 1) & (cap - 1))
			if (!ns[j]) {
				ns[j] = v;
				break;
			}
	}
	free(x->slot);
	x->slot = ns;
	x->cap = cap;
	return 0;
}

static bool tokchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~' || c == '+' || c == '/' ||
	       c == '=';
}

static bool has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			return true;
	return false;
}

static bool has_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isalpha((unsigned char)s[i]))
			return true;
	return false;
}

/* Worth correlating: long enough that a match is no accident. */
static bool candidate(const char *s, size_t n)
{
	if (n < CORR_MIN_TOKEN || n > CORR_MAX_TOKEN)
		return false;
	return has_digit(s, n) || n >= CORR_LONG_TOKEN;
}

/* Looks generated even if nothing explains it: long, letters and digits mixed. */
bool corr_looks_dynamic(const char *s, size_t n)
{
	return n >= CORR_LONG_TOKEN && n <= CORR_MAX_TOKEN && has_digit(s, n) && has_alpha(s, n);
}

/* Index s (borrowed) as seen in response `entry`. JSON, header and cookie values are copied
 * with their path or name; a word of a text body points into the HAR's own text, which lives
 * as long as the import, and its regex and name are only made if it is ever correlated: most
 * indexed words never are, and a large HTML body has many. */
static void add(struct corr_index *x, int entry, const char *s, size_t n, enum corr_src src,
		const char *where, const char *name, const char *text, size_t at)
{
	struct corr_val *v;

	if (!candidate(s, n))
		return;
	v = corr_find(x, s, n);
	if (v) {
		/* A better way to capture it from the same response wins (json over text). */
		if (v->entry == entry && src < v->src) {
			v->src = src;
			v->where = imp_strdup(x->d, where);
			v->name = name ? imp_strdup(x->d, name) : NULL;
			if (v->text) { /* it pointed into a body: keep a copy of its own */
				v->s = imp_strndup(x->d, s, n);
				v->text = NULL;
			}
		}
		return;
	}
	if (x->n >= CORR_MAX_VALUES) {
		x->full = true;
		return;
	}
	if ((x->n + 1) * 2 > x->cap && grow(x) < 0) {
		fputs("barrage: out of memory\n", stderr);
		exit(4);
	}
	v = imp_alloc(x->d, sizeof(*v));
	v->len = n;
	v->entry = entry;
	v->src = src;
	if (src == CORR_TEXT) {
		v->s = s;
		v->text = text;
		v->at = at;
	} else {
		v->s = imp_strndup(x->d, s, n);
		v->where = imp_strdup(x->d, where);
		v->name = name ? imp_strdup(x->d, name) : NULL;
	}
	v->sent_before = INT32_MAX;
	for (size_t i = hash_bytes(s, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
		if (!x->slot[i]) {
			x->slot[i] = v;
			break;
		}
	x->n++;
}

static void json_path_append(struct buf *b, const char *key)
{
	bool plain = isalpha((unsigned char)key[0]) || key[0] == '_';

	for (const char *p = key; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || *p == '_';
	if (plain) {
		buf_printf(b, ".%s", key);
		return;
	}
	buf_append_str(b, "['");
	for (const char *p = key; *p; p++) {
		if (*p == '\'' || *p == '\\')
			buf_append_byte(b, '\\');
		buf_append_byte(b, (uint8_t)*p);
	}
	buf_append_str(b, "']");
}

static void add_json(struct corr_index *x, int entry, const json_t *j, struct buf *path,
		     const char *key, int depth)
{
	size_t mark = path->len;

	if (depth > 64)
		return;
	if (json_is_object(j)) {
		const char *k;
		const json_t *v;

		json_object_foreach((json_t *)j, k, v)
		{
			json_path_append(path, k);
			add_json(x, entry, v, path, k, depth + 1);
			path->len = mark;
			path->data[mark] = '\0';
		}
	} else if (json_is_array(j)) {
		size_t i;
		const json_t *v;

		json_array_foreach(j, i, v)
		{
			buf_printf(path, "[%zu]", i);
			add_json(x, entry, v, path, key, depth + 1);
			path->len = mark;
			path->data[mark] = '\0';
		}
	} else if (json_is_string(j)) {
		add(x, entry, json_string_value(j), json_string_length(j), CORR_JSON, path->data,
		    key, NULL, 0);
	} else if (json_is_integer(j)) {
		char num[32];
		int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));

		add(x, entry, num, (size_t)n, CORR_JSON, path->data, key, NULL, 0);
	}
}

/* A regex that finds the word at `at` in text: up to 24 bytes of the literal text before it
 * (on the same line), escaped, then the word's characters. */
static char *text_regex(struct imp_doc *d, const char *text, size_t at)
{
	size_t from = at > 24 ? at - 24 : 0;
	struct buf b;
	char *out;

	for (size_t i = at; i > from; i--)
		if (text[i - 1] == '\n' || text[i - 1] == '\r') {
			from = i;
			break;
		}
	buf_init(&b, 0);
	if (from == at)
		buf_append_str(&b, "^");
	for (size_t i = from; i < at; i++) {
		if (strchr("\\^$.|?*+()[]{}", text[i]))
			buf_append_byte(&b, '\\');
		buf_append_byte(&b, (uint8_t)text[i]);
	}
	buf_append_str(&b, "([A-Za-z0-9_.~+/=-]+)");
	out = imp_strdup(d, b.data);
	buf_free(&b);
	return out;
}

/* A variable name for a word found in text: the name="..." just before it (a form field), else
 * the last identifier before it ("token" in "token":"...", "csrf" in csrf=...). */
static char *context_name(struct imp_doc *d, const char *text, size_t at)
{
	size_t from = at > 48 ? at - 48 : 0, e = at, b;
	const char *nm = NULL;

	for (size_t i = from; i + 6 <= at; i++)
		if (strncmp(text + i, "name=", 5) == 0 &&
		    (text[i + 5] == '"' || text[i + 5] == '\''))
			nm = text + i + 6;
	if (nm) {
		size_t n = 0;

		while (nm + n < text + at &&
		       (isalnum((unsigned char)nm[n]) || nm[n] == '_' || nm[n] == '-'))
			n++;
		if (n)
			return imp_strndup(d, nm, n);
	}
	while (e > from && !isalnum((unsigned char)text[e - 1]))
		e--;
	for (b = e; b > from && (isalnum((unsigned char)text[b - 1]) || text[b - 1] == '_'); b--)
		;
	return e > b ? imp_strndup(d, text + b, e - b) : NULL;
}

void corr_add_text(struct corr_index *x, int entry, const char *text)
{
	size_t i = 0;

	while (text[i]) {
		size_t s, e;

		while (text[i] && !tokchar((unsigned char)text[i]))
			i++;
		s = i;
		while (text[i] && tokchar((unsigned char)text[i]))
			i++;
		e = i;
		/* name=value: the value is the word */
		for (size_t k = s; k + 1 < e; k++)
			if (text[k] == '=' && k > s) {
				s = k + 1;
				break;
			}
		if (candidate(text + s, e - s) && !corr_find(x, text + s, e - s))
			add(x, entry, text + s, e - s, CORR_TEXT, NULL, NULL, text, s);
	}
}

void corr_words(const char *s, corr_word_fn fn, void *ctx)
{
	size_t i = 0;

	while (s[i]) {
		size_t a, b;

		while (s[i] && !tokchar((unsigned char)s[i]))
			i++;
		a = i;
		while (s[i] && tokchar((unsigned char)s[i]) && s[i] != '/')
			i++;
		b = i;
		for (size_t k = a; k + 1 < b; k++)
			if (s[k] == '=' && k > a) {
				fn(ctx, s + a, k - a);
				a = k + 1;
				break;
			}
		if (b > a)
			fn(ctx, s + a, b - a);
		if (s[i] == '/')
			i++;
	}
}

void corr_init(struct corr_index *x, struct imp_doc *d)
{
	memset(x, 0, sizeof(*x));
	x->d = d;
}

void corr_free(struct corr_index *x)
{
	if (!x)
		return;
	free(x->slot);
	x->slot = NULL;
	x->cap = x->n = 0;
}

void corr_add(struct corr_index *x, int entry, const char *s, size_t n, enum corr_src src,
	      const char *where, const char *name)
{
	add(x, entry, s, n, src, where, name, NULL, 0);
}

void corr_add_json(struct corr_index *x, int entry, const json_t *j)
{
	struct buf path;

	buf_init(&path, 0);
	buf_append_str(&path, "$");
	add_json(x, entry, j, &path, NULL, 0);
	buf_free(&path);
}

void corr_describe(struct imp_doc *d, struct corr_val *v)
{
	if (!v->text)
		return;
	v->where = text_regex(d, v->text, v->at);
	v->name = context_name(d, v->text, v->at);
}

const char *corr_kind(enum corr_src src)
{
	switch (src) {
	case CORR_JSON:
		return "json";
	case CORR_HEADER:
		return "header";
	case CORR_COOKIE:
		return "cookie";
	case CORR_TEXT:
		break;
	}
	return "regex";
}
