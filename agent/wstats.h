/* What one worker records in one interval (struct wstats): histograms and counters in fixed
 * arrays indexed by the numbers in metrics.h and the compiled plan's name tables, the status
 * codes, and the gauges. Each worker fills its own record with no lock and hands it to the
 * main thread once per interval (loop.c); the main thread merges the records into a snapshot
 * (engine.c). */
#ifndef BARRAGE_AGENT_WSTATS_H
#define BARRAGE_AGENT_WSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/metrics.h"
#include "common/hist.h"

struct prog;
struct stats_snapshot;

struct wstats {
	uint32_t interval;
	bool ready;	 /* handed off and not yet taken by the main thread */
	struct hist **h; /* [prog->nhists], allocated on first record */
	uint64_t *c;	 /* [prog->nctrs] */
	uint64_t http[AGENT_HTTP_CODES];
	int64_t users, users_max; /* gauges: value at the hand-off and maximum during */
	int64_t conns, conns_max;
	double lag_max_ms;
};

struct wstats *wstats_new(const struct prog *g);
void wstats_free(const struct prog *g, struct wstats *s);
void wstats_reset(const struct prog *g, struct wstats *s);
/* dst += src (histograms, counters; gauges take src's). */
void wstats_merge(const struct prog *g, struct wstats *dst, const struct wstats *src);
/* Add this worker-level record into a stats snapshot. */
int wstats_to_snapshot(const struct prog *g, const struct wstats *s, struct stats_snapshot *out);

static inline void wstats_record(const struct prog *g, struct wstats *s, int h, uint64_t us)
{
	if (!s->h[h]) {
		s->h[h] = hist_new();
		if (!s->h[h])
			return;
	}
	hist_record(s->h[h], us);
	(void)g;
}

#endif
