/* The command line of `barrage`: the tool around the library, in the way of curl's src/ and
 * lib/. controller/main.c reads the global options and hands the command to its entry point
 * below; each cli_COMMAND.c parses that command's options with cli_parse() and calls the
 * library (controller/run.c, controller/scenario.c, reports/, controller/ssh.h, ...), turning
 * its result into an exit code. docs/cli.md is the reference for every command, option and
 * exit code; keep the usage texts in step with it. */
#ifndef BARRAGE_CONTROLLER_CLI_H
#define BARRAGE_CONTROLLER_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "controller/scenario.h"
#include "controller/ssh.h"

/* Exit codes (docs/cli.md). */
#define CLI_EXIT_OK	  0
#define CLI_EXIT_FAILED	  1 /* a threshold failed, a regression limit was exceeded */
#define CLI_EXIT_USAGE	  2 /* usage, scenario or input error */
#define CLI_EXIT_RUN	  3 /* could not complete: agents lost, a host failed, a write failed */
#define CLI_EXIT_INTERNAL 4 /* out of memory, cannot write the reports */

/* What an option callback returns to go on with the next option. */
#define CLI_GO_ON (-1)

/* The global options, read by main before the command: -q and -v (twice: agents' logs). */
extern bool cli_quiet;
extern int cli_verbose;

/* How a command reports an option getopt_long rejects (each command keeps the form its users
 * and tests know). */
enum cli_bad_option {
	/* "barrage: CMD: unknown option '--x'" (or "option '--x' needs a value"), a blank line
	 * and the usage; getopt says nothing itself. The optstring starts with ':'. */
	CLI_BAD_NAMED,
	/* getopt's own message ("PROG: unrecognized option '--x'"), then the usage. */
	CLI_BAD_GETOPT,
	/* "barrage: CMD: bad option '--x'" and the usage on the next line. */
	CLI_BAD_TERSE,
};

struct cli_command {
	const char *name;  /* as in messages: "run", "hosts check" */
	const char *usage; /* the help text: stdout for -h/--help, stderr after a usage error */
	const char *optstring;
	const struct option *longopts;
	enum cli_bad_option bad;
	/* Called for every option but -h/--help, with getopt's optarg; argv and argc for an
	 * option that may take the next word (run --dashboard). Returns CLI_GO_ON or the exit
	 * code. */
	int (*option)(void *ctx, int c, char *arg, int argc, char **argv);
};

/* Parses the options of argv (argv[0] is the command's name, in getopt's messages) with
 * getopt_long, from a clean getopt state. Returns CLI_GO_ON with optind at the first operand,
 * or the exit code: 0 after the help text, CLI_EXIT_USAGE after a rejected option, or what the
 * command's callback returned. */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *ctx);

/* "barrage: " fmt, a blank line and the usage, on stderr. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage on stderr after a message the caller printed. Returns CLI_EXIT_USAGE. */
int cli_usage(const char *usage);

/* --set KEY=VALUE, repeatable (run, check). */
struct cli_overrides {
	struct scenario_override *v;
	size_t n, cap;
};
/* Adds one; CLI_GO_ON, or the exit code after saying what is wrong (usage for the message). */
int cli_overrides_add(struct cli_overrides *o, const char *arg, const char *usage);
void cli_overrides_free(struct cli_overrides *o);

/* The SSH connection options that hosts check, hosts clean and collect share:
 * --known-hosts FILE, -i/--identity KEY, --accept-new-host-keys. Their long options use these
 * values (CLI_SSH_LONGOPTS lists them for a longopts table); cli_ssh_option() sets opt for them
 * and returns true, false for any other option. */
enum { CLI_OPT_KNOWN_HOSTS = 'k', CLI_OPT_IDENTITY = 'i', CLI_OPT_ACCEPT_NEW = 'a' };
/* clang-format off */
#define CLI_SSH_LONGOPTS \
	{"known-hosts", required_argument, NULL, CLI_OPT_KNOWN_HOSTS}, \
	{"identity", required_argument, NULL, CLI_OPT_IDENTITY}, \
	{"accept-new-host-keys", no_argument, NULL, CLI_OPT_ACCEPT_NEW}
/* clang-format on */
bool cli_ssh_option(struct ssh_options *opt, int c, const char *arg);

/* The commands. argv[0] is the command's name; each returns the process's exit code. */
int cli_run_main(int argc, char **argv);
int cli_check_main(int argc, char **argv);
int cli_report_main(int argc, char **argv);
int cli_compare_main(int argc, char **argv);
/* `hosts check|clean ...`: argv[0] is "hosts". */
int cli_hosts_main(int argc, char **argv);
/* `hosts check FILE ...` and `hosts clean FILE ...`: argv[0] is "check" or "clean". */
int cli_hosts_check_main(int argc, char **argv);
int cli_hosts_clean_main(int argc, char **argv);
int cli_collect_main(int argc, char **argv);
int cli_ctl_main(int argc, char **argv);
int cli_import_main(int argc, char **argv);
int cli_version_main(int argc, char **argv);

#endif
