/* libFuzzer target for the plain HTTP/1.1 request-head parser of the reference servers
 * (h1_parse_head in servers/http1_parse.c). The input is copied into a buffer of exactly its
 * size, so any read past the end is caught; a parsed head must lie inside the input, and every
 * shorter prefix of a complete head must read as "incomplete", never as a different request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "servers/http1_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	struct h1_head hd, pre;

	if (!p)
		return 0;
	memcpy(p, data, size);
	if (h1_parse_head(p, size, 1 << 20, &hd) == 1 && hd.status == 0) {
		if (hd.head_len > size || hd.uri < p || hd.uri + hd.uri_len > p + size ||
		    hd.headers + hd.headers_len > p + size || hd.clen > (1 << 20))
			abort();
		if (hd.cookie && hd.cookie + hd.cookie_len > p + size)
			abort();
		if (h1_parse_head(p, hd.head_len - 1, 1 << 20, &pre) != 0 && pre.status != 431)
			abort();
	}
	free(p);
	return 0;
}
