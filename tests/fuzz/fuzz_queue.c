/* libFuzzer target for the queue service's request handling: routes, query parameters, JSON
 * bodies, keys, and the store behind them. An input is a run of requests separated by NUL
 * bytes, each "METHOD TARGET\nBODY", so one input can enqueue, claim and ack in turn. The
 * service runs for real on a journal in a temporary folder (--sync none); every 64 inputs it is
 * stopped and started again on the same journal, which also fuzzes recovery, and every 1024 the
 * folder is wiped so memory stays bounded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "servers/http.h"
#include "servers/journal.h"
#include "servers/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct srv srv;
static struct srv_response rs;
static char dir[64];
static unsigned long runs;
static int ready;

static void wipe(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/queue.journal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/queue.spill", dir);
	unlink(path);
}

static void stop(void)
{
	if (!ready)
		return;
	srv_queue_service.fini(&srv);
	ready = 0;
}

static void at_exit(void)
{
	stop();
	srv_response_free(&rs);
	wipe();
	rmdir(dir);
}

static void start(void)
{
	char *err = NULL;

	if (srv_queue_service.option(&srv, "max-memory-messages", "16", &err) < 0 ||
	    srv_queue_service.init(&srv, &err) < 0) {
		fprintf(stderr, "fuzz_queue: init: %s\n", err ? err : "?");
		abort();
	}
	ready = 1;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_queue.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	log_level = LOG_ERROR;
	srv.service = &srv_queue_service;
	srv.data_dir = dir;
	srv.sync = JOURNAL_SYNC_NONE;
	srv.threads = 1;
	srv.max_body = SRV_DEFAULT_MAX_BODY;
	srv_response_init(&rs);
	atexit(at_exit);
	start();
}

static void one(const char *req, size_t len)
{
	static const struct {
		const char *name;
		enum srv_method m;
	} methods[] = {{"GET", SRV_GET},
		       {"POST", SRV_POST},
		       {"PUT", SRV_PUT},
		       {"DELETE", SRV_DELETE},
		       {"HEAD", SRV_HEAD}};
	char target[1024], query[1024];
	const char *sp = memchr(req, ' ', len), *nl, *q;
	struct srv_request rq;
	size_t tl, i;

	if (!sp)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.method = SRV_OTHER;
	rq.method_name = "OTHER";
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if ((size_t)(sp - req) == strlen(methods[i].name) &&
		    memcmp(req, methods[i].name, (size_t)(sp - req)) == 0) {
			rq.method = methods[i].m;
			rq.method_name = methods[i].name;
		}
	nl = memchr(sp + 1, '\n', len - (size_t)(sp + 1 - req));
	tl = (size_t)((nl ? nl : req + len) - (sp + 1));
	if (tl == 0 || tl >= sizeof(target) || sp[1] != '/')
		return;
	memcpy(target, sp + 1, tl);
	target[tl] = '\0';
	q = strchr(target, '?');
	query[0] = '\0';
	if (q) {
		memcpy(query, q + 1, strlen(q + 1) + 1);
		tl = (size_t)(q - target);
		target[tl] = '\0';
	}
	rq.path = target;
	rq.path_len = tl;
	rq.query = query;
	rq.body = nl ? nl + 1 : NULL;
	rq.body_len = nl ? len - (size_t)(nl + 1 - req) : 0;
	rq.now_us = clock_mono_us();
	srv_response_reset(&rs);
	srv_dispatch(&srv, &rq, &rs);
	if (rs.status && (rs.status < 200 || rs.status > 599))
		abort();
	if (rs.status >= 400 && !strstr(rs.body.data ? rs.body.data : "", "\"error\""))
		abort(); /* every error is a JSON error */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *err = NULL;

	if (!srv.service)
		setup();
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;

		one(p, (size_t)(e - p));
		p = e + 1;
	}
	if (journal_commit(srv.journal, &err) < 0)
		abort();
	if (++runs % 64 == 0) {
		stop();
		if (runs % 1024 == 0)
			wipe();
		start();
	}
	return 0;
}
