/* Unit tests for reports/: stats.log reading (exact whole-run merge, truncated prefixes,
 * malformed records), Tsung's figures, threshold measurement, Tsung's number formats, and
 * the report/compare commands on a generated run directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hist.h"
#include "common/stats.h"
#include "common/threshold.h"
#include "controller/cli.h"
#include "reports/reports.h"
#include "reports/format.h"
#include "reports/gnuplot.h"
#include "reports/run.h"
#include "reports/statslog.h"
#include "tests/unit/test_rng.h"

#define NIV	6
#define NAGENTS 3

static char tmpdir[64];

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static const char *header_line =
    "{\"type\":\"header\",\"version\":1,\"name\":\"unit\",\"started_at\":\"2026-11-22T14:00:00Z\","
    "\"start_unix_ms\":1795356000000,\"interval_s\":10.0,"
    "\"thresholds\":[{\"metric\":\"request.p99\",\"condition\":\"< 1s\"}],"
    "\"agents\":[{\"id\":\"a0\",\"host\":\"h\"},{\"id\":\"a1\",\"host\":\"h\"},"
    "{\"id\":\"a2\",\"host\":\"h\"}]}\n";

/* A run of NIV intervals from NAGENTS agents with random request times; interval 3 has no
 * requests at all. ref gets every value, per_iv the per-interval merged histograms. */
static void make_run(struct buf *out, struct hist *ref, struct hist **per_iv)
{
	buf_append_str(out, header_line);
	for (uint32_t i = 0; i < NIV; i++) {
		struct stats_snapshot *merged = stats_new();

		assert_non_null(merged);
		merged->interval = i;
		merged->interval_us = 10000000;
		for (int a = 0; a < NAGENTS; a++) {
			struct stats_snapshot *s = stats_new();
			struct stats_health h = {0};
			char id[16];
			int n = i == 3 ? 0 : 50 + (int)(rnd() % 200);

			assert_non_null(s);
			s->interval = i;
			s->interval_us = 10000000;
			s->nagents = 1;
			for (int k = 0; k < n; k++) {
				/* 100 us to ~2 s, spread over many buckets */
				uint64_t v = 100 + rnd() % (1u << (7 + rnd() % 14));

				hist_record(stats_hist(s, "request"), v);
				hist_record(ref, v);
				hist_record(per_iv[i], v);
			}
			stats_add(s, "http_200", n);
			stats_add(s, "size_rcv", n * 100);
			stats_gauge(s, "users", a + (int)i, a + (int)i + 1);
			snprintf(id, sizeof(id), "a%d", a);
			h.agent = id;
			h.cpu = 0.1 * (a + 1);
			h.cpu_limit = 1;
			h.saturated = a == 2 && i == 4;
			stats_add_health(s, &h);
			assert_int_equal(stats_merge(merged, s), 0);
			stats_free(s);
		}
		assert_int_equal(stats_to_json(merged, out), 0);
		buf_append_str(out, "\n");
		stats_free(merged);
	}
	buf_append_str(out,
		       "{\"type\":\"end\",\"ended_at\":\"2026-11-22T14:01:00Z\",\"duration_s\":60,"
		       "\"reason\":\"completed\",\"exit_code\":0}\n");
}

/* make_run's output and what it recorded, for the tests that read a whole run back. */
struct sample_run {
	struct hist *ref;	  /* every value */
	struct hist *per_iv[NIV]; /* per interval, merged over the agents */
	struct buf b;		  /* the stats.log text */
};

static void sample_run_make(struct sample_run *r)
{
	r->ref = hist_new();
	for (int i = 0; i < NIV; i++)
		r->per_iv[i] = hist_new();
	buf_init(&r->b, 0);
	make_run(&r->b, r->ref, r->per_iv);
}

static void sample_run_free(struct sample_run *r)
{
	buf_free(&r->b);
	hist_free(r->ref);
	for (int i = 0; i < NIV; i++)
		hist_free(r->per_iv[i]);
}

static void test_exact_merge(void **state)
{
	struct sample_run r;
	struct hist *ref, **per_iv;
	struct reports_run *run = NULL;
	char path[128], *err = NULL;
	const struct reports_hist *rh;
	double maxmean = 0, minmean = 1e18, maxrate = 0, sumrate = 0;

	(void)state;
	sample_run_make(&r);
	ref = r.ref;
	per_iv = r.per_iv;
	snprintf(path, sizeof(path), "%s/stats.log", tmpdir);
	write_text(path, r.b.data, r.b.len);
	assert_int_equal(reports_run_load(path, &run, &err), 0);
	assert_null(err);
	assert_false(run->truncated);
	assert_true(run->saturated);
	assert_int_equal(run->niv, NIV);
	rh = reports_run_hist(run, "request");
	assert_non_null(rh);
	/* The whole-run histogram is exactly the histogram of every value. */
	assert_int_equal(rh->total->count, ref->count);
	assert_int_equal(rh->total->sum, ref->sum);
	assert_int_equal(rh->total->min, ref->min);
	assert_int_equal(rh->total->max, ref->max);
	for (double p = 1; p < 100; p += 0.7)
		assert_int_equal(hist_percentile(rh->total, p), hist_percentile(ref, p));
	assert_int_equal(hist_percentile(rh->total, 99.9), hist_percentile(ref, 99.9));
	/* Tsung's figures from the per-interval histograms. */
	for (int i = 0; i < NIV; i++) {
		double rate = (double)per_iv[i]->count / 10.0;
		double mean = hist_mean(per_iv[i]) / 1000.0;

		assert_true(fabs(rh->n[i] - (double)per_iv[i]->count) < 1e-9);
		assert_true(fabs(rh->p95_ms[i] - (double)hist_percentile(per_iv[i], 95) / 1000.0) <
			    1e-9);
		if (rate > maxrate)
			maxrate = rate;
		sumrate += rate;
		if (mean > maxmean)
			maxmean = mean;
		if (per_iv[i]->count && mean < minmean)
			minmean = mean;
	}
	assert_true(fabs(rh->t_max_rate - maxrate) < 1e-9);
	assert_true(fabs(rh->t_mean_rate - sumrate / NIV) < 1e-9);
	assert_true(fabs(rh->t_maxmean_ms - maxmean) < 1e-9);
	assert_true(fabs(rh->t_minmean_ms - minmean) < 1e-9);
	/* Counters, gauges, health. */
	assert_int_equal(reports_run_counter(run, "http_200")->total, (int64_t)ref->count);
	assert_int_equal(reports_run_counter(run, "users")->max, 0 + 1 + 2 + 3 * (NIV - 1) + 3);
	assert_int_equal(run->nagents_list, 3);
	assert_true(run->agents[2].saturated);
	assert_false(run->agents[0].saturated);
	assert_true(fabs(run->agents[2].cpu_max - 0.3) < 1e-9);
	/* The threshold from the header was evaluated on the merged total. */
	assert_int_equal(run->nthresholds, 1);
	assert_true(run->thresholds[0].has_value);
	assert_true(fabs(run->thresholds[0].value - (double)hist_percentile(ref, 99) / 1000.0) <
		    1e-9);
	reports_run_free(run);
	sample_run_free(&r);
}

/* Every prefix of a valid stats.log (sampled) either loads as a truncated run or, when the
 * header itself is cut, fails with a message: never a crash. */
static void test_truncated_prefixes(void **state)
{
	struct sample_run r;
	char path[128];
	size_t hlen = strlen(header_line);

	(void)state;
	sample_run_make(&r);
	snprintf(path, sizeof(path), "%s/prefix.log", tmpdir);
	for (size_t len = 0; len < r.b.len; len += len < hlen + 50 ? 13 : r.b.len / 97 + 1) {
		struct reports_run *run = NULL;
		char *err = NULL;
		int rc;

		write_text(path, r.b.data, len);
		rc = reports_run_load(path, &run, &err);
		if (len < hlen) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
		} else {
			if (rc != 0)
				fail_msg("prefix %zu: %s", len, err);
			assert_true(run->truncated);
		}
		reports_run_free(run);
		free(err);
	}
	sample_run_free(&r);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{}\n",
	    "[1,2]\n",
	    "{\"type\":\"interval\",\"i\":0}\n",
	    "HDR{\"type\":\"interval\",\"i\":0,\"interval_s\":10,\"hists\":{\"x\":{\"n\":1}}}\n{}"
	    "\n",
	    "HDR{\"type\":\"interval\",\"i\":0,\"interval_s\":10,\"hists\":{\"x\":{\"n\":1,\"sum\":"
	    "1,\"min\":1,\"max\":1,\"b\":[999999999,1]}}}\n",
	    "HDR{\"type\":\"interval\",\"i\":1e3}\n",
	    "HDR{\"type\":\"interval\",\"i\":0,\"interval_s\":10,\"counters\":{\"x\":\"y\"}}\n",
	    "HDR{\"type\":\"interval\",\"i\":0,\"interval_s\":10,\"gauges\":{\"u\":[1]}}\n",
	    "HDRnot json\n{\"type\":\"end\"}\n",
	    "{\"type\":\"header\",\"interval_s\":-1}\n",
	    "{\"type\":\"header\",\"interval_s\":10,\"thresholds\":[{\"metric\":1}]}\n",
	};
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.log", tmpdir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;
		struct reports_run *run = NULL;
		char *err = NULL;
		const char *hdr = strstr(bad[i], "HDR");

		buf_init(&b, 0);
		if (hdr) {
			buf_append_str(&b, header_line);
			buf_append_str(&b, bad[i] + 3);
		} else {
			buf_append_str(&b, bad[i]);
		}
		write_text(path, b.data ? b.data : "", b.len);
		if (reports_run_load(path, &run, &err) == 0)
			fail_msg("case %zu loaded: %s", i, bad[i]);
		assert_non_null(err);
		assert_non_null(strstr(err, "bad.log"));
		free(err);
		buf_free(&b);
	}
}

/* Parse METRIC CONDITION into t and measure it on s over 10 s: both must succeed. */
static double measured(struct threshold *t, const char *metric, const char *condition,
		       const struct stats_snapshot *s)
{
	char *err = NULL;
	double v = -1;

	assert_int_equal(threshold_parse(metric, condition, t, &err, NULL), 0);
	assert_int_equal(reports_threshold_measure(t, s, 10, &v), 0);
	return v;
}

static void test_threshold_measure(void **state)
{
	struct stats_snapshot *s = stats_new();
	struct threshold t;
	double v;
	char *err = NULL;

	(void)state;
	for (int i = 1; i <= 100; i++)
		hist_record(stats_hist(s, "request"), (uint64_t)i * 100);
	stats_add(s, "http_200", 94);
	stats_add(s, "http_500", 3);
	stats_add(s, "http_503", 2);
	stats_add(s, "http_404", 1);
	stats_add(s, "error_timeout", 2);

	v = measured(&t, "http_5xx.count", "== 0", s);
	assert_true(v == 5);
	assert_false(reports_threshold_check(&t, s, 10, &v));
	/* Failed over attempted: 100 responses and 2 timeouts are 102 attempts. */
	v = measured(&t, "errors.rate", "< 1%", s);
	assert_true(fabs(v - 2.0 / 102) < 1e-12);
	v = measured(&t, "errors.rate", "< 5/s", s);
	assert_true(fabs(v - 0.2) < 1e-12);
	v = measured(&t, "request.rate", "> 5/s", s);
	assert_true(v == 10);
	v = measured(&t, "request.p95", "< 200ms", s);
	assert_true(fabs(v - 9.5) < 0.01); /* 3 significant digits */
	v = measured(&t, "request.p99.9", "< 200ms", s);
	assert_true(fabs(v - 10.0) < 1e-9);
	v = measured(&t, "request.mean", "< 200ms", s);
	assert_true(fabs(v - 5.05) < 1e-9);
	/* A counter never counted is zero; a timing never timed has no data (and the per-interval
	 * check lets it pass until it has). */
	v = measured(&t, "error_tls.count", "== 0", s);
	assert_true(v == 0);
	assert_int_equal(threshold_parse("tr_login.p99", "< 1s", &t, &err, NULL), 0);
	assert_int_equal(reports_threshold_measure(&t, s, 10, &v), -1);
	assert_true(reports_threshold_check(&t, s, 10, &v));
	assert_int_equal(reports_threshold_measure(&t, NULL, 10, &v), -1);
	stats_free(s);
}

/* errors.rate's basis: every error_* is a failed attempt (whatever its name, so counters added
 * later count too), a response that failed its expectation is not also a success, users who
 * never started are beside it, and the rate never passes 100%. */
static void test_attempts(void **state)
{
	struct stats_snapshot *s = stats_new();
	struct reports_attempts a;
	struct threshold t;
	double v;
	char *err = NULL;

	(void)state;
	stats_add(s, "http_200", 10);
	stats_add(s, "http_500", 2);
	stats_add(s, "error_expect_status", 2);	 /* the two 500s */
	stats_add(s, "error_capture_x", 3);	 /* on three of the 200s */
	stats_add(s, "error_connect", 4);	 /* no response */
	stats_add(s, "error_cut", 1);		 /* a name this code does not know */
	stats_add(s, "error_data_exhausted", 5); /* users refused at start */
	stats_add(s, "dropped_users", 5);
	stats_gauge(s, "users", 3, 4);
	reports_attempts(s, &a);
	assert_int_equal(a.failed, 2 + 3 + 4 + 1);
	assert_int_equal(a.attempted, (12 - 2) + 10);
	assert_int_equal(a.dropped, 5);
	v = measured(&t, "errors.rate", "< 1%", s);
	assert_true(fabs(v - 0.5) < 1e-12);
	v = measured(&t, "errors.count", "== 0", s);
	assert_true(v == 10);

	/* Gauges: .max the highest value, .count the value now; no timing field. */
	assert_int_equal(threshold_parse("users.max", "<= 4", &t, &err, NULL), 0);
	assert_int_equal(t.unit, THRESHOLD_UNIT_COUNT);
	assert_int_equal(reports_threshold_measure(&t, s, 10, &v), 0);
	assert_true(v == 4);
	v = measured(&t, "users.count", "<= 4", s);
	assert_true(v == 3);
	assert_int_equal(threshold_parse("connected.max", "< 1", &t, &err, NULL), 0);
	assert_int_equal(reports_threshold_measure(&t, s, 10, &v), -1); /* not recorded */
	assert_int_equal(threshold_parse("users.p95", "< 1s", &t, &err, NULL), -1);
	assert_non_null(strstr(err, "users is a gauge"));
	free(err);
	err = NULL;
	/* Names with dots, spaces and UTF-8: the field follows the last dot. */
	assert_int_equal(threshold_parse("tr_v1.2 \xc3\xbc.p95", "< 1s", &t, &err, NULL), 0);
	assert_string_equal(t.stat, "tr_v1.2 \xc3\xbc");
	assert_string_equal(t.field, "p95");
	assert_int_equal(threshold_parse("tr_a.b.p99.9", "< 1s", &t, &err, NULL), 0);
	assert_string_equal(t.stat, "tr_a.b");
	assert_string_equal(t.field, "p999");
	assert_int_equal(threshold_parse("tr_a\x01.p95", "< 1s", &t, &err, NULL), -1);
	free(err);
	err = NULL;
	stats_free(s);

	/* Only failures: 100%, not more. */
	s = stats_new();
	stats_add(s, "error_render", 1000);
	stats_add(s, "error_timeout", 7);
	reports_attempts(s, &a);
	assert_int_equal(a.attempted, 1007);
	v = measured(&t, "errors.rate", "< 1%", s);
	assert_true(v == 1.0);
	stats_free(s);

	/* Nothing attempted (every user dropped): no error rate, but the drops are known. */
	s = stats_new();
	stats_add(s, "error_data_exhausted", 3);
	stats_add(s, "dropped_users", 3);
	reports_attempts(s, &a);
	assert_int_equal(a.attempted, 0);
	assert_int_equal(a.dropped, 3);
	assert_int_equal(reports_threshold_measure(&t, s, 10, &v), -1);
	stats_free(s);
}

static void test_formats(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 0.75), "0.750 msec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 1.5), "1.50 msec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 99.994), "99.99 msec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 5470), "5.47 sec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 125000), "2mn  5sec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 3725000), "1 h 2mn  5sec");
	assert_string_equal(reports_fmt_tsung_time(b, sizeof(b), 0), "");
	assert_string_equal(reports_fmt_tsung_size(b, sizeof(b), 16384, "bits"), "16.00 Kbits");
	assert_string_equal(reports_fmt_tsung_size(b, sizeof(b), 3500, "B"), "3.42 KB");
	assert_string_equal(reports_fmt_tsung_size(b, sizeof(b), 1000, "B"), "1000 B");
	assert_string_equal(reports_fmt_tsung_size(b, sizeof(b), 11.04 * 1048576, "B"), "11.04 MB");
	assert_string_equal(reports_fmt_ms(b, sizeof(b), 0.5), "0.500 ms");
	assert_string_equal(reports_fmt_ms(b, sizeof(b), 32.28), "32.28 ms");
	assert_string_equal(reports_fmt_ms(b, sizeof(b), 121.9), "121.9 ms");
	assert_string_equal(reports_fmt_ms(b, sizeof(b), 5490.7), "5.49 s");
	assert_string_equal(reports_fmt_bytes(b, sizeof(b), 35840), "35.00 KiB");
}

static void test_build_and_compare(void **state)
{
	struct sample_run r;
	struct reports_result res;
	char path[128], *err = NULL;
	json_t *sum;
	json_error_t jerr;
	char *ok_argv[] = {"compare",	     tmpdir, tmpdir, "--max-regression",
			   "p95=1%,rate=1%", "-q",   NULL};
	char *bad_argv[] = {"compare", tmpdir, tmpdir, "--max-regression", "p95=1", NULL};
	char *rep_argv[] = {"report", "-q", tmpdir, NULL};

	(void)state;
	sample_run_make(&r);
	snprintf(path, sizeof(path), "%s/stats.log", tmpdir);
	write_text(path, r.b.data, r.b.len);
	setenv("BARRAGE_GNUPLOT", "/nonexistent/gnuplot", 1);
	assert_int_equal(reports_build(tmpdir, true, &res, &err), 0);
	assert_int_equal(res.thresholds, 1);
	assert_int_equal(res.thresholds_failed, 0);
	assert_true(res.saturated);
	assert_false(res.truncated);
	snprintf(path, sizeof(path), "%s/summary.json", tmpdir);
	sum = json_load_file(path, 0, &jerr);
	assert_non_null(sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "version")), 1);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(sum, "stats"), "request"), "count")),
			 (json_int_t)r.ref->count);
	json_decref(sum);
	snprintf(path, sizeof(path), "%s/junit.xml", tmpdir);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(cli_report_main(3, rep_argv), 0);
	assert_int_equal(cli_compare_main(6, ok_argv), 0);
	assert_int_equal(cli_compare_main(5, bad_argv), 2);
	assert_int_equal(reports_print_summary("/nonexistent", &err), -1);
	free(err);
	sample_run_free(&r);
}

/* A gnuplot that exits without reading its script: the script is 8 times the capacity of a
 * pipe (64 KiB), so the write surely blocks on a full pipe until the reader is gone and then
 * fails with EPIPE, whatever the timing. The chart fails with a reason, the process lives on
 * (SIGPIPE ignored, as the controller's main() does). */
static void test_gnuplot_stops_reading(void **state)
{
	struct buf script, out;
	char *err = NULL;

	(void)state;
	buf_init(&script, 0);
	buf_init(&out, 0);
	for (int i = 0; i < 10 * 1024; i++)
		buf_printf(&script,
			   "# line %05d of a script nobody reads: padding padding padding\n", i);
	assert_true(script.len > 8 * 65536);
	setenv("BARRAGE_GNUPLOT", "true", 1);
	assert_int_equal(reports_gnuplot_svg(script.data, "c1_", &out, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, "true did not read the whole chart script: Broken pipe");
	assert_int_equal(out.len, 0);
	free(err);
	err = NULL;
	/* Missing: the exit status (127) says more than the broken pipe. */
	setenv("BARRAGE_GNUPLOT", "/nonexistent/gnuplot", 1);
	assert_int_equal(reports_gnuplot_svg(script.data, "c1_", &out, &err), -1);
	assert_string_equal(err, "cannot run /nonexistent/gnuplot (is gnuplot installed?)");
	free(err);
	err = NULL;
	setenv("BARRAGE_GNUPLOT", "false", 1);
	assert_int_equal(reports_gnuplot_svg("plot 1", "c1_", &out, &err), -1);
	assert_string_equal(err, "false exited with status 1");
	free(err);
	buf_free(&script);
	buf_free(&out);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/barrage-test-reports-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_merge),	      cmocka_unit_test(test_truncated_prefixes),
	    cmocka_unit_test(test_malformed),	      cmocka_unit_test(test_threshold_measure),
	    cmocka_unit_test(test_attempts),	      cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_build_and_compare), cmocka_unit_test(test_gnuplot_stops_reading),
	};

	/* As the controller's main() does: a dead gnuplot is an EPIPE to handle, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	return cmocka_run_group_tests(tests, setup, teardown);
}
