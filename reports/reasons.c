/* Why errors happened, in words: the agents describe the first failure of each kind at each
 * step in their log ("file:line:col: request GET / failed: <libcurl's reason> (counted as
 * error_tls)"), and the controller keeps every agent's log in the run directory's agents/.
 * A count alone does not say why a TLS handshake or a transfer failed; this reads those lines
 * back so the report's error table and summary.json can show the first reason per error name
 * beside its count. Nothing here is required: a run directory without agents/ (a stats.log
 * copied elsewhere) simply has no reasons. */
#include "reports/reasons.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/run.h"

#define REASON_MAX 400 /* characters of a reason kept */

static int add_reason(struct reports_run *run, const char *name, size_t nlen, const char *why,
		      size_t wlen)
{
	struct reports_reason *v;

	for (size_t i = 0; i < run->nreasons; i++)
		if (strlen(run->reasons[i].name) == nlen &&
		    memcmp(run->reasons[i].name, name, nlen) == 0)
			return 0; /* the first one seen is kept */
	v = realloc(run->reasons, (run->nreasons + 1) * sizeof(*v));
	if (!v)
		return -1;
	run->reasons = v;
	if (wlen > REASON_MAX)
		wlen = REASON_MAX;
	v[run->nreasons].name = strndup(name, nlen);
	v[run->nreasons].reason = strndup(why, wlen);
	if (!v[run->nreasons].name || !v[run->nreasons].reason) {
		free(v[run->nreasons].name);
		free(v[run->nreasons].reason);
		return -1;
	}
	run->nreasons++;
	return 0;
}

/* "barrage-agent: warning: WHY (counted as error_NAME) ..." */
static void take_line(struct reports_run *run, const char *line)
{
	static const char tag[] = " (counted as error_";
	const char *w = strstr(line, "warning: "), *c = strstr(line, tag), *n, *e;

	if (!w || !c || c < w)
		return;
	w += strlen("warning: ");
	n = c + strlen(" (counted as ");
	e = strchr(n, ')');
	if (!e || e == n)
		return;
	(void)add_reason(run, n, (size_t)(e - n), w, (size_t)(c - w));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void reports_run_load_reasons(struct reports_run *run, const char *run_dir)
{
	char path[4096], line[4096];
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/agents", run_dir) >= (int)sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **v;

		if (l < 5 || strcmp(de->d_name + l - 4, ".log") != 0)
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v)
			break;
		names = v;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	/* Agents in name order, so the same run directory always gives the same reasons. */
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		FILE *f;

		if (snprintf(path, sizeof(path), "%s/agents/%s", run_dir, names[i]) <
			(int)sizeof(path) &&
		    (f = fopen(path, "r"))) {
			while (fgets(line, sizeof(line), f))
				take_line(run, line);
			fclose(f);
		}
		free(names[i]);
	}
	free(names);
}

const char *reports_run_reason(const struct reports_run *run, const char *name)
{
	for (size_t i = 0; i < run->nreasons; i++)
		if (strcmp(run->reasons[i].name, name) == 0)
			return run->reasons[i].reason;
	return NULL;
}
