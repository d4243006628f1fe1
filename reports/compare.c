/* `barrage compare BASE NEW [--max-regression p95=10%,rate=5%] [--out FILE]`
 *
 * Two runs side by side: every statistic's count, rate, mean, percentiles and max, every
 * counter, status code and error, with the absolute and relative change, as text on stdout
 * and as compare.html (in NEW unless --out). Each run is read from its stats.log (the same
 * computation as its summary.json) or, when it has none, from its summary.json, so a stored
 * baseline can be just that file.
 *
 * Limits: `FIELD=P%` applies to request.FIELD; `STAT.FIELD=P%` to any timing statistic.
 * Latency fields (mean, p50, p90, p95, p99, p999, max) regress when they grow by more than P%;
 * rate and count when they shrink by more than P%; `errors=P%` when the error rate (summary's
 * error_rate: failed attempts / attempts) grows by more than P percentage points. Exit 1 when a
 * limit is exceeded. */
#include "reports/reports.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "reports/format.h"
#include "reports/output.h"
#include "reports/run.h"
#include "reports/statslog.h"
#include "reports/summary.h"

#define COMPARE_MAX_LIMITS 64

struct limit {
	char stat[128];
	char field[16];
	double pct;
	bool errors;
	/* result */
	bool checked, exceeded;
	double change_pct;
	char why[160];
};

static const char *const fields[] = {"count",  "rate",	 "mean_ms", "p50_ms", "p90_ms",
				     "p95_ms", "p99_ms", "p999_ms", "max_ms"};

static json_t *load_run(const char *dir, char **err)
{
	char path[4096];
	struct stat st;
	struct reports_run *run = NULL;
	json_t *j;
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/stats.log", dir);
	if (stat(path, &st) == 0) {
		if (reports_run_load(path, &run, err) < 0)
			return NULL;
		j = reports_summary_json(run);
		reports_run_free(run);
		return j;
	}
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	j = json_load_file(path, 0, &jerr);
	if (!j) {
		err_set(err, "%s: no stats.log, and summary.json: %s", dir, jerr.text);
		return NULL;
	}
	if (json_integer_value(json_object_get(j, "version")) != 1) {
		json_decref(j);
		err_set(err, "%s/summary.json: unsupported \"version\" (expected 1)", dir);
		return NULL;
	}
	return j;
}

static bool latency_field(const char *f)
{
	return strcmp(f, "count") != 0 && strcmp(f, "rate") != 0;
}

static int parse_limits(const char *spec, struct limit *lim, size_t *n, char **err)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int rc = -1;

	if (!copy)
		return err_set(err, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *dot, *end;
		struct limit *l;
		double v;
		size_t len;

		if (*n >= COMPARE_MAX_LIMITS) {
			err_set(err, "--max-regression: more than %d limits", COMPARE_MAX_LIMITS);
			goto out;
		}
		if (!eq || eq == tok) {
			err_set(err, "--max-regression: '%s' must be FIELD=PERCENT, e.g. p95=10%%",
				tok);
			goto out;
		}
		*eq = '\0';
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || strcmp(end, "%") != 0 || !(v >= 0) || !isfinite(v)) {
			err_set(err, "--max-regression: %s=%s: expected a percentage like 10%%",
				tok, eq + 1);
			goto out;
		}
		l = &lim[(*n)++];
		memset(l, 0, sizeof(*l));
		l->pct = v;
		dot = strrchr(tok, '.');
		if (strcmp(tok, "errors") == 0 || strcmp(tok, "errors.rate") == 0) {
			l->errors = true;
			snprintf(l->stat, sizeof(l->stat), "errors");
			snprintf(l->field, sizeof(l->field), "rate");
			continue;
		}
		if (dot) {
			len = (size_t)(dot - tok);
			if (len == 0 || len >= sizeof(l->stat)) {
				err_set(err, "--max-regression: '%s': bad statistic name", tok);
				goto out;
			}
			memcpy(l->stat, tok, len);
			l->stat[len] = '\0';
			tok = dot + 1;
		} else {
			snprintf(l->stat, sizeof(l->stat), "request");
		}
		if (strcmp(tok, "p99.9") == 0)
			tok = "p999";
		if (strcmp(tok, "rate") == 0 || strcmp(tok, "count") == 0)
			snprintf(l->field, sizeof(l->field), "%s", tok);
		else if (strcmp(tok, "mean") == 0 || strcmp(tok, "max") == 0 ||
			 strcmp(tok, "p50") == 0 || strcmp(tok, "p90") == 0 ||
			 strcmp(tok, "p95") == 0 || strcmp(tok, "p99") == 0 ||
			 strcmp(tok, "p999") == 0)
			snprintf(l->field, sizeof(l->field), "%s_ms", tok);
		else {
			err_set(err,
				"--max-regression: unknown field '%s' (use mean, p50, p90, p95, "
				"p99, p999, max, rate, count or errors)",
				tok);
			goto out;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static double field(json_t *run, const char *stat, const char *f, bool *found)
{
	json_t *v = json_object_get(json_object_get(json_object_get(run, "stats"), stat), f);

	*found = json_is_number(v);
	return json_number_value(v);
}

static void check_limit(struct limit *l, json_t *base, json_t *cand)
{
	double b, c;
	bool fb, fc;

	l->checked = true;
	if (l->errors) {
		b = json_number_value(json_object_get(base, "error_rate")) * 100;
		c = json_number_value(json_object_get(cand, "error_rate")) * 100;
		l->change_pct = c - b;
		l->exceeded = c - b > l->pct;
		snprintf(l->why, sizeof(l->why),
			 "error rate %.3g%% -> %.3g%% (%+.3g points, limit %g)", b, c, c - b,
			 l->pct);
		return;
	}
	b = field(base, l->stat, l->field, &fb);
	c = field(cand, l->stat, l->field, &fc);
	if (!fb || !fc) {
		l->exceeded = true;
		/* The return value is checked only to say that a cut message is acceptable. */
		if (snprintf(l->why, sizeof(l->why), "%s.%s missing in the %s run", l->stat,
			     l->field, !fb ? "base" : "new") >= (int)sizeof(l->why))
			l->why[sizeof(l->why) - 1] = '\0';
		return;
	}
	if (latency_field(l->field))
		l->change_pct = b > 0 ? (c - b) / b * 100 : (c > 0 ? INFINITY : 0);
	else
		l->change_pct = b > 0 ? (b - c) / b * 100 : 0;
	l->exceeded = l->change_pct > l->pct;
	if (snprintf(l->why, sizeof(l->why), "%s.%s %.6g -> %.6g (%s %.1f%%, limit %g%%)", l->stat,
		     l->field, b, c, latency_field(l->field) ? "up" : "down", l->change_pct,
		     l->pct) >= (int)sizeof(l->why))
		l->why[sizeof(l->why) - 1] = '\0';
}

/* One comparison row: text (unless quiet) and HTML. */
struct out {
	struct buf html;
	bool quiet;
};

static void row(struct out *o, const char *metric, const char *unit, bool hb, double b, bool hc,
		double c, bool higher_worse)
{
	char sb[32], sc[32], sd[32], sp[32];
	double d = c - b;
	double p = hb && b != 0 ? d / fabs(b) * 100 : NAN;
	const char *cls = "";

	if (hb)
		snprintf(sb, sizeof(sb), "%.6g%s", b, unit);
	else
		snprintf(sb, sizeof(sb), "-");
	if (hc)
		snprintf(sc, sizeof(sc), "%.6g%s", c, unit);
	else
		snprintf(sc, sizeof(sc), "-");
	if (hb && hc)
		snprintf(sd, sizeof(sd), "%+.6g%s", d, unit);
	else
		sd[0] = '\0';
	if (isfinite(p))
		snprintf(sp, sizeof(sp), "%+.1f%%", p);
	else
		snprintf(sp, sizeof(sp), "%s", "");
	if (!o->quiet) {
		reports_print_name(metric, 34);
		printf(" %14s %14s %14s %9s\n", sb, sc, sd, sp);
	}
	if (hb && hc && d != 0)
		cls = (d > 0) == higher_worse ? " class=\"worse\"" : " class=\"better\"";
	buf_append_str(&o->html, "<tr><td>");
	reports_html_escape(&o->html, metric);
	buf_printf(&o->html, "</td><td>%s</td><td>%s</td><td%s>%s</td><td%s>%s</td></tr>\n", sb, sc,
		   cls, sd, cls, sp);
}

static void compare_objects(struct out *o, json_t *b, json_t *c, const char *prefix,
			    bool higher_worse)
{
	const char *k;
	json_t *v;
	char m[STATS_MAX_NAME + 64];

	json_object_foreach(b, k, v)
	{
		json_t *w = json_object_get(c, k);

		snprintf(m, sizeof(m), "%s%s", prefix, k);
		row(o, m, "", true, json_number_value(v), w != NULL, json_number_value(w),
		    higher_worse);
	}
	json_object_foreach(c, k, v)
	{
		if (json_object_get(b, k))
			continue;
		snprintf(m, sizeof(m), "%s%s", prefix, k);
		row(o, m, "", false, 0, true, json_number_value(v), higher_worse);
	}
}

struct reports_compare {
	struct limit lim[COMPARE_MAX_LIMITS];
	size_t nlim;
};

struct reports_compare *reports_compare_new(void)
{
	return calloc(1, sizeof(struct reports_compare));
}

void reports_compare_free(struct reports_compare *c)
{
	free(c);
}

int reports_compare_add_limits(struct reports_compare *c, const char *spec, char **err)
{
	return parse_limits(spec, c->lim, &c->nlim, err);
}

/* The limits decide the exit code: checked first, printed and put in the page. */
static int check_limits(struct reports_compare *cmp, struct out *o, json_t *base, json_t *cand)
{
	struct limit *lim = cmp->lim;
	int exceeded = 0;

	for (size_t i = 0; i < cmp->nlim; i++) {
		check_limit(&lim[i], base, cand);
		if (lim[i].exceeded)
			exceeded++;
	}
	if (!cmp->nlim)
		return 0;
	buf_append_str(&o->html, "<section><h2>Regression limits</h2><table><tr><th>Limit"
				 "</th><th>Result</th><th>Detail</th></tr>\n");
	for (size_t i = 0; i < cmp->nlim; i++) {
		printf("limit %-9s %s.%s %g%%: %s\n", lim[i].exceeded ? "EXCEEDED" : "ok",
		       lim[i].stat, lim[i].field, lim[i].pct, lim[i].why);
		buf_printf(&o->html,
			   "<tr><td>%s.%s &le; %g%%</td><td data-cell=\"limit.%s.%s\">"
			   "<span class=\"badge %s\">%s</span></td><td>",
			   lim[i].stat, lim[i].field, lim[i].pct, lim[i].stat, lim[i].field,
			   lim[i].exceeded ? "fail" : "pass", lim[i].exceeded ? "EXCEEDED" : "OK");
		reports_html_escape(&o->html, lim[i].why);
		buf_append_str(&o->html, "</td></tr>\n");
	}
	buf_append_str(&o->html, "</table></section>\n");
	return exceeded;
}

/* Every timing statistic's fields, those of both runs first, then those only the new one has. */
static void compare_stats(struct out *o, json_t *base, json_t *cand)
{
	json_t *bs = json_object_get(base, "stats"), *cs = json_object_get(cand, "stats");
	char m[STATS_MAX_NAME + 64];
	const char *k;
	json_t *v;

	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach(pass == 0 ? bs : cs, k, v)
		{
			json_t *w = json_object_get(pass == 0 ? cs : bs, k);

			if (pass == 1 && w)
				continue; /* done in the first pass */
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
				json_t *x = json_object_get(v, fields[f]);
				json_t *y = json_object_get(w, fields[f]);
				json_t *bx = pass == 0 ? x : y, *cx = pass == 0 ? y : x;
				bool lat = latency_field(fields[f]);

				snprintf(m, sizeof(m), "%s.%.*s", k,
					 lat ? (int)strlen(fields[f]) - 3 : (int)strlen(fields[f]),
					 fields[f]);
				row(o, m,
				    lat ? " ms" : (strcmp(fields[f], "rate") == 0 ? "/s" : ""),
				    bx != NULL, json_number_value(bx), cx != NULL,
				    json_number_value(cx), lat);
			}
		}
	}
}

int reports_compare_runs(struct reports_compare *cmp, const char *bdir, const char *cdir,
			 const char *outpath, bool quiet, int *exceeded, char **err)
{
	char pathbuf[4096];
	json_t *base = NULL, *cand = NULL;
	struct out o;
	int rc = -1;

	buf_init(&o.html, 0);
	o.quiet = quiet;
	base = load_run(bdir, err);
	if (!base)
		goto out;
	cand = load_run(cdir, err);
	if (!cand)
		goto out;

	reports_html_head(&o.html, "Barrage comparison");
	buf_append_str(&o.html, "<style>td.worse{color:#b42318;font-weight:600}"
				"td.better{color:#1e7d3a}</style>\n<header class=\"top\"><h1>"
				"Comparison</h1><div class=\"sub\">base ");
	reports_html_escape(&o.html, bdir);
	buf_append_str(&o.html, " &rarr; new ");
	reports_html_escape(&o.html, cdir);
	buf_append_str(&o.html, "</div></header>\n<main>\n");
	*exceeded = check_limits(cmp, &o, base, cand);

	if (!o.quiet)
		printf("\n%-34s %14s %14s %14s %9s\n", "metric", "base", "new", "change",
		       "change%");
	buf_append_str(&o.html, "<section><h2>Statistics</h2><table><tr><th>Metric</th><th>Base"
				"</th><th>New</th><th>Change</th><th>Change %</th></tr>\n");
	compare_stats(&o, base, cand);
	compare_objects(&o, json_object_get(base, "counters"), json_object_get(cand, "counters"),
			"", false);
	compare_objects(&o, json_object_get(base, "http_status"),
			json_object_get(cand, "http_status"), "http_", false);
	compare_objects(&o, json_object_get(base, "errors"), json_object_get(cand, "errors"), "",
			true);
	row(&o, "error_rate", "", true, json_number_value(json_object_get(base, "error_rate")),
	    true, json_number_value(json_object_get(cand, "error_rate")), true);
	buf_append_str(&o.html, "</table></section>\n</main>\n</body>\n</html>\n");

	if (!outpath) {
		snprintf(pathbuf, sizeof(pathbuf), "%s/compare.html", cdir);
		outpath = pathbuf;
	}
	if (reports_write_file(outpath, o.html.data, o.html.len, err) < 0) {
		rc = -2;
		goto out;
	}
	printf("\n%s; comparison written to %s\n",
	       cmp->nlim == 0 ? "no regression limits given"
	       : *exceeded    ? "REGRESSION: a limit was exceeded"
			      : "within the regression limits",
	       outpath);
	rc = 0;
out:
	json_decref(base);
	json_decref(cand);
	buf_free(&o.html);
	return rc;
}
