/* The live progress line: one line per merged interval on stderr while a run goes, e.g.
 *
 *   [ 20s] phase 2/2 ramp  users 35  812/s  p50 4.1ms  p99 21ms  errors 12  cpu 41%  agents 2/2
 *
 * elapsed time at the end of the interval, the load phase, users alive, requests per second,
 * the interval's p50 and p99 request time, errors in the interval, the busiest agent's CPU (as
 * a share of the cores it may use), and agents connected of total. Quiet with -q. */
#ifndef BARRAGE_CONTROLLER_LIVE_H
#define BARRAGE_CONTROLLER_LIVE_H

#include <stddef.h>
#include <stdio.h>

#include "common/plan.h"
#include "common/stats.h"

/* Where the load is at `elapsed_s` into the run: "phase 2/3 ramp", "steady", "grace". */
const char *live_phase(const struct plan *p, double elapsed_s, char *buf, size_t size);

/* Format the line for one merged interval (no newline). Returns buf. */
const char *live_format(char *buf, size_t size, const struct plan *p,
			const struct stats_snapshot *s, unsigned connected, unsigned total);

/* Sum of the error_* counters of a snapshot. */
long long live_errors(const struct stats_snapshot *s);

/* Print the line, or an event line ("[ 12s] agent local-2 lost: killed by signal 9"). */
void live_print(FILE *out, const struct plan *p, const struct stats_snapshot *s, unsigned connected,
		unsigned total);
void live_event(FILE *out, double elapsed_s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
