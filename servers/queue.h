/* The queue service's row for the service table (servers/services.c). */
#ifndef BARRAGE_SERVERS_QUEUE_H
#define BARRAGE_SERVERS_QUEUE_H

#include "servers/http.h"

extern const struct srv_service srv_queue_service;

#endif
