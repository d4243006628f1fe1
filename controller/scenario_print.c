/* `barrage check`: the plan as a person reads it - load model and phases with expected users
 * and requests, sessions with their steps, data files, thresholds, agents, monitor. */
#include "controller/scenario_print.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "common/swrr.h"
#include "common/units.h"
#include "controller/monitor.h"
#include "controller/ssh.h"

static void print_indent(FILE *out, int depth)
{
	fprintf(out, "%*s", 4 + 2 * depth, "");
}

static void print_steps(FILE *out, const struct plan_steps *s, int depth);

static void print_request(FILE *out, const struct plan_request *r, int depth)
{
	static const char *const cap[] = {"json", "regex", "header", "cookie", "status"};
	static const char *const pick[] = {"first", "random", "all"};
	static const char *const of[] = {"abort", "continue", "restart"};
	char b[32];
	size_t i;

	print_indent(out, depth);
	fprintf(out, "%s %s", r->method, r->url);
	if (r->name)
		fprintf(out, "  [as %s]", r->name);
	if (r->body_kind == PLAN_BODY_JSON)
		fprintf(out, "  json %.60s%s", r->body, strlen(r->body) > 60 ? "..." : "");
	else if (r->body_kind == PLAN_BODY_RAW)
		fprintf(out, "  body %zu bytes", strlen(r->body));
	else if (r->body_kind == PLAN_BODY_FORM)
		fprintf(out, "  form (%zu fields)", r->nform);
	if (r->timeout_us)
		fprintf(out, "  timeout %s",
			units_fmt_duration(b, sizeof(b), (double)r->timeout_us));
	if (r->has_follow_redirects)
		fprintf(out, "  follows %u redirects", r->follow_redirects);
	fputc('\n', out);
	for (i = 0; i < r->nheaders; i++) {
		print_indent(out, depth + 1);
		fprintf(out, "header %s: %s\n", r->headers[i].name, r->headers[i].value);
	}
	if (r->has_expect) {
		const struct plan_expect *x = &r->expect;

		print_indent(out, depth + 1);
		fputs("expect", out);
		for (i = 0; i < x->nstatus; i++) {
			if (x->status[i].hi - x->status[i].lo == 99 && x->status[i].lo % 100 == 0)
				fprintf(out, "%s%dxx", i ? "|" : " status ", x->status[i].lo / 100);
			else
				fprintf(out, "%s%d", i ? "|" : " status ", x->status[i].lo);
		}
		if (x->body_contains)
			fprintf(out, " body contains '%s'", x->body_contains);
		if (x->body_regex)
			fprintf(out, " body matches /%s/", x->body_regex);
		for (i = 0; i < x->nheaders; i++)
			fprintf(out, " header %s~'%s'", x->headers[i].name, x->headers[i].value);
		fprintf(out, ", on fail %s\n", of[x->on_fail]);
	}
	for (i = 0; i < r->ncaptures; i++) {
		const struct plan_capture *c = &r->captures[i];

		print_indent(out, depth + 1);
		fprintf(out, "capture %s <- %s", c->var, cap[c->kind]);
		if (c->expr)
			fprintf(out, " %s", c->expr);
		if (c->pick != PLAN_PICK_FIRST)
			fprintf(out, " (pick %s)", pick[c->pick]);
		if (c->default_value)
			fprintf(out, " default '%s'", c->default_value);
		fputc('\n', out);
	}
}

static void print_steps(FILE *out, const struct plan_steps *s, int depth)
{
	char a[32], b[32];
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];

		if (st->kind == PLAN_STEP_REQUEST) {
			print_request(out, &st->request, depth);
			continue;
		}
		print_indent(out, depth);
		switch (st->kind) {
		case PLAN_STEP_THINK:
			if (st->think.kind == PLAN_THINK_FIXED)
				fprintf(
				    out, "think %s\n",
				    units_fmt_duration(a, sizeof(a), (double)st->think.value_us));
			else if (st->think.kind == PLAN_THINK_UNIFORM)
				fprintf(out, "think %s..%s (uniform)\n",
					units_fmt_duration(a, sizeof(a), (double)st->think.min_us),
					units_fmt_duration(b, sizeof(b), (double)st->think.max_us));
			else
				fprintf(
				    out, "think mean %s (exponential)\n",
				    units_fmt_duration(a, sizeof(a), (double)st->think.mean_us));
			break;
		case PLAN_STEP_TRANSACTION:
			fprintf(out, "transaction %s (tr_%s)\n", st->name, st->name);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_IF:
			fprintf(out, "if %s\n", st->cond);
			print_steps(out, &st->body, depth + 1);
			if (st->else_body.n) {
				print_indent(out, depth);
				fputs("else\n", out);
				print_steps(out, &st->else_body, depth + 1);
			}
			break;
		case PLAN_STEP_REPEAT:
			fprintf(out, "repeat %llu times\n", (unsigned long long)st->count);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_WHILE:
			fprintf(out, "while %s (at most %llu times)\n", st->cond,
				(unsigned long long)st->count);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_FOREACH:
			fprintf(out, "foreach %s in %s\n", st->item_var, st->list_var);
			print_steps(out, &st->body, depth + 1);
			break;
		case PLAN_STEP_SET:
			fputs("set", out);
			for (j = 0; j < st->nset; j++)
				fprintf(out, "%s %s = %s", j ? "," : "", st->set[j].name,
					st->set[j].value);
			fputc('\n', out);
			break;
		case PLAN_STEP_ABORT:
			fprintf(out, "abort%s%s\n", st->reason ? " " : "",
				st->reason ? st->reason : "");
			break;
		case PLAN_STEP_REQUEST:
			break;
		}
	}
}

/* Requests one pass through steps sends: repeat multiplies, if takes the larger branch, and
 * while and foreach are counted once per pass (*loops says one was seen). */
static double count_requests(const struct plan_steps *s, bool *loops)
{
	double n = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct plan_step *st = &s->v[i];
		double a, b;

		switch (st->kind) {
		case PLAN_STEP_REQUEST:
			n += 1;
			break;
		case PLAN_STEP_REPEAT:
			n += (double)st->count * count_requests(&st->body, loops);
			break;
		case PLAN_STEP_IF:
			a = count_requests(&st->body, loops);
			b = count_requests(&st->else_body, loops);
			n += a > b ? a : b;
			break;
		case PLAN_STEP_WHILE:
		case PLAN_STEP_FOREACH:
			*loops = true;
			n += count_requests(&st->body, loops);
			break;
		case PLAN_STEP_TRANSACTION:
			n += count_requests(&st->body, loops);
			break;
		default:
			break;
		}
	}
	return n;
}

static void print_http(const struct plan *p, FILE *out)
{
	char a[32], b[32];
	size_t i;

	fprintf(out, "scenario %s", p->name ? p->name : "(unnamed)");
	if (p->source)
		fprintf(out, " (%s)", p->source);
	fputc('\n', out);
	fprintf(out, "  target   %s\n", p->target ? p->target : "(none: absolute URLs only)");
	fprintf(out, "  http     HTTP/%s, timeout %s, connect timeout %s, %s",
		p->http.version == 2 ? "2" : "1.1",
		units_fmt_duration(a, sizeof(a), (double)p->http.timeout_us),
		units_fmt_duration(b, sizeof(b), (double)p->http.connect_timeout_us),
		p->http.keepalive ? "keep-alive" : "new connection per request");
	if (!p->http.compression)
		fprintf(out, ", no compression");
	if (p->http.client != PLAN_CLIENT_AUTO)
		fprintf(out, ", client %s", plan_client_name(p->http.client));
	if (p->http.follow_redirects)
		fprintf(out, ", follows %u redirects", p->http.follow_redirects);
	if (p->target && strncmp(p->target, "https:", 6) == 0)
		fprintf(out, ", TLS verify %s", p->http.tls_verify ? "on" : "off");
	fputc('\n', out);
	for (i = 0; i < p->http.nheaders; i++)
		fprintf(out, "           header %s: %s\n", p->http.headers[i].name,
			p->http.headers[i].value);
}

/* The open model's phases with the users and requests they bring (per_user: requests per
 * session, weighted; loops: some session loops, so "+" after the figure). */
static void print_phases(const struct plan *p, double per_user, bool loops, FILE *out)
{
	const struct plan_load *l = &p->load;
	char a[32], b[32], c[32];
	double users = 0;
	size_t i;

	fprintf(out, "  open model: users arrive (Poisson) and run one session each");
	if (l->max_users)
		fprintf(out, "; at most %llu at once", (unsigned long long)l->max_users);
	fputc('\n', out);
	for (i = 0; i < l->nphases; i++) {
		const struct plan_phase *ph = &l->phases[i];
		double secs = (double)ph->duration_us / 1e6;
		double end = ph->ramp_to >= 0 ? ph->ramp_to : ph->arrival_rate;
		double n = (ph->arrival_rate + end) / 2 * secs;

		fprintf(out, "  phase %zu%s%s%s: %s at %s", i + 1, ph->name ? " (" : "",
			ph->name ? ph->name : "", ph->name ? ")" : "",
			units_fmt_duration(a, sizeof(a), (double)ph->duration_us),
			units_fmt_rate(b, sizeof(b), ph->arrival_rate));
		if (ph->ramp_to >= 0)
			fprintf(out, " ramping to %s", units_fmt_rate(c, sizeof(c), ph->ramp_to));
		fprintf(out, ", ~%.0f users\n", n);
		users += n;
	}
	fprintf(out, "  total: %s, ~%.0f users and ~%.0f%s requests expected\n",
		units_fmt_duration(a, sizeof(a), (double)plan_load_duration_us(p)), users,
		users * per_user, loops ? "+" : "");
}

static void print_load(const struct plan *p, double per_user, bool loops, FILE *out)
{
	const struct plan_load *l = &p->load;
	char a[32], b[32];

	fputs("load\n", out);
	switch (l->model) {
	case PLAN_MODEL_OPEN:
		print_phases(p, per_user, loops, out);
		break;
	case PLAN_MODEL_CLOSED:
		fprintf(out, "  closed model: %llu users at all times for %s",
			(unsigned long long)l->users,
			units_fmt_duration(a, sizeof(a), (double)l->duration_us));
		if (l->ramp_up_us)
			fprintf(out, " (started over %s)",
				units_fmt_duration(b, sizeof(b), (double)l->ramp_up_us));
		fputc('\n', out);
		break;
	case PLAN_MODEL_RATE:
		fprintf(out,
			"  constant rate: %s requests from %llu users for %s, ~%.0f requests\n",
			units_fmt_rate(a, sizeof(a), l->request_rate), (unsigned long long)l->users,
			units_fmt_duration(b, sizeof(b), (double)l->duration_us),
			l->request_rate * (double)l->duration_us / 1e6);
		break;
	}
	fprintf(out, "  grace %s after the load ends\n",
		units_fmt_duration(a, sizeof(a), (double)p->grace_us));
}

static void print_data(const struct plan *p, FILE *out)
{
	static const char *const orders[] = {"sequential", "random", "unique"};
	size_t i, j;

	if (p->ndata) {
		fputs("data\n", out);
		for (i = 0; i < p->ndata; i++) {
			const struct plan_data *d = &p->data[i];

			fprintf(out, "  %s: %s, %llu rows, order %s, columns", d->name, d->file,
				(unsigned long long)d->rows, orders[d->order]);
			for (j = 0; j < d->ncolumns; j++)
				fprintf(out, "%s %s", j ? "," : "", d->columns[j]);
			fputc('\n', out);
		}
	}
	if (p->nvariables) {
		fputs("variables\n", out);
		for (i = 0; i < p->nvariables; i++)
			fprintf(out, "  %s = %s\n", p->variables[i].name, p->variables[i].value);
	}
}

static void print_sessions(const struct plan *p, double total_w, FILE *out)
{
	const struct plan_load *l = &p->load;
	double *wts = NULL;
	uint64_t *slots = NULL;
	size_t i;

	fputs("sessions\n", out);
	/* Closed and rate models: the exact number of user slots each session gets, as the agents
	 * will assign them (common/swrr.h); the open model draws each arrival's session. */
	if (l->model != PLAN_MODEL_OPEN && p->nsessions > 1) {
		wts = calloc(p->nsessions, sizeof(*wts));
		slots = calloc(p->nsessions, sizeof(*slots));
		for (i = 0; wts && i < p->nsessions; i++)
			wts[i] = total_w > 0 ? p->sessions[i].weight : 1;
		if (!wts || !slots || swrr_count(wts, p->nsessions, l->users, slots) < 0) {
			free(slots);
			slots = NULL;
		}
	}
	for (i = 0; i < p->nsessions; i++) {
		bool sl = false;
		double n = count_requests(&p->sessions[i].steps, &sl);

		if (slots)
			fprintf(out, "  %s (weight %g, %llu of %llu users at the start%s",
				p->sessions[i].name, p->sessions[i].weight,
				(unsigned long long)slots[i], (unsigned long long)l->users,
				slots[i] ? "" : ": runs as users take slots over");
		else
			fprintf(out, "  %s (weight %g, %.1f%% of users", p->sessions[i].name,
				p->sessions[i].weight,
				total_w > 0 ? 100 * p->sessions[i].weight / total_w : 100);
		fprintf(out, ", %.0f%s request%s per session)\n", n, sl ? "+" : "",
			n == 1 && !sl ? "" : "s");
		print_steps(out, &p->sessions[i].steps, 0);
	}
	free(wts);
	free(slots);
}

static void print_thresholds(const struct plan *p, FILE *out)
{
	char a[32];
	size_t i;

	if (!p->nthresholds)
		return;
	fputs("thresholds\n", out);
	for (i = 0; i < p->nthresholds; i++) {
		fprintf(out, "  %s %s", p->thresholds[i].metric, p->thresholds[i].condition);
		if (p->thresholds[i].abort_on_fail)
			fprintf(
			    out, " (aborts the run, after %s)",
			    units_fmt_duration(a, sizeof(a), (double)p->thresholds[i].delay_us));
		fputc('\n', out);
	}
}

static void print_hosts(const struct plan *p, FILE *out)
{
	struct plan_host *hs = p->agents.hosts, *own = NULL;
	size_t i, nh = p->agents.nhosts;
	uint64_t nagents = 0;

	if (p->agents.hosts_file) {
		/* The file as the run reads it: its hosts, how many agents in all. */
		fprintf(out, "  hosts from %s\n", p->agents.hosts_file);
		nh = 0;
		if (hosts_file_read(p->agents.hosts_file, &own, &nh, NULL) == 0)
			hs = own;
	}
	for (i = 0; i < nh; i++) {
		const struct plan_host *h = &hs[i];
		unsigned na = h->agents ? h->agents : 1;

		nagents += na;
		fprintf(out, "  %s%s%s:%d, %u agent%s, weight %g\n", h->user ? h->user : "",
			h->user ? "@" : "", h->host, h->port ? h->port : 22, na, na == 1 ? "" : "s",
			h->weight > 0 ? h->weight : 1);
	}
	fprintf(out, "  %zu host%s, %llu agent%s in all\n", nh, nh == 1 ? "" : "s",
		(unsigned long long)nagents, nagents == 1 ? "" : "s");
	hosts_free(own, nh);
}

static void print_agents(const struct plan *p, FILE *out)
{
	char a[32];

	fputs("agents\n", out);
	if (p->agents.nhosts || p->agents.hosts_file)
		print_hosts(p, out);
	else if (p->agents.local)
		fprintf(out, "  %u local agent%s\n", p->agents.local,
			p->agents.local == 1 ? "" : "s");
	else
		fputs("  local agents, one per core\n", out);
	fprintf(out, "  %u worker thread%s per agent; the run stops if more than %u agent%s lost\n",
		p->agents.threads ? p->agents.threads : 1, p->agents.threads > 1 ? "s" : "",
		p->agents.max_lost, p->agents.max_lost == 1 ? " is" : "s are");
	fprintf(out, "  an agent silent for %s is lost (and stops its own load)\n",
		units_fmt_duration(a, sizeof(a), (double)p->agents.link_timeout_us));
}

void scenario_print_plan(const struct plan *p, FILE *out)
{
	double per_user = 0, total_w = 0;
	bool loops = false;
	char a[32];
	size_t i;

	for (i = 0; i < p->nsessions; i++)
		total_w += p->sessions[i].weight;
	for (i = 0; i < p->nsessions; i++)
		if (total_w > 0)
			per_user += p->sessions[i].weight / total_w *
				    count_requests(&p->sessions[i].steps, &loops);
	print_http(p, out);
	print_load(p, per_user, loops, out);
	print_data(p, out);
	print_sessions(p, total_w, out);
	print_thresholds(p, out);
	print_agents(p, out);
	monitor_print_plan(p, out);
	fprintf(out, "report\n  interval %s\n",
		units_fmt_duration(a, sizeof(a), (double)p->interval_us));
}
