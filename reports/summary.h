/* summary.json (reports/summary.c; docs/summary-json.md). */
#ifndef BARRAGE_REPORTS_SUMMARY_H
#define BARRAGE_REPORTS_SUMMARY_H

struct reports_run;

/* The summary.json document (jansson json_t *, as void * to keep jansson out of this
 * header); NULL on no memory. */
void *reports_summary_json(const struct reports_run *run);
int reports_summary_write(const struct reports_run *run, const char *path, char **err);

#endif
