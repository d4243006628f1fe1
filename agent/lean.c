/* The lean HTTP/1.1 client (h1.c) behind the transport interface (transport.h): a request is
 * rendered into the user's buffers (render.c) and handed to h1_send with its header lines; a
 * redirect resolves Location against the URL just asked and sends the hop with the step's
 * headers (but its Host line) and, for 307/308, its body. Everything else maps one to one onto
 * h1.c's entry points. */
#include "agent/h1.h"
#include "agent/prog.h"
#include "agent/render.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "common/clock.h"

static int lean_send(struct user *u, const struct creq *r)
{
	const char *url, *body;
	size_t url_len, body_len, offs[RENDER_MAX_HEADERS], n;
	int rc;

	rc = render_url(u, r, &url, &url_len);
	if (rc < 0)
		return rc;
	if (render_headers(u, r, offs, &n) < 0 || render_body(u, r, &body, &body_len) < 0)
		return -1;
	u->errbuf[0] = '\0';
	u->sent_us = clock_mono_us();
	return h1_send(u, r, url, url_len, u->hdrs.data, u->hdrs.len, body, body_len, false, false);
}

/* The lean client's redirect: resolve Location against the URL just asked, then send the hop
 * with the step's headers (but its Host line) and, for 307/308, its body. */
static int lean_follow(struct user *u, long status)
{
	const char *loc, *cur, *body = NULL;
	size_t ll, cl, body_len = 0;
	bool to_get;

	loc = h1_location(u, &ll);
	if (!loc)
		return 0;
	cur = h1_current_url(u, &cl);
	if (h1_url_resolve(cur, cl, loc, ll, &u->tmp) < 0)
		return 0;
	buf_reset(&u->url);
	if (buf_append(&u->url, u->tmp.data, u->tmp.len) < 0 || buf_append_byte(&u->url, 0) < 0)
		return -1;
	u->url.len--;
	u->hops_left--;
	u->hop = true;
	u->last_req = NULL;
	to_get = render_hop_to_get(u, status);
	if (!to_get && u->req->has_body) {
		body = u->req->body ? (u->body.data ? u->body.data : "") : u->req->body_const;
		body_len = u->req->body ? u->body.len : u->req->body_len;
	}
	buf_reset(&u->resp);
	u->errbuf[0] = '\0';
	u->sent_us = clock_mono_us();
	if (h1_send(u, u->req, u->url.data, u->url.len, u->hdrs.data, u->hdrs.len, body, body_len,
		    true, to_get) < 0)
		return -1;
	return 1;
}

/* The lean client's per-worker state is made on first use (h1.c). */
static int lean_worker_init(struct worker *w, char **err)
{
	(void)w;
	(void)err;
	return 0;
}

static int lean_new_share(struct user *u)
{
	h1_new_share(u);
	u->last_req = NULL;
	return 0;
}

static void lean_cookies(struct user *u, const char *name, transport_take_fn take, void *arg)
{
	const char *v;
	size_t vl;

	for (size_t i = 0; h1_cookie(u, name, i, &v, &vl) == 0; i++)
		if (take(arg, v, vl))
			break;
}

const struct transport lean_transport = {
    .name = "the lean client",
    .worker_init = lean_worker_init,
    .worker_free = h1_worker_free,
    .user_init = h1_user_init,
    .user_free = h1_user_free,
    .new_share = lean_new_share,
    .end_session = h1_end_session,
    .send = lean_send,
    .xfer = h1_info,
    .follow = lean_follow,
    .cancel = h1_cancel,
    .header = h1_header,
    .cookies = lean_cookies,
};
