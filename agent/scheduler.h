/* Arrivals and pacing, as pure functions of time: the worker passes the clock in, so the unit
 * tests drive the same code with an injected clock (tests/unit/test_scheduler.c).
 *
 * Open model: users arrive as a Poisson process whose rate follows the plan's phases, constant
 * or ramping linearly within a phase. Arrival times are drawn by inversion of the cumulative
 * rate: an exponential variate E ~ Exp(1) is the area under the rate curve between two
 * arrivals, so the next arrival is the t where the integral of the rate from the last arrival
 * reaches E. Within a linear ramp that integral is quadratic and solved in closed form, which is
 * exact (no thinning, no rejected draws) and costs one log() and one sqrt() per arrival.
 *
 * Closed and rate models: a fixed number of user slots started over an optional ramp-up.
 *
 * Rate model (wrk2): each user sends on a fixed schedule of intended times; a request that is
 * late (the previous one took longer than the interval) goes out at once, and its latency is
 * measured from its intended time, so a stalled target shows as latency instead of as a
 * missing request (coordinated omission). */
#ifndef BARRAGE_AGENT_SCHEDULER_H
#define BARRAGE_AGENT_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

struct sched_phase {
	double start_us; /* offset from the start of the load */
	double duration_us;
	double rate;	 /* per second at the start of the phase */
	double rate_end; /* per second at its end (== rate when constant) */
};

#define SCHED_MAX_PHASES 64

struct sched_open {
	struct sched_phase phases[SCHED_MAX_PHASES];
	size_t nphases;
	size_t cur;    /* phase of the last arrival */
	double t_us;   /* time of the last arrival, from the start */
	double end_us; /* end of the last phase */
	double factor; /* runtime control: every rate times this (1 after init) */
};

/* scale multiplies every rate (a worker's share). Phases beyond SCHED_MAX_PHASES are an error. */
int sched_open_init(struct sched_open *s, const int64_t *durations_us, const double *rates,
		    const double *ramp_to, size_t n, double scale);
/* The next arrival time in µs from the start, or -1 when the phases are over. */
double sched_open_next(struct sched_open *s, uint64_t *rng);
/* Runtime control changed the factor (or the arrivals were paused): the next draw starts at
 * t_us (now), dropping an arrival drawn beyond it that is not yet due; exact for a Poisson
 * process, which has no memory. */
void sched_open_restart(struct sched_open *s, double t_us);
/* Expected arrivals between a and b µs (the integral of the rate), for tests and estimates. */
double sched_open_expected(const struct sched_open *s, double a_us, double b_us);

/* Closed and rate models: when slot i of n starts, spread over ramp_us. */
int64_t sched_slot_start(uint64_t i, uint64_t n, int64_t ramp_us);

/* Split a total over `parts` workers: part i gets total / parts plus one of the remainder. */
uint64_t sched_split(uint64_t total, uint64_t parts, uint64_t i);

/* wrk2-style pacing of one user. *next is the user's next intended send time (µs); take one
 * slot: returns the intended time of this request and advances *next by interval_us. The
 * request goes out at max(now, intended); latency counts from the intended time. */
double sched_pace_take(double *next, double interval_us);

/* Random numbers: xorshift64*, and helpers on it. */
uint64_t sched_rand(uint64_t *s);
double sched_rand_unit(uint64_t *s); /* (0, 1] */
double sched_rand_exp(uint64_t *s);  /* Exp(1) */
uint64_t sched_seed(uint64_t seed, uint64_t stream);

#endif
