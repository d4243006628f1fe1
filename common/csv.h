/* CSV data files for `data:` (RFC 4180): a header row names the columns, then one row per
 * record. Fields may be quoted ("a, b"), with "" for a quote inside; line ends are CRLF or LF;
 * a quoted field may span lines. A UTF-8 byte-order mark is skipped, empty lines are skipped,
 * and a final line end is optional.
 *
 * The whole table is held in memory (one arena for the cells), so the agent reads a cell per
 * user with no allocation. An agent that uses `order: unique` loads only its slice of the rows
 * (csv_load_part), streaming the file so the other agents' rows are never held.
 *
 * Errors name the file and the line where the offending row starts:
 *   accounts.csv:17: 3 fields, the header has 2
 *   accounts.csv:4: unterminated quoted field (column 2)
 *   accounts.csv: empty file
 *   accounts.csv:1: duplicate column name 'user' (columns 1 and 3)
 */
#ifndef BARRAGE_COMMON_CSV_H
#define BARRAGE_COMMON_CSV_H

#include <stddef.h>

struct csv;

/* Read and check the file at path (its name in messages is path as given). On error returns -1
 * with *err. A file with a header and no data rows is not an error: csv_nrows() is 0. */
int csv_load(const char *path, struct csv **out, char **err);
/* The same from memory; name is the file name used in messages. */
int csv_parse(const char *name, const char *data, size_t len, struct csv **out, char **err);

/* Keep only data rows r (0-based, the header excluded) with r % part_count == part_index. Every
 * row is still checked; csv_total_rows() tells how many the file has. part_count 0 or 1 keeps
 * everything; part_index must be below part_count. */
int csv_load_part(const char *path, size_t part_index, size_t part_count, struct csv **out,
		  char **err);
int csv_parse_part(const char *name, const char *data, size_t len, size_t part_index,
		   size_t part_count, struct csv **out, char **err);

void csv_free(struct csv *c);

size_t csv_ncolumns(const struct csv *c);
const char *csv_column_name(const struct csv *c, size_t col);
/* Index of the column called name (len bytes), or -1 when there is none. */
long csv_column_index(const struct csv *c, const char *name, size_t len);
/* Rows kept (after slicing), and rows in the file. */
size_t csv_nrows(const struct csv *c);
size_t csv_total_rows(const struct csv *c);
/* Cell text, NUL-terminated; *len (if not NULL) gets its length (a cell may hold NUL bytes).
 * row < csv_nrows(), col < csv_ncolumns(). */
const char *csv_cell(const struct csv *c, size_t row, size_t col, size_t *len);

#endif
