/* Data files: the CSV rows a plan's `data:` entries name, loaded once before the load starts
 * (common/csv.h does the parsing and keeps only this agent's slice).
 *
 * Each user takes one row per data file when it starts: `sequential` walks the file in one order
 * across the fleet — agent i of n takes rows i, i+n, i+2n, ... (wrapping around), so two
 * agents never start on the same row and, with agents at the same pace, rows are used in file
 * order — `unique` walks the agent's exclusive slice once (the controller gives
 * every agent disjoint rows) and then refuses further users — counted as dropped_users and
 * error_data_exhausted — because reusing an account is what `unique` promises not to do;
 * `random` draws one. The counter is an atomic shared by the worker threads: one
 * increment per user start, never per request. */
#include <stdlib.h>
#include <string.h>

#include "agent/data.h"
#include "agent/prog.h"
#include "agent/scheduler.h"
#include "common/csv.h"
#include "common/err.h"

static int load_one(struct dataset *d, const struct plan_data *pd, const char *source, char **err)
{
	size_t ncols;

	if (csv_load_part(pd->file, pd->part_index, pd->part_count ? pd->part_count : 1, &d->csv,
			  err) < 0)
		return err_prefix(err, "%s:%d:%d: data '%s'", source, pd->pos.line, pd->pos.col,
				  pd->name);
	d->nrows = csv_nrows(d->csv);
	if (d->nrows == 0)
		return err_set(err, "%s:%d:%d: data '%s': %s has no rows for this agent", source,
			       pd->pos.line, pd->pos.col, pd->name, pd->file);
	ncols = pd->ncolumns;
	d->colmap = calloc(ncols ? ncols : 1, sizeof(*d->colmap));
	if (!d->colmap)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < ncols; i++) {
		d->colmap[i] = csv_column_index(d->csv, pd->columns[i], strlen(pd->columns[i]));
		if (d->colmap[i] < 0)
			return err_set(err, "%s:%d:%d: data '%s': %s has no column '%s'", source,
				       pd->pos.line, pd->pos.col, pd->name, pd->file,
				       pd->columns[i]);
	}
	return 0;
}

int data_load(struct prog *g, char **err)
{
	const struct plan *p = g->plan;

	if (p->ndata == 0)
		return 0;
	g->data = calloc(p->ndata, sizeof(*g->data));
	if (!g->data)
		return err_set(err, "out of memory");
	g->ndata = p->ndata;
	for (size_t i = 0; i < p->ndata; i++) {
		g->data[i].src = &p->data[i];
		atomic_init(&g->data[i].next, 0);
		/* sequential: one order across the fleet, agent i of n taking rows i, i+n, ... */
		g->data[i].seq_first = p->share.count > 1 ? p->share.index : 0;
		g->data[i].seq_step = p->share.count > 1 ? p->share.count : 1;
		if (load_one(&g->data[i], &p->data[i], p->source ? p->source : "plan", err) < 0)
			return -1;
	}
	return 0;
}

void data_free(struct prog *g)
{
	for (size_t i = 0; i < g->ndata; i++) {
		csv_free(g->data[i].csv);
		free(g->data[i].colmap);
	}
	free(g->data);
	g->data = NULL;
	g->ndata = 0;
}

size_t data_pick(struct dataset *d, uint64_t *rng)
{
	uint64_t n;

	if (d->src->order == PLAN_ORDER_RANDOM)
		return (size_t)(sched_rand(rng) % d->nrows);
	if (d->src->order == PLAN_ORDER_UNIQUE) {
		n = atomic_fetch_add(&d->next, 1);
		return n < d->nrows ? (size_t)n : DATA_EXHAUSTED;
	}
	n = atomic_fetch_add(&d->next, 1);
	/* Modulo the row count first: (first + n * step) must not overflow on a long run. */
	return (size_t)(((d->seq_first % d->nrows) + (n % d->nrows) * (d->seq_step % d->nrows)) %
			d->nrows);
}
