/* Writing stats.log (see statslog_write.h).
 *
 * Records other than intervals are built with jansson so every string is escaped correctly;
 * interval records come ready-made from stats_to_json (common/stats.c). */
#include "reports/statslog_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/version.h"

void statslog_write_iso_time(int64_t wall_ms, char *buf, size_t size)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

json_t *statslog_write_load_json(const struct plan *p)
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

/* One record on one line, flushed. */
static int dump_line(FILE *f, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	int rc = -1;

	if (!s)
		return -1;
	if (f && fputs(s, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0)
		rc = 0;
	free(s);
	return rc;
}

int statslog_write_header(FILE *f, const struct plan *p, const char *scenario,
			  int64_t start_wall_ms, const struct statslog_agent *agents, size_t n)
{
	json_t *j = json_object(), *th = json_array(), *ag = json_array();
	char iso[32];
	size_t i;
	int rc;

	statslog_write_iso_time(start_wall_ms, iso, sizeof(iso));
	json_object_set_new(j, "type", json_string("header"));
	json_object_set_new(j, "version", json_integer(BARRAGE_STATSLOG_VERSION));
	json_object_set_new(j, "barrage_version", json_string(BARRAGE_VERSION));
	json_object_set_new(j, "name", json_string(p->name ? p->name : ""));
	json_object_set_new(j, "scenario", json_string(scenario ? scenario : ""));
	json_object_set_new(j, "started_at", json_string(iso));
	json_object_set_new(j, "start_unix_ms", json_integer(start_wall_ms));
	json_object_set_new(j, "interval_s", json_real((double)p->interval_us / 1e6));
	json_object_set_new(j, "grace_s", json_real((double)p->grace_us / 1e6));
	json_object_set_new(j, "load", statslog_write_load_json(p));
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
	rc = dump_line(f, j);
	json_decref(j);
	return rc;
}

/* A late record is the interval record with type "late". */
static int put_late(FILE *f, const struct buf *b, const struct stats_snapshot *s, char **err)
{
	static const char interval_prefix[] = "{\"type\":\"interval\"";
	json_error_t je;
	json_t *j;
	char *txt;
	int rc;

	if (strncmp(b->data, interval_prefix, sizeof(interval_prefix) - 1) == 0)
		return fputs("{\"type\":\"late\"", f) < 0 ||
			       fputs(b->data + sizeof(interval_prefix) - 1, f) < 0
			   ? -1
			   : 0;
	j = json_loadb(b->data, b->len, 0, &je);
	if (!j) {
		err_set(err, "interval %u: cannot re-encode", s->interval);
		return -2;
	}
	json_object_set_new(j, "type", json_string("late"));
	txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	rc = !txt || fputs(txt, f) < 0 ? -1 : 0;
	free(txt);
	return rc;
}

int statslog_write_interval(FILE *f, const struct stats_snapshot *s, bool late, char **err)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, 0);
	if (stats_to_json(s, &b) < 0) {
		err_set(err, "interval %u: cannot encode", s->interval);
		rc = -2;
		goto out;
	}
	if (!f)
		goto out;
	rc = late ? put_late(f, &b, s, err) : fputs(b.data, f) < 0 ? -1 : 0;
	if (rc == 0 && (fputc('\n', f) == EOF || fflush(f) != 0))
		rc = -1;
out:
	buf_free(&b);
	return rc;
}

int statslog_write_event(FILE *f, double t, const char *agent, const char *what, const char *detail,
			 json_t *extra)
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
	rc = dump_line(f, j);
	json_decref(j);
	return rc;
}

int statslog_write_record(FILE *f, json_t *j)
{
	return dump_line(f, j);
}

int statslog_write_end(FILE *f, int64_t end_wall_ms, double duration_s, const char *reason,
		       int exit_code)
{
	json_t *j = json_object();
	char iso[32];
	int rc;

	statslog_write_iso_time(end_wall_ms, iso, sizeof(iso));
	json_object_set_new(j, "type", json_string("end"));
	json_object_set_new(j, "ended_at", json_string(iso));
	json_object_set_new(j, "duration_s", json_real(duration_s < 0 ? 0 : duration_s));
	json_object_set_new(j, "reason", json_string(reason));
	json_object_set_new(j, "exit_code", json_integer(exit_code));
	rc = dump_line(f, j);
	json_decref(j);
	return rc;
}
