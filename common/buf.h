/* A growable byte buffer with a hard cap. Every buffer that grows from outside input has a
 * limit, so a hostile peer or a huge response cannot eat the machine: appends past the cap fail
 * with -1 and leave the buffer as it was. The data is always NUL-terminated (not counted in
 * len), so text can be handed to C string functions. */
#ifndef BARRAGE_COMMON_BUF_H
#define BARRAGE_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap; /* allocated bytes */
	size_t max; /* hard cap on len; 0 means BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX ((size_t)256 << 20)

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory for reuse */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_byte(struct buf *b, uint8_t c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append s as a JSON string literal, quotes included. */
int buf_append_json_str(struct buf *b, const char *s, size_t len);
/* Drop the first n bytes (a consumed prefix). */
void buf_consume(struct buf *b, size_t n);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *buf_steal(struct buf *b);

#endif
