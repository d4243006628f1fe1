/* Fuzz target for the scenario loader: any bytes must either load into a plan that the agent's
 * decoder accepts (encode, decode) or fail with a message; never crash, leak or hang. The input
 * is loaded as a string, so data and TLS files are resolved against the current folder. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>

#include "controller/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan *p = NULL, *q = NULL;
	char *err = NULL;
	struct buf b;
	FILE *devnull;

	if (scenario_load_string("fuzz.yaml", (const char *)data, size, NULL, 0, &p, &err) != 0) {
		if (!err)
			abort(); /* a failure always says why */
		free(err);
		return 0;
	}
	buf_init(&b, 0);
	if (plan_encode(p, &b) != 0)
		abort();
	if (plan_decode(b.data, b.len, &q, &err) != 0) {
		fprintf(stderr, "decode refused a loaded scenario: %s\n", err);
		abort();
	}
	devnull = fopen("/dev/null", "w");
	if (devnull) {
		scenario_print_plan(p, devnull);
		fclose(devnull);
	}
	plan_free(q);
	plan_free(p);
	buf_free(&b);
	return 0;
}
