/* Exporters (see export.h): Prometheus remote write 1.0.
 *
 * Why it is built this way:
 * - The run loop must never wait: export_interval() builds one compressed WriteRequest (tens of
 *   series, microseconds) and queues it under a mutex held for a pointer swap. A thread of its
 *   own sends with a blocking libcurl easy handle, which is simple and cannot stall the loop.
 * - Remote write carries samples, not deltas, so counters are cumulative: the exporter keeps the
 *   run's running total (stats_accumulate, as the reports do), and at the end of the run
 *   barrage_requests_total equals summary.json's request.count. Late records go into the total
 *   and reach Prometheus with the next push (a final push at close if needed): a series' time
 *   stamps must only go forward.
 * - Quantiles are per interval (the same figures as the interval's stats.log line), which is
 *   what a dashboard of a load test wants; _count and _sum are cumulative, so rate() works.
 * - Retries follow the remote-write spec: 5xx and 429 (and no connection at all) may succeed
 *   later and are retried with exponential backoff; any other 4xx never will and is dropped at
 *   once. Everything dropped is counted and said at the end. */
#include "common/clock.h"
#include "controller/export.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "remote_write.pb-c.h"

#define EXPORT_QUEUE_MAX	  256
#define EXPORT_ATTEMPTS		  6
#define EXPORT_BACKOFF_MIN_MS	  100
#define EXPORT_BACKOFF_MAX_MS	  5000
#define EXPORT_TIMEOUT_MS	  5000
#define EXPORT_CONNECT_TIMEOUT_MS 2000
#define EXPORT_MAX_LABELS	  6

static const double export_quantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};

struct export_item {
	char *body; /* snappy-compressed WriteRequest */
	size_t len;
	int samples;
};

struct exporter {
	char *url, *run, *scenario;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct export_item queue[EXPORT_QUEUE_MAX]; /* ring */
	size_t head, count;
	bool closing;
	int64_t deadline_us; /* when closing: give up after this */
	struct export_result res;
	/* Main thread only: */
	struct stats_snapshot *total;
	int64_t last_ts_ms;
	bool dirty; /* late data in total not pushed yet */
};

/* ---- encoding ---- */

struct series {
	const char *lname[EXPORT_MAX_LABELS];
	char *lval[EXPORT_MAX_LABELS];
	int nl;
	double value;
};

struct series_set {
	struct series *v;
	size_t n, cap;
	bool oom;
	const char *run, *scenario;
};

void export_prom_name(const char *in, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; in[i] && o + 1 < size; i++) {
		unsigned char c = (unsigned char)in[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (c >= '0' && c <= '9');

		/* One underscore for a run of other bytes (a UTF-8 character is several). */
		if (!ok && o > 0 && out[o - 1] == '_')
			continue;
		out[o++] = ok ? (char)c : '_';
	}
	out[o] = '\0';
}

/* Add a series: name, then up to two (label, value) pairs (NULL label: none). */
static struct series *add(struct series_set *ss, const char *name, const char *l1, const char *v1,
			  const char *l2, const char *v2, double value)
{
	struct series *s;

	if (ss->oom)
		return NULL;
	if (ss->n == ss->cap) {
		size_t nc = ss->cap ? ss->cap * 2 : 64;
		struct series *nv = realloc(ss->v, nc * sizeof(*nv));

		if (!nv) {
			ss->oom = true;
			return NULL;
		}
		ss->v = nv;
		ss->cap = nc;
	}
	s = &ss->v[ss->n];
	memset(s, 0, sizeof(*s));
	s->lname[s->nl] = "__name__";
	s->lval[s->nl++] = strdup(name);
	s->lname[s->nl] = "run";
	s->lval[s->nl++] = strdup(ss->run);
	s->lname[s->nl] = "scenario";
	s->lval[s->nl++] = strdup(ss->scenario);
	if (l1) {
		s->lname[s->nl] = l1;
		s->lval[s->nl++] = strdup(v1);
	}
	if (l2) {
		s->lname[s->nl] = l2;
		s->lval[s->nl++] = strdup(v2);
	}
	for (int i = 0; i < s->nl; i++)
		if (!s->lval[i])
			ss->oom = true;
	s->value = value;
	ss->n++;
	return s;
}

/* A counter whose sanitised name another counter already took adds to it: two series with the
 * same labels in one request would make Prometheus refuse the request. */
static void add_counter(struct series_set *ss, const char *name, double value)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->v[i].nl == 3 && strcmp(ss->v[i].lval[0], name) == 0) {
			ss->v[i].value += value;
			return;
		}
	add(ss, name, NULL, NULL, NULL, NULL, value);
}

static void series_free(struct series_set *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		for (int k = 0; k < ss->v[i].nl; k++)
			free(ss->v[i].lval[k]);
	free(ss->v);
}

static void collect(struct series_set *ss, const struct stats_snapshot *cur,
		    const struct stats_snapshot *total)
{
	char name[512], part[400], q[16];
	size_t i;

	/* Counters and counts: cumulative over the run. */
	for (i = 0; total && i < total->nhists; i++) {
		const struct hist *h = total->hists[i].h;

		if (strcmp(total->hists[i].name, "request") == 0)
			add(ss, "barrage_requests_total", NULL, NULL, NULL, NULL, (double)h->count);
		add(ss, "barrage_duration_seconds_count", "stat", total->hists[i].name, NULL, NULL,
		    (double)h->count);
		add(ss, "barrage_duration_seconds_sum", "stat", total->hists[i].name, NULL, NULL,
		    (double)h->sum / 1e6);
	}
	if (total && !stats_find_hist(total, "request"))
		add(ss, "barrage_requests_total", NULL, NULL, NULL, NULL, 0);
	for (i = 0; total && i < total->ncounters; i++) {
		const struct stats_counter *c = &total->counters[i];

		if (c->kind != STATS_COUNTER)
			continue;
		/* "requests" (attempted) would be barrage_requests_total, which is the answered
		 * count (summary.json's request.count): it gets a name of its own. */
		if (strcmp(c->name, "requests") == 0)
			snprintf(part, sizeof(part), "requests_attempted");
		else
			export_prom_name(c->name, part, sizeof(part));
		snprintf(name, sizeof(name), "barrage_%s_total", part);
		add_counter(ss, name, (double)c->value);
	}
	if (!cur)
		return;
	/* Quantiles of this interval, for every timing statistic with data. */
	for (i = 0; i < cur->nhists; i++) {
		const struct hist *h = cur->hists[i].h;

		if (!h || h->count == 0)
			continue;
		for (size_t k = 0; k < sizeof(export_quantiles) / sizeof(export_quantiles[0]);
		     k++) {
			snprintf(q, sizeof(q), "%g", export_quantiles[k]);
			add(ss, "barrage_duration_seconds", "stat", cur->hists[i].name, "quantile",
			    q, (double)hist_percentile(h, export_quantiles[k] * 100) / 1e6);
		}
	}
	/* Gauges: the value at the end of the interval. */
	for (i = 0; i < cur->ncounters; i++) {
		const struct stats_counter *c = &cur->counters[i];

		if (c->kind != STATS_GAUGE)
			continue;
		export_prom_name(c->name, part, sizeof(part));
		snprintf(name, sizeof(name), "barrage_%s", part);
		add_counter(ss, name, (double)c->value);
	}
	/* Each agent's health. */
	for (i = 0; i < cur->nhealth; i++) {
		const struct stats_health *h = &cur->health[i];

		add(ss, "barrage_agent_cpu_cores", "agent", h->agent, NULL, NULL, h->cpu);
		add(ss, "barrage_agent_cpu_ratio", "agent", h->agent, NULL, NULL,
		    h->cpu_limit > 0 ? h->cpu / h->cpu_limit : 0);
		add(ss, "barrage_agent_loop_lag_seconds", "agent", h->agent, NULL, NULL,
		    h->loop_lag_ms / 1000);
		add(ss, "barrage_agent_open_connections", "agent", h->agent, NULL, NULL,
		    (double)h->open_conns);
		add(ss, "barrage_agent_users", "agent", h->agent, NULL, NULL, (double)h->users);
		add(ss, "barrage_agent_saturated", "agent", h->agent, NULL, NULL,
		    h->saturated ? 1 : 0);
	}
}

static int label_cmp(const void *a, const void *b)
{
	const Prometheus__Label *x = *(Prometheus__Label *const *)a;
	const Prometheus__Label *y = *(Prometheus__Label *const *)b;

	return strcmp(x->name, y->name);
}

int export_prom_encode(const struct stats_snapshot *cur, const struct stats_snapshot *total,
		       const char *run, const char *scenario, int64_t ts_ms, struct buf *out)
{
	struct series_set ss = {.run = run, .scenario = scenario};
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries *ts = NULL, **tsp = NULL;
	Prometheus__Label *lab = NULL, **labp = NULL;
	Prometheus__Sample *smp = NULL, **smpp = NULL;
	size_t i, nl = 0, len;
	int rc = -1;

	collect(&ss, cur, total);
	if (ss.oom)
		goto out;
	ts = calloc(ss.n ? ss.n : 1, sizeof(*ts));
	tsp = calloc(ss.n ? ss.n : 1, sizeof(*tsp));
	smp = calloc(ss.n ? ss.n : 1, sizeof(*smp));
	smpp = calloc(ss.n ? ss.n : 1, sizeof(*smpp));
	lab = calloc(ss.n * EXPORT_MAX_LABELS + 1, sizeof(*lab));
	labp = calloc(ss.n * EXPORT_MAX_LABELS + 1, sizeof(*labp));
	if (!ts || !tsp || !smp || !smpp || !lab || !labp)
		goto out;
	for (i = 0; i < ss.n; i++) {
		const struct series *s = &ss.v[i];

		prometheus__time_series__init(&ts[i]);
		prometheus__sample__init(&smp[i]);
		smp[i].value = s->value;
		smp[i].timestamp = ts_ms;
		smpp[i] = &smp[i];
		ts[i].n_samples = 1;
		ts[i].samples = &smpp[i];
		ts[i].labels = &labp[nl];
		for (int k = 0; k < s->nl; k++) {
			prometheus__label__init(&lab[nl]);
			lab[nl].name = (char *)s->lname[k];
			lab[nl].value = s->lval[k];
			labp[nl] = &lab[nl];
			nl++;
		}
		ts[i].n_labels = (size_t)s->nl;
		/* The spec wants labels sorted by name. */
		qsort(ts[i].labels, ts[i].n_labels, sizeof(*ts[i].labels), label_cmp);
		tsp[i] = &ts[i];
	}
	wr.n_timeseries = ss.n;
	wr.timeseries = tsp;
	len = prometheus__write_request__get_packed_size(&wr);
	buf_reset(out);
	if (buf_reserve(out, len) < 0)
		goto out;
	prometheus__write_request__pack(&wr, (uint8_t *)out->data);
	out->len = len;
	rc = (int)ss.n;
out:
	free(ts);
	free(tsp);
	free(smp);
	free(smpp);
	free(lab);
	free(labp);
	series_free(&ss);
	return rc;
}

/* ---- the sender thread ---- */

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
	return sz * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct exporter *e = arg;
	bool stop;

	pthread_mutex_lock(&e->mu);
	stop = e->closing && clock_mono_us() > e->deadline_us;
	pthread_mutex_unlock(&e->mu);
	return stop ? 1 : 0;
}

/* Sleep ms unless closing time is over. Called with mu held. */
static void backoff_wait(struct exporter *e, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&e->cv, &e->mu, &ts);
}

/* One item: 0 sent, -1 dropped. Called without mu. */
static int send_item(struct exporter *e, CURL *c, struct curl_slist *hdr,
		     const struct export_item *it)
{
	int64_t backoff = EXPORT_BACKOFF_MIN_MS;

	for (int attempt = 1;; attempt++) {
		CURLcode cc;
		long status = 0;
		char why[256];
		bool retry;

		curl_easy_setopt(c, CURLOPT_URL, e->url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)EXPORT_TIMEOUT_MS);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)EXPORT_CONNECT_TIMEOUT_MS);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, e);
		cc = curl_easy_perform(c);
		if (cc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			pthread_mutex_lock(&e->mu);
			e->res.sent++;
			e->res.samples += (uint64_t)it->samples;
			pthread_mutex_unlock(&e->mu);
			return 0;
		}
		if (cc != CURLE_OK) {
			snprintf(why, sizeof(why), "%s", curl_easy_strerror(cc));
			retry = true;
		} else {
			snprintf(why, sizeof(why), "HTTP %ld", status);
			retry = status >= 500 || status == 429;
		}
		pthread_mutex_lock(&e->mu);
		snprintf(e->res.last_error, sizeof(e->res.last_error), "%s", why);
		if (!retry || attempt >= EXPORT_ATTEMPTS ||
		    (e->closing && clock_mono_us() > e->deadline_us)) {
			e->res.dropped++;
			pthread_mutex_unlock(&e->mu);
			return -1;
		}
		e->res.retries++;
		backoff_wait(e, backoff);
		pthread_mutex_unlock(&e->mu);
		backoff = backoff * 2 > EXPORT_BACKOFF_MAX_MS ? EXPORT_BACKOFF_MAX_MS : backoff * 2;
	}
}

static void *sender_main(void *arg)
{
	struct exporter *e = arg;
	struct curl_slist *hdr = NULL;
	CURL *c = curl_easy_init();

	hdr = curl_slist_append(hdr, "Content-Type: application/x-protobuf");
	hdr = curl_slist_append(hdr, "Content-Encoding: snappy");
	hdr = curl_slist_append(hdr, "X-Prometheus-Remote-Write-Version: 0.1.0");
	hdr = curl_slist_append(hdr, "User-Agent: barrage");
	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct export_item it;

		while (e->count == 0 && !e->closing)
			pthread_cond_wait(&e->cv, &e->mu);
		if (e->count == 0)
			break;
		if (e->closing && clock_mono_us() > e->deadline_us) {
			/* Out of time: what is left is dropped (and counted). */
			while (e->count) {
				free(e->queue[e->head].body);
				e->head = (e->head + 1) % EXPORT_QUEUE_MAX;
				e->count--;
				e->res.dropped++;
			}
			break;
		}
		it = e->queue[e->head];
		e->head = (e->head + 1) % EXPORT_QUEUE_MAX;
		e->count--;
		pthread_mutex_unlock(&e->mu);
		if (!c || !hdr) {
			pthread_mutex_lock(&e->mu);
			e->res.dropped++;
			snprintf(e->res.last_error, sizeof(e->res.last_error), "out of memory");
		} else {
			send_item(e, c, hdr, &it);
			pthread_mutex_lock(&e->mu);
		}
		free(it.body);
	}
	pthread_mutex_unlock(&e->mu);
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

/* ---- the run's side ---- */

int export_open(const char *spec, const char *run, const char *scenario, struct exporter **out,
		char **err)
{
	static const char prefix[] = "prometheus-rw=";
	struct exporter *e;
	const char *url;

	*out = NULL;
	if (strncmp(spec, prefix, sizeof(prefix) - 1) != 0)
		return err_set(err, "--export '%s': expected prometheus-rw=URL", spec);
	url = spec + sizeof(prefix) - 1;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return err_set(err, "--export '%s': the URL must start with http:// or https://",
			       spec);
	e = calloc(1, sizeof(*e));
	if (!e)
		return err_set(err, "out of memory");
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->url = strdup(url);
	e->run = strdup(run ? run : "run");
	e->scenario = strdup(scenario ? scenario : "");
	e->total = stats_new();
	if (!e->url || !e->run || !e->scenario || !e->total) {
		export_close(e, 0, NULL);
		return err_set(err, "out of memory");
	}
	if (pthread_create(&e->thread, NULL, sender_main, e) != 0) {
		export_close(e, 0, NULL);
		return err_set(err, "--export: cannot start the sender thread");
	}
	e->started = true;
	*out = e;
	return 0;
}

static void push(struct exporter *e, const struct stats_snapshot *cur, int64_t ts_ms)
{
	struct buf raw;
	struct export_item it = {0};
	int n;

	buf_init(&raw, 0);
	n = export_prom_encode(cur, e->total, e->run, e->scenario, ts_ms, &raw);
	if (n >= 0) {
		size_t cap = snappy_max_compressed_length(raw.len);

		it.body = malloc(cap ? cap : 1);
		it.len = cap;
		it.samples = n;
		if (it.body && snappy_compress(raw.data ? raw.data : "", raw.len, it.body,
					       &it.len) != SNAPPY_OK) {
			free(it.body);
			it.body = NULL;
		}
	}
	buf_free(&raw);
	pthread_mutex_lock(&e->mu);
	if (!it.body) {
		e->res.dropped++;
		snprintf(e->res.last_error, sizeof(e->res.last_error), "cannot encode");
	} else {
		if (e->count == EXPORT_QUEUE_MAX) {
			/* The receiver is slower than the run: the oldest goes. */
			free(e->queue[e->head].body);
			e->head = (e->head + 1) % EXPORT_QUEUE_MAX;
			e->count--;
			e->res.dropped++;
		}
		e->queue[(e->head + e->count) % EXPORT_QUEUE_MAX] = it;
		e->count++;
		pthread_cond_signal(&e->cv);
	}
	pthread_mutex_unlock(&e->mu);
	e->last_ts_ms = ts_ms;
	e->dirty = false;
}

void export_interval(struct exporter *e, const struct stats_snapshot *s, bool late,
		     int64_t start_wall_ms)
{
	int64_t iv_ms, ts;

	if (!e || stats_accumulate(e->total, s) < 0)
		return;
	if (late) {
		e->dirty = true;
		return;
	}
	iv_ms = s->interval_us / 1000;
	ts = start_wall_ms + (int64_t)(s->interval + 1) * iv_ms;
	/* The last interval of a run ends when the run does, maybe before its slot: a sample
	 * stamped in the future would be invisible to a query made now. */
	if (ts > clock_wall_ms())
		ts = clock_wall_ms();
	if (ts <= e->last_ts_ms)
		ts = e->last_ts_ms + 1;
	push(e, s, ts);
}

void export_close(struct exporter *e, int64_t timeout_ms, struct export_result *res)
{
	if (!e) {
		if (res)
			memset(res, 0, sizeof(*res));
		return;
	}
	if (e->started && e->dirty)
		/* Late statistics after the last push: the totals once more. */
		push(e, NULL, e->last_ts_ms + 1);
	pthread_mutex_lock(&e->mu);
	e->closing = true;
	e->deadline_us = clock_mono_us() + timeout_ms * 1000;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->started)
		pthread_join(e->thread, NULL);
	while (e->count) {
		free(e->queue[e->head].body);
		e->head = (e->head + 1) % EXPORT_QUEUE_MAX;
		e->count--;
	}
	if (res)
		*res = e->res;
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	stats_free(e->total);
	free(e->url);
	free(e->run);
	free(e->scenario);
	free(e);
}
