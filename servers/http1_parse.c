/* The HTTP/1.1 request-head parser (see http1_parse.h). */
#include "servers/http1_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t bl = strlen(b);

	return alen == bl && strncasecmp(a, b, bl) == 0;
}

static int has_token(const char *v, size_t vlen, const char *tok)
{
	size_t tl = strlen(tok);

	for (size_t i = 0; i + tl <= vlen; i++)
		if (strncasecmp(v + i, tok, tl) == 0)
			return 1;
	return 0;
}

/* RFC 9110 tchar: what a method and a header field name are made of. */
static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int refuse(struct h1_head *hd, int status, const char *msg)
{
	hd->status = status;
	snprintf(hd->msg, sizeof(hd->msg), "%s", msg);
	return 1;
}

/* A Content-Length value: 1*DIGIT, or a list of identical ones ("5, 5", RFC 9110 8.6). No sign,
 * no spaces inside a number, no overflow. Returns 0 with *out, -1 when invalid. */
static int parse_clen(const char *v, size_t vlen, size_t *out)
{
	size_t i = 0, first = 0;
	int n = 0;

	for (;;) {
		size_t x = 0, start = i;

		while (i < vlen && v[i] >= '0' && v[i] <= '9') {
			if (x > (SIZE_MAX - 9) / 10)
				return -1;
			x = x * 10 + (size_t)(v[i] - '0');
			i++;
		}
		if (i == start || (n && x != first))
			return -1;
		first = x;
		n++;
		while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == vlen)
			break;
		if (v[i] != ',')
			return -1;
		i++;
		while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
			i++;
	}
	*out = first;
	return 0;
}

/* Parse the request head (RFC 9112). Anything that could make this server and another one on
 * the path disagree about where the request ends is refused with 400, and the connection is
 * then closed: whitespace between a field name and its colon, obsolete line folding, control
 * characters in a field, Content-Length with a sign or conflicting values, Content-Length
 * together with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, more than one Host. A
 * Transfer-Encoding alone gets 501 (request bodies must be sent with Content-Length). */
int h1_parse_head(char *p, size_t avail, size_t max_body, struct h1_head *hd)
{
	char *head_end, *line_end, *sp1, *sp2, *h;
	int have_clen = 0, have_te = 0, hosts = 0;

	memset(hd, 0, sizeof(*hd));
	hd->keepalive = -1;
	head_end = avail ? memmem(p, avail, "\r\n\r\n", 4) : NULL;
	if (!head_end) {
		if (avail <= H1_MAX_HEAD)
			return 0;
		return refuse(hd, 431, "request head over 64 KiB");
	}
	hd->head_len = (size_t)(head_end - p) + 4;
	line_end = memmem(p, hd->head_len, "\r\n", 2);
	sp1 = memchr(p, ' ', (size_t)(line_end - p));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1 || line_end - sp2 != 9 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
		return refuse(hd, 400, "malformed request line");
	for (const char *m = p; m < sp1; m++)
		if (!is_tchar((unsigned char)*m))
			return refuse(hd, 400, "malformed request line: bad method");
	for (const char *u = sp1 + 1; u < sp2; u++)
		if ((unsigned char)*u <= 0x20 || (unsigned char)*u == 0x7f)
			return refuse(hd, 400,
				      "malformed request line: control character in target");
	hd->http10 = sp2[8] == '0';
	hd->method = p;
	hd->method_len = (size_t)(sp1 - p);
	hd->uri = sp1 + 1;
	hd->uri_len = (size_t)(sp2 - hd->uri);
	hd->version_sp = sp2;
	hd->headers = line_end + 2;
	hd->headers_len = (size_t)(head_end + 2 - (line_end + 2));
	for (h = line_end + 2; h < head_end + 2;) {
		char *eol = memmem(h, (size_t)(head_end + 2 - h), "\r\n", 2);
		const char *v = NULL, *colon;
		size_t nlen, vlen = 0;

		colon = h1_header_value(h, eol, &v, &vlen);
		if (*h == ' ' || *h == '\t')
			return refuse(hd, 400, "obsolete line folding in the header");
		if (!colon || colon == h)
			return refuse(hd, 400, "malformed header line");
		for (const char *n = h; n < colon; n++)
			if (!is_tchar((unsigned char)*n))
				return refuse(hd, 400,
					      *n == ' ' || *n == '\t'
						  ? "whitespace between a header name and its colon"
						  : "malformed header name");
		for (const char *x = colon + 1; x < eol; x++)
			if (((unsigned char)*x < 0x20 && *x != '\t') || (unsigned char)*x == 0x7f)
				return refuse(hd, 400, "control character in a header value");
		nlen = (size_t)(colon - h);
		if (ieq(h, nlen, "Content-Length")) {
			size_t x;

			if (parse_clen(v, vlen, &x) < 0)
				return refuse(hd, 400, "bad Content-Length");
			if (have_clen && x != hd->clen)
				return refuse(hd, 400, "conflicting Content-Length headers");
			if (x > max_body) {
				hd->status = 413;
				snprintf(hd->msg, sizeof(hd->msg),
					 "request body over the %zu-byte limit", max_body);
				return 1;
			}
			hd->clen = x;
			have_clen = 1;
		} else if (ieq(h, nlen, "Transfer-Encoding")) {
			have_te = 1;
		} else if (ieq(h, nlen, "Host")) {
			hosts++;
		} else if (ieq(h, nlen, "Connection")) {
			if (has_token(v, vlen, "close"))
				hd->keepalive = 0;
			else if (has_token(v, vlen, "keep-alive"))
				hd->keepalive = 1;
		} else if (ieq(h, nlen, "Cookie")) {
			hd->cookie = v;
			hd->cookie_len = vlen;
		} else if (ieq(h, nlen, "Authorization")) {
			hd->auth = v;
			hd->auth_len = vlen;
		} else if (ieq(h, nlen, "Expect")) {
			hd->expect = has_token(v, vlen, "100-continue");
		}
		h = eol + 2;
	}
	if (hosts > 1)
		return refuse(hd, 400, "more than one Host header");
	if (have_te && have_clen)
		return refuse(hd, 400, "both Transfer-Encoding and Content-Length");
	if (have_te && hd->http10)
		return refuse(hd, 400, "Transfer-Encoding in an HTTP/1.0 request");
	if (have_te)
		return refuse(hd, 501,
			      "chunked request bodies are not supported: send Content-Length");
	return 1;
}

const char *h1_header_value(const char *line, const char *eol, const char **value, size_t *vlen)
{
	const char *colon = memchr(line, ':', (size_t)(eol - line));
	const char *v;
	size_t n;

	if (!colon)
		return NULL;
	v = colon + 1;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(eol - v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*value = v;
	*vlen = n;
	return colon;
}
