/* The live dashboard's life in a run and runtime control of the load (docs/dashboard.md):
 * the dashboard (controller/dashboard.c) serves HTTP and checks requests for form; this file
 * applies them to the run's own state (its agents, their links and shares, run_stop_all() and
 * stats.log).
 *
 * A control request becomes the new absolute state of the load (struct run_control) and one
 * CONTROL frame per live agent with that agent's part of it:
 *   {"seq": N, "rate_scale": 1.5, "users": 120, "paused": false}
 * rate_scale multiplies the open model's arrival rate and the rate model's request rate; users is
 * the agent's number of users in the closed and rate models (its share of the new total, split
 * in proportion to the plan's split so the parts add up to the total). Each change is an event
 * `control` in stats.log, so the report shows when and how the load was changed. */
#include "controller/run_control.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "controller/dashboard.h"
#include "controller/live.h"
#include "controller/rundir.h"

void run_control_tick(struct run *r)
{
	char ph[64];

	if (!r->dash)
		return;
	switch (r->phase) {
	case RUN_PHASE_SETUP:
		snprintf(ph, sizeof(ph), "setup");
		break;
	case RUN_PHASE_RUNNING:
		live_phase(r->plan, run_elapsed_s(r), ph, sizeof(ph));
		if (r->ctl.paused)
			snprintf(ph, sizeof(ph), "paused");
		break;
	case RUN_PHASE_STOPPING:
		snprintf(ph, sizeof(ph), "stopping");
		break;
	default:
		snprintf(ph, sizeof(ph), "over");
		break;
	}
	dashboard_set_phase(r->dash, ph, run_elapsed_s(r));
}

static void on_rundir_event(void *arg, double t, const char *agent, const char *what,
			    const char *detail)
{
	dashboard_event(((struct run *)arg)->dash, t, agent, what, detail);
}

static const char *model_name(const struct plan *p)
{
	return p->load.model == PLAN_MODEL_OPEN	    ? "open"
	       : p->load.model == PLAN_MODEL_CLOSED ? "closed"
						    : "rate";
}

/* The open model's planned arrival rate at t seconds into the load. */
static double open_rate_at(const struct plan *p, double t)
{
	double start = 0;
	size_t i;

	for (i = 0; i < p->load.nphases; i++) {
		const struct plan_phase *f = &p->load.phases[i];
		double d = (double)f->duration_us / 1e6;

		if (t < start + d || i + 1 == p->load.nphases) {
			double x = d > 0 ? (t - start) / d : 0;

			x = x < 0 ? 0 : x > 1 ? 1 : x;
			return f->ramp_to >= 0
				   ? f->arrival_rate + (f->ramp_to - f->arrival_rate) * x
				   : f->arrival_rate;
		}
		start += d;
	}
	return 0;
}

static json_t *control_state_json(const struct run *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "seq", json_integer(r->ctl.seq));
	json_object_set_new(j, "model", json_string(model_name(r->plan)));
	json_object_set_new(j, "paused", json_boolean(r->ctl.paused));
	if (r->plan->load.model != PLAN_MODEL_CLOSED)
		json_object_set_new(j, "rate_scale", json_real(r->ctl.rate_scale));
	if (r->plan->load.model != PLAN_MODEL_OPEN)
		json_object_set_new(j, "users", json_integer(r->ctl.users));
	if (r->plan->load.model == PLAN_MODEL_RATE)
		json_object_set_new(j, "request_rate",
				    json_real(r->plan->load.request_rate * r->ctl.rate_scale));
	return j;
}

/* Send the current state to every live agent: each gets its part of the users. */
static void control_send(struct run *r)
{
	uint64_t plan_users = r->plan->load.users, cum = 0;
	int64_t given = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct run_agent *a = &r->agents[i];
		json_t *j = json_object();
		int64_t upto;

		/* Cumulative rounding: agent i gets floor(total * (its share and those before))
		 * less what the ones before got, so the parts always add up to the total. */
		cum += a->plan->load.users;
		upto = plan_users
			   ? (int64_t)((double)r->ctl.users * (double)cum / (double)plan_users)
			   : 0;
		json_object_set_new(j, "seq", json_integer(r->ctl.seq));
		json_object_set_new(j, "rate_scale", json_real(r->ctl.rate_scale));
		if (r->plan->load.model != PLAN_MODEL_OPEN)
			json_object_set_new(j, "users", json_integer(upto - given));
		json_object_set_new(j, "paused", json_boolean(r->ctl.paused));
		given = upto;
		if (a->closed || a->lost || a->done || !a->link) {
			json_decref(j);
			continue;
		}
		run_send_json(a, WIRE_CONTROL, j);
		run_agent_log(a, "CONTROL sent (seq %u)", r->ctl.seq);
	}
}

static int on_control(void *arg, const struct dashboard_control *c, json_t **applied, int *status,
		      char **err)
{
	struct run *r = arg;
	struct run_control was = r->ctl;
	const struct plan *p = r->plan;
	char detail[256];

	*status = 409;
	if (r->phase != RUN_PHASE_RUNNING)
		return err_set(err, "the run is %s: nothing to control",
			       r->phase == RUN_PHASE_SETUP ? "not started yet" : "over");
	*status = 400;
	if (strcmp(c->action, "stop") == 0) {
		rundir_write_event(r->dir, run_elapsed_s(r), NULL, "control",
				   "stop: the run was stopped by runtime control");
		if (!r->o->quiet)
			live_event(stderr, run_elapsed_s(r), "control: stop");
		run_stop_all(r, "stopped", 0);
		*applied = control_state_json(r);
		return 0;
	}
	if (strcmp(c->action, "pause") == 0) {
		r->ctl.paused = true;
		snprintf(detail, sizeof(detail), "pause: no new users or requests until resume");
	} else if (strcmp(c->action, "resume") == 0) {
		r->ctl.paused = false;
		snprintf(detail, sizeof(detail), "resume");
	} else if (strcmp(c->action, "rate") == 0) {
		if (p->load.model == PLAN_MODEL_CLOSED) {
			/* A closed model's rate follows its users. */
			double u = (double)r->ctl.users * c->factor;

			if (u > 100000000)
				return err_set(err, "factor %g: more than 100000000 users",
					       c->factor);
			r->ctl.users = (int64_t)(u + 0.5);
			snprintf(detail, sizeof(detail), "rate x%g: users %lld -> %lld", c->factor,
				 (long long)was.users, (long long)r->ctl.users);
		} else {
			if (r->ctl.rate_scale * c->factor > 1000 ||
			    r->ctl.rate_scale * c->factor < 1e-6)
				return err_set(err,
					       "factor %g: the rate would be %g times the plan's "
					       "(allowed: 1e-6 to 1000)",
					       c->factor, r->ctl.rate_scale * c->factor);
			r->ctl.rate_scale *= c->factor;
			snprintf(detail, sizeof(detail),
				 "rate x%g: %s rate %g/s -> %g/s (x%g of the plan)", c->factor,
				 p->load.model == PLAN_MODEL_OPEN ? "arrival" : "request",
				 was.rate_scale * (p->load.model == PLAN_MODEL_RATE
						       ? p->load.request_rate
						       : open_rate_at(p, run_elapsed_s(r))),
				 r->ctl.rate_scale * (p->load.model == PLAN_MODEL_RATE
							  ? p->load.request_rate
							  : open_rate_at(p, run_elapsed_s(r))),
				 r->ctl.rate_scale);
		}
	} else { /* users */
		if (p->load.model == PLAN_MODEL_OPEN)
			return err_set(err,
				       "the open model has no fixed number of users: change its "
				       "arrival rate with {\"action\":\"rate\",\"factor\":F}");
		if (c->users >= 0)
			r->ctl.users = c->users;
		else if ((double)r->ctl.users * c->factor > 100000000)
			return err_set(err, "factor %g: more than 100000000 users", c->factor);
		else
			r->ctl.users = (int64_t)((double)r->ctl.users * c->factor + 0.5);
		if (p->load.model == PLAN_MODEL_RATE && r->ctl.users == 0)
			return r->ctl = was, err_set(err, "the rate model needs at least one user: "
							  "use pause");
		snprintf(detail, sizeof(detail), "users %lld -> %lld", (long long)was.users,
			 (long long)r->ctl.users);
	}
	r->ctl.seq++;
	control_send(r);
	{
		json_t *extra = control_state_json(r);

		json_object_set_new(extra, "action", json_string(c->action));
		rundir_write_event_extra(r->dir, run_elapsed_s(r), NULL, "control", detail, extra);
	}
	if (!r->o->quiet)
		live_event(stderr, run_elapsed_s(r), "control: %s", detail);
	*applied = control_state_json(r);
	return 0;
}

int run_control_open(struct run *r, char **err)
{
	char host[256];
	uint16_t port;

	r->ctl.rate_scale = 1;
	r->ctl.users = (int64_t)r->plan->load.users;
	if (dashboard_open(r->base, r->o->dashboard, r->o->dashboard_public, on_control, r,
			   &r->dash, err) < 0)
		return -1;
	dashboard_set_run(r->dash, r->plan, r->o->scenario, r->dir->path);
	r->dir->on_event = on_rundir_event;
	r->dir->event_arg = r;
	if (dashboard_parse_listen(r->o->dashboard, host, sizeof(host), &port, NULL) == 0 &&
	    !dashboard_host_is_loopback(host))
		fprintf(stderr,
			"barrage: warning: the dashboard listens on %s: whoever reaches it sees "
			"the run; control still needs the token\n",
			host);
	/* Always printed, even with -q: it is the only way to learn the token. */
	fprintf(stderr, "barrage: dashboard at %s\n", dashboard_url(r->dash));
	fflush(stderr);
	return 0;
}

static void on_linger_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

/* --dashboard-linger: the page stays up (showing the finished run) for a while after the
 * reports are written; Ctrl-C ends the wait. */
void run_control_linger(struct run *r)
{
	struct timeval tv;
	struct event *si, *st;

	if (!r->dash || r->o->dashboard_linger_us <= 0)
		return;
	dashboard_set_phase(r->dash, "over", run_elapsed_s(r));
	if (r->sigint)
		event_del(r->sigint);
	if (r->sigterm)
		event_del(r->sigterm);
	if (r->tick)
		event_del(r->tick);
	si = evsignal_new(r->base, SIGINT, on_linger_signal, r->base);
	st = evsignal_new(r->base, SIGTERM, on_linger_signal, r->base);
	if (si)
		evsignal_add(si, NULL);
	if (st)
		evsignal_add(st, NULL);
	if (!r->o->quiet)
		fprintf(stderr, "barrage: the dashboard stays up for %.0f s (Ctrl-C to end)\n",
			(double)r->o->dashboard_linger_us / 1e6);
	tv.tv_sec = (time_t)(r->o->dashboard_linger_us / 1000000);
	tv.tv_usec = (suseconds_t)(r->o->dashboard_linger_us % 1000000);
	event_base_loopexit(r->base, &tv);
	event_base_dispatch(r->base);
	if (si)
		event_free(si);
	if (st)
		event_free(st);
}
