/* History segments and the txn index of the wallet store (see wallet_history.h). */
#include "servers/wallet_history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdio.h"
#include "common/hash.h"
#include "servers/journal.h"
#include "servers/util.h"

#define WHIST_MAX_SEGMENTS ((uint32_t)1 << 24)

struct whist_entry {
	uint64_t fp;  /* 0 = empty */
	uint64_t loc; /* segment << 40 | offset */
};

struct whist {
	char *prefix;
	int fsync_on;
	int *fds;      /* by segment number - 1; -1 = not opened yet */
	uint32_t nseg; /* segments that exist (1..nseg) */
	uint32_t capfds;
	uint64_t cur_size; /* size of segment nseg */
	uint32_t dirty_lo; /* lowest segment written since the last sync, 0 = none */
	struct whist_entry *tab;
	size_t cap, count;
	struct whist_stats st;
};

static int seg_path(const struct whist *h, uint32_t seg, char *out, size_t size)
{
	int n = snprintf(out, size, "%s.%06u", h->prefix, seg);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int grow_fds(struct whist *h, uint32_t seg)
{
	if (seg > h->capfds) {
		uint32_t nc = h->capfds ? h->capfds : 8;
		int *nf;

		while (nc < seg)
			nc *= 2;
		nf = realloc(h->fds, nc * sizeof(*nf));
		if (!nf)
			return -1;
		for (uint32_t i = h->capfds; i < nc; i++)
			nf[i] = -1;
		h->fds = nf;
		h->capfds = nc;
	}
	return 0;
}

/* The descriptor of segment seg (1-based), opened on first use; -1 when it does not exist. */
static int seg_fd(struct whist *h, uint32_t seg, int create)
{
	char path[4096];
	int fd;

	if (seg == 0 || seg > WHIST_MAX_SEGMENTS || grow_fds(h, seg) < 0)
		return -1;
	if (h->fds[seg - 1] >= 0)
		return h->fds[seg - 1];
	if (seg_path(h, seg, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -1;
	h->fds[seg - 1] = fd;
	return fd;
}

int whist_open(struct whist **out, const char *prefix, int fsync_on, char **err)
{
	struct whist *h = calloc(1, sizeof(*h));
	char path[4096];
	struct stat sb;

	if (!h || !(h->prefix = strdup(prefix))) {
		free(h);
		return err_set(err, "out of memory");
	}
	h->fsync_on = fsync_on;
	/* The segments are numbered from 1 without holes: the last one is appended to. */
	for (;;) {
		if (seg_path(h, h->nseg + 1, path, sizeof(path)) < 0) {
			whist_close(h);
			return err_set(err, "history %s: path too long", prefix);
		}
		if (stat(path, &sb) < 0)
			break;
		h->nseg++;
		h->cur_size = (uint64_t)sb.st_size;
		h->st.bytes += (uint64_t)sb.st_size;
	}
	h->st.segments = h->nseg;
	/* The segment appended to is opened now, not at the first fold: a server that reaches its
	 * descriptor limit later must not fail its first history write for want of one. */
	if (h->nseg && seg_fd(h, h->nseg, 0) < 0) {
		seg_path(h, h->nseg, path, sizeof(path));
		err_set(err, "history %s: %s", path, strerror(errno));
		whist_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

void whist_close(struct whist *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->capfds; i++)
		if (h->fds[i] >= 0)
			close(h->fds[i]);
	free(h->fds);
	free(h->tab);
	free(h->prefix);
	free(h);
}

int whist_append(struct whist *h, const void *data, size_t len, uint32_t *seg, uint64_t *off,
		 char **err)
{
	int fd;

	if (h->nseg == 0 || h->cur_size + len > WHIST_SEGMENT_MAX) {
		char path[4096];

		if (h->nseg + 1 > WHIST_MAX_SEGMENTS)
			return err_set(err, "history %s: too many segments", h->prefix);
		fd = seg_fd(h, h->nseg + 1, 1);
		if (fd < 0 || ftruncate(fd, 0) < 0 ||
		    fdio_pwrite_all(fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE, 0) < 0) {
			seg_path(h, h->nseg + 1, path, sizeof(path));
			return err_set(err, "history %s: %s", path, strerror(errno));
		}
		h->nseg++;
		h->cur_size = JOURNAL_HEADER_SIZE;
		h->st.segments = h->nseg;
		h->st.bytes += JOURNAL_HEADER_SIZE;
		if (!h->dirty_lo)
			h->dirty_lo = h->nseg;
	}
	fd = seg_fd(h, h->nseg, 0);
	if (fd < 0 || fdio_pwrite_all(fd, data, len, h->cur_size) < 0)
		return err_set(err, "history %s.%06u: write: %s", h->prefix, h->nseg,
			       strerror(errno));
	*seg = h->nseg;
	*off = h->cur_size;
	h->cur_size += len;
	h->st.bytes += len;
	if (!h->dirty_lo)
		h->dirty_lo = h->nseg;
	return 0;
}

ssize_t whist_read(struct whist *h, uint32_t seg, uint64_t off, void *buf, size_t len)
{
	int fd;
	size_t got = 0;

	if (seg == 0 || seg > h->nseg)
		return 0;
	fd = seg_fd(h, seg, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	h->st.reads++;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int whist_sync(struct whist *h, char **err)
{
	if (!h || !h->dirty_lo)
		return 0;
	if (h->fsync_on) {
		for (uint32_t s = h->dirty_lo; s <= h->nseg; s++) {
			int fd = seg_fd(h, s, 0);

			while (fd >= 0 && fdatasync(fd) < 0)
				if (errno != EINTR)
					return err_set(err, "history %s.%06u: fdatasync: %s",
						       h->prefix, s, strerror(errno));
			h->st.syncs++;
		}
		if (h->dirty_lo != h->nseg || h->cur_size == JOURNAL_HEADER_SIZE) {
			/* A new segment: make its name durable too. */
			char *dir = strdup(h->prefix), *slash;
			int dfd;

			if (dir && (slash = strrchr(dir, '/'))) {
				*slash = '\0';
				dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			} else {
				dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			}
			if (dfd >= 0) {
				(void)fsync(dfd);
				close(dfd);
			}
			free(dir);
		}
	}
	h->dirty_lo = 0;
	return 0;
}

uint64_t whist_fingerprint(const char *id, size_t idlen, const char *txn, size_t txnlen)
{
	uint64_t h = hash_bytes(id, idlen);

	h ^= hash_bytes(txn, txnlen) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return h ? h : 1;
}

static void tab_put(struct whist_entry *tab, size_t cap, uint64_t fp, uint64_t loc)
{
	for (size_t i = fp & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].fp) {
			tab[i].fp = fp;
			tab[i].loc = loc;
			return;
		}
}

int whist_index_add(struct whist *h, uint64_t fp, uint32_t seg, uint64_t off)
{
	if ((h->count + 1) * 2 > h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 4096;
		struct whist_entry *nt = calloc(nc, sizeof(*nt));

		if (!nt)
			return -1;
		for (size_t i = 0; i < h->cap; i++)
			if (h->tab[i].fp)
				tab_put(nt, nc, h->tab[i].fp, h->tab[i].loc);
		free(h->tab);
		h->tab = nt;
		h->cap = nc;
	}
	tab_put(h->tab, h->cap, fp, (uint64_t)seg << 40 | off);
	h->count++;
	return 0;
}

int whist_index_next(const struct whist *h, uint64_t fp, uint64_t *pos, uint32_t *seg,
		     uint64_t *off)
{
	if (!h->cap)
		return 0;
	/* *pos counts probes from the home slot; the run ends at an empty slot. */
	for (size_t i = (fp + *pos) & (h->cap - 1); *pos < h->cap; i = (i + 1) & (h->cap - 1)) {
		const struct whist_entry *e = &h->tab[i];

		(*pos)++;
		if (!e->fp)
			return 0;
		if (e->fp == fp) {
			*seg = (uint32_t)(e->loc >> 40);
			*off = e->loc & (((uint64_t)1 << 40) - 1);
			return 1;
		}
	}
	return 0;
}

void whist_get_stats(const struct whist *h, struct whist_stats *st)
{
	*st = h->st;
	st->index_entries = h->count;
	st->index_bytes = h->cap * sizeof(struct whist_entry);
}
