/* The scenario's top-level sections (controller/scenario_sections.c), for the loader only. */
#ifndef BARRAGE_CONTROLLER_SCENARIO_SECTIONS_H
#define BARRAGE_CONTROLLER_SCENARIO_SECTIONS_H

#include <stdint.h>

#include "common/plan.h"
#include "controller/scenario_yaml.h"

void sc_parse_http(struct sc *sc, const struct ynode *n, struct plan *p);

void sc_parse_load(struct sc *sc, const struct ynode *key, const struct ynode *n, struct plan *p);

void sc_parse_data(struct sc *sc, const struct ynode *n, struct plan *p);

void sc_parse_thresholds(struct sc *sc, const struct ynode *n, struct plan *p);

void sc_parse_agents(struct sc *sc, const struct ynode *n, struct plan *p);

/* monitor: { hosts: [local, "user@host:port"], processes: [name], interval, optional,
 * hosts_file } (controller/monitor.c checks each host string). */
void sc_parse_monitor(struct sc *sc, const struct ynode *n, struct plan_monitor *m);

#endif
