/* monitor.HOST.FIGURE.STAT thresholds (docs/monitor.md): "monitor.local.cpu.max" with
 * "< 80%". Parsed here for the scenario check and evaluated here against the monitor records
 * of a run (reports/monitor.h) when the reports are built. */
#include "reports/monitor_threshold.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/procfs.h"
#include "common/threshold.h"
#include "reports/monitor.h"
#include "reports/run.h"

static const struct {
	const char *alias;
	int fig;
} fig_alias[] = {
    {"cpu", PROCFS_CPU_PCT},	     {"iowait", PROCFS_CPU_IOWAIT_PCT},
    {"steal", PROCFS_CPU_STEAL_PCT}, {"core", PROCFS_CPU_CORE_MAX_PCT},
    {"load", PROCFS_LOAD1},	     {"mem", PROCFS_MEM_USED},
    {"memory", PROCFS_MEM_USED},     {"swap", PROCFS_SWAP_USED},
    {"disk", PROCFS_DISK_UTIL_PCT},  {"retrans", PROCFS_TCP_RETRANS_PS},
    {"numa", PROCFS_NUMA_MISS_PS},
};

static int fig_by_name(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(fig_alias) / sizeof(fig_alias[0]); i++)
		if (strlen(fig_alias[i].alias) == len && memcmp(fig_alias[i].alias, s, len) == 0)
			return fig_alias[i].fig;
	for (int f = 0; f < PROCFS_NFIGS; f++)
		if (strlen(procfs_fig_names[f]) == len && memcmp(procfs_fig_names[f], s, len) == 0)
			return f;
	return -1;
}

int reports_monitor_threshold_parse(const char *metric, const char *condition, char *host,
				    size_t hsize, int *fig, bool *max, int *op, double *value,
				    char **err)
{
	const char *last, *fdot, *p = condition;
	char *end;
	double v, mul = 1;
	size_t hl;

	if (strncmp(metric, "monitor.", 8) != 0)
		return err_set(err, "'%s' is not a monitor threshold", metric);
	last = strrchr(metric, '.');
	if (last == metric + 7)
		return err_set(err, "threshold '%s': expected monitor.HOST.FIGURE.max (or .mean)",
			       metric);
	for (fdot = last - 1; fdot > metric + 7 && *fdot != '.'; fdot--)
		;
	if (fdot <= metric + 7)
		return err_set(err, "threshold '%s': expected monitor.HOST.FIGURE.max (or .mean)",
			       metric);
	if (strcmp(last + 1, "max") == 0)
		*max = true;
	else if (strcmp(last + 1, "mean") == 0)
		*max = false;
	else
		return err_set(err, "threshold '%s': unknown field '%s' (use max or mean)", metric,
			       last + 1);
	*fig = fig_by_name(fdot + 1, (size_t)(last - fdot - 1));
	if (*fig < 0)
		return err_set(
		    err,
		    "threshold '%s': unknown figure '%.*s' (use cpu, core, iowait, steal, "
		    "load, mem, swap, disk, retrans, numa or a figure of docs/monitor.md)",
		    metric, (int)(last - fdot - 1), fdot + 1);
	hl = (size_t)(fdot - (metric + 8));
	if (hl == 0 || hl >= hsize)
		return err_set(err, "threshold '%s': no host", metric);
	memcpy(host, metric + 8, hl);
	host[hl] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "<=", 2) == 0)
		*op = THRESHOLD_LE, p += 2;
	else if (strncmp(p, ">=", 2) == 0)
		*op = THRESHOLD_GE, p += 2;
	else if (strncmp(p, "==", 2) == 0)
		*op = THRESHOLD_EQ, p += 2;
	else if (strncmp(p, "!=", 2) == 0)
		*op = THRESHOLD_NE, p += 2;
	else if (*p == '<')
		*op = THRESHOLD_LT, p++;
	else if (*p == '>')
		*op = THRESHOLD_GT, p++;
	else
		return err_set(err,
			       "condition '%s' must start with <, <=, >, >=, == or !=", condition);
	while (isspace((unsigned char)*p))
		p++;
	v = strtod(p, &end);
	if (end == p || !isfinite(v))
		return err_set(err, "condition '%s': expected a number after the operator",
			       condition);
	while (isspace((unsigned char)*end))
		end++;
	{
		static const struct {
			const char *u;
			double mul;
		} units[] = {{"%", 1},	       {"/s", 1},	    {"B", 1},	 {"kB", 1e3},
			     {"KB", 1e3},      {"MB", 1e6},	    {"GB", 1e9}, {"KiB", 1024},
			     {"MiB", 1048576}, {"GiB", 1073741824}, {"B/s", 1},	 {"kB/s", 1e3},
			     {"MB/s", 1e6},    {"GB/s", 1e9},	    {"", 1}};
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strcmp(end, units[k].u) == 0)
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return err_set(err,
				       "condition '%s': unknown unit '%s' (use %%, /s, B, kB, MB, "
				       "GB, KiB, MiB, GiB or none)",
				       condition, end);
		mul = units[k].mul;
		if (strcmp(end, "%") == 0 && strcmp(procfs_fig_units[*fig], "%") != 0)
			return err_set(err, "condition '%s': %s is not a percentage", condition,
				       procfs_fig_names[*fig]);
	}
	*value = v * mul;
	return 0;
}

bool reports_monitor_threshold_eval(const struct reports_run *run, struct reports_threshold *rt)
{
	char host[256];
	int fig, op;
	bool max;
	double value;
	const struct reports_monitor *m = run->monitor;
	const struct reports_mon_host *h = NULL;
	struct reports_mon_agg a;

	if (strncmp(rt->metric, "monitor.", 8) != 0)
		return false;
	rt->valid = reports_monitor_threshold_parse(rt->metric, rt->condition, host, sizeof(host),
						    &fig, &max, &op, &value, &rt->error) == 0;
	if (!rt->valid)
		return true;
	memset(&rt->t, 0, sizeof(rt->t));
	snprintf(rt->t.stat, sizeof(rt->t.stat), "%s", rt->metric);
	snprintf(rt->t.field, sizeof(rt->t.field), "%s", max ? "max" : "mean");
	rt->t.op = (enum threshold_op)op;
	rt->t.value = value;
	rt->t.unit = THRESHOLD_UNIT_COUNT;
	for (size_t i = 0; m && i < m->n; i++)
		if (strcmp(m->h[i].name, host) == 0)
			h = &m->h[i];
	if (!h) {
		err_set(&rt->error, "no data: host %s was not monitored", host);
		return true;
	}
	a = reports_monitor_aggregate(h, fig, false);
	if (!a.n) {
		err_set(&rt->error, "no data for %s on %s", procfs_fig_names[fig], host);
		return true;
	}
	rt->has_value = true;
	rt->value = max ? a.max : a.sum / (double)a.n;
	rt->ok = threshold_holds(&rt->t, rt->value);
	return true;
}
