/* Small helpers every SSH file uses: clocks, formatting, quoting for the remote shell, libssh2's
 * last error, and reading a local file whole (keys, uploads). */
#ifndef BARRAGE_CONTROLLER_SSH_UTIL_H
#define BARRAGE_CONTROLLER_SSH_UTIL_H

#include <libssh2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t ssh_util_mono_ms(void); /* CLOCK_MONOTONIC */
int64_t ssh_util_real_ns(void); /* CLOCK_REALTIME */
/* vasprintf that returns NULL on failure. The caller frees. */
char *ssh_util_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s single-quoted for the remote POSIX shell. The caller frees. */
char *ssh_util_shell_quote(const char *s);
/* A remote path for the shell: quoted, except a leading "~/" (or a lone "~"), which means the
 * remote user's home as it would in an ssh command line. The caller frees. */
char *ssh_util_path_quote(const char *s);
/* libssh2's last error message for s ("no session" for NULL). */
const char *ssh_util_sess_error(LIBSSH2_SESSION *s);
/* Did the last call on s fail with EAGAIN? */
bool ssh_util_would_block(LIBSSH2_SESSION *s);
/* Reads a regular file of at most max bytes into *data (NUL-terminated, the caller frees) and
 * its permission bits into *mode when mode is not NULL. -1 with *err. */
int ssh_util_read_file(const char *path, size_t max, char **data, size_t *len, int *mode,
		       char **err);

#endif
