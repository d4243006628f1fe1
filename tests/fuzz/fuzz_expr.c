/* Fuzz target for the expression language: compile the input, and when it compiles, evaluate
 * it against a fixed set of variables (including a list) with a fixed random seed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *ctx, const char *name, size_t len, const char **val, size_t *vlen,
		  size_t *count)
{
	static const char *const vars[][2] = {
	    {"token", "abc"}, {"n", "5"}, {"zero", "0"}, {"items", "x"}, {"d.col", "-1.5e3"}};
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (strlen(vars[i][0]) == len && memcmp(vars[i][0], name, len) == 0) {
			*val = vars[i][1];
			*vlen = strlen(vars[i][1]);
			if (count && i == 3)
				*count = 3;
			return 0;
		}
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = 1;
	struct expr_env env = {.lookup = lookup, .rng = &rng, .user_id = 7, .now_ms = 1000};
	struct expr *e = NULL;
	char *err = NULL;
	size_t col = 0, i;
	struct buf scratch, out;
	struct expr_value v;

	if (expr_compile((const char *)data, size, &e, &err, &col) < 0) {
		if (col > size)
			abort();
		free(err);
		return 0;
	}
	for (i = 0; i < expr_var_count(e); i++)
		if (!expr_var_name(e, i))
			abort();
	buf_init(&scratch, 1 << 20);
	buf_init(&out, 1 << 20);
	if (expr_eval(e, &env, &scratch, &v, &err) == 0) {
		expr_truthy(&v);
		expr_value_append(&v, &out);
	} else {
		free(err);
	}
	buf_free(&scratch);
	buf_free(&out);
	expr_free(e);
	return 0;
}
