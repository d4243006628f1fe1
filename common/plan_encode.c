/* The plan as JSON (plan_encode): the encoding mirrors the structs field for field, with enums
 * as lower-case words and positions as "line"/"col", so plan.json in a run directory reads like
 * the scenario it came from. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan.h"
#include "common/plan_json.h"
#include "common/plan_schema.h"

static json_t *enc_kvs(struct plan_enc *e, const struct plan_kv *kv, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a) {
		e->failed = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		if (o) {
			plan_json_put_str(e, o, "name", kv[i].name);
			plan_json_put_str(e, o, "value", kv[i].value);
			plan_json_put_pos(e, o, kv[i].pos);
		}
		plan_json_append(e, a, o);
	}
	return a;
}

static json_t *enc_steps(struct plan_enc *e, const struct plan_steps *s);

static json_t *enc_request(struct plan_enc *e, const struct plan_request *r)
{
	json_t *o = json_object();
	json_t *caps, *st;
	size_t i;

	if (!o)
		return NULL;
	plan_json_put_str(e, o, "method", r->method);
	plan_json_put_str(e, o, "url", r->url);
	plan_json_put_str(e, o, "name", r->name);
	plan_json_put(e, o, "headers", enc_kvs(e, r->headers, r->nheaders));
	plan_json_put(e, o, "body_kind",
		      json_string(plan_json_enum_name(plan_body_names, PLAN_NELEM(plan_body_names),
						      r->body_kind)));
	plan_json_put_str(e, o, "body", r->body);
	if (r->body_kind == PLAN_BODY_FORM)
		plan_json_put(e, o, "form", enc_kvs(e, r->form, r->nform));
	if (r->timeout_us)
		plan_json_put_int(e, o, "timeout_us", r->timeout_us);
	if (r->has_follow_redirects)
		plan_json_put_int(e, o, "follow_redirects", (int64_t)r->follow_redirects);
	caps = json_array();
	for (i = 0; caps && i < r->ncaptures; i++) {
		const struct plan_capture *c = &r->captures[i];
		json_t *co = json_object();

		if (co) {
			plan_json_put_str(e, co, "var", c->var);
			plan_json_put(
			    e, co, "kind",
			    json_string(plan_json_enum_name(
				plan_capture_names, PLAN_NELEM(plan_capture_names), c->kind)));
			plan_json_put_str(e, co, "expr", c->expr);
			plan_json_put(e, co, "pick",
				      json_string(plan_json_enum_name(
					  plan_pick_names, PLAN_NELEM(plan_pick_names), c->pick)));
			plan_json_put_str(e, co, "default", c->default_value);
			plan_json_put_pos(e, co, c->pos);
		}
		plan_json_append(e, caps, co);
	}
	plan_json_put(e, o, "captures", caps);
	if (r->has_expect) {
		const struct plan_expect *x = &r->expect;
		json_t *xo = json_object();

		if (xo) {
			st = json_array();
			for (i = 0; st && i < x->nstatus; i++)
				plan_json_append(
				    e, st, json_pack("[ii]", x->status[i].lo, x->status[i].hi));
			plan_json_put(e, xo, "status", st);
			plan_json_put_str(e, xo, "body_contains", x->body_contains);
			plan_json_put_str(e, xo, "body_regex", x->body_regex);
			plan_json_put(e, xo, "headers", enc_kvs(e, x->headers, x->nheaders));
			plan_json_put(
			    e, xo, "on_fail",
			    json_string(plan_json_enum_name(
				plan_on_fail_names, PLAN_NELEM(plan_on_fail_names), x->on_fail)));
			plan_json_put_pos(e, xo, x->pos);
		}
		plan_json_put(e, o, "expect", xo);
	}
	return o;
}

static json_t *enc_step(struct plan_enc *e, const struct plan_step *s)
{
	json_t *o = json_object();
	json_t *t;

	if (!o)
		return NULL;
	plan_json_put(e, o, "kind",
		      json_string(plan_json_enum_name(plan_step_names, PLAN_NELEM(plan_step_names),
						      s->kind)));
	plan_json_put_pos(e, o, s->pos);
	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		plan_json_put(e, o, "request", enc_request(e, &s->request));
		break;
	case PLAN_STEP_THINK:
		t = json_object();
		if (t) {
			plan_json_put(e, t, "kind",
				      json_string(plan_json_enum_name(plan_think_names,
								      PLAN_NELEM(plan_think_names),
								      s->think.kind)));
			if (s->think.kind == PLAN_THINK_FIXED)
				plan_json_put_int(e, t, "value_us", s->think.value_us);
			else if (s->think.kind == PLAN_THINK_UNIFORM) {
				plan_json_put_int(e, t, "min_us", s->think.min_us);
				plan_json_put_int(e, t, "max_us", s->think.max_us);
			} else
				plan_json_put_int(e, t, "mean_us", s->think.mean_us);
		}
		plan_json_put(e, o, "think", t);
		break;
	case PLAN_STEP_TRANSACTION:
		plan_json_put_str(e, o, "name", s->name);
		plan_json_put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_IF:
		plan_json_put_str(e, o, "cond", s->cond);
		plan_json_put(e, o, "steps", enc_steps(e, &s->body));
		plan_json_put(e, o, "else", enc_steps(e, &s->else_body));
		break;
	case PLAN_STEP_REPEAT:
	case PLAN_STEP_WHILE:
		if (s->kind == PLAN_STEP_WHILE)
			plan_json_put_str(e, o, "cond", s->cond);
		plan_json_put_int(e, o, "count", (int64_t)s->count);
		plan_json_put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_FOREACH:
		plan_json_put_str(e, o, "list_var", s->list_var);
		plan_json_put_str(e, o, "item_var", s->item_var);
		plan_json_put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_SET:
		plan_json_put(e, o, "set", enc_kvs(e, s->set, s->nset));
		break;
	case PLAN_STEP_ABORT:
		plan_json_put_str(e, o, "reason", s->reason);
		break;
	}
	return o;
}

static json_t *enc_steps(struct plan_enc *e, const struct plan_steps *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->n; i++)
		plan_json_append(e, a, enc_step(e, &s->v[i]));
	return a;
}

static json_t *enc_phases(struct plan_enc *e, const struct plan_load *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < l->nphases; i++) {
		json_t *ph = json_object();

		if (ph) {
			plan_json_put_str(e, ph, "name", l->phases[i].name);
			plan_json_put_int(e, ph, "duration_us", l->phases[i].duration_us);
			plan_json_put(e, ph, "arrival_rate", json_real(l->phases[i].arrival_rate));
			if (l->phases[i].ramp_to >= 0)
				plan_json_put(e, ph, "ramp_to", json_real(l->phases[i].ramp_to));
			plan_json_put_pos(e, ph, l->phases[i].pos);
		}
		plan_json_append(e, a, ph);
	}
	return a;
}

static json_t *enc_load(struct plan_enc *e, const struct plan_load *l)
{
	json_t *o = json_object();

	if (o) {
		plan_json_put(e, o, "model",
			      json_string(plan_json_enum_name(
				  plan_model_names, PLAN_NELEM(plan_model_names), l->model)));
		plan_json_put(e, o, "phases", enc_phases(e, l));
		plan_json_put_int(e, o, "max_users", (int64_t)l->max_users);
		plan_json_put_int(e, o, "users", (int64_t)l->users);
		plan_json_put_int(e, o, "duration_us", l->duration_us);
		plan_json_put_int(e, o, "ramp_up_us", l->ramp_up_us);
		plan_json_put(e, o, "request_rate", json_real(l->request_rate));
	}
	return o;
}

static json_t *enc_data(struct plan_enc *e, const struct plan *p)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; a && i < p->ndata; i++) {
		const struct plan_data *d = &p->data[i];
		json_t *dobj = json_object();
		json_t *cols = json_array();

		for (j = 0; cols && j < d->ncolumns; j++)
			plan_json_append(e, cols, json_string(d->columns[j]));
		if (dobj) {
			plan_json_put_str(e, dobj, "name", d->name);
			plan_json_put_str(e, dobj, "file", d->file);
			plan_json_put(e, dobj, "order",
				      json_string(plan_json_enum_name(plan_order_names,
								      PLAN_NELEM(plan_order_names),
								      d->order)));
			plan_json_put(e, dobj, "columns", cols);
			plan_json_put_int(e, dobj, "rows", (int64_t)d->rows);
			plan_json_put_int(e, dobj, "part_index", d->part_index);
			plan_json_put_int(e, dobj, "part_count", d->part_count);
			plan_json_put_pos(e, dobj, d->pos);
		} else
			json_decref(cols);
		plan_json_append(e, a, dobj);
	}
	return a;
}

static json_t *enc_sessions(struct plan_enc *e, const struct plan *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < p->nsessions; i++) {
		json_t *so = json_object();

		if (so) {
			plan_json_put_str(e, so, "name", p->sessions[i].name);
			plan_json_put(e, so, "weight", json_real(p->sessions[i].weight));
			plan_json_put_pos(e, so, p->sessions[i].pos);
			plan_json_put(e, so, "steps", enc_steps(e, &p->sessions[i].steps));
		}
		plan_json_append(e, a, so);
	}
	return a;
}

static json_t *enc_thresholds(struct plan_enc *e, const struct plan *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < p->nthresholds; i++) {
		const struct plan_threshold *t = &p->thresholds[i];
		json_t *to = json_object();

		if (to) {
			plan_json_put_str(e, to, "metric", t->metric);
			plan_json_put_str(e, to, "condition", t->condition);
			plan_json_put(e, to, "abort_on_fail", json_boolean(t->abort_on_fail));
			plan_json_put_int(e, to, "delay_us", t->delay_us);
			plan_json_put_pos(e, to, t->pos);
		}
		plan_json_append(e, a, to);
	}
	return a;
}

static json_t *enc_hosts(struct plan_enc *e, const struct plan_agents *ag)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < ag->nhosts; i++) {
		const struct plan_host *h = &ag->hosts[i];
		json_t *ho = json_object();

		if (ho) {
			plan_json_put_str(e, ho, "user", h->user);
			plan_json_put_str(e, ho, "host", h->host);
			plan_json_put_int(e, ho, "port", h->port);
			plan_json_put_int(e, ho, "agents", h->agents);
			plan_json_put(e, ho, "weight", json_real(h->weight));
			plan_json_put_pos(e, ho, h->pos);
		}
		plan_json_append(e, a, ho);
	}
	return a;
}

static json_t *enc_share(struct plan_enc *e, const struct plan_share *s)
{
	json_t *o = json_object();

	if (o) {
		plan_json_put_str(e, o, "agent_id", s->agent_id);
		plan_json_put_int(e, o, "index", s->index);
		plan_json_put_int(e, o, "count", s->count);
		plan_json_put(e, o, "fraction", json_real(s->fraction));
		/* Seeds and id bases are full 64-bit values; JSON integers here are signed 64-bit,
		 * so they travel as decimal strings. */
		plan_json_put(e, o, "seed", json_sprintf("%llu", (unsigned long long)s->seed));
		plan_json_put(e, o, "user_id_base",
			      json_sprintf("%llu", (unsigned long long)s->user_id_base));
		plan_json_put(e, o, "slot_base",
			      json_sprintf("%llu", (unsigned long long)s->slot_base));
	}
	return o;
}

/* The compound keys of the plan's objects, in the order of the schema's rows
 * (common/plan_schema.c); plain fields are written by plan_fields_encode. */
static void enc_hook(struct plan_enc *e, json_t *o, const char *obj, const char *key,
		     const struct plan *p);

static json_t *enc_object(struct plan_enc *e, const char *obj, const struct plan *p)
{
	json_t *o = json_object();

	if (o)
		plan_fields_encode(e, o, obj, p, enc_hook);
	return o;
}

static void enc_hook(struct plan_enc *e, json_t *o, const char *obj, const char *key,
		     const struct plan *p)
{
	json_t *v = NULL;

	if (strcmp(key, "version") == 0)
		v = json_integer(obj[0] ? p->http.version : p->version);
	else if (strcmp(key, "http") == 0 || strcmp(key, "agents") == 0)
		v = enc_object(e, key, p);
	else if (strcmp(key, "load") == 0)
		v = enc_load(e, &p->load);
	else if (strcmp(key, "data") == 0)
		v = enc_data(e, p);
	else if (strcmp(key, "variables") == 0)
		v = enc_kvs(e, p->variables, p->nvariables);
	else if (strcmp(key, "sessions") == 0)
		v = enc_sessions(e, p);
	else if (strcmp(key, "thresholds") == 0)
		v = enc_thresholds(e, p);
	else if (strcmp(key, "share") == 0)
		v = enc_share(e, &p->share);
	else if (strcmp(key, "headers") == 0)
		v = enc_kvs(e, p->http.headers, p->http.nheaders);
	else if (strcmp(key, "client") == 0)
		v = json_string(plan_client_name(p->http.client));
	else if (strcmp(key, "hosts") == 0)
		v = enc_hosts(e, &p->agents);
	plan_json_put(e, o, key, v);
}

static json_t *enc_plan(struct plan_enc *e, const struct plan *p)
{
	return enc_object(e, "", p);
}

int plan_encode(const struct plan *p, struct buf *out)
{
	struct plan_enc e = {0};
	json_t *root = enc_plan(&e, p);
	char *text = NULL;
	int rc = -1;

	if (!root || e.failed)
		goto out;
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (!text)
		goto out;
	rc = buf_append_str(out, text);
out:
	free(text);
	json_decref(root);
	return rc;
}
