/* Counters and group commit of one event loop (see loop.h and "Group commit" in http.h). */
#include "servers/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "servers/util.h"

#define SRV_HELD_MAX ((size_t)1 << 20)

void loop_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void loop_count(struct srv_thread *t, int status, size_t blen)
{
	loop_counter_add(&t->ctr.requests, 1);
	loop_counter_add(&t->ctr.bytes_out, blen);
	if (status < 300)
		loop_counter_add(&t->ctr.status_2xx, 1);
	else if (status < 400)
		loop_counter_add(&t->ctr.status_3xx, 1);
	else if (status < 500)
		loop_counter_add(&t->ctr.status_4xx, 1);
	else
		loop_counter_add(&t->ctr.status_5xx, 1);
}

void srv_counters_sum(struct srv *s, struct srv_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->nthr; i++) {
		const uint64_t *src = (const uint64_t *)&s->thr[i].ctr;
		uint64_t *dst = (uint64_t *)out;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

static void fatal_journal(struct srv *s, const char *err)
{
	char what[4200];

	snprintf(what, sizeof(what),
		 "journal %s: commit failed, stopping so memory is not ahead of disk",
		 journal_path(s->journal));
	log_fatal(what, err);
}

void loop_flush(struct srv_thread *t)
{
	struct srv *s = t->s;
	struct loop_held *batch;
	size_t n, bcap;
	char *err = NULL;

	t->flush_armed = 0;
	if (s->journal && journal_pending(s->journal)) {
		if (journal_commit(s->journal, &err) < 0)
			fatal_journal(s, err);
		loop_counter_add(&t->ctr.commits, 1);
	}
	/* Replies released now may parse pipelined requests that hold new replies: those go to
	 * the other array and wait for the next commit. Both arrays are kept, so steady state
	 * allocates nothing. */
	batch = t->held;
	n = t->nheld;
	bcap = t->capheld;
	t->held = t->held_spare;
	t->capheld = t->capspare;
	t->nheld = 0;
	t->held_spare = NULL;
	t->capspare = 0;
	for (size_t i = 0; i < n; i++)
		batch[i].release(batch[i].conn);
	if (t->held_spare) {
		free(batch); /* a nested flush already parked an array */
	} else {
		t->held_spare = batch;
		t->capspare = bcap;
	}
}

void loop_flush_cb(int fd, short what, void *arg)
{
	loop_flush(arg);
}

int loop_hold(struct srv_thread *t, const struct loop_held *h)
{
	if (t->nheld == t->capheld) {
		size_t nc = t->capheld ? t->capheld * 2 : 256;
		struct loop_held *nh;

		if (nc > SRV_HELD_MAX)
			return -1;
		nh = realloc(t->held, nc * sizeof(*nh));
		if (!nh)
			return -1;
		t->held = nh;
		t->capheld = nc;
	}
	t->held[t->nheld++] = *h;
	if (!t->flush_armed) {
		t->flush_armed = 1;
		event_active(t->flush_ev, EV_TIMEOUT, 0);
	}
	return 0;
}

int loop_must_hold(struct srv_thread *t)
{
	return t->nheld > 0 || (t->s->journal && journal_pending(t->s->journal));
}
