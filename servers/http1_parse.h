/* The HTTP/1.1 request-head parser of the reference servers (RFC 9112): allocation-free, in
 * the caller's buffer, strict about anything that could make this server and another one on
 * the path disagree about where a request ends. Knows nothing of connections or services, so
 * the fuzzer (tests/fuzz/fuzz_server_http1.c) drives it alone. */
#ifndef BARRAGE_SERVERS_HTTP1_PARSE_H
#define BARRAGE_SERVERS_HTTP1_PARSE_H

#include <stddef.h>

/* The longest request head accepted (request line and headers); longer gets 431. */
#define H1_MAX_HEAD (64 * 1024)

/* A parsed request head. Pointers are into the caller's buffer. */
struct h1_head {
	size_t head_len; /* request line and headers, final CRLFCRLF included */
	size_t clen;	 /* Content-Length (0 when absent) */
	int http10;
	int keepalive; /* -1 unsaid, 0 close, 1 keep-alive */
	int expect;    /* Expect: 100-continue */
	const char *method;
	size_t method_len;
	char *uri;
	size_t uri_len;
	char *version_sp; /* the space before "HTTP/1.x" (the caller may write a NUL there) */
	const char *headers;
	size_t headers_len;
	const char *cookie, *auth;
	size_t cookie_len, auth_len;
	int status; /* non-zero: the request is refused with this status and msg */
	char msg[96];
};

/* Parse the request head at p (avail bytes; nothing is written). Returns 0 when the head is not
 * complete yet, 1 when it is parsed (hd->status 0) or refused (hd->status 400/413/431/501 with
 * hd->msg). max_body bounds Content-Length. */
int h1_parse_head(char *p, size_t avail, size_t max_body, struct h1_head *hd);

/* The value of the header line [line, eol): after the first colon, without the optional
 * whitespace around it (RFC 9110 5.5). Returns the colon, or NULL when the line has none; sets
 * *value and *vlen. */
const char *h1_header_value(const char *line, const char *eol, const char **value, size_t *vlen);

#endif
