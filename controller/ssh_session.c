/* Connecting and logging in: the non-blocking TCP connect (with a message that says what a
 * refused, unreachable or timed-out host means) and public-key authentication. */
#include "controller/ssh_session.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "common/buf.h"
#include "controller/ssh_util.h"

int ssh_session_connect(struct ssh_host *h, event_callback_fn on_io)
{
	int err = 0;
	socklen_t elen = sizeof err;
	int one = 1;

	if (h->sub == 0) {
		h->fd = socket(h->ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (h->fd < 0) {
			return ssh_host_error(h, "socket: %s", strerror(errno));
		}
		h->ev_rd = event_new(h->f->base, h->fd, EV_READ | EV_PERSIST, on_io, h);
		h->ev_wr = event_new(h->f->base, h->fd, EV_WRITE, on_io, h);
		if (!h->ev_rd || !h->ev_wr) {
			return ssh_host_error(h, "out of memory");
		}
		setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(h->fd, h->ai->ai_addr, h->ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			goto failed;
		}
		h->sub = 1;
		ssh_host_arm(h, false, true);
		return LIBSSH2_ERROR_EAGAIN;
	}
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY) {
		ssh_host_arm(h, false, true);
		return LIBSSH2_ERROR_EAGAIN;
	}
	if (err == 0) {
		/* A socket that is not yet writable has not connected: SO_ERROR is 0 then too. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getpeername(h->fd, (struct sockaddr *)&ss, &sl) < 0) {
			if (errno == ENOTCONN) {
				ssh_host_arm(h, false, true);
				return LIBSSH2_ERROR_EAGAIN;
			}
			err = errno;
		}
	}
	if (err == 0)
		return 0;
failed:
	if (err == ECONNREFUSED)
		ssh_host_error(h, "connection refused (is sshd listening on port %d?)", h->port);
	else if (err == ENETUNREACH)
		ssh_host_error(h, "network unreachable (no route to %s)", h->host);
	else if (err == EHOSTUNREACH)
		ssh_host_error(h, "no route to host %s", h->host);
	else if (err == ETIMEDOUT)
		ssh_host_error(h, "connect timed out");
	else
		ssh_host_error(h, "connect: %s", strerror(err));
	return -1;
}

int ssh_session_auth(struct ssh_host *h)
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
				   ssh_util_sess_error(h->sess));
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
			return ssh_host_error(
			    h,
			    "authentication failed for user '%s' (tried: %s); is the public key "
			    "in ~%s/.ssh/authorized_keys on the host?",
			    h->user, h->tried.len ? h->tried.data : "no keys: none found", h->user);
		}
	}
}
