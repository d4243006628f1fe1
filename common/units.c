/* Human units in and out (see units.h). Parsing is strict: the whole string must be a
 * non-negative number followed by a known unit, with optional spaces between them. */
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

/* Split "12.5ms" into 12.5 and "ms". Returns -1 on no number or a negative one. */
static int split_number(const char *s, double *num, const char **unit)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	*num = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*num) || *num < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	*unit = end;
	return 0;
}

/* Does the unit (possibly followed by trailing spaces) equal u? */
static int unit_is(const char *unit, const char *u)
{
	size_t n = strlen(u);
	const char *p;

	if (strncmp(unit, u, n) != 0)
		return 0;
	for (p = unit + n; *p; p++)
		if (!isspace((unsigned char)*p))
			return 0;
	return 1;
}

int units_parse_duration(const char *s, int64_t *us, char **err)
{
	static const struct {
		const char *name;
		double mult;
	} units[] = { { "us", 1 },	   { "µs", 1 },	      { "ms", 1e3 },	 { "s", 1e6 },
		      { "sec", 1e6 },	   { "m", 60e6 },     { "min", 60e6 },	 { "h", 3600e6 },
		      { "d", 86400e6 } };
	double num;
	const char *unit;
	size_t i;

	if (!s || split_number(s, &num, &unit) < 0)
		return err_set(err, "expected a duration like 30s, 250ms or 2m, got '%s'", s ? s : "");
	if (!*unit)
		return err_set(err, "duration '%s' needs a unit (us, ms, s, m, h), e.g. '%ss'", s, s);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (unit_is(unit, units[i].name)) {
			double v = num * units[i].mult;

			if (v > 9.2e18)
				return err_set(err, "duration '%s' is too long", s);
			*us = (int64_t)llround(v);
			return 0;
		}
	}
	return err_set(err, "unknown duration unit in '%s' (use us, ms, s, m or h)", s);
}

/* Multiplier suffix k/M/G on a count: returns the remaining unit text. */
static const char *count_suffix(const char *unit, double *num)
{
	if (*unit == 'k' || *unit == 'K') {
		*num *= 1e3;
		return unit + 1;
	}
	if (*unit == 'M') {
		*num *= 1e6;
		return unit + 1;
	}
	if (*unit == 'G') {
		*num *= 1e9;
		return unit + 1;
	}
	return unit;
}

int units_parse_rate(const char *s, double *per_s, char **err)
{
	double num;
	const char *unit;

	if (!s || split_number(s, &num, &unit) < 0)
		return err_set(err, "expected a rate like 50/s, 10k/s or 600/m, got '%s'", s ? s : "");
	unit = count_suffix(unit, &num);
	while (isspace((unsigned char)*unit))
		unit++;
	if (!*unit || unit_is(unit, "/s") || unit_is(unit, "/sec")) {
		*per_s = num;
		return 0;
	}
	if (unit_is(unit, "/m") || unit_is(unit, "/min")) {
		*per_s = num / 60.0;
		return 0;
	}
	if (unit_is(unit, "/h")) {
		*per_s = num / 3600.0;
		return 0;
	}
	if (unit_is(unit, "/ms")) {
		*per_s = num * 1000.0;
		return 0;
	}
	return err_set(err, "unknown rate unit in '%s' (use /s, /m or /h)", s);
}

int units_parse_count(const char *s, uint64_t *n, char **err)
{
	double num;
	const char *unit;

	if (!s || split_number(s, &num, &unit) < 0)
		return err_set(err, "expected a count like 200 or 10k, got '%s'", s ? s : "");
	unit = count_suffix(unit, &num);
	if (*unit && !unit_is(unit, ""))
		return err_set(err, "unexpected '%s' after the count in '%s'", unit, s);
	if (num != floor(num) || num > 1.8e19)
		return err_set(err, "'%s' is not a whole number", s);
	*n = (uint64_t)num;
	return 0;
}

int units_parse_size(const char *s, uint64_t *bytes, char **err)
{
	static const struct {
		const char *name;
		double mult;
	} units[] = { { "", 1 },	   { "B", 1 },	      { "k", 1e3 },	 { "K", 1e3 },
		      { "kB", 1e3 },	   { "KB", 1e3 },     { "KiB", 1024.0 }, { "M", 1e6 },
		      { "MB", 1e6 },	   { "MiB", 1048576.0 }, { "G", 1e9 },	 { "GB", 1e9 },
		      { "GiB", 1073741824.0 } };
	double num;
	const char *unit;
	size_t i;

	if (!s || split_number(s, &num, &unit) < 0)
		return err_set(err, "expected a size like 512, 10k or 1MiB, got '%s'", s ? s : "");
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((!*units[i].name && !*unit) || (*units[i].name && unit_is(unit, units[i].name))) {
			double v = num * units[i].mult;

			if (v > 1.8e19 || v != floor(v))
				return err_set(err, "size '%s' is not a whole number of bytes", s);
			*bytes = (uint64_t)v;
			return 0;
		}
	}
	return err_set(err, "unknown size unit in '%s' (use k, M, G, KiB, MiB, GiB)", s);
}

int units_parse_percent(const char *s, double *fraction, char **err)
{
	double num;
	const char *unit;

	if (!s || split_number(s, &num, &unit) < 0 || !unit_is(unit, "%"))
		return err_set(err, "expected a percentage like 1%% or 0.5%%, got '%s'", s ? s : "");
	*fraction = num / 100.0;
	return 0;
}

/* Trim "1.50" to "1.5" and "2.00" to "2". */
static void trim_zeros(char *s)
{
	char *dot = strchr(s, '.');
	char *end;

	if (!dot)
		return;
	end = s + strlen(s) - 1;
	while (end > dot && *end == '0')
		*end-- = '\0';
	if (end == dot)
		*end = '\0';
}

static const char *fmt_scaled(char *buf, size_t size, double v, const char *unit)
{
	int prec = v >= 100 ? 0 : v >= 10 ? 1 : 2;

	snprintf(buf, size, "%.*f", prec, v);
	trim_zeros(buf);
	strncat(buf, unit, size - strlen(buf) - 1);
	return buf;
}

const char *units_fmt_duration(char *buf, size_t size, double us)
{
	if (us < 1000)
		return fmt_scaled(buf, size, us, "us");
	if (us < 1e6)
		return fmt_scaled(buf, size, us / 1e3, "ms");
	if (us < 120e6)
		return fmt_scaled(buf, size, us / 1e6, "s");
	if (us < 7200e6)
		return fmt_scaled(buf, size, us / 60e6, "m");
	return fmt_scaled(buf, size, us / 3600e6, "h");
}

const char *units_fmt_count(char *buf, size_t size, double n)
{
	if (n < 1000)
		return fmt_scaled(buf, size, n, "");
	if (n < 1e6)
		return fmt_scaled(buf, size, n / 1e3, "k");
	if (n < 1e9)
		return fmt_scaled(buf, size, n / 1e6, "M");
	return fmt_scaled(buf, size, n / 1e9, "G");
}

const char *units_fmt_rate(char *buf, size_t size, double per_s)
{
	units_fmt_count(buf, size, per_s);
	strncat(buf, "/s", size - strlen(buf) - 1);
	return buf;
}

const char *units_fmt_size(char *buf, size_t size, double bytes)
{
	if (bytes < 1024)
		return fmt_scaled(buf, size, bytes, " B");
	if (bytes < 1048576.0)
		return fmt_scaled(buf, size, bytes / 1024.0, " KiB");
	if (bytes < 1073741824.0)
		return fmt_scaled(buf, size, bytes / 1048576.0, " MiB");
	return fmt_scaled(buf, size, bytes / 1073741824.0, " GiB");
}
