/* Expectations (expect.c): checks on a response. */
#ifndef BARRAGE_AGENT_EXPECT_H
#define BARRAGE_AGENT_EXPECT_H

struct creq;
struct user;

/* Check request r's expectations on the answer just received. 0 held, -1 the first failed
 * check (counted). */
int expect_run(struct user *u, const struct creq *r, long status);

#endif
