/* The append-only journal of the stateful reference servers (format and guarantees in
 * journal.h). Appends go to a memory buffer; journal_commit writes that buffer with one write(2)
 * and, with --sync batch, one fdatasync, which is what makes group commit cheap: a batch of
 * requests costs one disk flush. With --sync always each append is written and flushed alone. */
#include "servers/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"

#define JOURNAL_BUF_MAX ((size_t)512 << 20)

struct journal {
	char *path;
	int fd;
	enum journal_sync sync;
	struct buf pend; /* records appended, not yet written */
	uint64_t pend_records;
	struct journal_stats st;
};

/* ---- CRC32C (Castagnoli, reflected 0x82F63B78), table-driven ---- */

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] =
			    (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();
	crc = ~crc;
	/* Eight bytes at a time (slicing-by-8), then the rest bytewise. */
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/* ---- payload helpers ---- */

int journal_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int journal_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return buf_append(b, x, 4);
}

int journal_put_i64(struct buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(u >> (8 * i));
	return buf_append(b, x, 8);
}

int journal_put_str(struct buf *b, const char *s, size_t len)
{
	uint8_t x[2];

	if (len > 0xffff)
		return -1;
	x[0] = (uint8_t)len;
	x[1] = (uint8_t)(len >> 8);
	if (buf_append(b, x, 2) < 0)
		return -1;
	return buf_append(b, s, len);
}

void journal_reader_init(struct journal_reader *r, const uint8_t *data, size_t len)
{
	r->p = data;
	r->end = data + len;
	r->bad = 0;
}

static int need(struct journal_reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return -1;
	}
	return 0;
}

uint8_t journal_get_u8(struct journal_reader *r)
{
	if (need(r, 1) < 0)
		return 0;
	return *r->p++;
}

uint32_t journal_get_u32(struct journal_reader *r)
{
	uint32_t v;

	if (need(r, 4) < 0)
		return 0;
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

int64_t journal_get_i64(struct journal_reader *r)
{
	uint64_t v = 0;

	if (need(r, 8) < 0)
		return 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	return (int64_t)v;
}

size_t journal_get_str(struct journal_reader *r, const char **s)
{
	size_t n;

	*s = "";
	if (need(r, 2) < 0)
		return 0;
	n = (size_t)r->p[0] | (size_t)r->p[1] << 8;
	r->p += 2;
	if (need(r, n) < 0)
		return 0;
	*s = (const char *)r->p;
	r->p += n;
	return n;
}

/* ---- the journal ---- */

int journal_sync_parse(const char *s, enum journal_sync *out, char **err)
{
	if (strcmp(s, "always") == 0)
		*out = JOURNAL_SYNC_ALWAYS;
	else if (strcmp(s, "batch") == 0)
		*out = JOURNAL_SYNC_BATCH;
	else if (strcmp(s, "none") == 0)
		*out = JOURNAL_SYNC_NONE;
	else
		return err_set(err, "--sync: expected always, batch or none, got '%s'", s);
	return 0;
}

const char *journal_sync_name(enum journal_sync s)
{
	return s == JOURNAL_SYNC_ALWAYS ? "always" : s == JOURNAL_SYNC_NONE ? "none" : "batch";
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sync_fd(int fd)
{
	while (fdatasync(fd) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* fsync the folder holding path, so a create or rename in it is durable. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int journal_commit(struct journal *j, char **err)
{
	if (j->pend.len == 0)
		return 0;
	if (write_all(j->fd, j->pend.data, j->pend.len) < 0)
		return err_set(err, "journal %s: write: %s", j->path, strerror(errno));
	j->st.file_bytes += j->pend.len;
	j->st.file_records += j->pend_records;
	j->st.commits++;
	buf_reset(&j->pend);
	j->pend_records = 0;
	if (j->sync != JOURNAL_SYNC_NONE) {
		if (sync_fd(j->fd) < 0)
			return err_set(err, "journal %s: fdatasync: %s", j->path, strerror(errno));
		j->st.fsyncs++;
	}
	return 0;
}

int journal_append(struct journal *j, unsigned type, const void *data, size_t len, char **err)
{
	uint8_t hdr[JOURNAL_RECORD_HEADER];
	uint32_t crc;

	if (type == 0 || type > 255)
		return err_set(err, "journal: record type %u out of range", type);
	if (len > JOURNAL_MAX_RECORD)
		return err_set(err, "journal: record of %zu bytes is over the limit", len);
	hdr[8] = (uint8_t)type;
	crc = journal_crc32c(0, &hdr[8], 1);
	crc = journal_crc32c(crc, data, len);
	put_le32(hdr, (uint32_t)len);
	put_le32(hdr + 4, crc);
	if (buf_append(&j->pend, hdr, sizeof(hdr)) < 0 || buf_append(&j->pend, data, len) < 0)
		return err_set(err, "journal %s: commit buffer full", j->path);
	j->pend_records++;
	j->st.appended++;
	if (j->sync == JOURNAL_SYNC_ALWAYS)
		return journal_commit(j, err);
	return 0;
}

int journal_pending(const struct journal *j)
{
	return j->pend.len > 0;
}

void journal_get_stats(const struct journal *j, struct journal_stats *st)
{
	*st = j->st;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

/* Walk the mapped file; returns the offset just past the last good record and fills rec. */
static int replay_file(struct journal *j, const uint8_t *map, size_t size, journal_replay_fn fn,
		       void *ctx, struct journal_recovery *rec, size_t *good_end, char **err)
{
	size_t off = JOURNAL_HEADER_SIZE;

	while (off < size) {
		size_t left = size - off;
		uint32_t len, crc;

		if (left < JOURNAL_RECORD_HEADER) {
			snprintf(rec->reason, sizeof(rec->reason),
				 "torn record header (%zu of %d bytes)", left,
				 JOURNAL_RECORD_HEADER);
			break;
		}
		len = get_le32(map + off);
		crc = get_le32(map + off + 4);
		if (len > JOURNAL_MAX_RECORD) {
			snprintf(rec->reason, sizeof(rec->reason), "impossible record length %u",
				 len);
			break;
		}
		if (left - JOURNAL_RECORD_HEADER < len) {
			snprintf(rec->reason, sizeof(rec->reason),
				 "torn record (%zu of %u payload bytes)",
				 left - JOURNAL_RECORD_HEADER, len);
			break;
		}
		if (journal_crc32c(0, map + off + 8, 1 + (size_t)len) != crc) {
			snprintf(rec->reason, sizeof(rec->reason), "CRC mismatch");
			break;
		}
		if (map[off + 8] == 0) {
			snprintf(rec->reason, sizeof(rec->reason), "record type 0");
			break;
		}
		if (fn && fn(ctx, map[off + 8], map + off + JOURNAL_RECORD_HEADER, len, err) < 0)
			return err_prefix(err, "journal %s: record %llu at offset %zu", j->path,
					  (unsigned long long)rec->records + 1, off);
		rec->records++;
		off += JOURNAL_RECORD_HEADER + len;
	}
	*good_end = off;
	return 0;
}

int journal_open(struct journal **out, const char *path, enum journal_sync sync,
		 journal_replay_fn replay, void *ctx, struct journal_recovery *rec_out, char **err)
{
	struct journal *j = calloc(1, sizeof(*j));
	struct journal_recovery rec;
	struct stat sb;
	uint8_t *map = NULL;
	size_t size = 0, good = JOURNAL_HEADER_SIZE;
	int created = 0;

	memset(&rec, 0, sizeof(rec));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return err_set(err, "out of memory");
	}
	j->fd = -1;
	j->sync = sync;
	buf_init(&j->pend, JOURNAL_BUF_MAX);
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(j->fd, &sb) < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		goto fail;
	}
	size = (size_t)sb.st_size;
	if (size < JOURNAL_HEADER_SIZE) {
		/* Empty, or a header torn at creation: only a prefix of the magic is ours. */
		uint8_t head[JOURNAL_HEADER_SIZE];
		ssize_t n = size ? pread(j->fd, head, size, 0) : 0;

		if (n < 0 || (size_t)n != size || memcmp(head, JOURNAL_MAGIC, size) != 0) {
			err_set(err, "journal %s: not a Barrage journal (%zu bytes, bad header)",
				path, size);
			goto fail;
		}
		if (ftruncate(j->fd, 0) < 0 ||
		    pwrite(j->fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE, 0) != JOURNAL_HEADER_SIZE ||
		    fsync(j->fd) < 0) {
			err_set(err, "journal %s: cannot initialise: %s", path, strerror(errno));
			goto fail;
		}
		sync_dir(path);
		created = 1;
		size = JOURNAL_HEADER_SIZE;
	} else {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, j->fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			err_set(err, "journal %s: mmap: %s", path, strerror(errno));
			goto fail;
		}
		if (memcmp(map, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) != 0) {
			err_set(err, "journal %s: not a Barrage journal (bad magic)", path);
			goto fail;
		}
		if (replay_file(j, map, size, replay, ctx, &rec, &good, err) < 0)
			goto fail;
		munmap(map, size);
		map = NULL;
	}
	rec.bytes = good;
	if (good < size) {
		rec.cut_at = good;
		rec.cut_bytes = size - good;
		if (ftruncate(j->fd, (off_t)good) < 0 || fsync(j->fd) < 0) {
			err_set(err, "journal %s: cannot truncate the bad tail: %s", path,
				strerror(errno));
			goto fail;
		}
		log_warn(
		    "journal %s: recovered %llu records (%llu bytes); cut %llu bytes at offset "
		    "%llu: %s",
		    path, (unsigned long long)rec.records, (unsigned long long)good,
		    (unsigned long long)rec.cut_bytes, (unsigned long long)good, rec.reason);
	} else if (created) {
		log_info("journal %s: new", path);
	} else {
		log_info("journal %s: recovered %llu records (%llu bytes), clean tail", path,
			 (unsigned long long)rec.records, (unsigned long long)good);
	}
	if (lseek(j->fd, (off_t)good, SEEK_SET) < 0) {
		err_set(err, "journal %s: seek: %s", path, strerror(errno));
		goto fail;
	}
	j->st.file_bytes = good;
	j->st.file_records = rec.records;
	if (rec_out)
		*rec_out = rec;
	*out = j;
	return 0;
fail:
	if (map)
		munmap(map, size);
	if (j->fd >= 0)
		close(j->fd);
	buf_free(&j->pend);
	free(j->path);
	free(j);
	return -1;
}

int journal_compact(struct journal *j, journal_snapshot_fn snapshot, void *ctx, char **err)
{
	struct journal snap;
	char *tmp = NULL;
	int rc = -1;

	memset(&snap, 0, sizeof(snap));
	snap.fd = -1;
	if (journal_commit(j, err) < 0)
		return -1;
	if (asprintf(&tmp, "%s.tmp", j->path) < 0) {
		tmp = NULL;
		err_set(err, "out of memory");
		goto out;
	}
	snap.path = tmp;
	snap.sync = JOURNAL_SYNC_NONE;
	buf_init(&snap.pend, JOURNAL_BUF_MAX);
	snap.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (snap.fd < 0) {
		err_set(err, "journal %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(snap.fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) < 0) {
		err_set(err, "journal %s: write: %s", tmp, strerror(errno));
		goto out;
	}
	snap.st.file_bytes = JOURNAL_HEADER_SIZE;
	if (snapshot(ctx, &snap, err) < 0 || journal_commit(&snap, err) < 0)
		goto out;
	/* The snapshot must be whole on disk before the name points at it. */
	if (fsync(snap.fd) < 0) {
		err_set(err, "journal %s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, j->path) < 0) {
		err_set(err, "journal %s: rename: %s", j->path, strerror(errno));
		goto out;
	}
	sync_dir(j->path);
	close(j->fd);
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (j->fd < 0) {
		/* The new file is in place and complete; without a descriptor we cannot go on. */
		err_set(err, "journal %s: reopen after compaction: %s", j->path, strerror(errno));
		goto out;
	}
	j->st.file_bytes = snap.st.file_bytes;
	j->st.file_records = snap.st.file_records;
	j->st.compactions++;
	rc = 0;
out:
	if (snap.fd >= 0)
		close(snap.fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	buf_free(&snap.pend);
	free(tmp);
	return rc;
}

void journal_close(struct journal *j)
{
	char *err = NULL;

	if (!j)
		return;
	if (journal_commit(j, &err) < 0) {
		log_error("%s", err);
		free(err);
	}
	if (j->fd >= 0)
		close(j->fd);
	buf_free(&j->pend);
	free(j->path);
	free(j);
}
