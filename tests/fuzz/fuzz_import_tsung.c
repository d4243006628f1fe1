/* Fuzz target for `barrage import tsung` (controller/xml_tree.c, controller/import_tsung.c):
 * see fuzz_import.h for what every input must do; an entity is never expanded either. */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import_one(import_tsung_mem, "f.xml", data, size);
	return 0;
}
