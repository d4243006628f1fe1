/* The charts of report.html (reports/charts.c). */
#ifndef BARRAGE_REPORTS_CHARTS_H
#define BARRAGE_REPORTS_CHARTS_H

#include "common/buf.h"

struct reports_run;

/* Append one chart per figure, each an inline <svg> in a <figure>, to out. When gnuplot cannot
 * be run (missing, crashed, stopped reading), appends a note instead and returns -1 with *why
 * (when why is not NULL; the caller frees it) saying what happened: the report is still valid,
 * and the commands warn "gnuplot failed: WHY; report written without charts". */
int reports_charts_html(const struct reports_run *run, struct buf *out, char **why);

#endif
