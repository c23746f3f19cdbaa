// SPDX-License-Identifier: Apache-2.0
/* netctl explain: the walk of one packet from SRC to DST through the
 * kernel's live state, on the job's thread (explain.c resolved SRC and DST
 * and queued it). See explain.c for the order of the hops. */
#include "netd/net/explain.h"

#include <inttypes.h>
#include <stdarg.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

static struct net_explain_hop *hop(struct ex_task *t, const char *kind, const char *cmd_fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct net_explain_hop *hop(struct ex_task *t, const char *kind, const char *cmd_fmt, ...)
{
	struct net_explain *ex = &t->ex;
	if (ex->nhops == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 16;
		struct net_explain_hop *n = realloc(ex->hops, cap * sizeof(*n));
		if (!n)
			return NULL;
		ex->hops = n;
		ex->cap = cap;
	}
	struct net_explain_hop *h = &ex->hops[ex->nhops++];
	memset(h, 0, sizeof(*h));
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	if (cmd_fmt) {
		va_list ap;
		va_start(ap, cmd_fmt);
		vsnprintf(h->command, sizeof(h->command), cmd_fmt, ap);
		va_end(ap);
	}
	return h;
}

#define HOP_SET(h, field, ...)                                               \
	do {                                                                 \
		if (h)                                                       \
			snprintf((h)->field, sizeof((h)->field), __VA_ARGS__); \
	} while (0)

static void verdict(struct ex_task *t, enum net_explain_result r, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verdict(struct ex_task *t, enum net_explain_result r, const char *rule, const char *fmt, ...)
{
	if (t->done)
		return;
	t->done = true;
	t->ex.result = r;
	snprintf(t->ex.rule, sizeof(t->ex.rule), "%s", rule ? rule : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->ex.reason, sizeof(t->ex.reason), fmt, ap);
	va_end(ap);
}

/* "nsenter --net=PATH " or "" (the host) */
static const char *in_ns(const char *netns, char *buf, size_t len)
{
	if (!netns || !*netns)
		return "";
	snprintf(buf, len, "nsenter --net=%s ", netns);
	return buf;
}

/* ---- the firewall ------------------------------------------------------------------------ */

static const char *fw_verdict_name(int v)
{
	return v == ND_FW_ACCEPT ? "accept" : v == ND_FW_DROP ? "drop" : v == ND_FW_UNKNOWN ? "unknown" : "continue";
}

/* The rule's name in the verdict: "inet netd forward: ... (handle 7)" */
static void rule_name(const struct nd_fw_chain_eval *c, char *buf, size_t len)
{
	if (c->by_policy)
		snprintf(buf, len, "%s %s %s: policy %s", c->family, c->table, c->chain, fw_verdict_name(c->policy));
	else
		snprintf(buf, len, "%s %s %s: %s%s%s%s (handle %" PRIu64 ")", c->family, c->table, c->decided.chain,
			 c->decided.text, c->decided.comment[0] ? " comment \"" : "", c->decided.comment,
			 c->decided.comment[0] ? "\"" : "", c->decided.handle);
}

/* A base chain of a family explain does not evaluate: a hop that names it,
 * so that nobody takes the verdict for more than it is. */
static void unread_chain(const char *family, const char *table, const char *chain, const char *hookname, int prio,
			 void *arg)
{
	struct ex_task *t = arg;
	struct net_explain_hop *h = hop(t, "nft-unread", "nft -a list chain %s %s %s", family, table, chain);
	if (!h)
		return;
	HOP_SET(h, object, "table %s %s", family, table);
	HOP_SET(h, detail, "%s %s %s (%s hook, priority %d): a base chain of the %s family; explain evaluates the ip, ip6 "
		"and inet families only, and a rule here may change what happens to this packet%s", family, table, chain,
		hookname, prio, family, !strcmp(family, "bridge") ? " (it sees every bridged frame)"
			     : !strcmp(family, "netdev") ? " if it crosses that chain's device" : " (it sees ARP only)");
	if (!strcmp(family, "bridge"))
		t->unread_bridge = true;
}

/* Evaluates one hook, adds a hop per chain that did something to the packet,
 * and returns the hook's verdict; *pkt becomes the packet after the hook. */
static int fw_hook(struct ex_task *t, enum nd_fw_hook hook, struct nd_fw_pkt *pkt)
{
	if (!t->rs) {
		struct nd_error e = { 0 };
		if ((!t->fw && nd_fw_open(t->fw_table, &t->fw, &e) < 0) || nd_fw_ruleset_read(t->fw, &t->rs, &e) < 0) {
			struct net_explain_hop *h = hop(t, "nft", "nft list ruleset");
			HOP_SET(h, object, "%s", nd_fw_hook_name(hook));
			HOP_SET(h, detail, "cannot read the nftables rulesets: %s", e.msg);
			return ND_FW_UNKNOWN;
		}
		nd_fw_ruleset_unread(t->rs, unread_chain, t);
	}
	struct nd_fw_hook_eval ev;
	struct nd_error e = { 0 };
	if (nd_fw_ruleset_eval(t->rs, hook, pkt, &ev, &e) < 0) {
		struct net_explain_hop *h = hop(t, "nft", "nft list ruleset");
		HOP_SET(h, object, "%s", nd_fw_hook_name(hook));
		HOP_SET(h, detail, "%s", e.msg);
		return ND_FW_UNKNOWN;
	}
	char ia[INET6_ADDRSTRLEN], oa[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < ev.n; i++) {
		const struct nd_fw_chain_eval *c = &ev.chains[i];
		bool decisive = i == ev.decider || c->nat;
		if (!decisive && !c->nhits && c->by_policy && c->policy == ND_FW_ACCEPT)
			continue; /* nothing in this chain concerns the packet */
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "nft -a list chain %s %s %s", c->family, c->table,
			 c->by_policy || !c->decided.chain[0] ? c->chain : c->decided.chain);
		if (c->nat == ND_FW_NAT_DNAT) {
			char tgt[80];
			ntop(pkt->family, c->nat_addr, tgt, sizeof(tgt));
			char mt[64] = "", mn[64] = "", mfs[16] = "";
			struct net_explain_hop *h;
			if (sscanf(c->nat_via, "element of map %15s %63s %63s", mfs, mt, mn) == 3) {
				h = hop(t, "dnat", "nft list map %s %s %s", mfs, mt, mn);
				if (c->nat_port)
					HOP_SET(h, object, "%s . %u", tgt, c->nat_port);
				else
					HOP_SET(h, object, "%s", tgt);
				HOP_SET(h, detail,
					"%s %s %s: %s:%u is a published port: the element of map %s sends it to %s:%u (%s)",
					c->family, c->table, c->chain, ntop(pkt->family, pkt->daddr, oa, sizeof(oa)),
					pkt->dport, mn, tgt, c->nat_port ? c->nat_port : pkt->dport, c->decided.text);
			} else {
				h = hop(t, "dnat", "%s", cmd);
				HOP_SET(h, object, "handle %" PRIu64, c->decided.handle);
				HOP_SET(h, detail, "%s %s %s: %s", c->family, c->table, c->chain, c->decided.text);
			}
			continue;
		}
		if (c->nat == ND_FW_NAT_MASQ || c->nat == ND_FW_NAT_SNAT) {
			struct net_explain_hop *h = hop(t, "masquerade", "%s", cmd);
			if (c->decided.comment[0])
				HOP_SET(h, object, "%s", c->decided.comment);
			else
				HOP_SET(h, object, "handle %" PRIu64, c->decided.handle);
			HOP_SET(h, detail, "%s %s %s: %s — the source %s becomes the address of %s, replies come back "
				"through the host's connection tracking", c->family, c->table, c->chain,
				c->decided.text, ntop(pkt->family, pkt->saddr, ia, sizeof(ia)),
				pkt->oif[0] ? pkt->oif : "the outgoing interface");
			continue;
		}
		struct net_explain_hop *h = hop(t, "nft", "%s", cmd);
		if (!h)
			continue;
		if (c->by_policy) {
			HOP_SET(h, object, "policy %s", fw_verdict_name(c->policy));
			HOP_SET(h, detail, "%s %s %s (%s hook, priority %d%s): no rule decides, the chain's policy %s does%s",
				c->family, c->table, c->chain, nd_fw_hook_name(hook), c->prio, c->ours ? ", netd's" : "",
				fw_verdict_name(c->policy), c->nhits ? " (rules that matched: " : "");
			if (c->nhits) {
				size_t o = strlen(h->detail);
				for (size_t k = 0; k < c->nhits && o + 4 < sizeof(h->detail); k++) {
					const struct nd_fw_rule_hit *r = &c->hits[k];
					o += (size_t)snprintf(h->detail + o, sizeof(h->detail) - o, "%s%s (handle %" PRIu64 ")",
							      k ? "; " : "", r->text, r->handle);
				}
				if (o + 2 < sizeof(h->detail))
					snprintf(h->detail + o, sizeof(h->detail) - o, ")");
			}
		} else {
			if (c->decided.comment[0])
				HOP_SET(h, object, "%s", c->decided.comment);
			else
				HOP_SET(h, object, "handle %" PRIu64, c->decided.handle);
			HOP_SET(h, detail, "%s %s %s (%s hook, priority %d%s): %s %s", c->family, c->table,
				c->decided.chain, nd_fw_hook_name(hook), c->prio, c->ours ? ", netd's" : "",
				c->verdict == ND_FW_UNKNOWN ? "this rule may decide, but netd cannot evaluate all of it:"
							    : "the rule that decides:",
				c->decided.text);
		}
	}
	int v = ev.verdict;
	if (v == ND_FW_DROP || v == ND_FW_UNKNOWN) {
		char rn[400];
		rule_name(&ev.chains[ev.decider], rn, sizeof(rn));
		if (v == ND_FW_DROP)
			verdict(t, NET_EXPLAIN_DROPPED, rn, "dropped in the %s hook by %s %s %s%s", nd_fw_hook_name(hook),
				ev.chains[ev.decider].family, ev.chains[ev.decider].table, ev.chains[ev.decider].chain,
				ev.chains[ev.decider].by_policy ? " (its policy)" : "");
		else
			snprintf(t->ex.rule, sizeof(t->ex.rule), "%s", rn); /* kept if nothing else decides */
	}
	*pkt = ev.after;
	nd_fw_hook_eval_clear(&ev);
	return v;
}

/* ---- the destination --------------------------------------------------------------------- */

static void listener(struct ex_task *t, const char *netns, const struct nd_fw_pkt *pkt, const char *where)
{
	if (t->done)
		return;
	char nsb[PATH_MAX + 32], a[INET6_ADDRSTRLEN];
	if (pkt->l4proto != IPPROTO_TCP && pkt->l4proto != IPPROTO_UDP) {
		verdict(t, NET_EXPLAIN_DELIVERED, NULL, "delivered to %s in %s (the kernel answers an echo request itself)",
			ntop(pkt->family, pkt->daddr, a, sizeof(a)), where);
		return;
	}
	struct ex_nsq q = { .family = pkt->family, .proto = pkt->l4proto, .dport = pkt->dport, .want_listen = true };
	memcpy(q.dst, pkt->daddr, 16);
	struct nd_error e = { 0 };
	int r = ex_ns_query(netns, &q, &e);
	struct net_explain_hop *h = hop(t, "listener", "%sss -%cln 'sport = :%u'", in_ns(netns, nsb, sizeof(nsb)),
					pkt->l4proto == IPPROTO_TCP ? 't' : 'u', pkt->dport);
	ntop(pkt->family, pkt->daddr, a, sizeof(a));
	if (r < 0 || !q.listen_checked) {
		HOP_SET(h, object, ":%u", pkt->dport);
		HOP_SET(h, detail, "cannot list the sockets in %s: %s", where, r < 0 ? e.msg : "sock_diag failed");
		verdict(t, NET_EXPLAIN_DELIVERED, NULL, "delivered to %s:%u in %s (whether a socket listens is unknown)", a,
			pkt->dport, where);
		return;
	}
	if (q.listening) {
		HOP_SET(h, object, "%s", q.listen_where);
		HOP_SET(h, detail, "a %s socket listens on %s in %s", proto_name(pkt->l4proto), q.listen_where, where);
		verdict(t, NET_EXPLAIN_DELIVERED, NULL, "delivered to %s:%u/%s in %s, where a socket listens on %s", a,
			pkt->dport, proto_name(pkt->l4proto), where, q.listen_where);
	} else {
		HOP_SET(h, object, "none on :%u", pkt->dport);
		HOP_SET(h, detail, "no %s socket listens on %s:%u in %s (the command lists none)", proto_name(pkt->l4proto),
			a, pkt->dport, where);
		verdict(t, NET_EXPLAIN_NO_LISTENER, NULL, "the packet reaches %s in %s, but no socket listens on %s:%u/%s%s",
			a, where, a, pkt->dport, proto_name(pkt->l4proto),
			pkt->l4proto == IPPROTO_TCP ? ": the connection is refused (RST)" : "");
	}
}

static const char *sb_desc(const struct nd_endpoint_rec *ep, char *buf, size_t len)
{
	if (ep->owner_name[0])
		snprintf(buf, len, "%s's sandbox", ep->owner_name);
	else
		snprintf(buf, len, "sandbox %.12s", ep->sandbox_id);
	return buf;
}

/* The driver of ep's network walks the frame (p filled by the caller). */
static int drv_path(struct ex_task *t, const struct nd_endpoint_rec *net_ep, struct nd_drv_path *p)
{
	size_t ni = net_index(t, net_ep->network_id);
	if (ni == t->nnets || !t->drv[ni] || !t->drv[ni]->explain_path) {
		p->end = ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason), "the %s driver does not describe its paths",
			 ni < t->nnets ? t->nets[ni].driver : "network's");
		return 0;
	}
	struct nd_drv_network dn;
	net_drv_network_of_rec(&t->nets[ni], &dn);
	struct nd_drv_ctx ctx = { .exec_root = t->exec_root };
	struct nd_error e = { 0 };
	int r = t->drv[ni]->explain_path(&ctx, &dn, p, &e);
	for (size_t i = 0; i < p->nhops && i < ND_DRV_HOPS_MAX; i++) {
		struct net_explain_hop *h = hop(t, p->hops[i].kind, "%s", p->hops[i].command);
		HOP_SET(h, object, "%s", p->hops[i].object);
		HOP_SET(h, detail, "%s", p->hops[i].detail);
	}
	if (r < 0) {
		p->end = ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason), "network %s: %s", t->nets[ni].name, e.msg);
	}
	return 0;
}

/* Delivery into the endpoint that owns pkt->daddr, from the host side
 * (the host routed the packet out of oif). */
static void into_endpoint(struct ex_task *t, struct nd_fw_pkt *pkt, const char *oif)
{
	if (t->done)
		return;
	char a[INET6_ADDRSTRLEN], d[128];
	struct nd_endpoint_rec *ep = ep_by_addr(t, pkt->family, pkt->daddr, NULL);
	ntop(pkt->family, pkt->daddr, a, sizeof(a));
	if (!ep) {
		/* no endpoint here has it: if it is in a network's subnet, that
		 * network's driver says where the frame goes (another host's
		 * endpoint over an overlay; nowhere) */
		for (size_t ni = 0; ni < t->nnets; ni++) {
			bool in = false;
			for (int k = 0; k < t->nets[ni].nipam && !in; k++)
				in = in_subnet(t->nets[ni].ipam[k].subnet, pkt->family, pkt->daddr);
			if (!in || !t->drv[ni] || !t->drv[ni]->explain_path)
				continue;
			struct nd_drv_path p = { .dir = ND_DRV_PATH_IN };
			snprintf(p.next_hop, sizeof(p.next_hop), "%s", a);
			struct nd_drv_network dn;
			net_drv_network_of_rec(&t->nets[ni], &dn);
			struct nd_drv_ctx ctx = { .exec_root = t->exec_root };
			struct nd_error e = { 0 };
			if (t->drv[ni]->explain_path(&ctx, &dn, &p, &e) < 0 || strcmp(p.host_ifname, oif))
				break;
			for (size_t i = 0; i < p.nhops && i < ND_DRV_HOPS_MAX; i++) {
				struct net_explain_hop *h = hop(t, p.hops[i].kind, "%s", p.hops[i].command);
				HOP_SET(h, object, "%s", p.hops[i].object);
				HOP_SET(h, detail, "%s", p.hops[i].detail);
			}
			if (p.end == ND_DRV_END_DROP)
				verdict(t, NET_EXPLAIN_DROPPED, p.reason, "%s", p.reason);
			else if (p.end == ND_DRV_END_OUT)
				verdict(t, NET_EXPLAIN_DELIVERED, NULL, "%s; netd does not see beyond this host", p.reason);
			break;
		}
		verdict(t, NET_EXPLAIN_DELIVERED, NULL,
			"the packet leaves the host through %s towards %s; netd does not see beyond this host", oif, a);
		return;
	}
	struct nd_sandbox_rec *sb = sb_by_id(t, ep->sandbox_id);
	struct nd_drv_endpoint de;
	struct nd_drv_sandbox ds;
	net_drv_endpoint(ep, &de);
	if (sb)
		net_drv_sandbox(sb, ep, &ds);
	struct nd_drv_path p = { .dir = ND_DRV_PATH_IN, .dst = &de, .dst_sb = sb ? &ds : NULL };
	struct nd_drv_endpoint ie;
	if (t->in_ep && !strcmp(t->in_ep->network_id, ep->network_id)) {
		net_drv_endpoint(t->in_ep, &ie);
		p.src = &ie;
	}
	drv_path(t, ep, &p);
	if (p.host_ifname[0] && strcmp(p.host_ifname, oif)) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL,
			"the host routes %s out of %s, but its endpoint's network is on %s", a, oif, p.host_ifname);
		return;
	}
	switch (p.end) {
	case ND_DRV_END_PEER:
		listener(t, sb ? sb->netns_path : NULL, pkt, sb_desc(ep, d, sizeof(d)));
		return;
	case ND_DRV_END_DROP:
		verdict(t, NET_EXPLAIN_DROPPED, p.reason, "%s", p.reason);
		return;
	default:
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "%s", p.reason[0] ? p.reason : "the network's driver cannot tell");
		return;
	}
}

/* ---- the host ---------------------------------------------------------------------------- */

static bool host_local(int family, const uint8_t *a)
{
	struct ex_nsq q = { .family = family, .want_route = true };
	memcpy(q.dst, a, 16);
	struct nd_error e = { 0 };
	return ex_ns_query(NULL, &q, &e) == 0 && !q.rt.err && q.rt.type == RTN_LOCAL;
}

static void route_hop(struct ex_task *t, const char *netns, const struct ex_nsq *q, const char *where)
{
	char nsb[PATH_MAX + 32], d[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], extra[128] = "";
	ntop(q->family, q->dst, d, sizeof(d));
	if (q->iif[0])
		snprintf(extra, sizeof(extra), " from %s iif %s", ntop(q->family, q->src, s, sizeof(s)), q->iif);
	if ((q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP) && q->dport)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " ipproto %s dport %u", proto_name(q->proto),
			 q->dport);
	struct net_explain_hop *h = hop(t, "route", "%sip route get %s%s", in_ns(netns, nsb, sizeof(nsb)), d, extra);
	if (q->rt.err) {
		HOP_SET(h, object, "%s", strerror(q->rt.err)); /* as `ip route get` says it */
		HOP_SET(h, detail, "%s: the kernel has no route to %s: %s", where, d, q->rt.errmsg);
		return;
	}
	if (q->rt.type == RTN_LOCAL) {
		HOP_SET(h, object, "local %s", d);
		HOP_SET(h, detail, "%s: %s is an address of this namespace: the packet is delivered here", where, d);
	} else if (q->rt.gw[0]) {
		HOP_SET(h, object, "via %s dev %s", q->rt.gw, q->rt.oifname);
		HOP_SET(h, detail, "%s: the route to %s goes through the gateway %s out of %s%s%s", where, d, q->rt.gw,
			q->rt.oifname, q->rt.prefsrc[0] ? ", source " : "", q->rt.prefsrc);
	} else {
		HOP_SET(h, object, "dev %s", q->rt.oifname);
		HOP_SET(h, detail, "%s: %s is on the link of %s (no gateway)%s%s", where, d, q->rt.oifname,
			q->rt.prefsrc[0] ? ", source " : "", q->rt.prefsrc);
	}
}

/* A packet that enters the host's namespace on iif. */
static void host_in(struct ex_task *t, struct nd_fw_pkt *pkt)
{
	if (t->done)
		return;
	pkt->daddr_local = host_local(pkt->family, pkt->daddr);
	pkt->saddr_local = false;
	pkt->oif[0] = '\0';
	pkt->oif_index = 0;
	int v = fw_hook(t, ND_FW_PREROUTING, pkt);
	if (t->done || v == ND_FW_DROP)
		return;
	struct ex_nsq q = { .family = pkt->family, .has_src = true, .proto = pkt->l4proto, .dport = pkt->dport,
			    .want_route = true };
	memcpy(q.dst, pkt->daddr, 16);
	memcpy(q.src, pkt->saddr, 16);
	snprintf(q.iif, sizeof(q.iif), "%s", pkt->iif);
	struct nd_error e = { 0 };
	if (ex_ns_query(NULL, &q, &e) < 0) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "route lookup in the host: %s", e.msg);
		return;
	}
	route_hop(t, NULL, &q, "the host");
	char a[INET6_ADDRSTRLEN];
	ntop(pkt->family, pkt->daddr, a, sizeof(a));
	if (q.rt.err == EXDEV) {
		/* the input route lookup fails its reverse-path check */
		char sa[INET6_ADDRSTRLEN];
		verdict(t, NET_EXPLAIN_DROPPED, "reverse path filter (rp_filter)",
			"the host drops it: a packet from %s should not come in on %s, where the host's route back to it "
			"does not go (reverse path filter, net.ipv4.conf.%s.rp_filter)",
			ntop(pkt->family, pkt->saddr, sa, sizeof(sa)), pkt->iif, pkt->iif);
		return;
	}
	if (q.rt.err) {
		verdict(t, NET_EXPLAIN_NO_ROUTE, NULL, "the host has no route to %s for a packet from %s: %s", a, pkt->iif,
			q.rt.errmsg);
		return;
	}
	if (q.rt.type == RTN_LOCAL) {
		v = fw_hook(t, ND_FW_INPUT, pkt);
		if (t->done || v == ND_FW_DROP)
			return;
		listener(t, NULL, pkt, "the host");
		return;
	}
	if (q.rt.type != RTN_UNICAST) {
		verdict(t, NET_EXPLAIN_DROPPED, NULL, "the host's route to %s is of type %u (blackhole, unreachable or "
			"prohibit)", a, q.rt.type);
		return;
	}
	snprintf(pkt->oif, sizeof(pkt->oif), "%s", q.rt.oifname);
	pkt->oif_index = (uint32_t)q.rt.oif;
	v = fw_hook(t, ND_FW_FORWARD, pkt);
	if (t->done || v == ND_FW_DROP)
		return;
	bool unsure = v == ND_FW_UNKNOWN;
	char rule[400];
	snprintf(rule, sizeof(rule), "%s", t->ex.rule);
	(void)fw_hook(t, ND_FW_POSTROUTING, pkt);
	if (t->done)
		return;
	into_endpoint(t, pkt, q.rt.oifname);
	if (unsure && t->ex.result != NET_EXPLAIN_DROPPED) {
		t->ex.result = NET_EXPLAIN_UNKNOWN;
		snprintf(t->ex.rule, sizeof(t->ex.rule), "%s", rule);
		snprintf(t->ex.reason + strlen(t->ex.reason), sizeof(t->ex.reason) - strlen(t->ex.reason),
			 " — if the forward hook lets it through: a rule there cannot be evaluated");
	}
}

static void host_out(struct ex_task *t, struct nd_fw_pkt *pkt);

/* Without eBPF, netd's userland proxy listens on a published host port and
 * opens its own connection to the container: the target is the one netd's
 * DNAT map names for that port (the map is the same in both modes). True
 * when the walk went on from the proxy to the container. */
static bool userland_proxy(struct ex_task *t, const struct nd_fw_pkt *pkt)
{
	if (!t->rs || (pkt->l4proto != IPPROTO_TCP && pkt->l4proto != IPPROTO_UDP) || !pkt->dport)
		return false;
	struct nd_fw_pkt probe = *pkt;
	probe.daddr_local = true;
	snprintf(probe.iif, sizeof(probe.iif), "lo");
	struct nd_fw_hook_eval ev;
	struct nd_error e = { 0 };
	if (nd_fw_ruleset_eval(t->rs, ND_FW_PREROUTING, &probe, &ev, &e) < 0)
		return false;
	const struct nd_fw_chain_eval *dn = NULL;
	for (size_t i = 0; i < ev.n && !dn; i++)
		if (ev.chains[i].ours && ev.chains[i].nat == ND_FW_NAT_DNAT)
			dn = &ev.chains[i];
	bool went = false;
	if (dn) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		struct net_explain_hop *h = hop(t, "userland-proxy", "ss -%clnp 'sport = :%u'",
						pkt->l4proto == IPPROTO_TCP ? 't' : 'u', pkt->dport);
		HOP_SET(h, object, "netd");
		HOP_SET(h, detail,
			"no eBPF here: netd's userland proxy listens on port %u of %s and opens its own connection to "
			"%s:%u, the target the %s names (the container sees the host's address)",
			pkt->dport, ntop(pkt->family, pkt->daddr, a, sizeof(a)), ntop(pkt->family, dn->nat_addr, b, sizeof(b)),
			dn->nat_port ? dn->nat_port : pkt->dport, dn->nat_via);
		struct nd_fw_pkt np = { .family = pkt->family, .l4proto = pkt->l4proto,
					.dport = dn->nat_port ? dn->nat_port : pkt->dport, .ct_state = pkt->ct_state };
		memcpy(np.daddr, dn->nat_addr, 16);
		host_out(t, &np);
		went = true;
	}
	nd_fw_hook_eval_clear(&ev);
	return went;
}

/* A packet a socket of the host sends. */
static void host_out(struct ex_task *t, struct nd_fw_pkt *pkt)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	if (t->pin_dir[0] && (pkt->l4proto == IPPROTO_TCP || pkt->l4proto == IPPROTO_UDP) && pkt->dport) {
		struct nd_ports_ebpf_hit hit;
		struct nd_error e = { 0 };
		if (nd_ports_ebpf_lookup(t->pin_dir, pkt->family, pkt->l4proto, pkt->daddr, pkt->dport, &hit, &e) == 0 &&
		    hit.hit) {
			struct net_explain_hop *h = hop(t, "ebpf", "bpftool map lookup pinned %s key hex %s", hit.map_path,
							hit.key_hex);
			/* bpftool prints the value's port as the u16 in memory:
			 * network byte order read on this machine */
			uint16_t be = htons(hit.port);
			HOP_SET(h, object, "\"port\": %u", (unsigned)be);
			HOP_SET(h, detail,
				"netd's cgroup program rewrites connect()/sendmsg() to %s:%u into %s:%u (map nd_ports, %s "
				"entry; bpftool shows the port %u in network byte order, as %u): no NAT, the socket "
				"talks to the container directly. This holds for sockets of processes in the cgroup %s "
				"and below",
				ntop(pkt->family, pkt->daddr, a, sizeof(a)), pkt->dport,
				ntop(hit.family, hit.addr, b, sizeof(b)), hit.port,
				hit.any_addr ? "the all-addresses" : "this address's", hit.port, (unsigned)be,
				t->cgroup[0] ? t->cgroup : "netd attached them to");
			memcpy(pkt->daddr, hit.addr, 16);
			pkt->dport = hit.port;
			static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
			if (pkt->family == AF_INET6 && !memcmp(pkt->daddr, mapped, 12)) {
				/* an IPv4-only container behind [::]:port: the kernel goes
				 * on over IPv4 (tcp_v6_connect hands a v4-mapped peer to
				 * tcp_v4_connect) */
				uint8_t v4[4];
				memcpy(v4, pkt->daddr + 12, 4);
				memset(pkt->daddr, 0, 16);
				memcpy(pkt->daddr, v4, 4);
				memset(pkt->saddr, 0, 16);
				pkt->family = AF_INET;
				if (pkt->l4proto == IPPROTO_ICMPV6)
					pkt->l4proto = IPPROTO_ICMP;
			}
		}
	}
	struct ex_nsq q = { .family = pkt->family, .proto = pkt->l4proto, .dport = pkt->dport, .want_route = true };
	memcpy(q.dst, pkt->daddr, 16);
	struct nd_error e = { 0 };
	if (ex_ns_query(NULL, &q, &e) < 0) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "route lookup in the host: %s", e.msg);
		return;
	}
	route_hop(t, NULL, &q, "the host");
	ntop(pkt->family, pkt->daddr, a, sizeof(a));
	if (q.rt.err) {
		verdict(t, NET_EXPLAIN_NO_ROUTE, NULL, "the host has no route to %s: %s", a, q.rt.errmsg);
		return;
	}
	if (q.rt.prefsrc[0]) {
		int f;
		addr_parse(q.rt.prefsrc, &f, pkt->saddr);
		if (!t->ex.src_addr[0]) /* the source address the packet leaves with */
			snprintf(t->ex.src_addr, sizeof(t->ex.src_addr), "%s", q.rt.prefsrc);
	}
	pkt->saddr_local = true;
	pkt->daddr_local = q.rt.type == RTN_LOCAL;
	snprintf(pkt->oif, sizeof(pkt->oif), "%s", q.rt.type == RTN_LOCAL ? "lo" : q.rt.oifname);
	pkt->oif_index = (uint32_t)q.rt.oif;
	int v = fw_hook(t, ND_FW_OUTPUT, pkt);
	if (t->done || v == ND_FW_DROP)
		return;
	if (q.rt.type == RTN_LOCAL) {
		snprintf(pkt->iif, sizeof(pkt->iif), "lo");
		v = fw_hook(t, ND_FW_INPUT, pkt);
		if (t->done || v == ND_FW_DROP)
			return;
		if (t->userland && userland_proxy(t, pkt))
			return;
		listener(t, NULL, pkt, "the host");
		return;
	}
	(void)fw_hook(t, ND_FW_POSTROUTING, pkt);
	into_endpoint(t, pkt, q.rt.oifname);
}

/* ---- the walk ----------------------------------------------------------------------------- */

static void from_sandbox(struct ex_task *t, struct nd_fw_pkt *pkt)
{
	char a[INET6_ADDRSTRLEN], d[128];
	struct ex_nsq q = { .family = pkt->family, .proto = pkt->l4proto, .dport = pkt->dport, .want_route = true,
			    .want_neigh = true };
	memcpy(q.dst, pkt->daddr, 16);
	struct nd_error e = { 0 };
	if (ex_ns_query(t->src.netns, &q, &e) < 0) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "%s: %s", t->src.desc, e.msg);
		return;
	}
	route_hop(t, t->src.netns, &q, t->src.desc);
	ntop(pkt->family, pkt->daddr, a, sizeof(a));
	if (q.rt.err) {
		/* why, in netd's words: no network at all, or only internal ones */
		size_t neps = 0, ninternal = 0;
		for (size_t i = 0; i < t->eps.n; i++) {
			if (strcmp(t->eps.v[i].sandbox_id, t->src.sandbox_id))
				continue;
			neps++;
			size_t ni = net_index(t, t->eps.v[i].network_id);
			ninternal += ni < t->nnets && t->nets[ni].internal;
		}
		const char *why = !neps ? " (it is on no network: only lo, as with --net none)"
			       : ninternal == neps ? " (its networks are internal: netd gives them no default route)"
						   : "";
		verdict(t, NET_EXPLAIN_NO_ROUTE, NULL, "%s has no route to %s: %s%s", t->src.desc, a, q.rt.errmsg, why);
		return;
	}
	if (q.rt.prefsrc[0]) {
		int f;
		addr_parse(q.rt.prefsrc, &f, pkt->saddr);
		if (!t->ex.src_addr[0]) /* the source address the packet leaves with */
			snprintf(t->ex.src_addr, sizeof(t->ex.src_addr), "%s", q.rt.prefsrc);
	}
	if (q.rt.type == RTN_LOCAL) {
		listener(t, t->src.netns, pkt, t->src.desc);
		return;
	}
	struct nd_endpoint_rec *sep = ep_by_ifname(t, t->src.sandbox_id, q.rt.oifname);
	if (!sep) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "%s sends it out of %s, an interface netd did not make", t->src.desc,
			q.rt.oifname);
		return;
	}
	/* the next hop: the gateway, or the destination itself on the link */
	int f = pkt->family;
	uint8_t nh[16];
	memcpy(nh, pkt->daddr, 16);
	if (q.rt.gw[0])
		addr_parse(q.rt.gw, &f, nh);
	struct nd_endpoint_rec *dep = ep_by_addr(t, pkt->family, nh, sep->network_id);
	struct nd_sandbox_rec *ssb = sb_by_id(t, sep->sandbox_id), *dsb = dep ? sb_by_id(t, dep->sandbox_id) : NULL;
	struct nd_drv_endpoint se, de;
	struct nd_drv_sandbox ss, ds;
	net_drv_endpoint(sep, &se);
	if (ssb)
		net_drv_sandbox(ssb, sep, &ss);
	if (dep)
		net_drv_endpoint(dep, &de);
	if (dsb)
		net_drv_sandbox(dsb, dep, &ds);
	struct nd_drv_path p = { .dir = ND_DRV_PATH_OUT, .src = &se, .src_sb = ssb ? &ss : NULL, .dst = dep ? &de : NULL,
				 .dst_sb = dsb ? &ds : NULL };
	ntop(pkt->family, nh, p.next_hop, sizeof(p.next_hop));
	if (q.nb.found) {
		snprintf(p.dst_mac, sizeof(p.dst_mac), "%s", q.nb.mac);
		char nsb[PATH_MAX + 32];
		struct net_explain_hop *h = hop(t, "neighbour", "%sip neigh show %s dev %s", in_ns(t->src.netns, nsb, sizeof(nsb)),
						q.nb.addr, q.rt.oifname);
		HOP_SET(h, object, "%s", q.nb.mac);
		HOP_SET(h, detail, "the next hop %s has the MAC address %s (neighbour entry %s)", q.nb.addr, q.nb.mac,
			q.nb.state);
	}
	drv_path(t, sep, &p);
	switch (p.end) {
	case ND_DRV_END_DROP:
		verdict(t, NET_EXPLAIN_DROPPED, p.reason, "%s", p.reason);
		return;
	case ND_DRV_END_UNKNOWN:
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "%s", p.reason[0] ? p.reason : "the network's driver cannot tell");
		return;
	case ND_DRV_END_OUT:
	case ND_DRV_END_PEER:
		if (p.l3_filtered && p.host_ifname[0] && (p.end == ND_DRV_END_PEER || p.out_port[0])) {
			/* bridged between two ports: br_netfilter hands the frame to
			 * the forward hook as bridge -> bridge */
			snprintf(pkt->iif, sizeof(pkt->iif), "%s", p.host_ifname);
			snprintf(pkt->oif, sizeof(pkt->oif), "%s", p.host_ifname);
			struct ex_nsq iq = { .family = pkt->family };
			snprintf(iq.want_ifindex, sizeof(iq.want_ifindex), "%s", p.host_ifname);
			struct nd_error ie = { 0 };
			if (ex_ns_query(NULL, &iq, &ie) == 0)
				pkt->iif_index = pkt->oif_index = (uint32_t)iq.ifindex;
			int v = fw_hook(t, ND_FW_FORWARD, pkt);
			if (t->done || v == ND_FW_DROP)
				return;
			if (v == ND_FW_UNKNOWN) {
				char rule[400];
				snprintf(rule, sizeof(rule), "%s", t->ex.rule);
				verdict(t, NET_EXPLAIN_UNKNOWN, rule, "a rule of the forward hook cannot be evaluated");
				return;
			}
		}
		if (p.end == ND_DRV_END_OUT) {
			verdict(t, NET_EXPLAIN_DELIVERED, NULL, "%s; netd does not see beyond this host", p.reason);
			return;
		}
		if (dep && memcmp(nh, pkt->daddr, 16) == 0) {
			listener(t, dsb ? dsb->netns_path : NULL, pkt, sb_desc(dep, d, sizeof(d)));
			return;
		}
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "the frame reaches a sibling endpoint that routes %s onwards", a);
		return;
	case ND_DRV_END_HOST:
	default:
		t->in_ep = sep;
		snprintf(pkt->iif, sizeof(pkt->iif), "%s", p.host_ifname);
		{
			struct ex_nsq iq = { .family = pkt->family };
			snprintf(iq.want_ifindex, sizeof(iq.want_ifindex), "%s", p.host_ifname);
			struct nd_error ie = { 0 };
			if (ex_ns_query(NULL, &iq, &ie) == 0)
				pkt->iif_index = (uint32_t)iq.ifindex;
		}
		host_in(t, pkt);
		return;
	}
}

static void from_outside(struct ex_task *t, struct nd_fw_pkt *pkt)
{
	char a[INET6_ADDRSTRLEN];
	ntop(pkt->family, pkt->saddr, a, sizeof(a));
	struct ex_nsq q = { .family = pkt->family, .want_route = true };
	memcpy(q.dst, pkt->saddr, 16);
	struct nd_error e = { 0 };
	if (ex_ns_query(NULL, &q, &e) < 0 || q.rt.err || !q.rt.oifname[0]) {
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "the host has no route back to %s: netd cannot tell where its packets "
			"come in (and reverse-path filtering may drop them)", a);
		return;
	}
	if (q.rt.type == RTN_LOCAL) {
		/* an address of the host itself: a socket of the host sends it */
		struct net_explain_hop *h = hop(t, "route", "ip route get %s", a);
		HOP_SET(h, object, "local %s", a);
		HOP_SET(h, detail, "%s is an address of the host: the packet starts on the host", a);
		if (t->dst.host_pending) {
			memcpy(pkt->daddr, pkt->saddr, 16);
			snprintf(t->ex.dst_addr, sizeof(t->ex.dst_addr), "%s", a);
		}
		host_out(t, pkt);
		return;
	}
	struct net_explain_hop *h = hop(t, "ingress", "ip route get %s", a);
	HOP_SET(h, object, "dev %s", q.rt.oifname);
	HOP_SET(h, detail, "a packet from %s enters the host on %s, the interface of the host's route back to it", a,
		q.rt.oifname);
	snprintf(pkt->iif, sizeof(pkt->iif), "%s", q.rt.oifname);
	pkt->iif_index = (uint32_t)q.rt.oif;
	if (t->dst.host_pending) {
		/* DST "host": the host's address on that link */
		int f;
		if (q.rt.prefsrc[0] && addr_parse(q.rt.prefsrc, &f, pkt->daddr) && f == pkt->family) {
			char b[INET6_ADDRSTRLEN];
			snprintf(t->ex.dst_addr, sizeof(t->ex.dst_addr), "%s", ntop(f, pkt->daddr, b, sizeof(b)));
		}
	}
	host_in(t, pkt);
}

void net__explain_walk(struct nd_job *j)
{
	struct ex_task *t = (struct ex_task *)j;
	struct nd_fw_pkt pkt = { .family = t->dst.family, .l4proto = t->proto, .dport = t->port,
				 .ct_state = NF_CT_STATE_BIT(IP_CT_NEW) };
	memcpy(pkt.daddr, t->dst.addr, 16);
	if (t->src.kind == EX_ADDR)
		memcpy(pkt.saddr, t->src.addr, 16);
	switch (t->src.kind) {
	case EX_SANDBOX:
		from_sandbox(t, &pkt);
		break;
	case EX_HOST:
		host_out(t, &pkt);
		break;
	case EX_ADDR:
		from_outside(t, &pkt);
		break;
	}
	if (!t->done)
		verdict(t, NET_EXPLAIN_UNKNOWN, NULL, "netd cannot tell what happens next");
	/* delivered across a bridge, as far as the ip/inet families go: a
	 * bridge-family chain may still drop the frame, so it is not known */
	bool bridged = false;
	for (size_t i = 0; i < t->ex.nhops; i++)
		bridged |= !strcmp(t->ex.hops[i].kind, "bridge-port") || !strcmp(t->ex.hops[i].kind, "fdb");
	if (t->ex.result == NET_EXPLAIN_DELIVERED && t->unread_bridge && bridged) {
		char was[sizeof(t->ex.reason)];
		snprintf(was, sizeof(was), "%s", t->ex.reason);
		t->ex.result = NET_EXPLAIN_UNKNOWN;
		snprintf(t->ex.reason, sizeof(t->ex.reason),
			 "%.380s, as far as the ip, ip6 and inet tables go; the bridge family's base chains (listed) are "
			 "not evaluated and may drop it", was);
	}
}
