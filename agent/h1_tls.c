/* TLS for the lean client (see h1_tls.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "agent/h1_tls.h"
#include "common/plan.h"

void h1_tls_reason(char *out, size_t n, const char *what)
{
	char e[256];
	unsigned long code = ERR_get_error();

	if (code)
		ERR_error_string_n(code, e, sizeof(e));
	else
		snprintf(e, sizeof(e), "%s", errno ? strerror(errno) : "no details");
	ERR_clear_error();
	snprintf(out, n, "%s: %s", what, e);
}

/* A new session from the server (TLS 1.2 at the end of the handshake, TLS 1.3 with each
 * ticket): the connection's owner keeps the latest to resume with. */
static int keep_session(SSL *ssl, SSL_SESSION *sess)
{
	SSL_SESSION **slot = SSL_get_app_data(ssl);

	if (!slot)
		return 0;
	if (*slot)
		SSL_SESSION_free(*slot);
	*slot = sess;
	return 1; /* the reference is the slot's now */
}

SSL_CTX *h1_tls_ctx_new(const struct plan_http *ph)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (ph->tls_session_reuse) {
		/* Sessions are kept by their connection's owner (h1_tls_new), not in a cache. */
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT |
						      SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(c, keep_session);
	} else
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	if (ph->tls_verify) {
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
		if (ph->tls_ca ? SSL_CTX_load_verify_locations(c, ph->tls_ca, NULL) != 1
			       : SSL_CTX_set_default_verify_paths(c) != 1)
			goto fail;
	} else
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	if (ph->tls_cert && (SSL_CTX_use_certificate_chain_file(c, ph->tls_cert) != 1 ||
			     SSL_CTX_use_PrivateKey_file(c, ph->tls_key, SSL_FILETYPE_PEM) != 1))
		goto fail;
	if (ph->tls_ciphers && SSL_CTX_set_cipher_list(c, ph->tls_ciphers) != 1)
		goto fail;
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

SSL *h1_tls_new(SSL_CTX *c, int fd, const char *host_in, size_t hlen, bool verify,
		SSL_SESSION **resume)
{
	char host[256];
	unsigned char tmp[16];
	bool ip;
	SSL *ssl;

	if (!c || !(ssl = SSL_new(c)))
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	if (hlen > sizeof(host) - 1)
		hlen = sizeof(host) - 1;
	memcpy(host, host_in, hlen);
	host[hlen] = '\0';
	ip = inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
	if (!ip)
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		if (ip)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		else
			SSL_set1_host(ssl, host);
	}
	if (resume) {
		SSL_set_app_data(ssl, resume);
		if (*resume)
			SSL_set_session(ssl, *resume);
	}
	return ssl;
}

void h1_tls_free(SSL *ssl)
{
	/* A connection closed after its handshake leaves its session resumable (SSL_free would
	 * mark it bad without a shutdown, and a close_notify costs a write for nothing). */
	if (SSL_is_init_finished(ssl))
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
}

/* What a failed SSL_read or SSL_write (result r) means, as h1_tls_send / h1_tls_recv say it. */
static ssize_t ssl_result(SSL *ssl, int r, bool reading)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return H1_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return H1_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (reading)
			return 0;
		break;
	case SSL_ERROR_SYSCALL:
		if (reading && errno == 0) {
			ERR_clear_error();
			return 0; /* closed without close_notify */
		}
		break;
	default:
		break;
	}
	if (!errno)
		errno = ECONNRESET;
	ERR_clear_error();
	return -1;
}

ssize_t h1_tls_send(SSL *ssl, int fd, const char *p, size_t n)
{
	ssize_t s;
	int r;

	if (!ssl) {
		do
			s = send(fd, p, n, MSG_NOSIGNAL);
		while (s < 0 && errno == EINTR);
		return s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? H1_TLS_WANT_WRITE : s;
	}
	r = SSL_write(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	return r > 0 ? r : ssl_result(ssl, r, false);
}

ssize_t h1_tls_recv(SSL *ssl, int fd, char *p, size_t n)
{
	ssize_t s;
	int r;

	if (!ssl) {
		do
			s = recv(fd, p, n, 0);
		while (s < 0 && errno == EINTR);
		return s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? H1_TLS_WANT_READ : s;
	}
	errno = 0;
	r = SSL_read(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	return r > 0 ? r : ssl_result(ssl, r, true);
}
