/* Building a run directory's reports (for `barrage run` and `barrage report`), and the final
 * console table.
 *
 * reports_build is the one step both `barrage run` (at the end) and `barrage report RUN_DIR`
 * (afterwards) perform: read stats.log, write summary.json, tsung.log, report.html and, when the
 * scenario has thresholds, junit.xml, and print one verdict line per threshold. */
#include "reports/reports.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "reports/format.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/monitor_report.h"
#include "reports/reasons.h"
#include "reports/run.h"
#include "reports/statslog.h"
#include "reports/summary.h"
#include "reports/thresholds.h"
#include "reports/tsunglog.h"

static int join(char *out, size_t size, const char *dir, const char *file)
{
	int n = snprintf(out, size, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void print_verdicts(const struct reports_run *run)
{
	for (size_t i = 0; i < run->nthresholds; i++) {
		const struct reports_threshold *t = &run->thresholds[i];
		char v[256];

		reports_threshold_value_str(v, sizeof(v), t);
		printf("threshold %-4s %s %s (measured %s)\n", t->ok ? "ok" : "FAIL", t->metric,
		       t->condition, v);
	}
	if (run->nthresholds)
		printf("thresholds: %zu passed, %d failed\n",
		       run->nthresholds - (size_t)run->thresholds_failed, run->thresholds_failed);
}

/* Returns 0, -1 (stats.log unreadable or malformed: the user's input) or -2 (cannot write). */
static int build(const char *run_dir, bool quiet, struct reports_result *res, char **err)
{
	char path[4096];
	struct reports_run *run = NULL;
	char *charts_why = NULL;
	int rc = -2;

	if (res)
		memset(res, 0, sizeof(*res));
	if (join(path, sizeof(path), run_dir, "stats.log") < 0)
		return err_set(err, "%s: path too long", run_dir);
	if (reports_run_load(path, &run, err) < 0)
		return -1;
	reports_run_load_reasons(run, run_dir);
	for (size_t i = 0; i < run->nnotices; i++)
		log_warn("%s", run->notices[i]);
	if (join(path, sizeof(path), run_dir, "summary.json") < 0 ||
	    reports_summary_write(run, path, err) < 0)
		goto out;
	if (join(path, sizeof(path), run_dir, "tsung.log") < 0 ||
	    reports_tsunglog_write(run, path, err) < 0)
		goto out;
	if (join(path, sizeof(path), run_dir, "report.html") < 0 ||
	    reports_html_write(run, path, err, &charts_why) < 0)
		goto out;
	/* Charts are an extra: without gnuplot the report has every table, and says so. */
	if (charts_why)
		log_warn("gnuplot failed: %s; report written without charts", charts_why);
	if (run->nthresholds && (join(path, sizeof(path), run_dir, "junit.xml") < 0 ||
				 reports_junit_write(run, path, err) < 0))
		goto out;
	if (!quiet)
		print_verdicts(run);
	if (res) {
		res->thresholds = (int)run->nthresholds;
		res->thresholds_failed = run->thresholds_failed;
		res->truncated = run->truncated;
		res->saturated = run->saturated;
	}
	rc = 0;
out:
	free(charts_why);
	reports_run_free(run);
	return rc;
}

int reports_build(const char *run_dir, bool quiet, struct reports_result *res, char **err)
{
	return build(run_dir, quiet, res, err);
}

/* ---- the console table ---- */

static double jnum(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

int reports_print_summary(const char *run_dir, char **err)
{
	char path[4096];
	json_error_t jerr;
	json_t *root, *stats, *st, *o, *v;
	const char *name;
	char a[32], b[32];

	if (join(path, sizeof(path), run_dir, "summary.json") < 0)
		return err_set(err, "%s: path too long", run_dir);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		return err_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	printf("\n%-18s %10s %10s %10s %10s %10s %10s %10s %10s %10s\n", "statistic", "count",
	       "rate/s", "mean", "p50", "p90", "p95", "p99", "p99.9", "max");
	stats = json_object_get(root, "stats");
	json_object_foreach(stats, name, st)
	{
		static const char *const keys[] = {"mean_ms", "p50_ms",	 "p90_ms", "p95_ms",
						   "p99_ms",  "p999_ms", "max_ms"};

		if (jnum(st, "count") == 0)
			continue;
		reports_print_name(name, 18);
		printf(" %10.0f %10.1f", jnum(st, "count"), jnum(st, "rate"));
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			printf(" %10s", reports_fmt_ms(a, sizeof(a), jnum(st, keys[k])));
		printf("\n");
	}
	o = json_object_get(root, "counters");
	printf("\ncounters:");
	json_object_foreach(o, name, v)
	{
		if (strncmp(name, "size_", 5) == 0)
			printf("  %s %s", name,
			       reports_fmt_bytes(a, sizeof(a), (double)json_integer_value(v)));
		else
			printf("  %s %lld", name, (long long)json_integer_value(v));
	}
	o = json_object_get(root, "gauges");
	json_object_foreach(o, name, v) printf(
	    "  %s(max) %lld", name, (long long)json_integer_value(json_object_get(v, "max")));
	printf("\n");
	o = json_object_get(root, "http_status");
	if (json_object_size(o)) {
		printf("http status:");
		json_object_foreach(o, name, v)
		    printf("  %s: %lld", name, (long long)json_integer_value(v));
		printf("\n");
	}
	o = json_object_get(root, "errors");
	if (json_object_size(o)) {
		printf("errors:");
		json_object_foreach(o, name, v)
		    printf("  %s: %lld", name, (long long)json_integer_value(v));
		printf("\n");
	} else {
		printf("errors: none\n");
	}
	{
		long long failed = json_integer_value(json_object_get(root, "failed_attempts"));
		long long attempts = json_integer_value(json_object_get(root, "attempts"));

		printf("error rate %.3g%% (%lld failed of %lld attempts); dropped users %lld\n",
		       attempts > 0 ? 100.0 * (double)failed / (double)attempts : 0.0, failed,
		       attempts,
		       (long long)json_integer_value(json_object_get(root, "dropped_users")));
	}
	if (json_is_true(json_object_get(root, "saturated")))
		printf("WARNING: an agent was saturated: see report.html (Agents); its figures "
		       "measure the load generator, not the target\n");
	if (json_is_true(json_object_get(root, "truncated")))
		printf("WARNING: the run did not finish (stats.log has no end record): the figures "
		       "cover the %lld intervals written\n",
		       (long long)json_integer_value(json_object_get(root, "intervals")));
	if (json_integer_value(json_object_get(json_object_get(root, "uncounted"), "requests_max")))
		printf("WARNING: agents were lost: up to %lld of their requests could not be "
		       "counted (the intervals that miss their statistics are marked in "
		       "report.html)\n",
		       (long long)json_integer_value(
			   json_object_get(json_object_get(root, "uncounted"), "requests_max")));
	reports_monitor_print(json_object_get(root, "monitor"), stdout);
	snprintf(b, sizeof(b), "%.1f s", jnum(root, "duration_s"));
	printf("duration %s; report: %s/report.html\n", b, run_dir);
	json_decref(root);
	return 0;
}
