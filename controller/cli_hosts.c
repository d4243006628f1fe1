/* `barrage hosts check FILE` and `barrage hosts clean FILE`: the options, the hosts file, and
 * the table (or JSON) of what ssh_check_run (controller/ssh_check.c) found on each host. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli.h"
#include "controller/ssh.h"
#include "controller/ssh_check.h"

static const char usage_hosts[] =
    "usage: barrage hosts check FILE [--json] [--agent PATH | --push-agent]\n"
    "       barrage hosts clean FILE\n"
    "\n"
    "check: every host of a hosts file: reachable, authenticated, agent present and of the\n"
    "same version (or, with --push-agent, able to run this one), CPUs, open-file limit,\n"
    "clock offset, stale run directories. clean: remove those stale directories.\n";

static const char usage_hosts_check[] =
    "usage: barrage hosts check FILE [--json] [--known-hosts FILE] [-i KEY]\n"
    "                           [--accept-new-host-keys] [--agent PATH | --push-agent]\n"
    "                           [--connect-timeout DURATION]\n"
    "\n"
    "Connects to every host of the hosts file in parallel and reports, per host:\n"
    "reachable, authentication, barrage-agent version, CPU count, open-file limit\n"
    "(ulimit -n), clock offset and stale run directories. With --push-agent it checks\n"
    "what `run --push-agent` does: same system, upload, the pushed agent's version.\n"
    "Exit 0 when every host is fine, 3 when one has a problem, 2 on a usage or hosts\n"
    "file error.\n";

static const char usage_hosts_clean[] =
    "usage: barrage hosts clean FILE [--known-hosts FILE] [-i KEY]\n"
    "                           [--accept-new-host-keys] [--connect-timeout DURATION]\n"
    "\n"
    "Removes from every host of the hosts file the stale run directories\n"
    "(${TMPDIR:-/tmp}/barrage.XXXXXXXX) that no running agent uses: what a\n"
    "killed agent or an old version left behind. Exit 0 when every host was\n"
    "cleaned, 3 when one could not be reached, 2 on a usage or hosts file error.\n";

static const struct option hosts_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {"push-agent", no_argument, NULL, 'P'},
    CLI_SSH_LONGOPTS,
    {"agent", required_argument, NULL, 'A'},
    {"connect-timeout", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

struct hosts_args {
	struct ssh_options opt;
	bool json;
};

static int parse_ms(const char *s, int *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0 || *end == '\0')
		;
	else if (strcmp(end, "s") == 0)
		v *= 1000;
	else
		return -1;
	if (v < 1 || v > 600000)
		return -1;
	*out = (int)v;
	return 0;
}

static int hosts_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct hosts_args *a = ctx;

	if (cli_ssh_option(&a->opt, c, arg))
		return CLI_GO_ON;
	switch (c) {
	case 'j':
		a->json = true;
		break;
	case 'A':
		a->opt.remote_agent = arg;
		break;
	case 'P':
		a->opt.push_agent = true;
		break;
	case 'q':
		a->opt.quiet = true;
		break;
	case 't':
		if (parse_ms(arg, &a->opt.connect_timeout_ms) < 0) {
			fprintf(stderr,
				"barrage: --connect-timeout: bad duration '%s' (e.g. 5s, 500ms)\n",
				arg);
			return CLI_EXIT_USAGE;
		}
		break;
	}
	return CLI_GO_ON;
}

static const struct cli_command cli_hosts_check = {
    .name = "hosts check",
    .usage = usage_hosts_check,
    .optstring = "i:qh",
    .longopts = hosts_longopts,
    .bad = CLI_BAD_GETOPT,
    .option = hosts_option,
};

static const struct cli_command cli_hosts_clean = {
    .name = "hosts clean",
    .usage = usage_hosts_clean,
    .optstring = "i:qh",
    .longopts = hosts_longopts,
    .bad = CLI_BAD_GETOPT,
    .option = hosts_option,
};

static void print_clean(const struct ssh_check_host *v, size_t n, int *bad)
{
	for (size_t i = 0; i < n; i++) {
		const struct ssh_check_host *h = &v[i];

		if (h->error) {
			(*bad)++;
			printf("%-28s FAIL   %s\n", h->label, h->error);
			continue;
		}
		printf("%-28s ok     %zu stale director%s removed", h->label, h->facts.nstale,
		       h->facts.nstale == 1 ? "y" : "ies");
		if (h->facts.nspool)
			printf("; %zu kept: %s the statistics of a lost agent (barrage collect "
			       "RUN_DIR)",
			       h->facts.nspool, h->facts.nspool == 1 ? "it holds" : "they hold");
		printf("\n");
		for (size_t k = 0; k < h->facts.nstale; k++)
			printf("%-28s        removed %s\n", "", h->facts.stale[k]);
	}
	printf("%zu host%s, %d could not be cleaned\n", n, n == 1 ? "" : "s", *bad);
}

static json_t *host_json(const struct ssh_check_host *h, const struct plan_host *line,
			 const char *problem, const char *warning)
{
	json_t *o = json_object(), *st = json_array();

	json_object_set_new(o, "host", json_string(h->host));
	json_object_set_new(o, "user", json_string(h->user));
	json_object_set_new(o, "port", json_integer(h->port));
	json_object_set_new(o, "line", json_integer(line->pos.line));
	json_object_set_new(o, "ok", json_boolean(!problem));
	json_object_set_new(o, "reachable", json_boolean(h->facts.reachable));
	json_object_set_new(o, "auth", json_boolean(h->facts.auth_ok));
	json_object_set_new(o, "agent_version",
			    h->facts.agent_version ? json_string(h->facts.agent_version)
						   : json_null());
	json_object_set_new(o, "system",
			    h->facts.uname ? json_string(h->facts.uname) : json_null());
	json_object_set_new(o, "cpus",
			    h->facts.cpus >= 0 ? json_integer(h->facts.cpus) : json_null());
	json_object_set_new(o, "nofile",
			    h->facts.nofile >= 0
				? json_integer(h->facts.nofile == LONG_MAX ? -1 : h->facts.nofile)
				: json_null());
	json_object_set_new(o, "clock_offset_ms",
			    h->facts.have_clock ? json_real(h->facts.clock_offset_ms)
						: json_null());
	json_object_set_new(o, "rtt_ms",
			    h->facts.have_clock ? json_real(h->facts.rtt_ms) : json_null());
	for (size_t k = 0; k < h->facts.nstale; k++)
		json_array_append_new(st, json_string(h->facts.stale[k]));
	json_object_set_new(o, "stale_dirs", st);
	json_object_set_new(o, "spool_dirs", json_integer((json_int_t)h->facts.nspool));
	json_object_set_new(o, "problem", problem ? json_string(problem) : json_null());
	json_object_set_new(o, "warning", warning ? json_string(warning) : json_null());
	return o;
}

static void print_check_json(const struct ssh_check_host *v, const struct plan_host *hosts,
			     size_t n, int *bad)
{
	json_t *root = json_object(), *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		char *problem, *warning;

		ssh_check_verdict(&v[i], &problem, &warning);
		*bad += problem != NULL;
		json_array_append_new(arr, host_json(&v[i], &hosts[i], problem, warning));
		free(problem);
		free(warning);
	}
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "ok", json_boolean(*bad == 0));
	json_object_set_new(root, "hosts", arr);
	json_dumpf(root, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(root);
}

static void print_check_table(const struct ssh_check_host *v, size_t n, int *bad)
{
	printf("%-28s %-6s %-8s %5s %8s %10s %9s  %s\n", "HOST", "STATUS", "AGENT", "CPUS",
	       "NOFILE", "CLOCK", "RTT", "NOTES");
	for (size_t i = 0; i < n; i++) {
		const struct ssh_check_host *h = &v[i];
		char *problem, *warning;
		char cpus[24] = "-", nofile[24] = "-", clk[24] = "-", rtt[24] = "-";

		ssh_check_verdict(h, &problem, &warning);
		*bad += problem != NULL;
		if (h->facts.cpus >= 0)
			snprintf(cpus, sizeof cpus, "%ld", h->facts.cpus);
		if (h->facts.nofile == LONG_MAX)
			snprintf(nofile, sizeof nofile, "unlimited");
		else if (h->facts.nofile >= 0)
			snprintf(nofile, sizeof nofile, "%ld", h->facts.nofile);
		if (h->facts.have_clock) {
			snprintf(clk, sizeof clk, "%+.1fms", h->facts.clock_offset_ms);
			snprintf(rtt, sizeof rtt, "%.1fms", h->facts.rtt_ms);
		}
		printf("%-28s %-6s %-8s %5s %8s %10s %9s  %s\n", h->label, problem ? "FAIL" : "ok",
		       h->facts.agent_version ? h->facts.agent_version : "-", cpus, nofile, clk,
		       rtt,
		       problem	 ? problem
		       : warning ? warning
				 : "");
		free(problem);
		free(warning);
	}
	printf("%zu host%s, %d with a problem\n", n, n == 1 ? "" : "s", *bad);
}

/* The options' combinations a subcommand refuses. CLI_GO_ON when they are fine. */
static int hosts_refused(const struct hosts_args *a, const struct cli_command *cmd, bool clean)
{
	if (clean && (a->json || a->opt.push_agent || a->opt.remote_agent)) {
		fprintf(stderr, "barrage: hosts clean: --json, --agent and --push-agent are for "
				"hosts check\n");
		return cli_usage(cmd->usage);
	}
	if (a->opt.push_agent && a->opt.remote_agent) {
		fprintf(stderr, "barrage: hosts check: --agent PATH names an installed agent, "
				"--push-agent uploads this one: choose one\n");
		return CLI_EXIT_USAGE;
	}
	return CLI_GO_ON;
}

static int hosts_command(int argc, char **argv, bool clean)
{
	const struct cli_command *cmd = clean ? &cli_hosts_clean : &cli_hosts_check;
	struct hosts_args a = {.opt = {.connect_timeout_ms = 5000}};
	struct plan_host *hosts = NULL;
	struct ssh_check_host *res = NULL;
	size_t nhosts = 0;
	char *err = NULL, **av;
	int rc, bad = 0;

	/* getopt names the program in its messages: argv[0] ("check") becomes the command. */
	av = calloc((size_t)argc + 1, sizeof *av);
	if (!av)
		return CLI_EXIT_INTERNAL;
	av[0] = (char *)(clean ? "barrage hosts clean" : "barrage hosts check");
	for (int i = 1; i < argc; i++)
		av[i] = argv[i];
	rc = cli_parse(cmd, argc, av, &a);
	if (rc != CLI_GO_ON)
		goto out;
	rc = CLI_EXIT_USAGE;
	if (optind + 1 != argc) {
		fprintf(stderr, "barrage: %s: %s\n", cmd->name,
			optind >= argc ? "missing the hosts FILE" : "one hosts FILE expected");
		rc = cli_usage(cmd->usage);
		goto out;
	}
	rc = hosts_refused(&a, cmd, clean);
	if (rc != CLI_GO_ON)
		goto out;
	rc = CLI_EXIT_USAGE;
	if (hosts_file_read(av[optind], &hosts, &nhosts, &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		goto out;
	}
	rc = ssh_check_run(hosts, nhosts, &a.opt, clean, &res, &err);
	if (rc < 0) {
		if (rc == -1)
			fprintf(stderr, "barrage: %s\n", err);
		rc = rc == -1 ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
		goto out;
	}
	if (clean)
		print_clean(res, nhosts, &bad);
	else if (a.json)
		print_check_json(res, hosts, nhosts, &bad);
	else
		print_check_table(res, nhosts, &bad);
	fflush(stdout);
	rc = bad ? CLI_EXIT_RUN : CLI_EXIT_OK;
out:
	free(av);
	ssh_check_free(res, nhosts);
	hosts_free(hosts, nhosts);
	free(err);
	return rc;
}

int cli_hosts_check_main(int argc, char **argv)
{
	return hosts_command(argc, argv, false);
}

int cli_hosts_clean_main(int argc, char **argv)
{
	return hosts_command(argc, argv, true);
}

int cli_hosts_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2) {
			fputs(usage_hosts, stdout);
			return CLI_EXIT_OK;
		}
		return cli_usage_error(usage_hosts, "hosts: expected 'hosts check FILE'");
	}
	if (strcmp(argv[1], "clean") == 0)
		return cli_hosts_clean_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error(usage_hosts,
				       "hosts: unknown subcommand '%s' (expected 'check' or "
				       "'clean')",
				       argv[1]);
	return cli_hosts_check_main(argc - 1, argv + 1);
}
