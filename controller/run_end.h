/* The end of a run: the records, the reports and the exit code (run_end.c). */
#ifndef BARRAGE_CONTROLLER_RUN_END_H
#define BARRAGE_CONTROLLER_RUN_END_H

#include "controller/run_state.h"

/* A run that failed before or during its setup still leaves a stats.log that says so: a header
 * (when none was written), a notice with r->fail, the end record. */
void run_end_fail_records(struct run *r);
/* The run did not start (r->fail says why): kill what was started, print the reason, leave a
 * stats.log with a header, a notice and the end record. Returns the exit code, 3. */
int run_end_failed(struct run *r);
/* The run ran: flush the merger, stop the monitor and the export, write the end record, close
 * the links, build the reports, print the summary and where the results are, let the
 * dashboard linger. Returns the exit code (0, 1 thresholds failed, 3, or 4). */
int run_end_finish(struct run *r);

#endif
