/* Small helpers shared by the reference servers (see util.h). */
#include "servers/util.h"

#include <errno.h>
#include <stdlib.h>

#include "common/err.h"

int srv_parse_long(const char *opt, const char *v, long lo, long hi, long *out, char **err)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return err_set(err, "--%s: expected a number from %ld to %ld, got '%s'", opt, lo,
			       hi, v);
	*out = x;
	return 0;
}
