/* The agent link's framing: how the controller and an agent talk over a byte stream (the agent's
 * stdin/stdout, locally through pipes or remotely through an SSH channel — the same bytes).
 *
 * A frame is an 8-byte header and a payload:
 *
 *   byte 0     'B' (0x42)
 *   byte 1     protocol version (BARRAGE_WIRE_VERSION)
 *   byte 2     frame type (enum wire_type)
 *   byte 3     0 (reserved)
 *   bytes 4-7  payload length, unsigned 32-bit big-endian, at most WIRE_MAX_PAYLOAD
 *
 * Payloads are JSON text for the control frames (HELLO, PLAN, START, PING, PONG, STOP, DONE,
 * ERROR, LOG, HEARTBEAT, CONTROL) and the binary stats codec (stats.h) for STATS. docs/wire-protocol.md
 * describes each one and the conversation. */
#ifndef BARRAGE_COMMON_WIRE_H
#define BARRAGE_COMMON_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define WIRE_MAGIC 0x42
#define WIRE_HEADER_LEN 8
#define WIRE_MAX_PAYLOAD ((uint32_t)64 << 20)

enum wire_type {
	WIRE_HELLO = 1, /* agent -> controller, first frame: {"version","wire","pid","host","cpus","nofile"} */
	WIRE_PLAN = 2,  /* controller -> agent: the plan (plan.h JSON) with this agent's share */
	WIRE_READY = 3, /* agent -> controller: plan accepted, data loaded: {} or {"error":...} */
	WIRE_START = 4, /* controller -> agent: {"delay_ms": N} start the load N ms after receipt */
	WIRE_STATS = 5, /* agent -> controller: one interval, binary stats codec */
	WIRE_PING = 6,  /* controller -> agent: {"t": controller_ms} */
	WIRE_PONG = 7,  /* agent -> controller: {"t": controller_ms, "agent_t": agent_ms} */
	WIRE_STOP = 8,  /* controller -> agent: {"reason": "..."} stop the load now, send DONE */
	WIRE_DONE = 9,  /* agent -> controller: {"intervals": N} the last frame before exit */
	WIRE_ERROR = 10, /* either way: {"message": "..."}; the sender then closes */
	WIRE_LOG = 11,   /* agent -> controller: {"level": "warning", "message": "..."} */
	/* Either way, every second from the sender's main loop: {"t": sender_monotonic_ms}. Any
	 * frame proves the link alive; this one guarantees there is a frame at least every second
	 * whatever the load does, so silence for agents.link_timeout means the link is gone. */
	WIRE_HEARTBEAT = 12,
	/* controller -> agent, wire 3: runtime control of the load, the whole state each time:
	 * {"seq": N, "rate_scale": 1.5, "users": 120, "paused": false} (docs/wire-protocol.md). */
	WIRE_CONTROL = 13,
	WIRE_TYPE_MAX = 13
};

const char *wire_type_name(int type);

/* Append one frame to out. Returns -1 if the payload is over WIRE_MAX_PAYLOAD. */
int wire_frame(struct buf *out, enum wire_type type, const void *payload, size_t len);

/* Incremental decoder: feed bytes as they arrive, take frames out as they complete. */
struct wire_reader {
	struct buf in;
	size_t pos; /* start of the unconsumed data in `in` */
};

void wire_reader_init(struct wire_reader *r);
void wire_reader_free(struct wire_reader *r);
int wire_reader_feed(struct wire_reader *r, const void *data, size_t len);
/* Returns 1 and sets *type, *payload (pointing into the reader, valid until the next feed or
 * next call) and *len when a whole frame is ready; 0 when more bytes are needed; -1 with *err
 * when the stream is corrupt (bad magic, unknown version or type, oversized length). After -1
 * the stream cannot be resynchronised: close it. */
int wire_reader_next(struct wire_reader *r, int *type, const uint8_t **payload, size_t *len,
		     char **err);

/* Blocking helpers for simple peers (tests, the agent's link thread): write a whole frame to a
 * file descriptor, retrying on EINTR and short writes. */
int wire_write_fd(int fd, enum wire_type type, const void *payload, size_t len);

#endif
