/* Unit tests for the plan model and its JSON codec (common/plan.c): defaults, a round trip of a
 * plan that sets every field, deep copies, and a table of broken plans each rejected with a
 * message that names the JSON path of the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/plan.h"
#include "common/version.h"

static char *xstrdup(const char *s)
{
	char *c = strdup(s);

	assert_non_null(c);
	return c;
}

static struct plan_kv *kvs(size_t n, const char *prefix)
{
	struct plan_kv *kv = calloc(n, sizeof(*kv));
	size_t i;

	assert_non_null(kv);
	for (i = 0; i < n; i++) {
		char name[64], value[64];

		snprintf(name, sizeof(name), "%s-name-%zu", prefix, i);
		snprintf(value, sizeof(value), "%s {{ v%zu }}", prefix, i);
		kv[i].name = xstrdup(name);
		kv[i].value = xstrdup(value);
		kv[i].pos.line = (int)(10 + i);
		kv[i].pos.col = (int)(3 + i);
	}
	return kv;
}

static struct plan_step *steps_alloc(size_t n)
{
	struct plan_step *s = calloc(n, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void full_http(struct plan *p)
{
	p->name = xstrdup("voting-night");
	p->source = xstrdup("scenarios/voting.yaml");
	p->target = xstrdup("https://127.0.0.1:8443");
	p->http.timeout_us = 7000000;
	p->http.connect_timeout_us = 1500000;
	p->http.keepalive = false;
	p->http.version = 2;
	p->http.tls_verify = false;
	p->http.tls_ca = xstrdup("ca.pem");
	p->http.tls_cert = xstrdup("cert.pem");
	p->http.tls_key = xstrdup("key.pem");
	p->http.tls_ciphers = xstrdup("HIGH:!aNULL");
	p->http.headers = kvs(2, "h");
	p->http.nheaders = 2;
	p->http.share_connections = true;
	p->http.max_body = 12345;
	p->http.compression = false;
	p->http.follow_redirects = 7;
	p->http.client = PLAN_CLIENT_LEAN;
	p->http.source_addresses = xstrdup("127.0.0.2,::1");
}

static void full_load_data(struct plan *p)
{
	p->load.model = PLAN_MODEL_OPEN;
	p->load.phases = calloc(2, sizeof(*p->load.phases));
	assert_non_null(p->load.phases);
	p->load.nphases = 2;
	p->load.phases[0] = (struct plan_phase){.name = xstrdup("warm"),
						.duration_us = 30000000,
						.arrival_rate = 50.5,
						.ramp_to = -1,
						.pos = {7, 7}};
	p->load.phases[1] = (struct plan_phase){
	    .duration_us = 120000000, .arrival_rate = 50, .ramp_to = 0.1 + 0.2, .pos = {8, 7}};
	p->load.max_users = 100000;
	p->load.users = 3;
	p->load.duration_us = 60000000;
	p->load.ramp_up_us = 1000000;
	p->load.request_rate = 20000.25;

	p->data = calloc(1, sizeof(*p->data));
	assert_non_null(p->data);
	p->ndata = 1;
	p->data[0].name = xstrdup("accounts");
	p->data[0].file = xstrdup("data/accounts.csv");
	p->data[0].order = PLAN_ORDER_UNIQUE;
	p->data[0].columns = calloc(2, sizeof(char *));
	assert_non_null(p->data[0].columns);
	p->data[0].columns[0] = xstrdup("user");
	p->data[0].columns[1] = xstrdup("password");
	p->data[0].ncolumns = 2;
	p->data[0].rows = 1000;
	p->data[0].part_index = 2;
	p->data[0].part_count = 4;
	p->data[0].pos = (struct plan_pos){12, 3};
	p->variables = kvs(1, "var");
	p->nvariables = 1;
}

/* A request with every request field set. */
static void full_request(struct plan_request *r)
{
	r->method = xstrdup("POST");
	r->url = xstrdup("/login");
	r->name = xstrdup("login");
	r->headers = kvs(1, "rh");
	r->nheaders = 1;
	r->body_kind = PLAN_BODY_JSON;
	r->body = xstrdup("{\"user\":\"{{ accounts.user }}\"}");
	r->timeout_us = 2500000;
	r->has_follow_redirects = true;
	r->follow_redirects = 0;
	r->captures = calloc(5, sizeof(*r->captures));
	assert_non_null(r->captures);
	r->ncaptures = 5;
	r->captures[0] = (struct plan_capture){.var = xstrdup("token"),
					       .kind = PLAN_CAPTURE_JSON,
					       .expr = xstrdup("$.token"),
					       .pick = PLAN_PICK_RANDOM,
					       .default_value = xstrdup("none"),
					       .pos = {26, 20}};
	r->captures[1] = (struct plan_capture){.var = xstrdup("bal"),
					       .kind = PLAN_CAPTURE_REGEX,
					       .expr = xstrdup("\"balance\":(\\d+)"),
					       .pick = PLAN_PICK_ALL};
	r->captures[2] = (struct plan_capture){
	    .var = xstrdup("ct"), .kind = PLAN_CAPTURE_HEADER, .expr = xstrdup("Content-Type")};
	r->captures[3] = (struct plan_capture){
	    .var = xstrdup("sid"), .kind = PLAN_CAPTURE_COOKIE, .expr = xstrdup("sid")};
	r->captures[4] = (struct plan_capture){.var = xstrdup("code"), .kind = PLAN_CAPTURE_STATUS};
	r->has_expect = true;
	r->expect.status = calloc(2, sizeof(*r->expect.status));
	assert_non_null(r->expect.status);
	r->expect.status[0] = (struct plan_status_range){200, 200};
	r->expect.status[1] = (struct plan_status_range){300, 399};
	r->expect.nstatus = 2;
	r->expect.body_contains = xstrdup("\"ok\":true");
	r->expect.body_regex = xstrdup("ok|fine");
	r->expect.headers = kvs(1, "xh");
	r->expect.nheaders = 1;
	r->expect.on_fail = PLAN_ON_FAIL_RESTART;
	r->expect.pos = (struct plan_pos){25, 13};
}

/* Step 0: a transaction holding a request with every request field, and a form request. */
static void full_transaction(struct plan_step *st)
{
	struct plan_step *inner;
	struct plan_request *r;

	st[0].kind = PLAN_STEP_TRANSACTION;
	st[0].name = xstrdup("login");
	st[0].pos = (struct plan_pos){22, 9};
	inner = steps_alloc(2);
	st[0].body.v = inner;
	st[0].body.n = 2;
	inner[0].kind = PLAN_STEP_REQUEST;
	inner[0].pos = (struct plan_pos){24, 13};
	full_request(&inner[0].request);
	inner[1].kind = PLAN_STEP_REQUEST;
	r = &inner[1].request;
	r->method = xstrdup("PUT");
	r->url = xstrdup("http://127.0.0.1:9/form");
	r->body_kind = PLAN_BODY_FORM;
	r->form = kvs(2, "f");
	r->nform = 2;
}

/* Steps 1..8: one of each other kind. */
static void full_other_steps(struct plan_step *st)
{
	st[1].kind = PLAN_STEP_THINK;
	st[1].think =
	    (struct plan_think){.kind = PLAN_THINK_UNIFORM, .min_us = 1000000, .max_us = 3000000};
	st[2].kind = PLAN_STEP_THINK;
	st[2].think = (struct plan_think){.kind = PLAN_THINK_EXPONENTIAL, .mean_us = 2000000};
	st[3].kind = PLAN_STEP_IF;
	st[3].cond = xstrdup("balance > 0");
	st[3].body.v = steps_alloc(1);
	st[3].body.n = 1;
	st[3].body.v[0].kind = PLAN_STEP_THINK;
	st[3].body.v[0].think = (struct plan_think){.kind = PLAN_THINK_FIXED, .value_us = 5};
	st[3].else_body.v = steps_alloc(1);
	st[3].else_body.n = 1;
	st[3].else_body.v[0].kind = PLAN_STEP_ABORT;
	st[3].else_body.v[0].reason = xstrdup("broke");
	st[4].kind = PLAN_STEP_REPEAT;
	st[4].count = 3;
	st[4].body.v = steps_alloc(1);
	st[4].body.n = 1;
	st[4].body.v[0].kind = PLAN_STEP_ABORT;
	st[5].kind = PLAN_STEP_WHILE;
	st[5].cond = xstrdup("n < 10");
	st[5].count = 100;
	st[5].body.v = steps_alloc(1);
	st[5].body.n = 1;
	st[5].body.v[0].kind = PLAN_STEP_SET;
	st[5].body.v[0].set = kvs(1, "n");
	st[5].body.v[0].nset = 1;
	st[6].kind = PLAN_STEP_FOREACH;
	st[6].list_var = xstrdup("ids");
	st[6].item_var = xstrdup("id");
	st[6].body.v = steps_alloc(1);
	st[6].body.n = 1;
	st[6].body.v[0].kind = PLAN_STEP_ABORT;
	st[7].kind = PLAN_STEP_SET;
	st[7].set = kvs(3, "s");
	st[7].nset = 3;
	st[8].kind = PLAN_STEP_ABORT;
	st[8].reason = xstrdup("done");
}

static void full_sessions(struct plan *p)
{
	struct plan_step *st;

	p->sessions = calloc(2, sizeof(*p->sessions));
	assert_non_null(p->sessions);
	p->nsessions = 2;
	p->sessions[0].name = xstrdup("voter");
	p->sessions[0].weight = 9;
	p->sessions[0].pos = (struct plan_pos){20, 5};
	st = steps_alloc(9);
	p->sessions[0].steps.v = st;
	p->sessions[0].steps.n = 9;
	full_transaction(st);
	full_other_steps(st);

	p->sessions[1].name = xstrdup("browser");
	p->sessions[1].weight = 0.5;
	p->sessions[1].steps.v = steps_alloc(1);
	p->sessions[1].steps.n = 1;
	p->sessions[1].steps.v[0].kind = PLAN_STEP_THINK;
	p->sessions[1].steps.v[0].think.value_us = 1;
}

static void full_thresholds_agents_share(struct plan *p)
{
	p->thresholds = calloc(2, sizeof(*p->thresholds));
	assert_non_null(p->thresholds);
	p->nthresholds = 2;
	p->thresholds[0] = (struct plan_threshold){.metric = xstrdup("request.p95"),
						   .condition = xstrdup("< 200ms"),
						   .abort_on_fail = true,
						   .delay_us = 10000000,
						   .pos = {40, 3}};
	p->thresholds[1] =
	    (struct plan_threshold){.metric = xstrdup("errors.rate"), .condition = xstrdup("< 1%")};

	p->agents.local = 2;
	p->agents.hosts = calloc(2, sizeof(*p->agents.hosts));
	assert_non_null(p->agents.hosts);
	p->agents.nhosts = 2;
	p->agents.hosts[0] = (struct plan_host){.user = xstrdup("load"),
						.host = xstrdup("10.0.0.5"),
						.port = 2222,
						.agents = 4,
						.weight = 2,
						.pos = {50, 5}};
	p->agents.hosts[1] =
	    (struct plan_host){.host = xstrdup("10.0.0.6"), .port = 22, .agents = 1, .weight = 1};
	p->agents.hosts_file = xstrdup("fleet.txt");
	p->agents.max_lost = 1;
	p->agents.threads = 2;
	p->agents.link_timeout_us = 7000000;
	p->interval_us = 2000000;
	p->grace_us = 1000000;
	p->share.agent_id = xstrdup("load@10.0.0.5#2");
	p->share.index = 3;
	p->share.count = 5;
	p->share.fraction = 0.2;
	p->share.seed = UINT64_MAX;
	p->share.user_id_base = 0x8000000000000001ULL;
}

/* A plan in which every field of every struct differs from its default. */
static struct plan *full_plan(void)
{
	struct plan *p = plan_new();

	assert_non_null(p);
	full_http(p);
	full_load_data(p);
	full_sessions(p);
	full_thresholds_agents_share(p);
	return p;
}

static char *encode(const struct plan *p)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(plan_encode(p, &b), 0);
	return buf_steal(&b);
}

static void test_defaults(void **state)
{
	struct plan *p = plan_new();

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->version, BARRAGE_PLAN_VERSION);
	assert_int_equal(p->http.timeout_us, 10000000);
	assert_int_equal(p->http.connect_timeout_us, 3000000);
	assert_true(p->http.keepalive);
	assert_int_equal(p->http.version, 11);
	assert_true(p->http.tls_verify);
	assert_int_equal(p->http.max_body, 1 << 20);
	assert_true(p->http.compression);
	assert_int_equal(p->http.follow_redirects, 0);
	assert_int_equal(p->http.client, PLAN_CLIENT_AUTO);
	assert_int_equal(p->interval_us, 10000000);
	assert_int_equal(p->grace_us, 5000000);
	assert_int_equal(p->share.count, 1);
	assert_true(p->share.fraction == 1.0);
	plan_free(p);
	plan_free(NULL);
	plan_steps_free(NULL);
}

static void test_round_trip(void **state)
{
	struct plan *p = full_plan(), *q = NULL, *c;
	char *j1 = encode(p), *j2, *j3, *err = NULL;
	struct plan_request *r;

	(void)state;
	assert_int_equal(plan_decode(j1, strlen(j1), &q, &err), 0);
	assert_null(err);
	if (getenv("PLAN_SEED_OUT")) {
		/* How tests/fuzz/corpus/plan/full.json was made. */
		FILE *f = fopen(getenv("PLAN_SEED_OUT"), "w");

		assert_non_null(f);
		fputs(j1, f);
		fclose(f);
	}
	j2 = encode(q);
	assert_string_equal(j1, j2);

	/* Spot checks that the values themselves survived, not just their encoding. */
	assert_string_equal(q->target, "https://127.0.0.1:8443");
	assert_int_equal(q->http.version, 2);
	assert_false(q->http.keepalive);
	assert_false(q->http.compression);
	assert_int_equal(q->http.follow_redirects, 7);
	assert_int_equal(q->http.client, PLAN_CLIENT_LEAN);
	assert_string_equal(q->http.source_addresses, "127.0.0.2,::1");
	assert_true(q->load.phases[0].ramp_to < 0);
	assert_true(q->load.phases[1].ramp_to == 0.1 + 0.2);
	assert_true(q->load.request_rate == 20000.25);
	assert_int_equal(q->data[0].part_index, 2);
	assert_string_equal(q->data[0].columns[1], "password");
	assert_int_equal(q->sessions[0].steps.n, 9);
	r = &q->sessions[0].steps.v[0].body.v[0].request;
	assert_string_equal(r->body, "{\"user\":\"{{ accounts.user }}\"}");
	assert_int_equal(r->captures[0].pick, PLAN_PICK_RANDOM);
	assert_int_equal(r->captures[4].kind, PLAN_CAPTURE_STATUS);
	assert_null(r->captures[4].expr);
	assert_int_equal(r->expect.status[1].hi, 399);
	assert_int_equal(r->expect.on_fail, PLAN_ON_FAIL_RESTART);
	assert_int_equal(r->expect.pos.line, 25);
	assert_int_equal(q->sessions[0].steps.v[0].body.v[1].request.nform, 2);
	assert_string_equal(q->sessions[0].steps.v[6].item_var, "id");
	assert_int_equal(q->sessions[0].steps.v[5].count, 100);
	assert_string_equal(q->sessions[0].steps.v[3].else_body.v[0].reason, "broke");
	assert_true(q->share.seed == UINT64_MAX);
	assert_true(q->share.user_id_base == 0x8000000000000001ULL);
	assert_int_equal(q->agents.hosts[0].port, 2222);
	assert_true(q->thresholds[0].abort_on_fail);
	assert_int_equal(plan_load_duration_us(q), 150000000);

	/* A clone encodes the same and shares no memory with its source (ASan would see a
	 * double free below otherwise). */
	c = plan_clone(p);
	assert_non_null(c);
	plan_free(p);
	j3 = encode(c);
	assert_string_equal(j1, j3);
	plan_free(c);
	plan_free(q);
	free(j1);
	free(j2);
	free(j3);
}

static void test_load_duration(void **state)
{
	struct plan *p = plan_new();

	(void)state;
	p->load.model = PLAN_MODEL_CLOSED;
	p->load.duration_us = 42;
	assert_int_equal(plan_load_duration_us(p), 42);
	p->load.model = PLAN_MODEL_OPEN;
	assert_int_equal(plan_load_duration_us(p), 0);
	plan_free(p);
}

/* The smallest valid plan; the error table edits it. */
static const char minimal[] =
    "{\"version\":1,\"target\":\"http://127.0.0.1:8090\","
    "\"load\":{\"model\":\"open\",\"phases\":[{\"duration_us\":1000000,\"arrival_rate\":5}]},"
    "\"sessions\":[{\"name\":\"s\",\"steps\":["
    "{\"kind\":\"think\",\"think\":{\"kind\":\"fixed\",\"value_us\":1}},"
    "{\"kind\":\"think\",\"think\":{\"kind\":\"fixed\",\"value_us\":1}},"
    "{\"kind\":\"request\",\"request\":{\"method\":\"GET\",\"url\":\"/\"}}]}]}";

static void test_minimal(void **state)
{
	struct plan *p = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(plan_decode(minimal, strlen(minimal), &p, &err), 0);
	assert_int_equal(p->sessions[0].steps.n, 3);
	assert_true(p->sessions[0].weight == 1);
	assert_int_equal(p->http.version, 11);
	plan_free(p);
}

/* Edits: PATH is slash-separated keys and indices into the minimal plan; VALUE is JSON text to
 * put there, or NULL to delete the key. */
struct bad_case {
	const char *path;
	const char *value;
	const char *message;
};

static const struct bad_case bad_cases[] = {
    {"version", "2", "plan: version: plan version 2, this build speaks 1"},
    {"version", NULL, "plan: version: missing"},
    {"version", "\"1\"", "plan: version: expected an integer, got a string"},
    {"bogus", "1", "plan: bogus: unknown key"},
    {"target", "5", "plan: target: expected a string, got an integer"},
    {"load", NULL, "plan: load: missing"},
    {"load", "[]", "plan: load: expected an object, got an array"},
    {"load/model", "\"closed-ish\"", "plan: load.model: unknown value 'closed-ish'"},
    {"load/phases", "[]", "plan: load.phases: must not be empty"},
    {"load/phases/0/duration_us", "0",
     "plan: load.phases[0].duration_us: 0 is out of range [1, 9223372036854775807]"},
    {"load/phases/0/arrival_rate", "-1",
     "plan: load.phases[0].arrival_rate: -1 is out of range [0, 1e+09]"},
    {"load/phases/0/arrival_rate", "\"5/s\"",
     "plan: load.phases[0].arrival_rate: expected a number, got a string"},
    {"load/model", "\"closed\"", "plan: load.phases: phases belong to the open model only"},
    {"sessions", "[]", "plan: sessions: must not be empty"},
    {"sessions", NULL, "plan: sessions: missing"},
    {"sessions/0/weight", "0", "plan: sessions[0].weight: must be > 0"},
    {"sessions/0/name", "\"\"", "plan: sessions[0].name: must not be empty"},
    {"sessions/0/steps", "[]", "plan: sessions[0].steps: must not be empty"},
    {"sessions/0/steps/2/request/url", "7",
     "plan: sessions[0].steps[2].request.url: expected a string, got an integer"},
    {"sessions/0/steps/2/request/url", NULL, "plan: sessions[0].steps[2].request.url: missing"},
    {"sessions/0/steps/2/request/method", "\"GE T\"",
     "plan: sessions[0].steps[2].request.method: 'GE T' is not an HTTP method"},
    {"sessions/0/steps/2/kind", "\"teleport\"",
     "plan: sessions[0].steps[2].kind: unknown value 'teleport'"},
    {"sessions/0/steps/2/kind", "\"think\"", "plan: sessions[0].steps[2].request: unknown key"},
    {"sessions/0/steps/2/request/body_kind", "\"json\"",
     "plan: sessions[0].steps[2].request.body: missing (body_kind is json)"},
    {"sessions/0/steps/2/request/captures", "[{\"var\":\"x\",\"kind\":\"json\"}]",
     "plan: sessions[0].steps[2].request.captures[0].expr: missing (a json capture needs one)"},
    {"sessions/0/steps/2/request/captures",
     "[{\"var\":\"x\",\"kind\":\"status\",\"pick\":\"some\"}]",
     "plan: sessions[0].steps[2].request.captures[0].pick: unknown value 'some'"},
    {"sessions/0/steps/2/request/expect", "{\"status\":[[200,700]]}",
     "plan: sessions[0].steps[2].request.expect.status[0]: status range out of 100..599 or "
     "reversed"},
    {"sessions/0/steps/2/request/expect", "{\"on_fail\":\"explode\"}",
     "plan: sessions[0].steps[2].request.expect.on_fail: unknown value 'explode'"},
    {"sessions/0/steps/1", "{\"kind\":\"while\",\"cond\":\"x\",\"steps\":[]}",
     "plan: sessions[0].steps[1].count: missing"},
    {"sessions/0/steps/1", "{\"kind\":\"while\",\"cond\":\"x\",\"count\":0,\"steps\":[]}",
     "plan: sessions[0].steps[1].count: 0 is out of range [1, 9223372036854775807]"},
    {"sessions/0/steps/1", "{\"kind\":\"foreach\",\"steps\":[]}",
     "plan: sessions[0].steps[1].list_var: missing"},
    {"sessions/0/steps/1", "{\"kind\":\"set\",\"set\":[]}",
     "plan: sessions[0].steps[1].set: must not be empty"},
    {"sessions/0/steps/1", "{\"kind\":\"set\",\"set\":[{\"name\":\"a\"}]}",
     "plan: sessions[0].steps[1].set[0].value: missing"},
    {"sessions/0/steps/1/think", "{\"kind\":\"uniform\",\"min_us\":5,\"max_us\":4}",
     "plan: sessions[0].steps[1].think.max_us: 4 is out of range [5, 9223372036854775807]"},
    {"sessions/0/steps/1/think", "{\"kind\":\"exponential\"}",
     "plan: sessions[0].steps[1].think.mean_us: missing"},
    {"sessions/0/steps/1", "[1]", "plan: sessions[0].steps[1]: expected an object, got an array"},
    {"target", NULL, "plan: sessions[0].steps[2].request.url: a path needs the plan's target"},
    {"http", "{\"version\":3}", "plan: http.version: 3 is not 11 (HTTP/1.1) or 2 (HTTP/2)"},
    {"http", "{\"keepalive\":1}", "plan: http.keepalive: expected a boolean, got an integer"},
    {"http", "{\"headers\":[{\"value\":\"x\"}]}", "plan: http.headers[0].name: missing"},
    {"data", "[{\"name\":\"a\",\"file\":\"a.csv\",\"columns\":[]}]",
     "plan: data[0].columns: must not be empty"},
    {"data", "[{\"name\":\"a\",\"file\":\"a.csv\",\"columns\":[\"x\"],\"order\":\"shuffled\"}]",
     "plan: data[0].order: unknown value 'shuffled'"},
    {"data", "[{\"name\":\"a\",\"file\":\"a.csv\",\"columns\":[\"x\",\"x\"]}]",
     "plan: data[0].columns[1]: duplicate column 'x'"},
    {"data",
     "[{\"name\":\"a\",\"file\":\"a.csv\",\"columns\":[\"x\"],\"part_count\":2,\"part_index\":2}]",
     "plan: data[0].part_index: 2 is out of range [0, 1]"},
    {"thresholds", "[{\"metric\":\"request.p95\"}]", "plan: thresholds[0].condition: missing"},
    {"thresholds", "[{\"metric\":\"request.p95\",\"condition\":\"< 5 parsecs\"}]",
     "plan: thresholds[0]: threshold request.p95: unknown duration unit in '5 parsecs' (use us, "
     "ms, s, m or h)"},
    {"agents", "{\"hosts\":[{\"host\":\"h\",\"port\":70000}]}",
     "plan: agents.hosts[0].port: 70000 is out of range [1, 65535]"},
    {"agents", "{\"hosts\":[{\"port\":22}]}", "plan: agents.hosts[0].host: missing"},
    {"interval_us", "0", "plan: interval_us: 0 is out of range [1000, 9223372036854775807]"},
    /* cross-field rules (common/plan_validate.c) */
    {"load", "{\"model\":\"closed\",\"users\":1}",
     "plan: load.duration_us: must be > 0 for the closed model"},
    {"load", "{\"model\":\"rate\",\"users\":1,\"duration_us\":10,\"ramp_up_us\":11}",
     "plan: load.ramp_up_us: longer than the load's duration"},
    {"share", "{\"count\":2,\"index\":2}", "plan: share.index: 2 is out of range [0, 1]"},
    {"share", "{\"seed\":\"-1\"}", "plan: share.seed: '-1' is not an unsigned 64-bit integer"},
    {"share", "{\"fraction\":1.5}", "plan: share.fraction: 1.5 is out of range [0, 1]"},
    {"sessions/0/steps/2/request/url", "\"/{{ nope(1) }}\"",
     "plan: sessions[0].steps[2].request.url: bad template at offset 4: unknown function "
     "'nope' (known: random_int, random_string, uuid, user_id, now_ms, len, urlencode)"},
    {"sessions/0/steps/1", "{\"kind\":\"if\",\"cond\":\"a >\",\"steps\":[]}",
     "plan: sessions[0].steps[1].cond: bad expression at offset 3: unexpected end of "
     "expression: expected a value"},
    {"sessions/0/steps/2/request/captures", "[{\"var\":\"x\",\"kind\":\"regex\",\"expr\":\"(\"}]",
     "plan: sessions[0].steps[2].request.captures[0].expr: bad regex at offset 1: missing "
     "closing parenthesis"},
    {"sessions/0/steps/2/request/captures", "[{\"var\":\"x\",\"kind\":\"json\",\"expr\":\"a.b\"}]",
     "plan: sessions[0].steps[2].request.captures[0].expr: bad JSONPath at offset 0: a JSONPath "
     "starts with '$' (like $.token)"},
};

static json_t *walk(json_t *root, const char *path, const char **last)
{
	char buf[256];
	char *tok, *save = NULL, *next;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, "/", &save);
	while (tok && (next = strtok_r(NULL, "/", &save))) {
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(tok, NULL, 10));
		else
			cur = json_object_get(cur, tok);
		assert_non_null(cur);
		tok = next;
	}
	*last = path + (tok - buf);
	return cur;
}

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		json_t *root = json_loads(minimal, 0, NULL);
		const char *last;
		json_t *parent, *v;
		struct plan *p = NULL;
		char *text, *err = NULL;

		assert_non_null(root);
		parent = walk(root, c->path, &last);
		if (c->value) {
			v = json_loads(c->value, JSON_DECODE_ANY, NULL);
			assert_non_null(v);
			if (json_is_array(parent))
				assert_int_equal(
				    json_array_set_new(parent, strtoul(last, NULL, 10), v), 0);
			else
				assert_int_equal(json_object_set_new(parent, last, v), 0);
		} else
			json_object_del(parent, last);
		text = json_dumps(root, JSON_COMPACT);
		assert_non_null(text);
		if (plan_decode(text, strlen(text), &p, &err) == 0) {
			print_error("case %zu (%s) decoded: %s\n", i, c->path, text);
			fail();
		}
		assert_null(p);
		assert_non_null(err);
		if (strcmp(err, c->message) != 0) {
			print_error("case %zu (%s)\n  want: %s\n  got:  %s\n", i, c->path,
				    c->message, err);
			fail();
		}
		free(err);
		free(text);
		json_decref(root);
	}
}

static void test_bad_json(void **state)
{
	static const char *const inputs[] = {
	    "", "{", "[]", "null", "{\"version\":1,\"version\":1}", "{\"version\":1}\x01"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct plan *p = NULL;
		char *err = NULL;

		assert_int_equal(plan_decode(inputs[i], strlen(inputs[i]), &p, &err), -1);
		assert_null(p);
		assert_non_null(err);
		assert_true(strncmp(err, "plan: ", 6) == 0);
		free(err);
	}
}

/* Steps nested past the limit are refused rather than recursed into. */
static void test_deep_nesting(void **state)
{
	struct buf b;
	struct plan *p = NULL;
	char *err = NULL;
	int i;

	(void)state;
	buf_init(&b, 0);
	buf_append_str(&b,
		       "{\"version\":1,\"load\":{\"model\":\"open\",\"phases\":[{\"duration_us\":1,"
		       "\"arrival_rate\":1}]},\"sessions\":[{\"name\":\"s\",\"steps\":");
	for (i = 0; i < 40; i++)
		buf_append_str(&b, "[{\"kind\":\"repeat\",\"count\":1,\"steps\":");
	buf_append_str(&b, "[{\"kind\":\"abort\"}]");
	for (i = 0; i < 40; i++)
		buf_append_str(&b, "}]");
	buf_append_str(&b, "}]}");
	assert_int_equal(plan_decode(b.data, b.len, &p, &err), -1);
	assert_non_null(strstr(err, "nested deeper than 32"));
	free(err);
	buf_free(&b);
}

/* Every truncated prefix of a full plan fails cleanly. */
static void test_truncated(void **state)
{
	struct plan *p = full_plan();
	char *j = encode(p);
	size_t n = strlen(j), i;

	(void)state;
	for (i = 0; i < n; i++) {
		struct plan *q = NULL;
		char *err = NULL;

		assert_int_equal(plan_decode(j, i, &q, &err), -1);
		free(err);
	}
	plan_free(p);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_load_duration), cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_bad),		  cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_deep_nesting),  cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
