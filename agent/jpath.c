/* JSONPath subset for captures (see jpath.h). */
#include "agent/jpath.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

enum seg_kind { SEG_FIELD, SEG_INDEX, SEG_ALL };

struct seg {
	enum seg_kind kind;
	char *name;
	long index;
};

struct jpath {
	struct seg *segs;
	size_t n;
};

void jpath_free(void *v)
{
	struct jpath *p = v;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->segs[i].name);
	free(p->segs);
	free(p);
}

int jpath_compile(const char *src, struct jpath **out, char **err)
{
	struct jpath *p = calloc(1, sizeof(*p));
	size_t len = strlen(src), i = 1;

	*out = NULL;
	if (!p)
		return err_set(err, "out of memory");
	p->segs = calloc(len + 1, sizeof(*p->segs));
	if (!p->segs)
		goto nomem;
	if (len == 0 || src[0] != '$') {
		err_set(err, "'%s' must start with $", src);
		goto fail;
	}
	while (i < len) {
		struct seg *s = &p->segs[p->n];

		if (src[i] == '.') {
			size_t j = ++i;

			if (i < len && src[i] == '*') {
				s->kind = SEG_ALL;
				i++;
				p->n++;
				continue;
			}
			while (j < len && src[j] != '.' && src[j] != '[')
				j++;
			if (j == i) {
				err_set(err, "'%s': empty name at offset %zu", src, i);
				goto fail;
			}
			s->kind = SEG_FIELD;
			s->name = strndup(src + i, j - i);
			if (!s->name)
				goto nomem;
			i = j;
		} else if (src[i] == '[') {
			size_t j;

			i++;
			if (i < len && (src[i] == '\'' || src[i] == '"')) {
				char q = src[i++];

				for (j = i; j < len && src[j] != q; j++)
					;
				if (j + 1 >= len || src[j + 1] != ']') {
					err_set(err, "'%s': unterminated name at offset %zu", src, i);
					goto fail;
				}
				s->kind = SEG_FIELD;
				s->name = strndup(src + i, j - i);
				if (!s->name)
					goto nomem;
				i = j + 2;
			} else if (i < len && src[i] == '*') {
				if (i + 1 >= len || src[i + 1] != ']') {
					err_set(err, "'%s': expected ] at offset %zu", src, i + 1);
					goto fail;
				}
				s->kind = SEG_ALL;
				i += 2;
			} else {
				char *end;
				long v = strtol(src + i, &end, 10);

				if (end == src + i || *end != ']') {
					err_set(err, "'%s': expected an index, '*' or a quoted name at offset %zu",
						src, i);
					goto fail;
				}
				s->kind = SEG_INDEX;
				s->index = v;
				i = (size_t)(end - src) + 1;
			}
		} else {
			err_set(err, "'%s': unexpected '%c' at offset %zu", src, src[i], i);
			goto fail;
		}
		p->n++;
	}
	*out = p;
	return 0;
nomem:
	err_set(err, "out of memory");
fail:
	jpath_free(p);
	return -1;
}

struct walk {
	const struct jpath *p;
	int (*fn)(void *arg, const char *text, size_t len);
	void *arg;
	size_t count;
	int stop;
};

static void emit(struct walk *w, json_t *v)
{
	char num[64];
	int n;

	w->count++;
	switch (json_typeof(v)) {
	case JSON_STRING:
		w->stop = w->fn(w->arg, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		w->stop = w->fn(w->arg, num, (size_t)n);
		return;
	case JSON_REAL:
		n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		w->stop = w->fn(w->arg, num, (size_t)n);
		return;
	case JSON_TRUE:
		w->stop = w->fn(w->arg, "true", 4);
		return;
	case JSON_FALSE:
		w->stop = w->fn(w->arg, "false", 5);
		return;
	case JSON_NULL:
		w->stop = w->fn(w->arg, "null", 4);
		return;
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		if (s) {
			w->stop = w->fn(w->arg, s, strlen(s));
			free(s);
		}
	}
	}
}

static void walk(struct walk *w, json_t *v, size_t k)
{
	const struct seg *s;

	if (w->stop || !v)
		return;
	if (k == w->p->n) {
		emit(w, v);
		return;
	}
	s = &w->p->segs[k];
	switch (s->kind) {
	case SEG_FIELD:
		if (json_is_object(v))
			walk(w, json_object_get(v, s->name), k + 1);
		return;
	case SEG_INDEX:
		if (json_is_array(v)) {
			long n = (long)json_array_size(v), i = s->index < 0 ? n + s->index : s->index;

			if (i >= 0 && i < n)
				walk(w, json_array_get(v, (size_t)i), k + 1);
		}
		return;
	case SEG_ALL:
		if (json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v) && !w->stop; i++)
				walk(w, json_array_get(v, i), k + 1);
		} else if (json_is_object(v)) {
			const char *key;
			json_t *val;

			json_object_foreach(v, key, val)
			{
				if (w->stop)
					break;
				walk(w, val, k + 1);
			}
		}
		return;
	}
}

size_t jpath_eval(const struct jpath *p, void *root,
		  int (*fn)(void *arg, const char *text, size_t len), void *arg)
{
	struct walk w = {.p = p, .fn = fn, .arg = arg};

	walk(&w, root, 0);
	return w.count;
}
