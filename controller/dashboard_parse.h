/* What the live dashboard accepts, checked for form before anything acts on it: the
 * --dashboard listen address and the body of POST /api/control (dashboard_parse.c). */
#ifndef BARRAGE_CONTROLLER_DASHBOARD_PARSE_H
#define BARRAGE_CONTROLLER_DASHBOARD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A control request, checked for form by the dashboard: action is "rate", "users", "pause",
 * "resume" or "stop"; factor > 0 when given (0 when not); users >= 0 when given (-1 when not). */
struct dashboard_control {
	const char *action;
	double factor;
	int64_t users;
};

/* Parse a control body (JSON). Returns 0, or -1 with *err (the caller answers 400). c->action
 * points into *json_out, which the caller frees with json_decref. */
int dashboard_parse_control(const char *body, size_t len, struct dashboard_control *c,
			    json_t **json_out, char **err);
/* Parse a listen address ("ADDR:PORT", "[V6]:PORT", ":PORT", "PORT"). 0, or -1 with *err. */
int dashboard_parse_listen(const char *listen, char *host, size_t hsize, uint16_t *port,
			   char **err);
/* "localhost", 127.0.0.0/8 or ::1. */
bool dashboard_host_is_loopback(const char *host);

#endif
