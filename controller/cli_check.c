/* `barrage check SCENARIO.yaml`: load and validate a scenario as `run` would, print its plan,
 * and write it as the agents get it with --plan-json. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/plan.h"
#include "controller/cli.h"
#include "controller/scenario.h"

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

enum { OPT_SET = 256, OPT_PLAN_JSON };

static const struct option check_longopts[] = {
    {"set", required_argument, NULL, OPT_SET},
    {"plan-json", required_argument, NULL, OPT_PLAN_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct check_args {
	struct cli_overrides ov;
	const char *plan_json;
	bool quiet;
};

static int check_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct check_args *a = ctx;

	switch (c) {
	case OPT_SET:
		return cli_overrides_add(&a->ov, arg, usage_check);
	case OPT_PLAN_JSON:
		a->plan_json = arg;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		break;
	}
	return CLI_GO_ON;
}

static const struct cli_command cli_check = {
    .name = "check",
    .usage = usage_check,
    .optstring = ":qvh",
    .longopts = check_longopts,
    .bad = CLI_BAD_NAMED,
    .option = check_option,
};

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

int cli_check_main(int argc, char **argv)
{
	struct check_args a = {.quiet = cli_quiet};
	struct plan *p = NULL;
	char *err = NULL;
	int rc;

	rc = cli_parse(&cli_check, argc, argv, &a);
	if (rc != CLI_GO_ON)
		goto out;
	if (optind >= argc) {
		rc = cli_usage_error(usage_check,
				     "check: which scenario? (barrage check SCENARIO.yaml)");
		goto out;
	}
	if (argc - optind > 1) {
		rc = cli_usage_error(usage_check, "check: one scenario at a time (got '%s' too)",
				     argv[optind + 1]);
		goto out;
	}
	if (scenario_load(argv[optind], a.ov.v, a.ov.n, &p, &err) < 0) {
		err_print_lines(stderr, "barrage", err ? err : "invalid scenario");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!a.quiet)
		scenario_print_plan(p, stdout);
	rc = a.plan_json ? write_plan_json(p, a.plan_json) : 0;
out:
	plan_free(p);
	free(err);
	cli_overrides_free(&a.ov);
	return rc;
}
