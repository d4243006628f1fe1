/* The compiled plan: everything the workers need, prepared once before the load starts so the
 * hot path never parses, looks up a name or builds a constant string.
 *
 * Templates, expressions, regexes and JSONPaths are compiled here, and an error names the
 * scenario position (file:line:col) the controller put in the plan. Variables get numbers
 * (symbols) looked up through a small hash table; histogram and counter names get indexes into
 * each worker's fixed arrays (agent.h, struct wstats). Constant URLs are joined to the target
 * and pre-parsed into a CURLU handle; constant headers are pre-formatted "Name: value" lines. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"
#include "common/err.h"

static const char *const fixed_hists[H_FIXED] = {
    [H_CONNECT] = "connect", [H_TLS] = "tls",
    [H_REQUEST] = "request", [H_REQUEST_SERVICE] = "request_service",
    [H_TTFB] = "ttfb",	     [H_PAGE] = "page",
    [H_SESSION] = "session", [H_REQUEST_FAILED] = "request_failed",
};

static const char *const fixed_ctrs[C_FIXED] = {
    [C_REQUESTS] = "requests",
    [C_SIZE_RCV] = "size_rcv",
    [C_SIZE_SENT] = "size_sent",
    [C_USERS_COUNT] = "users_count",
    [C_FINISH_USERS] = "finish_users_count",
    [C_DROPPED_USERS] = "dropped_users",
    [C_ERR_CONNECT] = "error_connect",
    [C_ERR_TIMEOUT] = "error_timeout",
    [C_ERR_TLS] = "error_tls",
    [C_ERR_DNS] = "error_dns",
    [C_ERR_CLOSED] = "error_closed",
    [C_ERR_OTHER] = "error_other",
    [C_ERR_EXPECT_STATUS] = "error_expect_status",
    [C_ERR_EXPECT_BODY] = "error_expect_body",
    [C_ERR_EXPECT_HEADER] = "error_expect_header",
    [C_ERR_ABORT] = "error_abort",
    [C_ERR_EVAL] = "error_eval",
    [C_ERR_RENDER] = "error_render",
    [C_ERR_DATA_EXHAUSTED] = "error_data_exhausted",
    [C_ERR_CUT] = "error_cut",
    [C_REQUESTS_MISSED] = "requests_missed",
    [C_USERS_BACKOFF] = "users_backoff",
    [C_ERR_HEADER_TOO_LARGE] = "error_header_too_large",
    [C_WHILE_MAX] = "while_max",
    [C_ERR_BAD_URL] = "error_bad_url",
};

static int where(const struct prog *g, struct plan_pos pos, char **err, const char *fmt,
		 const char *what, const char *detail)
{
	const char *src = g->plan->source ? g->plan->source : "plan";

	return err_set(err, "%s:%d:%d: %s %s: %s", src, pos.line, pos.col, fmt, what,
		       detail ? detail : "");
}

static int name_index(char ***names, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return (int)i;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		char **v = realloc(*names, nc * sizeof(*v));

		if (!v)
			return -1;
		*names = v;
		*cap = nc;
	}
	(*names)[*n] = strdup(name);
	if (!(*names)[*n])
		return -1;
	return (int)(*n)++;
}

static int prefixed(char ***names, size_t *n, size_t *cap, const char *prefix, const char *name)
{
	char tmp[STATS_MAX_NAME + 1];

	snprintf(tmp, sizeof(tmp), "%s%s", prefix, name);
	return name_index(names, n, cap, tmp);
}

/* The index of statistic PREFIX NAME in the histogram (hist) or counter names. A name the
 * STATS frame cannot carry is refused here, before the load, with the scenario position: the
 * controller's check refuses it too, but a hand-written plan reaches the agent directly, and a
 * name cut at STATS_MAX_NAME bytes (perhaps inside a UTF-8 sequence) must never be sent. */
static int stat_index(struct prog *g, bool hist, const char *prefix, const char *name,
		      struct plan_pos pos, const char *what, char **err)
{
	char full[2 * STATS_MAX_NAME + 64];
	const char *why;
	size_t len;
	int i;

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	len = strlen(prefix) + strlen(name);
	why = len >= sizeof(full) ? "name longer than 200 bytes"
				  : stats_name_problem(full, len, NULL);
	if (why)
		return where(g, pos, err, what, "cannot name a statistic", why);
	i = hist ? prefixed(&g->hist_names, &g->nhists, &g->hists_cap, prefix, name)
		 : prefixed(&g->ctr_names, &g->nctrs, &g->ctrs_cap, prefix, name);
	if (i < 0)
		return err_set(err, "out of memory");
	return i;
}

static uint64_t hash_name(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

int prog_sym_find(const struct prog *g, const char *name, size_t len)
{
	size_t mask = g->sym_hash_size - 1;

	if (!g->sym_hash)
		return -1;
	for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
		int s = g->sym_hash[i];

		if (s < 0)
			return -1;
		if (strlen(g->syms[s].name) == len && memcmp(g->syms[s].name, name, len) == 0)
			return s;
	}
}

static int sym_add(struct prog *g, const char *name, enum sym_kind kind, int data, int column)
{
	for (size_t i = 0; i < g->nsyms; i++)
		if (strcmp(g->syms[i].name, name) == 0)
			return (int)i;
	if (g->nsyms == g->syms_cap) {
		size_t nc = g->syms_cap ? g->syms_cap * 2 : 32;
		struct sym *v = realloc(g->syms, nc * sizeof(*v));

		if (!v)
			return -1;
		g->syms = v;
		g->syms_cap = nc;
	}
	g->syms[g->nsyms].name = strdup(name);
	if (!g->syms[g->nsyms].name)
		return -1;
	g->syms[g->nsyms].kind = kind;
	g->syms[g->nsyms].data = data;
	g->syms[g->nsyms].column = column;
	return (int)g->nsyms++;
}

static int build_sym_hash(struct prog *g)
{
	size_t size = 16;

	while (size < g->nsyms * 2 + 1)
		size *= 2;
	g->sym_hash = malloc(size * sizeof(int));
	if (!g->sym_hash)
		return -1;
	for (size_t i = 0; i < size; i++)
		g->sym_hash[i] = -1;
	g->sym_hash_size = size;
	for (size_t s = 0; s < g->nsyms; s++) {
		size_t i = hash_name(g->syms[s].name, strlen(g->syms[s].name)) & (size - 1);

		while (g->sym_hash[i] >= 0)
			i = (i + 1) & (size - 1);
		g->sym_hash[i] = (int)s;
	}
	return 0;
}

static int compile_tmpl(struct prog *g, const char *src, enum tmpl_escape esc, struct plan_pos pos,
			const char *what, struct tmpl **out, char **err)
{
	char *e = NULL;
	size_t col = 0;

	if (tmpl_compile(src, esc, out, &e, &col) < 0) {
		where(g, pos, err, "in", what, e);
		free(e);
		return -1;
	}
	return 0;
}

static void *compile_regex(struct prog *g, const char *src, struct plan_pos pos, const char *what,
			   char **err)
{
	int ec = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
	uint32_t groups = 0;

	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		where(g, pos, err, "bad regex in", what, (const char *)msg);
		return NULL;
	}
	/* JIT makes matching several times faster; when it is unavailable the interpreter runs. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups + 1 > g->max_groups)
		g->max_groups = groups + 1;
	g->need_match_data = true;
	return re;
}

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
	if (compile_tmpl(g, b.data, TMPL_ESCAPE_NONE, kv->pos, "header", &t, err) < 0) {
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

static bool is_absolute(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
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
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '.' || *s == '_' || *s == '~') {
			buf_append_byte(b, (uint8_t)*s);
		} else {
			char esc[3] = { '%', hex[(unsigned char)*s >> 4], hex[(unsigned char)*s & 15] };

			buf_append(b, esc, 3);
		}
		s++;
	}
}

static int compile_request(struct prog *g, const struct plan_step *st, struct creq *r, char **err)
{
	const struct plan_request *pr = &st->request;
	struct tmpl *t = NULL;
	size_t nh = g->plan->http.nheaders + pr->nheaders + 2;

	r->src = pr;
	r->pos = st->pos;
	r->hist = -1;
	if (!pr->method || strcmp(pr->method, "GET") == 0)
		r->method = M_GET;
	else if (strcmp(pr->method, "POST") == 0)
		r->method = M_POST;
	else if (strcmp(pr->method, "HEAD") == 0)
		r->method = M_HEAD;
	else
		r->method = M_OTHER;
	if (!pr->url)
		return where(g, st->pos, err, "request", "without", "url");
	if (compile_tmpl(g, pr->url, TMPL_ESCAPE_NONE, st->pos, "url", &t, err) < 0)
		return -1;
	if (tmpl_constant(t)) {
		struct buf b;

		tmpl_free(t);
		buf_init(&b, 0);
		if (!is_absolute(pr->url))
			buf_append_str(&b, g->target);
		if (!is_absolute(pr->url) && pr->url[0] != '/')
			buf_append_byte(&b, '/');
		buf_append_str(&b, pr->url);
		r->url_const = buf_steal(&b);
		if (strncmp(r->url_const, "https://", 8) == 0)
			g->https_urls = true;
		r->url_handle = curl_url();
		if (!r->url_handle ||
		    curl_url_set(r->url_handle, CURLUPART_URL, r->url_const, 0) != CURLUE_OK)
			return where(g, st->pos, err, "bad", "url", r->url_const);
	} else {
		r->url = t;
		r->url_is_path = !is_absolute(pr->url);
		if (strncmp(pr->url, "https://", 8) == 0 || strncmp(pr->url, "{{", 2) == 0)
			g->https_urls = true; /* may be https: auto keeps libcurl */
	}
	r->hdrs = calloc(nh + 2, sizeof(*r->hdrs));
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
	if (pr->body_kind == PLAN_BODY_JSON) {
		bool have = false;

		for (size_t i = 0; i < pr->nheaders; i++)
			if (strcasecmp(pr->headers[i].name, "Content-Type") == 0)
				have = true;
		if (!have) {
			r->hdrs[r->nhdrs].name = strdup("Content-Type");
			r->hdrs[r->nhdrs++].line = strdup("Content-Type: application/json");
		}
	}
	if (pr->body_kind == PLAN_BODY_RAW) {
		/* libcurl labels any POSTFIELDS body application/x-www-form-urlencoded; a raw body
		 * is only what the user wrote, so without a Content-Type of theirs it gets none
		 * (an empty "Content-Type:" line tells libcurl to send no such header). */
		bool have = false;

		for (size_t i = 0; i < r->nhdrs; i++)
			if (strcasecmp(r->hdrs[i].name, "Content-Type") == 0)
				have = true;
		if (!have) {
			r->hdrs[r->nhdrs].name = strdup("Content-Type");
			r->hdrs[r->nhdrs++].line = strdup("Content-Type:");
		}
	}
	for (size_t i = 0; i < r->nhdrs; i++)
		if (r->hdrs[i].t)
			r->nhdr_tmpl++;
	if (pr->body_kind == PLAN_BODY_RAW || pr->body_kind == PLAN_BODY_JSON) {
		enum tmpl_escape esc =
		    pr->body_kind == PLAN_BODY_JSON ? TMPL_ESCAPE_JSON : TMPL_ESCAPE_NONE;

		r->has_body = true;
		if (compile_tmpl(g, pr->body ? pr->body : "", esc, st->pos, "body", &t, err) < 0)
			return -1;
		if (tmpl_constant(t)) {
			tmpl_free(t);
			r->body_const = strdup(pr->body ? pr->body : "");
			r->body_len = strlen(r->body_const);
		} else
			r->body = t;
	} else if (pr->body_kind == PLAN_BODY_FORM) {
		struct buf b;

		r->has_body = true;
		buf_init(&b, 0);
		for (size_t i = 0; i < pr->nform; i++) {
			if (i)
				buf_append_byte(&b, '&');
			/* Literal text of names and values is percent-encoded here, once; what the
			 * {{ }} holes render to is encoded by the template (TMPL_ESCAPE_URL). */
			append_form_literal(&b, pr->form[i].name);
			buf_append_byte(&b, '=');
			append_form_literal(&b, pr->form[i].value);
		}
		if (compile_tmpl(g, b.data ? b.data : "", TMPL_ESCAPE_URL, st->pos, "form", &t,
				 err) < 0) {
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
	}
	r->timeout_ms = (long)((pr->timeout_us ? pr->timeout_us : g->plan->http.timeout_us) / 1000);
	r->max_redirects =
	    pr->has_follow_redirects ? pr->follow_redirects : g->plan->http.follow_redirects;
	if (pr->name) {
		r->hist = stat_index(g, true, "req_", pr->name, st->pos, "request name", err);
		if (r->hist < 0)
			return -1;
	}
	if (pr->ncaptures) {
		r->caps = calloc(pr->ncaptures, sizeof(*r->caps));
		if (!r->caps)
			return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < pr->ncaptures; i++) {
		const struct plan_capture *pc = &pr->captures[i];
		struct ccapture *c = &r->caps[r->ncaps++];
		char *e = NULL;

		c->src = pc;
		c->sym = sym_add(g, pc->var, SYM_VAR, -1, -1);
		c->err_ctr =
		    prefixed(&g->ctr_names, &g->nctrs, &g->ctrs_cap, "error_capture_", pc->var);
		if (c->sym < 0 || c->err_ctr < 0)
			return err_set(err, "out of memory");
		switch (pc->kind) {
		case PLAN_CAPTURE_JSON:
			r->need_body = true;
			if (jsonpath_compile(pc->expr ? pc->expr : "", &c->jp, &e, NULL) < 0) {
				where(g, pc->pos, err, "bad JSONPath in", "capture", e);
				free(e);
				return -1;
			}
			break;
		case PLAN_CAPTURE_REGEX:
			r->need_body = true;
			c->re = compile_regex(g, pc->expr ? pc->expr : "", pc->pos, "capture", err);
			if (!c->re)
				return -1;
			break;
		case PLAN_CAPTURE_HEADER:
		case PLAN_CAPTURE_COOKIE:
			if (!pc->expr || !*pc->expr)
				return where(g, pc->pos, err, "capture", "needs", "a name");
			break;
		case PLAN_CAPTURE_STATUS:
			break;
		}
	}
	for (size_t i = 0; i < r->ncaps; i++)
		if (r->caps[i].src->kind == PLAN_CAPTURE_HEADER)
			r->need_headers = true;
	if (pr->expect.nheaders)
		r->need_headers = true;
	if (pr->expect.body_contains)
		r->need_body = true;
	if (pr->expect.body_regex) {
		r->need_body = true;
		r->expect_re =
		    compile_regex(g, pr->expect.body_regex, pr->expect.pos, "expect", err);
		if (!r->expect_re)
			return -1;
	}
	return 0;
}

static int compile_steps(struct prog *g, const struct plan_steps *in, struct cstep **out, size_t *n,
			 size_t depth, char **err);

static int compile_cond(struct prog *g, const struct plan_step *st, struct expr **out, char **err)
{
	char *e = NULL;
	size_t col = 0;

	if (!st->cond)
		return where(g, st->pos, err, "step", "needs", "a condition");
	if (expr_compile(st->cond, strlen(st->cond), out, &e, &col) < 0) {
		where(g, st->pos, err, "in", "condition", e);
		free(e);
		return -1;
	}
	return 0;
}

static int compile_step(struct prog *g, const struct plan_step *st, struct cstep *c, size_t depth,
			char **err)
{
	c->src = st;
	c->kind = st->kind;
	c->hist = -1;
	c->list_sym = c->item_sym = -1;
	c->abort_ctr = C_ERR_ABORT;
	switch (st->kind) {
	case PLAN_STEP_REQUEST:
		c->req = calloc(1, sizeof(*c->req));
		if (!c->req)
			return err_set(err, "out of memory");
		return compile_request(g, st, c->req, err);
	case PLAN_STEP_THINK:
	case PLAN_STEP_REPEAT:
		break;
	case PLAN_STEP_TRANSACTION:
		c->hist = stat_index(g, true, "tr_", st->name ? st->name : "unnamed", st->pos,
				     "transaction name", err);
		if (c->hist < 0)
			return -1;
		break;
	case PLAN_STEP_IF:
	case PLAN_STEP_WHILE:
		if (compile_cond(g, st, &c->cond, err) < 0)
			return -1;
		break;
	case PLAN_STEP_FOREACH:
		if (!st->list_var)
			return where(g, st->pos, err, "foreach", "needs", "a list variable");
		c->list_sym = sym_add(g, st->list_var, SYM_VAR, -1, -1);
		c->item_sym = sym_add(g, st->item_var ? st->item_var : "item", SYM_VAR, -1, -1);
		if (c->list_sym < 0 || c->item_sym < 0)
			return err_set(err, "out of memory");
		break;
	case PLAN_STEP_SET:
		c->set = calloc(st->nset ? st->nset : 1, sizeof(*c->set));
		if (!c->set)
			return err_set(err, "out of memory");
		for (size_t i = 0; i < st->nset; i++) {
			c->set[i].sym = sym_add(g, st->set[i].name, SYM_VAR, -1, -1);
			if (c->set[i].sym < 0)
				return err_set(err, "out of memory");
			c->nset++;
			if (compile_tmpl(g, st->set[i].value, TMPL_ESCAPE_NONE, st->set[i].pos,
					 "set", &c->set[i].value, err) < 0)
				return -1;
		}
		break;
	case PLAN_STEP_ABORT:
		if (st->reason && *st->reason) {
			c->abort_ctr = stat_index(g, false, "error_abort_", st->reason, st->pos,
						  "abort reason", err);
			if (c->abort_ctr < 0)
				return -1;
		}
		break;
	default:
		return where(g, st->pos, err, "unknown", "step kind", "");
	}
	if (st->kind == PLAN_STEP_TRANSACTION || st->kind == PLAN_STEP_IF ||
	    st->kind == PLAN_STEP_REPEAT || st->kind == PLAN_STEP_WHILE ||
	    st->kind == PLAN_STEP_FOREACH) {
		if (compile_steps(g, &st->body, &c->body, &c->nbody, depth + 1, err) < 0)
			return -1;
	}
	if (st->kind == PLAN_STEP_IF &&
	    compile_steps(g, &st->else_body, &c->else_body, &c->nelse, depth + 1, err) < 0)
		return -1;
	return 0;
}

static int compile_steps(struct prog *g, const struct plan_steps *in, struct cstep **out, size_t *n,
			 size_t depth, char **err)
{
	if (depth > 64)
		return err_set(err, "steps nested more than 64 deep");
	if (depth + 1 > g->max_depth)
		g->max_depth = depth + 1;
	*n = 0;
	*out = calloc(in->n ? in->n : 1, sizeof(**out));
	if (!*out)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < in->n; i++) {
		if (compile_step(g, &in->v[i], &(*out)[i], depth, err) < 0) {
			*n = i + 1;
			return -1;
		}
		*n = i + 1;
	}
	return 0;
}

int prog_compile(const struct plan *p, struct prog **out, char **err)
{
	struct prog *g = calloc(1, sizeof(*g));
	size_t tl;

	*out = NULL;
	if (!g)
		return err_set(err, "out of memory");
	g->plan = p;
	if (!p->target || !is_absolute(p->target)) {
		err_set(err, "%s: target must be an http:// or https:// URL, not '%s'",
			p->source ? p->source : "plan", p->target ? p->target : "");
		goto fail;
	}
	g->target = strdup(p->target);
	if (!g->target)
		goto nomem;
	tl = strlen(g->target);
	while (tl > 8 && g->target[tl - 1] == '/')
		g->target[--tl] = '\0';
	g->https = strncmp(g->target, "https://", 8) == 0;
	for (int i = 0; i < H_FIXED; i++)
		if (name_index(&g->hist_names, &g->nhists, &g->hists_cap, fixed_hists[i]) < 0)
			goto nomem;
	for (int i = 0; i < C_FIXED; i++)
		if (name_index(&g->ctr_names, &g->nctrs, &g->ctrs_cap, fixed_ctrs[i]) < 0)
			goto nomem;
	for (size_t d = 0; d < p->ndata; d++)
		for (size_t c = 0; c < p->data[d].ncolumns; c++) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s.%s", p->data[d].name, p->data[d].columns[c]);
			if (sym_add(g, tmp, SYM_DATA, (int)d, (int)c) < 0)
				goto nomem;
		}
	if (p->nvariables) {
		g->globals = calloc(p->nvariables, sizeof(*g->globals));
		if (!g->globals)
			goto nomem;
	}
	for (size_t i = 0; i < p->nvariables; i++) {
		g->globals[i].sym = sym_add(g, p->variables[i].name, SYM_VAR, -1, -1);
		if (g->globals[i].sym < 0)
			goto nomem;
		g->nglobals++;
		if (compile_tmpl(g, p->variables[i].value, TMPL_ESCAPE_NONE, p->variables[i].pos,
				 "variable", &g->globals[i].value, err) < 0)
			goto fail;
	}
	if (p->nsessions == 0) {
		err_set(err, "%s: the plan has no sessions", p->source ? p->source : "plan");
		goto fail;
	}
	g->sessions = calloc(p->nsessions, sizeof(*g->sessions));
	if (!g->sessions)
		goto nomem;
	for (size_t i = 0; i < p->nsessions; i++) {
		struct csession *s = &g->sessions[i];

		s->src = &p->sessions[i];
		g->nsessions++;
		if (compile_steps(g, &p->sessions[i].steps, &s->steps, &s->nsteps, 0, err) < 0)
			goto fail;
		g->total_weight += p->sessions[i].weight > 0 ? p->sessions[i].weight : 0;
		s->cum_weight = g->total_weight;
	}
	if (g->total_weight <= 0) {
		/* All weights zero or unset: equal shares. */
		for (size_t i = 0; i < g->nsessions; i++)
			g->sessions[i].cum_weight = (double)(i + 1);
		g->total_weight = (double)g->nsessions;
	}
	if (g->max_depth == 0)
		g->max_depth = 1;
	if (p->http.source_addresses) {
		const char *s = p->http.source_addresses;
		size_t n = 1;

		for (const char *c = s; *c; c++)
			n += *c == ',';
		g->src_addrs = calloc(n, sizeof(*g->src_addrs));
		if (!g->src_addrs)
			goto nomem;
		while (*s) {
			char ip[64];
			size_t l = strcspn(s, ",");
			struct sockaddr_in *a4 = (struct sockaddr_in *)&g->src_addrs[g->nsrc_addrs];
			struct sockaddr_in6 *a6 =
			    (struct sockaddr_in6 *)&g->src_addrs[g->nsrc_addrs];

			snprintf(ip, sizeof(ip), "%.*s", (int)(l < sizeof(ip) ? l : sizeof(ip) - 1),
				 s);
			if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1)
				a4->sin_family = AF_INET;
			else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1)
				a6->sin6_family = AF_INET6;
			else {
				err_set(err, "%s: http.source_addresses: '%s' is not an IP address",
					p->source ? p->source : "plan", ip);
				goto fail;
			}
			g->nsrc_addrs++;
			s += l;
			if (*s == ',')
				s++;
		}
	}
	/* http.client: auto takes the lean client where it covers the plan. */
	switch (p->http.client) {
	case PLAN_CLIENT_LEAN:
		g->lean = true;
		break;
	case PLAN_CLIENT_AUTO:
		g->lean = !g->https && !g->https_urls && p->http.version == 11 &&
			  !p->http.share_connections;
		break;
	default:
		g->lean = false;
	}
	if (build_sym_hash(g) < 0)
		goto nomem;
	if (data_load(g, err) < 0)
		goto fail;
	*out = g;
	return 0;
nomem:
	err_set(err, "out of memory");
fail:
	prog_free(g);
	return -1;
}

static void free_req(struct creq *r)
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

static void free_steps(struct cstep *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		free_req(s[i].req);
		expr_free(s[i].cond);
		free_steps(s[i].body, s[i].nbody);
		free_steps(s[i].else_body, s[i].nelse);
		for (size_t j = 0; j < s[i].nset; j++)
			tmpl_free(s[i].set[j].value);
		free(s[i].set);
	}
	free(s);
}

void prog_free(struct prog *g)
{
	if (!g)
		return;
	free(g->src_addrs);
	data_free(g);
	for (size_t i = 0; i < g->nsessions; i++)
		free_steps(g->sessions[i].steps, g->sessions[i].nsteps);
	free(g->sessions);
	for (size_t i = 0; i < g->nglobals; i++)
		tmpl_free(g->globals[i].value);
	free(g->globals);
	for (size_t i = 0; i < g->nsyms; i++)
		free(g->syms[i].name);
	free(g->syms);
	free(g->sym_hash);
	for (size_t i = 0; i < g->nhists; i++)
		free(g->hist_names[i]);
	free(g->hist_names);
	for (size_t i = 0; i < g->nctrs; i++)
		free(g->ctr_names[i]);
	free(g->ctr_names);
	free(g->target);
	free(g);
}

/* ---- per-worker statistics ---- */

struct wstats *wstats_new(const struct prog *g)
{
	struct wstats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->h = calloc(g->nhists, sizeof(*s->h));
	s->c = calloc(g->nctrs, sizeof(*s->c));
	if (!s->h || !s->c) {
		free(s->h);
		free(s->c);
		free(s);
		return NULL;
	}
	return s;
}

void wstats_free(const struct prog *g, struct wstats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < g->nhists; i++)
		hist_free(s->h[i]);
	free(s->h);
	free(s->c);
	free(s);
}

void wstats_reset(const struct prog *g, struct wstats *s)
{
	for (size_t i = 0; i < g->nhists; i++)
		if (s->h[i])
			hist_reset(s->h[i]);
	memset(s->c, 0, g->nctrs * sizeof(*s->c));
	memset(s->http, 0, sizeof(s->http));
	s->lag_max_ms = 0;
	s->ready = false;
}

void wstats_merge(const struct prog *g, struct wstats *dst, const struct wstats *src)
{
	for (size_t i = 0; i < g->nhists; i++) {
		if (!src->h[i] || src->h[i]->count == 0)
			continue;
		if (!dst->h[i])
			dst->h[i] = hist_new();
		if (dst->h[i])
			hist_merge(dst->h[i], src->h[i]);
	}
	for (size_t i = 0; i < g->nctrs; i++)
		dst->c[i] += src->c[i];
	for (size_t i = 0; i < AGENT_HTTP_CODES; i++)
		dst->http[i] += src->http[i];
	dst->users = src->users;
	dst->users_max = src->users_max > dst->users_max ? src->users_max : dst->users_max;
	dst->conns = src->conns;
	dst->conns_max = src->conns_max > dst->conns_max ? src->conns_max : dst->conns_max;
	if (src->lag_max_ms > dst->lag_max_ms)
		dst->lag_max_ms = src->lag_max_ms;
}

int wstats_to_snapshot(const struct prog *g, const struct wstats *s, struct stats_snapshot *out)
{
	for (size_t i = 0; i < g->nhists; i++) {
		struct hist *h;

		if (!s->h[i] || s->h[i]->count == 0)
			continue;
		h = stats_hist(out, g->hist_names[i]);
		if (!h)
			return -1;
		hist_merge(h, s->h[i]);
	}
	for (size_t i = 0; i < g->nctrs; i++)
		if (s->c[i] && stats_add(out, g->ctr_names[i], (int64_t)s->c[i]) < 0)
			return -1;
	for (size_t i = 0; i < AGENT_HTTP_CODES; i++) {
		char name[16];

		if (!s->http[i])
			continue;
		snprintf(name, sizeof(name), "http_%03zu", i);
		if (stats_add(out, name, (int64_t)s->http[i]) < 0)
			return -1;
	}
	return 0;
}
