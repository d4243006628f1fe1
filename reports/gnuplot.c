/* Running gnuplot for the report's charts: a script fed through a pipe, SVG read back and
 * inlined.
 *
 * Each chart is one gnuplot process: the script (with its data as an inline datablock) goes to
 * gnuplot's stdin through popen, gnuplot writes the SVG to a temporary file, and we read it
 * back, drop the XML prologue and prefix every id so that twenty charts can live in one page.
 * No JavaScript (gnuplot's "mouse" option is off) and no external reference, so the report
 * opens from file:// with no network. BARRAGE_GNUPLOT names another gnuplot binary; when none
 * can run, the callers put a note in the report instead of the charts. */
#include "reports/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"

#define CHART_MAX_SVG ((size_t)16 << 20)

static const char *gnuplot_bin(void)
{
	const char *g = getenv("BARRAGE_GNUPLOT");

	return g && *g ? g : "gnuplot";
}

/* Append src to out with every gnuplot id made unique by prefix. */
static int inline_svg(struct buf *out, const char *svg, size_t len, const char *prefix)
{
	const char *p = strstr(svg, "<svg");
	const char *end = svg + len;

	if (!p)
		return -1;
	while (p < end) {
		const char *q;
		size_t skip = 0;

		/* ids and references: id='gpPt0' id="gnuplot_canvas" href='#gpPt5' */
		if (strncmp(p, "id='", 4) == 0 || strncmp(p, "id=\"", 4) == 0)
			skip = 4;
		else if (strncmp(p, "href='#", 7) == 0 || strncmp(p, "href=\"#", 7) == 0 ||
			 strncmp(p, "url(#", 5) == 0)
			skip = p[0] == 'u' ? 5 : 7;
		else if (strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
			p += 22;
			continue;
		} else if (strncmp(p, "<desc>", 6) == 0 && (q = strstr(p, "</desc>")) != NULL) {
			p = q + 7;
			continue;
		}
		if (skip) {
			buf_append(out, p, skip);
			buf_append_str(out, prefix);
			p += skip;
			continue;
		}
		q = p + 1;
		while (q < end && *q != 'i' && *q != 'h' && *q != 'u' && *q != '<')
			q++;
		buf_append(out, p, (size_t)(q - p));
		p = q;
	}
	return 0;
}

/* What went wrong with a gnuplot process, from its wait status and the write error (0 when the
 * whole script went in). The exit status says more than the write: a gnuplot that is not
 * installed (127) or that died also closes its end of the pipe. */
static void gnuplot_failure(int status, int write_errno, char **err)
{
	const char *g = gnuplot_bin();

	if (status == -1)
		err_set(err, "waiting for %s: %s", g, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		err_set(err, "cannot run %s (is gnuplot installed?)", g);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		err_set(err, "%s exited with status %d", g, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		err_set(err, "%s was killed by signal %d", g, WTERMSIG(status));
	else
		err_set(err, "%s did not read the whole chart script: %s", g,
			strerror(write_errno));
}

int reports_gnuplot_svg(const char *script, const char *id_prefix, struct buf *out, char **err)
{
	char tmpl[] = "/tmp/barrage-chart-XXXXXX";
	char cmd[512];
	struct buf svg;
	FILE *gp = NULL;
	int fd = -1, rc = -1, status, werr = 0;
	struct stat st;

	buf_init(&svg, CHART_MAX_SVG);
	fd = mkstemp(tmpl);
	if (fd < 0)
		return err_set(err, "temporary file: %s", strerror(errno));
	snprintf(cmd, sizeof(cmd), "%s 2>/dev/null", gnuplot_bin());
	gp = popen(cmd, "w");
	if (!gp) {
		err_set(err, "cannot run %s: %s", gnuplot_bin(), strerror(errno));
		goto out;
	}
	/* A gnuplot that is missing, crashes or stops reading closes the pipe while we write:
	 * the write fails with EPIPE (the controller ignores SIGPIPE, controller/main.c), and
	 * the chart is given up, never the report. */
	if (fprintf(gp,
		    "set terminal svg size 1160,400 dynamic enhanced font 'Helvetica,13' "
		    "background rgb 'white'\nset output '%s'\n%s\nunset output\n",
		    tmpl, script) < 0 ||
	    fflush(gp) != 0)
		werr = errno ? errno : EIO;
	status = pclose(gp);
	gp = NULL;
	if (werr || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		gnuplot_failure(status, werr, err);
		goto out;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (size_t)st.st_size > CHART_MAX_SVG) {
		err_set(err, "%s wrote no chart", gnuplot_bin());
		goto out;
	}
	if (buf_reserve(&svg, (size_t)st.st_size + 1) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n =
		    pread(fd, svg.data + svg.len, (size_t)st.st_size - svg.len, (off_t)svg.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		svg.len += (size_t)n;
		if (svg.len == (size_t)st.st_size)
			break;
	}
	svg.data[svg.len] = '\0';
	if (inline_svg(out, svg.data, svg.len, id_prefix) < 0) {
		err_set(err, "%s wrote something that is not SVG", gnuplot_bin());
		goto out;
	}
	rc = 0;
out:
	if (gp)
		pclose(gp);
	close(fd);
	unlink(tmpl);
	buf_free(&svg);
	return rc;
}

/* Append TEXT as a gnuplot single-quoted string: no backslash escapes are processed in one,
 * and a quote is written twice. The key is noenhanced, so '_', '^', '@', '{' stay as they are:
 * a statistic's name (any UTF-8 text, common/stats.h) reaches the chart unchanged. */
void reports_gp_str(struct buf *s, const char *text)
{
	buf_append_byte(s, '\'');
	for (; *text; text++) {
		if (*text == '\'')
			buf_append_byte(s, '\'');
		/* A newline would end the command; names carry none, but a title is one line. */
		buf_append_byte(s, *text == '\n' || *text == '\r' ? ' ' : (uint8_t)*text);
	}
	buf_append_byte(s, '\'');
}
