/* Watching the target (see monitor.h; docs/monitor.md).
 *
 * Why things are done the way they are:
 * - One source per host behind the agent link interface: `local` (monitor_local.c) and an SSH
 *   exec channel (controller/ssh_fleet.c, opened with no setup steps: nothing is checked, created or
 *   uploaded on a monitored host). This file never knows which one it reads.
 * - The remote side is a plain `sh` loop that cats the files and sleeps: one long-lived
 *   channel, nothing to install, and the rates are computed from the host's own /proc/uptime
 *   between two samples, so the time a sample spends on the network does not bend them.
 * - The loop is bounded (a sample count from the run's length) and dies with its channel, so
 *   a controller that vanishes leaves nothing running for long.
 * - Each SSH host gets its own fleet (one connection): one host failing or dying never takes
 *   the others with it, and the agents' fleet is not involved at all.
 * - Text from a host is untrusted: it is split and parsed by common/procfs.c (fuzzed), and the
 *   bytes waiting for a complete sample are capped. */
#include "common/clock.h"
#include "controller/monitor.h"

#include <ctype.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/procfs.h"
#include "common/units.h"
#include "controller/live.h"
#include "controller/rundir.h"
#include "controller/ssh.h"

#define MON_IN_MAX	 ((size_t)64 << 20) /* bytes kept while waiting for a sample's end */
#define MON_ANSWER_US	 15000000	    /* the first sample must come within this */
#define MON_LOOP_SLACK_S 600		    /* remote loops outlive the run by at most this */

struct mon_host {
	struct monitor *m;
	char *name; /* "local" or the spec as written: the key everywhere */
	bool local;
	struct plan_host ph;
	struct ssh_fleet *fleet;
	struct agent_link *link;
	struct buf in;
	size_t scanned; /* bytes of in already searched for an end marker */
	struct procfs_sample *s[2];
	int cur;
	bool have_prev;
	bool answered, down, failed;
	char *why;
	unsigned missing_told;
	double cpu;
	bool have_cpu;
};

struct monitor {
	struct event_base *base;
	struct mon_host *h;
	size_t n;
	struct procfs_watch watch;
	int64_t interval_us;
	struct rundir *dir;
	int64_t start_us;
	bool started, stopped, quiet;
};

/* ---- the remote loop ---- */

char *monitor_remote_script(int64_t interval_us, bool procs, uint64_t max_samples)
{
	char *s = NULL;
	char secs[32];

	snprintf(secs, sizeof(secs), "%.3f", (double)interval_us / 1e6);
	/* sh, not bash: the host may be minimal. Every marker line is written with `|| exit`: a
	 * closed channel ends the loop at its next write even where SIGPIPE is ignored. */
	if (asprintf(&s,
		     "exec 2>/dev/null; P=$(getconf PAGESIZE || echo 4096); "
		     "T=$(getconf CLK_TCK || echo 100); i=0; "
		     "while [ $i -lt %llu ]; do i=$((i+1)); "
		     "echo \"@@barrage-monitor 1 $T $P\" || exit; "
		     "for f in uptime stat meminfo loadavg diskstats net/dev vmstat net/snmp; do "
		     "if [ -r /proc/$f ]; then echo \"@@file $f\"; cat /proc/$f; "
		     "else echo \"@@missing $f\"; fi; done; "
		     "echo '@@file numastat'; cat /sys/devices/system/node/node*/numastat; "
		     "%s"
		     "echo '@@end' || exit; sleep %s || exit; done",
		     (unsigned long long)max_samples,
		     procs ? "echo '@@file procs'; cat /proc/[0-9]*/stat; " : "", secs) < 0)
		return NULL;
	return s;
}

int monitor_host_check(const char *spec, char **err)
{
	struct plan_host *hs = NULL;
	size_t n = 0;
	int rc;

	if (strcmp(spec, "local") == 0)
		return 0;
	if (strchr(spec, '\n') || strchr(spec, '#') || strchr(spec, ' ') || !*spec)
		return err_set(err, "expected local or user@host[:port], got '%.60s'", spec);
	rc = hosts_parse("monitor.hosts", spec, strlen(spec), &hs, &n, err);
	if (rc < 0 && err && *err && strncmp(*err, "monitor.hosts:", 14) == 0) {
		/* "monitor.hosts:1:5: what": the caller gives the scenario's position. */
		const char *w = *err + 14;
		char *cut;

		while (*w && (isdigit((unsigned char)*w) || *w == ':'))
			w++;
		while (*w == ' ')
			w++;
		if ((cut = strdup(w))) {
			free(*err);
			*err = cut;
		}
	}
	if (rc == 0 && n != 1)
		rc = err_set(err, "expected local or user@host[:port], got '%.60s'", spec);
	hosts_free(hs, n);
	return rc;
}

void monitor_print_plan(const struct plan *p, FILE *out)
{
	const struct plan_monitor *m = &p->monitor;
	int64_t iv = m->interval_us > 0 ? m->interval_us : p->interval_us;
	char d[32];
	size_t i;

	if (m->nhosts == 0 && !m->hosts_file)
		return;
	units_fmt_duration(d, sizeof(d), (double)iv);
	fprintf(out, "monitor (every %s%s)\n", d,
		m->optional ? "; hosts that do not answer are left out" : "");
	for (i = 0; i < m->nhosts; i++)
		fprintf(out, "  %s%s\n", m->hosts[i],
			strcmp(m->hosts[i], "local") == 0 ? " (this machine, no SSH)" : " (SSH)");
	if (m->hosts_file)
		fprintf(out, "  the hosts of %s (SSH)\n", m->hosts_file);
	if (m->nprocesses) {
		fputs("  processes:", out);
		for (i = 0; i < m->nprocesses; i++)
			fprintf(out, " %s", m->processes[i]);
		fputc('\n', out);
	}
}

/* ---- records ---- */

static double now_t(const struct monitor *m)
{
	return (double)(clock_mono_us() - m->start_us) / 1e6;
}

static void write_json(struct monitor *m, json_t *j)
{
	if (m->dir)
		rundir_write_record(m->dir, j);
	json_decref(j);
}

static void write_down(struct mon_host *h, double t)
{
	json_t *j = json_object();

	json_object_set_new(j, "type", json_string("monitor"));
	json_object_set_new(j, "t", json_real(t < 0 ? 0 : t));
	json_object_set_new(j, "host", json_string(h->name));
	json_object_set_new(j, "down", json_true());
	json_object_set_new(j, "why", json_string(h->why ? h->why : "unreachable"));
	write_json(h->m, j);
}

static void write_sample(struct mon_host *h, const struct procfs_sample *s,
			 const struct procfs_figures *f)
{
	struct monitor *m = h->m;
	json_t *j = json_object(), *figs = json_object();
	size_t i;

	json_object_set_new(j, "type", json_string("monitor"));
	json_object_set_new(j, "t", json_real(now_t(m)));
	json_object_set_new(j, "host", json_string(h->name));
	json_object_set_new(j, "interval_s", json_real((double)m->interval_us / 1e6));
	for (i = 0; i < PROCFS_NFIGS; i++)
		if (f->have & (1u << i))
			json_object_set_new(figs, procfs_fig_names[i], json_real(f->v[i]));
	json_object_set_new(j, "figures", figs);
	if (m->watch.n) {
		json_t *procs = json_object();

		for (i = 0; i < m->watch.n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "count", json_integer(f->proc_count[i]));
			json_object_set_new(o, "cpu_pct", json_real(f->proc_cpu_pct[i]));
			json_object_set_new(o, "rss", json_real(f->proc_rss[i]));
			json_object_set_new(procs, m->watch.names[i], o);
		}
		json_object_set_new(j, "procs", procs);
	}
	if (s->missing) {
		json_t *miss = json_array();

		for (i = 0; i < PROCFS_NFILES; i++)
			if (s->missing & (1u << i))
				json_array_append_new(miss, json_string(procfs_file_names[i]));
		json_object_set_new(j, "missing", miss);
	}
	write_json(m, j);
}

/* ---- a source's bytes ---- */

static void host_down(struct mon_host *h, const char *why)
{
	struct monitor *m = h->m;
	char detail[600];

	if (h->down)
		return;
	h->down = true;
	free(h->why);
	h->why = strdup(why ? why : "the monitor loop ended");
	if (h->link)
		h->link->ops->kill(h->link);
	if (!m->started || m->stopped)
		return;
	snprintf(detail, sizeof(detail), "monitored host %s: %s; its figures stop here", h->name,
		 h->why ? h->why : "lost");
	write_down(h, now_t(m));
	rundir_write_event(m->dir, now_t(m), NULL, "monitor_lost", detail);
	if (!m->quiet)
		live_event(stderr, now_t(m), "warning: %s", detail);
}

static void on_sample(struct mon_host *h)
{
	struct monitor *m = h->m;
	struct procfs_sample *cur = h->s[h->cur], *prev = h->have_prev ? h->s[1 - h->cur] : NULL;
	struct procfs_figures f;
	unsigned fresh = cur->missing & ~h->missing_told;

	procfs_figures(prev, cur, &m->watch, &f);
	h->answered = true;
	if (f.have & (1u << PROCFS_CPU_PCT)) {
		h->cpu = f.v[PROCFS_CPU_PCT];
		h->have_cpu = true;
	}
	if (fresh && m->started && !m->stopped) {
		struct buf b;

		buf_init(&b, 4096);
		buf_printf(&b, "monitored host %s lacks", h->name);
		for (size_t i = 0; i < PROCFS_NFILES; i++)
			if (fresh & (1u << i))
				buf_printf(&b, " /proc/%s", procfs_file_names[i]);
		buf_printf(&b, ": the figures that come from it are left out");
		rundir_write_event(m->dir, now_t(m), NULL, "notice", b.data ? b.data : "");
		if (!m->quiet)
			live_event(stderr, now_t(m), "warning: %s", b.data ? b.data : "");
		buf_free(&b);
		h->missing_told |= fresh;
	}
	if (m->started && !m->stopped)
		write_sample(h, cur, &f);
	h->cur = 1 - h->cur;
	h->have_prev = true;
}

static void on_data(struct agent_link *l, const void *data, size_t len, void *arg)
{
	struct mon_host *h = arg;
	size_t off = 0, n;
	bool ok;

	(void)l;
	if (h->down)
		return;
	if (buf_append(&h->in, data, len) < 0) {
		host_down(h, "sent more than 64 MB without a complete sample");
		return;
	}
	/* A sample arrives in many reads: parse only once its end marker is there. */
	{
		size_t from = h->scanned > 8 ? h->scanned - 8 : 0;

		h->scanned = h->in.len;
		if (!memmem(h->in.data + from, h->in.len - from, "\n@@end\n", 7))
			return;
	}
	while (off < h->in.len && (n = procfs_parse_block(h->in.data + off, h->in.len - off,
							  &h->m->watch, h->s[h->cur], &ok)) > 0) {
		off += n;
		if (ok)
			on_sample(h);
	}
	buf_consume(&h->in, off);
	h->scanned = h->in.len;
}

static void on_close(struct agent_link *l, const char *why, void *arg)
{
	struct mon_host *h = arg;

	(void)l;
	host_down(h, why ? why : "the monitor loop ended");
}

static void on_log(struct agent_link *l, const char *line, size_t len, void *arg)
{
	(void)l;
	(void)line;
	(void)len;
	(void)arg; /* the loop's stderr goes to /dev/null */
}

/* ---- setup ---- */

static int add_host(struct monitor *m, const char *spec, const struct plan_host *ph, char **err)
{
	struct mon_host *h;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->h[i].name, spec) == 0)
			return err_set(err, "monitor: host %s is listed twice", spec);
	h = &m->h[m->n];
	memset(h, 0, sizeof(*h));
	h->m = m;
	h->name = strdup(spec);
	h->local = strcmp(spec, "local") == 0;
	buf_init(&h->in, MON_IN_MAX);
	h->s[0] = calloc(1, sizeof(*h->s[0]));
	h->s[1] = calloc(1, sizeof(*h->s[1]));
	m->n++;
	if (!h->name || !h->s[0] || !h->s[1])
		return err_set(err, "out of memory");
	if (!h->local) {
		struct plan_host *hs = NULL;
		size_t n = 0;

		if (ph) {
			h->ph = *ph;
			h->ph.user = ph->user ? strdup(ph->user) : NULL;
			h->ph.host = strdup(ph->host);
		} else if (hosts_parse("monitor.hosts", spec, strlen(spec), &hs, &n, err) == 0 &&
			   n == 1) {
			h->ph = hs[0];
			hs[0].user = hs[0].host = NULL;
		} else {
			hosts_free(hs, n);
			return err_set(err, "monitor: bad host '%.60s'", spec);
		}
		hosts_free(hs, n);
		h->ph.agents = 1;
		if (!h->ph.host)
			return err_set(err, "out of memory");
	}
	return 0;
}

static int collect_hosts(struct monitor *m, const struct plan *p, const struct monitor_options *o,
			 char **err)
{
	const char *files[2] = {p->monitor.hosts_file, o->hosts_file};
	struct plan_host *fh[2] = {NULL, NULL};
	size_t nf[2] = {0, 0}, total = p->monitor.nhosts, i, k;
	int rc = -1;

	for (k = 0; k < 2; k++) {
		if (files[k] && hosts_file_read(files[k], &fh[k], &nf[k], err) < 0)
			goto out;
		total += nf[k];
	}
	m->h = calloc(total ? total : 1, sizeof(*m->h));
	if (!m->h) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < p->monitor.nhosts; i++)
		if (add_host(m, p->monitor.hosts[i], NULL, err) < 0)
			goto out;
	for (k = 0; k < 2; k++)
		for (i = 0; i < nf[k]; i++) {
			const struct plan_host *ph = &fh[k][i];
			char name[600];

			if (!ph->user && strcmp(ph->host, "local") == 0)
				snprintf(name, sizeof(name), "local");
			else
				snprintf(name, sizeof(name),
					 strchr(ph->host, ':') ? "%s%s[%s]:%d" : "%s%s%s:%d",
					 ph->user ? ph->user : "", ph->user ? "@" : "", ph->host,
					 ph->port > 0 ? ph->port : 22);
			if (add_host(m, name, ph, err) < 0)
				goto out;
		}
	rc = 0;
out:
	for (k = 0; k < 2; k++)
		hosts_free(fh[k], nf[k]);
	return rc;
}

static int open_host(struct monitor *m, struct mon_host *h, const struct monitor_options *o,
		     uint64_t max_samples, char **err)
{
	char *script;
	int rc;

	if (h->local) {
		if (monitor_local_open(m->base, m->interval_us, m->watch.n > 0, &h->link) < 0)
			return err_set(err, "cannot start reading /proc");
	} else {
		struct ssh_options so;

		memset(&so, 0, sizeof(so));
		so.known_hosts = o->known_hosts;
		so.identity = o->identity;
		so.accept_new_host_keys = o->accept_new_host_keys;
		so.connect_timeout_ms = 5000;
		so.quiet = true;
		so.no_setup = true;
		if (ssh_fleet_open(m->base, &h->ph, 1, &so, NULL, 0, &h->fleet, err) < 0) {
			/* "SSH: 1 of 1 host could not be prepared:\n  LABEL: WHY": keep WHY, the
			 * caller names the host. */
			char *nl = err && *err ? strstr(*err, "\n  ") : NULL;
			char *why = nl ? strstr(nl, ": ") : NULL;

			if (why) {
				char *cut = strdup(why + 2);

				if (cut) {
					free(*err);
					*err = cut;
				}
			}
			return -1;
		}
		script = monitor_remote_script(m->interval_us, m->watch.n > 0, max_samples);
		if (!script)
			return err_set(err, "out of memory");
		rc = ssh_fleet_start_command(h->fleet, 0, 0, script, &h->link, err);
		free(script);
		if (rc < 0)
			return -1;
	}
	h->link->on_data = on_data;
	h->link->on_close = on_close;
	h->link->on_log = on_log;
	h->link->arg = h;
	return 0;
}

static bool waiting(const struct monitor *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->h[i].failed && !m->h[i].down && !m->h[i].answered)
			return true;
	return false;
}

int monitor_open(struct event_base *base, const struct plan *p, const struct monitor_options *o,
		 struct monitor **out, char **err)
{
	struct monitor *m;
	struct buf msg;
	uint64_t max_samples;
	int64_t deadline;
	size_t i, bad = 0;

	*out = NULL;
	if (p->monitor.nhosts == 0 && !p->monitor.hosts_file && !o->hosts_file)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(err, "out of memory");
	m->base = base;
	m->quiet = o->quiet;
	m->interval_us = p->monitor.interval_us > 0 ? p->monitor.interval_us
			 : p->interval_us > 0	    ? p->interval_us
						    : 10000000;
	for (i = 0; i < p->monitor.nprocesses && i < PROCFS_MAX_NAMES; i++)
		snprintf(m->watch.names[m->watch.n++], PROCFS_NAME_MAX, "%s",
			 p->monitor.processes[i]);
	if (collect_hosts(m, p, o, err) < 0) {
		monitor_free(m);
		return -1;
	}
	max_samples = (uint64_t)((o->run_us > 0 ? o->run_us : 0) / m->interval_us) +
		      (uint64_t)(MON_LOOP_SLACK_S * 1000000LL / m->interval_us) + 10;
	buf_init(&msg, 1 << 20);
	for (i = 0; i < m->n; i++) {
		struct mon_host *h = &m->h[i];
		char *e = NULL;

		if (event_base_got_exit(base) || event_base_got_break(base)) {
			/* Interrupted: the caller says so; the hosts left are not opened. */
			h->failed = true;
			h->why = strdup("interrupted");
			continue;
		}
		if (open_host(m, h, o, max_samples, &e) < 0) {
			h->failed = true;
			h->why = e ? e : strdup("cannot connect");
			e = NULL;
		}
		free(e);
	}
	/* Every host that opened must send one sample before the load starts. */
	deadline = clock_mono_us() + MON_ANSWER_US;
	while (waiting(m) && clock_mono_us() < deadline) {
		if (event_base_loop(base, EVLOOP_ONCE) < 0 || event_base_got_exit(base) ||
		    event_base_got_break(base))
			break;
	}
	for (i = 0; i < m->n; i++) {
		struct mon_host *h = &m->h[i];

		if (h->answered && !h->down)
			continue;
		if (!h->failed) {
			h->failed = true;
			if (!h->why)
				h->why = strdup(h->down ? "the monitor loop ended at once"
							: "no sample within 15 s");
			if (h->link)
				h->link->ops->kill(h->link);
		}
		h->down = true;
		bad++;
		buf_printf(&msg, "\n  %s: %s", h->name, h->why ? h->why : "failed");
	}
	if (bad && !o->optional) {
		err_set(err,
			"monitor: %zu of %zu host%s did not answer (--monitor-optional starts "
			"without them):%s",
			bad, m->n, m->n == 1 ? "" : "s", msg.data ? msg.data : "");
		buf_free(&msg);
		monitor_free(m);
		return -1;
	}
	/* Said even with -q: figures the user asked for will be missing from the report. */
	if (bad)
		fprintf(stderr, "barrage: warning: monitor: %zu of %zu host%s left out:%s\n", bad,
			m->n, m->n == 1 ? "" : "s", msg.data ? msg.data : "");
	buf_free(&msg);
	*out = m;
	return 0;
}

void monitor_start(struct monitor *m, struct rundir *dir, int64_t start_us)
{
	if (!m)
		return;
	m->dir = dir;
	m->start_us = start_us;
	m->started = true;
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].failed) {
			write_down(&m->h[i], 0);
			rundir_write_event(dir, 0, NULL, "monitor_lost", m->h[i].why);
		}
}

void monitor_stop(struct monitor *m)
{
	if (!m || m->stopped)
		return;
	m->stopped = true;
	for (size_t i = 0; i < m->n; i++)
		if (m->h[i].link && !m->h[i].down)
			m->h[i].link->ops->kill(m->h[i].link);
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	m->stopped = true;
	for (size_t i = 0; i < m->n; i++) {
		struct mon_host *h = &m->h[i];

		if (h->link) {
			struct agent_link *l = h->link;

			h->down = true; /* whatever the link says now is not news */
			h->link = NULL;
			l->ops->kill(l);
			l->ops->free(l);
		}
		ssh_fleet_close(h->fleet);
		free(h->name);
		free(h->why);
		free(h->ph.user);
		free(h->ph.host);
		free(h->s[0]);
		free(h->s[1]);
		buf_free(&h->in);
	}
	free(m->h);
	free(m);
}

void monitor_live_append(const struct monitor *m, char *line, size_t size)
{
	const struct mon_host *best = NULL;
	size_t len = strlen(line), down = 0;

	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].down) {
			down++;
			continue;
		}
		if (m->h[i].have_cpu && (!best || m->h[i].cpu > best->cpu))
			best = &m->h[i];
	}
	if (best && len < size)
		snprintf(line + len, size - len, "  target cpu %3.0f%% %s", best->cpu, best->name);
	len = strlen(line);
	if (down && len < size)
		snprintf(line + len, size - len, " (%zu monitored host%s down)", down,
			 down == 1 ? "" : "s");
}
