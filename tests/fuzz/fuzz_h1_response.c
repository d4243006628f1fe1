/* libFuzzer target for the lean HTTP client's parse path (agent/h1_parse.c): arbitrary bytes
 * as a server's answer, fed in pieces of a size the input chooses, then the end of the
 * connection. The first byte chooses the request's needs (HEAD, body kept, headers kept,
 * decoding); the second and third the piece size. Checked: the kept body never passes its cap,
 * the counted size never passes what was fed, every header found lies in the kept headers, and
 * the answer's Location and Set-Cookie values go through URL resolution and the cookie jar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cookie.h"
#include "agent/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "http://127.0.0.1:8080/a/b?c=d";
	struct buf body, out;
	struct h1_resp r;
	struct cookie_jar jar;
	struct h1_url url;
	size_t step, off = 0, total = 0;
	int rc = H1_MORE;
	char *p;

	if (size < 3)
		return 0;
	step = (size_t)data[1] << 8 | data[2];
	if (step == 0)
		step = 1;
	p = malloc(size - 3 ? size - 3 : 1);
	if (!p)
		return 0;
	memcpy(p, data + 3, size - 3);
	buf_init(&body, 4096);
	buf_init(&out, 0);
	h1_resp_init(&r, &body);
	cookie_jar_init(&jar);
	h1_resp_begin(&r, data[0] & 1, data[0] & 2, data[0] & 4, data[0] & 8);
	while (off < size - 3 && rc == H1_MORE) {
		size_t n = size - 3 - off < step ? size - 3 - off : step;

		rc = h1_resp_feed(&r, p + off, n);
		off += n;
		total += n;
	}
	if (rc == H1_MORE)
		rc = h1_resp_feed(&r, NULL, 0);
	if (body.len > body.max || h1_resp_counted(&r) > total + 4)
		abort();
	if (rc == H1_DONE && (r.status < 100 || r.status > 999))
		abort();
	{
		const char *v;
		size_t vl;

		for (size_t i = 0; h1_resp_header(&r, "x", i, &v, &vl) == 0; i++)
			if (v < r.hdrs.data || v + vl > r.hdrs.data + r.hdrs.len)
				abort();
	}
	if (h1_url_parse(base, sizeof(base) - 1, &url) != 0)
		abort();
	if (r.location.len)
		(void)h1_url_resolve(base, sizeof(base) - 1, r.location.data, r.location.len, &out);
	for (size_t o = 0; o < r.cookies.len;) {
		const char *c = r.cookies.data + o;
		size_t n = strnlen(c, r.cookies.len - o);

		cookie_jar_set(&jar, &url, c, n, 1000);
		o += n + 1;
	}
	buf_reset(&out);
	cookie_jar_header(&jar, &url, &out, 1000);
	cookie_jar_free(&jar);
	h1_resp_free(&r);
	buf_free(&body);
	buf_free(&out);
	free(p);
	return 0;
}
