/* The queue service of barrage-target: an SMS-gateway-style durable message queue over HTTP.
 * This file is the HTTP face only — routes, JSON in and out, options, the journal hookup and
 * compaction; the queue itself (keys, leases, scheduling, recovery, paging to disk) is
 * servers/queue_store.c, which knows nothing of sockets.
 *
 *   POST /queues/{q}/messages  {"body": ANY, "not_before": MS|"ISO time"}  -> 201 {"key"}
 *   POST /queues/{q}/claim?max=N&lease=30s   -> {"messages":[{"key","body","attempts"}]}
 *   POST /queues/{q}/ack       {"keys": [...]}  -> {"acked": N, "unknown": [...]}
 *   GET  /queues/{q}                          -> {"queue","ready","leased","scheduled",...}
 *
 * Every change is appended to the journal by the store (through queue_emit) during the
 * handler; http.c holds the reply until the group commit has made it durable. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "servers/http.h"
#include "servers/journal.h"
#include "servers/queue.h"
#include "servers/queue_store.h"

#define QUEUE_DEFAULT_MAX      10
#define QUEUE_DEFAULT_LEASE_MS 30000
#define QUEUE_PATH_MAX	       4096
/* Compact when the journal holds this many more records than the live state needs. */
#define QUEUE_COMPACT_SLACK 200000

struct queue_state {
	char node[QSTORE_MAX_NODE + 1];
	size_t max_memory;
	uint64_t compact_slack;
	struct qstore *store;
	struct journal *journal;
	char *body; /* a message body's JSON text, QSTORE_MAX_BODY + 1 bytes */
	uint64_t compactions_failed;
};

static const struct srv_option queue_options[] = {
    {"node", 1, "--node NAME                 node name in message keys (n1)"},
    {"compact-slack", 1,
     "--compact-slack N           compact the journal when it holds N records more than twice "
     "the live messages (200000)"},
    {"max-memory-messages", 1,
     "--max-memory-messages N     message bodies kept in memory; the rest page to disk "
     "(100000; 0: no bound)"},
    {NULL, 0, NULL},
};

static struct queue_state *state_of(struct srv *s)
{
	if (!s->state) {
		struct queue_state *st = calloc(1, sizeof(*st));

		if (!st)
			return NULL;
		memcpy(st->node, "n1", 3);
		st->max_memory = 100000;
		st->compact_slack = QUEUE_COMPACT_SLACK;
		s->state = st;
	}
	return s->state;
}

static int queue_option(struct srv *s, const char *name, const char *value, char **err)
{
	struct queue_state *st = state_of(s);

	if (!st)
		return err_set(err, "out of memory");
	if (strcmp(name, "node") == 0) {
		if (!qstore_valid_name(value, strlen(value), QSTORE_MAX_NODE))
			return err_set(err, "--node '%s': 1-%d characters of A-Z a-z 0-9 _ - .",
				       value, QSTORE_MAX_NODE);
		memcpy(st->node, value, strlen(value) + 1);
		return 0;
	}
	if (strcmp(name, "max-memory-messages") == 0 || strcmp(name, "compact-slack") == 0) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || value[0] < '0' || value[0] > '9' ||
		    v > 1000000000ULL)
			return err_set(err, "--%s '%s': expected a count", name, value);
		if (name[0] == 'm')
			st->max_memory = (size_t)v;
		else
			st->compact_slack = v;
		return 0;
	}
	return err_set(err, "unknown queue option --%s", name);
}

static int queue_emit(void *ctx, unsigned type, const void *data, size_t len)
{
	struct queue_state *st = ctx;
	char *err = NULL;

	if (!st->journal)
		return 0;
	if (journal_append(st->journal, type, data, len, &err) < 0) {
		log_error("queue: journal append: %s", err ? err : "failed");
		free(err);
		return -1;
	}
	return 0;
}

static int queue_replay(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	struct queue_state *st = ctx;

	return qstore_replay(st->store, type, data, len, err);
}

static int snap_emit(void *ctx, unsigned type, const void *data, size_t len)
{
	return journal_append(ctx, type, data, len, NULL);
}

static int queue_snapshot(void *ctx, struct journal *snap, char **err)
{
	struct queue_state *st = ctx;

	return qstore_snapshot(st->store, snap_emit, snap, err);
}

static int make_path(char *out, size_t size, const char *dir, const char *name, char **err)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return err_set(err, "--data-dir '%s': path too long", dir);
	return 0;
}

static void queue_fini(struct srv *s)
{
	struct queue_state *st = s->state;

	if (!st)
		return;
	journal_close(st->journal);
	s->journal = NULL;
	qstore_free(st->store);
	free(st->body);
	free(st);
	s->state = NULL;
}

/* On failure everything is freed here (fini is then a no-op), whatever the caller does next. */
static int queue_init(struct srv *s, char **err)
{
	struct queue_state *st = state_of(s);
	char jpath[QUEUE_PATH_MAX], spath[QUEUE_PATH_MAX];
	struct qstore_config cfg;
	struct journal_recovery rec;

	if (!st)
		return err_set(err, "out of memory");
	if (mkdir(s->data_dir, 0700) < 0 && errno != EEXIST) {
		err_set(err, "--data-dir %s: %s", s->data_dir, strerror(errno));
		goto fail;
	}
	if (make_path(jpath, sizeof(jpath), s->data_dir, "queue.journal", err) < 0 ||
	    make_path(spath, sizeof(spath), s->data_dir, "queue.spill", err) < 0)
		goto fail;
	st->body = malloc(QSTORE_MAX_BODY + 1);
	if (!st->body) {
		err_set(err, "out of memory");
		goto fail;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.node = st->node;
	cfg.spill_path = st->max_memory ? spath : NULL;
	cfg.max_memory_messages = st->max_memory;
	cfg.emit = queue_emit;
	cfg.emit_ctx = st;
	st->store = qstore_new(&cfg, err);
	if (!st->store)
		goto fail;
	if (journal_open(&st->journal, jpath, s->sync, queue_replay, st, &rec, err) < 0) {
		st->journal = NULL;
		goto fail;
	}
	qstore_note_lost(st->store, rec.cut_bytes);
	if (qstore_recover_finish(st->store, err) < 0 || journal_commit(st->journal, err) < 0)
		goto fail;
	s->journal = st->journal;
	return 0;
fail:
	queue_fini(s);
	return -1;
}

/* Rewrite the journal as the live state when history has grown well past it, so replay time
 * follows the live set rather than everything ever enqueued. */
static void maybe_compact(struct queue_state *st)
{
	struct journal_stats js;
	struct qstore_metrics m;
	char *err = NULL;

	if (!st->journal)
		return;
	journal_get_stats(st->journal, &js);
	qstore_get_metrics(st->store, &m);
	if (js.file_records < 2 * m.live + st->compact_slack)
		return;
	if (journal_compact(st->journal, queue_snapshot, st, &err) < 0) {
		st->compactions_failed++;
		log_warn("queue: journal compaction failed: %s", err ? err : "?");
		free(err);
	}
}

/* ---- handlers ---- */

static void reply_store_error(struct srv_response *rs, int status, char *err)
{
	srv_reply_error(rs, status, "%s", err ? err : "internal error");
	free(err);
}

static void do_enqueue(struct queue_state *st, const char *q, size_t qlen,
		       const struct srv_request *rq, struct srv_response *rs)
{
	json_t *req = srv_body_json(rq, rs), *body, *nb;
	const char *k;
	json_t *v;
	int64_t not_before = 0, now = clock_wall_ms();
	size_t blen;
	char key[QSTORE_KEY_MAX];
	int status;
	char *err = NULL;

	if (!req)
		return;
	json_object_foreach(req, k, v)
	{
		if (strcmp(k, "body") != 0 && strcmp(k, "not_before") != 0) {
			srv_reply_error(rs, 400,
					"unknown field '%.64s' (expected body, not_before)", k);
			goto out;
		}
	}
	body = json_object_get(req, "body");
	if (!body) {
		srv_reply_error(rs, 400, "missing field 'body'");
		goto out;
	}
	nb = json_object_get(req, "not_before");
	if (nb && json_is_integer(nb)) {
		not_before = json_integer_value(nb);
		if (not_before < 0 || not_before > 253402300799999LL) {
			srv_reply_error(rs, 400, "not_before %" PRId64 ": out of range",
					not_before);
			goto out;
		}
	} else if (nb && json_is_string(nb)) {
		if (qstore_parse_time(json_string_value(nb), json_string_length(nb), &not_before,
				      &err) < 0) {
			reply_store_error(rs, 400, err);
			goto out;
		}
	} else if (nb && !json_is_null(nb)) {
		srv_reply_error(
		    rs, 400, "not_before: expected unix milliseconds or an ISO 8601 time string");
		goto out;
	}
	blen = json_dumpb(body, st->body, QSTORE_MAX_BODY + 1, JSON_COMPACT | JSON_ENCODE_ANY);
	if (blen == 0) {
		srv_reply_error(rs, 400, "body: cannot be encoded");
		goto out;
	}
	if (blen > QSTORE_MAX_BODY) {
		srv_reply_error(rs, 413, "body: more than %d bytes of JSON", QSTORE_MAX_BODY);
		goto out;
	}
	if (qstore_enqueue(st->store, q, qlen, st->body, blen, not_before, now, key, &status,
			   &err) < 0) {
		reply_store_error(rs, status, err);
		goto out;
	}
	rs->status = 201;
	buf_printf(&rs->body, "{\"key\":\"%s\"}\n", key);
	{
		struct qstore_metrics m;

		qstore_get_metrics(st->store, &m);
		if (m.counter % QSTORE_CHECKPOINT_EVERY == 0)
			maybe_compact(st); /* checkpoint time: a good moment to look */
	}
out:
	json_decref(req);
}

/* True when the query names the parameter at all (srv_query_get also says -1 for a value too
 * long for the buffer, which must be an error, not the default). */
static int query_has(const char *query, const char *name)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		if (strncmp(p, name, nl) == 0 && (p[nl] == '=' || p[nl] == '&' || p[nl] == '\0'))
			return 1;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return 0;
}

static void do_claim(struct queue_state *st, const char *q, size_t qlen,
		     const struct srv_request *rq, struct srv_response *rs)
{
	char v[64];
	unsigned max = QUEUE_DEFAULT_MAX, n;
	int64_t lease = QUEUE_DEFAULT_LEASE_MS;
	int status, len;
	char *err = NULL;

	len = srv_query_get(rq->query, "max", v, sizeof(v));
	if (len >= 0 || query_has(rq->query, "max")) {
		unsigned long x = 0;
		int i, ok = len > 0 && len <= 4;

		/* Digits only: strtoul would take "-3", " 3" and "+3". */
		for (i = 0; ok && i < len; i++) {
			ok = v[i] >= '0' && v[i] <= '9';
			x = x * 10 + (unsigned long)(v[i] - '0');
		}
		if (!ok || x < 1 || x > QSTORE_MAX_CLAIM) {
			srv_reply_error(rs, 400,
					"max '%.20s': expected a whole number from 1 to %d",
					len >= 0 ? v : "(too long)", QSTORE_MAX_CLAIM);
			return;
		}
		max = (unsigned)x;
	}
	len = srv_query_get(rq->query, "lease", v, sizeof(v));
	if (len >= 0 || query_has(rq->query, "lease")) {
		if (len < 0 || qstore_parse_lease(v, (size_t)len, &lease, &err) < 0) {
			if (!err)
				err_set(&err, "lease: too long");
			reply_store_error(rs, 400, err);
			return;
		}
	}
	if (qstore_claim(st->store, q, qlen, max, lease, clock_wall_ms(), &rs->body, &n, &status,
			 &err) < 0) {
		reply_store_error(rs, status, err);
		return;
	}
	buf_append_byte(&rs->body, '\n');
}

static void do_ack(struct queue_state *st, const char *q, size_t qlen, const struct srv_request *rq,
		   struct srv_response *rs)
{
	json_t *req = srv_body_json(rq, rs), *keys, *v;
	const char *karr[QSTORE_MAX_ACK];
	size_t lens[QSTORE_MAX_ACK];
	size_t i, n;
	const char *k;
	unsigned acked;
	int status;
	char *err = NULL;

	if (!req)
		return;
	json_object_foreach(req, k, v)
	{
		if (strcmp(k, "keys") != 0) {
			srv_reply_error(rs, 400, "unknown field '%.64s' (expected keys)", k);
			goto out;
		}
	}
	keys = json_object_get(req, "keys");
	if (!json_is_array(keys)) {
		srv_reply_error(rs, 400, "keys: expected an array of message keys");
		goto out;
	}
	n = json_array_size(keys);
	if (n > QSTORE_MAX_ACK) {
		srv_reply_error(rs, 400, "keys: %zu given, at most %d per ack", n, QSTORE_MAX_ACK);
		goto out;
	}
	json_array_foreach(keys, i, v)
	{
		if (!json_is_string(v)) {
			srv_reply_error(rs, 400, "keys[%zu]: expected a string", i);
			goto out;
		}
		karr[i] = json_string_value(v);
		lens[i] = json_string_length(v);
	}
	if (qstore_ack(st->store, q, qlen, karr, lens, n, &rs->body, &acked, &status, &err) < 0) {
		buf_reset(&rs->body);
		reply_store_error(rs, status, err);
		goto out;
	}
	buf_append_byte(&rs->body, '\n');
out:
	json_decref(req);
}

static void do_stats(struct queue_state *st, const char *q, size_t qlen, struct srv_response *rs)
{
	struct qstore_queue_stats qs;

	qstore_queue_stats(st->store, q, qlen, clock_wall_ms(), &qs);
	buf_printf(&rs->body,
		   "{\"queue\":\"%.*s\",\"ready\":%" PRIu64 ",\"leased\":%" PRIu64
		   ",\"scheduled\":%" PRIu64 ",\"enqueued\":%" PRIu64 ",\"acked\":%" PRIu64 "}\n",
		   (int)qlen, q, qs.ready, qs.leased, qs.scheduled, qs.enqueued, qs.acked);
}

static void queue_handle(struct srv *s, const struct srv_request *rq, struct srv_response *rs)
{
	struct queue_state *st = s->state;
	const char *p = rq->path, *end = rq->path + rq->path_len, *q, *slash, *action;
	size_t qlen, alen;

	if (rq->path_len < 8 || memcmp(p, "/queues/", 8) != 0) {
		srv_reply_error(rs, 404, "no route %.*s (try /queues/NAME)",
				(int)(rq->path_len > 200 ? 200 : rq->path_len), p);
		return;
	}
	q = p + 8;
	slash = memchr(q, '/', (size_t)(end - q));
	qlen = (size_t)((slash ? slash : end) - q);
	action = slash ? slash + 1 : end;
	alen = (size_t)(end - action);
	if (!qstore_valid_name(q, qlen, QSTORE_MAX_NAME)) {
		srv_reply_error(rs, 400, "queue name '%.*s': 1-%d characters of A-Z a-z 0-9 _ - .",
				(int)(qlen > 80 ? 80 : qlen), q, QSTORE_MAX_NAME);
		return;
	}
	if (!slash) {
		if (rq->method != SRV_GET && rq->method != SRV_HEAD) {
			srv_add_header(rs, "Allow", "GET");
			srv_reply_error(rs, 405, "%s /queues/{q}: only GET", rq->method_name);
			return;
		}
		do_stats(st, q, qlen, rs);
		return;
	}
#define ACTION_IS(s) (alen == sizeof(s) - 1 && memcmp(action, s, alen) == 0)
	if (!ACTION_IS("messages") && !ACTION_IS("claim") && !ACTION_IS("ack")) {
		srv_reply_error(rs, 404, "no route %.*s (messages, claim and ack exist)",
				(int)(rq->path_len > 200 ? 200 : rq->path_len), p);
		return;
	}
	if (rq->method != SRV_POST) {
		srv_add_header(rs, "Allow", "POST");
		srv_reply_error(rs, 405, "%s %.*s: only POST", rq->method_name,
				(int)(rq->path_len > 200 ? 200 : rq->path_len), p);
		return;
	}
	if (ACTION_IS("messages"))
		do_enqueue(st, q, qlen, rq, rs);
	else if (ACTION_IS("claim"))
		do_claim(st, q, qlen, rq, rs);
	else
		do_ack(st, q, qlen, rq, rs);
#undef ACTION_IS
}

static void queue_metrics(struct srv *s, struct buf *out)
{
	struct queue_state *st = s->state;
	struct qstore_metrics m;

	if (!st || !st->store)
		return;
	qstore_get_metrics(st->store, &m);
	buf_printf(out,
		   "queue_node %s\n"
		   "queue_restart_count %" PRIu64 "\n"
		   "queue_counter %" PRIu64 "\n"
		   "queue_queues %" PRIu64 "\n"
		   "queue_live %" PRIu64 "\n"
		   "queue_in_memory %" PRIu64 "\n"
		   "queue_enqueued %" PRIu64 "\n"
		   "queue_claimed %" PRIu64 "\n"
		   "queue_redelivered %" PRIu64 "\n"
		   "queue_acked %" PRIu64 "\n"
		   "queue_ack_unknown %" PRIu64 "\n"
		   "queue_spilled %" PRIu64 "\n"
		   "queue_spill_reads %" PRIu64 "\n"
		   "queue_spill_bytes %" PRIu64 "\n"
		   "queue_recovered_records %" PRIu64 "\n"
		   "queue_recovered_live %" PRIu64 "\n"
		   "queue_checkpoint_counter %" PRIu64 "\n"
		   "queue_walked_keys %" PRIu64 "\n"
		   "queue_compactions_failed %" PRIu64 "\n",
		   st->node, m.restart_count, m.counter, m.queues, m.live, m.in_memory, m.enqueued,
		   m.claimed, m.redelivered, m.acked, m.ack_unknown, m.spilled, m.spill_reads,
		   m.spill_bytes, m.recovered_records, m.recovered_live, m.checkpoint_counter,
		   m.walked_keys, st->compactions_failed);
}

const struct srv_service srv_queue_service = {
    .name = "queue",
    .summary = "durable message queue: enqueue, scheduled delivery, claim with lease, ack",
    .options = queue_options,
    .threads_ok = 0,
    .option = queue_option,
    .init = queue_init,
    .handle = queue_handle,
    .metrics = queue_metrics,
    .fini = queue_fini,
};
