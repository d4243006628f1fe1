/* A finished transfer recorded in the worker's statistics (xfer.c), whichever HTTP client made
 * it. */
#ifndef BARRAGE_AGENT_XFER_H
#define BARRAGE_AGENT_XFER_H

#include <curl/curl.h>

struct user;

/* Record u's finished transfer (rc: how it ended): counters, timings, status. Returns the
 * status of a complete response, 0 otherwise. */
long xfer_account(struct user *u, CURLcode rc);
/* The error counter (metrics.h) for a failed transfer; reason is the client's message (may be
 * NULL). */
int xfer_error_counter(CURLcode rc, const char *reason);

#endif
