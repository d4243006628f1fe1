/* The run directory and the stats.log writer (see rundir.h).
 *
 * Records other than intervals are built with jansson so every string is escaped correctly;
 * interval records come ready-made from stats_to_json (common/stats.c). Each line is written
 * with one fputs and flushed, so a reader (or a controller killed midway) never sees half a
 * record except possibly the very last one, which readers skip with a notice. */
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
#include "common/version.h"

void rundir_iso_time(int64_t wall_ms, char *buf, size_t size)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

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

int rundir_copy_scenario(struct rundir *d, const char *scenario, const struct scenario_override *ov,
			 size_t nov, char **err)
{
	struct buf b;
	FILE *in = NULL;
	char chunk[8192];
	size_t n, i;
	int rc = -1;

	buf_init(&b, (size_t)64 << 20);
	if (nov > 0) {
		if (buf_append_str(&b, "# barrage run with overrides:\n") < 0)
			goto oom;
		for (i = 0; i < nov; i++)
			if (buf_printf(&b, "#   --set %s=%s\n", ov[i].path, ov[i].value) < 0)
				goto oom;
	}
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

static json_t *load_json(const struct plan *p)
{
	json_t *j = json_object();

	json_object_set_new(j, "model",
			    json_string(p->load.model == PLAN_MODEL_OPEN     ? "open"
					: p->load.model == PLAN_MODEL_CLOSED ? "closed"
									     : "rate"));
	json_object_set_new(j, "duration_s", json_real((double)plan_load_duration_us(p) / 1e6));
	if (p->load.model == PLAN_MODEL_OPEN) {
		json_t *ph = json_array();
		size_t i;

		for (i = 0; i < p->load.nphases; i++) {
			const struct plan_phase *f = &p->load.phases[i];
			json_t *o = json_object();

			json_object_set_new(o, "duration_s",
					    json_real((double)f->duration_us / 1e6));
			json_object_set_new(o, "arrival_rate", json_real(f->arrival_rate));
			json_object_set_new(o, "ramp_to",
					    f->ramp_to >= 0 ? json_real(f->ramp_to) : json_null());
			if (f->name)
				json_object_set_new(o, "name", json_string(f->name));
			json_array_append_new(ph, o);
		}
		json_object_set_new(j, "phases", ph);
		json_object_set_new(j, "max_users", json_integer((json_int_t)p->load.max_users));
	} else {
		json_object_set_new(j, "users", json_integer((json_int_t)p->load.users));
		json_object_set_new(j, "ramp_up_s", json_real((double)p->load.ramp_up_us / 1e6));
		if (p->load.model == PLAN_MODEL_RATE)
			json_object_set_new(j, "request_rate", json_real(p->load.request_rate));
	}
	return j;
}

static int dump_line(struct rundir *d, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	int rc = -1;

	if (!s)
		return -1;
	if (d->stats && fputs(s, d->stats) >= 0 && fputc('\n', d->stats) != EOF &&
	    fflush(d->stats) == 0)
		rc = 0;
	free(s);
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
		json_object_set_new(o, "load", load_json(a));
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

int rundir_write_header(struct rundir *d, const struct plan *p, const char *scenario,
			int64_t start_wall_ms, const struct rundir_agent *agents, size_t n,
			char **err)
{
	json_t *j = json_object(), *th = json_array(), *ag = json_array();
	char iso[32];
	size_t i;
	int rc;

	rundir_iso_time(start_wall_ms, iso, sizeof(iso));
	json_object_set_new(j, "type", json_string("header"));
	json_object_set_new(j, "version", json_integer(BARRAGE_STATSLOG_VERSION));
	json_object_set_new(j, "barrage_version", json_string(BARRAGE_VERSION));
	json_object_set_new(j, "name", json_string(p->name ? p->name : ""));
	json_object_set_new(j, "scenario", json_string(scenario ? scenario : ""));
	json_object_set_new(j, "started_at", json_string(iso));
	json_object_set_new(j, "start_unix_ms", json_integer(start_wall_ms));
	json_object_set_new(j, "interval_s", json_real((double)p->interval_us / 1e6));
	json_object_set_new(j, "grace_s", json_real((double)p->grace_us / 1e6));
	json_object_set_new(j, "load", load_json(p));
	json_object_set_new(j, "target", json_string(p->target ? p->target : ""));
	for (i = 0; i < p->nthresholds; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "metric", json_string(p->thresholds[i].metric));
		json_object_set_new(o, "condition", json_string(p->thresholds[i].condition));
		json_object_set_new(o, "abort_on_fail",
				    json_boolean(p->thresholds[i].abort_on_fail));
		json_array_append_new(th, o);
	}
	json_object_set_new(j, "thresholds", th);
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(agents[i].id));
		json_object_set_new(o, "host", json_string(agents[i].host));
		json_object_set_new(o, "fraction", json_real(agents[i].fraction));
		json_object_set_new(o, "cpus", json_integer(agents[i].cpus));
		json_array_append_new(ag, o);
	}
	json_object_set_new(j, "agents", ag);
	rc = dump_line(d, j);
	json_decref(j);
	if (rc < 0)
		err_set(err, "%s/stats.log: write failed: %s", d->path, strerror(errno));
	return rc;
}

int rundir_write_interval(struct rundir *d, const struct stats_snapshot *s, bool late, char **err)
{
	static const char interval_prefix[] = "{\"type\":\"interval\"";
	struct buf b;
	int rc = -1;

	buf_init(&b, 0);
	if (stats_to_json(s, &b) < 0) {
		err_set(err, "interval %u: cannot encode", s->interval);
		goto out;
	}
	if (late) {
		/* Same record, type "late": readers add it to the interval with the same index. */
		if (strncmp(b.data, interval_prefix, sizeof(interval_prefix) - 1) == 0) {
			if (fputs("{\"type\":\"late\"", d->stats) < 0 ||
			    fputs(b.data + sizeof(interval_prefix) - 1, d->stats) < 0)
				goto io;
		} else {
			json_error_t je;
			json_t *j = json_loadb(b.data, b.len, 0, &je);
			char *txt;

			if (!j) {
				err_set(err, "interval %u: cannot re-encode", s->interval);
				goto out;
			}
			json_object_set_new(j, "type", json_string("late"));
			txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(j);
			if (!txt || fputs(txt, d->stats) < 0) {
				free(txt);
				goto io;
			}
			free(txt);
		}
	} else if (fputs(b.data, d->stats) < 0) {
		goto io;
	}
	if (fputc('\n', d->stats) == EOF || fflush(d->stats) != 0)
		goto io;
	rc = 0;
	goto out;
io:
	err_set(err, "%s/stats.log: write failed: %s", d->path, strerror(errno));
out:
	buf_free(&b);
	return rc;
}

int rundir_write_event(struct rundir *d, double t, const char *agent, const char *what,
		       const char *detail)
{
	return rundir_write_event_extra(d, t, agent, what, detail, NULL);
}

int rundir_write_event_extra(struct rundir *d, double t, const char *agent, const char *what,
			     const char *detail, json_t *extra)
{
	json_t *j = json_object();
	int rc;

	json_object_set_new(j, "type", json_string("event"));
	json_object_set_new(j, "t", json_real(t < 0 ? 0 : t));
	json_object_set_new(j, "agent", agent ? json_string(agent) : json_null());
	json_object_set_new(j, "what", json_string(what));
	json_object_set_new(j, "detail", json_string(detail ? detail : ""));
	if (extra) {
		json_object_update_missing(j, extra);
		json_decref(extra);
	}
	rc = dump_line(d, j);
	json_decref(j);
	if (d->on_event)
		d->on_event(d->event_arg, t, agent, what, detail);
	return rc;
}

int rundir_write_end(struct rundir *d, int64_t end_wall_ms, double duration_s, const char *reason,
		     int exit_code)
{
	json_t *j;
	char iso[32];
	int rc;

	if (d->ended)
		return 0;
	j = json_object();
	rundir_iso_time(end_wall_ms, iso, sizeof(iso));
	json_object_set_new(j, "type", json_string("end"));
	json_object_set_new(j, "ended_at", json_string(iso));
	json_object_set_new(j, "duration_s", json_real(duration_s < 0 ? 0 : duration_s));
	json_object_set_new(j, "reason", json_string(reason));
	json_object_set_new(j, "exit_code", json_integer(exit_code));
	rc = dump_line(d, j);
	json_decref(j);
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
