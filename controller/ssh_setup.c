/* Setting a host up: the list of setup steps a host goes through (what `run`, `hosts check`,
 * `hosts clean` and ssh_run_on_hosts need), each remote command run on an exec channel with its
 * output collected (the clock probe times its answers), what each command's output means, and
 * the SFTP upload of the run's files and of a pushed agent. */
#include "controller/ssh_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/version.h"
#include "controller/ssh_util.h"

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
void ssh_setup_cmd_reset(struct ssh_cmd *c)
{
	free(c->command);
	buf_free(&c->out);
	buf_free(&c->errb);
	memset(c, 0, sizeof *c);
	c->status = -1;
}

static void cmd_start(struct ssh_host *h, char *command)
{
	ssh_setup_cmd_reset(&h->cmd);
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

/* Reads what the command wrote so far (stdout kept up to the buffer's cap, stderr apart). 0, or
 * -1 after ssh_host_error. */
static int cmd_read(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	char tmp[4096];
	ssize_t n;

	for (;;) {
		n = libssh2_channel_read(c->ch, tmp, sizeof tmp);
		if (n > 0) {
			if (!c->out.len && !c->t_done_ns)
				c->t_done_ns = ssh_util_real_ns();
			buf_append(&c->out, tmp, (size_t)n); /* past the cap: dropped */
			continue;
		}
		if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
			break;
		return ssh_host_error(h, "reading command output: %s",
				      ssh_util_sess_error(h->sess));
	}
	for (;;) {
		n = libssh2_channel_read_stderr(c->ch, tmp, sizeof tmp);
		if (n > 0) {
			buf_append(&c->errb, tmp, (size_t)n);
			continue;
		}
		if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
			break;
		return ssh_host_error(h, "reading command output: %s",
				      ssh_util_sess_error(h->sess));
	}
	return 0;
}

/* The running command: clock probes out, output in. 1 when the command has sent EOF, 0 when a
 * probe was answered (go on), EAGAIN, or -1 after ssh_host_error. */
static int cmd_running(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	int rc;

	if (c->pings > 0 && !c->ping_out) {
		rc = (int)libssh2_channel_write(c->ch, "\n", 1);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return rc;
		if (rc < 0)
			return ssh_host_error(h, "clock probe: %s", ssh_util_sess_error(h->sess));
		c->t_ping_ns = ssh_util_real_ns();
		c->ping_out = true;
	}
	if (c->pings == 0 && c->ping_out == false && c->t_ping_ns && !c->eof_sent) {
		rc = libssh2_channel_send_eof(c->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return rc;
		c->eof_sent = true;
	}
	if (cmd_read(h) < 0)
		return -1;
	if (c->ping_out && c->out.len > c->parsed && c->out.data[c->out.len - 1] == '\n') {
		int64_t t1 = ssh_util_real_ns();
		int64_t remote = parse_epoch_ns(c->out.data + c->parsed);
		double rtt = (double)(t1 - c->t_ping_ns) / 1e6;
		if (remote > 0 && (!c->have_sample || rtt < c->best_rtt_ms)) {
			c->best_rtt_ms = rtt;
			c->best_offset_ms =
			    (double)(remote - (c->t_ping_ns + (t1 - c->t_ping_ns) / 2)) / 1e6;
			c->have_sample = true;
		}
		c->parsed = c->out.len;
		c->ping_out = false;
		c->pings--;
		return 0; /* next probe */
	}
	if (!libssh2_channel_eof(c->ch))
		return LIBSSH2_ERROR_EAGAIN;
	return 1;
}

/* The exit status of a closed channel, or -1 and the signal's name when a signal ended it. */
static void cmd_exit_status(struct ssh_host *h, LIBSSH2_CHANNEL *ch, int *status, char *sig_out,
			    size_t sig_size)
{
	char *sig = NULL;
	size_t slen = 0;

	*status = libssh2_channel_get_exit_status(ch);
	if (libssh2_channel_get_exit_signal(ch, &sig, &slen, NULL, NULL, NULL, NULL) == 0 && sig) {
		snprintf(sig_out, sig_size, "%s", sig);
		libssh2_free(h->sess, sig);
		*status = -1;
	}
}

/* Runs h->cmd: 0 when it has exited (status in cmd.status), EAGAIN, or -1 (host failed). */
static int cmd_step(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	int rc;

	if (!c->command)
		return ssh_host_error(h, "out of memory");
	for (;;) {
		switch (c->st) {
		case 0:
			c->ch = libssh2_channel_open_session(h->sess);
			if (!c->ch) {
				if (ssh_util_would_block(h->sess))
					return LIBSSH2_ERROR_EAGAIN;
				return ssh_host_error(h, "cannot open an SSH channel: %s",
						      ssh_util_sess_error(h->sess));
			}
			c->st = 1;
			break;
		case 1:
			rc = libssh2_channel_exec(c->ch, c->command);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc != 0)
				return ssh_host_error(h, "cannot run a command: %s",
						      ssh_util_sess_error(h->sess));
			c->t_exec_ns = ssh_util_real_ns();
			c->st = 2;
			break;
		case 2:
			rc = cmd_running(h);
			if (rc < 0 || rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			if (rc == 1)
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
			cmd_exit_status(h, c->ch, &c->status, c->signal, sizeof c->signal);
			c->st = 5;
			break;
		case 5:
			rc = libssh2_channel_free(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return rc;
			c->ch = NULL;
			if (!c->t_done_ns)
				c->t_done_ns = ssh_util_real_ns();
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

static char *step_command(struct ssh_host *h, enum ssh_step s)
{
	char *q, *cmd;

	switch (s) {
	case SSH_STEP_FACTS:
		return strdup("uname -sm; (nproc 2>/dev/null || getconf _NPROCESSORS_ONLN); "
			      "ulimit -n; " SSH_STALE_LOOP(SSH_SPOOL_TEST "echo \"spool $d\"; else "
									  "echo \"stale $d\"; fi"));
	case SSH_STEP_CUSTOM:
		return strdup(h->f->custom[h - h->f->hosts]);
	case SSH_STEP_CLEAN:
		/* A lost agent's spool waits for `barrage collect`: not removed, only named. */
		return strdup(SSH_STALE_LOOP(
		    SSH_SPOOL_TEST "echo \"spool $d\"; else "
				   "rm -rf -- \"$d\" && echo \"removed $d\"; fi") "; true");
	case SSH_STEP_UNAME:
		return strdup("uname -sm");
	case SSH_STEP_MKTEMP:
		return strdup("mktemp -d \"${TMPDIR:-/tmp}/barrage.XXXXXXXX\"");
	case SSH_STEP_VERSION:
		q = ssh_util_path_quote(h->agent_path);
		cmd = q ? ssh_util_asprintf("%s --version", q) : NULL;
		free(q);
		return cmd;
	case SSH_STEP_CLOCK:
		/* bash's $EPOCHREALTIME needs no fork, so the remote reading is taken right when
		 * the probe arrives; other shells pay for a `date` process. */
		return strdup("if [ -n \"${EPOCHREALTIME:-}\" ]; then "
			      "while read -r x; do echo \"$EPOCHREALTIME\"; done; "
			      "else while read -r x; do date +%s.%N; done; fi");
	case SSH_STEP_RMDIR:
		q = ssh_util_shell_quote(h->remote_dir);
		cmd = q ? ssh_util_asprintf("rm -rf -- %s", q) : NULL;
		free(q);
		return cmd;
	default:
		return NULL;
	}
}

/* A stale run directory found (hosts check) or removed (hosts clean). */
static void stale_add(struct ssh_host *h, const char *dir)
{
	char **v = realloc(h->facts.stale, (h->facts.nstale + 1) * sizeof(*v));

	if (!v)
		return;
	h->facts.stale = v;
	if ((h->facts.stale[h->facts.nstale] = strdup(dir)))
		h->facts.nstale++;
}

/* uname, CPUs, open-file limit, then one line per stale or spool-holding run directory. */
static void facts_result(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	char *save = NULL, *line;
	int i = 0;

	for (line = strtok_r(c->out.data ? c->out.data : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		if (i == 0)
			h->facts.uname = strdup(line);
		else if (i == 1)
			h->facts.cpus = strtol(line, NULL, 10);
		else if (i == 2)
			h->facts.nofile =
			    strcmp(line, "unlimited") == 0 ? LONG_MAX : strtol(line, NULL, 10);
		else if (strncmp(line, "stale ", 6) == 0)
			stale_add(h, line + 6);
		else if (strncmp(line, "spool ", 6) == 0)
			h->facts.nspool++;
	}
}

/* One line per removed directory, and per one kept for its spool. */
static int clean_result(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	char *save = NULL, *line;

	for (line = strtok_r(c->out.data ? c->out.data : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "removed ", 8) == 0)
			stale_add(h, line + 8);
		else if (strncmp(line, "spool ", 6) == 0)
			h->facts.nspool++;
	if (c->status != 0)
		return ssh_host_error(h, "removing stale directories failed (status %d): %s",
				      c->status, c->errb.len ? c->errb.data : "no message");
	return 0;
}

/* The agent's version against ours. A problem is a fact for hosts check; for a run it fails the
 * host, once the remote directory is removed. */
static int version_result(struct ssh_host *h)
{
	struct ssh_cmd *c = &h->cmd;
	struct ssh_fleet *f = h->f;
	const char *v = c->out.data ? agent_version_word(c->out.data) : "";
	char *problem = NULL;
	if (c->status == 127)
		problem = ssh_util_asprintf("agent binary '%s' not found on the host (install "
					    "barrage-agent %s on its PATH, or use --push-agent)",
					    h->agent_path, BARRAGE_VERSION);
	else if (c->status == 126)
		problem = ssh_util_asprintf("agent binary '%s' is not executable on the host",
					    h->agent_path);
	else if (c->status != 0)
		problem =
		    ssh_util_asprintf("'%s --version' failed (status %d%s%s): %s", h->agent_path,
				      c->status, c->signal[0] ? ", signal " : "", c->signal,
				      c->errb.len ? c->errb.data : "no message");
	else if (strcmp(v, BARRAGE_VERSION) != 0)
		problem = ssh_util_asprintf("agent '%s' is version '%s' but this controller is %s "
					    "(install the same version, or use --push-agent)",
					    h->agent_path, v, BARRAGE_VERSION);
	if (c->status == 0)
		h->facts.agent_version = strdup(v);
	if (!problem)
		return 0;
	if (f->mode == SSH_MODE_CHECK) {
		h->facts.agent_problem = problem; /* a fact to report, keep gathering */
		return 0;
	}
	if (h->remote_dir && !f->opt.keep_remote) {
		/* Remove what we uploaded before failing. */
		h->pending_error = problem;
		h->steps[h->pi + 1] = SSH_STEP_RMDIR;
		h->nsteps = h->pi + 2;
		return 0;
	}
	ssh_host_error(h, "%s", problem);
	free(problem);
	return -1;
}

/* What a finished command means. Returns -1 when the host failed. */
static int step_result(struct ssh_host *h, enum ssh_step s)
{
	struct ssh_cmd *c = &h->cmd;
	struct ssh_fleet *f = h->f;

	if (s == SSH_STEP_CUSTOM) {
		/* Raw bytes (a spool is binary), untrimmed; a full buffer means a cut. */
		if (c->out.len >= SSH_CUSTOM_OUT_MAX) {
			return ssh_host_error(h, "command output over %zu MiB",
					      SSH_CUSTOM_OUT_MAX >> 20);
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
	case SSH_STEP_FACTS:
		facts_result(h);
		return 0;
	case SSH_STEP_CLEAN:
		return clean_result(h);
	case SSH_STEP_UNAME:
		if (c->status != 0 || strcmp(c->out.data ? c->out.data : "", f->local_uname) != 0) {
			return ssh_host_error(
			    h,
			    "cannot push the agent: the host runs '%s', this machine '%s' "
			    "(install a barrage-agent built for it instead)",
			    c->out.data ? c->out.data : "?", f->local_uname);
		}
		return 0;
	case SSH_STEP_MKTEMP:
		if (c->status != 0 || !c->out.len || c->out.data[0] != '/' ||
		    strchr(c->out.data, '\n')) {
			return ssh_host_error(h, "cannot create a remote directory (mktemp -d): %s",
					      c->errb.len ? c->errb.data : "no output");
		}
		h->remote_dir = strdup(c->out.data);
		if (f->opt.push_agent) {
			free(h->agent_path);
			h->agent_path = ssh_util_asprintf("%s/barrage-agent", c->out.data);
		}
		if (!h->remote_dir || !h->agent_path) {
			return ssh_host_error(h, "out of memory");
		}
		return 0;
	case SSH_STEP_VERSION:
		return version_result(h);
	case SSH_STEP_CLOCK:
		if (c->have_sample) {
			h->facts.clock_offset_ms = c->best_offset_ms;
			h->facts.rtt_ms = c->best_rtt_ms;
			h->facts.have_clock = true;
		}
		return 0;
	case SSH_STEP_RMDIR:
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
			return ssh_host_error(h, "out of memory");
		}
	}
	if (!h->sftp) {
		h->sftp = libssh2_sftp_init(h->sess);
		if (!h->sftp) {
			if (ssh_util_would_block(h->sess))
				return LIBSSH2_ERROR_EAGAIN;
			return ssh_host_error(
			    h, "cannot start SFTP (is the sftp subsystem enabled in sshd?): %s",
			    ssh_util_sess_error(h->sess));
		}
	}
	while (h->file_i < f->nfiles) {
		struct ssh_file *file = &f->files[h->file_i];
		char **rp = &h->remote_paths[h->file_i];
		if (!*rp && !(*rp = ssh_util_asprintf("%s/%s", h->remote_dir, file->base))) {
			return ssh_host_error(h, "out of memory");
		}
		if (!h->fh) {
			h->fh = libssh2_sftp_open(
			    h->sftp, *rp, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
			    file->mode);
			if (!h->fh) {
				if (ssh_util_would_block(h->sess))
					return LIBSSH2_ERROR_EAGAIN;
				return ssh_host_error(
				    h, "cannot create %s on the host (SFTP error %lu)", *rp,
				    libssh2_sftp_last_error(h->sftp));
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
				return ssh_host_error(
				    h, "uploading %s to %s failed (SFTP error %lu)", file->local,
				    *rp, libssh2_sftp_last_error(h->sftp));
			}
			h->off += (size_t)n;
			ssh_host_set_deadline(h, SSH_STALL_MS);
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

/* The setup steps of a host, from the fleet's mode and options. */
void ssh_setup_plan(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;

	h->nsteps = 0;
	if (h->primary || f->opt.no_setup)
		return;
	if (f->mode == SSH_MODE_CHECK && f->custom) {
		h->steps[h->nsteps++] = SSH_STEP_CUSTOM;
		return;
	}
	if (f->mode == SSH_MODE_CHECK && f->clean) {
		h->steps[h->nsteps++] = SSH_STEP_CLEAN;
		return;
	}
	if (f->mode == SSH_MODE_CHECK && f->opt.push_agent) {
		/* What `run --push-agent` does, in a directory removed at once: the same system,
		 * the upload, the pushed agent's version. */
		h->steps[h->nsteps++] = SSH_STEP_FACTS;
		h->steps[h->nsteps++] = SSH_STEP_UNAME;
		h->steps[h->nsteps++] = SSH_STEP_MKTEMP;
		h->steps[h->nsteps++] = SSH_STEP_UPLOAD;
		h->steps[h->nsteps++] = SSH_STEP_VERSION;
		h->steps[h->nsteps++] = SSH_STEP_RMDIR;
		h->steps[h->nsteps++] = SSH_STEP_CLOCK;
		return;
	}
	if (f->mode == SSH_MODE_CHECK) {
		h->steps[h->nsteps++] = SSH_STEP_FACTS;
		h->steps[h->nsteps++] = SSH_STEP_VERSION;
		h->steps[h->nsteps++] = SSH_STEP_CLOCK;
		return;
	}
	/* An installed agent is checked before anything is created on the host; a pushed one
	 * can only be checked once it is there. */
	if (f->opt.push_agent)
		h->steps[h->nsteps++] = SSH_STEP_UNAME;
	else
		h->steps[h->nsteps++] = SSH_STEP_VERSION;
	h->steps[h->nsteps++] = SSH_STEP_MKTEMP;
	if (f->nfiles)
		h->steps[h->nsteps++] = SSH_STEP_UPLOAD;
	if (f->opt.push_agent)
		h->steps[h->nsteps++] = SSH_STEP_VERSION;
}

int ssh_setup_step(struct ssh_host *h)
{
	int rc;

	if (h->steps[h->pi] == SSH_STEP_UPLOAD)
		return do_upload(h);
	if (h->sub == 0) {
		cmd_start(h, step_command(h, h->steps[h->pi]));
		if (h->steps[h->pi] == SSH_STEP_CLOCK)
			h->cmd.pings = 5;
		h->sub = 1;
	}
	rc = cmd_step(h);
	if (rc == 0)
		rc = step_result(h, h->steps[h->pi]);
	return rc;
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
		name = ssh_util_asprintf("%u-%s", n, base);
	}
	return name;
}

/* --push-agent: the local barrage-agent becomes the last file to upload (f->files has room). */
int ssh_setup_add_agent_file(struct ssh_fleet *f, char **err)
{
	struct ssh_file *sf = &f->files[f->nfiles];

	f->local_agent = f->opt.local_agent ? strdup(f->opt.local_agent) : self_dir_agent();
	if (!f->local_agent)
		return err_set(err, "cannot find the local barrage-agent to push");
	if (!(sf->local = strdup(f->local_agent)) ||
	    ssh_util_read_file(f->local_agent, SSH_FILE_MAX, &sf->data, &sf->len, NULL, err) < 0)
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

int ssh_setup_add_files(struct ssh_fleet *f, const char *const *files, size_t nfiles, char **err)
{
	f->files = calloc(nfiles + 1, sizeof *f->files);
	if (!f->files)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < nfiles; i++) {
		struct ssh_file *sf = &f->files[f->nfiles];
		const char *slash = strrchr(files[i], '/');
		if (!(sf->local = strdup(files[i])) ||
		    ssh_util_read_file(files[i], SSH_FILE_MAX, &sf->data, &sf->len, &sf->mode,
				       err) < 0)
			return -1;
		/* The file keeps its mode (ssh_util_read_file): a 0600 accounts file stays 0600. */
		sf->base = upload_name(f, slash ? slash + 1 : files[i]);
		f->nfiles++;
		if (!sf->base)
			return err_set(err, "out of memory");
	}
	return 0;
}
