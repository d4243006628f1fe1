/* Fuzz target for `barrage import har` (controller/import_har.c, import_har_steps.c): see
 * fuzz_import.h for what every input must do. */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int har_mem(const char *name, const char *data, size_t len, struct imp_doc *d, FILE *report,
		   char **err)
{
	static const struct import_opts o = {.think_min_s = 0.5, .max_har_bytes = (size_t)1 << 20};

	return import_har_mem(name, data, len, &o, d, report, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import_one(har_mem, "f.har", data, size);
	return 0;
}
