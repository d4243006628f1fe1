/* Smooth weighted round-robin (as nginx balances upstreams): which session each closed-model
 * user slot runs, and how many slots each session gets.
 *
 * Every slot adds each weight to its session's credit; the session with the most credit (lowest
 * index on ties) is picked and loses the total. Any run of consecutive slots gets each session
 * in proportion to its weight, as evenly spread as whole slots allow: 4 slots over 4 equal
 * weights are 0, 1, 2, 3; weights 3, 1, 1 give 0, 1, 0, 2, 0 and again. The sequence depends on
 * the weights only, so agents and workers that each compute their own range of slots share one
 * fleet-wide assignment (agent/worker.c), and `barrage check` prints the same counts the run
 * will have (controller/scenario.c). */
#ifndef BARRAGE_COMMON_SWRR_H
#define BARRAGE_COMMON_SWRR_H

#include <stddef.h>
#include <stdint.h>

/* out[j] = the session of slot first + j, for j < count. With whole weights summing to at most
 * 10^6 the sequence repeats every sum-of-weights slots, so a far range costs one period;
 * otherwise it costs (first + count) x n steps. Returns 0, or -1 when out of memory. */
int swrr_assign(const double *w, size_t n, uint64_t first, uint64_t count, uint32_t *out);

/* counts[i] = how many of slots 0 .. total-1 run session i. Returns 0, or -1 when out of
 * memory. */
int swrr_count(const double *w, size_t n, uint64_t total, uint64_t *counts);

#endif
