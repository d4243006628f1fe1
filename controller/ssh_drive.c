/* The driver of every SSH host: one state machine per connection (resolve, connect, handshake,
 * host key, authentication, then setup steps: remote commands and SFTP uploads) run on events
 * of its socket, so all hosts of a fleet progress in parallel on one thread. libssh2 tells us
 * after each EAGAIN which way it is blocked (libssh2_session_block_directions) and we wait for
 * exactly that. Each stage (ssh_session.c, ssh_keys.c, ssh_setup.c, ssh_link.c) returns 0,
 * EAGAIN or -1 to host_run(), the one place that fails a host.
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
#include "controller/ssh_drive.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "common/log.h"
#include "controller/ssh_keys.h"
#include "controller/ssh_link.h"
#include "controller/ssh_session.h"
#include "controller/ssh_setup.h"
#include "controller/ssh_util.h"

static void host_run(struct ssh_host *h);
static void host_start(struct ssh_host *h);
static void host_fail(struct ssh_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_host *h = arg;

	if (what & EV_READ)
		h->last_rx_ms = ssh_util_mono_ms();
	if (what & EV_WRITE)
		h->wr_on = false; /* one-shot */
	host_run(h);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	host_run(arg);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_host *h = arg;
	int64_t now = ssh_util_mono_ms();

	/* A tick far later than SSH_TICK_MS: this process was stopped or starved, and the
	 * server's answers may be waiting in the socket. That time is not the host's silence. */
	if (h->last_tick_ms && now - h->last_tick_ms > 5 * SSH_TICK_MS)
		h->last_rx_ms += now - h->last_tick_ms;
	h->last_tick_ms = now;
	if (h->st == SSH_HS_READY) {
		if (!ssh_host_has_links(h))
			return;
		if (now - h->last_rx_ms > h->f->opt.dead_after_ms) {
			char *why =
			    ssh_util_asprintf("SSH connection to %s lost: no answer for %.1f s "
					      "(host down or network cut)",
					      h->label, (double)(now - h->last_rx_ms) / 1000);
			ssh_link_lost_all(h, why ? why : "SSH connection lost");
			free(why);
			return;
		}
		int next = 0;
		if (libssh2_keepalive_send(h->sess, &next) == 0)
			return;
		host_run(h); /* EAGAIN on the socket: flush when it can */
		return;
	}
	if (h->st == SSH_HS_FAILED || h->st == SSH_HS_CLOSED || h->st == SSH_HS_IDLE)
		return;
	if (now >= h->deadline_ms) {
		switch (h->st) {
		case SSH_HS_RESOLVE:
			host_fail(h, "DNS lookup of '%s' timed out after %d ms", h->host,
				  h->f->opt.connect_timeout_ms);
			break;
		case SSH_HS_CONNECT:
			host_fail(h,
				  "connect timed out after %d ms (host down, firewalled, or no "
				  "route?)",
				  h->f->opt.connect_timeout_ms);
			break;
		case SSH_HS_HANDSHAKE:
			host_fail(h, "no SSH handshake within %d ms (is this port an SSH server?)",
				  SSH_STALL_MS);
			break;
		case SSH_HS_CLEANUP:
			host_fail(h, "cleanup timed out");
			break;
		default:
			host_fail(h, "no progress for %d s (host stalled)", SSH_STALL_MS / 1000);
		}
	}
}

/* Starts hosts not yet started while fewer than SSH_MAX_OPENING are opening: a fleet of
 * thousands must not open thousands of sockets and key exchanges in the same instant. */
void ssh_drive_start_more(struct ssh_fleet *f)
{
	if (f->starting)
		return; /* a host that failed at once, inside host_start: the loop below goes on */
	f->starting = true;
	while (f->busy < SSH_MAX_OPENING && f->next_start < f->nplan) {
		struct ssh_host *h = &f->hosts[f->first[f->next_start++]];
		if (h->st == SSH_HS_IDLE)
			host_start(h);
	}
	f->starting = false;
}

static void host_done(struct ssh_host *h, enum ssh_host_state st)
{
	bool was_busy = h->st != SSH_HS_READY && h->st != SSH_HS_FAILED && h->st != SSH_HS_CLOSED &&
			h->st != SSH_HS_IDLE;

	h->st = st;
	if (was_busy && h->f->busy > 0)
		h->f->busy--;
	if (was_busy && st != SSH_HS_CLOSED)
		ssh_drive_start_more(h->f);
}

/* Fails h with the reason a stage recorded (ssh_host_error): its session is released, its links
 * are told, and the fleet starts the next host waiting. */
static void host_failed(struct ssh_host *h)
{
	if (h->st == SSH_HS_FAILED || h->st == SSH_HS_CLOSED)
		return;
	if (h->dns) {
		struct evdns_getaddrinfo_request *r = h->dns;
		h->dns = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	ssh_host_release_session(h);
	ssh_link_lost_all(h, h->error ? h->error : "SSH failure");
	host_done(h, SSH_HS_FAILED);
}

static void host_fail(struct ssh_host *h, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (h->st == SSH_HS_FAILED || h->st == SSH_HS_CLOSED)
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
	host_failed(h);
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct ssh_host *h = arg;

	h->dns = NULL;
	h->resolving = false;
	if (h->st != SSH_HS_RESOLVE) { /* cancelled */
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
	h->st = SSH_HS_CONNECT;
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
	h->st = SSH_HS_RESOLVE;
	h->f->busy++;
	ssh_host_set_deadline(h, h->f->opt.connect_timeout_ms);
	h->resolving = true;
	req = evdns_getaddrinfo(h->f->dns, h->host, port, &hints, on_resolved, h);
	if (h->resolving)
		h->dns = req;
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
		case SSH_HS_IDLE:
		case SSH_HS_RESOLVE:
		case SSH_HS_FAILED:
		case SSH_HS_CLOSED:
			goto out;
		case SSH_HS_CONNECT:
			rc = ssh_session_connect(h, on_io);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto out; /* ssh_session_connect armed the write event */
			if (rc < 0)
				goto failed;
			h->facts.reachable = true;
			h->sess = libssh2_session_init_ex(NULL, NULL, NULL, h);
			if (!h->sess) {
				host_fail(h, "cannot create an SSH session");
				goto out;
			}
			libssh2_session_set_blocking(h->sess, 0);
			ssh_keys_set_prefs(h->sess);
			h->st = SSH_HS_HANDSHAKE;
			ssh_host_set_deadline(h, SSH_STALL_MS);
			break;
		case SSH_HS_HANDSHAKE:
			rc = libssh2_session_handshake(h->sess, h->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc != 0) {
				host_fail(h, "SSH handshake failed: %s",
					  ssh_util_sess_error(h->sess));
				goto out;
			}
			if (ssh_keys_check_host(h) < 0)
				goto failed;
			h->st = SSH_HS_AUTH;
			h->sub = 0;
			ssh_host_set_deadline(h, SSH_STALL_MS);
			break;
		case SSH_HS_AUTH:
			rc = ssh_session_auth(h);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc < 0)
				goto failed;
			h->facts.auth_ok = true;
			/* A host's extra connections log in one after another: sshd's MaxStartups
			 * (10 by default) drops unauthenticated connections beyond its limit. */
			if (h->next_conn && h->next_conn->st == SSH_HS_IDLE)
				host_start(h->next_conn);
			libssh2_keepalive_config(h->sess, 1, SSH_KEEPALIVE_S);
			ssh_setup_plan(h);
			h->pi = 0;
			h->sub = 0;
			h->st = SSH_HS_STEPS;
			ssh_host_set_deadline(h, SSH_STALL_MS);
			break;
		case SSH_HS_STEPS:
		case SSH_HS_CLEANUP:
			if (h->pi >= h->nsteps && h->pending_error) {
				host_fail(h, "%s", h->pending_error);
				goto out;
			}
			if (h->pi >= h->nsteps) {
				host_done(h,
					  h->st == SSH_HS_CLEANUP ? SSH_HS_CLOSED : SSH_HS_READY);
				h->last_rx_ms = ssh_util_mono_ms();
				if (h->f->mode == SSH_MODE_CHECK)
					ssh_host_release_session(
					    h); /* facts gathered: free the socket */
				break;
			}
			rc = ssh_setup_step(h);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				goto wait;
			if (rc < 0)
				goto failed;
			h->pi++;
			h->sub = 0;
			ssh_host_set_deadline(h, SSH_STALL_MS);
			break;
		case SSH_HS_READY:
			ssh_link_run_all(h);
			if (h->st != SSH_HS_READY)
				goto out;
			goto wait;
		}
	}
wait:
	if (h->sess) {
		dirs = libssh2_session_block_directions(h->sess);
		ssh_host_arm(h,
			     (dirs & LIBSSH2_SESSION_BLOCK_INBOUND) || h->st != SSH_HS_READY ||
				 ssh_host_has_links(h),
			     (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0);
	}
	goto out;
failed:
	host_failed(h);
out:
	h->running = false;
	if (h->st == SSH_HS_FAILED)
		ssh_link_run_all(h); /* drop links freed during the failure's callbacks */
}

/* Runs the loop until no host is busy (opening or cleaning up). The loop is the caller's: if
 * one of its events asks the loop to stop (Ctrl-C, a setup deadline), the hosts still busy are
 * given up rather than holding the caller for their timeouts. */
void ssh_drive_wait(struct ssh_fleet *f)
{
	while (f->busy > 0) {
		if (event_base_loop(f->base, EVLOOP_ONCE) < 0)
			break;
		if (event_base_got_exit(f->base) || event_base_got_break(f->base)) {
			for (size_t i = 0; i < f->nhosts; i++) {
				struct ssh_host *h = &f->hosts[i];
				if (h->st != SSH_HS_READY && h->st != SSH_HS_FAILED &&
				    h->st != SSH_HS_CLOSED && h->st != SSH_HS_IDLE)
					host_fail(h, "interrupted");
			}
			break;
		}
	}
}

int ssh_drive_watch(struct ssh_host *h)
{
	struct timeval tick = {0, SSH_TICK_MS * 1000};

	h->ev_tick = event_new(h->f->base, -1, EV_PERSIST, on_tick, h);
	h->ev_kick = event_new(h->f->base, -1, 0, on_kick, h);
	if (!h->ev_tick || !h->ev_kick)
		return -1;
	event_add(h->ev_tick, &tick);
	return 0;
}
