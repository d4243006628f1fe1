/* Agent placement: which agents run where. The hosts come from --hosts FILE, else the
 * scenario's agents.hosts, else its agents.hosts_file; each host runs its `agents:` count (1 by
 * default) with ids "user@host[:port]#N". Without hosts the agents are local processes: --local
 * N, agents.local, or one per core but no more than the load can keep busy. */
#include "controller/run_placement.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "controller/ssh.h"

static uint32_t cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 1024 ? 1024 : (uint32_t)n;
}

/* The hosts: --hosts FILE, else agents.hosts, else agents.hosts_file. *own: the list was read
 * from a file (the caller frees it); else it is the plan's. No hosts: local agents. */
static int read_hosts(const struct run *r, struct plan_host **hosts, size_t *nhosts, bool *own,
		      char **err)
{
	const struct run_options *o = r->o;
	const struct plan *p = r->plan;

	if (o->hosts_file) {
		if (hosts_file_read(o->hosts_file, hosts, nhosts, err) < 0)
			return -1;
		*own = true;
	} else if (p->agents.nhosts > 0) {
		*hosts = p->agents.hosts;
		*nhosts = p->agents.nhosts;
	} else if (p->agents.hosts_file) {
		if (hosts_file_read(p->agents.hosts_file, hosts, nhosts, err) < 0)
			return -1;
		*own = true;
	}
	return 0;
}

/* Each host runs its `agents:` count (1 by default), ids "user@host[:port]#N". */
static int place_on_hosts(struct run *r, const struct plan_host *hosts, size_t nhosts, char **err)
{
	size_t i, total = 0;

	for (i = 0; i < nhosts; i++)
		total += hosts[i].agents ? hosts[i].agents : 1;
	r->agents = calloc(total, sizeof(*r->agents));
	if (!r->agents)
		return err_set(err, "out of memory");
	r->n = 0;
	for (i = 0; i < nhosts; i++) {
		unsigned k, na = hosts[i].agents ? hosts[i].agents : 1;

		for (k = 0; k < na; k++) {
			struct run_agent *a = &r->agents[r->n];
			const char *user = hosts[i].user ? hosts[i].user : getenv("USER");
			int port = hosts[i].port ? hosts[i].port : 22;
			int n;

			if (port == 22)
				n = asprintf(&a->id, "%s@%s#%u", user ? user : "barrage",
					     hosts[i].host, k + 1);
			else
				n = asprintf(&a->id, "%s@%s:%d#%u", user ? user : "barrage",
					     hosts[i].host, port, k + 1);
			a->host = strdup(hosts[i].host);
			if (n < 0 || !a->host)
				return err_set(err, "out of memory");
			a->host_index = i;
			a->slot = k;
			a->sa.weight = hosts[i].weight > 0 ? hosts[i].weight : 1;
			r->n++;
		}
	}
	return 0;
}

/* Local agents: --local N, agents.local, or one per core but no more than the load can keep
 * busy; ids "local-N". */
static int place_local(struct run *r, char **err)
{
	uint32_t n = r->o->local ? r->o->local : r->plan->agents.local;

	if (n == 0) {
		uint32_t cap = split_max_agents(r->plan);

		n = cpu_count();
		if (n > cap)
			n = cap;
	}
	if (n > 1024)
		return err_set(err, "%u local agents: at most 1024", n);
	r->agents = calloc(n, sizeof(*r->agents));
	if (!r->agents)
		return err_set(err, "out of memory");
	for (r->n = 0; r->n < n; r->n++) {
		struct run_agent *a = &r->agents[r->n];

		if (asprintf(&a->id, "local-%zu", r->n + 1) < 0 || !(a->host = strdup("localhost")))
			return err_set(err, "out of memory");
		a->sa.weight = 1;
	}
	return 0;
}

int run_placement_pick(struct run *r, char **err)
{
	struct plan_host *hosts = NULL;
	size_t nhosts = 0, i;
	bool own_hosts = false;
	int rc = -1;

	r->own_hosts = NULL;
	r->nhosts = 0;
	if (read_hosts(r, &hosts, &nhosts, &own_hosts, err) < 0)
		goto out;
	if (r->o->hosts_file && r->o->local) {
		err_set(err, "--local and --hosts cannot be used together");
		goto out;
	}
	if ((nhosts > 0 ? place_on_hosts(r, hosts, nhosts, err) : place_local(r, err)) < 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		r->agents[i].run = r;
		r->agents[i].index = i;
		r->agents[i].sa.id = r->agents[i].id;
		r->agents[i].sa.host = r->agents[i].host;
		r->agents[i].last_iv = -1;
		wire_reader_init(&r->agents[i].rd);
	}
	/* Hosts read from a file are the run's; the plan's own stay the plan's. */
	if (own_hosts) {
		r->own_hosts = hosts;
		hosts = NULL;
	}
	r->nhosts = nhosts;
	rc = 0;
out:
	if (own_hosts && hosts)
		hosts_free(hosts, nhosts);
	return rc;
}
