/* Typed scalars of a scenario (controller/scenario_scalars.c), for the loader's files only.
 * Each getter returns 0 or -1 after reporting at the node (sc_err), and leaves *out alone on
 * error so defaults survive. */
#ifndef BARRAGE_CONTROLLER_SCENARIO_SCALARS_H
#define BARRAGE_CONTROLLER_SCENARIO_SCALARS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/plan.h"
#include "common/tmpl.h"
#include "controller/scenario_yaml.h"

bool sc_is_null(const struct ynode *n);

int sc_want_kind(struct sc *sc, const struct ynode *n, enum ynode_kind kind, const char *what);

int sc_want_scalar(struct sc *sc, const struct ynode *n, const char *what);

int sc_get_string(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		  char **out);

int sc_get_duration(struct sc *sc, const struct ynode *n, const char *what, int64_t min_us,
		    int64_t *us);

int sc_get_rate(struct sc *sc, const struct ynode *n, const char *what, double *out);

int sc_get_count(struct sc *sc, const struct ynode *n, const char *what, uint64_t min, uint64_t max,
		 uint64_t *out);

int sc_get_u32(struct sc *sc, const struct ynode *n, const char *what, uint32_t min, uint32_t max,
	       uint32_t *out);

int sc_get_number(struct sc *sc, const struct ynode *n, const char *what, double *out);

int sc_get_bool(struct sc *sc, const struct ynode *n, const char *what, bool *out);

int sc_get_enum(struct sc *sc, const struct ynode *n, const char *what, const char *const *names,
		int *out);

bool sc_is_ident(const char *s);

int sc_get_ident(struct sc *sc, const struct ynode *n, const char *what, char **out);

/* A name that becomes part of a statistic's name (tr_NAME, req_NAME, error_abort_REASON): any
 * UTF-8 text that the statistic's name can carry (common/stats.h, stats_name_problem), so the
 * run never meets a name it cannot send or write. */
int sc_get_stat_name(struct sc *sc, const struct ynode *n, const char *what, const char *prefix,
		     char **out);

char *sc_resolve_path(struct sc *sc, const char *file);

/* A file path the controller or agent will open: resolved against the scenario's folder and
 * checked for reading now, not at run time. */
int sc_get_file(struct sc *sc, const struct ynode *n, const char *what, char **out);

void sc_note_use(struct sc *sc, const char *name, const struct ynode *n);

void sc_define(struct sc *sc, const char *name);

int sc_get_tmpl(struct sc *sc, const struct ynode *n, const char *what, bool nonempty,
		enum tmpl_escape esc, char **out);

int sc_get_expr(struct sc *sc, const struct ynode *n, const char *what, char **out);

int sc_check_regex(struct sc *sc, const struct ynode *n, const char *what);

int sc_check_jsonpath(struct sc *sc, const struct ynode *n);

/* A map of NAME: template value (headers, form fields, set). */
int sc_get_kvs(struct sc *sc, const struct ynode *m, const char *what, enum tmpl_escape esc,
	       bool ident_names, struct plan_kv **out, size_t *nout);

void sc_yaml_to_json(struct sc *sc, const struct ynode *n, struct buf *b);

#endif
