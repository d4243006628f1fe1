/* Agent links over SSH: each agent is an exec channel of its host's session, whose stdout feeds
 * the link's on_data, whose stderr lines feed on_log, and whose stdin is a capped write queue
 * (controller/link.h is the interface the run loop sees).
 *
 * The link operations (write, shutdown, kill, free) never call libssh2: they queue work and wake
 * the host, whose driver then advances every link (ssh_link_run_all). So a callback that
 * writes, kills or frees a link never re-enters libssh2 half-way through a read. */
#include "controller/ssh_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "controller/ssh_util.h"

static void link_unlink(struct ssh_link *l);

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
	if (l->st == SSH_LS_DONE)
		return;
	l->st = SSH_LS_DONE;
	if (!l->why)
		l->why = strdup(why ? why : "");
}

void ssh_link_lost_all(struct ssh_host *h, const char *why)
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
					ssh_link_destroy(l);
				}
			}
	}
	if (h->st == SSH_HS_READY) {
		ssh_host_release_session(h);
		h->st = SSH_HS_FAILED;
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

/* Queued input to the agent, then EOF once the owner shut the link down. */
static void link_write_queue(struct ssh_link *l)
{
	ssize_t n;
	int rc;

	while (l->wq.len) {
		n = libssh2_channel_write(l->ch, l->wq.data, l->wq.len);
		if (n == LIBSSH2_ERROR_EAGAIN)
			break;
		if (n < 0) {
			/* The agent's side is closed (it exited, say): what it could not read is
			 * dropped, and reading on to its exit status tells why, better than this
			 * error would. */
			buf_reset(&l->wq);
			l->want_eof = l->eof_sent = true;
			break;
		}
		buf_consume(&l->wq, (size_t)n);
	}
	if (!l->wq.len && l->want_eof && !l->eof_sent) {
		rc = libssh2_channel_send_eof(l->ch);
		if (rc == 0)
			l->eof_sent = true;
		else if (rc != LIBSSH2_ERROR_EAGAIN)
			l->eof_sent = true; /* the channel is going anyway */
	}
}

/* A running agent: input out, output and log lines in. Returns true when it waits on the
 * socket; otherwise l->st says what comes next. */
static bool link_running(struct ssh_link *l, char *tmp, size_t size)
{
	struct ssh_host *h = l->h;
	ssize_t n;

	if (l->killed) {
		l->st = SSH_LS_FREE;
		return false;
	}
	link_write_queue(l);
	for (;;) {
		n = libssh2_channel_read(l->ch, tmp, size);
		if (n <= 0)
			break;
		if (l->base.on_data)
			l->base.on_data(&l->base, tmp, (size_t)n, l->base.arg);
		if (l->freed || l->killed)
			break;
	}
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN && !l->freed && !l->killed) {
		l->why = ssh_util_asprintf("SSH channel to %s failed: %s", h->label,
					   ssh_util_sess_error(h->sess));
		l->st = SSH_LS_FREE;
		return false;
	}
	for (;;) {
		if (l->freed || l->killed)
			break;
		n = libssh2_channel_read_stderr(l->ch, tmp, size);
		if (n <= 0)
			break;
		link_stderr(l, tmp, (size_t)n);
	}
	if (l->freed || l->killed)
		return false;
	if (!libssh2_channel_eof(l->ch))
		return true;
	link_flush_log(l);
	l->st = SSH_LS_CLOSE;
	return false;
}

/* Why a closed channel's agent ended ("" for a clean exit). */
static void link_exit_reason(struct ssh_link *l)
{
	struct ssh_host *h = l->h;
	char *sig = NULL;
	size_t slen = 0;

	l->status = libssh2_channel_get_exit_status(l->ch);
	if (libssh2_channel_get_exit_signal(l->ch, &sig, &slen, NULL, NULL, NULL, NULL) == 0 &&
	    sig) {
		snprintf(l->signal, sizeof l->signal, "%s", sig);
		libssh2_free(h->sess, sig);
	}
	if (l->why)
		return;
	if (l->signal[0])
		l->why = ssh_util_asprintf("agent on %s killed by signal %s", h->label, l->signal);
	else if (l->status != 0)
		l->why =
		    ssh_util_asprintf("agent on %s exited with status %d", h->label, l->status);
	else
		l->why = strdup("");
}

/* Advances one link until it waits on the socket or is done. */
static void link_step(struct ssh_link *l)
{
	struct ssh_host *h = l->h;
	char tmp[32768];
	int rc;

	for (;;) {
		if (l->freed && l->st != SSH_LS_FREE && l->st != SSH_LS_DONE)
			l->st = SSH_LS_FREE;
		switch (l->st) {
		case SSH_LS_OPEN:
			l->ch = libssh2_channel_open_session(h->sess);
			if (!l->ch) {
				if (ssh_util_would_block(h->sess))
					return;
				free(l->why);
				l->why = ssh_util_asprintf("cannot open an SSH channel to %s: %s",
							   h->label, ssh_util_sess_error(h->sess));
				l->st = SSH_LS_DONE;
				return;
			}
			l->st = l->killed ? SSH_LS_FREE : SSH_LS_EXEC;
			break;
		case SSH_LS_EXEC:
			rc = libssh2_channel_exec(l->ch, l->command);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				l->why = ssh_util_asprintf("cannot start the agent on %s: %s",
							   h->label, ssh_util_sess_error(h->sess));
				l->st = SSH_LS_FREE;
				break;
			}
			l->st = SSH_LS_RUN;
			break;
		case SSH_LS_RUN:
			if (link_running(l, tmp, sizeof tmp))
				return;
			break;
		case SSH_LS_CLOSE:
			rc = libssh2_channel_close(l->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			l->st = SSH_LS_WAITCLOSED;
			break;
		case SSH_LS_WAITCLOSED:
			rc = libssh2_channel_wait_closed(l->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			link_exit_reason(l);
			l->st = SSH_LS_FREE;
			break;
		case SSH_LS_FREE:
			if (l->ch) {
				rc = libssh2_channel_free(l->ch);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return;
				l->ch = NULL;
			}
			if (!l->why)
				l->why =
				    l->killed
					? ssh_util_asprintf("agent on %s killed by the controller",
							    h->label)
					: ssh_util_asprintf("SSH channel to %s closed", h->label);
			l->st = SSH_LS_DONE;
			break;
		case SSH_LS_DONE:
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

void ssh_link_destroy(struct ssh_link *l)
{
	buf_free(&l->wq);
	buf_free(&l->errline);
	free(l->command);
	free(l->why);
	free(l->base.id);
	free(l->base.host);
	free(l);
}

void ssh_link_run_all(struct ssh_host *h)
{
	struct ssh_link *l, *next;

	for (l = h->links; l; l = l->next)
		link_step(l);
	/* Links freed by their owner (possibly inside a callback above) go once their channel is
	 * gone. */
	for (l = h->links; l; l = next) {
		next = l->next;
		if (l->freed && (l->st == SSH_LS_DONE || !l->ch)) {
			link_unlink(l);
			ssh_link_destroy(l);
		}
	}
}

static int ops_write(struct agent_link *al, const void *data, size_t len)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (!l->h || l->st == SSH_LS_DONE || l->killed || l->want_eof)
		return -1;
	if (buf_append(&l->wq, data, len) < 0) {
		/* The agent stopped reading: treat it as lost rather than grow without bound. */
		l->killed = true;
		free(l->why);
		l->why = ssh_util_asprintf("agent on %s stopped reading its input (%zu MiB queued)",
					   l->h->label, SSH_WQ_MAX >> 20);
		ssh_host_kick(l->h);
		return -1;
	}
	ssh_host_kick(l->h);
	return 0;
}

static void ops_shutdown(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	l->want_eof = true;
	if (l->h)
		ssh_host_kick(l->h);
}

static void ops_kill(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (l->killed || l->st == SSH_LS_DONE)
		return;
	l->killed = true;
	if (l->h)
		ssh_host_kick(l->h);
}

static void ops_free(struct agent_link *al)
{
	struct ssh_link *l = (struct ssh_link *)al;

	if (!l)
		return;
	l->freed = true;
	if (!l->h || l->st == SSH_LS_DONE || !l->ch) {
		if (l->h && l->h->running)
			return; /* ssh_link_run_all removes it */
		link_unlink(l);
		ssh_link_destroy(l);
		return;
	}
	ssh_host_kick(l->h);
}

static const struct agent_link_ops ssh_link_ops = {
    .write = ops_write,
    .shutdown = ops_shutdown,
    .kill = ops_kill,
    .free = ops_free,
};

int ssh_link_new(struct ssh_host *h, unsigned slot, const char *command, struct agent_link **out,
		 char **err)
{
	struct ssh_link *l = calloc(1, sizeof *l);

	if (!l)
		return err_set(err, "out of memory");
	l->base.ops = &ssh_link_ops;
	l->base.id = ssh_util_asprintf("%s#%u", h->label, slot);
	l->base.host = strdup(h->host);
	l->command = strdup(command);
	l->h = h;
	l->status = -1;
	buf_init(&l->wq, SSH_WQ_MAX);
	buf_init(&l->errline, SSH_LOG_LINE_MAX + 1);
	if (!l->base.id || !l->base.host || !l->command) {
		ssh_link_destroy(l);
		return err_set(err, "out of memory");
	}
	l->next = h->links;
	h->links = l;
	if (!ssh_host_has_links(h) || h->links->next == NULL)
		h->last_rx_ms =
		    ssh_util_mono_ms(); /* liveness is measured from the first agent on */
	ssh_host_kick(h); /* opens the channel from the loop, after the caller set its callbacks */
	*out = &l->base;
	return 0;
}
