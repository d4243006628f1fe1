/* The agent's view of its own health, reported with every interval.
 *
 * CPU is the process's user + system time over the interval (getrusage) divided by the
 * interval's wall time, in cores. The limit is the number of worker threads: a worker is one
 * event loop and cannot use more than one core.
 *
 * The saturation rule: an agent is saturated in an interval when its CPU reached 90% of its
 * limit, or when an event loop was 100 ms or more late (a timer or the lag probe that runs
 * every 100 ms fired that long after it was due). Either way its latency figures include time
 * spent waiting for the load generator itself, so they measure Barrage, not the target. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "agent/agent.h"

#define HEALTH_CPU_FRACTION 0.9
#define HEALTH_LAG_MS	    100.0

static int64_t cpu_now_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

void health_cpu_start(struct health_cpu *c)
{
	c->wall_us = worker_now();
	c->cpu_us = cpu_now_us();
}

double health_cpu_sample(struct health_cpu *c)
{
	int64_t wall = worker_now(), cpu = cpu_now_us();
	double r = wall > c->wall_us ? (double)(cpu - c->cpu_us) / (double)(wall - c->wall_us) : 0;

	c->wall_us = wall;
	c->cpu_us = cpu;
	return r < 0 ? 0 : r;
}

bool health_saturated(double cpu, double cpu_limit, double lag_ms)
{
	return (cpu_limit > 0 && cpu >= HEALTH_CPU_FRACTION * cpu_limit) || lag_ms >= HEALTH_LAG_MS;
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
