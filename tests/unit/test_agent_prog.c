/* The agent's plan compiler and per-worker statistics (agent/prog.c): compile errors name the
 * scenario position, variables and data columns resolve through the symbol table, stat names
 * get stable indexes, and a worker's record converts to a snapshot exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/metrics.h"
#include "agent/prog.h"
#include "agent/wstats.h"
#include "common/plan.h"
#include "common/stats.h"

static struct plan *decode(const char *json)
{
	struct plan *p = NULL;
	char *err = NULL;

	if (plan_decode(json, strlen(json), &p, &err) < 0) {
		fprintf(stderr, "plan_decode: %s\n", err);
		free(err);
		return NULL;
	}
	return p;
}

#define PLAN_HEAD                                                                                  \
	"{\"version\": 1, \"source\": \"t.yaml\", \"target\": \"http://127.0.0.1:1/\","            \
	" \"load\": {\"model\": \"closed\", \"users\": 1, \"duration_us\": 1000000},"

static void test_compile_names(void **state)
{
	struct plan *p = decode(
	    PLAN_HEAD "\"variables\": [{\"name\": \"v\", \"value\": \"1\"}],"
		      "\"sessions\": [{\"name\": \"s\", \"steps\": ["
		      "{\"kind\": \"transaction\", \"name\": \"login\", \"steps\": ["
		      "{\"kind\": \"request\", \"request\": {\"method\": \"GET\", \"url\": \"/a\", "
		      "\"name\": \"a\", \"captures\": [{\"var\": \"tok\", \"kind\": \"regex\", "
		      "\"expr\": \"t=(\\\\w+)\", \"pick\": \"first\"}]}}]},"
		      "{\"kind\": \"abort\", \"reason\": \"why\"}]}]}");
	struct prog *g = NULL;
	char *err = NULL;
	bool tr = false, req = false, cap = false, ab = false;

	(void)state;
	assert_non_null(p);
	assert_int_equal(prog_compile(p, &g, &err), 0);
	assert_string_equal(g->hist_names[H_REQUEST], "request");
	assert_string_equal(g->ctr_names[C_ERR_TIMEOUT], "error_timeout");
	for (size_t i = H_FIXED; i < g->nhists; i++) {
		tr |= strcmp(g->hist_names[i], "tr_login") == 0;
		req |= strcmp(g->hist_names[i], "req_a") == 0;
	}
	for (size_t i = C_FIXED; i < g->nctrs; i++) {
		cap |= strcmp(g->ctr_names[i], "error_capture_tok") == 0;
		ab |= strcmp(g->ctr_names[i], "error_abort_why") == 0;
	}
	assert_true(tr && req && cap && ab);
	assert_true(prog_sym_find(g, "tok", 3) >= 0);
	assert_true(prog_sym_find(g, "v", 1) >= 0);
	assert_int_equal(prog_sym_find(g, "nope", 4), -1);
	/* The constant URL is joined to the target without a double slash. */
	assert_string_equal(g->sessions[0].steps[0].body[0].req->url_const, "http://127.0.0.1:1/a");
	assert_true(g->sessions[0].steps[0].body[0].req->need_body);
	assert_int_equal(g->max_depth, 2);
	prog_free(g);
	plan_free(p);
}

static void test_compile_errors(void **state)
{
	struct plan *p = plan_new();
	struct prog *g = NULL;
	char *err = NULL;

	(void)state;
	/* No sessions: an error naming the source, never a crash. */
	p->source = strdup("x.yaml");
	p->target = strdup("http://127.0.0.1:1");
	assert_int_equal(prog_compile(p, &g, &err), -1);
	assert_non_null(strstr(err, "x.yaml"));
	free(err);
	err = NULL;
	/* A target that is not http(s). */
	free(p->target);
	p->target = strdup("ftp://example");
	assert_int_equal(prog_compile(p, &g, &err), -1);
	assert_non_null(strstr(err, "target"));
	free(err);
	assert_null(g);
	plan_free(p);
}

static void test_wstats_snapshot(void **state)
{
	struct plan *p =
	    decode(PLAN_HEAD "\"sessions\": [{\"name\": \"s\", \"steps\": ["
			     "{\"kind\": \"request\", \"request\": {\"method\": \"GET\","
			     " \"url\": \"/\"}}]}]}");
	struct prog *g = NULL;
	char *err = NULL;
	struct wstats *a, *b;
	struct stats_snapshot *s = stats_new();
	const struct hist *h;
	const struct stats_counter *c;

	(void)state;
	assert_non_null(p);
	assert_int_equal(prog_compile(p, &g, &err), 0);
	a = wstats_new(g);
	b = wstats_new(g);
	for (uint64_t v = 1; v <= 1000; v++)
		wstats_record(g, a, H_REQUEST, v);
	wstats_record(g, b, H_REQUEST, 5000);
	a->http[200] = 7;
	b->http[200] = 3;
	b->http[503] = 1;
	a->c[C_REQUESTS] = 1000;
	b->c[C_REQUESTS] = 1;
	wstats_merge(g, a, b);
	assert_int_equal(wstats_to_snapshot(g, a, s), 0);
	h = stats_find_hist(s, "request");
	assert_non_null(h);
	assert_int_equal(h->count, 1001);
	assert_int_equal(h->max, 5000);
	c = stats_find_counter(s, "http_200");
	assert_non_null(c);
	assert_int_equal(c->value, 10);
	assert_non_null(stats_find_counter(s, "http_503"));
	assert_null(stats_find_counter(s, "http_404"));
	assert_int_equal(stats_find_counter(s, "requests")->value, 1001);
	/* Reset keeps the histograms but empties them. */
	wstats_reset(g, a);
	assert_int_equal(a->h[H_REQUEST]->count, 0);
	assert_int_equal(a->http[200], 0);
	stats_free(s);
	wstats_free(g, a);
	wstats_free(g, b);
	prog_free(g);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compile_names),
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_wstats_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
