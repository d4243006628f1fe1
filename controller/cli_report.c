/* `barrage report RUN_DIR`: rebuild a run's reports from its stats.log (reports_build) and
 * print the summary table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/cli.h"
#include "reports/reports.h"

static const char usage_report[] =
    "usage: barrage report RUN_DIR [-q]\n"
    "Rebuild summary.json, tsung.log, report.html and junit.xml (when the scenario has "
    "thresholds) from RUN_DIR/stats.log.\n"
    "  -q, --quiet   print nothing but errors\n"
    "Exit: 0 ok, 1 a threshold failed, 2 usage error or unreadable stats.log, 4 cannot write "
    "the reports.\n";

static const struct option report_longopts[] = {
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static int report_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	if (c == 'q')
		*(bool *)ctx = true;
	return CLI_GO_ON;
}

static const struct cli_command cli_report = {
    .name = "report",
    .usage = usage_report,
    .optstring = "qhv",
    .longopts = report_longopts,
    .bad = CLI_BAD_GETOPT,
    .option = report_option,
};

int cli_report_main(int argc, char **argv)
{
	struct reports_result res;
	bool quiet = false;
	char *err = NULL;
	int rc;

	/* gnuplot runs behind a pipe (reports/charts.c): one that exits early (missing, or a bad
	 * script) must give an error we report, not a SIGPIPE that kills us half-way. */
	signal(SIGPIPE, SIG_IGN);
	rc = cli_parse(&cli_report, argc, argv, &quiet);
	if (rc != CLI_GO_ON)
		return rc;
	if (argc - optind != 1) {
		fprintf(stderr, "barrage: report: expected one RUN_DIR\n");
		return cli_usage(usage_report);
	}
	rc = reports_build(argv[optind], quiet, &res, &err);
	if (rc < 0) {
		fprintf(stderr, "barrage: %s\n", err ? err : "cannot build the report");
		free(err);
		return rc == -1 ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
	}
	if (!quiet && reports_print_summary(argv[optind], &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
		return CLI_EXIT_INTERNAL;
	}
	return res.thresholds_failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
