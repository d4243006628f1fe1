/* One plan per agent (see split.h).
 *
 * Rates are doubles and scale directly. Integer figures use the largest-remainder method so
 * that, say, 10 users over 3 agents become 4+3+3 and never 3+3+3: the scenario's totals are what
 * the target sees. A share of zero users would mean "no cap" (max_users) or an idle agent
 * (users), so a split that would produce one is refused with a message saying how many agents
 * the load can keep busy. */
#include "controller/split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void split_count(uint64_t total, const double *weights, size_t n, uint64_t *parts)
{
	double wsum = 0;
	uint64_t given = 0;
	size_t i;

	for (i = 0; i < n; i++)
		wsum += weights[i];
	if (n == 0)
		return;
	if (!(wsum > 0)) {
		/* Degenerate weights: split evenly rather than divide by zero. */
		for (i = 0; i < n; i++) {
			parts[i] = total / n + (i < total % n ? 1 : 0);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		double exact = (double)total * weights[i] / wsum;
		parts[i] = (uint64_t)floor(exact);
		given += parts[i];
	}
	/* Hand out what floor() left over, one each, to the largest remainders (lowest index on
	 * ties). At most n rounds; the remainder is below n. */
	while (given < total) {
		size_t best = 0;
		double best_rem = -1;

		for (i = 0; i < n; i++) {
			double rem = (double)total * weights[i] / wsum - (double)parts[i];

			if (rem > best_rem + 1e-12) {
				best_rem = rem;
				best = i;
			}
		}
		parts[best]++;
		given++;
	}
	/* Rounding could in theory hand out one too many; take it back from the largest part. */
	while (given > total) {
		size_t big = 0;

		for (i = 1; i < n; i++)
			if (parts[i] > parts[big])
				big = i;
		parts[big]--;
		given--;
	}
}

/* splitmix64: a well-mixed 64-bit value from a counter, enough to decorrelate agents' seeds. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t split_seed(const char *name, uint32_t index)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a of the name */
	const unsigned char *s = (const unsigned char *)(name ? name : "");

	for (; *s; s++) {
		h ^= *s;
		h *= 0x100000001b3ULL;
	}
	return mix64(h ^ mix64(index));
}

uint32_t split_max_agents(const struct plan *p)
{
	uint64_t n = UINT32_MAX;

	if (p->load.model == PLAN_MODEL_OPEN) {
		if (p->load.max_users > 0)
			n = p->load.max_users;
	} else {
		n = p->load.users;
	}
	if (n == 0)
		n = 1;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int split_plan(const struct plan *p, const struct split_agent *agents, size_t n, struct plan ***out,
	       char **err)
{
	struct plan **v = NULL;
	double *w = NULL;
	uint64_t *max_users = NULL, *users = NULL;
	double wsum = 0;
	uint64_t slot_base = 0;
	size_t i, j;
	int rc = -1;

	*out = NULL;
	if (n == 0) {
		err_set(err, "no agents to run the load");
		goto out;
	}
	v = calloc(n, sizeof(*v));
	w = calloc(n, sizeof(*w));
	max_users = calloc(n, sizeof(*max_users));
	users = calloc(n, sizeof(*users));
	if (!v || !w || !max_users || !users) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!(agents[i].weight > 0) || !isfinite(agents[i].weight)) {
			err_set(err, "agent %s: weight must be a positive number", agents[i].id);
			goto out;
		}
		w[i] = agents[i].weight;
		wsum += w[i];
	}
	split_count(p->load.max_users, w, n, max_users);
	split_count(p->load.users, w, n, users);
	if (p->load.model == PLAN_MODEL_OPEN && p->load.max_users > 0 && p->load.max_users < n) {
		err_set(err,
			"load.max_users (%llu) is smaller than the number of agents (%zu): "
			"each agent needs a cap of at least 1 (use fewer agents)",
			(unsigned long long)p->load.max_users, n);
		goto out;
	}
	if (p->load.model != PLAN_MODEL_OPEN && p->load.users < n) {
		err_set(err,
			"load.users (%llu) is smaller than the number of agents (%zu): "
			"each agent needs at least one user (use fewer agents)",
			(unsigned long long)p->load.users, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct plan *a = plan_clone(p);
		double f = w[i] / wsum;

		if (!a) {
			err_set(err, "out of memory");
			goto out;
		}
		v[i] = a;
		for (j = 0; j < a->load.nphases; j++) {
			a->load.phases[j].arrival_rate *= f;
			if (a->load.phases[j].ramp_to >= 0)
				a->load.phases[j].ramp_to *= f;
		}
		a->load.max_users = max_users[i];
		a->load.users = users[i];
		a->load.request_rate *= f;
		for (j = 0; j < a->ndata; j++) {
			if (a->data[j].order == PLAN_ORDER_UNIQUE) {
				a->data[j].part_index = (uint32_t)i;
				a->data[j].part_count = (uint32_t)n;
			} else {
				a->data[j].part_index = 0;
				a->data[j].part_count = 1;
			}
		}
		free(a->share.agent_id);
		a->share.agent_id = strdup(agents[i].id);
		if (!a->share.agent_id) {
			err_set(err, "out of memory");
			goto out;
		}
		a->share.index = (uint32_t)i;
		a->share.count = (uint32_t)n;
		a->share.fraction = f;
		a->share.seed = split_seed(p->name, (uint32_t)i);
		/* user_id() = base + k * count: agents number their users in disjoint residues. */
		a->share.user_id_base = i;
		/* User slots are numbered across the fleet, agent after agent, so that the
		 * sessions' weighted round-robin (agent/scheduler.c) is one sequence: 4 users over
		 * 4 agents and 4 equal sessions run each session once. */
		a->share.slot_base = slot_base;
		slot_base += users[i];
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	if (v) {
		for (i = 0; i < n; i++)
			plan_free(v[i]);
		free(v);
	}
	free(w);
	free(max_users);
	free(users);
	return rc;
}
