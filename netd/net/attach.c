// SPDX-License-Identifier: Apache-2.0
/* CNI attachments: endpoints in caller-owned sandboxes.
 *
 * A CNI runtime owns the network namespace; netd records its path in a
 * sandbox named "cni-<container ID>" (caller_owned: never created, re-created
 * or destroyed by netd) and joins one endpoint per (interface name,
 * network) to it. The attachment's published ports live in its endpoint
 * record, written before they are published, so a netd killed at any point
 * publishes them again at start (ctr's port sync takes the union) or
 * releases them with the attachment. Reconcile releases the attachments
 * whose namespace is gone (net.c). */
#include "netd/net/net.h"

#include "wire/wire.h"

#include <net/if.h>

#define CNI_LABEL_CID "cni.dev/container-id"

void net_attachment_clear(struct net_attachment *a)
{
	nd_sandbox_rec_clear(&a->sb);
	nd_endpoint_rec_clear(&a->ep);
	memset(a, 0, sizeof(*a));
}

static bool cid_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

int net_attach_key_check(const struct net_attach_key *k, struct nd_error *err)
{
	if (!k->container_id || !*k->container_id)
		return nd_error_set(err, -EINVAL, "the container ID is required");
	size_t n = strlen(k->container_id);
	if (n > NET_ATTACH_CID_MAX)
		return nd_error_set(err, -EINVAL, "the container ID is longer than %d characters", NET_ATTACH_CID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!cid_char(k->container_id[i]))
			return nd_error_set(err, -EINVAL,
					    "invalid container ID \"%s\": use letters, digits, '_', '.' and '-'",
					    k->container_id);
	if (!cid_char(k->container_id[0]) || k->container_id[0] == '.' || k->container_id[0] == '-')
		return nd_error_set(err, -EINVAL, "invalid container ID \"%s\": must start with a letter or digit",
				    k->container_id);
	const char *i = k->ifname;
	if (!i || !*i)
		return nd_error_set(err, -EINVAL, "the interface name is required");
	if (strlen(i) >= IFNAMSIZ)
		return nd_error_set(err, -EINVAL, "interface name \"%s\" is longer than %d characters", i, IFNAMSIZ - 1);
	if (!strcmp(i, ".") || !strcmp(i, ".."))
		return nd_error_set(err, -EINVAL, "invalid interface name \"%s\"", i);
	for (; *i; i++)
		if (*i == '/' || *i == ':' || *i <= ' ' || *i == 0x7f)
			return nd_error_set(err, -EINVAL, "invalid interface name \"%s\": no '/', ':' or whitespace",
					    k->ifname);
	if (!k->network || !*k->network)
		return nd_error_set(err, -EINVAL, "the network is required");
	return 0;
}

static void sandbox_name(const char *cid, char out[ND_NAME_MAX + 1])
{
	snprintf(out, ND_NAME_MAX + 1, "cni-%s", cid);
}

/* The caller-owned sandbox of a container ID; -ENOENT when none. */
static int sandbox_of(struct netd *d, const char *cid, struct nd_sandbox_rec *sb, struct nd_error *err)
{
	char name[ND_NAME_MAX + 1];
	sandbox_name(cid, name);
	struct nd_error e = { 0 };
	int rc = net_sandbox_lookup(d, name, sb, &e);
	if (rc < 0) {
		nd_sandbox_rec_clear(sb);
		return rc == -ENOENT ? -ENOENT : nd_error_set(err, rc, "%s", e.msg);
	}
	if (!sb->caller_owned) {
		nd_sandbox_rec_clear(sb);
		return nd_error_set(err, -EEXIST, "sandbox %s exists and is not a CNI attachment's", name);
	}
	return 0;
}

/* The endpoint of (sb, network); -ENOENT when none. */
static int endpoint_of(struct netd *d, const struct nd_sandbox_rec *sb, const char *network_id,
		       struct nd_endpoint_rec *ep, struct nd_error *err)
{
	struct nd_endpoint_list eps;
	int rc = net_endpoint_list(d, network_id, sb->id, &eps, err);
	if (rc < 0)
		return rc;
	if (eps.n == 0) {
		nd_endpoint_list_clear(&eps);
		return -ENOENT;
	}
	*ep = eps.v[0];
	memset(&eps.v[0], 0, sizeof(eps.v[0]));
	nd_endpoint_list_clear(&eps);
	return 0;
}

static size_t sandbox_endpoints(struct netd *d, const char *sbid)
{
	struct nd_endpoint_list eps;
	struct nd_error e = { 0 };
	if (net_endpoint_list(d, NULL, sbid, &eps, &e) < 0)
		return 1;   /* cannot tell: keep it */
	size_t n = eps.n;
	nd_endpoint_list_clear(&eps);
	return n;
}

static void fill(struct netd *d, struct net_network *n, struct net_attachment *a)
{
	snprintf(a->network_id, sizeof(a->network_id), "%s", n->rec.id);
	snprintf(a->network_name, sizeof(a->network_name), "%s", n->rec.name);
	for (int i = 0; i < n->rec.nipam; i++) {
		const struct nd_ipam_rec *p = &n->rec.ipam[i];
		bool v6 = strchr(p->subnet, ':') != NULL;
		char *gw = v6 ? a->gateway6 : a->gateway4;
		const char *addr = v6 ? a->ep.ipv6 : a->ep.ipv4;
		if (!*gw && addr[0] && p->gateway[0])
			snprintf(gw, 64, "%s", p->gateway);
	}
	const char *dns = net_dns_addr(n);
	snprintf(a->dns4, sizeof(a->dns4), "%s", dns ? dns : "");
	const char *mtu = nd_json_str(n->rec.options, "com.docker.network.driver.mtu");
	a->mtu = mtu ? atoi(mtu) : 0;
	(void)d;
}

/* ---- published ports ----------------------------------------------------------- */

static json_t *port_record(const struct nd_port_map *m)
{
	json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:i}", "Proto", wire_ports_proto_name(m->proto), "HostIp",
			      m->host_ip, "HostPort", (int)m->host_port, "ContainerIp", m->container_ip,
			      "ContainerPort", (int)m->container_port);
	if (j && m->caller_reserves)
		json_object_set_new(j, "CallerReserves", json_true());
	return j;
}

static int port_from_record(const json_t *j, struct nd_port_map *m)
{
	memset(m, 0, sizeof(*m));
	int proto = IPPROTO_TCP;
	const char *p = nd_json_str(j, "Proto");
	if (p && *p && wire_ports_proto_from_name(p, &proto) < 0)
		return -EINVAL;
	json_int_t hp = json_integer_value(json_object_get(j, "HostPort"));
	json_int_t cp = json_integer_value(json_object_get(j, "ContainerPort"));
	if (hp <= 0 || hp > 65535 || cp <= 0 || cp > 65535)
		return -EINVAL;
	m->proto = proto;
	m->host_port = (uint16_t)hp;
	m->container_port = (uint16_t)cp;
	snprintf(m->host_ip, sizeof(m->host_ip), "%s", nd_json_str(j, "HostIp") ?: "");
	snprintf(m->container_ip, sizeof(m->container_ip), "%s", nd_json_str(j, "ContainerIp") ?: "");
	m->caller_reserves = json_is_true(json_object_get(j, "CallerReserves"));
	return 0;
}

static int maps_of(const json_t *records, struct nd_port_map **out, size_t *n)
{
	*n = 0;
	*out = calloc(json_array_size(records) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r)
		if (port_from_record(r, &(*out)[*n]) == 0)
			(*n)++;
	return 0;
}

void net__endpoint_ports_del(struct netd *d, const struct nd_endpoint_rec *ep)
{
	if (json_array_size(ep->port_mappings) == 0 || !net_ports(d))
		return;
	_cleanup_free_ struct nd_port_map *maps = NULL;
	size_t n;
	if (maps_of(ep->port_mappings, &maps, &n) < 0)
		return;
	struct nd_error e = { 0 };
	if (nd_ports_del(net_ports(d), maps, n, &e) < 0)
		log_warn("endpoint=%.12s: unpublish: %s", ep->id, e.msg);
	else
		log_info("endpoint=%.12s: %zu published port%s unpublished", ep->id, n, n == 1 ? "" : "s");
}

int net_attach_port_records(struct netd *d, json_t *all, struct nd_error *err)
{
	struct nd_endpoint_list eps;
	int rc = net_endpoint_list(d, NULL, NULL, &eps, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < eps.n; i++)
		json_array_extend(all, eps.v[i].port_mappings);
	nd_endpoint_list_clear(&eps);
	return 0;
}

/* Records the mappings in the endpoint (intent), then publishes them. */
static int publish(struct netd *d, struct nd_endpoint_rec *ep, const struct nd_port_map *ports, size_t n,
		   struct nd_error *err)
{
	struct nd_ports *pp = net_ports(d);
	_cleanup_free_ struct nd_port_map *maps = calloc(n + 1, sizeof(*maps));
	if (!maps)
		return nd_error_set(err, -ENOMEM, "out of memory");
	json_t *records = json_array();
	for (size_t i = 0; i < n; i++) {
		maps[i] = ports[i];
		bool v6 = strchr(maps[i].host_ip, ':') != NULL;
		const char *cidr = v6 ? ep->ipv6 : ep->ipv4;
		if (!cidr[0]) {
			json_decref(records);
			return nd_error_set(err, -EINVAL, "port mapping to %u: the attachment has no IPv%d address",
					    maps[i].container_port, v6 ? 6 : 4);
		}
		snprintf(maps[i].container_ip, sizeof(maps[i].container_ip), "%.*s", (int)strcspn(cidr, "/"), cidr);
		json_array_append_new(records, port_record(&maps[i]));
	}
	json_decref(ep->port_mappings);
	ep->port_mappings = records;
	int rc;
	if ((rc = store_endpoint_put(d->store, ep, err)) < 0)
		return rc;
	if ((rc = nd_ports_add(pp, maps, n, err)) < 0)
		return rc;
	char s[160];
	for (size_t i = 0; i < n; i++)
		log_info("endpoint=%.12s published %s", ep->id, nd_port_map_str(&maps[i], s, sizeof(s)));
	return 0;
}

/* ---- add, del, get ----------------------------------------------------------------- */

int net_attach_get(struct netd *d, const struct net_attach_key *k, struct net_attachment *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if ((rc = net_attach_key_check(k, err)) < 0)
		return rc;
	struct net_network *n = net_network_find(d, k->network, err);
	if (!n)
		return err->code;
	if ((rc = sandbox_of(d, k->container_id, &out->sb, err)) < 0) {
		if (rc == -ENOENT)
			nd_error_set(err, -ENOENT, "container %s has no attachment", k->container_id);
		return rc;
	}
	if ((rc = endpoint_of(d, &out->sb, n->rec.id, &out->ep, err)) < 0 || strcmp(out->ep.ifname, k->ifname)) {
		if (rc == -ENOENT || rc == 0)
			rc = nd_error_set(err, -ENOENT, "container %s has no attachment %s on network %s", k->container_id,
					  k->ifname, n->rec.name);
		net_attachment_clear(out);
		return rc;
	}
	fill(d, n, out);
	return 0;
}

int net_attach_add(struct netd *d, const struct net_attach_req *req, struct net_attachment *out,
		   struct nd_error *err)
{
	const struct net_attach_key *k = &req->key;
	memset(out, 0, sizeof(*out));
	int rc;
	if ((rc = net_attach_key_check(k, err)) < 0)
		return rc;
	struct net_network *n = net_network_find(d, k->network, err);
	if (!n)
		return err->code;
	if (!req->netns || !*req->netns)
		return nd_error_set(err, -EINVAL, "the namespace path is required");
	if (!netns_alive(req->netns))
		return nd_error_set(err, -EINVAL, "%s is not a network namespace", req->netns);
	if (req->nports && !net_ports(d))
		return nd_error_set(err, -ENOTSUP, "port publishing is unavailable: %s", net_ports_error(d));
	for (size_t i = 0; i < req->nports; i++)
		if (!req->ports[i].host_port || !req->ports[i].container_port)
			return nd_error_set(err, -EINVAL, "a port mapping needs a host port and a container port");

	bool made_sb = false;
	rc = sandbox_of(d, k->container_id, &out->sb, err);
	if (rc == 0) {
		if (strcmp(out->sb.netns_path, req->netns) != 0) {
			rc = nd_error_set(err, -EEXIST, "container %s is attached in another namespace (%s)",
					  k->container_id, out->sb.netns_path);
			goto fail;
		}
		rc = endpoint_of(d, &out->sb, n->rec.id, &out->ep, err);
		if (rc == 0) {
			if (strcmp(out->ep.ifname, k->ifname) != 0) {
				rc = nd_error_set(err, -EEXIST, "container %s is already attached to network %s as %s",
						  k->container_id, n->rec.name, out->ep.ifname);
				goto fail;
			}
			fill(d, n, out);   /* the same ADD again: what it made */
			return 0;
		}
		if (rc != -ENOENT)
			goto fail;
	} else if (rc == -ENOENT) {
		char name[ND_NAME_MAX + 1];
		sandbox_name(k->container_id, name);
		_cleanup_json_ json_t *labels = json_pack("{s:s}", CNI_LABEL_CID, k->container_id);
		if ((rc = net_sandbox_adopt(d, name, req->netns, labels, &out->sb, err)) < 0)
			goto fail;
		made_sb = true;
	} else {
		goto fail;
	}

	struct net_connect_req c = {
		.target = out->sb.id, .ipv4 = req->ipv4, .ipv6 = req->ipv6, .mac = req->mac,
		.aliases = req->aliases, .ifname = k->ifname,
	};
	if ((rc = net_endpoint_connect(d, n->rec.id, &c, &out->ep, err)) < 0)
		goto fail_sb;
	if (req->nports && (rc = publish(d, &out->ep, req->ports, req->nports, err)) < 0) {
		/* nothing half-made: the endpoint (and its records) go again */
		struct nd_error e = { 0 };
		json_array_clear(out->ep.port_mappings);
		store_endpoint_put(d->store, &out->ep, &e);
		if (net_endpoint_disconnect(d, n->rec.id, out->sb.id, true, &e) < 0)
			log_warn("attach %s/%s: undo: %s", k->container_id, k->ifname, e.msg);
		goto fail_sb;
	}
	fill(d, n, out);
	log_info("cni attach container=%s ifname=%s network=%s netns=%s ipv4=%s", k->container_id, k->ifname,
		 n->rec.name, req->netns, out->ep.ipv4);
	return 0;

fail_sb:
	if (made_sb || sandbox_endpoints(d, out->sb.id) == 0) {
		struct nd_error e = { 0 };
		if (net_sandbox_delete(d, out->sb.id, true, &e) < 0)
			log_warn("attach %s: undo sandbox: %s", k->container_id, e.msg);
	}
fail:
	net_attachment_clear(out);
	return rc;
}

int net_attach_del(struct netd *d, const struct net_attach_key *k, struct nd_error *err)
{
	int rc;
	if ((rc = net_attach_key_check(k, err)) < 0)
		return rc;
	struct nd_sandbox_rec sb;
	struct nd_endpoint_rec ep = { 0 };
	if ((rc = sandbox_of(d, k->container_id, &sb, err)) < 0)
		return rc == -ENOENT ? 0 : rc;   /* nothing held */
	struct nd_error e = { 0 };
	struct net_network *n = net_network_find(d, k->network, &e);
	if (n) {
		rc = endpoint_of(d, &sb, n->rec.id, &ep, err);
		if (rc == 0 && strcmp(ep.ifname, k->ifname) == 0) {
			if ((rc = net_endpoint_disconnect(d, n->rec.id, sb.id, true, err)) < 0)
				goto out;
			log_info("cni detach container=%s ifname=%s network=%s", k->container_id, k->ifname, n->rec.name);
		} else if (rc < 0 && rc != -ENOENT) {
			goto out;
		}
	}
	rc = 0;
	/* the last attachment gone: the record of the caller's namespace goes */
	if (sandbox_endpoints(d, sb.id) == 0 && (rc = net_sandbox_delete(d, sb.id, true, err)) == -ENOENT)
		rc = 0;
out:
	nd_endpoint_rec_clear(&ep);
	nd_sandbox_rec_clear(&sb);
	return rc;
}

/* ---- gc, status ---------------------------------------------------------------------- */

static bool listed(const struct net_attach_key *valid, size_t n, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (valid[i].container_id && valid[i].ifname && !strcmp(valid[i].container_id, cid) &&
		    !strcmp(valid[i].ifname, ifname))
			return true;
	return false;
}

int net_attach_gc(struct netd *d, const char *network, const struct net_attach_key *valid, size_t nvalid,
		  size_t *released, struct nd_error *err)
{
	*released = 0;
	struct net_network *n = net_network_find(d, network, err);
	if (!n)
		return err->code;
	struct nd_sandbox_list sbs;
	int rc = net_sandbox_list(d, &sbs, err);
	if (rc < 0)
		return rc;
	int failures = 0;
	for (size_t i = 0; i < sbs.n; i++) {
		const struct nd_sandbox_rec *sb = &sbs.v[i];
		const char *cid = nd_json_str(sb->labels, CNI_LABEL_CID);
		if (!sb->caller_owned || !cid)
			continue;
		struct nd_endpoint_rec ep;
		struct nd_error e = { 0 };
		rc = endpoint_of(d, sb, n->rec.id, &ep, &e);
		if (rc == 0) {
			if (!listed(valid, nvalid, cid, ep.ifname)) {
				struct net_attach_key k = { cid, ep.ifname, n->rec.id };
				if (net_attach_del(d, &k, &e) < 0) {
					log_error("cni gc: %s/%s: %s", cid, ep.ifname, e.msg);
					failures++;
				} else {
					log_info("cni gc: released container=%s ifname=%s network=%s", cid, ep.ifname,
						 n->rec.name);
					(*released)++;
				}
			}
			nd_endpoint_rec_clear(&ep);
		} else if (rc == -ENOENT && sandbox_endpoints(d, sb->id) == 0) {
			/* an ADD that a crash cut short before its endpoint */
			if (net_sandbox_delete(d, sb->id, true, &e) < 0)
				failures++;
		}
	}
	nd_sandbox_list_clear(&sbs);
	if (failures)
		return nd_error_set(err, -EIO, "gc: %d attachment%s could not be released (see netd's log)", failures,
				    failures == 1 ? "" : "s");
	return 0;
}

int net_attach_status(struct netd *d, const char *network, struct nd_error *err)
{
	struct net_network *n = net_network_find(d, network, err);
	if (!n)
		return err->code;
	struct net_state *ns = net_of(d);
	if (ns->fw && !nd_fw_present(ns->fw))
		return nd_error_set(err, -EAGAIN, "netd's firewall table is being restored");
	return 0;
}
