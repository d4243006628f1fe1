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
#include "reports/run.h"
#include "reports/monitor.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

const double reports_pct[REPORTS_NPCT] = {50.0, 90.0, 95.0, 99.0, 99.9};
const char *const reports_pct_key[REPORTS_NPCT] = {"p50", "p90", "p95", "p99", "p999"};

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

static int add_notice(struct reports_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_notice(struct reports_run *run, const char *fmt, ...)
{
	char **n;
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	err_vset(&msg, fmt, ap);
	va_end(ap);
	if (!msg)
		return -1;
	n = realloc(run->notices, (run->nnotices + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return -1;
	}
	run->notices = n;
	run->notices[run->nnotices++] = msg;
	return 0;
}

static struct reports_agent *agent_get(struct reports_run *run, const char *id)
{
	struct reports_agent *a;

	for (size_t i = 0; i < run->nagents_list; i++)
		if (strcmp(run->agents[i].id, id) == 0)
			return &run->agents[i];
	a = realloc(run->agents, (run->nagents_list + 1) * sizeof(*a));
	if (!a)
		return NULL;
	run->agents = a;
	a = &run->agents[run->nagents_list];
	memset(a, 0, sizeof(*a));
	a->id = strdup(id);
	if (!a->id)
		return NULL;
	run->nagents_list++;
	return a;
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
		a = agent_get(run, id);
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
		struct reports_agent *a = agent_get(run, e->agent);

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
		struct reports_agent *a = agent_get(run, e->agent);
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
		struct reports_agent *a = agent_get(run, e->agent);
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

/* Comparison for qsort/bsearch on the name of hist and counter entries. */
static int cmp_hist(const void *a, const void *b)
{
	return strcmp(((const struct reports_hist *)a)->name,
		      ((const struct reports_hist *)b)->name);
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct reports_counter *)a)->name,
		      ((const struct reports_counter *)b)->name);
}

static struct reports_hist *hist_get(struct reports_run *run, const char *name)
{
	struct reports_hist *h;

	for (size_t i = 0; i < run->nhists; i++)
		if (strcmp(run->hists[i].name, name) == 0)
			return &run->hists[i];
	h = realloc(run->hists, (run->nhists + 1) * sizeof(*h));
	if (!h)
		return NULL;
	run->hists = h;
	h = &run->hists[run->nhists];
	memset(h, 0, sizeof(*h));
	h->first = -1;
	h->name = strdup(name);
	h->n = calloc(run->niv, sizeof(double));
	h->mean_ms = calloc(run->niv, sizeof(double));
	h->stddev_ms = calloc(run->niv, sizeof(double));
	h->min_ms = calloc(run->niv, sizeof(double));
	h->p50_ms = calloc(run->niv, sizeof(double));
	h->p95_ms = calloc(run->niv, sizeof(double));
	h->p99_ms = calloc(run->niv, sizeof(double));
	h->max_ms = calloc(run->niv, sizeof(double));
	run->nhists++;
	if (!h->name || !h->n || !h->mean_ms || !h->stddev_ms || !h->min_ms || !h->p50_ms ||
	    !h->p95_ms || !h->p99_ms || !h->max_ms)
		return NULL;
	return h;
}

static struct reports_counter *counter_get(struct reports_run *run, const char *name, bool gauge)
{
	struct reports_counter *c;

	for (size_t i = 0; i < run->ncounters; i++)
		if (strcmp(run->counters[i].name, name) == 0)
			return &run->counters[i];
	c = realloc(run->counters, (run->ncounters + 1) * sizeof(*c));
	if (!c)
		return NULL;
	run->counters = c;
	c = &run->counters[run->ncounters];
	memset(c, 0, sizeof(*c));
	c->first = -1;
	c->gauge = gauge;
	c->name = strdup(name);
	c->v = calloc(run->niv, sizeof(double));
	c->vmax = calloc(run->niv, sizeof(double));
	run->ncounters++;
	if (!c->name || !c->v || !c->vmax)
		return NULL;
	return c;
}

/* Take one decoded interval apart into the per-interval series. */
static int take_interval(struct reports_run *run, size_t i, const struct stats_snapshot *s)
{
	for (size_t k = 0; k < s->nhists; k++) {
		const struct hist *src = s->hists[k].h;
		struct reports_hist *h = hist_get(run, s->hists[k].name);

		if (!h)
			return -1;
		if (!src || src->count == 0)
			continue;
		h->n[i] = (double)src->count;
		h->mean_ms[i] = hist_mean(src) / 1000.0;
		h->stddev_ms[i] = hist_stddev(src) / 1000.0;
		h->min_ms[i] = (double)src->min / 1000.0;
		h->p50_ms[i] = (double)hist_percentile(src, 50) / 1000.0;
		h->p95_ms[i] = (double)hist_percentile(src, 95) / 1000.0;
		h->p99_ms[i] = (double)hist_percentile(src, 99) / 1000.0;
		h->max_ms[i] = (double)src->max / 1000.0;
		if (h->first < 0)
			h->first = (int)i;
	}
	for (size_t k = 0; k < s->ncounters; k++) {
		const struct stats_counter *sc = &s->counters[k];
		struct reports_counter *c = counter_get(run, sc->name, sc->kind == STATS_GAUGE);

		if (!c)
			return -1;
		c->v[i] = (double)sc->value;
		c->vmax[i] = (double)(c->gauge ? sc->max : sc->value);
		if (c->first < 0 && sc->value != 0)
			c->first = (int)i;
		if (c->gauge) {
			c->total = sc->value;
			if (sc->max > c->max)
				c->max = sc->max;
			if (sc->value > c->max)
				c->max = sc->value;
		} else {
			c->total += sc->value;
			if (sc->value > c->max)
				c->max = sc->value;
		}
	}
	for (size_t k = 0; k < s->nhealth; k++) {
		const struct stats_health *hh = &s->health[k];
		struct reports_agent *a;

		if (!hh->agent)
			continue;
		a = agent_get(run, hh->agent);
		if (!a)
			return -1;
		if (hh->cpu > a->cpu_max)
			a->cpu_max = hh->cpu;
		a->cpu_mean += hh->cpu; /* divided by intervals at the end */
		if (hh->cpu_limit > 0)
			a->cpu_limit = hh->cpu_limit;
		if (hh->loop_lag_ms > a->lag_max_ms)
			a->lag_max_ms = hh->loop_lag_ms;
		if (hh->open_conns > a->conns_max)
			a->conns_max = hh->open_conns;
		a->dropped += hh->dropped;
		a->intervals++;
		if (hh->saturated) {
			a->saturated = true;
			a->saturated_intervals++;
			run->saturated = true;
		}
	}
	run->nagents[i] = s->nagents;
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

/* Tsung's figures for one series of per-interval values (see struct reports_hist). */
static void tsung_figures(const struct reports_run *run, const double *n, const double *mean,
			  int first, double *max_rate, double *mean_rate, double *maxmean,
			  double *minmean)
{
	double sum_rate = 0;
	size_t k = 0;
	bool have_min = false;

	*max_rate = *mean_rate = 0;
	if (maxmean)
		*maxmean = *minmean = 0;
	if (first < 0)
		return;
	for (size_t i = (size_t)first; i < run->niv; i++, k++) {
		double rate = n[i] / run->interval_s;

		if (rate > *max_rate)
			*max_rate = rate;
		sum_rate += rate;
		if (!maxmean)
			continue;
		if (mean[i] > *maxmean)
			*maxmean = mean[i];
		if (n[i] > 0 && (!have_min || mean[i] < *minmean)) {
			*minmean = mean[i];
			have_min = true;
		}
	}
	*mean_rate = k ? sum_rate / (double)k : 0;
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
		if (take_interval(run, i, s) < 0 || stats_accumulate(run->total, s) < 0) {
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

/* A gauge's value when the load ended, which `users.count` and `connected.count` gate: the
 * value at the end of the last interval that closed before the load's end. The last record is
 * never that interval: an agent sends its last snapshot after its users have stopped (users 0,
 * and connections closed), so its value describes the drain, not the load. A run too short
 * for any interval to close during the load has only the highest value to offer. */
static void gauges_at_load_end(struct reports_run *run)
{
	long best = -1;

	for (size_t i = 0; i + 1 < run->niv; i++) {
		if (run->gap[i])
			continue;
		/* Strictly before the end: the interval that closes at the load's end races with
		 * the agents' final snapshots, and may already hold some of them. */
		if (run->load_duration_s > 0 &&
		    (double)(i + 1) * run->interval_s > run->load_duration_s - 1e-6)
			break;
		best = (long)i;
	}
	for (size_t k = 0; k < run->ncounters; k++) {
		struct reports_counter *c = &run->counters[k];

		if (c->gauge)
			c->load_end = best >= 0 ? (int64_t)llround(c->v[best]) : c->max;
	}
}

static void finish(struct reports_run *run)
{
	if (run->nhists)
		qsort(run->hists, run->nhists, sizeof(*run->hists), cmp_hist);
	if (run->ncounters)
		qsort(run->counters, run->ncounters, sizeof(*run->counters), cmp_counter);
	for (size_t k = 0; k < run->nhists; k++) {
		struct reports_hist *h = &run->hists[k];
		const struct hist *t = stats_find_hist(run->total, h->name);

		h->total = hist_new();
		if (h->total && t)
			hist_merge(h->total, t);
		tsung_figures(run, h->n, h->mean_ms, h->first, &h->t_max_rate, &h->t_mean_rate,
			      &h->t_maxmean_ms, &h->t_minmean_ms);
	}
	for (size_t k = 0; k < run->ncounters; k++) {
		struct reports_counter *c = &run->counters[k];

		if (c->gauge)
			continue;
		tsung_figures(run, c->v, NULL, c->first, &c->t_max_rate, &c->t_mean_rate, NULL,
			      NULL);
	}
	for (size_t k = 0; k < run->nagents_list; k++) {
		struct reports_agent *a = &run->agents[k];

		if (a->intervals)
			a->cpu_mean /= a->intervals;
		if (!a->host)
			a->host = strdup("");
		if (a->saturated)
			add_notice(
			    run,
			    "agent %s was saturated in %d of %d intervals (CPU up to %.2f of "
			    "%.0f cores, loop lag up to %.1f ms): its figures measure the load "
			    "generator, not the target",
			    a->id, a->saturated_intervals, a->intervals, a->cpu_max, a->cpu_limit,
			    a->lag_max_ms);
		if (a->lost)
			add_notice(run, "agent %s was lost at %.1f s%s%s", a->id, a->lost_t,
				   a->lost_detail ? ": " : "",
				   a->lost_detail ? a->lost_detail : "");
	}
	if (run->has_end && run->end_duration_s > 0)
		run->duration_s = run->end_duration_s;
	else
		run->duration_s = (double)run->niv * run->interval_s;
	for (size_t k = 0; k < run->nagents_list; k++)
		run->uncounted_max += run->agents[k].uncounted_max;
	{
		size_t npartial = 0;

		for (size_t i = 0; i < run->niv; i++)
			if (run->partial[i] && !run->gap[i]) {
				npartial++;
				run->ngaps++;
			}
		if (run->ngaps > npartial)
			add_notice(run,
				   "%zu of %zu intervals have no statistics (gaps in stats.log)",
				   run->ngaps - npartial, run->niv);
		if (npartial)
			add_notice(
			    run,
			    "%zu interval%s miss%s the statistics of a lost agent: up to %llu "
			    "requests could not be counted",
			    npartial, npartial == 1 ? "" : "s", npartial == 1 ? "es" : "",
			    (unsigned long long)run->uncounted_max);
		else if (run->uncounted_max)
			add_notice(run, "up to %llu requests of lost agents could not be counted",
				   (unsigned long long)run->uncounted_max);
	}
	/* Say plainly when most attempts failed: the latencies then describe the few answers. */
	if (run->total) {
		char note[256];

		if (stats_failure_note(run->total, note, sizeof(note)))
			add_notice(run, "most requests failed: %s", note);
	}
	gauges_at_load_end(run);
}

int reports_run_load(const char *path, struct reports_run **out, char **err)
{
	struct reports_run *run = calloc(1, sizeof(*run));
	struct raw_iv *raw = NULL;
	size_t nraw = 0, maxidx = 0;
	bool have_iv = false, have_header = false;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = -1;

	*out = NULL;
	if (!run)
		return err_set(err, "out of memory");
	f = fopen(path, "r");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
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
				add_notice(run,
					   "stats.log ends with a cut line (line %ld): skipped, "
					   "the report shows the intervals before it",
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
		if (!have_header && strcmp(type, "header") != 0) {
			err_set(err, "%s:%ld: the first record must be the header, not \"%s\"",
				path, lineno, type);
			json_decref(o);
			goto out;
		}
		if (strcmp(type, "header") == 0) {
			if (have_header) {
				json_decref(o);
				err_set(err, "%s:%ld: a second header record", path, lineno);
				goto out;
			}
			have_header = true;
			if (read_header(run, o, path, err) < 0) {
				json_decref(o);
				goto out;
			}
		} else if (strcmp(type, "interval") == 0 || strcmp(type, "late") == 0) {
			json_t *iv = json_object_get(o, "i");
			json_int_t idx = json_is_integer(iv) ? json_integer_value(iv) : -1;
			char *copy;

			if (idx < 0 || idx >= REPORTS_MAX_INTERVALS) {
				json_decref(o);
				err_set(err, "%s:%ld: \"i\" must be an interval index from 0 to %d",
					path, lineno, REPORTS_MAX_INTERVALS - 1);
				goto out;
			}
			copy = strdup(line);
			/* A late record must follow its interval; if the interval itself was never
			 * written the late record stands in for it. */
			if (!copy || raw_add(&raw, &nraw, (size_t)idx, copy, lineno) < 0) {
				free(copy);
				json_decref(o);
				err_set(err, "out of memory");
				goto out;
			}
			if (!have_iv || (size_t)idx > maxidx)
				maxidx = (size_t)idx;
			have_iv = true;
		} else if (strcmp(type, "event") == 0) {
			if (read_event(run, o) < 0) {
				json_decref(o);
				err_set(err, "out of memory");
				goto out;
			}
		} else if (strcmp(type, "monitor") == 0) {
			if (reports_monitor_add(&run->monitor, o) < 0) {
				json_decref(o);
				err_set(err, "out of memory");
				goto out;
			}
		} else if (strcmp(type, "end") == 0) {
			run->has_end = true;
			free(run->ended_at);
			free(run->end_reason);
			run->ended_at = json_dup(o, "ended_at");
			run->end_reason = json_dup(o, "reason");
			run->end_duration_s = json_num(o, "duration_s", 0);
			run->end_exit_code = (int)json_num(o, "exit_code", 0);
		}
		/* Unknown record types are skipped: newer writers may add some. */
		json_decref(o);
	}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!have_header) {
		err_set(err, "%s: empty: no header record", path);
		goto out;
	}
	if (!run->has_end) {
		run->truncated = true;
		add_notice(run,
			   "stats.log has no end record: the run did not finish (controller "
			   "stopped or killed); the report shows the intervals written before");
	}
	/* Intervals a lost agent never delivered count as covered (an interval past the last
	 * record that nobody delivered is a gap), but only within the run's end, and not absurdly
	 * far past the last record (a damaged file must not make us allocate for ever). */
	{
		size_t last = have_iv ? maxidx : 0;

		for (size_t k = 0; k < run->nmissing; k++) {
			size_t i = run->missing[k];

			if (run->has_end && run->interval_s > 0 &&
			    (double)i * run->interval_s >= run->end_duration_s)
				continue;
			if (i > last + 10000)
				continue;
			if (!have_iv || i > maxidx)
				maxidx = i;
			have_iv = true;
		}
	}
	if (have_iv && maxidx >= nraw) {
		/* second_pass reads raw[i] for every interval: slots for those nobody wrote. */
		struct raw_iv *r = realloc(raw, (maxidx + 1) * sizeof(*r));

		if (!r) {
			err_set(err, "out of memory");
			goto out;
		}
		memset(r + nraw, 0, (maxidx + 1 - nraw) * sizeof(*r));
		raw = r;
		nraw = maxidx + 1;
	}
	run->niv = have_iv ? maxidx + 1 : 0;
	run->gap = calloc(run->niv + 1, sizeof(bool));
	run->partial = calloc(run->niv + 1, sizeof(bool));
	run->nagents = calloc(run->niv + 1, sizeof(uint32_t));
	if (!run->gap || !run->partial || !run->nagents) {
		err_set(err, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < run->nmissing; k++)
		if (run->missing[k] < run->niv)
			run->partial[run->missing[k]] = true;
	if (second_pass(run, raw, path, err) < 0)
		goto out;
	finish(run);
	reports_thresholds_eval_run(run);
	*out = run;
	run = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < nraw; i++) {
		for (size_t k = 0; k < raw[i].n; k++)
			free(raw[i].lines[k]);
		free(raw[i].lines);
		free(raw[i].lineno);
	}
	free(raw);
	free(line);
	if (f)
		fclose(f);
	reports_run_free(run);
	return rc;
}

void reports_run_free(struct reports_run *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->nreasons; i++) {
		free(run->reasons[i].name);
		free(run->reasons[i].reason);
	}
	free(run->reasons);
	free(run->name);
	free(run->scenario);
	free(run->started_at);
	free(run->target);
	free(run->barrage_version);
	free(run->load_json);
	free(run->model);
	free(run->ended_at);
	free(run->end_reason);
	free(run->gap);
	free(run->partial);
	free(run->missing);
	free(run->missing_agent);
	free(run->nagents);
	reports_monitor_free(run->monitor);
	stats_free(run->total);
	for (size_t i = 0; i < run->nhists; i++) {
		struct reports_hist *h = &run->hists[i];

		free(h->name);
		hist_free(h->total);
		free(h->n);
		free(h->mean_ms);
		free(h->stddev_ms);
		free(h->min_ms);
		free(h->p50_ms);
		free(h->p95_ms);
		free(h->p99_ms);
		free(h->max_ms);
	}
	free(run->hists);
	for (size_t i = 0; i < run->ncounters; i++) {
		free(run->counters[i].name);
		free(run->counters[i].v);
		free(run->counters[i].vmax);
	}
	free(run->counters);
	for (size_t i = 0; i < run->nagents_list; i++) {
		free(run->agents[i].id);
		free(run->agents[i].host);
		free(run->agents[i].lost_detail);
	}
	free(run->agents);
	for (size_t i = 0; i < run->nevents; i++) {
		free(run->events[i].agent);
		free(run->events[i].what);
		free(run->events[i].detail);
	}
	free(run->events);
	for (size_t i = 0; i < run->nthresholds; i++) {
		free(run->thresholds[i].metric);
		free(run->thresholds[i].condition);
		free(run->thresholds[i].error);
	}
	free(run->thresholds);
	for (size_t i = 0; i < run->nnotices; i++)
		free(run->notices[i]);
	free(run->notices);
	free(run);
}

const struct reports_hist *reports_run_hist(const struct reports_run *run, const char *name)
{
	struct reports_hist key = {.name = (char *)name};

	if (!run->nhists)
		return NULL;
	return bsearch(&key, run->hists, run->nhists, sizeof(key), cmp_hist);
}

const struct reports_counter *reports_run_counter(const struct reports_run *run, const char *name)
{
	struct reports_counter key = {.name = (char *)name};

	if (!run->ncounters)
		return NULL;
	return bsearch(&key, run->counters, run->ncounters, sizeof(key), cmp_counter);
}

int64_t reports_run_errors(const struct reports_run *run, long i)
{
	int64_t n = 0;

	for (size_t k = 0; k < run->ncounters; k++) {
		const struct reports_counter *c = &run->counters[k];

		if (c->gauge || strncmp(c->name, "error_", 6) != 0)
			continue;
		n += i < 0 ? c->total : (int64_t)c->v[i];
	}
	return n;
}
