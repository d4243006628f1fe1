/* `barrage run SCENARIO.yaml`: the options of a load test, checked here, then run_main
 * (controller/run.c) does the run. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/units.h"
#include "controller/cli.h"
#include "controller/dashboard.h"
#include "controller/run.h"
#include "controller/scenario.h"

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
    "      --monitor FILE         also watch the hosts of FILE (hosts-file format; "
    "docs/monitor.md)\n"
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
	OPT_RUNS,
	OPT_AGENT,
	OPT_MONITOR,
	OPT_MONITOR_OPTIONAL,
	OPT_DASHBOARD,
	OPT_DASHBOARD_PUBLIC,
	OPT_DASHBOARD_LINGER,
	OPT_EXPORT,
};

static const struct option run_longopts[] = {
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

struct run_args {
	struct run_options ro;
	struct cli_overrides ov;
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

/* The options whose value needs checking. */
static int run_checked_option(struct run_options *ro, int c, const char *arg)
{
	char *err = NULL;
	uint64_t n;
	int rc = CLI_GO_ON;

	switch (c) {
	case OPT_LOCAL:
		if (units_parse_count(arg, &n, &err) < 0 || n == 0 || n > 1024) {
			rc =
			    cli_usage_error(usage_run,
					    "run: --local '%s': expected a number of agents from 1 "
					    "to 1024",
					    arg);
			break;
		}
		ro->local = (uint32_t)n;
		break;
	case OPT_READY:
		if (units_parse_duration(arg, &ro->ready_timeout_us, &err) < 0 ||
		    ro->ready_timeout_us <= 0)
			rc = cli_usage_error(usage_run, "run: --ready-timeout '%s': %s", arg,
					     err ? err : "must be positive");
		break;
	case OPT_DASHBOARD_LINGER:
		if (units_parse_duration(arg, &ro->dashboard_linger_us, &err) < 0 ||
		    ro->dashboard_linger_us < 0)
			rc = cli_usage_error(usage_run, "run: --dashboard-linger '%s': %s", arg,
					     err ? err : "must not be negative");
		break;
	case OPT_EXPORT:
		if (strncmp(arg, "prometheus-rw=http://", 21) != 0 &&
		    strncmp(arg, "prometheus-rw=https://", 22) != 0) {
			rc = cli_usage_error(
			    usage_run,
			    "run: --export '%s': expected prometheus-rw=URL "
			    "(e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write)",
			    arg);
			break;
		}
		ro->export_spec = arg;
		break;
	}
	free(err);
	return rc;
}

static int run_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct run_args *a = ctx;
	struct run_options *ro = &a->ro;

	switch (c) {
	case 'o':
		ro->out = arg;
		break;
	case OPT_HOSTS:
		ro->hosts_file = arg;
		break;
	case OPT_PUSH:
		ro->push_agent = true;
		break;
	case OPT_ACCEPT:
		ro->accept_new_host_keys = true;
		break;
	case OPT_KNOWN:
		ro->known_hosts = arg;
		break;
	case OPT_IDENTITY:
		ro->identity = arg;
		break;
	case OPT_KEEP:
		ro->keep_remote = true;
		break;
	case OPT_SET:
		return cli_overrides_add(&a->ov, arg, usage_run);
	case OPT_RUNS:
		ro->runs_root = arg;
		break;
	case OPT_AGENT:
		ro->remote_agent = arg;
		break;
	case OPT_MONITOR:
		ro->monitor_file = arg;
		break;
	case OPT_MONITOR_OPTIONAL:
		ro->monitor_optional = true;
		break;
	case OPT_DASHBOARD:
		/* "--dashboard 127.0.0.1:0" as well as "--dashboard=...": the next word is the
		 * address when it looks like one (a scenario is a .yaml file). */
		if (!arg && optind < argc && looks_like_listen(argv[optind]))
			arg = argv[optind++];
		ro->dashboard = arg ? arg : DASHBOARD_DEFAULT_ADDR;
		break;
	case OPT_DASHBOARD_PUBLIC:
		ro->dashboard_public = true;
		break;
	case 'q':
		ro->quiet = true;
		break;
	case 'v':
		ro->verbose++;
		break;
	default:
		return run_checked_option(ro, c, arg);
	}
	return CLI_GO_ON;
}

static const struct cli_command cli_run = {
    .name = "run",
    .usage = usage_run,
    .optstring = ":o:qvh",
    .longopts = run_longopts,
    .bad = CLI_BAD_NAMED,
    .option = run_option,
};

int cli_run_main(int argc, char **argv)
{
	struct run_args a;
	struct run_options *ro = &a.ro;
	int rc;

	memset(&a, 0, sizeof(a));
	ro->quiet = cli_quiet;
	ro->verbose = cli_verbose;
	rc = cli_parse(&cli_run, argc, argv, &a);
	if (rc != CLI_GO_ON)
		goto out;
	if (optind >= argc) {
		rc = cli_usage_error(usage_run, "run: which scenario? (barrage run SCENARIO.yaml)");
		goto out;
	}
	if (argc - optind > 1) {
		rc = cli_usage_error(usage_run, "run: one scenario at a time (got '%s' too)",
				     argv[optind + 1]);
		goto out;
	}
	if (ro->push_agent && ro->remote_agent) {
		rc = cli_usage_error(usage_run, "run: --agent PATH names an installed agent, "
						"--push-agent uploads this one: choose one");
		goto out;
	}
	if ((ro->dashboard_public || ro->dashboard_linger_us) && !ro->dashboard) {
		rc = cli_usage_error(usage_run, "run: --dashboard-public and --dashboard-linger go "
						"with --dashboard");
		goto out;
	}
	ro->scenario = argv[optind];
	scenario_set_cli_agents(ro->local || ro->hosts_file);
	ro->ov = a.ov.v;
	ro->nov = a.ov.n;
	if (ro->verbose > 0)
		log_level = LOG_DEBUG;
	rc = run_main(ro);
out:
	cli_overrides_free(&a.ov);
	return rc;
}
