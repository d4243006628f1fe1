/* A session's steps as the scenario writes them: request (with expect and capture), think,
 * transaction, if/else, repeat, while, foreach, set and abort, each checked at its position. */
#include "controller/scenario_steps.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "common/tmpl.h"
#include "controller/scenario_scalars.h"
#include "controller/scenario_yaml.h"

/* ---- steps ---- */

static void add_group(struct sc *sc, const char *prefix, const char *name)
{
	char g[256];

	snprintf(g, sizeof(g), "%s%s", prefix, name);
	if (!sc_str_in(sc->groups, sc->ngroups, g))
		sc_push_str(sc, &sc->groups, &sc->ngroups, &sc->cgroups, g);
}

static const char *const step_kinds[] = {"request", "think",   "transaction", "if",    "repeat",
					 "while",   "foreach", "set",	      "abort", NULL};
/* Keys a step of each kind may hold beside its kind key. */
static const char *const step_siblings[][3] = {
    [PLAN_STEP_REQUEST] = {"expect", "capture"},
    [PLAN_STEP_THINK] = {NULL},
    [PLAN_STEP_TRANSACTION] = {"steps"},
    [PLAN_STEP_IF] = {"then", "else"},
    [PLAN_STEP_REPEAT] = {"steps"},
    [PLAN_STEP_WHILE] = {"max", "steps"},
    [PLAN_STEP_FOREACH] = {"as", "steps"},
    [PLAN_STEP_SET] = {NULL},
    [PLAN_STEP_ABORT] = {NULL},
};

/* The first byte of a URL template's literal text (outside {{ }}) that may not appear in a
 * URL, or -1. Values rendered into holes are checked by the agent when it sends them. */
static long url_bad_literal(const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");

			if (!end)
				return -1;
			p = end + 1;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c))
			return (long)(p - s);
	}
	return -1;
}

static void check_url_literal(struct sc *sc, const struct ynode *v, const char *url)
{
	long at = url_bad_literal(url);
	unsigned char c;

	if (at < 0)
		return;
	c = (unsigned char)url[at];
	if (c == ' ')
		sc_err(sc, v, (size_t)at,
		       "url: a space is not valid in a URL: write %%20, or put values in with "
		       "urlencode(), e.g. {{ urlencode(q) }}");
	else
		sc_err(sc, v, (size_t)at,
		       "url: byte 0x%02x ('%c') is not valid in a URL: percent-encode it (%%%02X), "
		       "or put values in with urlencode(), e.g. {{ urlencode(q) }}",
		       c, c >= 0x21 && c < 0x7f ? c : '?', c);
}

static void parse_request(struct sc *sc, const struct ynode *n, struct plan_request *r)
{
	/* expect and capture are here only to be reported as misplaced, once, below. */
	static const char *const keys[] = {"method", "url",	"headers",	    "body",
					   "json",   "form",	"timeout",	    "name",
					   "expect", "capture", "follow_redirects", NULL};
	const struct ynode *v, *body = NULL;
	const char *bodies[] = {"body", "json", "form"};
	size_t i;
	int nbodies = 0;

	if (n->kind == YN_SCALAR) { /* request: /path is a GET of that URL */
		r->method = sc_strdup(sc, "GET");
		if (sc_get_tmpl(sc, n, "request url", true, TMPL_ESCAPE_NONE, &r->url) == 0 &&
		    r->url)
			check_url_literal(sc, n, r->url);
		return;
	}
	if (sc_want_kind(sc, n, YN_MAP, "request") != 0)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const char *k = n->kids[i]->str;

		if (strcmp(k, "expect") == 0 || strcmp(k, "capture") == 0)
			sc_err(sc, n->kids[i], 0,
			       "'%s' goes beside 'request:' in the step, not inside it", k);
	}
	sc_check_keys(sc, n, "request", keys);
	if (!sc_map_get(n, "url") && !sc_has_typo_of(n, "url"))
		sc_err(sc, n, 0, "request needs a url");

	v = sc_map_get(n, "method");
	if (v) {
		if (sc_get_string(sc, v, "method", true, &r->method) == 0) {
			char *c;

			for (c = r->method; *c; c++) {
				if (!(isalnum((unsigned char)*c) ||
				      strchr("!#$%&'*+-.^_`|~", *c))) {
					sc_err(sc, v, 0, "'%s' is not an HTTP method", v->str);
					break;
				}
				*c = (char)toupper((unsigned char)*c);
			}
		}
	} else
		r->method = sc_strdup(sc, "GET");
	if ((v = sc_map_get(n, "url"))) {
		if (sc_get_tmpl(sc, v, "url", true, TMPL_ESCAPE_NONE, &r->url) == 0 &&
		    r->url[0] != '/' && strncmp(r->url, "http://", 7) != 0 &&
		    strncmp(r->url, "https://", 8) != 0 && strncmp(r->url, "{{", 2) != 0)
			sc_err(sc, v, 0,
			       "url must be a path starting with / or an http:// or https:// URL, "
			       "got '%.60s'",
			       r->url);
		else if (r->url)
			check_url_literal(sc, v, r->url);
	}
	if ((v = sc_map_get(n, "name")) &&
	    sc_get_stat_name(sc, v, "request name", "req_", &r->name) == 0)
		add_group(sc, "req_", r->name);
	if ((v = sc_map_get(n, "headers")))
		sc_get_kvs(sc, v, "header", TMPL_ESCAPE_NONE, false, &r->headers, &r->nheaders);
	if ((v = sc_map_get(n, "timeout")))
		sc_get_duration(sc, v, "timeout", 1000, &r->timeout_us);
	if ((v = sc_map_get(n, "follow_redirects")) &&
	    sc_get_u32(sc, v, "follow_redirects", 0, PLAN_MAX_REDIRECTS, &r->follow_redirects) == 0)
		r->has_follow_redirects = true;
	for (i = 0; i < 3; i++)
		if ((v = sc_map_get(n, bodies[i]))) {
			if (nbodies++)
				sc_err(sc, sc_map_key(n, bodies[i]), 0,
				       "a request has one of body, json or form; this one also has "
				       "'%s'",
				       bodies[i]);
			else
				body = v;
		}
	if ((v = sc_map_get(n, "body")) && v == body) {
		r->body_kind = PLAN_BODY_RAW;
		sc_get_tmpl(sc, v, "body", false, TMPL_ESCAPE_NONE, &r->body);
	} else if ((v = sc_map_get(n, "json")) && v == body) {
		struct buf b;

		buf_init(&b, 16u << 20);
		sc_yaml_to_json(sc, v, &b);
		r->body_kind = PLAN_BODY_JSON;
		r->body = buf_steal(&b);
		if (!r->body)
			r->body = sc_strdup(sc, "");
		buf_free(&b);
	} else if ((v = sc_map_get(n, "form")) && v == body) {
		r->body_kind = PLAN_BODY_FORM;
		sc_get_kvs(sc, v, "form field", TMPL_ESCAPE_URL, false, &r->form, &r->nform);
	}
}

/* status: 200, [200, 201], "2xx" */
static int parse_status_one(struct sc *sc, const struct ynode *n, struct plan_status_range *r)
{
	const char *s = n->str;

	if (n->kind == YN_SCALAR && strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
	    (strcmp(s + 1, "xx") == 0 || strcmp(s + 1, "XX") == 0)) {
		r->lo = (s[0] - '0') * 100;
		r->hi = r->lo + 99;
		return 0;
	}
	if (n->kind == YN_SCALAR && strlen(s) == 3 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
		r->lo = r->hi = (int)strtol(s, NULL, 10);
		if (r->lo >= 100 && r->lo <= 599)
			return 0;
	}
	sc_err(sc, n, 0, "expected a status like 200, [200, 201] or \"2xx\", got %s%.60s%s",
	       n->kind == YN_SCALAR ? "'" : "", n->kind == YN_SCALAR ? n->str : sc_kind_word(n),
	       n->kind == YN_SCALAR ? "'" : "");
	return -1;
}

static void parse_expect(struct sc *sc, const struct ynode *n, struct plan_expect *x)
{
	static const char *const keys[] = {"status", "body", "header", "headers", "on_fail", NULL};
	static const char *const bkeys[] = {"contains", "regex", NULL};
	static const char *const on_fail[] = {"abort", "continue", "restart", NULL};
	const struct ynode *v, *b;
	size_t i;
	int of;

	x->pos.line = n->line;
	x->pos.col = n->col;
	if (sc_want_kind(sc, n, YN_MAP, "expect") != 0)
		return;
	sc_check_keys(sc, n, "expect", keys);
	if ((v = sc_map_get(n, "status"))) {
		if (v->kind == YN_SEQ) {
			if (v->n == 0)
				sc_err(sc, v, 0, "status: the list is empty");
			x->status = sc_calloc(sc, v->n, sizeof(*x->status));
			for (i = 0; x->status && i < v->n; i++)
				if (parse_status_one(sc, v->kids[i], &x->status[x->nstatus]) == 0)
					x->nstatus++;
		} else {
			x->status = sc_calloc(sc, 1, sizeof(*x->status));
			if (x->status && parse_status_one(sc, v, x->status) == 0)
				x->nstatus = 1;
		}
	}
	if ((b = sc_map_get(n, "body"))) {
		if (b->kind == YN_SCALAR) /* body: "text" is short for body: { contains: text } */
			sc_get_string(sc, b, "body", true, &x->body_contains);
		else if (sc_want_kind(sc, b, YN_MAP, "body") == 0) {
			sc_check_keys(sc, b, "expect body", bkeys);
			if ((v = sc_map_get(b, "contains")))
				sc_get_string(sc, v, "contains", true, &x->body_contains);
			if ((v = sc_map_get(b, "regex")) &&
			    sc_get_string(sc, v, "regex", true, &x->body_regex) == 0)
				sc_check_regex(sc, v, "body regex");
		}
	}
	if ((v = sc_map_get(n, "header")) || (v = sc_map_get(n, "headers"))) {
		if (sc_map_get(n, "header") && sc_map_get(n, "headers"))
			sc_err(sc, sc_map_key(n, "headers"), 0, "use header or headers, not both");
		if (sc_want_kind(sc, v, YN_MAP, "header") == 0) {
			x->headers = sc_calloc(sc, v->n / 2, sizeof(*x->headers));
			for (i = 0; x->headers && i + 1 < v->n; i += 2) {
				struct plan_kv *kv = &x->headers[x->nheaders++];

				kv->pos.line = v->kids[i]->line;
				kv->pos.col = v->kids[i]->col;
				sc_get_string(sc, v->kids[i], "header name", true, &kv->name);
				if (sc_is_null(v->kids[i + 1]))
					kv->value = sc_strdup(sc, "");
				else
					sc_get_string(sc, v->kids[i + 1], "header value", false,
						      &kv->value);
			}
		}
	}
	if ((v = sc_map_get(n, "on_fail")) && sc_get_enum(sc, v, "on_fail", on_fail, &of) == 0)
		x->on_fail = (enum plan_on_fail)of;
}

static void parse_captures(struct sc *sc, const struct ynode *n, struct plan_request *r)
{
	static const char *const keys[] = {"json",   "regex", "header",	 "cookie",
					   "status", "pick",  "default", NULL};
	static const char *const kinds[] = {"json", "regex", "header", "cookie", "status", NULL};
	static const char *const picks[] = {"first", "random", "all", NULL};
	size_t i, k;

	if (sc_want_kind(sc, n, YN_MAP, "capture") != 0)
		return;
	r->captures = sc_calloc(sc, n->n / 2, sizeof(*r->captures));
	if (!r->captures)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *name = n->kids[i], *spec = n->kids[i + 1], *v, *kv = NULL;
		struct plan_capture *c = &r->captures[r->ncaptures++];
		int pick = 0, found = 0;

		c->pos.line = name->line;
		c->pos.col = name->col;
		if (sc_get_ident(sc, name, "capture variable", &c->var) == 0)
			sc_define(sc, c->var);
		if (sc_want_kind(sc, spec, YN_MAP, "capture") != 0)
			continue;
		sc_check_keys(sc, spec, "capture", keys);
		for (k = 0; kinds[k]; k++)
			if ((v = sc_map_get(spec, kinds[k]))) {
				if (found++) {
					sc_err(
					    sc, sc_map_key(spec, kinds[k]), 0,
					    "a capture takes one of json, regex, header, cookie or "
					    "status; '%s' is a second",
					    kinds[k]);
					continue;
				}
				c->kind = (enum plan_capture_kind)k;
				kv = v;
			}
		if (!found) {
			sc_err(sc, spec, 0,
			       "capture '%s' needs one of json, regex, header, cookie or status",
			       name->str);
			continue;
		}
		if (c->kind != PLAN_CAPTURE_STATUS &&
		    sc_get_string(sc, kv, kinds[c->kind], true, &c->expr) == 0) {
			if (c->kind == PLAN_CAPTURE_JSON)
				sc_check_jsonpath(sc, kv);
			else if (c->kind == PLAN_CAPTURE_REGEX)
				sc_check_regex(sc, kv, "capture regex");
		}
		if ((v = sc_map_get(spec, "pick")) &&
		    sc_get_enum(sc, v, "pick", picks, &pick) == 0) {
			c->pick = (enum plan_pick)pick;
			if (c->pick == PLAN_PICK_ALL && c->var &&
			    !sc_str_in(sc->lists, sc->nlists, c->var))
				sc_push_str(sc, &sc->lists, &sc->nlists, &sc->clists, c->var);
		}
		if ((v = sc_map_get(spec, "default")))
			sc_get_string(sc, v, "default", false, &c->default_value);
	}
}

static void parse_think(struct sc *sc, const struct ynode *n, struct plan_think *t)
{
	static const char *const keys[] = {"min", "max", "mean", "distribution", NULL};
	static const char *const dists[] = {"fixed", "uniform", "exponential", NULL};
	const struct ynode *mn, *mx, *mean, *dist;
	int d = -1;

	if (n->kind == YN_SCALAR) {
		t->kind = PLAN_THINK_FIXED;
		sc_get_duration(sc, n, "think", 0, &t->value_us);
		return;
	}
	if (sc_want_kind(sc, n, YN_MAP, "think") != 0)
		return;
	sc_check_keys(sc, n, "think", keys);
	mn = sc_map_get(n, "min");
	mx = sc_map_get(n, "max");
	mean = sc_map_get(n, "mean");
	if ((dist = sc_map_get(n, "distribution")) &&
	    sc_get_enum(sc, dist, "distribution", dists, &d))
		return;
	if (mean && !mn && !mx && (d < 0 || d == PLAN_THINK_EXPONENTIAL)) {
		t->kind = PLAN_THINK_EXPONENTIAL;
		sc_get_duration(sc, mean, "think mean", 1, &t->mean_us);
	} else if (mn && mx && !mean && (d < 0 || d == PLAN_THINK_UNIFORM)) {
		t->kind = PLAN_THINK_UNIFORM;
		if (sc_get_duration(sc, mn, "think min", 0, &t->min_us) == 0 &&
		    sc_get_duration(sc, mx, "think max", 0, &t->max_us) == 0 &&
		    t->max_us < t->min_us)
			sc_err(sc, mx, 0, "think max (%s) is below min (%s)", mx->str, mn->str);
	} else
		sc_err(sc, n, 0,
		       "think takes a duration (2s), { min, max } (uniform) or { mean, "
		       "distribution: exponential }");
}

/* foreach: ids (or "{{ ids }}"), with `as: id` naming the item (default item). */
static void parse_foreach(struct sc *sc, const struct ynode *n, const struct ynode *kv,
			  struct plan_step *s)
{
	const struct ynode *v;

	if (kv->kind == YN_SCALAR) {
		/* foreach: ids, or foreach: "{{ ids }}" */
		const char *src = kv->str;
		size_t len = kv->len;
		char name[128];

		while (len && isspace((unsigned char)*src)) {
			src++;
			len--;
		}
		if (len >= 4 && strncmp(src, "{{", 2) == 0 &&
		    strncmp(src + len - 2, "}}", 2) == 0) {
			src += 2;
			len -= 4;
		}
		while (len && isspace((unsigned char)*src)) {
			src++;
			len--;
		}
		while (len && isspace((unsigned char)src[len - 1]))
			len--;
		snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), src);
		if (!sc_is_ident(name) || len > 127)
			sc_err(sc, kv, 0,
			       "foreach walks a list variable (captured with pick: all); "
			       "'%.60s' is not a variable name",
			       kv->str);
		else {
			s->list_var = sc_strdup(sc, name);
			sc_note_use(sc, name, kv);
		}
	} else
		sc_want_scalar(sc, kv, "foreach");
	if ((v = sc_map_get(n, "as"))) {
		if (sc_get_ident(sc, v, "foreach variable", &s->item_var) == 0)
			sc_define(sc, s->item_var);
	} else {
		s->item_var = sc_strdup(sc, "item");
		sc_define(sc, "item");
	}
}

/* The step's kind: the one key from step_kinds it holds (*kk that key, *kv its value); -1
 * after reporting when it holds none or two. */
static int step_kind(struct sc *sc, const struct ynode *n, const struct ynode **kkp,
		     const struct ynode **kvp)
{
	const struct ynode *kk = NULL;
	size_t i;
	int kind = -1;

	/* The step's kind is the one key from step_kinds it holds. */
	for (i = 0; i + 1 < n->n; i += 2) {
		size_t k;

		for (k = 0; step_kinds[k]; k++)
			if (strcmp(step_kinds[k], n->kids[i]->str) == 0)
				break;
		if (!step_kinds[k])
			continue;
		if (kind >= 0) {
			sc_err(
			    sc, n->kids[i], 0,
			    "a step has one kind; this one is both '%s' and '%s' (make two steps)",
			    kk->str, n->kids[i]->str);
			return -1;
		}
		kind = (int)k;
		kk = n->kids[i];
		*kvp = n->kids[i + 1];
	}
	if (kind < 0) {
		const char *near = NULL;

		for (i = 0; i + 1 < n->n && !near; i += 2)
			if ((near = sc_closest(n->kids[i]->str, step_kinds)))
				sc_err(sc, n->kids[i], 0,
				       "unknown key '%s' in step; did you mean '%s'?",
				       n->kids[i]->str, near);
		if (!near)
			sc_err(
			    sc, n, 0,
			    "a step needs one of request, think, transaction, if, repeat, while, "
			    "foreach, set or abort");
		return -1;
	}
	*kkp = kk;
	return kind;
}

static void parse_step(struct sc *sc, const struct ynode *n, struct plan_step *s)
{
	const struct ynode *kv = NULL, *kk = NULL, *v;
	const char *valid[16];
	size_t i, nv = 0;
	int kind = -1;

	s->pos.line = n->line;
	s->pos.col = n->col;
	if (sc_want_kind(sc, n, YN_MAP, "step") != 0)
		return;
	kind = step_kind(sc, n, &kk, &kv);
	if (kind < 0)
		return;
	s->kind = (enum plan_step_kind)kind;
	s->pos.line = kk->line;
	s->pos.col = kk->col;
	valid[nv++] = step_kinds[kind];
	for (i = 0; i < 3 && step_siblings[kind][i]; i++)
		valid[nv++] = step_siblings[kind][i];
	valid[nv] = NULL;
	{
		char where[32];

		snprintf(where, sizeof(where), "%s step", step_kinds[kind]);
		sc_check_keys(sc, n, where, valid);
	}

	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		parse_request(sc, kv, &s->request);
		if ((v = sc_map_get(n, "expect"))) {
			s->request.has_expect = true;
			parse_expect(sc, v, &s->request.expect);
		}
		if ((v = sc_map_get(n, "capture")))
			parse_captures(sc, v, &s->request);
		return;
	case PLAN_STEP_THINK:
		parse_think(sc, kv, &s->think);
		return;
	case PLAN_STEP_TRANSACTION:
		if (sc_get_stat_name(sc, kv, "transaction name", "tr_", &s->name) == 0)
			add_group(sc, "tr_", s->name);
		break;
	case PLAN_STEP_IF:
		sc_get_expr(sc, kv, "if condition", &s->cond);
		if (!(v = sc_map_get(n, "then"))) {
			if (!sc_has_typo_of(n, "then"))
				sc_err(sc, kk, 0,
				       "if needs then: (the steps to run when it holds)");
		} else
			sc_parse_steps(sc, v, "then", !sc_map_get(n, "else"), &s->body);
		if ((v = sc_map_get(n, "else")))
			sc_parse_steps(sc, v, "else", true, &s->else_body);
		return;
	case PLAN_STEP_REPEAT:
		sc_get_count(sc, kv, "repeat count", 1, INT64_MAX, &s->count);
		break;
	case PLAN_STEP_WHILE:
		sc_get_expr(sc, kv, "while condition", &s->cond);
		if (!(v = sc_map_get(n, "max"))) {
			if (!sc_has_typo_of(n, "max"))
				sc_err(
				    sc, kk, 0,
				    "while needs a bound: add max: N (the most times the loop may "
				    "run)");
		} else
			sc_get_count(sc, v, "while max", 1, INT64_MAX, &s->count);
		break;
	case PLAN_STEP_FOREACH:
		parse_foreach(sc, n, kv, s);
		break;
	case PLAN_STEP_SET:
		if (sc_get_kvs(sc, kv, "set", TMPL_ESCAPE_NONE, true, &s->set, &s->nset) == 0) {
			if (s->nset == 0)
				sc_err(sc, kv, 0, "set needs at least one NAME: value");
			for (i = 0; i < s->nset; i++)
				if (s->set[i].name)
					sc_define(sc, s->set[i].name);
		}
		return;
	case PLAN_STEP_ABORT:
		if (!sc_is_null(kv))
			sc_get_stat_name(sc, kv, "abort reason", "error_abort_", &s->reason);
		return;
	}
	if (!(v = sc_map_get(n, "steps"))) {
		if (!sc_has_typo_of(n, "steps"))
			sc_err(sc, kk, 0, "%s needs steps:", step_kinds[kind]);
	} else
		sc_parse_steps(sc, v, "steps", true, &s->body);
}

void sc_parse_steps(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		    struct plan_steps *out)
{
	size_t i;

	if (sc_is_null(n) && !nonempty)
		return;
	if (sc_want_kind(sc, n, YN_SEQ, what) != 0)
		return;
	if (n->n == 0) {
		if (nonempty)
			sc_err(sc, n, 0, "%s: the list of steps is empty", what);
		return;
	}
	out->v = sc_calloc(sc, n->n, sizeof(*out->v));
	if (!out->v)
		return;
	out->n = n->n;
	for (i = 0; i < n->n; i++)
		parse_step(sc, n->kids[i], &out->v[i]);
}
