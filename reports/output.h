/* Output helpers shared by every report file (reports/output.c). */
#ifndef BARRAGE_REPORTS_OUTPUT_H
#define BARRAGE_REPORTS_OUTPUT_H

#include <stddef.h>

#include "common/buf.h"

/* Write a whole file (via a temporary name and rename, so a reader never sees half of it). */
int reports_write_file(const char *path, const char *data, size_t len, char **err);
/* Escape for HTML text and attributes, and for XML 1.0 (junit.xml): markup characters become
 * entities and control characters (not allowed in XML) become spaces. */
void reports_html_escape(struct buf *b, const char *s);
/* Shared page furniture for report.html and compare.html: doctype, head, stylesheet, <body>. */
void reports_html_head(struct buf *b, const char *title);

#endif
