/* The journal's record format (see journal_record.h): CRC32C, framing, scanning a mapped file
 * for well-formed records, and the little-endian payload codec. */
#include "servers/journal_record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"

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
		uint32_t lo = crc ^ get_le32(p);
		uint32_t hi = get_le32(p + 4);

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
	uint8_t x[4];

	put_le32(x, v);
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
	v = get_le32(r->p);
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

/* ---- framing ---- */

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

/* ---- scanning ---- */

int journal_record_ok(const uint8_t *map, size_t size, size_t off, uint32_t *len_out, char *reason,
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
	if (!journal_record_ok(p, avail, 0, len, NULL, 0))
		return 0;
	*type = p[8];
	*data = p + JOURNAL_RECORD_HEADER;
	return 1;
}

size_t journal_resync(const uint8_t *map, size_t size, size_t from)
{
	uint32_t len;

	for (size_t off = from; off + JOURNAL_RECORD_HEADER <= size; off++)
		if (journal_record_ok(map, size, off, &len, NULL, 0))
			return off;
	return size;
}

size_t journal_good_run(const uint8_t *map, size_t size, size_t off, uint64_t *records)
{
	uint32_t len;

	*records = 0;
	while (off < size && journal_record_ok(map, size, off, &len, NULL, 0)) {
		(*records)++;
		off += JOURNAL_RECORD_HEADER + len;
	}
	return off;
}

uint32_t journal_record_len(const uint8_t *p)
{
	return get_le32(p);
}

int journal_map(int fd, const char *path, size_t size, uint8_t **map, char **err)
{
	*map = NULL;
	if (size < JOURNAL_HEADER_SIZE) {
		/* Empty, or a header torn at creation: only a prefix of the magic is ours. */
		uint8_t head[JOURNAL_HEADER_SIZE];
		ssize_t n = size ? pread(fd, head, size, 0) : 0;

		if (n < 0 || (size_t)n != size || memcmp(head, JOURNAL_MAGIC, size) != 0)
			return err_set(err,
				       "journal %s: not a Barrage journal (%zu bytes, bad header)",
				       path, size);
		return 0;
	}
	*map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return err_set(err, "journal %s: mmap: %s", path, strerror(errno));
	}
	if (memcmp(*map, JOURNAL_MAGIC, JOURNAL_HEADER_SIZE) != 0) {
		munmap(*map, size);
		*map = NULL;
		return err_set(err, "journal %s: not a Barrage journal (bad magic)", path);
	}
	return 1;
}
