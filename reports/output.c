/* What every report file shares on its way out: the atomic write (a temporary name, then
 * rename, so a reader never sees half a file), HTML/XML text escaping, and the page head with
 * its stylesheet for report.html and compare.html. */
#include "reports/output.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

int reports_write_file(const char *path, const char *data, size_t len, char **err)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(err, "%s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return err_set(err, "%s: %s", tmp, strerror(errno));
	if ((len && fwrite(data, 1, len, f) != len) || fflush(f) != 0) {
		err_set(err, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void reports_html_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			buf_append_str(b, "&lt;");
			break;
		case '>':
			buf_append_str(b, "&gt;");
			break;
		case '&':
			buf_append_str(b, "&amp;");
			break;
		case '"':
			buf_append_str(b, "&quot;");
			break;
		case '\'':
			buf_append_str(b, "&#39;");
			break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				buf_append_byte(b, ' ');
			else
				buf_append_byte(b, (uint8_t)*s);
		}
	}
}

/* ---- page furniture ---- */

static const char css[] =
    ":root{--fg:#1d2330;--mut:#5b6475;--line:#dfe3ea;--bg:#f5f7fa;--acc:#1f5fbf;--ok:#1e7d3a;"
    "--bad:#b42318;--warn:#a15c00}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:var(--fg);background:var(--bg)}"
    "header.top{background:#1d2330;color:#fff;padding:18px 32px}"
    "header.top h1{margin:0;font-size:22px;font-weight:600}"
    "header.top .sub{color:#b9c2d3;margin-top:4px}"
    "nav{background:#fff;border-bottom:1px solid var(--line);padding:8px "
    "32px;position:sticky;top:0}"
    "nav a{color:var(--acc);text-decoration:none;margin-right:16px;font-size:13px}"
    "main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px 20px;"
    "margin:16px 0}"
    "h2{font-size:18px;margin:0 0 12px;font-weight:600}"
    "h3{font-size:15px;margin:20px 0 8px;font-weight:600;color:#333}"
    "table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 8px}"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}"
    "th{background:#eef1f6;font-weight:600;color:#333;border-bottom:2px solid #c9d0db}"
    "th:first-child,td:first-child{text-align:left}"
    "td{font-variant-numeric:tabular-nums}"
    "tr:nth-child(even) td{background:#fafbfc}"
    "th.pct{background:#e6eefb}"
    "table.kv td{text-align:left;white-space:normal}table.kv "
    "td:first-child{width:220px;color:var(--mut)}"
    ".tiles{display:grid;gap:10px;grid-template-columns:repeat(auto-fit,minmax(140px,1fr))}"
    "table.narrow{width:auto;min-width:640px}table.left td,table.left th{text-align:left;"
    "white-space:normal}"
    ".tile{background:#fff;border:1px solid var(--line);border-radius:6px;"
    "padding:12px 14px}"
    ".tile .v{font-size:22px;font-weight:600}.tile .l{color:var(--mut);font-size:12px}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;"
    "color:#fff}"
    ".pass{background:var(--ok)}.fail{background:var(--bad)}.warnb{background:var(--warn)}"
    ".notice{border-left:4px solid var(--warn);background:#fff8eb;padding:10px 14px;margin:8px 0;"
    "border-radius:4px}"
    ".notice.bad{border-color:var(--bad);background:#fdf0ef}"
    ".note{color:var(--mut)}.note.warn{color:var(--bad)}"
    "figure.chart{margin:12px 0 20px}figure.chart svg{width:100%;height:auto;display:block;"
    "border:1px solid var(--line);border-radius:4px}"
    "figure.chart .ct{font-weight:600;font-size:14px;margin:0 0 6px}"
    "figcaption{color:var(--mut);font-size:12px;margin-top:4px}"
    ".muted{color:var(--mut)}footer{color:var(--mut);font-size:12px;text-align:center;"
    "margin:24px 0}"
    "code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#eef1f6;padding:1px 4px;"
    "border-radius:3px}";

void reports_html_head(struct buf *b, const char *title)
{
	buf_append_str(b,
		       "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<title>");
	reports_html_escape(b, title);
	buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}
