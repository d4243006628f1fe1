/* The two clocks everything reads: monotonic microseconds for durations and timers, wall-clock
 * milliseconds for timestamps people and other machines read (stats.log, journals, exports). */
#ifndef BARRAGE_COMMON_CLOCK_H
#define BARRAGE_COMMON_CLOCK_H

#include <stdint.h>

int64_t clock_mono_us(void); /* CLOCK_MONOTONIC, microseconds */
int64_t clock_wall_ms(void); /* CLOCK_REALTIME, milliseconds since the Unix epoch */

#endif
