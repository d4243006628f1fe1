/* Rendering a compiled request for one user, the same for every HTTP client: the URL (a
 * templated path joined to the target, then checked), the header lines (constant ones copied,
 * templated ones rendered) and the body, into the user's buffers (user.h). Nothing is
 * allocated once the buffers have grown to the largest request. The redirect rules (which
 * statuses are followed, and when a hop turns into a GET) are here too, so both clients follow
 * the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/prog.h"
#include "agent/render.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"

/* Render one template into b (appending). */
static int render(struct user *u, const struct tmpl *t, struct buf *b)
{
	struct expr_env env;
	char *e = NULL;

	user_env(u, &env);
	buf_reset(&u->w->scratch);
	if (tmpl_render(t, &env, &u->w->scratch, b, &e) < 0) {
		free(e);
		return -1;
	}
	return 0;
}

/* A rendered URL must be one libcurl sends as written: a space, a quote or another character
 * outside RFC 3986 would be refused or re-encoded, and a '#' the template's own text does not
 * have (a value holding one) would silently cut the URL there. The usual cause is a variable
 * put in a query without urlencode(). Describes the first bad byte in u->errbuf. */
static int check_url(struct user *u, const struct creq *r, const char *url, size_t len)
{
	bool hash_ok = strchr(r->src->url, '#') != NULL;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		const char *what = NULL;
		char tmp[16];

		if (c == ' ')
			what = "a space";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "byte 0x%02x", c);
			what = tmp;
		} else if (c >= 0x80)
			what = "a non-ASCII byte";
		else if (c == '#' && !hash_ok)
			what = "'#'";
		else if (strchr("\"<>\\^`{|}", c)) {
			snprintf(tmp, sizeof(tmp), "'%c'", c);
			what = tmp;
		}
		if (what) {
			snprintf(
			    u->errbuf, sizeof(u->errbuf),
			    "the rendered URL \"%.80s%s\" has %s at byte %zu, which is not valid "
			    "in a URL",
			    url, len > 80 ? "..." : "", what, i + 1);
			return -1;
		}
	}
	return 0;
}

int render_headers(struct user *u, const struct creq *r, size_t *offs, size_t *np)
{
	size_t n;

	buf_reset(&u->hdrs);
	n = 0;
	for (size_t i = 0; i < r->nhdrs && n < RENDER_MAX_HEADERS - 1; i++) {
		offs[n] = u->hdrs.len;
		if (r->hdrs[i].t) {
			if (render(u, r->hdrs[i].t, &u->hdrs) < 0)
				return -1;
		} else if (buf_append_str(&u->hdrs, r->hdrs[i].line) < 0)
			return -1;
		if (buf_append_byte(&u->hdrs, 0) < 0)
			return -1;
		n++;
	}
	if (r->has_body) {
		/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
		offs[n] = u->hdrs.len;
		if (buf_append(&u->hdrs, "Expect:", 8) < 0)
			return -1;
		n++;
	}
	*np = n;
	return 0;
}

int render_url(struct user *u, const struct creq *r, const char **url, size_t *len)
{
	size_t at;

	if (!r->url) {
		*url = r->url_const;
		*len = strlen(r->url_const);
		return 0;
	}
	buf_reset(&u->url);
	if (r->url_is_path)
		buf_append_str(&u->url, u->w->prog->target);
	at = u->url.len;
	if (render(u, r->url, &u->url) < 0)
		return -1;
	if (r->url_is_path && (u->url.len == at || u->url.data[at] != '/')) {
		buf_reset(&u->tmp);
		buf_append(&u->tmp, u->url.data, at);
		buf_append_byte(&u->tmp, '/');
		buf_append(&u->tmp, u->url.data + at, u->url.len - at);
		buf_reset(&u->url);
		buf_append(&u->url, u->tmp.data, u->tmp.len);
	}
	if (check_url(u, r, u->url.data, u->url.len) < 0)
		return TRANSPORT_BAD_URL;
	*url = u->url.data;
	*len = u->url.len;
	return 0;
}

int render_body(struct user *u, const struct creq *r, const char **body, size_t *len)
{
	*body = NULL;
	*len = 0;
	if (!r->has_body)
		return 0;
	if (r->body) {
		buf_reset(&u->body);
		if (render(u, r->body, &u->body) < 0)
			return -1;
		*body = u->body.data ? u->body.data : "";
		*len = u->body.len;
	} else {
		*body = r->body_const;
		*len = r->body_len;
	}
	return 0;
}

bool render_is_redirect(const struct user *u, long status)
{
	return u->hops_left > 0 &&
	       (status == 301 || status == 302 || status == 303 || status == 307 || status == 308);
}

bool render_hop_to_get(const struct user *u, long status)
{
	return status == 303 || ((status == 301 || status == 302) && u->req &&
				 u->req->method != M_GET && u->req->method != M_HEAD);
}
