/* An append-only journal of CRC-checked records, shared by the stateful reference servers
 * (wallet, voting, queue). A service appends a record for every change it makes, commits (group
 * commit: one write and one fsync for everything appended in an event-loop turn) before it
 * replies, and on start replays the file to rebuild its state.
 *
 * The file format, the record codec and the payload helpers are in servers/journal_record.h
 * (included here); the offline check and repair is servers/journal_fsck.c.
 *
 * Recovery: replay stops at the first record that is short, oversized, of type 0 or fails its
 * CRC. When no well-formed record starts anywhere after it, it is a torn tail (the last write,
 * incomplete): the file is truncated there and one log line says how many records were
 * recovered and how many bytes were cut, at which offset, and why. When valid records follow
 * it, it is corruption: journal_open refuses (file untouched) naming the record, its offset and
 * what follows, and the operator runs journal_fsck (`barrage-target fsck`).
 *
 * Compaction: journal_compact() writes a snapshot (records the service emits from its state)
 * into PATH.tmp, fsyncs it, and renames it over PATH, so a crash at any moment leaves either the
 * old complete file or the new complete one. Replay time is then bounded by the live state, not
 * by history. */
#ifndef BARRAGE_SERVERS_JOURNAL_H
#define BARRAGE_SERVERS_JOURNAL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "servers/journal_record.h"

enum journal_sync {
	JOURNAL_SYNC_NONE = 0, /* write at commit, never fsync */
	JOURNAL_SYNC_BATCH,    /* write and fsync once per commit (group commit) */
	JOURNAL_SYNC_ALWAYS,   /* write and fsync every record as it is appended */
};

/* "always", "batch" or "none". */
int journal_sync_parse(const char *s, enum journal_sync *out, char **err);
const char *journal_sync_name(enum journal_sync s);

/* What journal_open found. */
struct journal_recovery {
	uint64_t records;   /* good records replayed */
	uint64_t bytes;	    /* bytes kept, header included */
	uint64_t cut_bytes; /* bytes truncated from the tail (0 when the file was clean) */
	uint64_t cut_at;    /* offset of the cut */
	char reason[96];    /* why the tail was cut ("" when it was not) */
	uint64_t gaps;	    /* GAP records replayed (regions an fsck --repair set aside) */
	uint64_t gap_bytes; /* bytes those regions held */
};

struct journal_stats {
	uint64_t appended; /* records appended since open */
	uint64_t commits;  /* commits that wrote something */
	uint64_t fsyncs;
	uint64_t compactions;
	uint64_t file_bytes;   /* current size of the file */
	uint64_t file_records; /* records in the file (replayed + appended since compaction) */
};

struct journal;
struct buf;

/* Called for every good record in file order during journal_open. Returns 0, or -1 with *err
 * set to stop the open (a record the service cannot apply is a hard error, not a torn tail). */
typedef int (*journal_replay_fn)(void *ctx, unsigned type, const uint8_t *data, size_t len,
				 char **err);
/* Called by journal_compact: emit the live state with journal_append(snap, ...). */
typedef int (*journal_snapshot_fn)(void *ctx, struct journal *snap, char **err);

/* Open (creating when missing) the journal at path, replay it through replay(ctx, ...), truncate
 * any bad tail (logging what was recovered and cut), and position for appending. rec may be
 * NULL. Returns 0, or -1 with *err (unreadable file, not a journal, replay refused a record). */
int journal_open(struct journal **out, const char *path, enum journal_sync sync,
		 journal_replay_fn replay, void *ctx, struct journal_recovery *rec, char **err);

/* Append one record. With JOURNAL_SYNC_ALWAYS it is written and fsynced before returning;
 * otherwise it is buffered until journal_commit. Returns 0 or -1 with *err (a write error:
 * the caller must treat the journal as failed). */
int journal_append(struct journal *j, unsigned type, const void *data, size_t len, char **err);

/* Non-zero when records were appended but not yet committed. */
int journal_pending(const struct journal *j);

/* Write buffered records and, with JOURNAL_SYNC_BATCH, fsync. A no-op when nothing is pending.
 * Returns 0 or -1 with *err; after a failure the on-disk state is unknown and the server must
 * stop (its memory is ahead of its disk). */
int journal_commit(struct journal *j, char **err);

/* Commit what is pending, then rewrite the file as the snapshot emitted by snapshot(ctx, snap)
 * and switch to it atomically. Returns 0 or -1 with *err (the old file stays in use). */
int journal_compact(struct journal *j, journal_snapshot_fn snapshot, void *ctx, char **err);

/* Called at the start of every commit that writes something, before the journal's own write:
 * a service flushes files its records point at (the wallet's history segments), so the
 * journal never names data a crash could lose. A failure fails the commit. */
typedef int (*journal_precommit_fn)(void *ctx, char **err);
void journal_set_precommit(struct journal *j, journal_precommit_fn fn, void *ctx);

void journal_get_stats(const struct journal *j, struct journal_stats *st);
const char *journal_path(const struct journal *j);

/* Commit what is pending and close. Accepts NULL. */
void journal_close(struct journal *j);

/* Check the journal at path offline and print what it finds to out: good records, and for
 * every damaged region its record number, offset, reason, size and the valid records after it.
 * With repair, the bad bytes go to PATH.corrupt.N (the first N free), a GAP record takes the
 * place of each region, and every good record is kept, in order (written to a copy, fsynced,
 * renamed over path). Returns 0 clean, 1 damage found and left, 2 repaired, -1 with *err. */
int journal_fsck(const char *path, int repair, FILE *out, char **err);

#endif
