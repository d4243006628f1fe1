/* The wallet store (see wallet.h): wallets in an open-addressing table by id, each with a small
 * hash over its recent transactions for idempotency checks, journal records for every change,
 * and folding of old transactions into the wallet's checkpoint. Nothing here knows HTTP.
 * The history chunks folded transactions go to are wallet_chunks.c; the replay of the journal
 * and the snapshot are wallet_replay.c; the audit is wallet_audit.c. */
#include "servers/wallet_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "servers/util.h"
#include "servers/wallet_history.h"

void wallet_store_init(struct wallet_store *ws)
{
	memset(ws, 0, sizeof(*ws));
	buf_init(&ws->chunk, JOURNAL_MAX_RECORD);
}

static void wallet_free(struct wallet *w)
{
	if (!w)
		return;
	free(w->recent);
	free(w->hidx);
	free(w->chunks);
	free(w);
}

void wallet_store_free(struct wallet_store *ws)
{
	for (size_t i = 0; i < ws->cap; i++)
		wallet_free(ws->tab[i]);
	free(ws->tab);
	whist_close(ws->hist);
	buf_free(&ws->chunk);
	memset(ws, 0, sizeof(*ws));
}

int wallet_store_open_history(struct wallet_store *ws, const char *prefix, int fsync_on, char **err)
{
	return whist_open(&ws->hist, prefix, fsync_on, err);
}

int wallet_store_sync(void *ctx, char **err)
{
	struct wallet_store *ws = ctx;

	return whist_sync(ws->hist, err);
}

int wallet_id_ok(const char *id, size_t len)
{
	if (len < 1 || len > WALLET_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

int wallet_txn_ok(const char *txn, size_t len)
{
	if (len < 1 || len > WALLET_TXN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)txn[i] < 0x21 || (unsigned char)txn[i] > 0x7e)
			return 0;
	return 1;
}

struct wallet *wallet_find(struct wallet_store *ws, const char *id, size_t len)
{
	size_t mask, i;

	if (ws->cap == 0)
		return NULL;
	mask = ws->cap - 1;
	for (i = hash_bytes(id, len) & mask;; i = (i + 1) & mask) {
		struct wallet *w = ws->tab[i];

		if (!w)
			return NULL;
		if (w->id_len == len && memcmp(w->id, id, len) == 0)
			return w;
	}
}

static int table_put(struct wallet **tab, size_t cap, struct wallet *w)
{
	size_t mask = cap - 1;

	for (size_t i = hash_bytes(w->id, w->id_len) & mask;; i = (i + 1) & mask)
		if (!tab[i]) {
			tab[i] = w;
			return 0;
		}
}

struct wallet *wallet_get(struct wallet_store *ws, const char *id, size_t len, int64_t initial)
{
	struct wallet *w = wallet_find(ws, id, len);

	if (w)
		return w;
	if (len > WALLET_ID_MAX)
		return NULL;
	if ((ws->count + 1) * 2 > ws->cap) {
		size_t nc = ws->cap ? ws->cap * 2 : 1024;
		struct wallet **nt = calloc(nc, sizeof(*nt));

		if (!nt)
			return NULL;
		for (size_t i = 0; i < ws->cap; i++)
			if (ws->tab[i])
				table_put(nt, nc, ws->tab[i]);
		free(ws->tab);
		ws->tab = nt;
		ws->cap = nc;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	memcpy(w->id, id, len);
	w->id_len = (uint8_t)len;
	w->balance = w->cp_balance = initial;
	table_put(ws->tab, ws->cap, w);
	ws->count++;
	return w;
}

static int hash_insert(struct wallet *w, uint32_t idx)
{
	const struct wallet_txn *t = &w->recent[idx];

	if (!w->hidx) {
		w->hidx = calloc(WALLET_HASH, sizeof(*w->hidx));
		if (!w->hidx)
			return -1;
	}
	for (size_t i = hash_bytes(t->txn, t->txn_len) & (WALLET_HASH - 1);;
	     i = (i + 1) & (WALLET_HASH - 1))
		if (!w->hidx[i]) {
			w->hidx[i] = (uint16_t)(idx + 1);
			return 0;
		}
}

struct wallet_txn *wallet_store_hash_find(const struct wallet *w, const char *txn, size_t len)
{
	if (!w->hidx)
		return NULL;
	for (size_t i = hash_bytes(txn, len) & (WALLET_HASH - 1);;
	     i = (i + 1) & (WALLET_HASH - 1)) {
		uint16_t v = w->hidx[i];
		struct wallet_txn *t;

		if (!v)
			return NULL;
		t = &w->recent[v - 1];
		if (t->txn_len == len && memcmp(t->txn, txn, len) == 0)
			return t;
	}
}

/* Fold the oldest n recent transactions into the checkpoint and rebuild the txn hash. */
void wallet_store_fold(struct wallet_store *ws, struct wallet *w, uint32_t n)
{
	if (n > w->nrecent)
		n = w->nrecent;
	for (uint32_t i = 0; i < n; i++)
		w->cp_balance += w->recent[i].amount;
	w->cp_count += n;
	memmove(w->recent, w->recent + n, (size_t)(w->nrecent - n) * sizeof(*w->recent));
	w->nrecent -= n;
	ws->live_txns -= n;
	ws->folds++;
	if (w->hidx) {
		memset(w->hidx, 0, WALLET_HASH * sizeof(*w->hidx));
		for (uint32_t i = 0; i < w->nrecent; i++)
			hash_insert(w, i);
	}
}

/* Record a transaction in memory (after its journal record, or during replay). */
int wallet_store_push_txn(struct wallet_store *ws, struct wallet *w, const char *txn, size_t txnlen,
			  int64_t amount, int64_t time_ms)
{
	struct wallet_txn *t;

	if (w->nrecent == w->caprecent) {
		uint32_t nc = w->caprecent ? w->caprecent * 2 : 8;
		struct wallet_txn *nr;

		if (nc > WALLET_RECENT_MAX + 1) /* replay holds one more until its fold record */
			nc = WALLET_RECENT_MAX + 1;
		nr = realloc(w->recent, (size_t)nc * sizeof(*nr));
		if (!nr)
			return -1;
		w->recent = nr;
		w->caprecent = nc;
	}
	t = &w->recent[w->nrecent];
	t->amount = amount;
	w->balance += amount;
	t->balance_after = w->balance;
	t->time_ms = time_ms;
	t->txn_len = (uint8_t)txnlen;
	memcpy(t->txn, txn, txnlen);
	t->txn[txnlen] = '\0';
	if (hash_insert(w, w->nrecent) < 0) {
		w->balance -= amount;
		return -1;
	}
	w->nrecent++;
	ws->live_txns++;
	if (amount > 0)
		ws->credits++;
	else
		ws->debits++;
	return 0;
}

int wallet_store_encode_txn(struct buf *b, const struct wallet *w, const char *txn, size_t txnlen,
			    int64_t amount, int64_t balance_after, int64_t time_ms)
{
	return journal_put_str(b, w->id, w->id_len) < 0 || journal_put_str(b, txn, txnlen) < 0 ||
		       journal_put_i64(b, amount) < 0 || journal_put_i64(b, balance_after) < 0 ||
		       journal_put_i64(b, time_ms) < 0
		   ? -1
		   : 0;
}

/* The transaction id was applied before, with old_amount leaving old_after at old_index: the
 * same amount is a replay (answered as the first time), another one a conflict. */
static void answer_seen(struct wallet_store *ws, const struct wallet *w, int64_t amount,
			int64_t old_amount, int64_t old_after, uint64_t old_index,
			struct wallet_result *res)
{
	res->amount = old_amount;
	if (old_amount != amount) {
		res->outcome = WALLET_TXN_CONFLICT;
		res->balance = w->balance;
		return;
	}
	res->outcome = WALLET_REPLAY;
	res->balance = old_after;
	res->index = old_index;
	ws->replays++;
}

int wallet_apply(struct wallet_store *ws, struct journal *j, const char *id, size_t idlen,
		 const char *txn, size_t txnlen, int64_t amount, int64_t now_ms, unsigned type,
		 const void *extra, size_t extra_len, struct wallet_result *res, char **err)
{
	/* One record buffer, reused: no allocation per request in steady state. */
	static __thread struct buf rec;
	struct wallet *w;
	struct wallet_txn *seen;
	struct hist_txn old;
	int64_t after;
	int found;

	memset(res, 0, sizeof(*res));
	w = wallet_find(ws, id, idlen);
	if (!w && (amount > 0 || ws->initial > 0) && !(w = wallet_get(ws, id, idlen, ws->initial)))
		return err_set(err, "out of memory");
	if (w && (seen = wallet_store_hash_find(w, txn, txnlen))) {
		answer_seen(ws, w, amount, seen->amount, seen->balance_after,
			    w->cp_count + (uint64_t)(seen - w->recent), res);
		return 0;
	}
	if (w && w->nchunks && ws->hist) {
		/* Not in the recent window: the txn index says whether it was ever applied. */
		found = wallet_chunks_find(ws, w, txn, txnlen, &old, err);
		if (found < 0)
			return -1;
		if (found) {
			answer_seen(ws, w, amount, old.amount, old.balance_after, old.index, res);
			return 0;
		}
	}
	res->amount = amount;
	if (amount < 0 && (!w || w->balance + amount < 0)) {
		res->outcome = WALLET_INSUFFICIENT;
		res->balance = w ? w->balance : 0;
		ws->rejected++;
		return 0;
	}
	if (amount > 0 && w->balance > INT64_MAX / 2 - amount) {
		res->outcome = WALLET_OVERFLOW;
		res->balance = w->balance;
		return 0;
	}
	after = w->balance + amount;
	if (rec.max == 0)
		buf_init(&rec, JOURNAL_MAX_RECORD);
	buf_reset(&rec);
	if (wallet_store_encode_txn(&rec, w, txn, txnlen, amount, after, now_ms) < 0 ||
	    (extra_len && buf_append(&rec, extra, extra_len) < 0))
		return err_set(err, "wallet record too large");
	if (journal_append(j, type, rec.data, rec.len, err) < 0)
		return -1;
	if (w->nrecent >= WALLET_RECENT_MAX) {
		/* The fold record goes after the txn record, so replay sees the same order; the
		 * chunk is in the history segments (flushed before this commit) first. */
		struct wallet_chunk c;

		if (wallet_chunks_fold_out(ws, w, WALLET_RECENT_FOLD, NULL, &c, err) < 0)
			return -1;
		buf_reset(&rec);
		journal_put_str(&rec, w->id, w->id_len);
		journal_put_u32(&rec, WALLET_RECENT_FOLD);
		journal_put_i64(&rec, w->cp_balance);
		if (ws->hist) {
			journal_put_u32(&rec, c.seg);
			journal_put_i64(&rec, (int64_t)c.off);
			journal_put_i64(&rec, (int64_t)c.bytes);
		}
		if (journal_append(j, WALLET_REC_FOLD, rec.data, rec.len, err) < 0)
			return -1;
	}
	if (wallet_store_push_txn(ws, w, txn, txnlen, amount, now_ms) < 0)
		return err_set(err, "out of memory");
	res->outcome = WALLET_OK;
	res->balance = after;
	res->index = w->cp_count + w->nrecent - 1;
	return 0;
}

void wallet_json(const struct wallet *w, struct buf *out)
{
	buf_append_str(out, "{\"wallet\":");
	buf_append_json_str(out, w->id, w->id_len);
	buf_printf(out, ",\"balance\":%lld,\"transactions\":%llu}\n", (long long)w->balance,
		   (unsigned long long)(w->cp_count + w->nrecent));
}

void wallet_history_metrics(const struct wallet_store *ws, struct buf *out)
{
	struct whist_stats st;

	if (!ws->hist)
		return;
	whist_get_stats(ws->hist, &st);
	buf_printf(out, "wallet_history_segments %u\n", st.segments);
	buf_printf(out, "wallet_history_bytes %llu\n", (unsigned long long)st.bytes);
	buf_printf(out, "wallet_history_index_entries %llu\n",
		   (unsigned long long)st.index_entries);
	buf_printf(out, "wallet_history_index_bytes %llu\n", (unsigned long long)st.index_bytes);
	buf_printf(out, "wallet_history_lookups %llu\n", (unsigned long long)ws->hist_lookups);
	buf_printf(out, "wallet_history_hits %llu\n", (unsigned long long)ws->hist_hits);
	buf_printf(out, "wallet_history_reads %llu\n", (unsigned long long)st.reads);
	buf_printf(out, "wallet_history_syncs %llu\n", (unsigned long long)st.syncs);
}
