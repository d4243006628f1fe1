/* The operations on one SSH host that every stage needs (ssh_host.h). */
#include "controller/ssh_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "controller/ssh_util.h"

void ssh_host_arm(struct ssh_host *h, bool rd, bool wr)
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

void ssh_host_kick(struct ssh_host *h)
{
	if (h->ev_kick)
		event_active(h->ev_kick, 0, 0);
}

bool ssh_host_has_links(const struct ssh_host *h)
{
	for (const struct ssh_link *l = h->links; l; l = l->next)
		if (l->st != SSH_LS_DONE)
			return true;
	return false;
}

void ssh_host_set_deadline(struct ssh_host *h, int ms)
{
	h->deadline_ms = ssh_util_mono_ms() + ms;
}

int ssh_host_error(struct ssh_host *h, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (h->st == SSH_HS_FAILED || h->st == SSH_HS_CLOSED || h->error)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	h->error = msg;
	return -1;
}

void ssh_host_release_session(struct ssh_host *h)
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
	ssh_host_arm(h, false, false);
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
}
