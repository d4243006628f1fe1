/* Captures (capture.c): values taken from a response into the user's variables. */
#ifndef BARRAGE_AGENT_CAPTURE_H
#define BARRAGE_AGENT_CAPTURE_H

struct creq;
struct user;

/* Run request r's captures on the answer just received (status, u->resp, the client's headers
 * and cookies). 0 ok, -1 a capture found nothing and has no default (counted). */
int capture_run(struct user *u, const struct creq *r, long status);

#endif
