/* The two halves of `barrage import tsung` share this: import_tsung.c reads the document
 * (servers, clients, load, options, sessions) and import_tsung_steps.c a session's steps
 * (requests, captures, matches, thinks, control flow). Private to those two files. */
#ifndef BARRAGE_CONTROLLER_IMPORT_TSUNG_H
#define BARRAGE_CONTROLLER_IMPORT_TSUNG_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/import_model.h"
#include "controller/xml_tree.h"

struct ts {
	struct imp_doc *d;
	const char *path;
	FILE *report;
	char *err;
	size_t unmapped, requests, matches;
	/* option name="thinktime" */
	const char *think_value;
	bool think_random, think_override;
	/* file_server ids and their files */
	struct imp_pairs files;
	/* variables: defined by something, used by a template, listed by foreach */
	struct imp_strs defined, used, lists;
	char *base; /* the session's current server, after an absolute URL */
};

bool tsung_has(const struct imp_strs *l, const char *s);
void tsung_add_once(struct ts *t, struct imp_strs *l, const char *s);
/* Something the scenario cannot say: a comment above the step and a line on stderr. */
void tsung_unmapped(struct ts *t, struct imp_strs *notes, const struct xml_node *n, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
/* An error at n's position (the first one is kept); returns -1. */
int tsung_fail(struct ts *t, const struct xml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool tsung_is_true(const char *s);
/* A number >= 0 with nothing after it. */
bool tsung_parse_num(const char *s, double *v);

/* The steps under parent (a session, transaction, if or loop), appended to out. */
int tsung_steps(struct ts *t, const struct xml_node *parent, struct imp_list *out);
/* Find the lists <foreach> walks, before any capture is built (they need pick: all). */
void tsung_find_lists(struct ts *t, const struct xml_node *n);

#endif
