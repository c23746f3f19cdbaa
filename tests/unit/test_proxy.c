// SPDX-License-Identifier: Apache-2.0
/* proxy: message builders, built then parsed back with libnftnl (no kernel,
 * no root), the input validation of proxy.h, and the userland TCP relay over
 * AF_UNIX stream sockets (no network), its loop driven step by step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proxy/ports_internal.h"

#include <net/if.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>


/* libnftnl 1.2.x numbers the element nests 1, 2, 3... when it builds, but its
 * parser accepts only NFTA_LIST_ELEM (1); the kernel ignores the nest type.
 * Renumber a copy so more than one element can be parsed back. */
static struct nlmsghdr *elems_copy(const struct nlmsghdr *src)
{
	struct nlmsghdr *nlh = malloc(src->nlmsg_len);
	assert_non_null(nlh);
	memcpy(nlh, src, src->nlmsg_len);
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		struct nlattr *e;
		mnl_attr_for_each_nested(e, a)
			e->nla_type = (uint16_t)((e->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
	}
	return nlh;
}

/* Walks the batch: calls cb for every message between BEGIN and END. */
typedef void (*msg_cb)(const struct nlmsghdr *nlh, void *data);

static size_t walk(const struct fw__batch *b, msg_cb cb, void *data)
{
	const struct nlmsghdr *nlh = (const void *)b->buf.data;
	int len = (int)b->buf.len;
	size_t n = 0;
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);
		assert_int_equal(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		if (cb)
			cb(nlh, data);
		n++;
	}
	assert_int_equal(len, 0);
	return n;
}

static void test_elements_roundtrip(void **state)
{
	struct fw__batch b;
	fw__batch_init(&b, 100);
	const char *br[] = { "br-one", "br-two" };
	fw__elems(&b, "netd", FW_SET_SELF, FW_ELEM_ADD, br, 2);
	fw__batch_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.nmsgs, 1);

	const struct nlmsghdr *nlh = (const void *)b.buf.data;
	nlh = (const void *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len)); /* skip BEGIN */
	assert_int_equal(nlh->nlmsg_type & 0xff, NFT_MSG_NEWSETELEM);
	assert_true(nlh->nlmsg_flags & NLM_F_CREATE);
	assert_int_equal(nlh->nlmsg_seq, 101);

	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *copy = elems_copy(nlh);
	assert_int_equal(nftnl_set_elems_nlmsg_parse(copy, s), 0);
	free(copy);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), "netd");
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "self_pairs");
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	int i = 0, found = 0; /* order is not part of the contract */
	for (struct nftnl_set_elem *e; (e = nftnl_set_elems_iter_next(it)); i++) {
		uint32_t len = 0;
		const char *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		assert_int_equal(len, 2 * IFNAMSIZ);
		int which = !strcmp(key, br[0]) ? 1 : !strcmp(key, br[1]) ? 2 : 0;
		assert_true(which);
		found |= which;
		assert_string_equal(key + IFNAMSIZ, key);
		assert_int_equal(key[IFNAMSIZ - 1], 0);
	}
	assert_int_equal(found, 3);
	nftnl_set_elems_iter_destroy(it);
	assert_int_equal(i, 2);
	nftnl_set_free(s);
	fw__batch_done(&b);
}

static void test_elements_chunked(void **state)
{
	/* 1000 networks: several messages, each parseable, every name once */
	enum { N = 1000 };
	static char names[N][IFNAMSIZ];
	const char *ptr[N];
	static bool got[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], IFNAMSIZ, "nb%04d", i);
		ptr[i] = names[i];
	}
	struct fw__batch b;
	fw__batch_init(&b, 1);
	fw__elems(&b, "netd", FW_SET_BRIDGES, FW_ELEM_DEL, ptr, N);
	fw__batch_end(&b);
	assert_int_equal(b.err, 0);
	assert_true(b.nmsgs > 1);

	const struct nlmsghdr *nlh = (const void *)b.buf.data;
	int len = (int)b.buf.len, seen = 0;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		assert_int_equal(nlh->nlmsg_type & 0xff, NFT_MSG_DELSETELEM);
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *copy = elems_copy(nlh);
		assert_int_equal(nftnl_set_elems_nlmsg_parse(copy, s), 0);
		free(copy);
		struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
		for (struct nftnl_set_elem *e; (e = nftnl_set_elems_iter_next(it));) {
			uint32_t kl;
			const char *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &kl);
			assert_int_equal(kl, IFNAMSIZ);
			int idx = -1;
			assert_int_equal(sscanf(key, "nb%04d", &idx), 1);
			assert_true(idx >= 0 && idx < N);
			assert_string_equal(key, names[idx]);
			assert_false(got[idx]);
			got[idx] = true;
			seen++;
		}
		nftnl_set_elems_iter_destroy(it);
		nftnl_set_free(s);
	}
	assert_int_equal(seen, N);
	fw__batch_done(&b);
}

struct counts {
	int tables, deltables, chains, sets, maps, hairpin_sets, flushes, rules;
	int per_chain[3];
	bool masq_seen;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct counts *c = data;
	if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "masq"))
		c->masq_seen = true;
	return 0;
}

static void count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counts *c = data;
	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();
		assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
		assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "netd");
		nftnl_table_free(t);
		c->tables++;
		break;
	}
	case NFT_MSG_DELTABLE:
		c->deltables++;
		break;
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *ch = nftnl_chain_alloc();
		assert_int_equal(nftnl_chain_nlmsg_parse(nlh, ch), 0);
		const char *name = nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME);
		if (!strcmp(name, "postrouting")) {
			assert_int_equal(nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM), NF_INET_POST_ROUTING);
			assert_string_equal(nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE), "nat");
			assert_int_equal(nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO), 100);
		} else if (!strcmp(name, "prerouting")) {
			assert_int_equal(nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM), NF_INET_PRE_ROUTING);
			assert_string_equal(nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE), "nat");
			assert_int_equal(nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO), -100);
		} else {
			assert_string_equal(name, "forward");
			assert_int_equal(nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM), NF_INET_FORWARD);
			assert_int_equal(nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY), NF_ACCEPT);
		}
		nftnl_chain_free(ch);
		c->chains++;
		break;
	}
	case NFT_MSG_NEWSET: {
		struct nftnl_set *s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
		uint32_t klen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
		if (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_MAP) {
			c->maps++;
		} else if (!strncmp(nftnl_set_get_str(s, NFTNL_SET_NAME), "hairpin", 7)) {
			assert_true(klen == 8 || klen == 32);
			c->hairpin_sets++;
		} else {
			assert_true(klen == IFNAMSIZ || klen == 2 * IFNAMSIZ);
			c->sets++;
		}
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_DELRULE:
		c->flushes++;
		break;
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();
		assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
		const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
		c->per_chain[!strcmp(chain, "forward") ? 1 : !strcmp(chain, "prerouting") ? 2 : 0]++;
		nftnl_expr_foreach(r, expr_cb, c);
		nftnl_rule_free(r);
		c->rules++;
		break;
	}
	default:
		fail_msg("unexpected message type %d", nlh->nlmsg_type & 0xff);
	}
}

static void test_ruleset_ensure(void **state)
{
	struct fw__batch b;
	fw__batch_init(&b, 7);
	fw__ruleset_build(&b, "netd", false);
	fw__batch_end(&b);
	struct counts c = { 0 };
	size_t n = walk(&b, count_cb, &c);
	assert_int_equal(n, b.nmsgs);
	assert_int_equal(c.tables, 1);
	assert_int_equal(c.deltables, 0);
	assert_int_equal(c.chains, 3);
	assert_int_equal(c.sets, FW_SET_COUNT);
	assert_int_equal(c.maps, FW_MAP_COUNT);
	assert_int_equal(c.hairpin_sets, 2);
	assert_int_equal(c.flushes, 3); /* rules are rewritten, never appended twice */
	assert_int_equal(c.per_chain[0], (int)fw__chains[0].nrules);
	assert_int_equal(c.per_chain[1], (int)fw__chains[1].nrules);
	assert_int_equal(c.per_chain[2], (int)fw__chains[2].nrules);
	assert_true(c.masq_seen);
	fw__batch_done(&b);
}

static void test_ruleset_recreate(void **state)
{
	struct fw__batch b;
	fw__batch_init(&b, 7);
	fw__ruleset_build(&b, "netd", true);
	fw__batch_end(&b);
	struct counts c = { 0 };
	walk(&b, count_cb, &c);
	assert_int_equal(c.tables, 2);    /* add (so delete cannot fail), delete, add */
	assert_int_equal(c.deltables, 1);
	assert_int_equal(c.flushes, 0);
	assert_int_equal(c.rules, 17); /* 4 postrouting, 9 forward, 4 prerouting */
	/* error messages name what failed, by sequence number */
	assert_string_equal(b.what[1], "add table inet netd");
	assert_string_equal(b.what[2], "delete table inet netd");
	fw__batch_done(&b);
}

static void test_validate(void **state)
{
	struct nd_error err = { 0 };
	struct nd_fw_network n = { .bridge = "br-x", .icc = true, .masquerade = true,
				   .subnets = { "172.18.0.0/16", "fd00:1::/64" }, .nsubnets = 2 };
	assert_int_equal(nd_fw_network_validate(&n, &err), 0);
	n.subnets[1] = "fd00:1::/129";
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "fd00:1::/129"));
	n.subnets[1] = "10.0.0.0";
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
	n.nsubnets = 1;
	n.bridge = "a-name-much-too-long";
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
	n.bridge = "bad/name";
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
	n.bridge = "";
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
	n.bridge = "br0";
	n.nsubnets = 5;
	assert_int_equal(nd_fw_network_validate(&n, &err), -EINVAL);
}

static void test_open_bad_table(void **state)
{
	struct nd_error err = { 0 };
	struct nd_fw *fw = (void *)1;
	assert_int_equal(nd_fw_open("", &fw, &err), -EINVAL);
	assert_null(fw);
	nd_fw_free(NULL);
}

/* nd_ports_parse: wire_ports_parse (tests/unit/test_wire.c has the syntax)
 * expanded into one mapping per port */
static void test_ports_parse(void **state)
{
	struct nd_port_map m[16];
	size_t n;
	struct nd_error err = { 0 };
	assert_int_equal(nd_ports_parse("8080:80", m, 16, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].proto, IPPROTO_TCP);
	assert_int_equal(m[0].host_port, 8080);
	assert_int_equal(m[0].container_port, 80);
	assert_string_equal(m[0].host_ip, "");
	assert_string_equal(m[0].container_ip, "");
	assert_int_equal(nd_ports_parse("[::1]:8000-8010:80-90/udp", m, 16, &n, &err), 0);
	assert_int_equal(n, 11);
	assert_int_equal(m[10].proto, IPPROTO_UDP);
	assert_string_equal(m[10].host_ip, "::1");
	assert_int_equal(m[10].host_port, 8010);
	assert_int_equal(m[10].container_port, 90);
	assert_int_equal(nd_ports_parse("10.0.0.1::80-81", m, 16, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m[1].host_port, 0);
	assert_int_equal(m[1].container_port, 81);
	assert_int_equal(nd_ports_parse("1-100:1-100", m, 16, &n, &err), -E2BIG);
	assert_int_equal(n, 0);
	assert_int_equal(nd_ports_parse("8000-8010:80", m, 16, &n, &err), -EINVAL);
	assert_int_equal(nd_ports_parse("", m, 16, &n, &err), -EINVAL);
}

static void test_ports_canon(void **state)
{
	struct nd_port_map in = { .proto = IPPROTO_TCP, .host_port = 8080, .container_port = 80 }, out;
	struct fw__port k;
	struct nd_error err = { 0 };
	strcpy(in.container_ip, "fd00:0::2");
	assert_int_equal(ports__canon(&in, &out, &k, &err), 0);
	assert_true(k.v6 && k.any);
	assert_string_equal(out.container_ip, "fd00::2");
	strcpy(in.host_ip, "10.0.0.1");
	assert_int_equal(ports__canon(&in, &out, &k, &err), -EINVAL); /* families differ */
	strcpy(in.container_ip, "172.18.0.2");
	assert_int_equal(ports__canon(&in, &out, &k, &err), 0);
	assert_int_equal(fw__port_map(&k), FW_MAP_P4A);
	uint8_t key[24], data[20];
	assert_int_equal(fw__port_key(&k, key, data), 12);
	assert_memory_equal(key, "\x0a\x00\x00\x01\x06\0\0\0\x1f\x90\0\0", 12);
	assert_memory_equal(data, "\xac\x12\x00\x02\x00\x50\0\0", 8);
	strcpy(in.host_ip, "0.0.0.0");
	assert_int_equal(ports__canon(&in, &out, &k, &err), 0);
	assert_true(k.any);
	assert_int_equal(fw__port_map(&k), FW_MAP_P4);
}

static void port_elem_cb(const struct nlmsghdr *nlh, void *data)
{
	int *n = data;
	assert_int_equal(nlh->nlmsg_type & 0xff, NFT_MSG_NEWSETELEM);
	struct nlmsghdr *copy = elems_copy(nlh);
	struct nftnl_set *s = nftnl_set_alloc();
	assert_true(nftnl_set_elems_nlmsg_parse(copy, s) >= 0);
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	for (struct nftnl_set_elem *e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t dl = 0;
		assert_non_null(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dl));
		(*n)++;
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	free(copy);
}

static void test_port_elems_chunked(void **state)
{
	enum { N = 600 };
	struct fw__port *ps = calloc(N, sizeof(*ps));
	for (int i = 0; i < N; i++)
		ps[i] = (struct fw__port){ .proto = IPPROTO_TCP, .any = true, .v6 = i % 2, .host_port = (uint16_t)(10000 + i),
					   .port = 80 };
	struct fw__batch b;
	fw__batch_init(&b, 1);
	fw__port_elems(&b, "netd", FW_ELEM_ADD, ps, N);
	fw__batch_end(&b);
	int n = 0;
	size_t msgs = walk(&b, port_elem_cb, &n);
	assert_int_equal(n, N);
	assert_int_equal(msgs, 4); /* 300 v4 + 300 v6, 256 per message */
	fw__batch_done(&b);
	free(ps);
}


/* ---- explain: netd's ruleset (built here, never sent) evaluated for packets ---------- */

/* a foreign table's forward chain, policy drop, priority 10:
 *   iifname "br-a" tcp dport 22 counter drop */
static void owner_chain(struct fw__batch *b)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "owner");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "fwd");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 10);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
	struct nlmsghdr *nlh = fw__batch_hdr(b, 512, NFT_MSG_NEWCHAIN, NFPROTO_IPV4, NLM_F_CREATE, "chain");
	nftnl_chain_nlmsg_build_payload(nlh, c);
	fw__batch_put(b, nlh);
	nftnl_chain_free(c);

	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "owner");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "fwd");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	char name[IFNAMSIZ] = "br-a";
	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, name, IFNAMSIZ);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	uint8_t tcp = IPPROTO_TCP;
	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &tcp, 1);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	uint16_t port = htons(22);
	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &port, 2);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("counter");
	nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_PACKETS, 3);
	nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_BYTES, 180);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	nftnl_rule_add_expr(r, e);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, 4);
	nlh = fw__batch_hdr(b, 1024, NFT_MSG_NEWRULE, NFPROTO_IPV4, NLM_F_CREATE | NLM_F_APPEND, "rule");
	nftnl_rule_nlmsg_build_payload(nlh, r);
	fw__batch_put(b, nlh);
	nftnl_rule_free(r);
}

static struct fw__batch ex_batch(bool owner)
{
	struct fw__batch b;
	fw__batch_init(&b, 1);
	fw__ruleset_build(&b, "netd", false);
	const char *br[] = { "br-a", "br-b", "br-i" };
	fw__elems(&b, "netd", FW_SET_BRIDGES, FW_ELEM_ADD, br, 3);
	fw__elems(&b, "netd", FW_SET_SELF, FW_ELEM_ADD, br, 3);
	fw__elems(&b, "netd", FW_SET_MASQ, FW_ELEM_ADD, br, 2);
	fw__elems(&b, "netd", FW_SET_INTERNAL, FW_ELEM_ADD, br + 2, 1);
	fw__elems(&b, "netd", FW_SET_NOICC, FW_ELEM_ADD, br + 1, 1);
	struct fw__port p = { .proto = IPPROTO_TCP, .any = true, .host_port = 8080, .port = 80 };
	inet_pton(AF_INET, "172.18.0.2", p.addr);
	fw__port_elems(&b, "netd", FW_ELEM_ADD, &p, 1);
	if (owner)
		owner_chain(&b);
	fw__batch_end(&b);
	assert_int_equal(b.err, 0);
	return b;
}

static struct nd_fw_pkt ex_pkt(const char *iif, const char *oif, uint8_t proto, uint16_t dport)
{
	struct nd_fw_pkt p = { .family = AF_INET, .l4proto = proto, .dport = dport,
			       .ct_state = NF_CT_STATE_BIT(IP_CT_NEW) };
	snprintf(p.iif, sizeof(p.iif), "%s", iif);
	snprintf(p.oif, sizeof(p.oif), "%s", oif);
	inet_pton(AF_INET, "172.18.0.9", p.saddr);
	inet_pton(AF_INET, "172.19.0.3", p.daddr);
	return p;
}

/* the verdict of the hook and the comment of the rule that decided in chain i */
static int ex_eval(const struct fw__batch *b, enum nd_fw_hook hook, const struct nd_fw_pkt *p, struct nd_fw_hook_eval *ev)
{
	struct nd_error err = { 0 };
	assert_int_equal(fw__explain_hook_batch(b, "netd", hook, p, ev, &err), 0);
	return ev->verdict;
}

static void test_explain_forward(void **state)
{
	struct fw__batch b = ex_batch(false);
	struct nd_fw_hook_eval ev;
	struct nd_fw_pkt p = ex_pkt("br-a", "br-a", IPPROTO_TCP, 80);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.n, 1);
	assert_true(ev.chains[0].ours);
	assert_string_equal(ev.chains[0].decided.comment, "netd:intra-bridge");
	assert_non_null(strstr(ev.chains[0].decided.text, "@self_pairs counter packets 0 bytes 0 accept"));
	assert_true(ev.chains[0].decided.has_counter);
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-a", "br-b", IPPROTO_TCP, 80);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_string_equal(ev.chains[ev.decider].decided.comment, "netd:isolation");
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-b", "br-b", IPPROTO_TCP, 80); /* icc off */
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_string_equal(ev.chains[ev.decider].decided.comment, "netd:icc off");
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-i", "eth0", IPPROTO_ICMP, 0); /* internal */
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_string_equal(ev.chains[ev.decider].decided.comment, "netd:internal out");
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-a", "eth0", IPPROTO_UDP, 53);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_ACCEPT);
	assert_string_equal(ev.chains[0].decided.comment, "netd:outbound");
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("eth0", "br-a", IPPROTO_TCP, 80);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_string_equal(ev.chains[ev.decider].decided.comment, "netd:no direct inbound");
	nd_fw_hook_eval_clear(&ev);
	p.ct_status = IPS_DST_NAT;
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_ACCEPT);
	assert_string_equal(ev.chains[0].decided.comment, "netd:published");
	nd_fw_hook_eval_clear(&ev);
	p.ct_status = 0;
	p.ct_state = NF_CT_STATE_BIT(IP_CT_ESTABLISHED);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_ACCEPT);
	assert_string_equal(ev.chains[0].decided.comment, "netd:established");
	nd_fw_hook_eval_clear(&ev);
	fw__batch_done(&b);
}

static void test_explain_nat(void **state)
{
	struct fw__batch b = ex_batch(false);
	struct nd_fw_hook_eval ev;
	struct nd_fw_pkt p = ex_pkt("eth0", "", IPPROTO_TCP, 8080);
	p.daddr_local = true;
	assert_int_equal(ex_eval(&b, ND_FW_PREROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_DNAT);
	uint8_t want[4];
	inet_pton(AF_INET, "172.18.0.2", want);
	assert_memory_equal(ev.chains[0].nat_addr, want, 4);
	assert_int_equal(ev.chains[0].nat_port, 80);
	assert_non_null(strstr(ev.chains[0].nat_via, "map inet netd ports4"));
	assert_memory_equal(ev.after.daddr, want, 4);
	assert_int_equal(ev.after.dport, 80);
	assert_true(ev.after.ct_status & IPS_DST_NAT);
	nd_fw_hook_eval_clear(&ev);

	p.dport = 8081; /* not published */
	assert_int_equal(ex_eval(&b, ND_FW_PREROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_NONE);
	assert_true(ev.chains[0].by_policy);
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("eth0", "", IPPROTO_ICMP, 0); /* th dport of ICMP: the map still rules it out */
	p.daddr_local = true;
	assert_int_equal(ex_eval(&b, ND_FW_PREROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_NONE);
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("eth0", "eth0", IPPROTO_TCP, 8080); /* not a local address: no DNAT */
	assert_int_equal(ex_eval(&b, ND_FW_PREROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_NONE);
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-a", "eth0", IPPROTO_TCP, 443);
	assert_int_equal(ex_eval(&b, ND_FW_POSTROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_MASQ);
	assert_string_equal(ev.chains[0].decided.comment, "netd:masquerade");
	nd_fw_hook_eval_clear(&ev);
	p = ex_pkt("br-a", "br-b", IPPROTO_TCP, 443); /* between bridges: kept */
	assert_int_equal(ex_eval(&b, ND_FW_POSTROUTING, &p, &ev), ND_FW_ACCEPT);
	assert_int_equal(ev.chains[0].nat, ND_FW_NAT_NONE);
	nd_fw_hook_eval_clear(&ev);
	fw__batch_done(&b);
}

static void test_explain_foreign(void **state)
{
	struct fw__batch b = ex_batch(true);
	struct nd_fw_hook_eval ev;
	struct nd_fw_pkt p = ex_pkt("br-a", "eth0", IPPROTO_TCP, 22);
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_int_equal(ev.n, 2); /* by priority: ours (0), then the owner's (10) */
	assert_string_equal(ev.chains[0].table, "netd");
	assert_int_equal(ev.chains[0].verdict, ND_FW_ACCEPT);
	assert_int_equal(ev.decider, 1);
	const struct nd_fw_chain_eval *o = &ev.chains[1];
	assert_string_equal(o->family, "ip");
	assert_string_equal(o->table, "owner");
	assert_false(o->by_policy);
	assert_true(o->decided.has_counter);
	assert_int_equal(o->decided.packets, 3);
	assert_string_equal(o->decided.text, "iifname \"br-a\" meta l4proto tcp tcp dport 22 counter packets 3 bytes 180 drop");
	nd_fw_hook_eval_clear(&ev);

	p.dport = 80; /* no rule: the policy */
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_true(ev.chains[1].by_policy);
	assert_int_equal(ev.chains[1].policy, ND_FW_DROP);
	nd_fw_hook_eval_clear(&ev);

	p = ex_pkt("br-a", "br-b", IPPROTO_TCP, 22); /* our drop comes first: the owner never sees it */
	assert_int_equal(ex_eval(&b, ND_FW_FORWARD, &p, &ev), ND_FW_DROP);
	assert_int_equal(ev.decider, 0);
	assert_int_equal(ev.n, 1);
	nd_fw_hook_eval_clear(&ev);
	fw__batch_done(&b);
}

/* ---- the userland relay ------------------------------------------------------------- */

/* "the client" is one end of a socketpair whose other end the relay gets as
 * accepted; "the container" listens on a unix socket in a temporary dir. */
struct relay_fx {
	uv_loop_t loop;
	struct ports__relay *r;
	char dir[64];
	struct sockaddr_un ctr;
	int lfd, cli, srv;
	int fds0;   /* open fds before the connection */
};

static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* setup and teardown: the teardown runs after a failed assertion too */
static int fx_open(void **state)
{
	struct relay_fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	*state = f;
	f->cli = f->srv = f->lfd = -1;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(ports__relay_new(&f->loop, &f->r), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/nd-relay-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->ctr.sun_family = AF_UNIX;
	snprintf(f->ctr.sun_path, sizeof(f->ctr.sun_path), "%s/ctr", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&f->ctr, sizeof(f->ctr)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	f->fds0 = fd_count();
	return 0;
}

/* a relayed connection; cli_sndbuf > 0 shrinks what the relay may queue towards the client */
static void fx_connect(struct relay_fx *f, int relay_sndbuf)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	if (relay_sndbuf)
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &relay_sndbuf, sizeof(int)), 0);
	f->cli = sv[0];
	assert_int_equal(ports__relay_start(f->r, sv[1], (struct sockaddr *)&f->ctr, sizeof(f->ctr)), 0);
	f->srv = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(f->srv >= 0);
}

static void fx_pump(struct relay_fx *f)
{
	for (int i = 0; i < 4; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int fx_close(void **state)
{
	struct relay_fx *f = *state;
	if (f->cli >= 0)
		close(f->cli);
	if (f->srv >= 0)
		close(f->srv);
	ports__relay_free(f->r);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	int r = uv_loop_close(&f->loop); /* every handle of the relay closed */
	if (f->lfd >= 0)
		close(f->lfd);
	unlink(f->ctr.sun_path);
	rmdir(f->dir);
	free(f);
	return r == 0 ? 0 : -1;
}

static unsigned char pat(size_t i, unsigned seed) { return (unsigned char)(i * 7 + seed * 131 + (i >> 8)); }

/* reads what is there (nonblocking) and checks it against the pattern; returns 1 at EOF */
static int drain(int fd, size_t *got, unsigned seed)
{
	unsigned char b[65536];
	for (;;) {
		ssize_t n = recv(fd, b, sizeof(b), 0);
		if (n == 0)
			return 1;
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			return 0;
		}
		for (ssize_t k = 0; k < n; k++)
			if (b[k] != pat(*got + (size_t)k, seed))
				fail_msg("byte %zu: %u, want %u", *got + (size_t)k, b[k], pat(*got + (size_t)k, seed));
		*got += (size_t)n;
	}
}

/* writes up to len more of the pattern (nonblocking) */
static void feed(int fd, size_t *sent, size_t total, size_t chunk, unsigned seed)
{
	unsigned char b[65536];
	size_t n = total - *sent < chunk ? total - *sent : chunk;
	if (n > sizeof(b))
		n = sizeof(b);
	for (size_t k = 0; k < n; k++)
		b[k] = pat(*sent + k, seed);
	ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
	if (w < 0)
		assert_int_equal(errno, EAGAIN);
	else
		*sent += (size_t)w;
}

/* small messages are copied without a pipe; when the client stops reading,
 * what the relay read but could not write waits in a pipe, in order */
static void test_relay_backpressure(void **state)
{
	struct relay_fx *f = *state;
	fx_connect(f, 4096);
	size_t sent = 0, got = 0;
	/* the container sends 1000 bytes at a time, each read by the relay on
	 * its own, until the relay stops reading (nothing left unread by it is
	 * what SIOCOUTQ counts on a unix socket) */
	for (int i = 0;; i++) {
		assert_true(i < 2000);
		feed(f->srv, &sent, sent + 1000, 1000, 1);
		fx_pump(f);
		int outq = 0;
		assert_int_equal(ioctl(f->srv, SIOCOUTQ, &outq), 0);
		if (outq > 0)
			break;
	}
	assert_true(sent > 8192);
	/* the client reads it all back, in order, while more comes */
	size_t total = sent + 300000;
	while (got < total) {
		if (sent < total)
			feed(f->srv, &sent, total, 1000, 1);
		fx_pump(f);
		assert_int_equal(drain(f->cli, &got, 1), 0);
	}
	close(f->srv);
	f->srv = -1;
	int eof = 0;
	for (int i = 0; i < 100 && !eof; i++) {
		fx_pump(f);
		eof = drain(f->cli, &got, 1);
	}
	assert_true(eof);
	assert_int_equal(got, total);
	close(f->cli);
	f->cli = -1;
	fx_pump(f);
	assert_int_equal(fd_count(), f->fds0); /* both sockets and every pipe closed */
}

/* the client's EOF reaches the container while the container still answers */
static void test_relay_half_close(void **state)
{
	struct relay_fx *f = *state;
	char b[16];
	fx_connect(f, 0);
	assert_int_equal(send(f->cli, "ping", 4, 0), 4);
	assert_int_equal(shutdown(f->cli, SHUT_WR), 0);
	fx_pump(f);
	assert_int_equal(recv(f->srv, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "ping", 4);
	assert_int_equal(recv(f->srv, b, sizeof(b), 0), 0); /* EOF */
	assert_int_equal(send(f->srv, "pong", 4, 0), 4);
	fx_pump(f);
	assert_int_equal(recv(f->cli, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "pong", 4);
	assert_int_equal(recv(f->cli, b, sizeof(b), 0), -1); /* still open that way */
	assert_int_equal(errno, EAGAIN);
	close(f->srv);
	f->srv = -1;
	fx_pump(f);
	assert_int_equal(recv(f->cli, b, sizeof(b), 0), 0);
	close(f->cli);
	f->cli = -1;
	assert_int_equal(fd_count(), f->fds0);
}

/* streams both ways at once (spliced once a read fills the buffer) */
static void test_relay_bulk(void **state)
{
	struct relay_fx *f = *state;
	fx_connect(f, 0);
	const size_t total = 4u << 20;
	size_t up = 0, upgot = 0, down = 0, downgot = 0;
	bool upshut = false, downshut = false;
	int upeof = 0, downeof = 0;
	for (int i = 0; !(upeof && downeof); i++) {
		assert_true(i < 200000);
		feed(f->cli, &up, total, 65536, 2);
		feed(f->srv, &down, total, 65536, 3);
		if (up == total && !upshut)
			upshut = !shutdown(f->cli, SHUT_WR);
		if (down == total && !downshut)
			downshut = !shutdown(f->srv, SHUT_WR);
		fx_pump(f);
		upeof = upeof || drain(f->srv, &upgot, 2);
		downeof = downeof || drain(f->cli, &downgot, 3);
	}
	assert_int_equal(upgot, total);
	assert_int_equal(downgot, total);
	fx_pump(f);
}

/* a container that is not there: the client is closed; freeing the relay
 * closes the connections it still relays */
static void test_relay_refused_and_free(void **state)
{
	struct relay_fx *f = *state;
	char b[4];
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	struct sockaddr_un none = { .sun_family = AF_UNIX };
	snprintf(none.sun_path, sizeof(none.sun_path), "%s/none", f->dir);
	assert_true(ports__relay_start(f->r, sv[1], (struct sockaddr *)&none, sizeof(none)) < 0);
	assert_int_equal(recv(sv[0], b, sizeof(b), 0), 0);
	close(sv[0]);
	assert_int_equal(fd_count(), f->fds0);

	fx_connect(f, 0);
	assert_int_equal(send(f->srv, "x", 1, 0), 1);
	fx_pump(f);
	assert_int_equal(recv(f->cli, b, sizeof(b), 0), 1);
	/* the teardown frees the relay with this connection open */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_parse),
		cmocka_unit_test(test_ports_canon),
		cmocka_unit_test(test_port_elems_chunked),
		cmocka_unit_test(test_elements_roundtrip),
		cmocka_unit_test(test_elements_chunked),
		cmocka_unit_test(test_ruleset_ensure),
		cmocka_unit_test(test_ruleset_recreate),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_open_bad_table),
		cmocka_unit_test(test_explain_forward),
		cmocka_unit_test(test_explain_nat),
		cmocka_unit_test(test_explain_foreign),
		cmocka_unit_test_setup_teardown(test_relay_backpressure, fx_open, fx_close),
		cmocka_unit_test_setup_teardown(test_relay_half_close, fx_open, fx_close),
		cmocka_unit_test_setup_teardown(test_relay_bulk, fx_open, fx_close),
		cmocka_unit_test_setup_teardown(test_relay_refused_and_free, fx_open, fx_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
