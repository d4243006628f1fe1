/* The wallet store (see wallet.h): wallets in an open-addressing table by id, each with a small
 * hash over its recent transactions for idempotency checks, journal records for every change,
 * and folding of old transactions into the wallet's checkpoint. Nothing here knows HTTP. */
#include "common/hash.h"
#include "servers/wallet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "servers/wallet_history.h"

#define WALLET_HASH (2 * WALLET_RECENT_MAX) /* slots per wallet; a power of two */

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

static struct wallet_txn *hash_find(const struct wallet *w, const char *txn, size_t len)
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
static void fold(struct wallet_store *ws, struct wallet *w, uint32_t n)
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
static int push_txn(struct wallet_store *ws, struct wallet *w, const char *txn, size_t txnlen,
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

static int encode_txn(struct buf *b, const struct wallet *w, const char *txn, size_t txnlen,
		      int64_t amount, int64_t balance_after, int64_t time_ms)
{
	return journal_put_str(b, w->id, w->id_len) < 0 || journal_put_str(b, txn, txnlen) < 0 ||
		       journal_put_i64(b, amount) < 0 || journal_put_i64(b, balance_after) < 0 ||
		       journal_put_i64(b, time_ms) < 0
		   ? -1
		   : 0;
}

/* ---- history ---- */

/* One transaction as read back from a history segment. */
struct hist_txn {
	const char *id, *txn;
	size_t idlen, txnlen;
	int64_t amount, balance_after, time_ms;
	uint64_t index;
};

/* Decode the framed history record at p (avail bytes); returns its framed size, 0 when bad. */
static size_t hist_decode(const uint8_t *p, size_t avail, struct hist_txn *t)
{
	struct journal_reader r;
	const uint8_t *data;
	unsigned type;
	uint32_t len;

	if (!journal_parse(p, avail, &type, &data, &len) || type != WALLET_REC_TXN)
		return 0;
	journal_reader_init(&r, data, len);
	t->idlen = journal_get_str(&r, &t->id);
	t->txnlen = journal_get_str(&r, &t->txn);
	t->amount = journal_get_i64(&r);
	t->balance_after = journal_get_i64(&r);
	t->time_ms = journal_get_i64(&r);
	t->index = (uint64_t)journal_get_i64(&r);
	if (r.bad || r.p != r.end)
		return 0;
	return JOURNAL_RECORD_HEADER + len;
}

/* Read chunk c of wallet w into ws->chunk; -1 with *err when it is missing or short. */
static int chunk_read(struct wallet_store *ws, const struct wallet *w, const struct wallet_chunk *c,
		      char **err)
{
	ssize_t n;

	buf_reset(&ws->chunk);
	if (c->bytes > JOURNAL_MAX_RECORD || buf_reserve(&ws->chunk, (size_t)c->bytes) < 0)
		return err_set(err, "wallet %s: history chunk of %llu bytes is too large", w->id,
			       (unsigned long long)c->bytes);
	n = whist_read(ws->hist, c->seg, c->off, ws->chunk.data, (size_t)c->bytes);
	if (n != (ssize_t)c->bytes)
		return err_set(err,
			       "wallet %s: history segment %u: %llu bytes at offset %llu "
			       "(transactions %llu..%llu) cannot be read",
			       w->id, c->seg, (unsigned long long)c->bytes,
			       (unsigned long long)c->off, (unsigned long long)c->first,
			       (unsigned long long)(c->first + c->count - 1));
	ws->chunk.len = (size_t)c->bytes;
	return 0;
}

/* Walk the records of the chunk in ws->chunk, checking that they belong to w and follow each
 * other from c->first; fn (may be NULL) sees each with its offset in the chunk. */
static int chunk_walk(struct wallet_store *ws, const struct wallet *w, const struct wallet_chunk *c,
		      int (*fn)(void *ctx, const struct hist_txn *t, uint64_t pos, char **err),
		      void *ctx, char **err)
{
	size_t pos = 0;

	for (uint32_t k = 0; k < c->count; k++) {
		struct hist_txn t;
		size_t n =
		    hist_decode((const uint8_t *)ws->chunk.data + pos, ws->chunk.len - pos, &t);

		if (!n || t.idlen != w->id_len || memcmp(t.id, w->id, t.idlen) != 0 ||
		    t.index != c->first + k)
			return err_set(err,
				       "wallet %s: history segment %u is damaged at offset %llu "
				       "(transaction %llu expected)",
				       w->id, c->seg, (unsigned long long)(c->off + pos),
				       (unsigned long long)(c->first + k));
		if (fn && fn(ctx, &t, c->off + pos, err) < 0)
			return -1;
		pos += n;
	}
	return pos == ws->chunk.len ? 0
				    : err_set(err,
					      "wallet %s: history chunk at segment %u offset "
					      "%llu has trailing bytes",
					      w->id, c->seg, (unsigned long long)c->off);
}

struct index_ctx {
	struct wallet_store *ws;
	uint32_t seg;
};

static int index_one(void *ctx, const struct hist_txn *t, uint64_t pos, char **err)
{
	struct index_ctx *ic = ctx;

	if (whist_index_add(ic->ws->hist, whist_fingerprint(t->id, t->idlen, t->txn, t->txnlen),
			    ic->seg, pos) < 0)
		return err_set(err, "out of memory");
	return 0;
}

static int chunk_push(struct wallet *w, const struct wallet_chunk *c)
{
	if (w->nchunks == w->capchunks) {
		uint32_t nc = w->capchunks ? w->capchunks * 2 : 4;
		struct wallet_chunk *n = realloc(w->chunks, nc * sizeof(*n));

		if (!n)
			return -1;
		w->chunks = n;
		w->capchunks = nc;
	}
	w->chunks[w->nchunks++] = *c;
	return 0;
}

/* Encode the oldest n recent transactions of w as framed history records into ws->chunk. */
static int chunk_encode(struct wallet_store *ws, const struct wallet *w, uint32_t n)
{
	static __thread struct buf one;

	if (one.max == 0)
		buf_init(&one, JOURNAL_MAX_RECORD);
	buf_reset(&ws->chunk);
	for (uint32_t k = 0; k < n; k++) {
		const struct wallet_txn *t = &w->recent[k];

		buf_reset(&one);
		if (journal_put_str(&one, w->id, w->id_len) < 0 ||
		    journal_put_str(&one, t->txn, t->txn_len) < 0 ||
		    journal_put_i64(&one, t->amount) < 0 ||
		    journal_put_i64(&one, t->balance_after) < 0 ||
		    journal_put_i64(&one, t->time_ms) < 0 ||
		    journal_put_i64(&one, (int64_t)(w->cp_count + k)) < 0 ||
		    journal_frame(&ws->chunk, WALLET_REC_TXN, one.data, one.len) < 0)
			return -1;
	}
	return 0;
}

static void fold(struct wallet_store *ws, struct wallet *w, uint32_t n);

/* Fold the oldest n recent transactions, writing them to history first when it is kept. With
 * place (the replay of a fold record that says where its chunk went), the chunk there is used
 * when it holds exactly these transactions, and written again otherwise (a crash lost it, or
 * the balances were recomputed after a repaired gap). *out (may be NULL) gets the chunk. */
static int fold_out(struct wallet_store *ws, struct wallet *w, uint32_t n,
		    const struct wallet_chunk *place, struct wallet_chunk *out, char **err)
{
	struct wallet_chunk c;
	struct index_ctx ic;

	memset(&c, 0, sizeof(c));
	if (n > w->nrecent)
		n = w->nrecent;
	if (ws->hist && n > 0) {
		int reuse = 0;

		if (chunk_encode(ws, w, n) < 0)
			return err_set(err, "wallet %s: history chunk too large", w->id);
		c.first = w->cp_count;
		c.count = n;
		c.bytes = ws->chunk.len;
		if (place && place->bytes == ws->chunk.len) {
			/* Compare in place: read the segment into a second buffer. */
			static __thread struct buf disk;

			if (disk.max == 0)
				buf_init(&disk, JOURNAL_MAX_RECORD);
			buf_reset(&disk);
			if (buf_reserve(&disk, ws->chunk.len) == 0 &&
			    whist_read(ws->hist, place->seg, place->off, disk.data,
				       ws->chunk.len) == (ssize_t)ws->chunk.len &&
			    memcmp(disk.data, ws->chunk.data, ws->chunk.len) == 0) {
				c.seg = place->seg;
				c.off = place->off;
				reuse = 1;
			}
		}
		if (!reuse) {
			if (place)
				ws->hist_rewritten++;
			if (whist_append(ws->hist, ws->chunk.data, ws->chunk.len, &c.seg, &c.off,
					 err) < 0)
				return -1;
		}
		ic.ws = ws;
		ic.seg = c.seg;
		if (chunk_walk(ws, w, &c, index_one, &ic, err) < 0)
			return -1;
		if (chunk_push(w, &c) < 0)
			return err_set(err, "out of memory");
	}
	fold(ws, w, n);
	if (out)
		*out = c;
	return 0;
}

/* Look txn up in w's history on disk: 1 with *t filled (pointing into ws->chunk), 0 when it was
 * never applied, -1 with *err on a read error. */
static int hist_find(struct wallet_store *ws, const struct wallet *w, const char *txn,
		     size_t txnlen, struct hist_txn *t, char **err)
{
	uint64_t fp = whist_fingerprint(w->id, w->id_len, txn, txnlen), pos = 0, off;
	uint32_t seg;
	enum { REC_MAX = JOURNAL_RECORD_HEADER + 2 * (2 + 64) + 4 * 8 };

	ws->hist_lookups++;
	while (whist_index_next(ws->hist, fp, &pos, &seg, &off)) {
		ssize_t n;

		buf_reset(&ws->chunk);
		if (buf_reserve(&ws->chunk, REC_MAX) < 0)
			return err_set(err, "out of memory");
		n = whist_read(ws->hist, seg, off, ws->chunk.data, REC_MAX);
		if (n < 0)
			return err_set(err, "wallet %s: history segment %u: read error", w->id,
				       seg);
		if (hist_decode((const uint8_t *)ws->chunk.data, (size_t)n, t) &&
		    t->idlen == w->id_len && memcmp(t->id, w->id, t->idlen) == 0 &&
		    t->txnlen == txnlen && memcmp(t->txn, txn, txnlen) == 0) {
			ws->hist_hits++;
			return 1;
		}
	}
	return 0;
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
	if (w && (seen = hash_find(w, txn, txnlen))) {
		res->amount = seen->amount;
		if (seen->amount != amount) {
			res->outcome = WALLET_TXN_CONFLICT;
			res->balance = w->balance;
			return 0;
		}
		res->outcome = WALLET_REPLAY;
		res->balance = seen->balance_after;
		res->index = w->cp_count + (uint64_t)(seen - w->recent);
		ws->replays++;
		return 0;
	}
	if (w && w->nchunks && ws->hist) {
		/* Not in the recent window: the txn index says whether it was ever applied. */
		found = hist_find(ws, w, txn, txnlen, &old, err);
		if (found < 0)
			return -1;
		if (found) {
			res->amount = old.amount;
			if (old.amount != amount) {
				res->outcome = WALLET_TXN_CONFLICT;
				res->balance = w->balance;
				return 0;
			}
			res->outcome = WALLET_REPLAY;
			res->balance = old.balance_after;
			res->index = old.index;
			ws->replays++;
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
	if (encode_txn(&rec, w, txn, txnlen, amount, after, now_ms) < 0 ||
	    (extra_len && buf_append(&rec, extra, extra_len) < 0))
		return err_set(err, "wallet record too large");
	if (journal_append(j, type, rec.data, rec.len, err) < 0)
		return -1;
	if (w->nrecent >= WALLET_RECENT_MAX) {
		/* The fold record goes after the txn record, so replay sees the same order; the
		 * chunk is in the history segments (flushed before this commit) first. */
		struct wallet_chunk c;

		if (fold_out(ws, w, WALLET_RECENT_FOLD, NULL, &c, err) < 0)
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
	if (push_txn(ws, w, txn, txnlen, amount, now_ms) < 0)
		return err_set(err, "out of memory");
	res->outcome = WALLET_OK;
	res->balance = after;
	res->index = w->cp_count + w->nrecent - 1;
	return 0;
}

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
	    fold_out(ws, w, WALLET_RECENT_FOLD, NULL, NULL, err) < 0)
		return -1;
	if (hash_find(w, txn, txnlen))
		return err_set(err, "wallet %.*s: txn %.*s appears twice", (int)idlen, id,
			       (int)txnlen, txn);
	if (push_txn(ws, w, txn, txnlen, amount, time_ms) < 0)
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
		    fold_out(ws, w, n, has_place ? &place : NULL, NULL, err) < 0)
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
		struct index_ctx ic;

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
		ic.ws = ws;
		ic.seg = c.seg;
		if (chunk_read(ws, w, &c, err) < 0 ||
		    chunk_walk(ws, w, &c, index_one, &ic, err) < 0)
			return -1;
		if (chunk_push(w, &c) < 0)
			return err_set(err, "out of memory");
		return 0;
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
			if (encode_txn(&b, w, t->txn, t->txn_len, t->amount, bal, t->time_ms) < 0 ||
			    journal_append(snap, WALLET_REC_TXN, b.data, b.len, err) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

struct rebuild {
	const struct wallet *w;
	int64_t bal;
};

static int rebuild_one(void *ctx, const struct hist_txn *t, uint64_t pos, char **err)
{
	struct rebuild *rb = ctx;

	rb->bal += t->amount;
	if (rb->bal != t->balance_after || rb->bal < 0)
		return err_set(err,
			       "wallet %s: history transaction %llu (%.*s) leaves %lld, recorded "
			       "%lld",
			       rb->w->id, (unsigned long long)t->index, (int)t->txnlen, t->txn,
			       (long long)rb->bal, (long long)t->balance_after);
	return 0;
}

int wallet_audit_history(struct wallet_store *ws, uint64_t *wallets, uint64_t *txns, uint64_t *read,
			 char **err)
{
	*wallets = 0;
	*txns = 0;
	if (read)
		*read = 0;
	for (size_t i = 0; i < ws->cap; i++) {
		struct wallet *w = ws->tab[i];
		struct rebuild rb;
		uint64_t next = 0;
		int64_t bal;

		if (!w)
			continue;
		(*wallets)++;
		*txns += w->cp_count + w->nrecent;
		if (ws->hist) {
			/* From the initial balance through every chunk on disk to the checkpoint.
			 */
			rb.w = w;
			rb.bal = ws->initial;
			for (uint32_t k = 0; k < w->nchunks; k++) {
				const struct wallet_chunk *c = &w->chunks[k];

				if (c->first != next)
					return err_set(err,
						       "wallet %s: history is missing transactions "
						       "%llu..%llu",
						       w->id, (unsigned long long)next,
						       (unsigned long long)(c->first - 1));
				if (chunk_read(ws, w, c, err) < 0 ||
				    chunk_walk(ws, w, c, rebuild_one, &rb, err) < 0)
					return -1;
				if (read)
					*read += c->bytes;
				next += c->count;
			}
			if (next != w->cp_count)
				return err_set(err,
					       "wallet %s: transactions %llu..%llu were folded "
					       "before history was kept",
					       w->id, (unsigned long long)next,
					       (unsigned long long)(w->cp_count - 1));
			if (rb.bal != w->cp_balance)
				return err_set(
				    err,
				    "wallet %s: history rebuilds the checkpoint as %lld, "
				    "recorded %lld",
				    w->id, (long long)rb.bal, (long long)w->cp_balance);
		}
		bal = w->cp_balance;
		for (uint32_t k = 0; k < w->nrecent; k++) {
			bal += w->recent[k].amount;
			if (bal != w->recent[k].balance_after || bal < 0)
				return err_set(
				    err, "wallet %s: transaction %s leaves %lld, recorded %lld",
				    w->id, w->recent[k].txn, (long long)bal,
				    (long long)w->recent[k].balance_after);
		}
		if (bal != w->balance)
			return err_set(err,
				       "wallet %s: balance %lld but checkpoint %lld + history "
				       "gives %lld",
				       w->id, (long long)w->balance, (long long)w->cp_balance,
				       (long long)bal);
		if (w->balance < 0)
			return err_set(err, "wallet %s: negative balance %lld", w->id,
				       (long long)w->balance);
	}
	return 0;
}

int wallet_audit(struct wallet_store *ws, uint64_t *wallets, uint64_t *txns, char **err)
{
	return wallet_audit_history(ws, wallets, txns, NULL, err);
}

void wallet_json(const struct wallet *w, struct buf *out)
{
	buf_append_str(out, "{\"wallet\":");
	buf_append_json_str(out, w->id, w->id_len);
	buf_printf(out, ",\"balance\":%lld,\"transactions\":%llu}\n", (long long)w->balance,
		   (unsigned long long)(w->cp_count + w->nrecent));
}

struct page {
	struct buf *out;
	uint64_t from, to; /* indexes wanted: [from, to) */
	uint64_t n;	   /* listed so far */
};

static void txn_json(struct page *pg, uint64_t index, const char *txn, size_t txnlen,
		     int64_t amount, int64_t balance, int64_t time_ms)
{
	buf_printf(pg->out, "%s{\"index\":%llu,\"txn\":", pg->n++ ? "," : "",
		   (unsigned long long)index);
	buf_append_json_str(pg->out, txn, txnlen);
	buf_printf(pg->out, ",\"amount\":%lld,\"balance\":%lld,\"time_ms\":%lld}",
		   (long long)amount, (long long)balance, (long long)time_ms);
}

static int page_one(void *ctx, const struct hist_txn *t, uint64_t pos, char **err)
{
	struct page *pg = ctx;

	if (t->index >= pg->from && t->index < pg->to)
		txn_json(pg, t->index, t->txn, t->txnlen, t->amount, t->balance_after, t->time_ms);
	return 0;
}

int wallet_history_json(struct wallet_store *ws, const struct wallet *w, uint64_t offset,
			uint64_t limit, struct buf *out, char **err)
{
	uint64_t total = w->cp_count + w->nrecent;
	struct page pg = {out, offset, offset + limit < offset ? UINT64_MAX : offset + limit, 0};
	size_t mark = out->len;

	buf_append_str(out, "{\"wallet\":");
	buf_append_json_str(out, w->id, w->id_len);
	buf_printf(out,
		   ",\"balance\":%lld,\"total\":%llu,\"offset\":%llu,\"limit\":%llu,"
		   "\"checkpoint\":{\"balance\":%lld,\"transactions\":%llu},\"transactions\":[",
		   (long long)w->balance, (unsigned long long)total, (unsigned long long)offset,
		   (unsigned long long)limit, (long long)w->cp_balance,
		   (unsigned long long)w->cp_count);
	/* Folded transactions: the chunks that overlap the page, read from disk. */
	for (uint32_t k = 0; ws->hist && k < w->nchunks && pg.from < w->cp_count; k++) {
		const struct wallet_chunk *c = &w->chunks[k];

		if (c->first + c->count <= pg.from || c->first >= pg.to)
			continue;
		if (chunk_read(ws, w, c, err) < 0 || chunk_walk(ws, w, c, page_one, &pg, err) < 0) {
			out->len = mark;
			return -1;
		}
	}
	for (uint64_t i = pg.from > w->cp_count ? pg.from : w->cp_count; i < total && i < pg.to;
	     i++) {
		const struct wallet_txn *t = &w->recent[i - w->cp_count];

		txn_json(&pg, i, t->txn, t->txn_len, t->amount, t->balance_after, t->time_ms);
	}
	buf_append_str(out, "]}\n");
	return 0;
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
