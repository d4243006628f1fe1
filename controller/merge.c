/* Merging agents' intervals (see merge.h).
 *
 * Open indexes live in an array sorted by index; a run has a handful open at a time (agents
 * drift by at most an interval or two before they are declared lost), so linear scans are the
 * simple and fast choice. Each open index remembers which agents contributed, which is what
 * decides when it may be written: all live agents either sent it or sent a later index (frames
 * arrive in order on each link, so an agent past index i will never send i). */
#include "controller/merge.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct merge_open {
	uint32_t index;
	struct stats_snapshot *snap; /* the merge so far */
	bool *sent;		     /* per agent */
};

struct merge {
	size_t nagents;
	bool *live;    /* per agent: may still send */
	int64_t *last; /* per agent: highest index sent, -1 = none yet */
	struct merge_open *open;
	size_t nopen, open_cap;
	uint32_t next; /* lowest index not yet written */
	uint64_t received, late;
	merge_emit_fn *emit;
	void *arg;
};

struct merge *merge_new(size_t nagents, merge_emit_fn *emit, void *arg)
{
	struct merge *m = calloc(1, sizeof(*m));
	size_t i;

	if (!m)
		return NULL;
	m->nagents = nagents;
	m->emit = emit;
	m->arg = arg;
	m->live = calloc(nagents ? nagents : 1, sizeof(*m->live));
	m->last = calloc(nagents ? nagents : 1, sizeof(*m->last));
	if (!m->live || !m->last) {
		merge_free(m);
		return NULL;
	}
	for (i = 0; i < nagents; i++) {
		m->live[i] = true;
		m->last[i] = -1;
	}
	return m;
}

static void open_release(struct merge_open *o)
{
	stats_free(o->snap);
	o->snap = NULL;
	free(o->sent);
	o->sent = NULL;
}

void merge_free(struct merge *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nopen; i++)
		open_release(&m->open[i]);
	free(m->open);
	free(m->live);
	free(m->last);
	free(m);
}

/* Write out the lowest open index and drop it. */
static void emit_first(struct merge *m)
{
	struct merge_open o = m->open[0];

	memmove(&m->open[0], &m->open[1], (m->nopen - 1) * sizeof(m->open[0]));
	m->nopen--;
	m->next = o.index + 1;
	if (m->emit)
		m->emit(o.snap, false, m->arg);
	open_release(&o);
}

static bool ready(const struct merge *m, const struct merge_open *o)
{
	size_t a;

	for (a = 0; a < m->nagents; a++) {
		if (!m->live[a] || o->sent[a])
			continue;
		if (m->last[a] > (int64_t)o->index)
			continue;
		return false;
	}
	return true;
}

static void flush_ready(struct merge *m)
{
	while (m->nopen > 0 && ready(m, &m->open[0]))
		emit_first(m);
}

int merge_add(struct merge *m, size_t agent, struct stats_snapshot *snap, char **err)
{
	struct merge_open *o = NULL;
	size_t pos;
	int rc = -1;

	if (agent >= m->nagents) {
		err_set(err, "statistics from unknown agent %zu", agent);
		goto out;
	}
	m->received++;
	if ((int64_t)snap->interval > m->last[agent])
		m->last[agent] = snap->interval;
	if (snap->interval < m->next) {
		/* That index has been written already: the agent is late. Its numbers still count,
		 * as a record of their own that readers add to the first. */
		m->late++;
		if (m->emit)
			m->emit(snap, true, m->arg);
		rc = 0;
		goto out;
	}
	for (pos = 0; pos < m->nopen && m->open[pos].index < snap->interval; pos++)
		;
	if (pos < m->nopen && m->open[pos].index == snap->interval) {
		o = &m->open[pos];
		if (stats_merge(o->snap, snap) < 0) {
			err_set(err, "out of memory merging interval %u", snap->interval);
			goto out;
		}
		o->sent[agent] = true;
	} else {
		bool *sent;

		if (m->nopen == m->open_cap) {
			size_t cap = m->open_cap ? m->open_cap * 2 : 8;
			struct merge_open *nv = realloc(m->open, cap * sizeof(*nv));

			if (!nv) {
				err_set(err, "out of memory");
				goto out;
			}
			m->open = nv;
			m->open_cap = cap;
		}
		sent = calloc(m->nagents, sizeof(*sent));
		if (!sent) {
			err_set(err, "out of memory");
			goto out;
		}
		memmove(&m->open[pos + 1], &m->open[pos], (m->nopen - pos) * sizeof(m->open[0]));
		m->nopen++;
		m->open[pos].index = snap->interval;
		m->open[pos].snap = snap; /* ownership moves to the open entry */
		m->open[pos].sent = sent;
		sent[agent] = true;
		snap = NULL;
	}
	/* This agent moving on may complete lower indexes it did not send. */
	flush_ready(m);
	rc = 0;
out:
	stats_free(snap);
	return rc;
}

void merge_agent_gone(struct merge *m, size_t agent)
{
	if (agent >= m->nagents)
		return;
	m->live[agent] = false;
	flush_ready(m);
}

void merge_flush_before(struct merge *m, uint32_t index)
{
	while (m->nopen > 0 && m->open[0].index < index)
		emit_first(m);
	flush_ready(m);
}

void merge_flush_all(struct merge *m)
{
	while (m->nopen > 0)
		emit_first(m);
}

uint32_t merge_next_index(const struct merge *m)
{
	return m->next;
}

size_t merge_pending(const struct merge *m)
{
	return m->nopen;
}

uint64_t merge_received(const struct merge *m)
{
	return m->received;
}

uint64_t merge_late(const struct merge *m)
{
	return m->late;
}
