/* The plan model's lifecycle and its JSON codec (see plan.h).
 *
 * The encoding mirrors the structs field for field, with enums as lower-case words and
 * positions as "line"/"col", so plan.json in a run directory reads like the scenario it came
 * from. Decoding is strict: the agent trusts nothing it gets over the wire, so every key is
 * known, every value has the right type and range, every array is bounded, and the first
 * problem is reported with its JSON path ("sessions[0].steps[2].request.url: ..."). The
 * controller's YAML checker (controller/scenario.c) does the user-facing checks with file:line:col;
 * this decoder repeats the structural ones so a bad frame can never reach the engine. */
#include "common/plan.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/err.h"
#include "common/expr.h"
#include "common/jsonpath.h"
#include "common/threshold.h"
#include "common/tmpl.h"
#include "common/version.h"

/* Hard limits on what a decoded plan may hold: a plan is written by a person, so these are far
 * above anything real, and they keep a hostile or corrupt frame from eating the agent. */
#define PLAN_MAX_ARRAY	100000
#define PLAN_MAX_DEPTH	32
#define PLAN_MAX_STRING (1u << 20)

/* ---- allocation ---- */

const char *plan_client_name(int client)
{
	switch (client) {
	case PLAN_CLIENT_LEAN:
		return "lean";
	case PLAN_CLIENT_AUTO:
		return "auto";
	default:
		return "curl";
	}
}

int plan_client_parse(const char *s)
{
	if (strcmp(s, "curl") == 0)
		return PLAN_CLIENT_CURL;
	if (strcmp(s, "lean") == 0)
		return PLAN_CLIENT_LEAN;
	if (strcmp(s, "auto") == 0)
		return PLAN_CLIENT_AUTO;
	return -1;
}

struct plan *plan_new(void)
{
	struct plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->version = BARRAGE_PLAN_VERSION;
	p->http.timeout_us = 10 * 1000000LL;
	p->http.connect_timeout_us = 3 * 1000000LL;
	p->http.keepalive = true;
	p->http.version = 11;
	p->http.tls_verify = true;
	p->http.tls_session_reuse = true;
	p->http.max_body = 1u << 20;
	p->http.compression = true;
	p->http.client = PLAN_CLIENT_AUTO;
	p->load.model = PLAN_MODEL_OPEN;
	p->interval_us = 10 * 1000000LL;
	p->grace_us = 5 * 1000000LL;
	p->agents.link_timeout_us = PLAN_LINK_TIMEOUT_US;
	p->share.index = 0;
	p->share.count = 1;
	p->share.fraction = 1.0;
	return p;
}

static void kvs_free(struct plan_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
}

static void request_free(struct plan_request *r)
{
	size_t i;

	free(r->method);
	free(r->url);
	free(r->name);
	kvs_free(r->headers, r->nheaders);
	free(r->body);
	kvs_free(r->form, r->nform);
	for (i = 0; i < r->ncaptures; i++) {
		free(r->captures[i].var);
		free(r->captures[i].expr);
		free(r->captures[i].default_value);
	}
	free(r->captures);
	free(r->expect.status);
	free(r->expect.body_contains);
	free(r->expect.body_regex);
	kvs_free(r->expect.headers, r->expect.nheaders);
}

static void step_free(struct plan_step *s)
{
	request_free(&s->request);
	free(s->name);
	free(s->cond);
	free(s->list_var);
	free(s->item_var);
	kvs_free(s->set, s->nset);
	free(s->reason);
	plan_steps_free(&s->body);
	plan_steps_free(&s->else_body);
}

void plan_steps_free(struct plan_steps *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		step_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void plan_free(struct plan *p)
{
	size_t i, j;

	if (!p)
		return;
	free(p->name);
	free(p->source);
	free(p->target);
	free(p->http.tls_ca);
	free(p->http.tls_cert);
	free(p->http.tls_key);
	free(p->http.tls_ciphers);
	free(p->http.source_addresses);
	kvs_free(p->http.headers, p->http.nheaders);
	for (i = 0; i < p->load.nphases; i++)
		free(p->load.phases[i].name);
	free(p->load.phases);
	for (i = 0; i < p->ndata; i++) {
		free(p->data[i].name);
		free(p->data[i].file);
		for (j = 0; j < p->data[i].ncolumns; j++)
			free(p->data[i].columns[j]);
		free(p->data[i].columns);
	}
	free(p->data);
	kvs_free(p->variables, p->nvariables);
	for (i = 0; i < p->nsessions; i++) {
		free(p->sessions[i].name);
		plan_steps_free(&p->sessions[i].steps);
	}
	free(p->sessions);
	for (i = 0; i < p->nthresholds; i++) {
		free(p->thresholds[i].metric);
		free(p->thresholds[i].condition);
	}
	free(p->thresholds);
	for (i = 0; i < p->agents.nhosts; i++) {
		free(p->agents.hosts[i].user);
		free(p->agents.hosts[i].host);
	}
	free(p->agents.hosts);
	free(p->agents.hosts_file);
	free(p->share.agent_id);
	plan_monitor_free(&p->monitor);
	free(p->export.prometheus_rw);
	free(p);
}

void plan_monitor_free(struct plan_monitor *m)
{
	size_t i;

	for (i = 0; i < m->nhosts; i++)
		free(m->hosts[i]);
	free(m->hosts);
	free(m->hosts_pos);
	for (i = 0; i < m->nprocesses; i++)
		free(m->processes[i]);
	free(m->processes);
	free(m->hosts_file);
	memset(m, 0, sizeof(*m));
}

int64_t plan_load_duration_us(const struct plan *p)
{
	int64_t total = 0;
	size_t i;

	if (p->load.model != PLAN_MODEL_OPEN)
		return p->load.duration_us;
	for (i = 0; i < p->load.nphases; i++) {
		if (p->load.phases[i].duration_us > INT64_MAX - total)
			return INT64_MAX;
		total += p->load.phases[i].duration_us;
	}
	return total;
}

/* ---- names of enums on the wire ---- */

static const char *const model_names[] = {"open", "closed", "rate"};
static const char *const order_names[] = {"sequential", "random", "unique"};
static const char *const step_names[] = {"request", "think",   "transaction", "if",   "repeat",
					 "while",   "foreach", "set",	      "abort"};
static const char *const capture_names[] = {"json", "regex", "header", "cookie", "status"};
static const char *const pick_names[] = {"first", "random", "all"};
static const char *const on_fail_names[] = {"abort", "continue", "restart"};
static const char *const body_names[] = {"none", "raw", "json", "form"};
static const char *const think_names[] = {"fixed", "uniform", "exponential"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

/* ---- encoding ---- */

/* Encoding builds a jansson tree; allocation failures there are checked once at the end by
 * the dump (a NULL child makes json_object_set_new fail, which we count). */
struct enc {
	int failed;
};

static void put(struct enc *e, json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		e->failed = 1;
}

static void put_str(struct enc *e, json_t *o, const char *key, const char *s)
{
	if (s)
		put(e, o, key, json_string(s));
}

static void put_int(struct enc *e, json_t *o, const char *key, int64_t v)
{
	put(e, o, key, json_integer((json_int_t)v));
}

static void put_pos(struct enc *e, json_t *o, struct plan_pos pos)
{
	if (pos.line > 0 || pos.col > 0) {
		put_int(e, o, "line", pos.line);
		put_int(e, o, "col", pos.col);
	}
}

static void append(struct enc *e, json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) != 0)
		e->failed = 1;
}

static json_t *enc_kvs(struct enc *e, const struct plan_kv *kv, size_t n)
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
			put_str(e, o, "name", kv[i].name);
			put_str(e, o, "value", kv[i].value);
			put_pos(e, o, kv[i].pos);
		}
		append(e, a, o);
	}
	return a;
}

static json_t *enc_steps(struct enc *e, const struct plan_steps *s);

static json_t *enc_request(struct enc *e, const struct plan_request *r)
{
	json_t *o = json_object();
	json_t *caps, *st;
	size_t i;

	if (!o)
		return NULL;
	put_str(e, o, "method", r->method);
	put_str(e, o, "url", r->url);
	put_str(e, o, "name", r->name);
	put(e, o, "headers", enc_kvs(e, r->headers, r->nheaders));
	put(e, o, "body_kind", json_string(enum_name(body_names, NELEM(body_names), r->body_kind)));
	put_str(e, o, "body", r->body);
	if (r->body_kind == PLAN_BODY_FORM)
		put(e, o, "form", enc_kvs(e, r->form, r->nform));
	if (r->timeout_us)
		put_int(e, o, "timeout_us", r->timeout_us);
	if (r->has_follow_redirects)
		put_int(e, o, "follow_redirects", (int64_t)r->follow_redirects);
	caps = json_array();
	for (i = 0; caps && i < r->ncaptures; i++) {
		const struct plan_capture *c = &r->captures[i];
		json_t *co = json_object();

		if (co) {
			put_str(e, co, "var", c->var);
			put(e, co, "kind",
			    json_string(enum_name(capture_names, NELEM(capture_names), c->kind)));
			put_str(e, co, "expr", c->expr);
			put(e, co, "pick",
			    json_string(enum_name(pick_names, NELEM(pick_names), c->pick)));
			put_str(e, co, "default", c->default_value);
			put_pos(e, co, c->pos);
		}
		append(e, caps, co);
	}
	put(e, o, "captures", caps);
	if (r->has_expect) {
		const struct plan_expect *x = &r->expect;
		json_t *xo = json_object();

		if (xo) {
			st = json_array();
			for (i = 0; st && i < x->nstatus; i++)
				append(e, st, json_pack("[ii]", x->status[i].lo, x->status[i].hi));
			put(e, xo, "status", st);
			put_str(e, xo, "body_contains", x->body_contains);
			put_str(e, xo, "body_regex", x->body_regex);
			put(e, xo, "headers", enc_kvs(e, x->headers, x->nheaders));
			put(e, xo, "on_fail",
			    json_string(
				enum_name(on_fail_names, NELEM(on_fail_names), x->on_fail)));
			put_pos(e, xo, x->pos);
		}
		put(e, o, "expect", xo);
	}
	return o;
}

static json_t *enc_step(struct enc *e, const struct plan_step *s)
{
	json_t *o = json_object();
	json_t *t;

	if (!o)
		return NULL;
	put(e, o, "kind", json_string(enum_name(step_names, NELEM(step_names), s->kind)));
	put_pos(e, o, s->pos);
	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		put(e, o, "request", enc_request(e, &s->request));
		break;
	case PLAN_STEP_THINK:
		t = json_object();
		if (t) {
			put(e, t, "kind",
			    json_string(enum_name(think_names, NELEM(think_names), s->think.kind)));
			if (s->think.kind == PLAN_THINK_FIXED)
				put_int(e, t, "value_us", s->think.value_us);
			else if (s->think.kind == PLAN_THINK_UNIFORM) {
				put_int(e, t, "min_us", s->think.min_us);
				put_int(e, t, "max_us", s->think.max_us);
			} else
				put_int(e, t, "mean_us", s->think.mean_us);
		}
		put(e, o, "think", t);
		break;
	case PLAN_STEP_TRANSACTION:
		put_str(e, o, "name", s->name);
		put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_IF:
		put_str(e, o, "cond", s->cond);
		put(e, o, "steps", enc_steps(e, &s->body));
		put(e, o, "else", enc_steps(e, &s->else_body));
		break;
	case PLAN_STEP_REPEAT:
	case PLAN_STEP_WHILE:
		if (s->kind == PLAN_STEP_WHILE)
			put_str(e, o, "cond", s->cond);
		put_int(e, o, "count", (int64_t)s->count);
		put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_FOREACH:
		put_str(e, o, "list_var", s->list_var);
		put_str(e, o, "item_var", s->item_var);
		put(e, o, "steps", enc_steps(e, &s->body));
		break;
	case PLAN_STEP_SET:
		put(e, o, "set", enc_kvs(e, s->set, s->nset));
		break;
	case PLAN_STEP_ABORT:
		put_str(e, o, "reason", s->reason);
		break;
	}
	return o;
}

static json_t *enc_steps(struct enc *e, const struct plan_steps *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->n; i++)
		append(e, a, enc_step(e, &s->v[i]));
	return a;
}

static json_t *enc_plan(struct enc *e, const struct plan *p)
{
	json_t *root = json_object();
	json_t *o, *a;
	size_t i, j;

	if (!root)
		return NULL;
	put_int(e, root, "version", p->version);
	put_str(e, root, "name", p->name);
	put_str(e, root, "source", p->source);
	put_str(e, root, "target", p->target);

	o = json_object();
	if (o) {
		const struct plan_http *h = &p->http;

		put_int(e, o, "timeout_us", h->timeout_us);
		put_int(e, o, "connect_timeout_us", h->connect_timeout_us);
		put(e, o, "keepalive", json_boolean(h->keepalive));
		put_int(e, o, "version", h->version);
		put(e, o, "tls_verify", json_boolean(h->tls_verify));
		if (!h->tls_session_reuse) /* only when off: plans from older controllers stay valid */
			put(e, o, "tls_session_reuse", json_false());
		put_str(e, o, "tls_ca", h->tls_ca);
		put_str(e, o, "tls_cert", h->tls_cert);
		put_str(e, o, "tls_key", h->tls_key);
		put_str(e, o, "tls_ciphers", h->tls_ciphers);
		put(e, o, "headers", enc_kvs(e, h->headers, h->nheaders));
		put(e, o, "share_connections", json_boolean(h->share_connections));
		put_int(e, o, "max_body", (int64_t)h->max_body);
		put(e, o, "compression", json_boolean(h->compression));
		put_int(e, o, "follow_redirects", (int64_t)h->follow_redirects);
		put_str(e, o, "client", plan_client_name(h->client));
		put_str(e, o, "source_addresses", h->source_addresses);
	}
	put(e, root, "http", o);

	o = json_object();
	if (o) {
		const struct plan_load *l = &p->load;

		put(e, o, "model",
		    json_string(enum_name(model_names, NELEM(model_names), l->model)));
		a = json_array();
		for (i = 0; a && i < l->nphases; i++) {
			json_t *ph = json_object();

			if (ph) {
				put_str(e, ph, "name", l->phases[i].name);
				put_int(e, ph, "duration_us", l->phases[i].duration_us);
				put(e, ph, "arrival_rate", json_real(l->phases[i].arrival_rate));
				if (l->phases[i].ramp_to >= 0)
					put(e, ph, "ramp_to", json_real(l->phases[i].ramp_to));
				put_pos(e, ph, l->phases[i].pos);
			}
			append(e, a, ph);
		}
		put(e, o, "phases", a);
		put_int(e, o, "max_users", (int64_t)l->max_users);
		put_int(e, o, "users", (int64_t)l->users);
		put_int(e, o, "duration_us", l->duration_us);
		put_int(e, o, "ramp_up_us", l->ramp_up_us);
		put(e, o, "request_rate", json_real(l->request_rate));
	}
	put(e, root, "load", o);

	a = json_array();
	for (i = 0; a && i < p->ndata; i++) {
		const struct plan_data *d = &p->data[i];
		json_t *dobj = json_object();
		json_t *cols = json_array();

		for (j = 0; cols && j < d->ncolumns; j++)
			append(e, cols, json_string(d->columns[j]));
		if (dobj) {
			put_str(e, dobj, "name", d->name);
			put_str(e, dobj, "file", d->file);
			put(e, dobj, "order",
			    json_string(enum_name(order_names, NELEM(order_names), d->order)));
			put(e, dobj, "columns", cols);
			put_int(e, dobj, "rows", (int64_t)d->rows);
			put_int(e, dobj, "part_index", d->part_index);
			put_int(e, dobj, "part_count", d->part_count);
			put_pos(e, dobj, d->pos);
		} else
			json_decref(cols);
		append(e, a, dobj);
	}
	put(e, root, "data", a);
	put(e, root, "variables", enc_kvs(e, p->variables, p->nvariables));

	a = json_array();
	for (i = 0; a && i < p->nsessions; i++) {
		json_t *so = json_object();

		if (so) {
			put_str(e, so, "name", p->sessions[i].name);
			put(e, so, "weight", json_real(p->sessions[i].weight));
			put_pos(e, so, p->sessions[i].pos);
			put(e, so, "steps", enc_steps(e, &p->sessions[i].steps));
		}
		append(e, a, so);
	}
	put(e, root, "sessions", a);

	a = json_array();
	for (i = 0; a && i < p->nthresholds; i++) {
		const struct plan_threshold *t = &p->thresholds[i];
		json_t *to = json_object();

		if (to) {
			put_str(e, to, "metric", t->metric);
			put_str(e, to, "condition", t->condition);
			put(e, to, "abort_on_fail", json_boolean(t->abort_on_fail));
			put_int(e, to, "delay_us", t->delay_us);
			put_pos(e, to, t->pos);
		}
		append(e, a, to);
	}
	put(e, root, "thresholds", a);

	o = json_object();
	if (o) {
		const struct plan_agents *ag = &p->agents;

		put_int(e, o, "local", ag->local);
		a = json_array();
		for (i = 0; a && i < ag->nhosts; i++) {
			const struct plan_host *h = &ag->hosts[i];
			json_t *ho = json_object();

			if (ho) {
				put_str(e, ho, "user", h->user);
				put_str(e, ho, "host", h->host);
				put_int(e, ho, "port", h->port);
				put_int(e, ho, "agents", h->agents);
				put(e, ho, "weight", json_real(h->weight));
				put_pos(e, ho, h->pos);
			}
			append(e, a, ho);
		}
		put(e, o, "hosts", a);
		put_str(e, o, "hosts_file", ag->hosts_file);
		put_int(e, o, "max_lost", ag->max_lost);
		put_int(e, o, "threads", ag->threads);
		put_int(e, o, "link_timeout_us", ag->link_timeout_us);
	}
	put(e, root, "agents", o);
	put_int(e, root, "interval_us", p->interval_us);
	put_int(e, root, "grace_us", p->grace_us);

	o = json_object();
	if (o) {
		put_str(e, o, "agent_id", p->share.agent_id);
		put_int(e, o, "index", p->share.index);
		put_int(e, o, "count", p->share.count);
		put(e, o, "fraction", json_real(p->share.fraction));
		/* Seeds and id bases are full 64-bit values; JSON integers here are signed 64-bit,
		 * so they travel as decimal strings. */
		put(e, o, "seed", json_sprintf("%llu", (unsigned long long)p->share.seed));
		put(e, o, "user_id_base",
		    json_sprintf("%llu", (unsigned long long)p->share.user_id_base));
		put(e, o, "slot_base",
		    json_sprintf("%llu", (unsigned long long)p->share.slot_base));
	}
	put(e, root, "share", o);
	return root;
}

int plan_encode(const struct plan *p, struct buf *out)
{
	struct enc e = {0};
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

/* ---- decoding ---- */

struct dec {
	char **err;
	char path[512];
	size_t plen;
	int depth;
	bool has_target;
};

static size_t push_key(struct dec *d, const char *key)
{
	size_t save = d->plen;
	int n =
	    snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "%s%s", d->plen ? "." : "", key);

	if (n > 0)
		d->plen = d->plen + (size_t)n < sizeof(d->path) ? d->plen + (size_t)n
								: sizeof(d->path) - 1;
	return save;
}

static size_t push_idx(struct dec *d, size_t i)
{
	size_t save = d->plen;
	int n = snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "[%zu]", i);

	if (n > 0)
		d->plen = d->plen + (size_t)n < sizeof(d->path) ? d->plen + (size_t)n
								: sizeof(d->path) - 1;
	return save;
}

static void pop(struct dec *d, size_t save)
{
	d->plen = save;
	d->path[save] = '\0';
}

static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct dec *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(d->err, "plan: %s: %s", d->plen ? d->path : "(top)", msg);
}

static const char *json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* Every object is checked against its list of keys, so a typo or a field from a newer
 * controller is an error here rather than a silently ignored setting. */
static int check_keys(struct dec *d, json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		size_t i;

		for (i = 0; keys[i]; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (!keys[i]) {
			push_key(d, key);
			return fail(d, "unknown key");
		}
	}
	return 0;
}

enum { OPT = 0, REQ = 1, NONEMPTY = 2 };

/* Getters: each names the key in the path while it checks, and leaves *out alone when an
 * optional key is absent (so defaults set by plan_new survive). */
static int get_str(struct dec *d, json_t *o, const char *key, int flags, char **out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);
	size_t len;

	if (!v || json_is_null(v)) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, save);
		return 0;
	}
	if (!json_is_string(v))
		return fail(d, "expected a string, got %s", json_type_word(v));
	len = json_string_length(v);
	if (len != strlen(json_string_value(v)))
		return fail(d, "string holds a NUL byte");
	if (len > PLAN_MAX_STRING)
		return fail(d, "string longer than %u bytes", PLAN_MAX_STRING);
	if ((flags & NONEMPTY) && len == 0)
		return fail(d, "must not be empty");
	free(*out);
	*out = strdup(json_string_value(v));
	if (!*out)
		return fail(d, "out of memory");
	pop(d, save);
	return 0;
}

static int get_i64(struct dec *d, json_t *o, const char *key, int flags, int64_t min, int64_t max,
		   int64_t *out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);
	int64_t n;

	if (!v) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, save);
		return 0;
	}
	if (!json_is_integer(v))
		return fail(d, "expected an integer, got %s", json_type_word(v));
	n = (int64_t)json_integer_value(v);
	if (n < min || n > max)
		return fail(d, "%lld is out of range [%lld, %lld]", (long long)n, (long long)min,
			    (long long)max);
	*out = n;
	pop(d, save);
	return 0;
}

static int get_u64(struct dec *d, json_t *o, const char *key, int flags, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	int64_t v = (int64_t)*out;

	if (get_i64(d, o, key, flags, (int64_t)min, (int64_t)max, &v) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int get_u32(struct dec *d, json_t *o, const char *key, int flags, uint32_t min, uint32_t max,
		   uint32_t *out)
{
	int64_t v = *out;

	if (get_i64(d, o, key, flags, min, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int get_int(struct dec *d, json_t *o, const char *key, int flags, int min, int max, int *out)
{
	int64_t v = *out;

	if (get_i64(d, o, key, flags, min, max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int get_dbl(struct dec *d, json_t *o, const char *key, int flags, double min, double max,
		   double *out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);
	double n;

	if (!v) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, save);
		return 0;
	}
	if (!json_is_number(v))
		return fail(d, "expected a number, got %s", json_type_word(v));
	n = json_number_value(v);
	if (!isfinite(n) || n < min || n > max)
		return fail(d, "%g is out of range [%g, %g]", n, min, max);
	*out = n;
	pop(d, save);
	return 0;
}

static int get_bool(struct dec *d, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);

	if (!v) {
		pop(d, save);
		return 0;
	}
	if (!json_is_boolean(v))
		return fail(d, "expected a boolean, got %s", json_type_word(v));
	*out = json_is_true(v);
	pop(d, save);
	return 0;
}

static int get_u64_str(struct dec *d, json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);
	unsigned long long n;
	const char *s;
	char *end;

	if (!v) {
		pop(d, save);
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		pop(d, save);
		return 0;
	}
	if (!json_is_string(v))
		return fail(d, "expected an unsigned integer as a string, got %s",
			    json_type_word(v));
	s = json_string_value(v);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno)
		return fail(d, "'%.40s' is not an unsigned 64-bit integer", s);
	*out = n;
	pop(d, save);
	return 0;
}

static int get_enum(struct dec *d, json_t *o, const char *key, int flags, const char *const *names,
		    size_t n, int *out)
{
	json_t *v = json_object_get(o, key);
	size_t save = push_key(d, key);
	size_t i;

	if (!v) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, save);
		return 0;
	}
	if (!json_is_string(v))
		return fail(d, "expected a string, got %s", json_type_word(v));
	for (i = 0; i < n; i++)
		if (strcmp(names[i], json_string_value(v)) == 0) {
			*out = (int)i;
			pop(d, save);
			return 0;
		}
	return fail(d, "unknown value '%.40s'", json_string_value(v));
}

/* The array at key (or NULL when absent and optional); the path is left pointing at the key
 * on success when the array exists, so callers push indices under it and pop `*save`. */
static int get_arr(struct dec *d, json_t *o, const char *key, int flags, json_t **out, size_t *save)
{
	json_t *v = json_object_get(o, key);

	*save = push_key(d, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, *save);
		return 0;
	}
	if (!json_is_array(v))
		return fail(d, "expected an array, got %s", json_type_word(v));
	if (json_array_size(v) > PLAN_MAX_ARRAY)
		return fail(d, "more than %d items", PLAN_MAX_ARRAY);
	if ((flags & NONEMPTY) && json_array_size(v) == 0)
		return fail(d, "must not be empty");
	*out = v;
	return 0;
}

static int want_obj(struct dec *d, json_t *v)
{
	if (!json_is_object(v))
		return fail(d, "expected an object, got %s", json_type_word(v));
	return 0;
}

/* The object at key, checked for type; NULL when absent. Path handling as get_arr. */
static int get_obj(struct dec *d, json_t *o, const char *key, int flags, json_t **out, size_t *save)
{
	json_t *v = json_object_get(o, key);

	*save = push_key(d, key);
	*out = NULL;
	if (!v) {
		if (flags & REQ)
			return fail(d, "missing");
		pop(d, *save);
		return 0;
	}
	if (want_obj(d, v) != 0)
		return -1;
	*out = v;
	return 0;
}

static int get_pos(struct dec *d, json_t *o, struct plan_pos *pos)
{
	if (get_int(d, o, "line", OPT, 0, INT_MAX, &pos->line) != 0 ||
	    get_int(d, o, "col", OPT, 0, INT_MAX, &pos->col) != 0)
		return -1;
	return 0;
}

/* Templates, expressions, JSONPaths and regexes are compiled once here, so a plan that decodes
 * can be run: the agent never meets a syntax error under load. */
enum { NO_TMPL = -1 };

static int chk_tmpl(struct dec *d, const char *key, const char *src, int esc)
{
	struct tmpl *t = NULL;
	char *e = NULL;
	size_t col = 0;

	if (!src || esc == NO_TMPL)
		return 0;
	if (tmpl_compile(src, (enum tmpl_escape)esc, &t, &e, &col) == 0) {
		tmpl_free(t);
		return 0;
	}
	push_key(d, key);
	fail(d, "bad template at offset %zu: %s", col, e ? e : "?");
	free(e);
	return -1;
}

static int chk_expr(struct dec *d, const char *key, const char *src)
{
	struct expr *x = NULL;
	char *e = NULL;
	size_t col = 0;

	if (expr_compile(src, strlen(src), &x, &e, &col) == 0) {
		expr_free(x);
		return 0;
	}
	push_key(d, key);
	fail(d, "bad expression at offset %zu: %s", col, e ? e : "?");
	free(e);
	return -1;
}

static int chk_regex(struct dec *d, const char *key, const char *src)
{
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (re) {
		pcre2_code_free(re);
		return 0;
	}
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		push_key(d, key);
		return fail(d, "bad regex at offset %zu: %s", (size_t)off, (const char *)msg);
	}
}

static int chk_jsonpath(struct dec *d, const char *key, const char *src)
{
	struct jsonpath *jp = NULL;
	char *e = NULL;
	size_t col = 0;

	if (jsonpath_compile(src, &jp, &e, &col) == 0) {
		jsonpath_free(jp);
		return 0;
	}
	push_key(d, key);
	fail(d, "bad JSONPath at offset %zu: %s", col, e ? e : "?");
	free(e);
	return -1;
}

static void *alloc_array(struct dec *d, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		fail(d, "out of memory");
	return p;
}

/* A list of name/value pairs; `values_required` says whether value may be absent. */
static int dec_kvs(struct dec *d, json_t *o, const char *key, int flags, int esc,
		   struct plan_kv **out, size_t *nout)
{
	static const char *const keys[] = {"name", "value", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (get_arr(d, o, key, flags, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	*out = alloc_array(d, json_array_size(a), sizeof(**out));
	if (!*out)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		size_t s2 = push_idx(d, i);

		*nout = i + 1;
		if (want_obj(d, e) != 0 || check_keys(d, e, keys) != 0 ||
		    get_str(d, e, "name", REQ | NONEMPTY, &(*out)[i].name) != 0 ||
		    get_str(d, e, "value", REQ, &(*out)[i].value) != 0 ||
		    get_pos(d, e, &(*out)[i].pos) != 0 ||
		    chk_tmpl(d, "value", (*out)[i].value, esc) != 0)
			return -1;
		pop(d, s2);
	}
	pop(d, save);
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

static int dec_steps(struct dec *d, json_t *o, const char *key, int flags, struct plan_steps *out);

static int dec_request(struct dec *d, json_t *o, struct plan_request *r)
{
	static const char *const keys[] = {"method",	"url",	  "name", "headers",
					   "body_kind", "body",	  "form", "timeout_us",
					   "captures",	"expect", "follow_redirects", NULL};
	static const char *const ckeys[] = {"var",     "kind", "expr", "pick",
					    "default", "line", "col",  NULL};
	static const char *const xkeys[] = {"status",  "body_contains", "body_regex", "headers",
					    "on_fail", "line",		"col",	      NULL};
	json_t *a, *x;
	size_t save, i;
	int kind;

	if (check_keys(d, o, keys) != 0 || get_str(d, o, "method", REQ, &r->method) != 0)
		return -1;
	if (!is_token(r->method)) {
		push_key(d, "method");
		return fail(d, "'%.40s' is not an HTTP method", r->method);
	}
	if (get_str(d, o, "url", REQ | NONEMPTY, &r->url) != 0 ||
	    get_str(d, o, "name", OPT | NONEMPTY, &r->name) != 0 ||
	    dec_kvs(d, o, "headers", OPT, TMPL_ESCAPE_NONE, &r->headers, &r->nheaders) != 0)
		return -1;
	if (chk_tmpl(d, "url", r->url, TMPL_ESCAPE_NONE) != 0)
		return -1;
	if (r->url[0] == '/' && !d->has_target) {
		push_key(d, "url");
		return fail(d, "a path needs the plan's target");
	}
	kind = PLAN_BODY_NONE;
	if (get_enum(d, o, "body_kind", OPT, body_names, NELEM(body_names), &kind) != 0 ||
	    get_str(d, o, "body", OPT, &r->body) != 0)
		return -1;
	r->body_kind = (enum plan_body_kind)kind;
	if ((kind == PLAN_BODY_RAW || kind == PLAN_BODY_JSON) && !r->body) {
		push_key(d, "body");
		return fail(d, "missing (body_kind is %s)", body_names[kind]);
	}
	if (chk_tmpl(d, "body", r->body,
		     kind == PLAN_BODY_JSON  ? TMPL_ESCAPE_JSON
		     : kind == PLAN_BODY_RAW ? TMPL_ESCAPE_NONE
					     : NO_TMPL) != 0)
		return -1;
	if ((kind == PLAN_BODY_NONE || kind == PLAN_BODY_FORM) && r->body) {
		push_key(d, "body");
		return fail(d, "not allowed with body_kind %s", body_names[kind]);
	}
	if (kind == PLAN_BODY_FORM) {
		if (dec_kvs(d, o, "form", REQ, TMPL_ESCAPE_URL, &r->form, &r->nform) != 0)
			return -1;
	} else if (json_object_get(o, "form")) {
		push_key(d, "form");
		return fail(d, "only allowed with body_kind form");
	}
	if (get_i64(d, o, "timeout_us", OPT, 0, INT64_MAX, &r->timeout_us) != 0)
		return -1;
	if (json_object_get(o, "follow_redirects")) {
		if (get_u32(d, o, "follow_redirects", OPT, 0, PLAN_MAX_REDIRECTS,
			    &r->follow_redirects) != 0)
			return -1;
		r->has_follow_redirects = true;
	}

	if (get_arr(d, o, "captures", OPT, &a, &save) != 0)
		return -1;
	if (a) {
		r->captures = alloc_array(d, json_array_size(a), sizeof(*r->captures));
		if (!r->captures)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *c = json_array_get(a, i);
			struct plan_capture *pc = &r->captures[i];
			size_t s2 = push_idx(d, i);
			int ck = 0, pk = 0;

			r->ncaptures = i + 1;
			if (want_obj(d, c) != 0 || check_keys(d, c, ckeys) != 0 ||
			    get_str(d, c, "var", REQ | NONEMPTY, &pc->var) != 0 ||
			    get_enum(d, c, "kind", REQ, capture_names, NELEM(capture_names), &ck) !=
				0 ||
			    get_str(d, c, "expr", OPT, &pc->expr) != 0 ||
			    get_enum(d, c, "pick", OPT, pick_names, NELEM(pick_names), &pk) != 0 ||
			    get_str(d, c, "default", OPT, &pc->default_value) != 0 ||
			    get_pos(d, c, &pc->pos) != 0)
				return -1;
			pc->kind = (enum plan_capture_kind)ck;
			pc->pick = (enum plan_pick)pk;
			if (ck != PLAN_CAPTURE_STATUS && (!pc->expr || !pc->expr[0])) {
				push_key(d, "expr");
				return fail(d, "missing (a %s capture needs one)",
					    capture_names[ck]);
			}
			if ((ck == PLAN_CAPTURE_JSON && chk_jsonpath(d, "expr", pc->expr) != 0) ||
			    (ck == PLAN_CAPTURE_REGEX && chk_regex(d, "expr", pc->expr) != 0))
				return -1;
			pop(d, s2);
		}
		pop(d, save);
	}

	if (get_obj(d, o, "expect", OPT, &x, &save) != 0)
		return -1;
	if (x) {
		struct plan_expect *pe = &r->expect;
		int of = 0;

		r->has_expect = true;
		if (check_keys(d, x, xkeys) != 0 || get_arr(d, x, "status", OPT, &a, &i) != 0)
			return -1;
		if (a) {
			size_t s3 = i, k;

			pe->status = alloc_array(d, json_array_size(a), sizeof(*pe->status));
			if (!pe->status)
				return -1;
			for (k = 0; k < json_array_size(a); k++) {
				json_t *rg = json_array_get(a, k);
				size_t s4 = push_idx(d, k);
				json_t *lo = json_array_get(rg, 0), *hi = json_array_get(rg, 1);

				if (!json_is_array(rg) || json_array_size(rg) != 2 ||
				    !json_is_integer(lo) || !json_is_integer(hi))
					return fail(d, "expected [lo, hi] status codes");
				if (json_integer_value(lo) < 100 || json_integer_value(hi) > 599 ||
				    json_integer_value(lo) > json_integer_value(hi))
					return fail(d, "status range out of 100..599 or reversed");
				pe->status[k].lo = (int)json_integer_value(lo);
				pe->status[k].hi = (int)json_integer_value(hi);
				pe->nstatus = k + 1;
				pop(d, s4);
			}
			pop(d, s3);
		}
		if (get_str(d, x, "body_contains", OPT, &pe->body_contains) != 0 ||
		    get_str(d, x, "body_regex", OPT | NONEMPTY, &pe->body_regex) != 0 ||
		    dec_kvs(d, x, "headers", OPT, NO_TMPL, &pe->headers, &pe->nheaders) != 0 ||
		    get_enum(d, x, "on_fail", OPT, on_fail_names, NELEM(on_fail_names), &of) != 0 ||
		    get_pos(d, x, &pe->pos) != 0 ||
		    (pe->body_regex && chk_regex(d, "body_regex", pe->body_regex) != 0))
			return -1;
		pe->on_fail = (enum plan_on_fail)of;
		pop(d, save);
	}
	return 0;
}

static int dec_think(struct dec *d, json_t *t, struct plan_think *th)
{
	static const char *const keys[] = {"kind", "value_us", "min_us", "max_us", "mean_us", NULL};
	int k = 0;

	if (want_obj(d, t) != 0 || check_keys(d, t, keys) != 0 ||
	    get_enum(d, t, "kind", REQ, think_names, NELEM(think_names), &k) != 0)
		return -1;
	th->kind = (enum plan_think_kind)k;
	switch (th->kind) {
	case PLAN_THINK_FIXED:
		return get_i64(d, t, "value_us", REQ, 0, INT64_MAX, &th->value_us);
	case PLAN_THINK_UNIFORM:
		if (get_i64(d, t, "min_us", REQ, 0, INT64_MAX, &th->min_us) != 0 ||
		    get_i64(d, t, "max_us", REQ, th->min_us, INT64_MAX, &th->max_us) != 0)
			return -1;
		return 0;
	case PLAN_THINK_EXPONENTIAL:
		return get_i64(d, t, "mean_us", REQ, 1, INT64_MAX, &th->mean_us);
	}
	return 0;
}

static int dec_step(struct dec *d, json_t *o, struct plan_step *s)
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

	if (want_obj(d, o) != 0 ||
	    get_enum(d, o, "kind", REQ, step_names, NELEM(step_names), &k) != 0)
		return -1;
	s->kind = (enum plan_step_kind)k;
	for (i = 0; i < 6 && kind_keys[k][i]; i++)
		keys[3 + i] = kind_keys[k][i];
	keys[3 + i] = NULL;
	if (check_keys(d, o, keys) != 0 || get_pos(d, o, &s->pos) != 0)
		return -1;

	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		if (get_obj(d, o, "request", REQ, &v, &save) != 0 ||
		    dec_request(d, v, &s->request) != 0)
			return -1;
		pop(d, save);
		return 0;
	case PLAN_STEP_THINK:
		if (get_obj(d, o, "think", REQ, &v, &save) != 0 || dec_think(d, v, &s->think) != 0)
			return -1;
		pop(d, save);
		return 0;
	case PLAN_STEP_TRANSACTION:
		if (get_str(d, o, "name", REQ | NONEMPTY, &s->name) != 0)
			return -1;
		break;
	case PLAN_STEP_IF:
		if (get_str(d, o, "cond", REQ | NONEMPTY, &s->cond) != 0 ||
		    chk_expr(d, "cond", s->cond) != 0 ||
		    dec_steps(d, o, "else", OPT, &s->else_body) != 0)
			return -1;
		break;
	case PLAN_STEP_REPEAT:
		if (get_u64(d, o, "count", REQ, 0, INT64_MAX, &s->count) != 0)
			return -1;
		break;
	case PLAN_STEP_WHILE:
		if (get_str(d, o, "cond", REQ | NONEMPTY, &s->cond) != 0 ||
		    chk_expr(d, "cond", s->cond) != 0 ||
		    get_u64(d, o, "count", REQ, 1, INT64_MAX, &s->count) != 0)
			return -1;
		break;
	case PLAN_STEP_FOREACH:
		if (get_str(d, o, "list_var", REQ | NONEMPTY, &s->list_var) != 0 ||
		    get_str(d, o, "item_var", OPT | NONEMPTY, &s->item_var) != 0)
			return -1;
		if (!s->item_var && !(s->item_var = strdup("item")))
			return fail(d, "out of memory");
		break;
	case PLAN_STEP_SET:
		return dec_kvs(d, o, "set", REQ | NONEMPTY, TMPL_ESCAPE_NONE, &s->set, &s->nset);
	case PLAN_STEP_ABORT:
		return get_str(d, o, "reason", OPT | NONEMPTY, &s->reason);
	}
	/* The kinds that hold steps; an `if` may have an empty then (only an else). */
	return dec_steps(d, o, "steps", s->kind == PLAN_STEP_IF ? OPT : REQ, &s->body);
}

static int dec_steps(struct dec *d, json_t *o, const char *key, int flags, struct plan_steps *out)
{
	json_t *a;
	size_t save, i;

	if (get_arr(d, o, key, flags, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	if (++d->depth > PLAN_MAX_DEPTH)
		return fail(d, "steps nested deeper than %d", PLAN_MAX_DEPTH);
	out->v = alloc_array(d, json_array_size(a), sizeof(*out->v));
	if (!out->v)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		size_t s2 = push_idx(d, i);

		out->n = i + 1;
		if (dec_step(d, json_array_get(a, i), &out->v[i]) != 0)
			return -1;
		pop(d, s2);
	}
	d->depth--;
	pop(d, save);
	return 0;
}

static int dec_http(struct dec *d, json_t *o, struct plan_http *h)
{
	static const char *const keys[] = {"timeout_us",
					   "connect_timeout_us",
					   "keepalive",
					   "version",
					   "tls_verify",
					   "tls_ca",
					   "tls_cert",
					   "tls_key",
					   "tls_ciphers",
					   "tls_session_reuse",
					   "headers",
					   "share_connections",
					   "max_body",
					   "compression",
					   "follow_redirects",
					   "client",
					   "source_addresses",
					   NULL};

	if (check_keys(d, o, keys) != 0 ||
	    get_i64(d, o, "timeout_us", OPT, 1, INT64_MAX, &h->timeout_us) != 0 ||
	    get_i64(d, o, "connect_timeout_us", OPT, 1, INT64_MAX, &h->connect_timeout_us) != 0 ||
	    get_bool(d, o, "keepalive", &h->keepalive) != 0 ||
	    get_int(d, o, "version", OPT, 0, 100, &h->version) != 0)
		return -1;
	if (h->version != 11 && h->version != 2) {
		push_key(d, "version");
		return fail(d, "%d is not 11 (HTTP/1.1) or 2 (HTTP/2)", h->version);
	}
	if (get_bool(d, o, "tls_verify", &h->tls_verify) != 0 ||
	    get_str(d, o, "tls_ca", OPT | NONEMPTY, &h->tls_ca) != 0 ||
	    get_str(d, o, "tls_cert", OPT | NONEMPTY, &h->tls_cert) != 0 ||
	    get_str(d, o, "tls_key", OPT | NONEMPTY, &h->tls_key) != 0 ||
	    get_str(d, o, "tls_ciphers", OPT | NONEMPTY, &h->tls_ciphers) != 0 ||
	    get_bool(d, o, "tls_session_reuse", &h->tls_session_reuse) != 0 ||
	    get_str(d, o, "source_addresses", OPT | NONEMPTY, &h->source_addresses) != 0 ||
	    dec_kvs(d, o, "headers", OPT, TMPL_ESCAPE_NONE, &h->headers, &h->nheaders) != 0 ||
	    get_bool(d, o, "share_connections", &h->share_connections) != 0 ||
	    get_u64(d, o, "max_body", OPT, 0, (uint64_t)1 << 32, &h->max_body) != 0 ||
	    get_bool(d, o, "compression", &h->compression) != 0 ||
	    get_u32(d, o, "follow_redirects", OPT, 0, PLAN_MAX_REDIRECTS, &h->follow_redirects) != 0)
		return -1;
	{
		char *c = NULL;

		if (get_str(d, o, "client", OPT | NONEMPTY, &c) != 0)
			return -1;
		if (c) {
			h->client = plan_client_parse(c);
			if (h->client < 0) {
				push_key(d, "client");
				free(c);
				return fail(d, "expected \"auto\", \"lean\" or \"curl\"");
			}
			free(c);
		}
	}
	return 0;
}

static int dec_load(struct dec *d, json_t *o, struct plan_load *l)
{
	static const char *const keys[] = {"model",	  "phases",	"max_users",	"users",
					   "duration_us", "ramp_up_us", "request_rate", NULL};
	static const char *const pkeys[] = {
	    "name", "duration_us", "arrival_rate", "ramp_to", "line", "col", NULL};
	json_t *a;
	size_t save, i;
	int m = 0;

	if (check_keys(d, o, keys) != 0 ||
	    get_enum(d, o, "model", REQ, model_names, NELEM(model_names), &m) != 0)
		return -1;
	l->model = (enum plan_model)m;
	if (get_arr(d, o, "phases", l->model == PLAN_MODEL_OPEN ? REQ | NONEMPTY : OPT, &a,
		    &save) != 0)
		return -1;
	if (a && l->model != PLAN_MODEL_OPEN && json_array_size(a) > 0)
		return fail(d, "phases belong to the open model only");
	if (a) {
		l->phases = alloc_array(d, json_array_size(a), sizeof(*l->phases));
		if (!l->phases)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *ph = json_array_get(a, i);
			struct plan_phase *pp = &l->phases[i];
			size_t s2 = push_idx(d, i);

			l->nphases = i + 1;
			pp->ramp_to = -1;
			if (want_obj(d, ph) != 0 || check_keys(d, ph, pkeys) != 0 ||
			    get_str(d, ph, "name", OPT, &pp->name) != 0 ||
			    get_i64(d, ph, "duration_us", REQ, 1, INT64_MAX, &pp->duration_us) !=
				0 ||
			    get_dbl(d, ph, "arrival_rate", REQ, 0, 1e9, &pp->arrival_rate) != 0 ||
			    get_dbl(d, ph, "ramp_to", OPT, 0, 1e9, &pp->ramp_to) != 0 ||
			    get_pos(d, ph, &pp->pos) != 0)
				return -1;
			pop(d, s2);
		}
		pop(d, save);
	}
	if (get_u64(d, o, "max_users", OPT, 0, INT64_MAX, &l->max_users) != 0 ||
	    get_u64(d, o, "users", OPT, 0, INT64_MAX, &l->users) != 0 ||
	    get_i64(d, o, "duration_us", OPT, 0, INT64_MAX, &l->duration_us) != 0 ||
	    get_i64(d, o, "ramp_up_us", OPT, 0, INT64_MAX, &l->ramp_up_us) != 0 ||
	    get_dbl(d, o, "request_rate", OPT, 0, 1e9, &l->request_rate) != 0)
		return -1;
	if (l->model != PLAN_MODEL_OPEN) {
		/* A closed or paced agent may get 0 users as its share, but never a run that
		 * cannot end. */
		if (l->duration_us <= 0) {
			push_key(d, "duration_us");
			return fail(d, "must be > 0 for the %s model", model_names[m]);
		}
		if (l->ramp_up_us > l->duration_us) {
			push_key(d, "ramp_up_us");
			return fail(d, "longer than the load's duration");
		}
	}
	return 0;
}

static int dec_data(struct dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {"name",	 "file",       "order", "columns", "rows",
					   "part_index", "part_count", "line",	"col",	   NULL};
	json_t *a;
	size_t save, i, j;

	if (get_arr(d, o, "data", OPT, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	p->data = alloc_array(d, json_array_size(a), sizeof(*p->data));
	if (!p->data)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i), *cols;
		struct plan_data *pd = &p->data[i];
		size_t s2 = push_idx(d, i), s3;
		int ord = 0;

		p->ndata = i + 1;
		pd->part_count = 1;
		if (want_obj(d, e) != 0 || check_keys(d, e, keys) != 0 ||
		    get_str(d, e, "name", REQ | NONEMPTY, &pd->name) != 0 ||
		    get_str(d, e, "file", REQ | NONEMPTY, &pd->file) != 0 ||
		    get_enum(d, e, "order", OPT, order_names, NELEM(order_names), &ord) != 0 ||
		    get_arr(d, e, "columns", REQ | NONEMPTY, &cols, &s3) != 0)
			return -1;
		pd->order = (enum plan_order)ord;
		pd->columns = alloc_array(d, json_array_size(cols), sizeof(*pd->columns));
		if (!pd->columns)
			return -1;
		for (j = 0; j < json_array_size(cols); j++) {
			json_t *c = json_array_get(cols, j);
			size_t s4 = push_idx(d, j), k;

			if (!json_is_string(c) || json_string_length(c) == 0 ||
			    json_string_length(c) != strlen(json_string_value(c)))
				return fail(d, "expected a non-empty column name");
			for (k = 0; k < j; k++)
				if (strcmp(pd->columns[k], json_string_value(c)) == 0)
					return fail(d, "duplicate column '%.40s'",
						    json_string_value(c));
			pd->columns[j] = strdup(json_string_value(c));
			if (!pd->columns[j])
				return fail(d, "out of memory");
			pd->ncolumns = j + 1;
			pop(d, s4);
		}
		pop(d, s3);
		if (get_u64(d, e, "rows", OPT, 0, INT64_MAX, &pd->rows) != 0 ||
		    get_u32(d, e, "part_count", OPT, 1, UINT32_MAX, &pd->part_count) != 0 ||
		    get_u32(d, e, "part_index", OPT, 0, pd->part_count - 1, &pd->part_index) != 0 ||
		    get_pos(d, e, &pd->pos) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(p->data[j].name, pd->name) == 0) {
				push_key(d, "name");
				return fail(d, "duplicate data name '%.40s'", pd->name);
			}
		pop(d, s2);
	}
	pop(d, save);
	return 0;
}

static int dec_sessions(struct dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {"name", "weight", "steps", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (get_arr(d, o, "sessions", REQ | NONEMPTY, &a, &save) != 0)
		return -1;
	p->sessions = alloc_array(d, json_array_size(a), sizeof(*p->sessions));
	if (!p->sessions)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct plan_session *s = &p->sessions[i];
		size_t s2 = push_idx(d, i);

		p->nsessions = i + 1;
		s->weight = 1;
		if (want_obj(d, e) != 0 || check_keys(d, e, keys) != 0 ||
		    get_str(d, e, "name", REQ | NONEMPTY, &s->name) != 0 ||
		    get_dbl(d, e, "weight", OPT, 0, 1e12, &s->weight) != 0 ||
		    get_pos(d, e, &s->pos) != 0 ||
		    dec_steps(d, e, "steps", REQ | NONEMPTY, &s->steps) != 0)
			return -1;
		if (s->weight <= 0) {
			push_key(d, "weight");
			return fail(d, "must be > 0");
		}
		pop(d, s2);
	}
	pop(d, save);
	return 0;
}

static int dec_thresholds(struct dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {
	    "metric", "condition", "abort_on_fail", "delay_us", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (get_arr(d, o, "thresholds", OPT, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	p->thresholds = alloc_array(d, json_array_size(a), sizeof(*p->thresholds));
	if (!p->thresholds)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct plan_threshold *t = &p->thresholds[i];
		size_t s2 = push_idx(d, i);

		p->nthresholds = i + 1;
		if (want_obj(d, e) != 0 || check_keys(d, e, keys) != 0 ||
		    get_str(d, e, "metric", REQ | NONEMPTY, &t->metric) != 0 ||
		    get_str(d, e, "condition", REQ | NONEMPTY, &t->condition) != 0 ||
		    get_bool(d, e, "abort_on_fail", &t->abort_on_fail) != 0 ||
		    get_i64(d, e, "delay_us", OPT, 0, INT64_MAX, &t->delay_us) != 0 ||
		    get_pos(d, e, &t->pos) != 0)
			return -1;
		{
			struct threshold th;
			char *te = NULL;

			/* monitor.HOST.FIGURE.STAT gates are the controller's (reports/monitor.c);
			 * their shape is checked there. */
			if (strncmp(t->metric, "monitor.", 8) != 0 &&
			    threshold_parse(t->metric, t->condition, &th, &te, NULL) != 0) {
				fail(d, "%s", te ? te : "bad threshold");
				free(te);
				return -1;
			}
		}
		pop(d, s2);
	}
	pop(d, save);
	return 0;
}

static int dec_agents(struct dec *d, json_t *o, struct plan_agents *ag)
{
	static const char *const keys[] = {"local",   "hosts",		 "hosts_file", "max_lost",
					   "threads", "link_timeout_us", NULL};
	static const char *const hkeys[] = {"user",   "host", "port", "agents",
					    "weight", "line", "col",  NULL};
	json_t *a;
	size_t save, i;

	if (check_keys(d, o, keys) != 0 ||
	    get_u32(d, o, "local", OPT, 0, 100000, &ag->local) != 0 ||
	    get_arr(d, o, "hosts", OPT, &a, &save) != 0)
		return -1;
	if (a) {
		ag->hosts = alloc_array(d, json_array_size(a), sizeof(*ag->hosts));
		if (!ag->hosts)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			struct plan_host *h = &ag->hosts[i];
			size_t s2 = push_idx(d, i);

			ag->nhosts = i + 1;
			h->port = 22;
			h->agents = 1;
			h->weight = 1;
			if (want_obj(d, e) != 0 || check_keys(d, e, hkeys) != 0 ||
			    get_str(d, e, "user", OPT | NONEMPTY, &h->user) != 0 ||
			    get_str(d, e, "host", REQ | NONEMPTY, &h->host) != 0 ||
			    get_int(d, e, "port", OPT, 1, 65535, &h->port) != 0 ||
			    get_u32(d, e, "agents", OPT, 1, 100000, &h->agents) != 0 ||
			    get_dbl(d, e, "weight", OPT, 0, 1e12, &h->weight) != 0 ||
			    get_pos(d, e, &h->pos) != 0)
				return -1;
			if (h->weight <= 0) {
				push_key(d, "weight");
				return fail(d, "must be > 0");
			}
			pop(d, s2);
		}
		pop(d, save);
	}
	if (get_str(d, o, "hosts_file", OPT | NONEMPTY, &ag->hosts_file) != 0 ||
	    get_u32(d, o, "max_lost", OPT, 0, UINT32_MAX, &ag->max_lost) != 0 ||
	    get_u32(d, o, "threads", OPT, 0, 1024, &ag->threads) != 0 ||
	    get_i64(d, o, "link_timeout_us", OPT, 0, 3600000000LL, &ag->link_timeout_us) != 0)
		return -1;
	return 0;
}

static int dec_share(struct dec *d, json_t *o, struct plan_share *s)
{
	static const char *const keys[] = {"agent_id", "index",	       "count",	    "fraction",
					   "seed",     "user_id_base", "slot_base", NULL};

	if (check_keys(d, o, keys) != 0 ||
	    get_str(d, o, "agent_id", OPT | NONEMPTY, &s->agent_id) != 0 ||
	    get_u32(d, o, "count", OPT, 1, UINT32_MAX, &s->count) != 0 ||
	    get_u32(d, o, "index", OPT, 0, s->count - 1, &s->index) != 0 ||
	    get_dbl(d, o, "fraction", OPT, 0, 1, &s->fraction) != 0 ||
	    get_u64_str(d, o, "seed", &s->seed) != 0 ||
	    get_u64_str(d, o, "user_id_base", &s->user_id_base) != 0 ||
	    get_u64_str(d, o, "slot_base", &s->slot_base) != 0)
		return -1;
	return 0;
}

static int dec_plan(struct dec *d, json_t *root, struct plan *p)
{
	static const char *const keys[] = {"version",  "name",	     "source", "target",
					   "http",     "load",	     "data",   "variables",
					   "sessions", "thresholds", "agents", "interval_us",
					   "grace_us", "share",	     NULL};
	json_t *o;
	size_t save;

	if (want_obj(d, root) != 0 || check_keys(d, root, keys) != 0 ||
	    get_int(d, root, "version", REQ, 0, INT_MAX, &p->version) != 0)
		return -1;
	if (p->version != BARRAGE_PLAN_VERSION) {
		push_key(d, "version");
		return fail(d, "plan version %d, this build speaks %d", p->version,
			    BARRAGE_PLAN_VERSION);
	}
	if (get_str(d, root, "name", OPT, &p->name) != 0 ||
	    get_str(d, root, "source", OPT, &p->source) != 0 ||
	    get_str(d, root, "target", OPT | NONEMPTY, &p->target) != 0)
		return -1;
	d->has_target = p->target != NULL;

	if (get_obj(d, root, "http", OPT, &o, &save) != 0 || (o && dec_http(d, o, &p->http) != 0))
		return -1;
	pop(d, save);
	if (get_obj(d, root, "load", REQ, &o, &save) != 0 || dec_load(d, o, &p->load) != 0)
		return -1;
	pop(d, save);
	if (dec_data(d, root, p) != 0 ||
	    dec_kvs(d, root, "variables", OPT, TMPL_ESCAPE_NONE, &p->variables, &p->nvariables) !=
		0 ||
	    dec_sessions(d, root, p) != 0 || dec_thresholds(d, root, p) != 0)
		return -1;
	if (get_obj(d, root, "agents", OPT, &o, &save) != 0 ||
	    (o && dec_agents(d, o, &p->agents) != 0))
		return -1;
	pop(d, save);
	if (get_i64(d, root, "interval_us", OPT, 1000, INT64_MAX, &p->interval_us) != 0 ||
	    get_i64(d, root, "grace_us", OPT, 0, INT64_MAX, &p->grace_us) != 0)
		return -1;
	if (get_obj(d, root, "share", OPT, &o, &save) != 0 ||
	    (o && dec_share(d, o, &p->share) != 0))
		return -1;
	pop(d, save);
	return 0;
}

int plan_decode(const char *json, size_t len, struct plan **out, char **err)
{
	struct dec d = {.err = err};
	json_error_t jerr;
	json_t *root;
	struct plan *p = NULL;

	*out = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(err, "plan: invalid JSON at line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
	p = plan_new();
	if (!p) {
		json_decref(root);
		return err_set(err, "plan: out of memory");
	}
	if (dec_plan(&d, root, p) != 0) {
		json_decref(root);
		plan_free(p);
		return -1;
	}
	json_decref(root);
	*out = p;
	return 0;
}

/* ---- deep copy ---- */

/* The copy helpers record a failure in *ok and keep going with NULLs, so plan_clone has one
 * check at the end and plan_free can release a half-made copy. */
static char *dup_str(const char *s, bool *ok)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*ok = false;
	return c;
}

static void *dup_mem(const void *src, size_t n, size_t size, bool *ok)
{
	void *c;

	if (!src || n == 0)
		return NULL;
	c = malloc(n * size);
	if (!c) {
		*ok = false;
		return NULL;
	}
	memcpy(c, src, n * size);
	return c;
}

static struct plan_kv *dup_kvs(const struct plan_kv *kv, size_t *n, bool *ok)
{
	struct plan_kv *c = dup_mem(kv, *n, sizeof(*kv), ok);
	size_t i;

	if (!c) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		c[i].name = dup_str(kv[i].name, ok);
		c[i].value = dup_str(kv[i].value, ok);
	}
	return c;
}

static void dup_steps(struct plan_steps *dst, const struct plan_steps *src, bool *ok);

static void dup_step(struct plan_step *s, bool *ok)
{
	struct plan_request *r = &s->request;
	size_t i;

	/* *s is a bitwise copy of the source: replace every pointer by its own copy. */
	r->method = dup_str(r->method, ok);
	r->url = dup_str(r->url, ok);
	r->name = dup_str(r->name, ok);
	r->headers = dup_kvs(r->headers, &r->nheaders, ok);
	r->body = dup_str(r->body, ok);
	r->form = dup_kvs(r->form, &r->nform, ok);
	if (r->ncaptures) {
		struct plan_capture *c = dup_mem(r->captures, r->ncaptures, sizeof(*c), ok);

		if (!c)
			r->ncaptures = 0;
		for (i = 0; c && i < r->ncaptures; i++) {
			c[i].var = dup_str(c[i].var, ok);
			c[i].expr = dup_str(c[i].expr, ok);
			c[i].default_value = dup_str(c[i].default_value, ok);
		}
		r->captures = c;
	} else
		r->captures = NULL;
	r->expect.status =
	    dup_mem(r->expect.status, r->expect.nstatus, sizeof(*r->expect.status), ok);
	if (!r->expect.status)
		r->expect.nstatus = 0;
	r->expect.body_contains = dup_str(r->expect.body_contains, ok);
	r->expect.body_regex = dup_str(r->expect.body_regex, ok);
	r->expect.headers = dup_kvs(r->expect.headers, &r->expect.nheaders, ok);
	s->name = dup_str(s->name, ok);
	s->cond = dup_str(s->cond, ok);
	s->list_var = dup_str(s->list_var, ok);
	s->item_var = dup_str(s->item_var, ok);
	s->set = dup_kvs(s->set, &s->nset, ok);
	s->reason = dup_str(s->reason, ok);
	dup_steps(&s->body, &s->body, ok);
	dup_steps(&s->else_body, &s->else_body, ok);
}

static void dup_steps(struct plan_steps *dst, const struct plan_steps *src, bool *ok)
{
	struct plan_step *v = dup_mem(src->v, src->n, sizeof(*v), ok);
	size_t i, n = src->n;

	dst->v = v;
	dst->n = v ? n : 0;
	for (i = 0; v && i < n; i++)
		dup_step(&v[i], ok);
}

struct plan *plan_clone(const struct plan *src)
{
	struct plan *p = malloc(sizeof(*p));
	bool ok = true;
	size_t i, j;

	if (!p)
		return NULL;
	*p = *src;
	memset(&p->monitor, 0, sizeof(p->monitor)); /* the controller's alone */
	memset(&p->export, 0, sizeof(p->export));
	p->name = dup_str(src->name, &ok);
	p->source = dup_str(src->source, &ok);
	p->target = dup_str(src->target, &ok);
	p->http.tls_ca = dup_str(src->http.tls_ca, &ok);
	p->http.tls_cert = dup_str(src->http.tls_cert, &ok);
	p->http.tls_key = dup_str(src->http.tls_key, &ok);
	p->http.tls_ciphers = dup_str(src->http.tls_ciphers, &ok);
	p->http.source_addresses = dup_str(src->http.source_addresses, &ok);
	p->http.headers = dup_kvs(src->http.headers, &p->http.nheaders, &ok);
	p->load.phases = dup_mem(src->load.phases, src->load.nphases, sizeof(*p->load.phases), &ok);
	if (!p->load.phases)
		p->load.nphases = 0;
	for (i = 0; i < p->load.nphases; i++)
		p->load.phases[i].name = dup_str(src->load.phases[i].name, &ok);
	p->data = dup_mem(src->data, src->ndata, sizeof(*p->data), &ok);
	if (!p->data)
		p->ndata = 0;
	for (i = 0; i < p->ndata; i++) {
		struct plan_data *d = &p->data[i];

		d->name = dup_str(d->name, &ok);
		d->file = dup_str(d->file, &ok);
		d->columns = dup_mem(d->columns, d->ncolumns, sizeof(*d->columns), &ok);
		if (!d->columns)
			d->ncolumns = 0;
		for (j = 0; j < d->ncolumns; j++)
			d->columns[j] = dup_str(d->columns[j], &ok);
	}
	p->variables = dup_kvs(src->variables, &p->nvariables, &ok);
	p->sessions = dup_mem(src->sessions, src->nsessions, sizeof(*p->sessions), &ok);
	if (!p->sessions)
		p->nsessions = 0;
	for (i = 0; i < p->nsessions; i++) {
		p->sessions[i].name = dup_str(p->sessions[i].name, &ok);
		dup_steps(&p->sessions[i].steps, &src->sessions[i].steps, &ok);
	}
	p->thresholds = dup_mem(src->thresholds, src->nthresholds, sizeof(*p->thresholds), &ok);
	if (!p->thresholds)
		p->nthresholds = 0;
	for (i = 0; i < p->nthresholds; i++) {
		p->thresholds[i].metric = dup_str(p->thresholds[i].metric, &ok);
		p->thresholds[i].condition = dup_str(p->thresholds[i].condition, &ok);
	}
	p->agents.hosts =
	    dup_mem(src->agents.hosts, src->agents.nhosts, sizeof(*p->agents.hosts), &ok);
	if (!p->agents.hosts)
		p->agents.nhosts = 0;
	for (i = 0; i < p->agents.nhosts; i++) {
		p->agents.hosts[i].user = dup_str(p->agents.hosts[i].user, &ok);
		p->agents.hosts[i].host = dup_str(p->agents.hosts[i].host, &ok);
	}
	p->agents.hosts_file = dup_str(src->agents.hosts_file, &ok);
	p->share.agent_id = dup_str(src->share.agent_id, &ok);
	if (!ok) {
		plan_free(p);
		return NULL;
	}
	return p;
}
