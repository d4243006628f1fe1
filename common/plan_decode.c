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
#include "common/plan_schema.h"
#include "common/plan_validate.h"
#include "common/threshold.h"
#include "common/tmpl.h"
#include "common/version.h"

/* The plan's cross-field rules of a section (common/plan_validate.c), reported at the key. */
static int dec_rules(struct plan_dec *d, const struct plan *p, const char *section)
{
	struct plan_problem pb;

	if (plan_validate(p, section, &pb) == 0)
		return 0;
	plan_json_push_key(d, pb.json_key);
	return plan_json_fail(d, "%s", pb.wire);
}

static int dec_http_version(struct plan_dec *d, json_t *o, struct plan *p)
{
	if (plan_json_get_int(d, o, "version", PLAN_OPT, 0, 100, &p->http.version) != 0)
		return -1;
	return dec_rules(d, p, "http");
}

static int dec_http_client(struct plan_dec *d, json_t *o, struct plan_http *h)
{
	char *c = NULL;

	if (plan_json_get_str(d, o, "client", PLAN_OPT | PLAN_NONEMPTY, &c) != 0)
		return -1;
	if (c) {
		h->client = plan_client_parse(c);
		free(c);
		if (h->client < 0) {
			plan_json_push_key(d, "client");
			return plan_json_fail(d, "expected \"auto\", \"lean\" or \"curl\"");
		}
	}
	return 0;
}

static int dec_load(struct plan_dec *d, json_t *o, struct plan *p)
{
	struct plan_load *l = &p->load;
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
	return dec_rules(d, p, "load");
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

static int dec_hosts(struct plan_dec *d, json_t *o, struct plan_agents *ag)
{
	static const char *const hkeys[] = {"user",   "host", "port", "agents",
					    "weight", "line", "col",  NULL};
	json_t *a;
	size_t save, i;

	if (plan_json_get_arr(d, o, "hosts", PLAN_OPT, &a, &save) != 0)
		return -1;
	if (!a)
		return 0;
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
		if (plan_json_want_obj(d, e) != 0 || plan_json_check_keys(d, e, hkeys) != 0 ||
		    plan_json_get_str(d, e, "user", PLAN_OPT | PLAN_NONEMPTY, &h->user) != 0 ||
		    plan_json_get_str(d, e, "host", PLAN_REQ | PLAN_NONEMPTY, &h->host) != 0 ||
		    plan_json_get_int(d, e, "port", PLAN_OPT, 1, 65535, &h->port) != 0 ||
		    plan_json_get_u32(d, e, "agents", PLAN_OPT, 1, 100000, &h->agents) != 0 ||
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

/* The compound keys of the plan's objects, in the order of the schema's rows
 * (common/plan_schema.c); plain fields are read by plan_fields_decode. */
static int dec_hook(struct plan_dec *d, json_t *o, const char *obj, const char *key,
		    struct plan *p);

/* The object at key, decoded with its rows; REQ: it must be there. */
static int dec_object(struct plan_dec *d, json_t *root, const char *key, int flags, struct plan *p)
{
	json_t *o;
	size_t save;

	if (plan_json_get_obj(d, root, key, flags, &o, &save) != 0)
		return -1;
	if (!o)
		return 0;
	if (strcmp(key, "load") == 0	? dec_load(d, o, p) != 0
	    : strcmp(key, "share") == 0 ? dec_share(d, o, &p->share) != 0
					: plan_fields_decode(d, o, key, p, dec_hook) != 0)
		return -1;
	plan_json_pop(d, save);
	return 0;
}

static int dec_version(struct plan_dec *d, json_t *root, struct plan *p)
{
	if (plan_json_get_int(d, root, "version", PLAN_REQ, 0, INT_MAX, &p->version) != 0)
		return -1;
	if (p->version != BARRAGE_PLAN_VERSION) {
		plan_json_push_key(d, "version");
		return plan_json_fail(d, "plan version %d, this build speaks %d", p->version,
				      BARRAGE_PLAN_VERSION);
	}
	return 0;
}

static int dec_hook(struct plan_dec *d, json_t *o, const char *obj, const char *key, struct plan *p)
{
	if (strcmp(obj, "http") == 0) {
		if (strcmp(key, "version") == 0)
			return dec_http_version(d, o, p);
		if (strcmp(key, "client") == 0)
			return dec_http_client(d, o, &p->http);
		return plan_decode_kvs(d, o, "headers", PLAN_OPT, TMPL_ESCAPE_NONE,
				       &p->http.headers, &p->http.nheaders);
	}
	if (strcmp(obj, "agents") == 0)
		return dec_hosts(d, o, &p->agents);
	if (strcmp(key, "version") == 0)
		return dec_version(d, o, p);
	if (strcmp(key, "load") == 0)
		return dec_object(d, o, key, PLAN_REQ, p);
	if (strcmp(key, "data") == 0)
		return dec_data(d, o, p);
	if (strcmp(key, "variables") == 0)
		return plan_decode_kvs(d, o, "variables", PLAN_OPT, TMPL_ESCAPE_NONE, &p->variables,
				       &p->nvariables);
	if (strcmp(key, "sessions") == 0) {
		d->has_target = p->target != NULL;
		return dec_sessions(d, o, p);
	}
	if (strcmp(key, "thresholds") == 0)
		return dec_thresholds(d, o, p);
	return dec_object(d, o, key, PLAN_OPT, p); /* http, agents, share */
}

static int dec_plan(struct plan_dec *d, json_t *root, struct plan *p)
{
	if (plan_json_want_obj(d, root) != 0)
		return -1;
	return plan_fields_decode(d, root, "", p, dec_hook);
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
