/* One user's HTTP: its easy handle, its cookie jar and connection cache, and sending a request
 * and reading what came back.
 *
 * Each user owns one easy handle for its whole life (reused for every request, so nothing is
 * allocated per request on our side) and one CURLSH holding its cookies, its TLS sessions and —
 * unless http.share_connections — its connection cache: libcurl then keeps that user's
 * keep-alive connections apart from everyone else's inside the worker's one multi handle, as a
 * browser would. A new user gets a new share: new cookies, new connections; the share is closed
 * when the session ends (http_end_session), and its connections with it.
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

#include "agent/agent.h"
#include "agent/h1.h"
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

int http_new_share(struct user *u)
{
	const struct plan *p = u->w->prog->plan;
	CURLSH *sh;

	if (u->h1) {
		h1_new_share(u);
		u->last_req = NULL;
		return 0;
	}
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

void http_end_session(struct user *u)
{
	/* Closing the share closes the connections in its cache: the user's keep-alive
	 * connections end with its session, as a browser tab's do. With share_connections the
	 * connections are the worker's pool, not the user's, and stay. */
	if (u->h1) {
		h1_end_session(u);
		return;
	}
	if (!u->share || u->w->prog->plan->http.share_connections)
		return;
	curl_easy_setopt(u->easy, CURLOPT_SHARE, NULL);
	curl_share_cleanup(u->share);
	u->share = NULL;
	u->last_req = NULL;
}

int http_user_init(struct user *u, char **err)
{
	const struct plan *p = u->w->prog->plan;
	const struct plan_http *h = &p->http;
	CURL *e;

	if (u->w->prog->lean)
		return h1_user_init(u, err);
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

void http_user_free(struct user *u)
{
	h1_user_free(u);
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

/* Render the request's header lines into u->hdrs, each NUL-terminated, their offsets in offs
 * (up to 256), their number in *np. */
static int render_headers(struct user *u, const struct creq *r, size_t *offs, size_t *np)
{
	size_t n;

	buf_reset(&u->hdrs);
	n = 0;
	for (size_t i = 0; i < r->nhdrs && n < 255; i++) {
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

static int set_headers(struct user *u, const struct creq *r)
{
	size_t offs[256];
	size_t n = r->nhdrs + 1;

	if (n > 256)
		n = 256;
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

/* The step's URL into u->url (templated) or r->url_const: *url, *len. */
static int render_url(struct user *u, const struct creq *r, const char **url, size_t *len)
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
		return HTTP_BAD_URL;
	*url = u->url.data;
	*len = u->url.len;
	return 0;
}

/* The step's body: *body, *len (NULL, 0 without one). */
static int render_body(struct user *u, const struct creq *r, const char **body, size_t *len)
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

static int lean_send(struct user *u, const struct creq *r)
{
	const char *url, *body;
	size_t url_len, body_len, offs[256], n;
	int rc = render_url(u, r, &url, &url_len);

	if (rc < 0)
		return rc;
	if (render_headers(u, r, offs, &n) < 0 || render_body(u, r, &body, &body_len) < 0)
		return -1;
	u->errbuf[0] = '\0';
	u->sent_us = worker_now();
	return h1_send(u, r, url, url_len, u->hdrs.data, u->hdrs.len, body, body_len, false, false);
}

int http_send(struct user *u, const struct creq *r)
{
	CURL *e = u->easy;
	const char *body = NULL;
	size_t body_len = 0;

	u->req = r;
	u->hop = false;
	u->hops_left = r->max_redirects;
	buf_reset(&u->resp);
	if (u->h1)
		return lean_send(u, r);
	if (u->last_req == r && req_constant(r))
		goto add;
	if (r->url_handle) {
		curl_easy_setopt(e, CURLOPT_URL, NULL);
		curl_easy_setopt(e, CURLOPT_CURLU, r->url_handle);
	} else if (r->url) {
		buf_reset(&u->url);
		if (r->url_is_path) {
			buf_append_str(&u->url, u->w->prog->target);
			/* the template may or may not start with a slash */
		}
		size_t at = u->url.len;

		if (render(u, r->url, &u->url) < 0)
			return -1;
		if (r->url_is_path && u->url.data[at] != '/') {
			/* Insert the missing slash by rebuilding (rare: paths usually start with
			 * /). */
			buf_reset(&u->tmp);
			buf_append(&u->tmp, u->url.data, at);
			buf_append_byte(&u->tmp, '/');
			buf_append(&u->tmp, u->url.data + at, u->url.len - at);
			buf_reset(&u->url);
			buf_append(&u->url, u->tmp.data, u->tmp.len);
		}
		if (check_url(u, r, u->url.data, u->url.len) < 0) {
			u->last_req = NULL;
			return HTTP_BAD_URL;
		}
		curl_easy_setopt(e, CURLOPT_CURLU, NULL);
		curl_easy_setopt(e, CURLOPT_URL, u->url.data);
	}
	if (set_headers(u, r) < 0)
		return -1;
	if (r->has_body) {
		if (r->body) {
			buf_reset(&u->body);
			if (render(u, r->body, &u->body) < 0)
				return -1;
			body = u->body.data ? u->body.data : "";
			body_len = u->body.len;
		} else {
			body = r->body_const;
			body_len = r->body_len;
		}
	}
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
	u->errbuf[0] = '\0';
	u->sent_us = worker_now();
	if (curl_multi_add_handle(u->w->multi, e) != CURLM_OK)
		return -1;
	u->w->added++;
	return 0;
}

int http_error_counter(CURLcode rc, const char *reason)
{
	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
		/* libcurl's buffers are capped: a response header line over 100 KiB fails the
		 * transfer as "out of memory" (with no message), and that, not the machine's
		 * memory, is what this code means on a transfer. */
		return C_ERR_HEADER_TOO_LARGE;
	case CURLE_RECV_ERROR:
		/* More than 300 KiB of response headers in all: libcurl says so in its message. */
		if (reason && strstr(reason, "header"))
			return C_ERR_HEADER_TOO_LARGE;
		return C_ERR_CLOSED;
	case CURLE_COULDNT_CONNECT:
		return C_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return C_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return C_ERR_DNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_INITFAILED:
		return C_ERR_TLS;
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return C_ERR_CLOSED;
	default:
		return C_ERR_OTHER;
	}
}

/* Record one finished transfer. A request counts in `requests` (attempted) whatever happened;
 * only a complete response enters `request`, `ttfb`, `req_NAME` and `http_NNN`. A transfer that
 * failed (no connection, no status line, a reset or a timeout part way through the body) is
 * counted by its error name and timed in `request_failed` alone: its time says how long failing
 * took, not how fast the target answers, and its status (if a status line came before the
 * failure) is not an answer the target finished giving. Returns the status of a complete
 * response, 0 otherwise. */
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

/* Record one finished transfer. A request counts in `requests` (attempted) whatever happened;
 * only a complete response enters `request`, `ttfb`, `req_NAME` and `http_NNN`. A transfer that
 * failed (no connection, no status line, a reset or a timeout part way through the body) is
 * counted by its error name and timed in `request_failed` alone: its time says how long failing
 * took, not how fast the target answers, and its status (if a status line came before the
 * failure) is not an answer the target finished giving. Returns the status of a complete
 * response, 0 otherwise. */
long http_account(struct user *u, CURLcode rc)
{
	struct worker *w = u->w;
	const struct prog *g = w->prog;
	struct wstats *s = w->cur;
	struct http_xfer x;
	uint64_t req_us;

	if (u->h1)
		h1_info(u, &x);
	else
		curl_xfer(u, &x);
	s->c[C_REQUESTS]++;
	s->c[C_SIZE_RCV] += x.rcv;
	s->c[C_SIZE_SENT] += x.sent;
	if (x.code > 0)
		u->got_response = true;
	if (x.nconn > 0) {
		if (x.connect > 0)
			wstats_record(g, s, H_CONNECT, (uint64_t)x.connect);
		if (x.tls > 0)
			wstats_record(g, s, H_TLS, (uint64_t)x.tls);
	}
	req_us = x.total > 0 ? (uint64_t)x.total : 0;
	if (rc != CURLE_OK) {
		int ctr = http_error_counter(rc, u->errbuf);

		s->c[ctr]++;
		wstats_record(g, s, H_REQUEST_FAILED, req_us);
		/* Errors whose name alone does not say what went wrong get the client's own reason
		 * in the agent's log, once per step. */
		if ((ctr == C_ERR_OTHER || ctr == C_ERR_TLS || ctr == C_ERR_HEADER_TOO_LARGE) &&
		    u->req)
			worker_note_once(
			    w, u->req,
			    "%s:%d:%d: request %s %s failed: %s%s (counted as "
			    "%s)",
			    g->plan->source ? g->plan->source : "plan", u->req->pos.line,
			    u->req->pos.col, u->req->src->method, u->req->src->url,
			    ctr == C_ERR_HEADER_TOO_LARGE && !u->h1
				? "response headers over libcurl's limit (100 KiB a "
				  "line, 300 KiB in all); libcurl said: "
				: "",
			    u->errbuf[0] ? u->errbuf : curl_easy_strerror(rc), g->ctr_names[ctr]);
		return 0;
	}
	u->backoff_us = 0;
	if (g->plan->load.model == PLAN_MODEL_RATE) {
		/* Coordinated omission: latency counts from when the request should have gone. */
		int64_t late = u->sent_us - u->intended_us;

		wstats_record(g, s, H_REQUEST_SERVICE, req_us);
		if (late > 0)
			req_us += (uint64_t)late;
	}
	wstats_record(g, s, H_REQUEST, req_us);
	if (u->req && u->req->hist >= 0 && !u->hop)
		wstats_record(g, s, u->req->hist, req_us);
	if (x.start >= x.pre)
		wstats_record(g, s, H_TTFB, (uint64_t)(x.start - x.pre));
	if (x.code > 0 && x.code < AGENT_HTTP_CODES)
		s->http[x.code]++;
	return x.code;
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
	to_get = status == 303 || ((status == 301 || status == 302) && u->req &&
				   u->req->method != M_GET && u->req->method != M_HEAD);
	if (!to_get && u->req->has_body) {
		body = u->req->body ? (u->body.data ? u->body.data : "") : u->req->body_const;
		body_len = u->req->body ? u->body.len : u->req->body_len;
	}
	buf_reset(&u->resp);
	u->errbuf[0] = '\0';
	u->sent_us = worker_now();
	if (h1_send(u, u->req, u->url.data, u->url.len, u->hdrs.data, u->hdrs.len, body, body_len,
		    true, to_get) < 0)
		return -1;
	return 1;
}

void http_cancel(struct user *u)
{
	if (u->h1)
		h1_cancel(u);
	else
		curl_multi_remove_handle(u->w->multi, u->easy);
}

int http_header(struct user *u, const char *name, size_t idx, const char **val, size_t *len)
{
	struct curl_header *h = NULL;

	if (u->h1)
		return h1_header(u, name, idx, val, len);
	if (curl_easy_header(u->easy, name, idx, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	*val = h->value;
	*len = strlen(h->value);
	return 0;
}

int http_follow(struct user *u, long status)
{
	CURL *e = u->easy;
	char *loc = NULL;
	bool to_get;

	if (u->hops_left == 0 ||
	    !(status == 301 || status == 302 || status == 303 || status == 307 || status == 308))
		return 0;
	if (u->h1)
		return lean_follow(u, status);
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
	/* As browsers do: 303 always, and 301/302 after a POST, go on with a GET without a body;
	 * 307 and 308 repeat the method and body. */
	to_get = status == 303 || ((status == 301 || status == 302) && u->req &&
				   u->req->method != M_GET && u->req->method != M_HEAD);
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
	u->errbuf[0] = '\0';
	u->sent_us = worker_now();
	if (curl_multi_add_handle(u->w->multi, e) != CURLM_OK)
		return -1;
	u->w->added++;
	return 1;
}
