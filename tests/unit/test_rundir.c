/* The run directory and stats.log writer: --out must be new or empty; the default name is
 * NAME-YYYYMMDD-HHMMSS with a suffix when taken; every record written is one JSON line of the
 * documented type (late intervals keep their index); agent ids become safe file names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/plan.h"
#include "common/stats.h"
#include "controller/rundir.h"

static char tmpdir[256];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_rundir.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static json_t *line_json(FILE *f)
{
	char line[1 << 16];
	json_error_t je;

	if (!fgets(line, sizeof(line), f))
		return NULL;
	return json_loads(line, 0, &je);
}

static void test_out_dir(void **state)
{
	struct rundir *d = NULL;
	char path[512], *err = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/a/b/run", tmpdir);
	assert_int_equal(rundir_create(NULL, path, "x", &d, &err), 0);
	assert_string_equal(d->path, path);
	f = rundir_agent_log(d, "load@10.0.0.5:22#2/../x");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/a/b/run/agents/load@10.0.0.5:22#2_.._x.log", tmpdir);
	assert_int_equal(access(path, F_OK), 0);
	rundir_close(d);
	/* Not empty any more: refused. */
	snprintf(path, sizeof(path), "%s/a/b/run", tmpdir);
	assert_int_equal(rundir_create(NULL, path, "x", &d, &err), -1);
	assert_non_null(strstr(err, "not empty"));
	free(err);
}

static void test_default_name(void **state)
{
	struct rundir *d1 = NULL, *d2 = NULL;
	char root[300], *err = NULL;
	const char *base;

	snprintf(root, sizeof(root), "%s/runs", tmpdir);
	assert_int_equal(rundir_create(root, NULL, "voting night/1", &d1, &err), 0);
	assert_int_equal(rundir_create(root, NULL, "voting night/1", &d2, &err), 0);
	base = strrchr(d1->path, '/') + 1;
	/* voting-night-1-YYYYMMDD-HHMMSS */
	assert_int_equal(strncmp(base, "voting-night-1-", 15), 0);
	assert_int_equal(strlen(base), 15 + 15);
	assert_string_not_equal(d1->path, d2->path);
	rundir_close(d1);
	rundir_close(d2);
}

static void test_records(void **state)
{
	struct rundir *d = NULL;
	struct plan *p = plan_new();
	struct stats_snapshot *s = stats_new();
	struct statslog_agent ag = {"local-1", "localhost", 1.0, 2};
	char path[512], *err = NULL;
	json_t *j;
	FILE *f;

	p->name = strdup("rec \"quoted\"");
	p->target = strdup("http://127.0.0.1:1");
	p->load.model = PLAN_MODEL_CLOSED;
	p->load.users = 3;
	p->load.duration_us = 2000000;
	snprintf(path, sizeof(path), "%s/rec", tmpdir);
	assert_int_equal(rundir_create(NULL, path, p->name, &d, &err), 0);
	assert_int_equal(rundir_write_header(d, p, "s.yaml", 1795356000000LL, &ag, 1, &err), 0);
	s->interval = 4;
	s->interval_us = 1000000;
	s->nagents = 1;
	hist_record(stats_hist(s, "request"), 1234);
	stats_add(s, "http_200", 1);
	assert_int_equal(rundir_write_interval(d, s, false, &err), 0);
	assert_int_equal(rundir_write_interval(d, s, true, &err), 0);
	assert_int_equal(rundir_write_event(d, 1.5, "local-1", "agent_lost", "killed \"9\""), 0);
	assert_int_equal(rundir_write_end(d, 1795356002000LL, 2.0, "completed", 0), 0);
	assert_int_equal(rundir_write_end(d, 1795356002000LL, 2.0, "completed", 0), 0); /* once */
	rundir_close(d);

	snprintf(path, sizeof(path), "%s/rec/stats.log", tmpdir);
	f = fopen(path, "r");
	assert_non_null(f);
	j = line_json(f);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "header");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "rec \"quoted\"");
	assert_string_equal(json_string_value(json_object_get(j, "started_at")),
			    "2026-11-22T14:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "load"), "users")),
			 3);
	assert_int_equal(json_array_size(json_object_get(j, "agents")), 1);
	json_decref(j);
	j = line_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "interval");
	assert_int_equal(json_integer_value(json_object_get(j, "i")), 4);
	json_decref(j);
	j = line_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "late");
	assert_int_equal(json_integer_value(json_object_get(j, "i")), 4);
	json_decref(j);
	j = line_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "what")), "agent_lost");
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "killed \"9\"");
	json_decref(j);
	j = line_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "end");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "completed");
	json_decref(j);
	assert_null(line_json(f));
	fclose(f);
	stats_free(s);
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_out_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
