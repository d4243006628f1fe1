/* Fuzz target: the frame reader, fed the input in two pieces at every split the first byte
 * chooses. It must only ever return frames that lie inside what it was given. */
#include <stdint.h>
#include <stdlib.h>

#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_reader r;
	size_t split;
	size_t seen = 0;
	int pass;

	if (size == 0)
		return 0;
	split = data[0] % size;
	wire_reader_init(&r);
	for (pass = 0; pass < 2; pass++) {
		const uint8_t *p;
		size_t len;
		int type;
		char *err = NULL;
		int rc;

		if (pass == 0)
			wire_reader_feed(&r, data + 1, split);
		else
			wire_reader_feed(&r, data + 1 + split, size - 1 - split);
		while ((rc = wire_reader_next(&r, &type, &p, &len, &err)) == 1) {
			seen += len + WIRE_HEADER_LEN;
			if (seen > size || type < 1 || type > WIRE_TYPE_MAX)
				abort();
		}
		free(err);
		if (rc < 0)
			break;
	}
	wire_reader_free(&r);
	return 0;
}
