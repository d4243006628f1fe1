/* An agent link: the byte stream between the controller and one agent process.
 *
 * Two transports implement it: local agents (fork/exec with pipes to the agent's stdin and
 * stdout; controller/local.c) and remote agents (an exec channel of an SSH session;
 * controller/ssh_link.c). The run loop (controller/run.c) sees only this interface: it writes
 * frames (common/wire.h) and gets bytes and a close notification back, all on one libevent
 * base. */
#ifndef BARRAGE_CONTROLLER_LINK_H
#define BARRAGE_CONTROLLER_LINK_H

#include <stddef.h>

struct event_base;
struct agent_link;

struct agent_link_ops {
	/* Queue bytes for the agent's stdin. Never blocks; returns -1 once the link is closed. */
	int (*write)(struct agent_link *l, const void *data, size_t len);
	/* Close the agent's stdin (the agent then stops its load within 2 s) but keep reading
	 * until it closes its side. */
	void (*shutdown)(struct agent_link *l);
	/* Stop the agent now (SIGKILL locally; close the channel and session remotely). */
	void (*kill)(struct agent_link *l);
	/* Free everything. Accepts a link whose callbacks have already fired. */
	void (*free)(struct agent_link *l);
};

struct agent_link {
	const struct agent_link_ops *ops;
	char *id;   /* "local-1", "load@10.0.0.5:22#2" */
	char *host; /* "localhost" or the host name */
	/* Set by the owner before the link starts: bytes from the agent's stdout... */
	void (*on_data)(struct agent_link *l, const void *data, size_t len, void *arg);
	/* ...and the end of the link: why is NULL for a clean exit (status 0), else a message
	 * ("exited with status 3", "killed by signal 9", "SSH channel closed: ..."). Called once. */
	void (*on_close)(struct agent_link *l, const char *why, void *arg);
	/* Lines the agent wrote to stderr (its log), one call per line, for agents/ID.log. */
	void (*on_log)(struct agent_link *l, const char *line, size_t len, void *arg);
	void *arg;
};

static inline int link_write(struct agent_link *l, const void *d, size_t n)
{
	return l->ops->write(l, d, n);
}

#endif
