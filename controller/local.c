/* Local agents over pipes (see local.h).
 *
 * Three non-blocking pipes per agent, each driven by its own libevent event: stdout bytes go to
 * on_data as they come, stderr is cut into lines for on_log, and writes to stdin are queued in a
 * capped buffer and drained when the pipe is writable. The link ends when stdout reaches EOF and
 * the child has been reaped (polled every 20 ms from then, so we learn its exit status without
 * owning SIGCHLD for the whole process); on_close is then called exactly once, as the last thing
 * the link does in that callback. */
#include "controller/local.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"

#define LOCAL_WRITE_MAX ((size_t)128 << 20) /* queued bytes to one agent's stdin */
#define LOCAL_LINE_MAX	4096		    /* longer stderr lines are cut */

struct local_link {
	struct agent_link link; /* first: the ops receive &link */
	struct event_base *base;
	pid_t pid;
	int in_fd, out_fd, err_fd;
	struct event *ev_out, *ev_err, *ev_in, *ev_reap;
	struct buf wbuf;
	struct buf line;
	bool out_eof, err_eof, reaped, closed, shutdown_pending;
	int status;
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void free_event(struct event **ev)
{
	if (*ev) {
		event_free(*ev);
		*ev = NULL;
	}
}

int local_agent_path(char *buf, size_t size, char **err)
{
	const char *env = getenv("BARRAGE_AGENT");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		if ((size_t)snprintf(buf, size, "%s", env) >= size)
			return err_set(err, "BARRAGE_AGENT: path too long");
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return err_set(err, "/proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if ((size_t)snprintf(buf, size, "%s/barrage-agent", slash ? self : ".") >= size)
			return err_set(err, "agent path too long");
	}
	if (access(buf, X_OK) < 0)
		return err_set(err,
			       "%s: cannot run the agent: %s (install barrage-agent next to "
			       "barrage, or set BARRAGE_AGENT)",
			       buf, strerror(errno));
	return 0;
}

static void deliver_line(struct local_link *ll, const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\r'))
		len--;
	if (ll->link.on_log)
		ll->link.on_log(&ll->link, s, len, ll->link.arg);
}

/* Cut what the agent wrote to stderr into lines. */
static void take_stderr(struct local_link *ll, const char *data, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (ll->line.len > 0) {
			buf_append(&ll->line, data + start, i - start);
			deliver_line(ll, ll->line.data, ll->line.len);
			buf_reset(&ll->line);
		} else {
			deliver_line(ll, data + start, i - start);
		}
		start = i + 1;
	}
	if (start < len) {
		if (ll->line.len + (len - start) > LOCAL_LINE_MAX) {
			buf_append(&ll->line, data + start, len - start);
			deliver_line(ll, ll->line.data, ll->line.len);
			buf_reset(&ll->line);
		} else {
			buf_append(&ll->line, data + start, len - start);
		}
	}
}

static void drain_stderr(struct local_link *ll)
{
	char chunk[8192];
	ssize_t n;

	while (ll->err_fd >= 0) {
		n = read(ll->err_fd, chunk, sizeof(chunk));
		if (n > 0) {
			take_stderr(ll, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			if (ll->line.len > 0) {
				deliver_line(ll, ll->line.data, ll->line.len);
				buf_reset(&ll->line);
			}
			ll->err_eof = true;
			free_event(&ll->ev_err);
			close_fd(&ll->err_fd);
		}
		break;
	}
}

static void try_reap(struct local_link *ll)
{
	int status;
	pid_t r;

	if (ll->reaped)
		return;
	do
		r = waitpid(ll->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == ll->pid || (r < 0 && errno == ECHILD)) {
		ll->reaped = true;
		ll->status = r == ll->pid ? status : 0;
	}
}

static void maybe_finish(struct local_link *ll)
{
	char why[128];
	const char *w = NULL;

	if (ll->closed || !ll->out_eof)
		return;
	try_reap(ll);
	if (!ll->reaped) {
		struct timeval tv = {0, 20000};

		if (ll->ev_reap)
			event_add(ll->ev_reap, &tv);
		return;
	}
	drain_stderr(ll);
	ll->closed = true;
	free_event(&ll->ev_in);
	close_fd(&ll->in_fd);
	if (WIFEXITED(ll->status) && WEXITSTATUS(ll->status) != 0) {
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(ll->status));
		w = why;
	} else if (WIFSIGNALED(ll->status)) {
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(ll->status),
			 strsignal(WTERMSIG(ll->status)));
		w = why;
	}
	if (ll->link.on_close)
		ll->link.on_close(&ll->link, w, ll->link.arg); /* may free nothing of ours: last */
}

static void on_reap_timer(evutil_socket_t fd, short what, void *arg)
{
	maybe_finish(arg);
}

static void on_stdout(evutil_socket_t fd, short what, void *arg)
{
	struct local_link *ll = arg;
	char chunk[65536];
	ssize_t n;

	n = read(ll->out_fd, chunk, sizeof(chunk));
	if (n > 0) {
		if (ll->link.on_data)
			ll->link.on_data(&ll->link, chunk, (size_t)n, ll->link.arg);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	ll->out_eof = true;
	free_event(&ll->ev_out);
	close_fd(&ll->out_fd);
	maybe_finish(ll);
}

static void on_stderr(evutil_socket_t fd, short what, void *arg)
{
	drain_stderr(arg);
}

static void flush_writes(struct local_link *ll)
{
	ssize_t n;

	while (ll->wbuf.len > 0 && ll->in_fd >= 0) {
		n = write(ll->in_fd, ll->wbuf.data, ll->wbuf.len);
		if (n > 0) {
			buf_consume(&ll->wbuf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (ll->ev_in)
				event_add(ll->ev_in, NULL);
			return;
		}
		/* EPIPE: the agent closed its stdin (it is exiting); stdout EOF will tell the rest.
		 */
		buf_reset(&ll->wbuf);
		free_event(&ll->ev_in);
		close_fd(&ll->in_fd);
		return;
	}
	if (ll->wbuf.len == 0 && ll->shutdown_pending) {
		free_event(&ll->ev_in);
		close_fd(&ll->in_fd);
	}
}

static void on_stdin_writable(evutil_socket_t fd, short what, void *arg)
{
	flush_writes(arg);
}

static int local_write(struct agent_link *l, const void *data, size_t len)
{
	struct local_link *ll = (struct local_link *)l;

	if (ll->in_fd < 0 || ll->shutdown_pending)
		return -1;
	if (buf_append(&ll->wbuf, data, len) < 0)
		return -1;
	flush_writes(ll);
	return 0;
}

static void local_shutdown(struct agent_link *l)
{
	struct local_link *ll = (struct local_link *)l;

	ll->shutdown_pending = true;
	flush_writes(ll);
}

static void local_kill(struct agent_link *l)
{
	struct local_link *ll = (struct local_link *)l;

	if (!ll->reaped && ll->pid > 0)
		kill(ll->pid, SIGKILL);
}

static void local_free(struct agent_link *l)
{
	struct local_link *ll = (struct local_link *)l;

	if (!ll)
		return;
	/* Whatever the agent managed to say before the end still reaches its log. */
	drain_stderr(ll);
	free_event(&ll->ev_out);
	free_event(&ll->ev_err);
	free_event(&ll->ev_in);
	free_event(&ll->ev_reap);
	close_fd(&ll->in_fd);
	close_fd(&ll->out_fd);
	close_fd(&ll->err_fd);
	if (ll->pid > 0 && !ll->reaped) {
		/* Never leave a child behind: an agent still running when its link is freed is
		 * killed and reaped here. */
		kill(ll->pid, SIGKILL);
		while (waitpid(ll->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	buf_free(&ll->wbuf);
	buf_free(&ll->line);
	free(ll->link.id);
	free(ll->link.host);
	free(ll);
}

static const struct agent_link_ops local_ops = {
    .write = local_write,
    .shutdown = local_shutdown,
    .kill = local_kill,
    .free = local_free,
};

pid_t local_agent_pid(const struct agent_link *l)
{
	return ((const struct local_link *)l)->pid;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int local_agent_start(struct event_base *base, const char *agent_path, const char *id,
		      struct agent_link **out, char **err)
{
	struct local_link *ll = NULL;
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
	pid_t parent = getpid();
	int rc = -1;

	*out = NULL;
	ll = calloc(1, sizeof(*ll));
	if (!ll) {
		err_set(err, "out of memory");
		goto out;
	}
	ll->link.ops = &local_ops;
	ll->base = base;
	ll->in_fd = ll->out_fd = ll->err_fd = -1;
	buf_init(&ll->wbuf, LOCAL_WRITE_MAX);
	buf_init(&ll->line, LOCAL_LINE_MAX * 2);
	ll->link.id = strdup(id);
	ll->link.host = strdup("localhost");
	if (!ll->link.id || !ll->link.host) {
		err_set(err, "out of memory");
		goto out;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		err_set(err, "agent %s: pipe: %s", id, strerror(errno));
		goto out;
	}
	ll->pid = fork();
	if (ll->pid < 0) {
		err_set(err, "agent %s: fork: %s", id, strerror(errno));
		ll->pid = 0;
		goto out;
	}
	if (ll->pid == 0) {
		char *const argv[] = {(char *)agent_path, (char *)"--controller-is-parent", NULL};
		sigset_t none;

		/* In the child: only async-signal-safe calls from here to exec. */
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1); /* the controller died before the line above took effect */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(agent_path, argv);
		{
			static const char msg[] =
			    "barrage-agent: cannot execute the agent binary\n";

			(void)!write(2, msg, sizeof(msg) - 1);
		}
		_exit(127);
	}
	close_fd(&in[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	ll->in_fd = in[1];
	ll->out_fd = outp[0];
	ll->err_fd = errp[0];
	in[1] = outp[0] = errp[0] = -1;
	if (set_nonblock(ll->in_fd) < 0 || set_nonblock(ll->out_fd) < 0 ||
	    set_nonblock(ll->err_fd) < 0) {
		err_set(err, "agent %s: fcntl: %s", id, strerror(errno));
		goto out;
	}
	ll->ev_out = event_new(base, ll->out_fd, EV_READ | EV_PERSIST, on_stdout, ll);
	ll->ev_err = event_new(base, ll->err_fd, EV_READ | EV_PERSIST, on_stderr, ll);
	ll->ev_in = event_new(base, ll->in_fd, EV_WRITE, on_stdin_writable, ll);
	ll->ev_reap = evtimer_new(base, on_reap_timer, ll);
	if (!ll->ev_out || !ll->ev_err || !ll->ev_in || !ll->ev_reap ||
	    event_add(ll->ev_out, NULL) < 0 || event_add(ll->ev_err, NULL) < 0) {
		err_set(err, "agent %s: cannot watch its pipes", id);
		goto out;
	}
	*out = &ll->link;
	ll = NULL;
	rc = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	if (ll)
		local_free(&ll->link);
	return rc;
}
