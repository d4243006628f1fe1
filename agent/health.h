/* The agent's view of its own health (health.c): CPU windows, the saturation rule, and the
 * open-file limit. */
#ifndef BARRAGE_AGENT_HEALTH_H
#define BARRAGE_AGENT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

/* Below this window the CPU share is reported but not judged (see health.c). */
#define HEALTH_CPU_MIN_WINDOW_US 200000

/* An open CPU window: where it started. */
struct health_cpu {
	int64_t wall_us;
	int64_t cpu_us;
};

/* One interval as the saturation rule sees it. */
struct health_window {
	double cpu;	   /* cores used over the window (health_cpu_close) */
	double cpu_limit;  /* cores the agent may use */
	int64_t window_us; /* the time the interval really covered */
	double lag_ms;	   /* worst event-loop lag in the interval */
	bool loaded;	   /* requests completed, or users alive before the load's end */
};

/* The process's CPU time so far (user + system, all threads), µs. */
int64_t health_cpu_now_us(void);
/* Open a window now. */
void health_cpu_start(struct health_cpu *c);
/* cpu_us of CPU over wall_us of time, in cores (0 for an empty window). */
double health_cpu_share(int64_t cpu_us, int64_t wall_us);
/* Close the window at (wall_us, cpu_us), a sample taken at the interval's end: returns the
 * share over it, stores its length in *window_us (when not NULL) and opens the next there. */
double health_cpu_close(struct health_cpu *c, int64_t wall_us, int64_t cpu_us, int64_t *window_us);
bool health_saturated(const struct health_window *h);
int health_raise_nofile(uint64_t *nofile);

#endif
