/* The lean HTTP/1.1 client's answer parser (h1_parse.c: no sockets, no events, so the fuzz
 * target and the unit tests link it alone): reading an answer with libhttp-parser. h1.c drives
 * it, the URLs (h1_url.c) and the user's cookie jar (cookie.c) over the worker's event loop. */
#ifndef BARRAGE_AGENT_H1_H
#define BARRAGE_AGENT_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "agent/h1_url.h"
#include "common/buf.h"

/* Response headers over this (all of them together) fail as error_header_too_large, as
 * libcurl's 300 KiB limit does. */
#define H1_MAX_HEADERS (300 * 1024)

enum { H1_MORE = 0, H1_DONE = 1, H1_E_PARSE = -1, H1_E_HEADER = -2, H1_E_ENCODING = -3 };

struct h1_resp {
	http_parser p;
	struct buf *body; /* where a needed body goes (its max is the hard cap) */
	bool head, need_body, need_headers, decode;
	bool got_bytes, done, keep_alive, info, in_value;
	int status;
	size_t header_bytes;
	struct buf cur;	     /* the header being read: "name\0value" */
	size_t cur_name;     /* length of its name */
	struct buf hdrs;     /* kept headers "name\0value\0"... (need_headers) */
	struct buf location; /* the Location header */
	struct buf cookies;  /* Set-Cookie values, each NUL-terminated */
	int enc;	     /* 0 none, 1 gzip, 2 deflate */
	void *z;	     /* z_stream *, while a body is decoded */
	bool z_raw, z_out;
	const char *why; /* what went wrong (static text) */
	/* Bytes counted in size_rcv, as libcurl counts them: the headers (1xx included) and the
	 * body as framed by Content-Length or the chunks, without chunk framing. */
	uint64_t fed, head_bytes, body_bytes, hdr_end;
	const char *chunk; /* the bytes h1_resp_feed is parsing */
	bool in_body, bad_status;
};
/* size_rcv of the answer so far. */
uint64_t h1_resp_counted(const struct h1_resp *r);

void h1_resp_init(struct h1_resp *r, struct buf *body);
void h1_resp_free(struct h1_resp *r);
/* Get ready for the answer to a new request. */
void h1_resp_begin(struct h1_resp *r, bool head, bool need_body, bool need_headers, bool decode);
/* Feed bytes read from the connection; len 0 is the end of the connection. Returns H1_DONE
 * when the answer is complete, H1_MORE, or an H1_E_ error (r->why says what). */
int h1_resp_feed(struct h1_resp *r, const char *data, size_t len);
/* Release what decoding holds (after each answer). */
void h1_resp_end(struct h1_resp *r);
/* The idx-th value of header name in the last answer (need_headers). 0 found, -1 not. */
int h1_resp_header(const struct h1_resp *r, const char *name, size_t idx, const char **val,
		   size_t *len);

/* ---- the client over the worker's event loop (h1.c), as lean.c drives it ---- */

struct creq;
struct http_xfer;
struct user;
struct worker;

/* Failures carry the CURLcode libcurl would give, through session_transfer_done(). */
int h1_user_init(struct user *u, char **err);
void h1_user_free(struct user *u);
void h1_new_share(struct user *u);
void h1_end_session(struct user *u);
void h1_cancel(struct user *u);
/* Send r to url with the rendered header lines (NUL-separated "Name: value") and body. hop: a
 * redirect hop (the step's Host line is dropped); to_get: the hop goes on as a GET without a
 * body. Failures are reported through session_transfer_done from the event loop. */
int h1_send(struct user *u, const struct creq *r, const char *url, size_t url_len,
	    const char *hdrs, size_t hdrs_len, const char *body, size_t body_len, bool hop,
	    bool to_get);
void h1_info(struct user *u, struct http_xfer *x);
const char *h1_location(struct user *u, size_t *len);
const char *h1_current_url(struct user *u, size_t *len);
int h1_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len);
int h1_cookie(struct user *u, const char *name, size_t idx, const char **val, size_t *len);
void h1_worker_free(struct worker *w);

#endif
