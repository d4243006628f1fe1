/* The one place the product version and the wire protocol version are written. The controller
 * refuses an agent whose BARRAGE_VERSION differs, and either side rejects a frame whose protocol
 * version it does not speak. */
#ifndef BARRAGE_COMMON_VERSION_H
#define BARRAGE_COMMON_VERSION_H

#define BARRAGE_VERSION "0.1.0"
#define BARRAGE_WIRE_VERSION 3 /* 2: HEARTBEAT frames both ways; 3: CONTROL */
#define BARRAGE_PLAN_VERSION 1
#define BARRAGE_SUMMARY_VERSION 1
#define BARRAGE_STATSLOG_VERSION 1

#endif
