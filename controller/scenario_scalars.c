/* Typed scalars of a scenario: strings, durations, rates, counts, booleans, enums, names, file
 * paths; templates, expressions, regexes and JSONPaths (compiled here, so the agent never meets
 * a syntax error under load); the variable names a template defines and reads; a YAML value
 * turned into a JSON body. Each getter reports at the node the user wrote. */
#include "controller/scenario_scalars.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>

#include "common/stats.h"
#include "common/plan_text.h"
#include "common/tmpl.h"
#include "common/units.h"
#include "controller/scenario_yaml.h"

/* ---- typed scalars ---- */

bool sc_is_null(const struct ynode *n)
{
	return n->kind == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

int sc_want_kind(struct sc *sc, const struct ynode *n, enum ynode_kind kind, const char *what)
{
	if (n->kind == kind)
		return 0;
	if (n->kind == YN_SCALAR)
		sc_err(sc, n, 0, "%s: expected %s, got '%.60s'", what,
		       kind == YN_MAP ? "a mapping" : "a list", n->str);
	else
		sc_err(sc, n, 0, "%s: expected %s, got %s", what,
		       kind == YN_MAP	? "a mapping"
		       : kind == YN_SEQ ? "a list"
					: "a scalar",
		       sc_kind_word(n));
	return -1;
}

int sc_want_scalar(struct sc *sc, const struct ynode *n, const char *what)
{
	if (n->kind == YN_SCALAR)
		return 0;
	sc_err(sc, n, 0, "%s: expected a scalar, got %s", what, sc_kind_word(n));
	return -1;
}

int sc_get_string(struct sc *sc, const struct ynode *n, const char *what, bool nonempty, char **out)
{
	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (nonempty && n->len == 0) {
		sc_err(sc, n, 0, "%s must not be empty", what);
		return -1;
	}
	if (strlen(n->str) != n->len) {
		sc_err(sc, n, 0, "%s holds a NUL byte", what);
		return -1;
	}
	free(*out);
	*out = sc_strdup(sc, n->str);
	return *out ? 0 : -1;
}

int sc_get_duration(struct sc *sc, const struct ynode *n, const char *what, int64_t min_us,
		    int64_t *us)
{
	char *e = NULL;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (units_parse_duration(n->str, us, &e) != 0) {
		free(e);
		sc_err(sc, n, 0, "%s: expected a duration with units like 30s, got '%.60s'", what,
		       n->str);
		return -1;
	}
	if (*us < min_us) {
		char b[32];

		sc_err(sc, n, 0, "%s must be at least %s, got '%.60s'", what,
		       min_us <= 1 ? "1us" : units_fmt_duration(b, sizeof(b), (double)min_us),
		       n->str);
		return -1;
	}
	return 0;
}

int sc_get_rate(struct sc *sc, const struct ynode *n, const char *what, double *out)
{
	char *e = NULL;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (units_parse_rate(n->str, out, &e) != 0 || !isfinite(*out) || *out < 0 || *out > 1e9) {
		free(e);
		sc_err(sc, n, 0, "%s: expected a rate like 50/s, 10k/s or 600/m, got '%.60s'", what,
		       n->str);
		return -1;
	}
	return 0;
}

int sc_get_count(struct sc *sc, const struct ynode *n, const char *what, uint64_t min, uint64_t max,
		 uint64_t *out)
{
	char *e = NULL;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (units_parse_count(n->str, out, &e) != 0) {
		free(e);
		sc_err(sc, n, 0, "%s: expected a whole number like 200 or 10k, got '%.60s'", what,
		       n->str);
		return -1;
	}
	if (*out < min || *out > max) {
		sc_err(sc, n, 0, "%s must be between %llu and %llu, got %llu", what,
		       (unsigned long long)min, (unsigned long long)max, (unsigned long long)*out);
		return -1;
	}
	return 0;
}

int sc_get_u32(struct sc *sc, const struct ynode *n, const char *what, uint32_t min, uint32_t max,
	       uint32_t *out)
{
	uint64_t v;

	if (sc_get_count(sc, n, what, min, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int sc_get_number(struct sc *sc, const struct ynode *n, const char *what, double *out)
{
	char *end;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	errno = 0;
	*out = strtod(n->str, &end);
	if (n->len == 0 || *end || errno || !isfinite(*out) || isspace((unsigned char)n->str[0])) {
		sc_err(sc, n, 0, "%s: expected a number, got '%.60s'", what, n->str);
		return -1;
	}
	return 0;
}

int sc_get_bool(struct sc *sc, const struct ynode *n, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", NULL};
	size_t i;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	for (i = 0; yes[i]; i++)
		if (strcmp(n->str, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (i = 0; no[i]; i++)
		if (strcmp(n->str, no[i]) == 0) {
			*out = false;
			return 0;
		}
	sc_err(sc, n, 0, "%s: expected true or false, got '%.60s'", what, n->str);
	return -1;
}

int sc_get_enum(struct sc *sc, const struct ynode *n, const char *what, const char *const *names,
		int *out)
{
	const char *near;
	struct buf b;
	int i;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], n->str) == 0) {
			*out = i;
			return 0;
		}
	buf_init(&b, 4096);
	sc_list_names(&b, names);
	near = sc_closest(n->str, names);
	if (near)
		sc_err(sc, n, 0, "unknown %s '%.60s'; did you mean '%s'?", what, n->str, near);
	else
		sc_err(sc, n, 0, "unknown %s '%.60s'; expected %s", what, n->str,
		       b.data ? b.data : "");
	buf_free(&b);
	return -1;
}

bool sc_is_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

int sc_get_ident(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (!sc_is_ident(n->str)) {
		sc_err(sc, n, 0,
		       "%s '%.60s' is not a valid name (letters, digits and _, not starting with a "
		       "digit)",
		       what, n->str);
		return -1;
	}
	free(*out);
	*out = sc_strdup(sc, n->str);
	return *out ? 0 : -1;
}

/* A name that becomes part of a statistic's name (tr_NAME, req_NAME, error_abort_REASON): any
 * UTF-8 text that the statistic's name can carry (common/stats.h, stats_name_problem), so the
 * run never meets a name it cannot send or write. */
int sc_get_stat_name(struct sc *sc, const struct ynode *n, const char *what, const char *prefix,
		     char **out)
{
	char full[STATS_MAX_NAME + 64];
	size_t plen = strlen(prefix), bad = 0;
	const char *why;

	if (sc_want_scalar(sc, n, what) != 0)
		return -1;
	if (n->len == 0) {
		sc_err(sc, n, 0, "%s must not be empty", what);
		return -1;
	}
	if (strlen(n->str) != n->len) {
		sc_err(sc, n, 0, "%s holds a NUL byte", what);
		return -1;
	}
	if (plen + n->len > STATS_MAX_NAME) {
		sc_err(sc, n, 0, "%s is %zu bytes long; at most %zu fit in the statistic %s...",
		       what, n->len, STATS_MAX_NAME - plen, prefix);
		return -1;
	}
	snprintf(full, sizeof(full), "%s%s", prefix, n->str);
	why = stats_name_problem(full, plen + n->len, &bad);
	if (why) {
		size_t off = bad > plen ? bad - plen : 0, col = 0;

		/* libyaml counts columns in characters: skip UTF-8 continuation bytes. */
		for (size_t i = 0; i < off; i++)
			if (((unsigned char)n->str[i] & 0xc0) != 0x80)
				col++;
		sc_err(sc, n, col,
		       "%s holds %s (byte 0x%02x); a name may be any UTF-8 text without control "
		       "characters other than tab",
		       what,
		       strcmp(why, "control character") == 0 ? "a control character"
							     : "bytes that are not UTF-8",
		       (unsigned char)n->str[off]);
		return -1;
	}
	free(*out);
	*out = sc_strdup(sc, n->str);
	return *out ? 0 : -1;
}

char *sc_resolve_path(struct sc *sc, const char *file)
{
	char *out = NULL;

	if (file[0] == '/' || !sc->dir[0])
		return sc_strdup(sc, file);
	if (asprintf(&out, "%s/%s", sc->dir, file) < 0) {
		sc->oom = true;
		return NULL;
	}
	return out;
}

/* A file path the controller or agent will open: resolved against the scenario's folder and
 * checked for reading now, not at run time. */
int sc_get_file(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	char *raw = NULL;

	if (sc_get_string(sc, n, what, true, &raw) != 0)
		return -1;
	free(*out);
	*out = sc_resolve_path(sc, raw);
	free(raw);
	if (!*out)
		return -1;
	if (access(*out, R_OK) != 0) {
		sc_err(sc, n, 0, "%s '%s': %s", what, *out, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- templates, expressions, regexes, paths ---- */

void sc_note_use(struct sc *sc, const char *name, const struct ynode *n)
{
	if (sc->nuses == sc->cuses) {
		size_t c = sc->cuses ? sc->cuses * 2 : 32;
		struct use *u = realloc(sc->uses, c * sizeof(*u));

		if (!u) {
			sc->oom = true;
			return;
		}
		sc->uses = u;
		sc->cuses = c;
	}
	sc->uses[sc->nuses].name = sc_strdup(sc, name);
	sc->uses[sc->nuses].node = n;
	if (sc->uses[sc->nuses].name)
		sc->nuses++;
}

void sc_define(struct sc *sc, const char *name)
{
	if (!sc_str_in(sc->defs, sc->ndefs, name))
		sc_push_str(sc, &sc->defs, &sc->ndefs, &sc->cdefs, name);
}

/* Compile src (the text of node n, or a part of it starting at offset base) as a template, so
 * a syntax error or an unknown function is reported where it was written. */
/* Variables a template or expression reads, noted at its node (checked at the end). */
struct use_at {
	struct sc *sc;
	const struct ynode *n;
};

static void note_use(void *ctx, const char *name)
{
	struct use_at *at = ctx;

	sc_note_use(at->sc, name, at->n);
}

static int check_tmpl_at(struct sc *sc, const struct ynode *n, const char *src, size_t base,
			 enum tmpl_escape esc)
{
	struct use_at at = {sc, n};
	char *e = NULL;
	size_t col = 0;

	if (plan_text_check(PLAN_TEXT_TEMPLATE, src, strlen(src), esc, &col, &e, note_use, &at) !=
	    0) {
		sc_err(sc, n, base + col, "%s", e ? e : "bad template");
		free(e);
		return -1;
	}
	return 0;
}

static int check_tmpl(struct sc *sc, const struct ynode *n, enum tmpl_escape esc)
{
	return check_tmpl_at(sc, n, n->str, 0, esc);
}

int sc_get_tmpl(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		enum tmpl_escape esc, char **out)
{
	if (sc_get_string(sc, n, what, nonempty, out) != 0)
		return -1;
	return check_tmpl(sc, n, esc);
}

int sc_get_expr(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	struct use_at at = {sc, n};
	char *e = NULL;
	size_t col = 0;
	const char *src;
	size_t off = 0, len;

	if (sc_get_string(sc, n, what, true, out) != 0)
		return -1;
	/* A condition may be written bare (balance > 0) or as one template hole. */
	src = *out;
	len = strlen(src);
	while (off < len && isspace((unsigned char)src[off]))
		off++;
	if (len - off >= 4 && strncmp(src + off, "{{", 2) == 0) {
		size_t end = len;

		while (end > off && isspace((unsigned char)src[end - 1]))
			end--;
		if (end - off >= 4 && strncmp(src + end - 2, "}}", 2) == 0) {
			len = end - 2;
			off += 2;
			while (off < len && isspace((unsigned char)src[off]))
				off++;
			while (len > off && isspace((unsigned char)src[len - 1]))
				len--;
		}
	}
	if (plan_text_check(PLAN_TEXT_EXPR, src + off, len - off, 0, &col, &e, note_use, &at) !=
	    0) {
		sc_err(sc, n, off + col, "%s", e ? e : "bad expression");
		free(e);
		return -1;
	}
	/* The plan keeps the bare expression: the agent compiles it as one. */
	if (off || len != strlen(src)) {
		char *bare = strndup(src + off, len - off);

		if (!bare) {
			sc->oom = true;
			return -1;
		}
		free(*out);
		*out = bare;
	}
	return 0;
}

int sc_check_regex(struct sc *sc, const struct ynode *n, const char *what)
{
	char *e = NULL;
	size_t off = 0;

	if (plan_text_check(PLAN_TEXT_REGEX, n->str, n->len, 0, &off, &e, NULL, NULL) != 0) {
		sc_err(sc, n, off, "%s: bad regex: %s", what, e ? e : "?");
		free(e);
		return -1;
	}
	return 0;
}

int sc_check_jsonpath(struct sc *sc, const struct ynode *n)
{
	char *e = NULL;
	size_t col = 0;

	if (plan_text_check(PLAN_TEXT_JSONPATH, n->str, n->len, 0, &col, &e, NULL, NULL) != 0) {
		sc_err(sc, n, col, "bad JSONPath: %s", e ? e : "syntax error");
		free(e);
		return -1;
	}
	return 0;
}

/* A map of NAME: template value (headers, form fields, set). */
int sc_get_kvs(struct sc *sc, const struct ynode *m, const char *what, enum tmpl_escape esc,
	       bool ident_names, struct plan_kv **out, size_t *nout)
{
	size_t i, np;

	if (sc_want_kind(sc, m, YN_MAP, what) != 0)
		return -1;
	np = m->n / 2;
	*out = sc_calloc(sc, np, sizeof(**out));
	if (!*out)
		return -1;
	for (i = 0; i < np; i++) {
		const struct ynode *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		struct plan_kv *kv = &(*out)[i];

		*nout = i + 1;
		kv->pos.line = k->line;
		kv->pos.col = k->col;
		if (ident_names) {
			if (sc_get_ident(sc, k, "variable name", &kv->name) != 0)
				continue;
		} else if (sc_get_string(sc, k, what, true, &kv->name) != 0)
			continue;
		if (v->kind == YN_SCALAR && sc_is_null(v)) {
			kv->value = sc_strdup(sc, "");
			continue;
		}
		sc_get_tmpl(sc, v, what, false, esc, &kv->value);
	}
	return 0;
}

/* ---- JSON bodies ---- */

static bool looks_like_json_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/* A JSON string whose {{ holes }} are copied as written (the agent compiles the whole body as a
 * template that JSON-escapes what the holes render to); everything else is escaped. */
static void json_str_keep_holes(struct buf *b, const char *s, size_t len)
{
	size_t i = 0;

	buf_append_byte(b, '"');
	while (i < len) {
		const char *open = NULL, *close = NULL;
		size_t lit;

		if (i + 1 < len)
			open = memmem(s + i, len - i, "{{", 2);
		if (open)
			close = memmem(open + 2, len - (size_t)(open + 2 - s), "}}", 2);
		lit = (open && close ? (size_t)(open - s) : len) - i;
		if (lit) {
			struct buf q;

			buf_init(&q, 0);
			buf_append_json_str(&q, s + i, lit);
			if (q.len >= 2)
				buf_append(b, q.data + 1, q.len - 2);
			buf_free(&q);
		}
		i += lit;
		if (open && close) {
			size_t hole = (size_t)(close + 2 - open);

			buf_append(b, open, hole);
			i += hole;
		}
	}
	buf_append_byte(b, '"');
}

void sc_yaml_to_json(struct sc *sc, const struct ynode *n, struct buf *b)
{
	size_t i;

	switch (n->kind) {
	case YN_MAP:
		buf_append_byte(b, '{');
		for (i = 0; i + 1 < n->n; i += 2) {
			if (i)
				buf_append_byte(b, ',');
			check_tmpl(sc, n->kids[i], TMPL_ESCAPE_JSON);
			json_str_keep_holes(b, n->kids[i]->str, n->kids[i]->len);
			buf_append_byte(b, ':');
			sc_yaml_to_json(sc, n->kids[i + 1], b);
		}
		buf_append_byte(b, '}');
		break;
	case YN_SEQ:
		buf_append_byte(b, '[');
		for (i = 0; i < n->n; i++) {
			if (i)
				buf_append_byte(b, ',');
			sc_yaml_to_json(sc, n->kids[i], b);
		}
		buf_append_byte(b, ']');
		break;
	case YN_SCALAR:
		/* Plain scalars are typed as YAML would type them; quoted ones are strings. */
		if (n->plain && sc_is_null(n))
			buf_append_str(b, "null");
		else if (n->plain && (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0))
			buf_append_str(b, n->str);
		else if (n->plain && looks_like_json_number(n->str))
			buf_append_str(b, n->str);
		else {
			check_tmpl(sc, n, TMPL_ESCAPE_JSON);
			json_str_keep_holes(b, n->str, n->len);
		}
		break;
	}
}
