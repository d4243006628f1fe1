/* What a service of barrage-target is handed (see http.h for the contract): building replies,
 * reading a request (target, query, cookies, headers, JSON body, the fake login), and the
 * dispatch that answers the built-in /health and /metrics routes before the service's handler.
 * The loops, listeners and transport are elsewhere: servers/run.c, loop.c, http1.c. */
#include "servers/http.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "servers/http1_parse.h"
#include "common/clock.h"

/* ---- responses ---- */

void srv_response_init(struct srv_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, 64u << 20);
}

void srv_response_reset(struct srv_response *rs)
{
	buf_reset(&rs->body);
	rs->status = 0;
	rs->content_type = NULL;
	rs->static_body = NULL;
	rs->static_len = 0;
	rs->nhdr = 0;
	rs->delay_us = 0;
	rs->chunked = 0;
	rs->close = 0;
}

void srv_response_free(struct srv_response *rs)
{
	buf_free(&rs->body);
}

void srv_reply_error(struct srv_response *rs, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&rs->body);
	rs->static_body = NULL;
	rs->status = status;
	rs->content_type = NULL;
	buf_append_str(&rs->body, "{\"error\":");
	buf_append_json_str(&rs->body, msg, strlen(msg));
	buf_append_str(&rs->body, "}\n");
}

void srv_reply_json(struct srv_response *rs, int status, json_t *v)
{
	char *text;

	buf_reset(&rs->body);
	rs->static_body = NULL;
	rs->status = status;
	text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text) {
		srv_reply_error(rs, 500, "out of memory");
		return;
	}
	buf_append_str(&rs->body, text);
	buf_append_byte(&rs->body, '\n');
	free(text);
}

void srv_add_header(struct srv_response *rs, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (rs->nhdr >= SRV_MAX_HEADERS || nl >= sizeof(rs->hdr_name[0]) ||
	    vl >= sizeof(rs->hdr_value[0]))
		return;
	memcpy(rs->hdr_name[rs->nhdr], name, nl + 1);
	memcpy(rs->hdr_value[rs->nhdr], value, vl + 1);
	rs->nhdr++;
}

json_t *srv_body_json(const struct srv_request *rq, struct srv_response *rs)
{
	json_error_t je;
	json_t *v;

	if (rq->body_len == 0) {
		srv_reply_error(rs, 400, "request body: expected a JSON object, got nothing");
		return NULL;
	}
	v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		srv_reply_error(rs, 400, "request body: malformed JSON at line %d column %d: %s",
				je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		srv_reply_error(rs, 400, "request body: expected a JSON object");
		return NULL;
	}
	return v;
}

void srv_reply_bad_credentials(struct srv_response *rs)
{
	buf_reset(&rs->body);
	rs->status = 401;
	buf_append_str(&rs->body, "{\"ok\":false,\"error\":\"bad credentials\"}\n");
}

int srv_login_check(const struct srv_request *rq, struct srv_response *rs, char *user, size_t size)
{
	json_t *body = srv_body_json(rq, rs), *u, *p;
	size_t ul;
	int rc = -1;

	if (!body)
		return -1;
	u = json_object_get(body, "user");
	p = json_object_get(body, "password");
	if (!json_is_string(u) || !json_is_string(p)) {
		srv_reply_error(rs, 400,
				"login: expected {\"user\": string, \"password\": string}");
		goto out;
	}
	ul = json_string_length(u);
	if (ul + 1 > size) {
		srv_reply_error(rs, 400, "login: user longer than %zu bytes", size - 1);
		goto out;
	}
	if (json_string_length(p) != ul + 3 || memcmp(json_string_value(p), "pw-", 3) != 0 ||
	    memcmp(json_string_value(p) + 3, json_string_value(u), ul) != 0) {
		srv_reply_bad_credentials(rs);
		rc = 0;
		goto out;
	}
	memcpy(user, json_string_value(u), ul);
	user[ul] = '\0';
	rc = 1;
out:
	json_decref(body);
	return rc;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int srv_query_get(const char *query, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) >= nl && memcmp(p, name, nl) == 0 &&
		    (p + nl == end || p[nl] == '=')) {
			const char *v = p + nl + (p + nl < end ? 1 : 0);
			size_t o = 0;

			while (v < end) {
				int c = (unsigned char)*v;

				if (c == '+') {
					c = ' ';
					v++;
				} else if (c == '%' && end - v >= 3 && hexval(v[1]) >= 0 &&
					   hexval(v[2]) >= 0) {
					c = hexval(v[1]) * 16 + hexval(v[2]);
					v += 3;
				} else {
					v++;
				}
				if (o + 1 >= outsize)
					return -1;
				out[o++] = (char)c;
			}
			if (outsize == 0)
				return -1;
			out[o] = '\0';
			return (int)o;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

int srv_cookie_get(const char *cookie, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name);
	const char *p = cookie;

	while (p && *p) {
		const char *semi, *end;

		while (*p == ' ' || *p == ';')
			p++;
		semi = strchr(p, ';');
		end = semi ? semi : p + strlen(p);
		if ((size_t)(end - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = (size_t)(end - p) - nl - 1;

			if (vl + 1 > outsize)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return (int)vl;
		}
		p = semi;
	}
	return -1;
}

int srv_path_is(const struct srv_request *rq, const char *s)
{
	size_t n = strlen(s);

	return rq->path_len == n && memcmp(rq->path, s, n) == 0;
}

void srv_headers_each(const struct srv_request *rq,
		      void (*fn)(void *ctx, const char *name, size_t nlen, const char *value,
				 size_t vlen),
		      void *ctx)
{
	for (const char *p = rq->raw_headers, *end = p ? p + rq->raw_headers_len : NULL;
	     p && p < end;) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *colon, *v;
		size_t vlen;

		if (!eol)
			eol = end;
		colon = h1_header_value(p, eol, &v, &vlen);
		if (colon)
			fn(ctx, p, (size_t)(colon - p), v, vlen);
		p = eol + 2;
	}
}

int srv_target_split(const char *target, const char **path, size_t *path_len, const char **query)
{
	const char *p = target, *q;

	if (p[0] != '/') {
		const char *sl = strstr(p, "://");

		p = sl ? strchr(sl + 3, '/') : NULL;
		if (!p)
			return -1;
	}
	q = strchr(p, '?');
	*path = p;
	*path_len = q ? (size_t)(q - p) : strlen(p);
	*query = q ? q + 1 : "";
	return 0;
}

/* ---- built-in routes ---- */

/* A /metrics line: its name and where its uint64_t value sits in the struct it is read from. */
struct metric_line {
	const char *name;
	size_t off;
};

/* The /metrics lines, in the order they are printed. */
static const struct metric_line counter_lines[] = {
    {"requests", offsetof(struct srv_counters, requests)},
    {"responses_2xx", offsetof(struct srv_counters, status_2xx)},
    {"responses_3xx", offsetof(struct srv_counters, status_3xx)},
    {"responses_4xx", offsetof(struct srv_counters, status_4xx)},
    {"responses_5xx", offsetof(struct srv_counters, status_5xx)},
    {"bytes_in", offsetof(struct srv_counters, bytes_in)},
    {"bytes_out", offsetof(struct srv_counters, bytes_out)},
    {"held_replies", offsetof(struct srv_counters, held_replies)},
};

static const struct metric_line journal_lines[] = {
    {"journal_appended", offsetof(struct journal_stats, appended)},
    {"journal_commits", offsetof(struct journal_stats, commits)},
    {"journal_fsyncs", offsetof(struct journal_stats, fsyncs)},
    {"journal_compactions", offsetof(struct journal_stats, compactions)},
    {"journal_file_bytes", offsetof(struct journal_stats, file_bytes)},
    {"journal_file_records", offsetof(struct journal_stats, file_records)},
};

static void print_u64(struct buf *b, const char *name, const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void metrics(struct srv *s, struct srv_response *rs)
{
	struct srv_counters c;
	struct buf *b = &rs->body;

	srv_counters_sum(s, &c);
	rs->content_type = "text/plain; charset=utf-8";
	buf_printf(b, "service %s\n", s->service->name);
	buf_printf(b, "uptime_s %.3f\n", (double)(clock_mono_us() - s->start_us) / 1e6);
	for (size_t i = 0; i < sizeof(counter_lines) / sizeof(counter_lines[0]); i++)
		print_u64(b, counter_lines[i].name, &c, counter_lines[i].off);
	if (s->journal) {
		struct journal_stats js;

		journal_get_stats(s->journal, &js);
		buf_printf(b, "journal_sync %s\n", journal_sync_name(s->sync));
		for (size_t i = 0; i < sizeof(journal_lines) / sizeof(journal_lines[0]); i++)
			print_u64(b, journal_lines[i].name, &js, journal_lines[i].off);
	}
	if (s->service->metrics)
		s->service->metrics(s, b);
}

void srv_dispatch(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	if (srv_path_is(rq, "/health")) {
		buf_printf(&rs->body, "{\"ok\":true,\"service\":\"%s\"}\n", s->service->name);
		return;
	}
	if (srv_path_is(rq, "/metrics")) {
		metrics(s, rs);
		return;
	}
	s->service->handle(s, rq, rs);
}
