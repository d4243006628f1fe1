/* The append-only journal of the stateful reference servers (format and guarantees in
 * journal.h). Appends go to a memory buffer; journal_commit writes that buffer with one write(2)
 * and, with --sync batch, one fdatasync, which is what makes group commit cheap: a batch of
 * requests costs one disk flush. With --sync always each append is written and flushed alone.
 * The record format is servers/journal_record.c; the offline check is servers/journal_fsck.c. */
#include "servers/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fdio.h"
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
	if (fdio_write_all(j->fd, j->pend.data, j->pend.len) < 0)
		return err_set(err, "journal %s: write: %s", j->path, strerror(errno));
	j->st.file_bytes += j->pend.len;
	j->st.file_records += j->pend_records;
	j->st.commits++;
	buf_reset(&j->pend);
	j->pend_records = 0;
	if (j->sync != JOURNAL_SYNC_NONE) {
		if (fdio_datasync(j->fd) < 0)
			return err_set(err, "journal %s: fdatasync: %s", j->path, strerror(errno));
		j->st.fsyncs++;
	}
	return 0;
}

int journal_append(struct journal *j, unsigned type, const void *data, size_t len, char **err)
{
	if (type == 0 || type > 255)
		return err_set(err, "journal: record type %u out of range", type);
	if (len > JOURNAL_MAX_RECORD)
		return err_set(err, "journal: record of %zu bytes is over the limit", len);
	if (journal_frame(&j->pend, type, data, len) < 0)
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

		if (!journal_record_ok(map, size, off, &len, rec->reason, sizeof(rec->reason))) {
			size_t next = journal_resync(map, size, off + 1);

			if (next < size) {
				uint64_t n;
				size_t run_end = journal_good_run(map, size, next, &n);
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
		uint32_t len = journal_record_len(map + off);

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
	int created = 0, rc;

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
	rc = journal_map(j->fd, path, size, &map, err);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		if (ftruncate(j->fd, 0) < 0 ||
		    pwrite(j->fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE, 0) != JOURNAL_HEADER_SIZE ||
		    fsync(j->fd) < 0) {
			err_set(err, "journal %s: cannot initialise: %s", path, strerror(errno));
			goto fail;
		}
		fdio_sync_dir(path);
		created = 1;
		size = JOURNAL_HEADER_SIZE;
	} else {
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
	if (fdio_write_all(snap.fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) < 0) {
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
	fdio_sync_dir(j->path);
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
