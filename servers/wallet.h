/* The wallet store: per-wallet credit balances with their transaction history, idempotent on a
 * client transaction id, journaled, and compacted into checkpoints. The wallet service
 * (wallet.c) serves it over HTTP; the voting service uses the same store so that a vote is a
 * wallet debit.
 *
 * Model. A wallet is (checkpoint balance, number of transactions folded into it, recent
 * transactions in memory). Its balance is always checkpoint + the sum of recent amounts. When a
 * wallet holds WALLET_RECENT_MAX recent transactions the oldest WALLET_RECENT_FOLD are folded
 * into the checkpoint (a journal record says so), so a wallet's memory and replay cost stay
 * bounded however long it lives. With history kept (wallet_store_open_history, which the
 * services always do), the folded transactions are first written as a *chunk* to the history
 * segments (wallet_history.h) and indexed by txn id: the complete history stays listable, every
 * txn id ever applied stays idempotent, and /audit rebuilds every balance from the history.
 *
 * Journal records (types 1..4, payloads built with journal_put_*):
 *   WALLET_REC_TXN   str id, str txn, i64 amount (signed), i64 balance_after, i64 time_ms
 *   WALLET_REC_FOLD  str id, u32 count folded, i64 new checkpoint balance
 *                    [u32 segment, i64 offset, i64 bytes: where the chunk went]
 *   WALLET_REC_BASE  str id, i64 checkpoint balance, i64 folded total (snapshots)
 *   WALLET_REC_HIST  str id, u32 segment, i64 offset, i64 bytes, u32 count, i64 first index
 *                    (snapshots: one per chunk, after the wallet's BASE)
 * A history record is a TXN payload followed by i64 index (its place in the wallet's history),
 * framed as a journal record of type 1.
 * A record type may carry a TXN payload followed by more fields (voting's vote record): such a
 * service decodes the TXN part with wallet_replay_txn and the rest itself. */
#ifndef BARRAGE_SERVERS_WALLET_H
#define BARRAGE_SERVERS_WALLET_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "servers/journal.h"

#define WALLET_REC_TXN	1
#define WALLET_REC_FOLD 2
#define WALLET_REC_BASE 3
#define WALLET_REC_HIST 4

#define WALLET_ID_MAX	   64
#define WALLET_TXN_MAX	   64
#define WALLET_RECENT_MAX  512
#define WALLET_RECENT_FOLD 256
#define WALLET_MAX_AMOUNT  1000000000000LL

struct wallet_txn {
	int64_t amount; /* > 0 credit, < 0 debit */
	int64_t balance_after;
	int64_t time_ms;
	uint8_t txn_len;
	char txn[WALLET_TXN_MAX + 1];
};

/* Where a run of folded transactions lives in the history segments. */
struct wallet_chunk {
	uint64_t first; /* index of its first transaction in the wallet's history */
	uint64_t off;	/* in the segment */
	uint64_t bytes;
	uint32_t seg;
	uint32_t count;
};

struct wallet {
	char id[WALLET_ID_MAX + 1];
	uint8_t id_len;
	int64_t balance;
	int64_t cp_balance; /* checkpoint: balance before the recent transactions */
	uint64_t cp_count;  /* transactions folded into the checkpoint */
	struct wallet_txn *recent;
	uint32_t nrecent, caprecent;
	uint16_t *hidx;		     /* txn hash over recent: index + 1, 0 = empty */
	struct wallet_chunk *chunks; /* in history order */
	uint32_t nchunks, capchunks;
};

struct whist;

struct wallet_store {
	struct wallet **tab; /* open addressing by id */
	size_t cap, count;
	uint64_t live_txns; /* sum of nrecent, for the compaction heuristic */
	int64_t initial;    /* balance of a wallet created on first use (voting's seed credits) */
	uint64_t credits, debits, rejected, replays, folds;
	int after_gap;	    /* replay passed a GAP record (fsck --repair set records aside) */
	uint64_t rebased;   /* records after a gap whose running balance was recomputed */
	struct whist *hist; /* NULL: folded transactions are summarized only (unit tests) */
	struct buf chunk;   /* scratch: a chunk being written or read */
	uint64_t hist_lookups, hist_hits, hist_rewritten;
};

enum wallet_outcome {
	WALLET_OK = 0,	     /* applied now */
	WALLET_REPLAY,	     /* txn seen before with the same amount: the original result */
	WALLET_INSUFFICIENT, /* a debit over the balance: nothing applied */
	WALLET_TXN_CONFLICT, /* txn seen before with a different amount */
	WALLET_OVERFLOW,     /* the balance would leave the int64 range */
};

struct wallet_result {
	enum wallet_outcome outcome;
	int64_t amount;	 /* of the transaction (the original one on a replay) */
	int64_t balance; /* after it; the current balance when nothing was applied */
	uint64_t index;	 /* position in the wallet's full history (0-based) */
};

void wallet_store_init(struct wallet_store *ws);
void wallet_store_free(struct wallet_store *ws);

/* Keep the complete history in segments PREFIX.NNNNNN (call before replay). fsync_on: whether
 * wallet_store_sync flushes them. */
int wallet_store_open_history(struct wallet_store *ws, const char *prefix, int fsync_on,
			      char **err);
/* Make history written so far durable: the journal's precommit hook (ctx is the store), and
 * once after replay. */
int wallet_store_sync(void *ws, char **err);

/* True when id is 1..WALLET_ID_MAX of [A-Za-z0-9_.:@-]; txn: 1..WALLET_TXN_MAX printable. */
int wallet_id_ok(const char *id, size_t len);
int wallet_txn_ok(const char *txn, size_t len);

struct wallet *wallet_find(struct wallet_store *ws, const char *id, size_t len);
/* Find or create (with a checkpoint balance of initial). NULL when out of memory. */
struct wallet *wallet_get(struct wallet_store *ws, const char *id, size_t len, int64_t initial);

/* Credit (amount > 0) or debit (amount < 0) wallet id under txn. Appends one journal record of
 * the given type (WALLET_REC_TXN, or a service's own type whose payload is the TXN payload
 * followed by extra/extra_len) when it applies, and may append a fold record. Returns 0 with
 * *res filled (see enum wallet_outcome), or -1 with *err on a journal or memory failure. */
int wallet_apply(struct wallet_store *ws, struct journal *j, const char *id, size_t idlen,
		 const char *txn, size_t txnlen, int64_t amount, int64_t now_ms, unsigned type,
		 const void *extra, size_t extra_len, struct wallet_result *res, char **err);

/* Replay one wallet record (types 1..3). Returns 0, or -1 with *err when the record does not
 * fit the state (a balance chain that does not add up). */
int wallet_replay(struct wallet_store *ws, unsigned type, const uint8_t *data, size_t len,
		  char **err);
/* Replay the TXN part at the reader's position (for records that extend it). */
int wallet_replay_txn(struct wallet_store *ws, struct journal_reader *r, char **err);

/* Emit every wallet as a BASE record and its recent transactions as TXN records. */
int wallet_snapshot(struct wallet_store *ws, struct journal *snap, char **err);

/* Rebuild every wallet from its history alone: with history kept, read every chunk from disk
 * and check, from the initial balance, the index sequence, every running balance, that no
 * balance is negative, that the chunks add up to the checkpoint and the recent transactions to
 * the balance. Returns 0 when all hold, else -1 and names the first wallet that fails in *err.
 * *read counts the history bytes read (may be NULL). */
int wallet_audit(struct wallet_store *ws, uint64_t *wallets, uint64_t *txns, char **err);
int wallet_audit_history(struct wallet_store *ws, uint64_t *wallets, uint64_t *txns, uint64_t *read,
			 char **err);

/* Append {"wallet":..,"balance":..,"transactions":N} / the paged history as JSON (the pages
 * before the checkpoint are read from the history segments). Returns 0, or -1 with *err when
 * the history cannot be read. */
void wallet_json(const struct wallet *w, struct buf *out);
/* wallet_history_* lines for /metrics: segments, bytes, index entries and memory, reads. */
void wallet_history_metrics(const struct wallet_store *ws, struct buf *out);
int wallet_history_json(struct wallet_store *ws, const struct wallet *w, uint64_t offset,
			uint64_t limit, struct buf *out, char **err);

#endif
