/* Smooth weighted round-robin (see swrr.h). */
#include "common/swrr.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

/* The period of the sequence: the sum of the weights when they are whole and not too many (the
 * credits are then back to exactly zero after it: small integers are exact in doubles), else 0. */
static uint64_t period(const double *w, size_t n)
{
	double total = 0;

	for (size_t i = 0; i < n; i++) {
		if (w[i] != floor(w[i]))
			return 0;
		total += w[i];
	}
	return total >= 1 && total <= 1e6 ? (uint64_t)total : 0;
}

/* Walk slots 0 .. first+count-1; slot k >= first goes to out[k - first] and/or counts. */
static int walk(const double *w, size_t n, uint64_t first, uint64_t count, uint32_t *out,
		uint64_t *counts)
{
	double *credit = calloc(n ? n : 1, sizeof(*credit)), total = 0;

	if (!credit)
		return -1;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	for (uint64_t k = 0; k < first + count; k++) {
		size_t best = 0;

		for (size_t i = 0; i < n; i++) {
			credit[i] += w[i];
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= total;
		if (k < first)
			continue;
		if (out)
			out[k - first] = (uint32_t)best;
		if (counts)
			counts[best]++;
	}
	free(credit);
	return 0;
}

int swrr_assign(const double *w, size_t n, uint64_t first, uint64_t count, uint32_t *out)
{
	uint64_t p = period(w, n);

	if (p)
		first %= p;
	return walk(w, n, first, count, out, NULL);
}

int swrr_count(const double *w, size_t n, uint64_t total, uint64_t *counts)
{
	uint64_t p = period(w, n);

	for (size_t i = 0; i < n; i++)
		counts[i] = 0;
	if (!p)
		return walk(w, n, 0, total, NULL, counts);
	/* Whole periods give each session exactly its weight; then the remainder. */
	for (size_t i = 0; i < n; i++)
		counts[i] = (total / p) * (uint64_t)w[i];
	return walk(w, n, 0, total % p, NULL, counts);
}
