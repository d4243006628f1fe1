/* `barrage ctl ADDR [--token T] ACTION`: the address and token of a running load's dashboard,
 * the action words turned into a control body (ctl_body), and the request (ctl_send). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli.h"
#include "controller/ctl.h"

static const char usage_ctl[] =
    "usage: barrage ctl ADDR [--token T] ACTION\n"
    "\n"
    "Change a running load through its dashboard (barrage run --dashboard). ADDR is the\n"
    "dashboard's HOST:PORT or the URL it printed (whose ?token= is then used).\n"
    "\n"
    "actions:\n"
    "  rate xF        multiply the load by F: the open model's arrival rate, the rate model's\n"
    "                 request rate, the closed model's users (e.g. rate x1.5, rate x0.5)\n"
    "  users N | xF   closed and rate models: N users in total, or F times the current number\n"
    "  pause          no new users or requests until resume\n"
    "  resume\n"
    "  stop           end the run now (reports are written as usual)\n"
    "\n"
    "options:\n"
    "      --token T  the token printed with the dashboard URL (or BARRAGE_DASHBOARD_TOKEN)\n"
    "  -h, --help     this text\n"
    "\n"
    "exit codes: 0 done, 2 usage error, 3 refused or unreachable\n";

static const struct option ctl_longopts[] = {
    {"token", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ctl_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	if (c == 't')
		*(const char **)ctx = arg;
	return CLI_GO_ON;
}

/* "+": options end at the first action word, so "rate x-1" is not an option. */
static const struct cli_command cli_ctl = {
    .name = "ctl",
    .usage = usage_ctl,
    .optstring = "+h",
    .longopts = ctl_longopts,
    .bad = CLI_BAD_TERSE,
    .option = ctl_option,
};

int cli_ctl_main(int argc, char **argv)
{
	const char *token = getenv("BARRAGE_DASHBOARD_TOKEN"), *addr;
	char body[256], url[1024], *err = NULL;
	int rc;

	rc = cli_parse(&cli_ctl, argc, argv, &token);
	if (rc != CLI_GO_ON)
		return rc;
	if (optind >= argc) {
		fprintf(stderr, "barrage: ctl: which dashboard? (barrage ctl HOST:PORT ACTION)\n%s",
			usage_ctl);
		return CLI_EXIT_USAGE;
	}
	addr = argv[optind++];
	/* --token may also follow the address. */
	while (optind + 1 < argc && strcmp(argv[optind], "--token") == 0) {
		token = argv[optind + 1];
		optind += 2;
	}
	if (ctl_body(argc - optind, argv + optind, body, sizeof(body), &err) < 0) {
		fprintf(stderr, "barrage: %s\n", err);
		free(err);
		return CLI_EXIT_USAGE;
	}
	if (strncmp(addr, "http://", 7) == 0) {
		const char *q = strstr(addr, "token=");
		size_t hl = strcspn(addr + 7, "/?");

		if (q && !token) {
			static char tk[128];

			snprintf(tk, sizeof(tk), "%.*s", (int)strcspn(q + 6, "&#"), q + 6);
			token = tk;
		}
		snprintf(url, sizeof(url), "http://%.*s/api/control", (int)hl, addr + 7);
	} else {
		snprintf(url, sizeof(url), "http://%s/api/control", addr);
	}
	if (!token) {
		fprintf(stderr,
			"barrage: ctl: control needs the dashboard's token: --token T (it is "
			"printed with the dashboard URL)\n");
		return CLI_EXIT_USAGE;
	}
	return ctl_send(url, token, body) < 0 ? CLI_EXIT_RUN : CLI_EXIT_OK;
}
