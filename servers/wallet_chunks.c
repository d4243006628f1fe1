/* The wallet store's history chunks (see wallet.h, "Model"): when a wallet folds its oldest
 * transactions, they are first written as one chunk of framed records to the history segments
 * (wallet_history.c) and indexed by txn id; this file writes, reads back, checks and indexes
 * chunks, looks a txn id up on disk, and lists a wallet's history a page at a time. */
#include "servers/wallet_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "servers/wallet_history.h"

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
int wallet_chunks_read(struct wallet_store *ws, const struct wallet *w,
		       const struct wallet_chunk *c, char **err)
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
int wallet_chunks_walk(struct wallet_store *ws, const struct wallet *w,
		       const struct wallet_chunk *c,
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

int wallet_chunks_adopt(struct wallet_store *ws, struct wallet *w, const struct wallet_chunk *c,
			char **err)
{
	struct index_ctx ic = {ws, c->seg};

	if (wallet_chunks_walk(ws, w, c, index_one, &ic, err) < 0)
		return -1;
	if (chunk_push(w, c) < 0)
		return err_set(err, "out of memory");
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
		if (wallet_store_encode_txn(&one, w, t->txn, t->txn_len, t->amount,
					    t->balance_after, t->time_ms) < 0 ||
		    journal_put_i64(&one, (int64_t)(w->cp_count + k)) < 0 ||
		    journal_frame(&ws->chunk, WALLET_REC_TXN, one.data, one.len) < 0)
			return -1;
	}
	return 0;
}

/* Fold the oldest n recent transactions, writing them to history first when it is kept. With
 * place (the replay of a fold record that says where its chunk went), the chunk there is used
 * when it holds exactly these transactions, and written again otherwise (a crash lost it, or
 * the balances were recomputed after a repaired gap). *out (may be NULL) gets the chunk. */
int wallet_chunks_fold_out(struct wallet_store *ws, struct wallet *w, uint32_t n,
			   const struct wallet_chunk *place, struct wallet_chunk *out, char **err)
{
	struct wallet_chunk c;

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
		if (wallet_chunks_adopt(ws, w, &c, err) < 0)
			return -1;
	}
	wallet_store_fold(ws, w, n);
	if (out)
		*out = c;
	return 0;
}

/* Look txn up in w's history on disk: 1 with *t filled (pointing into ws->chunk), 0 when it was
 * never applied, -1 with *err on a read error. */
int wallet_chunks_find(struct wallet_store *ws, const struct wallet *w, const char *txn,
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
		if (wallet_chunks_read(ws, w, c, err) < 0 ||
		    wallet_chunks_walk(ws, w, c, page_one, &pg, err) < 0) {
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
