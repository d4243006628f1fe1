/* Fuzz target for plan_decode: the agent's one input from the wire. Any input must either
 * decode into a plan that encodes and decodes again to the same JSON, or fail with a message;
 * never crash, leak or hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan *p = NULL, *q = NULL, *c;
	char *err = NULL;
	struct buf a, b;

	if (plan_decode((const char *)data, size, &p, &err) != 0) {
		free(err);
		return 0;
	}
	buf_init(&a, 0);
	buf_init(&b, 0);
	c = plan_clone(p);
	if (plan_encode(p, &a) != 0 || !c || plan_encode(c, &b) != 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		abort();
	if (plan_decode(a.data, a.len, &q, &err) != 0)
		abort();
	buf_reset(&b);
	if (plan_encode(q, &b) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	plan_free(q);
	plan_free(c);
	plan_free(p);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
