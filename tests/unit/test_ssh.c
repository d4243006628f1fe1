/* The SSH transport (controller/ssh.h and the controller/ssh_*.c files behind it).
 *
 * Without arguments: cmocka tests that need no server (a refused connection is reported as
 * such and quickly; `hosts check` usage errors). With arguments it is the driver the
 * integration tests (tests/integration/ssh_*.sh) use against a real sshd, until the controller
 * can run scenarios over these links:
 *
 *   test_ssh hosts check FILE [...]          the `barrage hosts check` command itself
 *   test_ssh links HOSTS KEY KNOWN_HOSTS     echo bytes through the remote agent (a cat),
 *                                            exit status, signal, stderr lines, uploads
 *   test_ssh many HOSTS KEY KNOWN_HOSTS      every agent of every host at once, each echoes
 *   test_ssh push HOSTS KEY KNOWN_HOSTS AGENT  --push-agent with AGENT as the local binary
 *   test_ssh hold HOSTS KEY KNOWN_HOSTS SECS start one agent per host and print each link's
 *                                            close reason as it comes (link-cut tests) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/buf.h"
#include "common/log.h"
#include "controller/cli.h"
#include "controller/ssh.h"

/* ---- the link harness ---- */

struct probe {
	struct agent_link *l;
	struct buf out;
	struct buf log;
	bool closed;
	char *why;
	int lines;
};

static void probe_data(struct agent_link *l, const void *d, size_t n, void *arg)
{
	struct probe *p = arg;
	buf_append(&p->out, d, n);
}

static void probe_log(struct agent_link *l, const char *line, size_t n, void *arg)
{
	struct probe *p = arg;
	buf_append(&p->log, line, n);
	buf_append_byte(&p->log, '\n');
	p->lines++;
}

static void probe_close(struct agent_link *l, const char *why, void *arg)
{
	struct probe *p = arg;
	if (p->closed) {
		fprintf(stderr, "FAIL: on_close called twice on %s\n", l->id);
		exit(1);
	}
	p->closed = true;
	p->why = why ? strdup(why) : NULL;
}

static void probe_init(struct probe *p, struct agent_link *l)
{
	memset(p, 0, sizeof *p);
	buf_init(&p->out, 0);
	buf_init(&p->log, 0);
	p->l = l;
	l->on_data = probe_data;
	l->on_log = probe_log;
	l->on_close = probe_close;
	l->arg = p;
}

static void probe_free(struct probe *p)
{
	if (p->l)
		p->l->ops->free(p->l);
	buf_free(&p->out);
	buf_free(&p->log);
	free(p->why);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool run_until(struct event_base *base, struct probe *p, size_t n, int ms)
{
	int64_t until = now_ms() + ms;
	for (;;) {
		bool all = true;
		for (size_t i = 0; i < n; i++)
			all = all && p[i].closed;
		if (all)
			return true;
		if (now_ms() > until)
			return false;
		event_base_loop(base, EVLOOP_ONCE);
	}
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static struct ssh_fleet *open_fleet(struct event_base *base, const char *hostsfile, const char *key,
				    const char *known, const char *const *files, size_t nfiles,
				    struct plan_host **hosts, size_t *nhosts)
{
	struct ssh_options opt = {.known_hosts = known,
				  .identity = key,
				  .connect_timeout_ms = 5000,
				  .dead_after_ms = 3000};
	struct ssh_fleet *f = NULL;
	char *err = NULL;

	CHECK(hosts_file_read(hostsfile, hosts, nhosts, &err) == 0, "%s", err);
	if (ssh_fleet_open(base, *hosts, *nhosts, &opt, files, nfiles, &f, &err) < 0)
		CHECK(0, "ssh_fleet_open: %s", err);
	return f;
}

static int drive_links(const char *hostsfile, const char *key, const char *known)
{
	struct event_base *base = event_base_new();
	struct plan_host *hosts;
	size_t nhosts;
	char upload[] = "/tmp/barrage-ssh-upload-XXXXXX";
	int fd = mkstemp(upload);
	const char *files[] = {upload};
	struct ssh_fleet *f;
	struct probe p[5];
	struct agent_link *l;
	char *err = NULL;
	struct buf big;
	const char *rpath;
	char *cmd;

	CHECK(fd >= 0 && write(fd, "row1\nrow2\n", 10) == 10, "temp file");
	close(fd);
	f = open_fleet(base, hostsfile, key, known, files, 1, &hosts, &nhosts);
	rpath = ssh_fleet_remote_path(f, 0, upload);
	CHECK(rpath && strncmp(rpath, ssh_fleet_remote_dir(f, 0),
			       strlen(ssh_fleet_remote_dir(f, 0))) == 0,
	      "remote path of the upload");

	/* 1. The agent (the fixture's stub: a cat) echoes 1 MiB written in pieces; shutdown
	 * propagates EOF, and a clean exit closes with NULL. */
	CHECK(ssh_fleet_start_agent(f, 0, 1, &l, &err) == 0, "start_agent: %s", err);
	probe_init(&p[0], l);
	CHECK(strstr(l->id, "#1") != NULL, "link id %s", l->id);
	buf_init(&big, 0);
	for (int i = 0; big.len < (1 << 20); i++)
		buf_printf(&big, "line %d of the echo test\n", i);
	for (size_t off = 0; off < big.len; off += 10000) {
		size_t n = big.len - off < 10000 ? big.len - off : 10000;
		CHECK(l->ops->write(l, big.data + off, n) == 0, "write");
	}
	l->ops->shutdown(l);
	CHECK(l->ops->write(l, "x", 1) == -1, "write after shutdown must fail");

	/* 2. Exit status, stderr lines, and the uploaded file, on more channels at once. */
	CHECK((cmd = malloc(strlen(rpath) + 200)) != NULL, "oom");
	snprintf(cmd, strlen(rpath) + 200,
		 "cat '%s'; echo first >&2; printf 'second\\nthird' >&2; exit 3", rpath);
	CHECK(ssh_fleet_start_command(f, 0, 2, cmd, &l, &err) == 0, "start_command: %s", err);
	probe_init(&p[1], l);
	CHECK(ssh_fleet_start_command(f, 0, 3, "kill -9 $$", &l, &err) == 0, "start: %s", err);
	probe_init(&p[2], l);
	CHECK(ssh_fleet_start_command(f, 0, 4, "exec sleep 60", &l, &err) == 0, "start: %s", err);
	probe_init(&p[3], l);
	/* 5. An agent that exits while we still write: its status, not a write error. */
	CHECK(ssh_fleet_start_command(f, 0, 5, "exit 5", &l, &err) == 0, "start: %s", err);
	probe_init(&p[4], l);
	for (int i = 0; i < 4; i++)
		l->ops->write(l, big.data, big.len);
	CHECK(run_until(base, p, 3, 20000), "links did not close in time");
	p[3].l->ops->kill(p[3].l);
	CHECK(run_until(base, p, 5, 10000), "killed link did not close in time");

	CHECK(p[0].why == NULL, "echo link closed with '%s'", p[0].why);
	CHECK(p[0].out.len == big.len && memcmp(p[0].out.data, big.data, big.len) == 0,
	      "echo: got %zu bytes back of %zu", p[0].out.len, big.len);
	CHECK(p[1].out.len == 10 && memcmp(p[1].out.data, "row1\nrow2\n", 10) == 0,
	      "uploaded file content: '%s'", p[1].out.data ? p[1].out.data : "");
	CHECK(p[1].why && strstr(p[1].why, "exited with status 3"), "status: %s", p[1].why);
	CHECK(p[1].lines == 3 && strcmp(p[1].log.data, "first\nsecond\nthird\n") == 0,
	      "stderr lines: '%s'", p[1].log.data ? p[1].log.data : "");
	CHECK(p[2].why && strstr(p[2].why, "killed by signal KILL"), "signal: %s", p[2].why);
	CHECK(p[3].why && strstr(p[3].why, "killed by the controller"), "kill: %s", p[3].why);
	CHECK(p[4].why && strstr(p[4].why, "exited with status 5"), "early exit: %s", p[4].why);
	printf("echo %zu bytes ok; status, signal, stderr lines, upload, kill ok\n", big.len);

	for (int i = 0; i < 5; i++)
		probe_free(&p[i]);
	buf_free(&big);
	free(cmd);
	ssh_fleet_close(f);
	hosts_free(hosts, nhosts);
	event_base_free(base);
	unlink(upload);
	return 0;
}

/* --push-agent: the local "agent" (a script) is uploaded and run instead of the one on PATH;
 * it prints a marker, then echoes. */
static int drive_push(const char *hostsfile, const char *key, const char *known,
		      const char *local_agent)
{
	struct event_base *base = event_base_new();
	struct plan_host *hosts;
	size_t nhosts;
	struct ssh_options opt = {.known_hosts = known,
				  .identity = key,
				  .push_agent = true,
				  .local_agent = local_agent,
				  .connect_timeout_ms = 5000};
	struct ssh_fleet *f = NULL;
	struct agent_link *l;
	struct probe p;
	char *err = NULL;

	CHECK(hosts_file_read(hostsfile, &hosts, &nhosts, &err) == 0, "%s", err);
	if (ssh_fleet_open(base, hosts, nhosts, &opt, NULL, 0, &f, &err) < 0) {
		printf("open failed: %s\n", err);
		free(err);
		hosts_free(hosts, nhosts);
		event_base_free(base);
		return 3;
	}
	CHECK(ssh_fleet_start_agent(f, 0, 1, &l, &err) == 0, "start_agent: %s", err);
	probe_init(&p, l);
	l->ops->write(l, "hello\n", 6);
	l->ops->shutdown(l);
	CHECK(run_until(base, &p, 1, 20000), "pushed agent did not finish");
	CHECK(p.why == NULL, "pushed agent closed with %s", p.why);
	printf("%.*s", (int)p.out.len, p.out.data ? p.out.data : "");
	probe_free(&p);
	ssh_fleet_close(f);
	hosts_free(hosts, nhosts);
	event_base_free(base);
	return 0;
}

/* Every agent of every host (agents=N in the hosts file) at once, more than one SSH connection
 * carries: each echoes its own line back and exits cleanly. */
static int drive_many(const char *hostsfile, const char *key, const char *known)
{
	struct event_base *base = event_base_new();
	struct plan_host *hosts;
	size_t nhosts, n = 0, k = 0;
	struct ssh_fleet *f = open_fleet(base, hostsfile, key, known, NULL, 0, &hosts, &nhosts);
	struct probe *p;
	char *err = NULL;

	for (size_t i = 0; i < nhosts; i++)
		n += hosts[i].agents;
	p = calloc(n, sizeof *p);
	CHECK(p != NULL, "oom");
	for (size_t i = 0; i < nhosts; i++) {
		for (unsigned s = 0; s < hosts[i].agents; s++, k++) {
			struct agent_link *l;
			char line[64];
			CHECK(ssh_fleet_start_agent(f, i, s, &l, &err) == 0,
			      "start_agent %zu/%u: %s", i, s, err);
			probe_init(&p[k], l);
			snprintf(line, sizeof line, "agent %zu.%u\n", i, s);
			l->ops->write(l, line, strlen(line));
			l->ops->shutdown(l);
		}
	}
	CHECK(run_until(base, p, n, 30000), "agents did not finish");
	k = 0;
	for (size_t i = 0; i < nhosts; i++) {
		for (unsigned s = 0; s < hosts[i].agents; s++, k++) {
			char line[64];
			snprintf(line, sizeof line, "agent %zu.%u\n", i, s);
			CHECK(p[k].why == NULL, "agent %zu.%u closed with %s", i, s, p[k].why);
			CHECK(p[k].out.data && strcmp(p[k].out.data, line) == 0,
			      "agent %zu.%u echoed '%s'", i, s, p[k].out.data ? p[k].out.data : "");
		}
	}
	printf("%zu agents ok\n", n);
	for (size_t i = 0; i < n; i++)
		probe_free(&p[i]);
	free(p);
	ssh_fleet_close(f);
	hosts_free(hosts, nhosts);
	event_base_free(base);
	return 0;
}

/* Starts one agent per host and reports closes as they come, for `secs` seconds or until all
 * links closed. The test cuts a link or kills an agent meanwhile and reads our output. */
static int drive_hold(const char *hostsfile, const char *key, const char *known, int secs)
{
	struct event_base *base = event_base_new();
	struct plan_host *hosts;
	size_t nhosts;
	struct ssh_fleet *f = open_fleet(base, hostsfile, key, known, NULL, 0, &hosts, &nhosts);
	struct probe *p = calloc(nhosts, sizeof *p);
	char *err = NULL;
	int64_t until = now_ms() + (int64_t)secs * 1000, started = now_ms();
	size_t reported = 0;

	for (size_t i = 0; i < nhosts; i++) {
		struct agent_link *l;
		CHECK(ssh_fleet_start_agent(f, i, 1, &l, &err) == 0, "start_agent: %s", err);
		probe_init(&p[i], l);
	}
	printf("started %zu\n", nhosts);
	fflush(stdout);
	while (now_ms() < until && reported < nhosts) {
		struct timeval tv = {0, 100000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		for (size_t i = 0; i < nhosts; i++) {
			if (p[i].closed && p[i].l) {
				printf("closed %s after %.1f s: %s\n", hosts[i].host,
				       (double)(now_ms() - started) / 1000,
				       p[i].why ? p[i].why : "clean exit");
				fflush(stdout);
				p[i].l->ops->free(p[i].l);
				p[i].l = NULL;
				reported++;
			}
		}
	}
	for (size_t i = 0; i < nhosts; i++)
		probe_free(&p[i]);
	free(p);
	ssh_fleet_close(f);
	hosts_free(hosts, nhosts);
	event_base_free(base);
	return 0;
}

/* ---- cmocka tests (no server needed) ---- */

static void test_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct plan_host h = {
	    .user = (char *)"nobody", .host = (char *)"127.0.0.1", .agents = 1, .weight = 1};
	struct ssh_options opt = {.known_hosts = "/dev/null", .connect_timeout_ms = 3000};
	struct ssh_fleet *f = NULL;
	char *err = NULL;

	(void)state;
	/* A port that was just free: bound, then closed. */
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	close(s);
	h.port = ntohs(sa.sin_port);
	assert_int_equal(ssh_fleet_open(base, &h, 1, &opt, NULL, 0, &f, &err), -1);
	assert_null(f);
	if (!strstr(err, "nobody@127.0.0.1") || !strstr(err, "connection refused"))
		fail_msg("unexpected message: %s", err);
	free(err);
	event_base_free(base);
}

static void test_check_usage(void **state)
{
	char *a1[] = {(char *)"check"};
	char *a2[] = {(char *)"check", (char *)"/nonexistent/fleet.txt"};
	char *a3[] = {(char *)"check", (char *)"f", (char *)"--connect-timeout", (char *)"soon"};

	(void)state;
	assert_int_equal(cli_hosts_check_main(1, a1), 2);
	assert_int_equal(cli_hosts_check_main(2, a2), 2);
	assert_int_equal(cli_hosts_check_main(4, a3), 2);
}

int main(int argc, char **argv)
{
	if (getenv("SSH_DEBUG"))
		log_level = LOG_DEBUG;
	if (argc >= 2 && strcmp(argv[1], "hosts") == 0)
		return cli_hosts_check_main(argc - 2, argv + 2);
	if (argc == 5 && strcmp(argv[1], "links") == 0)
		return drive_links(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "many") == 0)
		return drive_many(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "push") == 0)
		return drive_push(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 6 && strcmp(argv[1], "hold") == 0)
		return drive_hold(argv[2], argv[3], argv[4], (int)strtol(argv[5], NULL, 10));

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_check_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
