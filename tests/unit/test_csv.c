/* Unit tests for CSV data files (common/csv.c): RFC 4180 quoting, line ends, slicing rows
 * across agents, loading from a file in chunks, bad files with exact file:line messages, and
 * every truncated prefix of valid files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/csv.h"

/* The table as "h1,h2;c11,c12;c21,c22" (no quoting) for compact expectations. */
static void flatten(const struct csv *c, struct buf *out)
{
	size_t r, k;

	buf_reset(out);
	for (k = 0; k < csv_ncolumns(c); k++) {
		if (k)
			buf_append_byte(out, ',');
		buf_append_str(out, csv_column_name(c, k));
	}
	for (r = 0; r < csv_nrows(c); r++) {
		buf_append_byte(out, ';');
		for (k = 0; k < csv_ncolumns(c); k++) {
			size_t len;
			const char *cell = csv_cell(c, r, k, &len);

			assert_int_equal(cell[len], '\0');
			if (k)
				buf_append_byte(out, ',');
			buf_append(out, cell, len);
		}
	}
}

static void test_good(void **state)
{
	static const struct {
		const char *data, *want;
	} cases[] = {
	    {"user,password\nalice,pw1\nbob,pw2\n", "user,password;alice,pw1;bob,pw2"},
	    {"user,password\r\nalice,pw1\r\nbob,pw2\r\n", "user,password;alice,pw1;bob,pw2"},
	    {"user,password\nalice,pw1\nbob,pw2", "user,password;alice,pw1;bob,pw2"},
	    {"user,password\ralice,pw1\r", "user,password;alice,pw1"},
	    {"a,b\n\"x,y\",z\n", "a,b;x,y,z"},
	    {"a,b\n\"say \"\"hi\"\"\",z\n", "a,b;say \"hi\",z"},
	    {"a,b\n\"two\nlines\",z\n", "a,b;two\nlines,z"},
	    {"a,b\n\"two\r\nlines\",z\r\n", "a,b;two\r\nlines,z"},
	    {"\xef\xbb\xbf"
	     "a,b\n1,2\n",
	     "a,b;1,2"},
	    {"\n\na,b\n\n1,2\n\n\n3,4\n", "a,b;1,2;3,4"},
	    {"a,b,c\n,,\n1,,3\n", "a,b,c;,,;1,,3"},
	    {"a,b\n\"\",\"\"\n", "a,b;,"},
	    {"a\n1\n2\n", "a;1;2"},
	    {"a,b\n", "a,b"},
	    {"a,b", "a,b"},
	    {"\"a col\",b\n 1 , 2 \n", "a col,b; 1 , 2 "},
	};
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv *c = NULL;
		char *err = NULL;

		if (csv_parse("t.csv", cases[i].data, strlen(cases[i].data), &c, &err) < 0)
			fail_msg("case %zu: %s", i, err);
		flatten(c, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out.data, cases[i].want);
		assert_int_equal(csv_nrows(c), csv_total_rows(c));
		csv_free(c);
	}
	buf_free(&out);
}

static void test_errors(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
	    {"", "accounts.csv: empty file"},
	    {"\n\r\n\n", "accounts.csv: no header row (the file has only empty lines)"},
	    {"\xef\xbb\xbf", "accounts.csv: no header row (the file has only empty lines)"},
	    {"user,password\nalice,pw\nbob,pw,x\n", "accounts.csv:3: 3 fields, the header has 2"},
	    {"user,password\nalice\n", "accounts.csv:2: 1 field, the header has 2"},
	    {"user,password\n\n\nalice,pw\r\n\r\nbob\r\n",
	     "accounts.csv:6: 1 field, the header has 2"},
	    {"a,b\n\"x\ny\",1\n1,2,3\n", "accounts.csv:4: 3 fields, the header has 2"},
	    {"a,b\n1,\"x\ny\n", "accounts.csv:2: unterminated quoted field (column 2)"},
	    {"\"a,b\n", "accounts.csv:1: unterminated quoted field (column 1)"},
	    {"a,b\n1,x\"y\n", "accounts.csv:2: quote inside an unquoted field (column 2); quote "
			      "the whole field and double the quote"},
	    {"a,b\n\"x\"y,1\n", "accounts.csv:2: text after the closing quote of column 1"},
	    {"user,pass,user\n", "accounts.csv:1: duplicate column name 'user' (columns 1 and 3)"},
	    {"a,,c\n", "accounts.csv:1: column 2 of the header has no name"},
	    {"a,b,\n", "accounts.csv:1: column 3 of the header has no name"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv *c = NULL;
		char *err = NULL;

		if (csv_parse("accounts.csv", cases[i].data, strlen(cases[i].data), &c, &err) == 0)
			fail_msg("case %zu parsed", i);
		assert_null(c);
		if (!err || strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].msg);
		free(err);
	}
}

static void test_nul_in_header(void **state)
{
	static const char data[] = "a,b\0c\n1,2\n";
	struct csv *c = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(csv_parse("x.csv", data, sizeof(data) - 1, &c, &err), -1);
	assert_string_equal(err, "x.csv:1: column 2 of the header has a NUL byte in its name");
	free(err);
}

static void test_columns(void **state)
{
	const char *data = "user,password,id\nalice,pw,1\n";
	struct csv *c = NULL;
	char *err = NULL;
	size_t len;

	(void)state;
	assert_int_equal(csv_parse("t.csv", data, strlen(data), &c, &err), 0);
	assert_int_equal(csv_ncolumns(c), 3);
	assert_int_equal(csv_column_index(c, "password", 8), 1);
	assert_int_equal(csv_column_index(c, "id.x", 2), 2);
	assert_int_equal(csv_column_index(c, "pass", 4), -1);
	assert_int_equal(csv_column_index(c, "nope", 4), -1);
	assert_null(csv_column_name(c, 3));
	assert_string_equal(csv_cell(c, 0, 2, &len), "1");
	assert_int_equal(len, 1);
	csv_free(c);
}

static void test_parts(void **state)
{
	struct buf data, out;
	size_t i, part;

	(void)state;
	buf_init(&data, 0);
	buf_init(&out, 0);
	buf_append_str(&data, "n,sq\n");
	for (i = 0; i < 10; i++)
		buf_printf(&data, "%zu,%zu\n", i, i * i);
	for (part = 0; part < 3; part++) {
		struct csv *c = NULL;
		char *err = NULL;

		assert_int_equal(csv_parse_part("t.csv", data.data, data.len, part, 3, &c, &err),
				 0);
		assert_int_equal(csv_total_rows(c), 10);
		assert_int_equal(csv_nrows(c), part == 0 ? 4 : 3);
		for (i = 0; i < csv_nrows(c); i++) {
			char want[16];

			snprintf(want, sizeof(want), "%zu", part + 3 * i);
			assert_string_equal(csv_cell(c, i, 0, NULL), want);
		}
		csv_free(c);
	}
	/* more parts than rows: some agents get none */
	{
		struct csv *c = NULL;
		char *err = NULL;

		assert_int_equal(csv_parse_part("t.csv", data.data, data.len, 11, 12, &c, &err), 0);
		assert_int_equal(csv_nrows(c), 0);
		csv_free(c);
		assert_int_equal(csv_parse_part("t.csv", data.data, data.len, 3, 3, &c, &err), -1);
		assert_string_equal(err, "t.csv: part 3 of 3 does not exist");
		free(err);
		err = NULL;
		/* a ragged row in a part this agent does not keep is still an error */
		buf_append_str(&data, "1,2,3\n");
		assert_int_equal(csv_parse_part("t.csv", data.data, data.len, 1, 2, &c, &err), -1);
		assert_string_equal(err, "t.csv:12: 3 fields, the header has 2");
		free(err);
	}
	buf_free(&data);
	buf_free(&out);
}

/* A file larger than one read chunk, with quoted fields across chunk ends, loads the same as
 * the same bytes parsed from memory. */
static void test_load_file(void **state)
{
	char path[] = "/tmp/barrage-test-csv-XXXXXX";
	int fd = mkstemp(path);
	struct buf data, a, b;
	struct csv *c1 = NULL, *c2 = NULL;
	char *err = NULL;
	size_t i;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	buf_init(&data, 0);
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_append_str(&data, "\xef\xbb\xbfuser,note\r\n");
	for (i = 0; i < 10000; i++)
		buf_printf(&data, "user%zu,\"note, \"\"%zu\"\"\nmore\"\r\n", i, i);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data.data, 1, data.len, f), data.len);
	fclose(f);
	assert_true(data.len > 3 * 65536);

	assert_int_equal(csv_load_part(path, 1, 4, &c1, &err), 0);
	assert_int_equal(csv_parse_part("x", data.data, data.len, 1, 4, &c2, &err), 0);
	assert_int_equal(csv_nrows(c1), 2500);
	assert_int_equal(csv_total_rows(c1), 10000);
	flatten(c1, &a);
	flatten(c2, &b);
	assert_string_equal(a.data, b.data);
	assert_string_equal(csv_cell(c1, 2, 1, NULL), "note, \"9\"\nmore");
	csv_free(c1);
	csv_free(c2);
	assert_int_equal(csv_load(path, &c1, &err), 0);
	assert_int_equal(csv_nrows(c1), 10000);
	csv_free(c1);
	unlink(path);

	assert_int_equal(csv_load("/nonexistent/accounts.csv", &c1, &err), -1);
	assert_string_equal(err, "/nonexistent/accounts.csv: No such file or directory");
	free(err);
	buf_free(&data);
	buf_free(&a);
	buf_free(&b);
}

static void test_prefixes(void **state)
{
	static const char *files[] = {
	    "\xef\xbb\xbfuser,password\r\n\"al,ice\",\"p\"\"w\"\r\n\r\nbob,\"x\ny\"\n",
	    "a,b,c\n1,2,3\n\"4\",\"\",6",
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len = strlen(files[i]);

		for (n = 0; n <= len; n++) {
			struct csv *c = NULL;
			char *err = NULL;
			char *copy = malloc(n ? n : 1);

			memcpy(copy, files[i], n);
			if (csv_parse("p.csv", copy, n, &c, &err) == 0) {
				size_t r, k;

				for (r = 0; r < csv_nrows(c); r++)
					for (k = 0; k < csv_ncolumns(c); k++)
						assert_non_null(csv_cell(c, r, k, NULL));
				csv_free(c);
			} else {
				assert_non_null(err);
				assert_int_equal(strncmp(err, "p.csv", 5), 0);
				free(err);
			}
			free(copy);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),	  cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_nul_in_header), cmocka_unit_test(test_columns),
	    cmocka_unit_test(test_parts),	  cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
