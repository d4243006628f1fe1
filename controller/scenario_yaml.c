/* The scenario loader's YAML tree and its diagnostics: libyaml's events become a small tree of
 * scalars, mappings and sequences that keeps each node's line and column; errors are collected
 * against those positions (FILE:LINE:COL: what), and an unknown key names the closest valid
 * one. Aliases are refused: the tree is walked as written, so an alias bomb must not get in. */
#include "controller/scenario_yaml.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/threshold.h"

void sc_node_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		sc_node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

const char *sc_kind_word(const struct ynode *n)
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
void sc_err(struct sc *sc, const struct ynode *n, size_t col_off, const char *fmt, ...)
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

char *sc_strdup(struct sc *sc, const char *s)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		sc->oom = true;
	return c;
}

void *sc_calloc(struct sc *sc, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		sc->oom = true;
	return p;
}

int sc_push_str(struct sc *sc, char ***v, size_t *n, size_t *cap, const char *s)
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

bool sc_str_in(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* ---- building the tree ---- */

struct ynode *sc_node_new(struct sc *sc, enum ynode_kind kind, const yaml_mark_t *m,
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

int sc_node_add(struct sc *sc, struct ynode *parent, struct ynode *kid)
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
/* libyaml's parse error at its mark (or, for encoding problems, at its byte offset). */
static void parse_error(struct sc *sc, const yaml_parser_t *parser, const char *text, size_t len,
			const char *origin)
{
	struct ynode at = {.line = (int)parser->problem_mark.line + 1,
			   .col = (int)parser->problem_mark.column + 1,
			   .origin = origin};

	if (parser->error == YAML_READER_ERROR && parser->problem_offset <= len) {
		size_t i;

		at.line = at.col = 1;
		for (i = 0; i < parser->problem_offset; i++) {
			at.col++;
			if (text[i] == '\n') {
				at.line++;
				at.col = 1;
			}
		}
	}
	sc_err(sc, &at, 0, "invalid YAML: %s%s%s",
	       parser->problem ? parser->problem : "syntax error", parser->context ? " " : "",
	       parser->context ? parser->context : "");
}

/* A scalar event as a node: its text, whether it is plain (typed by its look), quoted (the
 * text starts one column in) or a block (its lines are found in the source). */
static struct ynode *scalar_node(struct sc *sc, const yaml_event_t *ev, const yaml_mark_t *mark,
				 const char *origin)
{
	struct ynode *n = sc_node_new(sc, YN_SCALAR, mark, origin);

	if (!n)
		return NULL;
	n->len = ev->data.scalar.length;
	n->str = malloc(n->len + 1);
	if (!n->str) {
		sc->oom = true;
		free(n);
		return NULL;
	}
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
	if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		n->qoff = 1;
	n->multiline = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		       ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
	return n;
}

/* Puts node n under the open collection at the top of the stack (or as the root), and opens
 * it when it is a collection. -1 after reporting (n is freed unless it is in the tree). */
static int attach(struct sc *sc, struct ynode **stack, int *depth, struct ynode **root,
		  struct ynode *n)
{
	if (*depth == 0) {
		if (*root) { /* cannot happen in one document; be safe */
			sc_node_free(n);
			return -1;
		}
		*root = n;
	} else {
		struct ynode *parent = stack[*depth - 1];

		if (parent->kind == YN_MAP && parent->n % 2 == 0 && n->kind != YN_SCALAR) {
			sc_err(sc, n, 0, "a key must be a plain string, not %s", sc_kind_word(n));
			sc_node_free(n);
			return -1;
		}
		if (sc_node_add(sc, parent, n) != 0) {
			sc_node_free(n);
			return -1;
		}
	}
	if (n->kind != YN_SCALAR) {
		if (*depth == SC_MAX_DEPTH) {
			sc_err(sc, n, 0, "nested deeper than %d levels", SC_MAX_DEPTH);
			return -1;
		}
		stack[(*depth)++] = n;
	}
	return 0;
}

int sc_yaml_build(struct sc *sc, const char *text, size_t len, const char *origin,
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
			parse_error(sc, &parser, text, len, origin);
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
			n = scalar_node(sc, &ev, &mark, origin);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = sc_node_new(sc, ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP,
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
			if (attach(sc, stack, &depth, &root, n) != 0) {
				yaml_event_delete(&ev);
				goto out;
			}
		}
		yaml_event_delete(&ev);
	}
	*out = root;
	root = NULL;
	rc = 0;
out:
	sc_node_free(root);
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
const char *sc_closest(const char *s, const char *const *names)
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

void sc_list_names(struct buf *b, const char *const *names)
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
	near = sc_closest(key->str, valid);

	if (near) {
		sc_err(sc, key, 0, "unknown key '%s' in %s; did you mean '%s'?", key->str, where,
		       near);
		return;
	}
	buf_init(&b, 4096);
	sc_list_names(&b, valid);
	sc_err(sc, key, 0, "unknown key '%s' in %s (valid keys: %s)", key->str, where,
	       b.data ? b.data : "");
	buf_free(&b);
}

/* Check that mapping m holds only keys from valid. Returns the number of unknown keys. */
int sc_check_keys(struct sc *sc, const struct ynode *m, const char *where, const char *const *valid)
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

const struct ynode *sc_map_get(const struct ynode *m, const char *key)
{
	size_t i;

	if (!m || m->kind != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

const struct ynode *sc_map_key(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i];
	return NULL;
}

/* True when mapping m holds an unknown key that looks like a typo of key: its "missing key"
 * error would only repeat the unknown-key one. */
bool sc_has_typo_of(const struct ynode *m, const char *key)
{
	const char *one[2] = {key, NULL};
	size_t i;

	for (i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, key) != 0 && sc_closest(m->kids[i]->str, one))
			return true;
	return false;
}
