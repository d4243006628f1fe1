/* Writing stats.log (docs/stats-log.md), next to its reader (reports/statslog.c): the header,
 * interval, late, event and end records, one JSON object per line. Each record is written with
 * one fputs and flushed, so a reader (or a controller killed midway) never sees half a record
 * except possibly the very last one, which the reader skips with a notice.
 *
 * The functions write to an open FILE and know nothing of the run directory: the controller
 * (controller/rundir.c) owns the file, says where it is in its messages and tells the live
 * dashboard of each event. They return 0, or -1 with errno from the failed write (or ENOMEM). */
#ifndef BARRAGE_REPORTS_STATSLOG_WRITE_H
#define BARRAGE_REPORTS_STATSLOG_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/plan.h"
#include "common/stats.h"

/* What the header records about each agent (HELLO's facts and the split). */
struct statslog_agent {
	const char *id;
	const char *host;
	double fraction;
	int cpus; /* 0 when unknown */
};

/* "2026-11-22T14:00:00Z" for a wall-clock time in ms. */
void statslog_write_iso_time(int64_t wall_ms, char *buf, size_t size);

/* The load as the header (and plan.json) records it: model, duration, phases or users. */
json_t *statslog_write_load_json(const struct plan *p);

int statslog_write_header(FILE *f, const struct plan *p, const char *scenario,
			  int64_t start_wall_ms, const struct statslog_agent *agents, size_t n);
/* An interval record, or with late a "late" one (readers add it to the interval with the same
 * index). Returns -2 with *err when the snapshot cannot be encoded, -1 (errno) when the write
 * fails. */
int statslog_write_interval(FILE *f, const struct stats_snapshot *s, bool late, char **err);
/* An event; `extra` (an object, or NULL; this function takes it) is merged into the record. */
int statslog_write_event(FILE *f, double t, const char *agent, const char *what, const char *detail,
			 json_t *extra);
/* Any other record, built by its owner (the `monitor` samples of controller/monitor.c, read
 * by reports/monitor.c): one line, flushed. The caller keeps j. */
int statslog_write_record(FILE *f, json_t *j);
int statslog_write_end(FILE *f, int64_t end_wall_ms, double duration_s, const char *reason,
		       int exit_code);

#endif
