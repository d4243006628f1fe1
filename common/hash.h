/* The hash of the tree's in-memory tables (the reference servers' open addressing, the
 * importer's value index): FNV-1a, 64-bit. Not for anything an attacker may choose to collide
 * where that matters, and not stable across versions: nothing stores it. */
#ifndef BARRAGE_COMMON_HASH_H
#define BARRAGE_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *data, size_t n);

#endif
