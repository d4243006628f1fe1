/* Reading a scenario: YAML text -> a node tree with positions -> a checked struct plan.
 *
 * libyaml's event parser builds a small tree of scalars, mappings and sequences that keeps
 * each node's line and column, so every later check can point at what the user wrote. The
 * mapper then walks that tree against the scenario language (docs/scenario-reference.md):
 * each mapping's keys are checked against the keys it may hold (an unknown key names the
 * closest valid one), each scalar against its type and unit, and everything that the agent
 * would otherwise only discover under load is done here: templates and expressions are
 * compiled, regexes and JSONPaths too, data files are read, thresholds parsed, variables
 * resolved. Problems are collected (up to a limit) rather than stopping at the first, and
 * reported one per line as FILE:LINE:COL: what is wrong.
 *
 * Aliases are refused: the tree is walked as written, so an alias bomb must not get in. */
#include "controller/scenario.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/csv.h"
#include "common/err.h"
#include "common/expr.h"
#include "common/jsonpath.h"
#include "common/stats.h"
#include "common/swrr.h"
#include "common/threshold.h"
#include "common/tmpl.h"
#include "common/units.h"
#include "controller/monitor.h"
#include "reports/reports.h"
#include "controller/ssh.h"

#define SC_MAX_FILE   (16u << 20)
#define SC_MAX_DEPTH  64
#define SC_MAX_NODES  1000000
#define SC_MAX_ERRORS 20

/* ---- the node tree ---- */

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_kind kind;
	int line, col;	    /* 1-based, where the node starts */
	const char *origin; /* set for nodes from --set: named in messages instead of line:col */
	char *str;	    /* scalar text, NUL-terminated */
	size_t len;
	bool plain;	     /* a plain (unquoted, untagged) scalar: typed by its look */
	bool multiline;	     /* literal or folded block scalar */
	int qoff;	     /* columns from the node's mark to its text (1 for quoted) */
	struct ynode **kids; /* SEQ: items; MAP: key, value, key, value, ... */
	size_t n, cap;
};

struct use {
	char *name;
	const struct ynode *node;
};

struct sc {
	const char *name; /* file name in messages */
	char *dir;	  /* folder for relative paths ("" for the current one) */
	struct buf errs;
	int nerr;
	size_t nodes;
	bool oom;
	char **origins; /* strings owned for --set nodes */
	size_t norigins, corigins;
	/* Names a template may read, and the reads to check against them at the end. */
	char **defs;
	size_t ndefs, cdefs;
	struct use *uses;
	size_t nuses, cuses;
	char **lists; /* variables captured with pick: all (foreach may walk them) */
	size_t nlists, clists;
	char **groups; /* statistics a threshold may name: tr_NAME, req_NAME */
	size_t ngroups, cgroups;
	bool data_unknown; /* a data file could not be read: its columns are not known */
	const char *src;   /* the scenario's text, for block scalars' positions */
	size_t srclen;
};

static void node_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static const char *kind_word(const struct ynode *n)
{
	if (!n)
		return "nothing";
	return n->kind == YN_MAP ? "a mapping" : n->kind == YN_SEQ ? "a list" : "a scalar";
}

/* ---- errors ---- */

/* Leading spaces of line (1-based) of the scenario text; 0 when unknown. */
static int source_indent(const struct sc *sc, int line)
{
	const char *p = sc->src, *end = sc->src + sc->srclen;
	int l = 1, n = 0;

	if (!p)
		return 0;
	while (p < end && l < line) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return 0;
		p = nl + 1;
		l++;
	}
	while (p < end && *p == ' ') {
		p++;
		n++;
	}
	return n;
}

/* Record a problem at node n, col_off columns into its text. */
static void sc_err(struct sc *sc, const struct ynode *n, size_t col_off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void sc_err(struct sc *sc, const struct ynode *n, size_t col_off, const char *fmt, ...)
{
	va_list ap;

	sc->nerr++;
	if (sc->nerr > SC_MAX_ERRORS)
		return;
	if (sc->errs.len)
		buf_append_byte(&sc->errs, '\n');
	if (sc->nerr == SC_MAX_ERRORS) {
		buf_printf(&sc->errs, "%s: too many problems; stopping here", sc->name);
		return;
	}
	if (n && n->origin)
		buf_printf(&sc->errs, "%s: %s: ", sc->name, n->origin);
	else if (n) {
		int line = n->line, col = n->col + n->qoff + (int)col_off;

		/* A block scalar's text starts on the line after its | or >, at the block's
		 * indentation, which only the source shows. */
		if (n->multiline && n->str && col_off <= n->len) {
			size_t i, start = 0;

			if (col_off == n->len && col_off > 0 && n->str[col_off - 1] == '\n')
				col_off--; /* "end of expression": point at the end of the last line
					    */
			line++;
			for (i = 0; i < col_off; i++)
				if (n->str[i] == '\n') {
					line++;
					start = i + 1;
				}
			col = source_indent(sc, line) + 1 + (int)(col_off - start);
		}
		buf_printf(&sc->errs, "%s:%d:%d: ", sc->name, line, col);
	} else
		buf_printf(&sc->errs, "%s: ", sc->name);
	va_start(ap, fmt);
	buf_vprintf(&sc->errs, fmt, ap);
	va_end(ap);
}

static char *sc_strdup(struct sc *sc, const char *s)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		sc->oom = true;
	return c;
}

static void *sc_calloc(struct sc *sc, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		sc->oom = true;
	return p;
}

static int push_str(struct sc *sc, char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, c * sizeof(*nv));

		if (!nv) {
			sc->oom = true;
			return -1;
		}
		*v = nv;
		*cap = c;
	}
	(*v)[*n] = sc_strdup(sc, s);
	if (!(*v)[*n])
		return -1;
	(*n)++;
	return 0;
}

static bool str_in(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* ---- building the tree ---- */

static struct ynode *node_new(struct sc *sc, enum ynode_kind kind, const yaml_mark_t *m,
			      const char *origin)
{
	struct ynode *n;

	if (++sc->nodes > SC_MAX_NODES)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		sc->oom = true;
		return NULL;
	}
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->origin = origin;
	return n;
}

static int node_add(struct sc *sc, struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t c = parent->cap ? parent->cap * 2 : 8;
		struct ynode **k = realloc(parent->kids, c * sizeof(*k));

		if (!k) {
			sc->oom = true;
			return -1;
		}
		parent->kids = k;
		parent->cap = c;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	int c = strcmp(x->str, y->str);

	if (c)
		return c;
	return x->line != y->line ? x->line - y->line : x->col - y->col;
}

/* Duplicate keys are an error (YAML says so; libyaml does not check): sort a copy of the keys
 * so even a huge mapping is checked in n log n. */
static void check_duplicates(struct sc *sc, const struct ynode *m)
{
	struct ynode **keys;
	size_t i, np = m->n / 2;

	if (np < 2)
		return;
	keys = malloc(np * sizeof(*keys));
	if (!keys) {
		sc->oom = true;
		return;
	}
	for (i = 0; i < np; i++)
		keys[i] = m->kids[2 * i];
	qsort(keys, np, sizeof(*keys), cmp_key);
	for (i = 1; i < np; i++)
		if (strcmp(keys[i - 1]->str, keys[i]->str) == 0)
			sc_err(sc, keys[i], 0, "duplicate key '%s' (first at line %d)",
			       keys[i]->str, keys[i - 1]->line);
	free(keys);
}

/* Parse text into a tree. Returns 0 with *out (NULL for an empty document) or -1 after
 * recording the problem. */
static int yaml_build(struct sc *sc, const char *text, size_t len, const char *origin,
		      struct ynode **out)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[SC_MAX_DEPTH + 1];
	struct ynode *root = NULL;
	int depth = 0, docs = 0, rc = -1;
	bool done = false;

	*out = NULL;
	if (!yaml_parser_initialize(&parser)) {
		sc->oom = true;
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		struct ynode *n = NULL;
		yaml_mark_t mark;

		if (!yaml_parser_parse(&parser, &ev)) {
			struct ynode at = {.line = (int)parser.problem_mark.line + 1,
					   .col = (int)parser.problem_mark.column + 1,
					   .origin = origin};

			/* Encoding problems carry a byte offset rather than a mark. */
			if (parser.error == YAML_READER_ERROR && parser.problem_offset <= len) {
				size_t i;

				at.line = at.col = 1;
				for (i = 0; i < parser.problem_offset; i++) {
					at.col++;
					if (text[i] == '\n') {
						at.line++;
						at.col = 1;
					}
				}
			}
			sc_err(sc, &at, 0, "invalid YAML: %s%s%s",
			       parser.problem ? parser.problem : "syntax error",
			       parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		mark = ev.start_mark;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				struct ynode at = {.line = (int)mark.line + 1,
						   .col = (int)mark.column + 1,
						   .origin = origin};

				sc_err(sc, &at, 0,
				       "a scenario is one YAML document; found another");
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT: {
			struct ynode at = {.line = (int)mark.line + 1,
					   .col = (int)mark.column + 1,
					   .origin = origin};

			sc_err(sc, &at, 0, "aliases (*%s) are not supported; write the value out",
			       (const char *)ev.data.alias.anchor);
			yaml_event_delete(&ev);
			goto out;
		}
		case YAML_SCALAR_EVENT:
			n = node_new(sc, YN_SCALAR, &mark, origin);
			if (!n)
				break;
			n->len = ev.data.scalar.length;
			n->str = malloc(n->len + 1);
			if (!n->str) {
				sc->oom = true;
				free(n);
				n = NULL;
				break;
			}
			memcpy(n->str, ev.data.scalar.value, n->len);
			n->str[n->len] = '\0';
			n->plain =
			    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
			if (ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				n->qoff = 1;
			n->multiline = ev.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
				       ev.data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(sc, ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP,
				     &mark, origin);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				depth--;
				if (stack[depth]->kind == YN_MAP)
					check_duplicates(sc, stack[depth]);
			}
			break;
		default:
			break;
		}
		if ((ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		     ev.type == YAML_MAPPING_START_EVENT)) {
			if (!n) {
				struct ynode at = {.line = (int)mark.line + 1,
						   .col = (int)mark.column + 1,
						   .origin = origin};

				if (!sc->oom)
					sc_err(sc, &at, 0, "more than %d YAML nodes", SC_MAX_NODES);
				yaml_event_delete(&ev);
				goto out;
			}
			if (depth == 0) {
				if (root) { /* cannot happen in one document; be safe */
					node_free(n);
					yaml_event_delete(&ev);
					goto out;
				}
				root = n;
			} else {
				struct ynode *parent = stack[depth - 1];

				if (parent->kind == YN_MAP && parent->n % 2 == 0 &&
				    n->kind != YN_SCALAR) {
					sc_err(sc, n, 0, "a key must be a plain string, not %s",
					       kind_word(n));
					node_free(n);
					yaml_event_delete(&ev);
					goto out;
				}
				if (node_add(sc, parent, n) != 0) {
					node_free(n);
					yaml_event_delete(&ev);
					goto out;
				}
			}
			if (n->kind != YN_SCALAR) {
				if (depth == SC_MAX_DEPTH) {
					sc_err(sc, n, 0, "nested deeper than %d levels",
					       SC_MAX_DEPTH);
					yaml_event_delete(&ev);
					goto out;
				}
				stack[depth++] = n;
			}
		}
		yaml_event_delete(&ev);
	}
	*out = root;
	root = NULL;
	rc = 0;
out:
	node_free(root);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- keys and suggestions ---- */

/* Edit distance with transpositions (optimal string alignment), capped at 64 bytes: enough to
 * tell "arival_rate" from "arrival_rate". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost =
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
				? 0
				: 1;
			size_t v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* The closest of names to s, or NULL when none is close enough to be a likely typo. */
static const char *closest(const char *s, const char *const *names)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, i, len = strlen(s);

	for (i = 0; names[i]; i++) {
		size_t d = edit_distance(s, names[i]);

		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	if (best && (bestd <= 2 || bestd <= len / 3) && bestd < len)
		return best;
	return NULL;
}

/* Statistics a threshold may name besides tr_NAME and req_NAME (common/stats.h has the names);
 * http_NNN, http_Nxx and error_NAME are matched by shape in known_stat(). */
static const char *const threshold_stats[] = {
	"request", "request_service", "connect", "tls", "ttfb", "page", "session", "errors",
	"users_count", "finish_users_count", "dropped_users", "size_rcv", "size_sent", "requests",
	"users", "connected",
	/* agent/prog.c: failed requests' timing and the counters of failing, cut and missed work */
	"request_failed", "requests_missed", "users_backoff", "while_max", NULL
};

static bool known_stat(const char *stat)
{
	size_t i;

	for (i = 0; threshold_stats[i]; i++)
		if (strcmp(stat, threshold_stats[i]) == 0)
			return true;
	if (strncmp(stat, "error_", 6) == 0 && stat[6])
		return true;
	/* http_200, http_5xx */
	if (strncmp(stat, "http_", 5) == 0 && strlen(stat) == 8 && stat[5] >= '1' && stat[5] <= '5')
		return (isdigit((unsigned char)stat[6]) && isdigit((unsigned char)stat[7])) ||
		       (stat[6] == 'x' && stat[7] == 'x');
	return false;
}

static void list_names(struct buf *b, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++)
		buf_printf(b, "%s%s", i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
}

static void unknown_key(struct sc *sc, const struct ynode *key, const char *where,
			const char *const *valid)
{
	const char *near;
	struct buf b;

	if (sc->nerr >= SC_MAX_ERRORS) {
		sc->nerr++;
		return;
	}
	near = closest(key->str, valid);

	if (near) {
		sc_err(sc, key, 0, "unknown key '%s' in %s; did you mean '%s'?", key->str, where,
		       near);
		return;
	}
	buf_init(&b, 4096);
	list_names(&b, valid);
	sc_err(sc, key, 0, "unknown key '%s' in %s (valid keys: %s)", key->str, where,
	       b.data ? b.data : "");
	buf_free(&b);
}

/* Check that mapping m holds only keys from valid. Returns the number of unknown keys. */
static int check_keys(struct sc *sc, const struct ynode *m, const char *where,
		      const char *const *valid)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i + 1 < m->n; i += 2) {
		for (j = 0; valid[j]; j++)
			if (strcmp(valid[j], m->kids[i]->str) == 0)
				break;
		if (!valid[j]) {
			unknown_key(sc, m->kids[i], where, valid);
			bad++;
		}
	}
	return bad;
}

static const struct ynode *map_get(const struct ynode *m, const char *key)
{
	size_t i;

	if (!m || m->kind != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

static const struct ynode *map_key(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i];
	return NULL;
}

/* True when mapping m holds an unknown key that looks like a typo of key: its "missing key"
 * error would only repeat the unknown-key one. */
static bool has_typo_of(const struct ynode *m, const char *key)
{
	const char *one[2] = {key, NULL};
	size_t i;

	for (i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) != 0 && closest(m->kids[i]->str, one))
			return true;
	return false;
}

/* ---- typed scalars ---- */

static bool is_null(const struct ynode *n)
{
	return n->kind == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

static int want_kind(struct sc *sc, const struct ynode *n, enum ynode_kind kind, const char *what)
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
		       kind_word(n));
	return -1;
}

static int want_scalar(struct sc *sc, const struct ynode *n, const char *what)
{
	if (n->kind == YN_SCALAR)
		return 0;
	sc_err(sc, n, 0, "%s: expected a scalar, got %s", what, kind_word(n));
	return -1;
}

static int get_string(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		      char **out)
{
	if (want_scalar(sc, n, what) != 0)
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

static int get_duration(struct sc *sc, const struct ynode *n, const char *what, int64_t min_us,
			int64_t *us)
{
	char *e = NULL;

	if (want_scalar(sc, n, what) != 0)
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

static int get_rate(struct sc *sc, const struct ynode *n, const char *what, double *out)
{
	char *e = NULL;

	if (want_scalar(sc, n, what) != 0)
		return -1;
	if (units_parse_rate(n->str, out, &e) != 0 || !isfinite(*out) || *out < 0 || *out > 1e9) {
		free(e);
		sc_err(sc, n, 0, "%s: expected a rate like 50/s, 10k/s or 600/m, got '%.60s'", what,
		       n->str);
		return -1;
	}
	return 0;
}

static int get_count(struct sc *sc, const struct ynode *n, const char *what, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char *e = NULL;

	if (want_scalar(sc, n, what) != 0)
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

static int get_u32(struct sc *sc, const struct ynode *n, const char *what, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (get_count(sc, n, what, min, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int get_number(struct sc *sc, const struct ynode *n, const char *what, double *out)
{
	char *end;

	if (want_scalar(sc, n, what) != 0)
		return -1;
	errno = 0;
	*out = strtod(n->str, &end);
	if (n->len == 0 || *end || errno || !isfinite(*out) || isspace((unsigned char)n->str[0])) {
		sc_err(sc, n, 0, "%s: expected a number, got '%.60s'", what, n->str);
		return -1;
	}
	return 0;
}

static int get_bool(struct sc *sc, const struct ynode *n, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", NULL};
	size_t i;

	if (want_scalar(sc, n, what) != 0)
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

static int get_enum(struct sc *sc, const struct ynode *n, const char *what,
		    const char *const *names, int *out)
{
	const char *near;
	struct buf b;
	int i;

	if (want_scalar(sc, n, what) != 0)
		return -1;
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], n->str) == 0) {
			*out = i;
			return 0;
		}
	buf_init(&b, 4096);
	list_names(&b, names);
	near = closest(n->str, names);
	if (near)
		sc_err(sc, n, 0, "unknown %s '%.60s'; did you mean '%s'?", what, n->str, near);
	else
		sc_err(sc, n, 0, "unknown %s '%.60s'; expected %s", what, n->str,
		       b.data ? b.data : "");
	buf_free(&b);
	return -1;
}

static bool is_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static int get_ident(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	if (want_scalar(sc, n, what) != 0)
		return -1;
	if (!is_ident(n->str)) {
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
static int get_stat_name(struct sc *sc, const struct ynode *n, const char *what, const char *prefix,
			 char **out)
{
	char full[STATS_MAX_NAME + 64];
	size_t plen = strlen(prefix), bad = 0;
	const char *why;

	if (want_scalar(sc, n, what) != 0)
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

static char *resolve_path(struct sc *sc, const char *file)
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
static int get_file(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	char *raw = NULL;

	if (get_string(sc, n, what, true, &raw) != 0)
		return -1;
	free(*out);
	*out = resolve_path(sc, raw);
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

static void note_use(struct sc *sc, const char *name, const struct ynode *n)
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

static void define(struct sc *sc, const char *name)
{
	if (!str_in(sc->defs, sc->ndefs, name))
		push_str(sc, &sc->defs, &sc->ndefs, &sc->cdefs, name);
}

/* Compile src (the text of node n, or a part of it starting at offset base) as a template, so
 * a syntax error or an unknown function is reported where it was written. */
static int check_tmpl_at(struct sc *sc, const struct ynode *n, const char *src, size_t base,
			 enum tmpl_escape esc)
{
	struct tmpl *t = NULL;
	char *e = NULL;
	size_t col = 0, i;

	if (tmpl_compile(src, esc, &t, &e, &col) != 0) {
		sc_err(sc, n, base + col, "%s", e ? e : "bad template");
		free(e);
		return -1;
	}
	for (i = 0; i < tmpl_var_count(t); i++)
		note_use(sc, tmpl_var_name(t, i), n);
	tmpl_free(t);
	return 0;
}

static int check_tmpl(struct sc *sc, const struct ynode *n, enum tmpl_escape esc)
{
	return check_tmpl_at(sc, n, n->str, 0, esc);
}

static int get_tmpl(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		    enum tmpl_escape esc, char **out)
{
	if (get_string(sc, n, what, nonempty, out) != 0)
		return -1;
	return check_tmpl(sc, n, esc);
}

static int get_expr(struct sc *sc, const struct ynode *n, const char *what, char **out)
{
	struct expr *x = NULL;
	char *e = NULL;
	size_t col = 0, i;
	const char *src;
	size_t off = 0, len;

	if (get_string(sc, n, what, true, out) != 0)
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
	if (expr_compile(src + off, len - off, &x, &e, &col) != 0) {
		sc_err(sc, n, off + col, "%s", e ? e : "bad expression");
		free(e);
		return -1;
	}
	/* The plan keeps the bare expression: the agent compiles it as one. */
	if (off || len != strlen(src)) {
		char *bare = strndup(src + off, len - off);

		if (!bare) {
			sc->oom = true;
			expr_free(x);
			return -1;
		}
		free(*out);
		*out = bare;
	}
	for (i = 0; i < expr_var_count(x); i++)
		note_use(sc, expr_var_name(x, i), n);
	expr_free(x);
	return 0;
}

static int check_regex(struct sc *sc, const struct ynode *n, const char *what)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)n->str, n->len, 0, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		sc_err(sc, n, off, "%s: bad regex: %s", what, (const char *)msg);
		return -1;
	}
	pcre2_code_free(re);
	return 0;
}

static int check_jsonpath(struct sc *sc, const struct ynode *n)
{
	struct jsonpath *jp = NULL;
	char *e = NULL;
	size_t col = 0;

	if (jsonpath_compile(n->str, &jp, &e, &col) != 0) {
		sc_err(sc, n, col, "bad JSONPath: %s", e ? e : "syntax error");
		free(e);
		return -1;
	}
	jsonpath_free(jp);
	return 0;
}

/* A map of NAME: template value (headers, form fields, set). */
static int get_kvs(struct sc *sc, const struct ynode *m, const char *what, enum tmpl_escape esc,
		   bool ident_names, struct plan_kv **out, size_t *nout)
{
	size_t i, np;

	if (want_kind(sc, m, YN_MAP, what) != 0)
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
			if (get_ident(sc, k, "variable name", &kv->name) != 0)
				continue;
		} else if (get_string(sc, k, what, true, &kv->name) != 0)
			continue;
		if (v->kind == YN_SCALAR && is_null(v)) {
			kv->value = sc_strdup(sc, "");
			continue;
		}
		get_tmpl(sc, v, what, false, esc, &kv->value);
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

static void yaml_to_json(struct sc *sc, const struct ynode *n, struct buf *b)
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
			yaml_to_json(sc, n->kids[i + 1], b);
		}
		buf_append_byte(b, '}');
		break;
	case YN_SEQ:
		buf_append_byte(b, '[');
		for (i = 0; i < n->n; i++) {
			if (i)
				buf_append_byte(b, ',');
			yaml_to_json(sc, n->kids[i], b);
		}
		buf_append_byte(b, ']');
		break;
	case YN_SCALAR:
		/* Plain scalars are typed as YAML would type them; quoted ones are strings. */
		if (n->plain && is_null(n))
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

/* ---- steps ---- */

static void add_group(struct sc *sc, const char *prefix, const char *name)
{
	char g[256];

	snprintf(g, sizeof(g), "%s%s", prefix, name);
	if (!str_in(sc->groups, sc->ngroups, g))
		push_str(sc, &sc->groups, &sc->ngroups, &sc->cgroups, g);
}

static const char *const step_kinds[] = {"request", "think",   "transaction", "if",    "repeat",
					 "while",   "foreach", "set",	      "abort", NULL};
/* Keys a step of each kind may hold beside its kind key. */
static const char *const step_siblings[][3] = {
    [PLAN_STEP_REQUEST] = {"expect", "capture"},
    [PLAN_STEP_THINK] = {NULL},
    [PLAN_STEP_TRANSACTION] = {"steps"},
    [PLAN_STEP_IF] = {"then", "else"},
    [PLAN_STEP_REPEAT] = {"steps"},
    [PLAN_STEP_WHILE] = {"max", "steps"},
    [PLAN_STEP_FOREACH] = {"as", "steps"},
    [PLAN_STEP_SET] = {NULL},
    [PLAN_STEP_ABORT] = {NULL},
};

static void parse_steps(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
			struct plan_steps *out);

/* The first byte of a URL template's literal text (outside {{ }}) that may not appear in a
 * URL, or -1. Values rendered into holes are checked by the agent when it sends them. */
static long url_bad_literal(const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");

			if (!end)
				return -1;
			p = end + 1;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c))
			return (long)(p - s);
	}
	return -1;
}

static void check_url_literal(struct sc *sc, const struct ynode *v, const char *url)
{
	long at = url_bad_literal(url);
	unsigned char c;

	if (at < 0)
		return;
	c = (unsigned char)url[at];
	if (c == ' ')
		sc_err(sc, v, (size_t)at,
		       "url: a space is not valid in a URL: write %%20, or put values in with "
		       "urlencode(), e.g. {{ urlencode(q) }}");
	else
		sc_err(sc, v, (size_t)at,
		       "url: byte 0x%02x ('%c') is not valid in a URL: percent-encode it (%%%02X), "
		       "or put values in with urlencode(), e.g. {{ urlencode(q) }}",
		       c, c >= 0x21 && c < 0x7f ? c : '?', c);
}

static void parse_request(struct sc *sc, const struct ynode *n, struct plan_request *r)
{
	/* expect and capture are here only to be reported as misplaced, once, below. */
	static const char *const keys[] = {"method",  "url",  "headers", "body",    "json", "form",
					   "timeout", "name", "expect",	 "capture", "follow_redirects",
					   NULL};
	const struct ynode *v, *body = NULL;
	const char *bodies[] = {"body", "json", "form"};
	size_t i;
	int nbodies = 0;

	if (n->kind == YN_SCALAR) { /* request: /path is a GET of that URL */
		r->method = sc_strdup(sc, "GET");
		if (get_tmpl(sc, n, "request url", true, TMPL_ESCAPE_NONE, &r->url) == 0 && r->url)
			check_url_literal(sc, n, r->url);
		return;
	}
	if (want_kind(sc, n, YN_MAP, "request") != 0)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const char *k = n->kids[i]->str;

		if (strcmp(k, "expect") == 0 || strcmp(k, "capture") == 0)
			sc_err(sc, n->kids[i], 0,
			       "'%s' goes beside 'request:' in the step, not inside it", k);
	}
	check_keys(sc, n, "request", keys);
	if (!map_get(n, "url") && !has_typo_of(n, "url"))
		sc_err(sc, n, 0, "request needs a url");

	v = map_get(n, "method");
	if (v) {
		if (get_string(sc, v, "method", true, &r->method) == 0) {
			char *c;

			for (c = r->method; *c; c++) {
				if (!(isalnum((unsigned char)*c) ||
				      strchr("!#$%&'*+-.^_`|~", *c))) {
					sc_err(sc, v, 0, "'%s' is not an HTTP method", v->str);
					break;
				}
				*c = (char)toupper((unsigned char)*c);
			}
		}
	} else
		r->method = sc_strdup(sc, "GET");
	if ((v = map_get(n, "url"))) {
		if (get_tmpl(sc, v, "url", true, TMPL_ESCAPE_NONE, &r->url) == 0 &&
		    r->url[0] != '/' && strncmp(r->url, "http://", 7) != 0 &&
		    strncmp(r->url, "https://", 8) != 0 && strncmp(r->url, "{{", 2) != 0)
			sc_err(sc, v, 0,
			       "url must be a path starting with / or an http:// or https:// URL, "
			       "got '%.60s'",
			       r->url);
		else if (r->url)
			check_url_literal(sc, v, r->url);
	}
	if ((v = map_get(n, "name")) && get_stat_name(sc, v, "request name", "req_", &r->name) == 0)
		add_group(sc, "req_", r->name);
	if ((v = map_get(n, "headers")))
		get_kvs(sc, v, "header", TMPL_ESCAPE_NONE, false, &r->headers, &r->nheaders);
	if ((v = map_get(n, "timeout")))
		get_duration(sc, v, "timeout", 1000, &r->timeout_us);
	if ((v = map_get(n, "follow_redirects")) &&
	    get_u32(sc, v, "follow_redirects", 0, PLAN_MAX_REDIRECTS, &r->follow_redirects) == 0)
		r->has_follow_redirects = true;
	for (i = 0; i < 3; i++)
		if ((v = map_get(n, bodies[i]))) {
			if (nbodies++)
				sc_err(sc, map_key(n, bodies[i]), 0,
				       "a request has one of body, json or form; this one also has "
				       "'%s'",
				       bodies[i]);
			else
				body = v;
		}
	if ((v = map_get(n, "body")) && v == body) {
		r->body_kind = PLAN_BODY_RAW;
		get_tmpl(sc, v, "body", false, TMPL_ESCAPE_NONE, &r->body);
	} else if ((v = map_get(n, "json")) && v == body) {
		struct buf b;

		buf_init(&b, 16u << 20);
		yaml_to_json(sc, v, &b);
		r->body_kind = PLAN_BODY_JSON;
		r->body = buf_steal(&b);
		if (!r->body)
			r->body = sc_strdup(sc, "");
		buf_free(&b);
	} else if ((v = map_get(n, "form")) && v == body) {
		r->body_kind = PLAN_BODY_FORM;
		get_kvs(sc, v, "form field", TMPL_ESCAPE_URL, false, &r->form, &r->nform);
	}
}

/* status: 200, [200, 201], "2xx" */
static int parse_status_one(struct sc *sc, const struct ynode *n, struct plan_status_range *r)
{
	const char *s = n->str;

	if (n->kind == YN_SCALAR && strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
	    (strcmp(s + 1, "xx") == 0 || strcmp(s + 1, "XX") == 0)) {
		r->lo = (s[0] - '0') * 100;
		r->hi = r->lo + 99;
		return 0;
	}
	if (n->kind == YN_SCALAR && strlen(s) == 3 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
		r->lo = r->hi = (int)strtol(s, NULL, 10);
		if (r->lo >= 100 && r->lo <= 599)
			return 0;
	}
	sc_err(sc, n, 0, "expected a status like 200, [200, 201] or \"2xx\", got %s%.60s%s",
	       n->kind == YN_SCALAR ? "'" : "", n->kind == YN_SCALAR ? n->str : kind_word(n),
	       n->kind == YN_SCALAR ? "'" : "");
	return -1;
}

static void parse_expect(struct sc *sc, const struct ynode *n, struct plan_expect *x)
{
	static const char *const keys[] = {"status", "body", "header", "headers", "on_fail", NULL};
	static const char *const bkeys[] = {"contains", "regex", NULL};
	static const char *const on_fail[] = {"abort", "continue", "restart", NULL};
	const struct ynode *v, *b;
	size_t i;
	int of;

	x->pos.line = n->line;
	x->pos.col = n->col;
	if (want_kind(sc, n, YN_MAP, "expect") != 0)
		return;
	check_keys(sc, n, "expect", keys);
	if ((v = map_get(n, "status"))) {
		if (v->kind == YN_SEQ) {
			if (v->n == 0)
				sc_err(sc, v, 0, "status: the list is empty");
			x->status = sc_calloc(sc, v->n, sizeof(*x->status));
			for (i = 0; x->status && i < v->n; i++)
				if (parse_status_one(sc, v->kids[i], &x->status[x->nstatus]) == 0)
					x->nstatus++;
		} else {
			x->status = sc_calloc(sc, 1, sizeof(*x->status));
			if (x->status && parse_status_one(sc, v, x->status) == 0)
				x->nstatus = 1;
		}
	}
	if ((b = map_get(n, "body"))) {
		if (b->kind == YN_SCALAR) /* body: "text" is short for body: { contains: text } */
			get_string(sc, b, "body", true, &x->body_contains);
		else if (want_kind(sc, b, YN_MAP, "body") == 0) {
			check_keys(sc, b, "expect body", bkeys);
			if ((v = map_get(b, "contains")))
				get_string(sc, v, "contains", true, &x->body_contains);
			if ((v = map_get(b, "regex")) &&
			    get_string(sc, v, "regex", true, &x->body_regex) == 0)
				check_regex(sc, v, "body regex");
		}
	}
	if ((v = map_get(n, "header")) || (v = map_get(n, "headers"))) {
		if (map_get(n, "header") && map_get(n, "headers"))
			sc_err(sc, map_key(n, "headers"), 0, "use header or headers, not both");
		if (want_kind(sc, v, YN_MAP, "header") == 0) {
			x->headers = sc_calloc(sc, v->n / 2, sizeof(*x->headers));
			for (i = 0; x->headers && i + 1 < v->n; i += 2) {
				struct plan_kv *kv = &x->headers[x->nheaders++];

				kv->pos.line = v->kids[i]->line;
				kv->pos.col = v->kids[i]->col;
				get_string(sc, v->kids[i], "header name", true, &kv->name);
				if (is_null(v->kids[i + 1]))
					kv->value = sc_strdup(sc, "");
				else
					get_string(sc, v->kids[i + 1], "header value", false,
						   &kv->value);
			}
		}
	}
	if ((v = map_get(n, "on_fail")) && get_enum(sc, v, "on_fail", on_fail, &of) == 0)
		x->on_fail = (enum plan_on_fail)of;
}

static void parse_captures(struct sc *sc, const struct ynode *n, struct plan_request *r)
{
	static const char *const keys[] = {"json",   "regex", "header",	 "cookie",
					   "status", "pick",  "default", NULL};
	static const char *const kinds[] = {"json", "regex", "header", "cookie", "status", NULL};
	static const char *const picks[] = {"first", "random", "all", NULL};
	size_t i, k;

	if (want_kind(sc, n, YN_MAP, "capture") != 0)
		return;
	r->captures = sc_calloc(sc, n->n / 2, sizeof(*r->captures));
	if (!r->captures)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *name = n->kids[i], *spec = n->kids[i + 1], *v, *kv = NULL;
		struct plan_capture *c = &r->captures[r->ncaptures++];
		int pick = 0, found = 0;

		c->pos.line = name->line;
		c->pos.col = name->col;
		if (get_ident(sc, name, "capture variable", &c->var) == 0)
			define(sc, c->var);
		if (want_kind(sc, spec, YN_MAP, "capture") != 0)
			continue;
		check_keys(sc, spec, "capture", keys);
		for (k = 0; kinds[k]; k++)
			if ((v = map_get(spec, kinds[k]))) {
				if (found++) {
					sc_err(
					    sc, map_key(spec, kinds[k]), 0,
					    "a capture takes one of json, regex, header, cookie or "
					    "status; '%s' is a second",
					    kinds[k]);
					continue;
				}
				c->kind = (enum plan_capture_kind)k;
				kv = v;
			}
		if (!found) {
			sc_err(sc, spec, 0,
			       "capture '%s' needs one of json, regex, header, cookie or status",
			       name->str);
			continue;
		}
		if (c->kind != PLAN_CAPTURE_STATUS &&
		    get_string(sc, kv, kinds[c->kind], true, &c->expr) == 0) {
			if (c->kind == PLAN_CAPTURE_JSON)
				check_jsonpath(sc, kv);
			else if (c->kind == PLAN_CAPTURE_REGEX)
				check_regex(sc, kv, "capture regex");
		}
		if ((v = map_get(spec, "pick")) && get_enum(sc, v, "pick", picks, &pick) == 0) {
			c->pick = (enum plan_pick)pick;
			if (c->pick == PLAN_PICK_ALL && c->var &&
			    !str_in(sc->lists, sc->nlists, c->var))
				push_str(sc, &sc->lists, &sc->nlists, &sc->clists, c->var);
		}
		if ((v = map_get(spec, "default")))
			get_string(sc, v, "default", false, &c->default_value);
	}
}

static void parse_think(struct sc *sc, const struct ynode *n, struct plan_think *t)
{
	static const char *const keys[] = {"min", "max", "mean", "distribution", NULL};
	static const char *const dists[] = {"fixed", "uniform", "exponential", NULL};
	const struct ynode *mn, *mx, *mean, *dist;
	int d = -1;

	if (n->kind == YN_SCALAR) {
		t->kind = PLAN_THINK_FIXED;
		get_duration(sc, n, "think", 0, &t->value_us);
		return;
	}
	if (want_kind(sc, n, YN_MAP, "think") != 0)
		return;
	check_keys(sc, n, "think", keys);
	mn = map_get(n, "min");
	mx = map_get(n, "max");
	mean = map_get(n, "mean");
	if ((dist = map_get(n, "distribution")) && get_enum(sc, dist, "distribution", dists, &d))
		return;
	if (mean && !mn && !mx && (d < 0 || d == PLAN_THINK_EXPONENTIAL)) {
		t->kind = PLAN_THINK_EXPONENTIAL;
		get_duration(sc, mean, "think mean", 1, &t->mean_us);
	} else if (mn && mx && !mean && (d < 0 || d == PLAN_THINK_UNIFORM)) {
		t->kind = PLAN_THINK_UNIFORM;
		if (get_duration(sc, mn, "think min", 0, &t->min_us) == 0 &&
		    get_duration(sc, mx, "think max", 0, &t->max_us) == 0 && t->max_us < t->min_us)
			sc_err(sc, mx, 0, "think max (%s) is below min (%s)", mx->str, mn->str);
	} else
		sc_err(sc, n, 0,
		       "think takes a duration (2s), { min, max } (uniform) or { mean, "
		       "distribution: exponential }");
}

static void parse_step(struct sc *sc, const struct ynode *n, struct plan_step *s)
{
	const struct ynode *kv = NULL, *kk = NULL, *v;
	const char *valid[16];
	size_t i, nv = 0;
	int kind = -1;

	s->pos.line = n->line;
	s->pos.col = n->col;
	if (want_kind(sc, n, YN_MAP, "step") != 0)
		return;
	/* The step's kind is the one key from step_kinds it holds. */
	for (i = 0; i + 1 < n->n; i += 2) {
		size_t k;

		for (k = 0; step_kinds[k]; k++)
			if (strcmp(step_kinds[k], n->kids[i]->str) == 0)
				break;
		if (!step_kinds[k])
			continue;
		if (kind >= 0) {
			sc_err(
			    sc, n->kids[i], 0,
			    "a step has one kind; this one is both '%s' and '%s' (make two steps)",
			    kk->str, n->kids[i]->str);
			return;
		}
		kind = (int)k;
		kk = n->kids[i];
		kv = n->kids[i + 1];
	}
	if (kind < 0) {
		const char *near = NULL;

		for (i = 0; i + 1 < n->n && !near; i += 2)
			if ((near = closest(n->kids[i]->str, step_kinds)))
				sc_err(sc, n->kids[i], 0,
				       "unknown key '%s' in step; did you mean '%s'?",
				       n->kids[i]->str, near);
		if (!near)
			sc_err(
			    sc, n, 0,
			    "a step needs one of request, think, transaction, if, repeat, while, "
			    "foreach, set or abort");
		return;
	}
	s->kind = (enum plan_step_kind)kind;
	s->pos.line = kk->line;
	s->pos.col = kk->col;
	valid[nv++] = step_kinds[kind];
	for (i = 0; i < 3 && step_siblings[kind][i]; i++)
		valid[nv++] = step_siblings[kind][i];
	valid[nv] = NULL;
	{
		char where[32];

		snprintf(where, sizeof(where), "%s step", step_kinds[kind]);
		check_keys(sc, n, where, valid);
	}

	switch (s->kind) {
	case PLAN_STEP_REQUEST:
		parse_request(sc, kv, &s->request);
		if ((v = map_get(n, "expect"))) {
			s->request.has_expect = true;
			parse_expect(sc, v, &s->request.expect);
		}
		if ((v = map_get(n, "capture")))
			parse_captures(sc, v, &s->request);
		return;
	case PLAN_STEP_THINK:
		parse_think(sc, kv, &s->think);
		return;
	case PLAN_STEP_TRANSACTION:
		if (get_stat_name(sc, kv, "transaction name", "tr_", &s->name) == 0)
			add_group(sc, "tr_", s->name);
		break;
	case PLAN_STEP_IF:
		get_expr(sc, kv, "if condition", &s->cond);
		if (!(v = map_get(n, "then"))) {
			if (!has_typo_of(n, "then"))
				sc_err(sc, kk, 0,
				       "if needs then: (the steps to run when it holds)");
		} else
			parse_steps(sc, v, "then", !map_get(n, "else"), &s->body);
		if ((v = map_get(n, "else")))
			parse_steps(sc, v, "else", true, &s->else_body);
		return;
	case PLAN_STEP_REPEAT:
		get_count(sc, kv, "repeat count", 1, INT64_MAX, &s->count);
		break;
	case PLAN_STEP_WHILE:
		get_expr(sc, kv, "while condition", &s->cond);
		if (!(v = map_get(n, "max"))) {
			if (!has_typo_of(n, "max"))
				sc_err(
				    sc, kk, 0,
				    "while needs a bound: add max: N (the most times the loop may "
				    "run)");
		} else
			get_count(sc, v, "while max", 1, INT64_MAX, &s->count);
		break;
	case PLAN_STEP_FOREACH:
		if (kv->kind == YN_SCALAR) {
			/* foreach: ids, or foreach: "{{ ids }}" */
			const char *src = kv->str;
			size_t len = kv->len;
			char name[128];

			while (len && isspace((unsigned char)*src)) {
				src++;
				len--;
			}
			if (len >= 4 && strncmp(src, "{{", 2) == 0 &&
			    strncmp(src + len - 2, "}}", 2) == 0) {
				src += 2;
				len -= 4;
			}
			while (len && isspace((unsigned char)*src)) {
				src++;
				len--;
			}
			while (len && isspace((unsigned char)src[len - 1]))
				len--;
			snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), src);
			if (!is_ident(name) || len > 127)
				sc_err(sc, kv, 0,
				       "foreach walks a list variable (captured with pick: all); "
				       "'%.60s' is not a variable name",
				       kv->str);
			else {
				s->list_var = sc_strdup(sc, name);
				note_use(sc, name, kv);
			}
		} else
			want_scalar(sc, kv, "foreach");
		if ((v = map_get(n, "as"))) {
			if (get_ident(sc, v, "foreach variable", &s->item_var) == 0)
				define(sc, s->item_var);
		} else {
			s->item_var = sc_strdup(sc, "item");
			define(sc, "item");
		}
		break;
	case PLAN_STEP_SET:
		if (get_kvs(sc, kv, "set", TMPL_ESCAPE_NONE, true, &s->set, &s->nset) == 0) {
			if (s->nset == 0)
				sc_err(sc, kv, 0, "set needs at least one NAME: value");
			for (i = 0; i < s->nset; i++)
				if (s->set[i].name)
					define(sc, s->set[i].name);
		}
		return;
	case PLAN_STEP_ABORT:
		if (!is_null(kv))
			get_stat_name(sc, kv, "abort reason", "error_abort_", &s->reason);
		return;
	}
	if (!(v = map_get(n, "steps"))) {
		if (!has_typo_of(n, "steps"))
			sc_err(sc, kk, 0, "%s needs steps:", step_kinds[kind]);
	} else
		parse_steps(sc, v, "steps", true, &s->body);
}

static void parse_steps(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
			struct plan_steps *out)
{
	size_t i;

	if (is_null(n) && !nonempty)
		return;
	if (want_kind(sc, n, YN_SEQ, what) != 0)
		return;
	if (n->n == 0) {
		if (nonempty)
			sc_err(sc, n, 0, "%s: the list of steps is empty", what);
		return;
	}
	out->v = sc_calloc(sc, n->n, sizeof(*out->v));
	if (!out->v)
		return;
	out->n = n->n;
	for (i = 0; i < n->n; i++)
		parse_step(sc, n->kids[i], &out->v[i]);
}

/* ---- top-level sections ---- */

/* http.source_addresses: a list of local IP addresses (or one), kept as "ip,ip,...". */
static void parse_source_addresses(struct sc *sc, const struct ynode *v, struct plan_http *h)
{
	const struct ynode *one[1] = {v};
	const struct ynode *const *items = v->kind == YN_SEQ ? (const struct ynode *const *)v->kids
							     : one;
	size_t n = v->kind == YN_SEQ ? v->n : 1;
	struct buf b;

	if (v->kind == YN_MAP) {
		sc_err(sc, v, 0, "source_addresses: expected a list of IP addresses");
		return;
	}
	if (n == 0) {
		sc_err(sc, v, 0, "source_addresses: the list is empty");
		return;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char tmp[sizeof(struct in6_addr)];

		if (want_scalar(sc, items[i], "source_addresses") != 0)
			continue;
		if (inet_pton(AF_INET, items[i]->str, tmp) != 1 &&
		    inet_pton(AF_INET6, items[i]->str, tmp) != 1) {
			sc_err(sc, items[i], 0,
			       "source_addresses: '%.60s' is not an IPv4 or IPv6 address",
			       items[i]->str);
			continue;
		}
		if (b.len)
			buf_append_byte(&b, ',');
		buf_append_str(&b, items[i]->str);
	}
	free(h->source_addresses);
	h->source_addresses = b.len ? buf_steal(&b) : NULL;
	buf_free(&b);
}

static void parse_http(struct sc *sc, const struct ynode *n, struct plan_http *h,
		       const char *target)
{
	static const char *const keys[] = {"timeout",	       "connect_timeout",
					   "keepalive",	       "version",
					   "tls",	       "headers",
					   "share_connections", "max_body",
					   "compression",      "follow_redirects",
					   "client",	       "source_addresses",
					   NULL};
	static const char *const tkeys[] = {"verify",	     "ca", "cert", "key", "ciphers",
					    "session_reuse", NULL};
	const struct ynode *v, *t;

	if (want_kind(sc, n, YN_MAP, "http") != 0)
		return;
	check_keys(sc, n, "http", keys);
	if ((v = map_get(n, "timeout")))
		get_duration(sc, v, "timeout", 1000, &h->timeout_us);
	if ((v = map_get(n, "connect_timeout")))
		get_duration(sc, v, "connect_timeout", 1000, &h->connect_timeout_us);
	if ((v = map_get(n, "keepalive")))
		get_bool(sc, v, "keepalive", &h->keepalive);
	if ((v = map_get(n, "share_connections")))
		get_bool(sc, v, "share_connections", &h->share_connections);
	if ((v = map_get(n, "compression")))
		get_bool(sc, v, "compression", &h->compression);
	if ((v = map_get(n, "follow_redirects")))
		get_u32(sc, v, "follow_redirects", 0, PLAN_MAX_REDIRECTS, &h->follow_redirects);
	if ((v = map_get(n, "max_body"))) {
		char *e = NULL;

		if (want_scalar(sc, v, "max_body") == 0 &&
		    (units_parse_size(v->str, &h->max_body, &e) != 0 ||
		     h->max_body > ((uint64_t)1 << 32))) {
			sc_err(sc, v, 0,
			       "max_body: expected a size like 64k or 1MiB (at most 4GiB), "
			       "got '%.60s'",
			       v->str);
		}
		free(e);
	}
	if ((v = map_get(n, "version")) && want_scalar(sc, v, "version") == 0) {
		if (strcmp(v->str, "1.1") == 0)
			h->version = 11;
		else if (strcmp(v->str, "2") == 0 || strcmp(v->str, "2.0") == 0)
			h->version = 2;
		else
			sc_err(sc, v, 0, "http version must be \"1.1\" or \"2\", got '%.60s'",
			       v->str);
	}
	if ((v = map_get(n, "headers")))
		get_kvs(sc, v, "header", TMPL_ESCAPE_NONE, false, &h->headers, &h->nheaders);
	if ((t = map_get(n, "tls")) && want_kind(sc, t, YN_MAP, "tls") == 0) {
		check_keys(sc, t, "tls", tkeys);
		if ((v = map_get(t, "verify")))
			get_bool(sc, v, "verify", &h->tls_verify);
		if ((v = map_get(t, "ca")))
			get_file(sc, v, "tls ca", &h->tls_ca);
		if ((v = map_get(t, "cert")))
			get_file(sc, v, "tls cert", &h->tls_cert);
		if ((v = map_get(t, "key")))
			get_file(sc, v, "tls key", &h->tls_key);
		if ((v = map_get(t, "ciphers")))
			get_string(sc, v, "tls ciphers", true, &h->tls_ciphers);
		if ((v = map_get(t, "session_reuse")))
			get_bool(sc, v, "session_reuse", &h->tls_session_reuse);
		if (!!h->tls_cert != !!h->tls_key && (v = map_get(t, h->tls_cert ? "cert" : "key")))
			sc_err(sc, v, 0, "a client certificate needs both cert and key");
	}
	if ((v = map_get(n, "source_addresses")))
		parse_source_addresses(sc, v, h);
	if ((v = map_get(n, "client")) && want_scalar(sc, v, "client") == 0) {
		h->client = plan_client_parse(v->str);
		if (h->client < 0) {
			h->client = PLAN_CLIENT_AUTO;
			sc_err(sc, v, 0, "client must be auto, lean or curl, got '%.60s'", v->str);
		} else if (h->client == PLAN_CLIENT_LEAN) {
			/* What the lean client does not do yet: say so now, not at run time. */
			if (h->version == 2)
				sc_err(sc, v, 0,
				       "client lean speaks HTTP/1.1 only; use client: curl (or auto) "
				       "with version 2");
			else if (h->share_connections)
				sc_err(sc, v, 0,
				       "client lean keeps each user's connections apart; use client: "
				       "curl (or auto) with share_connections");
		}
	}
}

static void parse_load(struct sc *sc, const struct ynode *key, const struct ynode *n,
		       struct plan_load *l, int64_t *grace_us)
{
	static const char *const keys[] = {"phases",  "max_users",    "users", "duration",
					   "ramp_up", "request_rate", "grace", NULL};
	static const char *const pkeys[] = {"duration", "arrival_rate", "ramp_to", "name", NULL};
	const struct ynode *phases, *users, *rate, *v;
	size_t i;
	int models;

	if (want_kind(sc, n, YN_MAP, "load") != 0)
		return;
	check_keys(sc, n, "load", keys);
	phases = map_get(n, "phases");
	users = map_get(n, "users");
	rate = map_get(n, "request_rate");
	models = !!phases + (!!users && !rate) + !!rate;
	if (models == 0) {
		sc_err(sc, key, 0,
		       "load needs exactly one model: phases (open), users with duration (closed) "
		       "or request_rate with duration (constant rate)");
		return;
	}
	if (phases && (users || rate)) {
		sc_err(sc, map_key(n, users ? "users" : "request_rate"), 0,
		       "load has exactly one model: phases (open) cannot be combined with %s",
		       users ? "users" : "request_rate");
		return;
	}
	if ((v = map_get(n, "grace")))
		get_duration(sc, v, "grace", 0, grace_us);
	if (phases) {
		l->model = PLAN_MODEL_OPEN;
		if (map_get(n, "duration"))
			sc_err(sc, map_key(n, "duration"), 0,
			       "duration belongs to the closed and rate models; the open model's "
			       "length is the sum of its phases");
		if (map_get(n, "ramp_up"))
			sc_err(sc, map_key(n, "ramp_up"), 0,
			       "ramp_up belongs to the closed and rate models; ramp an open model "
			       "with a phase's ramp_to");
		if ((v = map_get(n, "max_users")))
			get_count(sc, v, "max_users", 1, INT64_MAX, &l->max_users);
		if (want_kind(sc, phases, YN_SEQ, "phases") != 0)
			return;
		if (phases->n == 0) {
			sc_err(sc, phases, 0, "phases: the list is empty");
			return;
		}
		l->phases = sc_calloc(sc, phases->n, sizeof(*l->phases));
		if (!l->phases)
			return;
		for (i = 0; i < phases->n; i++) {
			const struct ynode *ph = phases->kids[i];
			struct plan_phase *pp = &l->phases[l->nphases++];

			pp->ramp_to = -1;
			pp->pos.line = ph->line;
			pp->pos.col = ph->col;
			if (want_kind(sc, ph, YN_MAP, "phase") != 0)
				continue;
			check_keys(sc, ph, "phase", pkeys);
			if ((v = map_get(ph, "name")))
				get_string(sc, v, "phase name", true, &pp->name);
			if (!(v = map_get(ph, "duration"))) {
				if (!has_typo_of(ph, "duration"))
					sc_err(sc, ph, 0, "phase needs a duration");
			} else
				get_duration(sc, v, "phase duration", 1000, &pp->duration_us);
			if (!(v = map_get(ph, "arrival_rate"))) {
				if (!has_typo_of(ph, "arrival_rate"))
					sc_err(sc, ph, 0,
					       "phase needs an arrival_rate (e.g. 50/s)");
			} else
				get_rate(sc, v, "arrival_rate", &pp->arrival_rate);
			if ((v = map_get(ph, "ramp_to")))
				get_rate(sc, v, "ramp_to", &pp->ramp_to);
		}
		return;
	}
	if (map_get(n, "max_users"))
		sc_err(sc, map_key(n, "max_users"), 0,
		       "max_users belongs to the open model (phases); the closed model runs "
		       "exactly `users` sessions");
	l->model = rate ? PLAN_MODEL_RATE : PLAN_MODEL_CLOSED;
	if (users)
		get_count(sc, users, "users", 1, 10000000, &l->users);
	else
		l->users = 10; /* request_rate alone: 10 sessions paced to it, as wrk's default */
	if (rate && get_rate(sc, rate, "request_rate", &l->request_rate) == 0 &&
	    l->request_rate <= 0)
		sc_err(sc, rate, 0, "request_rate must be above 0");
	if (!(v = map_get(n, "duration")))
		sc_err(sc, key, 0, "the %s model needs a duration (e.g. duration: 1m)",
		       rate ? "constant-rate" : "closed");
	else
		get_duration(sc, v, "duration", 1000, &l->duration_us);
	if ((v = map_get(n, "ramp_up")) && get_duration(sc, v, "ramp_up", 0, &l->ramp_up_us) == 0 &&
	    l->duration_us > 0 && l->ramp_up_us > l->duration_us)
		sc_err(sc, v, 0, "ramp_up (%s) is longer than the duration", v->str);
}

static void parse_data(struct sc *sc, const struct ynode *n, struct plan *p)
{
	static const char *const keys[] = {"file", "order", NULL};
	static const char *const orders[] = {"sequential", "random", "unique", NULL};
	size_t i, j;

	if (want_kind(sc, n, YN_MAP, "data") != 0)
		return;
	p->data = sc_calloc(sc, n->n / 2, sizeof(*p->data));
	if (!p->data)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1], *f;
		struct plan_data *d = &p->data[p->ndata++];
		struct csv *csv = NULL;
		char *e = NULL;
		int ord = 0;

		d->pos.line = k->line;
		d->pos.col = k->col;
		d->part_count = 1;
		get_ident(sc, k, "data name", &d->name);
		if (v->kind == YN_SCALAR) /* accounts: data/accounts.csv */
			f = v;
		else {
			if (want_kind(sc, v, YN_MAP, "data file") != 0)
				continue;
			check_keys(sc, v, "data file", keys);
			if ((f = map_get(v, "order")) &&
			    get_enum(sc, f, "order", orders, &ord) == 0)
				d->order = (enum plan_order)ord;
			if (!(f = map_get(v, "file"))) {
				sc_err(sc, k, 0, "data '%s' needs a file", k->str);
				continue;
			}
		}
		if (get_string(sc, f, "data file", true, &d->file) != 0)
			continue;
		{
			char *path = resolve_path(sc, d->file);

			if (!path)
				continue;
			free(d->file);
			d->file = path;
		}
		if (csv_load(d->file, &csv, &e) != 0) {
			sc_err(sc, f, 0, "data '%s': %s", k->str, e ? e : "cannot read");
			free(e);
			sc->data_unknown = true;
			continue;
		}
		d->rows = csv_total_rows(csv);
		d->ncolumns = csv_ncolumns(csv);
		d->columns = sc_calloc(sc, d->ncolumns, sizeof(*d->columns));
		for (j = 0; d->columns && j < d->ncolumns; j++) {
			char name[512];

			d->columns[j] = sc_strdup(sc, csv_column_name(csv, j));
			snprintf(name, sizeof(name), "%s.%s", k->str, csv_column_name(csv, j));
			define(sc, name);
		}
		if (!d->columns)
			d->ncolumns = 0;
		if (d->rows == 0)
			sc_err(sc, f, 0, "data '%s': %s has a header but no data rows", k->str,
			       d->file);
		csv_free(csv);
	}
}

static void parse_thresholds(struct sc *sc, const struct ynode *n, struct plan *p)
{
	static const char *const keys[] = {"condition", "abort_on_fail", "delay", NULL};
	size_t i;

	if (want_kind(sc, n, YN_MAP, "thresholds") != 0)
		return;
	p->thresholds = sc_calloc(sc, n->n / 2, sizeof(*p->thresholds));
	if (!p->thresholds)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1], *c = v, *x;
		struct plan_threshold *t = &p->thresholds[p->nthresholds++];
		struct threshold th;
		char *e = NULL;
		int col = 0;

		t->pos.line = k->line;
		t->pos.col = k->col;
		if (get_string(sc, k, "threshold metric", true, &t->metric) != 0)
			continue;
		if (v->kind == YN_MAP) {
			/* request.p95: { condition: "< 200ms", abort_on_fail: true, delay: 30s } */
			check_keys(sc, v, "threshold", keys);
			if ((x = map_get(v, "abort_on_fail")))
				get_bool(sc, x, "abort_on_fail", &t->abort_on_fail);
			if ((x = map_get(v, "delay")))
				get_duration(sc, x, "delay", 0, &t->delay_us);
			if (!(c = map_get(v, "condition"))) {
				sc_err(sc, v, 0,
				       "threshold '%s' needs a condition like \"< 200ms\"", k->str);
				continue;
			}
		}
		if (get_string(sc, c, "threshold condition", true, &t->condition) != 0)
			continue;
		if (strncmp(t->metric, "monitor.", 8) == 0) {
			/* monitor.HOST.FIGURE.max: checked by the reports' own parser. */
			char host[256];
			int fig, op;
			bool mx;
			double val;

			if (reports_monitor_threshold_parse(t->metric, t->condition, host,
							    sizeof(host), &fig, &mx, &op, &val,
							    &e) < 0)
				sc_err(sc, k, 0, "%s", e ? e : "bad monitor threshold");
			else if (t->abort_on_fail)
				sc_err(sc, k, 0,
				       "threshold '%s': abort_on_fail is not available on monitor "
				       "figures",
				       t->metric);
			free(e);
			continue;
		}
		if (threshold_parse(t->metric, t->condition, &th, &e, &col) == 0) {
			/* A transaction or named request must exist, or the gate never sees data.
			 */
			if ((strncmp(th.stat, "tr_", 3) == 0 || strncmp(th.stat, "req_", 4) == 0) &&
			    !str_in(sc->groups, sc->ngroups, th.stat)) {
				const char **cands = calloc(sc->ngroups + 1, sizeof(*cands));
				const char *near = NULL;
				size_t j;

				for (j = 0; cands && j < sc->ngroups; j++)
					cands[j] = sc->groups[j];
				if (cands)
					near = closest(th.stat, cands);
				if (near)
					sc_err(sc, k, 0,
					       "threshold on '%s', which no %s defines; did you "
					       "mean '%s'?",
					       th.stat,
					       th.stat[0] == 't' ? "transaction" : "request name",
					       near);
				else
					sc_err(sc, k, 0, "threshold on '%s', which no %s defines",
					       th.stat,
					       th.stat[0] == 't' ? "transaction" : "request name");
				free(cands);
			} else if (strncmp(th.stat, "tr_", 3) != 0 && strncmp(th.stat, "req_", 4) != 0 &&
				   !known_stat(th.stat)) {
				const char *near = closest(th.stat, threshold_stats);

				if (near)
					sc_err(sc, k, 0,
					       "threshold on unknown statistic '%s'; did you mean '%s'?",
					       th.stat, near);
				else
					sc_err(sc, k, 0,
					       "threshold on unknown statistic '%s' (use request, "
					       "connect, tls, ttfb, page, session, tr_NAME, req_NAME, "
					       "errors, http_NNN, http_Nxx, error_NAME or a counter)",
					       th.stat);
			}
		} else {
			/* Problems with the metric point at the key, the rest into the condition.
			 */
			if (e && strncmp(e, "threshold metric", 16) == 0)
				sc_err(sc, k, 0, "%s", e);
			else
				sc_err(sc, c, col > 0 ? (size_t)col : 0, "%s",
				       e ? e : "bad threshold");
			free(e);
		}
	}
}

static int parse_host_string(struct sc *sc, const struct ynode *n, struct plan_host *h)
{
	const char *s = n->str, *at = strchr(s, '@'), *host = at ? at + 1 : s, *colon;
	char *end;

	colon = strrchr(host, ':');
	if (at)
		h->user = strndup(s, (size_t)(at - s));
	h->host = colon ? strndup(host, (size_t)(colon - host)) : strdup(host);
	if ((at && !h->user) || !h->host) {
		sc->oom = true;
		return -1;
	}
	if (colon) {
		long port = strtol(colon + 1, &end, 10);

		if (*end || end == colon + 1 || port < 1 || port > 65535) {
			sc_err(sc, n, (size_t)(colon + 1 - s), "bad port in host '%.60s'", s);
			return -1;
		}
		h->port = (int)port;
	}
	if (!h->host[0] || (h->user && !h->user[0])) {
		sc_err(sc, n, 0, "expected a host like user@host:22, got '%.60s'", s);
		return -1;
	}
	return 0;
}

static void parse_agents(struct sc *sc, const struct ynode *n, struct plan_agents *ag)
{
	static const char *const keys[] = {"local",   "hosts",	      "hosts_file", "max_lost",
					   "threads", "link_timeout", NULL};
	static const char *const hkeys[] = {"host", "user", "port", "agents", "weight", NULL};
	const struct ynode *v, *hosts;
	size_t i;

	if (want_kind(sc, n, YN_MAP, "agents") != 0)
		return;
	check_keys(sc, n, "agents", keys);
	if ((v = map_get(n, "local")))
		get_u32(sc, v, "local agents", 1, 1024, &ag->local);
	if ((v = map_get(n, "max_lost")))
		get_u32(sc, v, "max_lost", 0, 100000, &ag->max_lost);
	if ((v = map_get(n, "threads")))
		get_u32(sc, v, "threads", 1, 1024, &ag->threads);
	if ((v = map_get(n, "link_timeout")) &&
	    get_duration(sc, v, "link_timeout", 2000000, &ag->link_timeout_us) == 0 &&
	    ag->link_timeout_us > 3600000000LL)
		sc_err(sc, v, 0, "link_timeout: at most 1h, got '%.60s'", v->str);
	if ((v = map_get(n, "hosts_file")) && get_file(sc, v, "hosts_file", &ag->hosts_file) == 0) {
		/* Read it now so its mistakes are found by `barrage check`; the controller reads
		 * it again when it starts the run. */
		struct plan_host *hs = NULL;
		size_t nh = 0;
		char *e = NULL;

		if (hosts_file_read(ag->hosts_file, &hs, &nh, &e) != 0)
			sc_err(sc, v, 0, "hosts_file: %s", e ? e : "cannot read");
		free(e);
		hosts_free(hs, nh);
	}
	if ((hosts = map_get(n, "hosts")) && want_kind(sc, hosts, YN_SEQ, "hosts") == 0) {
		ag->hosts = sc_calloc(sc, hosts->n, sizeof(*ag->hosts));
		for (i = 0; ag->hosts && i < hosts->n; i++) {
			const struct ynode *hn = hosts->kids[i];
			struct plan_host *h = &ag->hosts[ag->nhosts++];

			h->port = 22;
			h->agents = 1;
			h->weight = 1;
			h->pos.line = hn->line;
			h->pos.col = hn->col;
			if (hn->kind == YN_SCALAR) {
				parse_host_string(sc, hn, h);
				continue;
			}
			if (want_kind(sc, hn, YN_MAP, "host") != 0)
				continue;
			check_keys(sc, hn, "host", hkeys);
			if (!(v = map_get(hn, "host")))
				sc_err(sc, hn, 0, "host entry needs host:");
			else
				get_string(sc, v, "host", true, &h->host);
			if ((v = map_get(hn, "user")))
				get_string(sc, v, "user", true, &h->user);
			if ((v = map_get(hn, "port"))) {
				uint32_t port = 22;

				get_u32(sc, v, "port", 1, 65535, &port);
				h->port = (int)port;
			}
			if ((v = map_get(hn, "agents")))
				get_u32(sc, v, "agents", 1, 4096, &h->agents);
			if ((v = map_get(hn, "weight")) &&
			    get_number(sc, v, "weight", &h->weight) == 0 && h->weight <= 0)
				sc_err(sc, v, 0, "weight must be > 0, got %s", v->str);
		}
	}
	if (ag->local && (ag->nhosts || ag->hosts_file))
		sc_err(sc, map_key(n, "local"), 0,
		       "agents: local and hosts/hosts_file are exclusive (local agents are the "
		       "default when no hosts are given)");
	if (hosts && map_get(n, "hosts_file"))
		sc_err(sc, map_key(n, "hosts_file"), 0,
		       "agents: give hosts or hosts_file, not both");
}

/* monitor: { hosts: [local, "user@host:port"], processes: [name], interval, optional,
 * hosts_file } (controller/monitor.c checks each host string). */
static void parse_monitor(struct sc *sc, const struct ynode *n, struct plan_monitor *m)
{
	static const char *const keys[] = {"hosts", "processes", "interval", "optional",
					   "hosts_file", NULL};
	const struct ynode *v;
	size_t i, j;

	if (want_kind(sc, n, YN_MAP, "monitor") != 0)
		return;
	check_keys(sc, n, "monitor", keys);
	m->pos.line = n->line;
	m->pos.col = n->col;
	if ((v = map_get(n, "hosts")) && want_kind(sc, v, YN_SEQ, "monitor hosts") == 0) {
		m->hosts = sc_calloc(sc, v->n, sizeof(*m->hosts));
		m->hosts_pos = sc_calloc(sc, v->n, sizeof(*m->hosts_pos));
		for (i = 0; m->hosts && m->hosts_pos && i < v->n; i++) {
			const struct ynode *h = v->kids[i];
			char *e = NULL;

			if (get_string(sc, h, "monitor host", true, &m->hosts[m->nhosts]) != 0)
				continue;
			m->hosts_pos[m->nhosts].line = h->line;
			m->hosts_pos[m->nhosts].col = h->col;
			if (monitor_host_check(m->hosts[m->nhosts], &e) < 0)
				sc_err(sc, h, 0, "monitor host: %s", e ? e : "bad host");
			free(e);
			for (j = 0; j < m->nhosts; j++)
				if (strcmp(m->hosts[j], m->hosts[m->nhosts]) == 0)
					sc_err(sc, h, 0, "monitor host '%.60s' is listed twice",
					       m->hosts[j]);
			m->nhosts++;
		}
	}
	if ((v = map_get(n, "processes")) && want_kind(sc, v, YN_SEQ, "monitor processes") == 0) {
		if (v->n > 16)
			sc_err(sc, v, 0, "monitor: at most 16 processes, got %zu", v->n);
		m->processes = sc_calloc(sc, v->n, sizeof(*m->processes));
		for (i = 0; m->processes && i < v->n && i < 16; i++)
			if (get_string(sc, v->kids[i], "process name", true,
				       &m->processes[m->nprocesses]) == 0)
				m->nprocesses++;
	}
	if ((v = map_get(n, "interval")) &&
	    get_duration(sc, v, "monitor interval", 200000, &m->interval_us) == 0 &&
	    m->interval_us > 3600000000LL)
		sc_err(sc, v, 0, "monitor interval: at most 1h, got '%.60s'", v->str);
	if ((v = map_get(n, "optional")))
		get_bool(sc, v, "optional", &m->optional);
	if ((v = map_get(n, "hosts_file")) && get_file(sc, v, "hosts_file", &m->hosts_file) == 0) {
		struct plan_host *hs = NULL;
		size_t nh = 0;
		char *e = NULL;

		if (hosts_file_read(m->hosts_file, &hs, &nh, &e) != 0)
			sc_err(sc, v, 0, "hosts_file: %s", e ? e : "cannot read");
		free(e);
		hosts_free(hs, nh);
	}
	if (m->nhosts == 0 && !m->hosts_file)
		sc_err(sc, n, 0, "monitor: needs hosts: (local, or user@host:port) or hosts_file:");
}

/* Load is split across agents (controller/split.c), and every agent needs at least one user
 * (closed and rate models) or a cap of at least one (open model with max_users). With an
 * explicit agent count that is known now, so `barrage check` says so rather than `run`. */
static bool cli_agents;

void scenario_set_cli_agents(bool on)
{
	cli_agents = on;
}

static void check_agent_count(struct sc *sc, const struct ynode *n, const struct plan *p)
{
	const struct plan_agents *ag = &p->agents;
	const struct ynode *at = NULL;
	uint64_t agents = 0;
	size_t i;

	if (cli_agents)
		return;
	if (ag->local) {
		agents = ag->local;
		at = map_key(n, "local");
	} else if (ag->nhosts) {
		for (i = 0; i < ag->nhosts; i++)
			agents += ag->hosts[i].agents;
		at = map_key(n, "hosts");
	} else if (ag->hosts_file) {
		struct plan_host *hs = NULL;
		size_t nh = 0;

		if (hosts_file_read(ag->hosts_file, &hs, &nh, NULL) == 0)
			for (i = 0; i < nh; i++)
				agents += hs[i].agents;
		hosts_free(hs, nh);
		at = map_key(n, "hosts_file");
	}
	if (!agents)
		return;
	if (p->load.model != PLAN_MODEL_OPEN && p->load.users && p->load.users < agents)
		sc_err(sc, at, 0,
		       "%llu agents but load.users is %llu: each agent needs at least one user "
		       "(use fewer agents or more users)",
		       (unsigned long long)agents, (unsigned long long)p->load.users);
	else if (p->load.model == PLAN_MODEL_OPEN && p->load.max_users &&
		 p->load.max_users < agents)
		sc_err(sc, at, 0,
		       "%llu agents but load.max_users is %llu: each agent needs a cap of at least "
		       "one user (use fewer agents or a higher cap)",
		       (unsigned long long)agents, (unsigned long long)p->load.max_users);
}

static void parse_sessions(struct sc *sc, const struct ynode *key, const struct ynode *n,
			   struct plan *p)
{
	static const char *const keys[] = {"name", "weight", "steps", NULL};
	size_t i, j;

	if (want_kind(sc, n, YN_SEQ, "sessions") != 0)
		return;
	if (n->n == 0) {
		sc_err(sc, key, 0, "sessions: the list is empty; a scenario needs at least one");
		return;
	}
	p->sessions = sc_calloc(sc, n->n, sizeof(*p->sessions));
	if (!p->sessions)
		return;
	for (i = 0; i < n->n; i++) {
		const struct ynode *sn = n->kids[i], *v;
		struct plan_session *s = &p->sessions[p->nsessions++];

		s->weight = 1;
		s->pos.line = sn->line;
		s->pos.col = sn->col;
		if (want_kind(sc, sn, YN_MAP, "session") != 0)
			continue;
		check_keys(sc, sn, "session", keys);
		if (!(v = map_get(sn, "name"))) {
			if (!has_typo_of(sn, "name"))
				sc_err(sc, sn, 0, "session needs a name");
		} else if (get_string(sc, v, "session name", true, &s->name) == 0)
			for (j = 0; j < i; j++)
				if (p->sessions[j].name &&
				    strcmp(p->sessions[j].name, s->name) == 0)
					sc_err(sc, v, 0, "session name '%s' is used twice",
					       s->name);
		if ((v = map_get(sn, "weight")) && get_number(sc, v, "weight", &s->weight) == 0 &&
		    s->weight <= 0)
			sc_err(sc, v, 0, "weight must be > 0, got %s", v->str);
		if (!(v = map_get(sn, "steps"))) {
			if (!has_typo_of(sn, "steps"))
				sc_err(sc, sn, 0, "session needs steps:");
		} else
			parse_steps(sc, v, "steps", true, &s->steps);
	}
}

/* Where name is written in node n's text (a whole-word match), to point at it; 0 if unsure. */
static size_t name_off(const struct ynode *n, const char *name)
{
	size_t len = strlen(name);
	const char *p = n->str;

	while (n->str && (p = strstr(p, name))) {
		bool left =
		    p == n->str || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.');
		bool right = !(isalnum((unsigned char)p[len]) || p[len] == '_' || p[len] == '.');

		if (left && right)
			return (size_t)(p - n->str);
		p++;
	}
	return 0;
}

/* After everything is read: every variable a template or condition reads must be defined
 * somewhere (variables, data columns, captures, set, foreach), and foreach must walk a list. */
static void check_uses(struct sc *sc, const struct plan *p)
{
	size_t i, j;

	for (i = 0; i < sc->nuses; i++) {
		const char *name = sc->uses[i].name;
		const char *dot = strchr(name, '.');
		const char *near;
		const char **cands;

		if (str_in(sc->defs, sc->ndefs, name))
			continue;
		if (sc->nerr >= SC_MAX_ERRORS) /* nothing more is reported: spare the search */
			return;
		if (dot && sc->data_unknown)
			continue;
		if (dot) {
			bool known = false;

			for (j = 0; j < p->ndata; j++)
				if (p->data[j].name &&
				    strlen(p->data[j].name) == (size_t)(dot - name) &&
				    strncmp(p->data[j].name, name, (size_t)(dot - name)) == 0)
					known = true;
			if (known) {
				sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
				       "data '%.*s' has no column '%s'", (int)(dot - name), name,
				       dot + 1);
				continue;
			}
		}
		cands = calloc(sc->ndefs + 1, sizeof(*cands));
		if (!cands) {
			sc->oom = true;
			return;
		}
		for (j = 0; j < sc->ndefs; j++)
			cands[j] = sc->defs[j];
		near = closest(name, cands);
		if (near)
			sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
			       "unknown variable '%s'; did you mean '%s'?", name, near);
		else
			sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
			       "unknown variable '%s' (not in variables, data, a capture, set or "
			       "foreach)",
			       name);
		free(cands);
	}
}

static void check_foreach(struct sc *sc, const struct plan_steps *s, const struct ynode *root)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_FOREACH && st->list_var &&
		    str_in(sc->defs, sc->ndefs, st->list_var) &&
		    !str_in(sc->lists, sc->nlists, st->list_var)) {
			struct ynode at = {.line = st->pos.line, .col = st->pos.col};

			sc_err(sc, &at, 0,
			       "foreach walks a list; '%s' is never captured with pick: all",
			       st->list_var);
		}
		check_foreach(sc, &st->body, root);
		check_foreach(sc, &st->else_body, root);
	}
}

static void check_target(struct sc *sc, const struct ynode *n, const char *t)
{
	const char *host;

	if (strncmp(t, "http://", 7) == 0)
		host = t + 7;
	else if (strncmp(t, "https://", 8) == 0)
		host = t + 8;
	else {
		sc_err(sc, n, 0, "target must be an http:// or https:// URL, got '%.60s'", t);
		return;
	}
	if (!*host || *host == '/' || *host == ':')
		sc_err(sc, n, 0, "target '%.60s' has no host", t);
}

static bool any_path_url(const struct plan_steps *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_REQUEST && st->request.url && st->request.url[0] == '/')
			return true;
		if (any_path_url(&st->body) || any_path_url(&st->else_body))
			return true;
	}
	return false;
}

static void map_plan(struct sc *sc, const struct ynode *root, struct plan *p)
{
	static const char *const keys[] = {"name",   "target",	  "http",     "load",
					   "data",   "variables", "sessions", "thresholds",
					   "agents", "report",	  "monitor",  "export", NULL};
	static const char *const rkeys[] = {"interval", NULL};
	const struct ynode *v, *k;
	size_t i;

	if (want_kind(sc, root, YN_MAP, "scenario") != 0)
		return;
	check_keys(sc, root, "scenario", keys);
	if ((v = map_get(root, "name")) && get_string(sc, v, "name", true, &p->name) == 0) {
		/* The name becomes part of the run directory's path. */
		const char *c;

		for (c = p->name; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
				break;
		if (*c || p->name[0] == '.' || strlen(p->name) > 100)
			sc_err(sc, v, 0,
			       "name '%.60s' may hold only letters, digits, '-', '_' and '.' (it "
			       "names the run directory)",
			       p->name);
	}
	if ((v = map_get(root, "target")) && get_string(sc, v, "target", true, &p->target) == 0)
		check_target(sc, v, p->target);
	if ((v = map_get(root, "http")))
		parse_http(sc, v, &p->http, p->target);
	if (!(v = map_get(root, "load"))) {
		if (!has_typo_of(root, "load"))
			sc_err(sc, NULL, 0,
			       "the scenario has no load: section (phases, users or "
			       "request_rate)");
	} else
		parse_load(sc, map_key(root, "load"), v, &p->load, &p->grace_us);
	if ((v = map_get(root, "data")))
		parse_data(sc, v, p);
	if ((v = map_get(root, "variables")) &&
	    get_kvs(sc, v, "variable", TMPL_ESCAPE_NONE, true, &p->variables, &p->nvariables) == 0)
		for (i = 0; i < p->nvariables; i++)
			if (p->variables[i].name)
				define(sc, p->variables[i].name);
	for (i = 0; i < p->ndata; i++)
		if (p->data[i].name && str_in(sc->defs, sc->ndefs, p->data[i].name)) {
			struct ynode at = {.line = p->data[i].pos.line, .col = p->data[i].pos.col};

			sc_err(sc, &at, 0, "'%s' is both a data file and a variable",
			       p->data[i].name);
		}
	if (!(v = map_get(root, "sessions"))) {
		if (!has_typo_of(root, "sessions"))
			sc_err(sc, NULL, 0, "the scenario has no sessions:");
	} else
		parse_sessions(sc, map_key(root, "sessions"), v, p);
	if ((v = map_get(root, "thresholds")))
		parse_thresholds(sc, v, p);
	if ((v = map_get(root, "agents"))) {
		parse_agents(sc, v, &p->agents);
		check_agent_count(sc, v, p);
	}
	if ((v = map_get(root, "monitor")))
		parse_monitor(sc, v, &p->monitor);
	if ((v = map_get(root, "export")) && want_kind(sc, v, YN_MAP, "export") == 0) {
		static const char *const ekeys[] = {"prometheus_rw", NULL};

		check_keys(sc, v, "export", ekeys);
		if ((k = map_get(v, "prometheus_rw")) &&
		    get_string(sc, k, "export prometheus_rw", true, &p->export.prometheus_rw) == 0) {
			p->export.pos.line = k->line;
			p->export.pos.col = k->col;
			if (strncmp(p->export.prometheus_rw, "http://", 7) != 0 &&
			    strncmp(p->export.prometheus_rw, "https://", 8) != 0)
				sc_err(sc, k, 0,
				       "export prometheus_rw: expected an http:// or https:// URL "
				       "(e.g. http://127.0.0.1:9090/api/v1/write), got '%.80s'",
				       p->export.prometheus_rw);
		}
	}
	if ((v = map_get(root, "report")) && want_kind(sc, v, YN_MAP, "report") == 0) {
		check_keys(sc, v, "report", rkeys);
		if ((k = map_get(v, "interval")))
			get_duration(sc, k, "report interval", 100000, &p->interval_us);
	}
	for (i = 0; i < p->nsessions; i++)
		check_foreach(sc, &p->sessions[i].steps, root);
	check_uses(sc, p);
	if (!p->target)
		for (i = 0; i < p->nsessions; i++)
			if (any_path_url(&p->sessions[i].steps)) {
				sc_err(sc, NULL, 0,
				       "requests use paths (url: /...) but the scenario has no "
				       "target: (a base URL like http://127.0.0.1:8080)");
				break;
			}
}

/* ---- --set overrides ---- */

static struct ynode *map_get_mut(struct ynode *m, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) == 0) {
			*idx = i + 1;
			return m->kids[i + 1];
		}
	return NULL;
}

static struct ynode *scalar_new(struct sc *sc, const char *s, const char *origin)
{
	yaml_mark_t m = {0};
	struct ynode *n = node_new(sc, YN_SCALAR, &m, origin);

	if (!n)
		return NULL;
	n->str = strdup(s);
	if (!n->str) {
		free(n);
		sc->oom = true;
		return NULL;
	}
	n->len = strlen(s);
	n->plain = true;
	return n;
}

/* Apply one --set PATH=VALUE to the tree. The value is read as YAML (so lists and mappings can
 * be given in flow style), falling back to a plain string. Path segments are mapping keys or
 * list indexes; at a mapping, the longest run of segments that is an existing key wins, so
 * dotted keys such as thresholds' request.p95 can be reached. */
static int apply_override(struct sc *sc, struct ynode **rootp, const struct scenario_override *o)
{
	char *origin = NULL, *path = NULL;
	struct ynode *cur, *val = NULL;
	char *seg;

	if (!o->path || !o->value || !o->path[0]) {
		sc_err(sc, NULL, 0, "--set needs KEY=VALUE");
		return -1;
	}
	if (asprintf(&origin, "--set %s=%s", o->path, o->value) < 0) {
		sc->oom = true;
		return -1;
	}
	if (push_str(sc, &sc->origins, &sc->norigins, &sc->corigins, origin) != 0) {
		free(origin);
		return -1;
	}
	free(origin);
	origin = sc->origins[sc->norigins - 1];
	{
		int before = sc->nerr;
		size_t mark = sc->errs.len;

		if (o->value[0] && yaml_build(sc, o->value, strlen(o->value), origin, &val) == 0 &&
		    val)
			;
		else {
			/* Not YAML: the value is a plain string; forget the parse problem. */
			node_free(val);
			sc->nerr = before;
			sc->errs.len = mark;
			if (sc->errs.data)
				sc->errs.data[mark] = '\0';
			val = scalar_new(sc, o->value, origin);
			if (!val)
				return -1;
		}
	}
	if (!*rootp) {
		yaml_mark_t m = {0};

		*rootp = node_new(sc, YN_MAP, &m, origin);
		if (!*rootp)
			goto fail;
	}
	path = strdup(o->path);
	if (!path) {
		sc->oom = true;
		goto fail;
	}
	cur = *rootp;
	seg = path;
	for (;;) {
		char *dot = strchr(seg, '.'), *end;
		struct ynode *next = NULL, *kn, *nv;
		size_t idx = 0;

		if (cur->kind == YN_SEQ) {
			unsigned long k;

			if (dot)
				*dot = '\0';
			k = strtoul(seg, &end, 10);
			if (*end || end == seg || k >= cur->n) {
				sc_err(sc, NULL, 0,
				       "%s: '%s' is not an index of the list (0 to %zu)", origin,
				       seg, cur->n ? cur->n - 1 : 0);
				goto fail;
			}
			if (!dot) {
				node_free(cur->kids[k]);
				cur->kids[k] = val;
				break;
			}
			cur = cur->kids[k];
			seg = dot + 1;
			continue;
		}
		if (cur->kind != YN_MAP) {
			sc_err(sc, NULL, 0, "%s: cannot set '%s' inside a scalar", origin, seg);
			goto fail;
		}
		/* The longest run of segments that is an existing key. */
		end = seg + strlen(seg);
		for (;;) {
			char save = *end;

			*end = '\0';
			next = map_get_mut(cur, seg, &idx);
			*end = save;
			if (next || end == seg)
				break;
			while (end > seg && *--end != '.')
				;
		}
		if (next) {
			if (!*end) {
				node_free(next);
				cur->kids[idx] = val;
				break;
			}
			cur = next;
			seg = end + 1;
			continue;
		}
		/* A new key. Under thresholds it is the whole rest (request.p95); elsewhere one
		 * segment, with mappings made on the way. */
		if (dot && cur != map_get(*rootp, "thresholds"))
			*dot = '\0';
		else
			dot = NULL;
		kn = scalar_new(sc, seg, origin);
		if (!kn)
			goto fail;
		if (dot) {
			yaml_mark_t m = {0};

			nv = node_new(sc, YN_MAP, &m, origin);
		} else
			nv = val;
		if (!nv || node_add(sc, cur, kn) != 0) {
			node_free(kn);
			if (nv != val)
				node_free(nv);
			goto fail;
		}
		if (node_add(sc, cur, nv) != 0) {
			/* kn is in the tree now; keep the mapping even, with an empty value. */
			if (nv != val)
				node_free(nv);
			goto fail;
		}
		if (!dot)
			break;
		cur = nv;
		seg = dot + 1;
	}
	free(path);
	return 0;
fail:
	free(path);
	node_free(val);
	return -1;
}

/* ---- entry points ---- */

static void sc_free(struct sc *sc)
{
	size_t i;

	buf_free(&sc->errs);
	free(sc->dir);
	for (i = 0; i < sc->norigins; i++)
		free(sc->origins[i]);
	free(sc->origins);
	for (i = 0; i < sc->ndefs; i++)
		free(sc->defs[i]);
	free(sc->defs);
	for (i = 0; i < sc->nuses; i++)
		free(sc->uses[i].name);
	free(sc->uses);
	for (i = 0; i < sc->nlists; i++)
		free(sc->lists[i]);
	free(sc->lists);
	for (i = 0; i < sc->ngroups; i++)
		free(sc->groups[i]);
	free(sc->groups);
}

static int load(const char *name, const char *dir, const char *yaml, size_t len,
		const struct scenario_override *ov, size_t nov, struct plan **out, char **err)
{
	struct sc sc = {.name = name};
	struct ynode *root = NULL;
	struct plan *p = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	buf_init(&sc.errs, 1u << 20);
	sc.dir = strdup(dir);
	if (!sc.dir)
		goto out;
	if (memchr(yaml, '\0', len)) {
		sc_err(&sc, NULL, 0, "the file holds a NUL byte; a scenario is UTF-8 text");
		goto out;
	}
	sc.src = yaml;
	sc.srclen = len;
	if (yaml_build(&sc, yaml, len, NULL, &root) != 0)
		goto out;
	for (i = 0; i < nov; i++)
		apply_override(&sc, &root, &ov[i]);
	if (sc.nerr)
		goto out;
	if (!root) {
		sc_err(&sc, NULL, 0, "the scenario is empty");
		goto out;
	}
	p = plan_new();
	if (!p) {
		sc.oom = true;
		goto out;
	}
	p->source = strdup(name);
	map_plan(&sc, root, p);
	if (!p->name && !sc.nerr) {
		/* Default name: the file's base name without its extension. */
		const char *base = strrchr(name, '/');
		const char *dotp;

		base = base ? base + 1 : name;
		dotp = strrchr(base, '.');
		p->name =
		    strndup(base, dotp && dotp != base ? (size_t)(dotp - base) : strlen(base));
	}
	if (!sc.nerr && !sc.oom) {
		*out = p;
		p = NULL;
		rc = 0;
	}
out:
	if (sc.oom && !sc.nerr)
		sc_err(&sc, NULL, 0, "out of memory");
	if (rc != 0)
		err_set(err, "%s", sc.errs.data ? sc.errs.data : "scenario error");
	node_free(root);
	plan_free(p);
	sc_free(&sc);
	return rc;
}

int scenario_load_string(const char *name, const char *yaml, size_t len,
			 const struct scenario_override *ov, size_t nov, struct plan **out,
			 char **err)
{
	return load(name, "", yaml, len, ov, nov, out, err);
}

int scenario_load(const char *path, const struct scenario_override *ov, size_t nov,
		  struct plan **out, char **err)
{
	FILE *f = NULL;
	struct buf b;
	char chunk[65536];
	char *dir = NULL, *slash;
	size_t n;
	int rc = -1;

	*out = NULL;
	buf_init(&b, SC_MAX_FILE);
	f = fopen(path, "rb");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) != 0) {
			err_set(err, "%s: larger than %u MiB", path, SC_MAX_FILE >> 20);
			goto out;
		}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir = strdup(path);
	if (!dir) {
		err_set(err, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		dir[0] = '\0';
	rc = load(path, dir, b.data ? b.data : "", b.len, ov, nov, out, err);
out:
	free(dir);
	if (f)
		fclose(f);
	buf_free(&b);
	return rc;
}

/* ---- barrage check: the plan as a person reads it ---- */

static void print_indent(FILE *out, int depth)
{
	fprintf(out, "%*s", 4 + 2 * depth, "");
}

static void print_steps(FILE *out, const struct plan_steps *s, int depth);

static void print_request(FILE *out, const struct plan_request *r, int depth)
{
	static const char *const cap[] = {"json", "regex", "header", "cookie", "status"};
	static const char *const pick[] = {"first", "random", "all"};
	static const char *const of[] = {"abort", "continue", "restart"};
	char b[32];
	size_t i;

	print_indent(out, depth);
	fprintf(out, "%s %s", r->method, r->url);
	if (r->name)
		fprintf(out, "  [as %s]", r->name);
	if (r->body_kind == PLAN_BODY_JSON)
		fprintf(out, "  json %.60s%s", r->body, strlen(r->body) > 60 ? "..." : "");
	else if (r->body_kind == PLAN_BODY_RAW)
		fprintf(out, "  body %zu bytes", strlen(r->body));
	else if (r->body_kind == PLAN_BODY_FORM)
		fprintf(out, "  form (%zu fields)", r->nform);
	if (r->timeout_us)
		fprintf(out, "  timeout %s",
			units_fmt_duration(b, sizeof(b), (double)r->timeout_us));
	if (r->has_follow_redirects)
		fprintf(out, "  follows %u redirects", r->follow_redirects);
	fputc('\n', out);
	for (i = 0; i < r->nheaders; i++) {
		print_indent(out, depth + 1);
		fprintf(out, "header %s: %s\n", r->headers[i].name, r->headers[i].value);
	}
	if (r->has_expect) {
		const struct plan_expect *x = &r->expect;

		print_indent(out, depth + 1);
		fputs("expect", out);
		for (i = 0; i < x->nstatus; i++) {
			if (x->status[i].hi - x->status[i].lo == 99 && x->status[i].lo % 100 == 0)
				fprintf(out, "%s%dxx", i ? "|" : " status ", x->status[i].lo / 100);
			else
				fprintf(out, "%s%d", i ? "|" : " status ", x->status[i].lo);
		}
		if (x->body_contains)
			fprintf(out, " body contains '%s'", x->body_contains);
		if (x->body_regex)
			fprintf(out, " body matches /%s/", x->body_regex);
		for (i = 0; i < x->nheaders; i++)
			fprintf(out, " header %s~'%s'", x->headers[i].name, x->headers[i].value);
		fprintf(out, ", on fail %s\n", of[x->on_fail]);
	}
	for (i = 0; i < r->ncaptures; i++) {
		const struct plan_capture *c = &r->captures[i];

		print_indent(out, depth + 1);
		fprintf(out, "capture %s <- %s", c->var, cap[c->kind]);
		if (c->expr)
			fprintf(out, " %s", c->expr);
		if (c->pick != PLAN_PICK_FIRST)
			fprintf(out, " (pick %s)", pick[c->pick]);
		if (c->default_value)
			fprintf(out, " default '%s'", c->default_value);
		fputc('\n', out);
	}
}

static void print_steps(FILE *out, const struct plan_steps *s, int depth)
{
	char a[32], b[32];
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_REQUEST) {
			print_request(out, &st->request, depth);
			continue;
		}
		print_indent(out, depth);
		switch (st->kind) {
		case PLAN_STEP_THINK:
			if (st->think.kind == PLAN_THINK_FIXED)
				fprintf(
				    out, "think %s\n",
				    units_fmt_duration(a, sizeof(a), (double)st->think.value_us));
			else if (st->think.kind == PLAN_THINK_UNIFORM)
				fprintf(out, "think %s..%s (uniform)\n",
					units_fmt_duration(a, sizeof(a), (double)st->think.min_us),
					units_fmt_duration(b, sizeof(b), (double)st->think.max_us));
			else
				fprintf(
				    out, "think mean %s (exponential)\n",
				    units_fmt_duration(a, sizeof(a), (double)st->think.mean_us));
			break;
		case PLAN_STEP_TRANSACTION:
			fprintf(out, "transaction %s (tr_%s)\n", st->name, st->name);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_IF:
			fprintf(out, "if %s\n", st->cond);
			print_steps(out, &st->body, depth + 1);
			if (st->else_body.n) {
				print_indent(out, depth);
				fputs("else\n", out);
				print_steps(out, &st->else_body, depth + 1);
			}
			break;
		case PLAN_STEP_REPEAT:
			fprintf(out, "repeat %llu times\n", (unsigned long long)st->count);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_WHILE:
			fprintf(out, "while %s (at most %llu times)\n", st->cond,
				(unsigned long long)st->count);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_FOREACH:
			fprintf(out, "foreach %s in %s\n", st->item_var, st->list_var);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_SET:
			fputs("set", out);
			for (j = 0; j < st->nset; j++)
				fprintf(out, "%s %s = %s", j ? "," : "", st->set[j].name,
					st->set[j].value);
			fputc('\n', out);
			break;
		case PLAN_STEP_ABORT:
			fprintf(out, "abort%s%s\n", st->reason ? " " : "",
				st->reason ? st->reason : "");
			break;
		case PLAN_STEP_REQUEST:
			break;
		}
	}
}

/* Requests one pass through steps sends: repeat multiplies, if takes the larger branch, and
 * while and foreach are counted once per pass (*loops says one was seen). */
static double count_requests(const struct plan_steps *s, bool *loops)
{
	double n = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];
		double a, b;

		switch (st->kind) {
		case PLAN_STEP_REQUEST:
			n += 1;
			break;
		case PLAN_STEP_REPEAT:
			n += (double)st->count * count_requests(&st->body, loops);
			break;
		case PLAN_STEP_IF:
			a = count_requests(&st->body, loops);
			b = count_requests(&st->else_body, loops);
			n += a > b ? a : b;
			break;
		case PLAN_STEP_WHILE:
		case PLAN_STEP_FOREACH:
			*loops = true;
			n += count_requests(&st->body, loops);
			break;
		case PLAN_STEP_TRANSACTION:
			n += count_requests(&st->body, loops);
			break;
		default:
			break;
		}
	}
	return n;
}

void scenario_print_plan(const struct plan *p, FILE *out)
{
	double per_user = 0;
	bool loops = false;
	static const char *const orders[] = {"sequential", "random", "unique"};
	const struct plan_load *l = &p->load;
	char a[32], b[32], c[32];
	double total_w = 0, users = 0, *wts = NULL;
	uint64_t *slots = NULL;
	size_t i;

	for (i = 0; i < p->nsessions; i++)
		total_w += p->sessions[i].weight;
	for (i = 0; i < p->nsessions; i++)
		if (total_w > 0)
			per_user += p->sessions[i].weight / total_w *
				    count_requests(&p->sessions[i].steps, &loops);

	fprintf(out, "scenario %s", p->name ? p->name : "(unnamed)");
	if (p->source)
		fprintf(out, " (%s)", p->source);
	fputc('\n', out);
	fprintf(out, "  target   %s\n", p->target ? p->target : "(none: absolute URLs only)");
	fprintf(out, "  http     HTTP/%s, timeout %s, connect timeout %s, %s",
		p->http.version == 2 ? "2" : "1.1",
		units_fmt_duration(a, sizeof(a), (double)p->http.timeout_us),
		units_fmt_duration(b, sizeof(b), (double)p->http.connect_timeout_us),
		p->http.keepalive ? "keep-alive" : "new connection per request");
	if (!p->http.compression)
		fprintf(out, ", no compression");
	if (p->http.client != PLAN_CLIENT_AUTO)
		fprintf(out, ", client %s", plan_client_name(p->http.client));
	if (p->http.follow_redirects)
		fprintf(out, ", follows %u redirects", p->http.follow_redirects);
	if (p->target && strncmp(p->target, "https:", 6) == 0)
		fprintf(out, ", TLS verify %s", p->http.tls_verify ? "on" : "off");
	fputc('\n', out);
	for (i = 0; i < p->http.nheaders; i++)
		fprintf(out, "           header %s: %s\n", p->http.headers[i].name,
			p->http.headers[i].value);

	fputs("load\n", out);
	switch (l->model) {
	case PLAN_MODEL_OPEN:
		fprintf(out, "  open model: users arrive (Poisson) and run one session each");
		if (l->max_users)
			fprintf(out, "; at most %llu at once", (unsigned long long)l->max_users);
		fputc('\n', out);
		for (i = 0; i < l->nphases; i++) {
			const struct plan_phase *ph = &l->phases[i];
			double secs = (double)ph->duration_us / 1e6;
			double end = ph->ramp_to >= 0 ? ph->ramp_to : ph->arrival_rate;
			double n = (ph->arrival_rate + end) / 2 * secs;

			fprintf(out, "  phase %zu%s%s%s: %s at %s", i + 1, ph->name ? " (" : "",
				ph->name ? ph->name : "", ph->name ? ")" : "",
				units_fmt_duration(a, sizeof(a), (double)ph->duration_us),
				units_fmt_rate(b, sizeof(b), ph->arrival_rate));
			if (ph->ramp_to >= 0)
				fprintf(out, " ramping to %s",
					units_fmt_rate(c, sizeof(c), ph->ramp_to));
			fprintf(out, ", ~%.0f users\n", n);
			users += n;
		}
		fprintf(out, "  total: %s, ~%.0f users and ~%.0f%s requests expected\n",
			units_fmt_duration(a, sizeof(a), (double)plan_load_duration_us(p)), users,
			users * per_user, loops ? "+" : "");
		break;
	case PLAN_MODEL_CLOSED:
		fprintf(out, "  closed model: %llu users at all times for %s",
			(unsigned long long)l->users,
			units_fmt_duration(a, sizeof(a), (double)l->duration_us));
		if (l->ramp_up_us)
			fprintf(out, " (started over %s)",
				units_fmt_duration(b, sizeof(b), (double)l->ramp_up_us));
		fputc('\n', out);
		break;
	case PLAN_MODEL_RATE:
		fprintf(out,
			"  constant rate: %s requests from %llu users for %s, ~%.0f requests\n",
			units_fmt_rate(a, sizeof(a), l->request_rate), (unsigned long long)l->users,
			units_fmt_duration(b, sizeof(b), (double)l->duration_us),
			l->request_rate * (double)l->duration_us / 1e6);
		break;
	}
	fprintf(out, "  grace %s after the load ends\n",
		units_fmt_duration(a, sizeof(a), (double)p->grace_us));

	if (p->ndata) {
		fputs("data\n", out);
		for (i = 0; i < p->ndata; i++) {
			const struct plan_data *d = &p->data[i];
			size_t j;

			fprintf(out, "  %s: %s, %llu rows, order %s, columns", d->name, d->file,
				(unsigned long long)d->rows, orders[d->order]);
			for (j = 0; j < d->ncolumns; j++)
				fprintf(out, "%s %s", j ? "," : "", d->columns[j]);
			fputc('\n', out);
		}
	}
	if (p->nvariables) {
		fputs("variables\n", out);
		for (i = 0; i < p->nvariables; i++)
			fprintf(out, "  %s = %s\n", p->variables[i].name, p->variables[i].value);
	}
	fputs("sessions\n", out);
	/* Closed and rate models: the exact number of user slots each session gets, as the agents
	 * will assign them (common/swrr.h); the open model draws each arrival's session. */
	if (l->model != PLAN_MODEL_OPEN && p->nsessions > 1) {
		wts = calloc(p->nsessions, sizeof(*wts));
		slots = calloc(p->nsessions, sizeof(*slots));
		for (i = 0; wts && i < p->nsessions; i++)
			wts[i] = total_w > 0 ? p->sessions[i].weight : 1;
		if (!wts || !slots || swrr_count(wts, p->nsessions, l->users, slots) < 0) {
			free(slots);
			slots = NULL;
		}
	}
	for (i = 0; i < p->nsessions; i++) {
		bool sl = false;
		double n = count_requests(&p->sessions[i].steps, &sl);

		if (slots)
			fprintf(out, "  %s (weight %g, %llu of %llu users at the start%s",
				p->sessions[i].name, p->sessions[i].weight,
				(unsigned long long)slots[i], (unsigned long long)l->users,
				slots[i] ? "" : ": runs as users take slots over");
		else
			fprintf(out, "  %s (weight %g, %.1f%% of users", p->sessions[i].name,
				p->sessions[i].weight,
				total_w > 0 ? 100 * p->sessions[i].weight / total_w : 100);
		fprintf(out, ", %.0f%s request%s per session)\n", n, sl ? "+" : "",
			n == 1 && !sl ? "" : "s");
		print_steps(out, &p->sessions[i].steps, 0);
	}
	free(wts);
	free(slots);
	if (p->nthresholds) {
		fputs("thresholds\n", out);
		for (i = 0; i < p->nthresholds; i++) {
			fprintf(out, "  %s %s", p->thresholds[i].metric,
				p->thresholds[i].condition);
			if (p->thresholds[i].abort_on_fail)
				fprintf(out, " (aborts the run, after %s)",
					units_fmt_duration(a, sizeof(a),
							   (double)p->thresholds[i].delay_us));
			fputc('\n', out);
		}
	}
	fputs("agents\n", out);
	if (p->agents.nhosts || p->agents.hosts_file) {
		struct plan_host *hs = p->agents.hosts, *own = NULL;
		size_t nh = p->agents.nhosts;
		uint64_t nagents = 0;

		if (p->agents.hosts_file) {
			/* The file as the run reads it: its hosts, how many agents in all. */
			fprintf(out, "  hosts from %s\n", p->agents.hosts_file);
			nh = 0;
			if (hosts_file_read(p->agents.hosts_file, &own, &nh, NULL) == 0)
				hs = own;
		}
		for (i = 0; i < nh; i++) {
			const struct plan_host *h = &hs[i];
			unsigned na = h->agents ? h->agents : 1;

			nagents += na;
			fprintf(out, "  %s%s%s:%d, %u agent%s, weight %g\n", h->user ? h->user : "",
				h->user ? "@" : "", h->host, h->port ? h->port : 22, na,
				na == 1 ? "" : "s", h->weight > 0 ? h->weight : 1);
		}
		fprintf(out, "  %zu host%s, %llu agent%s in all\n", nh, nh == 1 ? "" : "s",
			(unsigned long long)nagents, nagents == 1 ? "" : "s");
		hosts_free(own, nh);
	} else if (p->agents.local)
		fprintf(out, "  %u local agent%s\n", p->agents.local,
			p->agents.local == 1 ? "" : "s");
	else
		fputs("  local agents, one per core\n", out);
	fprintf(out, "  %u worker thread%s per agent; the run stops if more than %u agent%s lost\n",
		p->agents.threads ? p->agents.threads : 1, p->agents.threads > 1 ? "s" : "",
		p->agents.max_lost, p->agents.max_lost == 1 ? " is" : "s are");
	fprintf(out, "  an agent silent for %s is lost (and stops its own load)\n",
		units_fmt_duration(a, sizeof(a), (double)p->agents.link_timeout_us));
	monitor_print_plan(p, out);
	fprintf(out, "report\n  interval %s\n",
		units_fmt_duration(a, sizeof(a), (double)p->interval_us));
}
