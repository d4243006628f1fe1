/* A user's state (user.h): its construction with the buffers it renders into, its variables
 * (values and lists), and the expression environment templates and conditions read them
 * through (variables by symbol, data-file columns from the user's row). */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent/data.h"
#include "agent/prog.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "common/clock.h"
#include "common/csv.h"

/* ---- variables ---- */

void user_var_clear(struct uvar *v)
{
	v->set = false;
	v->nitems = 0;
	buf_reset(&v->val);
}

void user_var_set(struct uvar *v, const char *s, size_t len)
{
	user_var_clear(v);
	if (buf_append(&v->val, s, len) == 0)
		v->set = true;
}

void user_var_add(struct uvar *v, const char *s, size_t len)
{
	size_t at = v->val.len;

	if (v->nitems == v->items_cap) {
		size_t nc = v->items_cap ? v->items_cap * 2 : 8;
		uint32_t *it = realloc(v->items, nc * 2 * sizeof(*it));

		if (!it)
			return;
		v->items = it;
		v->items_cap = nc;
	}
	if (buf_append(&v->val, s, len) < 0)
		return;
	v->items[2 * v->nitems] = (uint32_t)at;
	v->items[2 * v->nitems + 1] = (uint32_t)len;
	v->nitems++;
	v->set = true;
}

int user_expr_lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		     size_t *count)
{
	struct user *u = ctx;
	const struct prog *g = u->w->prog;
	int s = prog_sym_find(g, name, len);
	const struct uvar *v;

	if (s < 0)
		return -1;
	if (g->syms[s].kind == SYM_DATA) {
		const struct dataset *d = &g->data[g->syms[s].data];

		*val = csv_cell(d->csv, u->rows[g->syms[s].data],
				(size_t)d->colmap[g->syms[s].column], vlen);
		if (count)
			*count = 1;
		return 0;
	}
	v = &u->vars[s];
	if (!v->set)
		return -1;
	if (v->nitems) {
		*val = v->val.data + v->items[0];
		*vlen = v->items[1];
		if (count)
			*count = v->nitems;
		return 0;
	}
	*val = v->val.data ? v->val.data : "";
	*vlen = v->val.len;
	if (count)
		*count = 1;
	return 0;
}

void user_env(struct user *u, struct expr_env *env)
{
	env->lookup = user_expr_lookup;
	env->ctx = u;
	env->rng = &u->w->rng;
	env->user_id = u->user_id;
	env->now_ms = clock_wall_ms();
}

struct user *user_new(struct worker *w, event_callback_fn on_timer)
{
	const struct prog *g = w->prog;
	struct user *u = calloc(1, sizeof(*u));
	char *err = NULL;

	if (!u)
		return NULL;
	u->w = w;
	u->stack = calloc(g->max_depth + 1, sizeof(*u->stack));
	u->vars = calloc(g->nsyms ? g->nsyms : 1, sizeof(*u->vars));
	u->rows = calloc(g->ndata ? g->ndata : 1, sizeof(*u->rows));
	u->timer = evtimer_new(w->base, on_timer, u);
	if (!u->stack || !u->vars || !u->rows || !u->timer)
		goto fail;
	for (size_t i = 0; i < g->nsyms; i++)
		buf_init(&u->vars[i].val, (size_t)1 << 24);
	buf_init(&u->url, 1 << 16);
	buf_init(&u->hdrs, 1 << 20);
	buf_init(&u->body, (size_t)64 << 20);
	buf_init(&u->resp, g->plan->http.max_body ? g->plan->http.max_body : (1 << 20));
	buf_init(&u->scratch, 1 << 20);
	buf_init(&u->tmp, (size_t)64 << 20);
	if (w->tp->user_init(u, &err) < 0) {
		free(err);
		goto fail;
	}
	return u;
fail:
	user_free(u);
	return NULL;
}

void user_free(struct user *u)
{
	if (!u)
		return;
	u->w->tp->user_free(u);
	if (u->timer)
		event_free(u->timer);
	if (u->vars)
		for (size_t i = 0; i < u->w->prog->nsyms; i++) {
			buf_free(&u->vars[i].val);
			free(u->vars[i].items);
		}
	free(u->vars);
	free(u->stack);
	free(u->rows);
	free(u->hdr_nodes);
	buf_free(&u->url);
	buf_free(&u->hdrs);
	buf_free(&u->body);
	buf_free(&u->resp);
	buf_free(&u->scratch);
	buf_free(&u->tmp);
	free(u);
}
