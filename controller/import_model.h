/* The scenario that `barrage import` builds before it writes YAML: a small tree of sessions and
 * steps shaped like the scenario reference (docs/scenario-reference.md), plus the comments a
 * person should read. Both importers (import_har.c, import_tsung.c) fill one of these and
 * imp_write() turns it into text, so the quoting rules of YAML live in one place.
 *
 * Every string and list is allocated from the document's arena and freed with it: importers
 * build the tree in one pass and throw it away, and nothing in it outlives imp_doc_free(). */
#ifndef BARRAGE_CONTROLLER_IMPORT_MODEL_H
#define BARRAGE_CONTROLLER_IMPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct imp_strs {
	char **v;
	size_t n, cap;
};

struct imp_pair {
	char *key, *val;
};

struct imp_pairs {
	struct imp_pair *v;
	size_t n, cap;
};

struct imp_capture {
	char *var;
	char *kind; /* json, regex, header, cookie, status */
	char *expr;
	bool all;      /* pick: all */
	char *def;     /* default:, or NULL for none */
	char *comment; /* written on the line above, or NULL */
};

struct imp_captures {
	struct imp_capture *v;
	size_t n, cap;
};

enum imp_kind {
	IMP_REQUEST,
	IMP_THINK,
	IMP_TRANSACTION,
	IMP_IF,
	IMP_WHILE,
	IMP_FOREACH,
	IMP_SET,
	IMP_ABORT,
};

enum imp_body { IMP_BODY_NONE, IMP_BODY_RAW, IMP_BODY_JSON, IMP_BODY_FORM };

struct imp_list {
	struct imp_step **v;
	size_t n, cap;
};

struct imp_step {
	enum imp_kind kind;
	struct imp_strs notes; /* comment lines written above the step */
	/* IMP_REQUEST */
	char *method, *url, *name;
	struct imp_pairs headers;
	enum imp_body body_kind;
	char *body;	       /* RAW: a template; JSON: YAML flow text written as is */
	struct imp_pairs form; /* FORM */
	char *expect_status;   /* written as is: 200, "2xx", [200, 302] */
	char *expect_regex;    /* expect: body: { regex: } */
	char *on_fail;
	struct imp_captures captures;
	/* IMP_THINK: the value written as is (2s, { min: 1s, max: 3s }) */
	char *think;
	/* IMP_TRANSACTION (name), IMP_IF/IMP_WHILE (cond), IMP_FOREACH (list, as) */
	char *cond;
	char *list, *as;
	unsigned long max; /* IMP_WHILE */
	struct imp_list steps, else_steps;
	bool has_else;
	struct imp_pairs set; /* IMP_SET */
	char *reason;	      /* IMP_ABORT */
};

struct imp_session {
	char *name;
	char *weight; /* written as is, or NULL */
	struct imp_strs notes;
	struct imp_list steps;
};

struct imp_doc {
	struct imp_strs header; /* comment lines at the top of the file */
	char *name, *target;
	struct imp_strs target_notes;
	struct imp_pairs http_headers;
	char *http_version;	/* "2", or NULL */
	struct imp_strs phases; /* each written as is: { duration: 10m, arrival_rate: 2/s } */
	struct imp_strs load_notes;
	char *max_users;
	char *users, *duration; /* closed model when phases is empty */
	struct imp_pairs data;	/* name: file */
	struct imp_pairs variables;
	struct imp_strs variable_notes; /* one per variable, parallel to variables; may be NULL */
	struct imp_session *sessions;
	size_t nsessions, sessions_cap;
	struct imp_strs trailer; /* comment lines at the end */
	/* arena */
	void **blocks;
	size_t nblocks, blocks_cap;
};

void imp_doc_init(struct imp_doc *d);
void imp_doc_free(struct imp_doc *d);

/* Allocation from the arena. An import is a one-shot command with bounded input, so running out
 * of memory ends the process with exit code 4 rather than threading NULL through every
 * builder. */
void *imp_alloc(struct imp_doc *d, size_t size);
char *imp_strdup(struct imp_doc *d, const char *s);
char *imp_strndup(struct imp_doc *d, const char *s, size_t n);
char *imp_printf(struct imp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void imp_strs_add(struct imp_doc *d, struct imp_strs *l, char *s);
void imp_note(struct imp_doc *d, struct imp_strs *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imp_pairs_add(struct imp_doc *d, struct imp_pairs *l, const char *key, const char *val);
/* The value of key (case-insensitive), or NULL. */
const char *imp_pairs_get(const struct imp_pairs *l, const char *key);
struct imp_capture *imp_capture_add(struct imp_doc *d, struct imp_step *st, const char *var,
				    const char *kind, const char *expr);
struct imp_step *imp_step_new(struct imp_doc *d, enum imp_kind kind);
void imp_list_add(struct imp_doc *d, struct imp_list *l, struct imp_step *st);
struct imp_session *imp_session_add(struct imp_doc *d, const char *name);

/* A variable name made from any text: letters, digits and _, not starting with a digit, lower
 * case; "value" when nothing is left. */
char *imp_ident(struct imp_doc *d, const char *s);

/* A run name from a file name: its base name without the extension, with anything but
 * letters, digits, '-', '_' and '.' made '-'. */
char *imp_run_name(struct imp_doc *d, const char *path);

/* A duration in seconds written with the largest unit that keeps it exact enough: 2s, 1.5s,
 * 250ms, 10m, 1h. */
char *imp_duration(struct imp_doc *d, double seconds);

/* Append s as a YAML double-quoted scalar. */
int imp_yaml_quote(struct buf *out, const char *s);

/* The whole scenario as YAML text into out. */
int imp_write(const struct imp_doc *d, struct buf *out);

#endif
