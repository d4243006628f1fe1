/* The lean HTTP/1.1 client's pure parts (agent/h1_parse.c, h1_url.c, cookie.c): answers framed by
 * Content-Length, chunked and the connection's end, split at every byte; 1xx skipped; HEAD;
 * keep-alive; the header limit; gzip and deflate bodies decoded and capped; URLs and Location
 * resolution; the cookie jar's RFC 6265 rules and libcurl's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "agent/cookie.h"
#include "agent/h1.h"

struct fix {
	struct buf body;
	struct h1_resp r;
};

static void fix_init(struct fix *f, size_t max)
{
	buf_init(&f->body, max);
	h1_resp_init(&f->r, &f->body);
}

static void fix_free(struct fix *f)
{
	h1_resp_free(&f->r);
	buf_free(&f->body);
}

/* Feed s in pieces of `step` bytes (0: all at once), then the end of the connection when eof. */
static int feed(struct fix *f, const char *s, size_t len, size_t step, bool eof)
{
	int rc = H1_MORE;

	h1_resp_begin(&f->r, false, true, true, true);
	for (size_t off = 0; off < len && rc == H1_MORE;) {
		size_t n = step && len - off > step ? step : len - off;

		rc = h1_resp_feed(&f->r, s + off, n);
		off += n;
	}
	if (rc == H1_MORE && eof)
		rc = h1_resp_feed(&f->r, NULL, 0);
	return rc;
}

static void test_framing(void **state)
{
	static const char cl[] =
	    "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\nx-a:  2 \r\n"
	    "\r\nhello";
	static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n";
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
				   "Content-Length: 2\r\n\r\nok";
	static const char close_[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";
	struct fix f;
	const char *v;
	size_t vl;

	(void)state;
	fix_init(&f, 1 << 20);
	for (size_t step = 0; step < 8; step++) {
		assert_int_equal(feed(&f, cl, sizeof(cl) - 1, step, false), H1_DONE);
		assert_int_equal(f.r.status, 201);
		assert_true(f.r.keep_alive);
		assert_int_equal(f.body.len, 5);
		assert_memory_equal(f.body.data, "hello", 5);
		assert_int_equal(h1_resp_header(&f.r, "x-a", 1, &v, &vl), 0);
		assert_int_equal(vl, 1);
		assert_memory_equal(v, "2", 1);
		assert_int_equal(h1_resp_header(&f.r, "x-a", 2, &v, &vl), -1);

		assert_int_equal(feed(&f, ch, sizeof(ch) - 1, step, false), H1_DONE);
		assert_int_equal(f.body.len, 5);
		assert_memory_equal(f.body.data, "abcde", 5);

		assert_int_equal(feed(&f, cont, sizeof(cont) - 1, step, false), H1_DONE);
		assert_int_equal(f.r.status, 200);
		assert_memory_equal(f.body.data, "ok", 2);

		assert_int_equal(feed(&f, close_, sizeof(close_) - 1, step, false), H1_MORE);
		assert_int_equal(feed(&f, close_, sizeof(close_) - 1, step, true), H1_DONE);
		assert_false(f.r.keep_alive);
		assert_int_equal(f.body.len, 13);
	}
	/* Cut short: not done at the end of the connection (the caller counts error_closed). */
	assert_int_equal(feed(&f, cl, sizeof(cl) - 3, 0, true), H1_MORE);
	/* HEAD: no body, whatever Content-Length says. */
	h1_resp_begin(&f.r, true, true, false, false);
	{
		static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";

		assert_int_equal(h1_resp_feed(&f.r, head, sizeof(head) - 1), H1_DONE);
	}
	/* Bytes after the answer: the connection is not kept. */
	assert_int_equal(feed(&f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nXX", 40, 0, false),
			 H1_DONE);
	assert_false(f.r.keep_alive);
	/* Garbage and oversized headers. */
	assert_int_equal(feed(&f, "garbage\r\n\r\n", 11, 0, false), H1_E_PARSE);
	{
		size_t n = H1_MAX_HEADERS + 100;
		char *big = malloc(n + 64);

		assert_non_null(big);
		memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
		memset(big + 24, 'a', n);
		assert_int_equal(feed(&f, big, n + 24, 4096, false), H1_E_HEADER);
		free(big);
	}
	fix_free(&f);
}

static size_t zip(const char *in, size_t n, char *out, size_t cap, int wbits)
{
	z_stream z = {0};

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

static void test_encoding(void **state)
{
	static const int bits[] = {15 + 16, 15, -15};
	static const char *const names[] = {"gzip", "deflate", "deflate"};
	char plain[5000], packed[6000], msg[7000];
	struct fix f;

	(void)state;
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (char)('a' + i % 7);
	fix_init(&f, 1000);
	for (int k = 0; k < 3; k++) {
		size_t zn = zip(plain, sizeof(plain), packed, sizeof(packed), bits[k]);
		int hl = snprintf(
		    msg, sizeof(msg),
		    "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
		    names[k], zn);

		memcpy(msg + hl, packed, zn);
		assert_int_equal(feed(&f, msg, (size_t)hl + zn, 7, false), H1_DONE);
		/* decoded, and kept up to the cap */
		assert_int_equal(f.body.len, 1000);
		assert_memory_equal(f.body.data, plain, 1000);
		h1_resp_end(&f.r);
	}
	{
		int hl =
		    snprintf(msg, sizeof(msg),
			     "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n"
			     "\r\nnot gzip!!");

		assert_int_equal(feed(&f, msg, (size_t)hl, 0, false), H1_E_ENCODING);
	}
	fix_free(&f);
}

static void url_is(const char *s, const char *host, unsigned port, const char *path)
{
	struct h1_url u;

	assert_int_equal(h1_url_parse(s, strlen(s), &u), 0);
	assert_int_equal(u.hlen, strlen(host));
	assert_memory_equal(u.host, host, u.hlen);
	assert_int_equal(u.port, port);
	assert_int_equal(u.plen, strlen(path));
	assert_memory_equal(u.path, path, u.plen);
}

static void resolves(const char *base, const char *loc, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(h1_url_resolve(base, strlen(base), loc, strlen(loc), &b), 0);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void test_urls(void **state)
{
	struct h1_url u;

	(void)state;
	url_is("http://127.0.0.1:8080/a/b?x=1#frag", "127.0.0.1", 8080, "/a/b?x=1");
	url_is("http://host", "host", 80, "");
	url_is("http://u:p@host:81?q", "host", 81, "?q");
	url_is("http://[::1]:9/", "::1", 9, "/");
	assert_int_equal(h1_url_parse("https://h/", 10, &u), 0);
	assert_true(u.https);
	assert_int_equal(u.port, 443);
	assert_int_equal(h1_url_parse("http://h:99999/", 15, &u), -1);
	assert_int_equal(h1_url_parse("http://:1/", 10, &u), -1);
	assert_int_equal(h1_url_parse("ftp://h/", 8, &u), -1);
	resolves("http://h:1/a/b?x", "/c", "http://h:1/c");
	resolves("http://h:1/a/b?x", "c?d", "http://h:1/a/c?d");
	resolves("http://h:1/a/b?x", "?y", "http://h:1/a/b?y");
	resolves("http://h:1/a/b", "//o:2/p", "http://o:2/p");
	resolves("http://h:1/a/b", " http://o/p ", "http://o/p");
	resolves("https://h/a/b", "//o/p", "https://o/p");
}

static void cookie_header(struct cookie_jar *j, const char *url, int64_t now, const char *want)
{
	struct h1_url u;
	struct buf b;

	assert_int_equal(h1_url_parse(url, strlen(url), &u), 0);
	buf_init(&b, 0);
	cookie_jar_header(j, &u, &b, now);
	buf_append_byte(&b, 0);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void set(struct cookie_jar *j, const char *url, const char *c, int64_t now)
{
	struct h1_url u;

	assert_int_equal(h1_url_parse(url, strlen(url), &u), 0);
	cookie_jar_set(j, &u, c, strlen(c), now);
}

static void test_jar(void **state)
{
	struct cookie_jar j;
	const char *v;
	size_t vl;

	(void)state;
	cookie_jar_init(&j);
	set(&j, "http://a.example.com/x/y", "sid=1", 100);		     /* path /x */
	set(&j, "http://a.example.com/", "dom=2; Domain=.example.com", 100); /* domain cookie */
	set(&j, "http://a.example.com/", "root=3; Path=/; Max-Age=10", 100);
	set(&j, "http://a.example.com/", "sec=4; Secure", 100);	 /* refused over http */
	set(&j, "https://a.example.com/", "tls=8; Secure", 100); /* sent over https only */
	set(&j, "http://a.example.com/", "evil=5; Domain=other.com", 100); /* refused */
	set(&j, "http://a.example.com/", "old=6; Expires=Thu, 01 Jan 1970 00:00:00 GMT", 100);
	cookie_header(&j, "http://a.example.com/x/z", 105, "Cookie: sid=1; root=3; dom=2\r\n");
	cookie_header(&j, "https://a.example.com/", 105, "Cookie: root=3; tls=8; dom=2\r\n");
	cookie_header(&j, "http://a.example.com/xy", 105, "Cookie: root=3; dom=2\r\n");
	cookie_header(&j, "http://b.example.com/x/z", 105, "Cookie: dom=2\r\n"); /* host-only */
	cookie_header(&j, "http://a.example.com/", 200, "Cookie: dom=2\r\n");	 /* root expired */
	/* Replace, then delete with Max-Age=0. */
	set(&j, "http://a.example.com/x/", "sid=7; Path=/x", 100);
	assert_int_equal(cookie_jar_get(&j, "sid", 0, &v, &vl), 0);
	assert_memory_equal(v, "7", vl);
	assert_int_equal(cookie_jar_get(&j, "sid", 1, &v, &vl), -1);
	set(&j, "http://a.example.com/x/", "sid=; Path=/x; Max-Age=0", 100);
	assert_int_equal(cookie_jar_get(&j, "sid", 0, &v, &vl), -1);
	cookie_jar_clear(&j);
	cookie_header(&j, "http://a.example.com/", 100, "");
	cookie_jar_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_encoding),
	    cmocka_unit_test(test_urls),
	    cmocka_unit_test(test_jar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
