/* A user's cookie jar for the lean client (RFC 6265: host-only and domain cookies, path,
 * Max-Age / Expires, Secure), filled from Set-Cookie and rendered into the Cookie header in
 * libcurl's order, so both clients send the same bytes. */
#ifndef BARRAGE_AGENT_COOKIE_H
#define BARRAGE_AGENT_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/h1_url.h"
#include "common/buf.h"

struct cookie {
	char *name, *value, *domain, *path; /* one allocation, name first */
	int64_t expires;		    /* wall seconds, 0 = end of session */
	bool host_only, secure;
	uint64_t created;
};

struct cookie_jar {
	struct cookie *v;
	size_t n, cap;
	uint64_t seq;
};

void cookie_jar_init(struct cookie_jar *j);
void cookie_jar_free(struct cookie_jar *j);
void cookie_jar_clear(struct cookie_jar *j);
/* Take one Set-Cookie value received from url at wall time now (seconds). */
void cookie_jar_set(struct cookie_jar *j, const struct h1_url *url, const char *s, size_t len,
		    int64_t now);
/* Append "Cookie: ...\r\n" for url to b when any cookie matches (libcurl's order: longer path
 * first, then longer domain, longer name, newer). */
void cookie_jar_header(struct cookie_jar *j, const struct h1_url *url, struct buf *b, int64_t now);
/* The idx-th live cookie named name. 0 found, -1 not. */
int cookie_jar_get(const struct cookie_jar *j, const char *name, size_t idx, const char **val,
		   size_t *len);

#endif
