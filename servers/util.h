/* Small helpers shared by the reference servers, so each exists once. */
#ifndef BARRAGE_SERVERS_UTIL_H
#define BARRAGE_SERVERS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64-bit: the hash of the servers' open-addressing tables. */
uint64_t srv_hash_bytes(const void *data, size_t n);

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t srv_wall_ms(void);

#endif
