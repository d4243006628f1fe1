/* The lean client's cookie jar (see cookie.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "agent/cookie.h"

void cookie_jar_init(struct cookie_jar *j)
{
	memset(j, 0, sizeof(*j));
}

void cookie_jar_clear(struct cookie_jar *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->v[i].name);
	j->n = 0;
}

void cookie_jar_free(struct cookie_jar *j)
{
	cookie_jar_clear(j);
	free(j->v);
	j->v = NULL;
	j->cap = 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static bool domain_match(const char *host, size_t hl, const char *dom)
{
	size_t dl = strlen(dom);

	if (hl == dl)
		return strncasecmp(host, dom, hl) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strncasecmp(host + hl - dl, dom, dl) == 0;
}

static bool path_match(const char *rp, size_t rl, const char *cp)
{
	size_t cl = strlen(cp);

	if (rl < cl || strncmp(rp, cp, cl) != 0)
		return false;
	return rl == cl || cp[cl - 1] == '/' || rp[cl] == '/';
}

/* The request path without its query ("/" when empty). */
static void req_path(const struct h1_url *u, const char **p, size_t *n)
{
	const char *q = memchr(u->path, '?', u->plen);

	*p = u->path;
	*n = q ? (size_t)(q - u->path) : u->plen;
	if (*n == 0 || **p != '/') {
		*p = "/";
		*n = 1;
	}
}

/* What one Set-Cookie value says. */
struct set_cookie {
	const char *name, *val, *dom, *path;
	size_t nl, vl, doml, pathl;
	int64_t expires; /* 0: end of session */
	bool secure, have_max_age, del;
};

static void max_age(struct set_cookie *sc, const char *av, size_t avl, int64_t now)
{
	long long ma = 0;
	bool neg = *av == '-';

	for (size_t i = neg ? 1 : 0; i < avl; i++) {
		if (av[i] < '0' || av[i] > '9')
			return;
		if (ma < 1000000000000LL)
			ma = ma * 10 + (av[i] - '0');
	}
	sc->have_max_age = true;
	if (neg || ma == 0)
		sc->del = true;
	else
		sc->expires = now + ma;
}

static void expires_at(struct set_cookie *sc, const char *av, size_t avl, int64_t now)
{
	char tmp[128];
	time_t t;

	if (avl >= sizeof(tmp))
		return;
	memcpy(tmp, av, avl);
	tmp[avl] = '\0';
	t = curl_getdate(tmp, NULL);
	if (t == (time_t)-1)
		return;
	if ((int64_t)t <= now)
		sc->del = true;
	else
		sc->expires = (int64_t)t;
}

/* One "; name=value" attribute. */
static void attribute(struct set_cookie *sc, const char *an, size_t anl, const char *av, size_t avl,
		      int64_t now)
{
	if (anl == 6 && strncasecmp(an, "domain", 6) == 0 && avl) {
		sc->dom = av;
		sc->doml = avl;
		if (*sc->dom == '.')
			sc->dom++, sc->doml--;
	} else if (anl == 4 && strncasecmp(an, "path", 4) == 0 && avl && *av == '/') {
		sc->path = av;
		sc->pathl = avl;
	} else if (anl == 7 && strncasecmp(an, "max-age", 7) == 0 && avl)
		max_age(sc, av, avl, now);
	else if (anl == 7 && strncasecmp(an, "expires", 7) == 0 && avl && !sc->have_max_age)
		expires_at(sc, av, avl, now);
	else if (anl == 6 && strncasecmp(an, "secure", 6) == 0)
		sc->secure = true;
}

/* Read a Set-Cookie value. Returns false when it is no cookie. A quoted value is kept with its
 * quotes, as libcurl does. */
static bool parse_set_cookie(const char *s, size_t len, int64_t now, struct set_cookie *sc)
{
	const char *end = s + len, *semi = memchr(s, ';', len), *eq;

	memset(sc, 0, sizeof(*sc));
	if (!semi)
		semi = end;
	eq = memchr(s, '=', (size_t)(semi - s));
	if (!eq)
		return false;
	sc->name = s;
	sc->nl = (size_t)(eq - s);
	sc->val = eq + 1;
	sc->vl = (size_t)(semi - sc->val);
	trim(&sc->name, &sc->nl);
	trim(&sc->val, &sc->vl);
	if (sc->nl == 0 || sc->nl > 4096 || sc->vl > 4096)
		return false;
	for (const char *a = semi; a < end;) {
		const char *an, *av = NULL, *ae;
		size_t anl, avl = 0;

		a++;
		ae = memchr(a, ';', (size_t)(end - a));
		if (!ae)
			ae = end;
		an = a;
		eq = memchr(a, '=', (size_t)(ae - a));
		anl = (size_t)((eq ? eq : ae) - a);
		if (eq) {
			av = eq + 1;
			avl = (size_t)(ae - av);
			trim(&av, &avl);
		}
		trim(&an, &anl);
		attribute(sc, an, anl, av, avl, now);
		a = ae;
	}
	return true;
}

/* The cookie sc describes, as received from url, in one allocation. Returns false when url
 * may not set it (a Secure cookie over plain HTTP, a domain url is not in) or on no memory. */
static bool make_cookie(const struct h1_url *url, struct set_cookie *sc, struct cookie *c)
{
	char *mem;

	memset(c, 0, sizeof(*c));
	/* A secure cookie from a plain-HTTP origin is refused, as libcurl does. */
	if (sc->secure && !url->https)
		return false;
	c->secure = sc->secure;
	if (sc->dom) {
		char d[256];

		if (sc->doml == 0 || sc->doml >= sizeof(d))
			return false;
		memcpy(d, sc->dom, sc->doml);
		d[sc->doml] = '\0';
		if (!domain_match(url->host, url->hlen, d))
			return false;
	} else {
		sc->dom = url->host;
		sc->doml = url->hlen;
		c->host_only = true;
	}
	if (!sc->path) {
		const char *rp;
		size_t rl;

		req_path(url, &rp, &rl);
		while (rl > 1 && rp[rl - 1] != '/')
			rl--;
		if (rl > 1)
			rl--; /* up to, not including, the last '/' */
		sc->path = rp;
		sc->pathl = rl;
	}
	mem = malloc(sc->nl + sc->vl + sc->doml + sc->pathl + 4);
	if (!mem)
		return false;
	c->name = mem;
	memcpy(c->name, sc->name, sc->nl);
	c->name[sc->nl] = '\0';
	c->value = c->name + sc->nl + 1;
	memcpy(c->value, sc->val, sc->vl);
	c->value[sc->vl] = '\0';
	c->domain = c->value + sc->vl + 1;
	for (size_t i = 0; i < sc->doml; i++)
		c->domain[i] = (char)tolower((unsigned char)sc->dom[i]);
	c->domain[sc->doml] = '\0';
	c->path = c->domain + sc->doml + 1;
	memcpy(c->path, sc->path, sc->pathl);
	c->path[sc->pathl] = '\0';
	c->expires = sc->expires;
	return true;
}

void cookie_jar_set(struct cookie_jar *j, const struct h1_url *url, const char *s, size_t len,
		    int64_t now)
{
	struct set_cookie sc;
	struct cookie c, *slot = NULL;

	if (!parse_set_cookie(s, len, now, &sc) || !make_cookie(url, &sc, &c))
		return;
	c.created = ++j->seq;
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].name, c.name) == 0 && strcmp(j->v[i].domain, c.domain) == 0 &&
		    strcmp(j->v[i].path, c.path) == 0) {
			slot = &j->v[i];
			break;
		}
	if (sc.del) {
		free(c.name);
		if (slot) {
			free(slot->name);
			*slot = j->v[--j->n];
		}
		return;
	}
	if (slot) {
		c.created = slot->created; /* a replaced cookie keeps its age, as in libcurl */
		free(slot->name);
		*slot = c;
		return;
	}
	if (j->n == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 4;
		struct cookie *v = realloc(j->v, nc * sizeof(*v));

		if (!v || j->n >= 1000) {
			free(c.name);
			if (v)
				j->v = v, j->cap = nc;
			return;
		}
		j->v = v;
		j->cap = nc;
	}
	j->v[j->n++] = c;
}

static bool cookie_before(const struct cookie *a, const struct cookie *b)
{
	size_t la = strlen(a->path), lb = strlen(b->path);

	if (la != lb)
		return la > lb;
	la = strlen(a->domain);
	lb = strlen(b->domain);
	if (la != lb)
		return la > lb;
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la > lb;
	return a->created > b->created; /* libcurl 7.88: the newer first */
}

void cookie_jar_header(struct cookie_jar *j, const struct h1_url *url, struct buf *b, int64_t now)
{
	const struct cookie *pick[64];
	size_t np = 0;
	const char *rp;
	size_t rl;

	if (j->n == 0)
		return;
	req_path(url, &rp, &rl);
	for (size_t i = 0; i < j->n && np < 64; i++) {
		const struct cookie *c = &j->v[i];
		bool dm;

		if (c->expires && c->expires <= now)
			continue;
		if (c->host_only)
			dm = strlen(c->domain) == url->hlen &&
			     strncasecmp(c->domain, url->host, url->hlen) == 0;
		else
			dm = domain_match(url->host, url->hlen, c->domain);
		if (!dm || !path_match(rp, rl, c->path) || (c->secure && !url->https))
			continue;
		size_t k = np++;

		while (k > 0 && cookie_before(c, pick[k - 1])) {
			pick[k] = pick[k - 1];
			k--;
		}
		pick[k] = c;
	}
	if (np == 0)
		return;
	buf_append_str(b, "Cookie: ");
	for (size_t i = 0; i < np; i++) {
		if (i)
			buf_append(b, "; ", 2);
		buf_append_str(b, pick[i]->name);
		buf_append_byte(b, '=');
		buf_append_str(b, pick[i]->value);
	}
	buf_append(b, "\r\n", 2);
}

int cookie_jar_get(const struct cookie_jar *j, const char *name, size_t idx, const char **val,
		   size_t *len)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].name, name) == 0 && idx-- == 0) {
			*val = j->v[i].value;
			*len = strlen(j->v[i].value);
			return 0;
		}
	return -1;
}
