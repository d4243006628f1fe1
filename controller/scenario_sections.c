/* The scenario's top-level sections other than sessions: http, load, data, thresholds,
 * agents and monitor, each mapped onto its part of the plan and checked where it is written. */
#include "controller/scenario_sections.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <stdio.h>

#include "common/csv.h"
#include "common/threshold.h"
#include "common/tmpl.h"
#include "common/units.h"
#include "controller/monitor.h"
#include "controller/scenario_fields.h"
#include "common/plan_validate.h"
#include "controller/scenario_scalars.h"
#include "controller/scenario_yaml.h"
#include "controller/ssh.h"
#include "reports/reports.h"

/* ---- top-level sections ---- */

/* http.source_addresses: a list of local IP addresses (or one), kept as "ip,ip,...". */
static void parse_source_addresses(struct sc *sc, const struct ynode *v, struct plan_http *h)
{
	const struct ynode *one[1] = {v};
	const struct ynode *const *items =
	    v->kind == YN_SEQ ? (const struct ynode *const *)v->kids : one;
	size_t n = v->kind == YN_SEQ ? v->n : 1;
	struct buf b;

	if (v->kind == YN_MAP) {
		sc_err(sc, v, 0, "source_addresses: expected a list of IP addresses");
		return;
	}
	if (n == 0) {
		sc_err(sc, v, 0, "source_addresses: the list is empty");
		return;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char tmp[sizeof(struct in6_addr)];

		if (sc_want_scalar(sc, items[i], "source_addresses") != 0)
			continue;
		if (inet_pton(AF_INET, items[i]->str, tmp) != 1 &&
		    inet_pton(AF_INET6, items[i]->str, tmp) != 1) {
			sc_err(sc, items[i], 0,
			       "source_addresses: '%.60s' is not an IPv4 or IPv6 address",
			       items[i]->str);
			continue;
		}
		if (b.len)
			buf_append_byte(&b, ',');
		buf_append_str(&b, items[i]->str);
	}
	free(h->source_addresses);
	h->source_addresses = b.len ? buf_steal(&b) : NULL;
	buf_free(&b);
}

void sc_parse_http(struct sc *sc, const struct ynode *n, struct plan *p)
{
	struct plan_http *h = &p->http;
	const char *keys[32], *tkeys[32]; /* from the schema: common/plan_schema.c */
	const struct ynode *v, *t;

	if (sc_want_kind(sc, n, YN_MAP, "http") != 0)
		return;
	sc_check_keys(sc, n, "http", sc_field_keys("http", keys, 32));
	sc_map_fields(sc, n, "http", p); /* the plain fields: common/plan_schema.c */
	if ((v = sc_map_get(n, "version")) && sc_want_scalar(sc, v, "version") == 0) {
		if (strcmp(v->str, "1.1") == 0)
			h->version = 11;
		else if (strcmp(v->str, "2") == 0 || strcmp(v->str, "2.0") == 0)
			h->version = 2;
		else
			sc_err(sc, v, 0, "http version must be \"1.1\" or \"2\", got '%.60s'",
			       v->str);
	}
	if ((v = sc_map_get(n, "headers")))
		sc_get_kvs(sc, v, "header", TMPL_ESCAPE_NONE, false, &h->headers, &h->nheaders);
	if ((t = sc_map_get(n, "tls")) && sc_want_kind(sc, t, YN_MAP, "tls") == 0) {
		sc_check_keys(sc, t, "tls", sc_field_keys("http.tls", tkeys, 32));
		sc_map_fields(sc, t, "http.tls", p);
		if (!!h->tls_cert != !!h->tls_key &&
		    (v = sc_map_get(t, h->tls_cert ? "cert" : "key")))
			sc_err(sc, v, 0, "a client certificate needs both cert and key");
	}
	if ((v = sc_map_get(n, "source_addresses")))
		parse_source_addresses(sc, v, h);
	if ((v = sc_map_get(n, "client")) && sc_want_scalar(sc, v, "client") == 0) {
		h->client = plan_client_parse(v->str);
		if (h->client < 0) {
			h->client = PLAN_CLIENT_AUTO;
			sc_err(sc, v, 0, "client must be auto, lean or curl, got '%.60s'", v->str);
		} else if (h->client == PLAN_CLIENT_LEAN) {
			/* What the lean client does not do yet: say so now, not at run time. */
			if (h->version == 2)
				sc_err(
				    sc, v, 0,
				    "client lean speaks HTTP/1.1 only; use client: curl (or auto) "
				    "with version 2");
			else if (h->share_connections)
				sc_err(
				    sc, v, 0,
				    "client lean keeps each user's connections apart; use client: "
				    "curl (or auto) with share_connections");
		}
	}
}

void sc_parse_load(struct sc *sc, const struct ynode *key, const struct ynode *n, struct plan *p)
{
	struct plan_load *l = &p->load;
	static const char *const keys[] = {"phases",  "max_users",    "users", "duration",
					   "ramp_up", "request_rate", "grace", NULL};
	static const char *const pkeys[] = {"duration", "arrival_rate", "ramp_to", "name", NULL};
	const struct ynode *phases, *users, *rate, *v;
	size_t i;
	int models;

	if (sc_want_kind(sc, n, YN_MAP, "load") != 0)
		return;
	sc_check_keys(sc, n, "load", keys);
	phases = sc_map_get(n, "phases");
	users = sc_map_get(n, "users");
	rate = sc_map_get(n, "request_rate");
	models = !!phases + (!!users && !rate) + !!rate;
	if (models == 0) {
		sc_err(sc, key, 0,
		       "load needs exactly one model: phases (open), users with duration (closed) "
		       "or request_rate with duration (constant rate)");
		return;
	}
	if (phases && (users || rate)) {
		sc_err(sc, sc_map_key(n, users ? "users" : "request_rate"), 0,
		       "load has exactly one model: phases (open) cannot be combined with %s",
		       users ? "users" : "request_rate");
		return;
	}
	sc_map_fields(sc, n, "load", p); /* grace */
	if (phases) {
		l->model = PLAN_MODEL_OPEN;
		if (sc_map_get(n, "duration"))
			sc_err(sc, sc_map_key(n, "duration"), 0,
			       "duration belongs to the closed and rate models; the open model's "
			       "length is the sum of its phases");
		if (sc_map_get(n, "ramp_up"))
			sc_err(sc, sc_map_key(n, "ramp_up"), 0,
			       "ramp_up belongs to the closed and rate models; ramp an open model "
			       "with a phase's ramp_to");
		if ((v = sc_map_get(n, "max_users")))
			sc_get_count(sc, v, "max_users", 1, INT64_MAX, &l->max_users);
		if (sc_want_kind(sc, phases, YN_SEQ, "phases") != 0)
			return;
		if (phases->n == 0) {
			sc_err(sc, phases, 0, "phases: the list is empty");
			return;
		}
		l->phases = sc_calloc(sc, phases->n, sizeof(*l->phases));
		if (!l->phases)
			return;
		for (i = 0; i < phases->n; i++) {
			const struct ynode *ph = phases->kids[i];
			struct plan_phase *pp = &l->phases[l->nphases++];

			pp->ramp_to = -1;
			pp->pos.line = ph->line;
			pp->pos.col = ph->col;
			if (sc_want_kind(sc, ph, YN_MAP, "phase") != 0)
				continue;
			sc_check_keys(sc, ph, "phase", pkeys);
			if ((v = sc_map_get(ph, "name")))
				sc_get_string(sc, v, "phase name", true, &pp->name);
			if (!(v = sc_map_get(ph, "duration"))) {
				if (!sc_has_typo_of(ph, "duration"))
					sc_err(sc, ph, 0, "phase needs a duration");
			} else
				sc_get_duration(sc, v, "phase duration", 1000, &pp->duration_us);
			if (!(v = sc_map_get(ph, "arrival_rate"))) {
				if (!sc_has_typo_of(ph, "arrival_rate"))
					sc_err(sc, ph, 0,
					       "phase needs an arrival_rate (e.g. 50/s)");
			} else
				sc_get_rate(sc, v, "arrival_rate", &pp->arrival_rate);
			if ((v = sc_map_get(ph, "ramp_to")))
				sc_get_rate(sc, v, "ramp_to", &pp->ramp_to);
		}
		return;
	}
	if (sc_map_get(n, "max_users"))
		sc_err(sc, sc_map_key(n, "max_users"), 0,
		       "max_users belongs to the open model (phases); the closed model runs "
		       "exactly `users` sessions");
	l->model = rate ? PLAN_MODEL_RATE : PLAN_MODEL_CLOSED;
	if (users)
		sc_get_count(sc, users, "users", 1, 10000000, &l->users);
	else
		l->users = 10; /* request_rate alone: 10 sessions paced to it, as wrk's default */
	if (rate && sc_get_rate(sc, rate, "request_rate", &l->request_rate) == 0 &&
	    l->request_rate <= 0)
		sc_err(sc, rate, 0, "request_rate must be above 0");
	if (!(v = sc_map_get(n, "duration")))
		sc_err(sc, key, 0, "the %s model needs a duration (e.g. duration: 1m)",
		       rate ? "constant-rate" : "closed");
	else
		sc_get_duration(sc, v, "duration", 1000, &l->duration_us);
	if ((v = sc_map_get(n, "ramp_up")))
		sc_get_duration(sc, v, "ramp_up", 0, &l->ramp_up_us);
	sc_check_rules(sc, n, p, "load");
}

void sc_parse_data(struct sc *sc, const struct ynode *n, struct plan *p)
{
	static const char *const keys[] = {"file", "order", NULL};
	static const char *const orders[] = {"sequential", "random", "unique", NULL};
	size_t i, j;

	if (sc_want_kind(sc, n, YN_MAP, "data") != 0)
		return;
	p->data = sc_calloc(sc, n->n / 2, sizeof(*p->data));
	if (!p->data)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1], *f;
		struct plan_data *d = &p->data[p->ndata++];
		struct csv *csv = NULL;
		char *e = NULL;
		int ord = 0;

		d->pos.line = k->line;
		d->pos.col = k->col;
		d->part_count = 1;
		sc_get_ident(sc, k, "data name", &d->name);
		if (v->kind == YN_SCALAR) /* accounts: data/accounts.csv */
			f = v;
		else {
			if (sc_want_kind(sc, v, YN_MAP, "data file") != 0)
				continue;
			sc_check_keys(sc, v, "data file", keys);
			if ((f = sc_map_get(v, "order")) &&
			    sc_get_enum(sc, f, "order", orders, &ord) == 0)
				d->order = (enum plan_order)ord;
			if (!(f = sc_map_get(v, "file"))) {
				sc_err(sc, k, 0, "data '%s' needs a file", k->str);
				continue;
			}
		}
		if (sc_get_string(sc, f, "data file", true, &d->file) != 0)
			continue;
		{
			char *path = sc_resolve_path(sc, d->file);

			if (!path)
				continue;
			free(d->file);
			d->file = path;
		}
		if (csv_load(d->file, &csv, &e) != 0) {
			sc_err(sc, f, 0, "data '%s': %s", k->str, e ? e : "cannot read");
			free(e);
			sc->data_unknown = true;
			continue;
		}
		d->rows = csv_total_rows(csv);
		d->ncolumns = csv_ncolumns(csv);
		d->columns = sc_calloc(sc, d->ncolumns, sizeof(*d->columns));
		for (j = 0; d->columns && j < d->ncolumns; j++) {
			char name[512];

			d->columns[j] = sc_strdup(sc, csv_column_name(csv, j));
			snprintf(name, sizeof(name), "%s.%s", k->str, csv_column_name(csv, j));
			sc_define(sc, name);
		}
		if (!d->columns)
			d->ncolumns = 0;
		if (d->rows == 0)
			sc_err(sc, f, 0, "data '%s': %s has a header but no data rows", k->str,
			       d->file);
		csv_free(csv);
	}
}

/* Statistics a threshold may name besides tr_NAME and req_NAME (common/stats.h has the names);
 * http_NNN, http_Nxx and error_NAME are matched by shape in known_stat(). */
static const char *const threshold_stats[] = {
    "request", "request_service", "connect", "tls", "ttfb", "page", "session", "errors",
    "users_count", "finish_users_count", "dropped_users", "size_rcv", "size_sent", "requests",
    "users", "connected",
    /* agent/prog.c: failed requests' timing and the counters of failing, cut and missed work */
    "request_failed", "requests_missed", "users_backoff", "while_max", NULL};

static bool known_stat(const char *stat)
{
	size_t i;

	for (i = 0; threshold_stats[i]; i++)
		if (strcmp(stat, threshold_stats[i]) == 0)
			return true;
	if (strncmp(stat, "error_", 6) == 0 && stat[6])
		return true;
	/* http_200, http_5xx */
	if (strncmp(stat, "http_", 5) == 0 && strlen(stat) == 8 && stat[5] >= '1' && stat[5] <= '5')
		return (isdigit((unsigned char)stat[6]) && isdigit((unsigned char)stat[7])) ||
		       (stat[6] == 'x' && stat[7] == 'x');
	return false;
}

void sc_parse_thresholds(struct sc *sc, const struct ynode *n, struct plan *p)
{
	static const char *const keys[] = {"condition", "abort_on_fail", "delay", NULL};
	size_t i;

	if (sc_want_kind(sc, n, YN_MAP, "thresholds") != 0)
		return;
	p->thresholds = sc_calloc(sc, n->n / 2, sizeof(*p->thresholds));
	if (!p->thresholds)
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1], *c = v, *x;
		struct plan_threshold *t = &p->thresholds[p->nthresholds++];
		struct threshold th;
		char *e = NULL;
		int col = 0;

		t->pos.line = k->line;
		t->pos.col = k->col;
		if (sc_get_string(sc, k, "threshold metric", true, &t->metric) != 0)
			continue;
		if (v->kind == YN_MAP) {
			/* request.p95: { condition: "< 200ms", abort_on_fail: true, delay: 30s } */
			sc_check_keys(sc, v, "threshold", keys);
			if ((x = sc_map_get(v, "abort_on_fail")))
				sc_get_bool(sc, x, "abort_on_fail", &t->abort_on_fail);
			if ((x = sc_map_get(v, "delay")))
				sc_get_duration(sc, x, "delay", 0, &t->delay_us);
			if (!(c = sc_map_get(v, "condition"))) {
				sc_err(sc, v, 0,
				       "threshold '%s' needs a condition like \"< 200ms\"", k->str);
				continue;
			}
		}
		if (sc_get_string(sc, c, "threshold condition", true, &t->condition) != 0)
			continue;
		if (strncmp(t->metric, "monitor.", 8) == 0) {
			/* monitor.HOST.FIGURE.max: checked by the reports' own parser. */
			char host[256];
			int fig, op;
			bool mx;
			double val;

			if (reports_monitor_threshold_parse(t->metric, t->condition, host,
							    sizeof(host), &fig, &mx, &op, &val,
							    &e) < 0)
				sc_err(sc, k, 0, "%s", e ? e : "bad monitor threshold");
			else if (t->abort_on_fail)
				sc_err(sc, k, 0,
				       "threshold '%s': abort_on_fail is not available on monitor "
				       "figures",
				       t->metric);
			free(e);
			continue;
		}
		if (threshold_parse(t->metric, t->condition, &th, &e, &col) == 0) {
			/* A transaction or named request must exist, or the gate never sees data.
			 */
			if ((strncmp(th.stat, "tr_", 3) == 0 || strncmp(th.stat, "req_", 4) == 0) &&
			    !sc_str_in(sc->groups, sc->ngroups, th.stat)) {
				const char **cands = calloc(sc->ngroups + 1, sizeof(*cands));
				const char *near = NULL;
				size_t j;

				for (j = 0; cands && j < sc->ngroups; j++)
					cands[j] = sc->groups[j];
				if (cands)
					near = sc_closest(th.stat, cands);
				if (near)
					sc_err(sc, k, 0,
					       "threshold on '%s', which no %s defines; did you "
					       "mean '%s'?",
					       th.stat,
					       th.stat[0] == 't' ? "transaction" : "request name",
					       near);
				else
					sc_err(sc, k, 0, "threshold on '%s', which no %s defines",
					       th.stat,
					       th.stat[0] == 't' ? "transaction" : "request name");
				free(cands);
			} else if (strncmp(th.stat, "tr_", 3) != 0 &&
				   strncmp(th.stat, "req_", 4) != 0 && !known_stat(th.stat)) {
				const char *near = sc_closest(th.stat, threshold_stats);

				if (near)
					sc_err(sc, k, 0,
					       "threshold on unknown statistic '%s'; did you mean "
					       "'%s'?",
					       th.stat, near);
				else
					sc_err(
					    sc, k, 0,
					    "threshold on unknown statistic '%s' (use request, "
					    "connect, tls, ttfb, page, session, tr_NAME, req_NAME, "
					    "errors, http_NNN, http_Nxx, error_NAME or a counter)",
					    th.stat);
			}
		} else {
			/* Problems with the metric point at the key, the rest into the condition.
			 */
			if (e && strncmp(e, "threshold metric", 16) == 0)
				sc_err(sc, k, 0, "%s", e);
			else
				sc_err(sc, c, col > 0 ? (size_t)col : 0, "%s",
				       e ? e : "bad threshold");
			free(e);
		}
	}
}

static int parse_host_string(struct sc *sc, const struct ynode *n, struct plan_host *h)
{
	const char *s = n->str, *at = strchr(s, '@'), *host = at ? at + 1 : s, *colon;
	char *end;

	colon = strrchr(host, ':');
	if (at)
		h->user = strndup(s, (size_t)(at - s));
	h->host = colon ? strndup(host, (size_t)(colon - host)) : strdup(host);
	if ((at && !h->user) || !h->host) {
		sc->oom = true;
		return -1;
	}
	if (colon) {
		long port = strtol(colon + 1, &end, 10);

		if (*end || end == colon + 1 || port < 1 || port > 65535) {
			sc_err(sc, n, (size_t)(colon + 1 - s), "bad port in host '%.60s'", s);
			return -1;
		}
		h->port = (int)port;
	}
	if (!h->host[0] || (h->user && !h->user[0])) {
		sc_err(sc, n, 0, "expected a host like user@host:22, got '%.60s'", s);
		return -1;
	}
	return 0;
}

/* A hosts file named by the scenario, read now so that its mistakes are reported by
 * `barrage check` at the value that names it; the controller reads it again when it runs. */
static void check_hosts_file(struct sc *sc, const struct ynode *v, const char *path)
{
	struct plan_host *hs = NULL;
	size_t nh = 0;
	char *e = NULL;

	if (hosts_file_read(path, &hs, &nh, &e) != 0)
		sc_err(sc, v, 0, "hosts_file: %s", e ? e : "cannot read");
	free(e);
	hosts_free(hs, nh);
}

void sc_parse_agents(struct sc *sc, const struct ynode *n, struct plan *p)
{
	struct plan_agents *ag = &p->agents;
	const char *keys[32]; /* from the schema: common/plan_schema.c */
	static const char *const hkeys[] = {"host", "user", "port", "agents", "weight", NULL};
	const struct ynode *v, *hosts;
	size_t i;

	if (sc_want_kind(sc, n, YN_MAP, "agents") != 0)
		return;
	sc_check_keys(sc, n, "agents", sc_field_keys("agents", keys, 32));
	sc_map_fields(sc, n, "agents", p); /* the plain fields: common/plan_schema.c */
	/* hosts_file was read as a path that exists and can be read (sc_get_file). */
	if ((v = sc_map_get(n, "hosts_file")) && ag->hosts_file &&
	    access(ag->hosts_file, R_OK) == 0)
		check_hosts_file(sc, v, ag->hosts_file);
	if ((hosts = sc_map_get(n, "hosts")) && sc_want_kind(sc, hosts, YN_SEQ, "hosts") == 0) {
		ag->hosts = sc_calloc(sc, hosts->n, sizeof(*ag->hosts));
		for (i = 0; ag->hosts && i < hosts->n; i++) {
			const struct ynode *hn = hosts->kids[i];
			struct plan_host *h = &ag->hosts[ag->nhosts++];

			h->port = 22;
			h->agents = 1;
			h->weight = 1;
			h->pos.line = hn->line;
			h->pos.col = hn->col;
			if (hn->kind == YN_SCALAR) {
				parse_host_string(sc, hn, h);
				continue;
			}
			if (sc_want_kind(sc, hn, YN_MAP, "host") != 0)
				continue;
			sc_check_keys(sc, hn, "host", hkeys);
			if (!(v = sc_map_get(hn, "host")))
				sc_err(sc, hn, 0, "host entry needs host:");
			else
				sc_get_string(sc, v, "host", true, &h->host);
			if ((v = sc_map_get(hn, "user")))
				sc_get_string(sc, v, "user", true, &h->user);
			if ((v = sc_map_get(hn, "port"))) {
				uint32_t port = 22;

				sc_get_u32(sc, v, "port", 1, 65535, &port);
				h->port = (int)port;
			}
			if ((v = sc_map_get(hn, "agents")))
				sc_get_u32(sc, v, "agents", 1, 4096, &h->agents);
			if ((v = sc_map_get(hn, "weight")) &&
			    sc_get_number(sc, v, "weight", &h->weight) == 0 && h->weight <= 0)
				sc_err(sc, v, 0, "weight must be > 0, got %s", v->str);
		}
	}
	if (ag->local && (ag->nhosts || ag->hosts_file))
		sc_err(sc, sc_map_key(n, "local"), 0,
		       "agents: local and hosts/hosts_file are exclusive (local agents are the "
		       "default when no hosts are given)");
	if (hosts && sc_map_get(n, "hosts_file"))
		sc_err(sc, sc_map_key(n, "hosts_file"), 0,
		       "agents: give hosts or hosts_file, not both");
}

/* monitor: { hosts: [local, "user@host:port"], processes: [name], interval, optional,
 * hosts_file } (controller/monitor.c checks each host string). */
void sc_parse_monitor(struct sc *sc, const struct ynode *n, struct plan_monitor *m)
{
	static const char *const keys[] = {"hosts",    "processes",  "interval",
					   "optional", "hosts_file", NULL};
	const struct ynode *v;
	size_t i, j;

	if (sc_want_kind(sc, n, YN_MAP, "monitor") != 0)
		return;
	sc_check_keys(sc, n, "monitor", keys);
	m->pos.line = n->line;
	m->pos.col = n->col;
	if ((v = sc_map_get(n, "hosts")) && sc_want_kind(sc, v, YN_SEQ, "monitor hosts") == 0) {
		m->hosts = sc_calloc(sc, v->n, sizeof(*m->hosts));
		m->hosts_pos = sc_calloc(sc, v->n, sizeof(*m->hosts_pos));
		for (i = 0; m->hosts && m->hosts_pos && i < v->n; i++) {
			const struct ynode *h = v->kids[i];
			char *e = NULL;

			if (sc_get_string(sc, h, "monitor host", true, &m->hosts[m->nhosts]) != 0)
				continue;
			m->hosts_pos[m->nhosts].line = h->line;
			m->hosts_pos[m->nhosts].col = h->col;
			if (monitor_host_check(m->hosts[m->nhosts], &e) < 0)
				sc_err(sc, h, 0, "monitor host: %s", e ? e : "bad host");
			free(e);
			for (j = 0; j < m->nhosts; j++)
				if (strcmp(m->hosts[j], m->hosts[m->nhosts]) == 0)
					sc_err(sc, h, 0, "monitor host '%.60s' is listed twice",
					       m->hosts[j]);
			m->nhosts++;
		}
	}
	if ((v = sc_map_get(n, "processes")) &&
	    sc_want_kind(sc, v, YN_SEQ, "monitor processes") == 0) {
		if (v->n > 16)
			sc_err(sc, v, 0, "monitor: at most 16 processes, got %zu", v->n);
		m->processes = sc_calloc(sc, v->n, sizeof(*m->processes));
		for (i = 0; m->processes && i < v->n && i < 16; i++)
			if (sc_get_string(sc, v->kids[i], "process name", true,
					  &m->processes[m->nprocesses]) == 0)
				m->nprocesses++;
	}
	if ((v = sc_map_get(n, "interval")) &&
	    sc_get_duration(sc, v, "monitor interval", 200000, &m->interval_us) == 0 &&
	    m->interval_us > 3600000000LL)
		sc_err(sc, v, 0, "monitor interval: at most 1h, got '%.60s'", v->str);
	if ((v = sc_map_get(n, "optional")))
		sc_get_bool(sc, v, "optional", &m->optional);
	if ((v = sc_map_get(n, "hosts_file")) &&
	    sc_get_file(sc, v, "hosts_file", &m->hosts_file) == 0)
		check_hosts_file(sc, v, m->hosts_file);
	if (m->nhosts == 0 && !m->hosts_file)
		sc_err(sc, n, 0, "monitor: needs hosts: (local, or user@host:port) or hosts_file:");
}
