/* Correlation for `barrage import har`: which values in a recorded session the server made up
 * (tokens, session ids, CSRF tokens, fresh object ids), so the scenario can capture them from
 * the live response instead of replaying stale ones.
 *
 * Responses are indexed once: every JSON leaf (a string, or an integer of 6 digits or more)
 * with its JSONPath, every header value, every cookie, every token-like word of a text body.
 * Requests are then split into words (corr_words) and looked up (corr_find). A word is worth
 * correlating when it is at least CORR_MIN_TOKEN long with a digit, or CORR_LONG_TOKEN long:
 * long enough that a match is no accident. Indexing first keeps the import linear in the size
 * of the file; at most CORR_MAX_VALUES values are indexed, so memory stays bounded too. */
#ifndef BARRAGE_CONTROLLER_IMPORT_CORRELATE_H
#define BARRAGE_CONTROLLER_IMPORT_CORRELATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "controller/import_model.h"

#define CORR_MIN_TOKEN	6
#define CORR_LONG_TOKEN 16
#define CORR_MAX_TOKEN	4096
#define CORR_MAX_VALUES 1000000

/* How a value can be captured, best first: when one response holds a value several ways, the
 * lowest wins. */
enum corr_src { CORR_JSON = 1, CORR_HEADER, CORR_COOKIE, CORR_TEXT };

struct corr_val {
	const char *s; /* the arena, or inside the HAR's text (not NUL-terminated there) */
	size_t len;
	const char *text; /* CORR_TEXT: the body it was found in, and where */
	size_t at;
	int entry;	   /* the first response that held it */
	enum corr_src src; /* how it can be captured from there */
	const char *where; /* JSON path, header name, cookie name, or (after corr_describe) regex */
	const char *name;  /* a variable name suggested by where it was found */
	int sent_before;   /* the first request that sent it (INT32_MAX: none); set by the caller */
	char *var;	   /* the capture's variable once correlated; set by the caller */
	size_t uses;
};

/* Values live in the document's arena; the table is the index's own (corr_free). */
struct corr_index {
	struct imp_doc *d;
	struct corr_val **slot;
	size_t cap, n;
	bool full; /* CORR_MAX_VALUES reached: later values were not indexed */
};

void corr_init(struct corr_index *x, struct imp_doc *d);
void corr_free(struct corr_index *x);

/* Index a header or cookie value (s, where and name are copied). */
void corr_add(struct corr_index *x, int entry, const char *s, size_t n, enum corr_src src,
	      const char *where, const char *name);
/* Index every leaf of a parsed JSON body with its path. */
void corr_add_json(struct corr_index *x, int entry, const json_t *j);
/* Index the token-like words of a body; `text` must outlive the index (the words point into
 * it, and their regex is made by corr_describe only if they are ever correlated). */
void corr_add_text(struct corr_index *x, int entry, const char *text);

struct corr_val *corr_find(const struct corr_index *x, const char *s, size_t n);

/* For a value found in text: its capture regex (the literal text before it, then the word)
 * and a name (the form field or key before it). Other values already have both. */
void corr_describe(struct imp_doc *d, struct corr_val *v);
/* The capture kind for a source: json, header, cookie or regex. */
const char *corr_kind(enum corr_src src);

/* Looks generated even if nothing explains it: long, letters and digits mixed. */
bool corr_looks_dynamic(const char *s, size_t n);

/* Call fn for each word of s: runs of letters, digits and _-.~+=; '/' splits words (path
 * segments are words), and name=value gives both name and value. */
typedef void (*corr_word_fn)(void *ctx, const char *s, size_t n);
void corr_words(const char *s, corr_word_fn fn, void *ctx);

#endif
