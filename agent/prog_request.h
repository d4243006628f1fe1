/* Compiling one request step of the plan into a struct creq (prog.h). */
#ifndef BARRAGE_AGENT_PROG_REQUEST_H
#define BARRAGE_AGENT_PROG_REQUEST_H

struct creq;
struct plan_step;
struct prog;

/* Fill r (zeroed by the caller) from request step st. -1 with *err naming the position; r is
 * then half built and prog_request_free() releases it. */
int prog_request_compile(struct prog *g, const struct plan_step *st, struct creq *r, char **err);
/* Free r and what it holds (NULL is fine). */
void prog_request_free(struct creq *r);

#endif
