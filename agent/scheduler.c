/* Arrivals and pacing (see scheduler.h for the model). Nothing here reads a clock or allocates,
 * which is what lets the unit tests check rates and ramp shapes with an injected clock. */
#include "agent/scheduler.h"

#include <math.h>

uint64_t sched_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

double sched_rand_unit(uint64_t *s)
{
	/* 53 random bits, shifted away from 0 so log() is finite. */
	return ((double)(sched_rand(s) >> 11) + 1.0) / 9007199254740992.0;
}

double sched_rand_exp(uint64_t *s)
{
	return -log(sched_rand_unit(s));
}

uint64_t sched_seed(uint64_t seed, uint64_t stream)
{
	/* splitmix64 of both, so nearby seeds and streams give unrelated sequences; never 0. */
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return z ? z : 0x1234567ULL;
}

int sched_open_init(struct sched_open *s, const int64_t *durations_us, const double *rates,
		    const double *ramp_to, size_t n, double scale)
{
	double t = 0;

	if (n > SCHED_MAX_PHASES)
		return -1;
	s->nphases = n;
	for (size_t i = 0; i < n; i++) {
		struct sched_phase *p = &s->phases[i];

		p->start_us = t;
		p->duration_us = (double)durations_us[i];
		p->rate = rates[i] * scale;
		p->rate_end = ramp_to && ramp_to[i] >= 0 ? ramp_to[i] * scale : p->rate;
		t += p->duration_us;
	}
	s->cur = 0;
	s->t_us = 0;
	s->end_us = t;
	s->factor = 1;
	return 0;
}

void sched_open_restart(struct sched_open *s, double t_us)
{
	/* The last draw may lie ahead of t_us (an arrival not yet due): it is dropped, and the
	 * phase is found again from the start. */
	s->t_us = t_us < 0 ? 0 : t_us;
	s->cur = 0;
	while (s->cur < s->nphases &&
	       t_us >= s->phases[s->cur].start_us + s->phases[s->cur].duration_us)
		s->cur++;
}

/* Rate (per µs) at offset x µs into phase p. */
static double rate_at(const struct sched_phase *p, double x)
{
	double k = p->duration_us > 0 ? (p->rate_end - p->rate) / p->duration_us : 0;

	return (p->rate + k * x) / 1e6;
}

/* Integral of the rate over [x, y] within phase p (offsets into the phase). */
static double area(const struct sched_phase *p, double x, double y)
{
	return (rate_at(p, x) + rate_at(p, y)) * 0.5 * (y - x);
}

double sched_open_next(struct sched_open *s, uint64_t *rng)
{
	/* The area under factor * rate is e, so the area under the plan's rate is e / factor. */
	double e = sched_rand_exp(rng) / (s->factor > 0 ? s->factor : 1);

	while (s->cur < s->nphases) {
		const struct sched_phase *p = &s->phases[s->cur];
		double x = s->t_us - p->start_us;
		double rest;

		if (x < 0)
			x = 0;
		rest = area(p, x, p->duration_us);
		if (e <= rest && rest > 0) {
			/* Solve r0*d + k/2*d^2 = e for d, in the form that stays accurate when k is
			 * near 0: d = 2e / (r0 + sqrt(r0^2 + 2ke)). */
			double r0 = rate_at(p, x);
			double k = (p->rate_end - p->rate) / 1e6 / p->duration_us;
			double disc = r0 * r0 + 2 * k * e;
			double d;

			if (disc < 0)
				disc = 0;
			d = 2 * e / (r0 + sqrt(disc));
			if (x + d > p->duration_us)
				d = p->duration_us - x;
			s->t_us = p->start_us + x + d;
			return s->t_us;
		}
		e -= rest;
		s->cur++;
		if (s->cur < s->nphases)
			s->t_us = s->phases[s->cur].start_us;
	}
	s->t_us = s->end_us;
	return -1;
}

double sched_open_expected(const struct sched_open *s, double a_us, double b_us)
{
	double sum = 0;

	for (size_t i = 0; i < s->nphases; i++) {
		const struct sched_phase *p = &s->phases[i];
		double lo = a_us - p->start_us, hi = b_us - p->start_us;

		if (lo < 0)
			lo = 0;
		if (hi > p->duration_us)
			hi = p->duration_us;
		if (hi > lo)
			sum += area(p, lo, hi);
	}
	return sum;
}

int64_t sched_slot_start(uint64_t i, uint64_t n, int64_t ramp_us)
{
	if (n == 0 || ramp_us <= 0)
		return 0;
	return (int64_t)((double)ramp_us * (double)i / (double)n);
}

uint64_t sched_split(uint64_t total, uint64_t parts, uint64_t i)
{
	if (parts == 0)
		return total;
	return total / parts + (i < total % parts ? 1 : 0);
}

double sched_pace_take(double *next, double interval_us)
{
	double intended = *next;

	*next += interval_us;
	return intended;
}
