/* `barrage collect RUN_DIR`: the SSH options, then collect_run (controller/collect.c). */
#include <stdio.h>

#include "controller/cli.h"
#include "controller/collect.h"

static const char usage_collect[] =
    "usage: barrage collect RUN_DIR [--known-hosts FILE] [-i KEY]\n"
    "                       [--accept-new-host-keys] [-q]\n"
    "\n"
    "Fetches over SSH the statistics that agents lost during the run (their link was\n"
    "cut) kept on their hosts, adds them to RUN_DIR/stats.log, removes them from the\n"
    "hosts and rebuilds the reports. Exit 0 when every lost agent's statistics were\n"
    "collected, 3 when some host or spool could not be read, 2 on a usage error.\n";

static const struct option collect_longopts[] = {
    CLI_SSH_LONGOPTS,
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct collect_args {
	struct ssh_options opt;
	bool quiet;
};

static int collect_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct collect_args *a = ctx;

	if (!cli_ssh_option(&a->opt, c, arg) && c == 'q')
		a->quiet = true;
	return CLI_GO_ON;
}

static const struct cli_command cli_collect = {
    .name = "collect",
    .usage = usage_collect,
    .optstring = "i:qh",
    .longopts = collect_longopts,
    .bad = CLI_BAD_GETOPT,
    .option = collect_option,
};

int cli_collect_main(int argc, char **argv)
{
	struct collect_args a = {.opt = {.connect_timeout_ms = 5000, .quiet = true}};
	int rc;

	rc = cli_parse(&cli_collect, argc, argv, &a);
	if (rc != CLI_GO_ON)
		return rc;
	if (optind + 1 != argc) {
		fprintf(stderr, "barrage: collect: %s\n",
			optind >= argc ? "which run directory?" : "one run directory at a time");
		return cli_usage(usage_collect);
	}
	return collect_run(argv[optind], &a.opt, a.quiet);
}
