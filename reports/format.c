/* Numbers as people read them in the reports and on the console: latencies, counts and sizes
 * (reports_fmt_ms, _num, _bytes), Tsung's formattime and formatsize as tsung_stats.pl prints
 * them, and a console table's first column (reports_print_name). */
#include "reports/format.h"

#include <math.h>
#include <stdio.h>

const char *reports_fmt_ms(char *buf, size_t size, double ms)
{
	if (!isfinite(ms))
		snprintf(buf, size, "-");
	else if (ms < 1)
		snprintf(buf, size, "%.3f ms", ms);
	else if (ms < 100)
		snprintf(buf, size, "%.2f ms", ms);
	else if (ms < 1000)
		snprintf(buf, size, "%.1f ms", ms);
	else
		snprintf(buf, size, "%.2f s", ms / 1000.0);
	return buf;
}

const char *reports_fmt_num(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.2f", v);
	return buf;
}

const char *reports_fmt_bytes(char *buf, size_t size, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* tsung_stats.pl's formattime: the argument is in ms; an empty cell for 0. */
const char *reports_fmt_tsung_time(char *buf, size_t size, double ms)
{
	double v = ms / 1000.0;

	if (ms == 0)
		snprintf(buf, size, "%s", "");
	else if (v < 0.001)
		snprintf(buf, size, "%.3f msec", v * 1000);
	else if (v < 0.1)
		snprintf(buf, size, "%.2f msec", v * 1000);
	else if (v < 60)
		snprintf(buf, size, "%.2f sec", v);
	else if (v < 3600) {
		int mn = (int)(v / 60);

		snprintf(buf, size, "%dmn  %dsec", mn, (int)(v - mn * 60));
	} else {
		int h = (int)(v / 3600);
		int mn = (int)((v - h * 3600) / 60);

		snprintf(buf, size, "%d h %dmn  %dsec", h, mn, (int)(v - (h * 3600 + mn * 60)));
	}
	return buf;
}

/* tsung_stats.pl's formatsize. */
const char *reports_fmt_tsung_size(char *buf, size_t size, double v, const char *unit)
{
	if (v == 0)
		snprintf(buf, size, "%s", "");
	else if (v < 1024)
		snprintf(buf, size, "%d %s", (int)v, unit);
	else if (v < 1024.0 * 1024)
		snprintf(buf, size, "%.2f K%s", v / 1024, unit);
	else if (v < 1024.0 * 1024 * 1024)
		snprintf(buf, size, "%.2f M%s", v / (1024.0 * 1024), unit);
	else
		snprintf(buf, size, "%.2f G%s", v / (1024.0 * 1024 * 1024), unit);
	return buf;
}

void reports_print_name(const char *name, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cols++;
	if (cols > width)
		printf("%s\n%*s", name, width, "");
	else
		printf("%s%*s", name, width - cols, "");
}
