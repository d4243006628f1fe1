/* Freeing and deep-copying a plan (plan_free, plan_steps_free, plan_monitor_free and
 * plan_clone, declared in plan.h). The schema's string fields (common/plan_schema.c) are
 * freed and copied from the table; the compound parts by hand. */
#include "common/plan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan_schema.h"

/* ---- freeing ---- */

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
	plan_fields_free(p); /* the schema's strings: name, target, TLS files, hosts_file... */
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
	ok = plan_fields_clone(p, src); /* the schema's strings */
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
	p->share.agent_id = dup_str(src->share.agent_id, &ok);
	if (!ok) {
		plan_free(p);
		return NULL;
	}
	return p;
}
