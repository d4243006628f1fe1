/* Captures: values taken from a response into the user's variables (json, regex, header,
 * cookie, status; pick first, random or all).
 *
 * Runs only after a successful transfer whose expectations held. A capture that matches nothing
 * takes its default when it has one; otherwise it is counted as error_capture_VAR and the
 * request's on_fail decides what the session does. JSON bodies are parsed with jansson only for
 * requests that capture from JSON. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "agent/capture.h"
#include "agent/prog.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "agent/wstats.h"

struct collect {
	struct user *u;
	struct uvar *v;
	enum plan_pick pick;
	size_t seen;
};

/* One match: `first` keeps the first, `all` keeps each, `random` keeps the k-th with
 * probability 1/k (reservoir sampling, so the list is walked once). */
static int take(void *arg, const char *text, size_t len);

static void take_json(void *arg, const char *text, size_t len)
{
	(void)take(arg, text, len);
}

static int take(void *arg, const char *text, size_t len)
{
	struct collect *c = arg;

	c->seen++;
	switch (c->pick) {
	case PLAN_PICK_ALL:
		user_var_add(c->v, text, len);
		return 0;
	case PLAN_PICK_RANDOM:
		if (c->seen == 1 || sched_rand(&c->u->w->rng) % c->seen == 0)
			user_var_set(c->v, text, len);
		return 0;
	default:
		user_var_set(c->v, text, len);
		return 1;
	}
}

static void capture_regex(struct collect *c, const pcre2_code *re, const char *body, size_t len)
{
	pcre2_match_data *md = c->u->w->match_data;
	PCRE2_SIZE off = 0;

	while (off <= len) {
		int rc = pcre2_match(re, (PCRE2_SPTR)body, len, off, 0, md, NULL);
		PCRE2_SIZE *ov;
		int g;

		if (rc <= 0)
			return;
		ov = pcre2_get_ovector_pointer(md);
		g = rc > 1 ? 1 : 0;
		if (ov[2 * g] != PCRE2_UNSET &&
		    take(c, body + ov[2 * g], ov[2 * g + 1] - ov[2 * g]))
			return;
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
}

int capture_run(struct user *u, const struct creq *r, long status)
{
	int rc = 0;
	json_t *doc = NULL;
	bool parsed = false;

	for (size_t i = 0; i < r->ncaps; i++) {
		const struct ccapture *cap = &r->caps[i];
		const struct plan_capture *pc = cap->src;
		struct collect c = {.u = u, .v = &u->vars[cap->sym], .pick = pc->pick};
		const char *body = u->resp.data ? u->resp.data : "";

		user_var_clear(c.v);
		switch (pc->kind) {
		case PLAN_CAPTURE_JSON:
			if (!parsed) {
				doc = json_loadb(body, u->resp.len, JSON_DECODE_ANY, NULL);
				parsed = true;
			}
			if (doc) {
				buf_reset(&u->tmp);
				jsonpath_eval_ex(cap->jp, doc, pc->pick == PLAN_PICK_FIRST ? 1 : 0,
						 &u->tmp, take_json, &c);
			}
			break;
		case PLAN_CAPTURE_REGEX:
			capture_regex(&c, cap->re, body, u->resp.len);
			break;
		case PLAN_CAPTURE_HEADER: {
			const char *v;
			size_t vl;

			/* Every occurrence of the header in the last response. */
			for (size_t n = 0;
			     n < 1000 && u->w->tp->header(u, pc->expr, n, &v, &vl) == 0; n++)
				if (take(&c, v, vl))
					break;
			break;
		}
		case PLAN_CAPTURE_COOKIE:
			u->w->tp->cookies(u, pc->expr, take, &c);
			break;
		case PLAN_CAPTURE_STATUS: {
			char num[16];
			int n = snprintf(num, sizeof(num), "%ld", status);

			take(&c, num, (size_t)n);
			break;
		}
		}
		if (c.seen == 0) {
			if (pc->default_value)
				user_var_set(c.v, pc->default_value, strlen(pc->default_value));
			else {
				u->w->cur->c[cap->err_ctr]++;
				rc = -1;
			}
		}
	}
	json_decref(doc);
	return rc;
}
