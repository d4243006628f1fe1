/* Hosts files: the list of machines a distributed run uses.
 *
 * One host per line, "user@host[:port] [agents=N] [weight=W]", with # comments and blank lines
 * ignored. An IPv6 address is written in brackets ("load@[fd00::5]:22"). The parser is strict
 * because a typo here sends load from the wrong machines: every mistake is reported as
 * "FILE:LINE:COL: what is wrong", and a host listed twice is refused (agents=N is the way to run
 * several agents on one host). hosts_parse() works on a buffer so the fuzzer and the unit tests
 * can drive it without files. `barrage hosts check` itself is controller/cli_hosts.c over
 * controller/ssh_check.c. */
#include "controller/ssh.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

#define HOSTS_MAX	 100000 /* hosts in one file */
#define HOSTS_MAX_AGENTS 4096	/* agents on one host */
#define HOSTS_FILE_MAX	 ((size_t)16 << 20)
#define HOSTS_NAME_MAX	 253

void hosts_free(struct plan_host *hosts, size_t nhosts)
{
	if (!hosts)
		return;
	for (size_t i = 0; i < nhosts; i++) {
		free(hosts[i].user);
		free(hosts[i].host);
	}
	free(hosts);
}

static bool user_char_ok(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '$';
}

static bool host_char_ok(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Parses a decimal number made of the whole of [s, s+n). */
static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_weight(const char *s, size_t n, double *out)
{
	char tmp[32];
	char *end;
	double v;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!isdigit((unsigned char)tmp[0]) && tmp[0] != '.')
		return -1;
	errno = 0;
	v = strtod(tmp, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* The host part: "name", "name:port", "[v6]" or "[v6]:port". Sets host (heap) and port. */
static int parse_address(const char *path, int line, const char *s, size_t n, int col,
			 struct plan_host *h, char **err)
{
	const char *name = s, *colon = NULL;
	size_t nlen;
	unsigned long port = 22;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return err_set(err,
				       "%s:%d:%d: '[' opens an IPv6 address but no ']' closes it",
				       path, line, col);
		name = s + 1;
		nlen = (size_t)(close - name);
		if (nlen == 0)
			return err_set(err, "%s:%d:%d: empty IPv6 address", path, line, col);
		for (size_t i = 0; i < nlen; i++)
			if (!isxdigit((unsigned char)name[i]) && name[i] != ':' && name[i] != '.')
				return err_set(err,
					       "%s:%d:%d: '%c' is not allowed in an IPv6 address",
					       path, line, col + 1 + (int)i, name[i]);
		if ((size_t)(close + 1 - s) < n) {
			if (close[1] != ':')
				return err_set(err, "%s:%d:%d: expected ':PORT' after ']'", path,
					       line, col + (int)(close + 1 - s));
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		nlen = colon ? (size_t)(colon - s) : n;
		if (nlen == 0)
			return err_set(err, "%s:%d:%d: missing host name", path, line, col);
		for (size_t i = 0; i < nlen; i++)
			if (!host_char_ok((unsigned char)s[i]))
				return err_set(err,
					       "%s:%d:%d: '%c' is not allowed in a host name (IPv6 "
					       "addresses go in brackets: user@[::1]:22)",
					       path, line, col + (int)i, s[i]);
	}
	if (nlen > HOSTS_NAME_MAX)
		return err_set(err, "%s:%d:%d: host name longer than %d characters", path, line,
			       col, HOSTS_NAME_MAX);
	if (colon) {
		size_t plen = n - (size_t)(colon + 1 - s);
		if (parse_uint(colon + 1, plen, 65535, &port) < 0 || port == 0)
			return err_set(err, "%s:%d:%d: bad port '%.*s' (expected 1 to 65535)", path,
				       line, col + (int)(colon + 1 - s), (int)plen, colon + 1);
	}
	h->host = strndup(name, nlen);
	if (!h->host)
		return err_set(err, "out of memory");
	h->port = (int)port;
	return 0;
}

/* One option "key=value" at column col. */
static int parse_option(const char *path, int line, const char *s, size_t n, int col,
			struct plan_host *h, char **err)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	const char *v = eq ? eq + 1 : NULL;
	size_t vlen = eq ? n - klen - 1 : 0;
	unsigned long agents;

	if (!eq)
		return err_set(err,
			       "%s:%d:%d: expected key=value (agents=N or weight=W), got '%.*s'",
			       path, line, col, (int)n, s);
	if (klen == 6 && memcmp(s, "agents", 6) == 0) {
		if (parse_uint(v, vlen, HOSTS_MAX_AGENTS, &agents) < 0 || agents == 0)
			return err_set(err, "%s:%d:%d: bad agents '%.*s' (expected 1 to %d)", path,
				       line, col + 7, (int)vlen, v, HOSTS_MAX_AGENTS);
		h->agents = (uint32_t)agents;
		return 0;
	}
	if (klen == 6 && memcmp(s, "weight", 6) == 0) {
		if (parse_weight(v, vlen, &h->weight) < 0)
			return err_set(err,
				       "%s:%d:%d: bad weight '%.*s' (expected a number above 0, "
				       "at most 1000000)",
				       path, line, col + 7, (int)vlen, v);
		return 0;
	}
	if ((klen == 5 && memcmp(s, "agent", 5) == 0) || (klen == 1 && s[0] == 'n'))
		return err_set(err, "%s:%d:%d: unknown option '%.*s' (did you mean 'agents'?)",
			       path, line, col, (int)klen, s);
	return err_set(err, "%s:%d:%d: unknown option '%.*s' (expected agents= or weight=)", path,
		       line, col, (int)klen, s);
}

/* One non-blank line without its comment. */
static int parse_line(const char *path, int line, const char *s, size_t n, struct plan_host *h,
		      char **err)
{
	size_t i = 0, start;
	const char *at;
	size_t wlen;

	memset(h, 0, sizeof *h);
	h->agents = 1;
	h->weight = 1;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	start = i;
	while (i < n && !isspace((unsigned char)s[i]))
		i++;
	wlen = i - start;
	h->pos.line = line;
	h->pos.col = (int)start + 1;

	at = memchr(s + start, '@', wlen);
	if (at) {
		size_t ulen = (size_t)(at - (s + start));
		if (ulen == 0)
			return err_set(err, "%s:%d:%d: empty user name before '@'", path, line,
				       (int)start + 1);
		for (size_t k = 0; k < ulen; k++)
			if (!user_char_ok((unsigned char)s[start + k]))
				return err_set(err, "%s:%d:%d: '%c' is not allowed in a user name",
					       path, line, (int)(start + k) + 1, s[start + k]);
		h->user = strndup(s + start, ulen);
		if (!h->user)
			return err_set(err, "out of memory");
		if (memchr(at + 1, '@', wlen - ulen - 1))
			return err_set(err, "%s:%d:%d: more than one '@'", path, line,
				       (int)start + 1);
		if (parse_address(path, line, at + 1, wlen - ulen - 1, (int)(start + ulen) + 2, h,
				  err) < 0)
			return -1;
	} else {
		if (parse_address(path, line, s + start, wlen, (int)start + 1, h, err) < 0)
			return -1;
	}

	for (;;) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && !isspace((unsigned char)s[i]))
			i++;
		if (parse_option(path, line, s + start, i - start, (int)start + 1, h, err) < 0)
			return -1;
	}
	return 0;
}

int hosts_parse(const char *path, const char *text, size_t len, struct plan_host **out,
		size_t *nout, char **err)
{
	struct plan_host *hosts = NULL;
	size_t n = 0, cap = 0;
	const char *p = text, *end = text + len;
	int line = 0;

	*out = NULL;
	*nout = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol ? eol : end;
		const char *hash = memchr(p, '#', (size_t)(lend - p));
		const char *cend = hash ? hash : lend;
		bool blank = true;

		line++;
		for (const char *q = p; q < cend; q++) {
			if (*q == '\0' ||
			    (iscntrl((unsigned char)*q) && !isspace((unsigned char)*q))) {
				err_set(err, "%s:%d:%d: control character (is this a text file?)",
					path, line, (int)(q - p) + 1);
				goto fail;
			}
			if (!isspace((unsigned char)*q))
				blank = false;
		}
		if (!blank) {
			if (n == HOSTS_MAX) {
				err_set(err, "%s:%d: more than %d hosts", path, line, HOSTS_MAX);
				goto fail;
			}
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct plan_host *nh = realloc(hosts, ncap * sizeof *nh);
				if (!nh) {
					err_set(err, "out of memory");
					goto fail;
				}
				hosts = nh;
				cap = ncap;
			}
			if (parse_line(path, line, p, (size_t)(cend - p), &hosts[n], err) < 0) {
				n++; /* so the partial entry is freed */
				goto fail;
			}
			for (size_t k = 0; k < n; k++) {
				if (hosts[k].port == hosts[n].port &&
				    strcmp(hosts[k].host, hosts[n].host) == 0 &&
				    (hosts[k].user && hosts[n].user
					 ? strcmp(hosts[k].user, hosts[n].user) == 0
					 : hosts[k].user == hosts[n].user)) {
					err_set(
					    err,
					    "%s:%d:%d: %s:%d is listed twice (first on line %d); "
					    "use agents=N to run several agents on one host",
					    path, line, hosts[n].pos.col, hosts[n].host,
					    hosts[n].port, hosts[k].pos.line);
					n++;
					goto fail;
				}
			}
			n++;
		}
		p = eol ? eol + 1 : end;
	}
	if (n == 0) {
		err_set(err, "%s: no hosts (expected lines like 'user@host[:port] [agents=N]')",
			path);
		goto fail;
	}
	*out = hosts;
	*nout = n;
	return 0;
fail:
	hosts_free(hosts, n);
	return -1;
}

int hosts_file_read(const char *path, struct plan_host **hosts, size_t *nhosts, char **err)
{
	struct buf b;
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t got;
	int rc = -1;

	buf_init(&b, HOSTS_FILE_MAX);
	*hosts = NULL;
	*nhosts = 0;
	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&b, chunk, got) < 0) {
			err_set(err, "%s: larger than %zu MiB; not a hosts file?", path,
				HOSTS_FILE_MAX >> 20);
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	rc = hosts_parse(path, b.data ? b.data : "", b.len, hosts, nhosts, err);
out:
	fclose(f);
	buf_free(&b);
	return rc;
}
