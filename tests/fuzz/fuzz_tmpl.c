/* Fuzz target for templates: the first byte picks the escape mode, the rest is the template;
 * when it compiles it is rendered with fixed variables and a fixed random seed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		  size_t *count)
{
	(void)ctx;
	(void)count;
	if (len == 5 && memcmp(name, "token", 5) == 0) {
		*val = "a\"b\\c d&e";
		*vlen = 9;
		return 0;
	}
	if (len == 1 && name[0] == 'n') {
		*val = "5";
		*vlen = 1;
		return 0;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = 1;
	struct expr_env env = {.lookup = lookup, .rng = &rng, .user_id = 7, .now_ms = 1000};
	struct tmpl *t = NULL;
	char *err = NULL, *src;
	size_t col = 0;
	struct buf scratch, out;

	if (size == 0)
		return 0;
	src = malloc(size);
	if (!src)
		return 0;
	memcpy(src, data + 1, size - 1);
	src[size - 1] = '\0';
	if (tmpl_compile(src, (enum tmpl_escape)(data[0] % 3), &t, &err, &col) < 0) {
		if (col > strlen(src))
			abort();
		free(err);
		free(src);
		return 0;
	}
	buf_init(&scratch, 1 << 20);
	buf_init(&out, 1 << 20);
	if (tmpl_render(t, &env, &scratch, &out, &err) < 0)
		free(err);
	if (tmpl_constant(t) &&
	    (!tmpl_constant_text(t, NULL) || strcmp(tmpl_constant_text(t, NULL), src) != 0))
		abort();
	buf_free(&scratch);
	buf_free(&out);
	tmpl_free(t);
	free(src);
	return 0;
}
