/* `barrage import har|tsung`: turn what people already have (a browser's HTTP Archive, a Tsung
 * configuration) into a Barrage scenario. cli_import.c is the command line; import_har.c and
 * import_tsung.c build an imp_doc (import_model.h) that import_model.c writes as YAML.
 * docs/import.md is the reference. */
#ifndef BARRAGE_CONTROLLER_IMPORT_H
#define BARRAGE_CONTROLLER_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/import_model.h"

struct import_opts {
	bool keep_static;     /* HAR: keep images, fonts, css, js */
	bool keep_user_agent; /* HAR: keep the browser's User-Agent */
	double think_min_s;   /* HAR: gaps shorter than this are not think times */
	const char **include_hosts, **exclude_hosts;
	size_t ninclude, nexclude;
	size_t max_har_bytes; /* HAR: refuse larger files (bounded memory) */
};

/* Each importer reads FILE, fills d, and writes what a person should know (what was correlated,
 * what was not mapped) to `report`, one line each. On error returns -1 with *err
 * ("FILE:LINE:COL: what"). */
int import_har(const char *path, const struct import_opts *o, struct imp_doc *d, FILE *report,
	       char **err);
int import_tsung(const char *path, struct imp_doc *d, FILE *report, char **err);
/* The same from memory (tests, fuzzing); `name` stands in for the file name. */
int import_har_mem(const char *name, const char *data, size_t len, const struct import_opts *o,
		   struct imp_doc *d, FILE *report, char **err);
int import_tsung_mem(const char *name, const char *data, size_t len, struct imp_doc *d,
		     FILE *report, char **err);

#endif
