/* Wire framing: round trips through the incremental reader one byte at a time, and every kind of
 * corrupt header rejected with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/version.h"
#include "common/wire.h"

static void test_roundtrip_bytewise(void **state)
{
	struct buf out;
	struct wire_reader r;
	const char *payloads[] = { "{\"version\":\"0.1.0\"}", "", "x" };
	int types[] = { WIRE_HELLO, WIRE_DONE, WIRE_LOG };
	size_t i, got = 0;
	char *err = NULL;

	(void)state;
	buf_init(&out, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(wire_frame(&out, types[i], payloads[i], strlen(payloads[i])), 0);
	wire_reader_init(&r);
	for (i = 0; i < out.len; i++) {
		int type, rc;
		const uint8_t *p;
		size_t len;

		assert_int_equal(wire_reader_feed(&r, out.data + i, 1), 0);
		while ((rc = wire_reader_next(&r, &type, &p, &len, &err)) == 1) {
			assert_int_equal(type, types[got]);
			assert_int_equal(len, strlen(payloads[got]));
			assert_memory_equal(p, payloads[got], len);
			got++;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 3);
	assert_null(err);
	wire_reader_free(&r);
	buf_free(&out);
}

static void expect_corrupt(const uint8_t *h, size_t n, const char *needle)
{
	struct wire_reader r;
	int type;
	const uint8_t *p;
	size_t len;
	char *err = NULL;

	wire_reader_init(&r);
	wire_reader_feed(&r, h, n);
	assert_int_equal(wire_reader_next(&r, &type, &p, &len, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, needle));
	free(err);
	wire_reader_free(&r);
}

static void test_corrupt_headers(void **state)
{
	uint8_t bad_magic[8] = { 'X', 1, 1, 0, 0, 0, 0, 0 };
	uint8_t bad_version[8] = { 0x42, 9, 1, 0, 0, 0, 0, 0 };
	uint8_t bad_type[8] = { 0x42, BARRAGE_WIRE_VERSION, 99, 0, 0, 0, 0, 0 };
	uint8_t type0[8] = { 0x42, BARRAGE_WIRE_VERSION, 0, 0, 0, 0, 0, 0 };
	uint8_t reserved[8] = { 0x42, BARRAGE_WIRE_VERSION, 1, 7, 0, 0, 0, 0 };
	uint8_t huge[8] = { 0x42, BARRAGE_WIRE_VERSION, 2, 0, 0xff, 0xff, 0xff, 0xff };

	(void)state;
	expect_corrupt(bad_magic, 8, "magic");
	expect_corrupt(bad_magic, 1, "magic"); /* reported before a whole header arrives */
	expect_corrupt(bad_version, 8, "version 9");
	expect_corrupt(bad_type, 8, "type 99");
	expect_corrupt(type0, 8, "type 0");
	expect_corrupt(reserved, 8, "reserved");
	expect_corrupt(huge, 8, "limit");
}

static void test_frame_limit(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(wire_frame(&out, WIRE_PLAN, "", (size_t)WIRE_MAX_PAYLOAD + 1), -1);
	assert_int_equal(out.len, 0);
	assert_string_equal(wire_type_name(WIRE_STATS), "STATS");
	assert_string_equal(wire_type_name(WIRE_HEARTBEAT), "HEARTBEAT");
	assert_string_equal(wire_type_name(WIRE_CONTROL), "CONTROL");
	assert_int_equal(WIRE_TYPE_MAX, WIRE_CONTROL);
	assert_string_equal(wire_type_name(42), "UNKNOWN");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_bytewise),
		cmocka_unit_test(test_corrupt_headers),
		cmocka_unit_test(test_frame_limit),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
