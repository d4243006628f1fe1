/* CSV data files (RFC 4180) for `data:` (see csv.h).
 *
 * One byte-at-a-time state machine parses both memory and files; files are fed in chunks so an
 * agent that keeps only its slice of the rows (order: unique) never holds the others. Kept
 * cells go, NUL-terminated and in row order, into one arena, with an offset per cell: a cell's
 * length is the distance to the next offset, so a lookup is two array reads. Every row is
 * checked, kept or not, so all agents agree on whether the file is valid. */
#include "common/csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

#define CSV_MAX_FIELD	((size_t)1 << 20)
#define CSV_MAX_DATA	((size_t)1 << 30)
#define CSV_MAX_COLUMNS 4096
#define CSV_MAX_CELLS	((size_t)1 << 26)

struct csv {
	char **names;
	size_t ncols;
	char *arena;
	size_t arena_len;
	size_t *offs; /* nrows * ncols */
	size_t nrows, total_rows;
};

enum state { S_FIELD_START, S_UNQUOTED, S_QUOTED, S_QUOTE_SEEN };

struct parser {
	const char *name;
	size_t part_index, part_count;
	enum state state;
	bool skip_lf;	/* the last byte was a CR ending a row */
	bool row_empty; /* no byte of the current row seen yet */
	bool any;	/* any byte seen at all */
	bool keep;	/* the current row is a data row we keep */
	size_t fed;
	size_t line, row_line, quote_line;
	size_t nfields; /* fields ended in the current row */
	struct buf field;
	struct buf arena;
	size_t *offs;
	size_t noffs, offs_cap;
	struct csv *c;
	char **err;
};

static int perr(struct parser *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(p->err, fmt, ap);
	va_end(ap);
	if (line)
		return err_prefix(p->err, "%s:%zu", p->name, line);
	return err_prefix(p->err, "%s", p->name);
}

static int push_off(struct parser *p, size_t off)
{
	if (p->noffs >= CSV_MAX_CELLS)
		return perr(p, p->row_line, "more than %zu cells", CSV_MAX_CELLS);
	if (p->noffs == p->offs_cap) {
		size_t cap = p->offs_cap ? p->offs_cap * 2 : 64;
		size_t *n = realloc(p->offs, cap * sizeof(*n));

		if (!n)
			return perr(p, p->row_line, "out of memory");
		p->offs = n;
		p->offs_cap = cap;
	}
	p->offs[p->noffs++] = off;
	return 0;
}

static int end_field(struct parser *p)
{
	struct csv *c = p->c;
	size_t col = p->nfields++;

	if (!c->names) {
		/* The header row: collect names until the row ends (stored in offs for now). */
		if (col >= CSV_MAX_COLUMNS)
			return perr(p, p->row_line, "more than %d columns", CSV_MAX_COLUMNS);
		if (push_off(p, p->arena.len) < 0 ||
		    buf_append(&p->arena, p->field.data ? p->field.data : "", p->field.len) < 0 ||
		    buf_append_byte(&p->arena, 0) < 0)
			return perr(p, p->row_line, "out of memory");
	} else if (p->keep && col < c->ncols) {
		if (push_off(p, p->arena.len) < 0)
			return -1;
		if (buf_append(&p->arena, p->field.data ? p->field.data : "", p->field.len) < 0 ||
		    buf_append_byte(&p->arena, 0) < 0)
			return perr(p, p->row_line, "data too large (more than %zu MiB kept)",
				    CSV_MAX_DATA >> 20);
	}
	buf_reset(&p->field);
	return 0;
}

static int end_header(struct parser *p)
{
	struct csv *c = p->c;
	size_t i, j;

	c->ncols = p->nfields;
	c->names = calloc(c->ncols, sizeof(*c->names));
	if (!c->names)
		return perr(p, p->row_line, "out of memory");
	for (i = 0; i < c->ncols; i++) {
		c->names[i] = strdup(p->arena.data + p->offs[i]);
		if (!c->names[i])
			return perr(p, p->row_line, "out of memory");
		if (!c->names[i][0])
			return perr(p, p->row_line, "column %zu of the header has no name", i + 1);
		if (strlen(c->names[i]) !=
		    (i + 1 < c->ncols ? p->offs[i + 1] : p->arena.len) - p->offs[i] - 1)
			return perr(p, p->row_line,
				    "column %zu of the header has a NUL byte in its name", i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(c->names[j], c->names[i]) == 0)
				return perr(p, p->row_line,
					    "duplicate column name '%s' (columns %zu and %zu)",
					    c->names[i], j + 1, i + 1);
	}
	buf_reset(&p->arena);
	p->noffs = 0;
	return 0;
}

static int end_row(struct parser *p)
{
	struct csv *c = p->c;

	if (p->row_empty) /* an empty line */
		return 0;
	if (end_field(p) < 0)
		return -1;
	if (!c->names) {
		if (end_header(p) < 0)
			return -1;
	} else {
		if (p->nfields != c->ncols)
			return perr(p, p->row_line, "%zu field%s, the header has %zu", p->nfields,
				    p->nfields == 1 ? "" : "s", c->ncols);
		if (p->keep)
			c->nrows++;
		c->total_rows++;
	}
	p->nfields = 0;
	p->row_empty = true;
	p->state = S_FIELD_START;
	return 0;
}

static void start_row(struct parser *p)
{
	p->row_empty = false;
	p->row_line = p->line;
	p->keep = p->c->names && (p->c->total_rows % p->part_count) == p->part_index;
}

/* A ',' ends the field, a line break the row (a "\r\n" counts once): 1 when ch was one of
 * them, 0 when not, -1 on an error. */
static int separator(struct parser *p, char ch)
{
	if (ch == ',') {
		if (end_field(p) < 0)
			return -1;
		p->state = S_FIELD_START;
		return 1;
	}
	if (ch == '\n' || ch == '\r') {
		if (end_row(p) < 0)
			return -1;
		p->line++;
		p->skip_lf = ch == '\r';
		return 1;
	}
	return 0;
}

static int feed(struct parser *p, const char *data, size_t len)
{
	size_t i = 0;
	int rc;

	if (p->fed == 0 && len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	p->fed += len;
	if (len)
		p->any = true;
	for (; i < len; i++) {
		char ch = data[i];

		if (p->skip_lf) {
			p->skip_lf = false;
			if (ch == '\n')
				continue;
		}
		if (p->row_empty && ch != '\n' && ch != '\r')
			start_row(p);
		switch (p->state) {
		case S_FIELD_START:
		case S_UNQUOTED:
			if (ch == '"') {
				if (p->state == S_UNQUOTED)
					return perr(p, p->line,
						    "quote inside an unquoted field (column %zu); "
						    "quote the whole field and double the quote",
						    p->nfields + 1);
				p->state = S_QUOTED;
				p->quote_line = p->line;
				continue;
			}
			rc = separator(p, ch);
			if (rc < 0)
				return -1;
			if (rc)
				continue;
			p->state = S_UNQUOTED;
			break;
		case S_QUOTED:
			if (ch == '"') {
				p->state = S_QUOTE_SEEN;
				continue;
			}
			if (ch == '\n')
				p->line++;
			break;
		case S_QUOTE_SEEN:
			if (ch == '"') {
				p->state = S_QUOTED;
				break; /* "" is a quote */
			}
			rc = separator(p, ch);
			if (rc < 0)
				return -1;
			if (rc)
				continue;
			return perr(p, p->line, "text after the closing quote of column %zu",
				    p->nfields + 1);
		}
		if (buf_append_byte(&p->field, (uint8_t)ch) < 0)
			return perr(p, p->row_line, "field longer than %zu MiB",
				    CSV_MAX_FIELD >> 20);
	}
	return 0;
}

static int finish(struct parser *p)
{
	if (p->state == S_QUOTED)
		return perr(p, p->quote_line, "unterminated quoted field (column %zu)",
			    p->nfields + 1);
	if (!p->row_empty && end_row(p) < 0)
		return -1;
	if (!p->any)
		return perr(p, 0, "empty file");
	if (!p->c->names)
		return perr(p, 0, "no header row (the file has only empty lines)");
	return 0;
}

static int parser_init(struct parser *p, const char *name, size_t part_index, size_t part_count,
		       char **err)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->err = err;
	p->part_count = part_count ? part_count : 1;
	p->part_index = part_count ? part_index : 0;
	p->line = 1;
	p->row_empty = true;
	buf_init(&p->field, CSV_MAX_FIELD);
	buf_init(&p->arena, CSV_MAX_DATA);
	if (p->part_index >= p->part_count)
		return err_set(err, "%s: part %zu of %zu does not exist", name, part_index,
			       part_count);
	p->c = calloc(1, sizeof(*p->c));
	if (!p->c)
		return err_set(err, "out of memory");
	return 0;
}

/* Hand the table over on success; free everything on failure. */
static int parser_done(struct parser *p, int rc, struct csv **out)
{
	buf_free(&p->field);
	if (rc == 0) {
		p->c->arena_len = p->arena.len;
		p->c->arena = buf_steal(&p->arena);
		p->c->offs = p->offs;
		*out = p->c;
		return 0;
	}
	buf_free(&p->arena);
	free(p->offs);
	csv_free(p->c);
	return -1;
}

int csv_parse_part(const char *name, const char *data, size_t len, size_t part_index,
		   size_t part_count, struct csv **out, char **err)
{
	struct parser p;
	int rc = -1;

	*out = NULL;
	if (parser_init(&p, name, part_index, part_count, err) < 0)
		goto out;
	if (feed(&p, data, len) < 0 || finish(&p) < 0)
		goto out;
	rc = 0;
out:
	return parser_done(&p, rc, out);
}

int csv_parse(const char *name, const char *data, size_t len, struct csv **out, char **err)
{
	return csv_parse_part(name, data, len, 0, 1, out, err);
}

int csv_load_part(const char *path, size_t part_index, size_t part_count, struct csv **out,
		  char **err)
{
	struct parser p;
	FILE *f = NULL;
	char chunk[65536];
	int rc = -1;

	*out = NULL;
	if (parser_init(&p, path, part_index, part_count, err) < 0)
		goto out;
	f = fopen(path, "rb");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n && feed(&p, chunk, n) < 0)
			goto out;
		if (n < sizeof(chunk)) {
			if (ferror(f)) {
				err_set(err, "%s: read error: %s", path, strerror(errno));
				goto out;
			}
			break;
		}
	}
	if (finish(&p) < 0)
		goto out;
	rc = 0;
out:
	if (f)
		fclose(f);
	return parser_done(&p, rc, out);
}

int csv_load(const char *path, struct csv **out, char **err)
{
	return csv_load_part(path, 0, 1, out, err);
}

void csv_free(struct csv *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; c->names && i < c->ncols; i++)
		free(c->names[i]);
	free(c->names);
	free(c->arena);
	free(c->offs);
	free(c);
}

size_t csv_ncolumns(const struct csv *c)
{
	return c->ncols;
}

const char *csv_column_name(const struct csv *c, size_t col)
{
	return col < c->ncols ? c->names[col] : NULL;
}

long csv_column_index(const struct csv *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->ncols; i++)
		if (strlen(c->names[i]) == len && memcmp(c->names[i], name, len) == 0)
			return (long)i;
	return -1;
}

size_t csv_nrows(const struct csv *c)
{
	return c->nrows;
}

size_t csv_total_rows(const struct csv *c)
{
	return c->total_rows;
}

const char *csv_cell(const struct csv *c, size_t row, size_t col, size_t *len)
{
	size_t k = row * c->ncols + col;
	size_t end = k + 1 < c->nrows * c->ncols ? c->offs[k + 1] : c->arena_len;

	if (len)
		*len = end - c->offs[k] - 1;
	return c->arena + c->offs[k];
}
