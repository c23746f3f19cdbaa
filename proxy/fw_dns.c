// SPDX-License-Identifier: Apache-2.0
/* proxy: the embedded DNS resolver's redirection inside a sandbox's network
 * namespace. netd's resolver listens on 127.0.0.11 at ports the kernel
 * picked; a table `inet netd-dns` of that namespace sends what a process
 * there asks of 127.0.0.11:53 (UDP and TCP) to those ports, so a server of
 * the container's own on 0.0.0.0:53 binds without conflict (as Docker's
 * iptables DNAT does). One batch recreates the table: a restarted netd's new
 * ports replace the old ones at once. */
#include "proxy/fw_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>

#define DNS_TABLE "netd-dns"
#define ROOM 4096

static void put_table(struct fw__batch *b, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, DNS_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM, type, NFPROTO_INET, flags, "%s table inet " DNS_TABLE,
					     type == NFT_MSG_NEWTABLE ? "add" : "delete");
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		fw__batch_put(b, nlh);
	}
	nftnl_table_free(t);
}

static void put_chain(struct fw__batch *b)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, DNS_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, "output");
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, -100);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, "add chain output");
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		fw__batch_put(b, nlh);
	}
	nftnl_chain_free(ch);
}

static void expr_cmp(struct nftnl_rule *r, const void *v, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, v, len);
	nftnl_rule_add_expr(r, e);
}

static void expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void expr_imm(struct nftnl_rule *r, uint32_t reg, const void *v, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, v, len);
	nftnl_rule_add_expr(r, e);
}

/* meta nfproto ipv4 ip daddr 127.0.0.11 meta l4proto P th dport 53
 *   dnat ip to 127.0.0.11:port */
static void put_rule(struct fw__batch *b, uint8_t proto, uint16_t port)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, DNS_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "output");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	uint8_t nfproto = NFPROTO_IPV4;
	struct in_addr a = { htonl(0x7f00000b) };
	uint16_t dport = htons(53), to = htons(port);

	fw__add_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	expr_cmp(r, &nfproto, 1);
	expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	expr_cmp(r, &a, 4);
	fw__add_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	expr_cmp(r, &proto, 1);
	expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	expr_cmp(r, &dport, 2);
	expr_imm(r, NFT_REG_1, &a, 4);
	expr_imm(r, NFT_REG_2, &to, 2);
	struct nftnl_expr *e = nftnl_expr_alloc("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	nftnl_rule_add_expr(r, e);

	struct nlmsghdr *nlh = fw__batch_hdr(b, ROOM, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND,
					     "add rule output (dns %s)", proto == IPPROTO_UDP ? "udp" : "tcp");
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw__batch_put(b, nlh);
	}
	nftnl_rule_free(r);
}

static int found_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return 0;
}

/* the table is there (one GET; ENOENT: not) */
static int table_exists(struct nd_fw *fw, bool *exists, struct nd_error *err)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, fw->seq++);
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return nd_error_set(err, -ENOMEM, "nftables: out of memory");
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, DNS_TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	*exists = false;
	struct nd_error e = { 0 };
	int rc = fw__dump(fw, nlh, found_cb, exists, &e);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return nd_error_set(err, rc, "%s", e.msg);
	return 0;
}

int nd_fw_dns_redirect(uint16_t udp_port, uint16_t tcp_port, bool keep, struct nd_error *err)
{
	struct nd_fw *fw;
	int rc = nd_fw_open(DNS_TABLE, &fw, err);
	if (rc < 0)
		return rc;
	/* Deleting a table whose chain is hooked waits for an RCU grace period
	 * (~10-20 ms): a restarted netd that got its ports back keeps the table,
	 * and a new sandbox's table is only created. */
	bool exists = false;
	if ((rc = table_exists(fw, &exists, err)) < 0) {
		nd_fw_free(fw);
		return rc;
	}
	if (exists && keep) {
		nd_fw_free(fw);
		return 0;
	}
	struct fw__batch b;
	fw__batch_start(fw, &b);
	if (exists)
		put_table(&b, NFT_MSG_DELTABLE, 0);
	put_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	put_chain(&b);
	put_rule(&b, IPPROTO_UDP, udp_port);
	put_rule(&b, IPPROTO_TCP, tcp_port);
	if (b.err) {
		fw__batch_done(&b);
		nd_fw_free(fw);
		return nd_error_set(err, b.err, "nftables: out of memory");
	}
	rc = fw__batch_finish(fw, &b, err);
	nd_fw_free(fw);
	return rc;
}
