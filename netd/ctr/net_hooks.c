// SPDX-License-Identifier: Apache-2.0
/* What containers plug into the net layer: connect/disconnect by container
 * name, unpublishing before a disconnect, the sandboxes containers hold,
 * and re-publishing after the firewall was restored. */
#include "netd/ctr/ctr.h"
#include "netd/net/net.h"

static int resolve_target(struct netd *d, const char *ref, char sandbox_id[ND_ID_LEN + 1],
			  char owner_id[ND_ID_LEN + 1], char owner_name[ND_NAME_MAX + 1], struct nd_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	struct nd_error e = { 0 };
	if (ctr_lookup(d, ref, id, &doc, &e) < 0)
		return nd_error_set(err, -ENOENT, "no such sandbox or container: %s", ref);
	const char *sbid = nd_json_str(doc, "SandboxID");
	if (!sbid || !*sbid)
		return nd_error_set(err, -ENOENT, "container %s has no network sandbox (is it running?)", ref);
	const char *name = nd_json_str(doc, "Name") ?: "";
	snprintf(sandbox_id, ND_ID_LEN + 1, "%s", sbid);
	snprintf(owner_id, ND_ID_LEN + 1, "%s", id);
	snprintf(owner_name, ND_NAME_MAX + 1, "%s", name);
	return 0;
}

static void before_disconnect(struct netd *d, const char *owner_id, const char *network_id)
{
	ctr_ports_unpublish_network(d, owner_id, network_id);
}

static bool sandbox_in_use(struct netd *d, const char *sandbox_id)
{
	_cleanup_json_ json_t *users = NULL;
	struct nd_error e = { 0 };
	return store_obj_list(d->store, "container", NULL, sandbox_id, &users, &e) == 0 && json_array_size(users) > 0;
}

static void ports_resync(struct netd *d)
{
	struct nd_error e = { 0 };
	if (ctr_ports_sync(d, &e) < 0)
		log_error("ports: %s", e.msg);
}

/* a container's hostname and --dns servers, for its DNS names and resolver */
static int dns_owner(struct netd *d, const char *owner_id, struct net_dns_owner *out)
{
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	struct nd_error e = { 0 };
	if (ctr_lookup(d, owner_id, id, &doc, &e) < 0)
		return -ENOENT;
	const json_t *cfg = json_object_get(doc, "Config");
	const json_t *hc = json_object_get(doc, "HostConfig");
	snprintf(out->hostname, sizeof(out->hostname), "%s", nd_json_str(cfg, "Hostname") ?: "");
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(hc, "Dns"), i, x)
		if (json_is_string(x) && out->nservers < ARRAY_SIZE(out->servers))
			snprintf(out->servers[out->nservers++], sizeof(out->servers[0]), "%s", json_string_value(x));
	return 0;
}

void ctr__net_hooks_register(struct netd *d)
{
	static const struct net_hooks hooks = {
		.resolve_target = resolve_target,
		.before_disconnect = before_disconnect,
		.sandbox_in_use = sandbox_in_use,
		.ports_resync = ports_resync,
		.dns_owner = dns_owner,
	};
	net_hooks_register(d, &hooks);
}
