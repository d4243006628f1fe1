/* TLS for the reference servers: an OpenSSL server context from a certificate and key file, or,
 * when none is given, from a self-signed certificate (EC P-256, CN=localhost, SAN localhost and
 * 127.0.0.1, valid one year) generated in memory at start, so HTTPS works with no setup. */
#ifndef BARRAGE_SERVERS_TLS_H
#define BARRAGE_SERVERS_TLS_H

/* Returns an SSL_CTX * (as void *, so users need no OpenSSL headers), or NULL with *err.
 * cert and key are PEM file names; both NULL means self-signed. */
void *srv_tls_ctx_new(const char *cert, const char *key, char **err);
void srv_tls_ctx_free(void *ctx);

#endif
