/* `barrage compare BASE NEW [--max-regression LIMITS] [--out FILE]`: two runs side by side
 * (reports/compare.c), exit 1 past a regression limit. */
#include <stdio.h>
#include <stdlib.h>

#include "controller/cli.h"
#include "reports/reports.h"

static const char usage_compare[] =
    "usage: barrage compare BASE_DIR NEW_DIR [--max-regression LIMITS] [--out FILE]\n"
    "Compare two runs (their stats.log, or summary.json when there is no stats.log).\n"
    "  --max-regression p95=10%,rate=5%,tr_login.p99=20%,errors=1%\n"
    "      latency fields fail when they grow by more than P%, rate and count when\n"
    "      they drop by more than P%, errors when the error rate grows by more than\n"
    "      P percentage points; a bare field means request.FIELD\n"
    "  --out FILE   write the HTML comparison there (default NEW_DIR/compare.html)\n"
    "  -q, --quiet  print only the verdict\n"
    "Exit: 0 within limits, 1 a limit exceeded, 2 usage error or unreadable run.\n";

static const struct option compare_longopts[] = {
    {"max-regression", required_argument, NULL, 'm'},
    {"out", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct compare_args {
	struct reports_compare *cmp;
	const char *out;
	bool quiet;
};

static int compare_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct compare_args *a = ctx;
	char *err = NULL;

	switch (c) {
	case 'm':
		if (reports_compare_add_limits(a->cmp, arg, &err) < 0) {
			fprintf(stderr, "barrage: %s\n", err);
			free(err);
			return CLI_EXIT_USAGE;
		}
		break;
	case 'o':
		a->out = arg;
		break;
	case 'q':
		a->quiet = true;
		break;
	}
	return CLI_GO_ON;
}

static const struct cli_command cli_compare = {
    .name = "compare",
    .usage = usage_compare,
    .optstring = "m:o:qh",
    .longopts = compare_longopts,
    .bad = CLI_BAD_GETOPT,
    .option = compare_option,
};

int cli_compare_main(int argc, char **argv)
{
	struct compare_args a = {.cmp = reports_compare_new()};
	char *err = NULL;
	int rc, exceeded = 0;

	if (!a.cmp) {
		fprintf(stderr, "barrage: out of memory\n");
		return CLI_EXIT_INTERNAL;
	}
	rc = cli_parse(&cli_compare, argc, argv, &a);
	if (rc != CLI_GO_ON)
		goto out;
	if (argc - optind != 2) {
		fprintf(stderr, "barrage: compare: expected BASE_DIR and NEW_DIR\n");
		rc = cli_usage(usage_compare);
		goto out;
	}
	rc = reports_compare_runs(a.cmp, argv[optind], argv[optind + 1], a.out, a.quiet, &exceeded,
				  &err);
	if (rc < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		rc = rc == -1 ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
		goto out;
	}
	rc = exceeded ? CLI_EXIT_FAILED : CLI_EXIT_OK;
out:
	free(err);
	reports_compare_free(a.cmp);
	return rc;
}
