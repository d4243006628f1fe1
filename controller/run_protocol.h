/* The run's side of the wire protocol with each agent (run_protocol.c): the callbacks an
 * agent's link is given (arg: its struct run_agent). */
#ifndef BARRAGE_CONTROLLER_RUN_PROTOCOL_H
#define BARRAGE_CONTROLLER_RUN_PROTOCOL_H

#include <stddef.h>

#include "controller/link.h"
#include "controller/run_state.h"

/* Bytes from the agent: decoded into frames and handled in order. */
void run_protocol_on_data(struct agent_link *l, const void *data, size_t len, void *arg);
/* A line of the agent's stderr: to agents/ID.log, and with -v its warnings to the live output. */
void run_protocol_on_log(struct agent_link *l, const char *line, size_t len, void *arg);
/* The link ended (why NULL: the agent exited with status 0). */
void run_protocol_on_close(struct agent_link *l, const char *why, void *arg);

#endif
