// SPDX-License-Identifier: Apache-2.0
/* proxy: published ports in table `inet netd` — four DNAT maps, the rules
 * that look them up and the hairpin masquerade, as libnftnl messages
 * appended to a batch. One published port is one map element. */
#include "proxy/fw_internal.h"

#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>

/* nftables' datatype ids (src/datatype.h) */
#define TYPE_IPADDR 7
#define TYPE_IP6ADDR 8
#define TYPE_INET_PROTOCOL 12
#define TYPE_INET_SERVICE 13
#define TYPE_BITS 6

#define ROOM_OBJ 1024
#define ROOM_ELEM 160
#define ELEMS_PER_MSG 256

/* Keys and data are concatenations of 32-bit-aligned fields:
 *   v4 key: [addr 4] proto 4 . port 4     data: addr 4 . port 4
 *   v6 key: [addr 16] proto 4 . port 4    data: addr 16 . port 4 */
const struct fw__map_def fw__maps[FW_MAP_COUNT] = {
	[FW_MAP_P4] = { "ports4", false, false, 8, 8 },
	[FW_MAP_P4A] = { "ports4a", false, true, 12, 8 },
	[FW_MAP_P6] = { "ports6", true, false, 8, 20 },
	[FW_MAP_P6A] = { "ports6a", true, true, 24, 20 },
};

static uint32_t map_key_type(const struct fw__map_def *d)
{
	uint32_t t = 0;
	if (d->addr)
		t = d->v6 ? TYPE_IP6ADDR : TYPE_IPADDR;
	t = (t << TYPE_BITS) | TYPE_INET_PROTOCOL;
	return (t << TYPE_BITS) | TYPE_INET_SERVICE;
}

static uint32_t map_data_type(const struct fw__map_def *d)
{
	return ((uint32_t)(d->v6 ? TYPE_IP6ADDR : TYPE_IPADDR) << TYPE_BITS) | TYPE_INET_SERVICE;
}

static struct nftnl_set *map_new(const char *table, enum fw__map m)
{
	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, fw__maps[m].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, FW_FAMILY);
	return s;
}

/* set ids must not collide with fw__sets' (1..FW_SET_COUNT) */
#define MAP_ID(m) (100u + (uint32_t)(m))

static void hairpin_sets_build(struct fw__batch *b, const char *table);

void fw__maps_build(struct fw__batch *b, const char *table)
{
	for (int m = 0; m < FW_MAP_COUNT; m++) {
		const struct fw__map_def *d = &fw__maps[m];
		struct nftnl_set *s = map_new(table, (enum fw__map)m);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, map_key_type(d));
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, map_data_type(d));
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
		nftnl_set_set_u32(s, NFTNL_SET_ID, MAP_ID(m));
		struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_NEWSET, FW_FAMILY, NLM_F_CREATE,
						     "add map %s", d->name);
		if (nlh) {
			nftnl_set_nlmsg_build_payload(nlh, s);
			fw__batch_put(b, nlh);
		}
		nftnl_set_free(s);
	}
	hairpin_sets_build(b, table);
}

/* hairpin4 { type ipv4_addr . ipv4_addr }, hairpin6 likewise: container . container
 * for every container address with a published port */
static const struct { const char *name; uint32_t type, len; } hairpin_sets[2] = {
	{ "hairpin4", (TYPE_IPADDR << TYPE_BITS) | TYPE_IPADDR, 8 },
	{ "hairpin6", (TYPE_IP6ADDR << TYPE_BITS) | TYPE_IP6ADDR, 32 },
};
#define HAIRPIN_ID(v6) (110u + (v6))

static struct nftnl_set *hairpin_new(const char *table, bool v6)
{
	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, hairpin_sets[v6].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, FW_FAMILY);
	return s;
}

static void hairpin_sets_build(struct fw__batch *b, const char *table)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct nftnl_set *s = hairpin_new(table, v6);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, hairpin_sets[v6].type);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, hairpin_sets[v6].len);
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
		nftnl_set_set_u32(s, NFTNL_SET_ID, HAIRPIN_ID(v6));
		struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_NEWSET, FW_FAMILY, NLM_F_CREATE,
						     "add set %s", hairpin_sets[v6].name);
		if (nlh) {
			nftnl_set_nlmsg_build_payload(nlh, s);
			fw__batch_put(b, nlh);
		}
		nftnl_set_free(s);
	}
}

void fw__hairpin_elems(struct fw__batch *b, const char *table, enum fw__elem_op op, bool v6, const uint8_t addr[16])
{
	struct nftnl_set *s = hairpin_new(table, v6);
	uint8_t key[32] = { 0 };
	size_t alen = v6 ? 16 : 4;
	memcpy(key, addr, alen);
	memcpy(key + alen, addr, alen);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)(2 * alen));
	nftnl_set_elem_add(s, e);
	struct nlmsghdr *nlh = fw__batch_hdr(b, 512 + ROOM_ELEM, op == FW_ELEM_ADD ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
					     FW_FAMILY, op == FW_ELEM_ADD ? NLM_F_CREATE : 0, "%s element %s set %s",
					     op == FW_ELEM_ADD ? "add" : "delete", op == FW_ELEM_ADD ? "to" : "from",
					     hairpin_sets[v6].name);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		fw__batch_put(b, nlh);
	}
	nftnl_set_free(s);
}

void fw__maps_flush(struct fw__batch *b, const char *table)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct nftnl_set *s = hairpin_new(table, v6);
		struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_DELSETELEM, FW_FAMILY, 0, "flush set %s",
						     hairpin_sets[v6].name);
		if (nlh) {
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			fw__batch_put(b, nlh);
		}
		nftnl_set_free(s);
	}
	for (int m = 0; m < FW_MAP_COUNT; m++) {
		struct nftnl_set *s = map_new(table, (enum fw__map)m);
		/* DELSETELEM without elements flushes the set */
		struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_DELSETELEM, FW_FAMILY, 0, "flush map %s",
						     fw__maps[m].name);
		if (nlh) {
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			fw__batch_put(b, nlh);
		}
		nftnl_set_free(s);
	}
}

/* ---- rules -------------------------------------------------------------------- */

static void add_cmp_u32(struct nftnl_rule *r, uint32_t sreg, uint32_t v, size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &v, (uint32_t)len);
	nftnl_rule_add_expr(r, e);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

/* fib daddr type local meta nfproto <v4|v6>
 *   dnat <ip|ip6> to [<ip|ip6> daddr .] meta l4proto . th dport map @<map> */
static void put_dnat_rule(struct fw__batch *b, const char *table, enum fw__map m)
{
	const struct fw__map_def *d = &fw__maps[m];
	struct nftnl_rule *r = fw__rule_new(table, FW_CH_PREROUTING);

	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	add_cmp_u32(r, NFT_REG_1, 2 /* RTN_LOCAL */, sizeof(uint32_t));

	fw__add_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	uint8_t nfproto = d->v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	add_cmp_u32(r, NFT_REG_1, nfproto, 1);

	/* the key starts at reg 1: [daddr] . l4proto . dport, 32-bit aligned */
	uint32_t reg32 = NFT_REG32_00;
	if (d->addr) {
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, d->v6 ? 24 : 16, d->v6 ? 16 : 4, NFT_REG_1);
		reg32 += d->v6 ? 4 : 1;
	}
	fw__add_meta(r, NFT_META_L4PROTO, reg32 == NFT_REG32_00 ? NFT_REG_1 : reg32);
	reg32++;
	add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg32);

	e = nftnl_expr_alloc("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, d->name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, MAP_ID(m));
	nftnl_rule_add_expr(r, e);

	fw__add_counter(r);
	e = nftnl_expr_alloc("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	/* the data is addr . port: the port follows the address */
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, d->v6 ? NFT_REG_2 : NFT_REG32_01);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	nftnl_rule_add_expr(r, e);

	char comment[64];
	snprintf(comment, sizeof(comment), "publish %s", d->name);
	fw__put_rule(b, r, comment);
}

void fw__port_rules_build(struct fw__batch *b, const char *table)
{
	/* host address first: a port published on one address wins over "all" */
	put_dnat_rule(b, table, FW_MAP_P4A);
	put_dnat_rule(b, table, FW_MAP_P4);
	put_dnat_rule(b, table, FW_MAP_P6A);
	put_dnat_rule(b, table, FW_MAP_P6);

	/* hairpin: a container that reaches a published port of its own bridge
	 * through a host address would get the reply straight from the peer;
	 * masquerade so the reply returns through the host.
	 *   ct status dnat iifname . oifname @self_pairs masquerade */
	struct nftnl_rule *r = fw__rule_new(table, FW_CH_POSTROUTING);
	fw__add_ct_mask(r, NFT_CT_STATUS, IPS_DST_NAT);
	fw__add_pair(r);
	fw__add_lookup(r, FW_SET_SELF, false);
	fw__add_counter(r);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	fw__put_rule(b, r, "hairpin");

	/* hairpin to itself, also when br_netfilter bridges the DNATed packet
	 * (no input interface in postrouting then): source == destination.
	 *   ct status dnat meta nfproto ipv4 ip saddr . ip daddr @hairpin4 masquerade */
	for (int v6 = 0; v6 < 2; v6++) {
		r = fw__rule_new(table, FW_CH_POSTROUTING);
		fw__add_ct_mask(r, NFT_CT_STATUS, IPS_DST_NAT);
		fw__add_meta(r, NFT_META_NFPROTO, NFT_REG_1);
		add_cmp_u32(r, NFT_REG_1, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, 1);
		if (v6) {
			add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 32, NFT_REG_1); /* saddr . daddr */
		} else {
			add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 8, NFT_REG_1); /* saddr . daddr */
		}
		struct nftnl_expr *e = nftnl_expr_alloc("lookup");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, hairpin_sets[v6].name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, HAIRPIN_ID(v6));
		nftnl_rule_add_expr(r, e);
		fw__add_counter(r);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
		fw__put_rule(b, r, v6 ? "hairpin self6" : "hairpin self4");
	}
}

/* ---- elements ------------------------------------------------------------------- */

enum fw__map fw__port_map(const struct fw__port *p)
{
	if (p->v6)
		return p->any ? FW_MAP_P6 : FW_MAP_P6A;
	return p->any ? FW_MAP_P4 : FW_MAP_P4A;
}

size_t fw__port_key(const struct fw__port *p, uint8_t key[24], uint8_t data[20])
{
	const struct fw__map_def *d = &fw__maps[fw__port_map(p)];
	size_t alen = p->v6 ? 16 : 4;
	memset(key, 0, 24);
	memset(data, 0, 20);
	size_t k = 0;
	if (d->addr) {
		memcpy(key, p->host_addr, alen);
		k = alen;
	}
	key[k] = p->proto;
	uint16_t hp = htons(p->host_port), cp = htons(p->port);
	memcpy(key + k + 4, &hp, 2);
	memcpy(data, p->addr, alen);
	memcpy(data + alen, &cp, 2);
	return d->key_len;
}

static void elems_msg(struct fw__batch *b, const char *table, enum fw__map m, enum fw__elem_op op,
		      const struct fw__port *const *ports, size_t cnt)
{
	struct nftnl_set *s = map_new(table, m);
	for (size_t i = 0; i < cnt; i++) {
		uint8_t key[24], data[20];
		size_t klen = fw__port_key(ports[i], key, data);
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)klen);
		if (op == FW_ELEM_ADD)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, fw__maps[m].data_len);
		nftnl_set_elem_add(s, e);
	}
	uint16_t type = op == FW_ELEM_ADD ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
	struct nlmsghdr *nlh;
	if (cnt == 1)
		nlh = fw__batch_hdr(b, 512 + ROOM_ELEM, type, FW_FAMILY, op == FW_ELEM_ADD ? NLM_F_CREATE : 0,
				    "%s port %u/%u %s map %s", op == FW_ELEM_ADD ? "add" : "delete",
				    ports[0]->host_port, ports[0]->proto, op == FW_ELEM_ADD ? "to" : "from",
				    fw__maps[m].name);
	else
		nlh = fw__batch_hdr(b, 512 + cnt * ROOM_ELEM, type, FW_FAMILY, op == FW_ELEM_ADD ? NLM_F_CREATE : 0,
				    "%s %zu ports %s map %s", op == FW_ELEM_ADD ? "add" : "delete", cnt,
				    op == FW_ELEM_ADD ? "to" : "from", fw__maps[m].name);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		fw__batch_put(b, nlh);
	}
	nftnl_set_free(s);
}

void fw__port_elems(struct fw__batch *b, const char *table, enum fw__elem_op op, const struct fw__port *ports,
		    size_t n)
{
	const struct fw__port **chunk = malloc(ELEMS_PER_MSG * sizeof(*chunk));
	if (!chunk) {
		b->err = -ENOMEM;
		return;
	}
	for (int m = 0; m < FW_MAP_COUNT; m++) {
		size_t k = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i < n && fw__port_map(&ports[i]) == (enum fw__map)m)
				chunk[k++] = &ports[i];
			if (k == ELEMS_PER_MSG || (i == n && k)) {
				elems_msg(b, table, (enum fw__map)m, op, chunk, k);
				k = 0;
			}
		}
	}
	free(chunk);
}
