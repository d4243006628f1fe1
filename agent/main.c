/* barrage-agent: the load engine. Started by the controller (which talks to it over stdin and
 * stdout, docs/wire-protocol.md), or standalone with --plan for debugging and benchmarks:
 *
 *   barrage-agent                       controller mode: HELLO, then wait for PLAN and START
 *   barrage-agent --plan plan.json      run the plan now; one stats JSON line per interval
 *
 *   barrage-agent --run-dir DIR         the same; DIR (the per-run directory the controller created
 *                                       on this host) is removed when the last agent using it
 *                                       exits, however it exits (short of SIGKILL)
 *
 * Exit codes: 0 done, 2 bad plan or protocol error, 3 no START in time or link lost, 4 internal
 * error. */
#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/alloc.h"
#include "agent/link.h"
#include "common/log.h"
#include "common/version.h"

/* The per-run directory: every agent started in it holds a shared lock on DIR/.barrage-lock
 * while it runs; the one that can turn it into an exclusive lock at exit is the last, and removes
 * the directory (the pushed agent, the data files: an accounts CSV must not stay behind). Only a
 * directory named like the controller's (`barrage.XXXXXXXX`, absolute) is ever removed, and
 * `barrage hosts check` tells a stale one by its lock being free. */
#define RUN_DIR_LOCK ".barrage-lock"

static int run_dir_check(const char *dir)
{
	const char *base = strrchr(dir, '/');
	struct stat st;

	if (dir[0] != '/' || !base || strncmp(base + 1, "barrage.", 8) != 0 ||
	    strlen(base + 1) != 16 || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid()) {
		fprintf(stderr,
			"barrage-agent: --run-dir: '%s' is not a barrage.XXXXXXXX directory of "
			"ours\n",
			dir);
		return -1;
	}
	return 0;
}

static int run_dir_lock(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, RUN_DIR_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_SH) < 0) {
		log_warn("--run-dir: cannot lock %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	/* A spool left by an agent whose link was lost stays for `barrage collect` (which removes
	 * it and the directory); so does the directory holding it. */
	if (type != FTW_DP && ftw->level == 1 && strncmp(path + ftw->base, "spool.", 6) == 0)
		return 0;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT &&
	    !(type == FTW_DP && errno == ENOTEMPTY))
		log_warn("--run-dir: cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static void run_dir_release(const char *dir, int fd)
{
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		/* Nobody else holds it: we are the last agent of this run on this host. */
		struct stat st;

		if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
			log_warn("--run-dir: cannot remove %s: %s", dir, strerror(errno));
		else if (lstat(dir, &st) == 0)
			log_info("run directory %s: only spools left, for `barrage collect`", dir);
		else
			log_info("removed the run directory %s", dir);
	}
	close(fd);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: barrage-agent [--plan PLAN.json [--stats-json]] [--ready-timeout SECONDS]\n"
		"                     [--controller-is-parent] [--run-dir DIR] [-v] [-q]\n"
		"                     [--version]\n"
		"Without --plan the agent speaks the wire protocol on stdin/stdout (the\n"
		"controller starts it). With --plan it runs the plan at once and prints a\n"
		"summary JSON line at the end (and, with --stats-json, each interval's\n"
		"statistics as one JSON line before it). --controller-is-parent: the\n"
		"controller is the parent process over local pipes, so its silence while it\n"
		"runs is a pause, not a lost link (local agents). --run-dir DIR: the per-run\n"
		"directory the controller made on this host, removed when its last agent exits.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plan", required_argument, NULL, 'p'},
	    {"stats-json", no_argument, NULL, 'j'},
	    {"ready-timeout", required_argument, NULL, 'r'},
	    {"controller-is-parent", no_argument, NULL, 'P'},
	    {"run-dir", required_argument, NULL, 'D'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct link_opts lo = {.ready_timeout_s = 60};
	const char *run_dir = NULL;
	int c, rc, lock_fd = -1;

	log_set_prefix("barrage-agent");
	while ((c = getopt_long(argc, argv, "p:jr:vqVh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			lo.standalone = true;
			lo.plan_path = optarg;
			break;
		case 'j':
			lo.stats_json = true;
			break;
		case 'P':
			lo.controller_is_parent = true;
			break;
		case 'D':
			if (run_dir_check(optarg) < 0)
				return 2;
			run_dir = optarg;
			lo.run_dir = optarg;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 86400) {
				fprintf(stderr,
					"barrage-agent: --ready-timeout: '%s' is not a number of "
					"seconds (1-86400)\n",
					optarg);
				return 2;
			}
			lo.ready_timeout_s = (int)v;
			break;
		}
		case 'v':
			log_level = LOG_DEBUG;
			break;
		case 'q':
			log_level = LOG_ERROR;
			break;
		case 'V':
			printf("barrage-agent %s (wire %d)\n", BARRAGE_VERSION,
			       BARRAGE_WIRE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "barrage-agent: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Worker threads poke the main loop and the main loop pokes them: libevent's locking must
	 * be on before any event_base exists. */
	if (evthread_use_pthreads() < 0 || alloc_curl_global_init() < 0) {
		fprintf(stderr, "barrage-agent: cannot initialise libevent threads or libcurl\n");
		return 4;
	}
	if (run_dir)
		lock_fd = run_dir_lock(run_dir);
	rc = link_run(&lo);
	if (run_dir)
		run_dir_release(run_dir, lock_fd);
	curl_global_cleanup();
	libevent_global_shutdown();
	return rc;
}
