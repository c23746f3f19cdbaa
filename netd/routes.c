/* The API: Docker Engine paths where Docker has the concept, netd-only
 * objects beside them. One table; handlers live in api_*.c. */
#include "netd/daemon.h"

const struct http_route netd_routes[] = {
	{ "GET", "/_ping", api_ping, 0 },
	{ "HEAD", "/_ping", api_ping, 0 },
	{ "GET", "/version", api_version, 0 },
	{ "GET", "/info", api_info, 0 },
};

const size_t netd_nroutes = ARRAY_SIZE(netd_routes);
