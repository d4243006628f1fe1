/* Reading stats.log (docs/stats-log.md) into a struct reports_run (reports/run.h).
 *
 * Two passes. The first reads every line, decodes header, event and end records at once, and
 * keeps interval and late records as their raw text grouped by interval index: a decoded
 * histogram is ~185 KiB, so holding every interval decoded would cost gigabytes on a long run,
 * while the text is sparse. The second pass walks the indexes in order, decodes one interval
 * (adding any late records for the same index), takes what the reports need from it (counts,
 * means, percentiles, counters, health) and accumulates it into the whole-run total.
 *
 * A controller killed mid-run leaves no end record and maybe half a last line: both give a
 * notice, not an error, so the report shows what was measured. */
#include "reports/statslog.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "reports/figures.h"
#include "reports/monitor.h"
#include "reports/run.h"
#include "reports/thresholds.h"

/* Raw interval lines for one index (the first is the interval record, later ones "late"). */
struct raw_iv {
	char **lines;
	long *lineno;
	size_t n;
};

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *json_dup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

static double json_num(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static int read_header(struct reports_run *run, json_t *h, const char *path, char **err)
{
	json_t *v, *item;
	size_t i;

	run->name = json_dup(h, "name");
	run->scenario = json_dup(h, "scenario");
	run->started_at = json_dup(h, "started_at");
	run->target = json_dup(h, "target");
	run->barrage_version = json_dup(h, "barrage_version");
	run->start_unix_ms = (int64_t)json_num(h, "start_unix_ms", 0);
	run->interval_s = json_num(h, "interval_s", 0);
	if (!(run->interval_s > 0) || run->interval_s > 86400)
		return err_set(err,
			       "%s:1: header: \"interval_s\" must be a number of seconds "
			       "between 0 and 86400",
			       path);
	if (!run->name)
		run->name = strdup("unnamed");
	v = json_object_get(h, "load");
	if (json_is_object(v)) {
		run->load_json = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		run->model = json_dup(v, "model");
		run->load_duration_s = json_num(v, "duration_s", 0);
	}
	json_array_foreach(json_object_get(h, "thresholds"), i, item)
	{
		struct reports_threshold *t;
		const char *m = json_string_value(json_object_get(item, "metric"));
		const char *c = json_string_value(json_object_get(item, "condition"));

		if (!m || !c)
			return err_set(err,
				       "%s:1: header: thresholds[%zu] needs \"metric\" and "
				       "\"condition\" strings",
				       path, i);
		t = realloc(run->thresholds, (run->nthresholds + 1) * sizeof(*t));
		if (!t)
			return err_set(err, "out of memory");
		run->thresholds = t;
		t = &run->thresholds[run->nthresholds++];
		memset(t, 0, sizeof(*t));
		t->metric = strdup(m);
		t->condition = strdup(c);
		t->abort_on_fail = json_is_true(json_object_get(item, "abort_on_fail"));
	}
	json_array_foreach(json_object_get(h, "agents"), i, item)
	{
		const char *id = json_string_value(json_object_get(item, "id"));
		struct reports_agent *a;

		if (!id)
			continue;
		a = reports_run_agent(run, id);
		if (!a)
			return err_set(err, "out of memory");
		free(a->host);
		a->host = json_dup(item, "host");
		a->fraction = json_num(item, "fraction", 0);
		a->cpu_limit = json_num(item, "cpus", 0);
	}
	return 0;
}

static int read_event(struct reports_run *run, json_t *o)
{
	struct reports_event *e = realloc(run->events, (run->nevents + 1) * sizeof(*e));

	if (!e)
		return -1;
	run->events = e;
	e = &run->events[run->nevents++];
	e->t = json_num(o, "t", 0);
	e->agent = json_dup(o, "agent");
	e->what = json_dup(o, "what");
	e->detail = json_dup(o, "detail");
	if (!e->what)
		e->what = strdup("notice");
	if (e->agent && e->what && strcmp(e->what, "agent_lost") == 0) {
		struct reports_agent *a = reports_run_agent(run, e->agent);

		if (!a)
			return -1;
		a->lost = true;
		a->lost_t = e->t;
		free(a->lost_detail);
		a->lost_detail = dup_str(e->detail);
	}
	if (e->agent && strcmp(e->what, "agent_lost") == 0) {
		/* What its loss left uncounted (controller/run.c agent_lost). */
		json_t *miss = json_object_get(o, "missing"), *v;
		struct reports_agent *a = reports_run_agent(run, e->agent);
		size_t k;

		if (!a)
			return -1;
		if (json_is_integer(json_object_get(o, "uncounted_max")) &&
		    json_integer_value(json_object_get(o, "uncounted_max")) > 0)
			a->uncounted_max +=
			    (uint64_t)json_integer_value(json_object_get(o, "uncounted_max"));
		json_array_foreach(miss, k, v)
		{
			json_int_t i = json_integer_value(v);
			size_t *m, *ma;

			if (!json_is_integer(v) || i < 0 || i > 10000000)
				continue;
			m = realloc(run->missing, (run->nmissing + 1) * sizeof(*m));
			if (m)
				run->missing = m;
			ma = realloc(run->missing_agent, (run->nmissing + 1) * sizeof(*ma));
			if (ma)
				run->missing_agent = ma;
			if (!m || !ma)
				return -1;
			run->missing[run->nmissing] = (size_t)i;
			run->missing_agent[run->nmissing++] = (size_t)(a - run->agents);
		}
	} else if (e->agent && strcmp(e->what, "spool_collected") == 0) {
		/* `barrage collect` appended the agent's spooled intervals as late records: they
		 * are missing no more; a complete spool leaves nothing uncounted. */
		json_t *got = json_object_get(o, "intervals"), *v;
		bool complete = json_is_true(json_object_get(o, "complete"));
		struct reports_agent *a = reports_run_agent(run, e->agent);
		size_t ai, k, w = 0;

		if (!a)
			return -1;
		ai = (size_t)(a - run->agents);
		if (complete)
			a->uncounted_max = 0;
		for (size_t r = 0; r < run->nmissing; r++) {
			bool drop = false;

			if (run->missing_agent[r] == ai) {
				drop = complete;
				json_array_foreach(got, k, v) if (json_is_integer(v) &&
								  json_integer_value(v) ==
								      (json_int_t)run->missing[r])
				    drop = true;
			}
			if (drop)
				continue;
			run->missing[w] = run->missing[r];
			run->missing_agent[w++] = run->missing_agent[r];
		}
		run->nmissing = w;
	}
	return 0;
}

static int raw_add(struct raw_iv **raw, size_t *nraw, size_t idx, char *line, long lineno)
{
	struct raw_iv *r;
	char **l;
	long *ln;

	if (idx >= *nraw) {
		size_t n = *nraw ? *nraw : 16;

		while (n <= idx)
			n *= 2;
		r = realloc(*raw, n * sizeof(*r));
		if (!r)
			return -1;
		memset(r + *nraw, 0, (n - *nraw) * sizeof(*r));
		*raw = r;
		*nraw = n;
	}
	r = &(*raw)[idx];
	l = realloc(r->lines, (r->n + 1) * sizeof(*l));
	if (!l)
		return -1;
	r->lines = l;
	ln = realloc(r->lineno, (r->n + 1) * sizeof(*ln));
	if (!ln)
		return -1;
	r->lineno = ln;
	r->lines[r->n] = line;
	r->lineno[r->n] = lineno;
	r->n++;
	return 0;
}

/* Decode an interval line into s (an empty snapshot). */
static int decode_line(const char *path, const char *line, long lineno, struct stats_snapshot *s,
		       char **err)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);
	int rc;

	if (!o)
		return err_set(err, "%s:%ld:%d: %s", path, lineno, jerr.column, jerr.text);
	rc = stats_from_json(o, s, err);
	json_decref(o);
	if (rc < 0)
		return err_prefix(err, "%s:%ld", path, lineno);
	return 0;
}

static int second_pass(struct reports_run *run, struct raw_iv *raw, const char *path, char **err)
{
	struct stats_snapshot *s = NULL, *late = NULL;
	int rc = -1;

	run->total = stats_new();
	if (!run->total)
		goto out;
	for (size_t i = 0; i < run->niv; i++) {
		struct raw_iv *r = &raw[i];

		if (r->n == 0) {
			run->gap[i] = true;
			run->ngaps++;
			continue;
		}
		s = stats_new();
		if (!s || decode_line(path, r->lines[0], r->lineno[0], s, err) < 0)
			goto out;
		for (size_t k = 1; k < r->n; k++) {
			late = stats_new();
			if (!late || decode_line(path, r->lines[k], r->lineno[k], late, err) < 0 ||
			    stats_merge(s, late) < 0)
				goto out;
			stats_free(late);
			late = NULL;
		}
		if (reports_figures_interval(run, i, s) < 0 ||
		    stats_accumulate(run->total, s) < 0) {
			err_set(err, "out of memory");
			goto out;
		}
		stats_free(s);
		s = NULL;
	}
	rc = 0;
out:
	if (rc < 0 && err && !*err)
		err_set(err, "out of memory");
	stats_free(s);
	stats_free(late);
	return rc;
}

/* What the first pass keeps: the interval records' text by index, and what it has seen. */
struct first_pass {
	struct raw_iv *raw;
	size_t nraw, maxidx;
	bool have_iv, have_header;
};

static void first_pass_free(struct first_pass *fp)
{
	for (size_t i = 0; i < fp->nraw; i++) {
		for (size_t k = 0; k < fp->raw[i].n; k++)
			free(fp->raw[i].lines[k]);
		free(fp->raw[i].lines);
		free(fp->raw[i].lineno);
	}
	free(fp->raw);
}

/* One record of the first pass (o, of type TYPE, read from LINE): the header, an event, a
 * monitor sample and the end record are taken at once; interval and late records are kept as
 * text for the second pass. Unknown record types are skipped: newer writers may add some. */
static int take_record(struct reports_run *run, struct first_pass *fp, json_t *o, const char *type,
		       const char *line, const char *path, long lineno, char **err)
{
	if (!fp->have_header && strcmp(type, "header") != 0)
		return err_set(err, "%s:%ld: the first record must be the header, not \"%s\"", path,
			       lineno, type);
	if (strcmp(type, "header") == 0) {
		if (fp->have_header)
			return err_set(err, "%s:%ld: a second header record", path, lineno);
		fp->have_header = true;
		return read_header(run, o, path, err);
	}
	if (strcmp(type, "interval") == 0 || strcmp(type, "late") == 0) {
		json_t *iv = json_object_get(o, "i");
		json_int_t idx = json_is_integer(iv) ? json_integer_value(iv) : -1;
		char *copy;

		if (idx < 0 || idx >= REPORTS_MAX_INTERVALS)
			return err_set(err, "%s:%ld: \"i\" must be an interval index from 0 to %d",
				       path, lineno, REPORTS_MAX_INTERVALS - 1);
		copy = strdup(line);
		/* A late record must follow its interval; if the interval itself was never
		 * written the late record stands in for it. */
		if (!copy || raw_add(&fp->raw, &fp->nraw, (size_t)idx, copy, lineno) < 0) {
			free(copy);
			return err_set(err, "out of memory");
		}
		if (!fp->have_iv || (size_t)idx > fp->maxidx)
			fp->maxidx = (size_t)idx;
		fp->have_iv = true;
	} else if (strcmp(type, "event") == 0) {
		if (read_event(run, o) < 0)
			return err_set(err, "out of memory");
	} else if (strcmp(type, "monitor") == 0) {
		if (reports_monitor_add(&run->monitor, o) < 0)
			return err_set(err, "out of memory");
	} else if (strcmp(type, "end") == 0) {
		run->has_end = true;
		free(run->ended_at);
		free(run->end_reason);
		run->ended_at = json_dup(o, "ended_at");
		run->end_reason = json_dup(o, "reason");
		run->end_duration_s = json_num(o, "duration_s", 0);
		run->end_exit_code = (int)json_num(o, "exit_code", 0);
	}
	return 0;
}

/* The first pass: every line of F. A cut last line ends it with a notice; any other line that
 * is not a JSON object with a "type" is an error naming it. */
static int read_records(struct reports_run *run, struct first_pass *fp, FILE *f, const char *path,
			char **err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = -1;

	while ((len = getline(&line, &cap, f)) >= 0) {
		bool last_cut = len == 0 || line[len - 1] != '\n';
		json_error_t jerr;
		json_t *o;
		const char *type;

		lineno++;
		if ((size_t)len > REPORTS_MAX_LINE) {
			err_set(err, "%s:%ld: line longer than %zu bytes", path, lineno,
				REPORTS_MAX_LINE);
			goto out;
		}
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		o = json_loadb(line, (size_t)len, 0, &jerr);
		if (!o || !json_is_object(o)) {
			int c = fgetc(f);

			json_decref(o);
			if (c == EOF && last_cut) {
				reports_run_notice(
				    run,
				    "stats.log ends with a cut line (line %ld): "
				    "skipped, the report shows the intervals before it",
				    lineno);
				run->truncated = true;
				break;
			}
			err_set(err, "%s:%ld:%d: %s", path, lineno, o ? 1 : jerr.column,
				o ? "expected a JSON object" : jerr.text);
			goto out;
		}
		type = json_string_value(json_object_get(o, "type"));
		if (!type) {
			json_decref(o);
			err_set(err, "%s:%ld: record has no \"type\"", path, lineno);
			goto out;
		}
		if (take_record(run, fp, o, type, line, path, lineno, err) < 0) {
			json_decref(o);
			goto out;
		}
		json_decref(o);
	}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* Between the passes: how many intervals the run has, and the per-interval arrays. Intervals a
 * lost agent never delivered count as covered (an interval past the last record that nobody
 * delivered is a gap), but only within the run's end, and not absurdly far past the last
 * record (a damaged file must not make us allocate for ever). */
static int size_intervals(struct reports_run *run, struct first_pass *fp, char **err)
{
	size_t last = fp->have_iv ? fp->maxidx : 0;

	for (size_t k = 0; k < run->nmissing; k++) {
		size_t i = run->missing[k];

		if (run->has_end && run->interval_s > 0 &&
		    (double)i * run->interval_s >= run->end_duration_s)
			continue;
		if (i > last + 10000)
			continue;
		if (!fp->have_iv || i > fp->maxidx)
			fp->maxidx = i;
		fp->have_iv = true;
	}
	if (fp->have_iv && fp->maxidx >= fp->nraw) {
		/* second_pass reads raw[i] for every interval: slots for those nobody wrote. */
		struct raw_iv *r = realloc(fp->raw, (fp->maxidx + 1) * sizeof(*r));

		if (!r)
			return err_set(err, "out of memory");
		memset(r + fp->nraw, 0, (fp->maxidx + 1 - fp->nraw) * sizeof(*r));
		fp->raw = r;
		fp->nraw = fp->maxidx + 1;
	}
	run->niv = fp->have_iv ? fp->maxidx + 1 : 0;
	run->gap = calloc(run->niv + 1, sizeof(bool));
	run->partial = calloc(run->niv + 1, sizeof(bool));
	run->nagents = calloc(run->niv + 1, sizeof(uint32_t));
	if (!run->gap || !run->partial || !run->nagents)
		return err_set(err, "out of memory");
	for (size_t k = 0; k < run->nmissing; k++)
		if (run->missing[k] < run->niv)
			run->partial[run->missing[k]] = true;
	return 0;
}

int reports_run_load(const char *path, struct reports_run **out, char **err)
{
	struct reports_run *run = calloc(1, sizeof(*run));
	struct first_pass fp = {NULL, 0, 0, false, false};
	FILE *f = NULL;
	int rc = -1;

	*out = NULL;
	if (!run)
		return err_set(err, "out of memory");
	f = fopen(path, "r");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (read_records(run, &fp, f, path, err) < 0)
		goto out;
	if (!fp.have_header) {
		err_set(err, "%s: empty: no header record", path);
		goto out;
	}
	if (!run->has_end) {
		run->truncated = true;
		reports_run_notice(
		    run, "stats.log has no end record: the run did not finish (controller "
			 "stopped or killed); the report shows the intervals written before");
	}
	if (size_intervals(run, &fp, err) < 0 || second_pass(run, fp.raw, path, err) < 0)
		goto out;
	reports_figures_finish(run);
	reports_thresholds_eval_run(run);
	*out = run;
	run = NULL;
	rc = 0;
out:
	first_pass_free(&fp);
	if (f)
		fclose(f);
	reports_run_free(run);
	return rc;
}
