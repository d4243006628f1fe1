/* junit.xml: one test case per threshold, for CI (reports/junit.c). */
#ifndef BARRAGE_REPORTS_JUNIT_H
#define BARRAGE_REPORTS_JUNIT_H

struct reports_run;

int reports_junit_write(const struct reports_run *run, const char *path, char **err);

#endif
