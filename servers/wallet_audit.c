/* The wallet store's audit (/audit): every balance rebuilt from the initial balance through
 * every history chunk on disk, the checkpoint and the recent transactions, and compared with
 * what the store holds. */
#include "servers/wallet_store.h"

#include "common/err.h"

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
				if (wallet_chunks_read(ws, w, c, err) < 0 ||
				    wallet_chunks_walk(ws, w, c, rebuild_one, &rb, err) < 0)
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
