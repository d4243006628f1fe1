/* The service table of barrage-target: one row per service, one line each, so a service is
 * added by adding its row (and its .c file) and nothing else changes. */
#include <string.h>

#include "servers/http.h"

extern const struct srv_service srv_target_service;
extern const struct srv_service srv_wallet_service;
extern const struct srv_service srv_voting_service;
extern const struct srv_service srv_queue_service;

const struct srv_service *const srv_services[] = {
	&srv_target_service,
	&srv_wallet_service,
	&srv_voting_service,
	&srv_queue_service,
	NULL,
};

const struct srv_service *srv_service_find(const char *name)
{
	for (int i = 0; srv_services[i]; i++)
		if (strcmp(srv_services[i]->name, name) == 0)
			return srv_services[i];
	return NULL;
}
