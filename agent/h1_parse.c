/* The lean client's answers, URLs and cookies (see h1.h). Answers are read by Debian's
 * libhttp-parser (the parser wrk uses; docs/dependencies.md says why): it is a streaming
 * parser, so bytes are handed over as they arrive and only what a request needs is copied out
 * of the worker's read buffer: the status, Location, Set-Cookie, Content-Encoding, the headers
 * when a capture or an expectation reads one, and the body (decoded) when one reads it. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "agent/h1.h"

/* ---- URLs ---- */

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

/* ---- cookies ---- */

void h1_jar_init(struct h1_jar *j)
{
	memset(j, 0, sizeof(*j));
}

void h1_jar_clear(struct h1_jar *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->v[i].name);
	j->n = 0;
}

void h1_jar_free(struct h1_jar *j)
{
	h1_jar_clear(j);
	free(j->v);
	j->v = NULL;
	j->cap = 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static bool domain_match(const char *host, size_t hl, const char *dom)
{
	size_t dl = strlen(dom);

	if (hl == dl)
		return strncasecmp(host, dom, hl) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strncasecmp(host + hl - dl, dom, dl) == 0;
}

static bool path_match(const char *rp, size_t rl, const char *cp)
{
	size_t cl = strlen(cp);

	if (rl < cl || strncmp(rp, cp, cl) != 0)
		return false;
	return rl == cl || cp[cl - 1] == '/' || rp[cl] == '/';
}

/* The request path without its query ("/" when empty). */
static void req_path(const struct h1_url *u, const char **p, size_t *n)
{
	const char *q = memchr(u->path, '?', u->plen);

	*p = u->path;
	*n = q ? (size_t)(q - u->path) : u->plen;
	if (*n == 0 || **p != '/') {
		*p = "/";
		*n = 1;
	}
}

void h1_jar_set(struct h1_jar *j, const struct h1_url *url, const char *s, size_t len, int64_t now)
{
	const char *end = s + len, *semi = memchr(s, ';', len), *eq;
	const char *name, *val, *dom = NULL, *path = NULL;
	size_t nl, vl, doml = 0, pathl = 0;
	int64_t expires = 0;
	bool secure = false, have_max_age = false, del = false;
	struct h1_cookie c = {0}, *slot = NULL;
	char *mem;

	if (!semi)
		semi = end;
	eq = memchr(s, '=', (size_t)(semi - s));
	if (!eq)
		return;
	name = s;
	nl = (size_t)(eq - s);
	val = eq + 1;
	vl = (size_t)(semi - val);
	trim(&name, &nl);
	trim(&val, &vl);
	if (nl == 0 || nl > 4096 || vl > 4096)
		return;
	/* A quoted value is kept with its quotes, as libcurl does. */
	for (const char *a = semi; a < end;) {
		const char *an, *av = NULL, *ae;
		size_t anl, avl = 0;

		a++;
		ae = memchr(a, ';', (size_t)(end - a));
		if (!ae)
			ae = end;
		an = a;
		eq = memchr(a, '=', (size_t)(ae - a));
		anl = (size_t)((eq ? eq : ae) - a);
		if (eq) {
			av = eq + 1;
			avl = (size_t)(ae - av);
			trim(&av, &avl);
		}
		trim(&an, &anl);
		if (anl == 6 && strncasecmp(an, "domain", 6) == 0 && avl) {
			dom = av;
			doml = avl;
			if (*dom == '.')
				dom++, doml--;
		} else if (anl == 4 && strncasecmp(an, "path", 4) == 0 && avl && *av == '/') {
			path = av;
			pathl = avl;
		} else if (anl == 7 && strncasecmp(an, "max-age", 7) == 0 && avl) {
			long long ma = 0;
			bool neg = *av == '-', ok = true;

			for (size_t i = neg ? 1 : 0; i < avl; i++) {
				if (av[i] < '0' || av[i] > '9') {
					ok = false;
					break;
				}
				if (ma < 1000000000000LL)
					ma = ma * 10 + (av[i] - '0');
			}
			if (ok) {
				have_max_age = true;
				if (neg || ma == 0)
					del = true;
				else
					expires = now + ma;
			}
		} else if (anl == 7 && strncasecmp(an, "expires", 7) == 0 && avl && !have_max_age) {
			char tmp[128];
			time_t t;

			if (avl < sizeof(tmp)) {
				memcpy(tmp, av, avl);
				tmp[avl] = '\0';
				t = curl_getdate(tmp, NULL);
				if (t != (time_t)-1) {
					if ((int64_t)t <= now)
						del = true;
					else
						expires = (int64_t)t;
				}
			}
		} else if (anl == 6 && strncasecmp(an, "secure", 6) == 0)
			secure = true;
		a = ae;
	}
	/* A secure cookie from a plain-HTTP origin is refused, as libcurl does. */
	if (secure && !url->https)
		return;
	c.secure = secure;
	if (dom) {
		char d[256];

		if (doml == 0 || doml >= sizeof(d))
			return;
		memcpy(d, dom, doml);
		d[doml] = '\0';
		if (!domain_match(url->host, url->hlen, d))
			return;
	} else {
		dom = url->host;
		doml = url->hlen;
		c.host_only = true;
	}
	if (!path) {
		const char *rp;
		size_t rl;

		req_path(url, &rp, &rl);
		while (rl > 1 && rp[rl - 1] != '/')
			rl--;
		if (rl > 1)
			rl--; /* up to, not including, the last '/' */
		path = rp;
		pathl = rl;
	}
	mem = malloc(nl + vl + doml + pathl + 4);
	if (!mem)
		return;
	c.name = mem;
	memcpy(c.name, name, nl);
	c.name[nl] = '\0';
	c.value = c.name + nl + 1;
	memcpy(c.value, val, vl);
	c.value[vl] = '\0';
	c.domain = c.value + vl + 1;
	for (size_t i = 0; i < doml; i++)
		c.domain[i] = (char)tolower((unsigned char)dom[i]);
	c.domain[doml] = '\0';
	c.path = c.domain + doml + 1;
	memcpy(c.path, path, pathl);
	c.path[pathl] = '\0';
	c.expires = expires;
	c.created = ++j->seq;
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].name, c.name) == 0 && strcmp(j->v[i].domain, c.domain) == 0 &&
		    strcmp(j->v[i].path, c.path) == 0) {
			slot = &j->v[i];
			break;
		}
	if (del) {
		free(mem);
		if (slot) {
			free(slot->name);
			*slot = j->v[--j->n];
		}
		return;
	}
	if (slot) {
		c.created = slot->created; /* a replaced cookie keeps its age, as in libcurl */
		free(slot->name);
		*slot = c;
		return;
	}
	if (j->n == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 4;
		struct h1_cookie *v = realloc(j->v, nc * sizeof(*v));

		if (!v || j->n >= 1000) {
			free(mem);
			if (v)
				j->v = v, j->cap = nc;
			return;
		}
		j->v = v;
		j->cap = nc;
	}
	j->v[j->n++] = c;
}

static bool cookie_before(const struct h1_cookie *a, const struct h1_cookie *b)
{
	size_t la = strlen(a->path), lb = strlen(b->path);

	if (la != lb)
		return la > lb;
	la = strlen(a->domain);
	lb = strlen(b->domain);
	if (la != lb)
		return la > lb;
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la > lb;
	return a->created > b->created; /* libcurl 7.88: the newer first */
}

void h1_jar_header(struct h1_jar *j, const struct h1_url *url, struct buf *b, int64_t now)
{
	const struct h1_cookie *pick[64];
	size_t np = 0;
	const char *rp;
	size_t rl;

	if (j->n == 0)
		return;
	req_path(url, &rp, &rl);
	for (size_t i = 0; i < j->n && np < 64; i++) {
		const struct h1_cookie *c = &j->v[i];
		bool dm;

		if (c->expires && c->expires <= now)
			continue;
		if (c->host_only)
			dm = strlen(c->domain) == url->hlen &&
			     strncasecmp(c->domain, url->host, url->hlen) == 0;
		else
			dm = domain_match(url->host, url->hlen, c->domain);
		if (!dm || !path_match(rp, rl, c->path) || (c->secure && !url->https))
			continue;
		size_t k = np++;

		while (k > 0 && cookie_before(c, pick[k - 1])) {
			pick[k] = pick[k - 1];
			k--;
		}
		pick[k] = c;
	}
	if (np == 0)
		return;
	buf_append_str(b, "Cookie: ");
	for (size_t i = 0; i < np; i++) {
		if (i)
			buf_append(b, "; ", 2);
		buf_append_str(b, pick[i]->name);
		buf_append_byte(b, '=');
		buf_append_str(b, pick[i]->value);
	}
	buf_append(b, "\r\n", 2);
}

int h1_jar_get(const struct h1_jar *j, const char *name, size_t idx, const char **val, size_t *len)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].name, name) == 0 && idx-- == 0) {
			*val = j->v[i].value;
			*len = strlen(j->v[i].value);
			return 0;
		}
	return -1;
}
