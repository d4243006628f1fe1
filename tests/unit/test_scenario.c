/* Unit tests for the scenario loader (controller/scenario.c): a good fixture per feature with
 * its plan checked field by field and pushed through the agent's decoder; a bad fixture per
 * kind of error with the exact message and line:col; --set overrides. Raw text (messages that
 * need no file, NUL bytes, many errors, truncated prefixes) is in test_scenario_text.c.
 *
 * Run from the repository root (make does): fixtures are read from tests/fixtures/scenarios. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/scenario.h"

#define GOOD "tests/fixtures/scenarios/good/"
#define BAD  "tests/fixtures/scenarios/bad/"

/* Load, then check the plan survives the wire: encode, decode (the agent's strict decoder),
 * encode again to the same text. */
static struct plan *load_ok(const char *path, const struct scenario_override *ov, size_t nov)
{
	struct plan *p = NULL, *q = NULL;
	char *err = NULL, *err2 = NULL;
	struct buf a, b;

	if (scenario_load(path, ov, nov, &p, &err) != 0) {
		print_error("%s: unexpected error:\n%s\n", path, err);
		free(err);
		fail();
	}
	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(plan_encode(p, &a), 0);
	if (plan_decode(a.data, a.len, &q, &err2) != 0) {
		print_error("%s: plan_decode refused the plan: %s\n", path, err2);
		fail();
	}
	assert_int_equal(plan_encode(q, &b), 0);
	assert_string_equal(a.data, b.data);
	plan_free(q);
	buf_free(&a);
	buf_free(&b);
	return p;
}

static char *load_err(const char *path, const struct scenario_override *ov, size_t nov)
{
	struct plan *p = NULL;
	char *err = NULL;

	if (scenario_load(path, ov, nov, &p, &err) == 0) {
		print_error("%s: loaded, but an error was expected\n", path);
		plan_free(p);
		fail();
	}
	assert_null(p);
	assert_non_null(err);
	return err;
}

/* ---- bad fixtures: one error each, exact text; '^' stands for the fixtures' folder ---- */

struct bad_fixture {
	const char *file;
	const char *message;
};

static const struct bad_fixture bad_fixtures[] = {
    {"agents-local-and-hosts.yaml",
     "^agents-local-and-hosts.yaml:10:3: agents: local and hosts/hosts_file are exclusive (local "
     "agents are the default when no hosts are given)"},
    {"agents-link-timeout.yaml",
     "^agents-link-timeout.yaml:11:17: link_timeout must be at least 2s, got '500ms'"},
    {"alias.yaml", "^alias.yaml:9:25: aliases (*u) are not supported; write the value out"},
    {"bool-bad.yaml", "^bool-bad.yaml:10:14: keepalive: expected true or false, got 'maybe'"},
    {"capture-pick-bad.yaml",
     "^capture-pick-bad.yaml:9:44: unknown pick 'any'; did you mean 'all'?"},
    {"capture-two-kinds.yaml", "^capture-two-kinds.yaml:9:38: a capture takes one of json, regex, "
			       "header, cookie or status; 'regex' is a second"},
    {"closed-no-duration.yaml",
     "^closed-no-duration.yaml:2:1: the closed model needs a duration (e.g. duration: 1m)"},
    {"data-missing.yaml",
     "^data-missing.yaml:10:21: data 'accounts': ^data/missing.csv: No such file or directory"},
    {"data-no-rows.yaml", "^data-no-rows.yaml:10:21: data 'accounts': ^data/header-only.csv has a "
			  "header but no data rows"},
    {"data-order-bad.yaml",
     "^data-order-bad.yaml:10:41: unknown order 'shuffle'; expected sequential, random or unique"},
    {"data-ragged.yaml",
     "^data-ragged.yaml:10:21: data 'accounts': ^data/ragged.csv:3: 1 field, the header has 2"},
    {"duplicate-key.yaml", "^duplicate-key.yaml:9:1: duplicate key 'target' (first at line 1)"},
    {"duration-no-unit.yaml",
     "^duration-no-unit.yaml:10:12: timeout: expected a duration with units like 30s, got '30'"},
    {"empty-sessions.yaml",
     "^empty-sessions.yaml:3:1: sessions: the list is empty; a scenario needs at least one"},
    {"empty.yaml", "^empty.yaml: the scenario is empty"},
    {"expect-inside-request.yaml", "^expect-inside-request.yaml:9:29: 'expect' goes beside "
				   "'request:' in the step, not inside it"},
    {"expr-syntax.yaml", "^expr-syntax.yaml:9:17: expected a value, found '>'"},
    {"foreach-not-list.yaml",
     "^foreach-not-list.yaml:10:9: foreach walks a list; 'ids' is never captured with pick: all"},
    {"foreach-not-variable.yaml",
     "^foreach-not-variable.yaml:9:19: foreach walks a list variable (captured with pick: all); "
     "'{{ a + b }}' is not a variable name"},
    {"host-port.yaml", "^host-port.yaml:10:28: bad port in host 'load@127.0.0.1:99999'"},
    {"http-version.yaml",
     "^http-version.yaml:10:13: http version must be \"1.1\" or \"2\", got '3'"},
    {"jsonpath-bad.yaml", "^jsonpath-bad.yaml:9:36: bad JSONPath: expected a number, '*' or a "
			  "quoted name after '[', found end of path"},
    {"load-no-model.yaml",
     "^load-no-model.yaml:2:1: load needs exactly one model: phases (open), users with duration "
     "(closed) or request_rate with duration (constant rate)"},
    {"load-two-models.yaml", "^load-two-models.yaml:3:3: load has exactly one model: phases (open) "
			     "cannot be combined with users"},
    {"method-bad.yaml", "^method-bad.yaml:9:29: 'GE T' is not an HTTP method"},
    {"missing-load.yaml",
     "^missing-load.yaml: the scenario has no load: section (phases, users or request_rate)"},
    {"on-fail-bad.yaml",
     "^on-fail-bad.yaml:9:41: unknown on_fail 'contine'; did you mean 'continue'?"},
    {"paths-without-target.yaml",
     "^paths-without-target.yaml: requests use paths (url: /...) but the scenario has no target: "
     "(a base URL like http://127.0.0.1:8080)"},
    {"rate-bad.yaml",
     "^rate-bad.yaml:4:38: arrival_rate: expected a rate like 50/s, 10k/s or 600/m, got 'fast'"},
    {"regex-bad.yaml",
     "^regex-bad.yaml:9:37: capture regex: bad regex: missing closing parenthesis"},
    {"repeat-no-steps.yaml", "^repeat-no-steps.yaml:9:9: repeat needs steps:"},
    {"report-interval.yaml",
     "^report-interval.yaml:10:13: report interval must be at least 100ms, got '10ms'"},
    {"request-two-bodies.yaml", "^request-two-bodies.yaml:9:54: a request has one of body, json or "
				"form; this one also has 'json'"},
    {"root-list.yaml", "^root-list.yaml:1:1: scenario: expected a mapping, got a list"},
    {"set-bad-name.yaml", "^set-bad-name.yaml:9:16: variable name '1x' is not a valid name "
			  "(letters, digits and _, not starting with a digit)"},
    {"status-bad.yaml",
     "^status-bad.yaml:9:28: expected a status like 200, [200, 201] or \"2xx\", got '2xy'"},
    {"status-range.yaml",
     "^status-range.yaml:9:33: expected a status like 200, [200, 201] or \"2xx\", got '700'"},
    {"step-no-kind.yaml",
     "^step-no-kind.yaml:9:9: unknown key 'requst' in step; did you mean 'request'?"},
    {"step-two-kinds.yaml", "^step-two-kinds.yaml:10:9: a step has one kind; this one is both "
			    "'request' and 'think' (make two steps)"},
    {"target-not-url.yaml",
     "^target-not-url.yaml:1:9: target must be an http:// or https:// URL, got '127.0.0.1:8090'"},
    {"template-unterminated.yaml",
     "^template-unterminated.yaml:9:32: unterminated '{{' (no closing '}}')"},
    {"think-bad-form.yaml", "^think-bad-form.yaml:9:16: think takes a duration (2s), { min, max } "
			    "(uniform) or { mean, distribution: exponential }"},
    {"think-max-below-min.yaml",
     "^think-max-below-min.yaml:9:32: think max (1s) is below min (3s)"},
    {"threshold-condition.yaml", "^threshold-condition.yaml:10:18: threshold request.p95: expected "
				 "a duration like 30s, 250ms or 2m, got '< 200ms'"},
    {"threshold-metric.yaml",
     "^threshold-metric.yaml:10:3: threshold metric 'request.p96': unknown field 'p96' (use p50, "
     "p90, p95, p99, p999, min, max, mean, stddev, rate or count)"},
    {"tls-file-missing.yaml",
     "^tls-file-missing.yaml:10:14: tls ca '^nope.pem': No such file or directory"},
    {"transaction-name.yaml", "^transaction-name.yaml:9:26: transaction name holds a control "
			      "character (byte 0x08); a name may be any UTF-8 text without control "
			      "characters other than tab"},
    {"two-documents.yaml",
     "^two-documents.yaml:9:1: a scenario is one YAML document; found another"},
    {"unknown-column.yaml", "^unknown-column.yaml:9:32: data 'accounts' has no column 'usr'"},
    {"unknown-function.yaml", "^unknown-function.yaml:9:35: unknown function 'random_intt' (known: "
			      "random_int, random_string, uuid, user_id, now_ms, len, urlencode)"},
    {"unknown-key-phase.yaml", "^unknown-key-phase.yaml:4:24: unknown key 'arival_rate' in phase; "
			       "did you mean 'arrival_rate'?"},
    {"unknown-key-request.yaml",
     "^unknown-key-request.yaml:9:29: unknown key 'heders' in request; did you mean 'headers'?"},
    {"unknown-key-top.yaml",
     "^unknown-key-top.yaml:5:1: unknown key 'sesions' in scenario; did you mean 'sessions'?"},
    {"unknown-variable.yaml",
     "^unknown-variable.yaml:10:66: unknown variable 'tokn'; did you mean 'token'?"},
    {"weight-negative.yaml", "^weight-negative.yaml:7:13: weight must be > 0, got -2"},
    {"weight-zero.yaml", "^weight-zero.yaml:7:13: weight must be > 0, got 0"},
    {"while-no-max.yaml",
     "^while-no-max.yaml:9:9: while needs a bound: add max: N (the most times the loop may run)"},
    {"yaml-syntax.yaml", "^yaml-syntax.yaml:5:4: invalid YAML: did not find expected key while "
			 "parsing a block mapping"},
    {"threshold-unknown-transaction.yaml",
     "^threshold-unknown-transaction.yaml:12:3: threshold on 'tr_lgin', which no transaction "
     "defines; did you mean 'tr_login'?"},
    {"name-unsafe.yaml", "^name-unsafe.yaml:9:8: name '../etc' may hold only letters, digits, '-', "
			 "'_' and '.' (it names the run directory)"},
    {"hosts-file-bad.yaml", "^hosts-file-bad.yaml:10:15: hosts_file: ^data/fleet-bad.txt:1:23: bad "
			    "agents 'x' (expected 1 to 4096)"},
    {"utf8.yaml", "^utf8.yaml:2:13: invalid YAML: invalid trailing UTF-8 octet"},
};

static char *expand(const char *msg)
{
	struct buf b;
	const char *p;

	buf_init(&b, 0);
	for (p = msg; *p; p++)
		if (*p == '^')
			buf_append_str(&b, BAD);
		else
			buf_append_byte(&b, (uint8_t)*p);
	return buf_steal(&b);
}

static void test_bad_fixtures(void **state)
{
	size_t i, n = sizeof(bad_fixtures) / sizeof(bad_fixtures[0]);
	int failed = 0;
	DIR *d;
	struct dirent *e;

	(void)state;
	for (i = 0; i < n; i++) {
		char path[512];
		char *want = expand(bad_fixtures[i].message), *got;

		snprintf(path, sizeof(path), BAD "%s", bad_fixtures[i].file);
		got = load_err(path, NULL, 0);
		if (strcmp(want, got) != 0) {
			print_error("%s\n  want: %s\n  got:  %s\n", path, want, got);
			failed++;
		}
		free(want);
		free(got);
	}
	/* Every bad fixture is in the table. */
	d = opendir(BAD);
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		bool found = false;

		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(bad_fixtures[i].file, e->d_name) == 0)
				found = true;
		if (!found) {
			print_error("%s%s has no expected message in the table\n", BAD, e->d_name);
			failed++;
		}
	}
	closedir(d);
	assert_int_equal(failed, 0);
}

/* ---- good fixtures ---- */

static const char *const good_fixtures[] = {
    "brief.yaml",   "closed.yaml", "rate.yaml",	   "rate-default-users.yaml",
    "think.yaml",   "expect.yaml", "capture.yaml", "control.yaml",
    "request.yaml", "data.yaml",   "agents.yaml",  "hosts-file.yaml",
};

static void test_good_fixtures_print(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_fixtures) / sizeof(good_fixtures[0]); i++) {
		char path[512], *text = NULL;
		size_t len = 0;
		FILE *f;
		struct plan *p;

		snprintf(path, sizeof(path), GOOD "%s", good_fixtures[i]);
		p = load_ok(path, NULL, 0);
		f = open_memstream(&text, &len);
		assert_non_null(f);
		scenario_print_plan(p, f);
		fclose(f);
		assert_non_null(strstr(text, "sessions\n"));
		assert_non_null(strstr(text, "agents\n"));
		if (strcmp(good_fixtures[i], "brief.yaml") == 0) {
			assert_non_null(
			    strstr(text, "phase 2: 2m at 50/s ramping to 500/s, ~33000 users\n"));
			assert_non_null(strstr(text, "~34500 users and ~134550 requests expected"));
			assert_non_null(
			    strstr(text, "voter (weight 9, 90.0% of users, 4 requests"));
			assert_non_null(
			    strstr(text, "accounts: " GOOD "data/accounts.csv, 3 rows"));
			assert_non_null(strstr(text, "    think 1s..3s (uniform)\n"));
			assert_non_null(strstr(text, "  2 local agents\n"));
		}
		free(text);
		plan_free(p);
	}
}

static const struct plan_step *step(const struct plan *p, size_t s, size_t i)
{
	assert_true(s < p->nsessions);
	assert_true(i < p->sessions[s].steps.n);
	return &p->sessions[s].steps.v[i];
}

static void test_brief(void **state)
{
	struct plan *p = load_ok(GOOD "brief.yaml", NULL, 0);
	const struct plan_step *st;
	const struct plan_request *r;

	(void)state;
	assert_string_equal(p->name, "voting-night");
	assert_string_equal(p->target, "https://127.0.0.1:8443");
	assert_int_equal(p->http.timeout_us, 10000000);
	assert_int_equal(p->http.connect_timeout_us, 3000000);
	assert_true(p->http.keepalive);
	assert_int_equal(p->http.version, 11);
	assert_false(p->http.tls_verify);
	assert_int_equal(p->http.nheaders, 1);
	assert_string_equal(p->http.headers[0].name, "User-Agent");
	assert_int_equal(p->load.model, PLAN_MODEL_OPEN);
	assert_int_equal(p->load.nphases, 2);
	assert_int_equal(p->load.phases[0].duration_us, 30000000);
	assert_true(p->load.phases[0].arrival_rate == 50);
	assert_true(p->load.phases[0].ramp_to < 0);
	assert_true(p->load.phases[1].ramp_to == 500);
	assert_int_equal(p->load.phases[1].pos.line, 13);
	assert_int_equal(p->load.max_users, 100000);
	assert_int_equal(plan_load_duration_us(p), 150000000);
	assert_int_equal(p->ndata, 1);
	assert_string_equal(p->data[0].name, "accounts");
	assert_string_equal(p->data[0].file, GOOD "data/accounts.csv");
	assert_int_equal(p->data[0].rows, 3);
	assert_int_equal(p->data[0].ncolumns, 2);
	assert_string_equal(p->data[0].columns[1], "password");
	assert_int_equal(p->data[0].order, PLAN_ORDER_SEQUENTIAL);
	assert_int_equal(p->nvariables, 1);
	assert_string_equal(p->variables[0].value, "5");
	assert_int_equal(p->nsessions, 2);
	assert_true(p->sessions[0].weight == 9);
	assert_int_equal(p->sessions[0].steps.n, 5);

	st = step(p, 0, 0);
	assert_int_equal(st->kind, PLAN_STEP_TRANSACTION);
	assert_string_equal(st->name, "login");
	assert_int_equal(st->pos.line, 23);
	assert_int_equal(st->pos.col, 9);
	r = &st->body.v[0].request;
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "/login");
	assert_int_equal(r->body_kind, PLAN_BODY_JSON);
	assert_string_equal(r->body, "{\"user\":\"{{ accounts.user }}\",\"password\":\"{{ "
				     "accounts.password }}\"}");
	assert_true(r->has_expect);
	assert_int_equal(r->expect.nstatus, 1);
	assert_int_equal(r->expect.status[0].lo, 200);
	assert_int_equal(r->expect.status[0].hi, 200);
	assert_int_equal(r->ncaptures, 1);
	assert_string_equal(r->captures[0].var, "token");
	assert_int_equal(r->captures[0].kind, PLAN_CAPTURE_JSON);
	assert_string_equal(r->captures[0].expr, "$.token");

	r = &step(p, 0, 1)->request;
	assert_string_equal(r->method, "GET");
	assert_int_equal(r->captures[0].pick, PLAN_PICK_RANDOM);
	st = step(p, 0, 2);
	assert_int_equal(st->kind, PLAN_STEP_THINK);
	assert_int_equal(st->think.kind, PLAN_THINK_UNIFORM);
	assert_int_equal(st->think.min_us, 1000000);
	assert_int_equal(st->think.max_us, 3000000);
	r = &step(p, 0, 3)->request;
	assert_string_equal(r->headers[0].value, "Bearer {{ token }}");
	assert_int_equal(r->captures[0].kind, PLAN_CAPTURE_REGEX);
	assert_string_equal(r->captures[0].expr, "\"balance\":(\\d+)");
	st = step(p, 0, 4);
	assert_int_equal(st->kind, PLAN_STEP_IF);
	assert_string_equal(st->cond, "balance > 0");
	assert_int_equal(st->body.n, 1);
	assert_int_equal(st->else_body.n, 1);
	assert_string_equal(st->body.v[0].request.expect.body_contains, "\"ok\":true");
	assert_string_equal(st->else_body.v[0].request.body,
			    "{\"amount\":5,\"txn\":\"{{ uuid() }}\"}");
	st = step(p, 1, 0);
	assert_int_equal(st->kind, PLAN_STEP_REPEAT);
	assert_int_equal(st->count, 3);
	assert_string_equal(st->body.v[0].request.url, "/results?page={{ random_int(1, 10) }}");

	assert_int_equal(p->nthresholds, 4);
	assert_string_equal(p->thresholds[1].metric, "tr_login.p99");
	assert_string_equal(p->thresholds[1].condition, "< 500ms");
	assert_int_equal(p->agents.local, 2);
	assert_int_equal(p->interval_us, 10000000);
	plan_free(p);
}

static void test_models(void **state)
{
	struct plan *p;

	(void)state;
	p = load_ok(GOOD "closed.yaml", NULL, 0);
	assert_int_equal(p->load.model, PLAN_MODEL_CLOSED);
	assert_int_equal(p->load.users, 20);
	assert_int_equal(p->load.duration_us, 60000000);
	assert_int_equal(p->load.ramp_up_us, 10000000);
	assert_int_equal(p->grace_us, 2000000);
	assert_string_equal(p->name, "closed"); /* from the file name */
	assert_string_equal(step(p, 0, 0)->request.url, "/?delay=5ms");
	assert_int_equal(step(p, 0, 1)->think.value_us, 2000000);
	plan_free(p);

	p = load_ok(GOOD "rate.yaml", NULL, 0);
	assert_int_equal(p->load.model, PLAN_MODEL_RATE);
	assert_true(p->load.request_rate == 2000);
	assert_int_equal(p->load.users, 50);
	assert_int_equal(plan_load_duration_us(p), 30000000);
	plan_free(p);

	p = load_ok("scenarios/smoke.yaml", NULL, 0);
	assert_string_equal(p->name, "smoke");
	assert_int_equal(p->nsessions, 2);
	plan_free(p);

	p = load_ok(GOOD "rate-default-users.yaml", NULL, 0);
	assert_int_equal(p->load.model, PLAN_MODEL_RATE);
	assert_int_equal(p->load.users, 10);
	plan_free(p);
}

static void test_think(void **state)
{
	struct plan *p = load_ok(GOOD "think.yaml", NULL, 0);

	(void)state;
	assert_int_equal(step(p, 0, 0)->think.kind, PLAN_THINK_FIXED);
	assert_int_equal(step(p, 0, 0)->think.value_us, 2000000);
	assert_int_equal(step(p, 0, 1)->think.kind, PLAN_THINK_UNIFORM);
	assert_int_equal(step(p, 0, 2)->think.kind, PLAN_THINK_EXPONENTIAL);
	assert_int_equal(step(p, 0, 2)->think.mean_us, 500000);
	assert_int_equal(step(p, 0, 3)->think.kind, PLAN_THINK_EXPONENTIAL);
	assert_int_equal(step(p, 0, 4)->think.kind, PLAN_THINK_UNIFORM);
	assert_int_equal(step(p, 0, 4)->think.max_us, 250000);
	plan_free(p);
}

static void test_expect(void **state)
{
	struct plan *p = load_ok(GOOD "expect.yaml", NULL, 0);
	const struct plan_expect *x;

	(void)state;
	x = &step(p, 0, 0)->request.expect;
	assert_int_equal(x->on_fail, PLAN_ON_FAIL_ABORT);
	x = &step(p, 0, 1)->request.expect;
	assert_int_equal(x->nstatus, 2);
	assert_int_equal(x->status[1].lo, 201);
	assert_int_equal(x->on_fail, PLAN_ON_FAIL_CONTINUE);
	x = &step(p, 0, 2)->request.expect;
	assert_int_equal(x->status[0].lo, 200);
	assert_int_equal(x->status[0].hi, 299);
	assert_int_equal(x->on_fail, PLAN_ON_FAIL_RESTART);
	x = &step(p, 0, 3)->request.expect;
	assert_int_equal(x->nstatus, 2);
	assert_int_equal(x->status[1].lo, 304);
	assert_string_equal(x->body_contains, "xx");
	assert_string_equal(x->body_regex, "^x+$");
	assert_int_equal(x->nheaders, 1);
	assert_string_equal(x->headers[0].name, "Content-Type");
	assert_string_equal(x->headers[0].value, "text/plain");
	x = &step(p, 0, 4)->request.expect;
	assert_string_equal(x->body_contains, "plain text means contains");
	assert_false(step(p, 0, 4)->request.captures != NULL &&
		     step(p, 0, 4)->request.ncaptures > 0);
	plan_free(p);
}

static void test_capture(void **state)
{
	struct plan *p = load_ok(GOOD "capture.yaml", NULL, 0);
	const struct plan_request *r = &step(p, 0, 0)->request;
	const struct plan_step *st;

	(void)state;
	assert_int_equal(r->ncaptures, 7);
	assert_int_equal(r->captures[1].pick, PLAN_PICK_ALL);
	assert_int_equal(r->captures[2].pick, PLAN_PICK_RANDOM);
	assert_string_equal(r->captures[2].default_value, "0");
	assert_int_equal(r->captures[4].kind, PLAN_CAPTURE_HEADER);
	assert_string_equal(r->captures[4].expr, "Content-Type");
	assert_int_equal(r->captures[5].kind, PLAN_CAPTURE_COOKIE);
	assert_int_equal(r->captures[6].kind, PLAN_CAPTURE_STATUS);
	assert_null(r->captures[6].expr);
	st = step(p, 0, 1);
	assert_int_equal(st->kind, PLAN_STEP_FOREACH);
	assert_string_equal(st->list_var, "ids");
	assert_string_equal(st->item_var, "id");
	st = step(p, 0, 2);
	assert_string_equal(st->list_var, "ids");
	assert_string_equal(st->item_var, "item");
	st = step(p, 0, 3);
	assert_string_equal(st->cond, "bal > 0 && ctype != '' || !sid");
	plan_free(p);
}

static void test_control(void **state)
{
	struct plan *p = load_ok(GOOD "control.yaml", NULL, 0);
	const struct plan_step *st;

	(void)state;
	st = step(p, 0, 0);
	assert_int_equal(st->kind, PLAN_STEP_SET);
	assert_int_equal(st->nset, 2);
	assert_string_equal(st->set[1].name, "who");
	assert_string_equal(st->set[1].value, "{{ user_id() }}");
	st = step(p, 0, 1);
	assert_int_equal(st->kind, PLAN_STEP_WHILE);
	assert_int_equal(st->count, 10);
	assert_string_equal(st->cond, "n < pages");
	st = step(p, 0, 2);
	assert_int_equal(st->kind, PLAN_STEP_REPEAT);
	assert_int_equal(st->body.v[0].kind, PLAN_STEP_TRANSACTION);
	st = step(p, 0, 3);
	assert_int_equal(st->body.n, 0);
	assert_int_equal(st->else_body.v[0].kind, PLAN_STEP_ABORT);
	assert_string_equal(st->else_body.v[0].reason, "never got there");
	st = step(p, 0, 4);
	assert_string_equal(st->cond, "who == ''"); /* the {{ }} are taken off */
	assert_null(st->body.v[0].reason);
	plan_free(p);
}

static void test_request(void **state)
{
	struct plan *p = load_ok(GOOD "request.yaml", NULL, 0);
	const struct plan_request *r;

	(void)state;
	assert_int_equal(p->http.timeout_us, 2000000);
	assert_int_equal(p->http.connect_timeout_us, 500000);
	assert_false(p->http.keepalive);
	assert_int_equal(p->http.version, 2);
	assert_true(p->http.tls_verify);
	assert_string_equal(p->http.tls_ca, GOOD "data/ca.pem");
	assert_string_equal(p->http.tls_ciphers, "HIGH:!aNULL");
	assert_true(p->http.share_connections);
	assert_int_equal(p->http.max_body, 64000);
	assert_false(p->http.compression);
	assert_int_equal(p->http.follow_redirects, 3);
	assert_int_equal(p->http.nheaders, 2);
	r = &step(p, 0, 0)->request;
	assert_string_equal(r->method, "GET");
	assert_false(r->has_follow_redirects);
	assert_string_equal(r->url, "/plain");
	r = &step(p, 0, 1)->request;
	assert_string_equal(r->method, "PUT");
	assert_int_equal(r->body_kind, PLAN_BODY_RAW);
	assert_int_equal(r->timeout_us, 1000000);
	assert_string_equal(r->name, "raw");
	assert_true(r->has_follow_redirects);
	assert_int_equal(r->follow_redirects, 0);
	r = &step(p, 0, 2)->request;
	assert_int_equal(r->body_kind, PLAN_BODY_JSON);
	assert_string_equal(r->body, "{\"n\":5,\"f\":1.5,\"neg\":-2,\"t\":true,\"nul\":null,\"s\":"
				     "\"5\",\"list\":[1,\"two\",{\"three\":3}],\"tmpl\":\"{{ "
				     "now_ms() }}\",\"quote\":\"say \\\"hi\\\"\"}");
	r = &step(p, 0, 3)->request;
	assert_int_equal(r->body_kind, PLAN_BODY_FORM);
	assert_int_equal(r->nform, 2);
	assert_string_equal(r->form[1].value, "{{ user_id() }}");
	plan_free(p);
}

static void test_data_agents(void **state)
{
	struct plan *p = load_ok(GOOD "data.yaml", NULL, 0);

	(void)state;
	assert_int_equal(p->ndata, 3);
	assert_int_equal(p->data[0].order, PLAN_ORDER_UNIQUE);
	assert_int_equal(p->data[1].order, PLAN_ORDER_RANDOM);
	assert_int_equal(p->data[2].order, PLAN_ORDER_SEQUENTIAL);
	assert_int_equal(p->data[2].part_count, 1);
	plan_free(p);

	p = load_ok(GOOD "agents.yaml", NULL, 0);
	assert_int_equal(p->agents.nhosts, 3);
	assert_string_equal(p->agents.hosts[0].user, "load");
	assert_int_equal(p->agents.hosts[0].port, 2222);
	assert_int_equal(p->agents.hosts[0].agents, 4);
	assert_true(p->agents.hosts[0].weight == 2);
	assert_string_equal(p->agents.hosts[1].host, "127.0.0.3");
	assert_string_equal(p->agents.hosts[1].user, "load");
	assert_null(p->agents.hosts[2].user);
	assert_int_equal(p->agents.hosts[2].port, 22);
	assert_int_equal(p->agents.max_lost, 1);
	assert_int_equal(p->agents.threads, 2);
	assert_int_equal(p->agents.link_timeout_us, 7000000);
	assert_int_equal(p->interval_us, 2000000);
	assert_true(p->sessions[0].weight == 2.5);
	assert_string_equal(p->load.phases[0].name, "warm");
	assert_int_equal(p->nthresholds, 3);
	assert_true(p->thresholds[2].abort_on_fail);
	assert_int_equal(p->thresholds[2].delay_us, 30000000);
	assert_string_equal(p->thresholds[2].condition, "< 5");
	plan_free(p);

	p = load_ok(GOOD "hosts-file.yaml", NULL, 0);
	assert_string_equal(p->agents.hosts_file, GOOD "data/fleet.txt");
	plan_free(p);
}

/* ---- --set ---- */

static void test_overrides(void **state)
{
	const struct scenario_override ov[] = {
	    {"load.phases.0.arrival_rate", "10/s"},
	    {"load.max_users", "7"},
	    {"thresholds.request.p95", "< 1s"},
	    {"thresholds.request.p99", "< 2s"},
	    {"target", "http://127.0.0.1:9999"},
	    {"sessions.1.weight", "3"},
	    {"report", "{ interval: 5s }"},
	    {"http.tls.verify", "true"},
	    {"name", "renamed"},
	};
	struct plan *p = load_ok(GOOD "brief.yaml", ov, sizeof(ov) / sizeof(ov[0]));
	char *err;

	(void)state;
	assert_true(p->load.phases[0].arrival_rate == 10);
	assert_int_equal(p->load.max_users, 7);
	assert_int_equal(p->nthresholds, 5);
	assert_string_equal(p->thresholds[0].condition, "< 1s");
	assert_string_equal(p->thresholds[4].metric, "request.p99");
	assert_string_equal(p->target, "http://127.0.0.1:9999");
	assert_true(p->sessions[1].weight == 3);
	assert_int_equal(p->interval_us, 5000000);
	assert_true(p->http.tls_verify);
	assert_string_equal(p->name, "renamed");
	plan_free(p);

	{
		const struct scenario_override bad[] = {{"load.phases.0.arrival_rate", "fast"}};

		err = load_err(GOOD "brief.yaml", bad, 1);
		assert_string_equal(err, GOOD "brief.yaml: --set load.phases.0.arrival_rate=fast: "
					      "arrival_rate: expected a rate like 50/s, 10k/s or "
					      "600/m, got 'fast'");
		free(err);
	}
	{
		const struct scenario_override bad[] = {{"load.phases.5.duration", "1s"}};

		err = load_err(GOOD "brief.yaml", bad, 1);
		assert_string_equal(err, GOOD "brief.yaml: --set load.phases.5.duration=1s: '5' is "
					      "not an index of the list (0 to 1)");
		free(err);
	}
	{
		const struct scenario_override bad[] = {{"name.first", "x"}};

		err = load_err(GOOD "brief.yaml", bad, 1);
		assert_string_equal(err, GOOD "brief.yaml: --set name.first=x: cannot set 'first' "
					      "inside a scalar");
		free(err);
	}
	{
		const struct scenario_override bad[] = {{"lod.users", "5"}};

		err = load_err(GOOD "closed.yaml", bad, 1);
		assert_string_equal(err,
				    GOOD "closed.yaml: --set lod.users=5: unknown key 'lod' in "
					 "scenario; did you mean 'load'?");
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_fixtures), cmocka_unit_test(test_good_fixtures_print),
	    cmocka_unit_test(test_brief),	 cmocka_unit_test(test_models),
	    cmocka_unit_test(test_think),	 cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_capture),	 cmocka_unit_test(test_control),
	    cmocka_unit_test(test_request),	 cmocka_unit_test(test_data_agents),
	    cmocka_unit_test(test_overrides),
	};

	return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
