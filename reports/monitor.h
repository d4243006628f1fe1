/* Target monitoring in the reports: the `monitor` records of stats.log (written by
 * controller/monitor.c; docs/monitor.md) read back per host, and what every output makes of
 * them: summary.json's `monitor` section, tsung.log's os_mon lines, report.html's section
 * (charts against request rate and latency, the "where was the bottleneck" table), and the
 * `monitor.HOST.FIGURE.STAT` thresholds. Internal to reports/. */
#ifndef BARRAGE_REPORTS_MONITOR_H
#define BARRAGE_REPORTS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/procfs.h"

struct reports_run;
struct reports_threshold;

struct reports_mon_sample {
	double t;      /* seconds since the start */
	uint32_t have; /* 1 << enum procfs_fig */
	double v[PROCFS_NFIGS];
	double proc_cpu[PROCFS_MAX_NAMES], proc_rss[PROCFS_MAX_NAMES]; /* NaN: no such process */
};

struct reports_mon_down {
	double t;
	char *why;
};

struct reports_mon_host {
	char *name;
	struct reports_mon_sample *s;
	size_t n, cap;
	double interval_s; /* the sampling interval the records gave */
	struct reports_mon_down *down;
	size_t ndown;
	char *missing[PROCFS_NFILES]; /* files the host lacked */
	size_t nmissing;
	char *procs[PROCFS_MAX_NAMES]; /* watched process names */
	size_t nprocs;
	/* tsung.log writing state (reports_monitor_tsung): next sample, and the count and sum of
	 * the samples before the current dump, per Tsung figure. */
	size_t tsung_cur;
	double tsung_nb[16], tsung_sb[16];
};

struct reports_monitor {
	struct reports_mon_host *h;
	size_t n;
};

/* statslog.c hands every `monitor` record (a jansson object, as void *) to this. Returns -1 on
 * no memory; a malformed record is skipped. *m is created on the first record. */
int reports_monitor_add(struct reports_monitor **m, const void *record);
void reports_monitor_free(struct reports_monitor *m);

/* summary.json's "monitor" object (jansson json_t *, as void *): per host, per figure
 * {mean, max, max_t}, processes, samples, down, gaps, missing. */
void *reports_monitor_json(const struct reports_run *run);
/* tsung.log: the os_mon lines of interval i (those of the samples taken during it). */
void reports_monitor_tsung(const struct reports_run *run, size_t i, struct buf *b);
/* report.html: the monitoring section (bottleneck table, charts). Nothing when no host. */
void reports_monitor_html(const struct reports_run *run, struct buf *b);
/* The console summary's lines for summary.json's "monitor" object (a jansson json_t *, as
 * const void *; nothing when NULL): per host, the highest CPU, busiest core, memory, disk and
 * network figures, and whether it went down. */
void reports_monitor_print(const void *monitor, FILE *out);
/* Threshold monitor.HOST.FIGURE.STAT: fills rt (valid, has_value, value, ok, error). Returns
 * true when rt's metric is a monitor one (then the caller counts rt->ok). */
bool reports_monitor_threshold_eval(const struct reports_run *run, struct reports_threshold *rt);

#endif
