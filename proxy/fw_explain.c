// SPDX-License-Identifier: Apache-2.0
/* proxy: what the nftables rulesets of this netns do to one packet
 * (`netctl explain`). See proxy.h, nd_fw_explain_hook(). This file reads
 * the rulesets (from the kernel, or from a batch for the unit tests) and
 * runs the base chains of a hook in order; fw_eval.c evaluates a chain.
 *
 * The whole ruleset is read (chains, rules, sets; each set's elements when a
 * rule looks into it) and the base chains of one hook are evaluated the way
 * the kernel does: registers, expressions in order, the first verdict wins,
 * jump/goto into other chains of the table. What cannot be evaluated from a
 * packet's description (a socket match, a rate limit, an xt match other than
 * comment...) makes the rule "unknown", and a chain whose outcome depends on
 * such a rule answers "unknown": this code never guesses. Every rule that
 * matched is also rendered as nft-like text ("iifname @bridges accept") for
 * a student to find it in `nft -a list chain`. */
#include "proxy/fw_internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* ---- the ruleset as read ---------------------------------------------------------- */

static void xrs_free(struct fw__xrs *x)
{
	for (size_t i = 0; i < x->nc; i++) {
		for (size_t j = 0; j < x->c[i].n; j++)
			nftnl_rule_free(x->c[i].rules[j]);
		free(x->c[i].rules);
	}
	free(x->c);
	for (size_t i = 0; i < x->ns; i++)
		free(x->s[i].e);
	free(x->s);
}

const char *fw__family_name(uint32_t f)
{
	switch (f) {
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_INET: return "inet";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	case NFPROTO_ARP: return "arp";
	default: return "?";
	}
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw__xrs *x = data;
	int e = 0;
	struct nftnl_chain *c = fw__chain_parse(nlh, &e);
	if (!c)
		return e;
	if (x->nc == x->capc) {
		size_t cap = x->capc ? x->capc * 2 : 16;
		struct fw__xchain *n = realloc(x->c, cap * sizeof(*n));
		if (!n) {
			nftnl_chain_free(c);
			return -ENOMEM;
		}
		x->c = n;
		x->capc = cap;
	}
	struct fw__xchain *f = &x->c[x->nc++];
	memset(f, 0, sizeof(*f));
	f->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	snprintf(f->table, sizeof(f->table), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE) ?: "");
	snprintf(f->name, sizeof(f->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME) ?: "");
	f->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	if (f->base) {
		f->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		f->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		snprintf(f->type, sizeof(f->type), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE) ?: "filter");
		f->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
					    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP
				    ? ND_FW_DROP
				    : ND_FW_ACCEPT;
	}
	nftnl_chain_free(c);
	return 0;
}

struct fw__xchain *fw__xrs_chain(struct fw__xrs *x, uint32_t family, const char *table, const char *name)
{
	for (size_t i = 0; i < x->nc; i++)
		if (x->c[i].family == family && !strcmp(x->c[i].table, table) && !strcmp(x->c[i].name, name))
			return &x->c[i];
	return NULL;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw__xrs *x = data;
	int e = 0;
	struct nftnl_rule *r = fw__rule_parse(nlh, &e);
	if (!r)
		return e ? e : -EINVAL;
	struct fw__xchain *c = fw__xrs_chain(x, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
				      nftnl_rule_get_str(r, NFTNL_RULE_TABLE) ?: "",
				      nftnl_rule_get_str(r, NFTNL_RULE_CHAIN) ?: "");
	if (!c) { /* a chain made between the two dumps */
		nftnl_rule_free(r);
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct nftnl_rule **n = realloc(c->rules, cap * sizeof(*n));
		if (!n) {
			nftnl_rule_free(r);
			return -ENOMEM;
		}
		c->rules = n;
		c->cap = cap;
	}
	c->rules[c->n++] = r;
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fw__xrs *x = data;
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return -EINVAL;
	}
	if (x->ns == x->caps) {
		size_t cap = x->caps ? x->caps * 2 : 16;
		struct fw__xset *n = realloc(x->s, cap * sizeof(*n));
		if (!n) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		x->s = n;
		x->caps = cap;
	}
	struct fw__xset *f = &x->s[x->ns++];
	memset(f, 0, sizeof(*f));
	f->family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	snprintf(f->table, sizeof(f->table), "%s", nftnl_set_get_str(s, NFTNL_SET_TABLE) ?: "");
	snprintf(f->name, sizeof(f->name), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME) ?: "");
	f->flags = nftnl_set_is_set(s, NFTNL_SET_FLAGS) ? nftnl_set_get_u32(s, NFTNL_SET_FLAGS) : 0;
	f->klen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	f->dtype = nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE) ? nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) : 0;
	f->dlen = nftnl_set_is_set(s, NFTNL_SET_DATA_LEN) ? nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) : 0;
	nftnl_set_free(s);
	return 0;
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct fw__xset *s = data;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct fw__xelem *n = realloc(s->e, cap * sizeof(*n));
		if (!n)
			return -1;
		s->e = n;
		s->cap = cap;
	}
	struct fw__xelem *x = &s->e[s->n];
	memset(x, 0, sizeof(*x));
	uint32_t len = 0;
	const void *p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p && len <= FW_X_KEY_MAX) {
		memcpy(x->key, p, len);
		x->klen = len;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p && len <= FW_X_KEY_MAX) {
		memcpy(x->key_end, p, len);
		x->kelen = len;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p && len <= FW_X_KEY_MAX) {
		memcpy(x->data, p, len);
		x->dlen = len;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		x->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
		x->has_verdict = true;
		x->verdict = (int32_t)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
		snprintf(x->chain, sizeof(x->chain), "%s", nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN) ?: "");
	}
	s->n++;
	return 0;
}

struct fw__xset *fw__xrs_set(struct fw__xrs *x, uint32_t family, const char *table, const char *name)
{
	struct fw__xset *s = NULL;
	for (size_t i = 0; i < x->ns && !s; i++)
		if (x->s[i].family == family && !strcmp(x->s[i].table, table) && !strcmp(x->s[i].name, name))
			s = &x->s[i];
	if (!s || s->loaded)
		return s;
	struct nd_error e = { 0 };
	if (fw__dump_set_elems(x->fw, family, table, name, elem_cb, s, &e) < 0)
		return NULL;
	s->loaded = true;
	return s;
}

static int xrs_load(struct nd_fw *fw, struct fw__xrs *x, struct nd_error *err)
{
	memset(x, 0, sizeof(*x));
	x->fw = fw;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETCHAIN, NFPROTO_UNSPEC);
	int r = fw__dump(fw, nlh, chain_cb, x, err);
	if (r < 0)
		return r;
	nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETRULE, NFPROTO_UNSPEC);
	if ((r = fw__dump(fw, nlh, rule_cb, x, err)) < 0)
		return r;
	nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETSET, NFPROTO_UNSPEC);
	return fw__dump(fw, nlh, set_cb, x, err);
}

/* ---- the hook ------------------------------------------------------------------------ */

static const uint32_t hooknum[] = { NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT,
				    NF_INET_POST_ROUTING };

const char *nd_fw_hook_name(enum nd_fw_hook hook)
{
	static const char *names[] = { "prerouting", "input", "forward", "output", "postrouting" };
	return (unsigned)hook < ARRAY_SIZE(names) ? names[hook] : "?";
}

void nd_fw_hook_eval_clear(struct nd_fw_hook_eval *h)
{
	if (!h)
		return;
	free(h->chains);
	memset(h, 0, sizeof(*h));
}

static int prio_cmp(const void *a, const void *b)
{
	const struct fw__xchain *const *x = a, *const *y = b;
	return ((*x)->prio > (*y)->prio) - ((*x)->prio < (*y)->prio);
}

static int hook_eval(struct fw__xrs *x, const char *our_table, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		     struct nd_fw_hook_eval *out, struct nd_error *err);

struct nd_fw_ruleset {
	struct fw__xrs x;            /* x.fw: the handle, for the sets' elements */
	char table[NFT_TABLE_MAXNAMELEN];
};

int nd_fw_ruleset_read(struct nd_fw *fw, struct nd_fw_ruleset **out, struct nd_error *err)
{
	*out = NULL;
	struct nd_fw_ruleset *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return nd_error_set(err, -ENOMEM, "out of memory");
	int r = xrs_load(fw, &rs->x, err);
	if (r < 0) {
		nd_fw_ruleset_free(rs);
		return nd_error_wrap(err, "explain: read the nftables ruleset");
	}
	snprintf(rs->table, sizeof(rs->table), "%s", fw->table);
	*out = rs;
	return 0;
}

static const char *unread_hook(uint32_t family, uint32_t hook)
{
	static const char *const br[] = { "prerouting", "input", "forward", "output", "postrouting" };
	static const char *const nd[] = { "ingress", "egress" };
	static const char *const arp[] = { "input", "output", "forward" };
	if (family == NFPROTO_BRIDGE && hook < ARRAY_SIZE(br))
		return br[hook];
	if (family == NFPROTO_NETDEV && hook < ARRAY_SIZE(nd))
		return nd[hook];
	if (family == NFPROTO_ARP && hook < ARRAY_SIZE(arp))
		return arp[hook];
	return "?";
}

size_t nd_fw_ruleset_unread(const struct nd_fw_ruleset *rs, nd_fw_unread_fn fn, void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->x.nc; i++) {
		const struct fw__xchain *c = &rs->x.c[i];
		if (!c->base || (c->family != NFPROTO_BRIDGE && c->family != NFPROTO_NETDEV && c->family != NFPROTO_ARP))
			continue;
		fn(fw__family_name(c->family), c->table, c->name, unread_hook(c->family, c->hook), c->prio, arg);
		n++;
	}
	return n;
}

void nd_fw_ruleset_free(struct nd_fw_ruleset *rs)
{
	if (!rs)
		return;
	xrs_free(&rs->x);
	free(rs);
}

int nd_fw_ruleset_eval(struct nd_fw_ruleset *rs, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		       struct nd_fw_hook_eval *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->after = *pkt;
	if ((unsigned)hook >= ARRAY_SIZE(hooknum))
		return nd_error_set(err, -EINVAL, "explain: bad hook %d", (int)hook);
	return hook_eval(&rs->x, rs->table, hook, pkt, out, err);
}

int nd_fw_explain_hook(struct nd_fw *fw, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		       struct nd_fw_hook_eval *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->after = *pkt;
	struct nd_fw_ruleset *rs = NULL;
	int r = nd_fw_ruleset_read(fw, &rs, err);
	if (r == 0)
		r = nd_fw_ruleset_eval(rs, hook, pkt, out, err);
	nd_fw_ruleset_free(rs);
	return r;
}

/* The ruleset a batch would make (no kernel): its chains, rules, sets and
 * elements, for unit tests of the evaluation. */
static int batch_elems(struct fw__xrs *x, const struct nlmsghdr *src)
{
	/* libnftnl numbers the element nests 1, 2, 3... when it builds, but
	 * its parser accepts only NFTA_LIST_ELEM: renumber a copy */
	struct nlmsghdr *nlh = malloc(src->nlmsg_len);
	if (!nlh)
		return -ENOMEM;
	memcpy(nlh, src, src->nlmsg_len);
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		struct nlattr *e;
		mnl_attr_for_each_nested(e, a)
			e->nla_type = (uint16_t)((e->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
	}
	int r = -EINVAL;
	struct nftnl_set *set = nftnl_set_alloc();
	if (set && nftnl_set_elems_nlmsg_parse(nlh, set) == 0) {
		const char *t = nftnl_set_get_str(set, NFTNL_SET_TABLE), *n = nftnl_set_get_str(set, NFTNL_SET_NAME);
		uint32_t fam = nftnl_set_get_u32(set, NFTNL_SET_FAMILY);
		r = 0;
		for (size_t i = 0; t && n && i < x->ns; i++)
			if (x->s[i].family == fam && !strcmp(x->s[i].table, t) && !strcmp(x->s[i].name, n))
				r = nftnl_set_elem_foreach(set, elem_cb, &x->s[i]) < 0 ? -ENOMEM : 0;
	}
	nftnl_set_free(set);
	free(nlh);
	return r;
}

int fw__explain_hook_batch(const struct fw__batch *b, const char *our_table, enum nd_fw_hook hook,
			   const struct nd_fw_pkt *pkt, struct nd_fw_hook_eval *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->after = *pkt;
	struct fw__xrs x;
	memset(&x, 0, sizeof(x));
	const struct nlmsghdr *nlh = (const void *)b->buf.data;
	int len = (int)b->buf.len, r = 0;
	for (; r >= 0 && mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		switch (nlh->nlmsg_type & 0xff) {
		case NFT_MSG_NEWCHAIN: r = chain_cb(nlh, &x); break;
		case NFT_MSG_NEWRULE: r = rule_cb(nlh, &x); break;
		case NFT_MSG_NEWSET:
			if ((r = set_cb(nlh, &x)) == 0)
				x.s[x.ns - 1].loaded = true;
			break;
		case NFT_MSG_NEWSETELEM: r = batch_elems(&x, nlh); break;
		default: break;
		}
	}
	if (r < 0) {
		xrs_free(&x);
		return nd_error_set(err, r, "explain: cannot read the batch: %s", strerror(-r));
	}
	r = hook_eval(&x, our_table, hook, pkt, out, err);
	xrs_free(&x);
	return r;
}

static int hook_eval(struct fw__xrs *x, const char *our_table, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		     struct nd_fw_hook_eval *out, struct nd_error *err)
{
	if ((unsigned)hook >= ARRAY_SIZE(hooknum))
		return nd_error_set(err, -EINVAL, "explain: bad hook %d", (int)hook);
	uint32_t fam = pkt->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	struct fw__xchain **base = calloc(x->nc ? x->nc : 1, sizeof(*base));
	if (!base)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t nb = 0;
	for (size_t i = 0; i < x->nc; i++)
		if (x->c[i].base && x->c[i].hook == hooknum[hook] && (x->c[i].family == fam || x->c[i].family == NFPROTO_INET))
			base[nb++] = &x->c[i];
	qsort(base, nb, sizeof(*base), prio_cmp);
	out->chains = calloc(nb ? nb : 1, sizeof(*out->chains));
	if (!out->chains) {
		free(base);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	out->verdict = ND_FW_ACCEPT;
	out->decider = nb;
	struct nd_fw_pkt p = *pkt;
	for (size_t i = 0; i < nb; i++) {
		struct fw__xchain *c = base[i];
		struct nd_fw_chain_eval *o = &out->chains[out->n++];
		snprintf(o->family, sizeof(o->family), "%s", fw__family_name(c->family));
		snprintf(o->table, sizeof(o->table), "%s", c->table);
		snprintf(o->chain, sizeof(o->chain), "%s", c->name);
		snprintf(o->type, sizeof(o->type), "%s", c->type);
		o->prio = c->prio;
		o->ours = c->family == FW_FAMILY && !strcmp(c->table, our_table);
		o->policy = c->policy;
		int res = fw__xchain_eval(x, c, &p, o);
		if (res == 2) {
			o->by_policy = true;
			res = c->policy;
		}
		o->verdict = res;
		if (o->nat == ND_FW_NAT_DNAT) {
			size_t alen = p.family == AF_INET6 ? 16 : 4;
			memcpy(p.daddr, o->nat_addr, alen);
			if (o->nat_port)
				p.dport = o->nat_port;
			p.ct_status |= IPS_DST_NAT;
		} else if (o->nat == ND_FW_NAT_SNAT || o->nat == ND_FW_NAT_MASQ) {
			p.ct_status |= IPS_SRC_NAT;
		}
		if (res == ND_FW_DROP) {
			out->verdict = ND_FW_DROP;
			out->decider = i;
			break; /* the kernel stops here: later chains never see it */
		}
		if (res == ND_FW_UNKNOWN && out->verdict == ND_FW_ACCEPT) {
			out->verdict = ND_FW_UNKNOWN;
			out->decider = i;
		}
	}
	out->after = p;
	free(base);
	return 0;
}
