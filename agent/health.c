/* The agent's view of its own health, reported with every interval.
 *
 * CPU is the process's user + system time (getrusage) over the time the interval really
 * covered, in cores. A window runs from the previous sample to the interval's end: the
 * hand-off of a full interval, or, for the last and usually partial one, the moment the load
 * ended (the last worker's event loop stopped running users; see engine.c). The first window
 * starts at the load's start, not when the agent was told to start. Tearing the users down and
 * joining the threads after the last request is not load, and is outside every window. The
 * limit is the number of worker threads: a worker is one event loop and cannot use more than
 * one core.
 *
 * The saturation rule: an agent is saturated in an interval when load ran in it (requests
 * completed, or users were alive before the load's end: an idle grace tail is not load) and
 * either its CPU reached 90% of its limit over a window of at least HEALTH_CPU_MIN_WINDOW_US, or
 * an event loop was 100 ms or more late (a timer or the lag probe that runs every 100 ms fired
 * that long after it was due). Either way its latency figures include time spent waiting for
 * the load generator itself, so they measure Barrage, not the target.
 *
 * Why a minimum window: over a few milliseconds a single burst (a batch of responses parsed,
 * the previous interval merged and sent) is 100% of a core, and says nothing about whether the
 * generator keeps up. The share of a short window is still reported; it is not judged. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "agent/health.h"
#include "agent/worker.h"
#include "common/clock.h"

#define HEALTH_CPU_FRACTION 0.9
#define HEALTH_LAG_MS	    100.0

int64_t health_cpu_now_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

void health_cpu_start(struct health_cpu *c)
{
	c->wall_us = clock_mono_us();
	c->cpu_us = health_cpu_now_us();
}

double health_cpu_share(int64_t cpu_us, int64_t wall_us)
{
	double r = wall_us > 0 ? (double)cpu_us / (double)wall_us : 0;

	return r < 0 ? 0 : r;
}

double health_cpu_close(struct health_cpu *c, int64_t wall_us, int64_t cpu_us, int64_t *window_us)
{
	int64_t w = wall_us - c->wall_us;
	double r = health_cpu_share(cpu_us - c->cpu_us, w);

	if (window_us)
		*window_us = w > 0 ? w : 0;
	c->wall_us = wall_us;
	c->cpu_us = cpu_us;
	return r;
}

bool health_saturated(const struct health_window *h)
{
	bool cpu_full = h->cpu_limit > 0 && h->window_us >= HEALTH_CPU_MIN_WINDOW_US &&
			h->cpu >= HEALTH_CPU_FRACTION * h->cpu_limit;

	return h->loaded && (cpu_full || h->lag_ms >= HEALTH_LAG_MS);
}

int health_raise_nofile(uint64_t *nofile)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	*nofile = (uint64_t)rl.rlim_cur;
	return 0;
}
