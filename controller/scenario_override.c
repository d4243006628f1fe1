/* `--set key=value`: a dotted path into the scenario's YAML tree is replaced (or created) with
 * a scalar before the tree is mapped, so an override is checked exactly like the file. */
#include "controller/scenario_override.h"
#include "controller/scenario_yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "controller/scenario_yaml.h"

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
	struct ynode *n = sc_node_new(sc, YN_SCALAR, &m, origin);

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
/* The override's value as a node (YAML when it parses, else a plain string), named by its
 * origin ("--set KEY=VALUE") in messages. NULL on error (reported). */
static struct ynode *override_value(struct sc *sc, const struct scenario_override *o,
				    const char **originp)
{
	char *origin = NULL;
	struct ynode *val = NULL;
	int before = sc->nerr;
	size_t mark = sc->errs.len;

	if (asprintf(&origin, "--set %s=%s", o->path, o->value) < 0) {
		sc->oom = true;
		return NULL;
	}
	if (sc_push_str(sc, &sc->origins, &sc->norigins, &sc->corigins, origin) != 0) {
		free(origin);
		return NULL;
	}
	free(origin);
	*originp = sc->origins[sc->norigins - 1];
	if (o->value[0] && sc_yaml_build(sc, o->value, strlen(o->value), *originp, &val) == 0 &&
	    val)
		return val;
	/* Not YAML: the value is a plain string; forget the parse problem. */
	sc_node_free(val);
	sc->nerr = before;
	sc->errs.len = mark;
	if (sc->errs.data)
		sc->errs.data[mark] = '\0';
	return scalar_new(sc, o->value, *originp);
}

/* Puts val at the dotted path under *rootp; 0, or -1 after reporting (val is then not in the
 * tree and the caller frees it). */
static int override_place(struct sc *sc, struct ynode **rootp, char *path, const char *origin,
			  struct ynode *val)
{
	struct ynode *cur;
	char *seg;

	if (!*rootp) {
		yaml_mark_t m = {0};

		*rootp = sc_node_new(sc, YN_MAP, &m, origin);
		if (!*rootp)
			return -1;
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
				return -1;
			}
			if (!dot) {
				sc_node_free(cur->kids[k]);
				cur->kids[k] = val;
				break;
			}
			cur = cur->kids[k];
			seg = dot + 1;
			continue;
		}
		if (cur->kind != YN_MAP) {
			sc_err(sc, NULL, 0, "%s: cannot set '%s' inside a scalar", origin, seg);
			return -1;
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
				sc_node_free(next);
				cur->kids[idx] = val;
				break;
			}
			cur = next;
			seg = end + 1;
			continue;
		}
		/* A new key. Under thresholds it is the whole rest (request.p95); elsewhere one
		 * segment, with mappings made on the way. */
		if (dot && cur != sc_map_get(*rootp, "thresholds"))
			*dot = '\0';
		else
			dot = NULL;
		kn = scalar_new(sc, seg, origin);
		if (!kn)
			return -1;
		if (dot) {
			yaml_mark_t m = {0};

			nv = sc_node_new(sc, YN_MAP, &m, origin);
		} else
			nv = val;
		if (!nv || sc_node_add(sc, cur, kn) != 0) {
			sc_node_free(kn);
			if (nv != val)
				sc_node_free(nv);
			return -1;
		}
		if (sc_node_add(sc, cur, nv) != 0) {
			/* kn is in the tree now; keep the mapping even, with an empty value. */
			if (nv != val)
				sc_node_free(nv);
			return -1;
		}
		if (!dot)
			break;
		cur = nv;
		seg = dot + 1;
	}
	return 0;
}

int scenario_override_apply(struct sc *sc, struct ynode **rootp, const struct scenario_override *o)
{
	const char *origin = NULL;
	struct ynode *val;
	char *path;

	if (!o->path || !o->value || !o->path[0]) {
		sc_err(sc, NULL, 0, "--set needs KEY=VALUE");
		return -1;
	}
	val = override_value(sc, o, &origin);
	if (!val)
		return -1;
	path = strdup(o->path);
	if (!path) {
		sc->oom = true;
		sc_node_free(val);
		return -1;
	}
	if (override_place(sc, rootp, path, origin, val) != 0) {
		free(path);
		sc_node_free(val);
		return -1;
	}
	free(path);
	return 0;
}
