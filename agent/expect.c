/* Expectations on a response: status (values, lists, classes like 2xx), body.contains,
 * body.regex, and headers that must be present and contain a value. The first failed check is
 * counted (error_expect_status, error_expect_body, error_expect_header) and reported to the
 * user, whose request's on_fail then decides: abort the session (the default), continue, or
 * restart it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "agent/expect.h"
#include "agent/prog.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "agent/wstats.h"

int expect_run(struct user *u, const struct creq *r, long status)
{
	const struct plan_expect *e = &r->src->expect;
	const char *body = u->resp.data ? u->resp.data : "";
	uint64_t *c = u->w->cur->c;

	if (!r->src->has_expect)
		return 0;
	if (e->nstatus) {
		bool ok = false;

		for (size_t i = 0; i < e->nstatus && !ok; i++)
			ok = status >= e->status[i].lo && status <= e->status[i].hi;
		if (!ok) {
			c[C_ERR_EXPECT_STATUS]++;
			return -1;
		}
	}
	if (e->body_contains &&
	    !memmem(body, u->resp.len, e->body_contains, strlen(e->body_contains))) {
		c[C_ERR_EXPECT_BODY]++;
		return -1;
	}
	if (r->expect_re && pcre2_match(r->expect_re, (PCRE2_SPTR)body, u->resp.len, 0, 0,
					u->w->match_data, NULL) < 0) {
		c[C_ERR_EXPECT_BODY]++;
		return -1;
	}
	for (size_t i = 0; i < e->nheaders; i++) {
		const char *want = e->headers[i].value ? e->headers[i].value : "";
		const char *v;
		size_t vl;

		if (u->w->tp->header(u, e->headers[i].name, 0, &v, &vl) < 0 ||
		    !memmem(v, vl, want, strlen(want))) {
			c[C_ERR_EXPECT_HEADER]++;
			return -1;
		}
	}
	return 0;
}
