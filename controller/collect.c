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
#include <getopt.h>
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

static void usage(FILE *to)
{
	fprintf(to,
		"usage: barrage collect RUN_DIR [--known-hosts FILE] [-i KEY]\n"
		"                       [--accept-new-host-keys] [-q]\n"
		"\n"
		"Fetches over SSH the statistics that agents lost during the run (their link was\n"
		"cut) kept on their hosts, adds them to RUN_DIR/stats.log, removes them from the\n"
		"hosts and rebuilds the reports. Exit 0 when every lost agent's statistics were\n"
		"collected, 3 when some host or spool could not be read, 2 on a usage error.\n");
}

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

int collect_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"known-hosts", required_argument, NULL, 'k'},
	    {"identity", required_argument, NULL, 'i'},
	    {"accept-new-host-keys", no_argument, NULL, 'a'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ssh_options opt = {.connect_timeout_ms = 5000, .quiet = true};
	struct lost *v = NULL;
	size_t n = 0, nh = 0, i, k;
	struct plan_host *hosts = NULL;
	struct ssh_result *res = NULL;
	char **cmds = NULL, *err = NULL, path[4096];
	struct buf targets, cmd;
	struct rundir d = {0};
	bool quiet = false;
	int c, rc = 2, bad = 0;

	buf_init(&targets, 0);
	buf_init(&cmd, 0);
	optind = 0;
	while ((c = getopt_long(argc, argv, "i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opt.known_hosts = optarg;
			break;
		case 'i':
			opt.identity = optarg;
			break;
		case 'a':
			opt.accept_new_host_keys = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "barrage: collect: %s\n",
			optind >= argc ? "which run directory?" : "one run directory at a time");
		usage(stderr);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/stats.log", argv[optind]);
	if (read_lost(path, &v, &n, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		goto out;
	}
	/* The SSH targets, each once, as a hosts file the parser checks. */
	for (i = 0, k = 0; i < n; i++) {
		size_t j;

		if (v[i].collected)
			continue;
		for (j = 0; j < i; j++)
			if (!v[j].collected && strcmp(v[j].ssh, v[i].ssh) == 0)
				break;
		if (j < i) {
			v[i].host = v[j].host;
			continue;
		}
		v[i].host = k++;
		buf_printf(&targets, "%s\n", v[i].ssh);
	}
	if (k == 0) {
		if (!quiet)
			printf("%s: no lost agent left statistics to collect\n", argv[optind]);
		rc = 0;
		goto out;
	}
	if (hosts_parse(path, targets.data, targets.len, &hosts, &nh, &err) < 0 || nh != k) {
		fprintf(stderr, "barrage: %s: agent_lost events: %s\n", path,
			err ? err : "bad SSH targets");
		goto out;
	}
	/* Phase 1: read the spools (nothing is removed before stats.log has them). */
	cmds = calloc(nh, sizeof(*cmds));
	res = calloc(nh, sizeof(*res));
	if (!cmds || !res) {
		rc = 4;
		goto out;
	}
	for (i = 0; i < nh; i++) {
		buf_reset(&cmd);
		for (k = 0; k < n; k++)
			if (!v[k].collected && v[k].host == i)
				buf_printf(&cmd, "cat -- '%s' 2>/dev/null; ", v[k].spool);
		buf_append_str(&cmd, "true");
		cmds[i] = buf_steal(&cmd);
		buf_init(&cmd, 0);
	}
	if (ssh_run_on_hosts(hosts, nh, &opt, cmds, res, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		rc = 3;
		goto out;
	}
	d.path = argv[optind];
	d.ended = true;
	d.stats = fopen(path, "a");
	if (!d.stats) {
		fprintf(stderr, "barrage: %s: %s\n", path, strerror(errno));
		rc = 4;
		goto out;
	}
	for (i = 0; i < nh; i++) {
		if (res[i].error) {
			for (k = 0; k < n; k++)
				if (!v[k].collected && v[k].host == i)
					break;
			fprintf(stderr, "barrage: %s: %s\n", k < n ? v[k].ssh : "host",
				res[i].error);
			continue;
		}
		if (take_spools(&d, v, n, (const uint8_t *)res[i].out, res[i].len, &err) < 0) {
			fprintf(stderr, "barrage: spools from host %zu: %s\n", i + 1,
				err ? err : "unreadable");
			free(err);
			err = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		char detail[512];
		json_t *extra;

		if (v[i].collected)
			continue;
		if (!v[i].found) {
			bad++;
			fprintf(stderr, "barrage: agent %s: no spool read from %s:%s%s\n",
				v[i].agent, v[i].ssh, v[i].spool,
				res[v[i].host].error ? " (host failed)" : "");
			continue;
		}
		snprintf(detail, sizeof(detail), "%zu interval%s collected from %s (%s)",
			 json_array_size(v[i].got), json_array_size(v[i].got) == 1 ? "" : "s",
			 v[i].spool,
			 v[i].complete ? "complete: its load ended there"
				       : "incomplete: the bound of what was not counted stays");
		extra = json_object();
		json_object_set(extra, "intervals", v[i].got);
		json_object_set_new(extra, "complete", json_boolean(v[i].complete));
		rundir_write_event_extra(&d, 0, v[i].agent, "spool_collected", detail, extra);
		if (!quiet)
			printf("%s: %s\n", v[i].agent, detail);
	}
	fclose(d.stats);
	d.stats = NULL;
	/* Phase 2: the spools are in stats.log; remove them and the directories they kept. */
	for (i = 0; i < nh; i++) {
		free(cmds[i]);
		buf_reset(&cmd);
		for (k = 0; k < n; k++)
			if (!v[k].collected && v[k].found && v[k].host == i) {
				char *slash = strrchr(v[k].spool, '/');

				buf_printf(&cmd, "rm -f -- '%s'; ", v[k].spool);
				if (slash)
					buf_printf(&cmd, "rmdir -- '%.*s' 2>/dev/null; ",
						   (int)(slash - v[k].spool), v[k].spool);
			}
		buf_append_str(&cmd, "true");
		cmds[i] = buf_steal(&cmd);
		buf_init(&cmd, 0);
	}
	{
		struct ssh_result *r2 = calloc(nh, sizeof(*r2));

		if (r2 && ssh_run_on_hosts(hosts, nh, &opt, cmds, r2, &err) == 0)
			for (i = 0; i < nh; i++) {
				if (r2[i].error)
					fprintf(stderr,
						"barrage: warning: cannot remove the spools: %s\n",
						r2[i].error);
				free(r2[i].out);
				free(r2[i].error);
			}
		free(r2);
	}
	{
		struct reports_result rr;

		memset(&rr, 0, sizeof(rr));
		if (reports_build(argv[optind], quiet, &rr, &err) < 0) {
			fprintf(stderr, "barrage: %s: %s\n", argv[optind],
				err ? err : "reports failed");
			rc = 4;
			goto out;
		}
		if (!quiet)
			(void)reports_print_summary(argv[optind], &err);
	}
	rc = bad ? 3 : 0;
out:
	if (d.stats)
		fclose(d.stats);
	for (i = 0; res && i < nh; i++) {
		free(res[i].out);
		free(res[i].error);
	}
	free(res);
	for (i = 0; cmds && i < nh; i++)
		free(cmds[i]);
	free(cmds);
	hosts_free(hosts, nh);
	lost_free(v, n);
	buf_free(&targets);
	buf_free(&cmd);
	free(err);
	return rc;
}
