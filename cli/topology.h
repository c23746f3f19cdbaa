// SPDX-License-Identifier: Apache-2.0
/* netctl topology and ui: netd's GET /topology of one or more hosts, drawn
 * as Graphviz DOT (text we write) and SVG (laid out and rendered by
 * Graphviz's library, libgvc). */
#pragma once

#include "cli/client.h"
#include "common/common.h"

/* The daemons a picture covers: topology's and ui's -H options, else the
 * global -H, else $NETD_HOST (a comma-separated list), else the default. */
struct topo_hosts {
	struct client **clients;
	char **addrs;                /* as given ("unix:///...", "tcp://...") */
	size_t n;
};
/* hosts: the command's -H values (may be none); base: the global options. */
int topo_hosts_open(const struct client_opts *base, char **hosts, size_t nhosts, struct topo_hosts *out,
		    struct nd_error *err);
void topo_hosts_close(struct topo_hosts *h);

/* {"Hosts": [{"Address": ..., <netd's /topology>...}, ...]}: every host's
 * topology, in the order given. A host that does not answer fails it all. */
int topo_fetch(struct topo_hosts *h, json_t **out, struct nd_error *err);

/* The picture as DOT text (free it). Node ids are the kernel objects'
 * names (docs/topology.md). */
char *topo_dot(const json_t *topology);

/* DOT to SVG through libgvc (layout "dot"). *out is NUL-terminated; free it.
 * libgvc keeps global state: calls are serialised inside. */
int topo_svg(const char *dot, char **out, size_t *len, struct nd_error *err);
