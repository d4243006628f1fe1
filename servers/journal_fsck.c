/* `barrage-target fsck`: the offline check and repair of a journal (journal_fsck in journal.h).
 * The check walks the file record by record and, for every damaged region, says where it is,
 * why it is bad and what valid records follow it. The repair moves each region's bytes to a
 * side file (PATH.corrupt.N) and writes a GAP record in its place, in a copy that is fsynced
 * and renamed over the journal, so a crash during the repair leaves the old file whole. */
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

struct fsck_region {
	size_t off, len; /* the bad bytes */
	uint64_t record; /* its position in the file, counting records (1-based) */
	uint64_t follow; /* valid records in the run right after it */
	size_t follow_bytes;
	char reason[96];
};

/* What a walk of the file found. */
struct fsck_scan {
	struct fsck_region *rg; /* damaged regions, in file order */
	size_t nrg;
	uint64_t good, gaps;
	size_t good_bytes, bad_bytes;
};

/* Walk the mapped file from the first record to the end. Returns 0 or -1 with *err. */
static int fsck_walk(const uint8_t *map, size_t size, struct fsck_scan *sc, char **err)
{
	size_t off = JOURNAL_HEADER_SIZE;

	while (off < size) {
		uint32_t len;
		struct fsck_region *r, *nr;

		if (journal_record_ok(map, size, off, &len, NULL, 0)) {
			if (map[off + 8] == JOURNAL_REC_GAP)
				sc->gaps++;
			sc->good++;
			sc->good_bytes += JOURNAL_RECORD_HEADER + len;
			off += JOURNAL_RECORD_HEADER + len;
			continue;
		}
		nr = realloc(sc->rg, (sc->nrg + 1) * sizeof(*sc->rg));
		if (!nr)
			return err_set(err, "out of memory");
		sc->rg = nr;
		r = &sc->rg[sc->nrg++];
		memset(r, 0, sizeof(*r));
		journal_record_ok(map, size, off, &len, r->reason, sizeof(r->reason));
		r->off = off;
		r->record = sc->good + sc->nrg;
		off = journal_resync(map, size, off + 1);
		r->len = off - r->off;
		r->follow_bytes = journal_good_run(map, size, off, &r->follow) - off;
		sc->bad_bytes += r->len;
	}
	return 0;
}

static void fsck_print(const char *path, size_t size, const struct fsck_scan *sc, FILE *out)
{
	fprintf(out, "%s: %zu bytes, %llu good records (%zu bytes)", path, size,
		(unsigned long long)sc->good, sc->good_bytes + JOURNAL_HEADER_SIZE);
	if (sc->gaps)
		fprintf(out, ", %llu gap marker(s) from earlier repairs",
			(unsigned long long)sc->gaps);
	fprintf(out, ", %zu damaged region(s)\n", sc->nrg);
	for (size_t k = 0; k < sc->nrg; k++) {
		const struct fsck_region *r = &sc->rg[k];

		fprintf(out, "  record %llu at offset %zu: %s; %zu bad bytes",
			(unsigned long long)r->record, r->off, r->reason, r->len);
		if (r->off + r->len >= size)
			fprintf(out, "; nothing valid follows (a torn tail: the server cuts it "
				     "at start)\n");
		else
			fprintf(out, "; then %llu valid record(s) (%zu bytes) from offset %zu\n",
				(unsigned long long)r->follow, r->follow_bytes, r->off + r->len);
	}
}

/* The first PATH.corrupt.N that does not exist yet. Returns 0 or -1 with *err. */
static int fsck_side_name(const char *path, char *side, size_t size, char **err)
{
	for (int n = 1;; n++) {
		struct stat st;
		int k = snprintf(side, size, "%s.corrupt.%d", path, n);

		if (k < 0 || (size_t)k >= size)
			return err_set(err, "journal %s: path too long", path);
		if (stat(side, &st) < 0 && errno == ENOENT)
			return 0;
	}
}

/* Frame one record into b (reset first) and write it to fd. */
static int write_record(int fd, struct buf *b, unsigned type, const void *data, size_t len)
{
	buf_reset(b);
	if (journal_frame(b, type, data, len) < 0)
		return -1;
	return fdio_write_all(fd, b->data, b->len);
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
	struct buf b, rec;

	buf_init(&b, JOURNAL_MAX_RECORD);
	buf_init(&rec, 0);
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
	if (fdio_write_all(fd, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) < 0)
		goto io;
	for (size_t k = 0; k <= nrg; k++) {
		size_t stop = k < nrg ? rg[k].off : size;

		if (stop > off && fdio_write_all(fd, map + off, stop - off) < 0)
			goto io;
		if (k == nrg)
			break;
		if (fdio_write_all(sfd, map + rg[k].off, rg[k].len) < 0)
			goto io;
		buf_reset(&b);
		journal_put_i64(&b, (int64_t)rg[k].off);
		journal_put_i64(&b, (int64_t)rg[k].len);
		journal_put_i64(&b, (int64_t)side_off);
		journal_put_str(&b, side_base, strlen(side_base));
		if (write_record(fd, &rec, JOURNAL_REC_GAP, b.data, b.len) < 0)
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
	fdio_sync_dir(path);
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
	buf_free(&rec);
	free(tmp);
	return rc;
}

int journal_fsck(const char *path, int repair, FILE *out, char **err)
{
	struct fsck_scan sc;
	size_t size = 0;
	uint8_t *map = NULL;
	struct stat sb;
	int fd, rc = -1;
	char side[4096];

	memset(&sc, 0, sizeof(sc));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "journal %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		goto done;
	}
	size = (size_t)sb.st_size;
	switch (journal_map(fd, path, size, &map, err)) {
	case -1:
		goto done;
	case 0:
		fprintf(out, "%s: %zu bytes, no records (a journal created but never written)\n",
			path, size);
		rc = 0;
		goto done;
	}
	if (fsck_walk(map, size, &sc, err) < 0)
		goto done;
	fsck_print(path, size, &sc, out);
	if (sc.nrg == 0) {
		fprintf(out, "clean\n");
		rc = 0;
		goto done;
	}
	if (!repair) {
		fprintf(out,
			"not repaired (add --repair to move the %zu bad bytes to a side file "
			"and keep every good record)\n",
			sc.bad_bytes);
		rc = 1;
		goto done;
	}
	if (fsck_side_name(path, side, sizeof(side), err) < 0 ||
	    fsck_rewrite(path, map, size, sc.rg, sc.nrg, side, err) < 0)
		goto done;
	fprintf(out,
		"repaired: %zu bad bytes in %zu region(s) moved to %s; %llu good records kept, "
		"a gap marker in place of each region\n",
		sc.bad_bytes, sc.nrg, side, (unsigned long long)sc.good);
	rc = 2;
done:
	if (map)
		munmap(map, size);
	close(fd);
	free(sc.rg);
	return rc;
}
