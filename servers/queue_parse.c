/* What the queue's HTTP layer reads from a request and the store checks (see queue_store.h):
 * queue names, lease durations ("30s", "250ms") and times (Unix milliseconds or ISO 8601). */
#include "servers/queue_state.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

int qstore_valid_name(const char *q, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		char c = q[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

int qstore_parse_lease(const char *s, size_t len, int64_t *ms, char **err)
{
	size_t i = 0;
	uint64_t n;
	int64_t us;
	const char *u;
	size_t ul;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || qstate_parse_u64(s, i, &n) < 0 || n > 1000000000000ULL)
		return err_set(err, "lease '%.*s': expected a number with a unit (30s, 250ms, 2m)",
			       (int)(len > 40 ? 40 : len), s);
	u = s + i;
	ul = len - i;
	if (ul == 2 && memcmp(u, "us", 2) == 0)
		us = (int64_t)n;
	else if (ul == 2 && memcmp(u, "ms", 2) == 0)
		us = (int64_t)n * 1000;
	else if (ul == 1 && *u == 's')
		us = (int64_t)n * 1000000;
	else if (ul == 1 && *u == 'm')
		us = (int64_t)n * 60000000;
	else if (ul == 1 && *u == 'h')
		us = (int64_t)n * 3600000000LL;
	else
		return err_set(err, "lease '%.*s': unit must be us, ms, s, m or h",
			       (int)(len > 40 ? 40 : len), s);
	if (us < 1000 || us > QSTORE_MAX_LEASE_MS * 1000)
		return err_set(err, "lease '%.*s': must be between 1ms and 12h",
			       (int)(len > 40 ? 40 : len), s);
	*ms = (us + 999) / 1000;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *v)
{
	unsigned x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int qstore_parse_time(const char *s, size_t len, int64_t *ms, char **err)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, t;
	size_t i;
	int sign = 0;

	if (len > 0 && s[0] >= '0' && s[0] <= '9' && len <= 19) {
		uint64_t v;

		if (qstate_parse_u64(s, len, &v) == 0) {
			if (v > 253402300799999ULL) /* year 9999 */
				return err_set(err, "not_before %.*s: too far in the future",
					       (int)len, s);
			*ms = (int64_t)v;
			return 0;
		}
	}
	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 ||
	    digits(s + 17, 2, &sec) < 0)
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	i = 19;
	if (i < len && s[i] == '.') {
		int64_t scale = 100;

		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			frac += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
	}
	if (i < len && s[i] == 'Z') {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) < 0 ||
		    digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
			goto bad;
		i += 6;
	} else {
		goto bad; /* a time without a zone would be guessed: refuse it */
	}
	if (i != len)
		goto bad;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
bad:
	return err_set(err,
		       "not_before '%.*s': expected unix milliseconds or an ISO 8601 time such as "
		       "2026-11-25T12:00:00Z",
		       (int)(len > 40 ? 40 : len), s);
}
