/* The target probe (see run_target.h): parse the URL's host and port, resolve it and try each
 * address with a non-blocking connect bounded by the scenario's connect timeout. */
#include "controller/run_target.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"

int run_target_hostport(const char *url, char *host, size_t hsize, char *port, size_t psize,
			char **err)
{
	const char *p, *end, *hs, *he, *colon = NULL;
	const char *defport;

	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		defport = "80";
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		defport = "443";
	} else {
		return err_set(err, "target '%s' is not an http:// or https:// URL", url);
	}
	end = p + strcspn(p, "/?#");
	{
		const char *at = memchr(p, '@', (size_t)(end - p));

		if (at)
			p = at + 1;
	}
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(end - hs));
		if (!he)
			return err_set(err, "target '%s': unterminated [IPv6 address]", url);
		if (he + 1 < end && he[1] == ':')
			colon = he + 1;
	} else {
		hs = p;
		colon = memchr(p, ':', (size_t)(end - p));
		he = colon ? colon : end;
	}
	if (he == hs)
		return err_set(err, "target '%s' has no host", url);
	if ((size_t)(he - hs) >= hsize)
		return err_set(err, "target '%s': host name too long", url);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (colon) {
		const char *ps = colon + 1;
		size_t n = (size_t)(end - ps);
		size_t i;

		if (n == 0 || n >= psize || n > 5)
			return err_set(err, "target '%s': bad port", url);
		for (i = 0; i < n; i++)
			if (ps[i] < '0' || ps[i] > '9')
				return err_set(err, "target '%s': bad port", url);
		memcpy(port, ps, n);
		port[n] = '\0';
		if (strtol(port, NULL, 10) < 1 || strtol(port, NULL, 10) > 65535)
			return err_set(err, "target '%s': port out of range", url);
	} else {
		snprintf(port, psize, "%s", defport);
	}
	return 0;
}

int run_target_check(const char *url, int timeout_ms, char **err)
{
	char host[256], port[16];
	struct addrinfo hints, *res = NULL, *ai;
	char last[256] = "no address";
	int rc = -1, g;

	if (run_target_hostport(url, host, sizeof(host), port, sizeof(port), err) < 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	g = getaddrinfo(host, port, &hints, &res);
	if (g != 0)
		return err_set(err, "target %s: cannot resolve %s: %s", url, host, gai_strerror(g));
	for (ai = res; ai && rc < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		struct pollfd pfd;
		int soerr = 0, pr;
		socklen_t sl = sizeof(soerr);

		if (fd < 0) {
			snprintf(last, sizeof(last), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			rc = 0;
		} else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				pr = poll(&pfd, 1, timeout_ms);
			while (pr < 0 && errno == EINTR);
			if (pr == 0)
				snprintf(last, sizeof(last), "no answer within %d ms", timeout_ms);
			else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				snprintf(last, sizeof(last), "%s", strerror(errno));
			else if (soerr != 0)
				snprintf(last, sizeof(last), "%s", strerror(soerr));
			else
				rc = 0;
		} else {
			snprintf(last, sizeof(last), "%s", strerror(errno));
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (rc < 0)
		err_set(err, "target %s is unreachable: connect to %s port %s: %s", url, host, port,
			last);
	return rc;
}
