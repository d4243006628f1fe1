/* A compiled request rendered for one user (render.c): URL, header lines and body, into the
 * user's buffers, for whichever HTTP client sends it. */
#ifndef BARRAGE_AGENT_RENDER_H
#define BARRAGE_AGENT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

struct creq;
struct user;

/* At most this many header lines go out with a request. */
#define RENDER_MAX_HEADERS 256

/* The step's URL: r->url_const, or rendered into u->url (NUL-terminated), as *url, *len.
 * 0, -1 when a template failed, TRANSPORT_BAD_URL when the result is not a valid URL
 * (u->errbuf says why). */
int render_url(struct user *u, const struct creq *r, const char **url, size_t *len);
/* The request's header lines into u->hdrs, each NUL-terminated, their offsets in offs
 * [RENDER_MAX_HEADERS], their number in *np; with a body, an "Expect:" line last (no
 * 100-continue round trip). 0 or -1. */
int render_headers(struct user *u, const struct creq *r, size_t *offs, size_t *np);
/* The step's body: *body, *len (NULL, 0 without one). 0 or -1. */
int render_body(struct user *u, const struct creq *r, const char **body, size_t *len);
/* A redirect with this status the request in flight may follow (it has hops left). */
bool render_is_redirect(const struct user *u, long status);
/* Whether the redirect hop goes on as a GET without a body: as browsers do, after 303 always,
 * and after 301/302 unless the request was a GET or HEAD; 307 and 308 repeat the method and
 * body. */
bool render_hop_to_get(const struct user *u, long status);

#endif
