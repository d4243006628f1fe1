/* TLS for the lean client, with OpenSSL directly: the worker's one SSL_CTX built from http.tls,
 * a connection's SSL (SNI, host name verification), and sending and receiving on a connection
 * whether it speaks TLS or not. */
#ifndef BARRAGE_AGENT_H1_TLS_H
#define BARRAGE_AGENT_H1_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct plan_http;

/* What h1_tls_send and h1_tls_recv return when the connection would block. */
#define H1_TLS_WANT_READ  (-2)
#define H1_TLS_WANT_WRITE (-3)

/* A TLS client context from http.tls: verification (CA file or the system's), client
 * certificate, ciphers; buffers released while a connection is idle. NULL on failure (the
 * reason is on OpenSSL's error queue). */
SSL_CTX *h1_tls_ctx_new(const struct plan_http *ph);
/* A TLS client on connected socket fd to host (a name or an IP address): SNI for a name, and
 * the name or address verified when verify is on. With http.tls.session_reuse, resume points
 * to its owner's session slot: the session in it (from an earlier connection to the same
 * host and port) is offered for resumption, and the server's new sessions replace it (the
 * owner frees the last with SSL_SESSION_free). NULL on failure. */
SSL *h1_tls_new(SSL_CTX *c, int fd, const char *host, size_t hlen, bool verify,
		SSL_SESSION **resume);
/* Free a connection's TLS (the socket is the caller's to close). */
void h1_tls_free(SSL *ssl);
/* "what: <OpenSSL's reason, or errno's>" into out; clears OpenSSL's error queue. */
void h1_tls_reason(char *out, size_t n, const char *what);
/* I/O on a connection, over ssl when it is not NULL, else plain on fd: bytes, 0 at its end, -1
 * on an error (errno set), H1_TLS_WANT_READ or H1_TLS_WANT_WRITE when it would block. */
ssize_t h1_tls_send(SSL *ssl, int fd, const char *p, size_t n);
ssize_t h1_tls_recv(SSL *ssl, int fd, char *p, size_t n);

#endif
