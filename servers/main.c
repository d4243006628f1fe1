/* barrage-target SERVICE [options]: the reference servers (test target, wallet, voting, queue)
 * in one binary. This file reads the command line into a struct srv, hands service options to
 * the service, runs its init (journal replay), then the HTTP loops until SIGTERM/SIGINT.
 * Exit codes: 0 clean stop, 1 runtime failure (bind, journal), 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/version.h"
#include "servers/http.h"
#include "servers/util.h"

static void usage(FILE *f, const struct srv_service *only)
{
	fprintf(f, "usage: barrage-target SERVICE [options]\n"
		   "\n"
		   "Reference servers for Barrage. SERVICE is one of:\n");
	for (int i = 0; srv_services[i]; i++)
		fprintf(f, "  %-8s %s\n", srv_services[i]->name, srv_services[i]->summary);
	fprintf(
	    f,
	    "\n"
	    "Options (every service):\n"
	    "  --listen ADDR:PORT      HTTP listener, repeatable (default 127.0.0.1:8080 when\n"
	    "                          neither --listen nor --tls-listen is given; port 0 picks "
	    "one)\n"
	    "  --tls-listen ADDR:PORT  HTTPS listener, repeatable\n"
	    "  --cert FILE --key FILE  PEM certificate and key (default: self-signed, in memory)\n"
	    "  --port-file FILE        write \"http PORT\" / \"https PORT\" lines once bound\n"
	    "  --data-dir DIR          where journals live (default .; created when missing)\n"
	    "  --sync always|batch|none  fsync per record, per event-loop batch (default), never\n"
	    "  --threads N             event loops (test target only; default 1)\n"
	    "  --max-body SIZE         request body limit (default 1MiB); larger gets 413\n"
	    "  -q, --quiet             errors only\n"
	    "  -v, --verbose           more logging\n"
	    "  -h, --help              this help (with SERVICE: its options too)\n"
	    "  --version               print the version\n");
	for (int i = 0; srv_services[i]; i++) {
		const struct srv_service *sv = srv_services[i];

		if ((only && sv != only) || !sv->options || !sv->options[0].name)
			continue;
		fprintf(f, "\nOptions of %s:\n", sv->name);
		for (const struct srv_option *o = sv->options; o->name; o++)
			fprintf(f, "  %s\n", o->help);
	}
}

static int add_str(char ***arr, int *n, const char *v)
{
	char **na = realloc(*arr, (size_t)(*n + 1) * sizeof(char *));

	if (!na)
		return -1;
	*arr = na;
	na[(*n)++] = (char *)v;
	return 0;
}

/* "4096", "64k", "64KiB", "1M", "1MiB": bytes (k and M are 1024-based here, as a body cap). */
static int parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	x = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (*end == 'k' || *end == 'K')
		x <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		x <<= 20, end++;
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = x;
	return 0;
}

/* barrage-target fsck SERVICE [--data-dir DIR] [--repair]. Exit 0 clean or repaired, 1
 * damage found and left (or the check failed), 2 usage. */
static int fsck_main(int argc, char **argv)
{
	static const char *const journaled[] = {"wallet", "voting", "queue", NULL};
	const char *service = NULL, *dir = ".";
	char path[4096], *err = NULL;
	int repair = 0, rc, k;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--repair") == 0) {
			repair = 1;
		} else if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strncmp(argv[i], "--data-dir=", 11) == 0) {
			dir = argv[i] + 11;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: barrage-target fsck wallet|voting|queue [--data-dir DIR] "
			       "[--repair]\n");
			return 0;
		} else if (argv[i][0] != '-' && !service) {
			service = argv[i];
		} else {
			fprintf(stderr, "barrage-target: fsck: unexpected argument '%s'\n",
				argv[i]);
			return 2;
		}
	}
	for (k = 0; journaled[k]; k++)
		if (service && strcmp(service, journaled[k]) == 0)
			break;
	if (!service || !journaled[k]) {
		fprintf(
		    stderr,
		    "barrage-target: fsck: expected a service with a journal (wallet, voting or "
		    "queue)%s%s\n",
		    service ? ", got " : "", service ? service : "");
		return 2;
	}
	k = snprintf(path, sizeof(path), "%s/%s.journal", dir, service);
	if (k < 0 || (size_t)k >= sizeof(path)) {
		fprintf(stderr, "barrage-target: fsck: --data-dir: path too long\n");
		return 2;
	}
	rc = journal_fsck(path, repair, stdout, &err);
	if (rc < 0) {
		fprintf(stderr, "barrage-target: fsck: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return rc == 1 ? 1 : 0;
}

/* What parse_args found. */
enum { ARGS_OK, ARGS_HELP, ARGS_USAGE, ARGS_OOM };

/* Whether option name takes a value: 1 or 0, or -1 when neither barrage-target nor the service
 * knows it. */
static int option_arity(const struct srv_service *sv, const char *name)
{
	static const char *const common_arg[] = {"listen",    "tls-listen", "cert", "key",
						 "port-file", "data-dir",   "sync", "threads",
						 "max-body",  NULL};

	for (int k = 0; common_arg[k]; k++)
		if (strcmp(name, common_arg[k]) == 0)
			return 1;
	for (const struct srv_option *so = sv->options; so && so->name; so++)
		if (strcmp(so->name, name) == 0)
			return so->has_arg;
	return -1;
}

/* Apply one option: the options of every service here, the rest through the service's option
 * callback. Returns ARGS_OK, ARGS_USAGE with *err, or ARGS_OOM. */
static int apply_option(struct srv *s, const char *name, const char *val, char **err)
{
	const struct srv_service *sv = s->service;

	if (strcmp(name, "listen") == 0) {
		if (add_str(&s->listen, &s->nlisten, val) < 0)
			return ARGS_OOM;
	} else if (strcmp(name, "tls-listen") == 0) {
		if (add_str(&s->tls_listen, &s->ntls_listen, val) < 0)
			return ARGS_OOM;
	} else if (strcmp(name, "cert") == 0) {
		s->cert_file = val;
	} else if (strcmp(name, "key") == 0) {
		s->key_file = val;
	} else if (strcmp(name, "port-file") == 0) {
		s->port_file = val;
	} else if (strcmp(name, "data-dir") == 0) {
		s->data_dir = val;
	} else if (strcmp(name, "sync") == 0) {
		if (journal_sync_parse(val, &s->sync, err) < 0)
			return ARGS_USAGE;
	} else if (strcmp(name, "threads") == 0) {
		long n = 1;

		if (srv_parse_long("threads", val, 1, 256, &n, err) < 0)
			return ARGS_USAGE;
		s->threads = (int)n;
	} else if (strcmp(name, "max-body") == 0) {
		uint64_t n = 0;

		if (parse_size(val, &n) < 0 || n < 1 || n > ((uint64_t)1 << 30)) {
			err_set(err, "--max-body: must be from 1 byte to 1GiB");
			return ARGS_USAGE;
		}
		s->max_body = (size_t)n;
	} else if (!sv->option || sv->option(s, name, val, err) < 0) {
		if (!*err)
			err_set(err, "option '--%s' is not handled", name);
		return ARGS_USAGE;
	}
	return ARGS_OK;
}

/* Read the options after the service name into s (s->service is set). Returns ARGS_OK,
 * ARGS_HELP (the help was printed), ARGS_USAGE with *err, or ARGS_OOM. */
static int parse_args(struct srv *s, int argc, char **argv, char **err)
{
	const struct srv_service *sv = s->service;

	for (int i = 2; i < argc; i++) {
		char name[64];
		const char *a = argv[i], *val = NULL, *eq;
		int needs, rc;

		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			log_level = LOG_ERROR;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			s->verbose++;
			log_level = LOG_DEBUG;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout, sv);
			return ARGS_HELP;
		}
		if (strncmp(a, "--", 2) != 0) {
			err_set(err, "unexpected argument '%s'", a);
			return ARGS_USAGE;
		}
		a += 2;
		eq = strchr(a, '=');
		if ((size_t)(eq ? eq - a : (long)strlen(a)) >= sizeof(name)) {
			err_set(err, "unknown option '%s'", argv[i]);
			return ARGS_USAGE;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - a : (long)strlen(a)), a);
		if (eq)
			val = eq + 1;
		needs = option_arity(sv, name);
		if (needs < 0) {
			err_set(err, "unknown option '--%s' for %s (see barrage-target %s --help)",
				name, sv->name, sv->name);
			return ARGS_USAGE;
		}
		if (needs && !val) {
			if (i + 1 >= argc) {
				err_set(err, "option '--%s' needs a value", name);
				return ARGS_USAGE;
			}
			val = argv[++i];
		} else if (!needs && val) {
			err_set(err, "option '--%s' takes no value", name);
			return ARGS_USAGE;
		}
		rc = apply_option(s, name, val, err);
		if (rc != ARGS_OK)
			return rc;
	}
	if (s->threads > 1 && !sv->threads_ok) {
		err_set(err,
			"--threads: %s keeps state on one event loop; only the test target "
			"runs several",
			sv->name);
		return ARGS_USAGE;
	}
	if (s->nlisten == 0 && s->ntls_listen == 0 &&
	    add_str(&s->listen, &s->nlisten, "127.0.0.1:8080") < 0)
		return ARGS_OOM;
	return ARGS_OK;
}

int main(int argc, char **argv)
{
	struct srv s;
	const struct srv_service *sv;
	char *err = NULL;
	int rc = 2;

	memset(&s, 0, sizeof(s));
	log_set_prefix("barrage-target");
	if (argc < 2) {
		usage(stderr, NULL);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout, NULL);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("barrage-target %s\n", BARRAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "fsck") == 0)
		return fsck_main(argc, argv);
	sv = srv_service_find(argv[1]);
	if (!sv) {
		fprintf(stderr, "barrage-target: unknown service '%s' (expected one of:", argv[1]);
		for (int i = 0; srv_services[i]; i++)
			fprintf(stderr, " %s", srv_services[i]->name);
		fprintf(stderr, ")\n");
		return 2;
	}
	s.service = sv;
	s.data_dir = ".";
	s.sync = JOURNAL_SYNC_BATCH;
	s.threads = 1;
	s.max_body = SRV_DEFAULT_MAX_BODY;
	s.start_us = clock_mono_us();
	switch (parse_args(&s, argc, argv, &err)) {
	case ARGS_HELP:
		rc = 0;
		goto out;
	case ARGS_USAGE:
		goto usage_err;
	case ARGS_OOM:
		goto oom;
	}
	if (mkdir(s.data_dir, 0755) < 0 && errno != EEXIST) {
		log_error("--data-dir %s: %s", s.data_dir, strerror(errno));
		rc = 1;
		goto out;
	}
	if (sv->init && sv->init(&s, &err) < 0) {
		log_error("%s: %s", sv->name, err ? err : "init failed");
		rc = 1;
		goto out;
	}
	rc = srv_run(&s, &err) < 0 ? 1 : 0;
	if (rc)
		log_error("%s: %s", sv->name, err ? err : "failed");
	goto out;
oom:
	log_error("out of memory");
	rc = 1;
	goto out;
usage_err:
	fprintf(stderr, "barrage-target: %s\n", err ? err : "usage error");
	rc = 2;
out:
	/* Options may have made the service's state already: fini frees it on every path. */
	if (sv->fini && s.state)
		sv->fini(&s);
	free(err);
	free(s.listen);
	free(s.tls_listen);
	return rc;
}
