/* junit.xml: one test case per threshold, so a CI system shows which gate failed and by how
 * much. A threshold that could not be evaluated (no data, invalid) is a failure too: a gate
 * that silently passes on a run that measured nothing is worse than none. */
#include "reports/junit.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "reports/output.h"
#include "reports/run.h"

static const char *unit_str(const struct reports_threshold *t)
{
	switch (t->t.unit) {
	case THRESHOLD_UNIT_MS:
		return " ms";
	case THRESHOLD_UNIT_PER_S:
		return "/s";
	case THRESHOLD_UNIT_RATIO:
		return "";
	case THRESHOLD_UNIT_COUNT:
		return "";
	}
	return "";
}

/* "9.9 ms" or "0.52%" */
static void value_str(char *out, size_t size, const struct reports_threshold *t)
{
	if (!t->has_value)
		snprintf(out, size, "no data");
	else if (t->t.unit == THRESHOLD_UNIT_RATIO)
		snprintf(out, size, "%.3g%%", t->value * 100.0);
	else
		snprintf(out, size, "%.6g%s", t->value, unit_str(t));
}

int reports_junit_write(const struct reports_run *run, const char *path, char **err)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	buf_append_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	buf_printf(&b, "  <testsuite name=\"barrage thresholds: ");
	reports_html_escape(&b, run->name);
	buf_printf(&b, "\" tests=\"%zu\" failures=\"%d\" errors=\"0\" time=\"%.3f\"",
		   run->nthresholds, run->thresholds_failed, run->duration_s);
	if (run->started_at) {
		buf_append_str(&b, " timestamp=\"");
		reports_html_escape(&b, run->started_at);
		buf_append_str(&b, "\"");
	}
	buf_append_str(&b, ">\n");
	for (size_t i = 0; i < run->nthresholds; i++) {
		const struct reports_threshold *t = &run->thresholds[i];
		char v[64];

		value_str(v, sizeof(v), t);
		buf_append_str(&b, "    <testcase classname=\"barrage.thresholds\" name=\"");
		reports_html_escape(&b, t->metric);
		buf_append_str(&b, " ");
		reports_html_escape(&b, t->condition);
		buf_append_str(&b, "\" time=\"0\"");
		if (t->ok) {
			buf_append_str(&b, ">\n      <system-out>measured ");
			reports_html_escape(&b, v);
			buf_append_str(&b, "</system-out>\n    </testcase>\n");
			continue;
		}
		buf_append_str(&b, ">\n      <failure message=\"");
		reports_html_escape(&b, t->metric);
		buf_append_str(&b, " ");
		if (t->error && !t->has_value) {
			reports_html_escape(&b, t->error);
		} else {
			buf_append_str(&b, "= ");
			reports_html_escape(&b, v);
			buf_append_str(&b, ", expected ");
			reports_html_escape(&b, t->condition);
		}
		buf_append_str(&b, "\" type=\"threshold\">");
		reports_html_escape(&b, t->metric);
		buf_append_str(&b, ": measured ");
		reports_html_escape(&b, v);
		buf_append_str(&b, ", condition ");
		reports_html_escape(&b, t->condition);
		if (t->error) {
			buf_append_str(&b, " (");
			reports_html_escape(&b, t->error);
			buf_append_str(&b, ")");
		}
		buf_append_str(&b, "</failure>\n    </testcase>\n");
	}
	buf_append_str(&b, "  </testsuite>\n</testsuites>\n");
	rc = reports_write_file(path, b.data, b.len, err);
	buf_free(&b);
	return rc;
}
