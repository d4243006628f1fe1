/* `barrage import har|tsung FILE [-o scenario.yaml]`: the command line around the importers
 * (controller/import.h).
 * The scenario goes to -o (or stdout); what a person should know about it (correlations, what
 * was not mapped) goes to stderr. With -o, the written scenario is loaded back with the same
 * checks as `barrage check`, so an import that would not run says so at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/plan.h"
#include "common/units.h"
#include "controller/cli.h"
#include "controller/import.h"
#include "controller/scenario.h"

static const char usage_import[] =
    "usage: barrage import har FILE.har [-o scenario.yaml] [options]\n"
    "       barrage import tsung FILE.xml [-o scenario.yaml]\n"
    "\n"
    "Turn a browser's HTTP Archive or a Tsung configuration into a scenario that\n"
    "`barrage check` accepts. Comments in the scenario mark what a person should decide;\n"
    "what was correlated and what was not mapped is also listed on stderr.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE          write the scenario there (default: stdout) and check it\n"
    "  -f, --force                overwrite FILE if it exists\n"
    "HAR only:\n"
    "      --keep-static          keep images, fonts, stylesheets and scripts\n"
    "      --include-host HOST    only requests to HOST (or HOST:PORT), repeatable\n"
    "      --exclude-host HOST    drop requests to HOST (or HOST:PORT), repeatable\n"
    "      --think-min DUR        shortest gap written as a think time (default 500ms)\n"
    "      --keep-user-agent      send the browser's User-Agent\n"
    "      --max-size SIZE        largest HAR read (default 64MiB; memory is a few times it)\n"
    "  -h, --help                 this text\n"
    "\n"
    "exit codes: 0 imported, 2 usage error or a file that cannot be imported\n"
    "            (see docs/import.md)\n";

static int write_file(const char *path, bool force, const struct buf *b, char **err)
{
	FILE *f;

	if (!force && access(path, F_OK) == 0)
		return err_set(err, "%s exists (use --force to overwrite it)", path);
	f = fopen(path, "w");
	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		if (!ferror(f))
			return err_set(err, "%s: %s", path, strerror(errno));
		fclose(f);
		return err_set(err, "%s: write failed", path);
	}
	return 0;
}

static const struct option longs[] = {
    {"output", required_argument, NULL, 'o'},	    {"force", no_argument, NULL, 'f'},
    {"keep-static", no_argument, NULL, 'S'},	    {"include-host", required_argument, NULL, 'I'},
    {"exclude-host", required_argument, NULL, 'X'}, {"think-min", required_argument, NULL, 'T'},
    {"keep-user-agent", no_argument, NULL, 'U'},    {"help", no_argument, NULL, 'h'},
    {"max-size", required_argument, NULL, 'M'},	    {NULL, 0, NULL, 0}};

struct import_args {
	struct import_opts o;
	const char *out_path;
	bool force;
};

/* All options, wherever they are (GNU getopt moves the operands, kind and file, to the end). */
static int import_option(void *ctx, int c, char *arg, int argc, char **argv)
{
	struct import_args *a = ctx;
	struct import_opts *o = &a->o;
	char *err = NULL;
	int rc = CLI_GO_ON;
	int64_t us;
	uint64_t n;

	switch (c) {
	case 'o':
		a->out_path = arg;
		break;
	case 'f':
		a->force = true;
		break;
	case 'S':
		o->keep_static = true;
		break;
	case 'U':
		o->keep_user_agent = true;
		break;
	case 'I':
		o->include_hosts[o->ninclude++] = arg;
		break;
	case 'X':
		o->exclude_hosts[o->nexclude++] = arg;
		break;
	case 'T':
		if (units_parse_duration(arg, &us, &err) < 0)
			rc =
			    cli_usage_error(usage_import, "import: --think-min '%s': %s", arg, err);
		else
			o->think_min_s = (double)us / 1e6;
		break;
	case 'M':
		if (units_parse_size(arg, &n, &err) < 0)
			rc = cli_usage_error(usage_import, "import: --max-size '%s': %s", arg, err);
		else
			o->max_har_bytes = (size_t)n;
		break;
	}
	free(err);
	return rc;
}

static const struct cli_command cli_import = {
    .name = "import",
    .usage = usage_import,
    .optstring = ":o:fh",
    .longopts = longs,
    .bad = CLI_BAD_NAMED,
    .option = import_option,
};

int cli_import_main(int argc, char **argv)
{
	struct import_args a = {.o = {.think_min_s = 0.5, .max_har_bytes = (size_t)64 << 20}};
	struct import_opts *o = &a.o;
	const char *kind, *file;
	bool har;
	struct imp_doc d;
	struct buf yaml;
	char *err = NULL;
	int rc = CLI_EXIT_USAGE;

	imp_doc_init(&d);
	buf_init(&yaml, 0);
	o->include_hosts = calloc((size_t)argc, sizeof(char *));
	o->exclude_hosts = calloc((size_t)argc, sizeof(char *));
	if (!o->include_hosts || !o->exclude_hosts) {
		fputs("barrage: out of memory\n", stderr);
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	rc = cli_parse(&cli_import, argc, argv, &a);
	if (rc != CLI_GO_ON)
		goto out;
	if (optind >= argc) {
		rc = cli_usage_error(usage_import, "import: what to import? (har or tsung)");
		goto out;
	}
	kind = argv[optind++];
	if (strcmp(kind, "har") != 0 && strcmp(kind, "tsung") != 0) {
		rc = cli_usage_error(usage_import,
				     "import: unknown format '%s' (expected har or tsung)", kind);
		goto out;
	}
	har = strcmp(kind, "har") == 0;
	if (optind >= argc) {
		rc = cli_usage_error(usage_import, "import: import %s: which file?", kind);
		goto out;
	}
	file = argv[optind++];
	if (optind < argc) {
		rc = cli_usage_error(usage_import, "import: one file at a time (got '%s' too)",
				     argv[optind]);
		goto out;
	}
	if (!har && (o->keep_static || o->keep_user_agent || o->ninclude || o->nexclude)) {
		rc = cli_usage_error(usage_import,
				     "import: the HAR options do not apply to a Tsung file");
		goto out;
	}
	if ((har ? import_har(file, o, &d, stderr, &err) : import_tsung(file, &d, stderr, &err)) <
	    0) {
		err_print_lines(stderr, "barrage", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (imp_write(&d, &yaml) < 0) {
		fputs("barrage: import: the scenario is too large to write\n", stderr);
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	if (!a.out_path) {
		fwrite(yaml.data, 1, yaml.len, stdout);
		rc = fflush(stdout) == 0 ? 0 : 4;
		goto out;
	}
	if (write_file(a.out_path, a.force, &yaml, &err) < 0) {
		err_print_lines(stderr, "barrage: import", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	{
		struct plan *p = NULL;

		if (scenario_load(a.out_path, NULL, 0, &p, &err) < 0) {
			fprintf(stderr,
				"barrage: import: %s was written, but barrage check refuses "
				"it; fix what it says:\n",
				a.out_path);
			err_print_lines(stderr, "barrage", err);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		plan_free(p);
	}
	fprintf(stderr, "barrage: import: wrote %s (barrage check accepts it)\n", a.out_path);
	rc = 0;
out:
	free(err);
	free(o->include_hosts);
	free(o->exclude_hosts);
	buf_free(&yaml);
	imp_doc_free(&d);
	return rc;
}
