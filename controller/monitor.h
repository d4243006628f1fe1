/* Watching the target: the CPU, memory, disk and network of the machines named in the
 * scenario's `monitor:` (and `--monitor FILE`) while the load runs (docs/monitor.md).
 *
 * Agentless: nothing is installed on a monitored host. Each host is a source behind the agent
 * link interface (controller/link.h): `local` reads the controller's own /proc on a timer
 * (controller/monitor_local.c); a remote host is one exec channel of an SSH session opened with
 * the fleet's code (controller/ssh_fleet.c: strict known_hosts, keys, keepalives) running a shell
 * loop that cats the /proc files every interval. Both deliver the same block text, parsed by
 * common/procfs.c. Each sample becomes a `monitor` record in stats.log; a host whose source
 * ends is marked down there (and in an event), and the run goes on. */
#ifndef BARRAGE_CONTROLLER_MONITOR_H
#define BARRAGE_CONTROLLER_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/plan.h"
#include "controller/link.h"

struct event_base;
struct rundir;

struct monitor_options {
	const char *hosts_file; /* --monitor FILE: more hosts, hosts-file format */
	bool optional;		/* --monitor-optional: start without the hosts that do not answer */
	const char *known_hosts;
	const char *identity;
	bool accept_new_host_keys;
	bool quiet;
	int64_t run_us; /* how long the run may last (load + grace): bounds the remote loops */
};

struct monitor;

/* Open every monitored host and wait until each has sent one sample. A host that cannot be
 * reached or does not answer within its time fails the whole call (-1 with a message naming
 * every such host and why: exit 3), unless optional, in which case it is reported on stderr,
 * marked down in stats.log and left out. *out is NULL (and 0 returned) when nothing is to be
 * monitored. Blocks, running base. */
int monitor_open(struct event_base *base, const struct plan *p, const struct monitor_options *o,
		 struct monitor **out, char **err);
/* From now on, samples are written to the run directory's stats.log as `monitor` records with
 * t = seconds since start_us (CLOCK_MONOTONIC µs). Hosts that failed to open are recorded as
 * down at t = 0. */
void monitor_start(struct monitor *m, struct rundir *dir, int64_t start_us);
/* Stop writing (the end record follows) and stop the sources. Accepts NULL. */
void monitor_stop(struct monitor *m);
void monitor_free(struct monitor *m);

/* Append the targets' CPU to a live line: "  target cpu 62% local" (the busiest host). */
void monitor_live_append(const struct monitor *m, char *line, size_t size);

/* The sources. `local`: the controller's machine read on a timer (the first sample at once). */
int monitor_local_open(struct event_base *base, int64_t interval_us, bool procs,
		       struct agent_link **out);
/* The shell loop a remote host runs: a block every interval_us, at most max_samples of them. */
char *monitor_remote_script(int64_t interval_us, bool procs, uint64_t max_samples);

/* `barrage check`: the monitor section as a human reads it (nothing when there is none). */
void monitor_print_plan(const struct plan *p, FILE *out);

/* A monitor.hosts entry: "local", or "user@host[:port]" (hosts-file syntax). 0, or -1 with a
 * message. */
int monitor_host_check(const char *spec, char **err);

#endif
