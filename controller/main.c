/* barrage: the command line. Parses global options and the command, and hands each command to
 * the module that owns it: run (controller/run.c), check (controller/scenario.c), report and
 * compare (reports/), hosts check (controller/ssh.c), import (controller/import.c), version.
 * docs/cli.md is the reference for every command, option and exit code; keep the usage texts
 * below in step with it. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/units.h"
#include "common/plan.h"
#include "common/version.h"
#include "controller/collect.h"
#include "controller/ctl.h"
#include "controller/dashboard.h"
#include "controller/import.h"
#include "controller/run.h"
#include "controller/scenario.h"
#include "controller/ssh.h"
#include "reports/reports.h"

#define EXIT_USAGE 2

static bool g_quiet;
static int g_verbose;

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

static const char usage_run[] =
    "usage: barrage run SCENARIO.yaml [options]\n"
    "\n"
    "Run the scenario's load from local agents (one per core by default) or from the hosts of\n"
    "a fleet over SSH, show a live line per interval, write the run directory and the report,\n"
    "and exit 1 if a threshold failed.\n"
    "\n"
    "options:\n"
    "  -o, --out DIR              run directory (default runs/NAME-YYYYMMDD-HHMMSS)\n"
    "      --runs-dir DIR         where default run directories go (default runs)\n"
    "      --local N              N local agents (default agents.local, else one per core)\n"
    "      --hosts FILE           agents on the hosts of FILE over SSH\n"
    "      --push-agent           upload this barrage-agent to the hosts\n"
    "      --agent PATH           the agent's path on the hosts (default barrage-agent on\n"
    "                             PATH; ~/ is the remote home)\n"
    "      --accept-new-host-keys record unknown host keys in known_hosts\n"
    "      --known-hosts FILE     known_hosts to check host keys against\n"
    "      --identity FILE        SSH private key (default: ssh-agent, then ~/.ssh/id_*)\n"
    "      --keep-remote          leave the per-run files on the hosts\n"
    "      --ready-timeout DUR    wait this long for every agent to be ready (default 30s)\n"
    "      --monitor FILE         also watch the hosts of FILE (hosts-file format; docs/monitor.md)\n"
    "      --monitor-optional     start even if a monitored host does not answer\n"
    "      --dashboard [ADDR:PORT] live dashboard and control API (default 127.0.0.1:8091;\n"
    "                             port 0 picks a free one; docs/dashboard.md)\n"
    "      --dashboard-public     allow a non-loopback dashboard address\n"
    "      --dashboard-linger DUR keep the dashboard up this long after the run\n"
    "      --export prometheus-rw=URL  push every interval with Prometheus remote write\n"
    "      --set KEY=VALUE        override a scenario value (dotted path), repeatable\n"
    "  -q, --quiet                no live line and no summary table\n"
    "  -v, --verbose              agents' warnings and late intervals; twice: agents' logs\n"
    "  -h, --help                 this text\n"
    "\n"
    "exit codes: 0 ok, 1 thresholds failed, 2 usage or scenario error,\n"
    "            3 run could not complete (agents lost, target unreachable, SSH failure,\n"
    "              interrupted), 4 internal error\n";

static const char usage_check[] =
    "usage: barrage check SCENARIO.yaml [--set KEY=VALUE ...]\n"
    "\n"
    "Validate the scenario fully (the same checks as run) and print the plan: load model and\n"
    "phases, sessions and steps, data files, thresholds, agents. Sends nothing.\n"
    "\n"
    "options:\n"
    "      --set KEY=VALUE        override a scenario value (dotted path), repeatable\n"
    "      --plan-json FILE       also write the plan as it is sent to the agents (JSON,\n"
    "                             before the split into agents' shares); - for stdout\n"
    "  -q, --quiet                print nothing; the exit code says whether it is valid\n"
    "  -h, --help                 this text\n"
    "\n"
    "exit codes: 0 valid, 2 usage or scenario error, 3 the plan file could not be written\n";

static const char usage_hosts[] =
    "usage: barrage hosts check FILE [--json] [--agent PATH | --push-agent]\n"
    "       barrage hosts clean FILE\n"
    "\n"
    "check: every host of a hosts file: reachable, authenticated, agent present and of the\n"
    "same version (or, with --push-agent, able to run this one), CPUs, open-file limit,\n"
    "clock offset, stale run directories. clean: remove those stale directories.\n";

static const char usage_version[] = "usage: barrage version\n\nPrint the version.\n";

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("barrage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

/* Name the option getopt_long rejected, whether short or long. */
static int bad_option(const char *usage, const char *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error(usage, "%s: option '%s' needs a value", cmd, arg);
	if (optopt && optopt != '?')
		return usage_error(usage, "%s: unknown option '-%c'", cmd, optopt);
	return usage_error(usage, "%s: unknown option '%s'", cmd, arg);
}

struct overrides {
	struct scenario_override *v;
	size_t n, cap;
};

static int add_override(struct overrides *o, const char *arg, const char *usage)
{
	const char *eq = strchr(arg, '=');
	struct scenario_override *nv;

	if (!eq || eq == arg)
		return usage_error(usage, "--set '%s': expected KEY=VALUE (e.g. load.users=50)",
				   arg);
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;

		nv = realloc(o->v, cap * sizeof(*nv));
		if (!nv) {
			fprintf(stderr, "barrage: out of memory\n");
			return 4;
		}
		o->v = nv;
		o->cap = cap;
	}
	{
		char *key = strndup(arg, (size_t)(eq - arg));

		if (!key) {
			fprintf(stderr, "barrage: out of memory\n");
			return 4;
		}
		o->v[o->n].path = key;
		o->v[o->n].value = eq + 1;
		o->n++;
	}
	return 0;
}

static void free_overrides(struct overrides *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free((char *)o->v[i].path);
	free(o->v);
}

enum {
	OPT_HOSTS = 256,
	OPT_PUSH,
	OPT_LOCAL,
	OPT_ACCEPT,
	OPT_KNOWN,
	OPT_IDENTITY,
	OPT_KEEP,
	OPT_READY,
	OPT_SET,
	OPT_PLAN_JSON,
	OPT_RUNS,
	OPT_AGENT,
	OPT_MONITOR,
	OPT_MONITOR_OPTIONAL,
	OPT_DASHBOARD,
	OPT_DASHBOARD_PUBLIC,
	OPT_DASHBOARD_LINGER,
	OPT_EXPORT,
};

/* "127.0.0.1:8091", "[::1]:0", ":8091", "8091": what --dashboard may take as a separate word. */
static bool looks_like_listen(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '-' || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(s + n - 4, ".yml") == 0))
		return false;
	if (strspn(s, "0123456789") == n)
		return true;
	return strchr(s, ':') && strspn(s + strlen(s) - 1, "0123456789") == 1 && !strchr(s, '/');
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"hosts", required_argument, NULL, OPT_HOSTS},
	    {"push-agent", no_argument, NULL, OPT_PUSH},
	    {"local", required_argument, NULL, OPT_LOCAL},
	    {"accept-new-host-keys", no_argument, NULL, OPT_ACCEPT},
	    {"known-hosts", required_argument, NULL, OPT_KNOWN},
	    {"identity", required_argument, NULL, OPT_IDENTITY},
	    {"keep-remote", no_argument, NULL, OPT_KEEP},
	    {"ready-timeout", required_argument, NULL, OPT_READY},
	    {"set", required_argument, NULL, OPT_SET},
	    {"runs-dir", required_argument, NULL, OPT_RUNS},
	    {"agent", required_argument, NULL, OPT_AGENT},
	    {"monitor", required_argument, NULL, OPT_MONITOR},
	    {"monitor-optional", no_argument, NULL, OPT_MONITOR_OPTIONAL},
	    {"dashboard", optional_argument, NULL, OPT_DASHBOARD},
	    {"dashboard-public", no_argument, NULL, OPT_DASHBOARD_PUBLIC},
	    {"dashboard-linger", required_argument, NULL, OPT_DASHBOARD_LINGER},
	    {"export", required_argument, NULL, OPT_EXPORT},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run_options ro;
	struct overrides ov = {0};
	char *err = NULL;
	int c, rc;

	memset(&ro, 0, sizeof(ro));
	ro.quiet = g_quiet;
	ro.verbose = g_verbose;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			ro.out = optarg;
			break;
		case OPT_HOSTS:
			ro.hosts_file = optarg;
			break;
		case OPT_PUSH:
			ro.push_agent = true;
			break;
		case OPT_LOCAL: {
			uint64_t n;

			if (units_parse_count(optarg, &n, &err) < 0 || n == 0 || n > 1024) {
				free(err);
				rc = usage_error(usage_run,
						 "run: --local '%s': expected a number of "
						 "agents from 1 to 1024",
						 optarg);
				goto out;
			}
			ro.local = (uint32_t)n;
			break;
		}
		case OPT_ACCEPT:
			ro.accept_new_host_keys = true;
			break;
		case OPT_KNOWN:
			ro.known_hosts = optarg;
			break;
		case OPT_IDENTITY:
			ro.identity = optarg;
			break;
		case OPT_KEEP:
			ro.keep_remote = true;
			break;
		case OPT_READY:
			if (units_parse_duration(optarg, &ro.ready_timeout_us, &err) < 0 ||
			    ro.ready_timeout_us <= 0) {
				rc = usage_error(usage_run, "run: --ready-timeout '%s': %s", optarg,
						 err ? err : "must be positive");
				free(err);
				goto out;
			}
			break;
		case OPT_SET:
			rc = add_override(&ov, optarg, usage_run);
			if (rc)
				goto out;
			break;
		case OPT_RUNS:
			ro.runs_root = optarg;
			break;
		case OPT_AGENT:
			ro.remote_agent = optarg;
			break;
		case OPT_MONITOR:
			ro.monitor_file = optarg;
			break;
		case OPT_MONITOR_OPTIONAL:
			ro.monitor_optional = true;
			break;
		case OPT_DASHBOARD:
			/* "--dashboard 127.0.0.1:0" as well as "--dashboard=...": the next word is
			 * the address when it looks like one (a scenario is a .yaml file). */
			if (!optarg && optind < argc && looks_like_listen(argv[optind]))
				optarg = argv[optind++];
			ro.dashboard = optarg ? optarg : DASHBOARD_DEFAULT_ADDR;
			break;
		case OPT_EXPORT:
			if (strncmp(optarg, "prometheus-rw=http://", 21) != 0 &&
			    strncmp(optarg, "prometheus-rw=https://", 22) != 0) {
				rc = usage_error(usage_run,
						 "run: --export '%s': expected prometheus-rw=URL "
						 "(e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write)",
						 optarg);
				goto out;
			}
			ro.export_spec = optarg;
			break;
		case OPT_DASHBOARD_PUBLIC:
			ro.dashboard_public = true;
			break;
		case OPT_DASHBOARD_LINGER:
			if (units_parse_duration(optarg, &ro.dashboard_linger_us, &err) < 0 ||
			    ro.dashboard_linger_us < 0) {
				rc = usage_error(usage_run, "run: --dashboard-linger '%s': %s", optarg,
						 err ? err : "must not be negative");
				free(err);
				goto out;
			}
			break;
		case 'q':
			ro.quiet = true;
			break;
		case 'v':
			ro.verbose++;
			break;
		case 'h':
			fputs(usage_run, stdout);
			rc = 0;
			goto out;
		default:
			rc = bad_option(usage_run, "run", argv, c);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = usage_error(usage_run, "run: which scenario? (barrage run SCENARIO.yaml)");
		goto out;
	}
	if (argc - optind > 1) {
		rc = usage_error(usage_run, "run: one scenario at a time (got '%s' too)",
				 argv[optind + 1]);
		goto out;
	}
	if (ro.push_agent && ro.remote_agent) {
		rc = usage_error(usage_run, "run: --agent PATH names an installed agent, "
					    "--push-agent uploads this one: choose one");
		goto out;
	}
	if ((ro.dashboard_public || ro.dashboard_linger_us) && !ro.dashboard) {
		rc = usage_error(usage_run, "run: --dashboard-public and --dashboard-linger go with "
					    "--dashboard");
		goto out;
	}
	ro.scenario = argv[optind];
	scenario_set_cli_agents(ro.local || ro.hosts_file);
	ro.ov = ov.v;
	ro.nov = ov.n;
	if (ro.verbose > 0)
		log_level = LOG_DEBUG;
	rc = run_main(&ro);
out:
	free_overrides(&ov);
	return rc;
}

/* The plan exactly as plan_encode() sends it to the agents, for scripts and for proving that a
 * change to the plan's code leaves the wire form alone. */
static int write_plan_json(const struct plan *p, const char *path)
{
	struct buf enc;
	FILE *f;
	int rc = 3;

	buf_init(&enc, 0);
	if (plan_encode(p, &enc) < 0) {
		fprintf(stderr, "barrage: check: the plan could not be encoded\n");
		goto out;
	}
	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "barrage: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fwrite(enc.data, 1, enc.len, f) == enc.len && fputc('\n', f) != EOF)
		rc = 0;
	if ((f == stdout ? fflush(f) : fclose(f)) != 0)
		rc = 3;
	if (rc)
		fprintf(stderr, "barrage: %s: write failed: %s\n", path, strerror(errno));
out:
	buf_free(&enc);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"set", required_argument, NULL, OPT_SET},
	    {"plan-json", required_argument, NULL, OPT_PLAN_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct overrides ov = {0};
	struct plan *p = NULL;
	const char *plan_json = NULL;
	bool quiet = g_quiet;
	char *err = NULL;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SET:
			rc = add_override(&ov, optarg, usage_check);
			if (rc)
				goto out;
			break;
		case OPT_PLAN_JSON:
			plan_json = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			break;
		case 'h':
			fputs(usage_check, stdout);
			rc = 0;
			goto out;
		default:
			rc = bad_option(usage_check, "check", argv, c);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = usage_error(usage_check,
				 "check: which scenario? (barrage check SCENARIO.yaml)");
		goto out;
	}
	if (argc - optind > 1) {
		rc = usage_error(usage_check, "check: one scenario at a time (got '%s' too)",
				 argv[optind + 1]);
		goto out;
	}
	if (scenario_load(argv[optind], ov.v, ov.n, &p, &err) < 0) {
		err_print_lines(stderr, "barrage", err ? err : "invalid scenario");
		rc = 2;
		goto out;
	}
	if (!quiet)
		scenario_print_plan(p, stdout);
	rc = plan_json ? write_plan_json(p, plan_json) : 0;
out:
	plan_free(p);
	free(err);
	free_overrides(&ov);
	return rc;
}

static int cmd_hosts(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2) {
			fputs(usage_hosts, stdout);
			return 0;
		}
		return usage_error(usage_hosts, "hosts: expected 'hosts check FILE'");
	}
	if (strcmp(argv[1], "clean") == 0)
		return hosts_clean_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") != 0)
		return usage_error(usage_hosts,
				   "hosts: unknown subcommand '%s' (expected 'check' or 'clean')",
				   argv[1]);
	return hosts_check_main(argc - 1, argv + 1);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_version, stdout);
		return 0;
	}
	if (argc > 1)
		return usage_error(usage_version, "version: unexpected argument '%s'", argv[1]);
	printf("barrage %s (wire protocol %d, plan %d, stats.log %d)\n", BARRAGE_VERSION,
	       BARRAGE_WIRE_VERSION, BARRAGE_PLAN_VERSION, BARRAGE_STATSLOG_VERSION);
	return 0;
}

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
			g_quiet = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			g_verbose++;
		} else if (strcmp(a, "-vv") == 0) {
			g_verbose += 2;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_main, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			return cmd_version(1, argv);
		} else {
			return usage_error(usage_main, "unknown option '%s'", a);
		}
	}
	if (g_quiet)
		log_level = LOG_WARN;
	if (i >= argc)
		return usage_error(usage_main, "which command?");
	cmd = argv[i];
	argc -= i;
	argv += i;
	optind = 0;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(cmd, "report") == 0)
		return reports_report_main(argc, argv);
	if (strcmp(cmd, "compare") == 0)
		return reports_compare_main(argc, argv);
	if (strcmp(cmd, "hosts") == 0)
		return cmd_hosts(argc, argv);
	if (strcmp(cmd, "import") == 0)
		return import_main(argc, argv);
	if (strcmp(cmd, "collect") == 0)
		return collect_main(argc, argv);
	if (strcmp(cmd, "ctl") == 0)
		return ctl_main(argc, argv);
	if (strcmp(cmd, "version") == 0)
		return cmd_version(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	return usage_error(usage_main, "unknown command '%s'", cmd);
}
