/* The statistics every worker records, by number: the fixed histograms and counters come
 * first in a compiled plan's name tables (prog.c gives them their names), and the names the
 * scenario adds (tr_NAME, req_NAME, error_capture_VAR, error_abort_REASON) follow from H_FIXED
 * and C_FIXED. The hot path indexes struct wstats (wstats.h) with these numbers and never looks
 * a name up.
 *
 * Subset relations (common/stats.h): requests (attempted) == request.count +
 * request_failed.count + error_cut; request.count == sum of http_NNN. */
#ifndef BARRAGE_AGENT_METRICS_H
#define BARRAGE_AGENT_METRICS_H

enum {
	H_CONNECT = 0,
	H_TLS,
	H_REQUEST,
	H_REQUEST_SERVICE,
	H_TTFB,
	H_PAGE,
	H_SESSION,
	H_REQUEST_FAILED, /* the client's total time of a request that got no complete response */
	H_FIXED		  /* tr_NAME and req_NAME follow */
};

enum {
	C_REQUESTS = 0,
	C_SIZE_RCV,
	C_SIZE_SENT,
	C_USERS_COUNT,
	C_FINISH_USERS,
	C_DROPPED_USERS,
	C_ERR_CONNECT,
	C_ERR_TIMEOUT,
	C_ERR_TLS,
	C_ERR_DNS,
	C_ERR_CLOSED,
	C_ERR_OTHER,
	C_ERR_EXPECT_STATUS,
	C_ERR_EXPECT_BODY,
	C_ERR_EXPECT_HEADER,
	C_ERR_ABORT,
	C_ERR_EVAL,
	C_ERR_RENDER,
	C_ERR_DATA_EXHAUSTED,
	C_ERR_CUT,	   /* in flight when the run's grace ended */
	C_REQUESTS_MISSED, /* rate model: intended sends that never went out */
	C_USERS_BACKOFF,   /* a user waited before its next session after failing */
	C_ERR_HEADER_TOO_LARGE,
	C_WHILE_MAX,   /* a while loop stopped at its max */
	C_ERR_BAD_URL, /* a rendered URL held a character not valid in a URL */
	C_FIXED	       /* error_capture_VAR and error_abort_REASON follow */
};

/* Status codes counted one by one (http_NNN). */
#define AGENT_HTTP_CODES 1000

#endif
