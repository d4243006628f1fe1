/* A finished transfer recorded in the worker's statistics, whichever HTTP client made it (the
 * client says what the transfer took through transport.xfer): requests, sizes, connect and TLS
 * times, request and ttfb, req_NAME, http_NNN, and the error name of a failure. */
#include <string.h>

#include "agent/metrics.h"
#include "agent/prog.h"
#include "agent/transport.h"
#include "agent/user.h"
#include "agent/worker.h"
#include "agent/wstats.h"
#include "agent/xfer.h"

int xfer_error_counter(CURLcode rc, const char *reason)
{
	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
		/* libcurl's buffers are capped: a response header line over 100 KiB fails the
		 * transfer as "out of memory" (with no message), and that, not the machine's
		 * memory, is what this code means on a transfer. */
		return C_ERR_HEADER_TOO_LARGE;
	case CURLE_RECV_ERROR:
		/* More than 300 KiB of response headers in all: libcurl says so in its message. */
		if (reason && strstr(reason, "header"))
			return C_ERR_HEADER_TOO_LARGE;
		return C_ERR_CLOSED;
	case CURLE_COULDNT_CONNECT:
		return C_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return C_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return C_ERR_DNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_INITFAILED:
		return C_ERR_TLS;
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return C_ERR_CLOSED;
	default:
		return C_ERR_OTHER;
	}
}

/* Record one finished transfer. A request counts in `requests` (attempted) whatever happened;
 * only a complete response enters `request`, `ttfb`, `req_NAME` and `http_NNN`. A transfer that
 * failed (no connection, no status line, a reset or a timeout part way through the body) is
 * counted by its error name and timed in `request_failed` alone: its time says how long failing
 * took, not how fast the target answers, and its status (if a status line came before the
 * failure) is not an answer the target finished giving. Returns the status of a complete
 * response, 0 otherwise. */
long xfer_account(struct user *u, CURLcode rc)
{
	struct worker *w = u->w;
	const struct prog *g = w->prog;
	struct wstats *s = w->cur;
	struct http_xfer x;
	uint64_t req_us;

	w->tp->xfer(u, &x);
	s->c[C_REQUESTS]++;
	s->c[C_SIZE_RCV] += x.rcv;
	s->c[C_SIZE_SENT] += x.sent;
	if (x.code > 0)
		u->got_response = true;
	if (x.nconn > 0) {
		if (x.connect > 0)
			wstats_record(g, s, H_CONNECT, (uint64_t)x.connect);
		if (x.tls > 0)
			wstats_record(g, s, H_TLS, (uint64_t)x.tls);
	}
	req_us = x.total > 0 ? (uint64_t)x.total : 0;
	if (rc != CURLE_OK) {
		int ctr = xfer_error_counter(rc, u->errbuf);

		s->c[ctr]++;
		wstats_record(g, s, H_REQUEST_FAILED, req_us);
		/* Errors whose name alone does not say what went wrong get the client's own reason
		 * in the agent's log, once per step. */
		if ((ctr == C_ERR_OTHER || ctr == C_ERR_TLS || ctr == C_ERR_HEADER_TOO_LARGE) &&
		    u->req)
			worker_note_once(
			    w, u->req,
			    "%s:%d:%d: request %s %s failed: %s%s (counted as "
			    "%s)",
			    g->plan->source ? g->plan->source : "plan", u->req->pos.line,
			    u->req->pos.col, u->req->src->method, u->req->src->url,
			    ctr == C_ERR_HEADER_TOO_LARGE && w->tp == &http_transport
				? "response headers over libcurl's limit (100 KiB a "
				  "line, 300 KiB in all); libcurl said: "
				: "",
			    u->errbuf[0] ? u->errbuf : curl_easy_strerror(rc), g->ctr_names[ctr]);
		return 0;
	}
	u->backoff_us = 0;
	if (g->plan->load.model == PLAN_MODEL_RATE) {
		/* Coordinated omission: latency counts from when the request should have gone. */
		int64_t late = u->sent_us - u->intended_us;

		wstats_record(g, s, H_REQUEST_SERVICE, req_us);
		if (late > 0)
			req_us += (uint64_t)late;
	}
	wstats_record(g, s, H_REQUEST, req_us);
	if (u->req && u->req->hist >= 0 && !u->hop)
		wstats_record(g, s, u->req->hist, req_us);
	if (x.start >= x.pre)
		wstats_record(g, s, H_TTFB, (uint64_t)(x.start - x.pre));
	if (x.code > 0 && x.code < AGENT_HTTP_CODES)
		s->http[x.code]++;
	return x.code;
}
