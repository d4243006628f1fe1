/* What the files of the queue store share (queue_state.c, queue_ops.c, queue_records.c,
 * queue_parse.c): the in-memory model and the helpers over it. The HTTP layer uses
 * queue_store.h only.
 *
 * Each message lives in exactly one place of its queue: the ready list (FIFO, due now), the
 * scheduled heap (ordered by not_before) or the leased heap (ordered by lease expiry). A claim
 * first moves what became due from the two heaps to the ready list, then pops from its head. A
 * hash table on the counter finds a message for an ack. Everything is O(log n) or better per
 * message and nothing allocates per operation beyond the message itself.
 *
 * Bodies past the memory bound go to an append-only spill file; the message keeps its offset
 * and reads the body back (pread) when it is handed out. The spill file is scratch: it is
 * truncated at start (the journal holds every body) and again whenever no spilled message is
 * left alive. */
#ifndef BARRAGE_SERVERS_QUEUE_STATE_H
#define BARRAGE_SERVERS_QUEUE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "servers/queue_store.h"

enum msg_where { IN_READY, IN_SCHED, IN_LEASED };

struct msg {
	uint64_t counter;
	uint32_t restart;
	uint32_t date; /* YYYYMMDD */
	int64_t not_before;
	int64_t due; /* heap key: not_before (scheduled) or lease expiry (leased) */
	struct queue *queue;
	struct msg *hnext;	 /* hash chain */
	struct msg *prev, *next; /* ready list */
	size_t hidx;		 /* index in its heap */
	char *body;		 /* NULL when paged out */
	uint32_t body_len;
	uint32_t attempts;
	int64_t spill_off; /* -1 when never spilled */
	uint8_t where;	   /* enum msg_where */
	uint8_t expired;   /* a lease of it ran out: the next claim is a redelivery */
};

struct heap {
	struct msg **v;
	size_t n, cap;
};

struct queue {
	char name[QSTORE_MAX_NAME + 1];
	size_t name_len;
	struct queue *hnext;
	struct msg *head, *tail; /* ready */
	uint64_t ready;
	struct heap sched, leased;
	uint64_t enqueued, acked;
};

struct qstore {
	char node[QSTORE_MAX_NODE + 1];
	struct qstore_config cfg;
	struct msg **tab; /* by counter */
	size_t tab_size;  /* power of two */
	struct queue **qtab;
	size_t qtab_size;
	uint32_t restart;
	uint64_t counter;    /* last counter handed out */
	uint64_t ckpt;	     /* counter in the last checkpoint replayed */
	uint64_t max_seen;   /* highest counter replayed */
	uint8_t *seen_after; /* during recovery: counters > ckpt seen (bitmap, grown) */
	size_t seen_cap;     /* bits */
	int spill_fd;
	int64_t spill_size;
	uint64_t spilled_live;
	struct buf rec;			    /* scratch for one record */
	struct buf scratch;		    /* scratch for a paged-in body */
	struct msg *ack_ms[QSTORE_MAX_ACK]; /* an ack's messages found, so acks never allocate */
	uint8_t ack_hit[QSTORE_MAX_ACK];
	struct qstore_metrics m;
	int finished;	     /* recovery done */
	uint64_t lost_bytes; /* bytes of records cut or set aside: bounds the counters lost */
};

/* queue_state.c: messages, queues, heaps and the spill file. */

/* The queue named q, or NULL; with create, made when missing (NULL past QSTORE_MAX_QUEUES or
 * out of memory). */
struct queue *qstate_queue_find(struct qstore *s, const char *q, size_t qlen, int create);
int qstate_heap_push(struct heap *h, struct msg *m);
void qstate_ready_append(struct queue *q, struct msg *m);
void qstate_ready_unlink(struct queue *q, struct msg *m);
/* The live message with this counter, or NULL. */
struct msg *qstate_msg_find(struct qstore *s, uint64_t counter);
/* Move what became due (scheduled, or leased past its expiry) to the ready list. */
void qstate_promote(struct queue *q, int64_t now);
/* The message's body, read back from the spill file when it was paged out; NULL on a read
 * error. */
const char *qstate_body_of(struct qstore *s, struct msg *m);
/* Insert a message (new or replayed; body is copied): scheduled when not_before is after now,
 * ready otherwise. Returns 0, or -1 with *err. */
int qstate_msg_insert(struct qstore *s, struct queue *q, uint32_t restart, uint64_t counter,
		      uint32_t date, int64_t not_before, const char *body, size_t blen, int64_t now,
		      char **err);
/* Remove a message from its queue and the table, and free it. */
void qstate_msg_delete(struct qstore *s, struct msg *m);

/* Big-endian integers of the record payloads (docs/queue.md). */
void qstate_put_u32(uint8_t *p, uint32_t v);
void qstate_put_u64(uint8_t *p, uint64_t v);
uint32_t qstate_get_u32(const uint8_t *p);
uint64_t qstate_get_u64(const uint8_t *p);
/* A decimal number of 1 to 19 digits, the whole span; 0 or -1. */
int qstate_parse_u64(const char *s, size_t len, uint64_t *v);
/* YYYYMMDD (UTC) of a Unix time in milliseconds. */
uint32_t qstate_date_of(int64_t ms);

/* queue_records.c: the journal records. */

/* Hand the record in s->rec to the configured emit hook. 0, or -1 with *err. */
int qrec_emit(struct qstore *s, char **err);
/* A START or CHECKPOINT record into b. */
int qrec_counter(struct buf *b, uint8_t type, uint32_t restart, uint64_t counter);
/* An ENQUEUE record of m with its body into b. */
int qrec_enqueue(struct buf *b, const struct msg *m, const char *body);

#endif
