/* The lean client's answers (see h1.h). Answers are read by Debian's
 * libhttp-parser (the parser wrk uses; docs/dependencies.md says why): it is a streaming
 * parser, so bytes are handed over as they arrive and only what a request needs is copied out
 * of the worker's read buffer: the status, Location, Set-Cookie, Content-Encoding, the headers
 * when a capture or an expectation reads one, and the body (decoded) when one reads it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "agent/h1.h"

/* ---- answers ---- */

static int on_message_begin(http_parser *p);
static int on_status(http_parser *p, const char *at, size_t len);
static int on_header_field(http_parser *p, const char *at, size_t len);
static int on_header_value(http_parser *p, const char *at, size_t len);
static int on_headers_complete(http_parser *p);
static int on_body(http_parser *p, const char *at, size_t len);
static int on_message_complete(http_parser *p);

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void set_limit(void)
{
	http_parser_set_max_header_size(H1_MAX_HEADERS);
}

void h1_resp_init(struct h1_resp *r, struct buf *body)
{
	pthread_once(&once, set_limit);
	memset(r, 0, sizeof(*r));
	r->body = body;
	buf_init(&r->cur, H1_MAX_HEADERS);
	buf_init(&r->hdrs, H1_MAX_HEADERS + 4096);
	buf_init(&r->location, H1_MAX_HEADERS);
	buf_init(&r->cookies, H1_MAX_HEADERS);
}

void h1_resp_end(struct h1_resp *r)
{
	if (r->z) {
		inflateEnd(r->z);
		free(r->z);
		r->z = NULL;
	}
}

void h1_resp_free(struct h1_resp *r)
{
	h1_resp_end(r);
	buf_free(&r->cur);
	buf_free(&r->hdrs);
	buf_free(&r->location);
	buf_free(&r->cookies);
}

static void clear_headers(struct h1_resp *r)
{
	buf_reset(&r->cur);
	buf_reset(&r->hdrs);
	buf_reset(&r->location);
	buf_reset(&r->cookies);
	r->cur_name = 0;
	r->in_value = false;
	r->enc = 0;
	r->status = 0;
	r->header_bytes = 0;
}

void h1_resp_begin(struct h1_resp *r, bool head, bool need_body, bool need_headers, bool decode)
{
	h1_resp_end(r);
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->head = head;
	r->need_body = need_body;
	r->need_headers = need_headers;
	r->decode = decode;
	r->got_bytes = r->done = r->keep_alive = r->info = r->in_body = false;
	r->fed = r->head_bytes = r->body_bytes = r->hdr_end = 0;
	r->bad_status = false;
	r->z_raw = r->z_out = false;
	r->why = NULL;
	clear_headers(r);
	if (r->body)
		buf_reset(r->body);
}

static int on_message_begin(http_parser *p)
{
	struct h1_resp *r = p->data;

	clear_headers(r);
	return 0;
}

static bool name_is(const struct h1_resp *r, const char *name)
{
	return r->cur_name == strlen(name) && strncasecmp(r->cur.data, name, r->cur_name) == 0;
}

/* The header in r->cur is complete: look at it. */
static int header_done(struct h1_resp *r)
{
	const char *v;
	size_t vl;

	if (!r->in_value && r->cur.len == 0)
		return 0;
	if (!r->in_value) {
		/* A name without a value */
		r->cur_name = r->cur.len;
		if (buf_append_byte(&r->cur, 0) < 0)
			return -1;
	}
	v = r->cur.data + r->cur_name + 1;
	vl = r->cur.len - r->cur_name - 1;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (name_is(r, "Location")) {
		buf_reset(&r->location);
		buf_append(&r->location, v, vl);
	} else if (name_is(r, "Set-Cookie")) {
		if (buf_append(&r->cookies, v, vl) < 0 || buf_append_byte(&r->cookies, 0) < 0)
			return -1;
	} else if (name_is(r, "Content-Encoding")) {
		if (vl == 4 && strncasecmp(v, "gzip", 4) == 0)
			r->enc = 1;
		else if (vl == 6 && strncasecmp(v, "x-gzip", 6) == 0)
			r->enc = 1;
		else if (vl == 7 && strncasecmp(v, "deflate", 7) == 0)
			r->enc = 2;
	}
	if (r->need_headers) {
		if (buf_append(&r->hdrs, r->cur.data, r->cur_name + 1) < 0 ||
		    buf_append(&r->hdrs, v, vl) < 0 || buf_append_byte(&r->hdrs, 0) < 0)
			return -1;
	}
	buf_reset(&r->cur);
	r->cur_name = 0;
	r->in_value = false;
	return 0;
}

static int too_large(struct h1_resp *r)
{
	r->why = "response headers over the lean client's limit (300 KiB in all)";
	return -1;
}

/* Where the header section ends: after the last status or header byte seen, and its CRLF and
 * the blank line's. */
static void mark(struct h1_resp *r, const char *at, size_t len)
{
	r->hdr_end = r->fed + (uint64_t)(at + len - r->chunk);
}

static int on_status(http_parser *p, const char *at, size_t len)
{
	mark(p->data, at, len);
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct h1_resp *r = p->data;

	mark(r, at, len);
	if (r->in_value && header_done(r) < 0)
		return too_large(r);
	r->header_bytes += len;
	if (r->header_bytes > H1_MAX_HEADERS || buf_append(&r->cur, at, len) < 0)
		return too_large(r);
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct h1_resp *r = p->data;

	mark(r, at, len);
	if (!r->in_value) {
		r->cur_name = r->cur.len;
		if (buf_append_byte(&r->cur, 0) < 0)
			return too_large(r);
		r->in_value = true;
	}
	r->header_bytes += len;
	if (r->header_bytes > H1_MAX_HEADERS || buf_append(&r->cur, at, len) < 0)
		return too_large(r);
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct h1_resp *r = p->data;

	if (header_done(r) < 0)
		return too_large(r), -1;
	r->status = p->status_code;
	if (r->status < 100 || r->status > 999) {
		/* libhttp-parser takes "HTTP/1.1 2 OK"; libcurl wants three digits */
		r->why = "the status line has no three-digit status";
		r->bad_status = true;
		return -1;
	}
	r->head_bytes = r->hdr_end + 4;
	r->in_body = true;
	r->info = p->status_code >= 100 && p->status_code < 200 && p->status_code != 101;
	if (r->head)
		return 1; /* the answer to a HEAD has no body, whatever it says */
	return 0;
}

static int keep(struct h1_resp *r, const char *d, size_t n)
{
	size_t room;

	if (!r->body || r->body->len >= r->body->max)
		return 0;
	room = r->body->max - r->body->len;
	(void)buf_append(r->body, d, n < room ? n : room);
	return 0;
}

static int inflate_some(struct h1_resp *r, const char *at, size_t len)
{
	z_stream *z = r->z;
	char out[16384];

	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z || inflateInit2(z, r->enc == 1 ? 15 + 32 : 15) != Z_OK) {
			free(z);
			r->why = "cannot start decoding the body";
			return -1;
		}
		r->z = z;
	}
	z->next_in = (Bytef *)(uintptr_t)at;
	z->avail_in = (uInt)len;
	while (z->avail_in > 0) {
		int zr;

		z->next_out = (Bytef *)out;
		z->avail_out = sizeof(out);
		zr = inflate(z, Z_NO_FLUSH);
		if (zr == Z_DATA_ERROR && r->enc == 2 && !r->z_raw && !r->z_out) {
			/* "deflate" sent as a raw deflate stream, as some servers do. */
			r->z_raw = true;
			if (inflateReset2(z, -15) != Z_OK)
				return -1;
			z->next_in = (Bytef *)(uintptr_t)at;
			z->avail_in = (uInt)len;
			continue;
		}
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			r->why = "the body's Content-Encoding could not be decoded";
			return -1;
		}
		if (sizeof(out) - z->avail_out > 0) {
			r->z_out = true;
			keep(r, out, sizeof(out) - z->avail_out);
		}
		if (zr == Z_STREAM_END || (zr == Z_BUF_ERROR && z->avail_out != 0))
			break;
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct h1_resp *r = p->data;

	r->body_bytes += len;
	if (!r->need_body)
		return 0;
	if (r->decode && r->enc)
		return inflate_some(r, at, len);
	return keep(r, at, len);
}

static int on_message_complete(http_parser *p)
{
	struct h1_resp *r = p->data;

	if (r->info) {
		/* 100 Continue and friends: the real answer follows. */
		r->info = false;
		if (r->body)
			buf_reset(r->body);
		return 0;
	}
	r->done = true;
	r->keep_alive = http_should_keep_alive(p) != 0;
	http_parser_pause(p, 1);
	return 0;
}

int h1_resp_feed(struct h1_resp *r, const char *data, size_t len)
{
	size_t n;
	enum http_errno e;

	if (r->done)
		return H1_DONE;
	if (len)
		r->got_bytes = true;
	r->chunk = data;
	n = http_parser_execute(&r->p, &settings, data, len);
	e = HTTP_PARSER_ERRNO(&r->p);
	r->fed += n;
	if (r->done) {
		if (n < len)
			r->keep_alive =
			    false; /* bytes after the answer: do not trust the connection */
		return H1_DONE;
	}
	if (e == HPE_OK || (len == 0 && e == HPE_INVALID_EOF_STATE))
		return H1_MORE; /* at the end of the connection, the caller says it was cut */
	if (e == HPE_HEADER_OVERFLOW) {
		r->why = "response headers over the lean client's limit (300 KiB in all)";
		return H1_E_HEADER;
	}
	if (r->bad_status)
		return H1_E_PARSE;
	if (e == HPE_CB_header_field || e == HPE_CB_header_value || e == HPE_CB_headers_complete)
		return H1_E_HEADER;
	if (e == HPE_CB_body)
		return H1_E_ENCODING;
	if (!r->why)
		r->why = http_errno_description(e);
	return H1_E_PARSE;
}

uint64_t h1_resp_counted(const struct h1_resp *r)
{
	return (r->in_body ? r->head_bytes : r->fed) + r->body_bytes;
}

int h1_resp_header(const struct h1_resp *r, const char *name, size_t idx, const char **val,
		   size_t *len)
{
	size_t nl = strlen(name);

	for (size_t off = 0; off < r->hdrs.len;) {
		const char *n = r->hdrs.data + off;
		size_t l = strlen(n);
		const char *v = n + l + 1;
		size_t vl = strlen(v);

		off += l + 1 + vl + 1;
		if (l == nl && strncasecmp(n, name, nl) == 0) {
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			if (idx-- == 0) {
				*val = v;
				*len = vl;
				return 0;
			}
		}
	}
	return -1;
}
