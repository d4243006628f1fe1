/* The agent's load as the main thread sees it (engine.c): compile the plan, create the
 * workers, start them at a common time, merge their interval hand-offs into one snapshot per
 * interval (with this agent's health), control and stop them. link.c drives it from the
 * controller's frames. */
#ifndef BARRAGE_AGENT_ENGINE_H
#define BARRAGE_AGENT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct plan;
struct stats_snapshot;

/* Called with each interval's merged snapshot (final is the last one). */
typedef void (*agent_emit_fn)(void *arg, struct stats_snapshot *s, bool final);

struct agent_emit {
	agent_emit_fn fn;
	void *arg;
};

/* The load of this agent (engine.c). */
struct agent;

/* Take ownership of plan, compile it, load data, create the workers (not yet running).
 * base is the main thread's event_base. */
int agent_prepare(struct agent **out, struct plan *plan, struct event_base *base,
		  struct agent_emit emit, char **err);
/* Start the load delay_us from now. */
int agent_start(struct agent *a, int64_t delay_us);
/* Stop the load: in-flight requests get up to hard_us, then the final stats are emitted. */
void agent_stop(struct agent *a, int64_t hard_us);
/* Runtime control of a started load (loop_request_control; users is the agent's total, -1 =
 * unchanged, split over the workers as the plan's users are). */
void agent_control(struct agent *a, double scale, int64_t users, bool paused);
bool agent_started(const struct agent *a);
void agent_free(struct agent *a);

#endif
