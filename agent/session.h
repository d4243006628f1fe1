/* A user's session as the worker's loop and the HTTP clients drive it (session.c): begin,
 * the completion callback of a transfer, stopping. */
#ifndef BARRAGE_AGENT_SESSION_H
#define BARRAGE_AGENT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct user;
struct worker;

/* A new user of w (user_new with the session's timer); NULL when out of memory. */
struct user *session_user_new(struct worker *w);
/* Begin a fresh user (new cookies, connections, data row, variables) and run its session. */
void session_begin(struct user *u, int64_t now);
/* Start a new user in this slot after delay_us (from the event loop, not from a callback). */
void session_schedule_begin(struct user *u, int64_t delay_us);
/* The HTTP client's completion callback (transport.h): the user's transfer is over, with rc
 * (a CURLcode, whichever client made it). Called from the client's event callback. */
void session_transfer_done(struct user *u, CURLcode rc);
/* End now (hard stop): cancel the timer and any transfer; no session statistics. */
void session_kill(struct user *u);
/* Stop at the next step boundary; a user waiting in think time stops now. */
void session_soft_stop(struct user *u);
/* Rate model: how many of this user's intended sends fall before `until` and were never sent. */
uint64_t session_missed_sends(const struct user *u, int64_t until);
/* True while the user has a request in flight. */
bool session_in_flight(const struct user *u);

#endif
