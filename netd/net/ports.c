// SPDX-License-Identifier: Apache-2.0
/* The daemon's port publisher (proxy/'s nd_ports handle), opened right
 * after the firewall (netd_net_start) with the config keys
 *   bpf-cgroup      cgroup2 dir the eBPF programs attach to
 *                   (default /sys/fs/cgroup/unified)
 *   bpf-pin-path    bpffs dir for the pinned maps and links (see below); the
 *                   proxy mounts bpffs on /sys/fs/bpf when nobody has. A
 *                   path elsewhere must already be on bpffs.
 *   userland-proxy  true: the userland proxy instead of eBPF for traffic that
 *                   starts on the host (false: eBPF, userland where eBPF
 *                   cannot load)
 * Each netd keeps its pins in <bpf-pin-path>/<daemon id, 16 hex> with an
 * owner record (default bpf-pin-path /sys/fs/bpf/netd), and removes the
 * folders of netd instances whose exec root and network namespace are gone
 * (proxy.h, struct nd_ports_owner). Before owners, pins were directly in
 * bpf-pin-path, or in /sys/fs/bpf/netd-<fnv1a32 of the exec root>: they
 * move in at start.
 * What is published is the ctr layer's business (its records); it
 * re-publishes through the ports_resync hook. */
#include "netd/net/net.h"

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void net_ports_pin_paths(struct netd *d, char *base, size_t base_len, char *legacy, size_t legacy_len)
{
	const char *pin = d->cfg.bpf_pin_path;
	if (pin && *pin) {
		snprintf(base, base_len, "%s", pin);
		snprintf(legacy, legacy_len, "%s", pin);
	} else {
		snprintf(base, base_len, "%s", ND_PORTS_PIN_DEFAULT);
		snprintf(legacy, legacy_len, "/sys/fs/bpf/netd-%08x", fnv1a(d->cfg.exec_root));
	}
}

int net_ports_open(struct netd *d, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	const char *cg = d->cfg.bpf_cgroup;
	char legacy[PATH_MAX];
	net_ports_pin_paths(d, ns->ports_pin, sizeof(ns->ports_pin), legacy, sizeof(legacy));
	struct nd_ports_owner owner = { .id = d->id, .exec_root = d->cfg.exec_root, .legacy_dir = legacy };
	struct nd_ports_config pc = {
		.fw = ns->fw,
		.cgroup_path = cg && *cg ? cg : ND_PORTS_CGROUP_DEFAULT,
		.pin_dir = ns->ports_pin,
		.owner = &owner,
		.mode = d->cfg.userland_proxy ? ND_PORTS_USERLAND : ND_PORTS_AUTO,
		.loop = d->loop,
	};
	int rc = nd_ports_open(&pc, &ns->ports, err);
	if (rc < 0) {
		ns->ports = NULL;
		snprintf(ns->ports_error, sizeof(ns->ports_error), "%s", err->msg);
		return rc;
	}
	log_info("ports: mode=%s cgroup=%s pin=%s", nd_ports_mode(ns->ports), pc.cgroup_path, ns->ports_pin);
	/* what the previous netd published comes back through the ports_resync
	 * hook, once the container layer has loaded its records */
	return 0;
}

void net_ports_close(struct netd *d)
{
	struct net_state *ns = net_of(d);
	if (ns && ns->ports) {
		nd_ports_free(ns->ports);   /* published ports stay: containers outlive netd */
		ns->ports = NULL;
	}
}

void net_ports_info(struct netd *d, json_t *info)
{
	struct net_state *ns = net_of(d);
	json_object_set_new(info, "PortProxyMode", json_string(ns->ports ? nd_ports_mode(ns->ports) : "none"));
	json_object_set_new(info, "PortProxy", json_pack("{s:s, s:s, s:I, s:s}",
		"Mode", ns->ports ? nd_ports_mode(ns->ports) : "none", "PinPath", ns->ports_pin,
		"Published", (json_int_t)(ns->ports ? nd_ports_count(ns->ports) : 0), "Error", ns->ports_error));
}

struct nd_ports *net_ports(struct netd *d)
{
	return net_of(d) ? net_of(d)->ports : NULL;
}

const char *net_ports_error(struct netd *d)
{
	return net_of(d) ? net_of(d)->ports_error : "the network layer is not running";
}
