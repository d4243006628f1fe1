/* The queue store's journal records (payloads in docs/queue.md): building them, the replay
 * that rebuilds the store at start, the end of recovery (the counter walk and a new
 * incarnation), and the snapshot a compaction writes. */
#include "servers/queue_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "servers/journal.h"
#include "servers/util.h"

/* ---- records ---- */

static int emit_buf(qstore_emit_fn fn, void *ctx, const struct buf *b);

int qrec_emit(struct qstore *s, char **err)
{
	if (!s->cfg.emit)
		return 0;
	if (emit_buf(s->cfg.emit, s->cfg.emit_ctx, &s->rec) < 0)
		return err_set(err, "journal append failed");
	return 0;
}

int qrec_counter(struct buf *b, uint8_t type, uint32_t restart, uint64_t counter)
{
	uint8_t r[13];

	r[0] = type;
	qstate_put_u32(r + 1, restart);
	qstate_put_u64(r + 5, counter);
	buf_reset(b);
	return buf_append(b, r, sizeof(r));
}

int qrec_enqueue(struct buf *b, const struct msg *m, const char *body)
{
	uint8_t h[1 + 4 + 8 + 4 + 8 + 1];
	uint8_t bl[4];
	const struct queue *q = m->queue;

	h[0] = QSTORE_REC_ENQUEUE;
	qstate_put_u32(h + 1, m->restart);
	qstate_put_u64(h + 5, m->counter);
	qstate_put_u32(h + 13, m->date);
	qstate_put_u64(h + 17, (uint64_t)m->not_before);
	h[25] = (uint8_t)q->name_len;
	qstate_put_u32(bl, m->body_len);
	buf_reset(b);
	if (buf_append(b, h, sizeof(h)) < 0 || buf_append(b, q->name, q->name_len) < 0 ||
	    buf_append(b, bl, 4) < 0 || buf_append(b, body, m->body_len) < 0)
		return -1;
	return 0;
}

static void seen_mark(struct qstore *s, uint64_t counter)
{
	uint64_t bit;

	if (counter <= s->ckpt)
		return;
	bit = counter - s->ckpt - 1;
	if (bit >= s->seen_cap) {
		size_t cap = s->seen_cap ? s->seen_cap : 8192;
		uint8_t *p;

		while (cap <= bit)
			cap *= 2;
		p = realloc(s->seen_after, cap / 8);
		if (!p)
			return; /* the walk then stops early; max_seen still bounds the counter */
		memset(p + s->seen_cap / 8, 0, (cap - s->seen_cap) / 8);
		s->seen_after = p;
		s->seen_cap = cap;
	}
	s->seen_after[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static int seen_test(const struct qstore *s, uint64_t counter)
{
	uint64_t bit = counter - s->ckpt - 1;

	return counter > s->ckpt && bit < s->seen_cap &&
	       (s->seen_after[bit / 8] & (1u << (bit % 8)));
}

int qstore_replay(struct qstore *s, unsigned type, const void *data, size_t len, char **err)
{
	/* Lengths below count the type byte, as in the records this file builds; payload offsets
	 * do not. */
	const uint8_t *p = data;

	if (s->finished)
		return err_set(err, "replay after recovery finished");
	if (type > 255)
		return err_set(err, "unknown queue record type %u", type);
	len += 1;
	s->m.recovered_records++;
	switch (type) {
	case QSTORE_REC_START:
	case QSTORE_REC_CHECKPOINT: {
		uint32_t restart;
		uint64_t counter;

		if (len != 13)
			return err_set(err, "queue record '%c': length %zu, expected 12", type,
				       len - 1);
		restart = qstate_get_u32(p);
		counter = qstate_get_u64(p + 4);
		if (restart > s->restart)
			s->restart = restart;
		if (type == QSTORE_REC_CHECKPOINT && counter >= s->ckpt) {
			/* Counters seen before the checkpoint no longer matter to the walk. */
			free(s->seen_after);
			s->seen_after = NULL;
			s->seen_cap = 0;
			s->ckpt = counter;
		}
		if (counter > s->max_seen)
			s->max_seen = counter;
		return 0;
	}
	case QSTORE_REC_ENQUEUE: {
		uint32_t restart, date, blen;
		uint64_t counter;
		int64_t nb;
		size_t qlen;
		struct queue *q;

		if (len < 26)
			return err_set(err, "enqueue record truncated (%zu bytes)", len);
		restart = qstate_get_u32(p);
		counter = qstate_get_u64(p + 4);
		date = qstate_get_u32(p + 12);
		nb = (int64_t)qstate_get_u64(p + 16);
		qlen = p[24];
		if (len < 26 + qlen + 4)
			return err_set(err, "enqueue record %" PRIu64 " truncated", counter);
		blen = qstate_get_u32(p + 25 + qlen);
		if (len != 26 + qlen + 4 + blen || blen > QSTORE_MAX_BODY ||
		    !qstore_valid_name((const char *)p + 25, qlen, QSTORE_MAX_NAME))
			return err_set(err, "enqueue record %" PRIu64 " malformed", counter);
		q = qstate_queue_find(s, (const char *)p + 25, qlen, 1);
		if (!q)
			return err_set(err, "too many queues");
		if (restart > s->restart)
			s->restart = restart;
		if (counter > s->max_seen)
			s->max_seen = counter;
		seen_mark(s, counter);
		s->m.enqueued++;
		return qstate_msg_insert(s, q, restart, counter, date, nb,
					 (const char *)p + 29 + qlen, blen, clock_wall_ms(), err);
	}
	case QSTORE_REC_ACK: {
		uint32_t n, i;

		if (len < 5)
			return err_set(err, "ack record truncated");
		n = qstate_get_u32(p);
		if (n > QSTORE_MAX_ACK || len != 5 + (size_t)n * 8)
			return err_set(err, "ack record malformed (%u keys in %zu bytes)", n, len);
		for (i = 0; i < n; i++) {
			struct msg *m = qstate_msg_find(s, qstate_get_u64(p + 4 + (size_t)i * 8));

			if (m)
				qstate_msg_delete(s, m);
		}
		return 0;
	}
	case JOURNAL_REC_GAP:
		/* fsck --repair set bad bytes aside here: the records in them may have held an
		 * incarnation's START or the highest counters. Skip past both. */
		if (len < 17)
			return err_set(err, "gap record truncated");
		s->lost_bytes += qstate_get_u64(p + 8);
		s->restart++;
		return 0;
	default:
		return err_set(err, "unknown queue record type 0x%02x", type);
	}
}

void qstore_note_lost(struct qstore *s, uint64_t bytes)
{
	s->lost_bytes += bytes;
}

int qstore_recover_finish(struct qstore *s, char **err)
{
	uint64_t c = s->ckpt;

	if (s->finished)
		return 0;
	/* The walk: from the checkpointed counter, each next key that was written moves the
	 * counter on. A gap before the highest counter seen means records went missing between a
	 * checkpoint and a later message: say so, and never hand out a counter twice. */
	while (seen_test(s, c + 1))
		c++;
	s->m.walked_keys = c - s->ckpt;
	if (c < s->max_seen) {
		log_warn("queue: recovery walk stopped at counter %" PRIu64 " but counter %" PRIu64
			 " exists; continuing after it",
			 c, s->max_seen);
		c = s->max_seen;
	}
	if (s->lost_bytes) {
		/* Every lost record took at least one byte, so at most lost_bytes counters were
		 * handed out in records that are gone: never hand any of them out again. */
		if (c < s->max_seen)
			c = s->max_seen;
		log_warn("queue: %" PRIu64 " bytes of records were cut or set aside; counters "
			 "resume past %" PRIu64 " so none is reused",
			 s->lost_bytes, c + s->lost_bytes);
		c += s->lost_bytes;
	}
	s->counter = c;
	s->m.checkpoint_counter = s->ckpt;
	s->m.recovered_live = s->m.live;
	free(s->seen_after);
	s->seen_after = NULL;
	s->seen_cap = 0;
	s->restart++;
	s->finished = 1;
	if (qrec_counter(&s->rec, QSTORE_REC_START, s->restart, s->counter) < 0)
		return err_set(err, "out of memory");
	if (qrec_emit(s, err) < 0)
		return -1;
	log_info("queue: recovered %" PRIu64 " records: %" PRIu64 " unacked messages in %" PRIu64
		 " queues; checkpoint counter %" PRIu64 ", walked %" PRIu64
		 " keys to counter %" PRIu64 "; restart_count %u",
		 s->m.recovered_records, s->m.live, s->m.queues, s->ckpt, s->m.walked_keys,
		 s->counter, s->restart);
	return 0;
}

static int by_counter(const void *a, const void *b)
{
	const struct msg *x = *(const struct msg *const *)a, *y = *(const struct msg *const *)b;

	return x->counter < y->counter ? -1 : x->counter > y->counter;
}

static int emit_buf(qstore_emit_fn fn, void *ctx, const struct buf *b)
{
	return fn(ctx, (uint8_t)b->data[0], b->data + 1, b->len - 1);
}

int qstore_snapshot(struct qstore *s, qstore_emit_fn fn, void *ctx, char **err)
{
	struct buf b;
	struct msg **all = NULL;
	size_t i, n = 0;
	int rc = -1;

	buf_init(&b, 0);
	all = malloc((s->m.live ? s->m.live : 1) * sizeof(*all));
	if (!all)
		goto fail;
	for (i = 0; i < s->tab_size; i++) {
		struct msg *m;

		for (m = s->tab[i]; m; m = m->hnext)
			all[n++] = m;
	}
	/* In counter order, so replay rebuilds the same FIFO order. */
	qsort(all, n, sizeof(*all), by_counter);
	if (qrec_counter(&b, QSTORE_REC_START, s->restart, s->counter) < 0 ||
	    emit_buf(fn, ctx, &b) < 0 ||
	    qrec_counter(&b, QSTORE_REC_CHECKPOINT, s->restart, s->counter) < 0 ||
	    emit_buf(fn, ctx, &b) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *body = qstate_body_of(s, all[i]);

		if (!body || qrec_enqueue(&b, all[i], body) < 0 || emit_buf(fn, ctx, &b) < 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	err_set(err, "queue snapshot failed");
out:
	free(all);
	buf_free(&b);
	return rc;
}
