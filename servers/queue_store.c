/* The queue server's state and its journal records (see queue_store.h).
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
#include "common/clock.h"
#include "common/hash.h"
#include "servers/queue_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "servers/journal.h"

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

/* ---- small helpers ---- */

static size_t hash_counter(uint64_t c, size_t size)
{
	c ^= c >> 33;
	c *= 0xff51afd7ed558ccdULL;
	c ^= c >> 33;
	return (size_t)(c & (size - 1));
}

int qstore_valid_name(const char *q, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		char c = q[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static uint32_t date_of(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return 19700101;
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* Parse a decimal number of at most 19 digits; the whole span must be digits. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
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

int qstore_parse_lease(const char *s, size_t len, int64_t *ms, char **err)
{
	size_t i = 0;
	uint64_t n;
	int64_t us;
	const char *u;
	size_t ul;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || parse_u64(s, i, &n) < 0 || n > 1000000000000ULL)
		return err_set(err, "lease '%.*s': expected a number with a unit (30s, 250ms, 2m)",
			       (int)(len > 40 ? 40 : len), s);
	u = s + i;
	ul = len - i;
	if (ul == 2 && memcmp(u, "us", 2) == 0)
		us = (int64_t)n;
	else if (ul == 2 && memcmp(u, "ms", 2) == 0)
		us = (int64_t)n * 1000;
	else if (ul == 1 && *u == 's')
		us = (int64_t)n * 1000000;
	else if (ul == 1 && *u == 'm')
		us = (int64_t)n * 60000000;
	else if (ul == 1 && *u == 'h')
		us = (int64_t)n * 3600000000LL;
	else
		return err_set(err, "lease '%.*s': unit must be us, ms, s, m or h",
			       (int)(len > 40 ? 40 : len), s);
	if (us < 1000 || us > QSTORE_MAX_LEASE_MS * 1000)
		return err_set(err, "lease '%.*s': must be between 1ms and 12h",
			       (int)(len > 40 ? 40 : len), s);
	*ms = (us + 999) / 1000;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *v)
{
	unsigned x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int qstore_parse_time(const char *s, size_t len, int64_t *ms, char **err)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, t;
	size_t i;
	int sign = 0;

	if (len > 0 && s[0] >= '0' && s[0] <= '9' && len <= 19) {
		uint64_t v;

		if (parse_u64(s, len, &v) == 0) {
			if (v > 253402300799999ULL) /* year 9999 */
				return err_set(err, "not_before %.*s: too far in the future",
					       (int)len, s);
			*ms = (int64_t)v;
			return 0;
		}
	}
	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 ||
	    digits(s + 17, 2, &sec) < 0)
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	i = 19;
	if (i < len && s[i] == '.') {
		int64_t scale = 100;

		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			frac += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
	}
	if (i < len && s[i] == 'Z') {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) < 0 ||
		    digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
			goto bad;
		i += 6;
	} else {
		goto bad; /* a time without a zone would be guessed: refuse it */
	}
	if (i != len)
		goto bad;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
bad:
	return err_set(err,
		       "not_before '%.*s': expected unix milliseconds or an ISO 8601 time such as "
		       "2026-11-25T12:00:00Z",
		       (int)(len > 40 ? 40 : len), s);
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

static int heap_push(struct heap *h, struct msg *m)
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

static struct queue *queue_find(struct qstore *s, const char *q, size_t qlen, int create)
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

static void ready_append(struct queue *q, struct msg *m)
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

static void ready_unlink(struct queue *q, struct msg *m)
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

static struct msg *msg_find(struct qstore *s, uint64_t counter)
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
static void queue_promote(struct queue *q, int64_t now)
{
	while (q->sched.n > 0 && q->sched.v[0]->due <= now) {
		struct msg *m = q->sched.v[0];

		heap_remove(&q->sched, m);
		ready_append(q, m);
	}
	while (q->leased.n > 0 && q->leased.v[0]->due <= now) {
		struct msg *m = q->leased.v[0];

		heap_remove(&q->leased, m);
		m->expired = 1;
		ready_append(q, m);
	}
}

/* Page a body out: append it to the spill file and free the memory. */
static int spill_out(struct qstore *s, struct msg *m)
{
	size_t done = 0;

	while (done < m->body_len) {
		ssize_t n = pwrite(s->spill_fd, m->body + done, m->body_len - done,
				   s->spill_size + (int64_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
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
static const char *body_of(struct qstore *s, struct msg *m)
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
static int msg_insert(struct qstore *s, struct queue *q, uint32_t restart, uint64_t counter,
		      uint32_t date, int64_t not_before, const char *body, size_t blen, int64_t now,
		      char **err)
{
	struct msg *m;

	if (msg_find(s, counter))
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
		if (heap_push(&q->sched, m) < 0) {
			free(m->body);
			free(m);
			s->m.in_memory--;
			return err_set(err, "out of memory");
		}
	} else {
		ready_append(q, m);
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

static void msg_delete(struct qstore *s, struct msg *m)
{
	struct queue *q = m->queue;

	switch (m->where) {
	case IN_READY:
		ready_unlink(q, m);
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

/* ---- records ---- */

static int emit_buf(qstore_emit_fn fn, void *ctx, const struct buf *b);

static int emit(struct qstore *s, char **err)
{
	if (!s->cfg.emit)
		return 0;
	if (emit_buf(s->cfg.emit, s->cfg.emit_ctx, &s->rec) < 0)
		return err_set(err, "journal append failed");
	return 0;
}

static int rec_counter(struct buf *b, uint8_t type, uint32_t restart, uint64_t counter)
{
	uint8_t r[13];

	r[0] = type;
	put_u32(r + 1, restart);
	put_u64(r + 5, counter);
	buf_reset(b);
	return buf_append(b, r, sizeof(r));
}

static int rec_enqueue(struct buf *b, const struct msg *m, const char *body)
{
	uint8_t h[1 + 4 + 8 + 4 + 8 + 1];
	uint8_t bl[4];
	const struct queue *q = m->queue;

	h[0] = QSTORE_REC_ENQUEUE;
	put_u32(h + 1, m->restart);
	put_u64(h + 5, m->counter);
	put_u32(h + 13, m->date);
	put_u64(h + 17, (uint64_t)m->not_before);
	h[25] = (uint8_t)q->name_len;
	put_u32(bl, m->body_len);
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
		restart = get_u32(p);
		counter = get_u64(p + 4);
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
		restart = get_u32(p);
		counter = get_u64(p + 4);
		date = get_u32(p + 12);
		nb = (int64_t)get_u64(p + 16);
		qlen = p[24];
		if (len < 26 + qlen + 4)
			return err_set(err, "enqueue record %" PRIu64 " truncated", counter);
		blen = get_u32(p + 25 + qlen);
		if (len != 26 + qlen + 4 + blen || blen > QSTORE_MAX_BODY ||
		    !qstore_valid_name((const char *)p + 25, qlen, QSTORE_MAX_NAME))
			return err_set(err, "enqueue record %" PRIu64 " malformed", counter);
		q = queue_find(s, (const char *)p + 25, qlen, 1);
		if (!q)
			return err_set(err, "too many queues");
		if (restart > s->restart)
			s->restart = restart;
		if (counter > s->max_seen)
			s->max_seen = counter;
		seen_mark(s, counter);
		s->m.enqueued++;
		return msg_insert(s, q, restart, counter, date, nb, (const char *)p + 29 + qlen,
				  blen, clock_wall_ms(), err);
	}
	case QSTORE_REC_ACK: {
		uint32_t n, i;

		if (len < 5)
			return err_set(err, "ack record truncated");
		n = get_u32(p);
		if (n > QSTORE_MAX_ACK || len != 5 + (size_t)n * 8)
			return err_set(err, "ack record malformed (%u keys in %zu bytes)", n, len);
		for (i = 0; i < n; i++) {
			struct msg *m = msg_find(s, get_u64(p + 4 + (size_t)i * 8));

			if (m)
				msg_delete(s, m);
		}
		return 0;
	}
	case JOURNAL_REC_GAP:
		/* fsck --repair set bad bytes aside here: the records in them may have held an
		 * incarnation's START or the highest counters. Skip past both. */
		if (len < 17)
			return err_set(err, "gap record truncated");
		s->lost_bytes += get_u64(p + 8);
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
	if (rec_counter(&s->rec, QSTORE_REC_START, s->restart, s->counter) < 0)
		return err_set(err, "out of memory");
	if (emit(s, err) < 0)
		return -1;
	log_info("queue: recovered %" PRIu64 " records: %" PRIu64 " unacked messages in %" PRIu64
		 " queues; checkpoint counter %" PRIu64 ", walked %" PRIu64
		 " keys to counter %" PRIu64 "; restart_count %u",
		 s->m.recovered_records, s->m.live, s->m.queues, s->ckpt, s->m.walked_keys,
		 s->counter, s->restart);
	return 0;
}

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
	q = queue_find(s, qn, qlen, 1);
	if (!q) {
		*status = 503;
		return err_set(err, "too many queues (at most %d)", QSTORE_MAX_QUEUES);
	}
	*status = 500;
	counter = s->counter + 1;
	if (msg_insert(s, q, s->restart, counter, date_of(now_ms), not_before_ms, body, blen,
		       now_ms, err) < 0)
		return -1;
	s->counter = counter;
	s->m.enqueued++;
	m = msg_find(s, counter);
	if (rec_enqueue(&s->rec, m, body) < 0 || emit(s, err) < 0)
		goto undo;
	if (counter % QSTORE_CHECKPOINT_EVERY == 0) {
		if (rec_counter(&s->rec, QSTORE_REC_CHECKPOINT, s->restart, counter) < 0 ||
		    emit(s, err) < 0)
			return -1; /* the message itself is journaled; a later checkpoint will do */
	}
	format_key(s, m, key_out);
	*status = 201;
	return 0;
undo:
	/* Not journaled: it must not be handed out. The counter stays used (harmless gap). */
	msg_delete(s, m);
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
	q = queue_find(s, qn, qlen, 0);
	if (q)
		queue_promote(q, now_ms);
	while (q && n < max && q->head) {
		struct msg *m = q->head;
		const char *body = body_of(s, m);
		char key[QSTORE_KEY_MAX];

		if (!body)
			return err_set(err, "spill file read failed: %s", strerror(errno));
		format_key(s, m, key);
		if (buf_printf(out, "%s{\"key\":\"%s\",\"body\":", n ? "," : "", key) < 0 ||
		    buf_append(out, body, m->body_len) < 0 ||
		    buf_printf(out, ",\"attempts\":%u}", m->attempts + 1) < 0)
			return err_set(err, "response too large");
		ready_unlink(q, m);
		m->attempts++;
		if (m->expired) {
			s->m.redelivered++;
			m->expired = 0;
		}
		m->where = IN_LEASED;
		m->due = now_ms + lease_ms;
		if (heap_push(&q->leased, m) < 0) {
			ready_append(q, m); /* out of memory: it stays ready */
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
	if (parse_u64(c[0] + 1, (size_t)(c[1] - c[0] - 1), &date) < 0 ||
	    parse_u64(c[1] + 1, (size_t)(c[2] - c[1] - 1), &restart) < 0 ||
	    parse_u64(c[2] + 1, (size_t)(k + len - c[2] - 1), &counter) < 0)
		return NULL;
	m = msg_find(s, counter);
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
	q = queue_find(s, qn, qlen, 0);
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
		put_u64(c, m->counter);
		if (buf_append(&s->rec, c, 8) < 0) {
			err_set(err, "out of memory");
			goto out;
		}
	}
	put_u32((uint8_t *)s->rec.data + 1, found);
	if (found && emit(s, err) < 0)
		goto out;
	for (i = 0; i < found; i++)
		msg_delete(s, ms[i]);
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
	struct queue *q = queue_find(s, qn, qlen, 0);

	memset(st, 0, sizeof(*st));
	if (!q)
		return;
	queue_promote(q, now_ms);
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
	if (rec_counter(&b, QSTORE_REC_START, s->restart, s->counter) < 0 ||
	    emit_buf(fn, ctx, &b) < 0 ||
	    rec_counter(&b, QSTORE_REC_CHECKPOINT, s->restart, s->counter) < 0 ||
	    emit_buf(fn, ctx, &b) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *body = body_of(s, all[i]);

		if (!body || rec_enqueue(&b, all[i], body) < 0 || emit_buf(fn, ctx, &b) < 0)
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
