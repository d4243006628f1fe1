/* An XML tree built with expat (see xml_tree.h). Why expat, and why these handlers:
 *
 * - Expat never fetches anything by itself: an external DTD or entity is only read when the
 *   program installs an external-entity handler and enables parameter-entity parsing. We do
 *   neither, so `<!DOCTYPE tsung SYSTEM "/usr/share/tsung/tsung-1.0.dtd">` is read as a name and
 *   nothing more.
 * - Internal entities are the other danger (billion laughs: ten entities of ten references each
 *   expand to gigabytes). No Tsung file needs its own entities, so the first <!ENTITY>
 *   declaration stops the parse with an error; expat's own amplification limit stays on as a
 *   second fence. An entity that would have come from an external DTD (a reference expat has to
 *   skip) is an error too, rather than silently missing text.
 * - The file is read whole up to XML_TREE_MAX_FILE, and the tree cannot outgrow a small multiple
 *   of it: elements and depth are capped. */
/* Debian's expat is built with DTD support; declaring it shows the amplification-limit API. */
#define XML_DTD 1
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "controller/xml_tree.h"

struct ctx {
	XML_Parser p;
	const char *name;
	struct xml_node *root, *cur;
	size_t depth, nodes;
	char *err; /* our own reason to stop, with its position */
};

static void stop(struct ctx *c, const char *fmt, const char *arg)
{
	if (!c->err) {
		char msg[512];

		snprintf(msg, sizeof(msg), fmt, arg);
		err_set(&c->err, "%s:%lu:%lu: %s", c->name,
			(unsigned long)XML_GetCurrentLineNumber(c->p),
			(unsigned long)XML_GetCurrentColumnNumber(c->p) + 1, msg);
	}
	XML_StopParser(c->p, XML_FALSE);
}

static void node_free(struct xml_node *n)
{
	while (n) {
		struct xml_node *next = n->next;

		node_free(n->children);
		for (size_t i = 0; i < n->nattrs; i++) {
			free(n->attrs[i].name);
			free(n->attrs[i].value);
		}
		free(n->attrs);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

void xml_free(struct xml_node *root)
{
	node_free(root);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct ctx *c = ud;
	struct xml_node *n;
	size_t na = 0;

	if (++c->depth > XML_TREE_MAX_DEPTH) {
		stop(c, "elements nest deeper than %s levels", "128");
		return;
	}
	if (++c->nodes > XML_TREE_MAX_NODES) {
		stop(c, "more than %s elements", "1000000");
		return;
	}
	if (!c->cur && c->root) {
		stop(c, "a second root element <%s>", name);
		return;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		stop(c, "out of memory%s", "");
		return;
	}
	n->name = strdup(name);
	n->text = strdup("");
	n->line = (unsigned long)XML_GetCurrentLineNumber(c->p);
	n->col = (unsigned long)XML_GetCurrentColumnNumber(c->p) + 1;
	while (atts[2 * na])
		na++;
	n->attrs = calloc(na ? na : 1, sizeof(*n->attrs));
	n->parent = c->cur;
	if (c->cur) {
		if (c->cur->last_child)
			c->cur->last_child->next = n;
		else
			c->cur->children = n;
		c->cur->last_child = n;
	} else {
		c->root = n;
	}
	c->cur = n;
	if (!n->name || !n->text || !n->attrs) {
		stop(c, "out of memory%s", "");
		return;
	}
	for (size_t i = 0; i < na; i++) {
		n->attrs[i].name = strdup(atts[2 * i]);
		n->attrs[i].value = strdup(atts[2 * i + 1]);
		n->nattrs++;
		if (!n->attrs[i].name || !n->attrs[i].value) {
			stop(c, "out of memory%s", "");
			return;
		}
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct ctx *c = ud;

	(void)name;
	c->depth--;
	if (c->cur)
		c->cur = c->cur->parent;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct ctx *c = ud;
	struct xml_node *n = c->cur;
	char *nt;

	if (!n || len <= 0)
		return;
	if (n->text_len + (size_t)len > XML_TREE_MAX_FILE) {
		stop(c, "element text longer than the file limit%s", "");
		return;
	}
	nt = realloc(n->text, n->text_len + (size_t)len + 1);
	if (!nt) {
		stop(c, "out of memory%s", "");
		return;
	}
	memcpy(nt + n->text_len, s, (size_t)len);
	n->text_len += (size_t)len;
	nt[n->text_len] = '\0';
	n->text = nt;
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
				   const XML_Char *value, int value_length, const XML_Char *base,
				   const XML_Char *system_id, const XML_Char *public_id,
				   const XML_Char *notation)
{
	stop(ud, "entity declaration <!ENTITY %s ...> refused: entities are never expanded", name);
}

static void XMLCALL on_skipped(void *ud, const XML_Char *name, int is_param)
{
	stop(ud, "entity '&%s;' is not defined in the file, and external DTDs are never loaded",
	     name);
}

/* Expat drops a reference to an undeclared entity inside an attribute value without a word
 * when the document names an external DTD (it cannot know the DTD would not declare it), and
 * every Tsung file names one. Since no entity is ever declared here, any reference but the five
 * predefined ones and character references is refused up front, outside comments and CDATA;
 * so is any <!ENTITY> declaration (the expat handlers below are the second fence). */
static int undeclared_refs(const char *name, const char *data, size_t len, char **err)
{
	static const char *const predefined[] = {"amp", "lt", "gt", "quot", "apos", NULL};
	unsigned long line = 1, col = 1;

	for (size_t i = 0; i < len; i++, col++) {
		const char *end = NULL;

		if (data[i] == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (data[i] == '<' && len - i >= 4 && memcmp(data + i, "<!--", 4) == 0)
			end = memmem(data + i + 4, len - i - 4, "-->", 3);
		else if (data[i] == '<' && len - i >= 9 && memcmp(data + i, "<![CDATA[", 9) == 0)
			end = memmem(data + i + 9, len - i - 9, "]]>", 3);
		if (end ||
		    (data[i] == '<' && len - i >= 4 &&
		     (memcmp(data + i, "<!--", 4) == 0 || memcmp(data + i, "<![C", 4) == 0))) {
			/* skip the section, counting its lines; an unterminated one is expat's */
			size_t stop = end ? (size_t)(end - data) + 2 : len - 1;

			for (; i < stop; i++, col++)
				if (data[i] == '\n') {
					line++;
					col = 0;
				}
			continue;
		}
		if (data[i] == '<' && len - i > 9 && memcmp(data + i, "<!ENTITY", 8) == 0) {
			size_t a = i + 8, b;

			while (a < len && isspace((unsigned char)data[a]))
				a++;
			for (b = a; b < len && b - a < 64 && !isspace((unsigned char)data[b]); b++)
				;
			return err_set(err,
				       "%s:%lu:%lu: entity declaration <!ENTITY %.*s ...> "
				       "refused: entities are never expanded",
				       name, line, col, (int)(b - a), data + a);
		}
		if (data[i] == '&' && i + 1 < len && data[i + 1] != '#') {
			size_t j = i + 1;
			bool known = false;

			while (j < len && j - i < 64 && data[j] != ';' && data[j] != '&' &&
			       data[j] != '<' && data[j] != '"' && data[j] != '\'' &&
			       !isspace((unsigned char)data[j]))
				j++;
			if (j >= len || data[j] != ';')
				continue; /* not a reference: expat reports the bad '&' */
			for (size_t k = 0; predefined[k]; k++)
				known =
				    known || (j - i - 1 == strlen(predefined[k]) &&
					      memcmp(data + i + 1, predefined[k], j - i - 1) == 0);
			if (!known)
				return err_set(err,
					       "%s:%lu:%lu: entity '&%.*s;' is not defined in "
					       "the file, and external DTDs are never loaded",
					       name, line, col, (int)(j - i - 1), data + i + 1);
		}
	}
	return 0;
}

int xml_parse_mem(const char *name, const char *data, size_t len, struct xml_node **root,
		  char **err)
{
	struct ctx c = {.name = name};
	int rc = -1;

	*root = NULL;
	if (len > XML_TREE_MAX_FILE)
		return err_set(err, "%s: larger than %zu MiB", name, XML_TREE_MAX_FILE >> 20);
	if (undeclared_refs(name, data, len, err) < 0)
		return -1;
	c.p = XML_ParserCreate("UTF-8");
	if (!c.p)
		return err_set(err, "%s: out of memory", name);
	XML_SetUserData(c.p, &c);
	XML_SetElementHandler(c.p, on_start, on_end);
	XML_SetCharacterDataHandler(c.p, on_text);
	XML_SetEntityDeclHandler(c.p, on_entity_decl);
	XML_SetSkippedEntityHandler(c.p, on_skipped);
	XML_SetParamEntityParsing(c.p, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(c.p, 10.0f);
#endif
	if (XML_Parse(c.p, data, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (c.err) {
			if (err) {
				free(*err);
				*err = c.err;
				c.err = NULL;
			}
		} else {
			err_set(err, "%s:%lu:%lu: not well-formed XML: %s", name,
				(unsigned long)XML_GetErrorLineNumber(c.p),
				(unsigned long)XML_GetErrorColumnNumber(c.p) + 1,
				XML_ErrorString(XML_GetErrorCode(c.p)));
		}
		goto out;
	}
	if (!c.root) {
		err_set(err, "%s: no root element", name);
		goto out;
	}
	*root = c.root;
	c.root = NULL;
	rc = 0;
out:
	free(c.err);
	node_free(c.root);
	XML_ParserFree(c.p);
	return rc;
}

int xml_parse_file(const char *path, struct xml_node **root, char **err)
{
	struct buf b;
	char chunk[65536];
	FILE *f;
	size_t n;
	int rc = -1;

	*root = NULL;
	buf_init(&b, XML_TREE_MAX_FILE);
	f = fopen(path, "rb");
	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&b, chunk, n) < 0) {
			err_set(err, "%s: larger than %zu MiB; not a Tsung configuration", path,
				XML_TREE_MAX_FILE >> 20);
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = xml_parse_mem(path, b.data ? b.data : "", b.len, root, err);
out:
	fclose(f);
	buf_free(&b);
	return rc;
}

const char *xml_attr(const struct xml_node *n, const char *name)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	for (const struct xml_node *k = n->children; k; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}
