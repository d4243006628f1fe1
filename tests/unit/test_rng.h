/* A deterministic xorshift64 for tests that want many varied values and the same ones on every
 * run (no seeding from the clock: a failure must reproduce). */
#ifndef BARRAGE_TESTS_UNIT_TEST_RNG_H
#define BARRAGE_TESTS_UNIT_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state = 88172645463325252ULL;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#endif /* BARRAGE_TESTS_UNIT_TEST_RNG_H */
