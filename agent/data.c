/* Data files: the CSV rows a plan's `data:` entries name, loaded once before the load starts.
 *
 * Only this agent's slice is kept (rows r with r % part_count == part_index; the controller
 * makes slices disjoint for `order: unique`). Each user takes one row per data file when it
 * starts: `sequential` walks the slice in order (wrapping around), `unique` does the same over
 * the agent's exclusive slice (a row is reused only after every other row was used, and is
 * never used by another agent), `random` draws one. The counter is an atomic shared by the
 * worker threads: one increment per user start, not per request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "common/err.h"

#define DATA_MAX_FILE ((size_t)1 << 30)

struct csv_state {
	struct buf text;        /* cells, NUL-terminated */
	size_t *offs, *lens;
	size_t n, cap;
};

static int push_cell(struct csv_state *c, size_t off, size_t len)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		size_t *o = realloc(c->offs, nc * sizeof(*o));

		if (!o)
			return -1;
		c->offs = o;
		o = realloc(c->lens, nc * sizeof(*o));
		if (!o)
			return -1;
		c->lens = o;
		c->cap = nc;
	}
	c->offs[c->n] = off;
	c->lens[c->n++] = len;
	return 0;
}

/* Parse the file's rows (the header included) and keep the slice. */
static int load_one(struct dataset *d, const struct plan_data *pd, const char *source, char **err)
{
	FILE *f = fopen(pd->file, "rb");
	struct buf raw;
	struct csv_state c = {0};
	char chunk[65536];
	size_t n, i = 0, line = 1, row = 0, ncols = pd->ncolumns;
	int rc = -1;

	buf_init(&raw, DATA_MAX_FILE);
	buf_init(&c.text, DATA_MAX_FILE);
	if (!f)
		return err_set(err, "%s:%d:%d: data '%s': cannot open %s: %s", source, pd->pos.line,
			       pd->pos.col, pd->name, pd->file, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&raw, chunk, n) < 0) {
			err_set(err, "data '%s': %s is larger than 1 GiB", pd->name, pd->file);
			goto out;
		}
	if (ferror(f)) {
		err_set(err, "data '%s': reading %s: %s", pd->name, pd->file, strerror(errno));
		goto out;
	}
	while (i < raw.len) {
		size_t cells = 0, first = c.n;
		bool keep;

		/* One record. */
		for (;;) {
			size_t off = c.text.len;

			if (i < raw.len && raw.data[i] == '"') {
				i++;
				for (;;) {
					if (i >= raw.len) {
						err_set(err, "%s:%zu: unterminated quoted field",
							pd->file, line);
						goto out;
					}
					if (raw.data[i] == '"') {
						if (i + 1 < raw.len && raw.data[i + 1] == '"') {
							buf_append_byte(&c.text, '"');
							i += 2;
							continue;
						}
						i++;
						break;
					}
					if (raw.data[i] == '\n')
						line++;
					buf_append_byte(&c.text, (uint8_t)raw.data[i++]);
				}
			} else {
				size_t s = i;

				while (i < raw.len && raw.data[i] != ',' && raw.data[i] != '\n' &&
				       raw.data[i] != '\r')
					i++;
				buf_append(&c.text, raw.data + s, i - s);
			}
			if (push_cell(&c, off, c.text.len - off) < 0 ||
			    buf_append_byte(&c.text, 0) < 0) {
				err_set(err, "data '%s': out of memory", pd->name);
				goto out;
			}
			cells++;
			if (i < raw.len && raw.data[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		if (i < raw.len && raw.data[i] == '\r')
			i++;
		if (i < raw.len && raw.data[i] == '\n')
			i++;
		if (cells == 1 && c.lens[first] == 0) {
			/* A blank line (usually the last one). */
			c.n = first;
			line++;
			continue;
		}
		if (ncols == 0)
			ncols = cells;
		if (cells != ncols) {
			err_set(err, "%s:%zu: %zu fields where the header has %zu", pd->file, line,
				cells, ncols);
			goto out;
		}
		/* Row 0 is the header; data rows count from 1. */
		keep = row > 0 && ((row - 1) % (pd->part_count ? pd->part_count : 1)) ==
					  pd->part_index;
		if (!keep)
			c.n = first;
		row++;
		line++;
	}
	d->ncols = ncols;
	d->nrows = ncols ? c.n / ncols : 0;
	if (d->nrows == 0) {
		err_set(err, "%s:%d:%d: data '%s': %s has no rows for this agent", source,
			pd->pos.line, pd->pos.col, pd->name, pd->file);
		goto out;
	}
	d->cells = malloc(c.n * sizeof(*d->cells));
	if (!d->cells) {
		err_set(err, "data '%s': out of memory", pd->name);
		goto out;
	}
	d->text = buf_steal(&c.text);
	for (size_t k = 0; k < c.n; k++)
		d->cells[k] = d->text + c.offs[k];
	d->lens = c.lens;
	c.lens = NULL;
	rc = 0;
out:
	fclose(f);
	buf_free(&raw);
	buf_free(&c.text);
	free(c.offs);
	free(c.lens);
	return rc;
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
		if (load_one(&g->data[i], &p->data[i], p->source ? p->source : "plan", err) < 0)
			return -1;
	}
	return 0;
}

void data_free(struct prog *g)
{
	for (size_t i = 0; i < g->ndata; i++) {
		free(g->data[i].text);
		free(g->data[i].cells);
		free(g->data[i].lens);
	}
	free(g->data);
	g->data = NULL;
	g->ndata = 0;
}

size_t data_pick(struct dataset *d, uint64_t *rng)
{
	if (d->src->order == PLAN_ORDER_RANDOM)
		return (size_t)(sched_rand(rng) % d->nrows);
	return (size_t)(atomic_fetch_add(&d->next, 1) % d->nrows);
}
