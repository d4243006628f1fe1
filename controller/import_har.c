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
#include "controller/import_har.h"

#define HAR_MAX_ENTRIES 1000000

/* ---- small helpers over the HAR's JSON ---- */

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
	const char *rt = har_jstr(e, "_resourceType");
	const json_t *content = json_object_get(json_object_get(e, "response"), "content");
	const char *mime = har_jstr(content, "mimeType");
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

static int fail_at(struct har *h, char **err, const char *what, size_t entry)
{
	return err_set(err, "%s: log.entries[%zu]: %s", h->path, entry, what);
}

static bool host_kept(const struct import_opts *o, const char *origin)
{
	bool keep = o->ninclude == 0;

	for (size_t k = 0; k < o->ninclude; k++)
		keep = keep || host_matches(origin, o->include_hosts[k]);
	for (size_t k = 0; k < o->nexclude; k++)
		keep = keep && !host_matches(origin, o->exclude_hosts[k]);
	return keep;
}

/* Entry i checked and, when it is worth a request, kept as h->ents[h->n++]; what is dropped is
 * counted by why. */
static int select_entry(struct har *h, json_t *e, size_t i, char **err)
{
	json_t *req = json_object_get(e, "request"), *resp = json_object_get(e, "response");
	const char *url = har_jstr(req, "url"), *method = har_jstr(req, "method");
	struct ent *en = &h->ents[h->n];
	json_t *st = json_object_get(resp, "status");

	if (!json_is_object(e) || !json_is_object(req))
		return fail_at(h, err, "expected an object with a \"request\" object", i);
	if (!url || !method)
		return fail_at(h, err, "request.url and request.method must be strings", i);
	if (resp && !json_is_object(resp))
		return fail_at(h, err, "response must be an object", i);
	if (st && !json_is_integer(st))
		return fail_at(h, err, "response.status must be a number", i);
	if (json_object_get(e, "startedDateTime") && !har_jstr(e, "startedDateTime"))
		return fail_at(h, err, "startedDateTime must be a string", i);
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		h->dropped_scheme++; /* data:, blob:, ws:, chrome-extension: ... */
		return 0;
	}
	if (strcasecmp(method, "CONNECT") == 0 ||
	    (har_jstr(e, "_resourceType") &&
	     strcmp(har_jstr(e, "_resourceType"), "websocket") == 0)) {
		h->dropped_scheme++;
		return 0;
	}
	en->status = st ? (int)json_integer_value(st) : 0;
	if (en->status == 0 || en->status == 101 || json_object_get(resp, "_error") ||
	    json_object_get(e, "_error")) {
		h->dropped_cancelled++;
		return 0;
	}
	if (!h->o->keep_static && is_static(e, url)) {
		h->dropped_static++;
		return 0;
	}
	en->origin = origin_of(h->d, url);
	if (!host_kept(h->o, en->origin)) {
		h->dropped_host++;
		return 0;
	}
	en->e = e;
	en->url = url;
	en->method = imp_strdup(h->d, method);
	for (char *p = (char *)en->method; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	en->start_ms = parse_time_ms(har_jstr(e, "startedDateTime"));
	en->time_ms = json_number_value(json_object_get(e, "time"));
	en->pageref = har_jstr(e, "pageref");
	en->order = i;
	h->n++;
	return 0;
}

/* The target: the origin with the most requests (the first one on a tie). */
static void pick_target(struct har *h)
{
	size_t best = 0;

	for (size_t i = 0; i < h->n; i++) {
		size_t c = 0;

		for (size_t j = 0; j < h->n; j++)
			c += strcmp(h->ents[i].origin, h->ents[j].origin) == 0;
		if (c > best) {
			best = c;
			h->d->target = imp_strdup(h->d, h->ents[i].origin);
		}
		if (best * 2 > h->n)
			break;
	}
}

/* A think step for the gap between entry i-1's end and entry i's start, when it is long
 * enough; NULL otherwise. */
static struct imp_step *gap_think(struct har *h, size_t i)
{
	const struct ent *en = &h->ents[i], *prev = &h->ents[i - 1];
	struct imp_step *th;
	double gap;

	if (en->start_ms < 0 || prev->start_ms < 0)
		return NULL;
	gap = (double)(en->start_ms - prev->start_ms) - prev->time_ms;
	if (gap < h->o->think_min_s * 1000)
		return NULL;
	th = imp_step_new(h->d, IMP_THINK);
	th->think = imp_duration(h->d, (double)((int64_t)(gap / 100 + 0.5)) / 10.0);
	return th;
}

/* Steps: one session; pages become transactions; gaps become thinks. Returns the number of
 * requests written. */
static size_t lay_out(struct har *h, const json_t *pages)
{
	struct imp_doc *d = h->d;
	struct imp_session *s = imp_session_add(d, "recorded");
	struct imp_step *tx = NULL;
	const char *cur_page = NULL;
	size_t npage = 0, kept = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct ent *en = &h->ents[i];
		struct imp_step *st = har_request_step(h, i);
		bool new_page = en->pageref && (!cur_page || strcmp(cur_page, en->pageref) != 0);
		struct imp_step *th = i > 0 ? gap_think(h, i) : NULL;

		if (th)
			imp_list_add(d, new_page || !tx ? &s->steps : &tx->steps, th);
		if (new_page) {
			const char *title = NULL;
			size_t k;
			json_t *p;

			json_array_foreach(pages, k,
					   p) if (har_jstr(p, "id") &&
						  strcmp(har_jstr(p, "id"), en->pageref) == 0)
			    title = har_jstr(p, "title");
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
	return kept;
}

/* The scenario's header notes and load, and the summary line on the report. */
static void finish(struct har *h, const json_t *log, size_t kept, size_t nent)
{
	struct imp_doc *d = h->d;
	const struct import_opts *o = h->o;
	const json_t *creator = json_object_get(log, "creator");
	const char *cn = har_jstr(creator, "name"), *cv = har_jstr(creator, "version");

	imp_note(d, &d->header, "Imported from the HAR %s by barrage import har.", h->path);
	if (cn)
		imp_note(d, &d->header, "Recorded by %s %s.", cn, cv ? cv : "");
	imp_note(d, &d->header,
		 "%zu of %zu entries kept: %zu static dropped%s, %zu cancelled, "
		 "%zu not HTTP, %zu filtered by host.",
		 kept, nent, h->dropped_static, o->keep_static ? "" : " (--keep-static keeps them)",
		 h->dropped_cancelled, h->dropped_scheme, h->dropped_host);
	imp_note(d, &d->header,
		 "%zu value%s correlated (captures marked 'correlated'), %zu "
		 "looking dynamic left as recorded (marked 'looks dynamic').",
		 h->correlated, h->correlated == 1 ? "" : "s", h->dynamic);
	imp_note(d, &d->header, "Cookies are not written: each user's cookie jar keeps them.");
	if (h->idx.full) {
		imp_note(d, &d->header,
			 "Correlation looked at the first %d values only: later responses "
			 "were not searched.",
			 CORR_MAX_VALUES);
		fprintf(h->report,
			"barrage: import: %s: more than %d values in the responses: later "
			"ones were not searched for correlation\n",
			h->path, CORR_MAX_VALUES);
	}
	imp_note(d, &d->load_notes,
		 "A HAR records one user's visit: decide how many users arrive "
		 "and for how long.");
	imp_strs_add(d, &d->phases, imp_strdup(d, "{ duration: 1m, arrival_rate: 1/s }"));
	d->max_users = imp_strdup(d, "100");
	d->name = imp_run_name(d, h->path);
	fprintf(h->report,
		"barrage: import: %s: %zu of %zu entries kept, %zu value%s correlated, %zu "
		"looking dynamic not correlated\n",
		h->path, kept, nent, h->correlated, h->correlated == 1 ? "" : "s", h->dynamic);
}

/* The conversion proper; takes the parsed document (and releases it). */
static int har_tree(const char *path, json_t *root, const struct import_opts *o, struct imp_doc *d,
		    FILE *report, char **err)
{
	struct har h = {.d = d, .o = o, .path = path, .report = report};
	json_t *log, *entries;
	size_t nent, kept;
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
	for (size_t i = 0; i < nent; i++)
		if (select_entry(&h, json_array_get(entries, i), i, err) < 0)
			goto out;
	if (!h.n) {
		err_set(err,
			"%s: no request left to import (%zu entries: %zu static, %zu cancelled, "
			"%zu not HTTP, %zu filtered by host)",
			path, nent, h.dropped_static, h.dropped_cancelled, h.dropped_scheme,
			h.dropped_host);
		goto out;
	}
	qsort(h.ents, h.n, sizeof(*h.ents), cmp_ent);
	pick_target(&h);
	har_index(&h);
	kept = lay_out(&h, json_object_get(log, "pages"));
	finish(&h, log, kept, nent);
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
