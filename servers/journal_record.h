/* The journal's record format, shared by the journal (servers/journal.c), its offline check
 * (servers/journal_fsck.c) and the files that reuse the framing (the wallet's history segments):
 * the CRC32C, framing and scanning of one record, and the little-endian payload codec services
 * use for what they put inside a record.
 *
 * File format (little-endian):
 *   header  8 bytes  "BRGJRNL1"
 *   record  u32 len | u32 crc | u8 type | len bytes of payload
 * where crc is CRC32C (Castagnoli) over the type byte and the payload. Types are the service's
 * own (1..255; 0 is refused). A record is at most JOURNAL_MAX_RECORD bytes. */
#ifndef BARRAGE_SERVERS_JOURNAL_RECORD_H
#define BARRAGE_SERVERS_JOURNAL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_MAGIC	      "BRGJRNL1"
#define JOURNAL_HEADER_SIZE   8
#define JOURNAL_RECORD_HEADER 9 /* len, crc, type */
#define JOURNAL_MAX_RECORD    ((size_t)1 << 24)
/* Written by `fsck --repair` in place of bad bytes it moved aside: i64 offset and i64 length
 * of the bad bytes in the file as it was, i64 offset in the side file, str side file name.
 * journal_open hands it to the service's replay like any record (so a service knows that
 * records may be missing from here on) and counts it in journal_recovery.gaps. */
#define JOURNAL_REC_GAP 255

struct buf;

/* CRC32C of data, continuing from crc (start with 0). */
uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len);

/* Append one record in the journal's framing to b (for files that share the format). Returns
 * 0, or -1 when the type is out of 1..255, the payload is over JOURNAL_MAX_RECORD or b is full. */
int journal_frame(struct buf *b, unsigned type, const void *data, size_t len);
/* Parse the framed record at p (avail bytes): 1 with *type, *data, *len when it is
 * well-formed (length fits, CRC matches, type not 0), else 0. */
int journal_parse(const uint8_t *p, size_t avail, unsigned *type, const uint8_t **data,
		  uint32_t *len);

/* Scanning a mapped journal file (map, size bytes). */

/* Whether a well-formed record starts at off: its length fits in the file and the limit, its
 * CRC matches and its type is not 0. On failure *reason says why (when reason is not NULL). */
int journal_record_ok(const uint8_t *map, size_t size, size_t off, uint32_t *len_out, char *reason,
		      size_t rsize);
/* The payload length of the record at p, which journal_record_ok has accepted. */
uint32_t journal_record_len(const uint8_t *p);
/* The first offset at or after from where a well-formed record starts, or size when none does:
 * what tells a torn tail (nothing valid after the bad bytes) from corruption in the middle. */
size_t journal_resync(const uint8_t *map, size_t size, size_t from);
/* Count the run of good records from off: how many (*records) and where it ends (returned), up
 * to the next bad one. */
size_t journal_good_run(const uint8_t *map, size_t size, size_t off, uint64_t *records);

/* Open-time check of a journal file's header, shared by the server and fsck. fd is open for
 * reading, size its length. Returns 1 with *map (PROT_READ, MAP_PRIVATE; the caller munmaps
 * size bytes) when the file holds the magic, 0 when it is shorter than the header but what it
 * holds is a prefix of the magic (created, never written; nothing mapped), or -1 with *err
 * ("not a Barrage journal", or mmap's error). */
int journal_map(int fd, const char *path, size_t size, uint8_t **map, char **err);

/* Small helpers for binary record payloads: little-endian integers and u16-length strings.
 * Writers append to a struct buf (common/buf.h); a reader walks a payload and sets its error
 * flag instead of reading past the end. */
int journal_put_u8(struct buf *b, uint8_t v);
int journal_put_u32(struct buf *b, uint32_t v);
int journal_put_i64(struct buf *b, int64_t v);
int journal_put_str(struct buf *b, const char *s, size_t len);

struct journal_reader {
	const uint8_t *p, *end;
	int bad; /* set when a read ran past the end */
};
void journal_reader_init(struct journal_reader *r, const uint8_t *data, size_t len);
uint8_t journal_get_u8(struct journal_reader *r);
uint32_t journal_get_u32(struct journal_reader *r);
int64_t journal_get_i64(struct journal_reader *r);
/* Points *s at the string inside the payload (not NUL-terminated); returns its length. */
size_t journal_get_str(struct journal_reader *r, const char **s);

#endif
