// SPDX-License-Identifier: Apache-2.0
/* netctl explain: what one network namespace says about a packet — the
 * route the kernel picks for its fields (RTM_GETROUTE, as `ip route get`),
 * the neighbour entry of the next hop, and whether a socket listens on the
 * destination (NETLINK_SOCK_DIAG, as `ss -l`). Inside a sandbox this runs on
 * a short-lived thread in its namespace (nd_nl_in_netns); blocking, so only
 * from explain's job. */
#include "netd/net/explain.h"

#include "drivers/nl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/neighbour.h>


/* ---- route ------------------------------------------------------------------------ */

static int route_cb(struct nl_msg *msg, void *arg)
{
	struct ex_route *rt = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != RTM_NEWROUTE || nlmsg_datalen(nlh) < (int)sizeof(struct rtmsg))
		return NL_OK;
	const struct rtmsg *rtm = nlmsg_data(nlh);
	struct nlattr *tb[RTA_MAX + 1];
	if (nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_OK;
	rt->found = true;
	rt->type = rtm->rtm_type;
	rt->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (tb[RTA_OIF])
		rt->oif = (int)nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == (int)alen(rtm->rtm_family))
		inet_ntop(rtm->rtm_family, nla_data(tb[RTA_GATEWAY]), rt->gw, sizeof(rt->gw));
	if (tb[RTA_PREFSRC] && nla_len(tb[RTA_PREFSRC]) == (int)alen(rtm->rtm_family))
		inet_ntop(rtm->rtm_family, nla_data(tb[RTA_PREFSRC]), rt->prefsrc, sizeof(rt->prefsrc));
	return NL_OK;
}

static int link_index(struct nd_nl *nl, const char *name)
{
	struct rtnl_link *l = NULL;
	if (nd_nl_link_get(nl, name, &l) < 0)
		return 0;
	int i = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return i;
}

static void link_name(struct nd_nl *nl, int ifindex, char out[IFNAMSIZ])
{
	struct rtnl_link *l = NULL;
	out[0] = '\0';
	if (nd_nl_link_get_index(nl, ifindex, &l) == 0 && l) {
		snprintf(out, IFNAMSIZ, "%s", rtnl_link_get_name(l) ?: "");
		rtnl_link_put(l);
	}
}

static void route_get(struct nd_nl *nl, struct ex_nsq *q)
{
	struct ex_route *rt = &q->rt;
	memset(rt, 0, sizeof(*rt));
	struct rtmsg rtm = { .rtm_family = (uint8_t)q->family, .rtm_dst_len = (uint8_t)(alen(q->family) * 8) };
	if (q->has_src)
		rtm.rtm_src_len = rtm.rtm_dst_len;
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	if (!msg) {
		rt->err = ENOMEM;
		return;
	}
	int iif = 0;
	if (q->iif[0] && !(iif = link_index(nl, q->iif))) {
		rt->err = ENODEV;
		snprintf(rt->errmsg, sizeof(rt->errmsg), "no interface %s", q->iif);
		nlmsg_free(msg);
		return;
	}
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, (int)alen(q->family), q->dst) < 0 ||
	    (q->has_src && nla_put(msg, RTA_SRC, (int)alen(q->family), q->src) < 0) ||
	    (iif && nla_put_u32(msg, RTA_IIF, (uint32_t)iif) < 0) ||
	    (q->proto && nla_put_u8(msg, RTA_IP_PROTO, q->proto) < 0) ||
	    (q->dport && (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP) &&
	     nla_put_u16(msg, RTA_DPORT, htons(q->dport)) < 0)) {
		nlmsg_free(msg);
		rt->err = EMSGSIZE;
		return;
	}
	/* a socket of its own, without ACKs (a reply left unread, or an
	 * expected ACK that never comes, would upset nl's next request) */
	struct nd_nl one;
	struct nd_error e = { 0 };
	if (nd_nl_open(&one, &e) < 0) {
		nlmsg_free(msg);
		rt->err = -e.code;
		snprintf(rt->errmsg, sizeof(rt->errmsg), "%s", e.msg);
		return;
	}
	nl_socket_disable_auto_ack(one.sk);
	nl_socket_modify_cb(one.sk, NL_CB_VALID, NL_CB_CUSTOM, route_cb, rt);
	nd_nl_reset(&one);
	int r = nl_send_auto(one.sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_recvmsgs_default(one.sk);
	if (one.kerrno) {
		rt->err = one.kerrno;
		snprintf(rt->errmsg, sizeof(rt->errmsg), "%s%s%s", strerror(one.kerrno), one.extack[0] ? ": " : "",
			 one.extack);
	} else if (r < 0 || !rt->found) {
		rt->err = r < 0 ? -nd_nl_errno(r) : ENOENT;
		snprintf(rt->errmsg, sizeof(rt->errmsg), "%s", strerror(rt->err));
	}
	nd_nl_close(&one);
	if (!rt->err && rt->oif)
		link_name(nl, rt->oif, rt->oifname);
}

/* ---- neighbour --------------------------------------------------------------------- */

static void neigh_get(struct nd_nl *nl, struct ex_nsq *q)
{
	memset(&q->nb, 0, sizeof(q->nb));
	const char *hop = q->rt.gw[0] ? q->rt.gw : NULL;
	char dst[INET6_ADDRSTRLEN];
	if (!hop) {
		inet_ntop(q->family, q->dst, dst, sizeof(dst));
		hop = dst;
	}
	snprintf(q->nb.addr, sizeof(q->nb.addr), "%s", hop);
	struct nl_cache *cache = NULL;
	if (ND_NL(nl, rtnl_neigh_alloc_cache(nl->sk, &cache)) < 0)
		return;
	struct nl_addr *want = NULL;
	if (nl_addr_parse(hop, q->family, &want) == 0) {
		struct rtnl_neigh *n = rtnl_neigh_get(cache, q->rt.oif, want);
		if (n) {
			struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
			if (ll && nl_addr_get_len(ll) == 6) {
				q->nb.found = true;
				nl_addr2str(ll, q->nb.mac, sizeof(q->nb.mac));
			}
			rtnl_neigh_state2str(rtnl_neigh_get_state(n), q->nb.state, sizeof(q->nb.state));
			rtnl_neigh_put(n);
		}
		nl_addr_put(want);
	}
	nl_cache_free(cache);
}

/* ---- listeners (sock_diag) ----------------------------------------------------------- */

struct diag_arg {
	struct ex_nsq *q;
	int family;  /* of the sockets asked for */
};

static int diag_cb(struct nl_msg *msg, void *arg)
{
	struct diag_arg *a = arg;
	struct ex_nsq *q = a->q;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlmsg_datalen(nlh) < (int)sizeof(struct inet_diag_msg))
		return NL_OK;
	const struct inet_diag_msg *m = nlmsg_data(nlh);
	if (ntohs(m->id.idiag_sport) != q->dport || q->listening)
		return NL_OK;
	if (q->proto == IPPROTO_UDP && m->id.idiag_dport != 0)
		return NL_OK; /* a connected UDP socket only takes its peer's datagrams */
	uint8_t any[16] = { 0 };
	const uint8_t *src = (const uint8_t *)m->id.idiag_src;
	bool v6 = m->idiag_family == AF_INET6;
	bool match;
	if (q->family == AF_INET && v6) {
		/* a v6 socket takes IPv4 when it is not v6only: :: or ::ffff:a.b.c.d */
		struct nlattr *tb[INET_DIAG_MAX + 1];
		bool v6only = false;
		if (nlmsg_parse(nlh, sizeof(*m), tb, INET_DIAG_MAX, NULL) == 0 && tb[INET_DIAG_SKV6ONLY])
			v6only = nla_get_u8(tb[INET_DIAG_SKV6ONLY]);
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		match = !v6only && (!memcmp(src, any, 16) || (!memcmp(src, mapped, 12) && !memcmp(src + 12, q->dst, 4)));
	} else {
		match = !memcmp(src, any, alen(m->idiag_family)) || !memcmp(src, q->dst, alen(q->family));
	}
	if (!match)
		return NL_OK;
	q->listening = true;
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(m->idiag_family, src, addr, sizeof(addr));
	if (v6 && !memcmp(src, any, 16))
		snprintf(q->listen_where, sizeof(q->listen_where), "*:%u", q->dport); /* as ss shows [::] */
	else if (v6)
		snprintf(q->listen_where, sizeof(q->listen_where), "[%s]:%u", addr, q->dport);
	else
		snprintf(q->listen_where, sizeof(q->listen_where), "%s:%u", addr, q->dport);
	return NL_OK;
}

static void listen_check(struct ex_nsq *q)
{
	q->listen_checked = false;
	q->listening = false;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return;
	if (nl_connect(sk, NETLINK_SOCK_DIAG) < 0) {
		nl_socket_free(sk);
		return;
	}
	nl_socket_disable_auto_ack(sk);
	bool ok = true;
	for (int fam = 0; fam < 2 && ok && !q->listening; fam++) {
		int f = fam ? AF_INET6 : AF_INET;
		if (q->family == AF_INET6 && f == AF_INET)
			continue;
		struct inet_diag_req_v2 req = { .sdiag_family = (uint8_t)f, .sdiag_protocol = q->proto };
		req.idiag_states = q->proto == IPPROTO_TCP ? (1u << TCP_LISTEN) : ~0u;
		struct diag_arg a = { .q = q, .family = f };
		struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
		if (!cb) {
			ok = false;
			break;
		}
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, diag_cb, &a);
		if (nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req)) < 0 || nl_recvmsgs(sk, cb) < 0)
			ok = false;
		nl_cb_put(cb);
	}
	nl_socket_free(sk);
	q->listen_checked = ok;
}

/* ---- one visit ------------------------------------------------------------------------- */

static int ns_query(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	(void)err;
	struct ex_nsq *q = arg;
	if (q->want_route) {
		route_get(nl, q);
		if (!q->rt.err && q->rt.oif && q->want_neigh)
			neigh_get(nl, q);
	}
	if (q->want_listen && (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP) && q->dport)
		listen_check(q);
	if (q->want_ifindex[0])
		q->ifindex = link_index(nl, q->want_ifindex);
	return 0;
}

int ex_ns_query(const char *netns_path, struct ex_nsq *q, struct nd_error *err)
{
	if (!netns_path) {
		struct nd_nl nl;
		int r = nd_nl_open(&nl, err);
		if (r < 0)
			return r;
		r = ns_query(&nl, q, err);
		nd_nl_close(&nl);
		return r;
	}
	_cleanup_close_ int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nd_error_set(err, -errno, "open %s: %s", netns_path, strerror(errno));
	return nd_nl_in_netns(fd, ns_query, q, err);
}
