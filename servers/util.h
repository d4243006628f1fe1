/* Small helpers shared by the reference servers, so each exists once. */
#ifndef BARRAGE_SERVERS_UTIL_H
#define BARRAGE_SERVERS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64-bit: the hash of the servers' open-addressing tables. */
uint64_t srv_hash_bytes(const void *data, size_t n);

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t srv_wall_ms(void);

/* Parse a whole decimal long from lo to hi for option --opt (opt without the dashes). Returns 0
 * with *out, or -1 with *err "--OPT: expected a number from LO to HI, got 'V'". */
int srv_parse_long(const char *opt, const char *v, long lo, long hi, long *out, char **err);

/* Log "WHAT: ERR" as an error and exit(1) at once, without unwinding: for a journal that
 * failed, when memory is ahead of disk and nothing more may be answered. */
void srv_fatal(const char *what, const char *err) __attribute__((noreturn));

#endif
