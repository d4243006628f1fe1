/* The JSONPath subset captures use: `$`, `.name`, `['name']`, `[n]` (negative counts from the
 * end), `[*]` and `.*`. Compiled once; evaluated on a parsed response (jansson) and every match
 * is handed to a callback as text (strings as their value, other JSON as compact JSON). */
#ifndef BARRAGE_AGENT_JPATH_H
#define BARRAGE_AGENT_JPATH_H

#include <stddef.h>

struct jpath;

int jpath_compile(const char *src, struct jpath **out, char **err);
void jpath_free(void *p);
/* Calls fn for each match in document order, stopping when fn returns non-zero. Returns the
 * number of matches seen. root is a json_t *. */
size_t jpath_eval(const struct jpath *p, void *root,
		  int (*fn)(void *arg, const char *text, size_t len), void *arg);

#endif
