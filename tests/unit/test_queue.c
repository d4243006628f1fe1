/* Unit tests for the queue's state (servers/queue_store.c): keys, claims, leases, scheduling,
 * acks, the journal records and recovery from them, counter checkpoints and the key walk,
 * paging bodies to the spill file, and the lease and time parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "servers/queue_store.h"

/* A journal stand-in: records kept in memory, in order. */
struct journal {
	struct buf recs[20000];
	size_t n;
	int fail;
};

/* Kept as the type byte followed by the payload. */
static int jemit(void *ctx, unsigned type, const void *rec, size_t len)
{
	struct journal *j = ctx;

	if (j->fail || j->n == sizeof(j->recs) / sizeof(j->recs[0]))
		return -1;
	buf_init(&j->recs[j->n], 0);
	if (buf_append_byte(&j->recs[j->n], (uint8_t)type) < 0 ||
	    buf_append(&j->recs[j->n], rec, len) < 0)
		return -1;
	j->n++;
	return 0;
}

static void jfree(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		buf_free(&j->recs[i]);
	free(j);
}

static struct journal *jnew(void)
{
	struct journal *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	return j;
}

static struct qstore *open_store(struct journal *j, const char *spill, size_t max_mem)
{
	struct qstore_config cfg = {.node = "n1",
				    .emit = j ? jemit : NULL,
				    .emit_ctx = j,
				    .spill_path = spill,
				    .max_memory_messages = max_mem};
	char *err = NULL;
	struct qstore *s = qstore_new(&cfg, &err);

	assert_null(err);
	assert_non_null(s);
	return s;
}

/* A new store that replays j (the records up to n) and finishes recovery. */
static struct qstore *reopen(struct journal *j, size_t n, struct journal *next)
{
	struct qstore *s = open_store(next, NULL, 0);
	char *err = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct buf *r = &j->recs[i];

		assert_int_equal(
		    qstore_replay(s, (uint8_t)r->data[0], r->data + 1, r->len - 1, &err), 0);
		if (next)
			jemit(next, (uint8_t)r->data[0], r->data + 1, r->len - 1);
	}
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	return s;
}

static void enq(struct qstore *s, const char *q, const char *body, int64_t nb, int64_t now,
		char *key)
{
	int status;
	char *err = NULL;

	assert_int_equal(
	    qstore_enqueue(s, q, strlen(q), body, strlen(body), nb, now, key, &status, &err), 0);
	assert_int_equal(status, 201);
	assert_null(err);
}

static unsigned claim(struct qstore *s, const char *q, unsigned max, int64_t lease, int64_t now,
		      struct buf *out)
{
	unsigned n;
	int status;
	char *err = NULL;

	buf_reset(out);
	assert_int_equal(qstore_claim(s, q, strlen(q), max, lease, now, out, &n, &status, &err), 0);
	assert_int_equal(status, 200);
	return n;
}

static unsigned ack(struct qstore *s, const char *q, const char **keys, size_t n, struct buf *out)
{
	size_t lens[64];
	size_t i;
	unsigned acked;
	int status;
	char *err = NULL;

	for (i = 0; i < n; i++)
		lens[i] = strlen(keys[i]);
	buf_reset(out);
	assert_int_equal(qstore_ack(s, q, strlen(q), keys, lens, n, out, &acked, &status, &err), 0);
	return acked;
}

#define NOW 1764072000000LL /* 2025-11-25T12:00:00Z */

static void test_enqueue_claim_ack(void **state)
{
	struct journal *j = jnew();
	struct qstore *s = open_store(j, NULL, 0);
	char k1[QSTORE_KEY_MAX], k2[QSTORE_KEY_MAX];
	struct buf out;
	struct qstore_queue_stats st;
	char *err = NULL;
	const char *keys[3];

	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	enq(s, "sms", "\"hello\"", 0, NOW, k1);
	enq(s, "sms", "{\"to\":\"+331\"}", 0, NOW, k2);
	assert_string_equal(k1, "n1:20251125:1:1");
	assert_string_equal(k2, "n1:20251125:1:2");
	qstore_queue_stats(s, "sms", 3, NOW, &st);
	assert_int_equal(st.ready, 2);
	assert_int_equal(claim(s, "sms", 1, 30000, NOW, &out), 1);
	assert_string_equal(out.data,
			    "{\"messages\":[{\"key\":\"n1:20251125:1:1\",\"body\":\"hello\","
			    "\"attempts\":1}]}");
	assert_int_equal(claim(s, "sms", 10, 30000, NOW, &out), 1);
	assert_non_null(strstr(out.data, "{\"to\":\"+331\"}"));
	assert_int_equal(claim(s, "sms", 10, 30000, NOW, &out), 0);
	assert_string_equal(out.data, "{\"messages\":[]}");
	qstore_queue_stats(s, "sms", 3, NOW, &st);
	assert_int_equal(st.ready, 0);
	assert_int_equal(st.leased, 2);
	keys[0] = k1;
	keys[1] = "n1:20251125:1:99";
	keys[2] = k1;
	assert_int_equal(ack(s, "sms", keys, 3, &out), 1);
	assert_string_equal(out.data, "{\"acked\":1,\"unknown\":[\"n1:20251125:1:99\"]}");
	/* The same key again, now gone, and keys for another queue. */
	assert_int_equal(ack(s, "sms", keys, 1, &out), 0);
	keys[0] = k2;
	assert_int_equal(ack(s, "other", keys, 1, &out), 0);
	assert_string_equal(out.data, "{\"acked\":0,\"unknown\":[\"n1:20251125:1:2\"]}");
	qstore_queue_stats(s, "sms", 3, NOW, &st);
	assert_int_equal(st.leased, 1);
	assert_int_equal(st.acked, 1);
	buf_free(&out);
	qstore_free(s);
	jfree(j);
}

static void test_bad_keys(void **state)
{
	struct qstore *s = open_store(NULL, NULL, 0);
	char k[QSTORE_KEY_MAX];
	struct buf out;
	char *err = NULL;
	const char *keys[] = {"",
			      ":::",
			      "n2:20251125:1:1",
			      "n1:20251125:1:",
			      "n1:20251125:2:1",
			      "n1:20251124:1:1",
			      "n1:20251125:1:1:",
			      "n1:20251125:1:x",
			      "n1:20251125:1:99999999999999999999",
			      "\"\\\x01"};

	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	enq(s, "q", "1", 0, NOW, k);
	assert_int_equal(ack(s, "q", keys, sizeof(keys) / sizeof(keys[0]), &out), 0);
	assert_non_null(strstr(out.data, "\"\\\"\\\\\\u0001\""));
	assert_int_equal(claim(s, "q", 5, 1000, NOW, &out), 1);
	buf_free(&out);
	qstore_free(s);
}

static void test_schedule_and_lease(void **state)
{
	struct qstore *s = open_store(NULL, NULL, 0);
	char k1[QSTORE_KEY_MAX], k2[QSTORE_KEY_MAX];
	struct buf out;
	struct qstore_queue_stats st;
	struct qstore_metrics m;
	char *err = NULL;
	const char *keys[1];

	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	enq(s, "q", "\"later\"", NOW + 5000, NOW, k1);
	enq(s, "q", "\"now\"", NOW - 5, NOW, k2);
	qstore_queue_stats(s, "q", 1, NOW, &st);
	assert_int_equal(st.scheduled, 1);
	assert_int_equal(st.ready, 1);
	assert_int_equal(claim(s, "q", 10, 1000, NOW, &out), 1);
	assert_non_null(strstr(out.data, "\"now\""));
	/* Not due yet, and the lease has 1 s to go. */
	assert_int_equal(claim(s, "q", 10, 1000, NOW + 999, &out), 0);
	/* The lease ran out: delivered again, attempts 2. */
	assert_int_equal(claim(s, "q", 10, 1000, NOW + 1000, &out), 1);
	assert_non_null(strstr(out.data, "\"now\",\"attempts\":2"));
	/* Now the scheduled one is due, and the lease ran out again. */
	assert_int_equal(claim(s, "q", 10, 1000, NOW + 5000, &out), 2);
	assert_non_null(strstr(out.data, "\"later\",\"attempts\":1"));
	assert_non_null(strstr(out.data, "\"now\",\"attempts\":3"));
	qstore_get_metrics(s, &m);
	assert_int_equal(m.redelivered, 2);
	assert_int_equal(m.claimed, 4);
	/* Acking a message whose lease ran out (it is ready again) still deletes it. */
	keys[0] = k1;
	assert_int_equal(claim(s, "q", 10, 1000, NOW + 7000, &out), 2);
	assert_int_equal(ack(s, "q", keys, 1, &out), 1);
	qstore_queue_stats(s, "q", 1, NOW + 9000, &st);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.leased, 0);
	buf_free(&out);
	qstore_free(s);
}

static void test_bad_inputs(void **state)
{
	struct qstore *s = open_store(NULL, NULL, 0);
	char k[QSTORE_KEY_MAX];
	char *err = NULL;
	int status;
	unsigned n;
	struct buf out;
	char *big = calloc(1, QSTORE_MAX_BODY + 2);

	buf_init(&out, 0);
	/* Before recovery ends nothing is served. */
	assert_int_equal(qstore_enqueue(s, "q", 1, "1", 1, 0, NOW, k, &status, &err), -1);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	assert_int_equal(qstore_enqueue(s, "a/b", 3, "1", 1, 0, NOW, k, &status, &err), -1);
	assert_int_equal(status, 400);
	assert_non_null(strstr(err, "queue name"));
	assert_int_equal(qstore_enqueue(s, "", 0, "1", 1, 0, NOW, k, &status, &err), -1);
	memset(big, '1', QSTORE_MAX_BODY + 1);
	assert_int_equal(
	    qstore_enqueue(s, "q", 1, big, QSTORE_MAX_BODY + 1, 0, NOW, k, &status, &err), -1);
	assert_int_equal(status, 413);
	assert_int_equal(qstore_claim(s, "q", 1, 0, 1000, NOW, &out, &n, &status, &err), -1);
	assert_int_equal(status, 400);
	assert_int_equal(
	    qstore_claim(s, "q", 1, QSTORE_MAX_CLAIM + 1, 1000, NOW, &out, &n, &status, &err), -1);
	assert_int_equal(qstore_claim(s, "q", 1, 1, 0, NOW, &out, &n, &status, &err), -1);
	assert_non_null(strstr(err, "lease"));
	free(err);
	free(big);
	buf_free(&out);
	qstore_free(s);
}

static void test_recovery(void **state)
{
	struct journal *j = jnew(), *j2 = jnew(), *j3 = jnew();
	struct qstore *s = open_store(j, NULL, 0), *s2, *s3;
	char k[QSTORE_KEY_MAX];
	char keys_store[2500][QSTORE_KEY_MAX];
	const char *keys[64];
	struct buf out;
	struct qstore_metrics m;
	struct qstore_queue_stats st;
	char *err = NULL;
	size_t i, ckpts = 0;

	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	for (i = 0; i < 2500; i++)
		enq(s, i % 2 ? "odd" : "even", "\"x\"", i == 7 ? INT64_MAX / 2 : 0, NOW,
		    keys_store[i]);
	/* Ack the first 40 of "even" (counters 1,3,5,...,79 minus the scheduled one). */
	claim(s, "even", 40, 30000, NOW, &out);
	for (i = 0; i < 40; i++)
		keys[i] = keys_store[2 * i];
	assert_int_equal(ack(s, "even", keys, 40, &out), 40);
	for (i = 0; i < j->n; i++)
		ckpts += j->recs[i].data[0] == QSTORE_REC_CHECKPOINT;
	assert_int_equal(ckpts, 2); /* at 1000 and 2000 */
	qstore_free(s);

	s2 = reopen(j, j->n, j2);
	qstore_get_metrics(s2, &m);
	assert_int_equal(m.restart_count, 2);
	assert_int_equal(m.counter, 2500);
	assert_int_equal(m.checkpoint_counter, 2000);
	assert_int_equal(m.walked_keys, 500);
	assert_int_equal(m.live, 2460);
	qstore_queue_stats(s2, "even", 4, NOW, &st);
	assert_int_equal(st.ready, 1250 - 40);
	qstore_queue_stats(s2, "odd", 3, NOW, &st);
	assert_int_equal(st.ready, 1249);
	assert_int_equal(st.scheduled, 1);
	/* Acknowledged messages are gone: acking them again finds nothing. */
	assert_int_equal(ack(s2, "even", keys, 40, &out), 0);
	enq(s2, "odd", "\"y\"", 0, NOW, k);
	assert_string_equal(k, "n1:20251125:2:2501");
	/* A message of the first incarnation acks with its own key. */
	keys[0] = keys_store[1];
	assert_int_equal(ack(s2, "odd", keys, 1, &out), 1);

	/* A third start from the second journal (which begins with the first one's records). */
	s3 = reopen(j2, j2->n, j3);
	qstore_get_metrics(s3, &m);
	assert_int_equal(m.restart_count, 3);
	assert_int_equal(m.counter, 2501);
	assert_int_equal(m.live, 2460);
	qstore_free(s2);
	qstore_free(s3);
	jfree(j);
	jfree(j2);
	jfree(j3);
	buf_free(&out);
}

/* A journal cut anywhere (a crash) recovers a consistent prefix and never reuses a counter. */
static void test_recovery_prefixes(void **state)
{
	struct journal *j = jnew();
	struct qstore *s = open_store(j, NULL, 0);
	char k[QSTORE_KEY_MAX];
	char *err = NULL;
	size_t cut;

	assert_int_equal(qstore_recover_finish(s, &err), 0);
	for (cut = 0; cut < 1100; cut++)
		enq(s, "q", "0", 0, NOW, k);
	qstore_free(s);
	for (cut = 0; cut <= j->n; cut += 97) {
		struct qstore_metrics m;

		s = reopen(j, cut, NULL);
		qstore_get_metrics(s, &m);
		assert_int_equal(m.restart_count, cut ? 2 : 1);
		assert_int_equal(m.counter, cut ? cut - 1 - (cut > 1001) : 0);
		assert_int_equal(m.live, m.counter);
		qstore_free(s);
	}
	jfree(j);
}

static void test_bad_records(void **state)
{
	struct qstore *s = open_store(NULL, NULL, 0);
	char *err = NULL;
	static const uint8_t bad[][8] = {
	    {'Z'}, {'S', 0, 0}, {'E', 0, 0, 0}, {'A', 0, 0}, {'A', 0, 0, 0, 2, 0}};
	size_t i;

	assert_int_equal(qstore_replay(s, 'S', "", 0, &err), -1);
	assert_int_equal(qstore_replay(s, 300, "", 0, &err), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(qstore_replay(s, bad[i][0], bad[i] + 1, sizeof(bad[i]) - 1, &err),
				 -1);
		assert_non_null(err);
	}
	free(err);
	qstore_free(s);
}

static void test_spill(void **state)
{
	char path[] = "/tmp/test_queue_spill.XXXXXX";
	int fd = mkstemp(path);
	struct qstore *s;
	char keys_store[100][QSTORE_KEY_MAX];
	const char *keys[64];
	char body[64];
	struct buf out;
	struct qstore_metrics m;
	char *err = NULL;
	size_t i;

	assert_true(fd >= 0);
	close(fd);
	s = open_store(NULL, path, 10);
	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	for (i = 0; i < 100; i++) {
		snprintf(body, sizeof(body), "\"message %zu\"", i);
		enq(s, "q", body, 0, NOW, keys_store[i]);
	}
	qstore_get_metrics(s, &m);
	assert_int_equal(m.in_memory, 10);
	assert_int_equal(m.spilled, 90);
	assert_true(m.spill_bytes > 0);
	for (i = 0; i < 100; i++) {
		char want[80];

		assert_int_equal(claim(s, "q", 1, 1000, NOW, &out), 1);
		snprintf(want, sizeof(want), "\"body\":\"message %zu\"", i);
		assert_non_null(strstr(out.data, want));
	}
	for (i = 0; i < 100; i += 50) {
		size_t k;

		for (k = 0; k < 50; k++)
			keys[k] = keys_store[i + k];
		assert_int_equal(ack(s, "q", keys, 50, &out), 50);
	}
	qstore_get_metrics(s, &m);
	assert_int_equal(m.live, 0);
	assert_int_equal(m.spill_reads, 90);
	assert_int_equal(m.spill_bytes, 0); /* nothing paged out is alive: truncated */
	buf_free(&out);
	qstore_free(s);
	unlink(path);
}

static void test_snapshot(void **state)
{
	struct journal *j = jnew(), *snap = jnew();
	struct qstore *s = open_store(j, NULL, 0), *s2;
	char keys_store[30][QSTORE_KEY_MAX];
	const char *keys[10];
	struct buf out;
	struct qstore_metrics m;
	char *err = NULL;
	size_t i;

	buf_init(&out, 0);
	assert_int_equal(qstore_recover_finish(s, &err), 0);
	for (i = 0; i < 30; i++)
		enq(s, "q", "[1,2]", 0, NOW, keys_store[i]);
	for (i = 0; i < 10; i++)
		keys[i] = keys_store[3 * i];
	assert_int_equal(ack(s, "q", keys, 10, &out), 10);
	assert_int_equal(qstore_snapshot(s, jemit, snap, &err), 0);
	assert_int_equal(snap->n, 2 + 20);
	s2 = reopen(snap, snap->n, NULL);
	qstore_get_metrics(s2, &m);
	assert_int_equal(m.live, 20);
	assert_int_equal(m.counter, 30);
	assert_int_equal(m.restart_count, 2);
	assert_int_equal(m.walked_keys, 0);
	/* Order survives: the first claim gives counter 2. */
	assert_int_equal(claim(s2, "q", 1, 1000, NOW, &out), 1);
	assert_non_null(strstr(out.data, ":1:2\""));
	qstore_free(s);
	qstore_free(s2);
	jfree(j);
	jfree(snap);
	buf_free(&out);
}

static void test_journal_failure(void **state)
{
	struct journal *j = jnew();
	struct qstore *s = open_store(j, NULL, 0);
	char k[QSTORE_KEY_MAX];
	char *err = NULL;
	int status;
	struct qstore_metrics m;

	assert_int_equal(qstore_recover_finish(s, &err), 0);
	j->fail = 1;
	assert_int_equal(qstore_enqueue(s, "q", 1, "1", 1, 0, NOW, k, &status, &err), -1);
	assert_int_equal(status, 500);
	qstore_get_metrics(s, &m);
	assert_int_equal(m.live, 0); /* not journaled, so not there */
	free(err);
	qstore_free(s);
	jfree(j);
}

static void test_parse_lease(void **state)
{
	int64_t ms;
	char *err = NULL;
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {{"30s", 30000}, {"250ms", 250},    {"2m", 120000}, {"1h", 3600000},
		  {"1500us", 2},  {"12h", 43200000}, {"1ms", 1}};
	static const char *const bad[] = {"",
					  "30",
					  "s",
					  "-1s",
					  "0s",
					  "999us",
					  "13h",
					  "1.5s",
					  "30 s",
					  "30sx",
					  "99999999999999999999s",
					  "1d"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(qstore_parse_lease(ok[i].in, strlen(ok[i].in), &ms, &err), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(qstore_parse_lease(bad[i], strlen(bad[i]), &ms, &err), -1);
		assert_non_null(err);
	}
	free(err);
}

static void test_parse_time(void **state)
{
	int64_t ms;
	char *err = NULL;
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {{"0", 0},
		  {"1764072000000", NOW},
		  {"2025-11-25T12:00:00Z", NOW},
		  {"2025-11-25T12:00:00.25Z", NOW + 250},
		  {"2025-11-25T13:30:00+01:30", NOW},
		  {"2025-11-25T10:00:00-02:00", NOW},
		  {"1970-01-01T00:00:00Z", 0},
		  {"2024-02-29T00:00:00Z", 1709164800000LL}};
	static const char *const bad[] = {"",
					  "x",
					  "-5",
					  "2025-11-25T12:00:00",
					  "2025-13-25T12:00:00Z",
					  "2025-11-25T12:00Z",
					  "2025-11-25T12:00:00+0100",
					  "2025-11-25T12:00:00.Z",
					  "2025-11-25T12:00:00Zjunk",
					  "99999999999999999999",
					  "1960-01-01T00:00:00Z"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(qstore_parse_time(ok[i].in, strlen(ok[i].in), &ms, &err), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(qstore_parse_time(bad[i], strlen(bad[i]), &ms, &err), -1);
		assert_non_null(err);
	}
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enqueue_claim_ack),  cmocka_unit_test(test_bad_keys),
	    cmocka_unit_test(test_schedule_and_lease), cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_recovery),	       cmocka_unit_test(test_recovery_prefixes),
	    cmocka_unit_test(test_bad_records),	       cmocka_unit_test(test_spill),
	    cmocka_unit_test(test_snapshot),	       cmocka_unit_test(test_journal_failure),
	    cmocka_unit_test(test_parse_lease),	       cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
