/* File-descriptor I/O that finishes what it starts (see fdio.h). */
#include "common/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) (off < 0) or pwrite(2) at off until len bytes are out, retrying on EINTR. */
static int write_loop(int fd, const void *data, size_t len, int64_t off)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int fdio_write_all(int fd, const void *data, size_t len)
{
	return write_loop(fd, data, len, -1);
}

int fdio_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
	return write_loop(fd, data, len, (int64_t)off);
}

int fdio_datasync(int fd)
{
	while (fdatasync(fd) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

void fdio_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}
