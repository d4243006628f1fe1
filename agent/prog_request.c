/* One request step compiled (struct creq, prog.h), so the hot path never parses or formats
 * what does not change:
 *
 * - the URL: a constant one is joined to the target and pre-parsed into a CURLU handle, with
 *   its Host and Accept lines prebuilt; a templated one is kept as a template (url_is_path when
 *   it needs the target prefix);
 * - the headers: the plan's defaults, then the request's own (same name replaces), constant
 *   ones pre-formatted "Name: value", and the Content-Type a body kind implies;
 * - the body: raw, JSON (JSON-escaped holes) or form (literal text percent-encoded here once);
 * - what reads the answer: captures (JSONPath, regex, header, cookie, status) and expectations,
 *   which decide whether the client must keep the body or the headers (need_body,
 *   need_headers). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/prog.h"
#include "agent/prog_request.h"
#include "common/buf.h"
#include "common/err.h"

static int add_header(struct prog *g, struct creq *r, const struct plan_kv *kv, char **err)
{
	struct buf b;
	struct tmpl *t = NULL;
	size_t i;

	/* A request's own header replaces a default one of the same name. */
	for (i = 0; i < r->nhdrs; i++)
		if (strcasecmp(r->hdrs[i].name, kv->name) == 0)
			break;
	buf_init(&b, 0);
	if (buf_printf(&b, "%s: %s", kv->name, kv->value) < 0) {
		buf_free(&b);
		return err_set(err, "out of memory");
	}
	if (prog_tmpl(g, b.data, TMPL_ESCAPE_NONE, kv->pos, "header", &t, err) < 0) {
		buf_free(&b);
		return -1;
	}
	if (i == r->nhdrs) {
		r->nhdrs++;
		r->hdrs[i].name = strdup(kv->name);
	} else {
		free(r->hdrs[i].line);
		tmpl_free(r->hdrs[i].t);
		r->hdrs[i].line = NULL;
		r->hdrs[i].t = NULL;
	}
	if (tmpl_constant(t)) {
		tmpl_free(t);
		r->hdrs[i].line = buf_steal(&b);
	} else {
		r->hdrs[i].t = t;
		buf_free(&b);
	}
	if (!r->hdrs[i].name)
		return err_set(err, "out of memory");
	return 0;
}

/* For a constant URL the Host and Accept headers are constant too: giving them to libcurl
 * ready-made spares it formatting both on every request (its printf engine is a visible share
 * of a keep-alive request's cost). They are what libcurl would send; a user's own Host or Accept
 * header replaces them (add_header matches by name). */
static int auto_headers(struct creq *r)
{
	char *host = NULL, *port = NULL, *scheme = NULL;
	struct buf b;
	int rc = -1;

	if (curl_url_get(r->url_handle, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(r->url_handle, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	(void)curl_url_get(r->url_handle, CURLUPART_PORT, &port, 0);
	if (port && ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
		     (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))) {
		curl_free(port);
		port = NULL;
	}
	buf_init(&b, 0);
	if (buf_printf(&b, "Host: %s%s%s", host, port ? ":" : "", port ? port : "") < 0) {
		buf_free(&b);
		goto out;
	}
	r->hdrs[r->nhdrs].name = strdup("Host");
	r->hdrs[r->nhdrs++].line = buf_steal(&b);
	r->hdrs[r->nhdrs].name = strdup("Accept");
	r->hdrs[r->nhdrs++].line = strdup("Accept: */*");
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	return rc;
}

/* Append template source s to b with its literal text application/x-www-form-urlencoded
 * (unreserved characters as they are, everything else %XX) and its {{ ... }} holes untouched.
 * A hole ends at the first "}}" outside a quoted string, as common/tmpl.c reads it. */
static void append_form_literal(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	while (*s) {
		if (s[0] == '{' && s[1] == '{') {
			const char *p = s + 2;
			char quote = 0;

			for (; *p; p++) {
				if (quote) {
					if (*p == '\\' && p[1])
						p++;
					else if (*p == quote)
						quote = 0;
				} else if (*p == '"' || *p == '\'') {
					quote = *p;
				} else if (p[0] == '}' && p[1] == '}') {
					p += 2;
					break;
				}
			}
			buf_append(b, s, (size_t)(p - s));
			s = p;
			continue;
		}
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
			buf_append_byte(b, (uint8_t)*s);
		} else {
			char esc[3] = {'%', hex[(unsigned char)*s >> 4],
				       hex[(unsigned char)*s & 15]};

			buf_append(b, esc, 3);
		}
		s++;
	}
}

static int compile_method_url(struct prog *g, const struct plan_step *st, struct creq *r,
			      char **err)
{
	const struct plan_request *pr = &st->request;
	struct tmpl *t = NULL;

	if (!pr->method || strcmp(pr->method, "GET") == 0)
		r->method = M_GET;
	else if (strcmp(pr->method, "POST") == 0)
		r->method = M_POST;
	else if (strcmp(pr->method, "HEAD") == 0)
		r->method = M_HEAD;
	else
		r->method = M_OTHER;
	if (!pr->url)
		return prog_where(g, st->pos, err, "request", "without", "url");
	if (prog_tmpl(g, pr->url, TMPL_ESCAPE_NONE, st->pos, "url", &t, err) < 0)
		return -1;
	if (tmpl_constant(t)) {
		struct buf b;

		tmpl_free(t);
		buf_init(&b, 0);
		if (!prog_url_is_absolute(pr->url))
			buf_append_str(&b, g->target);
		if (!prog_url_is_absolute(pr->url) && pr->url[0] != '/')
			buf_append_byte(&b, '/');
		buf_append_str(&b, pr->url);
		r->url_const = buf_steal(&b);
		if (strncmp(r->url_const, "https://", 8) == 0)
			g->https_urls = true;
		r->url_handle = curl_url();
		if (!r->url_handle ||
		    curl_url_set(r->url_handle, CURLUPART_URL, r->url_const, 0) != CURLUE_OK)
			return prog_where(g, st->pos, err, "bad", "url", r->url_const);
	} else {
		r->url = t;
		r->url_is_path = !prog_url_is_absolute(pr->url);
		if (strncmp(pr->url, "https://", 8) == 0 || strncmp(pr->url, "{{", 2) == 0)
			g->https_urls = true; /* may be https: auto keeps libcurl */
	}
	return 0;
}

/* Add header name as the constant line "name: value" unless one of that name is there. */
static int default_header(struct creq *r, bool among_all, const struct plan_request *pr,
			  const char *name, const char *line)
{
	bool have = false;

	if (among_all) {
		for (size_t i = 0; i < r->nhdrs; i++)
			if (strcasecmp(r->hdrs[i].name, name) == 0)
				have = true;
	} else {
		for (size_t i = 0; i < pr->nheaders; i++)
			if (strcasecmp(pr->headers[i].name, name) == 0)
				have = true;
	}
	if (have)
		return 0;
	r->hdrs[r->nhdrs].name = strdup(name);
	r->hdrs[r->nhdrs++].line = strdup(line);
	return 0;
}

static int compile_headers(struct prog *g, const struct plan_step *st, struct creq *r, char **err)
{
	const struct plan_request *pr = &st->request;
	size_t nh = g->plan->http.nheaders + pr->nheaders + 2;

	r->hdrs = calloc(nh + 3, sizeof(*r->hdrs));
	if (!r->hdrs)
		return err_set(err, "out of memory");
	if (r->url_handle && g->plan->http.version != 2 && auto_headers(r) < 0)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < g->plan->http.nheaders; i++)
		if (add_header(g, r, &g->plan->http.headers[i], err) < 0)
			return -1;
	for (size_t i = 0; i < pr->nheaders; i++)
		if (add_header(g, r, &pr->headers[i], err) < 0)
			return -1;
	/* A JSON body is labelled so unless the request itself says otherwise. */
	if (pr->body_kind == PLAN_BODY_JSON)
		default_header(r, false, pr, "Content-Type", "Content-Type: application/json");
	/* libcurl labels any POSTFIELDS body application/x-www-form-urlencoded; a raw body is only
	 * what the user wrote, so without a Content-Type of theirs (or the plan's) it gets none (an
	 * empty "Content-Type:" line tells libcurl to send no such header). */
	if (pr->body_kind == PLAN_BODY_RAW)
		default_header(r, true, pr, "Content-Type", "Content-Type:");
	/* Without keep-alive the client says so (RFC 9112, 9.6): the server then closes first, so
	 * the TIME-WAIT state stays on the server's side instead of filling the agent's ports
	 * (whose search for a free one then costs every connect). HTTP/2 has no such header. */
	if (!g->plan->http.keepalive && g->plan->http.version != 2)
		default_header(r, true, pr, "Connection", "Connection: close");
	for (size_t i = 0; i < r->nhdrs; i++)
		if (r->hdrs[i].t)
			r->nhdr_tmpl++;
	return 0;
}

static int compile_body(struct prog *g, const struct plan_step *st, struct creq *r, char **err)
{
	const struct plan_request *pr = &st->request;
	struct tmpl *t = NULL;
	struct buf b;

	if (pr->body_kind == PLAN_BODY_RAW || pr->body_kind == PLAN_BODY_JSON) {
		enum tmpl_escape esc =
		    pr->body_kind == PLAN_BODY_JSON ? TMPL_ESCAPE_JSON : TMPL_ESCAPE_NONE;

		r->has_body = true;
		if (prog_tmpl(g, pr->body ? pr->body : "", esc, st->pos, "body", &t, err) < 0)
			return -1;
		if (tmpl_constant(t)) {
			tmpl_free(t);
			r->body_const = strdup(pr->body ? pr->body : "");
			r->body_len = strlen(r->body_const);
		} else
			r->body = t;
		return 0;
	}
	if (pr->body_kind != PLAN_BODY_FORM)
		return 0;
	r->has_body = true;
	buf_init(&b, 0);
	for (size_t i = 0; i < pr->nform; i++) {
		if (i)
			buf_append_byte(&b, '&');
		/* Literal text of names and values is percent-encoded here, once; what the {{ }}
		 * holes render to is encoded by the template (TMPL_ESCAPE_URL). */
		append_form_literal(&b, pr->form[i].name);
		buf_append_byte(&b, '=');
		append_form_literal(&b, pr->form[i].value);
	}
	if (prog_tmpl(g, b.data ? b.data : "", TMPL_ESCAPE_URL, st->pos, "form", &t, err) < 0) {
		buf_free(&b);
		return -1;
	}
	if (tmpl_constant(t)) {
		tmpl_free(t);
		r->body_len = b.len;
		r->body_const = buf_steal(&b);
		if (!r->body_const)
			r->body_const = strdup("");
	} else {
		r->body = t;
		buf_free(&b);
	}
	return 0;
}

static int compile_capture(struct prog *g, const struct plan_capture *pc, struct creq *r,
			   char **err)
{
	struct ccapture *c = &r->caps[r->ncaps++];
	char *e = NULL;

	c->src = pc;
	c->sym = prog_sym_add(g, pc->var, SYM_VAR, -1, -1);
	c->err_ctr = prog_ctr_index(g, "error_capture_", pc->var);
	if (c->sym < 0 || c->err_ctr < 0)
		return err_set(err, "out of memory");
	switch (pc->kind) {
	case PLAN_CAPTURE_JSON:
		r->need_body = true;
		if (jsonpath_compile(pc->expr ? pc->expr : "", &c->jp, &e, NULL) < 0) {
			prog_where(g, pc->pos, err, "bad JSONPath in", "capture", e);
			free(e);
			return -1;
		}
		break;
	case PLAN_CAPTURE_REGEX:
		r->need_body = true;
		c->re = prog_regex(g, pc->expr ? pc->expr : "", pc->pos, "capture", err);
		if (!c->re)
			return -1;
		break;
	case PLAN_CAPTURE_HEADER:
	case PLAN_CAPTURE_COOKIE:
		if (!pc->expr || !*pc->expr)
			return prog_where(g, pc->pos, err, "capture", "needs", "a name");
		break;
	case PLAN_CAPTURE_STATUS:
		break;
	}
	return 0;
}

/* Captures and expectations: what the answer must hold, and so what of it the client keeps. */
static int compile_checks(struct prog *g, const struct plan_request *pr, struct creq *r, char **err)
{
	if (pr->ncaptures) {
		r->caps = calloc(pr->ncaptures, sizeof(*r->caps));
		if (!r->caps)
			return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < pr->ncaptures; i++)
		if (compile_capture(g, &pr->captures[i], r, err) < 0)
			return -1;
	for (size_t i = 0; i < r->ncaps; i++)
		if (r->caps[i].src->kind == PLAN_CAPTURE_HEADER)
			r->need_headers = true;
	if (pr->expect.nheaders)
		r->need_headers = true;
	if (pr->expect.body_contains)
		r->need_body = true;
	if (pr->expect.body_regex) {
		r->need_body = true;
		r->expect_re = prog_regex(g, pr->expect.body_regex, pr->expect.pos, "expect", err);
		if (!r->expect_re)
			return -1;
	}
	return 0;
}

int prog_request_compile(struct prog *g, const struct plan_step *st, struct creq *r, char **err)
{
	const struct plan_request *pr = &st->request;

	r->src = pr;
	r->pos = st->pos;
	r->hist = -1;
	if (compile_method_url(g, st, r, err) < 0 || compile_headers(g, st, r, err) < 0 ||
	    compile_body(g, st, r, err) < 0)
		return -1;
	r->timeout_ms = (long)((pr->timeout_us ? pr->timeout_us : g->plan->http.timeout_us) / 1000);
	r->max_redirects =
	    pr->has_follow_redirects ? pr->follow_redirects : g->plan->http.follow_redirects;
	if (pr->name) {
		r->hist = prog_stat_index(g, true, "req_", pr->name, st->pos, "request name", err);
		if (r->hist < 0)
			return -1;
	}
	return compile_checks(g, pr, r, err);
}

void prog_request_free(struct creq *r)
{
	if (!r)
		return;
	tmpl_free(r->url);
	free(r->url_const);
	if (r->url_handle)
		curl_url_cleanup(r->url_handle);
	for (size_t i = 0; i < r->nhdrs; i++) {
		tmpl_free(r->hdrs[i].t);
		free(r->hdrs[i].line);
		free(r->hdrs[i].name);
	}
	free(r->hdrs);
	tmpl_free(r->body);
	free(r->body_const);
	for (size_t i = 0; i < r->ncaps; i++) {
		pcre2_code_free(r->caps[i].re);
		jsonpath_free(r->caps[i].jp);
	}
	free(r->caps);
	pcre2_code_free(r->expect_re);
	free(r);
}
