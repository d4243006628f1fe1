/* barrage-agent: the load engine. Started by the controller (which talks to it over stdin and
 * stdout, docs/wire-protocol.md), or standalone with --plan for debugging and benchmarks:
 *
 *   barrage-agent                       controller mode: HELLO, then wait for PLAN and START
 *   barrage-agent --plan plan.json      run the plan now; one stats JSON line per interval
 *
 * Exit codes: 0 done, 2 bad plan or protocol error, 3 no START in time, 4 internal error. */
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/alloc.h"
#include "agent/link.h"
#include "common/log.h"
#include "common/version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: barrage-agent [--plan PLAN.json [--stats-json]] [--ready-timeout SECONDS]\n"
		"                     [--controller-is-parent] [-v] [-q] [--version]\n"
		"Without --plan the agent speaks the wire protocol on stdin/stdout (the\n"
		"controller starts it). With --plan it runs the plan at once and prints a\n"
		"summary JSON line at the end (and, with --stats-json, each interval's\n"
		"statistics as one JSON line before it). --controller-is-parent: the\n"
		"controller is the parent process over local pipes, so its silence while it\n"
		"runs is a pause, not a lost link (local agents).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plan", required_argument, NULL, 'p'},
	    {"stats-json", no_argument, NULL, 'j'},
	    {"ready-timeout", required_argument, NULL, 'r'},
	    {"controller-is-parent", no_argument, NULL, 'P'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct link_opts lo = {.ready_timeout_s = 60};
	int c, rc;

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
	rc = link_run(&lo);
	curl_global_cleanup();
	libevent_global_shutdown();
	return rc;
}
