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
struct net_state;
struct ctrs;
struct nd_events;

struct netd {
	uv_loop_t *loop;
	struct netd_config cfg;
	struct store *store;
	struct http_server *http;    /* the API listener (api layer) */
	uv_signal_t sig_term, sig_int;
	int lock_fd;
	int exec_lock_fd;            /* <exec-root>/netd.lock */
	char id[ND_ID_LEN + 1];      /* this daemon's identity, kept in the store */
	time_t started;
	bool shutting_down;
	struct net_state *net;       /* networks, sandboxes, endpoints, ports (net layer) */
	struct images *images;       /* image store (images/), opened at start */
	struct ctrs *ctrs;           /* containers (ctr layer) */
	struct nd_events *events;    /* the event bus (core/events.c), made at first use */
	/* GET /system/df's "Volumes" (Docker's Volume objects with UsageData),
	 * set by the volumes service when there is one; NULL: no volumes */
	int (*volumes_df)(struct netd *d, json_t **out, struct nd_error *err);
};
