/* Fuzz target for `barrage import har` (controller/import_har.c):
 * any bytes must either import into a scenario the writer can print, or fail with a message
 * that starts with the file's name; never crash, leak, hang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct import_opts o = {.think_min_s = 0.5, .max_har_bytes = (size_t)1 << 20};
	struct imp_doc d;
	struct buf y;
	char *err = NULL;

	if (!null)
		null = fopen("/dev/null", "w");
	imp_doc_init(&d);
	buf_init(&y, 0);
	if (import_har_mem("f.har", (const char *)data, size, &o, &d, null, &err) == 0) {
		if (imp_write(&d, &y) != 0)
			abort();
	} else if (!err || strncmp(err, "f.har", 5) != 0) {
		abort();
	}
	free(err);
	buf_free(&y);
	imp_doc_free(&d);
	return 0;
}
