/* Data files (data.c): the CSV rows of a plan's `data:` entries, loaded once, and the row each
 * new user takes. */
#ifndef BARRAGE_AGENT_DATA_H
#define BARRAGE_AGENT_DATA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct csv;
struct plan_data;
struct prog;

/* A data file loaded into memory: rows of this agent's slice, each an array of columns. */
struct dataset {
	const struct plan_data *src;
	struct csv *csv;
	long *colmap; /* plan column i -> CSV column */
	size_t nrows;
	atomic_uint_fast64_t next;    /* sequential and unique orders: this agent's users so far */
	uint64_t seq_first, seq_step; /* sequential: this agent's k-th user takes row
				       * (seq_first + k * seq_step) mod nrows (data.c) */
};

/* Load every data file of g's plan into g->data. */
int data_load(struct prog *g, char **err);
void data_free(struct prog *g);
/* The row for a new user (by the dataset's order), or DATA_EXHAUSTED when an `order: unique`
 * slice has no unused row. */
#define DATA_EXHAUSTED ((size_t)-1)
size_t data_pick(struct dataset *d, uint64_t *rng);

#endif
