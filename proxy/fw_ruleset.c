// SPDX-License-Identifier: Apache-2.0
/* proxy: the fixed ruleset of table `inet netd` and the set elements that
 * describe networks, as libnftnl messages appended to a batch. */
#include "proxy/fw_internal.h"

#include <net/if.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>

#define TYPE_IFNAME 41          /* nftables' datatype id of ifname */
#define TYPE_BITS 6             /* concatenated types: (a << 6) | b */
#define BYTEORDER_HOST_ENDIAN 1 /* nftables' key byteorder for strings */

const struct fw__set_def fw__sets[FW_SET_COUNT] = {
	[FW_SET_BRIDGES] = { "bridges", 1 },
	[FW_SET_MASQ] = { "masq_bridges", 1 },
	[FW_SET_INTERNAL] = { "internal_bridges", 1 },
	[FW_SET_SELF] = { "self_pairs", 2 },
	[FW_SET_NOICC] = { "noicc_pairs", 2 },
};

const struct fw__chain_def fw__chains[] = {
	[FW_CH_POSTROUTING] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 /* srcnat */, 4 },
	[FW_CH_FORWARD] = { "forward", "filter", NF_INET_FORWARD, 0 /* filter */, 9 },
	[FW_CH_PREROUTING] = { "prerouting", "nat", NF_INET_PRE_ROUTING, -100 /* dstnat */, 4 },
};
const size_t fw__nchains = ARRAY_SIZE(fw__chains);

/* Generous upper bounds for what libnftnl writes per message. */
#define ROOM_OBJ 1024
#define ROOM_RULE 4096
#define ROOM_ELEM 128
#define ELEMS_PER_MSG 256

/* ---- expressions ----------------------------------------------------------- */

void fw__add_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

void fw__add_lookup(struct nftnl_rule *r, enum fw__set set, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, fw__sets[set].name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set + 1);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(r, e);
}

/* ct <key> & mask != 0 */
void fw__add_ct_mask(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);

	e = nftnl_expr_alloc("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, e);

	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, e);
}

/* Every rule of ours counts what it decides on (netctl explain shows the
 * counters; `nft list chain inet netd forward` too): just before the verdict. */
void fw__add_counter(struct nftnl_rule *r)
{
	nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
}

static void add_verdict(struct nftnl_rule *r, int verdict)
{
	fw__add_counter(r);
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
}

/* iifname . oifname into reg 1 (16 bytes) and reg 2 (16 bytes) */
void fw__add_pair(struct nftnl_rule *r)
{
	fw__add_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	fw__add_meta(r, NFT_META_OIFNAME, NFT_REG_2);
}

/* ---- messages ---------------------------------------------------------------- */

static void put_table(struct fw__batch *b, const char *table, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, FW_FAMILY);
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, type, FW_FAMILY, flags, "%s table inet %s",
					     type == NFT_MSG_NEWTABLE ? "add" : "delete", table);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		fw__batch_put(b, nlh);
	}
	nftnl_table_free(t);
}

static void put_chain(struct fw__batch *b, const char *table, const struct fw__chain_def *c)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, FW_FAMILY);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, c->type);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, c->hooknum);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_NEWCHAIN, FW_FAMILY, NLM_F_CREATE,
					     "add chain %s", c->name);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		fw__batch_put(b, nlh);
	}
	nftnl_chain_free(ch);
}

/* The set message without elements; also used by the element messages. */
static struct nftnl_set *set_new(const char *table, enum fw__set set)
{
	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, fw__sets[set].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, FW_FAMILY);
	return s;
}

static void put_set(struct fw__batch *b, const char *table, enum fw__set set)
{
	const struct fw__set_def *d = &fw__sets[set];
	struct nftnl_set *s = set_new(table, set);
	uint32_t keytype = TYPE_IFNAME;
	if (d->nfields == 2)
		keytype = (TYPE_IFNAME << TYPE_BITS) | TYPE_IFNAME;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, keytype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, IFNAMSIZ * d->nfields);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)set + 1);
	/* so that `nft list` prints the keys as strings */
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
	if (ud) {
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, BYTEORDER_HOST_ENDIAN);
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_NEWSET, FW_FAMILY, NLM_F_CREATE,
					     "add set %s", d->name);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		fw__batch_put(b, nlh);
	}
	nftnl_set_free(s);
}

static void put_flush_chain(struct fw__batch *b, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, FW_FAMILY);
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_OBJ, NFT_MSG_DELRULE, FW_FAMILY, 0, "flush chain %s", chain);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw__batch_put(b, nlh);
	}
	nftnl_rule_free(r);
}

struct nftnl_rule *fw__rule_new(const char *table, int chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, fw__chains[chain].name);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, FW_FAMILY);
	return r;
}

void fw__put_rule(struct fw__batch *b, struct nftnl_rule *r, const char *comment)
{
	char text[128];
	snprintf(text, sizeof(text), FW_RULE_TAG "%s", comment);
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(sizeof(text) + 8);
	if (ud) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, text);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM_RULE, NFT_MSG_NEWRULE, FW_FAMILY,
					     NLM_F_CREATE | NLM_F_APPEND, "add rule %s \"%s\"",
					     nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), comment);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw__batch_put(b, nlh);
	}
	nftnl_rule_free(r);
}

static void put_rules(struct fw__batch *b, const char *table)
{
	struct nftnl_rule *r;

	/* postrouting: iifname @masq_bridges oifname != @bridges masquerade */
	r = fw__rule_new(table, FW_CH_POSTROUTING);
	fw__add_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_MASQ, false);
	fw__add_meta(r, NFT_META_OIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_BRIDGES, true);
	fw__add_counter(r);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	fw__put_rule(b, r, "masquerade");

	/* forward (9 rules; keep fw__chains[FW_CH_FORWARD].nrules in step) */
	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_pair(r);
	fw__add_lookup(r, FW_SET_NOICC, false);
	add_verdict(r, NF_DROP);
	fw__put_rule(b, r, "icc off");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_pair(r);
	fw__add_lookup(r, FW_SET_SELF, false);
	add_verdict(r, NF_ACCEPT);
	fw__put_rule(b, r, "intra-bridge");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_INTERNAL, false);
	add_verdict(r, NF_DROP);
	fw__put_rule(b, r, "internal out");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_meta(r, NFT_META_OIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_INTERNAL, false);
	add_verdict(r, NF_DROP);
	fw__put_rule(b, r, "internal in");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_ct_mask(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	add_verdict(r, NF_ACCEPT);
	fw__put_rule(b, r, "established");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_ct_mask(r, NFT_CT_STATUS, IPS_DST_NAT);
	add_verdict(r, NF_ACCEPT);
	fw__put_rule(b, r, "published");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_BRIDGES, false);
	fw__add_meta(r, NFT_META_OIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_BRIDGES, false);
	add_verdict(r, NF_DROP);
	fw__put_rule(b, r, "isolation");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_meta(r, NFT_META_IIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_BRIDGES, false);
	add_verdict(r, NF_ACCEPT);
	fw__put_rule(b, r, "outbound");

	r = fw__rule_new(table, FW_CH_FORWARD);
	fw__add_meta(r, NFT_META_OIFNAME, NFT_REG_1);
	fw__add_lookup(r, FW_SET_BRIDGES, false);
	add_verdict(r, NF_DROP);
	fw__put_rule(b, r, "no direct inbound");
}

void fw__ruleset_build(struct fw__batch *b, const char *table, bool recreate)
{
	put_table(b, table, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (recreate) {
		put_table(b, table, NFT_MSG_DELTABLE, 0);
		put_table(b, table, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	}
	for (size_t i = 0; i < fw__nchains; i++)
		put_chain(b, table, &fw__chains[i]);
	for (int s = 0; s < FW_SET_COUNT; s++)
		put_set(b, table, (enum fw__set)s);
	fw__maps_build(b, table);
	if (!recreate)
		for (size_t i = 0; i < fw__nchains; i++)
			put_flush_chain(b, table, fw__chains[i].name);
	put_rules(b, table);
	fw__port_rules_build(b, table);
}

/* ---- elements ------------------------------------------------------------------ */

size_t fw__elem_key(enum fw__set set, const char *bridge, char key[2 * IFNAMSIZ])
{
	memset(key, 0, 2 * IFNAMSIZ);
	strncpy(key, bridge, IFNAMSIZ - 1);
	if (fw__sets[set].nfields == 1)
		return IFNAMSIZ;
	memcpy(key + IFNAMSIZ, key, IFNAMSIZ);
	return 2 * IFNAMSIZ;
}

void fw__elems(struct fw__batch *b, const char *table, enum fw__set set, enum fw__elem_op op,
	       const char *const *bridges, size_t n)
{
	for (size_t off = 0; off < n; off += ELEMS_PER_MSG) {
		size_t cnt = n - off < ELEMS_PER_MSG ? n - off : ELEMS_PER_MSG;
		struct nftnl_set *s = set_new(table, set);
		for (size_t i = 0; i < cnt; i++) {
			char key[2 * IFNAMSIZ];
			size_t klen = fw__elem_key(set, bridges[off + i], key);
			struct nftnl_set_elem *e = nftnl_set_elem_alloc();
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)klen);
			nftnl_set_elem_add(s, e);
		}
		uint16_t type = op == FW_ELEM_ADD ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
		uint16_t flags = op == FW_ELEM_ADD ? NLM_F_CREATE : 0;
		struct nlmsghdr *nlh;
		if (cnt == 1)
			nlh = fw__batch_hdr(b, 512 + cnt * ROOM_ELEM, type, FW_FAMILY, flags,
					    "%s element %s %s set %s", op == FW_ELEM_ADD ? "add" : "delete",
					    bridges[off], op == FW_ELEM_ADD ? "to" : "from", fw__sets[set].name);
		else
			nlh = fw__batch_hdr(b, 512 + cnt * ROOM_ELEM, type, FW_FAMILY, flags,
					    "%s %zu elements %s set %s", op == FW_ELEM_ADD ? "add" : "delete", cnt,
					    op == FW_ELEM_ADD ? "to" : "from", fw__sets[set].name);
		if (nlh) {
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			fw__batch_put(b, nlh);
		}
		nftnl_set_free(s);
	}
}
