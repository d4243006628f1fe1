/* Fuzz target for hosts files (controller/hosts.c): any bytes either parse into hosts whose
 * fields are in range or fail with a message. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "controller/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_host *h = NULL;
	size_t n = 0;
	char *err = NULL;

	if (hosts_parse("fuzz", (const char *)data, size, &h, &n, &err) == 0) {
		assert(n > 0);
		for (size_t i = 0; i < n; i++) {
			assert(h[i].host && h[i].host[0]);
			assert(h[i].port > 0 && h[i].port < 65536);
			assert(h[i].agents >= 1);
			assert(h[i].weight > 0);
		}
	} else {
		assert(err != NULL);
	}
	hosts_free(h, n);
	free(err);
	return 0;
}
