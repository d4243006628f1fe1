/* srv_run (http.h): build one event loop per --threads with its listeners on every --listen and
 * --tls-listen address (SO_REUSEPORT when there are several loops), write the port file, run
 * the loops until SIGTERM/SIGINT, then commit what is pending and tear everything down. */
#include "servers/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/err.h"
#include "common/log.h"
#include "servers/http1.h"
#include "servers/loop.h"
#include "servers/tls.h"

static int parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char **err)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return err_set(err, "listen address '%s': expected ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return err_set(err, "listen address '%s': address too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return err_set(err, "listen address '%s': port must be 0..65535", spec);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return err_set(err, "listen address '%s': bad IPv6 address", spec);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (hl == 0 || strcmp(host, "*") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (strcmp(host, "localhost") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return err_set(err, "listen address '%s': bad IPv4 address", spec);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

/* Bind a listening socket. port_io: in, the port to use when the spec says 0 (0 = let the
 * kernel pick); out, the port bound. */
static int bind_one(const char *spec, int reuseport, int *port_io, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_addr(spec, &ss, &len, err) < 0)
		return -1;
	if (*port_io) {
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)*port_io);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)*port_io);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, "listen %s: socket: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
		err_set(err, "listen %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		*port_io = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
							 : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void stop_all(struct srv *s)
{
	s->stopping = 1;
	for (int i = 0; i < s->nthr; i++)
		if (s->thr[i].base)
			event_base_loopexit(s->thr[i].base, NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;

	log_info("%s: signal %d, stopping", s->service->name, (int)sig);
	stop_all(s);
}

static void *thread_main(void *arg)
{
	struct srv_thread *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

static int write_port_file(const char *path, int http_port, int https_port, char **err)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_set(err, "port file '%s': name too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return err_set(err, "port file '%s': %s", tmp, strerror(errno));
	if (http_port >= 0)
		fprintf(f, "http %d\n", http_port);
	if (https_port >= 0)
		fprintf(f, "https %d\n", https_port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return err_set(err, "port file '%s': %s", path, strerror(errno));
	return 0;
}

/* Create loop i: its event base (three priorities, so the commit flush runs after every ready
 * callback of a turn), its commit event, and its listeners. ports and tls_ports: the port each
 * listener bound, filled by the first loop and reused by the others. */
static int loop_init(struct srv *s, int i, int *ports, int *tls_ports, char **err)
{
	struct srv_thread *t = &s->thr[i];
	struct event_config *cfg = event_config_new();
	int reuse = s->threads > 1;

	t->s = s;
	t->idx = i;
	srv_response_init(&t->rs);
	/* Stateless loops need no locks inside libevent. */
	if (cfg && s->threads == 1)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	/* The target's delay=50ms and --freeze are measured by tests: without this flag
	 * libevent times with CLOCK_MONOTONIC_COARSE and a delay is off by up to a tick. */
	if (cfg)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	t->base = cfg ? event_base_new_with_config(cfg) : NULL;
	event_config_free(cfg);
	/* Three priorities: I/O runs at the default (1); the commit flush at 2 runs only
	 * once every ready callback of this turn has run, so it batches them. */
	if (!t->base || event_base_priority_init(t->base, 3) < 0)
		return err_set(err, "cannot create an event loop");
	t->flush_ev = event_new(t->base, -1, 0, loop_flush_cb, t);
	if (!t->flush_ev || event_priority_set(t->flush_ev, 2) < 0)
		return err_set(err, "cannot create the commit event");
	for (int k = 0; k < s->nlisten; k++) {
		int fd = bind_one(s->listen[k], reuse, &ports[k], err);

		if (fd < 0)
			return -1;
		if (h1_listen(t, fd, 0) < 0) {
			close(fd);
			return err_set(err, "listen %s: cannot accept", s->listen[k]);
		}
	}
	for (int k = 0; k < s->ntls_listen; k++) {
		int fd = bind_one(s->tls_listen[k], reuse, &tls_ports[k], err);
		int one = 1;

		if (fd < 0)
			return -1;
		/* Accepted sockets inherit TCP_NODELAY from the listener on Linux. Without
		 * it a TLS record written in two pieces waits for the client's delayed ACK:
		 * ~40 ms per request on a reused HTTPS connection. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (h1_listen(t, fd, 1) < 0) {
			close(fd);
			return err_set(err, "listen %s: cannot accept", s->tls_listen[k]);
		}
	}
	return 0;
}

static int signals_install(struct srv *s, char **err)
{
	s->thr[0].sig_term = evsignal_new(s->base, SIGTERM, signal_cb, s);
	s->thr[0].sig_int = evsignal_new(s->base, SIGINT, signal_cb, s);
	if (!s->thr[0].sig_term || !s->thr[0].sig_int ||
	    evsignal_add(s->thr[0].sig_term, NULL) < 0 || evsignal_add(s->thr[0].sig_int, NULL) < 0)
		return err_set(err, "cannot install signal handlers");
	return 0;
}

static void log_listening(const struct srv *s, const int *ports, const int *tls_ports)
{
	char lbuf[512];
	int o = 0;

	lbuf[0] = '\0';
	for (int k = 0; k < s->nlisten && o < (int)sizeof(lbuf) - 64; k++)
		o += snprintf(lbuf + o, sizeof(lbuf) - (size_t)o, " http port %d", ports[k]);
	for (int k = 0; k < s->ntls_listen && o < (int)sizeof(lbuf) - 64; k++)
		o += snprintf(lbuf + o, sizeof(lbuf) - (size_t)o, " https port %d", tls_ports[k]);
	log_info("%s: listening on%s (%d thread%s, sync %s)", s->service->name, lbuf, s->nthr,
		 s->nthr == 1 ? "" : "s", journal_sync_name(s->sync));
}

/* Run loop 0 here and the others on threads of their own until a signal stops them; then
 * commit what was appended but not yet answered. */
static int loops_run(struct srv *s, char **err)
{
	for (int i = 1; i < s->nthr; i++) {
		if (pthread_create(&s->thr[i].tid, NULL, thread_main, &s->thr[i]) != 0) {
			err_set(err, "cannot start thread %d", i);
			stop_all(s);
			for (int k = 1; k < i; k++)
				pthread_join(s->thr[k].tid, NULL);
			return -1;
		}
	}
	event_base_dispatch(s->base);
	stop_all(s);
	for (int i = 1; i < s->nthr; i++)
		pthread_join(s->thr[i].tid, NULL);
	/* Anything appended but not yet answered is committed before the process goes. */
	loop_flush(&s->thr[0]);
	log_info("%s: stopped", s->service->name);
	return 0;
}

static void loops_free(struct srv *s)
{
	for (int i = 0; s->thr && i < s->nthr; i++) {
		struct srv_thread *t = &s->thr[i];

		h1_close_all(t);
		if (t->flush_ev)
			event_free(t->flush_ev);
		if (t->sig_term)
			event_free(t->sig_term);
		if (t->sig_int)
			event_free(t->sig_int);
		if (t->base)
			event_base_free(t->base);
		free(t->held);
		free(t->held_spare);
		srv_response_free(&t->rs);
	}
	free(s->thr);
	s->thr = NULL;
	s->nthr = 0;
	s->base = NULL;
	if (s->ssl_ctx)
		srv_tls_ctx_free(s->ssl_ctx);
	s->ssl_ctx = NULL;
}

int srv_run(struct srv *s, char **err)
{
	int rc = -1;
	int *ports = NULL, *tls_ports = NULL;

	if (s->threads > 1 && evthread_use_pthreads() < 0)
		return err_set(err, "libevent threads unavailable");
	signal(SIGPIPE, SIG_IGN);
	s->nthr = s->threads;
	s->thr = calloc((size_t)s->nthr, sizeof(*s->thr));
	ports = calloc((size_t)s->nlisten + 1, sizeof(int));
	tls_ports = calloc((size_t)s->ntls_listen + 1, sizeof(int));
	if (!s->thr || !ports || !tls_ports) {
		err_set(err, "out of memory");
		goto out;
	}
	if (s->ntls_listen > 0) {
		s->ssl_ctx = srv_tls_ctx_new(s->cert_file, s->key_file, err);
		if (!s->ssl_ctx)
			goto out;
	}
	for (int i = 0; i < s->nthr; i++)
		if (loop_init(s, i, ports, tls_ports, err) < 0)
			goto out;
	s->base = s->thr[0].base;
	if (signals_install(s, err) < 0)
		goto out;
	if (s->port_file && write_port_file(s->port_file, s->nlisten > 0 ? ports[0] : -1,
					    s->ntls_listen > 0 ? tls_ports[0] : -1, err) < 0)
		goto out;
	log_listening(s, ports, tls_ports);
	if (loops_run(s, err) < 0)
		goto out;
	rc = 0;
out:
	loops_free(s);
	free(ports);
	free(tls_ports);
	return rc;
}
