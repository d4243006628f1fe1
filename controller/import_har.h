/* The two halves of `barrage import har` share this: import_har.c reads the archive (which
 * entries are kept, in what order, the target, pages and think times, the notes) and
 * import_har_steps.c turns one entry into a request step, correlating the values it sends with
 * the responses that made them. Private to those two files. */
#ifndef BARRAGE_CONTROLLER_IMPORT_HAR_H
#define BARRAGE_CONTROLLER_IMPORT_HAR_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "controller/import.h"
#include "controller/import_correlate.h"

struct ent {
	json_t *e; /* borrowed from the document */
	int64_t start_ms;
	double time_ms;
	size_t order;
	const char *url, *method, *origin, *pageref;
	int status;
	/* after correlation */
	struct imp_step *st;
};

struct har {
	struct imp_doc *d;
	const struct import_opts *o;
	const char *path;
	FILE *report;
	struct ent *ents;
	size_t n;
	struct corr_index idx;
	size_t correlated, dynamic;
	size_t dropped_static, dropped_cancelled, dropped_scheme, dropped_host;
	struct imp_strs varnames;
};

/* The string at o.key, or NULL when absent or not a string. */
const char *har_jstr(const json_t *o, const char *key);
/* Index every kept entry's response, then mark for each value the first request that sent
 * it: a value the client sent before any response held it is not correlated. */
void har_index(struct har *h);
/* Entry i (in kept order) as a request step, with its correlations; entries before i have
 * their steps already. */
struct imp_step *har_request_step(struct har *h, size_t i);

#endif
