/* The state the SSH files share: one struct ssh_host per SSH connection (a small state machine:
 * resolve, connect, handshake, host key, authentication, setup steps, ready), its setup command,
 * its agent links, and the fleet that owns them all; with the few operations on a host that
 * every stage needs (events, deadline, recording why it failed, releasing the session).
 *
 * Who does what: ssh_drive.c runs a host's stages in order and is the only place that fails a
 * host; the stages (ssh_session.c connect and authentication, ssh_keys.c host keys, ssh_setup.c
 * remote commands and uploads, ssh_link.c agent channels) return 0, LIBSSH2_ERROR_EAGAIN or -1
 * after ssh_host_error() said why. ssh_fleet.c builds the hosts and holds the public API
 * (controller/ssh.h); ssh_check.c is `hosts check` and `hosts clean`. */
#ifndef BARRAGE_CONTROLLER_SSH_HOST_H
#define BARRAGE_CONTROLLER_SSH_HOST_H

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "common/buf.h"
#include "controller/ssh.h"

#include "common/version.h"

#define SSH_STALL_MS	      15000 /* a setup step that makes no progress this long fails */
#define SSH_TICK_MS	      200   /* timer resolution for timeouts and keepalives */
#define SSH_KEEPALIVE_S	      1
#define SSH_DEAD_AFTER_MS     6000
#define SSH_CMD_OUT_MAX	      (64 << 10)	  /* output kept from a setup command */
#define SSH_CUSTOM_OUT_MAX    ((size_t)256 << 20) /* ssh_run_on_hosts: a spool, say */
#define SSH_WQ_MAX	      ((size_t)64 << 20)  /* bytes queued for one agent's stdin */
#define SSH_LOG_LINE_MAX      4096		  /* a longer stderr line is cut into pieces */
#define SSH_FILE_MAX	      ((size_t)1 << 30)
#define SSH_CLOSE_WAIT_MS     5000 /* ssh_fleet_close: remote cleanup budget */
#define SSH_CHANNELS_PER_CONN 8	   /* agents per connection, under sshd's default MaxSessions */
#define SSH_MAX_OPENING	      128  /* hosts connecting at the same time */
#define SSH_HOSTKEY_PREFS                                                                          \
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,"    \
	"rsa-sha2-256,ssh-rsa"

enum ssh_host_state {
	SSH_HS_IDLE,
	SSH_HS_RESOLVE,
	SSH_HS_CONNECT,
	SSH_HS_HANDSHAKE,
	SSH_HS_AUTH,
	SSH_HS_STEPS,
	SSH_HS_READY,
	SSH_HS_FAILED,
	SSH_HS_CLEANUP,
	SSH_HS_CLOSED,
};

enum ssh_step {
	SSH_STEP_FACTS,	  /* uname, nproc, ulimit -n (hosts check) */
	SSH_STEP_UNAME,	  /* uname -sm (before pushing the agent) */
	SSH_STEP_MKTEMP,  /* the per-run remote directory */
	SSH_STEP_UPLOAD,  /* SFTP the files (and the agent) into it */
	SSH_STEP_VERSION, /* barrage-agent --version */
	SSH_STEP_CLOCK,	  /* date +%s%N, timed */
	SSH_STEP_RMDIR,	  /* cleanup */
	SSH_STEP_CLEAN,	  /* hosts clean: remove stale run directories */
	SSH_STEP_CUSTOM,  /* ssh_run_on_hosts: the caller's command, raw output kept */
};

enum ssh_link_state {
	SSH_LS_OPEN,
	SSH_LS_EXEC,
	SSH_LS_RUN,
	SSH_LS_CLOSE,
	SSH_LS_WAITCLOSED,
	SSH_LS_FREE,
	SSH_LS_DONE
};

struct ssh_file {
	char *local;
	char *base; /* its name in the remote directory, unique there */
	char *data;
	size_t len;
	int mode;
};

/* A setup command: an exec channel whose output is collected. */
struct ssh_cmd {
	LIBSSH2_CHANNEL *ch;
	int st;
	char *command;
	struct buf out, errb;
	int status;		      /* exit status, -1 when none was sent */
	char signal[32];	      /* exit signal name, "" when none */
	int64_t t_exec_ns, t_done_ns; /* CLOCK_REALTIME around the exec */
	/* Clock probes (SSH_STEP_CLOCK): a newline written at t_ping_ns is answered by the remote
	 * `date +%s%N`; the sample with the shortest round trip wins (NTP's choice), because
	 * the first one also pays for starting the remote shell. */
	int pings;
	bool ping_out, eof_sent;
	int64_t t_ping_ns;
	size_t parsed;
	double best_rtt_ms, best_offset_ms;
	bool have_sample;
};

struct ssh_host;

struct ssh_link {
	struct agent_link base;
	struct ssh_host *h;
	struct ssh_link *next;
	LIBSSH2_CHANNEL *ch;
	enum ssh_link_state st;
	char *command;
	struct buf wq;	    /* bytes for the agent's stdin */
	struct buf errline; /* a partial stderr line */
	bool want_eof, eof_sent, killed, closed, freed;
	char *why; /* the close reason waiting to be delivered */
	int status;
	char signal[32];
};

struct ssh_host {
	struct ssh_fleet *f;
	size_t idx;
	/* A host with more agents than fit one SSH connection (sshd's MaxSessions, 10 by default)
	 * gets extra connections; they only carry channels and use the primary's directory. */
	struct ssh_host *primary;   /* NULL on the primary connection */
	struct ssh_host *next_conn; /* the host's next connection, started once this one is in */
	char *user, *host, *label;
	int port;
	unsigned agents;
	enum ssh_host_state st;
	int sub; /* sub-state inside st */
	int fd;
	LIBSSH2_SESSION *sess;
	LIBSSH2_KNOWNHOSTS *kh;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *agent_id;
	int agent_keys;
	size_t key_file;  /* next default key file to try */
	struct buf tried; /* what authentication tried, for the message */
	struct evdns_getaddrinfo_request *dns;
	bool resolving;
	struct evutil_addrinfo *ai;
	struct event *ev_rd, *ev_wr, *ev_tick, *ev_kick;
	bool rd_on, wr_on;
	int64_t deadline_ms, last_rx_ms;
	int64_t last_tick_ms; /* on_tick: to tell a stopped controller from a silent host */
	char *error;
	enum ssh_step steps[8];
	int nsteps, pi;
	struct ssh_cmd cmd;
	LIBSSH2_SFTP *sftp;
	LIBSSH2_SFTP_HANDLE *fh;
	size_t file_i, off;
	char *remote_dir;
	char **remote_paths;
	char *agent_path; /* what to exec: pushed, given, or "barrage-agent" */
	struct ssh_link *links;
	bool running;	       /* inside host_run (guards re-entry) */
	char *pending_error;   /* fail with this once the cleanup steps ran */
	struct buf custom_out; /* SSH_STEP_CUSTOM: the command's whole stdout */
	int custom_status;
	struct ssh_host_facts facts; /* what hosts check and hosts clean learn */
};

enum ssh_fleet_mode { SSH_MODE_FLEET, SSH_MODE_CHECK };

struct ssh_fleet {
	struct event_base *base;
	struct evdns_base *dns;
	enum ssh_fleet_mode mode;
	bool clean;	     /* SSH_MODE_CHECK for `hosts clean`: only remove stale directories */
	char *const *custom; /* ssh_run_on_hosts: one command per host (SSH_MODE_CHECK) */
	struct ssh_options opt;
	char *known_hosts;
	char *identity;
	char *passphrase;
	char *key_files[4];
	size_t nkey_files;
	char *local_agent;
	char local_uname[256];
	struct ssh_file *files;
	size_t nfiles;
	struct ssh_host *hosts; /* connections: a host with many agents gets several */
	size_t nhosts;
	size_t nplan;	       /* hosts as the caller numbers them */
	size_t *first, *nconn; /* their connections: hosts[first[i] .. first[i] + nconn[i]) */
	size_t next_start;     /* the next host (caller's numbering) fleet_start_more starts */
	bool starting;
	size_t busy; /* hosts still opening or cleaning up */
};

/* Watch the host's socket for reading and/or writing (the write event is one-shot). */
void ssh_host_arm(struct ssh_host *h, bool rd, bool wr);
/* Wake the host from the event loop (its driver runs once, outside any libssh2 call). */
void ssh_host_kick(struct ssh_host *h);
/* Does the host have a link that is not done? */
bool ssh_host_has_links(const struct ssh_host *h);
/* The current stage fails unless it progresses within ms. */
void ssh_host_set_deadline(struct ssh_host *h, int ms);
/* Records why the host fails (the first reason wins) for the driver, which fails it when the
 * stage returns -1. Returns -1. */
int ssh_host_error(struct ssh_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the SSH session, its SFTP, agent and known_hosts handles, and closes the socket; the
 * links' channels go with it. */
void ssh_host_release_session(struct ssh_host *h);

#endif
