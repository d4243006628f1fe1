/* Exporters: each merged interval pushed to another system as the run goes (`--export
 * prometheus-rw=URL`, or `export: { prometheus_rw: URL }` in the scenario; docs/dashboard.md).
 *
 * The run must never wait for an exporter: export_interval() only builds the payload and queues
 * it (bounded; the oldest is dropped when full); a thread of the exporter's own sends, retries
 * with backoff what the receiver may take later (5xx, 429, no connection) and drops what it will
 * never take (other 4xx). export_close() gives the queue a bounded time to drain and says what
 * was sent and dropped. */
#ifndef BARRAGE_CONTROLLER_EXPORT_H
#define BARRAGE_CONTROLLER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/stats.h"

struct exporter;

struct export_result {
	uint64_t sent;	  /* requests the receiver accepted (2xx) */
	uint64_t dropped; /* requests given up: queue full, refused (4xx), retries or time out */
	uint64_t retries; /* attempts repeated after a 5xx, 429 or connection failure */
	uint64_t samples; /* samples in the accepted requests */
	char last_error[256]; /* the last failure, "" when none */
};

/* spec: "prometheus-rw=URL". run and scenario become the run and scenario labels of every
 * series. Returns 0, or -1 with *err (a usage error: nothing was started). */
int export_open(const char *spec, const char *run, const char *scenario, struct exporter **out,
		char **err);
/* A merged interval (late: a late record, counted in the totals and sent with the next push).
 * start_wall_ms: the run's start; the interval's samples are stamped at its end. */
void export_interval(struct exporter *e, const struct stats_snapshot *s, bool late,
		     int64_t start_wall_ms);
/* Send what is left (at most timeout_ms), stop the thread, fill *res, free e. NULL is fine. */
void export_close(struct exporter *e, int64_t timeout_ms, struct export_result *res);

/* The remote-write body of one push, before compression (for the unit tests): every series of
 * `cur` (quantiles, gauges, health) and of `total` (counters, counts, sums) at ts_ms. Returns the
 * number of samples, -1 when out of memory. */
int export_prom_encode(const struct stats_snapshot *cur, const struct stats_snapshot *total,
		       const char *run, const char *scenario, int64_t ts_ms, struct buf *out);
/* "error_abort_no credit" -> "error_abort_no_credit": a Prometheus metric-name part. */
void export_prom_name(const char *in, char *out, size_t size);

#endif
