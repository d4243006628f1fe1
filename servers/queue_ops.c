/* The queue store's operations (see queue_store.h): enqueue, claim with a lease, ack, the
 * per-queue figures and metrics, and opening and freeing a store. Each change hands its
 * journal record to the emit hook before it returns. */
#include "servers/queue_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "servers/journal.h"
#include "servers/util.h"

/* ---- operations ---- */

static int format_key(const struct qstore *s, const struct msg *m, char *out)
{
	int n = snprintf(out, QSTORE_KEY_MAX, "%s:%08u:%u:%" PRIu64, s->node, m->date, m->restart,
			 m->counter);

	return n > 0 && n < QSTORE_KEY_MAX ? n : -1;
}

int qstore_enqueue(struct qstore *s, const char *qn, size_t qlen, const char *body, size_t blen,
		   int64_t not_before_ms, int64_t now_ms, char *key_out, int *status, char **err)
{
	struct queue *q;
	struct msg *m;
	uint64_t counter;

	*status = 400;
	if (!s->finished)
		return err_set(err, "queue is recovering");
	if (!qstore_valid_name(qn, qlen, QSTORE_MAX_NAME))
		return err_set(err, "queue name must be 1-%d characters of A-Z a-z 0-9 _ - .",
			       QSTORE_MAX_NAME);
	if (blen > QSTORE_MAX_BODY) {
		*status = 413;
		return err_set(err, "body is %zu bytes, more than %d", blen, QSTORE_MAX_BODY);
	}
	if (s->m.live >= s->cfg.max_messages) {
		*status = 503;
		return err_set(err, "queue store is full (%zu messages)", s->cfg.max_messages);
	}
	q = qstate_queue_find(s, qn, qlen, 1);
	if (!q) {
		*status = 503;
		return err_set(err, "too many queues (at most %d)", QSTORE_MAX_QUEUES);
	}
	*status = 500;
	counter = s->counter + 1;
	if (qstate_msg_insert(s, q, s->restart, counter, qstate_date_of(now_ms), not_before_ms,
			      body, blen, now_ms, err) < 0)
		return -1;
	s->counter = counter;
	s->m.enqueued++;
	m = qstate_msg_find(s, counter);
	if (qrec_enqueue(&s->rec, m, body) < 0 || qrec_emit(s, err) < 0)
		goto undo;
	if (counter % QSTORE_CHECKPOINT_EVERY == 0) {
		if (qrec_counter(&s->rec, QSTORE_REC_CHECKPOINT, s->restart, counter) < 0 ||
		    qrec_emit(s, err) < 0)
			return -1; /* the message itself is journaled; a later checkpoint will do */
	}
	format_key(s, m, key_out);
	*status = 201;
	return 0;
undo:
	/* Not journaled: it must not be handed out. The counter stays used (harmless gap). */
	qstate_msg_delete(s, m);
	q->acked--;
	if (!*err)
		err_set(err, "out of memory");
	return -1;
}

int qstore_claim(struct qstore *s, const char *qn, size_t qlen, unsigned max, int64_t lease_ms,
		 int64_t now_ms, struct buf *out, unsigned *claimed, int *status, char **err)
{
	struct queue *q;
	unsigned n = 0;

	*claimed = 0;
	*status = 400;
	if (!s->finished)
		return err_set(err, "queue is recovering");
	if (!qstore_valid_name(qn, qlen, QSTORE_MAX_NAME))
		return err_set(err, "queue name must be 1-%d characters of A-Z a-z 0-9 _ - .",
			       QSTORE_MAX_NAME);
	if (max < 1 || max > QSTORE_MAX_CLAIM)
		return err_set(err, "max must be between 1 and %d", QSTORE_MAX_CLAIM);
	if (lease_ms < 1 || lease_ms > QSTORE_MAX_LEASE_MS)
		return err_set(err, "lease must be between 1ms and 12h");
	*status = 500;
	if (buf_append_str(out, "{\"messages\":[") < 0)
		return err_set(err, "response too large");
	q = qstate_queue_find(s, qn, qlen, 0);
	if (q)
		qstate_promote(q, now_ms);
	while (q && n < max && q->head) {
		struct msg *m = q->head;
		const char *body = qstate_body_of(s, m);
		char key[QSTORE_KEY_MAX];

		if (!body)
			return err_set(err, "spill file read failed: %s", strerror(errno));
		format_key(s, m, key);
		if (buf_printf(out, "%s{\"key\":\"%s\",\"body\":", n ? "," : "", key) < 0 ||
		    buf_append(out, body, m->body_len) < 0 ||
		    buf_printf(out, ",\"attempts\":%u}", m->attempts + 1) < 0)
			return err_set(err, "response too large");
		qstate_ready_unlink(q, m);
		m->attempts++;
		if (m->expired) {
			s->m.redelivered++;
			m->expired = 0;
		}
		m->where = IN_LEASED;
		m->due = now_ms + lease_ms;
		if (qstate_heap_push(&q->leased, m) < 0) {
			qstate_ready_append(q, m); /* out of memory: it stays ready */
			return err_set(err, "out of memory");
		}
		n++;
	}
	if (buf_append_str(out, "]}") < 0)
		return err_set(err, "response too large");
	s->m.claimed += n;
	*claimed = n;
	*status = 200;
	return 0;
}

/* Split "node:date:restart:counter" and check every part against the live message. */
static struct msg *key_lookup(struct qstore *s, const struct queue *q, const char *k, size_t len)
{
	const char *c[3];
	size_t i, nc = 0;
	uint64_t date, restart, counter;
	struct msg *m;

	for (i = 0; i < len && nc < 3; i++)
		if (k[i] == ':')
			c[nc++] = k + i;
	if (nc != 3)
		return NULL;
	if ((size_t)(c[0] - k) != strlen(s->node) || memcmp(k, s->node, (size_t)(c[0] - k)) != 0)
		return NULL;
	if (qstate_parse_u64(c[0] + 1, (size_t)(c[1] - c[0] - 1), &date) < 0 ||
	    qstate_parse_u64(c[1] + 1, (size_t)(c[2] - c[1] - 1), &restart) < 0 ||
	    qstate_parse_u64(c[2] + 1, (size_t)(k + len - c[2] - 1), &counter) < 0)
		return NULL;
	m = qstate_msg_find(s, counter);
	if (!m || m->queue != q || m->date != date || m->restart != restart)
		return NULL;
	return m;
}

int qstore_ack(struct qstore *s, const char *qn, size_t qlen, const char *const *keys,
	       const size_t *klens, size_t n, struct buf *out, unsigned *acked, int *status,
	       char **err)
{
	struct queue *q;
	size_t i;
	unsigned found = 0, unknown = 0;
	struct msg **ms = s->ack_ms;
	uint8_t *hit = s->ack_hit;
	int rc = -1;

	*acked = 0;
	*status = 400;
	if (!s->finished)
		return err_set(err, "queue is recovering");
	if (!qstore_valid_name(qn, qlen, QSTORE_MAX_NAME))
		return err_set(err, "queue name must be 1-%d characters of A-Z a-z 0-9 _ - .",
			       QSTORE_MAX_NAME);
	if (n > QSTORE_MAX_ACK)
		return err_set(err, "at most %d keys per ack", QSTORE_MAX_ACK);
	*status = 500;
	q = qstate_queue_find(s, qn, qlen, 0);
	memset(hit, 0, n);
	/* Look everything up first: the record must list exactly what is deleted, and a key given
	 * twice must count once. */
	buf_reset(&s->rec);
	if (buf_append_byte(&s->rec, QSTORE_REC_ACK) < 0 ||
	    buf_append(&s->rec, "\0\0\0\0", 4) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct msg *m = q ? key_lookup(s, q, keys[i], klens[i]) : NULL;
		size_t j;
		uint8_t c[8];

		if (!m)
			continue;
		hit[i] = 1;
		for (j = 0; m && j < found; j++)
			if (ms[j] == m)
				m = NULL;
		if (!m)
			continue;
		ms[found++] = m;
		qstate_put_u64(c, m->counter);
		if (buf_append(&s->rec, c, 8) < 0) {
			err_set(err, "out of memory");
			goto out;
		}
	}
	qstate_put_u32((uint8_t *)s->rec.data + 1, found);
	if (found && qrec_emit(s, err) < 0)
		goto out;
	for (i = 0; i < found; i++)
		qstate_msg_delete(s, ms[i]);
	s->m.acked += found;
	if (buf_printf(out, "{\"acked\":%u,\"unknown\":[", found) < 0)
		goto big;
	for (i = 0; i < n; i++) {
		if (hit[i])
			continue;
		if ((unknown++ && buf_append_byte(out, ',') < 0) ||
		    buf_append_json_str(out, keys[i], klens[i]) < 0)
			goto big;
	}
	if (buf_append_str(out, "]}") < 0)
		goto big;
	s->m.ack_unknown += unknown;
	*acked = found;
	*status = 200;
	rc = 0;
	goto out;
big:
	err_set(err, "response too large");
out:
	return rc;
}

void qstore_queue_stats(struct qstore *s, const char *qn, size_t qlen, int64_t now_ms,
			struct qstore_queue_stats *st)
{
	struct queue *q = qstate_queue_find(s, qn, qlen, 0);

	memset(st, 0, sizeof(*st));
	if (!q)
		return;
	qstate_promote(q, now_ms);
	st->ready = q->ready;
	st->leased = q->leased.n;
	st->scheduled = q->sched.n;
	st->enqueued = q->enqueued;
	st->acked = q->acked;
}

void qstore_get_metrics(const struct qstore *s, struct qstore_metrics *m)
{
	*m = s->m;
	m->restart_count = s->restart;
	m->counter = s->counter;
	m->spill_bytes = (uint64_t)(s->spill_size > 0 ? s->spill_size : 0);
}

struct qstore *qstore_new(const struct qstore_config *cfg, char **err)
{
	struct qstore *s = calloc(1, sizeof(*s));
	const char *node = cfg->node ? cfg->node : "n1";

	if (!s) {
		err_set(err, "out of memory");
		return NULL;
	}
	s->spill_fd = -1;
	buf_init(&s->rec, QSTORE_MAX_BODY + 1024 + QSTORE_MAX_ACK * 8);
	buf_init(&s->scratch, QSTORE_MAX_BODY + 1);
	if (!qstore_valid_name(node, strlen(node), QSTORE_MAX_NODE)) {
		err_set(err, "node name '%s' must be 1-%d characters of A-Z a-z 0-9 _ - .", node,
			QSTORE_MAX_NODE);
		goto fail;
	}
	memcpy(s->node, node, strlen(node) + 1);
	s->cfg = *cfg;
	s->cfg.node = s->node;
	if (!s->cfg.max_messages)
		s->cfg.max_messages = 10000000;
	s->tab_size = 1024;
	s->tab = calloc(s->tab_size, sizeof(*s->tab));
	s->qtab_size = 256;
	s->qtab = calloc(s->qtab_size, sizeof(*s->qtab));
	if (!s->tab || !s->qtab) {
		err_set(err, "out of memory");
		goto fail;
	}
	if (cfg->spill_path) {
		s->spill_fd = open(cfg->spill_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (s->spill_fd < 0) {
			err_set(err, "spill file %s: %s", cfg->spill_path, strerror(errno));
			goto fail;
		}
	}
	s->cfg.spill_path = NULL; /* not kept: the caller owns the string */
	return s;
fail:
	qstore_free(s);
	return NULL;
}

void qstore_free(struct qstore *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->tab && i < s->tab_size; i++) {
		struct msg *m, *next;

		for (m = s->tab[i]; m; m = next) {
			next = m->hnext;
			free(m->body);
			free(m);
		}
	}
	for (i = 0; s->qtab && i < s->qtab_size; i++) {
		struct queue *q, *next;

		for (q = s->qtab[i]; q; q = next) {
			next = q->hnext;
			free(q->sched.v);
			free(q->leased.v);
			free(q);
		}
	}
	free(s->tab);
	free(s->qtab);
	free(s->seen_after);
	if (s->spill_fd >= 0)
		close(s->spill_fd);
	buf_free(&s->rec);
	buf_free(&s->scratch);
	free(s);
}
