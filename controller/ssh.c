/* Remote agents over SSH: libssh2 in non-blocking mode on the controller's libevent loop.
 *
 * Every host is a small state machine (resolve, connect, handshake, host key, authentication,
 * then a list of setup steps: remote commands and SFTP uploads) driven by events on its socket,
 * so all hosts of a fleet progress in parallel on one thread. libssh2 tells us after each
 * EAGAIN which way it is blocked (libssh2_session_block_directions) and we wait for exactly
 * that. Once a host is ready, each agent is an exec channel whose stdout feeds the link's
 * on_data, whose stderr lines feed on_log, and whose stdin is a capped write queue.
 *
 * Why things are done the way they are:
 * - All libssh2 calls happen in host_run(), never in the link operations: write/shutdown/kill
 *   only queue work and wake the host through a one-shot "kick" event. So a callback that
 *   writes, kills or frees a link never re-enters libssh2 half-way through a read.
 * - A channel read drains the whole transport, so one wakeup services every channel of the
 *   session; and the socket is watched for reading only while something waits for data,
 *   otherwise an idle session's keepalive replies would wake us forever.
 * - A dropped host sends nothing, which TCP may not notice for minutes: libssh2 keepalives
 *   (want_reply) make a live server answer every second, and a host silent for dead_after_ms
 *   while it has agents is declared lost and its links closed with the reason.
 * - Host keys are checked before authentication, against known_hosts, strictly. The key type
 *   preference is OpenSSH's, so a known_hosts filled by `ssh` holds the type we negotiate. */
#include "controller/ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
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

enum host_state {
	HS_IDLE,
	HS_RESOLVE,
	HS_CONNECT,
	HS_HANDSHAKE,
	HS_AUTH,
	HS_STEPS,
	HS_READY,
	HS_FAILED,
	HS_CLEANUP,
	HS_CLOSED,
};

enum step {
	STEP_FACTS,   /* uname, nproc, ulimit -n (hosts check) */
	STEP_UNAME,   /* uname -sm (before pushing the agent) */
	STEP_MKTEMP,  /* the per-run remote directory */
	STEP_UPLOAD,  /* SFTP the files (and the agent) into it */
	STEP_VERSION, /* barrage-agent --version */
	STEP_CLOCK,   /* date +%s%N, timed */
	STEP_RMDIR,   /* cleanup */
	STEP_CLEAN,   /* hosts clean: remove stale run directories */
	STEP_CUSTOM,  /* ssh_run_on_hosts: the caller's command, raw output kept */
};

/* The run directories of ours on a host that no agent uses any more: the agents hold a shared
 * lock on DIR/.barrage-lock while they run (agent/main.c --run-dir), so a free lock means they
 * are gone; a directory without one (its run never started an agent) is stale once it is over
 * two minutes old (a run being prepared is younger). Without flock(1) a locked-looking
 * directory cannot be judged and is left alone. ACTION runs for each stale "$d". */
#define SSH_STALE_LOOP(action)                                                                     \
	"for d in \"${TMPDIR:-/tmp}\"/barrage.????????; do "                                       \
	"[ -d \"$d\" ] && [ -O \"$d\" ] || continue; "                                             \
	"if [ -e \"$d/.barrage-lock\" ]; then "                                                    \
	"command -v flock >/dev/null 2>&1 || continue; "                                           \
	"flock -n \"$d/.barrage-lock\" true 2>/dev/null || continue; "                             \
	"else [ -n \"$(find \"$d\" -maxdepth 0 -mmin +2 2>/dev/null)\" ] || continue; fi; " action \
	"; done"

/* A run directory that holds the spool of an agent whose link was lost (agent/link.c). */
#define SSH_SPOOL_TEST "if ls \"$d\"/spool.* >/dev/null 2>&1; then "

enum link_state { LS_OPEN, LS_EXEC, LS_RUN, LS_CLOSE, LS_WAITCLOSED, LS_FREE, LS_DONE };

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
	/* Clock probes (STEP_CLOCK): a newline written at t_ping_ns is answered by the remote
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
	enum link_state st;
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
	enum host_state st;
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
	enum step steps[8];
	int nsteps, pi;
	struct ssh_cmd cmd;
	LIBSSH2_SFTP *sftp;
	LIBSSH2_SFTP_HANDLE *fh;
	size_t file_i, off;
	char *remote_dir;
	char **remote_paths;
	char *agent_path; /* what to exec: pushed, given, or "barrage-agent" */
	struct ssh_link *links;
	bool running; /* inside host_run (guards re-entry) */
	/* facts for hosts check */
	bool reachable, auth_ok;
	char *uname, *agent_version, *agent_problem;
	char *pending_error; /* fail with this once the cleanup steps ran */
	char **stale; /* stale run directories: found (hosts check) or removed (hosts clean) */
	size_t nstale;
	size_t nspool;	       /* run directories kept for a lost agent's spool */
	struct buf custom_out; /* STEP_CUSTOM: the command's whole stdout */
	int custom_status;
	long cpus, nofile;
	double clock_offset_ms, rtt_ms;
	bool have_clock;
};

enum fleet_mode { MODE_FLEET, MODE_CHECK };

struct ssh_fleet {
	struct event_base *base;
	struct evdns_base *dns;
	enum fleet_mode mode;
	bool clean;	     /* MODE_CHECK for `hosts clean`: only remove stale directories */
	char *const *custom; /* ssh_run_on_hosts: one command per host (MODE_CHECK) */
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

static void host_run(struct ssh_host *h);
static void host_fail(struct ssh_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- small helpers ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Single-quotes s for the remote POSIX shell. */
static char *shell_quote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	buf_append_byte(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_append_str(&b, "'\\''");
		else
			buf_append_byte(&b, (uint8_t)*s);
	}
	buf_append_byte(&b, '\'');
	return buf_steal(&b);
}

/* A remote path for the shell: quoted, except a leading "~/" (or a lone "~"), which means the
 * remote user's home as it would in an ssh command line. */
static char *path_quote(const char *s)
{
	char *q, *r;

	if (strcmp(s, "~") == 0)
		return strdup("\"$HOME\"");
	if (strncmp(s, "~/", 2) != 0)
		return shell_quote(s);
	q = shell_quote(s + 2);
	r = q ? xasprintf("\"$HOME\"/%s", q) : NULL;
	free(q);
	return r;
}

static const char *sess_error(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	if (!s)
		return "no session";
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown error";
}

static bool would_block(LIBSSH2_SESSION *s)
{
	return libssh2_session_last_errno(s) == LIBSSH2_ERROR_EAGAIN;
}

/* "SHA256:base64-without-padding" of a key blob, as ssh-keygen -l shows it. */
static void fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int n;

	if (!EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL)) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, outlen, "SHA256:%.*s", n, (const char *)b64);
}

/* The fingerprint of a known_hosts entry's key (base64 of the blob). */
static void fingerprint_b64(const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	unsigned char *blob = malloc(klen + 4);
	int n;

	if (!blob) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	n = EVP_DecodeBlock(blob, (const unsigned char *)key, (int)klen);
	if (n < 0) {
		snprintf(out, outlen, "SHA256:?");
		free(blob);
		return;
	}
	if (klen >= 1 && key[klen - 1] == '=')
		n--;
	if (klen >= 2 && key[klen - 2] == '=')
		n--;
	fingerprint(blob, (size_t)n, out, outlen);
	free(blob);
}

static int knownhost_keytype(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return 0;
	}
}

static const char *hostkey_type_name(int t)
{
	switch (t) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "RSA";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "DSA";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ECDSA";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ED25519";
	default:
		return "unknown";
	}
}

static int read_whole_file(const char *path, size_t max, char **data, size_t *len, int *mode,
			   char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	int rc = -1;

	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		err_set(err, "%s: larger than %zu MiB", path, max >> 20);
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		err_set(err, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, "%s: read error: %s", path, n < 0 ? strerror(errno) : "short");
			goto out;
		}
		got += (size_t)n;
	}
	p[got] = '\0';
	*data = p;
	*len = got;
	if (mode)
		*mode = (int)(st.st_mode & 0777);
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}

/* Does this private key file need a passphrase? PEM keys say so in a header; OpenSSH-format
 * keys name their cipher ("none" when clear) right after the magic. */
static bool key_is_encrypted(const char *path)
{
	char *text = NULL, *b64 = NULL;
	size_t len = 0, n = 0;
	unsigned char *bin = NULL;
	bool enc = false;
	const char *begin, *end;
	int blen;

	if (read_whole_file(path, 1 << 20, &text, &len, NULL, NULL) < 0)
		return false;
	if (strstr(text, "ENCRYPTED")) {
		enc = true;
		goto out;
	}
	begin = strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----");
	if (!begin)
		goto out;
	begin = strchr(begin, '\n');
	end = begin ? strstr(begin, "-----END") : NULL;
	if (!end)
		goto out;
	b64 = malloc((size_t)(end - begin) + 1);
	bin = malloc((size_t)(end - begin) + 4);
	if (!b64 || !bin)
		goto out;
	for (const char *q = begin; q < end; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ')
			b64[n++] = *q;
	b64[n] = '\0';
	blen = EVP_DecodeBlock(bin, (unsigned char *)b64, (int)n);
	/* "openssh-key-v1\0", uint32 length, cipher name */
	if (blen > 19 && memcmp(bin, "openssh-key-v1", 15) == 0) {
		uint32_t cl = (uint32_t)bin[15] << 24 | (uint32_t)bin[16] << 16 |
			      (uint32_t)bin[17] << 8 | bin[18];
		if (cl <= (uint32_t)(blen - 19))
			enc = !(cl == 4 && memcmp(bin + 19, "none", 4) == 0);
	}
out:
	free(text);
	free(b64);
	free(bin);
	return enc;
}

/* ---- events ---- */

static void arm(struct ssh_host *h, bool rd, bool wr)
{
	if (rd && !h->rd_on)
		event_add(h->ev_rd, NULL);
	else if (!rd && h->rd_on)
		event_del(h->ev_rd);
	h->rd_on = rd;
	if (wr && !h->wr_on)
		event_add(h->ev_wr, NULL);
	else if (!wr && h->wr_on)
		event_del(h->ev_wr);
	h->wr_on = wr;
}

static void kick(struct ssh_host *h)
{
	if (h->ev_kick)
		event_active(h->ev_kick, 0, 0);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_host *h = arg;

	if (what & EV_READ)
		h->last_rx_ms = mono_ms();
	if (what & EV_WRITE)
		h->wr_on = false; /* one-shot */
	host_run(h);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	host_run(arg);
}

static bool host_has_links(const struct ssh_host *h)
{
	for (const struct ssh_link *l = h->links; l; l = l->next)
		if (l->st != LS_DONE)
			return true;
	return false;
}

static void links_lost(struct ssh_host *h, const char *why);
static void link_unlink(struct ssh_link *l);
static void link_destroy(struct ssh_link *l);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_host *h = arg;
	int64_t now = mono_ms();

	/* A tick far later than SSH_TICK_MS: this process was stopped or starved, and the
	 * server's answers may be waiting in the socket. That time is not the host's silence. */
	if (h->last_tick_ms && now - h->last_tick_ms > 5 * SSH_TICK_MS)
		h->last_rx_ms += now - h->last_tick_ms;
	h->last_tick_ms = now;
	if (h->st == HS_READY) {
		if (!host_has_links(h))
			return;
		if (now - h->last_rx_ms > h->f->opt.dead_after_ms) {
			char *why = xasprintf("SSH connection to %s lost: no answer for %.1f s "
					      "(host down or network cut)",
					      h->label, (double)(now - h->last_rx_ms) / 1000);
			links_lost(h, why ? why : "SSH connection lost");
			free(why);
			return;
		}
		int next = 0;
		if (libssh2_keepalive_send(h->sess, &next) == 0)
			return;
		host_run(h); /* EAGAIN on the socket: flush when it can */
		return;
	}
	if (h->st == HS_FAILED || h->st == HS_CLOSED || h->st == HS_IDLE)
		return;
	if (now >= h->deadline_ms) {
		switch (h->st) {
		case HS_RESOLVE:
			host_fail(h, "DNS lookup of '%s' timed out after %d ms", h->host,
				  h->f->opt.connect_timeout_ms);
			break;
		case HS_CONNECT:
			host_fail(h,
				  "connect timed out after %d ms (host down, firewalled, or no "
				  "route?)",
				  h->f->opt.connect_timeout_ms);
			break;
		case HS_HANDSHAKE:
			host_fail(h, "no SSH handshake within %d ms (is this port an SSH server?)",
				  SSH_STALL_MS);
			break;
		case HS_CLEANUP:
			host_fail(h, "cleanup timed out");
			break;
		default:
			host_fail(h, "no progress for %d s (host stalled)", SSH_STALL_MS / 1000);
		}
	}
}

/* ---- host lifecycle ---- */

static void set_deadline(struct ssh_host *h, int ms)
{
	h->deadline_ms = mono_ms() + ms;
}

static void cmd_reset(struct ssh_cmd *c)
{
	free(c->command);
	buf_free(&c->out);
	buf_free(&c->errb);
	memset(c, 0, sizeof *c);
	c->status = -1;
}

static void host_release_session(struct ssh_host *h)
{
	for (struct ssh_link *l = h->links; l; l = l->next)
		l->ch = NULL; /* freed with the session */
	h->cmd.ch = NULL;
	if (h->fd >= 0)
		shutdown(h->fd, SHUT_RDWR); /* so nothing below can wait on the peer */
	if (h->fh) {
		libssh2_sftp_close_handle(h->fh);
		h->fh = NULL;
	}
	if (h->sftp) {
		libssh2_sftp_shutdown(h->sftp);
		h->sftp = NULL;
	}
	if (h->agent) {
		libssh2_agent_disconnect(h->agent);
		libssh2_agent_free(h->agent);
		h->agent = NULL;
	}
	if (h->kh) {
		libssh2_knownhost_free(h->kh);
		h->kh = NULL;
	}
	if (h->sess) {
		for (int i = 0; i < 16 && libssh2_session_free(h->sess) == LIBSSH2_ERROR_EAGAIN;
		     i++)
			;
		h->sess = NULL;
	}
	arm(h, false, false);
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
}

static void host_start(struct ssh_host *h);

/* Starts hosts not yet started while fewer than SSH_MAX_OPENING are opening: a fleet of
 * thousands must not open thousands of sockets and key exchanges in the same instant. */
static void fleet_start_more(struct ssh_fleet *f)
{
	if (f->starting)
		return; /* a host that failed at once, inside host_start: the loop below goes on */
	f->starting = true;
	while (f->busy < SSH_MAX_OPENING && f->next_start < f->nplan) {
		struct ssh_host *h = &f->hosts[f->first[f->next_start++]];
		if (h->st == HS_IDLE)
			host_start(h);
	}
	f->starting = false;
}

static void host_done(struct ssh_host *h, enum host_state st)
{
	bool was_busy =
	    h->st != HS_READY && h->st != HS_FAILED && h->st != HS_CLOSED && h->st != HS_IDLE;

	h->st = st;
	if (was_busy && h->f->busy > 0)
		h->f->busy--;
	if (was_busy && st != HS_CLOSED)
		fleet_start_more(h->f);
}

static void host_fail(struct ssh_host *h, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (h->st == HS_FAILED || h->st == HS_CLOSED)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!h->error) {
		h->error = msg;
		msg = NULL;
	}
	free(msg);
	if (h->dns) {
		struct evdns_getaddrinfo_request *r = h->dns;
		h->dns = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	host_release_session(h);
	links_lost(h, h->error ? h->error : "SSH failure");
	host_done(h, HS_FAILED);
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct ssh_host *h = arg;

	h->dns = NULL;
	h->resolving = false;
	if (h->st != HS_RESOLVE) { /* cancelled */
		if (ai)
			evutil_freeaddrinfo(ai);
		return;
	}
	if (result != 0 || !ai) {
		if (result == EVUTIL_EAI_CANCEL)
			return;
		host_fail(h, "cannot resolve host name '%s': %s", h->host,
			  evutil_gai_strerror(result));
		return;
	}
	h->ai = ai;
	h->st = HS_CONNECT;
	h->sub = 0;
	host_run(h);
}

static void host_start(struct ssh_host *h)
{
	struct evutil_addrinfo hints;
	char port[16];
	struct evdns_getaddrinfo_request *req;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%d", h->port);
	h->st = HS_RESOLVE;
	h->f->busy++;
	set_deadline(h, h->f->opt.connect_timeout_ms);
	h->resolving = true;
	req = evdns_getaddrinfo(h->f->dns, h->host, port, &hints, on_resolved, h);
	if (h->resolving)
		h->dns = req;
}

static int do_connect(struct ssh_host *h)
{
	int err = 0;
	socklen_t elen = sizeof err;
	int one = 1;

	if (h->sub == 0) {
		h->fd = socket(h->ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (h->fd < 0) {
			host_fail(h, "socket: %s", strerror(errno));
			return -1;
		}
		h->ev_rd = event_new(h->f->base, h->fd, EV_READ | EV_PERSIST, on_io, h);
		h->ev_wr = event_new(h->f->base, h->fd, EV_WRITE, on_io, h);
		if (!h->ev_rd || !h->ev_wr) {
			host_fail(h, "out of memory");
			return -1;
		}
		setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(h->fd, h->ai->ai_addr, h->ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			goto failed;
		}
		h->sub = 1;
		arm(h, false, true);
		return LIBSSH2_ERROR_EAGAIN;
	}
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY) {
		arm(h, false, true);
		return LIBSSH2_ERROR_EAGAIN;
	}
	if (err == 0) {
		/* A socket that is not yet writable has not connected: SO_ERROR is 0 then too. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getpeername(h->fd, (struct sockaddr *)&ss, &sl) < 0) {
			if (errno == ENOTCONN) {
				arm(h, false, true);
				return LIBSSH2_ERROR_EAGAIN;
			}
			err = errno;
		}
	}
	if (err == 0)
		return 0;
failed:
	if (err == ECONNREFUSED)
		host_fail(h, "connection refused (is sshd listening on port %d?)", h->port);
	else if (err == ENETUNREACH)
		host_fail(h, "network unreachable (no route to %s)", h->host);
	else if (err == EHOSTUNREACH)
		host_fail(h, "no route to host %s", h->host);
	else if (err == ETIMEDOUT)
		host_fail(h, "connect timed out");
	else
		host_fail(h, "connect: %s", strerror(err));
	return -1;
}

static int check_hostkey(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;
	size_t klen = 0;
	int ktype = 0;
	const char *key = libssh2_session_hostkey(h->sess, &klen, &ktype);
	struct libssh2_knownhost *found = NULL;
	char fp[128], oldfp[128];
	int mask, rc;
	FILE *kf;
	char line[16384];
	char kname[300];
	int bad_lines = 0;

	if (!key) {
		host_fail(h, "the server sent no host key");
		return -1;
	}
	fingerprint((const unsigned char *)key, klen, fp, sizeof fp);
	/* The name known_hosts uses: "host" on port 22, "[host]:port" elsewhere. */
	if (h->port == 22)
		snprintf(kname, sizeof kname, "%s", h->host);
	else
		snprintf(kname, sizeof kname, "[%s]:%d", h->host, h->port);
	h->kh = libssh2_knownhost_init(h->sess);
	if (!h->kh) {
		host_fail(h, "out of memory");
		return -1;
	}
	/* Line by line, so one line libssh2 cannot parse (a newer key type, a @cert-authority
	 * marker) does not hide every line after it. */
	kf = fopen(f->known_hosts, "r");
	if (kf) {
		while (fgets(line, sizeof line, kf)) {
			const char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '#' || *p == '\n' || *p == '\0')
				continue;
			if (libssh2_knownhost_readline(h->kh, line, strlen(line),
						       LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
				bad_lines++;
		}
		fclose(kf);
	}
	mask =
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | knownhost_keytype(ktype);
	/* By the exact name, port -1: given a port, libssh2 also falls back to the plain "host"
	 * entries, which OpenSSH keeps for port 22 only; a port-22 key of the same machine is no
	 * mismatch for another port (another sshd), it is unknown there. */
	rc = libssh2_knownhost_checkp(h->kh, kname, -1, key, klen, mask, &found);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return 0;
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		if (found && found->key)
			fingerprint_b64(found->key, oldfp, sizeof oldfp);
		else
			snprintf(oldfp, sizeof oldfp, "(unreadable)");
		host_fail(
		    h,
		    "HOST KEY MISMATCH for %s: it offered the %s key %s but %s records %s "
		    "for it. Someone may be intercepting the connection (a man-in-the-middle "
		    "attack), or the host was reinstalled. Refusing to connect; if the change "
		    "is expected, remove the old entry with: ssh-keygen -R '%s' -f %s",
		    kname, hostkey_type_name(ktype), fp, f->known_hosts, oldfp, kname,
		    f->known_hosts);
		return -1;
	}
	if (rc != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		host_fail(h, "cannot check the host key against %s", f->known_hosts);
		return -1;
	}
	if (!f->opt.accept_new_host_keys) {
		host_fail(h,
			  "unknown host key: %s offered the %s key %s, which is not in %s%s. "
			  "Verify it and add it (ssh-keyscan -p %d %s >> %s), or run with "
			  "--accept-new-host-keys to record it",
			  kname, hostkey_type_name(ktype), fp, f->known_hosts,
			  bad_lines ? " (some of its lines could not be read)" : "", h->port,
			  h->host, f->known_hosts);
		return -1;
	}
	{
		char *name = strdup(kname);
		struct libssh2_knownhost *entry = NULL;
		size_t outlen = 0;
		int fd;

		if (!name ||
		    libssh2_knownhost_addc(h->kh, name, NULL, key, klen, "barrage", 7, mask,
					   &entry) != 0 ||
		    libssh2_knownhost_writeline(h->kh, entry, line, sizeof line, &outlen,
						LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
			free(name);
			host_fail(h, "cannot record the host key");
			return -1;
		}
		free(name);
		fd = open(f->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, line, outlen) != (ssize_t)outlen) {
			host_fail(h, "cannot record the host key in %s: %s", f->known_hosts,
				  strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		if (!f->opt.quiet)
			log_warn("%s: recorded new %s host key %s in %s", h->label,
				 hostkey_type_name(ktype), fp, f->known_hosts);
	}
	return 0;
}

/* Authentication: the given key file; or ssh-agent's keys, then the default key files. */
static int do_auth(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;
	int rc;

	for (;;) {
		switch (h->sub) {
		case 0: /* explicit identity */
			if (!f->identity) {
				h->sub = 1;
				break;
			}
			rc = libssh2_userauth_publickey_fromfile(h->sess, h->user, NULL,
								 f->identity, f->passphrase);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc == 0)
				return 0;
			buf_printf(&h->tried, "%s%s (%s)", h->tried.len ? ", " : "", f->identity,
				   sess_error(h->sess));
			h->sub = 9;
			break;
		case 1: /* ssh-agent */
			if (!getenv("SSH_AUTH_SOCK")) {
				h->sub = 4;
				break;
			}
			h->agent = libssh2_agent_init(h->sess);
			if (!h->agent || libssh2_agent_connect(h->agent) != 0 ||
			    libssh2_agent_list_identities(h->agent) != 0) {
				buf_printf(&h->tried, "%sssh-agent (not reachable)",
					   h->tried.len ? ", " : "");
				h->sub = 4;
				break;
			}
			h->agent_id = NULL;
			h->sub = 2;
			break;
		case 2: /* next agent identity */
			rc = libssh2_agent_get_identity(h->agent, &h->agent_id, h->agent_id);
			if (rc != 0) {
				buf_printf(&h->tried, "%sssh-agent (%d key%s)",
					   h->tried.len ? ", " : "", h->agent_keys,
					   h->agent_keys == 1 ? "" : "s");
				h->sub = 4;
				break;
			}
			h->agent_keys++;
			h->sub = 3;
			break;
		case 3:
			rc = libssh2_agent_userauth(h->agent, h->user, h->agent_id);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc == 0)
				return 0;
			h->sub = 2;
			break;
		case 4: /* default key files */
			if (h->key_file >= f->nkey_files) {
				h->sub = 9;
				break;
			}
			rc = libssh2_userauth_publickey_fromfile(h->sess, h->user, NULL,
								 f->key_files[h->key_file], NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc == 0)
				return 0;
			buf_printf(&h->tried, "%s%s", h->tried.len ? ", " : "",
				   f->key_files[h->key_file]);
			h->key_file++;
			break;
		default:
			host_fail(
			    h,
			    "authentication failed for user '%s' (tried: %s); is the public key "
			    "in ~%s/.ssh/authorized_keys on the host?",
			    h->user, h->tried.len ? h->tried.data : "no keys: none found", h->user);
			return -1;
		}
	}
}

/* ---- setup commands ---- */

static void cmd_start(struct ssh_host *h, char *command)
{
	cmd_reset(&h->cmd);
	h->cmd.command = command;
	buf_init(&h->cmd.out, h->f->custom ? SSH_CUSTOM_OUT_MAX : SSH_CMD_OUT_MAX);
	buf_init(&h->cmd.errb, SSH_CMD_OUT_MAX);
}

/* "SECONDS[.FRACTION]" (as $EPOCHREALTIME or date +%s.%N print it) in nanoseconds; 0 when it
 * is not a time. */
static int64_t parse_epoch_ns(const char *s)
{
	char *end;
	long long sec;
	int64_t frac = 0, scale = 100000000;

	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || end == s || sec <= 0 || sec > 100000000000LL)
		return 0;
	if (*end == '.' || *end == ',') {
		for (end++; *end >= '0' && *end <= '9' && scale > 0; end++, scale /= 10)
			frac += (*end - '0') * scale;
	}
	return (int64_t)sec * 1000000000 + frac;
}

/* Runs h->cmd: 0 when it has exited (status in cmd.status), EAGAIN, or -1 (host failed). */
static int cmd_step(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	char tmp[4096];
	ssize_t n;
	int rc;

	if (!c->command) {
		host_fail(h, "out of memory");
		return -1;
	}
	for (;;) {
		switch (c->st) {
		case 0:
			c->ch = libssh2_channel_open_session(h->sess);
			if (!c->ch) {
				if (would_block(h->sess))
					return LIBSSH2_ERROR_EAGAIN;
				host_fail(h, "cannot open an SSH channel: %s", sess_error(h->sess));
				return -1;
			}
			c->st = 1;
			break;
		case 1:
			rc = libssh2_channel_exec(c->ch, c->command);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc != 0) {
				host_fail(h, "cannot run a command: %s", sess_error(h->sess));
				return -1;
			}
			c->t_exec_ns = real_ns();
			c->st = 2;
			break;
		case 2:
			if (c->pings > 0 && !c->ping_out) {
				rc = (int)libssh2_channel_write(c->ch, "\n", 1);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return rc;
				if (rc < 0) {
					host_fail(h, "clock probe: %s", sess_error(h->sess));
					return -1;
				}
				c->t_ping_ns = real_ns();
				c->ping_out = true;
			}
			if (c->pings == 0 && c->ping_out == false && c->t_ping_ns && !c->eof_sent) {
				rc = libssh2_channel_send_eof(c->ch);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return rc;
				c->eof_sent = true;
			}
			for (;;) {
				n = libssh2_channel_read(c->ch, tmp, sizeof tmp);
				if (n > 0) {
					if (!c->out.len && !c->t_done_ns)
						c->t_done_ns = real_ns();
					buf_append(&c->out, tmp,
						   (size_t)n); /* past the cap: dropped */
					continue;
				}
				if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
					break;
				host_fail(h, "reading command output: %s", sess_error(h->sess));
				return -1;
			}
			for (;;) {
				n = libssh2_channel_read_stderr(c->ch, tmp, sizeof tmp);
				if (n > 0) {
					buf_append(&c->errb, tmp, (size_t)n);
					continue;
				}
				if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
					break;
				host_fail(h, "reading command output: %s", sess_error(h->sess));
				return -1;
			}
			if (c->ping_out && c->out.len > c->parsed &&
			    c->out.data[c->out.len - 1] == '\n') {
				int64_t t1 = real_ns();
				int64_t remote = parse_epoch_ns(c->out.data + c->parsed);
				double rtt = (double)(t1 - c->t_ping_ns) / 1e6;
				if (remote > 0 && (!c->have_sample || rtt < c->best_rtt_ms)) {
					c->best_rtt_ms = rtt;
					c->best_offset_ms =
					    (double)(remote -
						     (c->t_ping_ns + (t1 - c->t_ping_ns) / 2)) /
					    1e6;
					c->have_sample = true;
				}
				c->parsed = c->out.len;
				c->ping_out = false;
				c->pings--;
				continue; /* next probe */
			}
			if (!libssh2_channel_eof(c->ch))
				return LIBSSH2_ERROR_EAGAIN;
			c->st = 3;
			break;
		case 3:
			rc = libssh2_channel_close(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			c->st = 4;
			break;
		case 4:
			rc = libssh2_channel_wait_closed(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			{
				char *sig = NULL;
				size_t slen = 0;
				c->status = libssh2_channel_get_exit_status(c->ch);
				if (libssh2_channel_get_exit_signal(c->ch, &sig, &slen, NULL, NULL,
								    NULL, NULL) == 0 &&
				    sig) {
					snprintf(c->signal, sizeof c->signal, "%s", sig);
					libssh2_free(h->sess, sig);
					c->status = -1;
				}
			}
			c->st = 5;
			break;
		case 5:
			rc = libssh2_channel_free(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			c->ch = NULL;
			if (!c->t_done_ns)
				c->t_done_ns = real_ns();
			return 0;
		}
	}
}

static void trim(struct buf *b)
{
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r' ||
			  b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

/* The version in `barrage-agent --version` output: "barrage-agent 0.1.0 (wire 1)" or a bare
 * "0.1.0". Cut at the first blank after it, in place. */
static char *agent_version_word(char *out)
{
	char *v = out;
	size_t n;

	if (strncmp(v, "barrage-agent ", 14) == 0)
		v += 14;
	while (*v == ' ')
		v++;
	n = strcspn(v, " \t\n(");
	v[n] = '\0';
	return v;
}

static char *step_command(struct ssh_host *h, enum step s)
{
	char *q, *cmd;

	switch (s) {
	case STEP_FACTS:
		return strdup("uname -sm; (nproc 2>/dev/null || getconf _NPROCESSORS_ONLN); "
			      "ulimit -n; " SSH_STALE_LOOP(SSH_SPOOL_TEST "echo \"spool $d\"; else "
									  "echo \"stale $d\"; fi"));
	case STEP_CUSTOM:
		return strdup(h->f->custom[h - h->f->hosts]);
	case STEP_CLEAN:
		/* A lost agent's spool waits for `barrage collect`: not removed, only named. */
		return strdup(SSH_STALE_LOOP(
		    SSH_SPOOL_TEST "echo \"spool $d\"; else "
				   "rm -rf -- \"$d\" && echo \"removed $d\"; fi") "; true");
	case STEP_UNAME:
		return strdup("uname -sm");
	case STEP_MKTEMP:
		return strdup("mktemp -d \"${TMPDIR:-/tmp}/barrage.XXXXXXXX\"");
	case STEP_VERSION:
		q = path_quote(h->agent_path);
		cmd = q ? xasprintf("%s --version", q) : NULL;
		free(q);
		return cmd;
	case STEP_CLOCK:
		/* bash's $EPOCHREALTIME needs no fork, so the remote reading is taken right when
		 * the probe arrives; other shells pay for a `date` process. */
		return strdup("if [ -n \"${EPOCHREALTIME:-}\" ]; then "
			      "while read -r x; do echo \"$EPOCHREALTIME\"; done; "
			      "else while read -r x; do date +%s.%N; done; fi");
	case STEP_RMDIR:
		q = shell_quote(h->remote_dir);
		cmd = q ? xasprintf("rm -rf -- %s", q) : NULL;
		free(q);
		return cmd;
	default:
		return NULL;
	}
}

/* A stale run directory found (hosts check) or removed (hosts clean). */
static void stale_add(struct ssh_host *h, const char *dir)
{
	char **v = realloc(h->stale, (h->nstale + 1) * sizeof(*v));

	if (!v)
		return;
	h->stale = v;
	if ((h->stale[h->nstale] = strdup(dir)))
		h->nstale++;
}

/* What a finished command means. Returns -1 when the host failed. */
static int step_result(struct ssh_host *h, enum step s)
{
	struct ssh_cmd *c = &h->cmd;
	struct ssh_fleet *f = h->f;

	if (s == STEP_CUSTOM) {
		/* Raw bytes (a spool is binary), untrimmed; a full buffer means a cut. */
		if (c->out.len >= SSH_CUSTOM_OUT_MAX) {
			host_fail(h, "command output over %zu MiB", SSH_CUSTOM_OUT_MAX >> 20);
			return -1;
		}
		buf_free(&h->custom_out);
		h->custom_out = c->out;
		buf_init(&c->out, SSH_CMD_OUT_MAX);
		h->custom_status = c->status;
		return 0;
	}
	trim(&c->out);
	trim(&c->errb);
	switch (s) {
	case STEP_FACTS: {
		char *save = NULL, *line;
		int i = 0;
		for (line = strtok_r(c->out.data ? c->out.data : (char *)"", "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save), i++) {
			if (i == 0)
				h->uname = strdup(line);
			else if (i == 1)
				h->cpus = strtol(line, NULL, 10);
			else if (i == 2)
				h->nofile = strcmp(line, "unlimited") == 0 ? LONG_MAX
									   : strtol(line, NULL, 10);
			else if (strncmp(line, "stale ", 6) == 0)
				stale_add(h, line + 6);
			else if (strncmp(line, "spool ", 6) == 0)
				h->nspool++;
		}
		return 0;
	}
	case STEP_CLEAN: {
		char *save = NULL, *line;
		for (line = strtok_r(c->out.data ? c->out.data : (char *)"", "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "removed ", 8) == 0)
				stale_add(h, line + 8);
			else if (strncmp(line, "spool ", 6) == 0)
				h->nspool++;
		if (c->status != 0) {
			host_fail(h, "removing stale directories failed (status %d): %s", c->status,
				  c->errb.len ? c->errb.data : "no message");
			return -1;
		}
		return 0;
	}
	case STEP_UNAME:
		if (c->status != 0 || strcmp(c->out.data ? c->out.data : "", f->local_uname) != 0) {
			host_fail(h,
				  "cannot push the agent: the host runs '%s', this machine '%s' "
				  "(install a barrage-agent built for it instead)",
				  c->out.data ? c->out.data : "?", f->local_uname);
			return -1;
		}
		return 0;
	case STEP_MKTEMP:
		if (c->status != 0 || !c->out.len || c->out.data[0] != '/' ||
		    strchr(c->out.data, '\n')) {
			host_fail(h, "cannot create a remote directory (mktemp -d): %s",
				  c->errb.len ? c->errb.data : "no output");
			return -1;
		}
		h->remote_dir = strdup(c->out.data);
		if (f->opt.push_agent) {
			free(h->agent_path);
			h->agent_path = xasprintf("%s/barrage-agent", c->out.data);
		}
		if (!h->remote_dir || !h->agent_path) {
			host_fail(h, "out of memory");
			return -1;
		}
		return 0;
	case STEP_VERSION: {
		const char *v = c->out.data ? agent_version_word(c->out.data) : "";
		char *problem = NULL;
		if (c->status == 127)
			problem = xasprintf("agent binary '%s' not found on the host (install "
					    "barrage-agent %s on its PATH, or use --push-agent)",
					    h->agent_path, BARRAGE_VERSION);
		else if (c->status == 126)
			problem = xasprintf("agent binary '%s' is not executable on the host",
					    h->agent_path);
		else if (c->status != 0)
			problem =
			    xasprintf("'%s --version' failed (status %d%s%s): %s", h->agent_path,
				      c->status, c->signal[0] ? ", signal " : "", c->signal,
				      c->errb.len ? c->errb.data : "no message");
		else if (strcmp(v, BARRAGE_VERSION) != 0)
			problem = xasprintf("agent '%s' is version '%s' but this controller is %s "
					    "(install the same version, or use --push-agent)",
					    h->agent_path, v, BARRAGE_VERSION);
		if (c->status == 0)
			h->agent_version = strdup(v);
		if (!problem)
			return 0;
		if (f->mode == MODE_CHECK) {
			h->agent_problem = problem; /* a fact to report, keep gathering */
			return 0;
		}
		if (h->remote_dir && !f->opt.keep_remote) {
			/* Remove what we uploaded before failing. */
			h->pending_error = problem;
			h->steps[h->pi + 1] = STEP_RMDIR;
			h->nsteps = h->pi + 2;
			return 0;
		}
		host_fail(h, "%s", problem);
		free(problem);
		return -1;
	}
	case STEP_CLOCK:
		if (c->have_sample) {
			h->clock_offset_ms = c->best_offset_ms;
			h->rtt_ms = c->best_rtt_ms;
			h->have_clock = true;
		}
		return 0;
	case STEP_RMDIR:
		return 0;
	default:
		return 0;
	}
}

/* SFTP every file into the remote directory. 0 done, EAGAIN, -1 failed. */
static int do_upload(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;
	ssize_t n;

	if (!h->remote_paths) {
		h->remote_paths = calloc(f->nfiles + 1, sizeof *h->remote_paths);
		if (!h->remote_paths) {
			host_fail(h, "out of memory");
			return -1;
		}
	}
	if (!h->sftp) {
		h->sftp = libssh2_sftp_init(h->sess);
		if (!h->sftp) {
			if (would_block(h->sess))
				return LIBSSH2_ERROR_EAGAIN;
			host_fail(h,
				  "cannot start SFTP (is the sftp subsystem enabled in sshd?): %s",
				  sess_error(h->sess));
			return -1;
		}
	}
	while (h->file_i < f->nfiles) {
		struct ssh_file *file = &f->files[h->file_i];
		char **rp = &h->remote_paths[h->file_i];
		if (!*rp && !(*rp = xasprintf("%s/%s", h->remote_dir, file->base))) {
			host_fail(h, "out of memory");
			return -1;
		}
		if (!h->fh) {
			h->fh = libssh2_sftp_open(
			    h->sftp, *rp, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
			    file->mode);
			if (!h->fh) {
				if (would_block(h->sess))
					return LIBSSH2_ERROR_EAGAIN;
				host_fail(h, "cannot create %s on the host (SFTP error %lu)", *rp,
					  libssh2_sftp_last_error(h->sftp));
				return -1;
			}
			h->off = 0;
		}
		while (h->off < file->len) {
			size_t chunk = file->len - h->off;
			if (chunk > 256 * 1024)
				chunk = 256 * 1024;
			n = libssh2_sftp_write(h->fh, file->data + h->off, chunk);
			if (n == LIBSSH2_ERROR_EAGAIN)
				return LIBSSH2_ERROR_EAGAIN;
			if (n < 0) {
				host_fail(h, "uploading %s to %s failed (SFTP error %lu)",
					  file->local, *rp, libssh2_sftp_last_error(h->sftp));
				return -1;
			}
			h->off += (size_t)n;
			set_deadline(h, SSH_STALL_MS);
		}
		n = libssh2_sftp_close_handle(h->fh);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return LIBSSH2_ERROR_EAGAIN;
		h->fh = NULL;
		h->file_i++;
	}
	if (h->sftp) {
		if (libssh2_sftp_shutdown(h->sftp) == LIBSSH2_ERROR_EAGAIN)
			return LIBSSH2_ERROR_EAGAIN;
		h->sftp = NULL;
	}
	return 0;
}

/* ---- agent links ---- */

static void link_deliver_close(struct ssh_link *l)
{
	if (l->closed || !l->why)
		return;
	l->closed = true;
	if (l->base.on_close)
		l->base.on_close(&l->base, strcmp(l->why, "") == 0 ? NULL : l->why, l->base.arg);
}

static void link_set_done(struct ssh_link *l, const char *why)
{
	if (l->st == LS_DONE)
		return;
	l->st = LS_DONE;
	if (!l->why)
		l->why = strdup(why ? why : "");
}

static void links_lost(struct ssh_host *h, const char *why)
{
	struct ssh_link *l;

	for (l = h->links; l; l = l->next) {
		l->ch = NULL;
		link_set_done(l, why);
	}
	/* Callbacks may free links: with `running` set, ops_free only marks them, and they are
	 * swept once every callback has run. */
	{
		bool was = h->running;
		struct ssh_link *next;
		h->running = true;
		for (l = h->links; l; l = l->next)
			if (!l->freed)
				link_deliver_close(l);
		h->running = was;
		if (!was)
			for (l = h->links; l; l = next) {
				next = l->next;
				if (l->freed) {
					link_unlink(l);
					link_destroy(l);
				}
			}
	}
	if (h->st == HS_READY) {
		host_release_session(h);
		h->st = HS_FAILED;
		if (!h->error)
			h->error = strdup(why);
	}
}

static void link_flush_log(struct ssh_link *l)
{
	if (l->errline.len && l->base.on_log && !l->freed)
		l->base.on_log(&l->base, l->errline.data, l->errline.len, l->base.arg);
	buf_reset(&l->errline);
}

static void link_stderr(struct ssh_link *l, const char *p, size_t n)
{
	while (n > 0 && !l->freed) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (l->errline.len + take > SSH_LOG_LINE_MAX)
			take = SSH_LOG_LINE_MAX - l->errline.len;
		buf_append(&l->errline, p, take);
		p += take;
		n -= take;
		if (nl && p == nl) {
			p++;
			n--;
			link_flush_log(l);
		} else if (l->errline.len >= SSH_LOG_LINE_MAX) {
			link_flush_log(l);
		}
	}
}

/* Advances one link. Returns true when it is waiting on the socket. */
static void link_step(struct ssh_link *l)
{
	struct ssh_host *h = l->h;
	char tmp[32768];
	ssize_t n;
	int rc;

	for (;;) {
		if (l->freed && l->st != LS_FREE && l->st != LS_DONE)
			l->st = LS_FREE;
		switch (l->st) {
		case LS_OPEN:
			l->ch = libssh2_channel_open_session(h->sess);
			if (!l->ch) {
				if (would_block(h->sess))
					return;
				free(l->why);
				l->why = xasprintf("cannot open an SSH channel to %s: %s", h->label,
						   sess_error(h->sess));
				l->st = LS_DONE;
				return;
			}
			l->st = l->killed ? LS_FREE : LS_EXEC;
			break;
		case LS_EXEC:
			rc = libssh2_channel_exec(l->ch, l->command);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				l->why = xasprintf("cannot start the agent on %s: %s", h->label,
						   sess_error(h->sess));
				l->st = LS_FREE;
				break;
			}
			l->st = LS_RUN;
			break;
		case LS_RUN:
			if (l->killed) {
				l->st = LS_FREE;
				break;
			}
			while (l->wq.len) {
				n = libssh2_channel_write(l->ch, l->wq.data, l->wq.len);
				if (n == LIBSSH2_ERROR_EAGAIN)
					break;
				if (n < 0) {
					/* The agent's side is closed (it exited, say): what it
					 * could not read is dropped, and reading on to its exit
					 * status tells why, better than this error would. */
					buf_reset(&l->wq);
					l->want_eof = l->eof_sent = true;
					break;
				}
				buf_consume(&l->wq, (size_t)n);
			}
			if (l->st != LS_RUN)
				break;
			if (!l->wq.len && l->want_eof && !l->eof_sent) {
				rc = libssh2_channel_send_eof(l->ch);
				if (rc == 0)
					l->eof_sent = true;
				else if (rc != LIBSSH2_ERROR_EAGAIN)
					l->eof_sent = true; /* the channel is going anyway */
			}
			for (;;) {
				n = libssh2_channel_read(l->ch, tmp, sizeof tmp);
				if (n <= 0)
					break;
				if (l->base.on_data)
					l->base.on_data(&l->base, tmp, (size_t)n, l->base.arg);
				if (l->freed || l->killed)
					break;
			}
			if (n < 0 && n != LIBSSH2_ERROR_EAGAIN && !l->freed && !l->killed) {
				l->why = xasprintf("SSH channel to %s failed: %s", h->label,
						   sess_error(h->sess));
				l->st = LS_FREE;
				break;
			}
			for (;;) {
				if (l->freed || l->killed)
					break;
				n = libssh2_channel_read_stderr(l->ch, tmp, sizeof tmp);
				if (n <= 0)
					break;
				link_stderr(l, tmp, (size_t)n);
			}
			if (l->freed || l->killed)
				break;
			if (!libssh2_channel_eof(l->ch))
				return;
			link_flush_log(l);
			l->st = LS_CLOSE;
			break;
		case LS_CLOSE:
			rc = libssh2_channel_close(l->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			l->st = LS_WAITCLOSED;
			break;
		case LS_WAITCLOSED:
			rc = libssh2_channel_wait_closed(l->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			{
				char *sig = NULL;
				size_t slen = 0;
				l->status = libssh2_channel_get_exit_status(l->ch);
				if (libssh2_channel_get_exit_signal(l->ch, &sig, &slen, NULL, NULL,
								    NULL, NULL) == 0 &&
				    sig) {
					snprintf(l->signal, sizeof l->signal, "%s", sig);
					libssh2_free(h->sess, sig);
				}
			}
			if (!l->why) {
				if (l->signal[0])
					l->why = xasprintf("agent on %s killed by signal %s",
							   h->label, l->signal);
				else if (l->status != 0)
					l->why = xasprintf("agent on %s exited with status %d",
							   h->label, l->status);
				else
					l->why = strdup("");
			}
			l->st = LS_FREE;
			break;
		case LS_FREE:
			if (l->ch) {
				rc = libssh2_channel_free(l->ch);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return;
				l->ch = NULL;
			}
			if (!l->why)
				l->why = l->killed
					     ? xasprintf("agent on %s killed by the controller",
							 h->label)
					     : xasprintf("SSH channel to %s closed", h->label);
			l->st = LS_DONE;
			break;
		case LS_DONE:
			if (!l->freed)
				link_deliver_close(l);
			return;
		}
	}
}

static void link_unlink(struct ssh_link *l)
{
	struct ssh_host *h = l->h;

	if (!h)
		return;
	for (struct ssh_link **pp = &h->links; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	l->h = NULL;
}

static void link_destroy(struct ssh_link *l)
{
	buf_free(&l->wq);
	buf_free(&l->errline);
	free(l->command);
	free(l->why);
	free(l->base.id);
	free(l->base.host);
	free(l);
}

static void host_links_run(struct ssh_host *h)
{
	struct ssh_link *l, *next;

	for (l = h->links; l; l = l->next)
		link_step(l);
	/* Links freed by their owner (possibly inside a callback above) go once their channel is
	 * gone. */
	for (l = h->links; l; l = next) {
		next = l->next;
		if (l->freed && (l->st == LS_DONE || !l->ch)) {
			link_unlink(l);
			link_destroy(l);
		}
	}
}

static int ops_write(struct agent_link *al, const void *data, size_t len)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (!l->h || l->st == LS_DONE || l->killed || l->want_eof)
		return -1;
	if (buf_append(&l->wq, data, len) < 0) {
		/* The agent stopped reading: treat it as lost rather than grow without bound. */
		l->killed = true;
		free(l->why);
		l->why = xasprintf("agent on %s stopped reading its input (%zu MiB queued)",
				   l->h->label, SSH_WQ_MAX >> 20);
		kick(l->h);
		return -1;
	}
	kick(l->h);
	return 0;
}

static void ops_shutdown(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	l->want_eof = true;
	if (l->h)
		kick(l->h);
}

static void ops_kill(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (l->killed || l->st == LS_DONE)
		return;
	l->killed = true;
	if (l->h)
		kick(l->h);
}

static void ops_free(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (!l)
		return;
	l->freed = true;
	if (!l->h || l->st == LS_DONE || !l->ch) {
		if (l->h && l->h->running)
			return; /* host_links_run removes it */
		link_unlink(l);
		link_destroy(l);
		return;
	}
	kick(l->h);
}

static const struct agent_link_ops ssh_link_ops = {
    .write = ops_write,
    .shutdown = ops_shutdown,
    .kill = ops_kill,
    .free = ops_free,
};

/* ---- the host driver ---- */

/* OpenSSH's host key order, restricted to what this libssh2 supports: listing an unsupported
 * name makes libssh2 1.10 drop it with an overlapping memcpy. */
static void set_hostkey_prefs(LIBSSH2_SESSION *s)
{
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(s, LIBSSH2_METHOD_HOSTKEY, &algs);
	char want[] = SSH_HOSTKEY_PREFS;
	char *save = NULL;
	struct buf b;

	if (n <= 0)
		return;
	buf_init(&b, 4096);
	for (char *w = strtok_r(want, ",", &save); w; w = strtok_r(NULL, ",", &save))
		for (int i = 0; i < n; i++)
			if (strcmp(algs[i], w) == 0)
				buf_printf(&b, "%s%s", b.len ? "," : "", w);
	if (b.len)
		libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, b.data);
	libssh2_free(s, algs);
	buf_free(&b);
}

static void host_steps_plan(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;

	h->nsteps = 0;
	if (h->primary || f->opt.no_setup)
		return;
	if (f->mode == MODE_CHECK && f->custom) {
		h->steps[h->nsteps++] = STEP_CUSTOM;
		return;
	}
	if (f->mode == MODE_CHECK && f->clean) {
		h->steps[h->nsteps++] = STEP_CLEAN;
		return;
	}
	if (f->mode == MODE_CHECK && f->opt.push_agent) {
		/* What `run --push-agent` does, in a directory removed at once: the same system,
		 * the upload, the pushed agent's version. */
		h->steps[h->nsteps++] = STEP_FACTS;
		h->steps[h->nsteps++] = STEP_UNAME;
		h->steps[h->nsteps++] = STEP_MKTEMP;
		h->steps[h->nsteps++] = STEP_UPLOAD;
		h->steps[h->nsteps++] = STEP_VERSION;
		h->steps[h->nsteps++] = STEP_RMDIR;
		h->steps[h->nsteps++] = STEP_CLOCK;
		return;
	}
	if (f->mode == MODE_CHECK) {
		h->steps[h->nsteps++] = STEP_FACTS;
		h->steps[h->nsteps++] = STEP_VERSION;
		h->steps[h->nsteps++] = STEP_CLOCK;
		return;
	}
	/* An installed agent is checked before anything is created on the host; a pushed one
	 * can only be checked once it is there. */
	if (f->opt.push_agent)
		h->steps[h->nsteps++] = STEP_UNAME;
	else
		h->steps[h->nsteps++] = STEP_VERSION;
	h->steps[h->nsteps++] = STEP_MKTEMP;
	if (f->nfiles)
		h->steps[h->nsteps++] = STEP_UPLOAD;
	if (f->opt.push_agent)
		h->steps[h->nsteps++] = STEP_VERSION;
}

static void host_run(struct ssh_host *h)
{
	int rc = 0;
	int dirs;

	log_debug("%s: run state %d sub %d step %d", h->label, (int)h->st, h->sub, h->pi);
	if (h->running)
		return;
	h->running = true;
	for (;;) {
		switch (h->st) {
		case HS_IDLE:
		case HS_RESOLVE:
		case HS_FAILED:
		case HS_CLOSED:
			goto out;
		case HS_CONNECT:
			rc = do_connect(h);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto out; /* do_connect armed the write event */
			if (rc < 0)
				goto out;
			h->reachable = true;
			h->sess = libssh2_session_init_ex(NULL, NULL, NULL, h);
			if (!h->sess) {
				host_fail(h, "cannot create an SSH session");
				goto out;
			}
			libssh2_session_set_blocking(h->sess, 0);
			set_hostkey_prefs(h->sess);
			h->st = HS_HANDSHAKE;
			set_deadline(h, SSH_STALL_MS);
			break;
		case HS_HANDSHAKE:
			rc = libssh2_session_handshake(h->sess, h->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc != 0) {
				host_fail(h, "SSH handshake failed: %s", sess_error(h->sess));
				goto out;
			}
			if (check_hostkey(h) < 0)
				goto out;
			h->st = HS_AUTH;
			h->sub = 0;
			set_deadline(h, SSH_STALL_MS);
			break;
		case HS_AUTH:
			rc = do_auth(h);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc < 0)
				goto out;
			h->auth_ok = true;
			/* A host's extra connections log in one after another: sshd's MaxStartups
			 * (10 by default) drops unauthenticated connections beyond its limit. */
			if (h->next_conn && h->next_conn->st == HS_IDLE)
				host_start(h->next_conn);
			libssh2_keepalive_config(h->sess, 1, SSH_KEEPALIVE_S);
			host_steps_plan(h);
			h->pi = 0;
			h->sub = 0;
			h->st = HS_STEPS;
			set_deadline(h, SSH_STALL_MS);
			break;
		case HS_STEPS:
		case HS_CLEANUP:
			if (h->pi >= h->nsteps && h->pending_error) {
				host_fail(h, "%s", h->pending_error);
				goto out;
			}
			if (h->pi >= h->nsteps) {
				host_done(h, h->st == HS_CLEANUP ? HS_CLOSED : HS_READY);
				h->last_rx_ms = mono_ms();
				if (h->f->mode == MODE_CHECK)
					host_release_session(
					    h); /* facts gathered: free the socket */
				break;
			}
			if (h->steps[h->pi] == STEP_UPLOAD) {
				rc = do_upload(h);
			} else {
				if (h->sub == 0) {
					cmd_start(h, step_command(h, h->steps[h->pi]));
					if (h->steps[h->pi] == STEP_CLOCK)
						h->cmd.pings = 5;
					h->sub = 1;
				}
				rc = cmd_step(h);
				if (rc == 0)
					rc = step_result(h, h->steps[h->pi]);
			}
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc < 0)
				goto out;
			h->pi++;
			h->sub = 0;
			set_deadline(h, SSH_STALL_MS);
			break;
		case HS_READY:
			host_links_run(h);
			if (h->st != HS_READY)
				goto out;
			goto wait;
		}
	}
wait:
	if (h->sess) {
		dirs = libssh2_session_block_directions(h->sess);
		arm(h,
		    (dirs & LIBSSH2_SESSION_BLOCK_INBOUND) || h->st != HS_READY ||
			host_has_links(h),
		    (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0);
	}
out:
	h->running = false;
	if (h->st == HS_FAILED)
		host_links_run(h); /* drop links freed during the failure's callbacks */
}

/* ---- the fleet ---- */

static void host_clear(struct ssh_host *h)
{
	struct ssh_link *l, *next;

	if (h->dns) {
		struct evdns_getaddrinfo_request *r = h->dns;
		h->dns = NULL;
		h->st = HS_CLOSED;
		evdns_getaddrinfo_cancel(r);
	}
	host_release_session(h);
	for (l = h->links; l; l = next) {
		next = l->next;
		l->h = NULL; /* the owner frees it; its operations now fail */
		l->st = LS_DONE;
		if (!l->why)
			l->why = strdup("SSH fleet closed");
		if (l->freed)
			link_destroy(l);
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
	cmd_reset(&h->cmd);
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
	free(h->uname);
	free(h->agent_version);
	free(h->agent_problem);
	free(h->pending_error);
	for (size_t i = 0; i < h->nstale; i++)
		free(h->stale[i]);
	free(h->stale);
	buf_free(&h->custom_out);
}

static void fleet_free(struct ssh_fleet *f)
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

/* Asks on the terminal (not stdin: that may be a pipe) with echo off. Unlike getpass(), input
 * typed ahead of the prompt is kept. */
static char *ask_passphrase(const char *path, char **err)
{
	struct termios old, quiet;
	char line[1024];
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	bool restore = false;
	char *out = NULL;

	if (fd < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		err_set(err,
			"%s: the key is encrypted and there is no terminal to ask for its "
			"passphrase; load it into ssh-agent (ssh-add) instead",
			path);
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSANOW, &quiet) == 0;
	}
	dprintf(fd, "Enter passphrase for key '%s': ", path);
	while (n + 1 < sizeof line) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		line[n++] = c;
	}
	line[n] = '\0';
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	dprintf(fd, "\n");
	close(fd);
	out = strdup(line);
	explicit_bzero(line, sizeof line);
	if (!out)
		err_set(err, "out of memory");
	return out;
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

static struct ssh_fleet *fleet_new(struct event_base *base, const struct plan_host *hosts,
				   size_t nhosts, const struct ssh_options *opt,
				   enum fleet_mode mode, char **err)
{
	struct ssh_fleet *f = calloc(1, sizeof *f);
	const char *home = getenv("HOME");
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
	if (!home || !*home)
		home = "/root";
	f->known_hosts =
	    opt->known_hosts ? strdup(opt->known_hosts) : xasprintf("%s/.ssh/known_hosts", home);
	if (opt->identity) {
		if (access(opt->identity, R_OK) != 0) {
			err_set(err, "%s: cannot read the key file: %s", opt->identity,
				strerror(errno));
			goto fail;
		}
		f->identity = strdup(opt->identity);
		if (key_is_encrypted(opt->identity) &&
		    !(f->passphrase = ask_passphrase(opt->identity, err)))
			goto fail;
	} else {
		static const char *const names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
		for (size_t i = 0; i < 3; i++) {
			char *p = xasprintf("%s/.ssh/%s", home, names[i]);
			/* Encrypted default keys are ssh-agent's business: prompting for keys the
			 * user did not name would be a surprise. */
			if (p && access(p, R_OK) == 0 && !key_is_encrypted(p))
				f->key_files[f->nkey_files++] = p;
			else
				free(p);
		}
	}
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
		f->nconn[i] = mode == MODE_CHECK
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
		struct timeval tick = {0, SSH_TICK_MS * 1000};
		size_t i = 0;
		while (i + 1 < nhosts && f->first[i + 1] <= c)
			i++;
		h->f = f;
		h->idx = i;
		h->primary = c == f->first[i] ? NULL : &f->hosts[f->first[i]];
		h->next_conn = c + 1 < f->first[i] + f->nconn[i] ? &f->hosts[c + 1] : NULL;
		h->fd = -1;
		h->cmd.status = -1;
		h->cpus = h->nofile = -1;
		buf_init(&h->tried, 4096);
		h->user = hosts[i].user ? strdup(hosts[i].user) : local_user();
		h->host = strdup(hosts[i].host ? hosts[i].host : "");
		h->port = hosts[i].port > 0 ? hosts[i].port : 22;
		h->agents = hosts[i].agents ? hosts[i].agents : 1;
		h->label = xasprintf(strchr(h->host, ':') ? "%s@[%s]:%d" : "%s@%s:%d",
				     h->user ? h->user : "?", h->host, h->port);
		h->ev_tick = event_new(base, -1, EV_PERSIST, on_tick, h);
		h->ev_kick = event_new(base, -1, 0, on_kick, h);
		if (!h->user || !h->host || !h->label || !h->ev_tick || !h->ev_kick) {
			err_set(err, "out of memory");
			goto fail;
		}
		event_add(h->ev_tick, &tick);
	}
	return f;
fail:
	fleet_free(f);
	return NULL;
}

/* Runs the loop until no host is busy (opening or cleaning up). The loop is the caller's: if
 * one of its events asks the loop to stop (Ctrl-C, a setup deadline), the hosts still busy are
 * given up rather than holding the caller for their timeouts. */
static void fleet_wait(struct ssh_fleet *f)
{
	while (f->busy > 0) {
		if (event_base_loop(f->base, EVLOOP_ONCE) < 0)
			break;
		if (event_base_got_exit(f->base) || event_base_got_break(f->base)) {
			for (size_t i = 0; i < f->nhosts; i++) {
				struct ssh_host *h = &f->hosts[i];
				if (h->st != HS_READY && h->st != HS_FAILED && h->st != HS_CLOSED &&
				    h->st != HS_IDLE)
					host_fail(h, "interrupted");
			}
			break;
		}
	}
}

static char *self_dir_agent(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "barrage-agent");
	return strdup(path);
}

/* A file's name in the remote directory: its own base name unless another upload has it, or
 * it is one the directory needs (the pushed agent, the agents' lock); then "N-name". Plan paths
 * are rewritten to whatever it gets, so any two data files can be uploaded. */
static bool upload_name_taken(const struct ssh_fleet *f, const char *name)
{
	if (strcmp(name, ".barrage-lock") == 0 ||
	    (f->opt.push_agent && strcmp(name, "barrage-agent") == 0))
		return true;
	for (size_t k = 0; k < f->nfiles; k++)
		if (f->files[k].base && strcmp(f->files[k].base, name) == 0)
			return true;
	return false;
}

static char *upload_name(const struct ssh_fleet *f, const char *base)
{
	char *name = strdup(base);

	for (unsigned n = 2; name && upload_name_taken(f, name); n++) {
		free(name);
		name = xasprintf("%u-%s", n, base);
	}
	return name;
}

/* --push-agent: the local barrage-agent becomes the last file to upload (f->files has room). */
static int fleet_add_agent_file(struct ssh_fleet *f, char **err)
{
	struct ssh_file *sf = &f->files[f->nfiles];

	f->local_agent = f->opt.local_agent ? strdup(f->opt.local_agent) : self_dir_agent();
	if (!f->local_agent)
		return err_set(err, "cannot find the local barrage-agent to push");
	if (!(sf->local = strdup(f->local_agent)) ||
	    read_whole_file(f->local_agent, SSH_FILE_MAX, &sf->data, &sf->len, NULL, err) < 0)
		return err_prefix(err, "--push-agent");
	sf->base = strdup("barrage-agent");
	sf->mode = 0755;
	if (!sf->base) {
		free(sf->local);
		free(sf->data);
		sf->local = sf->data = NULL;
		return err_set(err, "out of memory");
	}
	f->nfiles++;
	return 0;
}

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
	f = fleet_new(base, hosts, nhosts, opt, MODE_FLEET, err);
	if (!f)
		return -1;
	f->files = calloc(nfiles + 1, sizeof *f->files);
	if (!f->files) {
		fleet_free(f);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct ssh_file *sf = &f->files[f->nfiles];
		const char *slash = strrchr(files[i], '/');
		if (!(sf->local = strdup(files[i])) ||
		    read_whole_file(files[i], SSH_FILE_MAX, &sf->data, &sf->len, &sf->mode, err) <
			0) {
			fleet_free(f);
			return -1;
		}
		/* The file keeps its mode (read_whole_file): a 0600 accounts file stays 0600. */
		sf->base = upload_name(f, slash ? slash + 1 : files[i]);
		f->nfiles++;
		if (!sf->base) {
			fleet_free(f);
			return err_set(err, "out of memory");
		}
	}
	if (opt->push_agent && fleet_add_agent_file(f, err) < 0) {
		fleet_free(f);
		return -1;
	}
	for (size_t c = 0; c < f->nhosts; c++) {
		f->hosts[c].agent_path =
		    strdup(opt->remote_agent ? opt->remote_agent : "barrage-agent");
		if (!f->hosts[c].agent_path) {
			fleet_free(f);
			return err_set(err, "out of memory");
		}
	}
	fleet_start_more(f);
	fleet_wait(f);

	buf_init(&msg, 1 << 20);
	for (size_t i = 0; i < nhosts; i++) {
		/* One line per host: its first failed connection says why. */
		for (size_t c = f->first[i]; c < f->first[i] + f->nconn[i]; c++) {
			struct ssh_host *h = &f->hosts[c];
			if (h->st == HS_READY)
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
		if (f->hosts[c].st != HS_READY)
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
	struct ssh_link *l;

	*out = NULL;
	if (!f || host >= f->nplan)
		return err_set(err, "no host %zu in the fleet", host);
	{
		size_t k = slot / SSH_CHANNELS_PER_CONN;
		if (k >= f->nconn[host])
			k = slot % f->nconn[host];
		h = &f->hosts[f->first[host] + k];
	}
	if (h->st != HS_READY)
		return err_set(err, "%s: %s", h->label,
			       h->error ? h->error : "the host is not connected");
	l = calloc(1, sizeof *l);
	if (!l)
		return err_set(err, "out of memory");
	l->base.ops = &ssh_link_ops;
	l->base.id = xasprintf("%s#%u", h->label, slot);
	l->base.host = strdup(h->host);
	l->command = strdup(command);
	l->h = h;
	l->status = -1;
	buf_init(&l->wq, SSH_WQ_MAX);
	buf_init(&l->errline, SSH_LOG_LINE_MAX + 1);
	if (!l->base.id || !l->base.host || !l->command) {
		link_destroy(l);
		return err_set(err, "out of memory");
	}
	l->next = h->links;
	h->links = l;
	if (!host_has_links(h) || h->links->next == NULL)
		h->last_rx_ms = mono_ms(); /* liveness is measured from the first agent on */
	kick(h); /* opens the channel from the loop, after the caller set its callbacks */
	*out = &l->base;
	return 0;
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
	qdir = shell_quote(h->remote_dir ? h->remote_dir : "/tmp");
	qagent = path_quote(h->agent_path ? h->agent_path : "barrage-agent");
	/* --run-dir: the agents remove the directory themselves when the last one exits, for
	 * whatever reason (a controller killed or cut off cannot do it). */
	if (qdir && qagent && h->remote_dir && !f->opt.keep_remote)
		cmd = xasprintf("cd %s && exec %s --run-dir %s", qdir, qagent, qdir);
	else
		cmd = qdir && qagent ? xasprintf("cd %s && exec %s", qdir, qagent) : NULL;
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
			if (l->st != LS_DONE)
				l->killed = true;
		if (h->st == HS_READY)
			kick(h);
	}
	until = mono_ms() + SSH_CLOSE_WAIT_MS;
	for (;;) {
		bool waiting = false;
		for (size_t i = 0; i < f->nhosts; i++) {
			struct ssh_host *h = &f->hosts[i];
			for (struct ssh_link *l = h->links; l; l = l->next)
				if (l->st != LS_DONE && h->st == HS_READY)
					waiting = true;
		}
		if (!waiting || mono_ms() > until)
			break;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	for (size_t i = 0; i < f->nhosts; i++) {
		struct ssh_host *h = &f->hosts[i];
		if (h->st != HS_READY)
			continue;
		if (h->remote_dir && !f->opt.keep_remote) {
			h->steps[0] = STEP_RMDIR;
			h->nsteps = 1;
			h->pi = 0;
			h->sub = 0;
			h->st = HS_CLEANUP;
			f->busy++;
			set_deadline(h, SSH_CLOSE_WAIT_MS);
			kick(h);
		} else {
			h->st = HS_CLOSED;
		}
	}
	fleet_wait(f);
	for (size_t i = 0; i < f->nhosts; i++) {
		struct ssh_host *h = &f->hosts[i];
		if (h->sess) {
			/* Best effort, one try: a polite goodbye must not hold up the exit. */
			libssh2_session_disconnect(h->sess, "barrage run finished");
		}
	}
	fleet_free(f);
}

/* ---- barrage hosts check ---- */

static int parse_ms(const char *s, int *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0 || *end == '\0')
		;
	else if (strcmp(end, "s") == 0)
		v *= 1000;
	else
		return -1;
	if (v < 1 || v > 600000)
		return -1;
	*out = (int)v;
	return 0;
}

static void check_usage(FILE *to, bool clean)
{
	if (clean) {
		fprintf(to,
			"usage: barrage hosts clean FILE [--known-hosts FILE] [-i KEY]\n"
			"                           [--accept-new-host-keys] [--connect-timeout "
			"DURATION]\n"
			"\n"
			"Removes from every host of the hosts file the stale run directories\n"
			"(${TMPDIR:-/tmp}/barrage.XXXXXXXX) that no running agent uses: what a\n"
			"killed agent or an old version left behind. Exit 0 when every host was\n"
			"cleaned, 3 when one could not be reached, 2 on a usage or hosts file "
			"error.\n");
		return;
	}
	fprintf(
	    to,
	    "usage: barrage hosts check FILE [--json] [--known-hosts FILE] [-i KEY]\n"
	    "                           [--accept-new-host-keys] [--agent PATH | --push-agent]\n"
	    "                           [--connect-timeout DURATION]\n"
	    "\n"
	    "Connects to every host of the hosts file in parallel and reports, per host:\n"
	    "reachable, authentication, barrage-agent version, CPU count, open-file limit\n"
	    "(ulimit -n), clock offset and stale run directories. With --push-agent it checks\n"
	    "what `run --push-agent` does: same system, upload, the pushed agent's version.\n"
	    "Exit 0 when every host is fine, 3 when one has a problem, 2 on a usage or hosts\n"
	    "file error.\n");
}

#define CHECK_NOFILE_MIN    1024
#define CHECK_NOFILE_WARN   65536
#define CHECK_CLOCK_WARN_MS 1000.0

static void host_verdict(struct ssh_host *h, char **problem, char **warning)
{
	*problem = NULL;
	*warning = NULL;
	if (h->error)
		*problem = strdup(h->error);
	else if (h->agent_problem)
		*problem = strdup(h->agent_problem);
	else if (h->nofile >= 0 && h->nofile < CHECK_NOFILE_MIN)
		*problem = xasprintf("open-file limit %ld is below %d: raise it (ulimit -n / "
				     "limits.conf)",
				     h->nofile, CHECK_NOFILE_MIN);
	if (*problem)
		return;
	if (h->nofile >= 0 && h->nofile < CHECK_NOFILE_WARN)
		*warning = xasprintf("open-file limit %ld caps connections per agent", h->nofile);
	else if (h->have_clock && (h->clock_offset_ms > CHECK_CLOCK_WARN_MS ||
				   h->clock_offset_ms < -CHECK_CLOCK_WARN_MS))
		*warning = xasprintf("clock is %.0f ms off: run NTP/chrony", h->clock_offset_ms);
	if (h->nspool) {
		char *w = xasprintf("%s%s%zu run director%s hold%s the statistics of a lost agent: "
				    "`barrage collect RUN_DIR` fetches them",
				    *warning ? *warning : "", *warning ? "; " : "", h->nspool,
				    h->nspool == 1 ? "y" : "ies", h->nspool == 1 ? "s" : "");

		free(*warning);
		*warning = w;
	}
	if (h->nstale) {
		char *w = xasprintf("%s%s%zu stale run director%s (%s%s): `barrage hosts clean` "
				    "removes them",
				    *warning ? *warning : "", *warning ? "; " : "", h->nstale,
				    h->nstale == 1 ? "y" : "ies", h->stale[0],
				    h->nstale > 1 ? ", ..." : "");

		free(*warning);
		*warning = w;
	}
}

static int hosts_main(int argc, char **argv, bool clean)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"push-agent", no_argument, NULL, 'P'},
	    {"known-hosts", required_argument, NULL, 'k'},
	    {"identity", required_argument, NULL, 'i'},
	    {"accept-new-host-keys", no_argument, NULL, 'a'},
	    {"agent", required_argument, NULL, 'A'},
	    {"connect-timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {NULL, 0, NULL, 0},
	};
	struct ssh_options opt = {.connect_timeout_ms = 5000};
	struct plan_host *hosts = NULL;
	size_t nhosts = 0;
	struct ssh_fleet *f = NULL;
	struct event_base *base = NULL;
	char *err = NULL;
	bool json = false;
	int c, rc = 2, bad = 0;

	if (argc > 0 && strcmp(argv[0], "hosts") == 0) {
		argc--;
		argv++;
	}
	if (argc > 0 && strcmp(argv[0], clean ? "clean" : "check") == 0) {
		argc--;
		argv++;
	}
	/* getopt wants a program name in argv[0]. */
	char **av = calloc((size_t)argc + 2, sizeof *av);
	if (!av)
		return 4;
	av[0] = (char *)(clean ? "barrage hosts clean" : "barrage hosts check");
	for (int i = 0; i < argc; i++)
		av[i + 1] = argv[i];
	optind = 0; /* 0, not 1: glibc then resets its whole state left by main's own getopt */
	while ((c = getopt_long(argc + 1, av, "i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			opt.known_hosts = optarg;
			break;
		case 'i':
			opt.identity = optarg;
			break;
		case 'a':
			opt.accept_new_host_keys = true;
			break;
		case 'A':
			opt.remote_agent = optarg;
			break;
		case 'P':
			opt.push_agent = true;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 't':
			if (parse_ms(optarg, &opt.connect_timeout_ms) < 0) {
				fprintf(stderr,
					"barrage: --connect-timeout: bad duration '%s' (e.g. 5s, "
					"500ms)\n",
					optarg);
				goto out;
			}
			break;
		case 'h':
			check_usage(stdout, clean);
			rc = 0;
			goto out;
		default:
			check_usage(stderr, clean);
			goto out;
		}
	}
	if (optind + 1 != argc + 1) {
		fprintf(stderr, "barrage: hosts %s: %s\n", clean ? "clean" : "check",
			optind > argc ? "missing the hosts FILE" : "one hosts FILE expected");
		check_usage(stderr, clean);
		goto out;
	}
	if (clean && (json || opt.push_agent || opt.remote_agent)) {
		fprintf(stderr, "barrage: hosts clean: --json, --agent and --push-agent are for "
				"hosts check\n");
		check_usage(stderr, clean);
		goto out;
	}
	if (opt.push_agent && opt.remote_agent) {
		fprintf(stderr, "barrage: hosts check: --agent PATH names an installed agent, "
				"--push-agent uploads this one: choose one\n");
		goto out;
	}
	if (hosts_file_read(av[optind], &hosts, &nhosts, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		goto out;
	}
	base = event_base_new();
	if (!base) {
		rc = 4;
		goto out;
	}
	f = fleet_new(base, hosts, nhosts, &opt, MODE_CHECK, &err);
	if (!f) {
		fprintf(stderr, "barrage: %s\n", err);
		goto out;
	}
	f->clean = clean;
	if (opt.push_agent) {
		f->files = calloc(2, sizeof *f->files);
		if (!f->files || fleet_add_agent_file(f, &err) < 0) {
			fprintf(stderr, "barrage: %s\n", err ? err : "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < nhosts; i++) {
		f->hosts[i].agent_path =
		    strdup(opt.remote_agent ? opt.remote_agent : "barrage-agent");
	}
	fleet_start_more(f);
	fleet_wait(f);

	if (clean) {
		for (size_t i = 0; i < nhosts; i++) {
			struct ssh_host *h = &f->hosts[i];

			if (h->error) {
				bad++;
				printf("%-28s FAIL   %s\n", h->label, h->error);
				continue;
			}
			printf("%-28s ok     %zu stale director%s removed", h->label, h->nstale,
			       h->nstale == 1 ? "y" : "ies");
			if (h->nspool)
				printf("; %zu kept: %s the statistics of a lost agent (barrage "
				       "collect RUN_DIR)",
				       h->nspool, h->nspool == 1 ? "it holds" : "they hold");
			printf("\n");
			for (size_t k = 0; k < h->nstale; k++)
				printf("%-28s        removed %s\n", "", h->stale[k]);
		}
		printf("%zu host%s, %d could not be cleaned\n", nhosts, nhosts == 1 ? "" : "s",
		       bad);
	} else if (json) {
		json_t *root = json_object(), *arr = json_array();
		for (size_t i = 0; i < nhosts; i++) {
			struct ssh_host *h = &f->hosts[i];
			char *problem, *warning;
			json_t *o = json_object();
			host_verdict(h, &problem, &warning);
			bad += problem != NULL;
			json_object_set_new(o, "host", json_string(h->host));
			json_object_set_new(o, "user", json_string(h->user));
			json_object_set_new(o, "port", json_integer(h->port));
			json_object_set_new(o, "line", json_integer(hosts[i].pos.line));
			json_object_set_new(o, "ok", json_boolean(!problem));
			json_object_set_new(o, "reachable", json_boolean(h->reachable));
			json_object_set_new(o, "auth", json_boolean(h->auth_ok));
			json_object_set_new(o, "agent_version",
					    h->agent_version ? json_string(h->agent_version)
							     : json_null());
			json_object_set_new(o, "system",
					    h->uname ? json_string(h->uname) : json_null());
			json_object_set_new(o, "cpus",
					    h->cpus >= 0 ? json_integer(h->cpus) : json_null());
			json_object_set_new(
			    o, "nofile",
			    h->nofile >= 0 ? json_integer(h->nofile == LONG_MAX ? -1 : h->nofile)
					   : json_null());
			json_object_set_new(o, "clock_offset_ms",
					    h->have_clock ? json_real(h->clock_offset_ms)
							  : json_null());
			json_object_set_new(o, "rtt_ms",
					    h->have_clock ? json_real(h->rtt_ms) : json_null());
			{
				json_t *st = json_array();

				for (size_t k = 0; k < h->nstale; k++)
					json_array_append_new(st, json_string(h->stale[k]));
				json_object_set_new(o, "stale_dirs", st);
				json_object_set_new(o, "spool_dirs",
						    json_integer((json_int_t)h->nspool));
			}
			json_object_set_new(o, "problem",
					    problem ? json_string(problem) : json_null());
			json_object_set_new(o, "warning",
					    warning ? json_string(warning) : json_null());
			json_array_append_new(arr, o);
			free(problem);
			free(warning);
		}
		json_object_set_new(root, "version", json_integer(1));
		json_object_set_new(root, "ok", json_boolean(bad == 0));
		json_object_set_new(root, "hosts", arr);
		json_dumpf(root, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(root);
	} else {
		printf("%-28s %-6s %-8s %5s %8s %10s %9s  %s\n", "HOST", "STATUS", "AGENT", "CPUS",
		       "NOFILE", "CLOCK", "RTT", "NOTES");
		for (size_t i = 0; i < nhosts; i++) {
			struct ssh_host *h = &f->hosts[i];
			char *problem, *warning;
			char cpus[24] = "-", nofile[24] = "-", clk[24] = "-", rtt[24] = "-";
			host_verdict(h, &problem, &warning);
			bad += problem != NULL;
			if (h->cpus >= 0)
				snprintf(cpus, sizeof cpus, "%ld", h->cpus);
			if (h->nofile == LONG_MAX)
				snprintf(nofile, sizeof nofile, "unlimited");
			else if (h->nofile >= 0)
				snprintf(nofile, sizeof nofile, "%ld", h->nofile);
			if (h->have_clock) {
				snprintf(clk, sizeof clk, "%+.1fms", h->clock_offset_ms);
				snprintf(rtt, sizeof rtt, "%.1fms", h->rtt_ms);
			}
			printf("%-28s %-6s %-8s %5s %8s %10s %9s  %s\n", h->label,
			       problem ? "FAIL" : "ok", h->agent_version ? h->agent_version : "-",
			       cpus, nofile, clk, rtt,
			       problem	 ? problem
			       : warning ? warning
					 : "");
			free(problem);
			free(warning);
		}
		printf("%zu host%s, %d with a problem\n", nhosts, nhosts == 1 ? "" : "s", bad);
	}
	fflush(stdout);
	rc = bad ? 3 : 0;
out:
	free(av);
	fleet_free(f);
	if (base)
		event_base_free(base);
	hosts_free(hosts, nhosts);
	free(err);
	return rc;
}

int ssh_run_on_hosts(const struct plan_host *hosts, size_t nhosts, const struct ssh_options *opt,
		     char *const *commands, struct ssh_result *res, char **err)
{
	struct event_base *base = event_base_new();
	struct ssh_fleet *f;

	memset(res, 0, nhosts * sizeof(*res));
	if (!base)
		return err_set(err, "cannot create an event loop");
	f = fleet_new(base, hosts, nhosts, opt, MODE_CHECK, err);
	if (!f) {
		event_base_free(base);
		return -1;
	}
	f->custom = commands;
	fleet_start_more(f);
	fleet_wait(f);
	for (size_t i = 0; i < nhosts; i++) {
		struct ssh_host *h = &f->hosts[f->first[i]];

		res[i].status = -1;
		if (h->error || h->st == HS_FAILED) {
			res[i].error = strdup(h->error ? h->error : "failed");
			continue;
		}
		res[i].status = h->custom_status;
		res[i].len = h->custom_out.len;
		res[i].out = buf_steal(&h->custom_out);
	}
	fleet_free(f);
	event_base_free(base);
	return 0;
}

int hosts_check_main(int argc, char **argv)
{
	return hosts_main(argc, argv, false);
}

int hosts_clean_main(int argc, char **argv)
{
	return hosts_main(argc, argv, true);
}
