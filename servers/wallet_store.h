/* What the files of the wallet store share (wallet_store.c, wallet_chunks.c, wallet_replay.c,
 * wallet_audit.c). Services use wallet.h only. */
#ifndef BARRAGE_SERVERS_WALLET_STORE_H
#define BARRAGE_SERVERS_WALLET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "servers/wallet.h"

#define WALLET_HASH (2 * WALLET_RECENT_MAX) /* slots per wallet; a power of two */

/* wallet_store.c: a wallet's recent transactions in memory. */

/* The recent transaction of w with this id, or NULL. */
struct wallet_txn *wallet_store_hash_find(const struct wallet *w, const char *txn, size_t len);
/* Record a transaction in memory (after its journal record, or during replay). -1: no memory. */
int wallet_store_push_txn(struct wallet_store *ws, struct wallet *w, const char *txn, size_t txnlen,
			  int64_t amount, int64_t time_ms);
/* Fold the oldest n recent transactions into the checkpoint and rebuild the txn hash. */
void wallet_store_fold(struct wallet_store *ws, struct wallet *w, uint32_t n);
/* Append a WALLET_REC_TXN payload to b. */
int wallet_store_encode_txn(struct buf *b, const struct wallet *w, const char *txn, size_t txnlen,
			    int64_t amount, int64_t balance_after, int64_t time_ms);

/* wallet_chunks.c: folded transactions in the history segments. */

/* One transaction as read back from a history segment. */
struct hist_txn {
	const char *id, *txn;
	size_t idlen, txnlen;
	int64_t amount, balance_after, time_ms;
	uint64_t index;
};

/* Read chunk c of wallet w into ws->chunk; -1 with *err when it is missing or short. */
int wallet_chunks_read(struct wallet_store *ws, const struct wallet *w,
		       const struct wallet_chunk *c, char **err);
/* Walk the records of the chunk in ws->chunk, checking that they belong to w and follow each
 * other from c->first; fn (may be NULL) sees each with its offset in the segment. */
int wallet_chunks_walk(struct wallet_store *ws, const struct wallet *w,
		       const struct wallet_chunk *c,
		       int (*fn)(void *ctx, const struct hist_txn *t, uint64_t pos, char **err),
		       void *ctx, char **err);
/* Check the chunk in ws->chunk, index its txn ids and add it to w's chunks. */
int wallet_chunks_adopt(struct wallet_store *ws, struct wallet *w, const struct wallet_chunk *c,
			char **err);
/* Fold the oldest n recent transactions, writing them to history first when it is kept. With
 * place (the replay of a fold record that says where its chunk went), the chunk there is used
 * when it holds exactly these transactions, and written again otherwise. *out (may be NULL)
 * gets the chunk. */
int wallet_chunks_fold_out(struct wallet_store *ws, struct wallet *w, uint32_t n,
			   const struct wallet_chunk *place, struct wallet_chunk *out, char **err);
/* Look txn up in w's history on disk: 1 with *t filled (pointing into ws->chunk), 0 when it was
 * never applied, -1 with *err on a read error. */
int wallet_chunks_find(struct wallet_store *ws, const struct wallet *w, const char *txn,
		       size_t txnlen, struct hist_txn *t, char **err);

#endif
