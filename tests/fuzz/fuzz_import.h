/* What the two import fuzz targets check of one input: any bytes must either import into a
 * scenario the writer can print, or fail with a message that starts with the file's name;
 * never crash, leak or hang. */
#ifndef BARRAGE_TESTS_FUZZ_FUZZ_IMPORT_H
#define BARRAGE_TESTS_FUZZ_FUZZ_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/import.h"

/* An importer from memory, as import_tsung_mem (import_har_mem with its options bound). */
typedef int (*fuzz_import_fn)(const char *name, const char *data, size_t len, struct imp_doc *d,
			      FILE *report, char **err);

static inline void fuzz_import_one(fuzz_import_fn fn, const char *name, const uint8_t *data,
				   size_t size)
{
	static FILE *null;
	struct imp_doc d;
	struct buf y;
	char *err = NULL;

	if (!null)
		null = fopen("/dev/null", "w");
	imp_doc_init(&d);
	buf_init(&y, 0);
	if (fn(name, (const char *)data, size, &d, null, &err) == 0) {
		if (imp_write(&d, &y) != 0)
			abort();
	} else if (!err || strncmp(err, name, strlen(name)) != 0) {
		abort();
	}
	free(err);
	buf_free(&y);
	imp_doc_free(&d);
}

#endif
