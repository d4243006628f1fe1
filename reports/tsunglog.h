/* tsung.log, for Tsung's own tsung_stats.pl (reports/tsunglog.c). */
#ifndef BARRAGE_REPORTS_TSUNGLOG_H
#define BARRAGE_REPORTS_TSUNGLOG_H

struct reports_run;

int reports_tsunglog_write(const struct reports_run *run, const char *path, char **err);

#endif
