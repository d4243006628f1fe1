/* Human units on input and output: durations (30s, 2m, 250ms, 1h, 500us), rates (50/s, 10k/s,
 * 600/m), counts (10k, 2M) and sizes (10k, 1MiB, 5MB). Parsers take the whole string, reject
 * trailing garbage and negative numbers, and say what they expected. */
#ifndef BARRAGE_COMMON_UNITS_H
#define BARRAGE_COMMON_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "30s" -> 30000000. A bare number is refused: every duration takes units. */
int units_parse_duration(const char *s, int64_t *us, char **err);
/* "50/s", "10k/s", "600/m", "1/h" -> per second. A bare number is taken as per second. */
int units_parse_rate(const char *s, double *per_s, char **err);
/* "10k" -> 10000, "2M" -> 2000000, "7" -> 7. */
int units_parse_count(const char *s, uint64_t *n, char **err);
/* "10k" or "10KB" -> 10000, "1KiB" -> 1024, "5MB", "1GiB", "123" bytes. */
int units_parse_size(const char *s, uint64_t *bytes, char **err);
/* "1%" -> 0.01, "0.5%" -> 0.005. */
int units_parse_percent(const char *s, double *fraction, char **err);

/* Formatting for output: "1.25s", "830ms", "12.4µs"-style (ASCII "us"), "1.2k/s", "12.3 MiB".
 * They write into buf (size >= 32 is always enough) and return it. */
const char *units_fmt_duration(char *buf, size_t size, double us);
const char *units_fmt_rate(char *buf, size_t size, double per_s);
const char *units_fmt_size(char *buf, size_t size, double bytes);
const char *units_fmt_count(char *buf, size_t size, double n);

#endif
