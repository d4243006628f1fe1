/* `barrage import tsung`: a Tsung 1.7/1.8 configuration (tsung-1.0.dtd) to a scenario.
 *
 * What maps, and how (docs/import.md has the table):
 *   <servers><server>            target (the first; others are noted)
 *   <clients maxusers>           load.max_users (the sum over clients)
 *   <arrivalphase><users>        load.phases (interarrival or arrivalrate, with units)
 *   <session probability>        sessions with weight (probability 0 sessions are noted)
 *   <request><http>              request: url, method, contents, content_type, headers
 *   subst="true" %%_var%%        {{ var }}
 *   <thinktime>                  think (fixed, exponential when random, uniform min/max)
 *   <transaction>                transaction
 *   <dyn_variable>               capture (re, jsonpath, header; xpath approximated by a regex),
 *                                with default "" because Tsung goes on when nothing matched
 *   <setdynvars>                 set with random_int/random_string/user_id/uuid, or data:
 *   <if> <repeat> <for> <foreach> if, while (with the Tsung bound), foreach
 *   <match>                      expect body regex with on_fail, or capture + if + abort
 * This file reads the document; import_tsung_steps.c the steps of a session.
 * Everything else is written as a comment naming the element and its line, and reported on
 * stderr, so nothing in the Tsung file disappears silently. A session of another protocol is an
 * error naming the protocol and the line: a half-imported load test is worse than none. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "controller/import.h"
#include "controller/import_tsung.h"
#include "controller/xml_tree.h"

bool tsung_has(const struct imp_strs *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void tsung_add_once(struct ts *t, struct imp_strs *l, const char *s)
{
	if (!tsung_has(l, s))
		imp_strs_add(t->d, l, imp_strdup(t->d, s));
}

/* Something the scenario cannot say: a comment above the step and a line on stderr. */
void tsung_unmapped(struct ts *t, struct imp_strs *notes, const struct xml_node *n, const char *fmt,
		    ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imp_note(t->d, notes, "not mapped: line %lu: %s", n->line, msg);
	fprintf(t->report, "barrage: import: %s:%lu: not mapped: %s\n", t->path, n->line, msg);
	t->unmapped++;
}

int tsung_fail(struct ts *t, const struct xml_node *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!t->err)
		err_set(&t->err, "%s:%lu:%lu: %s", t->path, n->line, n->col, msg);
	return -1;
}

bool tsung_is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

bool tsung_parse_num(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return errno == 0 && *end == '\0' && isfinite(*v) && *v >= 0;
}

static double unit_s(const char *u)
{
	if (!u || strcmp(u, "second") == 0)
		return 1;
	if (strcmp(u, "minute") == 0)
		return 60;
	if (strcmp(u, "hour") == 0)
		return 3600;
	if (strcmp(u, "millisecond") == 0)
		return 0.001;
	return -1;
}

static char *rate_text(struct imp_doc *d, double per_s)
{
	if (per_s >= 1)
		return imp_printf(d, "%.6g/s", per_s);
	if (per_s * 60 >= 1)
		return imp_printf(d, "%.6g/m", per_s * 60);
	return imp_printf(d, "%.6g/h", per_s * 3600);
}

static const char *protocol(const char *type)
{
	if (!type)
		return "http";
	return strncmp(type, "ts_", 3) == 0 ? type + 3 : type;
}

static int servers(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *s = n->children; s; s = s->next) {
		const char *host = xml_attr(s, "host"), *port = xml_attr(s, "port");
		const char *type = xml_attr(s, "type");
		bool tls = type && (strcmp(type, "ssl") == 0 || strcmp(type, "tls") == 0);
		char *url;

		if (strcmp(s->name, "server") != 0)
			continue;
		if (!host)
			return tsung_fail(t, s, "<server> without a host");
		if (type && !tls && strcmp(type, "tcp") != 0) {
			imp_note(t->d, &t->d->target_notes,
				 "line %lu: server type '%s' read as plain HTTP", s->line, type);
		}
		if (!port || strcmp(port, tls ? "443" : "80") == 0)
			url = imp_printf(t->d, "%s://%s", tls ? "https" : "http", host);
		else
			url = imp_printf(t->d, "%s://%s:%s", tls ? "https" : "http", host, port);
		if (!t->d->target)
			t->d->target = url;
		else
			tsung_unmapped(
			    t, &t->d->target_notes, s,
			    "another server %s (Tsung picks one per user; barrage has one target)",
			    url);
	}
	return 0;
}

static int load(struct ts *t, const struct xml_node *n)
{
	const char *loop = xml_attr(n, "loop");
	double loops = 0;
	size_t first = t->d->phases.n;

	if (loop && (!tsung_parse_num(loop, &loops) || loops > 100))
		return tsung_fail(t, n, "<load loop=\"%s\">: expected a number up to 100", loop);
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, "loop") != 0)
			tsung_unmapped(t, &t->d->load_notes, n, "<load %s=\"%s\">",
				       n->attrs[i].name, n->attrs[i].value);
	for (const struct xml_node *p = n->children; p; p = p->next) {
		const char *dur = xml_attr(p, "duration"), *unit = xml_attr(p, "unit");
		const struct xml_node *u = xml_child(p, "users");
		double d, us = unit_s(unit), per_s = 0, v;

		if (strcmp(p->name, "arrivalphase") != 0) {
			tsung_unmapped(t, &t->d->load_notes, p, "<%s> (static users)", p->name);
			continue;
		}
		if (!tsung_parse_num(dur, &d) || d <= 0 || us < 0)
			return tsung_fail(
			    t, p,
			    "<arrivalphase>: expected duration=\"N\" and unit=\"second|"
			    "minute|hour\"");
		if (!u)
			return tsung_fail(t, p, "<arrivalphase> without <users>");
		{
			double uu = unit_s(xml_attr(u, "unit"));
			const char *ia = xml_attr(u, "interarrival"),
				   *ar = xml_attr(u, "arrivalrate");

			if (uu < 0)
				return tsung_fail(
				    t, u, "<users unit=\"%s\">: expected second, minute or hour",
				    xml_attr(u, "unit"));
			if (ia && tsung_parse_num(ia, &v) && v > 0)
				per_s = 1.0 / (v * uu);
			else if (ar && tsung_parse_num(ar, &v) && v > 0)
				per_s = v / uu;
			else
				return tsung_fail(
				    t, u, "<users>: expected interarrival or arrivalrate > 0");
		}
		imp_strs_add(t->d, &t->d->phases,
			     imp_printf(t->d,
					"{ duration: %s, arrival_rate: %s, name: \"phase-%s\" }",
					imp_duration(t->d, d * us), rate_text(t->d, per_s),
					xml_attr(p, "phase") ? xml_attr(p, "phase") : "1"));
		if (xml_attr(u, "maxnumber"))
			tsung_unmapped(
			    t, &t->d->load_notes, u,
			    "phase %s: at most %s users in the phase (barrage caps users with "
			    "max_users over the whole run)",
			    xml_attr(p, "phase") ? xml_attr(p, "phase") : "?",
			    xml_attr(u, "maxnumber"));
		for (const struct xml_node *k = p->children; k; k = k->next)
			if (strcmp(k->name, "users") != 0)
				tsung_unmapped(t, &t->d->load_notes, k,
					       "<%s name=\"%s\"> in a phase", k->name,
					       xml_attr(k, "name") ? xml_attr(k, "name") : "");
	}
	if (loops >= 1) {
		size_t n0 = t->d->phases.n;

		imp_note(t->d, &t->d->load_notes,
			 "line %lu: <load loop=\"%s\">: the phases are "
			 "written %.0f more times",
			 n->line, loop, loops);
		for (double l = 0; l < loops; l++)
			for (size_t i = first; i < n0; i++)
				imp_strs_add(t->d, &t->d->phases, t->d->phases.v[i]);
	}
	return 0;
}

static void options(struct ts *t, const struct xml_node *n)
{
	for (const struct xml_node *o = n->children; o; o = o->next) {
		const char *name = xml_attr(o, "name");

		if (strcmp(o->name, "option") != 0 || !name) {
			tsung_unmapped(t, &t->d->load_notes, o, "<%s> in <options>", o->name);
			continue;
		}
		if (strcmp(name, "thinktime") == 0) {
			t->think_value = xml_attr(o, "value");
			t->think_random = tsung_is_true(xml_attr(o, "random"));
			t->think_override = tsung_is_true(xml_attr(o, "override"));
		} else if (strcmp(name, "user_agent") == 0) {
			const struct xml_node *ua = xml_child(o, "user_agent");
			char *v;
			size_t len;

			if (!ua)
				continue;
			v = imp_strdup(t->d, ua->text);
			while (isspace((unsigned char)*v))
				v++;
			len = strlen(v);
			while (len && isspace((unsigned char)v[len - 1]))
				v[--len] = '\0';
			imp_pairs_add(t->d, &t->d->http_headers, "User-Agent", v);
			if (ua->next)
				tsung_unmapped(
				    t, &t->d->load_notes, o,
				    "several user agents with probabilities: the first is sent");
		} else if (strcmp(name, "file_server") == 0) {
			const char *id = xml_attr(o, "id"), *file = xml_attr(o, "value");
			char *dir, *full;

			if (!file)
				continue;
			id = id ? id : "default";
			imp_pairs_add(t->d, &t->files, id, file);
			dir = imp_strdup(t->d, t->path);
			full = file[0] == '/' ? imp_strdup(t->d, file)
					      : imp_printf(t->d, "%s/%s", dirname(dir), file);
			if (access(full, R_OK) == 0) {
				/* Absolute: the scenario may be written to another folder, and data
				 * paths are read relative to the scenario. */
				char *abs = realpath(full, NULL);

				if (abs) {
					full = imp_strdup(t->d, abs);
					free(abs);
				}
				imp_pairs_add(t->d, &t->d->data, imp_ident(t->d, id), full);
				imp_note(
				    t->d, &t->d->load_notes,
				    "line %lu: data '%s' is Tsung's file_server %s: barrage reads "
				    "CSV with a header row naming the columns (the <var> names) "
				    "and "
				    "commas between fields",
				    o->line, imp_ident(t->d, id), file);
			}
		} else {
			tsung_unmapped(t, &t->d->load_notes, o, "<option name=\"%s\">", name);
		}
	}
}

/* Variables a template uses but nothing in the file sets start empty, with a note. */
static void undefined_vars(struct ts *t)
{
	for (size_t i = 0; i < t->used.n; i++) {
		const char *v = t->used.v[i];

		if (tsung_has(&t->defined, v) || strchr(v, '.'))
			continue;
		imp_pairs_add(t->d, &t->d->variables, v, "");
		while (t->d->variable_notes.n + 1 < t->d->variables.n)
			imp_strs_add(t->d, &t->d->variable_notes, NULL);
		imp_note(t->d, &t->d->variable_notes,
			 "nothing in the Tsung file sets '%s' before it is used: decide its value",
			 v);
		fprintf(t->report, "barrage: import: %s: variable '%s' is used but never set\n",
			t->path, v);
	}
}

/* <clients>: max_users is the sum of the clients' maxusers; the rest is not mapped. */
static void clients(struct ts *t, const struct xml_node *n)
{
	struct imp_doc *d = t->d;
	unsigned long total = 0;
	bool any = false;

	for (const struct xml_node *c = n->children; c; c = c->next) {
		double v;

		if (tsung_parse_num(xml_attr(c, "maxusers"), &v)) {
			total += (unsigned long)v;
			any = true;
		}
		for (const struct xml_node *ip = c->children; ip; ip = ip->next)
			tsung_unmapped(t, &d->load_notes, ip, "<%s value=\"%s\"> on client %s",
				       ip->name, xml_attr(ip, "value") ? xml_attr(ip, "value") : "",
				       xml_attr(c, "host") ? xml_attr(c, "host") : "");
	}
	if (any && total) {
		d->max_users = imp_printf(d, "%lu", total);
		imp_note(d, &d->load_notes,
			 "line %lu: max_users is the sum of the clients' maxusers", n->line);
	}
}

/* One <session> as a scenario session (left out when its probability is 0 or it has no step
 * barrage can run). */
static int session(struct ts *t, const struct xml_node *s)
{
	struct imp_doc *d = t->d;
	const char *name = xml_attr(s, "name"), *prob = xml_attr(s, "probability");
	struct imp_session *is;
	double p = 1;

	if (prob && (!tsung_parse_num(prob, &p)))
		return tsung_fail(t, s, "<session probability=\"%s\">: expected a number", prob);
	if (p == 0) {
		tsung_unmapped(t, &d->trailer, s,
			       "session '%s' has probability 0 (Tsung starts it "
			       "only from <session_setup> or <user>): left out",
			       name ? name : "");
		return 0;
	}
	is = imp_session_add(d, name ? name : "session");
	for (size_t i = 0, k = 2; i + 1 < d->nsessions; i++)
		if (strcmp(d->sessions[i].name, is->name) == 0) {
			is->name = imp_printf(d, "%s-%zu", name ? name : "session", k++);
			imp_note(d, &is->notes,
				 "line %lu: renamed: another session is "
				 "also called '%s'",
				 s->line, name ? name : "session");
			i = (size_t)-1;
		}
	is->weight = imp_printf(d, "%g", p);
	t->base = NULL;
	if (tsung_steps(t, s, &is->steps) < 0)
		return -1;
	if (!is->steps.n) {
		tsung_unmapped(t, &d->trailer, s,
			       "session '%s' has no step barrage can run: left out", is->name);
		d->nsessions--;
	}
	return 0;
}

/* The conversion proper; takes the tree (and frees it). */
static int tsung_tree(const char *path, struct xml_node *root, struct imp_doc *d, FILE *report,
		      char **err)
{
	struct ts t = {.d = d, .path = path, .report = report};
	const struct xml_node *sessions;
	int rc = -1;

	if (strcmp(root->name, "tsung") != 0) {
		err_set(err,
			"%s:%lu:%lu: not a Tsung configuration: the root element is <%s>, "
			"expected <tsung>",
			path, root->line, root->col, root->name);
		goto out;
	}
	imp_note(d, &d->header, "Imported from the Tsung configuration %s by barrage import tsung.",
		 path);
	imp_note(d, &d->header,
		 "Lines starting 'not mapped' name what the scenario could not say.");
	d->name = imp_run_name(d, path);
	tsung_find_lists(&t, root);
	sessions = xml_child(root, "sessions");
	if (!sessions) {
		err_set(err, "%s:%lu:%lu: no <sessions> in this Tsung configuration", path,
			root->line, root->col);
		goto out;
	}
	/* Protocols first: a non-HTTP file is refused before anything else is said about it. */
	for (const struct xml_node *s = sessions->children; s; s = s->next) {
		const char *type = xml_attr(s, "type");

		if (strcmp(s->name, "session") == 0 && type && strcmp(type, "ts_http") != 0) {
			err_set(err,
				"%s:%lu:%lu: protocol %s is not supported: barrage imports HTTP "
				"sessions only (session '%s' has type=\"%s\")",
				path, s->line, s->col, protocol(type),
				xml_attr(s, "name") ? xml_attr(s, "name") : "", type);
			goto out;
		}
	}
	for (const struct xml_node *n = root->children; n; n = n->next) {
		if (strcmp(n->name, "servers") == 0) {
			if (servers(&t, n) < 0)
				goto fail;
		} else if (strcmp(n->name, "clients") == 0) {
			clients(&t, n);
		} else if (strcmp(n->name, "load") == 0) {
			if (load(&t, n) < 0)
				goto fail;
		} else if (strcmp(n->name, "options") == 0) {
			options(&t, n);
		} else if (strcmp(n->name, "monitoring") == 0) {
			tsung_unmapped(&t, &d->load_notes, n,
				       "<monitoring> (see monitor: in barrage)");
		} else if (strcmp(n->name, "sessions") != 0) {
			tsung_unmapped(&t, &d->load_notes, n, "<%s>", n->name);
		}
	}
	for (const struct xml_node *s = sessions->children; s; s = s->next) {
		if (strcmp(s->name, "session") == 0 && session(&t, s) < 0)
			goto fail;
	}
	if (!d->nsessions) {
		err_set(err, "%s:%lu:%lu: no HTTP session to import", path, sessions->line,
			sessions->col);
		goto out;
	}
	if (!d->target)
		imp_note(d, &d->target_notes,
			 "no <servers> in the Tsung file: set target yourself");
	if (!d->phases.n)
		imp_note(d, &d->load_notes, "no <load> in the Tsung file: one user for a minute");
	undefined_vars(&t);
	fprintf(report,
		"barrage: import: %s: %zu session%s, %zu request%s, %zu thing%s not mapped\n", path,
		d->nsessions, d->nsessions == 1 ? "" : "s", t.requests, t.requests == 1 ? "" : "s",
		t.unmapped, t.unmapped == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	if (err) {
		free(*err);
		*err = t.err;
		t.err = NULL;
	}
out:
	free(t.err);
	xml_free(root);
	return rc;
}

int import_tsung(const char *path, struct imp_doc *d, FILE *report, char **err)
{
	struct xml_node *root = NULL;

	if (xml_parse_file(path, &root, err) < 0)
		return -1;
	return tsung_tree(path, root, d, report, err);
}

int import_tsung_mem(const char *name, const char *data, size_t len, struct imp_doc *d,
		     FILE *report, char **err)
{
	struct xml_node *root = NULL;

	if (xml_parse_mem(name, data, len, &root, err) < 0)
		return -1;
	return tsung_tree(name, root, d, report, err);
}
