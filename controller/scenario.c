/* Reading a scenario: YAML text -> a node tree with positions -> a checked struct plan.
 *
 * libyaml's event parser builds a small tree of scalars, mappings and sequences that keeps
 * each node's line and column, so every later check can point at what the user wrote. The
 * mapper then walks that tree against the scenario language (docs/scenario-reference.md):
 * each mapping's keys are checked against the keys it may hold (an unknown key names the
 * closest valid one), each scalar against its type and unit, and everything that the agent
 * would otherwise only discover under load is done here: templates and expressions are
 * compiled, regexes and JSONPaths too, data files are read, thresholds parsed, variables
 * resolved. Problems are collected (up to a limit) rather than stopping at the first, and
 * reported one per line as FILE:LINE:COL: what is wrong.
 *
 * Aliases are refused: the tree is walked as written, so an alias bomb must not get in. */
#include "controller/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "common/err.h"
#include "common/tmpl.h"
#include "controller/scenario_fields.h"
#include "controller/scenario_override.h"
#include "controller/scenario_scalars.h"
#include "controller/scenario_sections.h"
#include "controller/scenario_steps.h"
#include "controller/scenario_yaml.h"
#include "controller/ssh.h"

/* Load is split across agents (controller/split.c), and every agent needs at least one user
 * (closed and rate models) or a cap of at least one (open model with max_users). With an
 * explicit agent count that is known now, so `barrage check` says so rather than `run`. */
static bool cli_agents;

void scenario_set_cli_agents(bool on)
{
	cli_agents = on;
}

static void check_agent_count(struct sc *sc, const struct ynode *n, const struct plan *p)
{
	const struct plan_agents *ag = &p->agents;
	const struct ynode *at = NULL;
	uint64_t agents = 0;
	size_t i;

	if (cli_agents)
		return;
	if (ag->local) {
		agents = ag->local;
		at = sc_map_key(n, "local");
	} else if (ag->nhosts) {
		for (i = 0; i < ag->nhosts; i++)
			agents += ag->hosts[i].agents;
		at = sc_map_key(n, "hosts");
	} else if (ag->hosts_file) {
		struct plan_host *hs = NULL;
		size_t nh = 0;

		if (hosts_file_read(ag->hosts_file, &hs, &nh, NULL) == 0)
			for (i = 0; i < nh; i++)
				agents += hs[i].agents;
		hosts_free(hs, nh);
		at = sc_map_key(n, "hosts_file");
	}
	if (!agents)
		return;
	if (p->load.model != PLAN_MODEL_OPEN && p->load.users && p->load.users < agents)
		sc_err(sc, at, 0,
		       "%llu agents but load.users is %llu: each agent needs at least one user "
		       "(use fewer agents or more users)",
		       (unsigned long long)agents, (unsigned long long)p->load.users);
	else if (p->load.model == PLAN_MODEL_OPEN && p->load.max_users &&
		 p->load.max_users < agents)
		sc_err(sc, at, 0,
		       "%llu agents but load.max_users is %llu: each agent needs a cap of at least "
		       "one user (use fewer agents or a higher cap)",
		       (unsigned long long)agents, (unsigned long long)p->load.max_users);
}

static void parse_sessions(struct sc *sc, const struct ynode *key, const struct ynode *n,
			   struct plan *p)
{
	static const char *const keys[] = {"name", "weight", "steps", NULL};
	size_t i, j;

	if (sc_want_kind(sc, n, YN_SEQ, "sessions") != 0)
		return;
	if (n->n == 0) {
		sc_err(sc, key, 0, "sessions: the list is empty; a scenario needs at least one");
		return;
	}
	p->sessions = sc_calloc(sc, n->n, sizeof(*p->sessions));
	if (!p->sessions)
		return;
	for (i = 0; i < n->n; i++) {
		const struct ynode *sn = n->kids[i], *v;
		struct plan_session *s = &p->sessions[p->nsessions++];

		s->weight = 1;
		s->pos.line = sn->line;
		s->pos.col = sn->col;
		if (sc_want_kind(sc, sn, YN_MAP, "session") != 0)
			continue;
		sc_check_keys(sc, sn, "session", keys);
		if (!(v = sc_map_get(sn, "name"))) {
			if (!sc_has_typo_of(sn, "name"))
				sc_err(sc, sn, 0, "session needs a name");
		} else if (sc_get_string(sc, v, "session name", true, &s->name) == 0)
			for (j = 0; j < i; j++)
				if (p->sessions[j].name &&
				    strcmp(p->sessions[j].name, s->name) == 0)
					sc_err(sc, v, 0, "session name '%s' is used twice",
					       s->name);
		if ((v = sc_map_get(sn, "weight")) &&
		    sc_get_number(sc, v, "weight", &s->weight) == 0 && s->weight <= 0)
			sc_err(sc, v, 0, "weight must be > 0, got %s", v->str);
		if (!(v = sc_map_get(sn, "steps"))) {
			if (!sc_has_typo_of(sn, "steps"))
				sc_err(sc, sn, 0, "session needs steps:");
		} else
			sc_parse_steps(sc, v, "steps", true, &s->steps);
	}
}

/* Where name is written in node n's text (a whole-word match), to point at it; 0 if unsure. */
static size_t name_off(const struct ynode *n, const char *name)
{
	size_t len = strlen(name);
	const char *p = n->str;

	while (n->str && (p = strstr(p, name))) {
		bool left =
		    p == n->str || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.');
		bool right = !(isalnum((unsigned char)p[len]) || p[len] == '_' || p[len] == '.');

		if (left && right)
			return (size_t)(p - n->str);
		p++;
	}
	return 0;
}

/* After everything is read: every variable a template or condition reads must be defined
 * somewhere (variables, data columns, captures, set, foreach), and foreach must walk a list. */
static void check_uses(struct sc *sc, const struct plan *p)
{
	size_t i, j;

	for (i = 0; i < sc->nuses; i++) {
		const char *name = sc->uses[i].name;
		const char *dot = strchr(name, '.');
		const char *near;
		const char **cands;

		if (sc_str_in(sc->defs, sc->ndefs, name))
			continue;
		if (sc->nerr >= SC_MAX_ERRORS) /* nothing more is reported: spare the search */
			return;
		if (dot && sc->data_unknown)
			continue;
		if (dot) {
			bool known = false;

			for (j = 0; j < p->ndata; j++)
				if (p->data[j].name &&
				    strlen(p->data[j].name) == (size_t)(dot - name) &&
				    strncmp(p->data[j].name, name, (size_t)(dot - name)) == 0)
					known = true;
			if (known) {
				sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
				       "data '%.*s' has no column '%s'", (int)(dot - name), name,
				       dot + 1);
				continue;
			}
		}
		cands = calloc(sc->ndefs + 1, sizeof(*cands));
		if (!cands) {
			sc->oom = true;
			return;
		}
		for (j = 0; j < sc->ndefs; j++)
			cands[j] = sc->defs[j];
		near = sc_closest(name, cands);
		if (near)
			sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
			       "unknown variable '%s'; did you mean '%s'?", name, near);
		else
			sc_err(sc, sc->uses[i].node, name_off(sc->uses[i].node, name),
			       "unknown variable '%s' (not in variables, data, a capture, set or "
			       "foreach)",
			       name);
		free(cands);
	}
}

static void check_foreach(struct sc *sc, const struct plan_steps *s, const struct ynode *root)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_FOREACH && st->list_var &&
		    sc_str_in(sc->defs, sc->ndefs, st->list_var) &&
		    !sc_str_in(sc->lists, sc->nlists, st->list_var)) {
			struct ynode at = {.line = st->pos.line, .col = st->pos.col};

			sc_err(sc, &at, 0,
			       "foreach walks a list; '%s' is never captured with pick: all",
			       st->list_var);
		}
		check_foreach(sc, &st->body, root);
		check_foreach(sc, &st->else_body, root);
	}
}

static void check_target(struct sc *sc, const struct ynode *n, const char *t)
{
	const char *host;

	if (strncmp(t, "http://", 7) == 0)
		host = t + 7;
	else if (strncmp(t, "https://", 8) == 0)
		host = t + 8;
	else {
		sc_err(sc, n, 0, "target must be an http:// or https:// URL, got '%.60s'", t);
		return;
	}
	if (!*host || *host == '/' || *host == ':')
		sc_err(sc, n, 0, "target '%.60s' has no host", t);
}

static bool any_path_url(const struct plan_steps *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_REQUEST && st->request.url && st->request.url[0] == '/')
			return true;
		if (any_path_url(&st->body) || any_path_url(&st->else_body))
			return true;
	}
	return false;
}

static void map_plan(struct sc *sc, const struct ynode *root, struct plan *p)
{
	static const char *const keys[] = {
	    "name",	  "target", "http",   "load",	 "data",   "variables", "sessions",
	    "thresholds", "agents", "report", "monitor", "export", NULL};
	const char *rkeys[8]; /* from the schema: common/plan_schema.c */
	const struct ynode *v, *k;
	size_t i;

	if (sc_want_kind(sc, root, YN_MAP, "scenario") != 0)
		return;
	sc_check_keys(sc, root, "scenario", keys);
	if ((v = sc_map_get(root, "name")) && sc_get_string(sc, v, "name", true, &p->name) == 0) {
		/* The name becomes part of the run directory's path. */
		const char *c;

		for (c = p->name; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
				break;
		if (*c || p->name[0] == '.' || strlen(p->name) > 100)
			sc_err(sc, v, 0,
			       "name '%.60s' may hold only letters, digits, '-', '_' and '.' (it "
			       "names the run directory)",
			       p->name);
	}
	if ((v = sc_map_get(root, "target")) &&
	    sc_get_string(sc, v, "target", true, &p->target) == 0)
		check_target(sc, v, p->target);
	if ((v = sc_map_get(root, "http")))
		sc_parse_http(sc, v, p);
	if (!(v = sc_map_get(root, "load"))) {
		if (!sc_has_typo_of(root, "load"))
			sc_err(sc, NULL, 0,
			       "the scenario has no load: section (phases, users or "
			       "request_rate)");
	} else
		sc_parse_load(sc, sc_map_key(root, "load"), v, p);
	if ((v = sc_map_get(root, "data")))
		sc_parse_data(sc, v, p);
	if ((v = sc_map_get(root, "variables")) &&
	    sc_get_kvs(sc, v, "variable", TMPL_ESCAPE_NONE, true, &p->variables, &p->nvariables) ==
		0)
		for (i = 0; i < p->nvariables; i++)
			if (p->variables[i].name)
				sc_define(sc, p->variables[i].name);
	for (i = 0; i < p->ndata; i++)
		if (p->data[i].name && sc_str_in(sc->defs, sc->ndefs, p->data[i].name)) {
			struct ynode at = {.line = p->data[i].pos.line, .col = p->data[i].pos.col};

			sc_err(sc, &at, 0, "'%s' is both a data file and a variable",
			       p->data[i].name);
		}
	if (!(v = sc_map_get(root, "sessions"))) {
		if (!sc_has_typo_of(root, "sessions"))
			sc_err(sc, NULL, 0, "the scenario has no sessions:");
	} else
		parse_sessions(sc, sc_map_key(root, "sessions"), v, p);
	if ((v = sc_map_get(root, "thresholds")))
		sc_parse_thresholds(sc, v, p);
	if ((v = sc_map_get(root, "agents"))) {
		sc_parse_agents(sc, v, p);
		check_agent_count(sc, v, p);
	}
	if ((v = sc_map_get(root, "monitor")))
		sc_parse_monitor(sc, v, &p->monitor);
	if ((v = sc_map_get(root, "export")) && sc_want_kind(sc, v, YN_MAP, "export") == 0) {
		static const char *const ekeys[] = {"prometheus_rw", NULL};

		sc_check_keys(sc, v, "export", ekeys);
		if ((k = sc_map_get(v, "prometheus_rw")) &&
		    sc_get_string(sc, k, "export prometheus_rw", true, &p->export.prometheus_rw) ==
			0) {
			p->export.pos.line = k->line;
			p->export.pos.col = k->col;
			if (strncmp(p->export.prometheus_rw, "http://", 7) != 0 &&
			    strncmp(p->export.prometheus_rw, "https://", 8) != 0)
				sc_err(sc, k, 0,
				       "export prometheus_rw: expected an http:// or https:// URL "
				       "(e.g. http://127.0.0.1:9090/api/v1/write), got '%.80s'",
				       p->export.prometheus_rw);
		}
	}
	if ((v = sc_map_get(root, "report")) && sc_want_kind(sc, v, YN_MAP, "report") == 0) {
		sc_check_keys(sc, v, "report", sc_field_keys("report", rkeys, 8));
		sc_map_fields(sc, v, "report", p); /* interval */
	}
	for (i = 0; i < p->nsessions; i++)
		check_foreach(sc, &p->sessions[i].steps, root);
	check_uses(sc, p);
	if (!p->target)
		for (i = 0; i < p->nsessions; i++)
			if (any_path_url(&p->sessions[i].steps)) {
				sc_err(sc, NULL, 0,
				       "requests use paths (url: /...) but the scenario has no "
				       "target: (a base URL like http://127.0.0.1:8080)");
				break;
			}
}

/* ---- entry points ---- */

static void sc_free(struct sc *sc)
{
	size_t i;

	buf_free(&sc->errs);
	free(sc->dir);
	for (i = 0; i < sc->norigins; i++)
		free(sc->origins[i]);
	free(sc->origins);
	for (i = 0; i < sc->ndefs; i++)
		free(sc->defs[i]);
	free(sc->defs);
	for (i = 0; i < sc->nuses; i++)
		free(sc->uses[i].name);
	free(sc->uses);
	for (i = 0; i < sc->nlists; i++)
		free(sc->lists[i]);
	free(sc->lists);
	for (i = 0; i < sc->ngroups; i++)
		free(sc->groups[i]);
	free(sc->groups);
}

static int load(const char *name, const char *dir, const char *yaml, size_t len,
		const struct scenario_override *ov, size_t nov, struct plan **out, char **err)
{
	struct sc sc = {.name = name};
	struct ynode *root = NULL;
	struct plan *p = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	buf_init(&sc.errs, 1u << 20);
	sc.dir = strdup(dir);
	if (!sc.dir)
		goto out;
	if (memchr(yaml, '\0', len)) {
		sc_err(&sc, NULL, 0, "the file holds a NUL byte; a scenario is UTF-8 text");
		goto out;
	}
	sc.src = yaml;
	sc.srclen = len;
	if (sc_yaml_build(&sc, yaml, len, NULL, &root) != 0)
		goto out;
	for (i = 0; i < nov; i++)
		scenario_override_apply(&sc, &root, &ov[i]);
	if (sc.nerr)
		goto out;
	if (!root) {
		sc_err(&sc, NULL, 0, "the scenario is empty");
		goto out;
	}
	p = plan_new();
	if (!p) {
		sc.oom = true;
		goto out;
	}
	p->source = strdup(name);
	map_plan(&sc, root, p);
	if (!p->name && !sc.nerr) {
		/* Default name: the file's base name without its extension. */
		const char *base = strrchr(name, '/');
		const char *dotp;

		base = base ? base + 1 : name;
		dotp = strrchr(base, '.');
		p->name =
		    strndup(base, dotp && dotp != base ? (size_t)(dotp - base) : strlen(base));
	}
	if (!sc.nerr && !sc.oom) {
		*out = p;
		p = NULL;
		rc = 0;
	}
out:
	if (sc.oom && !sc.nerr)
		sc_err(&sc, NULL, 0, "out of memory");
	if (rc != 0)
		err_set(err, "%s", sc.errs.data ? sc.errs.data : "scenario error");
	sc_node_free(root);
	plan_free(p);
	sc_free(&sc);
	return rc;
}

int scenario_load_string(const char *name, const char *yaml, size_t len,
			 const struct scenario_override *ov, size_t nov, struct plan **out,
			 char **err)
{
	return load(name, "", yaml, len, ov, nov, out, err);
}

int scenario_load(const char *path, const struct scenario_override *ov, size_t nov,
		  struct plan **out, char **err)
{
	FILE *f = NULL;
	struct buf b;
	char chunk[65536];
	char *dir = NULL, *slash;
	size_t n;
	int rc = -1;

	*out = NULL;
	buf_init(&b, SC_MAX_FILE);
	f = fopen(path, "rb");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) != 0) {
			err_set(err, "%s: larger than %u MiB", path, SC_MAX_FILE >> 20);
			goto out;
		}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir = strdup(path);
	if (!dir) {
		err_set(err, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		dir[0] = '\0';
	rc = load(path, dir, b.data ? b.data : "", b.len, ov, nov, out, err);
out:
	free(dir);
	if (f)
		fclose(f);
	buf_free(&b);
	return rc;
}
