/* URLs for the lean client (see h1_url.h). */
#include <string.h>
#include <strings.h>

#include "agent/h1_url.h"

int h1_url_parse(const char *s, size_t len, struct h1_url *u)
{
	const char *p, *end = s + len, *a, *ae, *h, *he;

	memset(u, 0, sizeof(*u));
	if (len >= 8 && strncasecmp(s, "https://", 8) == 0) {
		u->https = true;
		a = s + 8;
	} else if (len >= 7 && strncasecmp(s, "http://", 7) == 0)
		a = s + 7;
	else
		return -1;
	for (ae = a; ae < end && *ae != '/' && *ae != '?' && *ae != '#'; ae++)
		;
	/* userinfo@ */
	for (p = ae; p > a; p--)
		if (p[-1] == '@') {
			a = p;
			break;
		}
	u->port = u->https ? 443 : 80;
	if (a < ae && *a == '[') {
		h = a + 1;
		he = memchr(h, ']', (size_t)(ae - h));
		if (!he)
			return -1;
		u->v6 = true;
		p = he + 1;
	} else {
		h = a;
		for (he = a; he < ae && *he != ':'; he++)
			;
		p = he;
	}
	if (he == h)
		return -1;
	if (p < ae) {
		unsigned port = 0;

		if (*p != ':')
			return -1;
		for (p++; p < ae; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			port = port * 10 + (unsigned)(*p - '0');
			if (port > 65535)
				return -1;
		}
		if (port)
			u->port = port;
	}
	u->host = h;
	u->hlen = (size_t)(he - h);
	u->path = ae;
	for (p = ae; p < end && *p != '#'; p++)
		;
	u->plen = (size_t)(p - ae);
	return 0;
}

void h1_url_target(const struct h1_url *u, struct buf *b)
{
	if (u->plen == 0 || u->path[0] != '/')
		buf_append_byte(b, '/');
	buf_append(b, u->path, u->plen);
}

int h1_url_resolve(const char *base, size_t blen, const char *loc, size_t llen, struct buf *out)
{
	struct h1_url bu;
	size_t auth_end, path_end;

	buf_reset(out);
	while (llen && (loc[0] == ' ' || loc[0] == '\t'))
		loc++, llen--;
	while (llen && (loc[llen - 1] == ' ' || loc[llen - 1] == '\t'))
		llen--;
	if (llen == 0)
		return -1;
	if ((llen >= 7 && strncasecmp(loc, "http://", 7) == 0) ||
	    (llen >= 8 && strncasecmp(loc, "https://", 8) == 0)) {
		buf_append(out, loc, llen);
		goto done;
	}
	if (h1_url_parse(base, blen, &bu) < 0)
		return -1;
	auth_end = (size_t)(bu.path - base);
	if (llen >= 2 && loc[0] == '/' && loc[1] == '/') {
		buf_append_str(out, bu.https ? "https:" : "http:");
		buf_append(out, loc, llen);
	} else if (loc[0] == '/') {
		buf_append(out, base, auth_end);
		buf_append(out, loc, llen);
	} else if (loc[0] == '?') {
		const char *q = memchr(bu.path, '?', bu.plen);

		buf_append(out, base, auth_end);
		path_end = q ? (size_t)(q - bu.path) : bu.plen;
		if (path_end == 0)
			buf_append_byte(out, '/');
		buf_append(out, bu.path, path_end);
		buf_append(out, loc, llen);
	} else {
		const char *q = memchr(bu.path, '?', bu.plen);
		size_t pl = q ? (size_t)(q - bu.path) : bu.plen;

		while (pl && bu.path[pl - 1] != '/')
			pl--;
		buf_append(out, base, auth_end);
		if (pl == 0)
			buf_append_byte(out, '/');
		buf_append(out, bu.path, pl);
		buf_append(out, loc, llen);
	}
done:
	if (buf_append_byte(out, 0) < 0)
		return -1;
	out->len--;
	return 0;
}
