/* FNV-1a, 64-bit (see hash.h). */
#include "common/hash.h"

uint64_t hash_bytes(const void *data, size_t n)
{
	const unsigned char *s = data;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}
