/* The scenario loader's internals, shared by controller/scenario*.c only: the YAML node tree
 * with positions, the loader's state (struct sc: errors, names defined and read), error
 * reporting against a node, and key checks with closest-key suggestions. Symbols carry the
 * loader's prefix sc_. */
#ifndef BARRAGE_CONTROLLER_SCENARIO_YAML_H
#define BARRAGE_CONTROLLER_SCENARIO_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "common/buf.h"

#define SC_MAX_FILE   (16u << 20)
#define SC_MAX_DEPTH  64
#define SC_MAX_NODES  1000000
#define SC_MAX_ERRORS 20

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

void sc_node_free(struct ynode *n);

const char *sc_kind_word(const struct ynode *n);

void sc_err(struct sc *sc, const struct ynode *n, size_t col_off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

char *sc_strdup(struct sc *sc, const char *s);

void *sc_calloc(struct sc *sc, size_t n, size_t size);

int sc_push_str(struct sc *sc, char ***v, size_t *n, size_t *cap, const char *s);

bool sc_str_in(char *const *v, size_t n, const char *s);

struct ynode *sc_node_new(struct sc *sc, enum ynode_kind kind, const yaml_mark_t *m,
			  const char *origin);

int sc_node_add(struct sc *sc, struct ynode *parent, struct ynode *kid);

/* Parse text into a tree. Returns 0 with *out (NULL for an empty document) or -1 after
 * recording the problem. */
int sc_yaml_build(struct sc *sc, const char *text, size_t len, const char *origin,
		  struct ynode **out);

/* The closest of names to s, or NULL when none is close enough to be a likely typo. */
const char *sc_closest(const char *s, const char *const *names);

void sc_list_names(struct buf *b, const char *const *names);

/* Check that mapping m holds only keys from valid. Returns the number of unknown keys. */
int sc_check_keys(struct sc *sc, const struct ynode *m, const char *where,
		  const char *const *valid);

const struct ynode *sc_map_get(const struct ynode *m, const char *key);

const struct ynode *sc_map_key(const struct ynode *m, const char *key);

/* True when mapping m holds an unknown key that looks like a typo of key: its "missing key"
 * error would only repeat the unknown-key one. */
bool sc_has_typo_of(const struct ynode *m, const char *key);

#endif
