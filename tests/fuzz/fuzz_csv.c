/* Fuzz target for CSV data files: the first byte picks a slice (part index and count) as an
 * agent with `order: unique` would load it; the rest is the file. Every kept cell is read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv *c = NULL;
	char *err = NULL;
	size_t count, index, r, k, len;

	if (size == 0)
		return 0;
	count = 1 + (data[0] & 3);
	index = (size_t)(data[0] >> 2) % count;
	if (csv_parse_part("fuzz.csv", (const char *)data + 1, size - 1, index, count, &c, &err) <
	    0) {
		if (!err)
			abort();
		free(err);
		return 0;
	}
	for (k = 0; k < csv_ncolumns(c); k++) {
		const char *name = csv_column_name(c, k);

		if (csv_column_index(c, name, strlen(name)) != (long)k)
			abort();
	}
	for (r = 0; r < csv_nrows(c); r++)
		for (k = 0; k < csv_ncolumns(c); k++)
			if (csv_cell(c, r, k, &len)[len] != '\0')
				abort();
	csv_free(c);
	return 0;
}
