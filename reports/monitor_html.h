/* The monitoring section of report.html (reports/monitor_html.c). */
#ifndef BARRAGE_REPORTS_MONITOR_HTML_H
#define BARRAGE_REPORTS_MONITOR_HTML_H

#include "common/buf.h"

struct reports_run;

/* The monitoring section (bottleneck table, charts). Nothing when no host. */
void reports_monitor_html(const struct reports_run *run, struct buf *b);

#endif
