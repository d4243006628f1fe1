/* The `local` monitor source: the controller's own machine, read without SSH.
 *
 * It is an agent link (controller/link.h) like the SSH source, so controller/monitor.c sees one
 * interface: bytes arrive through on_data, the end through on_close. Each interval a timer reads
 * the same files the remote shell loop cats, and hands over the same block text
 * (common/procfs.h), so both sources go through one parser.
 *
 * Test hook: $BARRAGE_MONITOR_ROOT, when set, is a folder that stands in for "/" (its proc/ and
 * sys/ are read instead of the real ones), so a test can give the controller a /proc that lacks
 * a file. */
#include "controller/monitor.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/procfs.h"

#define MONL_FILE_MAX  ((size_t)4 << 20) /* one /proc file; diskstats of 10,000 disks fits */
#define MONL_BLOCK_MAX ((size_t)64 << 20)

struct monl {
	struct agent_link base;
	struct event *timer;
	struct timeval every;
	char *root; /* "" or the test root, without a trailing slash */
	bool procs; /* read every /proc/PID/stat */
	bool closed;
	struct buf block;
};

/* Append the file's bytes; false when it cannot be opened or read. */
static bool append_file(struct buf *b, const char *path)
{
	char chunk[8192];
	size_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (total > MONL_FILE_MAX || buf_append(b, chunk, (size_t)n) < 0)
			break;
	}
	close(fd);
	/* The shell loop's cat ends a file without a newline the same way; keep the markers on
	 * their own lines. */
	if (b->len && b->data[b->len - 1] != '\n')
		buf_append_byte(b, '\n');
	return true;
}

static void read_block(struct monl *m)
{
	struct buf *b = &m->block;
	char path[PATH_MAX];
	size_t i;
	glob_t g;

	buf_reset(b);
	buf_printf(b, "@@barrage-monitor 1 %ld %ld\n", sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
	for (i = 0; i < PROCFS_NFILES; i++) {
		const char *name = procfs_file_names[i];

		if (i == PROCFS_NUMASTAT || i == PROCFS_PROCS)
			continue;
		snprintf(path, sizeof(path), "%s/proc/%s", m->root, name);
		if (access(path, R_OK) != 0) {
			buf_printf(b, "@@missing %s\n", name);
			continue;
		}
		buf_printf(b, "@@file %s\n", name);
		append_file(b, path);
	}
	buf_printf(b, "@@file numastat\n");
	snprintf(path, sizeof(path), "%s/sys/devices/system/node/node*/numastat", m->root);
	if (glob(path, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			append_file(b, g.gl_pathv[i]);
		globfree(&g);
	}
	if (m->procs) {
		DIR *d;
		struct dirent *e;

		buf_printf(b, "@@file procs\n");
		snprintf(path, sizeof(path), "%s/proc", m->root);
		if ((d = opendir(path))) {
			while ((e = readdir(d))) {
				if (e->d_name[0] < '1' || e->d_name[0] > '9')
					continue;
				snprintf(path, sizeof(path), "%s/proc/%s/stat", m->root, e->d_name);
				append_file(b, path);
			}
			closedir(d);
		}
	}
	buf_printf(b, "@@end\n");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct monl *m = arg;

	(void)fd;
	(void)what;
	if (m->closed)
		return;
	read_block(m);
	evtimer_add(m->timer, &m->every);
	if (m->base.on_data)
		m->base.on_data(&m->base, m->block.data, m->block.len, m->base.arg);
}

static int monl_write(struct agent_link *l, const void *data, size_t len)
{
	(void)data;
	(void)len;
	return ((struct monl *)l)->closed ? -1 : 0;
}

static void monl_stop(struct agent_link *l)
{
	struct monl *m = (struct monl *)l;

	if (m->closed)
		return;
	m->closed = true;
	if (m->timer)
		evtimer_del(m->timer);
}

static void monl_free(struct agent_link *l)
{
	struct monl *m = (struct monl *)l;

	if (!m)
		return;
	if (m->timer)
		event_free(m->timer);
	buf_free(&m->block);
	free(m->root);
	free(m->base.id);
	free(m->base.host);
	free(m);
}

static const struct agent_link_ops monl_ops = {
    .write = monl_write,
    .shutdown = monl_stop,
    .kill = monl_stop,
    .free = monl_free,
};

int monitor_local_open(struct event_base *base, int64_t interval_us, bool procs,
		       struct agent_link **out)
{
	struct monl *m = calloc(1, sizeof(*m));
	const char *root = getenv("BARRAGE_MONITOR_ROOT");
	struct timeval now = {0, 0};

	*out = NULL;
	if (!m)
		return -1;
	m->base.ops = &monl_ops;
	m->base.id = strdup("local");
	m->base.host = strdup("localhost");
	m->root = strdup(root ? root : "");
	m->procs = procs;
	m->every.tv_sec = (time_t)(interval_us / 1000000);
	m->every.tv_usec = (suseconds_t)(interval_us % 1000000);
	buf_init(&m->block, MONL_BLOCK_MAX);
	m->timer = evtimer_new(base, on_timer, m);
	if (!m->base.id || !m->base.host || !m->root || !m->timer) {
		monl_free(&m->base);
		return -1;
	}
	if (m->root[0] && m->root[strlen(m->root) - 1] == '/')
		m->root[strlen(m->root) - 1] = '\0';
	evtimer_add(m->timer, &now); /* the first sample at once: the run waits for it */
	*out = &m->base;
	return 0;
}
