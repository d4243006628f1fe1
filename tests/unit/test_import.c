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
	struct plan *p = NULL;
	char *err = NULL;

	(void)state;
	imp_doc_init(&d);
	buf_init(&y, 0);
	assert_int_equal(
	    import_tsung_mem("t.xml", tsung_xml, strlen(tsung_xml), &d, devnull(), &err), 0);
	assert_int_equal(imp_write(&d, &y), 0);
	assert_non_null(strstr(y.data, "target: \"http://127.0.0.1:8080\""));
	assert_non_null(strstr(y.data, "arrival_rate: 2/s"));
	assert_non_null(strstr(y.data, "max_users: 10"));
	assert_non_null(strstr(y.data, "method: \"POST\""));
	assert_non_null(strstr(y.data, "url: \"/login?u={{ u }}\""));
	assert_non_null(strstr(y.data, "body: \"a=1&b=2\""));
	assert_non_null(strstr(y.data, "tok: { json: \"$.token\", default: \"\" }"));
	assert_non_null(strstr(y.data, "think: { min: 1s, max: 3s }"));
	assert_non_null(strstr(y.data, "if: \"tok != ''\""));
	assert_non_null(strstr(y.data, "\"Authorization\": \"Bearer {{ tok }}\""));
	assert_non_null(
	    strstr(y.data, "ids: { regex: \"id=(\\\\d+)\", pick: all, default: \"\" }"));
	assert_non_null(strstr(y.data, "foreach: ids"));
	assert_non_null(strstr(y.data, "an <if> with no step inside: left out"));
	assert_non_null(strstr(y.data, "a <foreach> with no step inside: left out"));
	assert_non_null(strstr(y.data, "match_1: { regex: \"(err)\", default: \"\" }"));
	assert_non_null(strstr(y.data, "if: \"match_1 != ''\""));
	assert_non_null(strstr(y.data, "abort: \"match_1\""));
	assert_non_null(strstr(y.data, "body: { regex: \"ok\" }\n          on_fail: restart"));
	/* u is used and never set: it becomes a variable with a note. */
	assert_non_null(strstr(y.data, "# nothing in the Tsung file sets 'u' before it is used"));
	if (scenario_load_string("t.yaml", y.data, y.len, NULL, 0, &p, &err) != 0)
		fail_msg("the imported scenario does not check: %s\n%s", err, y.data);
	plan_free(p);
	buf_free(&y);
	imp_doc_free(&d);
}

/* Every prefix of a valid file is an error with the file's name first (or, for the whole
 * file, a success); never a crash or a leak (the sanitizers watch). */
static void test_tsung_prefixes(void **state)
{
	size_t n = strlen(tsung_xml);

	(void)state;
	for (size_t cut = 0; cut < n; cut++) {
		struct imp_doc d;
		char *err = NULL;
		int rc;

		imp_doc_init(&d);
		rc = import_tsung_mem("t.xml", tsung_xml, cut, &d, devnull(), &err);
		/* Cutting only the final newline or whitespace still leaves a whole document. */
		if (rc == 0) {
			assert_true(cut >= n - 2);
		} else {
			assert_non_null(err);
			assert_int_equal(strncmp(err, "t.xml", 5), 0);
		}
		free(err);
		imp_doc_free(&d);
	}
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
	struct import_opts o = {.think_min_s = 0.5, .max_har_bytes = 1 << 20};
	struct imp_doc d;
	struct buf y;
	struct plan *p = NULL;
	char *err = NULL;

	(void)state;
	imp_doc_init(&d);
	buf_init(&y, 0);
	assert_int_equal(
	    import_har_mem("t.har", har_json, strlen(har_json), &o, &d, devnull(), &err), 0);
	assert_int_equal(imp_write(&d, &y), 0);
	assert_non_null(strstr(y.data, "target: \"http://h:81\""));
	assert_non_null(strstr(y.data, "token: { json: \"$.data.token\" }"));
	assert_non_null(strstr(y.data, "url: \"/me?t={{ token }}\""));
	assert_non_null(strstr(y.data, "\"X-Token\": \"{{ token }}\""));
	/* +01:00 and Z are the same clock: 990 ms between the end of one and the start of the
	 * next, rounded to 100 ms. */
	assert_non_null(strstr(y.data, "- think: 1s"));
	if (scenario_load_string("t.yaml", y.data, y.len, NULL, 0, &p, &err) != 0)
		fail_msg("the imported scenario does not check: %s\n%s", err, y.data);
	plan_free(p);
	buf_free(&y);
	imp_doc_free(&d);
}

static void test_har_prefixes(void **state)
{
	struct import_opts o = {.think_min_s = 0.5, .max_har_bytes = 1 << 20};
	size_t n = strlen(har_json);

	(void)state;
	for (size_t cut = 0; cut < n; cut++) {
		struct imp_doc d;
		char *err = NULL;

		imp_doc_init(&d);
		assert_int_equal(import_har_mem("t.har", har_json, cut, &o, &d, devnull(), &err),
				 -1);
		assert_non_null(err);
		assert_int_equal(strncmp(err, "t.har", 5), 0);
		free(err);
		imp_doc_free(&d);
	}
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
