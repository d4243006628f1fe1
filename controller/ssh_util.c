/* Small helpers shared by the SSH files (ssh_util.h). */
#include "controller/ssh_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"

int64_t ssh_util_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

int64_t ssh_util_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *ssh_util_asprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

char *ssh_util_shell_quote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	buf_append_byte(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_append_str(&b, "'\\''");
		else
			buf_append_byte(&b, (uint8_t)*s);
	}
	buf_append_byte(&b, '\'');
	return buf_steal(&b);
}

char *ssh_util_path_quote(const char *s)
{
	char *q, *r;

	if (strcmp(s, "~") == 0)
		return strdup("\"$HOME\"");
	if (strncmp(s, "~/", 2) != 0)
		return ssh_util_shell_quote(s);
	q = ssh_util_shell_quote(s + 2);
	r = q ? ssh_util_asprintf("\"$HOME\"/%s", q) : NULL;
	free(q);
	return r;
}

const char *ssh_util_sess_error(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	if (!s)
		return "no session";
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown error";
}

bool ssh_util_would_block(LIBSSH2_SESSION *s)
{
	return libssh2_session_last_errno(s) == LIBSSH2_ERROR_EAGAIN;
}

int ssh_util_read_file(const char *path, size_t max, char **data, size_t *len, int *mode,
		       char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	int rc = -1;

	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		err_set(err, "%s: larger than %zu MiB", path, max >> 20);
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		err_set(err, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, "%s: read error: %s", path, n < 0 ? strerror(errno) : "short");
			goto out;
		}
		got += (size_t)n;
	}
	p[got] = '\0';
	*data = p;
	*len = got;
	if (mode)
		*mode = (int)(st.st_mode & 0777);
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}
