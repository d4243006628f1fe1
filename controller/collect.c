/* `barrage collect RUN_DIR`: fetch what lost agents could not send.
 *
 * An agent whose link is lost stops its load and keeps its spool (every STATS frame it made,
 * and DONE if it finished: agent/link.c) in its run directory on its host; the controller's
 * agent_lost event says where ("spool") and through which SSH target ("ssh"), and which
 * intervals miss its statistics ("missing"). Later, when the host can be reached again, this
 * command reads those spools over SSH, appends the intervals that were missing to stats.log as
 * "late" records (readers add them to their interval), records a spool_collected event (so the
 * report no longer counts the agent's requests as uncounted when the spool is complete),
 * removes the spools and what is left of the directories, and rebuilds the reports.
 *
 * Running it twice is harmless: agents already collected are skipped. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/stats.h"
#include "common/wire.h"
#include "controller/collect.h"
#include "controller/rundir.h"
#include "controller/ssh.h"
#include "reports/reports.h"

struct lost {
	char *agent, *ssh, *spool;
	size_t *missing; /* interval indexes */
	size_t nmissing;
	size_t host;	/* index into the unique SSH targets */
	bool collected; /* an earlier collect did it */
	/* what this collect found */
	bool found, complete;
	json_t *got; /* interval indexes appended */
};

static void lost_free(struct lost *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].agent);
		free(l[i].ssh);
		free(l[i].spool);
		free(l[i].missing);
		json_decref(l[i].got);
	}
	free(l);
}

/* The agent_lost events that name a spool, minus the agents a spool_collected event covers. */
static int read_lost(const char *path, struct lost **out, size_t *nout, char **err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	struct lost *v = NULL;
	int rc = -1;

	*out = NULL;
	*nout = 0;
	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL), *m, *e;
		const char *what, *agent;
		size_t k;

		if (!j)
			continue;
		what = json_string_value(json_object_get(j, "what"));
		agent = json_string_value(json_object_get(j, "agent"));
		if (!what || !agent || !json_is_string(json_object_get(j, "type")) ||
		    strcmp(json_string_value(json_object_get(j, "type")), "event") != 0) {
			json_decref(j);
			continue;
		}
		if (strcmp(what, "spool_collected") == 0) {
			for (k = 0; k < n; k++)
				if (strcmp(v[k].agent, agent) == 0)
					v[k].collected = true;
		} else if (strcmp(what, "agent_lost") == 0 &&
			   json_is_string(json_object_get(j, "spool")) &&
			   json_is_string(json_object_get(j, "ssh")) &&
			   /* quoted with '...' for the remote shell: mktemp never makes a quote */
			   !strchr(json_string_value(json_object_get(j, "spool")), '\'')) {
			struct lost *nv = realloc(v, (n + 1) * sizeof(*nv));

			if (!nv) {
				json_decref(j);
				err_set(err, "out of memory");
				goto out;
			}
			v = nv;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].agent = strdup(agent);
			v[n].ssh = strdup(json_string_value(json_object_get(j, "ssh")));
			v[n].spool = strdup(json_string_value(json_object_get(j, "spool")));
			m = json_object_get(j, "missing");
			v[n].missing = calloc(json_array_size(m) + 1, sizeof(size_t));
			json_array_foreach(m, k, e) if (json_is_integer(e) &&
							json_integer_value(e) >= 0) v[n]
			    .missing[v[n].nmissing++] = (size_t)json_integer_value(e);
			v[n].got = json_array();
			n++;
			if (!v[n - 1].agent || !v[n - 1].ssh || !v[n - 1].spool ||
			    !v[n - 1].missing) {
				json_decref(j);
				err_set(err, "out of memory");
				goto out;
			}
		}
		json_decref(j);
	}
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
	rc = 0;
out:
	lost_free(v, n);
	free(line);
	fclose(f);
	return rc;
}

static struct lost *lost_by_agent(struct lost *v, size_t n, const char *agent)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i].collected && strcmp(v[i].agent, agent) == 0)
			return &v[i];
	return NULL;
}

/* Was interval i missing for this agent (or after its last missing one: the interval in which
 * its load stopped may end a little after the controller gave up on it)? */
static bool wanted(const struct lost *l, uint32_t i)
{
	size_t max = 0;

	for (size_t k = 0; k < l->nmissing; k++) {
		if (l->missing[k] == i)
			return true;
		if (l->missing[k] > max)
			max = l->missing[k];
	}
	return l->nmissing > 0 && i > max;
}

/* One host's spools, concatenated: STATS frames (each names its agent in its health entry)
 * and a DONE after an agent's last one when it finished. */
static int take_spools(struct rundir *d, struct lost *v, size_t n, const uint8_t *data, size_t len,
		       char **err)
{
	struct wire_reader rd;
	struct lost *cur = NULL;
	const uint8_t *p;
	size_t plen;
	int type, rc;

	wire_reader_init(&rd);
	if (wire_reader_feed(&rd, data, len) < 0) {
		wire_reader_free(&rd);
		return err_set(err, "spool too large");
	}
	while ((rc = wire_reader_next(&rd, &type, &p, &plen, err)) == 1) {
		struct stats_snapshot *s;

		if (type == WIRE_DONE) {
			if (cur)
				cur->complete = true;
			continue;
		}
		if (type != WIRE_STATS)
			continue;
		s = stats_new();
		if (!s || stats_decode(p, plen, s, err) < 0) {
			stats_free(s);
			rc = -1;
			break;
		}
		cur = s->nhealth ? lost_by_agent(v, n, s->health[0].agent) : NULL;
		if (cur) {
			cur->found = true;
			if (wanted(cur, s->interval)) {
				if (rundir_write_interval(d, s, true, err) < 0) {
					stats_free(s);
					rc = -1;
					break;
				}
				json_array_append_new(cur->got, json_integer(s->interval));
			}
		}
		stats_free(s);
	}
	wire_reader_free(&rd);
	/* A spool cut in the middle of a frame (the agent was killed while writing) still gives
	 * the frames before the cut. */
	return rc < 0 ? -1 : 0;
}

struct collect {
	const char *run_dir;
	char path[4096]; /* RUN_DIR/stats.log */
	const struct ssh_options *opt;
	bool quiet;
	struct lost *v;
	size_t n;
	struct plan_host *hosts; /* the SSH targets, each once */
	size_t nh;
	char **cmds;
	struct ssh_result *res;
};

/* The SSH targets of the lost agents, each once, as a hosts file the parser checks. Returns
 * how many, or -1 with *err. */
static int collect_targets(struct collect *c, char **err)
{
	struct buf targets;
	size_t i, j, k = 0;
	int rc = -1;

	buf_init(&targets, 0);
	for (i = 0; i < c->n; i++) {
		struct lost *l = &c->v[i];

		if (l->collected)
			continue;
		for (j = 0; j < i; j++)
			if (!c->v[j].collected && strcmp(c->v[j].ssh, l->ssh) == 0)
				break;
		if (j < i) {
			l->host = c->v[j].host;
			continue;
		}
		l->host = k++;
		buf_printf(&targets, "%s\n", l->ssh);
	}
	if (k == 0) {
		rc = 0;
		goto out;
	}
	if (hosts_parse(c->path, targets.data, targets.len, &c->hosts, &c->nh, err) < 0 ||
	    c->nh != k)
		goto out;
	rc = (int)k;
out:
	buf_free(&targets);
	return rc;
}

/* One command per host: read every spool (remove = false), or remove the spools collected and
 * the directories they kept. */
static void spool_commands(struct collect *c, bool remove)
{
	struct buf cmd;

	for (size_t i = 0; i < c->nh; i++) {
		free(c->cmds[i]);
		buf_init(&cmd, 0);
		for (size_t k = 0; k < c->n; k++) {
			const struct lost *l = &c->v[k];
			const char *slash = strrchr(l->spool, '/');

			if (l->collected || l->host != i || (remove && !l->found))
				continue;
			if (!remove) {
				buf_printf(&cmd, "cat -- '%s' 2>/dev/null; ", l->spool);
				continue;
			}
			buf_printf(&cmd, "rm -f -- '%s'; ", l->spool);
			if (slash)
				buf_printf(&cmd, "rmdir -- '%.*s' 2>/dev/null; ",
					   (int)(slash - l->spool), l->spool);
		}
		buf_append_str(&cmd, "true");
		c->cmds[i] = buf_steal(&cmd);
	}
}

/* A spool_collected event per agent whose spool was read; the ones not found are counted. */
static int record_collected(struct collect *c, struct rundir *d)
{
	int bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct lost *l = &c->v[i];
		char detail[512];
		json_t *extra;

		if (l->collected)
			continue;
		if (!l->found) {
			bad++;
			fprintf(stderr, "barrage: agent %s: no spool read from %s:%s%s\n", l->agent,
				l->ssh, l->spool, c->res[l->host].error ? " (host failed)" : "");
			continue;
		}
		snprintf(detail, sizeof(detail), "%zu interval%s collected from %s (%s)",
			 json_array_size(l->got), json_array_size(l->got) == 1 ? "" : "s", l->spool,
			 l->complete ? "complete: its load ended there"
				     : "incomplete: the bound of what was not counted stays");
		extra = json_object();
		json_object_set(extra, "intervals", l->got);
		json_object_set_new(extra, "complete", json_boolean(l->complete));
		rundir_write_event_extra(d, 0, l->agent, "spool_collected", detail, extra);
		if (!c->quiet)
			printf("%s: %s\n", l->agent, detail);
	}
	return bad;
}

/* Phase 1: read the spools and append what was missing to stats.log (nothing is removed
 * before stats.log has it). Returns the number of agents whose spool was not read, or -1 after
 * a message (*rc is then the exit code). */
static int collect_spools(struct collect *c, int *rc)
{
	struct rundir d = {0};
	char *err = NULL;
	int bad;

	if (ssh_run_on_hosts(c->hosts, c->nh, c->opt, c->cmds, c->res, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
		*rc = 3;
		return -1;
	}
	d.path = (char *)c->run_dir; /* not freed: no rundir_close */
	d.ended = true;
	d.stats = fopen(c->path, "a");
	if (!d.stats) {
		fprintf(stderr, "barrage: %s: %s\n", c->path, strerror(errno));
		*rc = 4;
		return -1;
	}
	for (size_t i = 0; i < c->nh; i++) {
		size_t k;

		if (c->res[i].error) {
			for (k = 0; k < c->n; k++)
				if (!c->v[k].collected && c->v[k].host == i)
					break;
			fprintf(stderr, "barrage: %s: %s\n", k < c->n ? c->v[k].ssh : "host",
				c->res[i].error);
			continue;
		}
		if (take_spools(&d, c->v, c->n, (const uint8_t *)c->res[i].out, c->res[i].len,
				&err) < 0) {
			fprintf(stderr, "barrage: spools from host %zu: %s\n", i + 1,
				err ? err : "unreadable");
			free(err);
			err = NULL;
		}
	}
	bad = record_collected(c, &d);
	fclose(d.stats);
	return bad;
}

/* Phase 2: the spools are in stats.log; remove them and the directories they kept. */
static void remove_spools(struct collect *c)
{
	struct ssh_result *r2 = calloc(c->nh, sizeof(*r2));
	char *err = NULL;

	spool_commands(c, true);
	if (r2 && ssh_run_on_hosts(c->hosts, c->nh, c->opt, c->cmds, r2, &err) == 0)
		for (size_t i = 0; i < c->nh; i++) {
			if (r2[i].error)
				fprintf(stderr, "barrage: warning: cannot remove the spools: %s\n",
					r2[i].error);
			free(r2[i].out);
			free(r2[i].error);
		}
	free(err);
	free(r2);
}

int collect_run(const char *run_dir, const struct ssh_options *opt, bool quiet)
{
	struct collect c = {.run_dir = run_dir, .opt = opt, .quiet = quiet};
	struct reports_result rr;
	char *err = NULL;
	int rc = 2, bad, k;

	snprintf(c.path, sizeof(c.path), "%s/stats.log", run_dir);
	if (read_lost(c.path, &c.v, &c.n, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		goto out;
	}
	k = collect_targets(&c, &err);
	if (k < 0) {
		fprintf(stderr, "barrage: %s: agent_lost events: %s\n", c.path,
			err ? err : "bad SSH targets");
		goto out;
	}
	if (k == 0) {
		if (!quiet)
			printf("%s: no lost agent left statistics to collect\n", run_dir);
		rc = 0;
		goto out;
	}
	c.cmds = calloc(c.nh, sizeof(*c.cmds));
	c.res = calloc(c.nh, sizeof(*c.res));
	if (!c.cmds || !c.res) {
		rc = 4;
		goto out;
	}
	spool_commands(&c, false);
	bad = collect_spools(&c, &rc);
	if (bad < 0)
		goto out;
	remove_spools(&c);
	memset(&rr, 0, sizeof(rr));
	if (reports_build(run_dir, quiet, &rr, &err) < 0) {
		fprintf(stderr, "barrage: %s: %s\n", run_dir, err ? err : "reports failed");
		rc = 4;
		goto out;
	}
	if (!quiet)
		(void)reports_print_summary(run_dir, &err);
	rc = bad ? 3 : 0;
out:
	for (size_t i = 0; c.res && i < c.nh; i++) {
		free(c.res[i].out);
		free(c.res[i].error);
	}
	free(c.res);
	for (size_t i = 0; c.cmds && i < c.nh; i++)
		free(c.cmds[i]);
	free(c.cmds);
	hosts_free(c.hosts, c.nh);
	lost_free(c.v, c.n);
	free(err);
	return rc;
}
