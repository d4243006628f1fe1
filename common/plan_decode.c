/* plan_decode: the agent's reading of a plan from the wire. Decoding is strict: the agent
 * trusts nothing it gets over the wire, so every key is known, every value has the right type
 * and range, every array is bounded, and the first problem is reported with its JSON path. The
 * controller's YAML checker (controller/scenario*.c) does the user-facing checks with
 * file:line:col; this decoder repeats the structural ones so a bad frame can never reach the
 * engine. */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/plan.h"
#include "common/plan_decode_steps.h"
#include "common/plan_json.h"
#include "common/threshold.h"
#include "common/tmpl.h"
#include "common/version.h"

static int dec_http(struct plan_dec *d, json_t *o, struct plan_http *h)
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
					   "headers",
					   "share_connections",
					   "max_body",
					   "compression",
					   "follow_redirects",
					   "client",
					   "source_addresses",
					   NULL};

	if (plan_json_check_keys(d, o, keys) != 0 ||
	    plan_json_get_i64(d, o, "timeout_us", PLAN_OPT, 1, INT64_MAX, &h->timeout_us) != 0 ||
	    plan_json_get_i64(d, o, "connect_timeout_us", PLAN_OPT, 1, INT64_MAX,
			      &h->connect_timeout_us) != 0 ||
	    plan_json_get_bool(d, o, "keepalive", &h->keepalive) != 0 ||
	    plan_json_get_int(d, o, "version", PLAN_OPT, 0, 100, &h->version) != 0)
		return -1;
	if (h->version != 11 && h->version != 2) {
		plan_json_push_key(d, "version");
		return plan_json_fail(d, "%d is not 11 (HTTP/1.1) or 2 (HTTP/2)", h->version);
	}
	if (plan_json_get_bool(d, o, "tls_verify", &h->tls_verify) != 0 ||
	    plan_json_get_str(d, o, "tls_ca", PLAN_OPT | PLAN_NONEMPTY, &h->tls_ca) != 0 ||
	    plan_json_get_str(d, o, "tls_cert", PLAN_OPT | PLAN_NONEMPTY, &h->tls_cert) != 0 ||
	    plan_json_get_str(d, o, "tls_key", PLAN_OPT | PLAN_NONEMPTY, &h->tls_key) != 0 ||
	    plan_json_get_str(d, o, "tls_ciphers", PLAN_OPT | PLAN_NONEMPTY, &h->tls_ciphers) !=
		0 ||
	    plan_json_get_str(d, o, "source_addresses", PLAN_OPT | PLAN_NONEMPTY,
			      &h->source_addresses) != 0 ||
	    plan_decode_kvs(d, o, "headers", PLAN_OPT, TMPL_ESCAPE_NONE, &h->headers,
			    &h->nheaders) != 0 ||
	    plan_json_get_bool(d, o, "share_connections", &h->share_connections) != 0 ||
	    plan_json_get_u64(d, o, "max_body", PLAN_OPT, 0, (uint64_t)1 << 32, &h->max_body) !=
		0 ||
	    plan_json_get_bool(d, o, "compression", &h->compression) != 0 ||
	    plan_json_get_u32(d, o, "follow_redirects", PLAN_OPT, 0, PLAN_MAX_REDIRECTS,
			      &h->follow_redirects) != 0)
		return -1;
	{
		char *c = NULL;

		if (plan_json_get_str(d, o, "client", PLAN_OPT | PLAN_NONEMPTY, &c) != 0)
			return -1;
		if (c) {
			h->client = plan_client_parse(c);
			if (h->client < 0) {
				plan_json_push_key(d, "client");
				free(c);
				return plan_json_fail(d, "expected \"auto\", \"lean\" or \"curl\"");
			}
			free(c);
		}
	}
	return 0;
}

static int dec_load(struct plan_dec *d, json_t *o, struct plan_load *l)
{
	static const char *const keys[] = {"model",	  "phases",	"max_users",	"users",
					   "duration_us", "ramp_up_us", "request_rate", NULL};
	static const char *const pkeys[] = {
	    "name", "duration_us", "arrival_rate", "ramp_to", "line", "col", NULL};
	json_t *a;
	size_t save, i;
	int m = 0;

	if (plan_json_check_keys(d, o, keys) != 0 ||
	    plan_json_get_enum(d, o, "model", PLAN_REQ, plan_model_names,
			       PLAN_NELEM(plan_model_names), &m) != 0)
		return -1;
	l->model = (enum plan_model)m;
	if (plan_json_get_arr(d, o, "phases",
			      l->model == PLAN_MODEL_OPEN ? PLAN_REQ | PLAN_NONEMPTY : PLAN_OPT, &a,
			      &save) != 0)
		return -1;
	if (a && l->model != PLAN_MODEL_OPEN && json_array_size(a) > 0)
		return plan_json_fail(d, "phases belong to the open model only");
	if (a) {
		l->phases = plan_json_alloc_array(d, json_array_size(a), sizeof(*l->phases));
		if (!l->phases)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *ph = json_array_get(a, i);
			struct plan_phase *pp = &l->phases[i];
			size_t s2 = plan_json_push_idx(d, i);

			l->nphases = i + 1;
			pp->ramp_to = -1;
			if (plan_json_want_obj(d, ph) != 0 ||
			    plan_json_check_keys(d, ph, pkeys) != 0 ||
			    plan_json_get_str(d, ph, "name", PLAN_OPT, &pp->name) != 0 ||
			    plan_json_get_i64(d, ph, "duration_us", PLAN_REQ, 1, INT64_MAX,
					      &pp->duration_us) != 0 ||
			    plan_json_get_dbl(d, ph, "arrival_rate", PLAN_REQ, 0, 1e9,
					      &pp->arrival_rate) != 0 ||
			    plan_json_get_dbl(d, ph, "ramp_to", PLAN_OPT, 0, 1e9, &pp->ramp_to) !=
				0 ||
			    plan_json_get_pos(d, ph, &pp->pos) != 0)
				return -1;
			plan_json_pop(d, s2);
		}
		plan_json_pop(d, save);
	}
	if (plan_json_get_u64(d, o, "max_users", PLAN_OPT, 0, INT64_MAX, &l->max_users) != 0 ||
	    plan_json_get_u64(d, o, "users", PLAN_OPT, 0, INT64_MAX, &l->users) != 0 ||
	    plan_json_get_i64(d, o, "duration_us", PLAN_OPT, 0, INT64_MAX, &l->duration_us) != 0 ||
	    plan_json_get_i64(d, o, "ramp_up_us", PLAN_OPT, 0, INT64_MAX, &l->ramp_up_us) != 0 ||
	    plan_json_get_dbl(d, o, "request_rate", PLAN_OPT, 0, 1e9, &l->request_rate) != 0)
		return -1;
	if (l->model != PLAN_MODEL_OPEN) {
		/* A closed or paced agent may get 0 users as its share, but never a run that
		 * cannot end. */
		if (l->duration_us <= 0) {
			plan_json_push_key(d, "duration_us");
			return plan_json_fail(d, "must be > 0 for the %s model",
					      plan_model_names[m]);
		}
		if (l->ramp_up_us > l->duration_us) {
			plan_json_push_key(d, "ramp_up_us");
			return plan_json_fail(d, "longer than the load's duration");
		}
	}
	return 0;
}

static int dec_data(struct plan_dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {"name",	 "file",       "order", "columns", "rows",
					   "part_index", "part_count", "line",	"col",	   NULL};
	json_t *a;
	size_t save, i, j;

	if (plan_json_get_arr(d, o, "data", PLAN_OPT, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	p->data = plan_json_alloc_array(d, json_array_size(a), sizeof(*p->data));
	if (!p->data)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i), *cols;
		struct plan_data *pd = &p->data[i];
		size_t s2 = plan_json_push_idx(d, i), s3;
		int ord = 0;

		p->ndata = i + 1;
		pd->part_count = 1;
		if (plan_json_want_obj(d, e) != 0 || plan_json_check_keys(d, e, keys) != 0 ||
		    plan_json_get_str(d, e, "name", PLAN_REQ | PLAN_NONEMPTY, &pd->name) != 0 ||
		    plan_json_get_str(d, e, "file", PLAN_REQ | PLAN_NONEMPTY, &pd->file) != 0 ||
		    plan_json_get_enum(d, e, "order", PLAN_OPT, plan_order_names,
				       PLAN_NELEM(plan_order_names), &ord) != 0 ||
		    plan_json_get_arr(d, e, "columns", PLAN_REQ | PLAN_NONEMPTY, &cols, &s3) != 0)
			return -1;
		pd->order = (enum plan_order)ord;
		pd->columns = plan_json_alloc_array(d, json_array_size(cols), sizeof(*pd->columns));
		if (!pd->columns)
			return -1;
		for (j = 0; j < json_array_size(cols); j++) {
			json_t *c = json_array_get(cols, j);
			size_t s4 = plan_json_push_idx(d, j), k;

			if (!json_is_string(c) || json_string_length(c) == 0 ||
			    json_string_length(c) != strlen(json_string_value(c)))
				return plan_json_fail(d, "expected a non-empty column name");
			for (k = 0; k < j; k++)
				if (strcmp(pd->columns[k], json_string_value(c)) == 0)
					return plan_json_fail(d, "duplicate column '%.40s'",
							      json_string_value(c));
			pd->columns[j] = strdup(json_string_value(c));
			if (!pd->columns[j])
				return plan_json_fail(d, "out of memory");
			pd->ncolumns = j + 1;
			plan_json_pop(d, s4);
		}
		plan_json_pop(d, s3);
		if (plan_json_get_u64(d, e, "rows", PLAN_OPT, 0, INT64_MAX, &pd->rows) != 0 ||
		    plan_json_get_u32(d, e, "part_count", PLAN_OPT, 1, UINT32_MAX,
				      &pd->part_count) != 0 ||
		    plan_json_get_u32(d, e, "part_index", PLAN_OPT, 0, pd->part_count - 1,
				      &pd->part_index) != 0 ||
		    plan_json_get_pos(d, e, &pd->pos) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(p->data[j].name, pd->name) == 0) {
				plan_json_push_key(d, "name");
				return plan_json_fail(d, "duplicate data name '%.40s'", pd->name);
			}
		plan_json_pop(d, s2);
	}
	plan_json_pop(d, save);
	return 0;
}

static int dec_sessions(struct plan_dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {"name", "weight", "steps", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, "sessions", PLAN_REQ | PLAN_NONEMPTY, &a, &save) != 0)
		return -1;
	p->sessions = plan_json_alloc_array(d, json_array_size(a), sizeof(*p->sessions));
	if (!p->sessions)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct plan_session *s = &p->sessions[i];
		size_t s2 = plan_json_push_idx(d, i);

		p->nsessions = i + 1;
		s->weight = 1;
		if (plan_json_want_obj(d, e) != 0 || plan_json_check_keys(d, e, keys) != 0 ||
		    plan_json_get_str(d, e, "name", PLAN_REQ | PLAN_NONEMPTY, &s->name) != 0 ||
		    plan_json_get_dbl(d, e, "weight", PLAN_OPT, 0, 1e12, &s->weight) != 0 ||
		    plan_json_get_pos(d, e, &s->pos) != 0 ||
		    plan_decode_steps(d, e, "steps", PLAN_REQ | PLAN_NONEMPTY, &s->steps) != 0)
			return -1;
		if (s->weight <= 0) {
			plan_json_push_key(d, "weight");
			return plan_json_fail(d, "must be > 0");
		}
		plan_json_pop(d, s2);
	}
	plan_json_pop(d, save);
	return 0;
}

static int dec_thresholds(struct plan_dec *d, json_t *o, struct plan *p)
{
	static const char *const keys[] = {
	    "metric", "condition", "abort_on_fail", "delay_us", "line", "col", NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, "thresholds", PLAN_OPT, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
	p->thresholds = plan_json_alloc_array(d, json_array_size(a), sizeof(*p->thresholds));
	if (!p->thresholds)
		return -1;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct plan_threshold *t = &p->thresholds[i];
		size_t s2 = plan_json_push_idx(d, i);

		p->nthresholds = i + 1;
		if (plan_json_want_obj(d, e) != 0 || plan_json_check_keys(d, e, keys) != 0 ||
		    plan_json_get_str(d, e, "metric", PLAN_REQ | PLAN_NONEMPTY, &t->metric) != 0 ||
		    plan_json_get_str(d, e, "condition", PLAN_REQ | PLAN_NONEMPTY, &t->condition) !=
			0 ||
		    plan_json_get_bool(d, e, "abort_on_fail", &t->abort_on_fail) != 0 ||
		    plan_json_get_i64(d, e, "delay_us", PLAN_OPT, 0, INT64_MAX, &t->delay_us) !=
			0 ||
		    plan_json_get_pos(d, e, &t->pos) != 0)
			return -1;
		{
			struct threshold th;
			char *te = NULL;

			/* monitor.HOST.FIGURE.STAT gates are the controller's (reports/monitor.c);
			 * their shape is checked there. */
			if (strncmp(t->metric, "monitor.", 8) != 0 &&
			    threshold_parse(t->metric, t->condition, &th, &te, NULL) != 0) {
				plan_json_fail(d, "%s", te ? te : "bad threshold");
				free(te);
				return -1;
			}
		}
		plan_json_pop(d, s2);
	}
	plan_json_pop(d, save);
	return 0;
}

static int dec_agents(struct plan_dec *d, json_t *o, struct plan_agents *ag)
{
	static const char *const keys[] = {"local",   "hosts",		 "hosts_file", "max_lost",
					   "threads", "link_timeout_us", NULL};
	static const char *const hkeys[] = {"user",   "host", "port", "agents",
					    "weight", "line", "col",  NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_check_keys(d, o, keys) != 0 ||
	    plan_json_get_u32(d, o, "local", PLAN_OPT, 0, 100000, &ag->local) != 0 ||
	    plan_json_get_arr(d, o, "hosts", PLAN_OPT, &a, &save) != 0)
		return -1;
	if (a) {
		ag->hosts = plan_json_alloc_array(d, json_array_size(a), sizeof(*ag->hosts));
		if (!ag->hosts)
			return -1;
		for (i = 0; i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			struct plan_host *h = &ag->hosts[i];
			size_t s2 = plan_json_push_idx(d, i);

			ag->nhosts = i + 1;
			h->port = 22;
			h->agents = 1;
			h->weight = 1;
			if (plan_json_want_obj(d, e) != 0 ||
			    plan_json_check_keys(d, e, hkeys) != 0 ||
			    plan_json_get_str(d, e, "user", PLAN_OPT | PLAN_NONEMPTY, &h->user) !=
				0 ||
			    plan_json_get_str(d, e, "host", PLAN_REQ | PLAN_NONEMPTY, &h->host) !=
				0 ||
			    plan_json_get_int(d, e, "port", PLAN_OPT, 1, 65535, &h->port) != 0 ||
			    plan_json_get_u32(d, e, "agents", PLAN_OPT, 1, 100000, &h->agents) !=
				0 ||
			    plan_json_get_dbl(d, e, "weight", PLAN_OPT, 0, 1e12, &h->weight) != 0 ||
			    plan_json_get_pos(d, e, &h->pos) != 0)
				return -1;
			if (h->weight <= 0) {
				plan_json_push_key(d, "weight");
				return plan_json_fail(d, "must be > 0");
			}
			plan_json_pop(d, s2);
		}
		plan_json_pop(d, save);
	}
	if (plan_json_get_str(d, o, "hosts_file", PLAN_OPT | PLAN_NONEMPTY, &ag->hosts_file) != 0 ||
	    plan_json_get_u32(d, o, "max_lost", PLAN_OPT, 0, UINT32_MAX, &ag->max_lost) != 0 ||
	    plan_json_get_u32(d, o, "threads", PLAN_OPT, 0, 1024, &ag->threads) != 0 ||
	    plan_json_get_i64(d, o, "link_timeout_us", PLAN_OPT, 0, 3600000000LL,
			      &ag->link_timeout_us) != 0)
		return -1;
	return 0;
}

static int dec_share(struct plan_dec *d, json_t *o, struct plan_share *s)
{
	static const char *const keys[] = {"agent_id", "index",	       "count",	    "fraction",
					   "seed",     "user_id_base", "slot_base", NULL};

	if (plan_json_check_keys(d, o, keys) != 0 ||
	    plan_json_get_str(d, o, "agent_id", PLAN_OPT | PLAN_NONEMPTY, &s->agent_id) != 0 ||
	    plan_json_get_u32(d, o, "count", PLAN_OPT, 1, UINT32_MAX, &s->count) != 0 ||
	    plan_json_get_u32(d, o, "index", PLAN_OPT, 0, s->count - 1, &s->index) != 0 ||
	    plan_json_get_dbl(d, o, "fraction", PLAN_OPT, 0, 1, &s->fraction) != 0 ||
	    plan_json_get_u64_str(d, o, "seed", &s->seed) != 0 ||
	    plan_json_get_u64_str(d, o, "user_id_base", &s->user_id_base) != 0 ||
	    plan_json_get_u64_str(d, o, "slot_base", &s->slot_base) != 0)
		return -1;
	return 0;
}

static int dec_plan(struct plan_dec *d, json_t *root, struct plan *p)
{
	static const char *const keys[] = {"version",  "name",	     "source", "target",
					   "http",     "load",	     "data",   "variables",
					   "sessions", "thresholds", "agents", "interval_us",
					   "grace_us", "share",	     NULL};
	json_t *o;
	size_t save;

	if (plan_json_want_obj(d, root) != 0 || plan_json_check_keys(d, root, keys) != 0 ||
	    plan_json_get_int(d, root, "version", PLAN_REQ, 0, INT_MAX, &p->version) != 0)
		return -1;
	if (p->version != BARRAGE_PLAN_VERSION) {
		plan_json_push_key(d, "version");
		return plan_json_fail(d, "plan version %d, this build speaks %d", p->version,
				      BARRAGE_PLAN_VERSION);
	}
	if (plan_json_get_str(d, root, "name", PLAN_OPT, &p->name) != 0 ||
	    plan_json_get_str(d, root, "source", PLAN_OPT, &p->source) != 0 ||
	    plan_json_get_str(d, root, "target", PLAN_OPT | PLAN_NONEMPTY, &p->target) != 0)
		return -1;
	d->has_target = p->target != NULL;

	if (plan_json_get_obj(d, root, "http", PLAN_OPT, &o, &save) != 0 ||
	    (o && dec_http(d, o, &p->http) != 0))
		return -1;
	plan_json_pop(d, save);
	if (plan_json_get_obj(d, root, "load", PLAN_REQ, &o, &save) != 0 ||
	    dec_load(d, o, &p->load) != 0)
		return -1;
	plan_json_pop(d, save);
	if (dec_data(d, root, p) != 0 ||
	    plan_decode_kvs(d, root, "variables", PLAN_OPT, TMPL_ESCAPE_NONE, &p->variables,
			    &p->nvariables) != 0 ||
	    dec_sessions(d, root, p) != 0 || dec_thresholds(d, root, p) != 0)
		return -1;
	if (plan_json_get_obj(d, root, "agents", PLAN_OPT, &o, &save) != 0 ||
	    (o && dec_agents(d, o, &p->agents) != 0))
		return -1;
	plan_json_pop(d, save);
	if (plan_json_get_i64(d, root, "interval_us", PLAN_OPT, 1000, INT64_MAX, &p->interval_us) !=
		0 ||
	    plan_json_get_i64(d, root, "grace_us", PLAN_OPT, 0, INT64_MAX, &p->grace_us) != 0)
		return -1;
	if (plan_json_get_obj(d, root, "share", PLAN_OPT, &o, &save) != 0 ||
	    (o && dec_share(d, o, &p->share) != 0))
		return -1;
	plan_json_pop(d, save);
	return 0;
}

int plan_decode(const char *json, size_t len, struct plan **out, char **err)
{
	struct plan_dec d = {.err = err};
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
