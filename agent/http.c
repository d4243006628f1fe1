/* The libcurl client behind the transport interface (transport.h): HTTP/1.1 and HTTP/2, and
 * whatever the lean client does not cover (http.client: curl, or auto with HTTPS or HTTP/2).
 *
 * Each user owns one easy handle for its whole life (reused for every request, so nothing is
 * allocated per request on our side) and one CURLSH holding its cookies, its TLS sessions and —
 * unless http.share_connections — its connection cache: libcurl then keeps that user's
 * keep-alive connections apart from everyone else's inside the worker's one multi handle, as a
 * browser would. A new user gets a new share: new cookies, new connections; the share is closed
 * when the session ends (end_session), and its connections with it.
 *
 * The multi-socket glue (the pattern of curl's docs/examples/multi-event.c, written for this
 * engine): libcurl tells us which sockets to watch (on_socket) and when to call it back
 * (on_curl_timer); we tell it which socket became ready (curl_multi_socket_action) and then
 * read finished transfers (drain), handing each to its user (session_transfer_done). One struct
 * event per file descriptor number is created the first time that number is seen and
 * re-assigned afterwards, so no event is allocated per connection or per request.
 *
 * The hot path is kept short: a request whose URL, headers and body are constant and equal to
 * the previous request's skips every setopt; constant URLs are handed over as a prebuilt CURLU
 * (no URL parsing of ours per request); headers are our own curl_slist nodes pointing into the
 * user's buffer (libcurl only reads them); proxy environment lookups are switched off by an
 * explicit empty proxy; response bodies are only copied when a capture or an expectation reads
 * them, and then only up to http.max_body. Timings come from libcurl's CURLINFO_*_TIME_T. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/prog.h"
#include "agent/render.h"
#include "agent/session.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "common/clock.h"
#include "common/err.h"

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct user *u = arg;
	size_t n = size * nmemb;

	if (u->req && u->req->need_body && u->resp.len < u->resp.max) {
		size_t room = u->resp.max - u->resp.len;

		(void)buf_append(&u->resp, ptr, n < room ? n : room);
	}
	return n;
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct worker *w = arg;
	curl_socket_t s = socket(a->family, a->socktype, a->protocol);

	if (s != CURL_SOCKET_BAD && worker_bind_source(w, s, a->family) < 0) {
		close(s);
		return CURL_SOCKET_BAD; /* libcurl counts it as a failed connect */
	}
	if (s != CURL_SOCKET_BAD)
		worker_count_conn(w, 1);
	(void)purpose;
	return s;
}

static int on_close_socket(void *arg, curl_socket_t s)
{
	worker_count_conn(arg, -1);
	return close(s);
}

static void drain(struct worker *w)
{
	CURLMsg *m;
	int left, running;
	bool added = false;

again:
	while ((m = curl_multi_info_read(w->multi, &left))) {
		struct user *u = NULL;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&u);
		curl_multi_remove_handle(w->multi, e);
		if (u) {
			w->added = 0;
			session_transfer_done(u, rc);
			added |= w->added > 0;
		}
	}
	/* Completions usually start the users' next requests. Kicking libcurl now, in the same
	 * loop iteration, sends them at once instead of one timer round trip later, and lets
	 * libevent's changelist fold the idle connection's "remove" and the new request's "watch"
	 * into no epoll_ctl call at all. */
	if (added) {
		added = false;
		curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		goto again;
	}
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int flags =
	    (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(w->multi, fd, flags, &running);
	drain(w);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct event *ev;
	short flags;

	(void)e;
	(void)socketp;
	if (s < 0)
		return 0;
	if ((size_t)s >= w->nfdev) {
		size_t n = w->nfdev ? w->nfdev : 64;
		struct event **v;

		while (n <= (size_t)s)
			n *= 2;
		v = realloc(w->fdev, n * sizeof(*v));
		if (!v)
			return -1;
		memset(v + w->nfdev, 0, (n - w->nfdev) * sizeof(*v));
		w->fdev = v;
		w->nfdev = n;
	}
	ev = w->fdev[s];
	if (what == CURL_POLL_REMOVE) {
		if (ev)
			event_del(ev);
		return 0;
	}
	flags = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		(what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!ev) {
		ev = event_new(w->base, s, flags, on_sock_event, w);
		if (!ev)
			return -1;
		w->fdev[s] = ev;
	} else {
		event_del(ev);
		event_assign(ev, w->base, s, flags, on_sock_event, w);
	}
	event_add(ev, NULL);
	return 0;
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(w);
}

static int on_timer_change(CURLM *m, long timeout_ms, void *userp)
{
	struct worker *w = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(w->curl_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(w->curl_timer, &tv);
	return 0;
}

static int curl_worker_init(struct worker *w, char **err)
{
	w->multi = curl_multi_init();
	if (!w->multi)
		return err_set(err, "worker %d: out of memory", w->id);
	w->curl_timer = evtimer_new(w->base, on_curl_timer, w);
	if (!w->curl_timer)
		return err_set(err, "worker %d: cannot create events", w->id);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	return 0;
}

static void curl_worker_free(struct worker *w)
{
	if (w->multi)
		curl_multi_cleanup(w->multi);
	w->multi = NULL;
	for (size_t i = 0; i < w->nfdev; i++)
		if (w->fdev[i])
			event_free(w->fdev[i]);
	free(w->fdev);
	w->fdev = NULL;
	w->nfdev = 0;
	if (w->curl_timer)
		event_free(w->curl_timer);
	w->curl_timer = NULL;
}

/* ---- users ---- */

static int curl_new_share(struct user *u)
{
	const struct plan *p = u->w->prog->plan;
	CURLSH *sh;

	if (u->share) {
		curl_easy_setopt(u->easy, CURLOPT_SHARE, NULL);
		curl_share_cleanup(u->share);
		u->share = NULL;
	}
	sh = curl_share_init();
	if (!sh)
		return -1;
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (!p->http.share_connections)
		curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	u->share = sh;
	curl_easy_setopt(u->easy, CURLOPT_SHARE, sh);
	/* The share's jar starts empty; the engine must be on for Set-Cookie to be kept. */
	curl_easy_setopt(u->easy, CURLOPT_COOKIEFILE, "");
	u->last_req = NULL;
	return 0;
}

static void curl_end_session(struct user *u)
{
	/* Closing the share closes the connections in its cache: the user's keep-alive
	 * connections end with its session, as a browser tab's do. With share_connections the
	 * connections are the worker's pool, not the user's, and stay. */
	if (!u->share || u->w->prog->plan->http.share_connections)
		return;
	curl_easy_setopt(u->easy, CURLOPT_SHARE, NULL);
	curl_share_cleanup(u->share);
	u->share = NULL;
	u->last_req = NULL;
}

static int curl_user_init(struct user *u, char **err)
{
	const struct plan *p = u->w->prog->plan;
	const struct plan_http *h = &p->http;
	CURL *e;

	e = curl_easy_init();
	if (!e)
		return err_set(err, "curl_easy_init failed");
	u->easy = e;
	curl_easy_setopt(e, CURLOPT_PRIVATE, u);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* An explicit empty proxy and a no-proxy list that matches everything: libcurl then skips
	 * reading the *_proxy and no_proxy environment variables on every transfer (a measurable
	 * share of a naive loop's time). */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, u->w);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, u->w);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)((h->connect_timeout_us ? h->connect_timeout_us : 3000000) / 1000));
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	/* As browsers and k6 do: ask for compressed answers and decode them before captures and
	 * expectations read the body (on_write sees decoded bytes; size_rcv counts the wire). */
	if (h->compression)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	if (!h->keepalive)
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	if (h->version == 2)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 u->w->prog->https ? (long)CURL_HTTP_VERSION_2TLS
						   : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	else
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->tls_verify ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, h->tls_session_reuse ? 1L : 0L);
	if (h->tls_ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->tls_ca);
	if (h->tls_cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, h->tls_cert);
	if (h->tls_key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, h->tls_key);
	if (h->tls_ciphers)
		curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, h->tls_ciphers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, u->errbuf);
	return 0;
}

static void curl_user_free(struct user *u)
{
	if (u->easy)
		curl_easy_cleanup(u->easy);
	if (u->share)
		curl_share_cleanup(u->share);
	u->easy = NULL;
	u->share = NULL;
}

static bool req_constant(const struct creq *r)
{
	return !r->url && r->nhdr_tmpl == 0 && !r->body;
}

static int set_headers(struct user *u, const struct creq *r)
{
	size_t offs[RENDER_MAX_HEADERS];
	size_t n = r->nhdrs + 1;

	if (n > RENDER_MAX_HEADERS)
		n = RENDER_MAX_HEADERS;
	if (n > u->hdr_nodes_cap) {
		struct curl_slist *v = realloc(u->hdr_nodes, n * sizeof(*v));

		if (!v)
			return -1;
		u->hdr_nodes = v;
		u->hdr_nodes_cap = n;
	}
	if (render_headers(u, r, offs, &n) < 0)
		return -1;
	/* Pointers only now: rendering may have moved the buffer. */
	for (size_t i = 0; i < n; i++) {
		u->hdr_nodes[i].data = u->hdrs.data + offs[i];
		u->hdr_nodes[i].next = i + 1 < n ? &u->hdr_nodes[i + 1] : NULL;
	}
	curl_easy_setopt(u->easy, CURLOPT_HTTPHEADER, n ? u->hdr_nodes : NULL);
	return 0;
}

/* Start the transfer the easy handle is set up for. */
static int curl_add(struct user *u)
{
	u->errbuf[0] = '\0';
	u->sent_us = clock_mono_us();
	if (curl_multi_add_handle(u->w->multi, u->easy) != CURLM_OK)
		return -1;
	u->w->added++;
	return 0;
}

static int curl_send(struct user *u, const struct creq *r)
{
	CURL *e = u->easy;
	const char *url, *body = NULL;
	size_t url_len, body_len = 0;
	int rc;

	if (u->last_req == r && req_constant(r))
		goto add;
	if (r->url_handle) {
		curl_easy_setopt(e, CURLOPT_URL, NULL);
		curl_easy_setopt(e, CURLOPT_CURLU, r->url_handle);
	} else if (r->url) {
		rc = render_url(u, r, &url, &url_len);
		if (rc == TRANSPORT_BAD_URL)
			u->last_req = NULL;
		if (rc < 0)
			return rc;
		curl_easy_setopt(e, CURLOPT_CURLU, NULL);
		curl_easy_setopt(e, CURLOPT_URL, url);
	}
	if (set_headers(u, r) < 0 || render_body(u, r, &body, &body_len) < 0)
		return -1;
	/* Method: reset what a previous request may have set. CURLOPT_HTTPGET clears NOBODY, so
	 * NOBODY (HEAD) comes after it, or a HEAD step would go out as a GET. */
	if (r->method == M_GET || r->method == M_HEAD || (r->method == M_OTHER && !r->has_body))
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_NOBODY, r->method == M_HEAD ? 1L : 0L);
	if (r->has_body || r->method == M_POST) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
	}
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method == M_OTHER ? r->src->method : NULL);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	u->last_req = r;
add:
	return curl_add(u);
}

/* What the finished transfer took, from libcurl's CURLINFO_* figures. */
static void curl_xfer(struct user *u, struct http_xfer *x)
{
	CURL *e = u->easy;
	long code = 0, nconn = 0, hsize = 0, rsize = 0;
	curl_off_t total = 0, start = 0, pre = 0, conn = 0, dns = 0, app = 0, down = 0, up = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total);
	curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &start);
	curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &nconn);
	curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
	curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &hsize);
	curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &rsize);
	curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
	memset(x, 0, sizeof(*x));
	x->code = code;
	x->nconn = nconn;
	x->total = total;
	x->start = start;
	x->pre = pre;
	x->rcv = (uint64_t)(down + hsize);
	x->sent = (uint64_t)(rsize + up);
	x->errbuf_owner = "libcurl";
	if (nconn > 0) {
		curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &conn);
		curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &dns);
		if (conn > 0)
			x->connect = conn - (dns < conn ? dns : 0);
		if (u->w->prog->https) {
			curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &app);
			if (app > conn)
				x->tls = app - conn;
		}
	}
}

static void curl_cancel(struct user *u)
{
	curl_multi_remove_handle(u->w->multi, u->easy);
}

static int curl_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(u->easy, name, idx, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	*val = h->value;
	*len = strlen(h->value);
	return 0;
}

static void curl_cookies(struct user *u, const char *name, transport_take_fn take, void *arg)
{
	struct curl_slist *list = NULL;
	size_t nl = strlen(name);

	if (curl_easy_getinfo(u->easy, CURLINFO_COOKIELIST, &list) != CURLE_OK)
		return;
	/* Netscape format: domain, flag, path, secure, expiry, name, value (tab separated). */
	for (struct curl_slist *l = list; l; l = l->next) {
		const char *p = l->data;
		int tabs = 0;

		while (*p && tabs < 5)
			if (*p++ == '\t')
				tabs++;
		if (tabs == 5 && strncmp(p, name, nl) == 0 && p[nl] == '\t') {
			const char *v = p + nl + 1;

			if (take(arg, v, strlen(v)))
				break;
		}
	}
	curl_slist_free_all(list);
}

static int curl_follow(struct user *u, long status)
{
	CURL *e = u->easy;
	char *loc = NULL;
	bool to_get;

	if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc || !*loc)
		return 0;
	/* libcurl resolved the Location against the URL; copy it before any setopt. */
	buf_reset(&u->tmp);
	if (buf_append_str(&u->tmp, loc) < 0 || buf_append_byte(&u->tmp, 0) < 0)
		return -1;
	buf_reset(&u->url);
	if (buf_append(&u->url, u->tmp.data, u->tmp.len) < 0)
		return -1;
	u->hops_left--;
	u->hop = true;
	u->last_req = NULL; /* the handle no longer holds the step's request */
	curl_easy_setopt(e, CURLOPT_CURLU, NULL);
	curl_easy_setopt(e, CURLOPT_URL, u->url.data);
	to_get = render_hop_to_get(u, status);
	if (to_get) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
	}
	/* The step's own Host line (prebuilt for a constant URL) must not follow it elsewhere;
	 * libcurl writes the right one when there is none. */
	if (u->req && u->req->url_handle && u->req->nhdrs > 0 && u->hdr_nodes) {
		struct curl_slist *keep[256];
		size_t nk = 0;

		for (struct curl_slist *n = &u->hdr_nodes[0]; n && nk < 256; n = n->next)
			if (strncasecmp(n->data, "Host:", 5) != 0)
				keep[nk++] = n;
		for (size_t i = 0; i < nk; i++)
			keep[i]->next = i + 1 < nk ? keep[i + 1] : NULL;
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, nk ? keep[0] : NULL);
	}
	buf_reset(&u->resp);
	return curl_add(u) < 0 ? -1 : 1;
}

const struct transport http_transport = {
    .name = "libcurl",
    .worker_init = curl_worker_init,
    .worker_free = curl_worker_free,
    .user_init = curl_user_init,
    .user_free = curl_user_free,
    .new_share = curl_new_share,
    .end_session = curl_end_session,
    .send = curl_send,
    .xfer = curl_xfer,
    .follow = curl_follow,
    .cancel = curl_cancel,
    .header = curl_header,
    .cookies = curl_cookies,
};
