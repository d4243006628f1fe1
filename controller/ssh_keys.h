/* Host keys and user keys for the SSH fleet (ssh_keys.c). */
#ifndef BARRAGE_CONTROLLER_SSH_KEYS_H
#define BARRAGE_CONTROLLER_SSH_KEYS_H

#include <libssh2.h>

#include "controller/ssh_host.h"

/* Fills f->known_hosts (opt's or ~/.ssh/known_hosts), f->identity and its passphrase (asked on
 * the terminal when the key is encrypted), or the default key files to try after ssh-agent.
 * -1 with *err when the named key cannot be read or unlocked. */
int ssh_keys_load(struct ssh_fleet *f, const struct ssh_options *opt, char **err);
/* Offer OpenSSH's host key order, as far as this libssh2 supports it. */
void ssh_keys_set_prefs(LIBSSH2_SESSION *s);
/* The server's key against known_hosts, strictly: a mismatch is named as a possible attack, an
 * unknown key is refused unless accept_new_host_keys records it. 0, or -1 after
 * ssh_host_error. */
int ssh_keys_check_host(struct ssh_host *h);

#endif
