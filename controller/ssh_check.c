/* `barrage hosts check` and `barrage hosts clean` as library calls: one connection per host of a
 * hosts file, the facts each host gives (or the stale run directories it removes), and what
 * those facts mean for a load test. The command line and the printing are
 * controller/cli_hosts.c. */
#include "controller/ssh_check.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "controller/ssh_drive.h"
#include "controller/ssh_fleet.h"
#include "controller/ssh_host.h"
#include "controller/ssh_setup.h"
#include "controller/ssh_util.h"

#define CHECK_NOFILE_MIN    1024
#define CHECK_NOFILE_WARN   65536
#define CHECK_CLOCK_WARN_MS 1000.0

/* Appends more (taken) to *warning, after "; " when there is one already. */
static void warning_add(char **warning, char *more)
{
	char *w = *warning ? ssh_util_asprintf("%s; %s", *warning, more ? more : "") : more;

	if (*warning) {
		free(more);
		free(*warning);
	}
	*warning = w;
}

void ssh_check_verdict(const struct ssh_check_host *h, char **problem, char **warning)
{
	*problem = NULL;
	*warning = NULL;
	if (h->error)
		*problem = strdup(h->error);
	else if (h->agent_problem)
		*problem = strdup(h->agent_problem);
	else if (h->nofile >= 0 && h->nofile < CHECK_NOFILE_MIN)
		*problem =
		    ssh_util_asprintf("open-file limit %ld is below %d: raise it (ulimit -n / "
				      "limits.conf)",
				      h->nofile, CHECK_NOFILE_MIN);
	if (*problem)
		return;
	if (h->nofile >= 0 && h->nofile < CHECK_NOFILE_WARN)
		*warning =
		    ssh_util_asprintf("open-file limit %ld caps connections per agent", h->nofile);
	else if (h->have_clock && (h->clock_offset_ms > CHECK_CLOCK_WARN_MS ||
				   h->clock_offset_ms < -CHECK_CLOCK_WARN_MS))
		*warning =
		    ssh_util_asprintf("clock is %.0f ms off: run NTP/chrony", h->clock_offset_ms);
	if (h->nspool)
		warning_add(warning,
			    ssh_util_asprintf("%zu run director%s hold%s the statistics of a "
					      "lost agent: `barrage collect RUN_DIR` "
					      "fetches them",
					      h->nspool, h->nspool == 1 ? "y" : "ies",
					      h->nspool == 1 ? "s" : ""));
	if (h->nstale)
		warning_add(warning, ssh_util_asprintf("%zu stale run director%s (%s%s): `barrage "
						       "hosts clean` removes them",
						       h->nstale, h->nstale == 1 ? "y" : "ies",
						       h->stale[0], h->nstale > 1 ? ", ..." : ""));
}

/* Takes what the connection found; the fleet is freed next. */
static void take_facts(struct ssh_check_host *r, struct ssh_host *h)
{
	r->label = h->label;
	r->host = h->host;
	r->user = h->user;
	r->error = h->error;
	r->agent_problem = h->agent_problem;
	r->agent_version = h->agent_version;
	r->uname = h->uname;
	r->stale = h->stale;
	h->label = h->host = h->user = h->error = h->agent_problem = h->agent_version = h->uname =
	    NULL;
	h->stale = NULL;
	r->nstale = h->nstale;
	h->nstale = 0;
	r->port = h->port;
	r->reachable = h->reachable;
	r->auth_ok = h->auth_ok;
	r->cpus = h->cpus;
	r->nofile = h->nofile;
	r->have_clock = h->have_clock;
	r->clock_offset_ms = h->clock_offset_ms;
	r->rtt_ms = h->rtt_ms;
	r->nspool = h->nspool;
}

int ssh_check_run(const struct plan_host *hosts, size_t nhosts, const struct ssh_options *opt,
		  bool clean, struct ssh_check_host **out, char **err)
{
	struct event_base *base = event_base_new();
	struct ssh_fleet *f = NULL;
	struct ssh_check_host *res = NULL;
	int rc = -1;

	*out = NULL;
	if (!base)
		return -2;
	f = ssh_fleet_new(base, hosts, nhosts, opt, SSH_MODE_CHECK, err);
	if (!f)
		goto out;
	f->clean = clean;
	if (opt->push_agent) {
		f->files = calloc(2, sizeof *f->files);
		if (!f->files || ssh_setup_add_agent_file(f, err) < 0) {
			if (!*err)
				err_set(err, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < nhosts; i++)
		f->hosts[i].agent_path =
		    strdup(opt->remote_agent ? opt->remote_agent : "barrage-agent");
	ssh_drive_start_more(f);
	ssh_drive_wait(f);
	res = calloc(nhosts ? nhosts : 1, sizeof *res);
	if (!res) {
		err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nhosts; i++)
		take_facts(&res[i], &f->hosts[i]);
	*out = res;
	rc = 0;
out:
	ssh_fleet_free(f);
	event_base_free(base);
	return rc;
}

void ssh_check_free(struct ssh_check_host *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].host);
		free(v[i].user);
		free(v[i].error);
		free(v[i].agent_problem);
		free(v[i].agent_version);
		free(v[i].uname);
		for (size_t k = 0; k < v[i].nstale; k++)
			free(v[i].stale[k]);
		free(v[i].stale);
	}
	free(v);
}
