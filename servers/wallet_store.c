/* The wallet store (see wallet.h): wallets in an open-addressing table by id, each with a small
 * hash over its recent transactions for idempotency checks, journal records for every change,
 * and folding of old transactions into the wallet's checkpoint. Nothing here knows HTTP. */
#include "servers/wallet.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define WALLET_HASH (2 * WALLET_RECENT_MAX) /* slots per wallet; a power of two */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void wallet_store_init(struct wallet_store *ws)
{
	memset(ws, 0, sizeof(*ws));
}

static void wallet_free(struct wallet *w)
{
	if (!w)
		return;
	free(w->recent);
	free(w->hidx);
	free(w);
}

void wallet_store_free(struct wallet_store *ws)
{
	for (size_t i = 0; i < ws->cap; i++)
		wallet_free(ws->tab[i]);
	free(ws->tab);
	memset(ws, 0, sizeof(*ws));
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

		if (nc > WALLET_RECENT_MAX)
			nc = WALLET_RECENT_MAX;
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

int wallet_apply(struct wallet_store *ws, struct journal *j, const char *id, size_t idlen,
		 const char *txn, size_t txnlen, int64_t amount, int64_t now_ms, unsigned type,
		 const void *extra, size_t extra_len, struct wallet_result *res, char **err)
{
	/* One record buffer, reused: no allocation per request in steady state. */
	static __thread struct buf rec;
	struct wallet *w;
	struct wallet_txn *seen;
	int64_t after;

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
		/* The fold record goes after the txn record, so replay sees the same order. */
		buf_reset(&rec);
		journal_put_str(&rec, w->id, w->id_len);
		journal_put_u32(&rec, WALLET_RECENT_FOLD);
		fold(ws, w, WALLET_RECENT_FOLD);
		journal_put_i64(&rec, w->cp_balance);
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
	if (w->nrecent >= WALLET_RECENT_MAX)
		fold(ws, w, WALLET_RECENT_FOLD); /* a fold record follows; it finds nothing to do */
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

		if (!r.bad && !wallet_find(ws, id, idlen) && ws->after_gap)
			return 0; /* its wallet's records were set aside */
		if (r.bad || !(w = wallet_find(ws, id, idlen)))
			return err_set(err, "malformed wallet fold record");
		/* The fold already happened when the txn that triggered it was replayed (the
		 * live path folds before pushing); here it only has to agree. */
		if (w->nrecent > WALLET_RECENT_MAX - n + 1)
			fold(ws, w, n);
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
		if (w->hidx)
			memset(w->hidx, 0, WALLET_HASH * sizeof(*w->hidx));
		w->balance = w->cp_balance = cp;
		w->cp_count = (uint64_t)count;
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

int wallet_audit(struct wallet_store *ws, uint64_t *wallets, uint64_t *txns, char **err)
{
	*wallets = 0;
	*txns = 0;
	for (size_t i = 0; i < ws->cap; i++) {
		struct wallet *w = ws->tab[i];
		int64_t bal;

		if (!w)
			continue;
		(*wallets)++;
		*txns += w->cp_count + w->nrecent;
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

void wallet_json(const struct wallet *w, struct buf *out)
{
	buf_append_str(out, "{\"wallet\":");
	buf_append_json_str(out, w->id, w->id_len);
	buf_printf(out, ",\"balance\":%lld,\"transactions\":%llu}\n", (long long)w->balance,
		   (unsigned long long)(w->cp_count + w->nrecent));
}

void wallet_history_json(const struct wallet *w, uint64_t offset, uint64_t limit, struct buf *out)
{
	uint64_t total = w->cp_count + w->nrecent;
	uint64_t start = offset < w->cp_count ? w->cp_count : offset;

	buf_append_str(out, "{\"wallet\":");
	buf_append_json_str(out, w->id, w->id_len);
	buf_printf(out,
		   ",\"balance\":%lld,\"total\":%llu,\"offset\":%llu,\"limit\":%llu,"
		   "\"checkpoint\":{\"balance\":%lld,\"transactions\":%llu},\"transactions\":[",
		   (long long)w->balance, (unsigned long long)total, (unsigned long long)offset,
		   (unsigned long long)limit, (long long)w->cp_balance,
		   (unsigned long long)w->cp_count);
	for (uint64_t i = start, n = 0; i < total && n < limit; i++, n++) {
		const struct wallet_txn *t = &w->recent[i - w->cp_count];

		buf_printf(out, "%s{\"index\":%llu,\"txn\":", n ? "," : "", (unsigned long long)i);
		buf_append_json_str(out, t->txn, t->txn_len);
		buf_printf(out, ",\"amount\":%lld,\"balance\":%lld,\"time_ms\":%lld}",
			   (long long)t->amount, (long long)t->balance_after,
			   (long long)t->time_ms);
	}
	buf_append_str(out, "]}\n");
}
