/* Target monitoring in the reports: the `monitor` records of stats.log (written by
 * controller/monitor.c; docs/monitor.md) read back per host, and the figures over them. What
 * the outputs make of them is in monitor_report.h (summary.json, tsung.log, console),
 * monitor_html.h (report.html) and monitor_threshold.h (monitor.HOST.FIGURE.STAT).
 * Internal to reports/. */
#ifndef BARRAGE_REPORTS_MONITOR_H
#define BARRAGE_REPORTS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/procfs.h"

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

/* A figure over a host's samples: how many had it, their sum, the highest and when (t). */
struct reports_mon_agg {
	size_t n;
	double sum, max, max_t;
};
/* fig >= 0: a figure (enum procfs_fig); fig < 0: process -fig-1's CPU (rss: its memory). */
struct reports_mon_agg reports_monitor_aggregate(const struct reports_mon_host *h, int fig,
						 bool rss);
/* The host's sampling interval: the one its records gave, else the run's, else 10 s. */
double reports_monitor_interval(const struct reports_mon_host *h, double run_interval_s);
/* A figure's value in its unit (docs/monitor.md), for people: "12.5%", "1.20 MiB/s". */
void reports_monitor_fmt(char *v, size_t size, int fig, double x);

#endif
