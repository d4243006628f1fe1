/* What every command of the command line shares (cli.h): the option loop, usage errors,
 * --set overrides and the SSH connection options. */
#include "controller/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_quiet;
int cli_verbose;

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("barrage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	fputs(usage, stderr);
	return CLI_EXIT_USAGE;
}

int cli_usage(const char *usage)
{
	fputs(usage, stderr);
	return CLI_EXIT_USAGE;
}

/* Name the option getopt_long rejected, whether short or long. */
static int bad_option(const struct cli_command *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	switch (cmd->bad) {
	case CLI_BAD_GETOPT: /* getopt said it */
		return cli_usage(cmd->usage);
	case CLI_BAD_TERSE:
		fprintf(stderr, "barrage: %s: bad option '%s'\n%s", cmd->name, arg, cmd->usage);
		return CLI_EXIT_USAGE;
	case CLI_BAD_NAMED:
		break;
	}
	if (c == ':')
		return cli_usage_error(cmd->usage, "%s: option '%s' needs a value", cmd->name, arg);
	if (optopt && optopt != '?')
		return cli_usage_error(cmd->usage, "%s: unknown option '-%c'", cmd->name, optopt);
	return cli_usage_error(cmd->usage, "%s: unknown option '%s'", cmd->name, arg);
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *ctx)
{
	int c, rc;

	optind = 0; /* 0, not 1: glibc then resets its whole state, left by an earlier parse */
	opterr = cmd->bad == CLI_BAD_GETOPT;
	while ((c = getopt_long(argc, argv, cmd->optstring, cmd->longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd->usage, stdout);
			return CLI_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return bad_option(cmd, argv, c);
		rc = cmd->option(ctx, c, optarg, argc, argv);
		if (rc != CLI_GO_ON)
			return rc;
	}
	return CLI_GO_ON;
}

int cli_overrides_add(struct cli_overrides *o, const char *arg, const char *usage)
{
	const char *eq = strchr(arg, '=');
	struct scenario_override *nv;
	char *key;

	if (!eq || eq == arg)
		return cli_usage_error(usage, "--set '%s': expected KEY=VALUE (e.g. load.users=50)",
				       arg);
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;

		nv = realloc(o->v, cap * sizeof(*nv));
		if (!nv) {
			fprintf(stderr, "barrage: out of memory\n");
			return CLI_EXIT_INTERNAL;
		}
		o->v = nv;
		o->cap = cap;
	}
	key = strndup(arg, (size_t)(eq - arg));
	if (!key) {
		fprintf(stderr, "barrage: out of memory\n");
		return CLI_EXIT_INTERNAL;
	}
	o->v[o->n].path = key;
	o->v[o->n].value = eq + 1;
	o->n++;
	return CLI_GO_ON;
}

void cli_overrides_free(struct cli_overrides *o)
{
	for (size_t i = 0; i < o->n; i++)
		free((char *)o->v[i].path);
	free(o->v);
	o->v = NULL;
	o->n = o->cap = 0;
}

bool cli_ssh_option(struct ssh_options *opt, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_KNOWN_HOSTS:
		opt->known_hosts = arg;
		return true;
	case CLI_OPT_IDENTITY:
		opt->identity = arg;
		return true;
	case CLI_OPT_ACCEPT_NEW:
		opt->accept_new_host_keys = true;
		return true;
	default:
		return false;
	}
}
