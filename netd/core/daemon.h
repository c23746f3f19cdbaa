// SPDX-License-Identifier: Apache-2.0
/* The daemon's context: one struct passed down everywhere, no globals.
 * The layers above core keep their state behind the typed pointers below;
 * core itself knows only their names. */
#pragma once

#include "common/common.h"
#include "netd/core/config.h"
#include "netd/core/store.h"

#include <limits.h>
#include <time.h>
#include <uv.h>

struct images;
struct http_server;
struct http_tls;
struct net_state;
struct ctrs;
struct nd_events;
struct netd_cluster;

struct netd {
	uv_loop_t *loop;
	struct netd_config cfg;
	struct store *store;
	struct http_server *http;    /* the API listener (api layer) */
	uv_signal_t sig_term, sig_int;
	uv_signal_t sig_hup;         /* re-reads TLS material and tls-roles */
	struct http_tls *tls;        /* TCP listeners' certificates (api layer) */
	int argc;                    /* the command line, for the reload */
	char **argv;
	int lock_fd;
	int exec_lock_fd;            /* <exec-root>/netd.lock */
	char id[ND_ID_LEN + 1];      /* this daemon's identity, kept in the store */
	time_t started;
	bool shutting_down;
	struct net_state *net;       /* networks, sandboxes, endpoints, ports (net layer) */
	struct images *images;       /* image store (images/), opened at start */
	struct ctrs *ctrs;           /* containers (ctr layer) */
	struct nd_events *events;    /* the event bus (core/events.c), made at first use */
	struct netd_cluster *cluster; /* the cluster store (core/cluster.c); NULL without --cluster-store */
};
