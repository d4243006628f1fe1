/* Building error messages for the char **err convention (see err.h). */
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int err_vset(char **err, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (!err)
		return -1;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	free(*err);
	*err = msg;
	return -1;
}

int err_set(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(char **err, const char *fmt, ...)
{
	char *prefix = NULL;
	char *msg = NULL;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix && asprintf(&msg, "%s: %s", prefix, *err ? *err : "error") >= 0) {
		free(*err);
		*err = msg;
	}
	free(prefix);
	return -1;
}

void err_print_lines(FILE *f, const char *prefix, const char *msg)
{
	const char *p = msg ? msg : "error";

	do {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		if (n > 0)
			fprintf(f, "%s: %.*s\n", prefix, n, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}
