/* Error detail travels as a message, not a code: functions return 0 or a negative number and, on
 * failure, set *err to a heap string the caller frees. err_set() is the one helper that builds
 * those messages (haproxy's memprintf), so every module words them the same way. */
#ifndef BARRAGE_COMMON_ERR_H
#define BARRAGE_COMMON_ERR_H

#include <stdarg.h>
#include <stdio.h>

/* Replace *err (freeing any previous message) with a formatted one. Accepts err == NULL, in
 * which case the message is dropped. Always returns -1, so callers can `return err_set(...)`. */
int err_set(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_vset(char **err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Prefix an existing message: "PREFIX: old". Used to add context (a file name, an agent id) as
 * the error climbs. Returns -1. */
int err_prefix(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a message to f, each of its lines prefixed with "PREFIX: " (a scenario with several
 * problems gives several lines; every one must read as an error of the program). */
void err_print_lines(FILE *f, const char *prefix, const char *msg);

#endif
