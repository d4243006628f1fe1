/* A small read-only XML tree for importers (Tsung configurations), built with expat and
 * refusing what makes XML dangerous to read: no entity is ever declared, so none is expanded
 * (a billion-laughs file is an error at its first <!ENTITY>), no external DTD or entity is ever
 * loaded, and the file, the nesting depth, the number of elements and attributes are bounded.
 * Every element keeps its line and column for error messages. */
#ifndef BARRAGE_CONTROLLER_XML_TREE_H
#define BARRAGE_CONTROLLER_XML_TREE_H

#include <stddef.h>

#define XML_TREE_MAX_FILE  ((size_t)16 << 20) /* bytes */
#define XML_TREE_MAX_DEPTH 128
#define XML_TREE_MAX_NODES 1000000

struct xml_attr {
	char *name, *value;
};

struct xml_node {
	char *name;
	unsigned long line, col; /* 1-based, of the start tag */
	struct xml_attr *attrs;
	size_t nattrs;
	char *text; /* the element's own character data, concatenated; "" when none */
	size_t text_len;
	struct xml_node *parent, *children, *last_child, *next;
};

/* Parse FILE. On error returns -1 with *err "FILE:LINE:COL: what is wrong". The tree belongs to
 * the caller (xml_free). */
int xml_parse_file(const char *path, struct xml_node **root, char **err);
/* The same from memory; `name` stands in for the file name in messages. */
int xml_parse_mem(const char *name, const char *data, size_t len, struct xml_node **root,
		  char **err);
void xml_free(struct xml_node *root);

/* The attribute's value, or NULL. */
const char *xml_attr(const struct xml_node *n, const char *name);
/* The first child element of that name, or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);

#endif
