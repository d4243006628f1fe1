/* monitor.HOST.FIGURE.STAT thresholds (reports/monitor_threshold.c; docs/monitor.md). */
#ifndef BARRAGE_REPORTS_MONITOR_THRESHOLD_H
#define BARRAGE_REPORTS_MONITOR_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

struct reports_run;
struct reports_threshold;

/* "monitor.local.cpu.max" with "< 80%". Fills host, the figure (enum procfs_fig), whether
 * STAT is max (else mean), the operator (enum threshold_op) and the value in the figure's
 * unit; -1 with a message. */
int reports_monitor_threshold_parse(const char *metric, const char *condition, char *host,
				    size_t hsize, int *fig, bool *max, int *op, double *value,
				    char **err);
/* Fills rt (valid, has_value, value, ok, error) from the run's monitor records. Returns true
 * when rt's metric is a monitor one (then the caller counts rt->ok). */
bool reports_monitor_threshold_eval(const struct reports_run *run, struct reports_threshold *rt);

#endif
