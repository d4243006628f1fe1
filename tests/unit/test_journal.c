/* Unit tests of servers/journal.c: round trip, a torn tail at every byte offset of the last
 * record, a corrupted CRC, compaction then replay, and the payload helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "servers/journal.h"

struct seen {
	int n;
	unsigned types[64];
	char data[64][64];
	size_t len[64];
};

static int collect(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	struct seen *s = ctx;

	if (s->n < 64) {
		s->types[s->n] = type;
		s->len[s->n] = len < 64 ? len : 63;
		memcpy(s->data[s->n], data, s->len[s->n]);
		s->data[s->n][s->len[s->n]] = '\0';
	}
	s->n++;
	return 0;
}

static char *tmp_path(void)
{
	char tmpl[] = "/tmp/test_journal.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *p = NULL;

	assert_non_null(dir);
	assert_true(asprintf(&p, "%s/j", dir) > 0);
	return p;
}

static void cleanup_path(char *p)
{
	char *tmp = NULL;

	unlink(p);
	if (asprintf(&tmp, "%s.tmp", p) > 0)
		unlink(tmp);
	free(tmp);
	*strrchr(p, '/') = '\0';
	rmdir(p);
	free(p);
}

static off_t file_size(const char *p)
{
	struct stat sb;

	assert_int_equal(stat(p, &sb), 0);
	return sb.st_size;
}

static void write_records(const char *path, enum journal_sync sync, int n)
{
	struct journal *j = NULL;
	char *err = NULL;

	assert_int_equal(journal_open(&j, path, sync, collect, &(struct seen){0}, NULL, &err), 0);
	for (int i = 0; i < n; i++) {
		char rec[32];
		int len = snprintf(rec, sizeof(rec), "record-%d", i);

		assert_int_equal(journal_append(j, (unsigned)(1 + i % 3), rec, (size_t)len, &err),
				 0);
	}
	assert_int_equal(journal_commit(j, &err), 0);
	journal_close(j);
}

static void test_round_trip(void **state)
{
	char *path = tmp_path();
	struct journal *j = NULL;
	struct journal_recovery rec;
	struct seen s = {0};
	char *err = NULL;

	write_records(path, JOURNAL_SYNC_BATCH, 10);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_ALWAYS, collect, &s, &rec, &err), 0);
	assert_int_equal(s.n, 10);
	assert_int_equal(rec.records, 10);
	assert_int_equal(rec.cut_bytes, 0);
	for (int i = 0; i < 10; i++) {
		char want[32];

		snprintf(want, sizeof(want), "record-%d", i);
		assert_string_equal(s.data[i], want);
		assert_int_equal(s.types[i], 1 + i % 3);
	}
	/* An empty payload and appends after reopen keep working. */
	assert_int_equal(journal_append(j, 9, "", 0, &err), 0);
	assert_false(journal_pending(j)); /* sync always: written at once */
	journal_close(j);
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_NONE, collect, &s, NULL, &err), 0);
	assert_int_equal(s.n, 11);
	assert_int_equal(s.types[10], 9);
	assert_int_equal(s.len[10], 0);
	journal_close(j);
	cleanup_path(path);
}

/* Cut the file at every offset inside the last record: replay keeps the first n-1 records and
 * truncates the rest, and the file can be appended to afterwards. */
static void test_torn_tail_every_offset(void **state)
{
	char *path = tmp_path();
	off_t full, last_start;
	char *err = NULL;

	write_records(path, JOURNAL_SYNC_NONE, 5);
	full = file_size(path);
	last_start = full - (JOURNAL_RECORD_HEADER + (off_t)strlen("record-4"));
	for (off_t cut = last_start; cut < full; cut++) {
		struct journal *j = NULL;
		struct journal_recovery rec;
		struct seen s = {0};

		unlink(path);
		write_records(path, JOURNAL_SYNC_NONE, 5);
		assert_int_equal(truncate(path, cut), 0);
		assert_int_equal(
		    journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
		assert_int_equal(s.n, 4);
		assert_int_equal(rec.cut_bytes, cut - last_start);
		if (cut > last_start) {
			assert_int_equal(rec.cut_at, last_start);
			assert_true(rec.reason[0] != '\0');
		}
		assert_int_equal(file_size(path), last_start);
		assert_int_equal(journal_append(j, 7, "after", 5, &err), 0);
		journal_close(j);
		memset(&s, 0, sizeof(s));
		assert_int_equal(
		    journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
		assert_int_equal(s.n, 5);
		assert_string_equal(s.data[4], "after");
		assert_int_equal(rec.cut_bytes, 0);
		journal_close(j);
	}
	cleanup_path(path);
}

static off_t record_offset(int k) /* of record k (0-based) written by write_records, k < 10 */
{
	return JOURNAL_HEADER_SIZE + (off_t)k * (JOURNAL_RECORD_HEADER + (off_t)strlen("record-0"));
}

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;

	assert_non_null(f);
	data = malloc(1 << 16);
	*len = fread(data, 1, 1 << 16, f);
	fclose(f);
	return data;
}

/* A bad record followed by valid ones is refused with the file untouched; fsck reports it and
 * --repair sets it aside, keeping every later record, with a GAP record in its place. */
static void test_corrupt_mid_file(void **state)
{
	char *path = tmp_path();
	struct journal *j = NULL;
	struct journal_recovery rec;
	struct seen s = {0};
	char *err = NULL, *before, *after, *side = NULL, *sidedata;
	size_t blen, alen, slen;
	FILE *devnull = fopen("/dev/null", "w");

	write_records(path, JOURNAL_SYNC_NONE, 6);
	flip_byte(path, record_offset(2) + JOURNAL_RECORD_HEADER + 2);
	before = slurp(path, &blen);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), -1);
	assert_int_equal(s.n, 0); /* refused before any record was replayed */
	assert_non_null(strstr(err, "record 3 at offset 42 is corrupt (CRC mismatch)"));
	assert_non_null(strstr(err, "3 valid record(s) (51 bytes) follow"));
	assert_non_null(strstr(err, "fsck j --data-dir /tmp/test_journal."));
	free(err);
	err = NULL;
	after = slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(after);
	/* fsck reports and leaves the file alone; --repair sets the bad record aside. */
	assert_int_equal(journal_fsck(path, 0, devnull, &err), 1);
	after = slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(after);
	assert_int_equal(journal_fsck(path, 1, devnull, &err), 2);
	assert_true(asprintf(&side, "%s.corrupt.1", path) > 0);
	sidedata = slurp(side, &slen);
	assert_int_equal(slen, JOURNAL_RECORD_HEADER + strlen("record-2"));
	assert_memory_equal(sidedata, before + record_offset(2), slen);
	free(sidedata);
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.data[1], "record-1");
	assert_int_equal(s.types[2], JOURNAL_REC_GAP);
	assert_string_equal(s.data[3], "record-3");
	assert_string_equal(s.data[5], "record-5");
	assert_int_equal(rec.gaps, 1);
	assert_int_equal(rec.gap_bytes, slen);
	assert_int_equal(rec.cut_bytes, 0);
	journal_close(j);
	assert_int_equal(journal_fsck(path, 0, devnull, &err), 0);
	/* Two damaged regions (a flipped length, a flipped CRC) and a torn tail: all set aside,
	 * the side file numbered 2, every good record kept. */
	unlink(side);
	unlink(path);
	write_records(path, JOURNAL_SYNC_NONE, 8);
	flip_byte(path, record_offset(1) + 2);
	flip_byte(path, record_offset(4) + 5);
	assert_int_equal(truncate(path, record_offset(7) + 4), 0);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), -1);
	assert_non_null(strstr(err, "record 2 at offset 25"));
	assert_non_null(strstr(err, "(then more damage)"));
	free(err);
	err = NULL;
	assert_int_equal(journal_fsck(path, 1, devnull, &err), 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
	assert_int_equal(s.n, 8); /* 5 good + 3 gaps */
	assert_string_equal(s.data[0], "record-0");
	assert_int_equal(s.types[1], JOURNAL_REC_GAP);
	assert_string_equal(s.data[2], "record-2");
	assert_string_equal(s.data[3], "record-3");
	assert_int_equal(s.types[4], JOURNAL_REC_GAP);
	assert_string_equal(s.data[5], "record-5");
	assert_string_equal(s.data[6], "record-6");
	assert_int_equal(s.types[7], JOURNAL_REC_GAP);
	assert_int_equal(rec.gaps, 3);
	journal_close(j);
	free(before);
	unlink(side);
	free(side);
	assert_true(asprintf(&side, "%s.corrupt.1", path) > 0);
	unlink(side);
	free(side);
	fclose(devnull);
	cleanup_path(path);
}

/* A bad last record (nothing valid after it) is a torn tail: cut, as at every offset above. */
static void test_corrupt_crc(void **state)
{
	char *path = tmp_path();
	struct journal *j = NULL;
	struct journal_recovery rec;
	struct seen s = {0};
	char *err = NULL;
	off_t full;
	int fd;

	write_records(path, JOURNAL_SYNC_NONE, 6);
	full = file_size(path);
	flip_byte(path, record_offset(5) + JOURNAL_RECORD_HEADER + 2);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(rec.cut_at, record_offset(5));
	assert_int_equal(rec.cut_bytes, full - record_offset(5));
	assert_string_equal(rec.reason, "CRC mismatch");
	journal_close(j);
	/* An impossible length in the last record is cut too. */
	unlink(path);
	write_records(path, JOURNAL_SYNC_NONE, 2);
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff\xff\xff\x7f", 4, record_offset(1)), 4);
	close(fd);
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(file_size(path), record_offset(1));
	journal_close(j);
	/* A file that is not a journal is refused, not truncated. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "hello world", 11), 11);
	close(fd);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), -1);
	assert_non_null(strstr(err, "not a Barrage journal"));
	assert_int_equal(file_size(path), 11);
	free(err);
	err = NULL;
	/* A torn header (a prefix of the magic) starts a fresh journal. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "BRGJ", 4), 4);
	close(fd);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, &rec, &err), 0);
	journal_close(j);
	assert_int_equal(file_size(path), JOURNAL_HEADER_SIZE);
	cleanup_path(path);
}

static int refuse(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	if (type == 2) {
		*err = strdup("type 2 refused");
		return -1;
	}
	return 0;
}

static void test_replay_refusal(void **state)
{
	char *path = tmp_path();
	struct journal *j = NULL;
	char *err = NULL;

	write_records(path, JOURNAL_SYNC_NONE, 3);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, refuse, NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "record 2"));
	free(err);
	cleanup_path(path);
}

static int snapshot_two(void *ctx, struct journal *snap, char **err)
{
	if (journal_append(snap, 5, "snap-a", 6, err) < 0)
		return -1;
	return journal_append(snap, 5, "snap-b", 6, err);
}

static void test_compaction(void **state)
{
	char *path = tmp_path();
	struct journal *j = NULL;
	struct journal_stats st;
	struct seen s = {0};
	char *err = NULL;
	off_t before;

	write_records(path, JOURNAL_SYNC_BATCH, 50);
	before = file_size(path);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, NULL, &err), 0);
	assert_int_equal(journal_append(j, 1, "pending", 7, &err), 0);
	assert_int_equal(journal_compact(j, snapshot_two, NULL, &err), 0);
	assert_true(file_size(path) < before);
	journal_get_stats(j, &st);
	assert_int_equal(st.compactions, 1);
	assert_int_equal(st.file_records, 2);
	assert_int_equal(journal_append(j, 6, "later", 5, &err), 0);
	journal_close(j);
	assert_int_not_equal(access("/nonexistent", F_OK), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_BATCH, collect, &s, NULL, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.data[0], "snap-a");
	assert_string_equal(s.data[1], "snap-b");
	assert_string_equal(s.data[2], "later");
	journal_close(j);
	cleanup_path(path);
}

static void test_payload_helpers(void **state)
{
	struct buf b;
	struct journal_reader r;
	const char *str;
	size_t n;

	buf_init(&b, 0);
	assert_int_equal(journal_put_u8(&b, 7), 0);
	assert_int_equal(journal_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(journal_put_i64(&b, -42), 0);
	assert_int_equal(journal_put_str(&b, "wallet", 6), 0);
	journal_reader_init(&r, (const uint8_t *)b.data, b.len);
	assert_int_equal(journal_get_u8(&r), 7);
	assert_int_equal(journal_get_u32(&r), 0xdeadbeef);
	assert_int_equal(journal_get_i64(&r), -42);
	n = journal_get_str(&r, &str);
	assert_int_equal(n, 6);
	assert_memory_equal(str, "wallet", 6);
	assert_false(r.bad);
	journal_get_u32(&r);
	assert_true(r.bad);
	/* A string whose length runs past the end is caught. */
	journal_reader_init(&r,
			    (const uint8_t *)"\x05\x00"
					     "ab",
			    4);
	journal_get_str(&r, &str);
	assert_true(r.bad);
	buf_free(&b);
	/* CRC32C check value of "123456789". */
	assert_int_equal(journal_crc32c(0, "123456789", 9), 0xE3069283u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	    cmocka_unit_test(test_torn_tail_every_offset),
	    cmocka_unit_test(test_corrupt_crc),	    cmocka_unit_test(test_corrupt_mid_file),
	    cmocka_unit_test(test_replay_refusal),  cmocka_unit_test(test_compaction),
	    cmocka_unit_test(test_payload_helpers),
	};

	log_level = LOG_ERROR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
