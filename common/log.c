/* Leveled logging to stderr (see log.h). One write(2) per line so lines from several threads or
 * processes sharing a pipe do not interleave mid-line. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int log_level = LOG_INFO;
static const char *log_prefix = "barrage";

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[2048];
	int n;
	int m;
	va_list ap;

	n = snprintf(line, sizeof(line), "%s: %s%s", log_prefix,
		     level == LOG_INFO ? "" : names[level], level == LOG_INFO ? "" : ": ");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void log_fatal(const char *what, const char *err)
{
	log_error("%s: %s", what, err ? err : "?");
	_exit(1);
}
