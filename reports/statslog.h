/* Reading stats.log back (reports/statslog.c; docs/stats-log.md). */
#ifndef BARRAGE_REPORTS_STATSLOG_H
#define BARRAGE_REPORTS_STATSLOG_H

#include <stddef.h>

struct reports_run;

/* Refuse interval indexes beyond this (a corrupt or hostile file would otherwise make us
 * allocate per-interval arrays of any size): 10^6 intervals is 115 days at 10 s. */
#define REPORTS_MAX_INTERVALS 1000000
/* Longest stats.log line accepted. */
#define REPORTS_MAX_LINE ((size_t)64 << 20)

/* Read PATH (a stats.log) into a run, with its figures (reports/figures.h) computed and its
 * thresholds evaluated. Returns 0, or -1 with *err naming the line and what is wrong. A
 * missing end record or a cut last line is not an error: run->truncated is set and a notice
 * explains it. The caller frees *out with reports_run_free. */
int reports_run_load(const char *path, struct reports_run **out, char **err);

#endif
