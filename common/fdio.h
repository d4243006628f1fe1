/* Blocking file-descriptor I/O that finishes what it starts: write or pwrite every byte (retrying
 * short writes and EINTR), flush a file's data, and make a create or rename in a folder durable.
 * Used by the wire codec (frames to a pipe or socket) and the servers' journal and history
 * files, so the retry loops exist once. */
#ifndef BARRAGE_COMMON_FDIO_H
#define BARRAGE_COMMON_FDIO_H

#include <stddef.h>
#include <stdint.h>

/* Write all len bytes to fd. Returns 0, or -1 with errno set by write(2). */
int fdio_write_all(int fd, const void *data, size_t len);

/* Write all len bytes to fd at offset off (the file offset is not moved). Returns 0, or -1
 * with errno set by pwrite(2). */
int fdio_pwrite_all(int fd, const void *data, size_t len, uint64_t off);

/* fdatasync(fd), retried on EINTR. Returns 0, or -1 with errno. */
int fdio_datasync(int fd);

/* fsync the folder holding path, so a create or rename in it is durable. Best effort: a folder
 * that cannot be opened is left alone. */
void fdio_sync_dir(const char *path);

#endif
