// SPDX-License-Identifier: Apache-2.0
/* The daemon's own entry points beside the API: the locks on its dirs and
 * `netd --cleanup`. Used by main.c only (the top of the layers). */
#pragma once

#include "netd/core/daemon.h"

/* DIR/netd.lock: one netd per root and per exec root (what: "root" or
 * "exec root", for the message); -EBUSY while another holds it. */
int netd_lock_dir(const char *dir, const char *what, int *fd_out, struct nd_error *err);
/* `netd --cleanup`: removes what this netd made on the host, prints one
 * line per thing removed; returns the exit status. */
int netd_cleanup(struct netd *d);
