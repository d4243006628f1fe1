/* Interval snapshots: merging, accumulation over time, and both codecs — round trips, every
 * truncated prefix rejected, corrupt input rejected with a message and never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/stats.h"

static struct stats_snapshot *sample(uint32_t interval, const char *agent, int scale)
{
	struct stats_snapshot *s = stats_new();
	struct stats_health h = { 0 };
	int i;

	s->interval = interval;
	s->interval_us = 10000000;
	s->nagents = 1;
	for (i = 0; i < 1000 * scale; i++) {
		hist_record(stats_hist(s, "request"), 1000 + (uint64_t)i * 37);
		if (i % 10 == 0)
			hist_record(stats_hist(s, "tr_login"), 50000 + (uint64_t)i);
	}
	stats_add(s, "http_200", 990 * scale);
	stats_add(s, "http_500", 10 * scale);
	stats_add(s, "size_rcv", 123456 * scale);
	stats_gauge(s, "users", 40 * scale, 50 * scale);
	h.agent = (char *)agent;
	h.cpu = 0.5;
	h.cpu_limit = 1;
	h.loop_lag_ms = 1.25;
	h.open_conns = 40;
	h.dropped = 2;
	h.users = 40;
	stats_add_health(s, &h);
	return s;
}

static void assert_same(const struct stats_snapshot *a, const struct stats_snapshot *b)
{
	size_t i;

	assert_int_equal(a->interval, b->interval);
	assert_int_equal(a->interval_us, b->interval_us);
	assert_int_equal(a->nagents, b->nagents);
	assert_int_equal(a->nhists, b->nhists);
	for (i = 0; i < a->nhists; i++) {
		assert_string_equal(a->hists[i].name, b->hists[i].name);
		assert_int_equal(a->hists[i].h->count, b->hists[i].h->count);
		assert_int_equal(a->hists[i].h->sum, b->hists[i].h->sum);
		assert_int_equal(a->hists[i].h->min, b->hists[i].h->min);
		assert_int_equal(a->hists[i].h->max, b->hists[i].h->max);
		assert_memory_equal(a->hists[i].h->counts, b->hists[i].h->counts,
				    sizeof(a->hists[i].h->counts));
	}
	assert_int_equal(a->ncounters, b->ncounters);
	for (i = 0; i < a->ncounters; i++) {
		assert_string_equal(a->counters[i].name, b->counters[i].name);
		assert_int_equal(a->counters[i].kind, b->counters[i].kind);
		assert_int_equal(a->counters[i].value, b->counters[i].value);
		assert_int_equal(a->counters[i].max, b->counters[i].max);
	}
	assert_int_equal(a->nhealth, b->nhealth);
	for (i = 0; i < a->nhealth; i++) {
		assert_string_equal(a->health[i].agent, b->health[i].agent);
		assert_int_equal(a->health[i].dropped, b->health[i].dropped);
		assert_true(a->health[i].cpu == b->health[i].cpu);
	}
}

static void test_merge_and_accumulate(void **state)
{
	struct stats_snapshot *a = sample(3, "local-1", 1), *b = sample(3, "local-2", 2);
	struct stats_snapshot *m = stats_new(), *t = stats_new();

	(void)state;
	assert_int_equal(stats_merge(m, a), 0);
	assert_int_equal(stats_merge(m, b), 0);
	assert_int_equal(stats_find_hist(m, "request")->count, 3000);
	assert_int_equal(stats_find_counter(m, "http_200")->value, 990 * 3);
	assert_int_equal(stats_find_counter(m, "users")->value, 120);
	assert_int_equal(stats_find_counter(m, "users")->max, 150);
	assert_int_equal(m->nagents, 2);
	assert_int_equal(m->nhealth, 2);

	/* Over time, gauges keep the last value and the highest max; counters add. */
	assert_int_equal(stats_accumulate(t, b), 0);
	assert_int_equal(stats_accumulate(t, a), 0);
	assert_int_equal(stats_find_counter(t, "users")->value, 40);
	assert_int_equal(stats_find_counter(t, "users")->max, 100);
	assert_int_equal(stats_find_counter(t, "http_500")->value, 30);
	assert_int_equal(t->nhealth, 2);
	stats_free(a);
	stats_free(b);
	stats_free(m);
	stats_free(t);
}

static void test_binary_roundtrip(void **state)
{
	struct stats_snapshot *a = sample(7, "local-1", 1), *b = stats_new(), *empty = stats_new();
	struct buf enc;
	char *err = NULL;
	size_t n;

	(void)state;
	buf_init(&enc, 0);
	assert_int_equal(stats_encode(a, &enc), 0);
	assert_int_equal(stats_decode(enc.data, enc.len, b, &err), 0);
	assert_null(err);
	assert_same(a, b);

	/* Every truncated prefix is rejected with a message. */
	for (n = 0; n < enc.len; n++) {
		struct stats_snapshot *c = stats_new();

		assert_int_equal(stats_decode(enc.data, n, c, &err), -1);
		assert_non_null(err);
		free(err);
		err = NULL;
		stats_free(c);
	}
	/* Trailing garbage is rejected. */
	buf_append_byte(&enc, 0);
	{
		struct stats_snapshot *c = stats_new();

		assert_int_equal(stats_decode(enc.data, enc.len, c, &err), -1);
		assert_non_null(strstr(err, "trailing"));
		free(err);
		err = NULL;
		stats_free(c);
	}
	/* An empty snapshot still needs a valid interval length. */
	buf_reset(&enc);
	assert_int_equal(stats_encode(empty, &enc), 0);
	assert_int_equal(stats_decode(enc.data, enc.len, b, &err), -1);
	free(err);
	buf_free(&enc);
	stats_free(a);
	stats_free(b);
	stats_free(empty);
}

static void test_binary_corruption(void **state)
{
	struct stats_snapshot *a = sample(1, "agent", 1);
	struct buf enc;
	size_t i;
	int bit;

	(void)state;
	buf_init(&enc, 0);
	assert_int_equal(stats_encode(a, &enc), 0);
	/* Flip every bit in turn: decode either fails cleanly or yields a consistent snapshot. */
	for (i = 0; i < enc.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			struct stats_snapshot *c = stats_new();
			char *err = NULL;
			int rc;

			enc.data[i] ^= (char)(1 << bit);
			rc = stats_decode(enc.data, enc.len, c, &err);
			if (rc == 0) {
				size_t k;

				assert_null(err);
				for (k = 0; k < c->nhists; k++)
					assert_int_equal(hist_check(c->hists[k].h, NULL), 0);
			} else {
				assert_non_null(err);
			}
			free(err);
			stats_free(c);
			enc.data[i] ^= (char)(1 << bit);
		}
	}
	buf_free(&enc);
	stats_free(a);
}

static void test_json_roundtrip(void **state)
{
	struct stats_snapshot *a = sample(9, "load@host#1", 1), *b = stats_new();
	struct buf out;
	json_t *j;
	json_error_t jerr;
	char *err = NULL;

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(stats_to_json(a, &out), 0);
	j = json_loadb(out.data, out.len, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "interval");
	assert_int_equal(stats_from_json(j, b, &err), 0);
	assert_null(err);
	assert_same(a, b);
	json_decref(j);

	/* Bad records are rejected with a message naming the problem. */
	{
		static const char *const bad[] = {
			"[]",
			"{\"i\":1}",
			"{\"i\":-1,\"interval_s\":10}",
			"{\"i\":1,\"interval_s\":10,\"hists\":{\"r\":{\"n\":1,\"sum\":5,\"min\":5,\"max\":5,\"b\":[5]}}}",
			"{\"i\":1,\"interval_s\":10,\"hists\":{\"r\":{\"n\":2,\"sum\":5,\"min\":5,\"max\":5,\"b\":[5,1]}}}",
			"{\"i\":1,\"interval_s\":10,\"hists\":{\"r\":{\"n\":1,\"sum\":5,\"min\":5,\"max\":5,\"b\":[999999,1]}}}",
			"{\"i\":1,\"interval_s\":10,\"counters\":{\"x\":\"1\"}}",
			"{\"i\":1,\"interval_s\":10,\"gauges\":{\"users\":[1]}}",
			"{\"i\":1,\"interval_s\":10,\"agents\":[{\"cpu\":1}]}",
			"{\"i\":1,\"interval_s\":0}",
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			struct stats_snapshot *c = stats_new();

			j = json_loads(bad[k], 0, &jerr);
			assert_non_null(j);
			assert_int_equal(stats_from_json(j, c, &err), -1);
			assert_non_null(err);
			free(err);
			err = NULL;
			json_decref(j);
			stats_free(c);
		}
	}
	buf_free(&out);
	stats_free(a);
	stats_free(b);
}

/* Any UTF-8 text a user may write as a name (spaces, quotes, backslash, tab, non-ASCII) goes
 * through the STATS frame and the stats.log line unchanged; what cannot be represented is
 * refused by both decoders with the reason. */
static void test_names_any_utf8(void **state)
{
	static const char *const good[] = {
	    "error_abort_no credit \xe2\x80\x94 \"x\" \xc3\xbc",
	    "tr_Log in\tnow",
	    "tr_back\\slash 'quoted'",
	    "tr_\xf0\x9f\x9a\x80 rocket",
	    "tr_\xe6\x8a\x95\xe7\xa5\xa8",
	};
	static const struct {
		const char *name;
		size_t bad;
	} badnames[] = {
	    {"tr_\xff", 3},		/* not UTF-8 */
	    {"tr_\xc3", 3},		/* truncated sequence */
	    {"tr_\xc0\xaf", 3},		/* overlong */
	    {"tr_\xed\xa0\x80", 3},	/* surrogate */
	    {"tr_\xf4\x90\x80\x80", 3}, /* past U+10FFFF */
	    {"tr_a\nb", 4},		/* newline */
	    {"tr_a\x7f", 4},		/* DEL */
	    {"tr_\xc2\x85", 3},		/* C1 control (NEL) */
	    {"", 0},
	};
	size_t k, bad;

	(void)state;
	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		struct stats_snapshot *a = stats_new(), *b = stats_new(), *c = stats_new();
		struct buf enc, js;
		json_t *j;
		json_error_t jerr;
		char *err = NULL;

		assert_null(stats_name_problem(good[k], strlen(good[k]), NULL));
		a->interval_us = 1000000;
		a->nagents = 1;
		stats_add(a, good[k], 3);
		hist_record(stats_hist(a, good[k]), 1234);
		buf_init(&enc, 0);
		buf_init(&js, 0);
		assert_int_equal(stats_encode(a, &enc), 0);
		assert_int_equal(stats_decode(enc.data, enc.len, b, &err), 0);
		assert_null(err);
		assert_non_null(stats_find_counter(b, good[k]));
		assert_int_equal(stats_find_counter(b, good[k])->value, 3);
		assert_non_null(stats_find_hist(b, good[k]));
		assert_int_equal(stats_to_json(b, &js), 0);
		j = json_loadb(js.data, js.len, 0, &jerr);
		assert_non_null(j);
		assert_int_equal(stats_from_json(j, c, &err), 0);
		assert_null(err);
		assert_int_equal(stats_find_counter(c, good[k])->value, 3);
		assert_int_equal(stats_find_hist(c, good[k])->count, 1);
		json_decref(j);
		buf_free(&enc);
		buf_free(&js);
		stats_free(a);
		stats_free(b);
		stats_free(c);
	}
	for (k = 0; k < sizeof(badnames) / sizeof(badnames[0]); k++) {
		struct stats_snapshot *a = stats_new(), *b = stats_new();
		struct buf enc;
		char *err = NULL;
		size_t len = strlen(badnames[k].name);

		assert_non_null(stats_name_problem(badnames[k].name, len, &bad));
		assert_int_equal(bad, badnames[k].bad);
		if (len == 0) {
			stats_free(a);
			stats_free(b);
			continue;
		}
		a->interval_us = 1000000;
		stats_add(a, badnames[k].name, 1);
		buf_init(&enc, 0);
		assert_int_equal(stats_encode(a, &enc), 0);
		assert_int_equal(stats_decode(enc.data, enc.len, b, &err), -1);
		assert_non_null(err);
		assert_true(strstr(err, "UTF-8") || strstr(err, "control character"));
		free(err);
		buf_free(&enc);
		stats_free(a);
		stats_free(b);
	}
	/* Longer than STATS_MAX_NAME: refused at the limit. */
	{
		char longname[STATS_MAX_NAME + 2];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_non_null(stats_name_problem(longname, strlen(longname), &bad));
		assert_int_equal(bad, STATS_MAX_NAME);
		assert_null(stats_name_problem(longname, STATS_MAX_NAME, NULL));
	}
}

static void test_reset_keeps_names(void **state)
{
	struct stats_snapshot *a = sample(1, "x", 1);

	(void)state;
	stats_reset(a);
	assert_int_equal(a->nhists, 2);
	assert_int_equal(stats_find_hist(a, "request")->count, 0);
	assert_int_equal(stats_find_counter(a, "http_200")->value, 0);
	assert_int_equal(a->nhealth, 0);
	stats_free(a);
}

/* The failure sentence: the dominant error named in words, none when half or more answered. */
static void test_failure_note(void **state)
{
	struct stats_snapshot *s = stats_new();
	char note[256];

	(void)state;
	assert_false(stats_failure_note(s, note, sizeof(note)));
	assert_string_equal(note, "");
	stats_add(s, "requests", 100);
	stats_add(s, "error_connect", 50);
	assert_false(stats_failure_note(s, note, sizeof(note)));
	stats_add(s, "error_connect", 48);
	assert_true(stats_failure_note(s, note, sizeof(note)));
	assert_string_equal(note, "target refused 98% of connections (error_connect 98 of 100 requests)");
	stats_reset(s);
	stats_add(s, "requests", 10);
	stats_add(s, "error_timeout", 4);
	stats_add(s, "error_cut", 4);
	stats_add(s, "error_expect_status", 2); /* answered: not a failure without a response */
	assert_true(stats_failure_note(s, note, sizeof(note)));
	assert_string_equal(note, "80% of requests got no response (8 of 10)");
	stats_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_accumulate),
		cmocka_unit_test(test_binary_roundtrip),
		cmocka_unit_test(test_binary_corruption),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_reset_keeps_names),
		cmocka_unit_test(test_names_any_utf8),
		cmocka_unit_test(test_failure_note),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
