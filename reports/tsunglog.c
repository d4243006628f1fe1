/* tsung.log: the run's intervals in Tsung 1.7's text format, so that Tsung's own
 * tsung_stats.pl and tsplot read a Barrage run.
 *
 * The format, as Tsung's controller writes it (ts_mon.erl, ts_stats_mon.erl):
 *
 *   # stats: dump at UNIX_SECONDS
 *   stats: users CURRENT MAX_SO_FAR
 *   stats: NAME COUNT MEAN STDDEV MAX MIN MEAN_BEFORE COUNT_BEFORE     sample statistics, ms
 *   stats: NAME DELTA TOTAL                                            counters
 *   stats: connected DELTA CURRENT
 *
 * COUNT, MEAN and STDDEV cover the interval; MAX and MIN the run so far; MEAN_BEFORE and
 * COUNT_BEFORE the intervals before this one (Tsung resets them at each dump). HTTP status
 * counters are named by the bare code ("stats: 200 ..."). A sample statistic is written from
 * its first value on, with zeros in intervals without values, as Tsung does.
 *
 * Two deliberate choices make tsung_stats.pl see exactly our figures:
 *  - an empty dump at the start time: tsung_stats.pl ignores the lines of the first dump (it
 *    has no interval to divide by yet), so the first real interval comes after it;
 *  - the closing dump (the last interval) carries the run's totals in MEAN_BEFORE and
 *    COUNT_BEFORE, since tsung_stats.pl reports those of the last line as the run's Mean and
 *    Count: with Tsung's own convention its Count would leave out the last interval.
 *
 * Names are escaped for Tsung's tools (tsung_name() below): tsung_stats.pl reads a name as
 * `\S+`, makes it a file name (data/NAME.txt), a CSV column, a gnuplot title in single quotes,
 * HTML and, with --nohtml, part of a printf format. Letters, digits, '_', '-', '.' and UTF-8
 * bytes (>= 0x80, valid UTF-8 by the time a name gets here) are kept; every other byte is
 * written as =XX (hex), as in quoted-printable: "no credit" becomes "no=20credit". '=' is
 * neither special nor a '%' (which --nohtml's printf would read as a conversion). */
#include "reports/tsunglog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "reports/monitor_report.h"
#include "reports/output.h"
#include "reports/run.h"

/* The statistics Tsung knows, in the order its report lists them. */
static bool tsung_sample(const char *name)
{
	return strcmp(name, "connect") == 0 || strcmp(name, "page") == 0 ||
	       strcmp(name, "request") == 0 || strcmp(name, "session") == 0 ||
	       strncmp(name, "tr_", 3) == 0;
}

static bool tsung_counter(const struct reports_counter *c)
{
	const char *n = c->name;

	if (c->gauge)
		return strcmp(n, "connected") == 0;
	return strncmp(n, "http_", 5) == 0 || strncmp(n, "error_", 6) == 0 ||
	       strcmp(n, "size_rcv") == 0 || strcmp(n, "size_sent") == 0 ||
	       strcmp(n, "users_count") == 0 || strcmp(n, "finish_users_count") == 0;
}

/* Append NAME escaped for tsung.log (see the top of this file). */
static void tsung_name(struct buf *b, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' || *p >= 0x80) {
			buf_append_byte(b, *p);
		} else {
			char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};

			buf_append(b, e, 3);
		}
	}
}

struct sample_state {
	double max, min;   /* run so far */
	double sum, count; /* for MEAN_BEFORE / COUNT_BEFORE */
};

int reports_tsunglog_write(const struct reports_run *run, const char *path, char **err)
{
	struct buf b;
	struct sample_state *st = calloc(run->nhists + 1, sizeof(*st));
	double *ctot = calloc(run->ncounters + 1, sizeof(*ctot)); /* running counter totals */
	const struct reports_counter *users = reports_run_counter(run, "users");
	double users_max = 0;
	long start = (long)(run->start_unix_ms / 1000);
	int rc = -1;

	buf_init(&b, 0);
	if (!st || !ctot) {
		free(st);
		free(ctot);
		return err_set(err, "out of memory");
	}
	buf_printf(&b, "# stats: dump at %ld\nstats: users 0 0\n", start);
	for (size_t i = 0; i < run->niv; i++) {
		bool closing = i + 1 == run->niv;

		buf_printf(&b, "# stats: dump at %ld\n",
			   start + lround((double)(i + 1) * run->interval_s));
		if (users && users->gauge) {
			if (users->vmax[i] > users_max)
				users_max = users->vmax[i];
			if (users->v[i] > users_max)
				users_max = users->v[i];
			buf_printf(&b, "stats: users %.0f %.0f\n", users->v[i], users_max);
		} else {
			buf_printf(&b, "stats: users 0 0\n");
		}
		for (size_t k = 0; k < run->ncounters; k++) {
			const struct reports_counter *c = &run->counters[k];
			const char *name = c->name;
			double total;

			if (!tsung_counter(c) || c->first < 0 || (int)i < c->first)
				continue;
			if (strncmp(name, "http_", 5) == 0)
				name += 5;
			if (c->gauge) {
				double prev = i > 0 ? c->v[i - 1] : 0;

				buf_append_str(&b, "stats: ");
				tsung_name(&b, name);
				buf_printf(&b, " %.0f %.0f\n", c->v[i] - prev, c->v[i]);
				continue;
			}
			ctot[k] += c->v[i];
			total = ctot[k];
			buf_append_str(&b, "stats: ");
			tsung_name(&b, name);
			buf_printf(&b, " %.0f %.0f\n", c->v[i], total);
		}
		for (size_t k = 0; k < run->nhists; k++) {
			const struct reports_hist *h = &run->hists[k];
			struct sample_state *s = &st[k];
			double n = h->n[i], mean_fb, count_fb;

			if (!tsung_sample(h->name) || h->first < 0 || (int)i < h->first)
				continue;
			if (n > 0) {
				if (s->count == 0 || h->max_ms[i] > s->max)
					s->max = h->max_ms[i];
				if (s->count == 0 || h->min_ms[i] < s->min)
					s->min = h->min_ms[i];
			}
			if (closing) {
				s->sum += n * h->mean_ms[i];
				s->count += n;
			}
			mean_fb = s->count > 0 ? s->sum / s->count : 0;
			count_fb = s->count;
			buf_append_str(&b, "stats: ");
			tsung_name(&b, h->name);
			buf_printf(&b, " %.0f %.6f %.6f %.3f %.3f %.6f %.0f\n", n,
				   n > 0 ? h->mean_ms[i] : 0, n > 0 ? h->stddev_ms[i] : 0, s->max,
				   s->min, mean_fb, count_fb);
			if (!closing) {
				s->sum += n * h->mean_ms[i];
				s->count += n;
			}
		}
		reports_monitor_tsung(run, i, &b);
	}
	rc = reports_write_file(path, b.data ? b.data : "", b.len, err);
	free(st);
	free(ctot);
	buf_free(&b);
	return rc;
}
