/* The live dashboard (`barrage run --dashboard`; docs/dashboard.md): an HTTP server on the run
 * loop's own event_base (libevent's evhttp), so it costs the run nothing but a few callbacks and
 * sees every merged interval the moment stats.log does.
 *
 *   GET  /               the page: live charts (dygraphs, embedded in the binary at build time)
 *   GET  /api/status     run, phase, elapsed, the latest merged interval as a stats.log line,
 *                        its summary (rate, errors, percentiles), agents, thresholds, changes
 *   GET  /api/history    every interval's summary so far (the page draws its charts from it)
 *   GET  /api/stream     Server-Sent Events: "interval" per merged interval, "event" per event
 *   POST /api/control    {"action":"rate","factor":1.5} | users | pause | resume | stop
 *
 * Reading is open to whoever reaches the address; control needs the random token printed with
 * the URL (`?token=` or `Authorization: Bearer`), an Origin equal to the Host when the request
 * has one (a page elsewhere cannot drive a local dashboard), and a body of at most
 * DASHBOARD_MAX_BODY bytes. Only loopback addresses are bound unless the user says
 * --dashboard-public. */
#ifndef BARRAGE_CONTROLLER_DASHBOARD_H
#define BARRAGE_CONTROLLER_DASHBOARD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/plan.h"
#include "common/stats.h"
#include "controller/dashboard_parse.h"

#define DASHBOARD_DEFAULT_ADDR "127.0.0.1:8091"
#define DASHBOARD_MAX_BODY     4096
#define DASHBOARD_MAX_STREAMS  32

struct event_base;
struct dashboard;

/* Apply a control request. Returns 0, or -1 with *err (the dashboard frees it) and *status the
 * HTTP status to answer (400 for a request that does not fit the run, 409 for one that comes
 * too early or too late). On success *applied may receive a JSON object describing what was
 * done (the dashboard takes it). */
typedef int (*dashboard_control_fn)(void *arg, const struct dashboard_control *c, json_t **applied,
				    int *status, char **err);

/* listen: "ADDR:PORT", "[V6]:PORT" or ":PORT" / "PORT" (127.0.0.1), NULL for the default; port 0
 * takes a free port (dashboard_url says which). A non-loopback address needs public_ok. */
int dashboard_open(struct event_base *base, const char *listen, bool public_ok,
		   dashboard_control_fn fn, void *arg, struct dashboard **out, char **err);
void dashboard_free(struct dashboard *d);

/* "http://127.0.0.1:8091/?token=..." (owned by d). */
const char *dashboard_url(const struct dashboard *d);
const char *dashboard_token(const struct dashboard *d);

/* Facts about the run shown on the page: name, scenario, run directory, model, thresholds. */
void dashboard_set_run(struct dashboard *d, const struct plan *p, const char *scenario,
		       const char *run_dir);
void dashboard_set_phase(struct dashboard *d, const char *phase, double elapsed_s);
/* A merged interval (not a late one): kept as the latest, summarised into the history and sent to
 * every stream. connected/total: agents connected of all. */
void dashboard_interval(struct dashboard *d, const struct plan *p, const struct stats_snapshot *s,
			unsigned connected, unsigned total);
/* An event (same fields as a stats.log event record): on the stream, and kept so the page can
 * mark it (runtime changes, lost agents, threshold aborts). */
void dashboard_event(struct dashboard *d, double t, const char *agent, const char *what,
		     const char *detail);

/* The one-interval summary the page draws (rate, errors, percentiles in ms, users, ...). */
json_t *dashboard_summary(const struct plan *p, const struct stats_snapshot *s);

#endif
