/* History segments of the wallet store: where transactions folded out of a wallet's in-memory
 * window go, so the complete history stays listable and every txn id ever applied stays
 * idempotent, while memory and journal replay stay bounded by the recent window.
 *
 * Files: PREFIX.000001, PREFIX.000002, ... (PREFIX is e.g. DATA/wallet.history), each the
 * journal's magic then records in the journal's framing (u32 len, u32 crc32c, u8 type,
 * payload). A file is appended to until it passes WHIST_SEGMENT_MAX bytes, then the next one
 * is started. The wallet store writes a *chunk* (the records folded together, consecutive)
 * with whist_append and keeps where it went; the journal's fold record names that place, so
 * nothing in these files is found by scanning.
 *
 * Durability: appends are plain writes; whist_sync (called before every journal commit) makes
 * them durable first, so a journal record never points at history that a crash could lose.
 * A chunk written whose fold record never committed is dead space, never read.
 *
 * The txn index: an in-memory open-addressing table from a 64-bit fingerprint of (wallet id,
 * txn id) to the place of the record in a segment, 16 bytes per entry (at most half full: 32
 * bytes per folded transaction). A fingerprint match is confirmed by reading the record, so a
 * collision costs a read, never a wrong answer; a txn id never seen costs no read at all. */
#ifndef BARRAGE_SERVERS_WALLET_HISTORY_H
#define BARRAGE_SERVERS_WALLET_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WHIST_SEGMENT_MAX ((uint64_t)64 << 20)

struct whist;

struct whist_stats {
	uint32_t segments;
	uint64_t bytes; /* in all segments */
	uint64_t index_entries;
	uint64_t index_bytes; /* memory of the index table */
	uint64_t reads;	      /* preads: index confirmations, pages, audits */
	uint64_t syncs;
};

/* Open the segments at prefix (none is created until the first append). fsync_on: whether
 * whist_sync flushes (false with --sync none). */
int whist_open(struct whist **out, const char *prefix, int fsync_on, char **err);
void whist_close(struct whist *h);

/* Append len bytes (framed records) as one chunk; *seg and *off say where it went. */
int whist_append(struct whist *h, const void *data, size_t len, uint32_t *seg, uint64_t *off,
		 char **err);
/* Read up to len bytes at (seg, off); returns the count read (short at the end of a file, 0
 * for a segment that does not exist), -1 on an I/O error. */
ssize_t whist_read(struct whist *h, uint32_t seg, uint64_t off, void *buf, size_t len);
/* Flush what was appended since the last sync. */
int whist_sync(struct whist *h, char **err);

/* The txn index. */
uint64_t whist_fingerprint(const char *id, size_t idlen, const char *txn, size_t txnlen);
int whist_index_add(struct whist *h, uint64_t fp, uint32_t seg, uint64_t off);
/* Iterate the places recorded under fp: start with *pos = 0; returns 1 per match, 0 at the
 * end. */
int whist_index_next(const struct whist *h, uint64_t fp, uint64_t *pos, uint32_t *seg,
		     uint64_t *off);

void whist_get_stats(const struct whist *h, struct whist_stats *st);

#endif
