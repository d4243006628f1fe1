/* The wallet service: the wallet store (wallet_store.c) over HTTP, journaled in
 * DATA_DIR/wallet.journal.
 *
 *   POST /wallets/{id}/credit  {"txn": "...", "amount": N}   200, or 409 on a txn conflict
 *   POST /wallets/{id}/debit   {"txn": "...", "amount": N}   200, or 409 {"error","balance"}
 *   GET  /wallets/{id}                                       {"wallet","balance","transactions"}
 *   GET  /wallets/{id}/transactions?offset=&limit=           the history, paged
 *   GET  /audit                                              {"ok","wallets","transactions"}
 *
 * A replayed txn returns the original result with "replayed": true. The journal is compacted
 * when it holds more than twice the live records (and at least --compact-min records). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "servers/http.h"
#include "servers/wallet.h"

struct wallet_srv {
	struct wallet_store ws;
	uint64_t compact_min;
};

/* Parse {"txn": string, "amount": positive integer}; fills rs with a 400 and returns -1 when
 * the body is wrong. */
static int parse_body(const struct srv_request *rq, struct srv_response *rs, char *txn,
		      size_t *txnlen, int64_t *amount)
{
	json_t *body = srv_body_json(rq, rs), *t, *a;
	int rc = -1;

	if (!body)
		return -1;
	t = json_object_get(body, "txn");
	a = json_object_get(body, "amount");
	if (!json_is_string(t)) {
		srv_reply_error(rs, 400, "txn: expected a string");
		goto out;
	}
	if (!wallet_txn_ok(json_string_value(t), json_string_length(t))) {
		srv_reply_error(rs, 400,
				"txn: expected 1 to %d printable characters without spaces",
				WALLET_TXN_MAX);
		goto out;
	}
	if (!json_is_integer(a)) {
		srv_reply_error(rs, 400, "amount: expected an integer");
		goto out;
	}
	if (json_integer_value(a) <= 0 || json_integer_value(a) > WALLET_MAX_AMOUNT) {
		srv_reply_error(rs, 400, "amount: expected 1 to %lld, got %lld",
				(long long)WALLET_MAX_AMOUNT, (long long)json_integer_value(a));
		goto out;
	}
	*txnlen = json_string_length(t);
	memcpy(txn, json_string_value(t), *txnlen);
	txn[*txnlen] = '\0';
	*amount = (int64_t)json_integer_value(a);
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int snapshot_cb(void *ctx, struct journal *snap, char **err)
{
	return wallet_snapshot(ctx, snap, err);
}

static void maybe_compact(struct srv *s, struct wallet_srv *w)
{
	struct journal_stats st;
	uint64_t live;
	char *err = NULL;

	journal_get_stats(s->journal, &st);
	live = w->ws.count + w->ws.live_txns;
	if (st.file_records < w->compact_min || st.file_records < 2 * live)
		return;
	if (journal_compact(s->journal, snapshot_cb, &w->ws, &err) < 0) {
		log_error("wallet: compaction failed (journal left as it was): %s", err);
		free(err);
		return;
	}
	log_info("wallet: compacted the journal to %llu records (%llu wallets)",
		 (unsigned long long)(w->ws.count + w->ws.live_txns),
		 (unsigned long long)w->ws.count);
}

static void move(struct srv *s, struct wallet_srv *w, const char *id, size_t idlen,
		 const struct srv_request *rq, struct srv_response *rs, int debit)
{
	char txn[WALLET_TXN_MAX + 1];
	size_t txnlen;
	int64_t amount;
	struct wallet_result res;
	char *err = NULL;

	if (parse_body(rq, rs, txn, &txnlen, &amount) < 0)
		return;
	if (wallet_apply(&w->ws, s->journal, id, idlen, txn, txnlen, debit ? -amount : amount,
			 clock_wall_ms(), WALLET_REC_TXN, NULL, 0, &res, &err) < 0)
		log_fatal("wallet: journal append failed", err);
	switch (res.outcome) {
	case WALLET_OK:
	case WALLET_REPLAY:
		buf_append_str(&rs->body, "{\"ok\":true,\"wallet\":");
		buf_append_json_str(&rs->body, id, idlen);
		buf_append_str(&rs->body, ",\"txn\":");
		buf_append_json_str(&rs->body, txn, txnlen);
		buf_printf(&rs->body,
			   ",\"amount\":%lld,\"balance\":%lld,\"index\":%llu,"
			   "\"replayed\":%s}\n",
			   (long long)(res.amount < 0 ? -res.amount : res.amount),
			   (long long)res.balance, (unsigned long long)res.index,
			   res.outcome == WALLET_REPLAY ? "true" : "false");
		if (res.outcome == WALLET_OK)
			maybe_compact(s, w);
		break;
	case WALLET_INSUFFICIENT:
		rs->status = 409;
		buf_printf(&rs->body, "{\"error\":\"insufficient balance\",\"balance\":%lld}\n",
			   (long long)res.balance);
		break;
	case WALLET_TXN_CONFLICT:
		rs->status = 409;
		buf_printf(&rs->body,
			   "{\"error\":\"txn already used for a different amount or direction\","
			   "\"balance\":%lld}\n",
			   (long long)res.balance);
		break;
	case WALLET_OVERFLOW:
		srv_reply_error(rs, 400, "amount: the balance would overflow");
		break;
	}
}

static int parse_u64(const char *query, const char *name, uint64_t def, uint64_t max, uint64_t *out,
		     struct srv_response *rs)
{
	char v[32];
	char *end;
	unsigned long long x;

	if (srv_query_get(query, name, v, sizeof(v)) < 0) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x > max) {
		srv_reply_error(rs, 400, "%s: expected an integer from 0 to %llu", name,
				(unsigned long long)max);
		return -1;
	}
	*out = x;
	return 0;
}

static void wallet_handle(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	struct wallet_srv *w = s->state;
	const char *p = rq->path, *id, *slash, *rest;
	size_t idlen;

	if (srv_path_is(rq, "/audit")) {
		uint64_t nw, nt, hread;
		char *err = NULL;

		if (rq->method != SRV_GET) {
			srv_reply_error(rs, 405, "/audit: use GET");
			return;
		}
		if (wallet_audit_history(&w->ws, &nw, &nt, &hread, &err) < 0) {
			rs->status = 500;
			buf_append_str(&rs->body, "{\"ok\":false,\"error\":");
			buf_append_json_str(&rs->body, err, strlen(err));
			buf_append_str(&rs->body, "}\n");
			free(err);
			return;
		}
		buf_printf(&rs->body,
			   "{\"ok\":true,\"wallets\":%llu,\"transactions\":%llu,"
			   "\"rebuilt_from_history\":true,\"history_bytes_read\":%llu}\n",
			   (unsigned long long)nw, (unsigned long long)nt,
			   (unsigned long long)hread);
		return;
	}
	if (strncmp(p, "/wallets/", 9) != 0) {
		srv_reply_error(rs, 404, "no route for %.200s", p);
		return;
	}
	id = p + 9;
	slash = strchr(id, '/');
	idlen = slash ? (size_t)(slash - id) : strlen(id);
	rest = slash ? slash : "";
	if (!wallet_id_ok(id, idlen)) {
		srv_reply_error(rs, 400, "wallet id: expected 1 to %d of A-Z a-z 0-9 _ . : @ -",
				WALLET_ID_MAX);
		return;
	}
	if (strcmp(rest, "/credit") == 0 || strcmp(rest, "/debit") == 0) {
		if (rq->method != SRV_POST) {
			srv_reply_error(rs, 405, "%s: use POST", rest);
			return;
		}
		move(s, w, id, idlen, rq, rs, rest[1] == 'd');
		return;
	}
	if (strcmp(rest, "") == 0 || strcmp(rest, "/transactions") == 0) {
		struct wallet *wl;
		uint64_t offset, limit;
		char *err = NULL;

		if (rq->method != SRV_GET && rq->method != SRV_HEAD) {
			srv_reply_error(rs, 405, "use GET");
			return;
		}
		wl = wallet_find(&w->ws, id, idlen);
		if (!wl) {
			srv_reply_error(rs, 404, "unknown wallet %.*s", (int)idlen, id);
			return;
		}
		if (rest[0] == '\0') {
			wallet_json(wl, &rs->body);
			return;
		}
		if (parse_u64(rq->query, "offset", 0, UINT64_MAX / 2, &offset, rs) < 0 ||
		    parse_u64(rq->query, "limit", 100, 1000, &limit, rs) < 0)
			return;
		if (wallet_history_json(&w->ws, wl, offset, limit, &rs->body, &err) < 0) {
			srv_reply_error(rs, 500, "%s", err);
			free(err);
		}
		return;
	}
	srv_reply_error(rs, 404, "no route for %.200s", p);
}

static int replay_cb(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	return wallet_replay(ctx, type, data, len, err);
}

static struct wallet_srv *state(struct srv *s)
{
	if (!s->state) {
		struct wallet_srv *w = calloc(1, sizeof(*w));

		if (!w)
			return NULL;
		wallet_store_init(&w->ws);
		w->compact_min = 100000;
		s->state = w;
	}
	return s->state;
}

static int wallet_option(struct srv *s, const char *name, const char *value, char **err)
{
	struct wallet_srv *w = state(s);
	char *end;
	unsigned long long n;

	if (!w)
		return err_set(err, "out of memory");
	if (strcmp(name, "compact-min") == 0) {
		errno = 0;
		n = strtoull(value, &end, 10);
		if (errno || end == value || *end || value[0] == '-' || n < 1)
			return err_set(err, "--compact-min: expected a positive count, got '%s'",
				       value);
		w->compact_min = n;
		return 0;
	}
	return err_set(err, "unknown option --%s", name);
}

static int wallet_init(struct srv *s, char **err)
{
	struct wallet_srv *w = state(s);
	char path[4096];
	struct journal_recovery rec;

	if (!w)
		return err_set(err, "out of memory");
	if (snprintf(path, sizeof(path), "%s/wallet.history", s->data_dir) >= (int)sizeof(path))
		return err_set(err, "--data-dir: path too long");
	if (wallet_store_open_history(&w->ws, path, s->sync != JOURNAL_SYNC_NONE, err) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/wallet.journal", s->data_dir) >= (int)sizeof(path))
		return err_set(err, "--data-dir: path too long");
	if (journal_open(&s->journal, path, s->sync, replay_cb, &w->ws, &rec, err) < 0 ||
	    wallet_store_sync(&w->ws, err) < 0)
		return -1;
	journal_set_precommit(s->journal, wallet_store_sync, &w->ws);
	if (w->ws.hist_rewritten)
		log_warn(
		    "wallet: %llu history chunk(s) were missing or stale and were written again "
		    "from the journal",
		    (unsigned long long)w->ws.hist_rewritten);
	log_info("wallet: %llu wallets, %llu recent transactions after replay",
		 (unsigned long long)w->ws.count, (unsigned long long)w->ws.live_txns);
	if (w->ws.rebased)
		log_warn(
		    "wallet: %llu running balance(s) after a repaired gap were recomputed from "
		    "the amounts that remain",
		    (unsigned long long)w->ws.rebased);
	return 0;
}

static void wallet_metrics(struct srv *s, struct buf *out)
{
	struct wallet_srv *w = s->state;

	buf_printf(out, "wallets %llu\n", (unsigned long long)w->ws.count);
	buf_printf(out, "wallet_credits %llu\n", (unsigned long long)w->ws.credits);
	buf_printf(out, "wallet_debits %llu\n", (unsigned long long)w->ws.debits);
	buf_printf(out, "wallet_rejected %llu\n", (unsigned long long)w->ws.rejected);
	buf_printf(out, "wallet_replays %llu\n", (unsigned long long)w->ws.replays);
	buf_printf(out, "wallet_folds %llu\n", (unsigned long long)w->ws.folds);
	wallet_history_metrics(&w->ws, out);
}

static void wallet_fini(struct srv *s)
{
	struct wallet_srv *w = s->state;

	journal_close(s->journal);
	s->journal = NULL;
	if (w) {
		wallet_store_free(&w->ws);
		free(w);
	}
	s->state = NULL;
}

static const struct srv_option wallet_options[] = {
    {"compact-min", 1, "--compact-min N       compact the journal only past N records (100000)"},
    {NULL, 0, NULL},
};

const struct srv_service srv_wallet_service = {
    .name = "wallet",
    .summary = "credit balances with idempotent credits/debits, history and audit",
    .options = wallet_options,
    .option = wallet_option,
    .init = wallet_init,
    .handle = wallet_handle,
    .metrics = wallet_metrics,
    .fini = wallet_fini,
};
