/* Unit tests for `barrage import` (controller/import_*.c, controller/xml_tree.c): the YAML
 * writer's quoting read back by libyaml for awkward strings, names and durations, the XML
 * reader's refusals (entities, undeclared references) and what it must accept (comments and
 * CDATA holding '&'), every truncated prefix of a Tsung file and of a HAR, and an imported
 * scenario loaded by the scenario checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/plan.h"
#include "controller/import.h"
#include "controller/import_model.h"
#include "controller/scenario.h"
#include "controller/xml_tree.h"

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

/* An importer from memory with the options these tests use; the name is "t.xml" or "t.har". */
typedef int (*import_fn)(const char *data, size_t len, struct imp_doc *d, char **err);

static int tsung_mem(const char *data, size_t len, struct imp_doc *d, char **err)
{
	return import_tsung_mem("t.xml", data, len, d, devnull(), err);
}

static int har_mem(const char *data, size_t len, struct imp_doc *d, char **err)
{
	static const struct import_opts o = {.think_min_s = 0.5, .max_har_bytes = 1 << 20};

	return import_har_mem("t.har", data, len, &o, d, devnull(), err);
}

/* Import data and write it as YAML into y; the caller checks y, then calls checks_and_free. */
static void import_yaml(import_fn fn, const char *data, struct imp_doc *d, struct buf *y)
{
	char *err = NULL;

	imp_doc_init(d);
	buf_init(y, 0);
	if (fn(data, strlen(data), d, &err) != 0)
		fail_msg("import failed: %s", err);
	assert_int_equal(imp_write(d, y), 0);
}

/* The imported scenario loads in the scenario checker; d and y are freed. */
static void checks_and_free(struct imp_doc *d, struct buf *y)
{
	struct plan *p = NULL;
	char *err = NULL;

	if (scenario_load_string("t.yaml", y->data, y->len, NULL, 0, &p, &err) != 0)
		fail_msg("the imported scenario does not check: %s\n%s", err, y->data);
	plan_free(p);
	buf_free(y);
	imp_doc_free(d);
}

/* Every string of want appears in the YAML y. */
static void assert_has(const struct buf *y, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(y->data, want[i]))
			fail_msg("missing '%s' in\n%s", want[i], y->data);
}

/* Every prefix of a valid file is an error with the file's name first, never a crash or a leak
 * (the sanitizers watch); only a cut at whole_from or later (trailing whitespace) may succeed. */
static void check_prefixes(import_fn fn, const char *data, const char *name, size_t whole_from)
{
	size_t n = strlen(data);

	for (size_t cut = 0; cut < n; cut++) {
		struct imp_doc d;
		char *err = NULL;
		int rc;

		imp_doc_init(&d);
		rc = fn(data, cut, &d, &err);

		if (rc == 0) {
			assert_true(cut >= whole_from);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			assert_int_equal(strncmp(err, name, strlen(name)), 0);
		}
		free(err);
		imp_doc_free(&d);
	}
}

/* Quote s, parse "k: QUOTED" with libyaml, and return the scalar it reads. */
static char *round_trip(const char *s)
{
	struct buf b;
	yaml_parser_t p;
	yaml_event_t ev;
	char *got = NULL;
	int scalars = 0;

	buf_init(&b, 0);
	buf_append_str(&b, "k: ");
	assert_int_equal(imp_yaml_quote(&b, s), 0);
	buf_append_str(&b, "\n");
	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)b.data, b.len);
	for (;;) {
		assert_true(yaml_parser_parse(&p, &ev));
		if (ev.type == YAML_SCALAR_EVENT && ++scalars == 2)
			got = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	buf_free(&b);
	assert_non_null(got);
	return got;
}

static void test_yaml_quote(void **state)
{
	static const char *const cases[] = {
	    "",
	    "plain",
	    "with \"quotes\"",
	    "back\\slash",
	    "tab\there",
	    "new\nline\r\n",
	    "# not a comment",
	    "key: value",
	    "- item",
	    "{{ token }}",
	    "'single'",
	    "\x01\x1f\x7f",
	    "caf\xc3\xa9 \xe2\x82\xac",
	    "  spaces  ",
	    "yes",
	    "null",
	    "~",
	    "123",
	    "%%_var%%",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = round_trip(cases[i]);

		assert_string_equal(got, cases[i]);
		free(got);
	}
}

static void test_names_and_durations(void **state)
{
	struct imp_doc d;

	(void)state;
	imp_doc_init(&d);
	assert_string_equal(imp_ident(&d, "X-Csrf-Token"), "x_csrf_token");
	assert_string_equal(imp_ident(&d, "user_password"), "user_password");
	assert_string_equal(imp_ident(&d, "1st"), "v_1st");
	assert_string_equal(imp_ident(&d, "--"), "value");
	assert_string_equal(imp_ident(&d, "a..b"), "a_b");
	assert_string_equal(imp_duration(&d, 2), "2s");
	assert_string_equal(imp_duration(&d, 1.5), "1.5s");
	assert_string_equal(imp_duration(&d, 0.25), "250ms");
	assert_string_equal(imp_duration(&d, 600), "10m");
	assert_string_equal(imp_duration(&d, 7200), "2h");
	assert_string_equal(imp_duration(&d, 90), "90s");
	assert_string_equal(imp_duration(&d, 0), "0s");
	imp_doc_free(&d);
}

static int parse(const char *xml, char **err)
{
	struct xml_node *root = NULL;
	int rc = xml_parse_mem("t.xml", xml, strlen(xml), &root, err);

	xml_free(root);
	return rc;
}

static void test_xml_refusals(void **state)
{
	static const struct {
		const char *xml, *err;
	} bad[] = {
	    {"<!DOCTYPE t [<!ENTITY a \"x\">]><t>&a;</t>",
	     "t.xml:1:14: entity declaration <!ENTITY a ...> refused: entities are never expanded"},
	    {"<!DOCTYPE t SYSTEM \"x.dtd\">\n<t a=\"&ext;\"/>",
	     "t.xml:2:7: entity '&ext;' is not defined in the file, and external DTDs are never "
	     "loaded"},
	    {"<t>&nope;</t>",
	     "t.xml:1:4: entity '&nope;' is not defined in the file, and external DTDs are never "
	     "loaded"},
	    {"<t><u></t>", "t.xml:1:9: not well-formed XML: mismatched tag"},
	    {"", "t.xml:1:1: not well-formed XML: no element found"},
	    {"<a/><b/>", "t.xml:1:5: not well-formed XML: junk after document element"},
	};
	char *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].xml, &err), -1);
		assert_string_equal(err, bad[i].err);
		free(err);
		err = NULL;
	}
	/* '&' in comments and CDATA is not a reference; the five predefined ones and character
	 * references are expanded. */
	assert_int_equal(parse("<t><!-- &x; --><![CDATA[&y;]]>&amp;&lt;&#65;&#x42;</t>", &err), 0);
	{
		struct xml_node *root = NULL;
		const char *xml = "<t a=\"&quot;&apos;\">&amp;&lt;&#65;<![CDATA[&y;]]></t>";

		assert_int_equal(xml_parse_mem("t.xml", xml, strlen(xml), &root, &err), 0);
		assert_string_equal(root->text, "&<A&y;");
		assert_string_equal(xml_attr(root, "a"), "\"'");
		xml_free(root);
	}
	/* Depth is bounded. */
	{
		struct buf b;

		buf_init(&b, 0);
		for (int i = 0; i < XML_TREE_MAX_DEPTH + 1; i++)
			buf_append_str(&b, "<a>");
		assert_int_equal(parse(b.data, &err), -1);
		assert_non_null(strstr(err, "elements nest deeper than 128 levels"));
		free(err);
		buf_free(&b);
	}
}

static const char tsung_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE tsung SYSTEM \"/usr/share/tsung/tsung-1.0.dtd\">\n"
    "<tsung loglevel=\"notice\">\n"
    "  <clients><client host=\"localhost\" maxusers=\"10\"/></clients>\n"
    "  <servers><server host=\"127.0.0.1\" port=\"8080\" type=\"tcp\"/></servers>\n"
    "  <load><arrivalphase phase=\"1\" duration=\"1\" unit=\"minute\">\n"
    "    <users interarrival=\"0.5\" unit=\"second\"/></arrivalphase></load>\n"
    "  <sessions><session name=\"s\" probability=\"100\" type=\"ts_http\">\n"
    "    <request subst=\"true\"><dyn_variable name=\"tok\" jsonpath=\"token\"/>\n"
    "      <http url=\"/login?u=%%_u%%\" method=\"post\" contents=\"a=1&amp;b=2\"/></request>\n"
    "    <thinktime min=\"1\" max=\"3\"/>\n"
    "    <if var=\"tok\" neq=\"\"><request subst=\"true\"><http url=\"/x\">\n"
    "      <http_header name=\"Authorization\" value=\"Bearer %%_tok%%\"/></http></request></if>\n"
    "    <foreach name=\"i\" in=\"ids\"><request><http url=\"/i\"/></request></foreach>\n"
    "    <request><dyn_variable name=\"ids\" re=\"id=(\\d+)\"/><http url=\"/ids\"/></request>\n"
    "    <request><match do=\"abort\" when=\"match\">err</match>\n"
    "      <match do=\"restart\" when=\"nomatch\">ok</match><http url=\"/m\"/></request>\n"
    "    <if var=\"tok\" eq=\"x\"></if><foreach name=\"j\" in=\"ids\"></foreach>\n"
    "  </session></sessions>\n"
    "</tsung>\n";

static void test_tsung_imports_and_checks(void **state)
{
	struct imp_doc d;
	struct buf y;
	static const char *const want[] = {
	    "target: \"http://127.0.0.1:8080\"",
	    "arrival_rate: 2/s",
	    "max_users: 10",
	    "method: \"POST\"",
	    "url: \"/login?u={{ u }}\"",
	    "body: \"a=1&b=2\"",
	    "tok: { json: \"$.token\", default: \"\" }",
	    "think: { min: 1s, max: 3s }",
	    "if: \"tok != ''\"",
	    "\"Authorization\": \"Bearer {{ tok }}\"",
	    "ids: { regex: \"id=(\\\\d+)\", pick: all, default: \"\" }",
	    "foreach: ids",
	    "an <if> with no step inside: left out",
	    "a <foreach> with no step inside: left out",
	    "match_1: { regex: \"(err)\", default: \"\" }",
	    "if: \"match_1 != ''\"",
	    "abort: \"match_1\"",
	    "body: { regex: \"ok\" }\n          on_fail: restart",
	    /* u is used and never set: it becomes a variable with a note. */
	    "# nothing in the Tsung file sets 'u' before it is used",
	};

	(void)state;
	import_yaml(tsung_mem, tsung_xml, &d, &y);
	assert_has(&y, want, sizeof(want) / sizeof(want[0]));
	checks_and_free(&d, &y);
}

/* Cutting only the final newline or whitespace of the Tsung file still leaves a whole
 * document. */
static void test_tsung_prefixes(void **state)
{
	(void)state;
	check_prefixes(tsung_mem, tsung_xml, "t.xml", strlen(tsung_xml) - 2);
}

static const char har_json[] =
    "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"t\"},\"entries\":["
    "{\"startedDateTime\":\"2026-01-01T00:00:00.000+01:00\",\"time\":10,"
    "\"request\":{\"method\":\"POST\",\"url\":\"http://h:81/login\",\"headers\":[],"
    "\"postData\":{\"mimeType\":\"application/json\",\"text\":\"{\\\"u\\\":\\\"a\\\"}\"}},"
    "\"response\":{\"status\":200,\"headers\":[],\"content\":{\"mimeType\":\"application/json\","
    "\"text\":\"{\\\"data\\\":{\\\"token\\\":\\\"tk-000111222\\\"}}\"}}},"
    "{\"startedDateTime\":\"2025-12-31T23:00:01.000Z\",\"time\":10,"
    "\"request\":{\"method\":\"GET\",\"url\":\"http://h:81/me?t=tk-000111222\",\"headers\":["
    "{\"name\":\"X-Token\",\"value\":\"tk-000111222\"}]},"
    "\"response\":{\"status\":200,\"headers\":[],\"content\":{}}}]}}";

static void test_har_imports_and_checks(void **state)
{
	struct imp_doc d;
	struct buf y;
	static const char *const want[] = {
	    "target: \"http://h:81\"",
	    "token: { json: \"$.data.token\" }",
	    "url: \"/me?t={{ token }}\"",
	    "\"X-Token\": \"{{ token }}\"",
	    /* +01:00 and Z are the same clock: 990 ms between the end of one and the start of the
	     * next, rounded to 100 ms. */
	    "- think: 1s",
	};

	(void)state;
	import_yaml(har_mem, har_json, &d, &y);
	assert_has(&y, want, sizeof(want) / sizeof(want[0]));
	checks_and_free(&d, &y);
}

/* No prefix of the HAR is a whole document. */
static void test_har_prefixes(void **state)
{
	(void)state;
	check_prefixes(har_mem, har_json, "t.har", strlen(har_json));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml_quote),	   cmocka_unit_test(test_names_and_durations),
	    cmocka_unit_test(test_xml_refusals),   cmocka_unit_test(test_tsung_imports_and_checks),
	    cmocka_unit_test(test_tsung_prefixes), cmocka_unit_test(test_har_imports_and_checks),
	    cmocka_unit_test(test_har_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
