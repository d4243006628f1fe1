/* The live line (see live.h). Built from the merged snapshot of the interval alone, so what it
 * shows is exactly what stats.log records for that interval. */
#include "controller/live.h"

#include <stdarg.h>
#include <string.h>

#include "common/units.h"

const char *live_phase(const struct plan *p, double elapsed_s, char *buf, size_t size)
{
	double t = 0;
	size_t i;

	if (p->load.model != PLAN_MODEL_OPEN) {
		double ramp = (double)p->load.ramp_up_us / 1e6;
		double dur = (double)p->load.duration_us / 1e6;

		snprintf(buf, size, "%s",
			 elapsed_s < ramp   ? "ramp-up"
			 : elapsed_s <= dur ? "steady"
					    : "grace");
		return buf;
	}
	for (i = 0; i < p->load.nphases; i++) {
		const struct plan_phase *f = &p->load.phases[i];

		t += (double)f->duration_us / 1e6;
		if (elapsed_s <= t + 1e-6) {
			if (f->name)
				snprintf(buf, size, "phase %zu/%zu %s", i + 1, p->load.nphases,
					 f->name);
			else
				snprintf(buf, size, "phase %zu/%zu%s", i + 1, p->load.nphases,
					 f->ramp_to >= 0 ? " ramp" : "");
			return buf;
		}
	}
	snprintf(buf, size, "grace");
	return buf;
}

long long live_errors(const struct stats_snapshot *s)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < s->ncounters; i++)
		if (strncmp(s->counters[i].name, "error_", 6) == 0 &&
		    s->counters[i].kind == STATS_COUNTER)
			n += s->counters[i].value;
	return n;
}

const char *live_format(char *buf, size_t size, const struct plan *p,
			const struct stats_snapshot *s, unsigned connected, unsigned total)
{
	const struct hist *req = stats_find_hist(s, "request");
	const struct stats_counter *users = stats_find_counter(s, "users");
	double interval_s = (double)(s->interval_us > 0 ? s->interval_us : p->interval_us) / 1e6;
	double elapsed = (double)(s->interval + 1) * interval_s;
	double cpu = 0;
	char phase[64], rate[32], p50[32], p99[32];
	size_t i;

	for (i = 0; i < s->nhealth; i++) {
		double lim = s->health[i].cpu_limit > 0 ? s->health[i].cpu_limit : 1;
		double c = s->health[i].cpu / lim;

		if (c > cpu)
			cpu = c;
	}
	live_phase(p, elapsed - interval_s / 2, phase, sizeof(phase));
	units_fmt_rate(rate, sizeof(rate),
		       req && interval_s > 0 ? (double)req->count / interval_s : 0);
	units_fmt_duration(p50, sizeof(p50),
			   req && req->count ? (double)hist_percentile(req, 50) : 0);
	units_fmt_duration(p99, sizeof(p99),
			   req && req->count ? (double)hist_percentile(req, 99) : 0);
	snprintf(buf, size,
		 "[%4.0fs] %-14s users %-6lld %9s  p50 %-8s p99 %-8s errors %-5lld cpu %3.0f%%  "
		 "agents %u/%u",
		 elapsed, phase, users ? (long long)users->value : 0LL, rate, p50, p99,
		 live_errors(s), cpu * 100, connected, total);
	{
		/* When most attempts failed, the line says so in words, not only as a count. */
		char note[160];
		size_t n = strlen(buf);

		if (stats_failure_note(s, note, sizeof(note)) && n < size)
			snprintf(buf + n, size - n, "  ! %s", note);
	}
	return buf;
}

void live_print(FILE *out, const struct plan *p, const struct stats_snapshot *s, unsigned connected,
		unsigned total)
{
	char line[512];

	fprintf(out, "%s\n", live_format(line, sizeof(line), p, s, connected, total));
	fflush(out);
}

void live_event(FILE *out, double elapsed_s, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "[%4.0fs] ", elapsed_s < 0 ? 0 : elapsed_s);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}
