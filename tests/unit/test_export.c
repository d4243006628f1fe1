/* The Prometheus remote-write body (controller/export.c), decoded back with protobuf-c: every
 * series has sorted labels with run and scenario, counters are cumulative (taken from the
 * total), the attempted-requests counter does not collide with barrage_requests_total, counter
 * names that sanitise to the same name are merged (Prometheus refuses duplicates), quantiles
 * come from the current interval in seconds, and agent health has an agent label. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "controller/export.h"
#include "remote_write.pb-c.h"

static const Prometheus__TimeSeries *find(const Prometheus__WriteRequest *wr, const char *name,
					  const char *lname, const char *lval)
{
	for (size_t i = 0; i < wr->n_timeseries; i++) {
		const Prometheus__TimeSeries *t = wr->timeseries[i];
		bool nm = false, lv = lname == NULL;

		for (size_t k = 0; k < t->n_labels; k++) {
			if (!strcmp(t->labels[k]->name, "__name__") &&
			    !strcmp(t->labels[k]->value, name))
				nm = true;
			if (lname && !strcmp(t->labels[k]->name, lname) &&
			    !strcmp(t->labels[k]->value, lval))
				lv = true;
		}
		if (nm && lv)
			return t;
	}
	return NULL;
}

static void test_encode(void **state)
{
	struct stats_snapshot *cur = stats_new(), *total = stats_new();
	struct stats_health h = {.agent = "local-1", .cpu = 0.5, .cpu_limit = 2, .loop_lag_ms = 3};
	struct buf b;
	Prometheus__WriteRequest *wr;
	const Prometheus__TimeSeries *t;
	int n;

	(void)state;
	for (int i = 1; i <= 100; i++)
		hist_record(stats_hist(cur, "request"), (uint64_t)i * 1000);
	stats_add(cur, "requests", 101);
	stats_add(cur, "http_200", 100);
	stats_add(cur, "error_abort_no credit", 1);
	stats_add(cur, "error_abort_no-credit", 2);
	stats_gauge(cur, "users", 7, 9);
	stats_add_health(cur, &h);
	stats_accumulate(total, cur);
	stats_accumulate(total, cur);
	buf_init(&b, 0);
	n = export_prom_encode(cur, total, "run-1", "voting", 1700000000123, &b);
	assert_true(n > 0);
	wr = prometheus__write_request__unpack(NULL, b.len, (const uint8_t *)b.data);
	assert_non_null(wr);
	assert_int_equal(wr->n_timeseries, (size_t)n);
	for (size_t i = 0; i < wr->n_timeseries; i++) {
		const Prometheus__TimeSeries *s = wr->timeseries[i];
		bool run = false, sc = false;

		assert_int_equal(s->n_samples, 1);
		assert_true(s->samples[0]->timestamp == 1700000000123);
		for (size_t k = 0; k < s->n_labels; k++) {
			if (k > 0)
				assert_true(strcmp(s->labels[k - 1]->name, s->labels[k]->name) < 0);
			run |= !strcmp(s->labels[k]->name, "run") &&
			       !strcmp(s->labels[k]->value, "run-1");
			sc |= !strcmp(s->labels[k]->name, "scenario") &&
			      !strcmp(s->labels[k]->value, "voting");
		}
		assert_true(run && sc);
	}
	t = find(wr, "barrage_requests_total", NULL, NULL);
	assert_non_null(t);
	assert_true(t->samples[0]->value == 200); /* cumulative: two intervals */
	t = find(wr, "barrage_requests_attempted_total", NULL, NULL);
	assert_non_null(t);
	assert_true(t->samples[0]->value == 202);
	t = find(wr, "barrage_http_200_total", NULL, NULL);
	assert_true(t && t->samples[0]->value == 200);
	t = find(wr, "barrage_error_abort_no_credit_total", NULL, NULL);
	assert_true(t && t->samples[0]->value == 6); /* both spellings, twice */
	t = find(wr, "barrage_users", NULL, NULL);
	assert_true(t && t->samples[0]->value == 7);
	t = find(wr, "barrage_duration_seconds", "quantile", "0.99");
	assert_non_null(t);
	assert_true(t->samples[0]->value > 0.0985 && t->samples[0]->value < 0.0995);
	assert_non_null(find(wr, "barrage_duration_seconds", "quantile", "0.999"));
	t = find(wr, "barrage_duration_seconds_count", "stat", "request");
	assert_true(t && t->samples[0]->value == 200);
	t = find(wr, "barrage_duration_seconds_sum", "stat", "request");
	assert_true(t && t->samples[0]->value > 10.09 && t->samples[0]->value < 10.11);
	t = find(wr, "barrage_agent_cpu_ratio", "agent", "local-1");
	assert_true(t && t->samples[0]->value == 0.25);
	t = find(wr, "barrage_agent_loop_lag_seconds", "agent", "local-1");
	assert_true(t && t->samples[0]->value == 0.003);
	prometheus__write_request__free_unpacked(wr, NULL);
	buf_free(&b);
	stats_free(cur);
	stats_free(total);
}

static void test_names(void **state)
{
	char out[64];

	(void)state;
	export_prom_name("http_200", out, sizeof(out));
	assert_string_equal(out, "http_200");
	export_prom_name("error_abort_no credit — \"x\" ü", out, sizeof(out));
	assert_string_equal(out, "error_abort_no_credit_x_");
	export_prom_name("tr_log-in", out, sizeof(out));
	assert_string_equal(out, "tr_log_in");
}

static void test_open_errors(void **state)
{
	struct exporter *e = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(export_open("statsd=x", "r", "s", &e, &err), -1);
	assert_non_null(strstr(err, "expected prometheus-rw=URL"));
	free(err);
	err = NULL;
	assert_int_equal(export_open("prometheus-rw=ftp://x", "r", "s", &e, &err), -1);
	assert_non_null(strstr(err, "http:// or https://"));
	free(err);
	assert_null(e);
	export_close(NULL, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
