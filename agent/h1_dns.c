/* The lean client's host name cache (see h1_dns.h). */
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "agent/h1_dns.h"

int h1_dns_resolve(struct h1_dns *c, const struct h1_url *url, struct sockaddr_storage *ss,
		   socklen_t *len, char *err, size_t errlen)
{
	char host[256], port[8];
	struct addrinfo hints = {0}, *ai = NULL;
	const struct addrinfo *pick;
	struct h1_dns_entry *d;

	if (url->hlen >= sizeof(host))
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		d = &c->e[i];
		if (d->port == url->port && d->hlen == url->hlen &&
		    memcmp(d->host, url->host, url->hlen) == 0) {
			*ss = d->ss;
			*len = d->len;
			return 0;
		}
	}
	memcpy(host, url->host, url->hlen);
	host[url->hlen] = '\0';
	snprintf(port, sizeof(port), "%u", url->port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "Could not resolve host: %s", host);
		return -1;
	}
	/* IPv4 first when the name has both ("localhost": ::1 and 127.0.0.1), as servers
	 * listening on 127.0.0.1 are the common case; libcurl tries both. */
	pick = ai;
	for (const struct addrinfo *a = ai; a; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*len = (socklen_t)pick->ai_addrlen;
	freeaddrinfo(ai);
	d = &c->e[c->n < H1_DNS_MAX ? c->n++ : c->next++ % H1_DNS_MAX];
	memcpy(d->host, url->host, url->hlen);
	d->hlen = url->hlen;
	d->port = url->port;
	d->ss = *ss;
	d->len = *len;
	return 0;
}
