/* The bytes of a lean-client request: request line, the user's headers, what libcurl adds when
 * they do not say otherwise (Host, Accept, Accept-Encoding, Cookie, Content-Length,
 * Content-Type), and the body, so both clients send the same request. */
#ifndef BARRAGE_AGENT_H1_REQUEST_H
#define BARRAGE_AGENT_H1_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/cookie.h"
#include "agent/h1_url.h"
#include "common/buf.h"

/* Render into q (reset first) a request for method on u. hdrs holds the user's header lines,
 * each NUL-terminated ("Name: value"; libcurl's "Name:" removes a header that would be added,
 * "Name;" sends it empty); hop: a redirect's hop (the user's Host is not carried over);
 * compression: ask for gzip/deflate; the jar's cookies for u go along. has_body: send
 * Content-Length (and a default Content-Type) and the body. Returns 0 or -1 (no memory). */
int h1_request_render(struct buf *q, const char *method, const struct h1_url *u, const char *hdrs,
		      size_t hdrs_len, bool hop, bool compression, struct cookie_jar *jar,
		      bool has_body, const char *body, size_t body_len);

#endif
