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
	else if (h->facts.agent_problem)
		*problem = strdup(h->facts.agent_problem);
	else if (h->facts.nofile >= 0 && h->facts.nofile < CHECK_NOFILE_MIN)
		*problem =
		    ssh_util_asprintf("open-file limit %ld is below %d: raise it (ulimit -n / "
				      "limits.conf)",
				      h->facts.nofile, CHECK_NOFILE_MIN);
	if (*problem)
		return;
	if (h->facts.nofile >= 0 && h->facts.nofile < CHECK_NOFILE_WARN)
		*warning = ssh_util_asprintf("open-file limit %ld caps connections per agent",
					     h->facts.nofile);
	else if (h->facts.have_clock && (h->facts.clock_offset_ms > CHECK_CLOCK_WARN_MS ||
					 h->facts.clock_offset_ms < -CHECK_CLOCK_WARN_MS))
		*warning = ssh_util_asprintf("clock is %.0f ms off: run NTP/chrony",
					     h->facts.clock_offset_ms);
	if (h->facts.nspool)
		warning_add(warning,
			    ssh_util_asprintf("%zu run director%s hold%s the statistics of a "
					      "lost agent: `barrage collect RUN_DIR` "
					      "fetches them",
					      h->facts.nspool, h->facts.nspool == 1 ? "y" : "ies",
					      h->facts.nspool == 1 ? "s" : ""));
	if (h->facts.nstale)
		warning_add(warning, ssh_util_asprintf(
					 "%zu stale run director%s (%s%s): `barrage "
					 "hosts clean` removes them",
					 h->facts.nstale, h->facts.nstale == 1 ? "y" : "ies",
					 h->facts.stale[0], h->facts.nstale > 1 ? ", ..." : ""));
}

/* Takes what the connection found; the fleet is freed next. */
static void take_facts(struct ssh_check_host *r, struct ssh_host *h)
{
	r->label = h->label;
	r->host = h->host;
	r->user = h->user;
	r->error = h->error;
	r->port = h->port;
	r->facts = h->facts;
	h->label = h->host = h->user = h->error = NULL;
	memset(&h->facts, 0, sizeof(h->facts));
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
		free(v[i].facts.agent_problem);
		free(v[i].facts.agent_version);
		free(v[i].facts.uname);
		for (size_t k = 0; k < v[i].facts.nstale; k++)
			free(v[i].facts.stale[k]);
		free(v[i].facts.stale);
	}
	free(v);
}
