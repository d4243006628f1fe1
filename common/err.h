/* Error detail travels as a message, not a code: functions return 0 or a negative number and, on
 * failure, set *err to a heap string the caller frees. err_set() is the one helper that builds
 * those messages (haproxy's memprintf), so every module words them the same way. */
#ifndef BARRAGE_ERR_H
#define BARRAGE_ERR_H

#include <stdarg.h>

/* Replace *err (freeing any previous message) with a formatted one. Accepts err == NULL, in
 * which case the message is dropped. Always returns -1, so callers can `return err_set(...)`. */
int err_set(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_vset(char **err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Prefix an existing message: "PREFIX: old". Used to add context (a file name, an agent id) as
 * the error climbs. Returns -1. */
int err_prefix(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
