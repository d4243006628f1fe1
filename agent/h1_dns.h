/* The lean client's host name cache: each host and port a worker connects to is resolved once
 * (getaddrinfo), as wrk does, and kept for the run (the last H1_DNS_MAX of them). */
#ifndef BARRAGE_AGENT_H1_DNS_H
#define BARRAGE_AGENT_H1_DNS_H

#include <stddef.h>
#include <sys/socket.h>

#include "agent/h1_url.h"

#define H1_DNS_MAX 64

struct h1_dns_entry {
	char host[256];
	size_t hlen;
	unsigned port;
	struct sockaddr_storage ss;
	socklen_t len;
};

struct h1_dns {
	struct h1_dns_entry e[H1_DNS_MAX];
	size_t n, next;
};

/* The address of url's host and port (IPv4 first when the name has both). 0, or -1 with the
 * reason in err. */
int h1_dns_resolve(struct h1_dns *c, const struct h1_url *url, struct sockaddr_storage *ss,
		   socklen_t *len, char *err, size_t errlen);

#endif
