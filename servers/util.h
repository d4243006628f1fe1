/* Small helpers shared by the reference servers, so each exists once. */
#ifndef BARRAGE_SERVERS_UTIL_H
#define BARRAGE_SERVERS_UTIL_H

/* Parse a whole decimal long from lo to hi for option --opt (opt without the dashes). Returns 0
 * with *out, or -1 with *err "--OPT: expected a number from LO to HI, got 'V'". */
int srv_parse_long(const char *opt, const char *v, long lo, long hi, long *out, char **err);

#endif
