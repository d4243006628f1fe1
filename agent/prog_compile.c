/* The plan compiled for the workers (prog.h): the variables, the sessions and their step
 * trees (requests are compiled by prog_request.c), the session weights, the HTTP choices made
 * once for the whole load (which client, source addresses), and the data files (data.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/data.h"
#include "agent/metrics.h"
#include "agent/prog.h"
#include "agent/prog_request.h"
#include "common/err.h"

static int compile_steps(struct prog *g, const struct plan_steps *in, struct cstep **out, size_t *n,
			 size_t depth, char **err);

static int compile_cond(struct prog *g, const struct plan_step *st, struct expr **out, char **err)
{
	char *e = NULL;
	size_t col = 0;

	if (!st->cond)
		return prog_where(g, st->pos, err, "step", "needs", "a condition");
	if (expr_compile(st->cond, strlen(st->cond), out, &e, &col) < 0) {
		prog_where(g, st->pos, err, "in", "condition", e);
		free(e);
		return -1;
	}
	return 0;
}

/* Assignments "name: template" (a set step's, or plan.variables) into *out, *nout. */
static int compile_sets(struct prog *g, const struct plan_kv *in, size_t n, const char *what,
			struct cset **out, size_t *nout, char **err)
{
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cset *c = &(*out)[i];

		c->sym = prog_sym_add(g, in[i].name, SYM_VAR, -1, -1);
		if (c->sym < 0)
			return err_set(err, "out of memory");
		(*nout)++;
		if (prog_tmpl(g, in[i].value, TMPL_ESCAPE_NONE, in[i].pos, what, &c->value, err) <
		    0)
			return -1;
	}
	return 0;
}

static int compile_step(struct prog *g, const struct plan_step *st, struct cstep *c, size_t depth,
			char **err)
{
	c->src = st;
	c->kind = st->kind;
	c->hist = -1;
	c->list_sym = c->item_sym = -1;
	c->abort_ctr = C_ERR_ABORT;
	switch (st->kind) {
	case PLAN_STEP_REQUEST:
		c->req = calloc(1, sizeof(*c->req));
		if (!c->req)
			return err_set(err, "out of memory");
		return prog_request_compile(g, st, c->req, err);
	case PLAN_STEP_THINK:
	case PLAN_STEP_REPEAT:
		break;
	case PLAN_STEP_TRANSACTION:
		c->hist = prog_stat_index(g, true, "tr_", st->name ? st->name : "unnamed", st->pos,
					  "transaction name", err);
		if (c->hist < 0)
			return -1;
		break;
	case PLAN_STEP_IF:
	case PLAN_STEP_WHILE:
		if (compile_cond(g, st, &c->cond, err) < 0)
			return -1;
		break;
	case PLAN_STEP_FOREACH:
		if (!st->list_var)
			return prog_where(g, st->pos, err, "foreach", "needs", "a list variable");
		c->list_sym = prog_sym_add(g, st->list_var, SYM_VAR, -1, -1);
		c->item_sym =
		    prog_sym_add(g, st->item_var ? st->item_var : "item", SYM_VAR, -1, -1);
		if (c->list_sym < 0 || c->item_sym < 0)
			return err_set(err, "out of memory");
		break;
	case PLAN_STEP_SET:
		if (compile_sets(g, st->set, st->nset, "set", &c->set, &c->nset, err) < 0)
			return -1;
		break;
	case PLAN_STEP_ABORT:
		if (st->reason && *st->reason) {
			c->abort_ctr = prog_stat_index(g, false, "error_abort_", st->reason,
						       st->pos, "abort reason", err);
			if (c->abort_ctr < 0)
				return -1;
		}
		break;
	default:
		return prog_where(g, st->pos, err, "unknown", "step kind", "");
	}
	if (st->kind == PLAN_STEP_TRANSACTION || st->kind == PLAN_STEP_IF ||
	    st->kind == PLAN_STEP_REPEAT || st->kind == PLAN_STEP_WHILE ||
	    st->kind == PLAN_STEP_FOREACH) {
		if (compile_steps(g, &st->body, &c->body, &c->nbody, depth + 1, err) < 0)
			return -1;
	}
	if (st->kind == PLAN_STEP_IF &&
	    compile_steps(g, &st->else_body, &c->else_body, &c->nelse, depth + 1, err) < 0)
		return -1;
	return 0;
}

static int compile_steps(struct prog *g, const struct plan_steps *in, struct cstep **out, size_t *n,
			 size_t depth, char **err)
{
	if (depth > 64)
		return err_set(err, "steps nested more than 64 deep");
	if (depth + 1 > g->max_depth)
		g->max_depth = depth + 1;
	*n = 0;
	*out = calloc(in->n ? in->n : 1, sizeof(**out));
	if (!*out)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < in->n; i++) {
		if (compile_step(g, &in->v[i], &(*out)[i], depth, err) < 0) {
			*n = i + 1;
			return -1;
		}
		*n = i + 1;
	}
	return 0;
}

/* http.source_addresses: "a,b,..." into g->src_addrs (port 0). */
static int source_addresses(struct prog *g, const char *s, char **err)
{
	const struct plan *p = g->plan;
	size_t n = 1;

	for (const char *c = s; *c; c++)
		n += *c == ',';
	g->src_addrs = calloc(n, sizeof(*g->src_addrs));
	if (!g->src_addrs)
		return err_set(err, "out of memory");
	while (*s) {
		char ip[64];
		size_t l = strcspn(s, ",");
		struct sockaddr_in *a4 = (struct sockaddr_in *)&g->src_addrs[g->nsrc_addrs];
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&g->src_addrs[g->nsrc_addrs];

		snprintf(ip, sizeof(ip), "%.*s", (int)(l < sizeof(ip) ? l : sizeof(ip) - 1), s);
		if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1)
			a4->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1)
			a6->sin6_family = AF_INET6;
		else
			return err_set(err, "%s: http.source_addresses: '%s' is not an IP address",
				       p->source ? p->source : "plan", ip);
		g->nsrc_addrs++;
		s += l;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* The data files' columns (as symbols "name.column") and plan.variables. */
static int compile_variables(struct prog *g, char **err)
{
	const struct plan *p = g->plan;

	for (size_t d = 0; d < p->ndata; d++)
		for (size_t c = 0; c < p->data[d].ncolumns; c++) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s.%s", p->data[d].name, p->data[d].columns[c]);
			if (prog_sym_add(g, tmp, SYM_DATA, (int)d, (int)c) < 0)
				return err_set(err, "out of memory");
		}
	return compile_sets(g, p->variables, p->nvariables, "variable", &g->globals, &g->nglobals,
			    err);
}

/* The sessions' step trees and their cumulative weights (all zero or unset: equal shares). */
static int compile_sessions(struct prog *g, char **err)
{
	const struct plan *p = g->plan;

	if (p->nsessions == 0)
		return err_set(err, "%s: the plan has no sessions", p->source ? p->source : "plan");
	g->sessions = calloc(p->nsessions, sizeof(*g->sessions));
	if (!g->sessions)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < p->nsessions; i++) {
		struct csession *s = &g->sessions[i];

		s->src = &p->sessions[i];
		g->nsessions++;
		if (compile_steps(g, &p->sessions[i].steps, &s->steps, &s->nsteps, 0, err) < 0)
			return -1;
		g->total_weight += p->sessions[i].weight > 0 ? p->sessions[i].weight : 0;
		s->cum_weight = g->total_weight;
	}
	if (g->total_weight <= 0) {
		for (size_t i = 0; i < g->nsessions; i++)
			g->sessions[i].cum_weight = (double)(i + 1);
		g->total_weight = (double)g->nsessions;
	}
	if (g->max_depth == 0)
		g->max_depth = 1;
	return 0;
}

int prog_compile(const struct plan *p, struct prog **out, char **err)
{
	struct prog *g = calloc(1, sizeof(*g));
	size_t tl;

	*out = NULL;
	if (!g)
		return err_set(err, "out of memory");
	g->plan = p;
	if (!p->target || !prog_url_is_absolute(p->target)) {
		err_set(err, "%s: target must be an http:// or https:// URL, not '%s'",
			p->source ? p->source : "plan", p->target ? p->target : "");
		goto fail;
	}
	g->target = strdup(p->target);
	if (!g->target || prog_fixed_names(g) < 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	tl = strlen(g->target);
	while (tl > 8 && g->target[tl - 1] == '/')
		g->target[--tl] = '\0';
	g->https = strncmp(g->target, "https://", 8) == 0;
	if (compile_variables(g, err) < 0 || compile_sessions(g, err) < 0)
		goto fail;
	if (p->http.source_addresses && source_addresses(g, p->http.source_addresses, err) < 0)
		goto fail;
	/* http.client: auto takes the lean client where it covers the plan. */
	switch (p->http.client) {
	case PLAN_CLIENT_LEAN:
		g->lean = true;
		break;
	case PLAN_CLIENT_AUTO:
		g->lean = !g->https && !g->https_urls && p->http.version == 11 &&
			  !p->http.share_connections;
		break;
	default:
		g->lean = false;
	}
	if (prog_build_sym_hash(g) < 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	if (data_load(g, err) < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	prog_free(g);
	return -1;
}

static void free_steps(struct cstep *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		prog_request_free(s[i].req);
		expr_free(s[i].cond);
		free_steps(s[i].body, s[i].nbody);
		free_steps(s[i].else_body, s[i].nelse);
		for (size_t j = 0; j < s[i].nset; j++)
			tmpl_free(s[i].set[j].value);
		free(s[i].set);
	}
	free(s);
}

void prog_free(struct prog *g)
{
	if (!g)
		return;
	free(g->src_addrs);
	data_free(g);
	for (size_t i = 0; i < g->nsessions; i++)
		free_steps(g->sessions[i].steps, g->sessions[i].nsteps);
	free(g->sessions);
	for (size_t i = 0; i < g->nglobals; i++)
		tmpl_free(g->globals[i].value);
	free(g->globals);
	for (size_t i = 0; i < g->nsyms; i++)
		free(g->syms[i].name);
	free(g->syms);
	free(g->sym_hash);
	for (size_t i = 0; i < g->nhists; i++)
		free(g->hist_names[i]);
	free(g->hist_names);
	for (size_t i = 0; i < g->nctrs; i++)
		free(g->ctr_names[i]);
	free(g->ctr_names);
	free(g->target);
	free(g);
}
