/* `barrage collect RUN_DIR`: fetch the spooled statistics of agents lost during a run
 * (controller/collect.c, docs/fleet.md). */
#ifndef BARRAGE_COLLECT_H
#define BARRAGE_COLLECT_H

/* argv[0] is "collect". Returns the exit code: 0 all collected, 2 usage, 3 some host or spool
 * could not be read, 4 internal error. */
int collect_main(int argc, char **argv);

#endif
