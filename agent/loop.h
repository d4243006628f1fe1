/* A worker thread's loop (loop.c): its users, arrivals, intervals, stopping and runtime
 * control, as the main thread (engine.c) drives it. */
#ifndef BARRAGE_AGENT_LOOP_H
#define BARRAGE_AGENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct event;
struct worker;

/* Set up the loop of w (after worker_init): its events and its share of the plan's load among
 * nworkers. collect is the main thread's event, activated after each hand-off. */
int loop_init(struct worker *w, int nworkers, struct event *collect, char **err);
/* Run the loop on a new thread; the load starts at t0 (monotonic µs, clock_mono_us()). */
int loop_start(struct worker *w, int64_t t0);
/* Ask a worker to stop (from any thread): its users stop at their next step, in-flight requests
 * get up to hard_us to finish. */
void loop_request_stop(struct worker *w, int64_t hard_us);
/* Runtime control (from the main thread): scale multiplies the open model's arrival rate and the
 * rate model's request rate; users (-1 = unchanged) is this worker's users in the closed and rate
 * models; paused stops arrivals and new sessions (users end at their next step). */
void loop_request_control(struct worker *w, double scale, int64_t users, bool paused);
/* Free the users and the loop's events (before worker_destroy; the thread is joined). */
void loop_destroy(struct worker *w);

#endif
