/* HTTP/1.1 connections of barrage-target, plain and over TLS, on one event loop (servers/loop.h):
 * accept, read, parse (servers/http1_parse.h), dispatch to the service, serialize and write the
 * replies in request order. */
#ifndef BARRAGE_SERVERS_HTTP1_H
#define BARRAGE_SERVERS_HTTP1_H

struct srv_thread;

/* Accept connections on the listening socket fd: plain HTTP, or with tls HTTPS through the
 * server's SSL_CTX (t->s->ssl_ctx). When accept fails for want of a descriptor or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM), the thread's listeners pause (10 ms, doubling up to 1 s
 * while it keeps failing) instead of spinning on a socket that stays readable; the connections
 * already open are served meanwhile; one log line a second at most says how many accepts
 * failed. Returns 0, or -1 (fd is left to the caller). */
int h1_listen(struct srv_thread *t, int fd, int tls);

/* Free the thread's listeners and every connection it still has open. */
void h1_close_all(struct srv_thread *t);

#endif
