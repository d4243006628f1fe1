/* Small helpers shared by the reference servers (see util.h). */
#include "servers/util.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

uint64_t srv_hash_bytes(const void *data, size_t n)
{
	const unsigned char *s = data;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void srv_fatal(const char *what, const char *err)
{
	log_error("%s: %s", what, err ? err : "?");
	_exit(1);
}

int64_t srv_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
