/* Opening the agents' links (controller/link.h): local barrage-agent processes, or the SSH
 * fleet (controller/ssh.h) with its preflight, the upload of data and TLS files (the agents'
 * plans then point at the uploaded copies) and one agent process per slot. Hosts that fail the
 * preflight are left out when agents.max_lost allows it, and the load is split again over the
 * others. */
#include "controller/run_links.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "controller/local.h"
#include "controller/merge.h"
#include "controller/rundir.h"
#include "controller/run_protocol.h"
#include "controller/run_stats.h"
#include "controller/ssh.h"

static int rewrite_remote_paths(struct run *r, struct run_agent *a, char **err)
{
	struct plan *p = a->plan;
	char **paths[4] = {&p->http.tls_ca, &p->http.tls_cert, &p->http.tls_key, NULL};
	size_t i;

	for (i = 0; i < p->ndata; i++) {
		const char *rp = ssh_fleet_remote_path(r->fleet, a->host_index, p->data[i].file);
		char *dup;

		if (!rp)
			return err_set(err, "data file %s was not uploaded to %s", p->data[i].file,
				       a->host);
		dup = strdup(rp);
		if (!dup)
			return err_set(err, "out of memory");
		free(p->data[i].file);
		p->data[i].file = dup;
	}
	for (i = 0; paths[i]; i++) {
		const char *rp;
		char *dup;

		if (!*paths[i])
			continue;
		rp = ssh_fleet_remote_path(r->fleet, a->host_index, *paths[i]);
		if (!rp)
			return err_set(err, "file %s was not uploaded to %s", *paths[i], a->host);
		dup = strdup(rp);
		if (!dup)
			return err_set(err, "out of memory");
		free(*paths[i]);
		*paths[i] = dup;
	}
	return 0;
}

/* Hosts that failed their preflight (allow_failed) count against agents.max_lost: too many,
 * and the run does not start; else their agents are left out and the load is split again over
 * the others, which the user is told plainly (and stats.log records). */
static int drop_failed_hosts(struct run *r, const struct plan_host *hosts, size_t nhosts,
			     char **err)
{
	struct buf msg;
	size_t i, k, nfailed = 0, lost = 0, before = r->n;
	struct split_agent *sa = NULL;
	struct plan **plans = NULL;
	int rc = -1;

	buf_init(&msg, 1 << 20);
	for (i = 0; i < nhosts; i++) {
		const char *e = ssh_fleet_host_error(r->fleet, i);

		if (!e)
			continue;
		nfailed++;
		for (k = 0; k < r->n; k++)
			lost += r->agents[k].host_index == i;
		if (hosts[i].port && hosts[i].port != 22)
			buf_printf(&msg, "\n  %s%s%s:%d: %s", hosts[i].user ? hosts[i].user : "",
				   hosts[i].user ? "@" : "", hosts[i].host, hosts[i].port, e);
		else
			buf_printf(&msg, "\n  %s%s%s: %s", hosts[i].user ? hosts[i].user : "",
				   hosts[i].user ? "@" : "", hosts[i].host, e);
	}
	if (nfailed == 0) {
		rc = 0;
		goto out;
	}
	if (lost > r->plan->agents.max_lost || lost >= r->n) {
		err_set(err,
			"SSH: %zu of %zu host%s could not be prepared (%zu agent%s, more than "
			"agents.max_lost %u):%s",
			nfailed, nhosts, nhosts == 1 ? "" : "s", lost, lost == 1 ? "" : "s",
			r->plan->agents.max_lost, msg.data);
		goto out;
	}
	for (i = 0, k = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		if (ssh_fleet_host_error(r->fleet, a->host_index)) {
			wire_reader_free(&a->rd);
			plan_free(a->plan);
			free(a->id);
			free(a->host);
			continue;
		}
		r->agents[k] = *a;
		r->agents[k].index = k;
		r->agents[k].sa.id = r->agents[k].id;
		r->agents[k].sa.host = r->agents[k].host;
		k++;
	}
	r->n = k;
	r->nleft_out = (unsigned)lost;
	/* The merger was made for every agent: make it again for the ones that run. */
	merge_free(r->merge);
	r->merge = merge_new(r->n, run_stats_on_merged, r);
	sa = calloc(r->n, sizeof(*sa));
	if (!r->merge || !sa) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		sa[i] = r->agents[i].sa;
		plan_free(r->agents[i].plan);
		r->agents[i].plan = NULL;
	}
	if (split_plan(r->plan, sa, r->n, &plans, err) < 0)
		goto out;
	for (i = 0; i < r->n; i++)
		r->agents[i].plan = plans[i];
	if (rundir_write_plan(r->dir, r->plan, plans, sa, r->n, err) < 0)
		goto out;
	free(r->preflight_note);
	if (asprintf(&r->preflight_note,
		     "%zu of %zu host%s failed the preflight and %s left out (%zu of %zu agents, "
		     "agents.max_lost %u): the load is split again over the other %zu agent%s, "
		     "which now do all of it:%s",
		     nfailed, nhosts, nhosts == 1 ? "" : "s", nfailed == 1 ? "is" : "are", lost,
		     before, r->plan->agents.max_lost, r->n, r->n == 1 ? "" : "s", msg.data) < 0)
		r->preflight_note = NULL;
	fprintf(stderr, "barrage: warning: %s\n",
		r->preflight_note ? r->preflight_note : "hosts left out");
	rc = 0;
out:
	free(plans);
	free(sa);
	buf_free(&msg);
	return rc;
}

int run_links_open(struct run *r, char **err)
{
	const struct plan_host *hosts = r->own_hosts ? r->own_hosts : r->plan->agents.hosts;
	size_t nhosts = r->nhosts, i;

	if (nhosts > 0) {
		struct ssh_options so;
		const char *files[64];
		size_t nfiles = 0;
		const struct plan *p = r->plan;

		memset(&so, 0, sizeof(so));
		so.known_hosts = r->o->known_hosts;
		so.identity = r->o->identity;
		so.accept_new_host_keys = r->o->accept_new_host_keys;
		so.push_agent = r->o->push_agent;
		so.remote_agent = r->o->remote_agent;
		so.keep_remote = r->o->keep_remote;
		so.connect_timeout_ms = 5000;
		/* The SSH transport gives up a little after the run would: the run's own verdict,
		 * with its reason, comes first. */
		so.dead_after_ms = (int)(r->plan->agents.link_timeout_us / 1000) + 1000;
		so.quiet = r->o->quiet;
		for (i = 0; i < p->ndata && nfiles < 60; i++)
			files[nfiles++] = p->data[i].file;
		if (p->http.tls_ca)
			files[nfiles++] = p->http.tls_ca;
		if (p->http.tls_cert)
			files[nfiles++] = p->http.tls_cert;
		if (p->http.tls_key)
			files[nfiles++] = p->http.tls_key;
		so.allow_failed = r->plan->agents.max_lost > 0;
		if (ssh_fleet_open(r->base, hosts, nhosts, &so, files, nfiles, &r->fleet, err) < 0)
			return -1;
		if (drop_failed_hosts(r, hosts, nhosts, err) < 0)
			return -1;
		for (i = 0; i < r->n; i++) {
			struct run_agent *a = &r->agents[i];

			if (rewrite_remote_paths(r, a, err) < 0)
				return -1;
			if (ssh_fleet_start_agent(r->fleet, a->host_index, a->slot, &a->link, err) <
			    0)
				return err_prefix(err, "agent %s", a->id);
		}
	} else {
		char path[PATH_MAX];

		if (local_agent_path(path, sizeof(path), err) < 0)
			return -1;
		for (i = 0; i < r->n; i++)
			if (local_agent_start(r->base, path, r->agents[i].id, &r->agents[i].link,
					      err) < 0)
				return -1;
	}
	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];

		a->link->on_data = run_protocol_on_data;
		a->link->on_close = run_protocol_on_close;
		a->link->on_log = run_protocol_on_log;
		a->link->arg = a;
		a->log = rundir_agent_log(r->dir, a->id);
		if (!a->log)
			return err_set(err, "%s/agents: cannot create the log of agent %s",
				       r->dir->path, a->id);
		if (nhosts == 0)
			run_agent_log(a, "started barrage-agent, pid %ld",
				      (long)local_agent_pid(a->link));
	}
	return 0;
}
