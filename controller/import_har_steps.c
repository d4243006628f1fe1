/* One HAR entry as a request step (see import_har.h): the browser's noise headers dropped, the
 * body as json, form or text, the recorded status expected, and every value an earlier
 * response made turned into a capture there and a {{ template }} here. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/import_har.h"

const char *har_jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Request headers a browser adds by itself, that the user's cookie jar or libcurl sends, or
 * that only make sense for one recorded moment. */
static bool noise_header(const char *name, bool keep_ua)
{
	static const char *const drop[] = {"accept-language",
					   "cookie",
					   "host",
					   "connection",
					   "content-length",
					   "accept-encoding",
					   "origin",
					   "referer",
					   "pragma",
					   "cache-control",
					   "upgrade-insecure-requests",
					   "dnt",
					   "priority",
					   "if-none-match",
					   "if-modified-since",
					   "te",
					   "keep-alive",
					   "proxy-connection",
					   "purpose",
					   "x-client-data",
					   "user-agent",
					   NULL};

	if (name[0] == ':' || strncasecmp(name, "sec-", 4) == 0)
		return true;
	if (keep_ua && strcasecmp(name, "user-agent") == 0)
		return false;
	for (size_t i = 0; drop[i]; i++)
		if (strcasecmp(name, drop[i]) == 0)
			return true;
	return false;
}

static bool mime_is(const char *mime, const char *what)
{
	return mime && strcasestr(mime, what);
}

static bool mime_json(const char *mime)
{
	return mime && (strcasestr(mime, "/json") || strcasestr(mime, "+json"));
}

/* The body text of a request or response; base64 content is skipped (binary). */
static const char *body_text(const json_t *content)
{
	const char *enc = har_jstr(content, "encoding");

	if (enc && strcasecmp(enc, "base64") == 0)
		return NULL;
	return har_jstr(content, "text");
}

/* ---- indexing the responses ---- */

static void index_response(struct har *h, int entry)
{
	const json_t *resp = json_object_get(h->ents[entry].e, "response");
	const json_t *content = json_object_get(resp, "content");
	const char *text = body_text(content), *mime = har_jstr(content, "mimeType");
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(resp, "headers"), i, x)
	{
		const char *n = har_jstr(x, "name"), *v = har_jstr(x, "value");

		if (n && v && strcasecmp(n, "set-cookie") != 0 && strcasecmp(n, "date") != 0)
			corr_add(&h->idx, entry, v, strlen(v), CORR_HEADER, n, n);
	}
	json_array_foreach(json_object_get(resp, "cookies"), i, x)
	{
		const char *n = har_jstr(x, "name"), *v = har_jstr(x, "value");

		if (n && v)
			corr_add(&h->idx, entry, v, strlen(v), CORR_COOKIE, n, n);
	}
	if (!text)
		return;
	if (mime_json(mime) || text[strspn(text, " \t\r\n")] == '{' ||
	    text[strspn(text, " \t\r\n")] == '[') {
		json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

		if (j) {
			corr_add_json(&h->idx, entry, j);
			json_decref(j);
		}
	}
	corr_add_text(&h->idx, entry, text);
}

/* ---- request words: marking what the client sent first, and correlating ---- */

struct found;

/* What a word callback needs: which request, and what to collect into. */
struct word_ctx {
	struct har *h;
	int entry;
	struct found *f;
};

static void mark_sent(void *ctx, const char *s, size_t n)
{
	struct word_ctx *w = ctx;
	struct corr_val *v = corr_find(&w->h->idx, s, n);

	if (v && v->sent_before > w->entry)
		v->sent_before = w->entry;
}

struct found {
	struct corr_val **v;
	size_t n, cap;
	struct imp_strs *dynamic; /* words that look generated and are unexplained */
	struct imp_doc *d;
};

static void collect(void *ctx, const char *s, size_t n)
{
	struct word_ctx *w = ctx;
	struct har *h = w->h;
	struct found *f = w->f;
	struct corr_val *v = corr_find(&h->idx, s, n);

	if (v && v->entry < w->entry && v->sent_before > v->entry) {
		for (size_t i = 0; i < f->n; i++)
			if (f->v[i] == v)
				return;
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 8;
			struct corr_val **nv = imp_alloc(h->d, cap * sizeof(*nv));

			if (f->n)
				memcpy(nv, f->v, f->n * sizeof(*nv));
			f->v = nv;
			f->cap = cap;
		}
		f->v[f->n++] = v;
	} else if (!v && corr_looks_dynamic(s, n) && f->dynamic) {
		for (size_t i = 0; i < f->dynamic->n; i++)
			if (strlen(f->dynamic->v[i]) == n && memcmp(f->dynamic->v[i], s, n) == 0)
				return;
		imp_strs_add(h->d, f->dynamic, imp_strndup(h->d, s, n));
	}
}

/* Every part of a request a value can hide in, as text. */
static void request_parts(struct har *h, int entry, corr_word_fn fn, struct found *f)
{
	struct word_ctx ctx = {.h = h, .entry = entry, .f = f};
	const json_t *req = json_object_get(h->ents[entry].e, "request");
	const json_t *x;
	const char *text = har_jstr(json_object_get(req, "postData"), "text");
	size_t i;

	corr_words(h->ents[entry].url, fn, &ctx);
	json_array_foreach(json_object_get(req, "headers"), i, x)
	{
		const char *n = har_jstr(x, "name"), *v = har_jstr(x, "value");

		if (n && v && !noise_header(n, h->o->keep_user_agent))
			corr_words(v, fn, &ctx);
	}
	if (text)
		corr_words(text, fn, &ctx);
}

static char *unique_var(struct har *h, const char *base)
{
	char *id = imp_ident(h->d, base ? base : "value");
	char *v = id;

	for (size_t k = 2;; k++) {
		bool used = false;

		for (size_t i = 0; i < h->varnames.n; i++)
			used = used || strcmp(h->varnames.v[i], v) == 0;
		if (!used)
			break;
		v = imp_printf(h->d, "%s_%zu", id, k);
	}
	imp_strs_add(h->d, &h->varnames, v);
	return v;
}

/* Replace every occurrence of the correlated values in s by their templates. */
static char *templatize(struct har *h, const char *s, struct found *f)
{
	struct buf b;
	char *out;

	if (!s || !f->n)
		return imp_strdup(h->d, s);
	buf_init(&b, 0);
	for (size_t i = 0; s[i];) {
		struct corr_val *best = NULL;

		for (size_t k = 0; k < f->n; k++)
			if (f->v[k]->var && strncmp(s + i, f->v[k]->s, f->v[k]->len) == 0 &&
			    (!best || f->v[k]->len > best->len))
				best = f->v[k];
		if (best) {
			buf_printf(&b, "{{ %s }}", best->var);
			best->uses++;
			i += best->len;
		} else {
			buf_append_byte(&b, (uint8_t)s[i++]);
		}
	}
	out = imp_strdup(h->d, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* JSON body with templates in its string leaves; integer leaves equal to a correlated value
 * make the body raw text instead (a template in json: is always a string). */
static json_t *json_templatize(struct har *h, json_t *j, struct found *f, bool *raw, int depth)
{
	if (depth > 64)
		return json_incref(j);
	if (json_is_object(j)) {
		json_t *o = json_object();
		const char *k;
		json_t *v;

		json_object_foreach(j, k, v)
		    json_object_set_new(o, k, json_templatize(h, v, f, raw, depth + 1));
		return o;
	}
	if (json_is_array(j)) {
		json_t *a = json_array();
		size_t i;
		json_t *v;

		json_array_foreach(j, i, v)
		    json_array_append_new(a, json_templatize(h, v, f, raw, depth + 1));
		return a;
	}
	if (json_is_string(j))
		return json_string(templatize(h, json_string_value(j), f));
	if (json_is_integer(j)) {
		char num[32];

		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		for (size_t k = 0; k < f->n; k++)
			if (f->v[k]->var && strlen(num) == f->v[k]->len &&
			    memcmp(num, f->v[k]->s, f->v[k]->len) == 0) {
				*raw = true;
				f->v[k]->uses++;
				return json_string(imp_printf(h->d, "\x01%s\x01", f->v[k]->var));
			}
	}
	return json_incref(j);
}

/* Turn the "\u0001var\u0001" markers of a dumped JSON body into bare {{ var }} holes. */
static char *unmark(struct har *h, const char *s)
{
	struct buf b;
	char *out;

	buf_init(&b, 0);
	while (*s) {
		const char *m = strstr(s, "\"\\u0001");
		const char *e = m ? strstr(m + 7, "\\u0001\"") : NULL;

		if (!m || !e) {
			buf_append_str(&b, s);
			break;
		}
		buf_append(&b, s, (size_t)(m - s));
		buf_printf(&b, "{{ %.*s }}", (int)(e - m - 7), m + 7);
		s = e + 7;
	}
	out = imp_strdup(h->d, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static int hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *form_decode(struct imp_doc *d, const char *s, size_t n)
{
	char *out = imp_alloc(d, n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
			   hexval((unsigned char)s[i + 2]) >= 0) {
			out[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
					  hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/* ---- building the steps ---- */

static void body(struct har *h, struct ent *en, struct imp_step *st, struct found *f)
{
	const json_t *pd = json_object_get(json_object_get(en->e, "request"), "postData");
	const char *text = har_jstr(pd, "text"), *mime = har_jstr(pd, "mimeType");

	if (!pd || !text)
		return;
	if (mime_json(mime)) {
		json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

		if (j) {
			bool raw = false;
			json_t *t = json_templatize(h, j, f, &raw, 0);
			char *dump =
			    json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

			json_decref(j);
			json_decref(t);
			if (!dump) {
				fputs("barrage: out of memory\n", stderr);
				exit(4);
			}
			if (raw) {
				st->body_kind = IMP_BODY_RAW;
				st->body = unmark(h, dump);
				imp_pairs_add(h->d, &st->headers, "Content-Type", mime);
			} else {
				st->body_kind = IMP_BODY_JSON;
				st->body = imp_strdup(h->d, dump);
			}
			free(dump);
			return;
		}
	}
	if (mime_is(mime, "application/x-www-form-urlencoded")) {
		const char *p = text;

		st->body_kind = IMP_BODY_FORM;
		while (*p) {
			size_t n = strcspn(p, "&"), k = strcspn(p, "=");
			char *name, *val;

			if (k > n)
				k = n;
			if (n) {
				name = form_decode(h->d, p, k);
				val = k < n ? form_decode(h->d, p + k + 1, n - k - 1)
					    : imp_strdup(h->d, "");
				imp_pairs_add(h->d, &st->form, name, templatize(h, val, f));
			}
			p += n;
			if (*p == '&')
				p++;
		}
		return;
	}
	st->body_kind = IMP_BODY_RAW;
	st->body = templatize(h, text, f);
	if (mime && *mime)
		imp_pairs_add(h->d, &st->headers, "Content-Type", mime);
}

struct imp_step *har_request_step(struct har *h, size_t i)
{
	struct ent *en = &h->ents[i];
	const json_t *req = json_object_get(en->e, "request"), *x;
	struct imp_step *st = imp_step_new(h->d, IMP_REQUEST);
	struct found f = {.d = h->d};
	struct imp_strs dyn = {0};
	const char *url = en->url;
	size_t k;

	f.dynamic = &dyn;
	request_parts(h, (int)i, collect, &f);
	/* Correlate now: the values this request sends that an earlier response made. */
	for (k = 0; k < f.n; k++) {
		struct corr_val *v = f.v[k];
		struct imp_step *src = h->ents[v->entry].st;
		struct imp_capture *c;

		if (v->var)
			continue;
		corr_describe(h->d, v);
		v->var = unique_var(h, v->name ? v->name : "value");
		c = imp_capture_add(h->d, src, v->var, corr_kind(v->src), v->where);
		c->comment =
		    imp_printf(h->d,
			       "correlated: '%.*s%s' (recorded) is sent by later "
			       "requests",
			       (int)(v->len > 40 ? 40 : v->len), v->s, v->len > 40 ? "..." : "");
		h->correlated++;
		fprintf(h->report,
			"barrage: import: correlated %s: %s %s of entry %d (%s %s), "
			"first sent by entry %zu\n",
			v->var,
			v->src == CORR_JSON	? "JSON field"
			: v->src == CORR_HEADER ? "header"
			: v->src == CORR_COOKIE ? "cookie"
						: "text matching",
			v->where, v->entry + 1, h->ents[v->entry].method, h->ents[v->entry].url,
			i + 1);
	}
	st->method = imp_strdup(h->d, en->method);
	if (h->d->target && strcmp(en->origin, h->d->target) == 0) {
		url += strlen(en->origin);
		if (!*url)
			url = "/";
	}
	st->url = templatize(h, url, &f);
	json_array_foreach(json_object_get(req, "headers"), k, x)
	{
		const char *n = har_jstr(x, "name"), *v = har_jstr(x, "value");
		const json_t *pd = json_object_get(req, "postData");

		if (!n || !v || noise_header(n, h->o->keep_user_agent))
			continue;
		if (strcasecmp(n, "user-agent") == 0) {
			if (!imp_pairs_get(&h->d->http_headers, "User-Agent"))
				imp_pairs_add(h->d, &h->d->http_headers, "User-Agent", v);
			continue;
		}
		if (strcasecmp(n, "content-type") == 0 && pd)
			continue; /* the body sets its own */
		if (!imp_pairs_get(&st->headers, n))
			imp_pairs_add(h->d, &st->headers, n, templatize(h, v, &f));
	}
	body(h, en, st, &f);
	if (en->status == 304)
		st->expect_status = imp_strdup(h->d, "[200, 304]");
	else if (en->status > 0)
		st->expect_status = imp_printf(h->d, "%d", en->status);
	for (k = 0; k < dyn.n; k++) {
		imp_note(h->d, &st->notes,
			 "looks dynamic, not correlated: '%s' (no earlier "
			 "response held it): decide where it comes from",
			 dyn.v[k]);
		fprintf(h->report,
			"barrage: import: entry %zu (%s %s): '%s' looks dynamic but no "
			"earlier response held it\n",
			i + 1, en->method, en->url, dyn.v[k]);
		h->dynamic++;
	}
	en->st = st;
	return st;
}

void har_index(struct har *h)
{
	for (size_t i = 0; i < h->n; i++)
		index_response(h, (int)i);
	for (size_t i = 0; i < h->n; i++)
		request_parts(h, (int)i, mark_sent, NULL);
}
