/* The monitor records in summary.json, tsung.log and the console (reports/monitor_report.c). */
#ifndef BARRAGE_REPORTS_MONITOR_REPORT_H
#define BARRAGE_REPORTS_MONITOR_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "common/buf.h"

struct reports_run;

/* summary.json's "monitor" object (jansson json_t *, as void *): per host, per figure
 * {mean, max, max_t}, processes, samples, down, gaps, missing. */
void *reports_monitor_json(const struct reports_run *run);
/* tsung.log: the os_mon lines of interval i (those of the samples taken during it). */
void reports_monitor_tsung(const struct reports_run *run, size_t i, struct buf *b);
/* The console summary's lines for summary.json's "monitor" object (a jansson json_t *, as
 * const void *; nothing when NULL): per host, the highest CPU, busiest core, memory, disk and
 * network figures, and whether it went down. */
void reports_monitor_print(const void *monitor, FILE *out);

#endif
