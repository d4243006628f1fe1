/* The voting service: a second-screen voting backend. Seeded accounts log in (session cookie or
 * bearer token), list candidates, read their credit balance, vote (one credit each, debited
 * through the wallet store, so a vote counts exactly when its debit succeeds), buy credits, and
 * read live results. Journaled in DATA_DIR/voting.journal.
 *
 *   POST /login {"user","password"}   200 {"ok":true,"token":T} + Set-Cookie: sid=T; 401
 *   GET  /candidates                  {"candidates":[{"id":1,"name":"..."},...]}
 *   GET  /balance                     {"balance":N,"user":U}                      (session)
 *   POST /vote {"candidate": ID}      200 {"ok":true,...}; 409 no credit; 404 unknown (session)
 *   POST /credit {"amount","txn"}     200 {"ok":true,"balance":N,"replayed":bool}  (session)
 *   GET  /results[?page=N]            {"results":[{"id","name","votes"}],"total":N}
 *   GET  /audit                       the wallet audit plus the vote tally check
 *
 * A vote is one journal record (VOTING_REC_VOTE: a wallet TXN payload followed by the candidate
 * and a vote sequence number), so a crash can never keep the debit and lose the vote or the
 * reverse. Sessions live in memory only: after a restart users log in again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "servers/http.h"
#include "servers/util.h"
#include "servers/wallet.h"

#define VOTING_REC_VOTE	      16
#define VOTING_REC_TALLY      17
#define VOTING_MAX_CANDIDATES 10000
#define VOTING_MAX_ACCOUNTS   10000000
#define VOTING_TOKEN_LEN      32
#define VOTING_MAX_SESSIONS   ((size_t)1 << 23)

struct session {
	char token[VOTING_TOKEN_LEN + 1]; /* "" = free slot */
	uint32_t user;			  /* 1..accounts */
	int64_t expires_us;
};

struct voting {
	struct wallet_store ws;
	long accounts, candidates;
	int64_t initial;
	int64_t ttl_us;
	uint64_t compact_min;
	uint64_t *votes; /* [candidates] */
	uint64_t total_votes, vote_seq;
	char *candidates_json;
	size_t candidates_len;
	struct session *sess;
	size_t sess_cap, sess_count;
	uint64_t rng[2];
	uint64_t logins, login_failures, rejected_votes, unauthorized;
};

static const char *const names[] = {"Aurora", "Blaze",	"Comet",   "Delta",  "Echo",
				    "Falcon", "Galaxy", "Horizon", "Indigo", "Juniper"};

static uint64_t rnd(struct voting *v)
{
	/* xorshift128+: fast, and tokens only need to be unguessable by accident. */
	uint64_t s1 = v->rng[0];
	const uint64_t s0 = v->rng[1];

	v->rng[0] = s0;
	s1 ^= s1 << 23;
	v->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return v->rng[1] + s0;
}

static uint64_t hash_token(const char *t)
{
	return hash_bytes(t, VOTING_TOKEN_LEN);
}

/* ---- sessions: open addressing by token, expired entries swept before the table grows ---- */

static void sess_put(struct session *tab, size_t cap, const struct session *s)
{
	for (size_t i = hash_token(s->token) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].token[0]) {
			tab[i] = *s;
			return;
		}
}

static int sess_rehash(struct voting *v, size_t cap, int64_t now)
{
	struct session *nt = calloc(cap, sizeof(*nt));
	size_t n = 0;

	if (!nt)
		return -1;
	for (size_t i = 0; i < v->sess_cap; i++)
		if (v->sess[i].token[0] && v->sess[i].expires_us > now) {
			sess_put(nt, cap, &v->sess[i]);
			n++;
		}
	free(v->sess);
	v->sess = nt;
	v->sess_cap = cap;
	v->sess_count = n;
	return 0;
}

static const struct session *sess_new(struct voting *v, uint32_t user, int64_t now)
{
	struct session s;

	if ((v->sess_count + 1) * 2 > v->sess_cap) {
		size_t cap = v->sess_cap ? v->sess_cap : 1024;

		/* Sweep first; grow only when live sessions still fill half the table. */
		if (sess_rehash(v, cap, now) < 0)
			return NULL;
		if ((v->sess_count + 1) * 2 > v->sess_cap) {
			if (cap * 2 > VOTING_MAX_SESSIONS || sess_rehash(v, cap * 2, now) < 0)
				return NULL;
		}
	}
	for (int i = 0; i < VOTING_TOKEN_LEN; i += 16) {
		uint64_t r = rnd(v);

		for (int k = 0; k < 16; k++)
			s.token[i + k] = "0123456789abcdef"[(r >> (4 * k)) & 15];
	}
	s.token[VOTING_TOKEN_LEN] = '\0';
	s.user = user;
	s.expires_us = now + v->ttl_us;
	sess_put(v->sess, v->sess_cap, &s);
	v->sess_count++;
	for (size_t i = hash_token(s.token) & (v->sess_cap - 1);; i = (i + 1) & (v->sess_cap - 1))
		if (memcmp(v->sess[i].token, s.token, VOTING_TOKEN_LEN) == 0)
			return &v->sess[i];
}

/* 1: found (live), 0: none, -1: expired. */
static int sess_find(struct voting *v, const char *tok, size_t len, int64_t now, uint32_t *user)
{
	if (len != VOTING_TOKEN_LEN || v->sess_cap == 0)
		return 0;
	for (size_t i = hash_token(tok) & (v->sess_cap - 1);; i = (i + 1) & (v->sess_cap - 1)) {
		const struct session *s = &v->sess[i];

		if (!s->token[0])
			return 0;
		if (memcmp(s->token, tok, VOTING_TOKEN_LEN) == 0) {
			if (s->expires_us <= now)
				return -1;
			*user = s->user;
			return 1;
		}
	}
}

/* The session's user, or 0 after replying 401. */
static uint32_t authenticate(struct voting *v, const struct srv_request *rq,
			     struct srv_response *rs)
{
	char tok[VOTING_TOKEN_LEN + 8];
	int len = -1, r;
	uint32_t user = 0;

	if (rq->authorization && strncmp(rq->authorization, "Bearer ", 7) == 0) {
		const char *t = rq->authorization + 7;
		size_t n = strlen(t);

		if (n < sizeof(tok)) {
			memcpy(tok, t, n + 1);
			len = (int)n;
		}
	}
	if (len < 0 && rq->cookie)
		len = srv_cookie_get(rq->cookie, "sid", tok, sizeof(tok));
	if (len < 0) {
		v->unauthorized++;
		srv_reply_error(rs, 401, "no session: log in first (cookie sid or Bearer token)");
		return 0;
	}
	r = sess_find(v, tok, (size_t)len, rq->now_us, &user);
	if (r <= 0) {
		v->unauthorized++;
		srv_reply_error(rs, 401,
				r < 0 ? "session expired: log in again" : "unknown session");
		return 0;
	}
	return user;
}

static int user_name(uint32_t user, char *out, size_t size)
{
	return snprintf(out, size, "user%u", user);
}

/* "user123" -> 123 when it is a seeded account, else 0. */
static uint32_t parse_user(struct voting *v, const char *s, size_t len)
{
	unsigned long n = 0;

	if (len < 5 || len > 14 || memcmp(s, "user", 4) != 0 || s[4] == '0')
		return 0;
	for (size_t i = 4; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	return n >= 1 && n <= (unsigned long)v->accounts ? (uint32_t)n : 0;
}

/* ---- handlers ---- */

static void login(struct voting *v, const struct srv_request *rq, struct srv_response *rs)
{
	const struct session *s;
	uint32_t user;
	char name[129], cookie[160];
	int ok = srv_login_check(rq, rs, name, sizeof(name));

	if (ok < 0)
		return;
	user = ok ? parse_user(v, name, strlen(name)) : 0;
	if (!user) {
		v->login_failures++;
		srv_reply_bad_credentials(rs);
		return;
	}
	s = sess_new(v, user, rq->now_us);
	if (!s) {
		srv_reply_error(rs, 503, "too many sessions");
		return;
	}
	v->logins++;
	snprintf(cookie, sizeof(cookie), "sid=%s; Path=/; HttpOnly; Max-Age=%lld", s->token,
		 (long long)(v->ttl_us / 1000000));
	srv_add_header(rs, "Set-Cookie", cookie);
	buf_printf(&rs->body, "{\"ok\":true,\"token\":\"%s\",\"user\":\"user%u\"}\n", s->token,
		   user);
}

static int64_t balance_of(struct voting *v, uint32_t user)
{
	char name[24];
	int n = user_name(user, name, sizeof(name));
	struct wallet *w = wallet_find(&v->ws, name, (size_t)n);

	return w ? w->balance : v->initial;
}

static int snapshot_cb(void *ctx, struct journal *snap, char **err)
{
	struct voting *v = ctx;
	struct buf b;
	int rc;

	buf_init(&b, JOURNAL_MAX_RECORD);
	journal_put_i64(&b, (int64_t)v->vote_seq);
	journal_put_u32(&b, (uint32_t)v->candidates);
	for (long i = 0; i < v->candidates; i++)
		journal_put_i64(&b, (int64_t)v->votes[i]);
	rc = journal_append(snap, VOTING_REC_TALLY, b.data, b.len, err);
	buf_free(&b);
	return rc < 0 ? -1 : wallet_snapshot(&v->ws, snap, err);
}

static void maybe_compact(struct srv *s, struct voting *v)
{
	struct journal_stats st;
	uint64_t live = v->ws.count + v->ws.live_txns;
	char *err = NULL;

	journal_get_stats(s->journal, &st);
	if (st.file_records < v->compact_min || st.file_records < 2 * live)
		return;
	if (journal_compact(s->journal, snapshot_cb, v, &err) < 0) {
		log_error("voting: compaction failed (journal left as it was): %s", err);
		free(err);
		return;
	}
	log_info("voting: compacted the journal to %llu records",
		 (unsigned long long)(1 + v->ws.count + v->ws.live_txns));
}

static void vote(struct srv *s, struct voting *v, uint32_t user, const struct srv_request *rq,
		 struct srv_response *rs)
{
	json_t *body = srv_body_json(rq, rs), *c;
	long long cand = 0;
	char name[24], txn[32];
	uint8_t extra[16];
	struct wallet_result res;
	char *err = NULL;
	int nl, tl;

	if (!body)
		return;
	c = json_object_get(body, "candidate");
	if (json_is_integer(c)) {
		cand = json_integer_value(c);
	} else if (json_is_string(c)) {
		const char *str = json_string_value(c);
		char *end;

		errno = 0;
		cand = strtoll(str, &end, 10);
		if (errno || end == str || *end) {
			srv_reply_error(rs, 400, "candidate: expected a number, got '%.40s'", str);
			goto out;
		}
	} else {
		srv_reply_error(rs, 400, "candidate: expected a number or a numeric string");
		goto out;
	}
	if (cand < 1 || cand > v->candidates) {
		srv_reply_error(rs, 404, "unknown candidate %lld", cand);
		goto out;
	}
	nl = user_name(user, name, sizeof(name));
	tl = snprintf(txn, sizeof(txn), "vote-%llu", (unsigned long long)(v->vote_seq + 1));
	for (int i = 0; i < 8; i++) {
		extra[i] = (uint8_t)((uint64_t)cand >> (8 * i));
		extra[8 + i] = (uint8_t)((v->vote_seq + 1) >> (8 * i));
	}
	if (wallet_apply(&v->ws, s->journal, name, (size_t)nl, txn, (size_t)tl, -1, clock_wall_ms(),
			 VOTING_REC_VOTE, extra, sizeof(extra), &res, &err) < 0)
		log_fatal("voting: journal append failed", err);
	if (res.outcome != WALLET_OK) {
		v->rejected_votes++;
		rs->status = 409;
		buf_printf(&rs->body, "{\"ok\":false,\"error\":\"no credit\",\"balance\":%lld}\n",
			   (long long)res.balance);
		goto out;
	}
	v->vote_seq++;
	v->votes[cand - 1]++;
	v->total_votes++;
	buf_printf(&rs->body, "{\"ok\":true,\"candidate\":%lld,\"balance\":%lld}\n", cand,
		   (long long)res.balance);
	maybe_compact(s, v);
out:
	json_decref(body);
}

static void credit(struct srv *s, struct voting *v, uint32_t user, const struct srv_request *rq,
		   struct srv_response *rs)
{
	json_t *body = srv_body_json(rq, rs), *t, *a;
	char name[24];
	struct wallet_result res;
	char *err = NULL;
	int nl;

	if (!body)
		return;
	t = json_object_get(body, "txn");
	a = json_object_get(body, "amount");
	if (!json_is_string(t) || !wallet_txn_ok(json_string_value(t), json_string_length(t))) {
		srv_reply_error(rs, 400,
				"txn: expected a string of 1 to %d printable characters "
				"without spaces",
				WALLET_TXN_MAX);
		goto out;
	}
	if (strncmp(json_string_value(t), "vote-", 5) == 0) {
		srv_reply_error(rs, 400, "txn: the prefix 'vote-' is reserved");
		goto out;
	}
	if (!json_is_integer(a) || json_integer_value(a) <= 0 ||
	    json_integer_value(a) > WALLET_MAX_AMOUNT) {
		srv_reply_error(rs, 400, "amount: expected an integer from 1 to %lld",
				(long long)WALLET_MAX_AMOUNT);
		goto out;
	}
	nl = user_name(user, name, sizeof(name));
	if (wallet_apply(&v->ws, s->journal, name, (size_t)nl, json_string_value(t),
			 json_string_length(t), (int64_t)json_integer_value(a), clock_wall_ms(),
			 WALLET_REC_TXN, NULL, 0, &res, &err) < 0)
		log_fatal("voting: journal append failed", err);
	if (res.outcome == WALLET_OK || res.outcome == WALLET_REPLAY) {
		buf_printf(&rs->body,
			   "{\"ok\":true,\"amount\":%lld,\"balance\":%lld,\"replayed\":%s}\n",
			   (long long)res.amount, (long long)res.balance,
			   res.outcome == WALLET_REPLAY ? "true" : "false");
		if (res.outcome == WALLET_OK)
			maybe_compact(s, v);
	} else if (res.outcome == WALLET_TXN_CONFLICT) {
		rs->status = 409;
		buf_printf(&rs->body,
			   "{\"ok\":false,\"error\":\"txn already used for a different "
			   "amount\",\"balance\":%lld}\n",
			   (long long)res.balance);
	} else {
		srv_reply_error(rs, 400, "amount: the balance would overflow");
	}
out:
	json_decref(body);
}

static void results(struct voting *v, struct srv_response *rs)
{
	buf_append_str(&rs->body, "{\"results\":[");
	for (long i = 0; i < v->candidates; i++) {
		buf_printf(&rs->body, "%s{\"id\":%ld,\"name\":", i ? "," : "", i + 1);
		if (i < (long)(sizeof(names) / sizeof(names[0])))
			buf_printf(&rs->body, "\"%s\"", names[i]);
		else
			buf_printf(&rs->body, "\"Candidate %ld\"", i + 1);
		buf_printf(&rs->body, ",\"votes\":%llu}", (unsigned long long)v->votes[i]);
	}
	buf_printf(&rs->body, "],\"total\":%llu}\n", (unsigned long long)v->total_votes);
}

static void audit(struct voting *v, struct srv_response *rs)
{
	uint64_t nw, nt, sum = 0;
	char *err = NULL;

	for (long i = 0; i < v->candidates; i++)
		sum += v->votes[i];
	if (wallet_audit(&v->ws, &nw, &nt, &err) < 0 || sum != v->total_votes) {
		rs->status = 500;
		buf_append_str(&rs->body, "{\"ok\":false,\"error\":");
		if (err)
			buf_append_json_str(&rs->body, err, strlen(err));
		else
			buf_append_str(&rs->body, "\"vote tally does not add up\"");
		buf_append_str(&rs->body, "}\n");
		free(err);
		return;
	}
	buf_printf(
	    &rs->body, "{\"ok\":true,\"wallets\":%llu,\"transactions\":%llu,\"votes\":%llu}\n",
	    (unsigned long long)nw, (unsigned long long)nt, (unsigned long long)v->total_votes);
}

static void voting_handle(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	struct voting *v = s->state;
	uint32_t user;

	if (srv_path_is(rq, "/login")) {
		if (rq->method != SRV_POST)
			srv_reply_error(rs, 405, "/login: use POST");
		else
			login(v, rq, rs);
	} else if (srv_path_is(rq, "/candidates")) {
		rs->static_body = v->candidates_json;
		rs->static_len = v->candidates_len;
	} else if (srv_path_is(rq, "/results")) {
		results(v, rs);
	} else if (srv_path_is(rq, "/audit")) {
		audit(v, rs);
	} else if (srv_path_is(rq, "/balance")) {
		if ((user = authenticate(v, rq, rs)))
			buf_printf(&rs->body, "{\"balance\":%lld,\"user\":\"user%u\"}\n",
				   (long long)balance_of(v, user), user);
	} else if (srv_path_is(rq, "/vote") || srv_path_is(rq, "/credit")) {
		if (rq->method != SRV_POST) {
			srv_reply_error(rs, 405, "%s: use POST", rq->path);
			return;
		}
		if (!(user = authenticate(v, rq, rs)))
			return;
		if (rq->path[1] == 'v')
			vote(s, v, user, rq, rs);
		else
			credit(s, v, user, rq, rs);
	} else {
		srv_reply_error(rs, 404, "no route for %.200s", rq->path);
	}
}

/* ---- replay ---- */

static int replay_cb(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	struct voting *v = ctx;
	struct journal_reader r;

	if (type == VOTING_REC_VOTE) {
		int64_t cand, seq;

		journal_reader_init(&r, data, len);
		if (wallet_replay_txn(&v->ws, &r, err) < 0)
			return -1;
		cand = journal_get_i64(&r);
		seq = journal_get_i64(&r);
		if (r.bad || cand < 1 || cand > v->candidates)
			return err_set(err,
				       "vote for candidate %lld, but there are %ld (was "
				       "--candidates changed?)",
				       (long long)cand, v->candidates);
		v->votes[cand - 1]++;
		v->total_votes++;
		if ((uint64_t)seq > v->vote_seq)
			v->vote_seq = (uint64_t)seq;
		return 0;
	}
	if (type == VOTING_REC_TALLY) {
		uint32_t n;

		journal_reader_init(&r, data, len);
		v->vote_seq = (uint64_t)journal_get_i64(&r);
		n = journal_get_u32(&r);
		if (r.bad || n != (uint32_t)v->candidates)
			return err_set(err,
				       "tally of %u candidates, but there are %ld (was "
				       "--candidates changed?)",
				       n, v->candidates);
		v->total_votes = 0;
		for (uint32_t i = 0; i < n; i++) {
			v->votes[i] = (uint64_t)journal_get_i64(&r);
			v->total_votes += v->votes[i];
		}
		return r.bad ? err_set(err, "malformed tally record") : 0;
	}
	return wallet_replay(&v->ws, type, data, len, err);
}

/* ---- setup ---- */

static struct voting *state(struct srv *s)
{
	if (!s->state) {
		struct voting *v = calloc(1, sizeof(*v));

		if (!v)
			return NULL;
		wallet_store_init(&v->ws);
		v->accounts = 1000;
		v->candidates = 5;
		v->initial = 5;
		v->ttl_us = (int64_t)30 * 60 * 1000000;
		v->compact_min = 100000;
		s->state = v;
	}
	return s->state;
}

static int voting_option(struct srv *s, const char *name, const char *value, char **err)
{
	struct voting *v = state(s);
	long n;

	if (!v)
		return err_set(err, "out of memory");
	if (strcmp(name, "accounts") == 0)
		return srv_parse_long(name, value, 1, VOTING_MAX_ACCOUNTS, &v->accounts, err);
	if (strcmp(name, "candidates") == 0)
		return srv_parse_long(name, value, 1, VOTING_MAX_CANDIDATES, &v->candidates, err);
	if (strcmp(name, "initial-credits") == 0) {
		if (srv_parse_long(name, value, 0, 1000000000, &n, err) < 0)
			return -1;
		v->initial = n;
		return 0;
	}
	if (strcmp(name, "compact-min") == 0) {
		if (srv_parse_long(name, value, 1, 1000000000, &n, err) < 0)
			return -1;
		v->compact_min = (uint64_t)n;
		return 0;
	}
	if (strcmp(name, "session-ttl") == 0) {
		char *end;
		double x;
		double mult;

		errno = 0;
		x = strtod(value, &end);
		if (strcmp(end, "ms") == 0)
			mult = 1e3;
		else if (strcmp(end, "s") == 0)
			mult = 1e6;
		else if (strcmp(end, "m") == 0)
			mult = 60e6;
		else if (strcmp(end, "h") == 0)
			mult = 3600e6;
		else
			mult = -1;
		if (errno || end == value || mult < 0 || x <= 0 || x * mult > 86400e6 * 365)
			return err_set(err,
				       "--session-ttl: expected a duration like 30m or 10s, "
				       "got '%s'",
				       value);
		v->ttl_us = (int64_t)(x * mult);
		return 0;
	}
	return err_set(err, "unknown option --%s", name);
}

static int voting_init(struct srv *s, char **err)
{
	struct voting *v = state(s);
	char path[4096];
	struct journal_recovery rec;
	struct buf b;

	if (!v)
		return err_set(err, "out of memory");
	v->ws.initial = v->initial;
	v->votes = calloc((size_t)v->candidates, sizeof(*v->votes));
	if (!v->votes)
		return err_set(err, "out of memory");
	if (getrandom(v->rng, sizeof(v->rng), 0) != (ssize_t)sizeof(v->rng)) {
		v->rng[0] = (uint64_t)clock_mono_us() | 1;
		v->rng[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	}
	buf_init(&b, 0);
	buf_append_str(&b, "{\"candidates\":[");
	for (long i = 0; i < v->candidates; i++) {
		buf_printf(&b, "%s{\"id\":%ld,\"name\":", i ? "," : "", i + 1);
		if (i < (long)(sizeof(names) / sizeof(names[0])))
			buf_printf(&b, "\"%s\"}", names[i]);
		else
			buf_printf(&b, "\"Candidate %ld\"}", i + 1);
	}
	buf_append_str(&b, "]}\n");
	v->candidates_len = b.len;
	v->candidates_json = buf_steal(&b);
	if (!v->candidates_json)
		return err_set(err, "out of memory");
	if (snprintf(path, sizeof(path), "%s/voting.history", s->data_dir) >= (int)sizeof(path))
		return err_set(err, "--data-dir: path too long");
	if (wallet_store_open_history(&v->ws, path, s->sync != JOURNAL_SYNC_NONE, err) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/voting.journal", s->data_dir) >= (int)sizeof(path))
		return err_set(err, "--data-dir: path too long");
	if (journal_open(&s->journal, path, s->sync, replay_cb, v, &rec, err) < 0 ||
	    wallet_store_sync(&v->ws, err) < 0)
		return -1;
	journal_set_precommit(s->journal, wallet_store_sync, &v->ws);
	log_info("voting: %ld accounts (%lld credits each at start), %ld candidates, %llu votes "
		 "after replay",
		 v->accounts, (long long)v->initial, v->candidates,
		 (unsigned long long)v->total_votes);
	return 0;
}

static void voting_metrics(struct srv *s, struct buf *out)
{
	struct voting *v = s->state;

	buf_printf(out, "voting_votes %llu\n", (unsigned long long)v->total_votes);
	buf_printf(out, "voting_rejected_votes %llu\n", (unsigned long long)v->rejected_votes);
	buf_printf(out, "voting_logins %llu\n", (unsigned long long)v->logins);
	buf_printf(out, "voting_login_failures %llu\n", (unsigned long long)v->login_failures);
	buf_printf(out, "voting_unauthorized %llu\n", (unsigned long long)v->unauthorized);
	buf_printf(out, "voting_sessions %llu\n", (unsigned long long)v->sess_count);
	buf_printf(out, "wallet_credits %llu\n", (unsigned long long)v->ws.credits);
	buf_printf(out, "wallet_debits %llu\n", (unsigned long long)v->ws.debits);
	wallet_history_metrics(&v->ws, out);
}

static void voting_fini(struct srv *s)
{
	struct voting *v = s->state;

	journal_close(s->journal);
	s->journal = NULL;
	if (v) {
		wallet_store_free(&v->ws);
		free(v->votes);
		free(v->candidates_json);
		free(v->sess);
		free(v);
	}
	s->state = NULL;
}

static const struct srv_option voting_options[] = {
    {"accounts", 1, "--accounts N          seeded users user1..userN, password pw-userI (1000)"},
    {"initial-credits", 1, "--initial-credits K   credits each account starts with (5)"},
    {"candidates", 1, "--candidates N        candidates 1..N (5)"},
    {"session-ttl", 1, "--session-ttl D       session lifetime (30m)"},
    {"compact-min", 1, "--compact-min N       compact the journal only past N records (100000)"},
    {NULL, 0, NULL},
};

const struct srv_service srv_voting_service = {
    .name = "voting",
    .summary = "voting: login, candidates, balance, vote (debits a credit), credit, results",
    .options = voting_options,
    .option = voting_option,
    .init = voting_init,
    .handle = voting_handle,
    .metrics = voting_metrics,
    .fini = voting_fini,
};
