/* The compiled plan's shared tables and helpers (prog.h): the names of the statistics (the
 * fixed ones of metrics.h first), the symbol table of variables with its hash index, and the
 * compilation of one template or regex with the scenario position (file:line:col) the
 * controller put in the plan in any error. prog_compile.c and prog_request.c build on them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics.h"
#include "agent/prog.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/stats.h"

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

int prog_where(const struct prog *g, struct plan_pos pos, char **err, const char *fmt,
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
int prog_stat_index(struct prog *g, bool hist, const char *prefix, const char *name,
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
		return prog_where(g, pos, err, what, "cannot name a statistic", why);
	i = hist ? prefixed(&g->hist_names, &g->nhists, &g->hists_cap, prefix, name)
		 : prefixed(&g->ctr_names, &g->nctrs, &g->ctrs_cap, prefix, name);
	if (i < 0)
		return err_set(err, "out of memory");
	return i;
}

int prog_sym_find(const struct prog *g, const char *name, size_t len)
{
	size_t mask = g->sym_hash_size - 1;

	if (!g->sym_hash)
		return -1;
	for (size_t i = hash_bytes(name, len) & mask;; i = (i + 1) & mask) {
		int s = g->sym_hash[i];

		if (s < 0)
			return -1;
		if (strlen(g->syms[s].name) == len && memcmp(g->syms[s].name, name, len) == 0)
			return s;
	}
}

int prog_sym_add(struct prog *g, const char *name, enum sym_kind kind, int data, int column)
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

int prog_build_sym_hash(struct prog *g)
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
		size_t i = hash_bytes(g->syms[s].name, strlen(g->syms[s].name)) & (size - 1);

		while (g->sym_hash[i] >= 0)
			i = (i + 1) & (size - 1);
		g->sym_hash[i] = (int)s;
	}
	return 0;
}

int prog_tmpl(struct prog *g, const char *src, enum tmpl_escape esc, struct plan_pos pos,
	      const char *what, struct tmpl **out, char **err)
{
	char *e = NULL;
	size_t col = 0;

	if (tmpl_compile(src, esc, out, &e, &col) < 0) {
		prog_where(g, pos, err, "in", what, e);
		free(e);
		return -1;
	}
	return 0;
}

void *prog_regex(struct prog *g, const char *src, struct plan_pos pos, const char *what, char **err)
{
	int ec = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
	uint32_t groups = 0;

	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		prog_where(g, pos, err, "bad regex in", what, (const char *)msg);
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

int prog_ctr_index(struct prog *g, const char *prefix, const char *name)
{
	return prefixed(&g->ctr_names, &g->nctrs, &g->ctrs_cap, prefix, name);
}

int prog_fixed_names(struct prog *g)
{
	for (int i = 0; i < H_FIXED; i++)
		if (name_index(&g->hist_names, &g->nhists, &g->hists_cap, fixed_hists[i]) < 0)
			return -1;
	for (int i = 0; i < C_FIXED; i++)
		if (name_index(&g->ctr_names, &g->nctrs, &g->ctrs_cap, fixed_ctrs[i]) < 0)
			return -1;
	return 0;
}

bool prog_url_is_absolute(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}
