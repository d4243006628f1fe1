/* What the dashboard accepts, checked for form (see dashboard_parse.h): the --dashboard listen
 * address and the body of a control request. Pure functions, no I/O: the unit tests drive them
 * directly. */
#include "controller/dashboard_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

bool dashboard_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

int dashboard_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port, char **err)
{
	const char *p = listen, *colon;
	char *end;
	long v;
	size_t hl;

	if (!listen || !*listen)
		return err_set(err, "--dashboard: empty address");
	if (*p == '[') {
		const char *rb = strchr(p, ']');

		if (!rb || rb[1] != ':')
			return err_set(err, "--dashboard '%s': expected [IPV6]:PORT", listen);
		hl = (size_t)(rb - p - 1);
		p++;
		colon = rb + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon) {
			/* A bare port. */
			colon = p - 1;
			hl = 0;
		} else {
			hl = (size_t)(colon - p);
		}
	}
	if (hl >= hsize)
		return err_set(err, "--dashboard '%s': host too long", listen);
	if (hl == 0)
		snprintf(host, hsize, "127.0.0.1");
	else {
		memcpy(host, p, hl);
		host[hl] = '\0';
	}
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || v < 0 || v > 65535)
		return err_set(err, "--dashboard '%s': expected ADDR:PORT with a port 0-65535",
			       listen);
	*port = (uint16_t)v;
	return 0;
}

int dashboard_parse_control(const char *body, size_t len, struct dashboard_control *c,
			    json_t **json_out, char **err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *f, *u;
	const char *a;

	*json_out = NULL;
	memset(c, 0, sizeof(*c));
	c->users = -1;
	if (!j)
		return err_set(err, "malformed JSON: %s (line %d, column %d)", je.text, je.line,
			       je.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err,
			       "expected a JSON object like {\"action\":\"rate\",\"factor\":1.5}");
	}
	a = json_string_value(json_object_get(j, "action"));
	if (!a) {
		json_decref(j);
		return err_set(err, "\"action\" (a string) is required: rate, users, pause, resume "
				    "or stop");
	}
	if (strcmp(a, "rate") && strcmp(a, "users") && strcmp(a, "pause") && strcmp(a, "resume") &&
	    strcmp(a, "stop")) {
		err_set(err, "unknown action '%s': expected rate, users, pause, resume or stop", a);
		json_decref(j);
		return -1;
	}
	f = json_object_get(j, "factor");
	u = json_object_get(j, "users");
	if (f) {
		if (!json_is_number(f) || !isfinite(json_number_value(f)) ||
		    json_number_value(f) <= 0 || json_number_value(f) > 1000) {
			json_decref(j);
			return err_set(err, "\"factor\" must be a number > 0 and <= 1000");
		}
		c->factor = json_number_value(f);
	}
	if (u) {
		if (!json_is_integer(u) || json_integer_value(u) < 0 ||
		    json_integer_value(u) > 100000000) {
			json_decref(j);
			return err_set(err, "\"users\" must be a whole number from 0 to 100000000");
		}
		c->users = json_integer_value(u);
	}
	if (strcmp(a, "rate") == 0 && (!f || u)) {
		json_decref(j);
		return err_set(err, "\"rate\" takes a \"factor\" (e.g. 1.5)");
	}
	if (strcmp(a, "users") == 0 && (f ? 1 : 0) + (u ? 1 : 0) != 1) {
		json_decref(j);
		return err_set(err, "\"users\" takes either \"users\" (a count) or \"factor\"");
	}
	if ((!strcmp(a, "pause") || !strcmp(a, "resume") || !strcmp(a, "stop")) && (f || u)) {
		err_set(err, "\"%s\" takes no \"factor\" or \"users\"", a); /* before a goes */
		json_decref(j);
		return -1;
	}
	c->action = a;
	*json_out = j;
	return 0;
}
