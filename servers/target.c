/* The test target: a stateless server whose answer is chosen by query parameters, so Barrage's
 * tests and benchmarks need no configuration (haproxy's test server is the model).
 *
 *   status=NNN            reply with that status (100..599)
 *   size=BYTES            body of that many bytes ('x' filled; k/M suffixes allowed)
 *   delay=50ms            reply that much later; delay=10ms-50ms picks uniformly in the range
 *   close=1               Connection: close after the reply
 *   chunked=1             chunked transfer encoding
 *   header=Name:Value     one extra response header
 *
 * Server options: --freeze D/P (the server answers nothing for D at the end of every period P;
 * replies due then go out when the freeze ends: the pause coordinated omission hides),
 * --record FILE (one JSON line per request: method, url, headers, body).
 *
 * Built-in routes: GET /__stats, POST /__reset (what it served, by status, excluding these two),
 * and a fake login API for session tests: POST /login, GET /items, GET /balance, POST /write.
 * Counting uses relaxed atomics because --threads runs several loops over the same counters. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "servers/http.h"

#define TARGET_PAYLOAD	((size_t)1 << 20)
#define TARGET_MAX_SIZE ((size_t)64 << 20)

struct target {
	uint64_t requests;
	uint64_t status[600];
	int64_t freeze_us, period_us;
	FILE *record;
	pthread_mutex_t record_lock;
	uint64_t token_seq;
	uint64_t rng; /* xorshift state for random delays; races between threads are harmless */
};

static char target_payload[TARGET_PAYLOAD];

/* "50ms", "1s", "250us", "2m" -> microseconds. */
static int parse_dur(const char *s, const char *end, int64_t *us)
{
	char *e;
	double v;
	size_t ul;

	errno = 0;
	if (s >= end || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	v = strtod(s, &e);
	if (errno || e > end || v < 0)
		return -1;
	ul = (size_t)(end - e);
	if (ul == 2 && memcmp(e, "us", 2) == 0)
		*us = (int64_t)v;
	else if (ul == 2 && memcmp(e, "ms", 2) == 0)
		*us = (int64_t)(v * 1e3);
	else if (ul == 1 && *e == 's')
		*us = (int64_t)(v * 1e6);
	else if (ul == 1 && *e == 'm')
		*us = (int64_t)(v * 60e6);
	else
		return -1;
	return *us > (int64_t)3600 * 1000000 ? -1 : 0;
}

static uint64_t rnd(struct target *tg)
{
	uint64_t x = __atomic_load_n(&tg->rng, __ATOMIC_RELAXED);

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	__atomic_store_n(&tg->rng, x, __ATOMIC_RELAXED);
	return x;
}

static int target_option(struct srv *s, const char *name, const char *value, char **err)
{
	struct target *tg = s->state;

	if (strcmp(name, "freeze") == 0) {
		const char *slash = strchr(value, '/');

		if (!slash || parse_dur(value, slash, &tg->freeze_us) < 0 ||
		    parse_dur(slash + 1, slash + strlen(slash), &tg->period_us) < 0 ||
		    tg->freeze_us <= 0 || tg->period_us <= tg->freeze_us)
			return err_set(err,
				       "--freeze: expected FREEZE/PERIOD like 1s/5s with "
				       "FREEZE < PERIOD, got '%s'",
				       value);
		return 0;
	}
	if (strcmp(name, "record") == 0) {
		if (tg->record)
			fclose(tg->record);
		tg->record = fopen(value, "a");
		if (!tg->record)
			return err_set(err, "--record %s: %s", value, strerror(errno));
		return 0;
	}
	return err_set(err, "unknown option --%s", name);
}

struct rec_ctx {
	struct buf *b;
	int first;
};

static void rec_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct rec_ctx *rc = arg;
	char lower[128];

	if ((nlen == 4 && strncasecmp(name, "Host", 4) == 0) ||
	    (nlen == 14 && strncasecmp(name, "Content-Length", 14) == 0) ||
	    (nlen == 10 && strncasecmp(name, "Connection", 10) == 0))
		return;
	/* Lower-case names, so tests need not guess the client's spelling. */
	if (nlen >= sizeof(lower))
		nlen = sizeof(lower) - 1;
	for (size_t i = 0; i < nlen; i++)
		lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	if (!rc->first)
		buf_append_byte(rc->b, ',');
	rc->first = 0;
	buf_append_json_str(rc->b, lower, nlen);
	buf_append_byte(rc->b, ':');
	buf_append_json_str(rc->b, value, vlen);
}

static void record(struct target *tg, const struct srv_request *rq)
{
	struct buf b;
	struct rec_ctx rc = {&b, 1};

	buf_init(&b, 0);
	buf_append_str(&b, "{\"method\":");
	buf_append_json_str(&b, rq->method_name, strlen(rq->method_name));
	buf_append_str(&b, ",\"url\":");
	if (rq->uri)
		buf_append_json_str(&b, rq->uri, rq->uri_len);
	else
		buf_append_json_str(&b, rq->path, rq->path_len);
	buf_append_str(&b, ",\"headers\":{");
	srv_headers_each(rq, rec_header, &rc);
	buf_append_str(&b, "},\"body\":");
	buf_append_json_str(&b, rq->body ? rq->body : "", rq->body_len);
	buf_append_str(&b, "}\n");
	pthread_mutex_lock(&tg->record_lock);
	fwrite(b.data, 1, b.len, tg->record);
	fflush(tg->record);
	pthread_mutex_unlock(&tg->record_lock);
	buf_free(&b);
}

static void stats(struct target *tg, struct srv_response *rs)
{
	int first = 1;

	buf_printf(&rs->body, "{\"requests\":%llu,\"status\":{",
		   (unsigned long long)__atomic_load_n(&tg->requests, __ATOMIC_RELAXED));
	for (int i = 100; i < 600; i++) {
		uint64_t n = __atomic_load_n(&tg->status[i], __ATOMIC_RELAXED);

		if (!n)
			continue;
		buf_printf(&rs->body, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)n);
		first = 0;
	}
	buf_append_str(&rs->body, "}}\n");
}

static void login(struct target *tg, const struct srv_request *rq, struct srv_response *rs)
{
	char user[129], token[200], cookie[256];
	uint64_t seq;

	if (srv_login_check(rq, rs, user, sizeof(user)) != 1)
		return;
	seq = __atomic_add_fetch(&tg->token_seq, 1, __ATOMIC_RELAXED);
	snprintf(token, sizeof(token), "tok-%llu-%016llx", (unsigned long long)seq,
		 (unsigned long long)rnd(tg));
	snprintf(cookie, sizeof(cookie), "sid=%s; Path=/; HttpOnly", token);
	srv_add_header(rs, "Set-Cookie", cookie);
	buf_printf(&rs->body, "{\"token\":\"%s\",\"ok\":true}\n", token);
}

/* The fake login API (see the top of the file); other paths get the plain-text default.
 * Returns -1 after an error reply. */
static int answer_route(struct target *tg, const struct srv_request *rq, struct srv_response *rs)
{
	char v[256];

	rs->content_type = "text/plain";
	if (srv_path_is(rq, "/login") && rq->method == SRV_POST) {
		rs->content_type = NULL;
		login(tg, rq, rs);
	} else if (srv_path_is(rq, "/items")) {
		rs->content_type = NULL;
		buf_append_str(&rs->body, "{\"items\":[{\"id\":1},{\"id\":2},{\"id\":3}]}\n");
	} else if (srv_path_is(rq, "/balance")) {
		long long bal = 3;

		rs->content_type = NULL;
		if (srv_query_get(rq->query, "balance", v, sizeof(v)) >= 0) {
			char *end;

			errno = 0;
			bal = strtoll(v, &end, 10);
			if (errno || end == v || *end) {
				srv_reply_error(rs, 400, "balance: expected an integer, got '%s'",
						v);
				return -1;
			}
		}
		buf_printf(&rs->body, "{\"balance\":%lld}\n", bal);
	} else if (srv_path_is(rq, "/write") && rq->method == SRV_POST) {
		rs->content_type = NULL;
		buf_append_str(&rs->body, "{\"ok\":true}\n");
	}
	return 0;
}

/* size=BYTES: a body of that many 'x' (k and M suffixes). Returns -1 after an error reply. */
static int query_size(const char *v, struct srv_response *rs)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'M')
		n <<= 20, end++;
	if (errno || end == v || *end || v[0] == '-' || n > TARGET_MAX_SIZE) {
		srv_reply_error(rs, 400, "size: expected 0..%zu bytes, got '%s'", TARGET_MAX_SIZE,
				v);
		return -1;
	}
	buf_reset(&rs->body);
	if (n <= TARGET_PAYLOAD) {
		rs->static_body = target_payload;
		rs->static_len = (size_t)n;
		return 0;
	}
	for (size_t left = (size_t)n; left > 0;) {
		size_t k = left < TARGET_PAYLOAD ? left : TARGET_PAYLOAD;

		if (buf_append(&rs->body, target_payload, k) < 0) {
			srv_reply_error(rs, 500, "size: out of memory");
			return -1;
		}
		left -= k;
	}
	return 0;
}

/* header=Name:Value: one more response header. v is modified. Returns -1 after an error
 * reply. */
static int query_header(char *v, struct srv_response *rs)
{
	char *colon = strchr(v, ':');
	char *val;

	if (!colon || colon == v) {
		srv_reply_error(rs, 400, "header: expected Name:Value, got '%s'", v);
		return -1;
	}
	*colon = '\0';
	val = colon + 1;
	while (*val == ' ')
		val++;
	for (char *c = v; *c; c++)
		if (*c <= ' ' || *c == ':' || *c >= 127) {
			srv_reply_error(rs, 400, "header: bad character in the name");
			return -1;
		}
	for (char *c = val; *c; c++)
		if (*c == '\r' || *c == '\n') {
			srv_reply_error(rs, 400, "header: line break in the value");
			return -1;
		}
	srv_add_header(rs, v, val);
	return 0;
}

/* The query parameters that choose the answer (see the top of the file); *delay gets the
 * delay= one. Returns -1 after an error reply. */
static int apply_query(struct target *tg, const struct srv_request *rq, struct srv_response *rs,
		       int64_t *delay)
{
	char v[256];

	if (srv_query_get(rq->query, "status", v, sizeof(v)) >= 0) {
		char *end;
		long st;

		errno = 0;
		st = strtol(v, &end, 10);
		if (errno || end == v || *end || st < 100 || st > 599) {
			srv_reply_error(rs, 400, "status: expected 100..599, got '%s'", v);
			return -1;
		}
		rs->status = (int)st;
	}
	if (srv_query_get(rq->query, "size", v, sizeof(v)) >= 0 && query_size(v, rs) < 0)
		return -1;
	if (srv_query_get(rq->query, "delay", v, sizeof(v)) >= 0) {
		char *dash = strchr(v, '-');
		int64_t lo, hi;

		if (dash ? (parse_dur(v, dash, &lo) < 0 ||
			    parse_dur(dash + 1, dash + strlen(dash), &hi) < 0 || hi < lo)
			 : parse_dur(v, v + strlen(v), &lo) < 0) {
			srv_reply_error(rs, 400, "delay: expected like 50ms or 10ms-50ms, got '%s'",
					v);
			return -1;
		}
		*delay = dash ? lo + (int64_t)(rnd(tg) % (uint64_t)(hi - lo + 1)) : lo;
	}
	if (srv_query_get(rq->query, "close", v, sizeof(v)) >= 0 && strcmp(v, "0") != 0)
		rs->close = 1;
	if (srv_query_get(rq->query, "chunked", v, sizeof(v)) >= 0 && strcmp(v, "0") != 0)
		rs->chunked = 1;
	if (srv_query_get(rq->query, "header", v, sizeof(v)) >= 0 && query_header(v, rs) < 0)
		return -1;
	return 0;
}

static void target_handle(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	struct target *tg = s->state;
	int64_t delay = 0;

	if (srv_path_is(rq, "/__stats")) {
		stats(tg, rs);
		return;
	}
	if (srv_path_is(rq, "/__reset")) {
		if (rq->method != SRV_POST) {
			srv_reply_error(rs, 405, "/__reset: use POST");
			return;
		}
		__atomic_store_n(&tg->requests, 0, __ATOMIC_RELAXED);
		for (int i = 0; i < 600; i++)
			__atomic_store_n(&tg->status[i], 0, __ATOMIC_RELAXED);
		buf_append_str(&rs->body, "{\"ok\":true}\n");
		return;
	}
	if (tg->record)
		record(tg, rq);
	if (answer_route(tg, rq, rs) < 0 || (rq->query[0] && apply_query(tg, rq, rs, &delay) < 0))
		goto count;
	if (tg->period_us > 0) {
		/* The freeze is the last freeze_us of every period since start: a reply that
		 * would go out inside it waits for its end. */
		int64_t due = rq->now_us + delay - s->start_us;
		int64_t phase = due % tg->period_us;

		if (phase >= tg->period_us - tg->freeze_us)
			delay += tg->period_us - phase;
	}
	rs->delay_us = delay;
count:
	__atomic_fetch_add(&tg->requests, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tg->status[rs->status ? rs->status : 200], 1, __ATOMIC_RELAXED);
}

static void target_metrics(struct srv *s, struct buf *out)
{
	struct target *tg = s->state;

	buf_printf(out, "target_requests %llu\n",
		   (unsigned long long)__atomic_load_n(&tg->requests, __ATOMIC_RELAXED));
}

static int target_init(struct srv *s, char **err)
{
	return 0;
}

static void target_fini(struct srv *s)
{
	struct target *tg = s->state;

	if (!tg)
		return;
	if (tg->record)
		fclose(tg->record);
	pthread_mutex_destroy(&tg->record_lock);
	free(tg);
	s->state = NULL;
}

/* The state must exist before options are parsed, so it is made on first use by the option
 * callback or by init; target_state() is the one place that does it. */
static struct target *target_state(struct srv *s)
{
	struct target *tg = s->state;

	if (tg)
		return tg;
	tg = calloc(1, sizeof(*tg));
	if (!tg)
		return NULL;
	pthread_mutex_init(&tg->record_lock, NULL);
	tg->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)clock_mono_us();
	memset(target_payload, 'x', sizeof(target_payload));
	s->state = tg;
	return tg;
}

static int target_option_entry(struct srv *s, const char *name, const char *value, char **err)
{
	if (!target_state(s))
		return err_set(err, "out of memory");
	return target_option(s, name, value, err);
}

static int target_init_entry(struct srv *s, char **err)
{
	if (!target_state(s))
		return err_set(err, "out of memory");
	return target_init(s, err);
}

static const struct srv_option target_options[] = {
    {"freeze", 1,
     "--freeze D/P          answer nothing for D at the end of every period P (1s/5s)"},
    {"record", 1,
     "--record FILE         append one JSON line per request (method, url, headers, body)"},
    {NULL, 0, NULL},
};

const struct srv_service srv_target_service = {
    .name = "target",
    .summary = "test target: answers chosen by query (status, size, delay, close, chunked, header)",
    .options = target_options,
    .threads_ok = 1,
    .option = target_option_entry,
    .init = target_init_entry,
    .handle = target_handle,
    .metrics = target_metrics,
    .fini = target_fini,
};
