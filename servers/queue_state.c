/* The queue store's memory (see queue_state.h): the counter table, each queue's ready list and
 * heaps, the spill file, message insert and delete, and the byte-order helpers. */
#include "servers/queue_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdio.h"
#include "common/hash.h"
#include "common/log.h"
#include "servers/journal.h"
#include "servers/util.h"

/* ---- small helpers ---- */

static size_t hash_counter(uint64_t c, size_t size)
{
	c ^= c >> 33;
	c *= 0xff51afd7ed558ccdULL;
	c ^= c >> 33;
	return (size_t)(c & (size - 1));
}

uint32_t qstate_date_of(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return 19700101;
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

void qstate_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void qstate_put_u64(uint8_t *p, uint64_t v)
{
	qstate_put_u32(p, (uint32_t)(v >> 32));
	qstate_put_u32(p + 4, (uint32_t)v);
}

uint32_t qstate_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t qstate_get_u64(const uint8_t *p)
{
	return (uint64_t)qstate_get_u32(p) << 32 | qstate_get_u32(p + 4);
}

/* Parse a decimal number of at most 19 digits; the whole span must be digits. */
int qstate_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* ---- heaps ---- */

static int heap_less(const struct msg *a, const struct msg *b)
{
	return a->due < b->due || (a->due == b->due && a->counter < b->counter);
}

static void heap_set(struct heap *h, size_t i, struct msg *m)
{
	h->v[i] = m;
	m->hidx = i;
}

static void heap_up(struct heap *h, size_t i)
{
	struct msg *m = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(m, h->v[p]))
			break;
		heap_set(h, i, h->v[p]);
		i = p;
	}
	heap_set(h, i, m);
}

static void heap_down(struct heap *h, size_t i)
{
	struct msg *m = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_less(h->v[c + 1], h->v[c]))
			c++;
		if (!heap_less(h->v[c], m))
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, m);
}

int qstate_heap_push(struct heap *h, struct msg *m)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct msg **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n] = m;
	m->hidx = h->n++;
	heap_up(h, m->hidx);
	return 0;
}

static void heap_remove(struct heap *h, struct msg *m)
{
	size_t i = m->hidx;
	struct msg *last = h->v[--h->n];

	if (i == h->n)
		return;
	heap_set(h, i, last);
	if (i > 0 && heap_less(last, h->v[(i - 1) / 2]))
		heap_up(h, i);
	else
		heap_down(h, i);
}

/* ---- queues and messages ---- */

struct queue *qstate_queue_find(struct qstore *s, const char *q, size_t qlen, int create)
{
	size_t i = (size_t)(hash_bytes(q, qlen) & (s->qtab_size - 1));
	struct queue *e;

	for (e = s->qtab[i]; e; e = e->hnext)
		if (e->name_len == qlen && memcmp(e->name, q, qlen) == 0)
			return e;
	if (!create || s->m.queues >= QSTORE_MAX_QUEUES)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->name, q, qlen);
	e->name_len = qlen;
	e->hnext = s->qtab[i];
	s->qtab[i] = e;
	s->m.queues++;
	return e;
}

void qstate_ready_append(struct queue *q, struct msg *m)
{
	m->where = IN_READY;
	m->next = NULL;
	m->prev = q->tail;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->ready++;
}

void qstate_ready_unlink(struct queue *q, struct msg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		q->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		q->tail = m->prev;
	m->prev = m->next = NULL;
	q->ready--;
}

struct msg *qstate_msg_find(struct qstore *s, uint64_t counter)
{
	struct msg *m;

	for (m = s->tab[hash_counter(counter, s->tab_size)]; m; m = m->hnext)
		if (m->counter == counter)
			return m;
	return NULL;
}

static int tab_grow(struct qstore *s)
{
	size_t size = s->tab_size * 2;
	struct msg **tab = calloc(size, sizeof(*tab));
	size_t i;

	if (!tab)
		return -1;
	for (i = 0; i < s->tab_size; i++) {
		struct msg *m = s->tab[i], *next;

		for (; m; m = next) {
			size_t j = hash_counter(m->counter, size);

			next = m->hnext;
			m->hnext = tab[j];
			tab[j] = m;
		}
	}
	free(s->tab);
	s->tab = tab;
	s->tab_size = size;
	return 0;
}

static void tab_remove(struct qstore *s, struct msg *m)
{
	struct msg **pp = &s->tab[hash_counter(m->counter, s->tab_size)];

	while (*pp && *pp != m)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = m->hnext;
}

/* Move scheduled messages whose time has come, and leased ones whose lease ran out, to the
 * ready list. */
void qstate_promote(struct queue *q, int64_t now)
{
	while (q->sched.n > 0 && q->sched.v[0]->due <= now) {
		struct msg *m = q->sched.v[0];

		heap_remove(&q->sched, m);
		qstate_ready_append(q, m);
	}
	while (q->leased.n > 0 && q->leased.v[0]->due <= now) {
		struct msg *m = q->leased.v[0];

		heap_remove(&q->leased, m);
		m->expired = 1;
		qstate_ready_append(q, m);
	}
}

/* Page a body out: append it to the spill file and free the memory. */
static int spill_out(struct qstore *s, struct msg *m)
{
	if (fdio_pwrite_all(s->spill_fd, m->body, m->body_len, (uint64_t)s->spill_size) < 0)
		return -1;
	m->spill_off = s->spill_size;
	s->spill_size += m->body_len;
	free(m->body);
	m->body = NULL;
	s->spilled_live++;
	s->m.spilled++;
	s->m.in_memory--;
	return 0;
}

/* The body of m, from memory or read back from the spill file into s->scratch. */
const char *qstate_body_of(struct qstore *s, struct msg *m)
{
	size_t done = 0;

	if (m->body)
		return m->body;
	buf_reset(&s->scratch);
	if (buf_reserve(&s->scratch, m->body_len) < 0)
		return NULL;
	while (done < m->body_len) {
		ssize_t n = pread(s->spill_fd, s->scratch.data + done, m->body_len - done,
				  m->spill_off + (int64_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		done += (size_t)n;
	}
	s->scratch.len = m->body_len;
	s->m.spill_reads++;
	return s->scratch.data;
}

static void msg_free(struct qstore *s, struct msg *m)
{
	if (m->body) {
		free(m->body);
		s->m.in_memory--;
	} else {
		s->spilled_live--;
		/* Nothing paged out is alive any more: give the disk space back. */
		if (s->spilled_live == 0 && s->spill_fd >= 0 && s->spill_size > 0) {
			if (ftruncate(s->spill_fd, 0) == 0)
				s->spill_size = 0;
		}
	}
	free(m);
}

/* Insert a message (new or replayed). body is copied. */
int qstate_msg_insert(struct qstore *s, struct queue *q, uint32_t restart, uint64_t counter,
		      uint32_t date, int64_t not_before, const char *body, size_t blen, int64_t now,
		      char **err)
{
	struct msg *m;

	if (qstate_msg_find(s, counter))
		return err_set(err, "message counter %" PRIu64 " used twice", counter);
	if (s->m.live >= s->tab_size && tab_grow(s) < 0)
		return err_set(err, "out of memory");
	m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(err, "out of memory");
	m->body = malloc(blen + 1);
	if (!m->body) {
		free(m);
		return err_set(err, "out of memory");
	}
	memcpy(m->body, body, blen);
	m->body[blen] = '\0';
	m->body_len = (uint32_t)blen;
	m->counter = counter;
	m->restart = restart;
	m->date = date;
	m->not_before = not_before;
	m->spill_off = -1;
	m->queue = q;
	s->m.in_memory++;
	if (not_before > now) {
		m->where = IN_SCHED;
		m->due = not_before;
		if (qstate_heap_push(&q->sched, m) < 0) {
			free(m->body);
			free(m);
			s->m.in_memory--;
			return err_set(err, "out of memory");
		}
	} else {
		qstate_ready_append(q, m);
	}
	{
		size_t i = hash_counter(counter, s->tab_size);

		m->hnext = s->tab[i];
		s->tab[i] = m;
	}
	s->m.live++;
	q->enqueued++;
	/* Past the memory bound the newest bodies go to disk: in a FIFO queue they are the ones
	 * needed last. */
	if (s->cfg.max_memory_messages && s->spill_fd >= 0 &&
	    s->m.in_memory > s->cfg.max_memory_messages && spill_out(s, m) < 0)
		log_warn("queue: spill file write failed (%s); keeping the body in memory",
			 strerror(errno));
	return 0;
}

void qstate_msg_delete(struct qstore *s, struct msg *m)
{
	struct queue *q = m->queue;

	switch (m->where) {
	case IN_READY:
		qstate_ready_unlink(q, m);
		break;
	case IN_SCHED:
		heap_remove(&q->sched, m);
		break;
	default:
		heap_remove(&q->leased, m);
		break;
	}
	tab_remove(s, m);
	s->m.live--;
	q->acked++;
	msg_free(s, m);
}
