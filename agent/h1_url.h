/* Absolute http:// and https:// URLs as the lean client needs them: split into host, port and
 * request target, and a redirect's Location resolved against the URL it answered. */
#ifndef BARRAGE_AGENT_H1_URL_H
#define BARRAGE_AGENT_H1_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct h1_url {
	const char *host; /* without brackets */
	size_t hlen;
	unsigned port;
	const char *path; /* from the first '/' or '?' after the authority, without the fragment;
			   * may be empty (then "/" is meant) */
	size_t plen;
	bool https, v6;
};

/* Parse an absolute http:// or https:// URL. Returns 0 or -1. */
int h1_url_parse(const char *s, size_t len, struct h1_url *u);
/* Resolve Location loc against base (both absolute or loc relative) into out (NUL-terminated,
 * len without it). Returns 0 or -1. */
int h1_url_resolve(const char *base, size_t blen, const char *loc, size_t llen, struct buf *out);
/* Append the request target of u ("/" when its path is empty) to b. */
void h1_url_target(const struct h1_url *u, struct buf *b);

#endif
