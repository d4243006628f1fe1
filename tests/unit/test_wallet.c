/* Unit tests of the wallet store (servers/wallet_store.c) on a real journal: credits, debits,
 * idempotent replays and conflicts, overdraft refusal, folding into checkpoints, and that a
 * replayed journal — plain or compacted — rebuilds exactly the same wallets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "servers/wallet.h"

static char dir[] = "/tmp/test_wallet.XXXXXX";
static char path[64];

static int replay(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	return wallet_replay(ctx, type, data, len, err);
}

static int snap(void *ctx, struct journal *j, char **err)
{
	return wallet_snapshot(ctx, j, err);
}

static void open_store(struct wallet_store *ws, struct journal **j)
{
	char *err = NULL;

	wallet_store_init(ws);
	assert_int_equal(journal_open(j, path, JOURNAL_SYNC_NONE, replay, ws, NULL, &err), 0);
}

static int64_t apply(struct wallet_store *ws, struct journal *j, const char *id, const char *txn,
		     int64_t amount, enum wallet_outcome want)
{
	struct wallet_result r;
	char *err = NULL;

	assert_int_equal(wallet_apply(ws, j, id, strlen(id), txn, strlen(txn), amount, 1000,
				      WALLET_REC_TXN, NULL, 0, &r, &err),
			 0);
	assert_int_equal(r.outcome, want);
	return r.balance;
}

static void same_wallets(struct wallet_store *a, struct wallet_store *b)
{
	uint64_t wa, ta, wb, tb;
	char *err = NULL;

	assert_int_equal(wallet_audit(a, &wa, &ta, &err), 0);
	assert_int_equal(wallet_audit(b, &wb, &tb, &err), 0);
	assert_int_equal(wa, wb);
	assert_int_equal(ta, tb);
	for (size_t i = 0; i < a->cap; i++) {
		struct wallet *x = a->tab[i], *y;

		if (!x)
			continue;
		y = wallet_find(b, x->id, x->id_len);
		assert_non_null(y);
		assert_int_equal(x->balance, y->balance);
		assert_int_equal(x->cp_balance, y->cp_balance);
		assert_int_equal(x->cp_count, y->cp_count);
		assert_int_equal(x->nrecent, y->nrecent);
	}
}

static void test_basics(void **state)
{
	struct wallet_store ws;
	struct journal *j;

	unlink(path);
	open_store(&ws, &j);
	assert_int_equal(apply(&ws, j, "a", "t1", 10, WALLET_OK), 10);
	assert_int_equal(apply(&ws, j, "a", "t1", 10, WALLET_REPLAY), 10);
	assert_int_equal(apply(&ws, j, "a", "t2", -4, WALLET_OK), 6);
	assert_int_equal(apply(&ws, j, "a", "t3", -7, WALLET_INSUFFICIENT), 6);
	assert_int_equal(apply(&ws, j, "a", "t1", -10, WALLET_TXN_CONFLICT), 6);
	assert_int_equal(apply(&ws, j, "nobody", "t1", -1, WALLET_INSUFFICIENT), 0);
	assert_null(wallet_find(&ws, "nobody", 6));
	assert_int_equal(apply(&ws, j, "a", "big", INT64_MAX / 2, WALLET_OVERFLOW), 6);
	assert_true(wallet_id_ok("user-1@x.y:z", 12));
	assert_false(wallet_id_ok("a b", 3));
	assert_false(wallet_id_ok("", 0));
	assert_false(wallet_txn_ok("a\tb", 3));
	journal_close(j);
	wallet_store_free(&ws);
}

/* 2000 transactions over three wallets fold several times; a replay of the journal, and of its
 * compacted form, gives the same state. */
static void test_fold_replay_compact(void **state)
{
	struct wallet_store ws, again, compacted;
	struct journal *j;
	char txn[32], *err = NULL;
	uint64_t w, t;

	unlink(path);
	open_store(&ws, &j);
	for (int i = 0; i < 2000; i++) {
		const char *id = i % 3 == 0 ? "x" : i % 3 == 1 ? "y" : "z";

		snprintf(txn, sizeof(txn), "t%d", i);
		apply(&ws, j, id, txn, i % 4 == 3 ? -1 : 2, WALLET_OK);
	}
	assert_true(ws.folds > 0);
	assert_int_equal(wallet_audit(&ws, &w, &t, &err), 0);
	assert_int_equal(w, 3);
	assert_int_equal(t, 2000);
	/* The most recent txn is still idempotent; an old folded one is not remembered. */
	apply(&ws, j, "y", "t1999", -1, WALLET_REPLAY);
	journal_close(j);

	open_store(&again, &j);
	same_wallets(&ws, &again);
	assert_int_equal(journal_compact(j, snap, &again, &err), 0);
	journal_close(j);

	open_store(&compacted, &j);
	same_wallets(&ws, &compacted);
	apply(&compacted, j, "y", "t1999", -1, WALLET_REPLAY);
	journal_close(j);

	wallet_store_free(&ws);
	wallet_store_free(&again);
	wallet_store_free(&compacted);
}

static char hpath[80], hseg[96];

static void open_hist_store(struct wallet_store *ws, struct journal **j)
{
	char *err = NULL;

	wallet_store_init(ws);
	assert_int_equal(wallet_store_open_history(ws, hpath, 0, &err), 0);
	assert_int_equal(journal_open(j, path, JOURNAL_SYNC_NONE, replay, ws, NULL, &err), 0);
	assert_int_equal(wallet_store_sync(ws, &err), 0);
	journal_set_precommit(*j, wallet_store_sync, ws);
}

/* With history kept: 3000 transactions over two wallets, every txn id ever applied stays
 * idempotent (the original result, or a conflict for another amount), the complete history is
 * listed, and the audit rebuilds every balance from the history on disk; all of it after a plain
 * replay, after a compaction, and after the history of a fold was lost before it reached the
 * disk (rewritten from the journal). A damaged chunk referenced by a snapshot is refused. */
static void test_history(void **state)
{
	struct wallet_store ws, again;
	struct journal *j;
	struct wallet_result r;
	struct buf out;
	char txn[32], *err = NULL;
	uint64_t w, t, read, expect = 3000;
	int64_t bal_x = 0;

	unlink(path);
	unlink(hseg);
	open_hist_store(&ws, &j);
	for (int i = 0; i < 3000; i++) {
		const char *id = i % 2 ? "x" : "y";
		int64_t amt = i % 5 == 4 ? -1 : 3;

		snprintf(txn, sizeof(txn), "t%d", i);
		apply(&ws, j, id, txn, amt, WALLET_OK);
		if (i % 2)
			bal_x += amt;
	}
	assert_int_equal(wallet_find(&ws, "x", 1)->balance, bal_x);
	assert_true(wallet_find(&ws, "x", 1)->nchunks >= 3);
	for (int round = 0; round < 4; round++) {
		struct wallet *x;

		/* The very first txn of x (t1, folded long ago): a replay with its own result. */
		assert_int_equal(wallet_apply(&ws, j, "x", 1, "t1", 2, 3, 1000, WALLET_REC_TXN,
					      NULL, 0, &r, &err),
				 0);
		assert_int_equal(r.outcome, WALLET_REPLAY);
		assert_int_equal(r.index, 0);
		assert_int_equal(r.balance, 3);
		apply(&ws, j, "x", "t1", 4, WALLET_TXN_CONFLICT);
		if (round == 0) {
			apply(&ws, j, "y", "t1", 3, WALLET_OK); /* t1 is x's, not y's: new for y */
			expect++;
		}
		apply(&ws, j, "y", "t1", 3, WALLET_REPLAY);
		assert_int_equal(wallet_audit_history(&ws, &w, &t, &read, &err), 0);
		assert_int_equal(t, expect);
		assert_true(read > 0);
		/* Listing from index 0 returns the first transactions, from the segments. */
		x = wallet_find(&ws, "x", 1);
		buf_init(&out, 0);
		assert_int_equal(wallet_history_json(&ws, x, 0, 2, &out, &err), 0);
		assert_non_null(strstr(out.data, "{\"index\":0,\"txn\":\"t1\",\"amount\":3,"));
		assert_non_null(strstr(out.data, "{\"index\":1,\"txn\":\"t3\""));
		buf_free(&out);
		journal_close(j);
		switch (round) {
		case 0: /* a plain replay */
			break;
		case 1: /* a compaction: chunks named by HIST records */
			open_hist_store(&again, &j);
			assert_int_equal(journal_compact(j, snap, &again, &err), 0);
			journal_close(j);
			wallet_store_free(&again);
			break;
		case 2: /* more writes, then the history segment is lost: rebuilt from the journal
			 */
			open_hist_store(&again, &j);
			for (int i = 3000; i < 3600; i++) {
				snprintf(txn, sizeof(txn), "t%d", i);
				apply(&again, j, "z", txn, 1, WALLET_OK);
			}
			expect += 600;
			journal_close(j);
			wallet_store_free(&again);
			break;
		default:
			break;
		}
		wallet_store_free(&ws);
		if (round == 2) {
			/* The history written after the compaction is lost (a crash before it
			 * reached the disk): the journal still holds those transactions. */
			struct stat sb;

			assert_int_equal(stat(hseg, &sb), 0);
			assert_int_equal(truncate(hseg, sb.st_size - 100), 0);
		}
		open_hist_store(&ws, &j);
		if (round == 2) {
			assert_true(ws.hist_rewritten > 0);
			apply(&ws, j, "z", "t3000", 1, WALLET_REPLAY);
		}
	}
	journal_close(j);
	wallet_store_free(&ws);
	/* A chunk named by a snapshot's HIST record that no longer reads back: refused. */
	open_hist_store(&ws, &j);
	assert_int_equal(journal_compact(j, snap, &ws, &err), 0);
	journal_close(j);
	wallet_store_free(&ws);
	{
		FILE *f = fopen(hseg, "r+b");

		assert_non_null(f);
		assert_int_equal(fseek(f, 40, SEEK_SET), 0);
		assert_int_equal(fputc('!', f), '!');
		fclose(f);
	}
	wallet_store_init(&ws);
	assert_int_equal(wallet_store_open_history(&ws, hpath, 0, &err), 0);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_NONE, replay, &ws, NULL, &err), -1);
	assert_non_null(strstr(err, "history segment 1 is damaged"));
	free(err);
	wallet_store_free(&ws);
	unlink(hseg);
}

/* The journal says a balance the store cannot reach: replay refuses it. */
static void test_replay_refuses_bad_chain(void **state)
{
	struct wallet_store ws;
	struct journal *j;
	struct buf b;
	char *err = NULL;

	unlink(path);
	wallet_store_init(&ws);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_NONE, NULL, NULL, NULL, &err), 0);
	buf_init(&b, 0);
	journal_put_str(&b, "a", 1);
	journal_put_str(&b, "t1", 2);
	journal_put_i64(&b, 5);
	journal_put_i64(&b, 99); /* should be 5 */
	journal_put_i64(&b, 0);
	assert_int_equal(journal_append(j, WALLET_REC_TXN, b.data, b.len, &err), 0);
	journal_close(j);
	buf_free(&b);
	assert_int_equal(journal_open(&j, path, JOURNAL_SYNC_NONE, replay, &ws, NULL, &err), -1);
	assert_non_null(strstr(err, "journal says 99"));
	free(err);
	wallet_store_free(&ws);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/w.journal", dir);
	snprintf(hpath, sizeof(hpath), "%s/w.history", dir);
	snprintf(hseg, sizeof(hseg), "%s.000001", hpath);
	return 0;
}

static int teardown(void **state)
{
	char tmp[80];

	unlink(path);
	unlink(hseg);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basics),
	    cmocka_unit_test(test_fold_replay_compact),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_replay_refuses_bad_chain),
	};

	log_level = LOG_ERROR;
	return cmocka_run_group_tests(tests, setup, teardown);
}
