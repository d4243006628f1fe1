/* `barrage import tsung`: a Tsung 1.7/1.8 configuration (tsung-1.0.dtd) to a scenario.
 *
 * What maps, and how (docs/import.md has the table):
 *   <servers><server>            target (the first; others are noted)
 *   <clients maxusers>           load.max_users (the sum over clients)
 *   <arrivalphase><users>        load.phases (interarrival or arrivalrate, with units)
 *   <session probability>        sessions with weight (probability 0 sessions are noted)
 *   <request><http>              request: url, method, contents, content_type, headers
 *   subst="true" %%_var%%        {{ var }}
 *   <thinktime>                  think (fixed, exponential when random, uniform min/max)
 *   <transaction>                transaction
 *   <dyn_variable>               capture (re, jsonpath, header; xpath approximated by a regex),
 *                                with default "" because Tsung goes on when nothing matched
 *   <setdynvars>                 set with random_int/random_string/user_id/uuid, or data:
 *   <if> <repeat> <for> <foreach> if, while (with the Tsung bound), foreach
 *   <match>                      expect body regex with on_fail, or capture + if + abort
 * Everything else is written as a comment naming the element and its line, and reported on
 * stderr, so nothing in the Tsung file disappears silently. A session of another protocol is an
 * error naming the protocol and the line: a half-imported load test is worse than none. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "common/jsonpath.h"
#include "controller/import.h"
#include "controller/xml_tree.h"

struct ts {
	struct imp_doc *d;
	const char *path;
	FILE *report;
	char *err;
	size_t unmapped, requests, matches;
	/* option name="thinktime" */
	const char *think_value;
	bool think_random, think_override;
	/* file_server ids and their files */
	struct imp_pairs files;
	/* variables: defined by something, used by a template, listed by foreach */
	struct imp_strs defined, used, lists;
	char *base; /* the session's current server, after an absolute URL */
};

static bool has(const struct imp_strs *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void add_once(struct ts *t, struct imp_strs *l, const char *s)
{
	if (!has(l, s))
		imp_strs_add(t->d, l, imp_strdup(t->d, s));
}

/* Something the scenario cannot say: a comment above the step and a line on stderr. */
static void unmapped(struct ts *t, struct imp_strs *notes, const struct xml_node *n,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void unmapped(struct ts *t, struct imp_strs *notes, const struct xml_node *n,
		     const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imp_note(t->d, notes, "not mapped: line %lu: %s", n->line, msg);
	fprintf(t->report, "barrage: import: %s:%lu: not mapped: %s\n", t->path, n->line, msg);
	t->unmapped++;
}

static int fail(struct ts *t, const struct xml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ts *t, const struct xml_node *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!t->err)
		err_set(&t->err, "%s:%lu:%lu: %s", t->path, n->line, n->col, msg);
	return -1;
}

static bool is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

static bool parse_num(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return errno == 0 && *end == '\0' && isfinite(*v) && *v >= 0;
}

static double unit_s(const char *u)
{
	if (!u || strcmp(u, "second") == 0)
		return 1;
	if (strcmp(u, "minute") == 0)
		return 60;
	if (strcmp(u, "hour") == 0)
		return 3600;
	if (strcmp(u, "millisecond") == 0)
		return 0.001;
	return -1;
}

static char *rate_text(struct imp_doc *d, double per_s)
{
	if (per_s >= 1)
		return imp_printf(d, "%.6g/s", per_s);
	if (per_s * 60 >= 1)
		return imp_printf(d, "%.6g/m", per_s * 60);
	return imp_printf(d, "%.6g/h", per_s * 3600);
}

/* Tsung's %%_var%% (with subst="true") becomes {{ var }}; %%module:function%% is an Erlang
 * callback, which no scenario can call: it stays as text and is noted. Without subst the text
 * is literal, as in Tsung. */
static char *subst(struct ts *t, const char *s, bool on, struct imp_strs *notes,
		   const struct xml_node *n)
{
	struct buf b;
	char *out;

	if (!s)
		return NULL;
	if (!on)
		return imp_strdup(t->d, s);
	buf_init(&b, 0);
	while (*s) {
		const char *open = strstr(s, "%%");
		const char *close = open ? strstr(open + 2, "%%") : NULL;

		if (!open || !close) {
			buf_append_str(&b, s);
			break;
		}
		buf_append(&b, s, (size_t)(open - s));
		if (open[2] == '_' && close > open + 3) {
			char *raw = imp_strndup(t->d, open + 3, (size_t)(close - open - 3));
			char *id = imp_ident(t->d, raw);

			buf_printf(&b, "{{ %s }}", id);
			add_once(t, &t->used, id);
		} else {
			buf_append(&b, open, (size_t)(close + 2 - open));
			unmapped(t, notes, n, "Erlang callback %.*s left as literal text",
				 (int)(close + 2 - open), open);
		}
		s = close + 2;
	}
	out = imp_strdup(t->d, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* A string inside a scenario expression: single quotes, with ' and \ escaped. */
static char *expr_str(struct ts *t, const char *s)
{
	struct buf b;
	char *out;

	buf_init(&b, 0);
	buf_append_byte(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_append_byte(&b, '\\');
		buf_append_byte(&b, (uint8_t)*s);
	}
	buf_append_byte(&b, '\'');
	out = imp_strdup(t->d, b.data);
	buf_free(&b);
	return out;
}

/* <if var eq|neq>, <while>, <until>: a condition, or NULL when the element has neither. */
static char *condition(struct ts *t, const struct xml_node *n, bool negate)
{
	const char *var = xml_attr(n, "var"), *eq = xml_attr(n, "eq"), *neq = xml_attr(n, "neq");
	char *id;

	if (!var || (!eq && !neq))
		return NULL;
	id = imp_ident(t->d, var);
	add_once(t, &t->used, id);
	if (eq)
		return imp_printf(t->d, "%s %s %s", id, negate ? "!=" : "==", expr_str(t, eq));
	return imp_printf(t->d, "%s %s %s", id, negate ? "==" : "!=", expr_str(t, neq));
}

/* The value of one base64 step, for Basic authentication. */
static char *base64(struct imp_doc *d, const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), j = 0;
	char *out = imp_alloc(d, (n + 2) / 3 * 4 + 1);

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[j++] = tab[(v >> 18) & 63];
		out[j++] = tab[(v >> 12) & 63];
		out[j++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[j++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[j] = '\0';
	return out;
}

/* <dyn_variable> to a capture on the request step. */
static void dyn_variable(struct ts *t, struct imp_step *st, const struct xml_node *n)
{
	const char *name = xml_attr(n, "name");
	const char *re = xml_attr(n, "re"), *jp = xml_attr(n, "jsonpath");
	const char *hdr = xml_attr(n, "header"), *xp = xml_attr(n, "xpath");
	struct imp_capture *c = NULL;
	char *id;

	if (!name) {
		unmapped(t, &st->notes, n, "<dyn_variable> without a name");
		return;
	}
	id = imp_ident(t->d, name);
	if (re) {
		c = imp_capture_add(t->d, st, id, "regex", re);
	} else if (jp) {
		char *expr = jp[0] == '$' ? imp_strdup(t->d, jp) : imp_printf(t->d, "$.%s", jp);
		struct jsonpath *p = NULL;
		char *e = NULL;
		size_t col;

		if (jsonpath_compile(expr, &p, &e, &col) < 0) {
			unmapped(t, &st->notes, n, "dyn_variable '%s': jsonpath '%s' (%s)", name,
				 jp, e ? e : "not in Barrage's JSONPath subset");
			free(e);
			imp_capture_add(t->d, st, id, "regex", "(?!)")->def = imp_strdup(t->d, "");
			add_once(t, &t->defined, id);
			return;
		}
		jsonpath_free(p);
		c = imp_capture_add(t->d, st, id, "json", expr);
	} else if (hdr) {
		const char *slash = strchr(hdr, '/');

		c = imp_capture_add(t->d, st, id, "header",
				    slash ? imp_strndup(t->d, hdr, (size_t)(slash - hdr)) : hdr);
		if (slash)
			c->comment = imp_printf(t->d,
						"line %lu: Tsung took the '%s' parameter of this "
						"header; this captures the whole value",
						n->line, slash + 1);
	} else if (xp) {
		/* /a/b/leaf/text() or /a/b/@attr: a regex on the last step is close enough for
		 * the common case, and says so. */
		const char *end = xp + strlen(xp), *last;
		char *leaf;

		if (end - xp > 7 && strcmp(end - 7, "/text()") == 0)
			end -= 7;
		last = end;
		while (last > xp && last[-1] != '/')
			last--;
		leaf = imp_strndup(t->d, last, (size_t)(end - last));
		if (leaf[0] == '@')
			c = imp_capture_add(t->d, st, id, "regex",
					    imp_printf(t->d, "%s=\"([^\"]*)\"", leaf + 1));
		else
			c = imp_capture_add(t->d, st, id, "regex",
					    imp_printf(t->d, "<%s[^>]*>([^<]*)</%s>", leaf, leaf));
		c->comment = imp_printf(
		    t->d, "line %lu: xpath '%s' approximated by a regex on <%s>; check it", n->line,
		    xp, leaf);
	} else {
		/* Tsung's default: the value of a hidden form field of that name. */
		c = imp_capture_add(
		    t->d, st, id, "regex",
		    imp_printf(t->d, "name=[\"']?%s[\"']?\\s+value=[\"']?([^\"'>\\s]*)", name));
	}
	c->def = imp_strdup(t->d, "");
	if (has(&t->lists, id))
		c->all = true;
	add_once(t, &t->defined, id);
}

/* <match>: Tsung counts or acts when a response matches (or not) a regex. */
static void match(struct ts *t, struct imp_step *st, struct imp_list *out, const struct xml_node *n)
{
	const char *when = xml_attr(n, "when"), *doo = xml_attr(n, "do");
	bool nomatch = when && strcmp(when, "nomatch") == 0;
	const char *re = n->text;

	if (!doo)
		doo = "continue";
	if (nomatch) {
		if (st->expect_regex) {
			unmapped(
			    t, &st->notes, n,
			    "a second <match> on one request (only one body regex per request)");
			return;
		}
		st->expect_regex = imp_strdup(t->d, re);
		if (strcmp(doo, "abort") == 0 || strcmp(doo, "restart") == 0)
			st->on_fail = imp_strdup(t->d, doo);
		else {
			st->on_fail = imp_strdup(t->d, "continue");
			if (strcmp(doo, "continue") != 0 && strcmp(doo, "log") != 0)
				unmapped(
				    t, &st->notes, n,
				    "<match do=\"%s\">: the failure is counted and the session "
				    "goes on",
				    doo);
		}
		return;
	}
	if (strcmp(doo, "abort") == 0) {
		char *id = imp_printf(t->d, "match_%zu", ++t->matches);
		struct imp_step *ifs = imp_step_new(t->d, IMP_IF),
				*ab = imp_step_new(t->d, IMP_ABORT);
		struct imp_capture *c =
		    imp_capture_add(t->d, st, id, "regex", imp_printf(t->d, "(%s)", re));

		c->def = imp_strdup(t->d, "");
		c->comment =
		    imp_printf(t->d, "line %lu: <match when=\"match\" do=\"abort\">", n->line);
		add_once(t, &t->defined, id);
		ifs->cond = imp_printf(t->d, "%s != ''", id);
		ab->reason = imp_strdup(t->d, id);
		imp_list_add(t->d, &ifs->steps, ab);
		imp_list_add(t->d, out, ifs);
		return;
	}
	unmapped(t, &st->notes, n, "<match when=\"match\" do=\"%s\">%s</match>", doo, re);
}

static int steps(struct ts *t, const struct xml_node *parent, struct imp_list *out);

static void think(struct ts *t, const struct xml_node *n, struct imp_list *out)
{
	struct imp_step *st = imp_step_new(t->d, IMP_THINK);
	const char *v = xml_attr(n, "value"), *min = xml_attr(n, "min"), *max = xml_attr(n, "max");
	const char *rnd = xml_attr(n, "random");
	bool random = rnd ? is_true(rnd) : t->think_random;
	double a, b;

	if (t->think_override && t->think_value) {
		v = t->think_value;
		min = max = NULL;
		random = t->think_random;
	}
	if (!v && !min && t->think_value)
		v = t->think_value;
	if (min && max && parse_num(min, &a) && parse_num(max, &b) && b >= a) {
		st->think = imp_printf(t->d, "{ min: %s, max: %s }", imp_duration(t->d, a),
				       imp_duration(t->d, b));
	} else if (v && parse_num(v, &a)) {
		if (random && a > 0)
			st->think = imp_printf(t->d, "{ mean: %s, distribution: exponential }",
					       imp_duration(t->d, a));
		else
			st->think = imp_duration(t->d, a);
	} else {
		unmapped(t, &st->notes, n,
			 "<thinktime> with no value barrage can read (value '%s')", v ? v : "");
		st->think = imp_strdup(t->d, "1s");
	}
	imp_list_add(t->d, out, st);
}

static bool is_abs(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* scheme://host[:port] of an absolute URL. */
static char *origin(struct imp_doc *d, const char *url)
{
	const char *p = strstr(url, "://") + 3;
	size_t n = strcspn(p, "/?#");

	return imp_strndup(d, url, (size_t)(p - url) + n);
}

static int http_request(struct ts *t, const struct xml_node *req, const struct xml_node *h,
			struct imp_list *out)
{
	struct imp_step *st = imp_step_new(t->d, IMP_REQUEST);
	bool sub = is_true(xml_attr(req, "subst"));
	const char *url = xml_attr(h, "url"), *method = xml_attr(h, "method");
	const char *contents = xml_attr(h, "contents"), *ctype = xml_attr(h, "content_type");
	const char *ims = xml_attr(h, "if_modified_since"), *ver = xml_attr(h, "version");
	struct imp_list after = {0};

	if (!url)
		return fail(t, h, "<http> without a url");
	t->requests++;
	for (const struct xml_node *k = req->children; k; k = k->next) {
		if (strcmp(k->name, "dyn_variable") == 0)
			dyn_variable(t, st, k);
		else if (strcmp(k->name, "match") == 0)
			match(t, st, &after, k);
		else if (strcmp(k->name, "http") != 0)
			unmapped(t, &st->notes, k, "<%s> in a request", k->name);
	}
	for (size_t i = 0; i < req->nattrs; i++) {
		const char *a = req->attrs[i].name;

		if (strcmp(a, "subst") != 0)
			unmapped(t, &st->notes, req, "<request %s=\"%s\">", a, req->attrs[i].value);
	}
	st->method = imp_strdup(t->d, method ? method : "GET");
	for (char *p = st->method; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	st->url = subst(t, url, sub, &st->notes, h);
	if (is_abs(url)) {
		char *o = origin(t->d, url);

		t->base = t->d->target && strcasecmp(o, t->d->target) == 0 ? NULL : o;
	} else if (t->base) {
		/* Tsung sends relative URLs to the server of the last absolute one. */
		st->url =
		    imp_printf(t->d, "%s%s%s", t->base, st->url[0] == '/' ? "" : "/", st->url);
	}
	if (ver && strcmp(ver, "1.1") != 0)
		imp_note(t->d, &st->notes, "line %lu: Tsung sent HTTP/%s; barrage sends HTTP/1.1",
			 h->line, ver);
	if (ctype)
		imp_pairs_add(t->d, &st->headers, "Content-Type",
			      subst(t, ctype, sub, &st->notes, h));
	else if (contents)
		imp_pairs_add(t->d, &st->headers, "Content-Type",
			      "application/x-www-form-urlencoded");
	if (ims)
		imp_pairs_add(t->d, &st->headers, "If-Modified-Since", ims);
	if (contents) {
		st->body_kind = IMP_BODY_RAW;
		st->body = subst(t, contents, sub, &st->notes, h);
	}
	for (size_t i = 0; i < h->nattrs; i++) {
		static const char *const known[] = {
		    "url", "method", "contents", "content_type", "version", "if_modified_since",
		    NULL};
		bool k = false;

		for (size_t j = 0; known[j]; j++)
			k = k || strcmp(h->attrs[i].name, known[j]) == 0;
		if (!k)
			unmapped(t, &st->notes, h, "<http %s=\"%s\">", h->attrs[i].name,
				 h->attrs[i].value);
	}
	for (const struct xml_node *k = h->children; k; k = k->next) {
		if (strcmp(k->name, "http_header") == 0) {
			const char *name = xml_attr(k, "name"), *value = xml_attr(k, "value");

			if (!name)
				unmapped(t, &st->notes, k, "<http_header> without a name");
			else
				imp_pairs_add(t->d, &st->headers, name,
					      subst(t, value ? value : "", sub, &st->notes, k));
		} else if (strcmp(k->name, "www_authenticate") == 0) {
			const char *type = xml_attr(k, "type"), *user = xml_attr(k, "userid");
			const char *pw = xml_attr(k, "passwd");

			if ((type && strcmp(type, "basic") != 0) || !user || !pw ||
			    (sub && (strstr(user, "%%") || strstr(pw, "%%"))))
				unmapped(t, &st->notes, k,
					 "<www_authenticate type=\"%s\">: barrage has no %s "
					 "authentication; send the header yourself",
					 type ? type : "basic", type ? type : "templated basic");
			else
				imp_pairs_add(
				    t->d, &st->headers, "Authorization",
				    imp_printf(t->d, "Basic %s",
					       base64(t->d, imp_printf(t->d, "%s:%s", user, pw))));
		} else if (strcmp(k->name, "soap") == 0 && xml_attr(k, "action")) {
			imp_pairs_add(t->d, &st->headers, "SOAPAction",
				      subst(t, xml_attr(k, "action"), sub, &st->notes, k));
		} else if (strcmp(k->name, "add_cookie") == 0 && xml_attr(k, "key")) {
			const char *v = xml_attr(k, "value");

			imp_pairs_add(
			    t->d, &st->headers, "Cookie",
			    subst(t, imp_printf(t->d, "%s=%s", xml_attr(k, "key"), v ? v : ""), sub,
				  &st->notes, k));
		} else {
			unmapped(t, &st->notes, k, "<%s> (%s)", k->name,
				 strcmp(k->name, "oauth") == 0 ? "OAuth signing"
							       : "unknown to barrage");
		}
	}
	imp_list_add(t->d, out, st);
	for (size_t i = 0; i < after.n; i++)
		imp_list_add(t->d, out, after.v[i]);
	return 0;
}

static void setdynvars(struct ts *t, const struct xml_node *n, struct imp_list *out)
{
	const char *src = xml_attr(n, "sourcetype");
	struct imp_step *st = imp_step_new(t->d, IMP_SET);
	const char *fileid = xml_attr(n, "fileid");
	const char *data = NULL;
	size_t col = 0;

	if (!src)
		src = "";
	if (strcmp(src, "file") == 0) {
		const char *id = fileid ? fileid : "default";

		data = imp_pairs_get(&t->d->data, imp_ident(t->d, id));
		if (!data) {
			const char *f = imp_pairs_get(&t->files, id);

			unmapped(t, &st->notes, n,
				 "<setdynvars sourcetype=\"file\" fileid=\"%s\">: %s%s; the "
				 "variables start empty",
				 id, f ? "file " : "no <option name=\"file_server\"> for it",
				 f ? imp_printf(t->d, "'%s' is not readable from here", f) : "");
		}
	}
	for (const struct xml_node *v = n->children; v; v = v->next) {
		const char *name = xml_attr(v, "name");
		char *id, *val = NULL;

		if (strcmp(v->name, "var") != 0 || !name)
			continue;
		id = imp_ident(t->d, name);
		if (strcmp(src, "random_number") == 0) {
			const char *a = xml_attr(n, "start"), *b = xml_attr(n, "end");

			val =
			    imp_printf(t->d, "{{ random_int(%s, %s) }}", a ? a : "0", b ? b : "0");
		} else if (strcmp(src, "random_string") == 0) {
			const char *len = xml_attr(n, "length");

			val = imp_printf(t->d, "{{ random_string(%s) }}", len ? len : "8");
		} else if (strcmp(src, "file") == 0 && data) {
			val = imp_printf(t->d, "{{ %s.%s }}",
					 imp_ident(t->d, fileid ? fileid : "default"), id);
			col++;
		} else if (strcmp(src, "erlang") == 0) {
			const char *cb = xml_attr(n, "callback");

			if (cb && strcmp(cb, "ts_user_server:get_unique_id") == 0)
				val = imp_strdup(t->d, "{{ user_id() }}");
			else if (cb && strcmp(cb, "ts_user_server:get_really_unique_id") == 0)
				val = imp_strdup(t->d, "{{ uuid() }}");
			else
				unmapped(t, &st->notes, n,
					 "Erlang callback %s for '%s'; it starts empty",
					 cb ? cb : "(none)", name);
		} else if (strcmp(src, "file") != 0) {
			unmapped(t, &st->notes, n,
				 "<setdynvars sourcetype=\"%s\"> for '%s'; it "
				 "starts empty",
				 src, name);
		}
		imp_pairs_add(t->d, &st->set, id, val ? val : "");
		add_once(t, &t->defined, id);
	}
	if (st->set.n)
		imp_list_add(t->d, out, st);
}

/* <repeat name max> BODY <while|until var eq|neq/></repeat>: Tsung tests after the body, a
 * scenario's while before it, so a flag set at the end of each pass carries the test. */
static int repeat(struct ts *t, const struct xml_node *n, struct imp_list *out)
{
	const char *name = xml_attr(n, "name"), *max = xml_attr(n, "max");
	char *flag = imp_printf(t->d, "repeat_%s", imp_ident(t->d, name ? name : "loop"));
	struct imp_step *init = imp_step_new(t->d, IMP_SET), *w = imp_step_new(t->d, IMP_WHILE);
	const struct xml_node *last = n->last_child;
	char *cond = NULL;
	double m = 20;

	if (max && !parse_num(max, &m))
		return fail(t, n, "<repeat max=\"%s\">: expected a number", max);
	if (last && strcmp(last->name, "while") == 0)
		cond = condition(t, last, false);
	else if (last && strcmp(last->name, "until") == 0)
		cond = condition(t, last, true);
	if (!cond)
		return fail(t, n,
			    "<repeat> must end with <while var=... eq|neq=...> or <until ...>");
	imp_pairs_add(t->d, &init->set, flag, "1");
	imp_list_add(t->d, out, init);
	add_once(t, &t->defined, flag);
	w->cond = imp_printf(t->d, "%s == 1", flag);
	w->max = m < 1 ? 1 : (unsigned long)m;
	imp_note(t->d, &init->notes,
		 "line %lu: <repeat> (Tsung tests its condition after each pass)", n->line);
	if (steps(t, n, &w->steps) < 0)
		return -1;
	{
		struct imp_step *ifs = imp_step_new(t->d, IMP_IF),
				*go = imp_step_new(t->d, IMP_SET);
		struct imp_step *stop = imp_step_new(t->d, IMP_SET);

		ifs->cond = cond;
		imp_pairs_add(t->d, &go->set, flag, "1");
		imp_pairs_add(t->d, &stop->set, flag, "0");
		imp_list_add(t->d, &ifs->steps, go);
		imp_list_add(t->d, &ifs->else_steps, stop);
		ifs->has_else = true;
		imp_list_add(t->d, &w->steps, ifs);
	}
	imp_list_add(t->d, out, w);
	return 0;
}

static int for_loop(struct ts *t, const struct xml_node *n, struct imp_list *out)
{
	const char *var = xml_attr(n, "var"), *from = xml_attr(n, "from"), *to = xml_attr(n, "to");
	const char *incr = xml_attr(n, "incr");
	double a, b, s = 1;
	struct imp_step *init = imp_step_new(t->d, IMP_SET), *w = imp_step_new(t->d, IMP_WHILE);
	struct imp_step *next = imp_step_new(t->d, IMP_SET);
	char *id;

	if (!var || !parse_num(from, &a) || !parse_num(to, &b) || (incr && !parse_num(incr, &s)) ||
	    s <= 0)
		return fail(t, n, "<for> needs var, and numbers from, to (and incr > 0)");
	id = imp_ident(t->d, var);
	add_once(t, &t->defined, id);
	imp_pairs_add(t->d, &init->set, id, from);
	imp_list_add(t->d, out, init);
	w->cond = imp_printf(t->d, "%s <= %s", id, to);
	w->max = b >= a ? (unsigned long)floor((b - a) / s) + 1 : 1;
	if (steps(t, n, &w->steps) < 0)
		return -1;
	imp_pairs_add(t->d, &next->set, id,
		      imp_printf(t->d, "{{ %s + %s }}", id, incr ? incr : "1"));
	imp_list_add(t->d, &w->steps, next);
	imp_list_add(t->d, out, w);
	return 0;
}

static int foreach (struct ts *t, const struct xml_node *n, struct imp_list * out)
{
	const char *name = xml_attr(n, "name"), *in = xml_attr(n, "in");
	struct imp_step *st = imp_step_new(t->d, IMP_FOREACH);

	if (!name || !in)
		return fail(t, n, "<foreach> needs name and in");
	st->list = imp_ident(t->d, in);
	st->as = imp_ident(t->d, name);
	add_once(t, &t->defined, st->as);
	if (xml_attr(n, "include") || xml_attr(n, "exclude"))
		unmapped(t, &st->notes, n, "<foreach> include/exclude filters: every item is used");
	if (steps(t, n, &st->steps) < 0)
		return -1;
	imp_list_add(t->d, out, st);
	return 0;
}

static int steps(struct ts *t, const struct xml_node *parent, struct imp_list *out)
{
	struct imp_strs pending = {0}; /* notes for the next step */

	for (const struct xml_node *n = parent->children; n; n = n->next) {
		size_t before = out->n;
		int rc = 0;

		if (strcmp(n->name, "request") == 0) {
			const struct xml_node *h = xml_child(n, "http");

			if (!h) {
				for (const struct xml_node *k = n->children; k; k = k->next)
					if (strcmp(k->name, "dyn_variable") != 0 &&
					    strcmp(k->name, "match") != 0)
						return fail(t, k,
							    "protocol %s is not supported: barrage "
							    "imports HTTP requests only",
							    k->name);
				return fail(t, n, "<request> without <http>");
			}
			rc = http_request(t, n, h, out);
		} else if (strcmp(n->name, "thinktime") == 0) {
			think(t, n, out);
		} else if (strcmp(n->name, "transaction") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_TRANSACTION);
			const char *name = xml_attr(n, "name");

			st->name = imp_ident(t->d, name ? name : "transaction");
			rc = steps(t, n, &st->steps);
			if (st->steps.n)
				imp_list_add(t->d, out, st);
		} else if (strcmp(n->name, "setdynvars") == 0) {
			setdynvars(t, n, out);
		} else if (strcmp(n->name, "if") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_IF);

			st->cond = condition(t, n, false);
			if (!st->cond)
				return fail(t, n, "<if> needs var and eq or neq");
			rc = steps(t, n, &st->steps);
			imp_list_add(t->d, out, st);
		} else if (strcmp(n->name, "repeat") == 0) {
			rc = repeat(t, n, out);
		} else if (strcmp(n->name, "while") == 0 || strcmp(n->name, "until") == 0) {
			if (parent->last_child != n || strcmp(parent->name, "repeat") != 0)
				unmapped(t, &pending, n, "<%s> outside the end of a <repeat>",
					 n->name);
		} else if (strcmp(n->name, "for") == 0) {
			rc = for_loop(t, n, out);
		} else if (strcmp(n->name, "foreach") == 0) {
			rc = foreach (t, n, out);
		} else if (strcmp(n->name, "change_type") == 0) {
			const char *ct = xml_attr(n, "new_type");

			if (ct && strcmp(ct, "ts_http") != 0)
				return fail(t, n,
					    "protocol %s is not supported: barrage imports HTTP "
					    "sessions only",
					    ct + (strncmp(ct, "ts_", 3) ? 0 : 3));
			unmapped(t, &pending, n, "<change_type>");
		} else if (strcmp(n->name, "abort") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_ABORT);

			st->reason = imp_strdup(t->d, "abort");
			imp_list_add(t->d, out, st);
		} else {
			unmapped(t, &pending, n, "<%s>", n->name);
		}
		if (rc < 0)
			return -1;
		if (pending.n && out->n > before) {
			struct imp_step *st = out->v[before];
			struct imp_strs all = {0};

			for (size_t i = 0; i < pending.n; i++)
				imp_strs_add(t->d, &all, pending.v[i]);
			for (size_t i = 0; i < st->notes.n; i++)
				imp_strs_add(t->d, &all, st->notes.v[i]);
			st->notes = all;
			pending.n = 0;
		}
	}
	for (size_t i = 0; i < pending.n; i++) /* notes after the last step: keep them */
		imp_strs_add(t->d, &t->d->trailer, pending.v[i]);
	return 0;
}

/* foreach lists must be captured with pick: all; find their names before the captures are
 * built. */
static void find_lists(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *k = n->children; k; k = k->next) {
		if (strcmp(k->name, "foreach") == 0 && xml_attr(k, "in"))
			add_once(t, &t->lists, imp_ident(t->d, xml_attr(k, "in")));
		find_lists(t, k);
	}
}

static const char *protocol(const char *type)
{
	if (!type)
		return "http";
	return strncmp(type, "ts_", 3) == 0 ? type + 3 : type;
}

static int servers(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *s = n->children; s; s = s->next) {
		const char *host = xml_attr(s, "host"), *port = xml_attr(s, "port");
		const char *type = xml_attr(s, "type");
		bool tls = type && (strcmp(type, "ssl") == 0 || strcmp(type, "tls") == 0);
		char *url;

		if (strcmp(s->name, "server") != 0)
			continue;
		if (!host)
			return fail(t, s, "<server> without a host");
		if (type && !tls && strcmp(type, "tcp") != 0) {
			imp_note(t->d, &t->d->target_notes,
				 "line %lu: server type '%s' read as plain HTTP", s->line, type);
		}
		if (!port || strcmp(port, tls ? "443" : "80") == 0)
			url = imp_printf(t->d, "%s://%s", tls ? "https" : "http", host);
		else
			url = imp_printf(t->d, "%s://%s:%s", tls ? "https" : "http", host, port);
		if (!t->d->target)
			t->d->target = url;
		else
			unmapped(
			    t, &t->d->target_notes, s,
			    "another server %s (Tsung picks one per user; barrage has one target)",
			    url);
	}
	return 0;
}

static int load(struct ts *t, const struct xml_node *n)
{
	const char *loop = xml_attr(n, "loop");
	double loops = 0;
	size_t first = t->d->phases.n;

	if (loop && (!parse_num(loop, &loops) || loops > 100))
		return fail(t, n, "<load loop=\"%s\">: expected a number up to 100", loop);
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, "loop") != 0)
			unmapped(t, &t->d->load_notes, n, "<load %s=\"%s\">", n->attrs[i].name,
				 n->attrs[i].value);
	for (const struct xml_node *p = n->children; p; p = p->next) {
		const char *dur = xml_attr(p, "duration"), *unit = xml_attr(p, "unit");
		const struct xml_node *u = xml_child(p, "users");
		double d, us = unit_s(unit), per_s = 0, v;

		if (strcmp(p->name, "arrivalphase") != 0) {
			unmapped(t, &t->d->load_notes, p, "<%s> (static users)", p->name);
			continue;
		}
		if (!parse_num(dur, &d) || d <= 0 || us < 0)
			return fail(t, p,
				    "<arrivalphase>: expected duration=\"N\" and unit=\"second|"
				    "minute|hour\"");
		if (!u)
			return fail(t, p, "<arrivalphase> without <users>");
		{
			double uu = unit_s(xml_attr(u, "unit"));
			const char *ia = xml_attr(u, "interarrival"),
				   *ar = xml_attr(u, "arrivalrate");

			if (uu < 0)
				return fail(t, u,
					    "<users unit=\"%s\">: expected second, minute or hour",
					    xml_attr(u, "unit"));
			if (ia && parse_num(ia, &v) && v > 0)
				per_s = 1.0 / (v * uu);
			else if (ar && parse_num(ar, &v) && v > 0)
				per_s = v / uu;
			else
				return fail(t, u,
					    "<users>: expected interarrival or arrivalrate > 0");
		}
		imp_strs_add(t->d, &t->d->phases,
			     imp_printf(t->d,
					"{ duration: %s, arrival_rate: %s, name: \"phase-%s\" }",
					imp_duration(t->d, d * us), rate_text(t->d, per_s),
					xml_attr(p, "phase") ? xml_attr(p, "phase") : "1"));
		if (xml_attr(u, "maxnumber"))
			unmapped(t, &t->d->load_notes, u,
				 "phase %s: at most %s users in the phase (barrage caps users with "
				 "max_users over the whole run)",
				 xml_attr(p, "phase") ? xml_attr(p, "phase") : "?",
				 xml_attr(u, "maxnumber"));
		for (const struct xml_node *k = p->children; k; k = k->next)
			if (strcmp(k->name, "users") != 0)
				unmapped(t, &t->d->load_notes, k, "<%s name=\"%s\"> in a phase",
					 k->name, xml_attr(k, "name") ? xml_attr(k, "name") : "");
	}
	if (loops >= 1) {
		size_t n0 = t->d->phases.n;

		imp_note(t->d, &t->d->load_notes,
			 "line %lu: <load loop=\"%s\">: the phases are "
			 "written %.0f more times",
			 n->line, loop, loops);
		for (double l = 0; l < loops; l++)
			for (size_t i = first; i < n0; i++)
				imp_strs_add(t->d, &t->d->phases, t->d->phases.v[i]);
	}
	return 0;
}

static void options(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *o = n->children; o; o = o->next) {
		const char *name = xml_attr(o, "name");

		if (strcmp(o->name, "option") != 0 || !name) {
			unmapped(t, &t->d->load_notes, o, "<%s> in <options>", o->name);
			continue;
		}
		if (strcmp(name, "thinktime") == 0) {
			t->think_value = xml_attr(o, "value");
			t->think_random = is_true(xml_attr(o, "random"));
			t->think_override = is_true(xml_attr(o, "override"));
		} else if (strcmp(name, "user_agent") == 0) {
			const struct xml_node *ua = xml_child(o, "user_agent");
			char *v;
			size_t len;

			if (!ua)
				continue;
			v = imp_strdup(t->d, ua->text);
			while (isspace((unsigned char)*v))
				v++;
			len = strlen(v);
			while (len && isspace((unsigned char)v[len - 1]))
				v[--len] = '\0';
			imp_pairs_add(t->d, &t->d->http_headers, "User-Agent", v);
			if (ua->next)
				unmapped(
				    t, &t->d->load_notes, o,
				    "several user agents with probabilities: the first is sent");
		} else if (strcmp(name, "file_server") == 0) {
			const char *id = xml_attr(o, "id"), *file = xml_attr(o, "value");
			char *dir, *full;

			if (!file)
				continue;
			id = id ? id : "default";
			imp_pairs_add(t->d, &t->files, id, file);
			dir = imp_strdup(t->d, t->path);
			full = file[0] == '/' ? imp_strdup(t->d, file)
					      : imp_printf(t->d, "%s/%s", dirname(dir), file);
			if (access(full, R_OK) == 0) {
				/* Absolute: the scenario may be written to another folder, and data
				 * paths are read relative to the scenario. */
				char *abs = realpath(full, NULL);

				if (abs) {
					full = imp_strdup(t->d, abs);
					free(abs);
				}
				imp_pairs_add(t->d, &t->d->data, imp_ident(t->d, id), full);
				imp_note(
				    t->d, &t->d->load_notes,
				    "line %lu: data '%s' is Tsung's file_server %s: barrage reads "
				    "CSV with a header row naming the columns (the <var> names) "
				    "and "
				    "commas between fields",
				    o->line, imp_ident(t->d, id), file);
			}
		} else {
			unmapped(t, &t->d->load_notes, o, "<option name=\"%s\">", name);
		}
	}
}

/* Variables a template uses but nothing in the file sets start empty, with a note. */
static void undefined_vars(struct ts *t)
{
	for (size_t i = 0; i < t->used.n; i++) {
		const char *v = t->used.v[i];

		if (has(&t->defined, v) || strchr(v, '.'))
			continue;
		imp_pairs_add(t->d, &t->d->variables, v, "");
		while (t->d->variable_notes.n + 1 < t->d->variables.n)
			imp_strs_add(t->d, &t->d->variable_notes, NULL);
		imp_note(t->d, &t->d->variable_notes,
			 "nothing in the Tsung file sets '%s' before it is used: decide its value",
			 v);
		fprintf(t->report, "barrage: import: %s: variable '%s' is used but never set\n",
			t->path, v);
	}
}

static char *run_name(struct imp_doc *d, const char *path)
{
	const char *b = strrchr(path, '/');
	char *n = imp_strdup(d, b ? b + 1 : path);
	char *dot = strrchr(n, '.');

	if (dot && dot != n)
		*dot = '\0';
	for (char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			*p = '-';
	return n;
}

/* The conversion proper; takes the tree (and frees it). */
static int tsung_tree(const char *path, struct xml_node *root, struct imp_doc *d, FILE *report,
		      char **err)
{
	struct ts t = {.d = d, .path = path, .report = report};
	const struct xml_node *sessions;
	int rc = -1;

	if (strcmp(root->name, "tsung") != 0) {
		err_set(err,
			"%s:%lu:%lu: not a Tsung configuration: the root element is <%s>, "
			"expected <tsung>",
			path, root->line, root->col, root->name);
		goto out;
	}
	imp_note(d, &d->header, "Imported from the Tsung configuration %s by barrage import tsung.",
		 path);
	imp_note(d, &d->header,
		 "Lines starting 'not mapped' name what the scenario could not say.");
	d->name = run_name(d, path);
	find_lists(&t, root);
	sessions = xml_child(root, "sessions");
	if (!sessions) {
		err_set(err, "%s:%lu:%lu: no <sessions> in this Tsung configuration", path,
			root->line, root->col);
		goto out;
	}
	/* Protocols first: a non-HTTP file is refused before anything else is said about it. */
	for (const struct xml_node *s = sessions->children; s; s = s->next) {
		const char *type = xml_attr(s, "type");

		if (strcmp(s->name, "session") == 0 && type && strcmp(type, "ts_http") != 0) {
			err_set(err,
				"%s:%lu:%lu: protocol %s is not supported: barrage imports HTTP "
				"sessions only (session '%s' has type=\"%s\")",
				path, s->line, s->col, protocol(type),
				xml_attr(s, "name") ? xml_attr(s, "name") : "", type);
			goto out;
		}
	}
	for (const struct xml_node *n = root->children; n; n = n->next) {
		if (strcmp(n->name, "servers") == 0) {
			if (servers(&t, n) < 0)
				goto fail;
		} else if (strcmp(n->name, "clients") == 0) {
			unsigned long total = 0;
			bool any = false;

			for (const struct xml_node *c = n->children; c; c = c->next) {
				double v;

				if (parse_num(xml_attr(c, "maxusers"), &v)) {
					total += (unsigned long)v;
					any = true;
				}
				for (const struct xml_node *ip = c->children; ip; ip = ip->next)
					unmapped(&t, &d->load_notes, ip,
						 "<%s value=\"%s\"> on client %s", ip->name,
						 xml_attr(ip, "value") ? xml_attr(ip, "value") : "",
						 xml_attr(c, "host") ? xml_attr(c, "host") : "");
			}
			if (any && total) {
				d->max_users = imp_printf(d, "%lu", total);
				imp_note(d, &d->load_notes,
					 "line %lu: max_users is the sum of the "
					 "clients' maxusers",
					 n->line);
			}
		} else if (strcmp(n->name, "load") == 0) {
			if (load(&t, n) < 0)
				goto fail;
		} else if (strcmp(n->name, "options") == 0) {
			options(&t, n);
		} else if (strcmp(n->name, "monitoring") == 0) {
			unmapped(&t, &d->load_notes, n, "<monitoring> (see monitor: in barrage)");
		} else if (strcmp(n->name, "sessions") != 0) {
			unmapped(&t, &d->load_notes, n, "<%s>", n->name);
		}
	}
	for (const struct xml_node *s = sessions->children; s; s = s->next) {
		const char *name = xml_attr(s, "name"), *prob = xml_attr(s, "probability");
		struct imp_session *is;
		double p = 1;

		if (strcmp(s->name, "session") != 0)
			continue;
		if (prob && (!parse_num(prob, &p))) {
			fail(&t, s, "<session probability=\"%s\">: expected a number", prob);
			goto fail;
		}
		if (p == 0) {
			unmapped(&t, &d->trailer, s,
				 "session '%s' has probability 0 (Tsung starts it "
				 "only from <session_setup> or <user>): left out",
				 name ? name : "");
			continue;
		}
		is = imp_session_add(d, name ? name : "session");
		for (size_t i = 0, k = 2; i + 1 < d->nsessions; i++)
			if (strcmp(d->sessions[i].name, is->name) == 0) {
				is->name = imp_printf(d, "%s-%zu", name ? name : "session", k++);
				imp_note(d, &is->notes,
					 "line %lu: renamed: another session is "
					 "also called '%s'",
					 s->line, name ? name : "session");
				i = (size_t)-1;
			}
		is->weight = imp_printf(d, "%g", p);
		t.base = NULL;
		if (steps(&t, s, &is->steps) < 0)
			goto fail;
		if (!is->steps.n) {
			unmapped(&t, &d->trailer, s,
				 "session '%s' has no step barrage can run: left out", is->name);
			d->nsessions--;
		}
	}
	if (!d->nsessions) {
		err_set(err, "%s:%lu:%lu: no HTTP session to import", path, sessions->line,
			sessions->col);
		goto out;
	}
	if (!d->target)
		imp_note(d, &d->target_notes,
			 "no <servers> in the Tsung file: set target yourself");
	if (!d->phases.n)
		imp_note(d, &d->load_notes, "no <load> in the Tsung file: one user for a minute");
	undefined_vars(&t);
	fprintf(report,
		"barrage: import: %s: %zu session%s, %zu request%s, %zu thing%s not mapped\n", path,
		d->nsessions, d->nsessions == 1 ? "" : "s", t.requests, t.requests == 1 ? "" : "s",
		t.unmapped, t.unmapped == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	if (err) {
		free(*err);
		*err = t.err;
		t.err = NULL;
	}
out:
	free(t.err);
	xml_free(root);
	return rc;
}

int import_tsung(const char *path, struct imp_doc *d, FILE *report, char **err)
{
	struct xml_node *root = NULL;

	if (xml_parse_file(path, &root, err) < 0)
		return -1;
	return tsung_tree(path, root, d, report, err);
}

int import_tsung_mem(const char *name, const char *data, size_t len, struct imp_doc *d,
		     FILE *report, char **err)
{
	struct xml_node *root = NULL;

	if (xml_parse_mem(name, data, len, &root, err) < 0)
		return -1;
	return tsung_tree(name, root, d, report, err);
}
