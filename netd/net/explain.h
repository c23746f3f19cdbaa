// SPDX-License-Identifier: Apache-2.0
/* netd/net: internals of netctl explain (not a public header). */
#pragma once

#include "netd/net/net.h"

/* One visit to a network namespace (explain_nl.c). */
struct ex_route {
	bool found;
	int err;                 /* positive errno: no route */
	char errmsg[160];
	uint8_t type;            /* RTN_UNICAST, RTN_LOCAL, ... */
	uint32_t table;
	int oif;
	char oifname[IFNAMSIZ];
	char gw[64], prefsrc[64];
};

struct ex_neigh {
	bool found;
	char addr[64];           /* the next hop asked for */
	char mac[18];
	char state[32];
};

struct ex_nsq {
	/* in */
	int family;
	uint8_t dst[16], src[16];
	bool has_src;
	char iif[IFNAMSIZ];      /* "" = a locally generated packet */
	uint8_t proto;
	uint16_t dport;
	bool want_route, want_neigh, want_listen;
	char want_ifindex[IFNAMSIZ]; /* "" or a name whose ifindex to find */
	/* out */
	struct ex_route rt;
	struct ex_neigh nb;
	bool listen_checked, listening;
	char listen_where[80];
	int ifindex;
};

/* netns_path NULL: the calling thread's namespace (netd's). Blocks. */
int ex_ns_query(const char *netns_path, struct ex_nsq *q, struct nd_error *err);
