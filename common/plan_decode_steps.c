/* Decoding a session's steps from the plan's JSON: requests (headers, bodies, captures,
 * expectations), think times, blocks and loops, each with its templates, expressions, regexes
 * and JSONPaths compiled so a plan that decodes can be run. */
#include "common/plan_decode_steps.h"

#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "common/plan_json.h"
#include "common/tmpl.h"

/* A list of name/value pairs; `values_required` says whether value may be absent. */
int plan_decode_kvs(struct plan_dec *d, json_t *o, const char *key, int flags, int esc,
		    struct plan_kv **out, size_t *nout)
{
	static const char *const keys[] = {"name", "value", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, key, flags, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	*out = plan_json_alloc_array(d, json_array_size(a), sizeof(**out));
	if (!*out)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		size_t s2 = plan_json_push_idx(d, i);

		*nout = i + 1;
		if (plan_json_want_obj(d, e) != 0 || plan_json_check_keys(d, e, keys) != 0 ||
		    plan_json_get_str(d, e, "name", PLAN_REQ | PLAN_NONEMPTY, &(*out)[i].name) !=
			0 ||
		    plan_json_get_str(d, e, "value", PLAN_REQ, &(*out)[i].value) != 0 ||
		    plan_json_get_pos(d, e, &(*out)[i].pos) != 0 ||
		    plan_json_chk(d, "value", PLAN_TEXT_TEMPLATE, (*out)[i].value, esc) != 0)
			return -1;
		plan_json_pop(d, s2);
	}
	plan_json_pop(d, save);
	return 0;
}

static bool is_token(const char *s)
{
	/* RFC 9110 tchar, which is what an HTTP method may be made of. */
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static int dec_captures(struct plan_dec *d, json_t *o, struct plan_request *r)
{
	static const char *const ckeys[] = {"var",     "kind", "expr", "pick",
					    "default", "line", "col",  NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, "captures", PLAN_OPT, &a, &save) != 0)
		return -1;
	if (a) {
		r->captures = plan_json_alloc_array(d, json_array_size(a), sizeof(*r->captures));
		if (!r->captures)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *c = json_array_get(a, i);
			struct plan_capture *pc = &r->captures[i];
			size_t s2 = plan_json_push_idx(d, i);
			int ck = 0, pk = 0;

			r->ncaptures = i + 1;
			if (plan_json_want_obj(d, c) != 0 ||
			    plan_json_check_keys(d, c, ckeys) != 0 ||
			    plan_json_get_str(d, c, "var", PLAN_REQ | PLAN_NONEMPTY, &pc->var) !=
				0 ||
			    plan_json_get_enum(d, c, "kind", PLAN_REQ, plan_capture_names,
					       PLAN_NELEM(plan_capture_names), &ck) != 0 ||
			    plan_json_get_str(d, c, "expr", PLAN_OPT, &pc->expr) != 0 ||
			    plan_json_get_enum(d, c, "pick", PLAN_OPT, plan_pick_names,
					       PLAN_NELEM(plan_pick_names), &pk) != 0 ||
			    plan_json_get_str(d, c, "default", PLAN_OPT, &pc->default_value) != 0 ||
			    plan_json_get_pos(d, c, &pc->pos) != 0)
				return -1;
			pc->kind = (enum plan_capture_kind)ck;
			pc->pick = (enum plan_pick)pk;
			if (ck != PLAN_CAPTURE_STATUS && (!pc->expr || !pc->expr[0])) {
				plan_json_push_key(d, "expr");
				return plan_json_fail(d, "missing (a %s capture needs one)",
						      plan_capture_names[ck]);
			}
			if ((ck == PLAN_CAPTURE_JSON &&
			     plan_json_chk(d, "expr", PLAN_TEXT_JSONPATH, pc->expr, 0) != 0) ||
			    (ck == PLAN_CAPTURE_REGEX &&
			     plan_json_chk(d, "expr", PLAN_TEXT_REGEX, pc->expr, 0) != 0))
				return -1;
			plan_json_pop(d, s2);
		}
		plan_json_pop(d, save);
	}
	return 0;
}

static int dec_expect(struct plan_dec *d, json_t *o, struct plan_request *r)
{
	static const char *const xkeys[] = {"status",  "body_contains", "body_regex", "headers",
					    "on_fail", "line",		"col",	      NULL};
	json_t *a, *x;
	size_t save, i;

	if (plan_json_get_obj(d, o, "expect", PLAN_OPT, &x, &save) != 0)
		return -1;
	if (x) {
		struct plan_expect *pe = &r->expect;
		int of = 0;

		r->has_expect = true;
		if (plan_json_check_keys(d, x, xkeys) != 0 ||
		    plan_json_get_arr(d, x, "status", PLAN_OPT, &a, &i) != 0)
			return -1;
		if (a) {
			size_t s3 = i, k;

			pe->status =
			    plan_json_alloc_array(d, json_array_size(a), sizeof(*pe->status));
			if (!pe->status)
				return -1;
			for (k = 0; k < json_array_size(a); k++) {
				json_t *rg = json_array_get(a, k);
				size_t s4 = plan_json_push_idx(d, k);
				json_t *lo = json_array_get(rg, 0), *hi = json_array_get(rg, 1);

				if (!json_is_array(rg) || json_array_size(rg) != 2 ||
				    !json_is_integer(lo) || !json_is_integer(hi))
					return plan_json_fail(d, "expected [lo, hi] status codes");
				if (json_integer_value(lo) < 100 || json_integer_value(hi) > 599 ||
				    json_integer_value(lo) > json_integer_value(hi))
					return plan_json_fail(
					    d, "status range out of 100..599 or reversed");
				pe->status[k].lo = (int)json_integer_value(lo);
				pe->status[k].hi = (int)json_integer_value(hi);
				pe->nstatus = k + 1;
				plan_json_pop(d, s4);
			}
			plan_json_pop(d, s3);
		}
		if (plan_json_get_str(d, x, "body_contains", PLAN_OPT, &pe->body_contains) != 0 ||
		    plan_json_get_str(d, x, "body_regex", PLAN_OPT | PLAN_NONEMPTY,
				      &pe->body_regex) != 0 ||
		    plan_decode_kvs(d, x, "headers", PLAN_OPT, PLAN_NO_TMPL, &pe->headers,
				    &pe->nheaders) != 0 ||
		    plan_json_get_enum(d, x, "on_fail", PLAN_OPT, plan_on_fail_names,
				       PLAN_NELEM(plan_on_fail_names), &of) != 0 ||
		    plan_json_get_pos(d, x, &pe->pos) != 0 ||
		    (pe->body_regex &&
		     plan_json_chk(d, "body_regex", PLAN_TEXT_REGEX, pe->body_regex, 0) != 0))
			return -1;
		pe->on_fail = (enum plan_on_fail)of;
		plan_json_pop(d, save);
	}
	return 0;
}

static int dec_request(struct plan_dec *d, json_t *o, struct plan_request *r)
{
	static const char *const keys[] = {
	    "method", "url",	    "name",	"headers", "body_kind",	       "body",
	    "form",   "timeout_us", "captures", "expect",  "follow_redirects", NULL};
	int kind;

	if (plan_json_check_keys(d, o, keys) != 0 ||
	    plan_json_get_str(d, o, "method", PLAN_REQ, &r->method) != 0)
		return -1;
	if (!is_token(r->method)) {
		plan_json_push_key(d, "method");
		return plan_json_fail(d, "'%.40s' is not an HTTP method", r->method);
	}
	if (plan_json_get_str(d, o, "url", PLAN_REQ | PLAN_NONEMPTY, &r->url) != 0 ||
	    plan_json_get_str(d, o, "name", PLAN_OPT | PLAN_NONEMPTY, &r->name) != 0 ||
	    plan_decode_kvs(d, o, "headers", PLAN_OPT, TMPL_ESCAPE_NONE, &r->headers,
			    &r->nheaders) != 0)
		return -1;
	if (plan_json_chk(d, "url", PLAN_TEXT_TEMPLATE, r->url, TMPL_ESCAPE_NONE) != 0)
		return -1;
	if (r->url[0] == '/' && !d->has_target) {
		plan_json_push_key(d, "url");
		return plan_json_fail(d, "a path needs the plan's target");
	}
	kind = PLAN_BODY_NONE;
	if (plan_json_get_enum(d, o, "body_kind", PLAN_OPT, plan_body_names,
			       PLAN_NELEM(plan_body_names), &kind) != 0 ||
	    plan_json_get_str(d, o, "body", PLAN_OPT, &r->body) != 0)
		return -1;
	r->body_kind = (enum plan_body_kind)kind;
	if ((kind == PLAN_BODY_RAW || kind == PLAN_BODY_JSON) && !r->body) {
		plan_json_push_key(d, "body");
		return plan_json_fail(d, "missing (body_kind is %s)", plan_body_names[kind]);
	}
	if (plan_json_chk(d, "body", PLAN_TEXT_TEMPLATE, r->body,
			  kind == PLAN_BODY_JSON  ? TMPL_ESCAPE_JSON
			  : kind == PLAN_BODY_RAW ? TMPL_ESCAPE_NONE
						  : PLAN_NO_TMPL) != 0)
		return -1;
	if ((kind == PLAN_BODY_NONE || kind == PLAN_BODY_FORM) && r->body) {
		plan_json_push_key(d, "body");
		return plan_json_fail(d, "not allowed with body_kind %s", plan_body_names[kind]);
	}
	if (kind == PLAN_BODY_FORM) {
		if (plan_decode_kvs(d, o, "form", PLAN_REQ, TMPL_ESCAPE_URL, &r->form, &r->nform) !=
		    0)
			return -1;
	} else if (json_object_get(o, "form")) {
		plan_json_push_key(d, "form");
		return plan_json_fail(d, "only allowed with body_kind form");
	}
	if (plan_json_get_i64(d, o, "timeout_us", PLAN_OPT, 0, INT64_MAX, &r->timeout_us) != 0)
		return -1;
	if (json_object_get(o, "follow_redirects")) {
		if (plan_json_get_u32(d, o, "follow_redirects", PLAN_OPT, 0, PLAN_MAX_REDIRECTS,
				      &r->follow_redirects) != 0)
			return -1;
		r->has_follow_redirects = true;
	}

	if (dec_captures(d, o, r) != 0 || dec_expect(d, o, r) != 0)
		return -1;
	return 0;
}

static int dec_think(struct plan_dec *d, json_t *t, struct plan_think *th)
{
	static const char *const keys[] = {"kind", "value_us", "min_us", "max_us", "mean_us", NULL};
	int k = 0;

	if (plan_json_want_obj(d, t) != 0 || plan_json_check_keys(d, t, keys) != 0 ||
	    plan_json_get_enum(d, t, "kind", PLAN_REQ, plan_think_names,
			       PLAN_NELEM(plan_think_names), &k) != 0)
		return -1;
	th->kind = (enum plan_think_kind)k;
	switch (th->kind) {
	case PLAN_THINK_FIXED:
		return plan_json_get_i64(d, t, "value_us", PLAN_REQ, 0, INT64_MAX, &th->value_us);
	case PLAN_THINK_UNIFORM:
		if (plan_json_get_i64(d, t, "min_us", PLAN_REQ, 0, INT64_MAX, &th->min_us) != 0 ||
		    plan_json_get_i64(d, t, "max_us", PLAN_REQ, th->min_us, INT64_MAX,
				      &th->max_us) != 0)
			return -1;
		return 0;
	case PLAN_THINK_EXPONENTIAL:
		return plan_json_get_i64(d, t, "mean_us", PLAN_REQ, 1, INT64_MAX, &th->mean_us);
	}
	return 0;
}

static int dec_step(struct plan_dec *d, json_t *o, struct plan_step *s)
{
	/* Keys each kind may carry besides kind/line/col. */
	static const char *const kind_keys[][6] = {
	    [PLAN_STEP_REQUEST] = {"request"},
	    [PLAN_STEP_THINK] = {"think"},
	    [PLAN_STEP_TRANSACTION] = {"name", "steps"},
	    [PLAN_STEP_IF] = {"cond", "steps", "else"},
	    [PLAN_STEP_REPEAT] = {"count", "steps"},
	    [PLAN_STEP_WHILE] = {"cond", "count", "steps"},
	    [PLAN_STEP_FOREACH] = {"list_var", "item_var", "steps"},
	    [PLAN_STEP_SET] = {"set"},
	    [PLAN_STEP_ABORT] = {"reason"},
	};
	const char *keys[10] = {"kind", "line", "col"};
	json_t *v;
	size_t save, i;
	int k = 0;

	if (plan_json_want_obj(d, o) != 0 ||
	    plan_json_get_enum(d, o, "kind", PLAN_REQ, plan_step_names, PLAN_NELEM(plan_step_names),
			       &k) != 0)
		return -1;
	s->kind = (enum plan_step_kind)k;
	for (i = 0; i < 6 && kind_keys[k][i]; i++)
		keys[3 + i] = kind_keys[k][i];
	keys[3 + i] = NULL;
	if (plan_json_check_keys(d, o, keys) != 0 || plan_json_get_pos(d, o, &s->pos) != 0)
		return -1;

	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		if (plan_json_get_obj(d, o, "request", PLAN_REQ, &v, &save) != 0 ||
		    dec_request(d, v, &s->request) != 0)
			return -1;
		plan_json_pop(d, save);
		return 0;
	case PLAN_STEP_THINK:
		if (plan_json_get_obj(d, o, "think", PLAN_REQ, &v, &save) != 0 ||
		    dec_think(d, v, &s->think) != 0)
			return -1;
		plan_json_pop(d, save);
		return 0;
	case PLAN_STEP_TRANSACTION:
		if (plan_json_get_str(d, o, "name", PLAN_REQ | PLAN_NONEMPTY, &s->name) != 0)
			return -1;
		break;
	case PLAN_STEP_IF:
		if (plan_json_get_str(d, o, "cond", PLAN_REQ | PLAN_NONEMPTY, &s->cond) != 0 ||
		    plan_json_chk(d, "cond", PLAN_TEXT_EXPR, s->cond, 0) != 0 ||
		    plan_decode_steps(d, o, "else", PLAN_OPT, &s->else_body) != 0)
			return -1;
		break;
	case PLAN_STEP_REPEAT:
		if (plan_json_get_u64(d, o, "count", PLAN_REQ, 0, INT64_MAX, &s->count) != 0)
			return -1;
		break;
	case PLAN_STEP_WHILE:
		if (plan_json_get_str(d, o, "cond", PLAN_REQ | PLAN_NONEMPTY, &s->cond) != 0 ||
		    plan_json_chk(d, "cond", PLAN_TEXT_EXPR, s->cond, 0) != 0 ||
		    plan_json_get_u64(d, o, "count", PLAN_REQ, 1, INT64_MAX, &s->count) != 0)
			return -1;
		break;
	case PLAN_STEP_FOREACH:
		if (plan_json_get_str(d, o, "list_var", PLAN_REQ | PLAN_NONEMPTY, &s->list_var) !=
			0 ||
		    plan_json_get_str(d, o, "item_var", PLAN_OPT | PLAN_NONEMPTY, &s->item_var) !=
			0)
			return -1;
		if (!s->item_var && !(s->item_var = strdup("item")))
			return plan_json_fail(d, "out of memory");
		break;
	case PLAN_STEP_SET:
		return plan_decode_kvs(d, o, "set", PLAN_REQ | PLAN_NONEMPTY, TMPL_ESCAPE_NONE,
				       &s->set, &s->nset);
	case PLAN_STEP_ABORT:
		return plan_json_get_str(d, o, "reason", PLAN_OPT | PLAN_NONEMPTY, &s->reason);
	}
	/* The kinds that hold steps; an `if` may have an empty then (only an else). */
	return plan_decode_steps(d, o, "steps", s->kind == PLAN_STEP_IF ? PLAN_OPT : PLAN_REQ,
				 &s->body);
}

int plan_decode_steps(struct plan_dec *d, json_t *o, const char *key, int flags,
		      struct plan_steps *out)
{
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, key, flags, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	if (++d->depth > PLAN_MAX_DEPTH)
		return plan_json_fail(d, "steps nested deeper than %d", PLAN_MAX_DEPTH);
	out->v = plan_json_alloc_array(d, json_array_size(a), sizeof(*out->v));
	if (!out->v)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		size_t s2 = plan_json_push_idx(d, i);

		out->n = i + 1;
		if (dec_step(d, json_array_get(a, i), &out->v[i]) != 0)
			return -1;
		plan_json_pop(d, s2);
	}
	d->depth--;
	plan_json_pop(d, save);
	return 0;
}
