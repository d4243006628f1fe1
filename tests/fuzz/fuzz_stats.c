/* Fuzz target: the binary STATS decoder, the one thing the controller parses from agents. A
 * decoded snapshot must re-encode and decode to the same thing. */
#include <stdint.h>
#include <stdlib.h>

#include "common/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stats_snapshot *s = stats_new();
	char *err = NULL;

	if (stats_decode(data, size, s, &err) == 0) {
		struct stats_snapshot *t = stats_new();
		struct buf b;

		buf_init(&b, 0);
		if (stats_encode(s, &b) != 0 || stats_decode(b.data, b.len, t, NULL) != 0)
			abort();
		buf_reset(&b);
		if (stats_to_json(s, &b) != 0)
			abort();
		buf_free(&b);
		stats_free(t);
	}
	free(err);
	stats_free(s);
	return 0;
}
