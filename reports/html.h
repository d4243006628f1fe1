/* report.html (reports/html.c; docs/report.md). */
#ifndef BARRAGE_REPORTS_HTML_H
#define BARRAGE_REPORTS_HTML_H

struct reports_run;

/* Write report.html; *charts_why as reports_charts_html's why (the report is written all the
 * same, and 0 returned). */
int reports_html_write(const struct reports_run *run, const char *path, char **err,
		       char **charts_why);

#endif
