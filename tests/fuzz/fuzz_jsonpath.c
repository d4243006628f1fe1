/* Fuzz target for JSONPath: the input's first line is the path, the rest a JSON document (a
 * fixed one when the rest does not parse). Compiled paths are evaluated over the document both
 * with and without a match limit. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const char *val, size_t len)
{
	size_t *total = ctx;

	if (val[len] != '\0')
		abort();
	*total += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fallback[] =
	    "{\"a\":[1,{\"b\":\"x\"},[true,null]],\"c\":{\"d\":2.5,\"e\":\"y\"}}";
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *path = malloc(plen + 1);
	struct jsonpath *p = NULL;
	char *err = NULL;
	size_t col = 0, total = 0;
	json_t *root = NULL;
	struct buf scratch;

	if (!path)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	if (jsonpath_compile(path, &p, &err, &col) < 0) {
		if (col > strlen(path))
			abort();
		free(err);
		free(path);
		return 0;
	}
	if (nl)
		root = json_loadb((const char *)nl + 1, size - plen - 1, JSON_DECODE_ANY, NULL);
	if (!root)
		root = json_loads(fallback, 0, NULL);
	buf_init(&scratch, 1 << 20);
	jsonpath_eval(p, root, sink, &total);
	jsonpath_eval_ex(p, root, 1, &scratch, sink, &total);
	buf_free(&scratch);
	json_decref(root);
	jsonpath_free(p);
	free(path);
	return 0;
}
