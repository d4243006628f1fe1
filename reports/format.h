/* Formatting figures for people (reports/format.c): the HTML pages, junit.xml, the console. */
#ifndef BARRAGE_REPORTS_FORMAT_H
#define BARRAGE_REPORTS_FORMAT_H

#include <stddef.h>

/* Into buf of size >= 32; each returns buf. */
const char *reports_fmt_ms(char *buf, size_t size, double ms);
const char *reports_fmt_num(char *buf, size_t size, double v);
const char *reports_fmt_bytes(char *buf, size_t size, double bytes);
/* Tsung's formattime and formatsize, as tsung_stats.pl prints them. */
const char *reports_fmt_tsung_time(char *buf, size_t size, double ms);
const char *reports_fmt_tsung_size(char *buf, size_t size, double v, const char *unit);

/* Print a statistic's name as a console table's first column, WIDTH characters wide. Names
 * are UTF-8 text of any length: never cut (a cut could split a character, or make two names
 * look the same); a name wider than the column gets its own line and the figures start,
 * indented, on the next. */
void reports_print_name(const char *name, int width);

#endif
