/* libFuzzer target for the reference servers' request handling: routes, query parsing and JSON
 * bodies of the test target, wallet and voting, called through srv_dispatch with no socket.
 *
 * Input: first byte picks the service (mod 3: target, wallet, voting); then one line
 * "METHOD PATH[?QUERY]", one line used as the Cookie and Authorization headers (the word TOKEN is
 * replaced by a live voting session, so authenticated routes are reached), and the rest is the
 * body. State persists across inputs in a temporary data dir (journals with --sync none). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "servers/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct srv servers[3];
static struct srv_response rs;
static char token[64] = "none";
static int ready;

static char dir[] = "/tmp/fuzz_server_json.XXXXXX";

static void teardown(void)
{
	char path[sizeof(dir) + 32];

	for (int i = 0; i < 3; i++)
		if (servers[i].service && servers[i].service->fini)
			servers[i].service->fini(&servers[i]);
	srv_response_free(&rs);
	snprintf(path, sizeof(path), "%s/wallet.journal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/voting.journal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/wallet.history.000001", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/voting.history.000001", dir);
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	const char *names[3] = {"target", "wallet", "voting"};
	char *err = NULL;

	log_level = LOG_ERROR;
	if (!mkdtemp(dir))
		abort();
	srv_response_init(&rs);
	for (int i = 0; i < 3; i++) {
		struct srv *s = &servers[i];

		s->service = srv_service_find(names[i]);
		if (!s->service)
			abort();
		s->data_dir = dir;
		s->sync = JOURNAL_SYNC_NONE;
		s->threads = 1;
		s->max_body = SRV_DEFAULT_MAX_BODY;
		s->start_us = clock_mono_us();
		if (s->service->init && s->service->init(s, &err) < 0) {
			fprintf(stderr, "fuzz setup: %s\n", err);
			abort();
		}
	}
	/* A live voting session for inputs that say TOKEN. */
	{
		static const char body[] = "{\"user\":\"user1\",\"password\":\"pw-user1\"}";
		struct srv_request rq = {.method = SRV_POST,
					 .method_name = "POST",
					 .path = "/login",
					 .path_len = 6,
					 .query = "",
					 .body = body,
					 .body_len = sizeof(body) - 1,
					 .now_us = clock_mono_us()};
		json_t *v;

		srv_response_reset(&rs);
		srv_dispatch(&servers[2], &rq, &rs);
		v = json_loadb(rs.body.data, rs.body.len, 0, NULL);
		if (v && json_is_string(json_object_get(v, "token")))
			snprintf(token, sizeof(token), "%s",
				 json_string_value(json_object_get(v, "token")));
		json_decref(v);
	}
	atexit(teardown);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_request rq;
	struct srv *s;
	char line1[4096], line2[512], hdr[600], cookie[700], auth[700];
	const char *p, *end, *nl, *sp, *tpath;
	char pathbuf[sizeof(line1)];
	size_t tlen;
	char *path;
	size_t n;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	s = &servers[data[0] % 3];
	p = (const char *)data + 1;
	end = (const char *)data + size;

	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	if (n >= sizeof(line1))
		return 0;
	memcpy(line1, p, n);
	line1[n] = '\0';
	if (memchr(line1, '\0', n))
		return 0; /* a NUL cannot come through HTTP in a request line */
	p = nl ? nl + 1 : end;
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	if (n >= sizeof(line2))
		n = sizeof(line2) - 1;
	memcpy(line2, p, n);
	line2[n] = '\0';
	p = nl ? nl + 1 : end;

	memset(&rq, 0, sizeof(rq));
	sp = strchr(line1, ' ');
	rq.method = SRV_GET;
	rq.method_name = "GET";
	path = line1;
	if (sp) {
		if (strncmp(line1, "POST ", 5) == 0)
			rq.method = SRV_POST, rq.method_name = "POST";
		else if (strncmp(line1, "PUT ", 4) == 0)
			rq.method = SRV_PUT, rq.method_name = "PUT";
		else if (strncmp(line1, "DELETE ", 7) == 0)
			rq.method = SRV_DELETE, rq.method_name = "DELETE";
		path = (char *)sp + 1;
	}
	if (srv_target_split(path, &tpath, &tlen, &rq.query) < 0)
		return 0; /* the transport answers these itself */
	memcpy(pathbuf, tpath, tlen);
	pathbuf[tlen] = '\0';
	rq.path = pathbuf;
	rq.path_len = tlen;
	/* Never ask the target to sleep or to build huge bodies: those are not parsing. */
	if (s == &servers[0] && (strstr(rq.query, "size") || strstr(rq.query, "delay")))
		return 0;
	{
		char *tok = strstr(line2, "TOKEN");

		if (tok) {
			snprintf(hdr, sizeof(hdr), "%.*s%s%s", (int)(tok - line2), line2, token,
				 tok + 5);
		} else {
			snprintf(hdr, sizeof(hdr), "%s", line2);
		}
	}
	snprintf(cookie, sizeof(cookie), "sid=%s", hdr);
	snprintf(auth, sizeof(auth), "Bearer %s", hdr);
	rq.cookie = hdr[0] ? cookie : NULL;
	rq.authorization = hdr[0] ? auth : NULL;
	rq.body = p;
	rq.body_len = (size_t)(end - p);
	rq.now_us = clock_mono_us();
	srv_response_reset(&rs);
	srv_dispatch(s, &rq, &rs);
	if (s->journal && journal_pending(s->journal)) {
		char *err = NULL;

		if (journal_commit(s->journal, &err) < 0)
			abort();
	}
	return 0;
}
