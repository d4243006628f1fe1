/* Wire framing (see wire.h and docs/wire-protocol.md). The reader buffers input and hands out
 * whole frames; anything that does not look like a frame header is a fatal stream error,
 * because a byte stream that lost its framing cannot be trusted again. */
#include "common/wire.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdio.h"
#include "common/version.h"

static const char *const type_names[] = {NULL,	  "HELLO", "PLAN",     "READY", "START",
					 "STATS", "PING",  "PONG",     "STOP",	"DONE",
					 "ERROR", "LOG",   "HEARTBEAT", "CONTROL"};

const char *wire_type_name(int type)
{
	if (type >= 1 && type <= WIRE_TYPE_MAX)
		return type_names[type];
	return "UNKNOWN";
}

int wire_frame(struct buf *out, enum wire_type type, const void *payload, size_t len)
{
	uint8_t h[WIRE_HEADER_LEN];

	if (len > WIRE_MAX_PAYLOAD)
		return -1;
	h[0] = WIRE_MAGIC;
	h[1] = BARRAGE_WIRE_VERSION;
	h[2] = (uint8_t)type;
	h[3] = 0;
	h[4] = (uint8_t)(len >> 24);
	h[5] = (uint8_t)(len >> 16);
	h[6] = (uint8_t)(len >> 8);
	h[7] = (uint8_t)len;
	if (buf_append(out, h, sizeof(h)) < 0)
		return -1;
	if (buf_append(out, payload, len) < 0) {
		out->len -= sizeof(h);
		return -1;
	}
	return 0;
}

void wire_reader_init(struct wire_reader *r)
{
	buf_init(&r->in, WIRE_MAX_PAYLOAD + WIRE_HEADER_LEN + 65536);
	r->pos = 0;
}

void wire_reader_free(struct wire_reader *r)
{
	buf_free(&r->in);
	r->pos = 0;
}

int wire_reader_feed(struct wire_reader *r, const void *data, size_t len)
{
	/* Drop what was consumed before growing, so the buffer holds at most one frame plus what
	 * arrived after it. */
	if (r->pos) {
		buf_consume(&r->in, r->pos);
		r->pos = 0;
	}
	return buf_append(&r->in, data, len);
}

int wire_reader_next(struct wire_reader *r, int *type, const uint8_t **payload, size_t *len,
		     char **err)
{
	const uint8_t *h = (const uint8_t *)r->in.data + r->pos;
	size_t avail = r->in.len - r->pos;
	uint32_t n;

	if (avail < WIRE_HEADER_LEN) {
		/* Check what we have already, so garbage is reported without waiting for more. */
		if (avail >= 1 && h[0] != WIRE_MAGIC)
			return err_set(err, "corrupt stream: expected frame magic 0x42, got 0x%02x",
				       h[0]);
		return 0;
	}
	if (h[0] != WIRE_MAGIC)
		return err_set(err, "corrupt stream: expected frame magic 0x42, got 0x%02x", h[0]);
	if (h[1] != BARRAGE_WIRE_VERSION)
		return err_set(err, "peer speaks wire protocol version %u, this side speaks %u", h[1],
			       BARRAGE_WIRE_VERSION);
	if (h[2] < 1 || h[2] > WIRE_TYPE_MAX)
		return err_set(err, "corrupt stream: unknown frame type %u", h[2]);
	if (h[3] != 0)
		return err_set(err, "corrupt stream: reserved header byte is 0x%02x", h[3]);
	n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	if (n > WIRE_MAX_PAYLOAD)
		return err_set(err, "corrupt stream: %s frame of %u bytes is over the %u-byte limit",
			       wire_type_name(h[2]), n, WIRE_MAX_PAYLOAD);
	if (avail - WIRE_HEADER_LEN < n)
		return 0;
	*type = h[2];
	*payload = h + WIRE_HEADER_LEN;
	*len = n;
	r->pos += WIRE_HEADER_LEN + n;
	return 1;
}

int wire_write_fd(int fd, enum wire_type type, const void *payload, size_t len)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = wire_frame(&b, type, payload, len);
	if (rc == 0)
		rc = fdio_write_all(fd, b.data, b.len);
	buf_free(&b);
	return rc;
}
