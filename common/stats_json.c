/* The JSON codec of one interval's statistics: the "interval" lines of stats.log
 * (docs/stats-log.md), written by the controller and read back by reports, collect and
 * compare. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/stats.h"

static int json_hist(struct buf *b, const struct hist *h)
{
	uint32_t idx = 0, prev = 0;
	uint64_t count;
	int first = 1;

	if (buf_printf(b,
		       "{\"n\":%llu,\"sum\":%llu,\"sumsq\":%.17g,\"min\":%llu,\"max\":%llu,"
		       "\"clamped\":%llu,\"b\":[",
		       (unsigned long long)h->count, (unsigned long long)h->sum, h->sumsq,
		       (unsigned long long)(h->count ? h->min : 0),
		       (unsigned long long)(h->count ? h->max : 0),
		       (unsigned long long)h->clamped) < 0)
		return -1;
	while (hist_next_bucket(h, &idx, &count)) {
		if (buf_printf(b, "%s%u,%llu", first ? "" : ",", idx - prev,
			       (unsigned long long)count) < 0)
			return -1;
		first = 0;
		prev = idx;
		idx++;
	}
	return buf_append_str(b, "]}");
}

int stats_to_json(const struct stats_snapshot *s, struct buf *b)
{
	size_t i;
	int first;

	if (buf_printf(
		b, "{\"type\":\"interval\",\"i\":%u,\"interval_s\":%.6g,\"nagents\":%u,\"hists\":{",
		s->interval, (double)s->interval_us / 1e6, s->nagents) < 0)
		return -1;
	for (i = 0; i < s->nhists; i++) {
		if ((i && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, s->hists[i].name, strlen(s->hists[i].name)) < 0 ||
		    buf_append_byte(b, ':') < 0 || json_hist(b, s->hists[i].h) < 0)
			return -1;
	}
	if (buf_append_str(b, "},\"counters\":{") < 0)
		return -1;
	first = 1;
	for (i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];

		if (c->kind != STATS_COUNTER)
			continue;
		if ((!first && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, c->name, strlen(c->name)) < 0 ||
		    buf_printf(b, ":%lld", (long long)c->value) < 0)
			return -1;
		first = 0;
	}
	if (buf_append_str(b, "},\"gauges\":{") < 0)
		return -1;
	first = 1;
	for (i = 0; i < s->ncounters; i++) {
		const struct stats_counter *c = &s->counters[i];

		if (c->kind != STATS_GAUGE)
			continue;
		if ((!first && buf_append_byte(b, ',') < 0) ||
		    buf_append_json_str(b, c->name, strlen(c->name)) < 0 ||
		    buf_printf(b, ":[%lld,%lld]", (long long)c->value, (long long)c->max) < 0)
			return -1;
		first = 0;
	}
	if (buf_append_str(b, "},\"agents\":[") < 0)
		return -1;
	for (i = 0; i < s->nhealth; i++) {
		const struct stats_health *h = &s->health[i];

		if ((i && buf_append_byte(b, ',') < 0) || buf_append_str(b, "{\"id\":") < 0 ||
		    buf_append_json_str(b, h->agent, strlen(h->agent)) < 0 ||
		    buf_printf(b,
			       ",\"cpu\":%.4g,\"cpu_limit\":%.4g,\"lag_ms\":%.4g,\"conns\":%llu,"
			       "\"dropped\":%llu,\"users\":%llu,\"saturated\":%s}",
			       h->cpu, h->cpu_limit, h->loop_lag_ms,
			       (unsigned long long)h->open_conns, (unsigned long long)h->dropped,
			       (unsigned long long)h->users, h->saturated ? "true" : "false") < 0)
			return -1;
	}
	return buf_append_str(b, "]}");
}

static int json_u64(json_t *o, const char *key, uint64_t *v, int required, char **err,
		    const char *where)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		if (required)
			return err_set(err, "%s: missing \"%s\"", where, key);
		*v = 0;
		return 0;
	}
	if (json_is_integer(x) && json_integer_value(x) >= 0) {
		*v = (uint64_t)json_integer_value(x);
		return 0;
	}
	/* Large sums may have been written as reals by other tools. */
	if (json_is_real(x) && json_real_value(x) >= 0 && json_real_value(x) < 1.8e19) {
		*v = (uint64_t)json_real_value(x);
		return 0;
	}
	return err_set(err, "%s: \"%s\" must be a non-negative integer", where, key);
}

static int json_dbl(json_t *o, const char *key, double *v, char **err, const char *where)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		*v = 0;
		return 0;
	}
	if (!json_is_number(x))
		return err_set(err, "%s: \"%s\" must be a number", where, key);
	*v = json_number_value(x);
	return 0;
}

static int valid_json_name(const char *name, char **err)
{
	const char *why = stats_name_problem(name, strlen(name), NULL);

	if (why)
		return err_set(err, "statistic name '%.60s': %s", name, why);
	return 0;
}

int stats_from_json(const void *json_obj, struct stats_snapshot *s, char **err)
{
	json_t *o = (json_t *)json_obj;
	json_t *hists, *counters, *gauges, *agents, *v;
	const char *key;
	uint64_t u;
	double d = 0;
	size_t i;

	if (!json_is_object(o))
		return err_set(err, "interval record is not an object");
	if (json_u64(o, "i", &u, 1, err, "interval") < 0)
		return -1;
	if (u > UINT32_MAX)
		return err_set(err, "interval: index out of range");
	s->interval = (uint32_t)u;
	if (json_dbl(o, "interval_s", &d, err, "interval") < 0)
		return -1;
	if (d <= 0 || d > 86400)
		return err_set(err, "interval %u: interval_s out of range", s->interval);
	s->interval_us = (int64_t)llround(d * 1e6);
	if (json_u64(o, "nagents", &u, 0, err, "interval") < 0)
		return -1;
	s->nagents = (uint32_t)u;

	hists = json_object_get(o, "hists");
	if (hists && !json_is_object(hists))
		return err_set(err, "interval %u: \"hists\" must be an object", s->interval);
	json_object_foreach(hists, key, v)
	{
		struct hist *h;
		json_t *b;
		uint64_t idx = 0;

		if (valid_json_name(key, err) < 0 || !json_is_object(v))
			return err_set(err, "interval %u: bad histogram '%s'", s->interval, key);
		h = stats_hist(s, key);
		if (!h)
			return err_set(err, "out of memory");
		if (json_u64(v, "n", &h->count, 1, err, key) < 0 ||
		    json_u64(v, "sum", &h->sum, 1, err, key) < 0 ||
		    json_dbl(v, "sumsq", &h->sumsq, err, key) < 0 ||
		    json_u64(v, "min", &h->min, 1, err, key) < 0 ||
		    json_u64(v, "max", &h->max, 1, err, key) < 0 ||
		    json_u64(v, "clamped", &h->clamped, 0, err, key) < 0)
			return err_prefix(err, "interval %u", s->interval);
		b = json_object_get(v, "b");
		if (!json_is_array(b) || json_array_size(b) % 2)
			return err_set(err, "interval %u: histogram '%s' needs \"b\" as pairs",
				       s->interval, key);
		for (i = 0; i < json_array_size(b); i += 2) {
			json_t *dj = json_array_get(b, i), *cj = json_array_get(b, i + 1);

			if (!json_is_integer(dj) || !json_is_integer(cj) ||
			    json_integer_value(dj) < 0 || json_integer_value(cj) <= 0)
				return err_set(err, "interval %u: histogram '%s' has a bad bucket",
					       s->interval, key);
			idx += (uint64_t)json_integer_value(dj);
			if (idx >= HIST_COUNTS_LEN || (i > 0 && json_integer_value(dj) == 0))
				return err_set(err,
					       "interval %u: histogram '%s' bucket out of range",
					       s->interval, key);
			hist_set_bucket(h, (uint32_t)idx, (uint64_t)json_integer_value(cj));
		}
		if (hist_check(h, err) < 0)
			return err_prefix(err, "interval %u: histogram '%s'", s->interval, key);
	}

	counters = json_object_get(o, "counters");
	if (counters && !json_is_object(counters))
		return err_set(err, "interval %u: \"counters\" must be an object", s->interval);
	json_object_foreach(counters, key, v)
	{
		if (valid_json_name(key, err) < 0 || !json_is_integer(v))
			return err_set(err, "interval %u: bad counter '%s'", s->interval, key);
		if (stats_add(s, key, json_integer_value(v)) < 0)
			return err_set(err, "out of memory");
	}
	gauges = json_object_get(o, "gauges");
	if (gauges && !json_is_object(gauges))
		return err_set(err, "interval %u: \"gauges\" must be an object", s->interval);
	json_object_foreach(gauges, key, v)
	{
		if (valid_json_name(key, err) < 0 || !json_is_array(v) || json_array_size(v) != 2 ||
		    !json_is_integer(json_array_get(v, 0)) ||
		    !json_is_integer(json_array_get(v, 1)))
			return err_set(err, "interval %u: bad gauge '%s'", s->interval, key);
		if (stats_gauge(s, key, json_integer_value(json_array_get(v, 0)),
				json_integer_value(json_array_get(v, 1))) < 0)
			return err_set(err, "out of memory");
	}
	agents = json_object_get(o, "agents");
	if (agents && !json_is_array(agents))
		return err_set(err, "interval %u: \"agents\" must be an array", s->interval);
	json_array_foreach(agents, i, v)
	{
		struct stats_health h = {0};
		json_t *id = json_object_get(v, "id");
		json_t *sat = json_object_get(v, "saturated");

		if (!json_is_object(v) || !json_is_string(id))
			return err_set(err, "interval %u: agent entry %zu needs an \"id\"",
				       s->interval, i);
		if (json_dbl(v, "cpu", &h.cpu, err, "agent") < 0 ||
		    json_dbl(v, "cpu_limit", &h.cpu_limit, err, "agent") < 0 ||
		    json_dbl(v, "lag_ms", &h.loop_lag_ms, err, "agent") < 0 ||
		    json_u64(v, "conns", &h.open_conns, 0, err, "agent") < 0 ||
		    json_u64(v, "dropped", &h.dropped, 0, err, "agent") < 0 ||
		    json_u64(v, "users", &h.users, 0, err, "agent") < 0)
			return err_prefix(err, "interval %u", s->interval);
		h.saturated = json_is_true(sat);
		h.agent = (char *)json_string_value(id);
		if (stats_add_health(s, &h) < 0)
			return err_set(err, "out of memory");
	}
	return 0;
}
