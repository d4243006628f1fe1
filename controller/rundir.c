/* The run directory (see rundir.h). The stats.log records themselves are written by
 * reports/statslog_write.c, next to their reader; this file owns the file and the run
 * directory around it. */
#include "controller/rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "common/buf.h"
#include "common/err.h"
#include "reports/statslog_write.h"

/* mkdir -p. */
static int mkdirs(const char *path, char **err)
{
	char tmp[4096];
	size_t len = strlen(path);
	size_t i;

	if (len == 0 || len >= sizeof(tmp))
		return err_set(err, "%s: path too long", path);
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return err_set(err, "%s: cannot create directory: %s", tmp,
				       strerror(errno));
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return true;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Keep file names tame: the scenario name and agent ids come from the user. */
static void safe_name(const char *in, char *out, size_t size, char repl)
{
	size_t i = 0;

	for (; *in && i + 1 < size; in++) {
		char c = *in;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@' ||
			  c == '#' || c == ':' || c == '+';

		out[i++] = ok ? c : repl;
	}
	out[i] = '\0';
	if (i == 0 || out[0] == '.')
		snprintf(out, size, "run");
}

int rundir_create(const char *root, const char *out, const char *name, struct rundir **dp,
		  char **err)
{
	struct rundir *d = NULL;
	struct buf path;
	struct stat st;
	int rc = -1;

	buf_init(&path, 8192);
	*dp = NULL;
	if (out) {
		if (stat(out, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				err_set(err, "--out %s: exists and is not a directory", out);
				goto out;
			}
			if (!dir_empty(out)) {
				err_set(
				    err,
				    "--out %s: directory is not empty (refusing to mix two runs)",
				    out);
				goto out;
			}
		}
		if (mkdirs(out, err) < 0)
			goto out;
		if (buf_append_str(&path, out) < 0)
			goto oom;
	} else {
		char safe[128], stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		int n;

		safe_name(name ? name : "run", safe, sizeof(safe), '-');
		if (!localtime_r(&now, &tm) ||
		    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0)
			snprintf(stamp, sizeof(stamp), "run");
		root = root ? root : "runs";
		if (mkdirs(root, err) < 0)
			goto out;
		for (n = 1; n < 1000; n++) {
			buf_reset(&path);
			if (n == 1 ? buf_printf(&path, "%s/%s-%s", root, safe, stamp) < 0
				   : buf_printf(&path, "%s/%s-%s-%d", root, safe, stamp, n) < 0)
				goto oom;
			if (mkdir(path.data, 0755) == 0)
				break;
			if (errno != EEXIST) {
				err_set(err, "%s: cannot create directory: %s", path.data,
					strerror(errno));
				goto out;
			}
		}
		if (n == 1000) {
			err_set(err, "%s/%s-%s: too many runs with this name", root, safe, stamp);
			goto out;
		}
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto oom;
	d->path = buf_steal(&path);
	if (!d->path)
		goto oom;
	{
		struct buf p2;

		buf_init(&p2, 8192);
		if (buf_printf(&p2, "%s/agents", d->path) < 0 || mkdirs(p2.data, err) < 0) {
			buf_free(&p2);
			if (!err || !*err)
				err_set(err, "out of memory");
			goto out;
		}
		buf_reset(&p2);
		if (buf_printf(&p2, "%s/stats.log", d->path) < 0) {
			buf_free(&p2);
			goto oom;
		}
		d->stats = fopen(p2.data, "we");
		if (!d->stats) {
			err_set(err, "%s: cannot create: %s", p2.data, strerror(errno));
			buf_free(&p2);
			goto out;
		}
		buf_free(&p2);
	}
	*dp = d;
	d = NULL;
	rc = 0;
	goto out;
oom:
	err_set(err, "out of memory");
out:
	rundir_close(d);
	buf_free(&path);
	return rc;
}

void rundir_close(struct rundir *d)
{
	if (!d)
		return;
	if (d->stats)
		fclose(d->stats);
	free(d->path);
	free(d);
}

static int write_file(const char *dir, const char *name, const char *data, size_t len, char **err)
{
	struct buf p;
	FILE *f = NULL;
	int rc = -1;

	buf_init(&p, 8192);
	if (buf_printf(&p, "%s/%s", dir, name) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	f = fopen(p.data, "we");
	if (!f) {
		err_set(err, "%s: cannot create: %s", p.data, strerror(errno));
		goto out;
	}
	if (len && fwrite(data, 1, len, f) != len) {
		err_set(err, "%s: write failed: %s", p.data, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err_set(err, "%s: write failed: %s", p.data, strerror(errno));
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	buf_free(&p);
	return rc;
}

int rundir_copy_scenario(struct rundir *d, const char *scenario, const char *preface, char **err)
{
	struct buf b;
	FILE *in = NULL;
	char chunk[8192];
	size_t n;
	int rc = -1;

	buf_init(&b, (size_t)64 << 20);
	if (preface && buf_append_str(&b, preface) < 0)
		goto oom;
	in = fopen(scenario, "re");
	if (!in) {
		err_set(err, "%s: cannot open: %s", scenario, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			err_set(err, "%s: too large to copy", scenario);
			goto out;
		}
	if (ferror(in)) {
		err_set(err, "%s: read failed", scenario);
		goto out;
	}
	rc = write_file(d->path, "scenario.yaml", b.data, b.len, err);
	goto out;
oom:
	err_set(err, "out of memory");
out:
	if (in)
		fclose(in);
	buf_free(&b);
	return rc;
}

int rundir_write_plan(struct rundir *d, const struct plan *p, struct plan *const *agent_plans,
		      const struct split_agent *agents, size_t n, char **err)
{
	json_t *root = json_object(), *arr = json_array(), *pj = NULL;
	struct buf enc;
	char *text = NULL;
	size_t i, k;
	int rc = -1;

	buf_init(&enc, 0);
	json_object_set_new(root, "version", json_integer(1));
	if (plan_encode(p, &enc) == 0) {
		json_error_t je;

		pj = json_loadb(enc.data, enc.len, 0, &je);
	}
	json_object_set_new(root, "plan", pj ? pj : json_null());
	for (i = 0; i < n; i++) {
		const struct plan *a = agent_plans[i];
		json_t *o = json_object(), *data = json_array();

		json_object_set_new(o, "id", json_string(agents[i].id));
		json_object_set_new(o, "host", json_string(agents[i].host));
		json_object_set_new(o, "index", json_integer(a->share.index));
		json_object_set_new(o, "weight", json_real(agents[i].weight));
		json_object_set_new(o, "fraction", json_real(a->share.fraction));
		/* Seeds are 64-bit; JSON readers lose precision past 2^53, so as a string. */
		{
			char seed[32];

			snprintf(seed, sizeof(seed), "%llu", (unsigned long long)a->share.seed);
			json_object_set_new(o, "seed", json_string(seed));
		}
		json_object_set_new(o, "user_id_base",
				    json_integer((json_int_t)a->share.user_id_base));
		json_object_set_new(o, "load", statslog_write_load_json(a));
		for (k = 0; k < a->ndata; k++) {
			json_t *dj = json_object();

			json_object_set_new(dj, "name", json_string(a->data[k].name));
			json_object_set_new(dj, "file", json_string(a->data[k].file));
			json_object_set_new(dj, "part_index", json_integer(a->data[k].part_index));
			json_object_set_new(dj, "part_count", json_integer(a->data[k].part_count));
			json_array_append_new(data, dj);
		}
		json_object_set_new(o, "data", data);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "agents", arr);
	arr = NULL;
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (!text) {
		err_set(err, "out of memory");
		goto out;
	}
	rc = write_file(d->path, "plan.json", text, strlen(text), err);
out:
	free(text);
	json_decref(root);
	json_decref(arr);
	buf_free(&enc);
	return rc;
}

/* ---- stats.log: the records are written by reports/statslog_write.c ---- */

static int stats_write_failed(const struct rundir *d, char **err)
{
	return err_set(err, "%s/stats.log: write failed: %s", d->path, strerror(errno));
}

int rundir_write_header(struct rundir *d, const struct plan *p, const char *scenario,
			int64_t start_wall_ms, const struct statslog_agent *agents, size_t n,
			char **err)
{
	if (statslog_write_header(d->stats, p, scenario, start_wall_ms, agents, n) < 0)
		return stats_write_failed(d, err);
	return 0;
}

int rundir_write_interval(struct rundir *d, const struct stats_snapshot *s, bool late, char **err)
{
	int rc = statslog_write_interval(d->stats, s, late, err);

	if (rc == -1)
		return stats_write_failed(d, err);
	return rc < 0 ? -1 : 0;
}

int rundir_write_event(struct rundir *d, double t, const char *agent, const char *what,
		       const char *detail)
{
	return rundir_write_event_extra(d, t, agent, what, detail, NULL);
}

int rundir_write_event_extra(struct rundir *d, double t, const char *agent, const char *what,
			     const char *detail, json_t *extra)
{
	int rc = statslog_write_event(d->stats, t, agent, what, detail, extra);

	if (d->on_event)
		d->on_event(d->event_arg, t, agent, what, detail);
	return rc;
}

int rundir_write_record(struct rundir *d, json_t *j)
{
	if (d->ended)
		return 0;
	return statslog_write_record(d->stats, j);
}

int rundir_write_end(struct rundir *d, int64_t end_wall_ms, double duration_s, const char *reason,
		     int exit_code)
{
	int rc;

	if (d->ended)
		return 0;
	rc = statslog_write_end(d->stats, end_wall_ms, duration_s, reason, exit_code);
	d->ended = true;
	return rc;
}

FILE *rundir_agent_log(struct rundir *d, const char *agent_id)
{
	char safe[256];
	struct buf p;
	FILE *f;

	safe_name(agent_id, safe, sizeof(safe), '_');
	buf_init(&p, 8192);
	if (buf_printf(&p, "%s/agents/%s.log", d->path, safe) < 0) {
		buf_free(&p);
		return NULL;
	}
	f = fopen(p.data, "ae");
	buf_free(&p);
	return f;
}
