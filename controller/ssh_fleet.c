/* The SSH fleet: the hosts of a plan as SSH connections (a host with many agents gets several,
 * under sshd's MaxSessions), what they upload, and the public API of controller/ssh.h: open a
 * fleet, start agents on it, close it (removing the remote directories), and run one command
 * per host (ssh_run_on_hosts). */
#include "controller/ssh.h"
#include "controller/ssh_fleet.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "common/buf.h"
#include "common/err.h"
#include "controller/ssh_drive.h"
#include "controller/ssh_keys.h"
#include "controller/ssh_link.h"
#include "controller/ssh_setup.h"
#include "controller/ssh_util.h"

static void host_clear(struct ssh_host *h)
{
	struct ssh_link *l, *next;

	if (h->dns) {
		struct evdns_getaddrinfo_request *r = h->dns;
		h->dns = NULL;
		h->st = SSH_HS_CLOSED;
		evdns_getaddrinfo_cancel(r);
	}
	ssh_host_release_session(h);
	for (l = h->links; l; l = next) {
		next = l->next;
		l->h = NULL; /* the owner frees it; its operations now fail */
		l->st = SSH_LS_DONE;
		if (!l->why)
			l->why = strdup("SSH fleet closed");
		if (l->freed)
			ssh_link_destroy(l);
	}
	h->links = NULL;
	if (h->ev_rd)
		event_free(h->ev_rd);
	if (h->ev_wr)
		event_free(h->ev_wr);
	if (h->ev_tick)
		event_free(h->ev_tick);
	if (h->ev_kick)
		event_free(h->ev_kick);
	if (h->ai)
		evutil_freeaddrinfo(h->ai);
	ssh_setup_cmd_reset(&h->cmd);
	buf_free(&h->tried);
	if (h->remote_paths) {
		for (size_t i = 0; i < h->f->nfiles + 1; i++)
			free(h->remote_paths[i]);
		free(h->remote_paths);
	}
	free(h->user);
	free(h->host);
	free(h->label);
	free(h->error);
	free(h->remote_dir);
	free(h->agent_path);
	free(h->facts.uname);
	free(h->facts.agent_version);
	free(h->facts.agent_problem);
	free(h->pending_error);
	for (size_t i = 0; i < h->facts.nstale; i++)
		free(h->facts.stale[i]);
	free(h->facts.stale);
	buf_free(&h->custom_out);
}

void ssh_fleet_free(struct ssh_fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nhosts; i++)
		host_clear(&f->hosts[i]);
	free(f->hosts);
	free(f->first);
	free(f->nconn);
	for (size_t i = 0; i < f->nfiles; i++) {
		free(f->files[i].local);
		free(f->files[i].base);
		free(f->files[i].data);
	}
	free(f->files);
	for (size_t i = 0; i < f->nkey_files; i++)
		free(f->key_files[i]);
	if (f->passphrase) {
		explicit_bzero(f->passphrase, strlen(f->passphrase));
		free(f->passphrase);
	}
	free(f->known_hosts);
	free(f->identity);
	free(f->local_agent);
	if (f->dns)
		evdns_base_free(f->dns, 1);
	free(f);
}

static char *local_user(void)
{
	const char *u = getenv("USER");
	char buf[256];

	if (getlogin_r(buf, sizeof buf) == 0 && buf[0] && (!u || !*u))
		return strdup(buf);
	return strdup(u && *u ? u : "root");
}
static int libssh2_ready(char **err)
{
	static bool done;

	if (done)
		return 0;
	if (libssh2_init(0) != 0)
		return err_set(err, "cannot initialise libssh2");
	done = true;
	return 0;
}

struct ssh_fleet *ssh_fleet_new(struct event_base *base, const struct plan_host *hosts,
				size_t nhosts, const struct ssh_options *opt,
				enum ssh_fleet_mode mode, char **err)
{
	struct ssh_fleet *f = calloc(1, sizeof *f);
	struct utsname un;

	if (!f) {
		err_set(err, "out of memory");
		return NULL;
	}
	if (libssh2_ready(err) < 0)
		goto fail;
	signal(SIGPIPE, SIG_IGN); /* a peer that vanishes must not kill the controller */
	f->base = base;
	f->mode = mode;
	f->opt = *opt;
	if (f->opt.connect_timeout_ms <= 0)
		f->opt.connect_timeout_ms = 5000;
	if (f->opt.dead_after_ms <= 0)
		f->opt.dead_after_ms = SSH_DEAD_AFTER_MS;
	if (ssh_keys_load(f, opt, err) < 0)
		goto fail;
	if (uname(&un) == 0)
		snprintf(f->local_uname, sizeof f->local_uname, "%s %s", un.sysname, un.machine);
	f->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
					  EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!f->dns)
		f->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	f->first = calloc(nhosts ? nhosts : 1, sizeof *f->first);
	f->nconn = calloc(nhosts ? nhosts : 1, sizeof *f->nconn);
	if (!f->first || !f->nconn) {
		err_set(err, "out of memory");
		goto fail;
	}
	f->nplan = nhosts;
	for (size_t i = 0; i < nhosts; i++) {
		uint32_t agents = hosts[i].agents ? hosts[i].agents : 1;
		f->first[i] = f->nhosts;
		f->nconn[i] = mode == SSH_MODE_CHECK
				  ? 1
				  : (agents + SSH_CHANNELS_PER_CONN - 1) / SSH_CHANNELS_PER_CONN;
		f->nhosts += f->nconn[i];
	}
	f->hosts = calloc(f->nhosts ? f->nhosts : 1, sizeof *f->hosts);
	if (!f->known_hosts || !f->dns || !f->hosts) {
		err_set(err, "out of memory");
		goto fail;
	}
	for (size_t c = 0; c < f->nhosts; c++) {
		struct ssh_host *h = &f->hosts[c];
		size_t i = 0;
		while (i + 1 < nhosts && f->first[i + 1] <= c)
			i++;
		h->f = f;
		h->idx = i;
		h->primary = c == f->first[i] ? NULL : &f->hosts[f->first[i]];
		h->next_conn = c + 1 < f->first[i] + f->nconn[i] ? &f->hosts[c + 1] : NULL;
		h->fd = -1;
		h->cmd.status = -1;
		h->facts.cpus = h->facts.nofile = -1;
		buf_init(&h->tried, 4096);
		h->user = hosts[i].user ? strdup(hosts[i].user) : local_user();
		h->host = strdup(hosts[i].host ? hosts[i].host : "");
		h->port = hosts[i].port > 0 ? hosts[i].port : 22;
		h->agents = hosts[i].agents ? hosts[i].agents : 1;
		h->label = ssh_util_asprintf(strchr(h->host, ':') ? "%s@[%s]:%d" : "%s@%s:%d",
					     h->user ? h->user : "?", h->host, h->port);
		if (!h->user || !h->host || !h->label || ssh_drive_watch(h) < 0) {
			err_set(err, "out of memory");
			goto fail;
		}
	}
	return f;
fail:
	ssh_fleet_free(f);
	return NULL;
}

/* Runs the loop until no host is busy (opening or cleaning up). The loop is the caller's: if
 * one of its events asks the loop to stop (Ctrl-C, a setup deadline), the hosts still busy are
 * given up rather than holding the caller for their timeouts. */
int ssh_fleet_open(struct event_base *base, const struct plan_host *hosts, size_t nhosts,
		   const struct ssh_options *opt, const char *const *files, size_t nfiles,
		   struct ssh_fleet **out, char **err)
{
	struct ssh_fleet *f;
	struct buf msg;
	size_t failed = 0;

	*out = NULL;
	if (nhosts == 0)
		return err_set(err, "no hosts to connect to");
	f = ssh_fleet_new(base, hosts, nhosts, opt, SSH_MODE_FLEET, err);
	if (!f)
		return -1;
	if (ssh_setup_add_files(f, files, nfiles, err) < 0) {
		ssh_fleet_free(f);
		return -1;
	}
	if (opt->push_agent && ssh_setup_add_agent_file(f, err) < 0) {
		ssh_fleet_free(f);
		return -1;
	}
	for (size_t c = 0; c < f->nhosts; c++) {
		f->hosts[c].agent_path =
		    strdup(opt->remote_agent ? opt->remote_agent : "barrage-agent");
		if (!f->hosts[c].agent_path) {
			ssh_fleet_free(f);
			return err_set(err, "out of memory");
		}
	}
	ssh_drive_start_more(f);
	ssh_drive_wait(f);

	buf_init(&msg, 1 << 20);
	for (size_t i = 0; i < nhosts; i++) {
		/* One line per host: its first failed connection says why. */
		for (size_t c = f->first[i]; c < f->first[i] + f->nconn[i]; c++) {
			struct ssh_host *h = &f->hosts[c];
			if (h->st == SSH_HS_READY)
				continue;
			failed++;
			buf_printf(&msg, "\n  %s: %s%s", h->label, h->error ? h->error : "failed",
				   h->primary ? " (an extra connection for its agents)" : "");
			break;
		}
	}
	if (failed && failed < nhosts && opt->allow_failed) {
		/* The caller leaves those hosts out; their connections are closed already. */
		buf_free(&msg);
		*out = f;
		return 0;
	}
	if (failed) {
		err_set(err, "SSH: %zu of %zu host%s could not be prepared:%s", failed, nhosts,
			nhosts == 1 ? "" : "s", msg.data);
		buf_free(&msg);
		ssh_fleet_close(f);
		return -1;
	}
	buf_free(&msg);
	*out = f;
	return 0;
}

const char *ssh_fleet_remote_path(struct ssh_fleet *f, size_t host, const char *local)
{
	struct ssh_host *h;

	if (!f || host >= f->nplan)
		return NULL;
	h = &f->hosts[f->first[host]];
	if (!h->remote_paths)
		return NULL;
	for (size_t i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i].local, local) == 0)
			return h->remote_paths[i];
	return NULL;
}

const char *ssh_fleet_host_error(struct ssh_fleet *f, size_t host)
{
	if (!f || host >= f->nplan)
		return "no such host";
	for (size_t c = f->first[host]; c < f->first[host] + f->nconn[host]; c++)
		if (f->hosts[c].st != SSH_HS_READY)
			return f->hosts[c].error ? f->hosts[c].error : "failed";
	return NULL;
}

const char *ssh_fleet_remote_dir(struct ssh_fleet *f, size_t host)
{
	return f && host < f->nplan ? f->hosts[f->first[host]].remote_dir : NULL;
}

int ssh_fleet_start_command(struct ssh_fleet *f, size_t host, unsigned slot, const char *command,
			    struct agent_link **out, char **err)
{
	struct ssh_host *h;

	*out = NULL;
	if (!f || host >= f->nplan)
		return err_set(err, "no host %zu in the fleet", host);
	{
		size_t k = slot / SSH_CHANNELS_PER_CONN;
		if (k >= f->nconn[host])
			k = slot % f->nconn[host];
		h = &f->hosts[f->first[host] + k];
	}
	if (h->st != SSH_HS_READY)
		return err_set(err, "%s: %s", h->label,
			       h->error ? h->error : "the host is not connected");
	return ssh_link_new(h, slot, command, out, err);
}

int ssh_fleet_start_agent(struct ssh_fleet *f, size_t host, unsigned slot, struct agent_link **out,
			  char **err)
{
	struct ssh_host *h;
	char *qdir, *qagent, *cmd;
	int rc;

	*out = NULL;
	if (!f || host >= f->nplan)
		return err_set(err, "no host %zu in the fleet", host);
	h = &f->hosts[f->first[host]]; /* the primary knows the directory and the agent */
	qdir = ssh_util_shell_quote(h->remote_dir ? h->remote_dir : "/tmp");
	qagent = ssh_util_path_quote(h->agent_path ? h->agent_path : "barrage-agent");
	/* --run-dir: the agents remove the directory themselves when the last one exits, for
	 * whatever reason (a controller killed or cut off cannot do it). */
	if (qdir && qagent && h->remote_dir && !f->opt.keep_remote)
		cmd = ssh_util_asprintf("cd %s && exec %s --run-dir %s", qdir, qagent, qdir);
	else
		cmd = qdir && qagent ? ssh_util_asprintf("cd %s && exec %s", qdir, qagent) : NULL;
	free(qdir);
	free(qagent);
	if (!cmd)
		return err_set(err, "out of memory");
	rc = ssh_fleet_start_command(f, host, slot, cmd, out, err);
	free(cmd);
	return rc;
}

void ssh_fleet_close(struct ssh_fleet *f)
{
	int64_t until;

	if (!f)
		return;
	/* Kill what is still running, then remove the remote directories. */
	for (size_t i = 0; i < f->nhosts; i++) {
		struct ssh_host *h = &f->hosts[i];
		for (struct ssh_link *l = h->links; l; l = l->next)
			if (l->st != SSH_LS_DONE)
				l->killed = true;
		if (h->st == SSH_HS_READY)
			ssh_host_kick(h);
	}
	until = ssh_util_mono_ms() + SSH_CLOSE_WAIT_MS;
	for (;;) {
		bool waiting = false;
		for (size_t i = 0; i < f->nhosts; i++) {
			struct ssh_host *h = &f->hosts[i];
			for (struct ssh_link *l = h->links; l; l = l->next)
				if (l->st != SSH_LS_DONE && h->st == SSH_HS_READY)
					waiting = true;
		}
		if (!waiting || ssh_util_mono_ms() > until)
			break;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	for (size_t i = 0; i < f->nhosts; i++) {
		struct ssh_host *h = &f->hosts[i];
		if (h->st != SSH_HS_READY)
			continue;
		if (h->remote_dir && !f->opt.keep_remote) {
			h->steps[0] = SSH_STEP_RMDIR;
			h->nsteps = 1;
			h->pi = 0;
			h->sub = 0;
			h->st = SSH_HS_CLEANUP;
			f->busy++;
			ssh_host_set_deadline(h, SSH_CLOSE_WAIT_MS);
			ssh_host_kick(h);
		} else {
			h->st = SSH_HS_CLOSED;
		}
	}
	ssh_drive_wait(f);
	for (size_t i = 0; i < f->nhosts; i++) {
		struct ssh_host *h = &f->hosts[i];
		if (h->sess) {
			/* Best effort, one try: a polite goodbye must not hold up the exit. */
			libssh2_session_disconnect(h->sess, "barrage run finished");
		}
	}
	ssh_fleet_free(f);
}

int ssh_run_on_hosts(const struct plan_host *hosts, size_t nhosts, const struct ssh_options *opt,
		     char *const *commands, struct ssh_result *res, char **err)
{
	struct event_base *base = event_base_new();
	struct ssh_fleet *f;

	memset(res, 0, nhosts * sizeof(*res));
	if (!base)
		return err_set(err, "cannot create an event loop");
	f = ssh_fleet_new(base, hosts, nhosts, opt, SSH_MODE_CHECK, err);
	if (!f) {
		event_base_free(base);
		return -1;
	}
	f->custom = commands;
	ssh_drive_start_more(f);
	ssh_drive_wait(f);
	for (size_t i = 0; i < nhosts; i++) {
		struct ssh_host *h = &f->hosts[f->first[i]];

		res[i].status = -1;
		if (h->error || h->st == SSH_HS_FAILED) {
			res[i].error = strdup(h->error ? h->error : "failed");
			continue;
		}
		res[i].status = h->custom_status;
		res[i].len = h->custom_out.len;
		res[i].out = buf_steal(&h->custom_out);
	}
	ssh_fleet_free(f);
	event_base_free(base);
	return 0;
}
