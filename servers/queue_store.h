/* The queue server's state, with no sockets in it: named queues of messages, scheduled delivery,
 * leases, acknowledgements, the key scheme, the journal records that make it durable, recovery
 * from those records, and paging of message bodies to a spill file past a memory bound.
 *
 * Durability is the caller's job, done through one hook: every operation that changes durable
 * state hands its journal record(s) to config.emit before it returns, and the caller must not
 * reply to the client until those records are committed (group commit: fsync, then reply).
 * Recovery feeds every committed record back through qstore_replay() and then calls
 * qstore_recover_finish(), which walks the keys forward from the last counter checkpoint and
 * starts a new incarnation (restart_count + 1).
 *
 * Keys are "node:date:restart_count:counter" (date YYYYMMDD in UTC, at enqueue). The counter
 * grows by one per message across restarts, so it alone identifies a message; the other fields
 * are checked on acknowledgement so a stale or foreign key is reported as unknown. Leases are
 * not journaled: after a restart every unacknowledged message is ready again (at-least-once
 * delivery), and an acknowledged one is never delivered again.
 *
 * Where things are: queue_ops.c (the operations, open and free), queue_records.c (journal
 * records, replay, recovery, snapshot), queue_state.c (messages, queues, heaps, spill file),
 * queue_parse.c (names, leases, times). */
#ifndef BARRAGE_SERVERS_QUEUE_STORE_H
#define BARRAGE_SERVERS_QUEUE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define QSTORE_MAX_NAME		64	    /* queue name bytes: [A-Za-z0-9_.-] */
#define QSTORE_MAX_NODE		32	    /* node name bytes: same alphabet */
#define QSTORE_MAX_BODY		(64 * 1024) /* a message body (its JSON text) */
#define QSTORE_MAX_CLAIM	1000	    /* messages per claim */
#define QSTORE_MAX_ACK		1000	    /* keys per ack */
#define QSTORE_MAX_QUEUES	4096	    /* distinct queue names */
#define QSTORE_CHECKPOINT_EVERY 1000	    /* counter checkpoint period, in messages */
#define QSTORE_KEY_MAX		96	    /* a formatted key, NUL included */
#define QSTORE_MAX_LEASE_MS	(12LL * 3600 * 1000)

/* Journal record types (the journal's type byte; see docs/queue.md for the payloads). */
enum qstore_rec {
	QSTORE_REC_START = 'S',	     /* a new incarnation: restart_count */
	QSTORE_REC_ENQUEUE = 'E',    /* one message */
	QSTORE_REC_ACK = 'A',	     /* messages acknowledged (deleted) */
	QSTORE_REC_CHECKPOINT = 'C', /* the counter, every QSTORE_CHECKPOINT_EVERY messages */
};

/* Called with each journal record an operation produces, in order: its type (enum qstore_rec)
 * and payload. Returns 0, or -1 to fail the operation (reported to the client as a server
 * error). */
typedef int (*qstore_emit_fn)(void *ctx, unsigned type, const void *data, size_t len);

struct qstore_config {
	const char *node;	    /* key prefix; NULL means "n1" */
	const char *spill_path;	    /* file for paged-out bodies; NULL: bodies stay in memory */
	size_t max_memory_messages; /* bodies kept in memory before paging; 0 means no bound */
	size_t max_messages;	    /* live messages before enqueue answers "full"; 0: 10M */
	qstore_emit_fn emit;	    /* NULL: nothing is journaled (tests, fuzzing) */
	void *emit_ctx;
};

/* Per-queue figures for GET /queues/{q}. ready counts due messages (scheduled ones whose time
 * has come are included), leased counts those out with a consumer, scheduled those not due. */
struct qstore_queue_stats {
	uint64_t ready;
	uint64_t leased;
	uint64_t scheduled;
	uint64_t enqueued; /* since start, including recovered */
	uint64_t acked;	   /* since start */
};

/* Whole-store counters for /metrics. Subsets: redelivered <= claimed; spilled counts bodies
 * written to the spill file, spill_reads bodies read back. */
struct qstore_metrics {
	uint64_t live;
	uint64_t in_memory; /* live messages whose body is in memory */
	uint64_t queues;
	uint64_t enqueued;
	uint64_t claimed;
	uint64_t redelivered; /* claims of a message whose earlier lease expired */
	uint64_t acked;
	uint64_t ack_unknown;
	uint64_t spilled;
	uint64_t spill_reads;
	uint64_t spill_bytes; /* current spill file size */
	uint64_t restart_count;
	uint64_t counter;
	/* Recovery figures, set by qstore_recover_finish(). */
	uint64_t recovered_records;
	uint64_t recovered_live;
	uint64_t checkpoint_counter;
	uint64_t walked_keys;
};

struct qstore;

/* Open an empty store (the spill file, when configured, is created or truncated). Recovery
 * follows: qstore_replay for every journal record, then qstore_recover_finish. */
struct qstore *qstore_new(const struct qstore_config *cfg, char **err);
void qstore_free(struct qstore *s);

/* Apply one committed journal record (recovery). A record that does not decode is an error
 * naming what is wrong; the caller decides whether to stop (it should: the journal's CRC
 * already said the bytes are what was written). */
int qstore_replay(struct qstore *s, unsigned type, const void *data, size_t len, char **err);

/* Tell recovery that bytes of journal were cut (a torn tail) or set aside: the counter then
 * resumes past every counter those bytes could have held. */
void qstore_note_lost(struct qstore *s, uint64_t bytes);

/* End of recovery: walk the keys from the last checkpoint forward to find the counter, begin
 * a new incarnation (restart_count grows by one) and emit its START record. Logs one line with
 * what was recovered. */
int qstore_recover_finish(struct qstore *s, char **err);

/* Enqueue a message. body is the message's JSON text (any JSON value). not_before_ms <= now
 * means due at once. Writes the key into key_out (QSTORE_KEY_MAX bytes). Returns 0, -1 on a
 * bad input or internal error (*err says which; *status is the HTTP status to answer). */
int qstore_enqueue(struct qstore *s, const char *q, size_t qlen, const char *body, size_t blen,
		   int64_t not_before_ms, int64_t now_ms, char *key_out, int *status, char **err);

/* Claim up to max due messages for lease_ms; appends {"messages":[...]} to out. */
int qstore_claim(struct qstore *s, const char *q, size_t qlen, unsigned max, int64_t lease_ms,
		 int64_t now_ms, struct buf *out, unsigned *claimed, int *status, char **err);

/* Acknowledge (delete) messages by key; appends {"acked":N,"unknown":[...]} to out. Keys that
 * do not name a live message of this queue are listed as unknown. */
int qstore_ack(struct qstore *s, const char *q, size_t qlen, const char *const *keys,
	       const size_t *klens, size_t n, struct buf *out, unsigned *acked, int *status,
	       char **err);

/* Figures for one queue (zeros for a queue never seen). Promotes due and expired messages. */
void qstore_queue_stats(struct qstore *s, const char *q, size_t qlen, int64_t now_ms,
			struct qstore_queue_stats *st);

void qstore_get_metrics(const struct qstore *s, struct qstore_metrics *m);

/* Write the whole live state as records through emit (a journal compaction): a START with the
 * current restart_count, a CHECKPOINT with the current counter, one ENQUEUE per live message. */
int qstore_snapshot(struct qstore *s, qstore_emit_fn emit, void *ctx, char **err);

/* Helpers the HTTP layer shares. */
int qstore_valid_name(const char *q, size_t len, size_t max);
/* "30s", "250ms", "2m", "1h", "1500us" -> milliseconds (rounded up), bounds 1ms..12h. */
int qstore_parse_lease(const char *s, size_t len, int64_t *ms, char **err);
/* Unix milliseconds, or an ISO 8601 time "2026-11-25T12:00:00Z" (fraction and +HH:MM offset
 * allowed). */
int qstore_parse_time(const char *s, size_t len, int64_t *ms, char **err);

#endif
