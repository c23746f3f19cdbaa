// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: remote endpoints on the VXLAN device. Per peer: FDB
 * MAC -> VTEP on the device (NTF_SELF), a static bridge entry MAC -> the vx
 * port (NTF_MASTER), a permanent neighbour entry per address (the device's
 * ARP/ND proxy answers from it); per remote VTEP one flood entry
 * 00:00:00:00:00:00 -> VTEP. Raw RTM_*NEIGH messages built with libnl's
 * nlmsg API (libnl's rtnl_neigh refuses an IPv4 NDA_DST on an AF_BRIDGE
 * entry), acknowledged, errors with the kernel's text. */
#include "drivers/vxlan/vxlan.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

static const uint8_t vxlan__zero_mac[6];

struct vxlan__addr {
	int family;
	uint8_t b[16];
	int len;
};

static int vxlan__addr_parse(const char *s, struct vxlan__addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		a->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		a->len = 16;
		return 0;
	}
	return -EINVAL;
}

static int vxlan__mac_parse(const char *s, uint8_t m[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

/* One RTM_NEWNEIGH / RTM_DELNEIGH, acknowledged. dst may be NULL. */
static int vxlan__neigh_msg(struct nd_nl *nl, int type, int nlflags, int family, int ifindex, uint16_t state,
			    uint8_t ntf, const uint8_t *mac, const struct vxlan__addr *dst)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | nlflags);
	if (!msg)
		return -ENOMEM;
	struct ndmsg nd = { .ndm_family = (uint8_t)family, .ndm_ifindex = ifindex, .ndm_state = state, .ndm_flags = ntf };
	if (nlmsg_append(msg, &nd, sizeof(nd), NLMSG_ALIGNTO) < 0 || (mac && nla_put(msg, NDA_LLADDR, 6, mac) < 0) ||
	    (dst && nla_put(msg, NDA_DST, dst->len, dst->b) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ND_NL(nl, nl_send_sync(nl->sk, msg));
}

static int vxlan__fdb_self(struct nd_nl *nl, bool add, int ifindex, const uint8_t *mac, const struct vxlan__addr *vtep,
			   bool append)
{
	int r = vxlan__neigh_msg(nl, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
				 add ? NLM_F_CREATE | (append ? NLM_F_APPEND : NLM_F_REPLACE) : 0, AF_BRIDGE, ifindex,
				 NUD_NOARP | NUD_PERMANENT, NTF_SELF, mac, vtep);
	return (add && r == -EEXIST) || (!add && r == -ENOENT) ? 0 : r;
}

static int vxlan__fdb_master(struct nd_nl *nl, bool add, int ifindex, const uint8_t *mac)
{
	int r = vxlan__neigh_msg(nl, add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_REPLACE : 0,
				 AF_BRIDGE, ifindex, NUD_NOARP, NTF_MASTER, mac, NULL);
	return (add && r == -EEXIST) || (!add && r == -ENOENT) ? 0 : r;
}

static int vxlan__neigh(struct nd_nl *nl, bool add, int ifindex, const uint8_t *mac, const struct vxlan__addr *ip)
{
	int r = vxlan__neigh_msg(nl, add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_REPLACE : 0,
				 ip->family, ifindex, NUD_PERMANENT, 0, add ? mac : NULL, ip);
	return !add && r == -ENOENT ? 0 : r;
}

/* ---- the device ------------------------------------------------------------ */

struct vxlan__dev {
	struct nd_nl nl;
	int ifindex;
	char name[IFNAMSIZ];
};

static int vxlan__dev_open(struct nd_drv_network *net, struct vxlan__dev *d, struct nd_error *err)
{
	char br[IFNAMSIZ];
	if (vxlan__names(net->id, br, d->name) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id \"%s\"", net->id ? net->id : "");
	int r = nd_nl_open(&d->nl, err);
	if (r < 0)
		return r;
	struct rtnl_link *l = NULL;
	if ((r = nd_nl_link_get(&d->nl, d->name, &l)) < 0) {
		r = nd_nl_fail(&d->nl, r == -ENODEV ? -ENOENT : r, err, "VXLAN device %s of network %s", d->name,
			       net->name ? net->name : "");
		nd_nl_close(&d->nl);
		return r;
	}
	d->ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}

static int vxlan__peer_apply(struct vxlan__dev *d, bool add, const struct nd_drv_peer *p, struct nd_error *err)
{
	uint8_t mac[6];
	struct vxlan__addr vtep, ip;
	int r;
	if (vxlan__mac_parse(p->mac, mac) < 0)
		return nd_error_set(err, -EINVAL, "peer: bad MAC \"%s\"", p->mac);
	if (vxlan__addr_parse(p->vtep, &vtep) < 0)
		return nd_error_set(err, -EINVAL, "peer %s: bad VTEP \"%s\"", p->mac, p->vtep);
	if (add) {
		if ((r = vxlan__fdb_self(&d->nl, true, d->ifindex, mac, &vtep, false)) < 0)
			return nd_nl_fail(&d->nl, r, err, "fdb %s dst %s on %s", p->mac, p->vtep, d->name);
		if ((r = vxlan__fdb_self(&d->nl, true, d->ifindex, vxlan__zero_mac, &vtep, true)) < 0)
			return nd_nl_fail(&d->nl, r, err, "flood entry dst %s on %s", p->vtep, d->name);
		if ((r = vxlan__fdb_master(&d->nl, true, d->ifindex, mac)) < 0)
			return nd_nl_fail(&d->nl, r, err, "bridge fdb %s on %s", p->mac, d->name);
	}
	const char *addrs[] = { p->ipv4, p->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		if (!addrs[i][0])
			continue;
		char bare[64];
		snprintf(bare, sizeof(bare), "%s", addrs[i]);
		char *slash = strchr(bare, '/');
		if (slash)
			*slash = '\0';
		if (vxlan__addr_parse(bare, &ip) < 0)
			return nd_error_set(err, -EINVAL, "peer %s: bad address \"%s\"", p->mac, addrs[i]);
		if ((r = vxlan__neigh(&d->nl, add, d->ifindex, mac, &ip)) < 0)
			return nd_nl_fail(&d->nl, r, err, "neighbour %s lladdr %s on %s", bare, p->mac, d->name);
	}
	if (!add) {
		if ((r = vxlan__fdb_master(&d->nl, false, d->ifindex, mac)) < 0)
			return nd_nl_fail(&d->nl, r, err, "delete bridge fdb %s on %s", p->mac, d->name);
		if ((r = vxlan__fdb_self(&d->nl, false, d->ifindex, mac, NULL, false)) < 0)
			return nd_nl_fail(&d->nl, r, err, "delete fdb %s on %s", p->mac, d->name);
	}
	return 0;
}

/* ---- what the kernel has (one dump per family) ------------------------------- */

struct vxlan__entry {
	int family;          /* AF_BRIDGE, AF_INET, AF_INET6 */
	uint8_t ntf;
	uint16_t state;
	uint8_t mac[6];
	bool has_mac;
	struct vxlan__addr dst;
	bool has_dst;
};

struct vxlan__dump {
	int ifindex;
	struct vxlan__entry *v;
	size_t n, cap;
	int rc;
};

static int vxlan__dump_cb(struct nl_msg *msg, void *arg)
{
	struct vxlan__dump *dp = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_datalen(h) < (int)sizeof(struct ndmsg))
		return NL_OK;
	struct ndmsg *nd = nlmsg_data(h);
	if (nd->ndm_ifindex != dp->ifindex)
		return NL_OK;
	struct nlattr *tb[NDA_MAX + 1];
	if (nlmsg_parse(h, sizeof(*nd), tb, NDA_MAX, NULL) < 0)
		return NL_OK;
	if (dp->n == dp->cap) {
		size_t cap = dp->cap ? dp->cap * 2 : 64;
		struct vxlan__entry *v = realloc(dp->v, cap * sizeof(*v));
		if (!v) {
			dp->rc = -ENOMEM;
			return NL_STOP;
		}
		dp->v = v;
		dp->cap = cap;
	}
	struct vxlan__entry *e = &dp->v[dp->n++];
	memset(e, 0, sizeof(*e));
	e->family = nd->ndm_family;
	e->ntf = nd->ndm_flags;
	e->state = nd->ndm_state;
	if (tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6) {
		memcpy(e->mac, nla_data(tb[NDA_LLADDR]), 6);
		e->has_mac = true;
	}
	if (tb[NDA_DST] && (nla_len(tb[NDA_DST]) == 4 || nla_len(tb[NDA_DST]) == 16)) {
		e->dst.len = nla_len(tb[NDA_DST]);
		e->dst.family = e->dst.len == 4 ? AF_INET : AF_INET6;
		memcpy(e->dst.b, nla_data(tb[NDA_DST]), (size_t)e->dst.len);
		e->has_dst = true;
	}
	return NL_OK;
}

static int vxlan__dump(struct vxlan__dev *d, int family, struct vxlan__dump *dp)
{
	struct ndmsg nd = { .ndm_family = (uint8_t)family };
	int r = nl_send_simple(d->nl.sk, RTM_GETNEIGH, NLM_F_DUMP, &nd, sizeof(nd));
	if (r < 0)
		return nd_nl_errno(r);
	struct nl_cb *cb = nl_cb_clone(nl_socket_get_cb(d->nl.sk));
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vxlan__dump_cb, dp);
	r = nl_recvmsgs(d->nl.sk, cb);
	nl_cb_put(cb);
	if (r < 0)
		return nd_nl_errno(r);
	return dp->rc;
}

static bool vxlan__addr_eq(const struct vxlan__addr *a, const struct vxlan__addr *b)
{
	return a->len == b->len && memcmp(a->b, b->b, (size_t)a->len) == 0;
}

/* Is this dumped entry one that peers[] asks for? */
static bool vxlan__wanted(const struct vxlan__entry *e, const struct nd_drv_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t mac[6];
		struct vxlan__addr vtep, ip;
		if (vxlan__mac_parse(peers[i].mac, mac) < 0 || vxlan__addr_parse(peers[i].vtep, &vtep) < 0)
			continue;
		if (e->family == AF_BRIDGE && (e->ntf & NTF_SELF)) {
			bool zero = memcmp(e->mac, vxlan__zero_mac, 6) == 0;
			if (e->has_dst && vxlan__addr_eq(&e->dst, &vtep) && (zero || memcmp(e->mac, mac, 6) == 0))
				return true;
		} else if (e->family == AF_BRIDGE) {
			if (memcmp(e->mac, mac, 6) == 0)
				return true;
		} else {
			const char *addrs[] = { peers[i].ipv4, peers[i].ipv6 };
			for (size_t k = 0; k < 2; k++) {
				char bare[64];
				snprintf(bare, sizeof(bare), "%s", addrs[k]);
				char *slash = strchr(bare, '/');
				if (slash)
					*slash = '\0';
				if (bare[0] && vxlan__addr_parse(bare, &ip) == 0 && e->has_dst && vxlan__addr_eq(&e->dst, &ip) &&
				    e->has_mac && memcmp(e->mac, mac, 6) == 0)
					return true;
			}
		}
	}
	return false;
}

/* Removes every entry of ours on the device that peers[] does not name. */
/* keep (may be NULL) collects the entries that stay, for vxlan__present */
static int vxlan__prune(struct vxlan__dev *d, const struct nd_drv_peer *peers, size_t n, size_t *removed,
			struct vxlan__dump *keep, struct nd_error *err)
{
	static const int families[] = { AF_BRIDGE, AF_INET, AF_INET6 };
	*removed = 0;
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		struct vxlan__dump dp = { .ifindex = d->ifindex };
		int r = vxlan__dump(d, families[f], &dp);
		if (r < 0) {
			free(dp.v);
			return nd_error_set(err, r, "dump neighbours of %s: %s", d->name, strerror(-r));
		}
		for (size_t i = 0; i < dp.n; i++) {
			const struct vxlan__entry *e = &dp.v[i];
			if (!e->has_mac && families[f] == AF_BRIDGE)
				continue;
			/* the bridge's own entries for the port (local, permanent) are the kernel's */
			if (e->family == AF_BRIDGE && !(e->ntf & NTF_SELF) && (e->state & NUD_PERMANENT))
				continue;
			if (e->family == AF_BRIDGE && (e->ntf & NTF_SELF) && !e->has_dst)
				continue;
			if (e->family != AF_BRIDGE && !(e->state & NUD_PERMANENT))   /* NOARP: the kernel's multicast ones */
				continue;
			if (vxlan__wanted(e, peers, n)) {
				if (keep && keep->n == keep->cap) {
					size_t cap = keep->cap ? keep->cap * 2 : 64;
					struct vxlan__entry *v = realloc(keep->v, cap * sizeof(*v));
					if (v) {
						keep->v = v;
						keep->cap = cap;
					}
				}
				if (keep && keep->n < keep->cap)
					keep->v[keep->n++] = *e;
				continue;
			}
			/* raw deletes: a bridge entry shows up twice in the dump
			 * (under the bridge and under its port); ENOENT the second time */
			if (e->family == AF_BRIDGE && (e->ntf & NTF_SELF))
				r = vxlan__neigh_msg(&d->nl, RTM_DELNEIGH, 0, AF_BRIDGE, d->ifindex, NUD_NOARP | NUD_PERMANENT,
						     NTF_SELF, e->mac, &e->dst);
			else if (e->family == AF_BRIDGE)
				r = vxlan__neigh_msg(&d->nl, RTM_DELNEIGH, 0, AF_BRIDGE, d->ifindex, NUD_NOARP, NTF_MASTER,
						     e->mac, NULL);
			else
				r = vxlan__neigh_msg(&d->nl, RTM_DELNEIGH, 0, e->dst.family, d->ifindex, NUD_PERMANENT, 0,
						     NULL, &e->dst);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				log_debug("vxlan: %s: removing a stale entry: %s", d->name, strerror(-r));
			else
				(*removed)++;
		}
		free(dp.v);
	}
	return 0;
}

static bool vxlan__has(const struct vxlan__dump *k, int family, bool self, const uint8_t *mac,
		       const struct vxlan__addr *dst)
{
	for (size_t i = 0; i < k->n; i++) {
		const struct vxlan__entry *e = &k->v[i];
		if (e->family != family || (family == AF_BRIDGE && !!(e->ntf & NTF_SELF) != self))
			continue;
		if (mac && (!e->has_mac || memcmp(e->mac, mac, 6) != 0))
			continue;
		if (dst && (!e->has_dst || !vxlan__addr_eq(&e->dst, dst)))
			continue;
		return true;
	}
	return false;
}

/* Are all of the peer's entries among those that stayed? */
static bool vxlan__present(const struct vxlan__dump *k, const struct nd_drv_peer *p)
{
	uint8_t mac[6];
	struct vxlan__addr vtep, ip;
	if (vxlan__mac_parse(p->mac, mac) < 0 || vxlan__addr_parse(p->vtep, &vtep) < 0)
		return false;
	if (!vxlan__has(k, AF_BRIDGE, true, mac, &vtep) || !vxlan__has(k, AF_BRIDGE, true, vxlan__zero_mac, &vtep) ||
	    !vxlan__has(k, AF_BRIDGE, false, mac, NULL))
		return false;
	const char *addrs[] = { p->ipv4, p->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		char bare[64];
		snprintf(bare, sizeof(bare), "%s", addrs[i]);
		char *slash = strchr(bare, '/');
		if (slash)
			*slash = '\0';
		if (bare[0] && (vxlan__addr_parse(bare, &ip) < 0 || !vxlan__has(k, ip.family, false, mac, &ip)))
			return false;
	}
	return true;
}

int vxlan__peer_add(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *p,
		    struct nd_error *err)
{
	struct vxlan__dev d;
	int r = vxlan__dev_open(net, &d, err);
	if (r < 0)
		return r;
	r = vxlan__peer_apply(&d, true, p, err);
	nd_nl_close(&d.nl);
	return r;
}

/* The peer's entries; its VTEP's flood entry too when no other entry of the
 * device still points there. */
int vxlan__peer_remove(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *p,
		       struct nd_error *err)
{
	struct vxlan__dev d;
	int r = vxlan__dev_open(net, &d, err);
	if (r == -ENOENT)
		return 0; /* no device, no entries */
	if (r < 0)
		return r;
	if ((r = vxlan__peer_apply(&d, false, p, err)) < 0)
		goto out;
	struct vxlan__addr vtep;
	struct vxlan__dump dp = { .ifindex = d.ifindex };
	if (vxlan__addr_parse(p->vtep, &vtep) < 0 || vxlan__dump(&d, AF_BRIDGE, &dp) < 0) {
		free(dp.v);
		goto out;
	}
	bool used = false;
	for (size_t i = 0; i < dp.n && !used; i++)
		used = (dp.v[i].ntf & NTF_SELF) && dp.v[i].has_dst && vxlan__addr_eq(&dp.v[i].dst, &vtep) &&
		       memcmp(dp.v[i].mac, vxlan__zero_mac, 6) != 0;
	free(dp.v);
	if (!used && (r = vxlan__fdb_self(&d.nl, false, d.ifindex, vxlan__zero_mac, &vtep, false)) < 0)
		nd_nl_fail(&d.nl, r, err, "delete flood entry dst %s on %s", p->vtep, d.name);
out:
	nd_nl_close(&d.nl);
	return r;
}

int vxlan__peers_sync(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *peers, size_t n,
		      struct nd_error *err)
{
	struct vxlan__dev d;
	int r = vxlan__dev_open(net, &d, err);
	if (r < 0)
		return r;
	size_t removed = 0, added = 0;
	struct vxlan__dump keep = { 0 };
	if ((r = vxlan__prune(&d, peers, n, &removed, &keep, err)) < 0) {
		free(keep.v);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct nd_error e = { 0 };
		if (vxlan__present(&keep, &peers[i]))
			continue;   /* all in place: nothing to send */
		added++;
		/* one bad peer does not keep the others out */
		if (vxlan__peer_apply(&d, true, &peers[i], &e) < 0) {
			log_warn("vxlan: %s: peer %s: %s", d.name, peers[i].mac, e.msg);
			if (r == 0) {
				r = e.code;
				if (err)
					*err = e;
			}
		}
	}
	free(keep.v);
	if (removed || added)
		log_info("vxlan: %s: %zu stale entr%s removed, %zu peer%s completed", d.name, removed,
			 removed == 1 ? "y" : "ies", added, added == 1 ? "" : "s");
out:
	nd_nl_close(&d.nl);
	return r;
}
