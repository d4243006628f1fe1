/* Why errors happened, from the agents' logs (reports/reasons.c). */
#ifndef BARRAGE_REPORTS_REASONS_H
#define BARRAGE_REPORTS_REASONS_H

struct reports_run;

/* Read the first reason per error counter from the .log files in RUN_DIR/agents (absent logs
 * give none), and look one up (NULL when none). */
void reports_run_load_reasons(struct reports_run *run, const char *run_dir);
const char *reports_run_reason(const struct reports_run *run, const char *name);

#endif
