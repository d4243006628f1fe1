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
	journal_precommit_fn precommit;
	void *precommit_ctx;
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

void journal_set_precommit(struct journal *j, journal_precommit_fn fn, void *ctx)
{
	j->precommit = fn;
	j->precommit_ctx = ctx;
}

int journal_commit(struct journal *j, char **err)
{
	if (j->pend.len == 0)
		return 0;
	if (j->precommit && j->precommit(j->precommit_ctx, err) < 0)
		return -1;
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

int journal_frame(struct buf *b, unsigned type, const void *data, size_t len)
{
	uint8_t hdr[JOURNAL_RECORD_HEADER];
	uint32_t crc;

	if (type == 0 || type > 255 || len > JOURNAL_MAX_RECORD)
		return -1;
	hdr[8] = (uint8_t)type;
	crc = journal_crc32c(0, &hdr[8], 1);
	crc = journal_crc32c(crc, data, len);
	put_le32(hdr, (uint32_t)len);
	put_le32(hdr + 4, crc);
	return buf_append(b, hdr, sizeof(hdr)) < 0 || buf_append(b, data, len) < 0 ? -1 : 0;
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

/* Whether a well-formed record starts at off: its length fits in the file and the limit, its
 * CRC matches and its type is not 0. On failure *reason says why (when reason is not NULL). */
static int record_ok(const uint8_t *map, size_t size, size_t off, uint32_t *len_out, char *reason,
		     size_t rsize)
{
	size_t left = size - off;
	uint32_t len, crc;

	if (left < JOURNAL_RECORD_HEADER) {
		if (reason)
			snprintf(reason, rsize, "torn record header (%zu of %d bytes)", left,
				 JOURNAL_RECORD_HEADER);
		return 0;
	}
	len = get_le32(map + off);
	crc = get_le32(map + off + 4);
	if (len > JOURNAL_MAX_RECORD) {
		if (reason)
			snprintf(reason, rsize, "impossible record length %u", len);
		return 0;
	}
	if (left - JOURNAL_RECORD_HEADER < len) {
		if (reason)
			snprintf(reason, rsize, "torn record (%zu of %u payload bytes)",
				 left - JOURNAL_RECORD_HEADER, len);
		return 0;
	}
	/* The type first: it is one byte to look at, the CRC is len bytes to hash, and the scan
	 * for a record after a bad one (resync) calls this at every byte offset. */
	if (map[off + 8] == 0) {
		if (reason)
			snprintf(reason, rsize, "record type 0");
		return 0;
	}
	if (journal_crc32c(0, map + off + 8, 1 + (size_t)len) != crc) {
		if (reason)
			snprintf(reason, rsize, "CRC mismatch");
		return 0;
	}
	*len_out = len;
	return 1;
}

int journal_parse(const uint8_t *p, size_t avail, unsigned *type, const uint8_t **data,
		  uint32_t *len)
{
	if (!record_ok(p, avail, 0, len, NULL, 0))
		return 0;
	*type = p[8];
	*data = p + JOURNAL_RECORD_HEADER;
	return 1;
}

/* The first offset at or after from where a well-formed record starts, or size when none does:
 * what tells a torn tail (nothing valid after the bad bytes) from corruption in the middle. */
static size_t resync(const uint8_t *map, size_t size, size_t from)
{
	uint32_t len;

	for (size_t off = from; off + JOURNAL_RECORD_HEADER <= size; off++)
		if (record_ok(map, size, off, &len, NULL, 0))
			return off;
	return size;
}

/* Count the run of good records from off: how many and how many bytes, up to the next bad one. */
static size_t good_run(const uint8_t *map, size_t size, size_t off, uint64_t *records)
{
	uint32_t len;

	*records = 0;
	while (off < size && record_ok(map, size, off, &len, NULL, 0)) {
		(*records)++;
		off += JOURNAL_RECORD_HEADER + len;
	}
	return off;
}

/* "wallet" from ".../wallet.journal", for messages that tell the operator what to run. */
static void service_of(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	snprintf(out, size, "%.*s", (int)n, base);
}

static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Walk the mapped file; returns the offset just past the last good record and fills rec. A bad
 * record with nothing valid after it is a torn tail (cut by the caller); a bad record followed
 * by valid ones is corruption: refused, with where it is and what follows it. The framing of the
 * whole file is checked before the first record is replayed, so a refused journal has had no
 * effect on the service (nor on files it writes while replaying, like the wallet's history). */
static int replay_file(struct journal *j, const uint8_t *map, size_t size, journal_replay_fn fn,
		       void *ctx, struct journal_recovery *rec, size_t *good_end, char **err)
{
	size_t off = JOURNAL_HEADER_SIZE, end;
	uint64_t nrec = 0;

	while (off < size) {
		uint32_t len = 0;

		if (!record_ok(map, size, off, &len, rec->reason, sizeof(rec->reason))) {
			size_t next = resync(map, size, off + 1);

			if (next < size) {
				uint64_t n;
				size_t run_end = good_run(map, size, next, &n);
				char svc[64], dir[512];

				service_of(j->path, svc, sizeof(svc));
				dir_of(j->path, dir, sizeof(dir));
				return err_set(
				    err,
				    "journal %s: record %llu at offset %zu is corrupt (%s), and "
				    "%zu bytes later, at offset %zu, %llu valid record(s) (%zu "
				    "bytes) follow%s; this is not a torn tail, so the server will "
				    "not cut it and has left the file untouched. Inspect it with "
				    "'barrage-target fsck %s --data-dir %s'; '--repair' moves the "
				    "bad bytes to a side file and keeps every valid record after "
				    "them",
				    j->path, (unsigned long long)nrec + 1, off, rec->reason,
				    next - off, next, (unsigned long long)n, run_end - next,
				    run_end < size ? " (then more damage)" : "", svc, dir);
			}
			break;
		}
		nrec++;
		off += JOURNAL_RECORD_HEADER + len;
	}
	end = off;
	/* The records up to end are well-formed (checked above): replay them. */
	for (off = JOURNAL_HEADER_SIZE; off < end;) {
		uint32_t len = get_le32(map + off);

		if (fn && fn(ctx, map[off + 8], map + off + JOURNAL_RECORD_HEADER, len, err) < 0)
			return err_prefix(err, "journal %s: record %llu at offset %zu", j->path,
					  (unsigned long long)rec->records + 1, off);
		if (map[off + 8] == JOURNAL_REC_GAP) {
			struct journal_reader r;

			journal_reader_init(&r, map + off + JOURNAL_RECORD_HEADER, len);
			(void)journal_get_i64(&r);
			rec->gaps++;
			rec->gap_bytes += (uint64_t)journal_get_i64(&r);
		}
		rec->records++;
		off += JOURNAL_RECORD_HEADER + len;
	}
	*good_end = end;
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
	if (rec.gaps)
		log_warn("journal %s: %llu gap(s) where fsck --repair set %llu bytes aside; the "
			 "records after them were replayed",
			 path, (unsigned long long)rec.gaps, (unsigned long long)rec.gap_bytes);
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

/* ---- offline check and repair ---- */

struct fsck_region {
	size_t off, len; /* the bad bytes */
	uint64_t record; /* its position in the file, counting records (1-based) */
	uint64_t follow; /* valid records in the run right after it */
	size_t follow_bytes;
	char reason[96];
};

static int write_record(int fd, unsigned type, const void *data, size_t len)
{
	uint8_t hdr[JOURNAL_RECORD_HEADER];
	uint32_t crc;

	hdr[8] = (uint8_t)type;
	crc = journal_crc32c(0, &hdr[8], 1);
	crc = journal_crc32c(crc, data, len);
	put_le32(hdr, (uint32_t)len);
	put_le32(hdr + 4, crc);
	return write_all(fd, hdr, sizeof(hdr)) < 0 || write_all(fd, data, len) < 0 ? -1 : 0;
}

/* Write the repaired journal into tmp: every good record as it was, and for every bad region
 * its bytes appended to the side file and a GAP record in its place. */
static int fsck_rewrite(const char *path, const uint8_t *map, size_t size,
			const struct fsck_region *rg, size_t nrg, const char *side, char **err)
{
	char *tmp = NULL;
	int fd = -1, sfd = -1, rc = -1;
	size_t off = JOURNAL_HEADER_SIZE, side_off = 0;
	const char *side_base = strrchr(side, '/');
	struct buf b;

	buf_init(&b, JOURNAL_MAX_RECORD);
	side_base = side_base ? side_base + 1 : side;
	if (asprintf(&tmp, "%s.fsck.tmp", path) < 0) {
		tmp = NULL;
		err_set(err, "out of memory");
		goto out;
	}
	sfd = open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (sfd < 0) {
		err_set(err, "%s: %s", side, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) < 0)
		goto io;
	for (size_t k = 0; k <= nrg; k++) {
		size_t stop = k < nrg ? rg[k].off : size;

		if (stop > off && write_all(fd, map + off, stop - off) < 0)
			goto io;
		if (k == nrg)
			break;
		if (write_all(sfd, map + rg[k].off, rg[k].len) < 0)
			goto io;
		buf_reset(&b);
		journal_put_i64(&b, (int64_t)rg[k].off);
		journal_put_i64(&b, (int64_t)rg[k].len);
		journal_put_i64(&b, (int64_t)side_off);
		journal_put_str(&b, side_base, strlen(side_base));
		if (write_record(fd, JOURNAL_REC_GAP, b.data, b.len) < 0)
			goto io;
		side_off += rg[k].len;
		off = rg[k].off + rg[k].len;
	}
	if (fsync(sfd) < 0 || fsync(fd) < 0)
		goto io;
	if (rename(tmp, path) < 0) {
		err_set(err, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	sync_dir(path);
	rc = 0;
	goto out;
io:
	err_set(err, "journal %s: writing the repaired copy: %s", path, strerror(errno));
out:
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	if (rc < 0 && sfd >= 0)
		unlink(side);
	buf_free(&b);
	free(tmp);
	return rc;
}

int journal_fsck(const char *path, int repair, FILE *out, char **err)
{
	struct fsck_region *rg = NULL;
	size_t nrg = 0, size, off = JOURNAL_HEADER_SIZE, bad_bytes = 0, good_bytes = 0;
	uint64_t good = 0, gaps = 0;
	uint8_t *map = NULL;
	struct stat sb;
	int fd, rc = -1;
	char side[4096];

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "journal %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		goto done;
	}
	size = (size_t)sb.st_size;
	if (size < JOURNAL_HEADER_SIZE) {
		uint8_t head[JOURNAL_HEADER_SIZE];
		ssize_t n = size ? pread(fd, head, size, 0) : 0;

		if (n < 0 || (size_t)n != size || memcmp(head, JOURNAL_MAGIC, size) != 0) {
			err_set(err, "journal %s: not a Barrage journal (%zu bytes, bad header)",
				path, size);
			goto done;
		}
		fprintf(out, "%s: %zu bytes, no records (a journal created but never written)\n",
			path, size);
		rc = 0;
		goto done;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		err_set(err, "journal %s: mmap: %s", path, strerror(errno));
		goto done;
	}
	if (memcmp(map, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) != 0) {
		err_set(err, "journal %s: not a Barrage journal (bad magic)", path);
		goto done;
	}
	while (off < size) {
		uint32_t len;
		struct fsck_region *r, *nr;

		if (record_ok(map, size, off, &len, NULL, 0)) {
			if (map[off + 8] == JOURNAL_REC_GAP)
				gaps++;
			good++;
			good_bytes += JOURNAL_RECORD_HEADER + len;
			off += JOURNAL_RECORD_HEADER + len;
			continue;
		}
		nr = realloc(rg, (nrg + 1) * sizeof(*rg));
		if (!nr) {
			err_set(err, "out of memory");
			goto done;
		}
		rg = nr;
		r = &rg[nrg++];
		memset(r, 0, sizeof(*r));
		record_ok(map, size, off, &len, r->reason, sizeof(r->reason));
		r->off = off;
		r->record = good + nrg;
		off = resync(map, size, off + 1);
		r->len = off - r->off;
		r->follow_bytes = good_run(map, size, off, &r->follow) - off;
		bad_bytes += r->len;
	}
	fprintf(out, "%s: %zu bytes, %llu good records (%zu bytes)", path, size,
		(unsigned long long)good, good_bytes + JOURNAL_HEADER_SIZE);
	if (gaps)
		fprintf(out, ", %llu gap marker(s) from earlier repairs", (unsigned long long)gaps);
	fprintf(out, ", %zu damaged region(s)\n", nrg);
	for (size_t k = 0; k < nrg; k++) {
		const struct fsck_region *r = &rg[k];

		fprintf(out, "  record %llu at offset %zu: %s; %zu bad bytes",
			(unsigned long long)r->record, r->off, r->reason, r->len);
		if (r->off + r->len >= size)
			fprintf(out, "; nothing valid follows (a torn tail: the server cuts it "
				     "at start)\n");
		else
			fprintf(out, "; then %llu valid record(s) (%zu bytes) from offset %zu\n",
				(unsigned long long)r->follow, r->follow_bytes, r->off + r->len);
	}
	if (nrg == 0) {
		fprintf(out, "clean\n");
		rc = 0;
		goto done;
	}
	if (!repair) {
		fprintf(out,
			"not repaired (add --repair to move the %zu bad bytes to a side file "
			"and keep every good record)\n",
			bad_bytes);
		rc = 1;
		goto done;
	}
	for (int n = 1;; n++) {
		struct stat st;
		int k = snprintf(side, sizeof(side), "%s.corrupt.%d", path, n);

		if (k < 0 || (size_t)k >= sizeof(side)) {
			err_set(err, "journal %s: path too long", path);
			goto done;
		}
		if (stat(side, &st) < 0 && errno == ENOENT)
			break;
	}
	if (fsck_rewrite(path, map, size, rg, nrg, side, err) < 0)
		goto done;
	fprintf(out,
		"repaired: %zu bad bytes in %zu region(s) moved to %s; %llu good records kept, "
		"a gap marker in place of each region\n",
		bad_bytes, nrg, side, (unsigned long long)good);
	rc = 2;
done:
	if (map)
		munmap(map, size);
	close(fd);
	free(rg);
	return rc;
}
