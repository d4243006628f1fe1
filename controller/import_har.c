/* `barrage import har`: an HTTP Archive 1.2 (as Chromium, Firefox and proxies write it) to a
 * scenario, read with jansson.
 *
 * The walk, in order:
 *  1. entries sorted by startedDateTime (stable); cancelled ones (status 0, _error), data:,
 *     blob:, websocket and CONNECT entries dropped; static assets (images, fonts, css, js, by
 *     MIME type, Chromium's _resourceType and the path's extension) dropped unless
 *     --keep-static; --include-host/--exclude-host applied;
 *  2. the origin with the most entries becomes `target`; other origins stay absolute;
 *  3. correlation (below);
 *  4. steps: each page (pageref) a transaction, gaps of at least --think-min between the end of
 *     one entry and the start of the next a think step; request bodies as json, form or body;
 *     browser-noise headers dropped; an expectation on the recorded status.
 *
 * Correlation (the index and the word rules are in import_correlate.c). A value the server made up
 * (a token, a session id, a fresh object id) and the browser sent back must be captured from the
 * response where it first appeared, or the scenario replays a stale value. Responses are indexed
 * once: every JSON leaf (string, or an integer of 6 digits or more) with its path, every header
 * value, every cookie, and every token-like word of a text body. Then every request's parts (URL
 * path segments and query values, header values, body leaves, form values) are split into words and
 * looked up. A word of at least 6 characters with a digit, or of 16 or more, that some earlier
 * response held and no earlier request sent, becomes a capture on that response (json > header >
 * cookie > regex with the literal text before it) and a {{ template }} in every later request.
 * Words that look generated (long, letters and digits mixed) but were found in no response are
 * reported as "looks dynamic, not correlated": a person decides what they are. Indexing first keeps
 * this linear in the size of the file. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "common/err.h"
#include "controller/import.h"
#include "controller/import_correlate.h"

#define HAR_MAX_ENTRIES 1000000

/* ---- the importer's state ---- */

struct ent {
	json_t *e; /* borrowed from the document */
	int64_t start_ms;
	double time_ms;
	size_t order;
	const char *url, *method, *origin, *pageref;
	int status;
	/* after correlation */
	struct imp_step *st;
};

struct har {
	struct imp_doc *d;
	const struct import_opts *o;
	const char *path;
	FILE *report;
	struct ent *ents;
	size_t n;
	struct corr_index idx;
	size_t correlated, dynamic;
	size_t dropped_static, dropped_cancelled, dropped_scheme, dropped_host;
	struct imp_strs varnames;
};

/* ---- small helpers over the HAR's JSON ---- */

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t parse_time_ms(const char *s)
{
	struct tm tm = {0};
	const char *p;
	int64_t ms = 0, t;
	int off = 0;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		int digits = 0;

		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) >= 1)
			off = (hh * 60 + mm) * (*p == '-' ? -1 : 1);
	}
	t = (int64_t)timegm(&tm);
	return (t - (int64_t)off * 60) * 1000 + ms;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static char *origin_of(struct imp_doc *d, const char *url)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (!p)
		return NULL;
	p += 3;
	n = strcspn(p, "/?#");
	return imp_strndup(d, url, (size_t)(p - url) + n);
}

static const char *authority(const char *origin)
{
	const char *p = strstr(origin, "://");

	return p ? p + 3 : origin;
}

static bool host_matches(const char *origin, const char *pattern)
{
	const char *a = authority(origin);
	size_t hl = strcspn(a, ":");

	if (strcasecmp(a, pattern) == 0)
		return true;
	return strlen(pattern) == hl && strncasecmp(a, pattern, hl) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

static bool is_static(const json_t *e, const char *url)
{
	static const char *const exts[] = {".png",  ".jpg",  ".jpeg", ".gif",  ".svg",	 ".ico",
					   ".webp", ".avif", ".bmp",  ".woff", ".woff2", ".ttf",
					   ".otf",  ".eot",  ".css",  ".js",   ".mjs",	 ".map",
					   ".mp4",  ".webm", ".mp3",  ".ogg",  NULL};
	const char *rt = jstr(e, "_resourceType");
	const json_t *content = json_object_get(json_object_get(e, "response"), "content");
	const char *mime = jstr(content, "mimeType");
	const char *path = strstr(url, "://");
	size_t n;

	if (rt &&
	    (strcmp(rt, "image") == 0 || strcmp(rt, "font") == 0 || strcmp(rt, "stylesheet") == 0 ||
	     strcmp(rt, "script") == 0 || strcmp(rt, "media") == 0))
		return true;
	if (mime && (strncasecmp(mime, "image/", 6) == 0 || strncasecmp(mime, "font/", 5) == 0 ||
		     strncasecmp(mime, "text/css", 8) == 0 || strncasecmp(mime, "video/", 6) == 0 ||
		     strncasecmp(mime, "audio/", 6) == 0 || strcasestr(mime, "javascript") ||
		     strncasecmp(mime, "application/font", 16) == 0))
		return true;
	path = path ? path + 3 + strcspn(path + 3, "/?#") : url;
	n = strcspn(path, "?#");
	for (size_t i = 0; exts[i]; i++)
		if (ends_with(path, n, exts[i]))
			return true;
	return false;
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
	const char *enc = jstr(content, "encoding");

	if (enc && strcasecmp(enc, "base64") == 0)
		return NULL;
	return jstr(content, "text");
}

/* ---- indexing the responses ---- */

static void index_response(struct har *h, int entry)
{
	const json_t *resp = json_object_get(h->ents[entry].e, "response");
	const json_t *content = json_object_get(resp, "content");
	const char *text = body_text(content), *mime = jstr(content, "mimeType");
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(resp, "headers"), i, x)
	{
		const char *n = jstr(x, "name"), *v = jstr(x, "value");

		if (n && v && strcasecmp(n, "set-cookie") != 0 && strcasecmp(n, "date") != 0)
			corr_add(&h->idx, entry, v, strlen(v), CORR_HEADER, n, n);
	}
	json_array_foreach(json_object_get(resp, "cookies"), i, x)
	{
		const char *n = jstr(x, "name"), *v = jstr(x, "value");

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
	const char *text = jstr(json_object_get(req, "postData"), "text");
	size_t i;

	corr_words(h->ents[entry].url, fn, &ctx);
	json_array_foreach(json_object_get(req, "headers"), i, x)
	{
		const char *n = jstr(x, "name"), *v = jstr(x, "value");

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
	const char *text = jstr(pd, "text"), *mime = jstr(pd, "mimeType");

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

static struct imp_step *request_step(struct har *h, size_t i)
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
		const char *n = jstr(x, "name"), *v = jstr(x, "value");
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

static int fail_at(struct har *h, char **err, const char *what, size_t entry)
{
	return err_set(err, "%s: log.entries[%zu]: %s", h->path, entry, what);
}

/* The conversion proper; takes the parsed document (and releases it). */
static int har_tree(const char *path, json_t *root, const struct import_opts *o, struct imp_doc *d,
		    FILE *report, char **err)
{
	struct har h = {.d = d, .o = o, .path = path, .report = report};
	json_t *log, *entries, *pages;
	size_t nent, kept = 0;
	int rc = -1;

	corr_init(&h.idx, d);

	log = json_object_get(root, "log");
	entries = json_object_get(log, "entries");
	if (!json_is_object(root) || !json_is_object(log)) {
		err_set(err, "%s: not a HAR file: expected an object with a \"log\" object", path);
		goto out;
	}
	if (!json_is_array(entries)) {
		err_set(err, "%s: not a HAR file: log.entries must be an array", path);
		goto out;
	}
	nent = json_array_size(entries);
	if (nent > HAR_MAX_ENTRIES) {
		err_set(err, "%s: %zu entries: more than an import handles (%d)", path, nent,
			HAR_MAX_ENTRIES);
		goto out;
	}
	h.ents = calloc(nent ? nent : 1, sizeof(*h.ents));
	if (!h.ents) {
		err_set(err, "%s: out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < nent; i++) {
		json_t *e = json_array_get(entries, i);
		json_t *req = json_object_get(e, "request"), *resp = json_object_get(e, "response");
		const char *url = jstr(req, "url"), *method = jstr(req, "method");
		struct ent *en = &h.ents[h.n];
		json_t *st = json_object_get(resp, "status");

		if (!json_is_object(e) || !json_is_object(req)) {
			fail_at(&h, err, "expected an object with a \"request\" object", i);
			goto out;
		}
		if (!url || !method) {
			fail_at(&h, err, "request.url and request.method must be strings", i);
			goto out;
		}
		if (resp && !json_is_object(resp)) {
			fail_at(&h, err, "response must be an object", i);
			goto out;
		}
		if (st && !json_is_integer(st)) {
			fail_at(&h, err, "response.status must be a number", i);
			goto out;
		}
		if (json_object_get(e, "startedDateTime") && !jstr(e, "startedDateTime")) {
			fail_at(&h, err, "startedDateTime must be a string", i);
			goto out;
		}
		if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
			h.dropped_scheme++; /* data:, blob:, ws:, chrome-extension: ... */
			continue;
		}
		if (strcasecmp(method, "CONNECT") == 0 ||
		    (jstr(e, "_resourceType") &&
		     strcmp(jstr(e, "_resourceType"), "websocket") == 0)) {
			h.dropped_scheme++;
			continue;
		}
		en->status = st ? (int)json_integer_value(st) : 0;
		if (en->status == 0 || en->status == 101 || json_object_get(resp, "_error") ||
		    json_object_get(e, "_error")) {
			h.dropped_cancelled++;
			continue;
		}
		if (!o->keep_static && is_static(e, url)) {
			h.dropped_static++;
			continue;
		}
		en->origin = origin_of(d, url);
		{
			bool keep = o->ninclude == 0;

			for (size_t k = 0; k < o->ninclude; k++)
				keep = keep || host_matches(en->origin, o->include_hosts[k]);
			for (size_t k = 0; k < o->nexclude; k++)
				keep = keep && !host_matches(en->origin, o->exclude_hosts[k]);
			if (!keep) {
				h.dropped_host++;
				continue;
			}
		}
		en->e = e;
		en->url = url;
		en->method = imp_strdup(d, method);
		for (char *p = (char *)en->method; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		en->start_ms = parse_time_ms(jstr(e, "startedDateTime"));
		en->time_ms = json_number_value(json_object_get(e, "time"));
		en->pageref = jstr(e, "pageref");
		en->order = i;
		h.n++;
	}
	if (!h.n) {
		err_set(err,
			"%s: no request left to import (%zu entries: %zu static, %zu cancelled, "
			"%zu not HTTP, %zu filtered by host)",
			path, nent, h.dropped_static, h.dropped_cancelled, h.dropped_scheme,
			h.dropped_host);
		goto out;
	}
	qsort(h.ents, h.n, sizeof(*h.ents), cmp_ent);
	/* The target: the origin with the most requests (the first one on a tie). */
	{
		size_t best = 0;

		for (size_t i = 0; i < h.n; i++) {
			size_t c = 0;

			for (size_t j = 0; j < h.n; j++)
				c += strcmp(h.ents[i].origin, h.ents[j].origin) == 0;
			if (c > best) {
				best = c;
				d->target = imp_strdup(d, h.ents[i].origin);
			}
			if (best * 2 > h.n)
				break;
		}
	}
	/* Index every response, then mark what the client sent first. */
	for (size_t i = 0; i < h.n; i++)
		index_response(&h, (int)i);
	for (size_t i = 0; i < h.n; i++)
		request_parts(&h, (int)i, mark_sent, NULL);
	/* Steps: one session; pages become transactions; gaps become thinks. */
	{
		struct imp_session *s = imp_session_add(d, "recorded");
		struct imp_step *tx = NULL;
		const char *cur_page = NULL;
		size_t npage = 0;

		pages = json_object_get(log, "pages");
		for (size_t i = 0; i < h.n; i++) {
			struct ent *en = &h.ents[i];
			struct imp_step *st = request_step(&h, i);
			bool new_page =
			    en->pageref && (!cur_page || strcmp(cur_page, en->pageref) != 0);

			if (i > 0 && en->start_ms >= 0 && h.ents[i - 1].start_ms >= 0) {
				double gap = (double)(en->start_ms - h.ents[i - 1].start_ms) -
					     h.ents[i - 1].time_ms;

				if (gap >= o->think_min_s * 1000) {
					struct imp_step *th = imp_step_new(d, IMP_THINK);

					th->think = imp_duration(
					    d, (double)((int64_t)(gap / 100 + 0.5)) / 10.0);
					imp_list_add(d, new_page || !tx ? &s->steps : &tx->steps,
						     th);
				}
			}
			if (new_page) {
				const char *title = NULL;
				size_t k;
				json_t *p;

				json_array_foreach(pages, k,
						   p) if (jstr(p, "id") &&
							  strcmp(jstr(p, "id"), en->pageref) == 0)
				    title = jstr(p, "title");
				tx = imp_step_new(d, IMP_TRANSACTION);
				tx->name = imp_printf(d, "page_%zu", ++npage);
				if (title)
					imp_note(d, &tx->notes, "page %zu: %.200s", npage, title);
				imp_list_add(d, &s->steps, tx);
				cur_page = en->pageref;
			} else if (!en->pageref) {
				tx = NULL;
				cur_page = NULL;
			}
			imp_list_add(d, tx ? &tx->steps : &s->steps, st);
			kept++;
		}
	}
	{
		const json_t *creator = json_object_get(log, "creator");
		const char *cn = jstr(creator, "name"), *cv = jstr(creator, "version");

		imp_note(d, &d->header, "Imported from the HAR %s by barrage import har.", path);
		if (cn)
			imp_note(d, &d->header, "Recorded by %s %s.", cn, cv ? cv : "");
		imp_note(d, &d->header,
			 "%zu of %zu entries kept: %zu static dropped%s, %zu cancelled, "
			 "%zu not HTTP, %zu filtered by host.",
			 kept, nent, h.dropped_static,
			 o->keep_static ? "" : " (--keep-static keeps them)", h.dropped_cancelled,
			 h.dropped_scheme, h.dropped_host);
		imp_note(d, &d->header,
			 "%zu value%s correlated (captures marked 'correlated'), %zu "
			 "looking dynamic left as recorded (marked 'looks dynamic').",
			 h.correlated, h.correlated == 1 ? "" : "s", h.dynamic);
		imp_note(d, &d->header,
			 "Cookies are not written: each user's cookie jar keeps them.");
		if (h.idx.full) {
			imp_note(d, &d->header,
				 "Correlation looked at the first %d values only: later responses "
				 "were not searched.",
				 CORR_MAX_VALUES);
			fprintf(report,
				"barrage: import: %s: more than %d values in the responses: later "
				"ones were not searched for correlation\n",
				path, CORR_MAX_VALUES);
		}
	}
	imp_note(d, &d->load_notes,
		 "A HAR records one user's visit: decide how many users arrive "
		 "and for how long.");
	imp_strs_add(d, &d->phases, imp_strdup(d, "{ duration: 1m, arrival_rate: 1/s }"));
	d->max_users = imp_strdup(d, "100");
	d->name = imp_run_name(d, path);
	fprintf(report,
		"barrage: import: %s: %zu of %zu entries kept, %zu value%s correlated, %zu "
		"looking dynamic not correlated\n",
		path, kept, nent, h.correlated, h.correlated == 1 ? "" : "s", h.dynamic);
	rc = 0;
out:
	corr_free(&h.idx);
	free(h.ents);
	json_decref(root);
	return rc;
}

static int too_big(const char *path, size_t size, const struct import_opts *o, char **err)
{
	if (size > o->max_har_bytes)
		return err_set(err,
			       "%s: %.1f MiB is more than the %zu MiB an import reads "
			       "(--max-size raises it; a HAR exported without response bodies is "
			       "much smaller)",
			       path, (double)size / 1048576.0, o->max_har_bytes >> 20);
	if (size == 0)
		return err_set(err, "%s: empty file, not a HAR", path);
	return 0;
}

int import_har(const char *path, const struct import_opts *o, struct imp_doc *d, FILE *report,
	       char **err)
{
	json_error_t je;
	struct stat sb;
	json_t *root;

	/* The size is checked before anything is read: memory stays a small multiple of it. */
	if (stat(path, &sb) < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (too_big(path, (size_t)sb.st_size, o, err) < 0)
		return -1;
	root = json_load_file(path, 0, &je);
	if (!root)
		return err_set(err, "%s:%d:%d: not a HAR file: %s", path, je.line, je.column,
			       je.text);
	return har_tree(path, root, o, d, report, err);
}

int import_har_mem(const char *name, const char *data, size_t len, const struct import_opts *o,
		   struct imp_doc *d, FILE *report, char **err)
{
	json_error_t je;
	json_t *root;

	if (too_big(name, len, o, err) < 0)
		return -1;
	root = json_loadb(data, len, 0, &je);
	if (!root)
		return err_set(err, "%s:%d:%d: not a HAR file: %s", name, je.line, je.column,
			       je.text);
	return har_tree(name, root, o, d, report, err);
}
