/* `barrage import tsung`, a session's steps: <request> with <http>, <dyn_variable> and <match>,
 * <thinktime>, <transaction>, <setdynvars>, <if>, <repeat>, <for>, <foreach>, <abort> (the
 * table is in import_tsung.c and docs/import.md). Whatever has no equivalent is noted where it
 * was, with its line; a request of another protocol is an error. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsonpath.h"
#include "controller/import_tsung.h"

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
			tsung_add_once(t, &t->used, id);
		} else {
			buf_append(&b, open, (size_t)(close + 2 - open));
			tsung_unmapped(t, notes, n, "Erlang callback %.*s left as literal text",
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
	tsung_add_once(t, &t->used, id);
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
		tsung_unmapped(t, &st->notes, n, "<dyn_variable> without a name");
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
			tsung_unmapped(t, &st->notes, n, "dyn_variable '%s': jsonpath '%s' (%s)",
				       name, jp, e ? e : "not in Barrage's JSONPath subset");
			free(e);
			imp_capture_add(t->d, st, id, "regex", "(?!)")->def = imp_strdup(t->d, "");
			tsung_add_once(t, &t->defined, id);
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
	if (tsung_has(&t->lists, id))
		c->all = true;
	tsung_add_once(t, &t->defined, id);
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
			tsung_unmapped(
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
				tsung_unmapped(
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
		tsung_add_once(t, &t->defined, id);
		ifs->cond = imp_printf(t->d, "%s != ''", id);
		ab->reason = imp_strdup(t->d, id);
		imp_list_add(t->d, &ifs->steps, ab);
		imp_list_add(t->d, out, ifs);
		return;
	}
	tsung_unmapped(t, &st->notes, n, "<match when=\"match\" do=\"%s\">%s</match>", doo, re);
}

static void think(struct ts *t, const struct xml_node *n, struct imp_list *out)
{
	struct imp_step *st = imp_step_new(t->d, IMP_THINK);
	const char *v = xml_attr(n, "value"), *min = xml_attr(n, "min"), *max = xml_attr(n, "max");
	const char *rnd = xml_attr(n, "random");
	bool random = rnd ? tsung_is_true(rnd) : t->think_random;
	double a, b;

	if (t->think_override && t->think_value) {
		v = t->think_value;
		min = max = NULL;
		random = t->think_random;
	}
	if (!v && !min && t->think_value)
		v = t->think_value;
	if (min && max && tsung_parse_num(min, &a) && tsung_parse_num(max, &b) && b >= a) {
		st->think = imp_printf(t->d, "{ min: %s, max: %s }", imp_duration(t->d, a),
				       imp_duration(t->d, b));
	} else if (v && tsung_parse_num(v, &a)) {
		if (random && a > 0)
			st->think = imp_printf(t->d, "{ mean: %s, distribution: exponential }",
					       imp_duration(t->d, a));
		else
			st->think = imp_duration(t->d, a);
	} else {
		tsung_unmapped(t, &st->notes, n,
			       "<thinktime> with no value barrage can read (value '%s')",
			       v ? v : "");
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
	bool sub = tsung_is_true(xml_attr(req, "subst"));
	const char *url = xml_attr(h, "url"), *method = xml_attr(h, "method");
	const char *contents = xml_attr(h, "contents"), *ctype = xml_attr(h, "content_type");
	const char *ims = xml_attr(h, "if_modified_since"), *ver = xml_attr(h, "version");
	struct imp_list after = {0};

	if (!url)
		return tsung_fail(t, h, "<http> without a url");
	t->requests++;
	for (const struct xml_node *k = req->children; k; k = k->next) {
		if (strcmp(k->name, "dyn_variable") == 0)
			dyn_variable(t, st, k);
		else if (strcmp(k->name, "match") == 0)
			match(t, st, &after, k);
		else if (strcmp(k->name, "http") != 0)
			tsung_unmapped(t, &st->notes, k, "<%s> in a request", k->name);
	}
	for (size_t i = 0; i < req->nattrs; i++) {
		const char *a = req->attrs[i].name;

		if (strcmp(a, "subst") != 0)
			tsung_unmapped(t, &st->notes, req, "<request %s=\"%s\">", a,
				       req->attrs[i].value);
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
			tsung_unmapped(t, &st->notes, h, "<http %s=\"%s\">", h->attrs[i].name,
				       h->attrs[i].value);
	}
	for (const struct xml_node *k = h->children; k; k = k->next) {
		if (strcmp(k->name, "http_header") == 0) {
			const char *name = xml_attr(k, "name"), *value = xml_attr(k, "value");

			if (!name)
				tsung_unmapped(t, &st->notes, k, "<http_header> without a name");
			else
				imp_pairs_add(t->d, &st->headers, name,
					      subst(t, value ? value : "", sub, &st->notes, k));
		} else if (strcmp(k->name, "www_authenticate") == 0) {
			const char *type = xml_attr(k, "type"), *user = xml_attr(k, "userid");
			const char *pw = xml_attr(k, "passwd");

			if ((type && strcmp(type, "basic") != 0) || !user || !pw ||
			    (sub && (strstr(user, "%%") || strstr(pw, "%%"))))
				tsung_unmapped(t, &st->notes, k,
					       "<www_authenticate type=\"%s\">: barrage has no %s "
					       "authentication; send the header yourself",
					       type ? type : "basic",
					       type ? type : "templated basic");
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
			tsung_unmapped(t, &st->notes, k, "<%s> (%s)", k->name,
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

			tsung_unmapped(t, &st->notes, n,
				       "<setdynvars sourcetype=\"file\" fileid=\"%s\">: %s%s; the "
				       "variables start empty",
				       id, f ? "file " : "no <option name=\"file_server\"> for it",
				       f ? imp_printf(t->d, "'%s' is not readable from here", f)
					 : "");
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
				tsung_unmapped(t, &st->notes, n,
					       "Erlang callback %s for '%s'; it starts empty",
					       cb ? cb : "(none)", name);
		} else if (strcmp(src, "file") != 0) {
			tsung_unmapped(t, &st->notes, n,
				       "<setdynvars sourcetype=\"%s\"> for '%s'; it "
				       "starts empty",
				       src, name);
		}
		imp_pairs_add(t->d, &st->set, id, val ? val : "");
		tsung_add_once(t, &t->defined, id);
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

	if (max && !tsung_parse_num(max, &m))
		return tsung_fail(t, n, "<repeat max=\"%s\">: expected a number", max);
	if (last && strcmp(last->name, "while") == 0)
		cond = condition(t, last, false);
	else if (last && strcmp(last->name, "until") == 0)
		cond = condition(t, last, true);
	if (!cond)
		return tsung_fail(
		    t, n, "<repeat> must end with <while var=... eq|neq=...> or <until ...>");
	imp_pairs_add(t->d, &init->set, flag, "1");
	imp_list_add(t->d, out, init);
	tsung_add_once(t, &t->defined, flag);
	w->cond = imp_printf(t->d, "%s == 1", flag);
	w->max = m < 1 ? 1 : (unsigned long)m;
	imp_note(t->d, &init->notes,
		 "line %lu: <repeat> (Tsung tests its condition after each pass)", n->line);
	if (tsung_steps(t, n, &w->steps) < 0)
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

	if (!var || !tsung_parse_num(from, &a) || !tsung_parse_num(to, &b) ||
	    (incr && !tsung_parse_num(incr, &s)) || s <= 0)
		return tsung_fail(t, n, "<for> needs var, and numbers from, to (and incr > 0)");
	id = imp_ident(t->d, var);
	tsung_add_once(t, &t->defined, id);
	imp_pairs_add(t->d, &init->set, id, from);
	imp_list_add(t->d, out, init);
	w->cond = imp_printf(t->d, "%s <= %s", id, to);
	w->max = b >= a ? (unsigned long)floor((b - a) / s) + 1 : 1;
	if (tsung_steps(t, n, &w->steps) < 0)
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
		return tsung_fail(t, n, "<foreach> needs name and in");
	st->list = imp_ident(t->d, in);
	st->as = imp_ident(t->d, name);
	tsung_add_once(t, &t->defined, st->as);
	if (xml_attr(n, "include") || xml_attr(n, "exclude"))
		tsung_unmapped(t, &st->notes, n,
			       "<foreach> include/exclude filters: every item is used");
	if (tsung_steps(t, n, &st->steps) < 0)
		return -1;
	if (!st->steps.n) {
		tsung_unmapped(t, &t->d->trailer, n, "a <foreach> with no step inside: left out");
		return 0;
	}
	imp_list_add(t->d, out, st);
	return 0;
}

int tsung_steps(struct ts *t, const struct xml_node *parent, struct imp_list *out)
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
						return tsung_fail(
						    t, k,
						    "protocol %s is not supported: barrage "
						    "imports HTTP requests only",
						    k->name);
				return tsung_fail(t, n, "<request> without <http>");
			}
			rc = http_request(t, n, h, out);
		} else if (strcmp(n->name, "thinktime") == 0) {
			think(t, n, out);
		} else if (strcmp(n->name, "transaction") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_TRANSACTION);
			const char *name = xml_attr(n, "name");

			st->name = imp_ident(t->d, name ? name : "transaction");
			rc = tsung_steps(t, n, &st->steps);
			if (st->steps.n)
				imp_list_add(t->d, out, st);
		} else if (strcmp(n->name, "setdynvars") == 0) {
			setdynvars(t, n, out);
		} else if (strcmp(n->name, "if") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_IF);

			st->cond = condition(t, n, false);
			if (!st->cond)
				return tsung_fail(t, n, "<if> needs var and eq or neq");
			rc = tsung_steps(t, n, &st->steps);
			if (st->steps.n)
				imp_list_add(t->d, out, st);
			else
				tsung_unmapped(t, &pending, n,
					       "an <if> with no step inside: left out");
		} else if (strcmp(n->name, "repeat") == 0) {
			rc = repeat(t, n, out);
		} else if (strcmp(n->name, "while") == 0 || strcmp(n->name, "until") == 0) {
			if (parent->last_child != n || strcmp(parent->name, "repeat") != 0)
				tsung_unmapped(t, &pending, n, "<%s> outside the end of a <repeat>",
					       n->name);
		} else if (strcmp(n->name, "for") == 0) {
			rc = for_loop(t, n, out);
		} else if (strcmp(n->name, "foreach") == 0) {
			rc = foreach (t, n, out);
		} else if (strcmp(n->name, "change_type") == 0) {
			const char *ct = xml_attr(n, "new_type");

			if (ct && strcmp(ct, "ts_http") != 0)
				return tsung_fail(
				    t, n,
				    "protocol %s is not supported: barrage imports HTTP "
				    "sessions only",
				    ct + (strncmp(ct, "ts_", 3) ? 0 : 3));
			tsung_unmapped(t, &pending, n, "<change_type>");
		} else if (strcmp(n->name, "abort") == 0) {
			struct imp_step *st = imp_step_new(t->d, IMP_ABORT);

			st->reason = imp_strdup(t->d, "abort");
			imp_list_add(t->d, out, st);
		} else {
			tsung_unmapped(t, &pending, n, "<%s>", n->name);
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
void tsung_find_lists(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *k = n->children; k; k = k->next) {
		if (strcmp(k->name, "foreach") == 0 && xml_attr(k, "in"))
			tsung_add_once(t, &t->lists, imp_ident(t->d, xml_attr(k, "in")));
		tsung_find_lists(t, k);
	}
}
