/* gnuplot behind a pipe, for the charts of report.html (reports/gnuplot.c). */
#ifndef BARRAGE_REPORTS_GNUPLOT_H
#define BARRAGE_REPORTS_GNUPLOT_H

#include "common/buf.h"

/* Render a gnuplot script (terminal and output are set by this function) to SVG text appended
 * to out, prefixing element ids with id_prefix so several charts can share a page. Returns 0,
 * or -1 with *err saying why gnuplot could not draw it (missing, crashed, stopped reading). */
int reports_gnuplot_svg(const char *script, const char *id_prefix, struct buf *out, char **err);
/* Append TEXT to a gnuplot script as a single-quoted string (quotes doubled, line breaks as
 * spaces); the charts and the monitoring charts both use it. */
void reports_gp_str(struct buf *s, const char *text);

#endif
