/* Rendering a lean-client request (see h1_request.h). */
#include <string.h>
#include <strings.h>

#include "agent/h1_request.h"
#include "common/clock.h"

/* Does header line l (of n bytes, "Name: value") have this name? */
static bool hdr_is(const char *l, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && strncasecmp(l, name, k) == 0 && (l[k] == ':' || l[k] == ';');
}

/* A "Name:" line with nothing after the colon removes a header libcurl would add. */
static bool hdr_empty(const char *l, size_t n)
{
	const char *c = memchr(l, ':', n);

	if (!c)
		return false;
	for (c++; c < l + n; c++)
		if (*c != ' ' && *c != '\t')
			return false;
	return true;
}

/* Which of the headers libcurl adds the user's own lines give. */
struct given {
	bool host, accept, ae, ct;
};

static void user_headers(struct buf *q, const char *hdrs, size_t hdrs_len, bool hop,
			 struct given *g)
{
	for (size_t off = 0; off < hdrs_len;) {
		const char *l = hdrs + off;
		size_t n = strnlen(l, hdrs_len - off);

		off += n + 1;
		if (n == 0)
			continue;
		if (hdr_is(l, n, "Host")) {
			if (hop)
				continue;
			g->host = true;
		} else if (hdr_is(l, n, "Accept"))
			g->accept = true;
		else if (hdr_is(l, n, "Accept-Encoding"))
			g->ae = true;
		else if (hdr_is(l, n, "Content-Type"))
			g->ct = true;
		if (hdr_empty(l, n))
			continue;
		if (l[n - 1] == ';' && !memchr(l, ':', n)) {
			buf_append(q, l, n - 1); /* "Name;": the header with an empty value */
			buf_append_str(q, ":\r\n");
			continue;
		}
		buf_append(q, l, n);
		buf_append(q, "\r\n", 2);
	}
}

static void host_header(struct buf *q, const struct h1_url *u)
{
	buf_append_str(q, "Host: ");
	if (u->v6)
		buf_append_byte(q, '[');
	buf_append(q, u->host, u->hlen);
	if (u->v6)
		buf_append_byte(q, ']');
	if (u->port != (u->https ? 443u : 80u))
		buf_printf(q, ":%u", u->port);
	buf_append(q, "\r\n", 2);
}

int h1_request_render(struct buf *q, const char *method, const struct h1_url *u, const char *hdrs,
		      size_t hdrs_len, bool hop, bool compression, struct cookie_jar *jar,
		      bool has_body, const char *body, size_t body_len)
{
	struct given g = {0};

	buf_reset(q);
	buf_append_str(q, method);
	buf_append_byte(q, ' ');
	h1_url_target(u, q);
	buf_append_str(q, " HTTP/1.1\r\n");
	user_headers(q, hdrs, hdrs_len, hop, &g);
	if (!g.host)
		host_header(q, u);
	if (!g.accept)
		buf_append_str(q, "Accept: */*\r\n");
	if (compression && !g.ae)
		buf_append_str(q, "Accept-Encoding: gzip, deflate\r\n");
	cookie_jar_header(jar, u, q, clock_wall_ms() / 1000);
	if (has_body) {
		buf_printf(q, "Content-Length: %zu\r\n", body_len);
		if (!g.ct)
			buf_append_str(q, "Content-Type: application/x-www-form-urlencoded\r\n");
	}
	if (buf_append(q, "\r\n", 2) < 0 || (has_body && buf_append(q, body, body_len) < 0))
		return -1;
	return 0;
}
