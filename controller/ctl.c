/* The client side of runtime control (see ctl.h). A thin client: the words become the same JSON
 * body the page sends, and the dashboard checks everything (token, values, whether the run can
 * take it), so the terminal and the page can never disagree about what is allowed. */
#include "controller/ctl.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

static int parse_factor(const char *w, double *f)
{
	char *end;

	if (*w == 'x' || *w == 'X' || *w == '*')
		w++;
	errno = 0;
	*f = strtod(w, &end);
	return *w && !*end && !errno && isfinite(*f) ? 0 : -1;
}

int ctl_body(int argc, char **argv, char *body, size_t size, char **err)
{
	const char *a;
	double f;

	if (argc < 1)
		return err_set(err, "ctl: which action? rate xF | users N | pause | resume | stop");
	a = argv[0];
	if (!strcmp(a, "pause") || !strcmp(a, "resume") || !strcmp(a, "stop")) {
		if (argc > 1)
			return err_set(err, "ctl: '%s' takes no value (got '%s')", a, argv[1]);
		snprintf(body, size, "{\"action\":\"%s\"}", a);
		return 0;
	}
	if (strcmp(a, "rate") && strcmp(a, "users"))
		return err_set(err,
			       "ctl: unknown action '%s': rate xF | users N | pause | resume | "
			       "stop",
			       a);
	if (argc != 2)
		return err_set(err, "ctl: '%s' takes one value (e.g. %s)", a,
			       strcmp(a, "rate") ? "users 200" : "rate x1.5");
	if (!strcmp(a, "users") && argv[1][0] != 'x' && argv[1][0] != 'X') {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(argv[1], &end, 10);
		if (!argv[1][0] || *end || errno || n < 0)
			return err_set(err, "ctl: users '%s': expected a whole number or xF",
				       argv[1]);
		snprintf(body, size, "{\"action\":\"users\",\"users\":%lld}", n);
		return 0;
	}
	if (parse_factor(argv[1], &f) < 0)
		return err_set(err, "ctl: %s '%s': expected a factor like x1.5", a, argv[1]);
	/* The dashboard judges the value (e.g. a negative factor): one place says what is allowed.
	 */
	snprintf(body, size, "{\"action\":\"%s\",\"factor\":%.17g}", a, f);
	return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_append(arg, p, sz * n) < 0 ? 0 : sz * n;
}

int ctl_send(const char *url, const char *token, const char *body)
{
	char auth[300];
	struct curl_slist *hdr = NULL;
	struct buf resp;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc = -1;

	buf_init(&resp, 1 << 20);
	c = curl_easy_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (!c || !hdr) {
		fprintf(stderr, "barrage: ctl: out of memory\n");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		fprintf(stderr, "barrage: ctl: %s: %s\n", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		printf("%.*s\n", (int)resp.len, resp.data ? resp.data : "");
		rc = 0;
	} else {
		fprintf(stderr, "barrage: ctl: refused (HTTP %ld): %.*s\n", status, (int)resp.len,
			resp.data ? resp.data : "");
	}
out:
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	buf_free(&resp);
	return rc;
}
