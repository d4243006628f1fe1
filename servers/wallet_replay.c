/* The wallet store's journal records (formats in wallet.h): the replay that rebuilds the store
 * when the journal is opened, and the snapshot journal_compact writes from the live state. */
#include "servers/wallet_store.h"

#include <string.h>

#include "common/err.h"

int wallet_replay_txn(struct wallet_store *ws, struct journal_reader *r, char **err)
{
	const char *id, *txn;
	size_t idlen = journal_get_str(r, &id);
	size_t txnlen = journal_get_str(r, &txn);
	int64_t amount = journal_get_i64(r);
	int64_t after = journal_get_i64(r);
	int64_t time_ms = journal_get_i64(r);
	struct wallet *w;

	if (r->bad || !wallet_id_ok(id, idlen) || !wallet_txn_ok(txn, txnlen) || amount == 0)
		return err_set(err, "malformed wallet transaction record");
	w = wallet_get(ws, id, idlen, ws->initial);
	if (!w)
		return err_set(err, "out of memory");
	if (w->balance + amount != after && ws->after_gap) {
		/* Records were set aside by fsck --repair before this one: the chain is rebuilt
		 * from the amounts that remain, and counted. */
		ws->rebased++;
	} else if (w->balance + amount != after)
		return err_set(err, "wallet %.*s: txn %.*s leaves balance %lld, journal says %lld",
			       (int)idlen, id, (int)txnlen, txn, (long long)(w->balance + amount),
			       (long long)after);
	/* The fold record that follows a 513th transaction folds; a journal that lost it (a
	 * repaired gap) folds here instead. */
	if (w->nrecent > WALLET_RECENT_MAX &&
	    wallet_chunks_fold_out(ws, w, WALLET_RECENT_FOLD, NULL, NULL, err) < 0)
		return -1;
	if (wallet_store_hash_find(w, txn, txnlen))
		return err_set(err, "wallet %.*s: txn %.*s appears twice", (int)idlen, id,
			       (int)txnlen, txn);
	if (wallet_store_push_txn(ws, w, txn, txnlen, amount, time_ms) < 0)
		return err_set(err, "out of memory");
	return 0;
}

int wallet_replay(struct wallet_store *ws, unsigned type, const uint8_t *data, size_t len,
		  char **err)
{
	struct journal_reader r;
	const char *id;
	size_t idlen;
	struct wallet *w;

	journal_reader_init(&r, data, len);
	if (type == WALLET_REC_TXN)
		return wallet_replay_txn(ws, &r, err);
	if (type == JOURNAL_REC_GAP) {
		ws->after_gap = 1;
		return 0;
	}
	idlen = journal_get_str(&r, &id);
	if (type == WALLET_REC_FOLD) {
		uint32_t n = journal_get_u32(&r);
		int64_t cp = journal_get_i64(&r);
		struct wallet_chunk place;
		int has_place = 0;

		memset(&place, 0, sizeof(place));
		if (!r.bad && r.p < r.end) {
			place.seg = journal_get_u32(&r);
			place.off = (uint64_t)journal_get_i64(&r);
			place.bytes = (uint64_t)journal_get_i64(&r);
			has_place = !r.bad;
		}
		if (!r.bad && !wallet_find(ws, id, idlen) && ws->after_gap)
			return 0; /* its wallet's records were set aside */
		if (r.bad || !(w = wallet_find(ws, id, idlen)) || n > WALLET_RECENT_MAX)
			return err_set(err, "malformed wallet fold record");
		/* The live path folds before pushing the transaction that triggered the fold;
		 * replay pushed it already, so the fold is due when more than MAX - n remain. */
		if (w->nrecent > WALLET_RECENT_MAX - n &&
		    wallet_chunks_fold_out(ws, w, n, has_place ? &place : NULL, NULL, err) < 0)
			return -1;
		if (w->cp_balance != cp && ws->after_gap)
			ws->rebased++;
		else if (w->cp_balance != cp)
			return err_set(err, "wallet %.*s: checkpoint %lld, journal says %lld",
				       (int)idlen, id, (long long)w->cp_balance, (long long)cp);
		return 0;
	}
	if (type == WALLET_REC_BASE) {
		int64_t cp = journal_get_i64(&r);
		int64_t count = journal_get_i64(&r);

		if (r.bad || !wallet_id_ok(id, idlen) || count < 0)
			return err_set(err, "malformed wallet base record");
		w = wallet_get(ws, id, idlen, cp);
		if (!w)
			return err_set(err, "out of memory");
		ws->live_txns -= w->nrecent;
		w->nrecent = 0;
		w->nchunks = 0;
		if (w->hidx)
			memset(w->hidx, 0, WALLET_HASH * sizeof(*w->hidx));
		w->balance = w->cp_balance = cp;
		w->cp_count = (uint64_t)count;
		return 0;
	}
	if (type == WALLET_REC_HIST) {
		struct wallet_chunk c;

		memset(&c, 0, sizeof(c));
		c.seg = journal_get_u32(&r);
		c.off = (uint64_t)journal_get_i64(&r);
		c.bytes = (uint64_t)journal_get_i64(&r);
		c.count = journal_get_u32(&r);
		c.first = (uint64_t)journal_get_i64(&r);
		if (r.bad || !(w = wallet_find(ws, id, idlen)) || c.count == 0)
			return err_set(err, "malformed wallet history record");
		if (!ws->hist)
			return 0;
		if (wallet_chunks_read(ws, w, &c, err) < 0)
			return -1;
		return wallet_chunks_adopt(ws, w, &c, err);
	}
	return err_set(err, "unknown wallet record type %u", type);
}

int wallet_snapshot(struct wallet_store *ws, struct journal *snap, char **err)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, JOURNAL_MAX_RECORD);
	for (size_t i = 0; i < ws->cap; i++) {
		struct wallet *w = ws->tab[i];
		int64_t bal;

		if (!w)
			continue;
		buf_reset(&b);
		journal_put_str(&b, w->id, w->id_len);
		journal_put_i64(&b, w->cp_balance);
		journal_put_i64(&b, (int64_t)w->cp_count);
		if (journal_append(snap, WALLET_REC_BASE, b.data, b.len, err) < 0)
			goto out;
		for (uint32_t k = 0; k < w->nchunks; k++) {
			const struct wallet_chunk *c = &w->chunks[k];

			buf_reset(&b);
			journal_put_str(&b, w->id, w->id_len);
			journal_put_u32(&b, c->seg);
			journal_put_i64(&b, (int64_t)c->off);
			journal_put_i64(&b, (int64_t)c->bytes);
			journal_put_u32(&b, c->count);
			journal_put_i64(&b, (int64_t)c->first);
			if (journal_append(snap, WALLET_REC_HIST, b.data, b.len, err) < 0)
				goto out;
		}
		bal = w->cp_balance;
		for (uint32_t k = 0; k < w->nrecent; k++) {
			const struct wallet_txn *t = &w->recent[k];

			bal += t->amount;
			buf_reset(&b);
			if (wallet_store_encode_txn(&b, w, t->txn, t->txn_len, t->amount, bal,
						    t->time_ms) < 0 ||
			    journal_append(snap, WALLET_REC_TXN, b.data, b.len, err) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}
