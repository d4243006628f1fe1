/* Remote agents over SSH (libssh2, non-blocking, driven by the controller's libevent loop).
 *
 * One SSH session per host; each agent on the host is an exec channel running
 * `barrage-agent` in the run's remote directory, its stdin/stdout carrying the wire protocol
 * and its stderr the agent's log. Host keys are checked strictly against known_hosts.
 *
 * The fleet API below is controller/ssh_fleet.c; behind it ssh_drive.c runs each host through
 * ssh_session.c (connect, authenticate), ssh_keys.c (host and user keys), ssh_setup.c (remote
 * commands, uploads) and ssh_link.c (agent channels). Hosts files are controller/hosts.c;
 * `hosts check` and `hosts clean` are ssh_check.c. */
#ifndef BARRAGE_CONTROLLER_SSH_H
#define BARRAGE_CONTROLLER_SSH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/plan.h"
#include "controller/link.h"

struct event_base;

struct ssh_options {
	const char *known_hosts;   /* NULL = ~/.ssh/known_hosts */
	const char *identity;	   /* key file; NULL = ssh-agent, then ~/.ssh/id_ed25519, id_rsa */
	bool accept_new_host_keys; /* record unknown hosts' keys instead of refusing them */
	bool push_agent;	   /* upload this barrage-agent binary */
	bool keep_remote;	   /* leave the per-run remote directory in place */
	const char *remote_agent;  /* agent path on the hosts; NULL = "barrage-agent" on PATH */
	int connect_timeout_ms;	   /* default 5000 */
	/* Zero-initialised fields below keep their defaults: */
	const char *local_agent; /* barrage-agent to push; NULL = next to this executable */
	int dead_after_ms;	 /* a host silent this long (keepalives unanswered) is lost;
				    0 = 6000 */
	bool quiet;		 /* no progress lines on stderr */
	/* ssh_fleet_open succeeds when some hosts (not all) failed: the caller asks
	 * ssh_fleet_host_error which, and leaves them out (agents.max_lost). */
	bool allow_failed;
	bool no_setup; /* connect and authenticate only: no agent check, no remote directory, no
			  uploads (controller/monitor.c watches hosts that have no agent) */
};

/* What a connection learns about its host (hosts check, hosts clean; controller/ssh_check.c).
 * Numbers are -1 when unknown; nofile is LONG_MAX for "unlimited". */
struct ssh_host_facts {
	bool reachable, auth_ok;
	char *uname;	     /* `uname -sm` */
	char *agent_version; /* what `barrage-agent --version` said */
	char *agent_problem; /* agent missing, not executable, of another version, or NULL */
	long cpus, nofile;
	bool have_clock;
	double clock_offset_ms, rtt_ms; /* remote minus local; the probe's round trip */
	char **stale; /* check: stale run directories found; clean: the ones removed */
	size_t nstale;
	size_t nspool; /* run directories kept for a lost agent's spool (barrage collect) */
};

struct ssh_fleet;

/* Connect to every host in parallel, authenticate, check the agent (present, same version),
 * create a per-run remote directory and upload `files` (local paths; each lands in the remote
 * directory under its base name). Returns -1 with a message listing every host that failed and
 * why (DNS, refused, timeout, host key mismatch — named as a possible attack —, auth, agent
 * missing or wrong version). Blocks, running base until done. */
int ssh_fleet_open(struct event_base *base, const struct plan_host *hosts, size_t nhosts,
		   const struct ssh_options *opt, const char *const *files, size_t nfiles,
		   struct ssh_fleet **out, char **err);
/* The remote path an uploaded local file was given (for rewriting plan data paths). */
const char *ssh_fleet_remote_path(struct ssh_fleet *f, size_t host, const char *local);
/* Start agent number `slot` on host `host` and return its link (the caller sets callbacks
 * before returning to the event loop). */
int ssh_fleet_start_agent(struct ssh_fleet *f, size_t host, unsigned slot, struct agent_link **out,
			  char **err);
/* Close every channel and session, remove remote files unless keep_remote. Accepts NULL. */
void ssh_fleet_close(struct ssh_fleet *f);

/* Why host `host` could not be prepared, or NULL when it is ready (allow_failed). */
const char *ssh_fleet_host_error(struct ssh_fleet *f, size_t host);

/* The remote per-run directory of a host (NULL before open or in a failed host). */
const char *ssh_fleet_remote_dir(struct ssh_fleet *f, size_t host);

/* Test hook: start `command` (run by the remote shell) instead of the agent, with the same link
 * semantics as ssh_fleet_start_agent. Used by the tests to echo bytes through a remote `cat`. */
int ssh_fleet_start_command(struct ssh_fleet *f, size_t host, unsigned slot, const char *command,
			    struct agent_link **out, char **err);

/* Run commands[i] on hosts[i] (all in parallel, the connection options of opt) and give back
 * each one's whole stdout (binary safe, at most 256 MiB) and exit status, or why the host
 * failed. res has nhosts entries; the caller frees out and error. Returns -1 only when nothing
 * could be tried. */
struct ssh_result {
	char *out;
	size_t len;
	int status;  /* -1 when none */
	char *error; /* the host failed (connection, key, auth) */
};
int ssh_run_on_hosts(const struct plan_host *hosts, size_t nhosts, const struct ssh_options *opt,
		     char *const *commands, struct ssh_result *res, char **err);

/* Hosts files: one "user@host[:port] [agents=N] [weight=W]" per line, # comments. A line
 * without "user@" leaves user NULL (the local user). Errors are "FILE:LINE:COL: what". */
int hosts_file_read(const char *path, struct plan_host **hosts, size_t *nhosts, char **err);
/* The same on a buffer (path is only used in messages). */
int hosts_parse(const char *path, const char *text, size_t len, struct plan_host **hosts,
		size_t *nhosts, char **err);
/* Frees what hosts_file_read returned. Accepts NULL. */
void hosts_free(struct plan_host *hosts, size_t nhosts);

#endif
