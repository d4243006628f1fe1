/* barrage: the command line's entry. Reads the global options and hands the command to its
 * entry point (controller/cli.h; one controller/cli_COMMAND.c each), and prints the version.
 * docs/cli.md is the reference for every command, option and exit code. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/version.h"
#include "controller/cli.h"

static const char usage_main[] =
    "usage: barrage [-q] [-v] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.yaml      run a load test, write a run directory and a report\n"
    "  check SCENARIO.yaml    validate a scenario and print its plan; sends nothing\n"
    "  report RUN_DIR         rebuild report.html (and junit.xml) from stats.log\n"
    "  compare BASE NEW       compare two runs; exit 1 past a regression limit\n"
    "  hosts check FILE       check every host of a fleet\n"
    "  hosts clean FILE       remove stale run directories from the hosts\n"
    "  import har|tsung FILE  turn a HAR or a Tsung configuration into a scenario\n"
    "  collect RUN_DIR        fetch the statistics lost agents kept on their hosts\n"
    "  ctl ADDR ACTION        control a running load: rate x1.5 | users N | pause | resume |\n"
    "                         stop (through its --dashboard; docs/dashboard.md)\n"
    "  version                print the version\n"
    "\n"
    "options:\n"
    "  -q, --quiet            no progress output\n"
    "  -v, --verbose          more detail (twice: agents' logs too)\n"
    "  -h, --help             this text; COMMAND --help for a command's\n"
    "\n"
    "exit codes: 0 ok, 1 thresholds failed, 2 usage or scenario error,\n"
    "            3 run could not complete, 4 internal error (see docs/cli.md)\n";

static const char usage_version[] = "usage: barrage version\n\nPrint the version.\n";

int cli_version_main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_version, stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error(usage_version, "version: unexpected argument '%s'", argv[1]);
	printf("barrage %s (wire protocol %d, plan %d, stats.log %d)\n", BARRAGE_VERSION,
	       BARRAGE_WIRE_VERSION, BARRAGE_PLAN_VERSION, BARRAGE_STATSLOG_VERSION);
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} commands[] = {
    {"run", cli_run_main},	   {"check", cli_check_main}, {"report", cli_report_main},
    {"compare", cli_compare_main}, {"hosts", cli_hosts_main}, {"import", cli_import_main},
    {"collect", cli_collect_main}, {"ctl", cli_ctl_main},     {"version", cli_version_main},
};

int main(int argc, char **argv)
{
	const char *cmd;
	int i;

	log_set_prefix("barrage");
	/* Every command writes into pipes whose reader may be gone: gnuplot (report, and run's
	 * report), agents and SSH channels (run, hosts check), a closed `| head` on stdout. A
	 * write there must fail with EPIPE, checked where it happens, never kill the process.
	 * Children get the default back (controller/local.c); gnuplot keeps it ignored, which
	 * is harmless. */
	signal(SIGPIPE, SIG_IGN);
	/* Global options come before the command. They are parsed by hand, not with getopt:
	 * glibc's getopt keeps its mode ("+", stop at the first operand) in hidden state that a
	 * command's own getopt_long (here or in another module) would inherit. */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			cli_quiet = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli_verbose++;
		} else if (strcmp(a, "-vv") == 0) {
			cli_verbose += 2;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_main, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			return cli_version_main(1, argv);
		} else {
			return cli_usage_error(usage_main, "unknown option '%s'", a);
		}
	}
	if (cli_quiet)
		log_level = LOG_WARN;
	if (i >= argc)
		return cli_usage_error(usage_main, "which command?");
	cmd = argv[i];
	argc -= i;
	argv += i;
	optind = 0;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(cmd, commands[k].name) == 0)
			return commands[k].main(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	return cli_usage_error(usage_main, "unknown command '%s'", cmd);
}
