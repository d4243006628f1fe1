/* The live dashboard (see dashboard.h and docs/dashboard.md).
 *
 * Why it is built this way:
 * - It runs on the run loop's event_base: a merged interval reaches the page in the same loop
 *   iteration that writes it to stats.log, with no thread and no lock. Every handler is short
 *   and never blocks; a client that does not read its stream only grows its own output buffer,
 *   which is capped (a stream past DASHBOARD_STREAM_MAX_PENDING unsent bytes is closed).
 * - The page and dygraphs are compiled into the binary (controller/module.mk turns them into C
 *   arrays), so the dashboard works on a machine with no network and no installed files, and
 *   the page's Content-Security-Policy allows nothing but this server.
 * - Reading is harmless and open; control changes the load on someone's target, so it needs the
 *   token, and a browser request must come from the dashboard's own origin (a page on another
 *   site could otherwise POST to 127.0.0.1:8091 from the user's browser). */
#include "controller/dashboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/threshold.h"
#include "controller/dashboard_assets.h"
#include "controller/live.h"
#include "reports/reports.h"

#define DASHBOARD_HISTORY_MAX	     100000
#define DASHBOARD_EVENTS_MAX	     10000
#define DASHBOARD_STREAM_MAX_PENDING (4u << 20)

struct dash_stream {
	struct dashboard *d;
	struct evhttp_request *req;
	struct evhttp_connection *con;
	bool used;
};

struct dash_threshold {
	const struct plan_threshold *src;
	struct threshold t;
	bool parsed;
};

struct dashboard {
	struct event_base *base;
	struct evhttp *http;
	char token[33];
	char url[300];
	dashboard_control_fn fn;
	void *arg;
	bool public_ok;	 /* --dashboard-public: any Host header is fine */
	json_t *run;	 /* name, scenario, dir, model, target, ... */
	json_t *latest;	 /* the last interval line, or NULL */
	json_t *summary; /* its summary */
	json_t *history; /* array of summaries */
	json_t *events;	 /* array of events */
	json_t *control; /* the load as the last control left it, or NULL */
	char phase[64];
	double elapsed_s;
	unsigned connected, total;
	struct stats_snapshot *acc; /* every merged interval so far, for the thresholds */
	double covered_s;
	struct dash_threshold *th;
	size_t nth;
	struct dash_stream streams[DASHBOARD_MAX_STREAMS];
};

/* ---- the interval summary ---- */

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

static int64_t counter(const struct stats_snapshot *s, const char *name)
{
	const struct stats_counter *c = stats_find_counter(s, name);

	return c ? c->value : 0;
}

json_t *dashboard_summary(const struct plan *p, const struct stats_snapshot *s)
{
	const struct hist *req = stats_find_hist(s, "request");
	double iv = (double)(s->interval_us > 0 ? s->interval_us : p->interval_us) / 1e6;
	json_t *j = json_object(), *ag = json_array();
	size_t i;

	json_object_set_new(j, "i", json_integer(s->interval));
	json_object_set_new(j, "t", json_real((double)(s->interval + 1) * iv));
	json_object_set_new(j, "interval_s", json_real(iv));
	json_object_set_new(j, "requests", json_integer(req ? (json_int_t)req->count : 0));
	json_object_set_new(j, "attempted", json_integer(counter(s, "requests")));
	json_object_set_new(j, "rate", json_real(req && iv > 0 ? (double)req->count / iv : 0));
	json_object_set_new(j, "errors", json_integer(live_errors(s)));
	json_object_set_new(j, "p50",
			    json_real(req && req->count ? ms(hist_percentile(req, 50)) : 0));
	json_object_set_new(j, "p95",
			    json_real(req && req->count ? ms(hist_percentile(req, 95)) : 0));
	json_object_set_new(j, "p99",
			    json_real(req && req->count ? ms(hist_percentile(req, 99)) : 0));
	json_object_set_new(j, "max", json_real(req && req->count ? ms(req->max) : 0));
	json_object_set_new(j, "users", json_integer(counter(s, "users")));
	json_object_set_new(j, "conns", json_integer(counter(s, "connected")));
	json_object_set_new(j, "arrivals", json_integer(counter(s, "users_count")));
	json_object_set_new(j, "dropped", json_integer(counter(s, "dropped_users")));
	for (i = 0; i < s->nhealth; i++) {
		const struct stats_health *h = &s->health[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(h->agent));
		json_object_set_new(o, "cpu",
				    json_real(h->cpu_limit > 0 ? h->cpu / h->cpu_limit : h->cpu));
		json_object_set_new(o, "lag_ms", json_real(h->loop_lag_ms));
		json_object_set_new(o, "saturated", json_boolean(h->saturated));
		json_object_set_new(o, "users", json_integer((json_int_t)h->users));
		json_object_set_new(o, "conns", json_integer((json_int_t)h->open_conns));
		json_array_append_new(ag, o);
	}
	json_object_set_new(j, "agents", ag);
	return j;
}

/* ---- responses ---- */

static void send_body(struct evhttp_request *req, int code, const char *reason, const char *type,
		      const void *data, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	if (b && len)
		evbuffer_add(b, data, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

/* Answers j (taken). */
static void send_json_reply(struct evhttp_request *req, int code, const char *reason, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (!txt) {
		send_body(req, 500, "Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	send_body(req, code, reason, "application/json", txt, strlen(txt));
	free(txt);
}

static void send_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	json_t *j = json_object();

	json_object_set_new(j, "error", json_string(msg));
	send_json_reply(req, code, reason, j);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 409:
		return "Conflict";
	default:
		return "Error";
	}
}

/* ---- state as JSON ---- */

static json_t *thresholds_json(struct dashboard *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->nth; i++) {
		struct dash_threshold *t = &d->th[i];
		json_t *o = json_object();
		const char *state = "pending";
		double value = 0;

		json_object_set_new(o, "metric", json_string(t->src->metric));
		json_object_set_new(o, "condition", json_string(t->src->condition));
		json_object_set_new(o, "abort_on_fail", json_boolean(t->src->abort_on_fail));
		if (!t->parsed)
			state = "n/a";
		else if (d->acc && d->covered_s > 0 &&
			 reports_threshold_measure(&t->t, d->acc, d->covered_s, &value) == 0) {
			state = reports_threshold_check(&t->t, d->acc, d->covered_s, &value)
				    ? "pass"
				    : "fail";
			json_object_set_new(o, "value", json_real(value));
		}
		json_object_set_new(o, "state", json_string(state));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *status_json(struct dashboard *d)
{
	json_t *j = json_object();

	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "run", d->run ? json_incref(d->run) : json_object());
	json_object_set_new(j, "phase", json_string(d->phase));
	json_object_set_new(j, "elapsed_s", json_real(d->elapsed_s));
	json_object_set_new(j, "interval", d->latest ? json_incref(d->latest) : json_null());
	json_object_set_new(j, "summary", d->summary ? json_incref(d->summary) : json_null());
	{
		json_t *ag = json_object();

		json_object_set_new(ag, "connected", json_integer(d->connected));
		json_object_set_new(ag, "total", json_integer(d->total));
		json_object_set_new(ag, "health",
				    d->summary ? json_incref(json_object_get(d->summary, "agents"))
					       : json_array());
		json_object_set_new(j, "agents", ag);
	}
	json_object_set_new(j, "thresholds", thresholds_json(d));
	json_object_set_new(j, "control", d->control ? json_incref(d->control) : json_null());
	json_object_set_new(j, "events", json_incref(d->events));
	return j;
}

/* ---- streams ---- */

/* End a stream from our side (overflow, shutdown). When the client has gone, libevent has
 * detached the request from its connection and left it to us: evhttp_send_reply_end() then
 * frees it (libevent 2.1, evhttp_connection_incoming_fail). */
static void stream_drop(struct dash_stream *st)
{
	struct evhttp_request *req = st->req;
	struct evhttp_connection *con;

	if (!st->used)
		return;
	st->used = false;
	st->req = NULL;
	con = evhttp_request_get_connection(req);
	if (con)
		evhttp_connection_set_closecb(con, NULL, NULL);
	st->con = NULL;
	evhttp_send_reply_end(req);
}

static void on_stream_close(struct evhttp_connection *con, void *arg)
{
	struct dash_stream *st = arg;

	if (!st->used || st->con != con)
		return;
	if (evhttp_request_get_connection(st->req) == NULL) {
		/* Detached: ours to free. */
		stream_drop(st);
		return;
	}
	/* Still attached: libevent frees it with the connection, right after this call. */
	st->used = false;
	st->req = NULL;
	st->con = NULL;
}

static void stream_send(struct dashboard *d, const char *event, json_t *data)
{
	char *txt = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t i;

	if (!txt)
		return;
	for (i = 0; i < DASHBOARD_MAX_STREAMS; i++) {
		struct dash_stream *st = &d->streams[i];
		struct evbuffer *b;
		struct bufferevent *bev;

		if (!st->used)
			continue;
		if (!evhttp_request_get_connection(st->req)) {
			stream_drop(st); /* the client went away */
			continue;
		}
		bev = evhttp_connection_get_bufferevent(st->con);
		if (bev && evbuffer_get_length(bufferevent_get_output(bev)) >
			       DASHBOARD_STREAM_MAX_PENDING) {
			/* A reader that does not read: let it go rather than hold memory. */
			stream_drop(st);
			continue;
		}
		b = evbuffer_new();
		if (!b)
			continue;
		evbuffer_add_printf(b, "event: %s\ndata: %s\n\n", event, txt);
		evhttp_send_reply_chunk(st->req, b);
		evbuffer_free(b);
	}
	free(txt);
}

static void serve_stream(struct dashboard *d, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct dash_stream *st = NULL;
	size_t i;

	for (i = 0; i < DASHBOARD_MAX_STREAMS && !st; i++)
		if (!d->streams[i].used)
			st = &d->streams[i];
	if (!st) {
		send_error(req, 503, "Service Unavailable", "too many streams open");
		return;
	}
	st->d = d;
	st->req = req;
	st->con = evhttp_request_get_connection(req);
	st->used = true;
	evhttp_connection_set_closecb(st->con, on_stream_close, st);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, 200, "OK");
	{
		/* A comment first, so the client sees the stream open at once. */
		struct evbuffer *b = evbuffer_new();

		if (b) {
			evbuffer_add_printf(b, ": barrage dashboard\nretry: 2000\n\n");
			evhttp_send_reply_chunk(req, b);
			evbuffer_free(b);
		}
	}
}

/* ---- control ---- */

static bool token_ok(struct dashboard *d, struct evhttp_request *req)
{
	const char *auth =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *given = NULL;
	struct evkeyvalq params;
	bool ok = false;
	unsigned char diff = 0;
	size_t i, n = strlen(d->token);

	TAILQ_INIT(&params);
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		given = auth + 7;
	else if (q && evhttp_parse_query_str(q, &params) == 0)
		given = evhttp_find_header(&params, "token");
	if (given && strlen(given) == n) {
		/* Constant time: the comparison must not tell how much of a guess was right. */
		for (i = 0; i < n; i++)
			diff |= (unsigned char)(given[i] ^ d->token[i]);
		ok = diff == 0;
	}
	evhttp_clear_headers(&params);
	return ok;
}

/* A browser sends Origin with every POST; it must be this server. Requests without one (curl,
 * barrage ctl) are not from a page, so there is no other origin to refuse. */
static bool origin_ok(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *host = evhttp_find_header(in, "Host");
	const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
	char want[300];

	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return false;
	if (!origin)
		return true;
	if (!host)
		return false;
	snprintf(want, sizeof(want), "http://%s", host);
	return strcmp(origin, want) == 0;
}

static void serve_control(struct dashboard *d, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct dashboard_control c;
	json_t *j = NULL, *applied = NULL;
	char *err = NULL, body[DASHBOARD_MAX_BODY + 1];
	int status = 400;

	if (!origin_ok(req)) {
		send_error(req, 403, "Forbidden", "cross-origin control request refused");
		return;
	}
	if (!token_ok(d, req)) {
		send_error(req, 403, "Forbidden",
			   "control needs the token printed with the dashboard URL (?token= or "
			   "Authorization: Bearer)");
		return;
	}
	if (len > DASHBOARD_MAX_BODY) {
		send_error(req, 413, "Payload Too Large", "body over 4096 bytes");
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	if (dashboard_parse_control(body, len, &c, &j, &err) < 0) {
		send_error(req, 400, "Bad Request", err ? err : "bad request");
		free(err);
		return;
	}
	if (!d->fn || d->fn(d->arg, &c, &applied, &status, &err) < 0) {
		send_error(req, status, reason_of(status), err ? err : "control is not available");
		free(err);
		json_decref(j);
		json_decref(applied);
		return;
	}
	if (applied && json_is_object(applied)) {
		json_decref(d->control);
		d->control = json_incref(applied);
	}
	{
		json_t *r = json_object();

		json_object_set_new(r, "ok", json_true());
		json_object_set_new(r, "action", json_string(c.action));
		json_object_set_new(r, "load", applied ? applied : json_null());
		send_json_reply(req, 200, "OK", r);
	}
	json_decref(j);
}

/* ---- routing ---- */

static void serve_asset(struct evhttp_request *req, const char *type, const unsigned char *data,
			unsigned int len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (strncmp(type, "text/html", 9) == 0)
		evhttp_add_header(h, "Content-Security-Policy",
				  "default-src 'none'; script-src 'self'; style-src 'self' "
				  "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
				  "frame-ancestors 'none'");
	send_body(req, 200, "OK", type, data, len);
}

/* A loopback dashboard answers only requests addressed to a loopback name: a site whose name
 * was made to resolve to 127.0.0.1 (DNS rebinding) would otherwise read the run through the
 * user's browser, as its own origin. */
static bool host_ok(const struct dashboard *d, struct evhttp_request *req)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	char name[256];
	size_t n;

	if (d->public_ok)
		return true;
	if (!host)
		return false;
	if (host[0] == '[') {
		const char *rb = strchr(host, ']');

		if (!rb)
			return false;
		n = (size_t)(rb - host - 1);
		host++;
	} else {
		n = strcspn(host, ":");
	}
	if (n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return dashboard_host_is_loopback(name);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct dashboard *d = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path)
		path = "/";
	if (!host_ok(d, req)) {
		send_error(req, 403, "Forbidden",
			   "this dashboard answers requests for a loopback address only");
		return;
	}
	if (strcmp(path, "/api/control") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			send_error(req, 405, "Method Not Allowed", "use POST");
			return;
		}
		serve_control(d, req);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
		send_error(req, 405, "Method Not Allowed", "read-only resource: use GET");
		return;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		serve_asset(req, "text/html; charset=utf-8", dashboard_html, dashboard_html_len);
	else if (strcmp(path, "/dashboard.js") == 0)
		serve_asset(req, "text/javascript; charset=utf-8", dashboard_js, dashboard_js_len);
	else if (strcmp(path, "/dygraph.min.js") == 0)
		serve_asset(req, "text/javascript; charset=utf-8", dashboard_dygraph_js,
			    dashboard_dygraph_js_len);
	else if (strcmp(path, "/dygraph.min.css") == 0)
		serve_asset(req, "text/css; charset=utf-8", dashboard_dygraph_css,
			    dashboard_dygraph_css_len);
	else if (strcmp(path, "/api/status") == 0)
		send_json_reply(req, 200, "OK", status_json(d));
	else if (strcmp(path, "/api/history") == 0) {
		json_t *j = json_object();

		json_object_set_new(j, "intervals", json_incref(d->history));
		json_object_set_new(j, "events", json_incref(d->events));
		send_json_reply(req, 200, "OK", j);
	} else if (strcmp(path, "/api/stream") == 0)
		serve_stream(d, req);
	else
		send_error(req, 404, "Not Found", "no such resource");
}

/* ---- life cycle ---- */

int dashboard_open(struct event_base *base, const char *listen, bool public_ok,
		   dashboard_control_fn fn, void *arg, struct dashboard **out, char **err)
{
	struct dashboard *d = NULL;
	struct evhttp_bound_socket *bs;
	char host[256];
	uint16_t port;
	unsigned char rnd[16];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t i;

	*out = NULL;
	if (dashboard_parse_listen(listen ? listen : DASHBOARD_DEFAULT_ADDR, host, sizeof(host),
				   &port, err) < 0)
		return -1;
	if (!dashboard_host_is_loopback(host) && !public_ok)
		return err_set(err,
			       "--dashboard %s: not a loopback address; anyone who can reach it "
			       "sees the run (add --dashboard-public to mean it)",
			       listen);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_set(err, "--dashboard: no random bytes for the token: %s",
			       strerror(errno));
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(err, "out of memory");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(d->token + 2 * i, 3, "%02x", rnd[i]);
	d->base = base;
	d->fn = fn;
	d->arg = arg;
	d->public_ok = public_ok;
	d->history = json_array();
	d->events = json_array();
	snprintf(d->phase, sizeof(d->phase), "setup");
	d->http = evhttp_new(base);
	if (!d->http || !d->history || !d->events) {
		dashboard_free(d);
		return err_set(err, "out of memory");
	}
	evhttp_set_max_body_size(d->http, DASHBOARD_MAX_BODY);
	evhttp_set_max_headers_size(d->http, 16384);
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(d->http, on_request, d);
	bs = evhttp_bind_socket_with_handle(d->http, host, port);
	if (!bs) {
		int e = errno;

		dashboard_free(d);
		return err_set(err, "--dashboard: cannot listen on %s port %u: %s", host, port,
			       e ? strerror(e) : "bind failed");
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(d->url, sizeof(d->url), "http://%s%s%s:%u/?token=%s", strchr(host, ':') ? "[" : "",
		 host, strchr(host, ':') ? "]" : "", port, d->token);
	*out = d;
	return 0;
}

void dashboard_free(struct dashboard *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < DASHBOARD_MAX_STREAMS; i++)
		stream_drop(&d->streams[i]);
	if (d->http)
		evhttp_free(d->http);
	json_decref(d->run);
	json_decref(d->latest);
	json_decref(d->summary);
	json_decref(d->history);
	json_decref(d->events);
	json_decref(d->control);
	stats_free(d->acc);
	free(d->th);
	free(d);
}

const char *dashboard_url(const struct dashboard *d)
{
	return d ? d->url : "";
}

const char *dashboard_token(const struct dashboard *d)
{
	return d ? d->token : "";
}

void dashboard_set_run(struct dashboard *d, const struct plan *p, const char *scenario,
		       const char *run_dir)
{
	json_t *j;
	size_t i;

	if (!d)
		return;
	j = json_object();
	json_object_set_new(j, "name", json_string(p->name ? p->name : "run"));
	json_object_set_new(j, "scenario", json_string(scenario ? scenario : ""));
	json_object_set_new(j, "dir", json_string(run_dir ? run_dir : ""));
	json_object_set_new(j, "target", p->target ? json_string(p->target) : json_null());
	json_object_set_new(j, "model",
			    json_string(p->load.model == PLAN_MODEL_OPEN     ? "open"
					: p->load.model == PLAN_MODEL_CLOSED ? "closed"
									     : "rate"));
	json_object_set_new(j, "interval_s", json_real((double)p->interval_us / 1e6));
	json_object_set_new(j, "duration_s", json_real((double)plan_load_duration_us(p) / 1e6));
	json_decref(d->run);
	d->run = j;
	free(d->th);
	d->th = calloc(p->nthresholds ? p->nthresholds : 1, sizeof(*d->th));
	d->nth = 0;
	for (i = 0; d->th && i < p->nthresholds; i++) {
		char *e = NULL;

		d->th[i].src = &p->thresholds[i];
		d->th[i].parsed =
		    threshold_parse(p->thresholds[i].metric, p->thresholds[i].condition,
				    &d->th[i].t, &e, NULL) == 0;
		free(e);
		d->nth++;
	}
	if (!d->acc)
		d->acc = stats_new();
}

void dashboard_set_phase(struct dashboard *d, const char *phase, double elapsed_s)
{
	if (!d)
		return;
	if (strcmp(d->phase, phase) != 0) {
		json_t *j = json_object();

		snprintf(d->phase, sizeof(d->phase), "%s", phase);
		json_object_set_new(j, "phase", json_string(phase));
		json_object_set_new(j, "elapsed_s", json_real(elapsed_s));
		stream_send(d, "phase", j);
		json_decref(j);
	}
	d->elapsed_s = elapsed_s;
}

void dashboard_interval(struct dashboard *d, const struct plan *p, const struct stats_snapshot *s,
			unsigned connected, unsigned total)
{
	struct buf b;
	json_t *line, *sum, *ev;
	json_error_t je;

	if (!d)
		return;
	buf_init(&b, 0);
	if (stats_to_json(s, &b) < 0 || !(line = json_loadb(b.data, b.len, 0, &je))) {
		buf_free(&b);
		return;
	}
	buf_free(&b);
	sum = dashboard_summary(p, s);
	d->connected = connected;
	d->total = total;
	if (d->acc && stats_accumulate(d->acc, s) == 0)
		d->covered_s = (double)(s->interval + 1) * (double)p->interval_us / 1e6;
	json_decref(d->latest);
	json_decref(d->summary);
	d->latest = line;
	d->summary = sum;
	if (json_array_size(d->history) < DASHBOARD_HISTORY_MAX)
		json_array_append(d->history, sum);
	ev = json_object();
	json_object_set(ev, "summary", sum);
	json_object_set(ev, "interval", line);
	json_object_set_new(ev, "thresholds", thresholds_json(d));
	json_object_set_new(ev, "connected", json_integer(connected));
	json_object_set_new(ev, "total", json_integer(total));
	stream_send(d, "interval", ev);
	json_decref(ev);
}

void dashboard_event(struct dashboard *d, double t, const char *agent, const char *what,
		     const char *detail)
{
	json_t *j;

	if (!d)
		return;
	j = json_object();
	json_object_set_new(j, "type", json_string("event"));
	json_object_set_new(j, "t", json_real(t < 0 ? 0 : t));
	json_object_set_new(j, "agent", agent ? json_string(agent) : json_null());
	json_object_set_new(j, "what", json_string(what));
	json_object_set_new(j, "detail", json_string(detail ? detail : ""));
	if (json_array_size(d->events) < DASHBOARD_EVENTS_MAX)
		json_array_append(d->events, j);
	stream_send(d, "event", j);
	json_decref(j);
}
