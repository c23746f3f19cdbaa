// SPDX-License-Identifier: Apache-2.0
/* The topology: every network, sandbox and endpoint netd records, with
 * their interfaces as the kernel has them now (GET /topology, netctl
 * topology and ui). The records and each driver's network_status are taken
 * on the loop; the interfaces are read in the pool, each sandbox's by
 * rtnetlink from a short-lived thread inside its namespace, netd's own from
 * the pool thread. Nothing here switches on a driver's name: a network's
 * kernel objects are whatever its driver's network_status lists as
 * "Links", an endpoint's are its interface in the sandbox and the link
 * that interface points at (IFLA_LINK: a veth's peer, a macvlan's parent). */
#include "netd/net/net.h"

#include "drivers/nl.h"
#include "netd/core/job.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

struct topo_task {
	struct nd_job base;          /* first */
	struct net_topology t;
	net_topology_cb cb;
	void *data;
	int rc;
	struct nd_error err;
};

void net_topology_clear(struct net_topology *t)
{
	for (size_t i = 0; i < t->nnetworks; i++) {
		nd_network_rec_clear(&t->networks[i].rec);
		json_decref(t->networks[i].driver_state);
	}
	free(t->networks);
	for (size_t i = 0; i < t->nsandboxes; i++)
		nd_sandbox_rec_clear(&t->sandboxes[i].rec);
	free(t->sandboxes);
	for (size_t i = 0; i < t->nendpoints; i++)
		nd_endpoint_rec_clear(&t->endpoints[i].rec);
	free(t->endpoints);
	memset(t, 0, sizeof(*t));
}

/* ---- reading links (any namespace: the socket's) ------------------------------- */

static void link_fill(struct rtnl_link *l, struct nl_cache *links, struct nl_cache *addrs, struct net_topo_link *out)
{
	snprintf(out->name, sizeof(out->name), "%s", rtnl_link_get_name(l) ?: "");
	snprintf(out->kind, sizeof(out->kind), "%s", rtnl_link_get_type(l) ?: "device");
	out->ifindex = rtnl_link_get_ifindex(l);
	out->link_ifindex = rtnl_link_get_link(l);
	out->mtu = rtnl_link_get_mtu(l);
	out->up = rtnl_link_get_flags(l) & IFF_UP;
	struct nl_addr *a = rtnl_link_get_addr(l);
	if (a)
		nl_addr2str(a, out->mac, sizeof(out->mac));
	int master = rtnl_link_get_master(l);
	if (master > 0 && links)
		rtnl_link_i2name(links, master, out->master, sizeof(out->master));
	for (struct nl_object *o = addrs ? nl_cache_get_first(addrs) : NULL; o && out->naddrs < NET_TOPO_ADDRS;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *ad = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(ad) != out->ifindex || rtnl_addr_get_scope(ad) != RT_SCOPE_UNIVERSE)
			continue;
		struct nl_addr *local = rtnl_addr_get_local(ad);
		if (local)
			nl_addr2str(local, out->addrs[out->naddrs++], sizeof(out->addrs[0]));
	}
}

struct caches {
	struct nl_cache *links, *addrs;
};

static int caches_fill(struct nd_nl *nl, struct caches *c, struct nd_error *err)
{
	int r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &c->links);
	if (r >= 0)
		r = rtnl_addr_alloc_cache(nl->sk, &c->addrs);
	if (r < 0)
		return nd_error_set(err, nd_nl_errno(r), "link and address dump: %s", nl_geterror(r));
	return 0;
}

static void caches_free(struct caches *c)
{
	if (c->links)
		nl_cache_free(c->links);
	if (c->addrs)
		nl_cache_free(c->addrs);
}

/* in the sandbox: each of its endpoints' interfaces by name */
struct sandbox_arg {
	struct net_topology *t;
	const char *sandbox_id;
};

static int sandbox_read(struct nd_nl *nl, void *p, struct nd_error *err)
{
	struct sandbox_arg *a = p;
	struct caches c = { 0 };
	int r = caches_fill(nl, &c, err);
	for (size_t i = 0; r == 0 && i < a->t->nendpoints; i++) {
		struct net_topo_endpoint *ep = &a->t->endpoints[i];
		if (strcmp(ep->rec.sandbox_id, a->sandbox_id) != 0 || !ep->rec.ifname[0])
			continue;
		struct rtnl_link *l = rtnl_link_get_by_name(c.links, ep->rec.ifname);
		if (l) {
			link_fill(l, c.links, c.addrs, &ep->inner);
			rtnl_link_put(l);
		}
	}
	caches_free(&c);
	return r;
}

static void topo_work(struct nd_job *base)
{
	struct topo_task *tk = (struct topo_task *)base;
	struct net_topology *t = &tk->t;
	for (size_t i = 0; i < t->nsandboxes; i++) {
		struct net_topo_sandbox *sb = &t->sandboxes[i];
		_cleanup_close_ int fd = open(sb->rec.netns_path, O_RDONLY | O_CLOEXEC);
		struct nd_error e = { 0 };
		struct sandbox_arg a = { t, sb->rec.id };
		/* a sandbox going away meanwhile is drawn without interfaces */
		sb->alive = fd >= 0 && nd_nl_in_netns(fd, sandbox_read, &a, &e) == 0;
		if (!sb->alive)
			log_debug("topology: sandbox=%.12s: %s", sb->rec.id, fd < 0 ? strerror(errno) : e.msg);
	}
	/* netd's namespace: the links the sandboxes' interfaces point at */
	struct nd_nl nl;
	struct caches c = { 0 };
	if ((tk->rc = nd_nl_open(&nl, &tk->err)) < 0)
		return;
	if ((tk->rc = caches_fill(&nl, &c, &tk->err)) == 0) {
		for (size_t i = 0; i < t->nendpoints; i++) {
			struct net_topo_endpoint *ep = &t->endpoints[i];
			if (!ep->inner.kind[0] || ep->inner.link_ifindex <= 0)
				continue;
			struct rtnl_link *l = rtnl_link_get(c.links, ep->inner.link_ifindex);
			if (l) {
				link_fill(l, c.links, c.addrs, &ep->outer);
				rtnl_link_put(l);
			}
		}
	}
	caches_free(&c);
	nd_nl_close(&nl);
	if (gethostname(t->hostname, sizeof(t->hostname) - 1) < 0)
		snprintf(t->hostname, sizeof(t->hostname), "localhost");
}

static void topo_done(struct nd_job *base)
{
	struct topo_task *tk = (struct topo_task *)base;
	tk->cb(tk->data, tk->rc, tk->rc < 0 ? &tk->err : NULL, &tk->t);
	net_topology_clear(&tk->t);
	free(tk);
}

/* the records, copied (the pool must not see the loop's structs) */
static int topo_take(struct netd *d, struct net_topology *t, struct nd_error *err)
{
	_cleanup_free_ struct net_network **nets = NULL;
	size_t n = 0;
	int rc = net_network_list(d, &nets, &n, err);
	if (rc < 0)
		return rc;
	if (n && !(t->networks = calloc(n, sizeof(*t->networks))))
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct net_topo_network *tn = &t->networks[t->nnetworks];
		_cleanup_json_ json_t *j = nd_network_rec_to_json(&nets[i]->rec);
		if (!j || (rc = nd_network_rec_from_json(j, &tn->rec, err)) < 0)
			return j ? rc : nd_error_set(err, -ENOMEM, "out of memory");
		tn->driver_scope = nets[i]->drv->scope;
		tn->driver_state = net_network_driver_state(d, nets[i]);
		t->nnetworks++;
	}
	struct nd_sandbox_list sbs = { 0 };
	struct nd_endpoint_list eps = { 0 };
	if ((rc = net_sandbox_list(d, &sbs, err)) < 0)
		return rc;
	if (sbs.n && !(t->sandboxes = calloc(sbs.n, sizeof(*t->sandboxes)))) {
		nd_sandbox_list_clear(&sbs);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sbs.n; i++)
		t->sandboxes[i].rec = sbs.v[i];   /* moved */
	t->nsandboxes = sbs.n;
	free(sbs.v);
	if ((rc = net_endpoint_list(d, NULL, NULL, &eps, err)) < 0)
		return rc;
	if (eps.n && !(t->endpoints = calloc(eps.n, sizeof(*t->endpoints)))) {
		nd_endpoint_list_clear(&eps);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < eps.n; i++)
		t->endpoints[i].rec = eps.v[i];   /* moved */
	t->nendpoints = eps.n;
	free(eps.v);
	return 0;
}

void net_topology_read(struct netd *d, net_topology_cb cb, void *data)
{
	struct topo_task *tk = calloc(1, sizeof(*tk));
	struct nd_error err = { 0 };
	if (!tk) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		cb(data, err.code, &err, NULL);
		return;
	}
	tk->cb = cb;
	tk->data = data;
	int rc = topo_take(d, &tk->t, &err);
	if (rc < 0) {
		cb(data, rc, &err, NULL);
		net_topology_clear(&tk->t);
		free(tk);
		return;
	}
	tk->base.work = topo_work;
	tk->base.done = topo_done;
	nd_job_queue(d->loop, &tk->base);
}
