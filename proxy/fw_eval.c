// SPDX-License-Identifier: Apache-2.0
/* proxy: one chain of a ruleset (fw_explain.c reads it) evaluated for one
 * packet described by struct nd_fw_pkt, as the kernel's nf_tables does it:
 * 32-bit registers, the rule's expressions in order, the first verdict,
 * jump/goto. An expression that cannot be evaluated from the description
 * makes its rule "unknown" (see proxy.h, nd_fw_explain_hook()). Each rule
 * that matched is also rendered as nft-like text for the student. */
#include "proxy/fw_internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#define X_MAX_DEPTH 16
#define X_SLOTS 16          /* 32-bit data registers (NFT_REG32_00..15) */

/* ---- registers ---------------------------------------------------------------------- */

enum xkind { XK_RAW = 0, XK_IFNAME, XK_ADDR4, XK_ADDR6, XK_PORT, XK_L4PROTO, XK_NFPROTO, XK_CTSTATE,
	     XK_CTSTATUS, XK_FIBTYPE, XK_U32 };

struct xregs {
	uint8_t d[X_SLOTS * 4];
	bool known[X_SLOTS];
	char label[X_SLOTS][40];
	enum xkind kind[X_SLOTS];
	uint32_t mask[X_SLOTS];  /* after a bitwise and of a u32 (ct state) */
};

static int reg_slot(uint32_t reg, uint32_t len)
{
	int s;
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		s = (int)(reg - NFT_REG_1) * 4;
	else if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		s = (int)(reg - NFT_REG32_00);
	else
		return -1;
	if (len == 0 || len > FW_X_KEY_MAX || (size_t)s + (len + 3) / 4 > X_SLOTS)
		return -1;
	return s;
}

static void reg_store(struct xregs *g, int s, const void *p, uint32_t len, bool known, enum xkind k,
		      const char *label)
{
	uint32_t n = (len + 3) / 4;
	memset(&g->d[s * 4], 0, n * 4);
	if (p)
		memcpy(&g->d[s * 4], p, len);
	for (uint32_t i = 0; i < n; i++) {
		g->known[s + i] = known;
		g->label[s + i][0] = '\0';
		g->kind[s + i] = XK_RAW;
		g->mask[s + i] = 0;
	}
	snprintf(g->label[s], sizeof(g->label[s]), "%s", label);
	g->kind[s] = k;
}

static bool reg_known(const struct xregs *g, int s, uint32_t len)
{
	for (uint32_t i = 0; i < (len + 3) / 4; i++)
		if (!g->known[s + i])
			return false;
	return true;
}

/* "iifname . oifname" for the registers a key of len bytes spans */
static void reg_labels(const struct xregs *g, int s, uint32_t len, char *out, size_t size)
{
	out[0] = '\0';
	size_t o = 0;
	for (uint32_t i = 0; i < (len + 3) / 4; i++) {
		if (!g->label[s + i][0])
			continue;
		int w = snprintf(out + o, size - o, "%s%s", o ? " . " : "", g->label[s + i]);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
	if (!o)
		snprintf(out, size, "reg");
}

static void fmt_value(enum xkind k, uint32_t mask, const uint8_t *p, uint32_t len, char *out, size_t size)
{
	uint32_t u = 0;
	memcpy(&u, p, len < 4 ? len : 4);
	switch (k) {
	case XK_IFNAME:
		snprintf(out, size, "\"%.*s\"", (int)strnlen((const char *)p, len), (const char *)p);
		return;
	case XK_ADDR4:
	case XK_ADDR6: {
		/* nft loads only the bytes a prefix covers (ip daddr 192.0.2.0/24
		 * is a 3-byte load): shown as the prefix */
		uint32_t full = k == XK_ADDR4 ? 4 : 16;
		uint8_t a[16] = { 0 };
		if (len == 0 || len > full)
			break;
		memcpy(a, p, len);
		char txt[INET6_ADDRSTRLEN];
		if (!inet_ntop(k == XK_ADDR4 ? AF_INET : AF_INET6, a, txt, sizeof(txt)))
			break;
		if (len == full)
			snprintf(out, size, "%s", txt);
		else
			snprintf(out, size, "%s/%u", txt, len * 8);
		return;
	}
	case XK_PORT:
		if (len == 2) {
			snprintf(out, size, "%u", (unsigned)ntohs(*(const uint16_t *)p));
			return;
		}
		break;
	case XK_L4PROTO: {
		static const char *names[256] = { [IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp", [IPPROTO_ICMP] = "icmp",
						  [IPPROTO_ICMPV6] = "icmpv6", [IPPROTO_SCTP] = "sctp" };
		snprintf(out, size, "%s", names[p[0]] ?: "?");
		if (!names[p[0]])
			snprintf(out, size, "%u", p[0]);
		return;
	}
	case XK_NFPROTO:
		snprintf(out, size, "%s", p[0] == NFPROTO_IPV4 ? "ipv4" : p[0] == NFPROTO_IPV6 ? "ipv6" : "?");
		return;
	case XK_CTSTATE:
	case XK_CTSTATUS: {
		uint32_t v = u ? u : mask;
		static const struct { uint32_t bit; const char *name; } st[] = {
			{ NF_CT_STATE_INVALID_BIT, "invalid" }, { NF_CT_STATE_BIT(IP_CT_ESTABLISHED), "established" },
			{ NF_CT_STATE_BIT(IP_CT_RELATED), "related" }, { NF_CT_STATE_BIT(IP_CT_NEW), "new" },
			{ NF_CT_STATE_UNTRACKED_BIT, "untracked" } },
		  ss[] = { { IPS_DST_NAT, "dnat" }, { IPS_SRC_NAT, "snat" }, { IPS_CONFIRMED, "confirmed" },
			   { IPS_SEEN_REPLY, "seen-reply" }, { IPS_ASSURED, "assured" } };
		size_t o = 0;
		out[0] = '\0';
		const void *t = k == XK_CTSTATE ? (const void *)st : (const void *)ss;
		size_t nt = k == XK_CTSTATE ? ARRAY_SIZE(st) : ARRAY_SIZE(ss);
		for (size_t i = 0; i < nt; i++) {
			const struct { uint32_t bit; const char *name; } *e = (const void *)((const char *)t + i * sizeof(st[0]));
			if ((v & e->bit) && o < size)
				o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "," : "", e->name);
		}
		if (!o)
			snprintf(out, size, "0x%x", v);
		return;
	}
	case XK_FIBTYPE:
		snprintf(out, size, "%s", u == 2 ? "local" : u == 1 ? "unicast" : u == 3 ? "broadcast" : "?");
		if (u > 3 || u == 0)
			snprintf(out, size, "%u", u);
		return;
	default:
		break;
	}
	size_t o = (size_t)snprintf(out, size, "0x");
	for (uint32_t i = 0; i < len && o + 2 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
}

/* ---- evaluation ----------------------------------------------------------------------- */

enum { X_MATCH = 0, X_NOMATCH, X_UNKNOWN, X_VERDICT };

struct xeval {
	struct fw__xrs *x;
	struct nd_fw_pkt pkt;
	struct nd_fw_chain_eval *out;
	uint32_t family;           /* of the chain's table */
	const char *table;
	int depth;
	/* the rule being evaluated */
	char text[ND_FW_RULE_TEXT];
	size_t tlen;
	bool unknown;
	bool has_counter;
	uint64_t packets, bytes;
	int32_t verdict;           /* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO, NFT_RETURN */
	char target[NFT_CHAIN_MAXNAMELEN];
	int nat;
	uint8_t nat_addr[16];
	uint16_t nat_port;
	char nat_via[160];
};

static void say(struct xeval *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct xeval *v, const char *fmt, ...)
{
	if (v->tlen + 2 >= sizeof(v->text))
		return;
	if (v->tlen)
		v->text[v->tlen++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(v->text + v->tlen, sizeof(v->text) - v->tlen, fmt, ap);
	va_end(ap);
	if (w > 0)
		v->tlen = strnlen(v->text, sizeof(v->text));
}

/* the packet's headers as bytes, for payload loads */
static size_t net_header(const struct nd_fw_pkt *p, uint8_t h[40])
{
	memset(h, 0, 40);
	if (p->family == AF_INET) {
		h[0] = 0x45;
		h[8] = 64;
		h[9] = p->l4proto;
		memcpy(h + 12, p->saddr, 4);
		memcpy(h + 16, p->daddr, 4);
		return 20;
	}
	h[0] = 0x60;
	h[6] = p->l4proto;
	h[7] = 64;
	memcpy(h + 8, p->saddr, 16);
	memcpy(h + 24, p->daddr, 16);
	return 40;
}

static size_t transport_header(const struct nd_fw_pkt *p, uint8_t h[20])
{
	memset(h, 0, 20);
	switch (p->l4proto) {
	case IPPROTO_TCP:
		*(uint16_t *)h = htons(p->sport);
		*(uint16_t *)(h + 2) = htons(p->dport);
		h[12] = 0x50;
		h[13] = 0x02; /* SYN: a new connection */
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		*(uint16_t *)h = htons(p->sport);
		*(uint16_t *)(h + 2) = htons(p->dport);
		return p->l4proto == IPPROTO_UDP ? 8 : 12;
	case IPPROTO_ICMP:
		h[0] = 8; /* echo request */
		return 8;
	case IPPROTO_ICMPV6:
		h[0] = 128;
		return 8;
	default:
		return 0;
	}
}

static const char *payload_label(const struct nd_fw_pkt *p, uint32_t base, uint32_t off, uint32_t len,
				 enum xkind *k)
{
	*k = XK_RAW;
	bool v6 = p->family == AF_INET6;
	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		if (!v6 && off == 12 && len == 4) return *k = XK_ADDR4, "ip saddr";
		if (!v6 && off == 16 && len == 4) return *k = XK_ADDR4, "ip daddr";
		if (!v6 && off == 12 && len == 8) return *k = XK_ADDR4, "ip saddr . ip daddr";
		if (!v6 && (off == 12 || off == 16) && len < 4) return *k = XK_ADDR4, off == 12 ? "ip saddr" : "ip daddr";
		if (v6 && (off == 8 || off == 24) && len < 16) return *k = XK_ADDR6, off == 8 ? "ip6 saddr" : "ip6 daddr";
		if (!v6 && off == 9 && len == 1) return *k = XK_L4PROTO, "ip protocol";
		if (v6 && off == 8 && len == 16) return *k = XK_ADDR6, "ip6 saddr";
		if (v6 && off == 24 && len == 16) return *k = XK_ADDR6, "ip6 daddr";
		if (v6 && off == 8 && len == 32) return *k = XK_ADDR6, "ip6 saddr . ip6 daddr";
		if (v6 && off == 6 && len == 1) return *k = XK_L4PROTO, "ip6 nexthdr";
		return v6 ? "ip6 header" : "ip header";
	}
	if (base == NFT_PAYLOAD_TRANSPORT_HEADER) {
		const char *l4 = p->l4proto == IPPROTO_TCP ? "tcp" : p->l4proto == IPPROTO_UDP ? "udp" : "th";
		static char buf[2][16];
		if (off == 0 && len == 2) {
			snprintf(buf[0], sizeof(buf[0]), "%s sport", l4);
			*k = XK_PORT;
			return buf[0];
		}
		if (off == 2 && len == 2) {
			snprintf(buf[1], sizeof(buf[1]), "%s dport", l4);
			*k = XK_PORT;
			return buf[1];
		}
		return "transport header";
	}
	return "link header";
}

static int x_payload(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG)) {
		say(v, "(payload set)");
		return X_UNKNOWN; /* a mangle */
	}
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), len);
	if (s < 0)
		return X_UNKNOWN;
	uint8_t h[40];
	size_t hl = 0;
	bool known = false;
	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		hl = net_header(&v->pkt, h);
		/* only the fields we describe: protocol, addresses */
		known = (v->pkt.family == AF_INET && ((off == 9 && len == 1) || (off >= 12 && off + len <= 20))) ||
			(v->pkt.family == AF_INET6 && ((off == 6 && len == 1) || (off >= 8 && off + len <= 40)));
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER) {
		hl = transport_header(&v->pkt, h);
		known = (v->pkt.l4proto == IPPROTO_TCP || v->pkt.l4proto == IPPROTO_UDP ||
			 v->pkt.l4proto == IPPROTO_SCTP) && off + len <= 4;
		known |= (v->pkt.l4proto == IPPROTO_ICMP || v->pkt.l4proto == IPPROTO_ICMPV6) && off == 0 && len == 1;
		known |= v->pkt.l4proto == IPPROTO_TCP && off == 13 && len == 1;
	}
	known = known && off + len <= hl;
	enum xkind k;
	const char *label = payload_label(&v->pkt, base, off, len, &k);
	reg_store(g, s, known ? h + off : NULL, len, known, k, label);
	if (k == XK_ADDR4 && len == 8) { /* saddr . daddr */
		snprintf(g->label[s], sizeof(g->label[s]), "ip saddr");
		snprintf(g->label[s + 1], sizeof(g->label[s + 1]), "ip daddr");
		g->kind[s + 1] = XK_ADDR4;
	}
	return X_MATCH;
}

static int x_meta(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
		return X_MATCH; /* meta set (mark, priority...): no effect on the verdict we follow */
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);
	const struct nd_fw_pkt *p = &v->pkt;
	char name[IFNAMSIZ] = { 0 };
	uint8_t b8;
	uint32_t u32;
	uint16_t u16;
	int s;
	switch (key) {
	case NFT_META_IIFNAME:
	case NFT_META_OIFNAME:
		if ((s = reg_slot(dreg, IFNAMSIZ)) < 0)
			return X_UNKNOWN;
		snprintf(name, sizeof(name), "%s", key == NFT_META_IIFNAME ? p->iif : p->oif);
		reg_store(g, s, name, IFNAMSIZ, true, XK_IFNAME, key == NFT_META_IIFNAME ? "iifname" : "oifname");
		return X_MATCH;
	case NFT_META_IIF:
	case NFT_META_OIF:
		if ((s = reg_slot(dreg, 4)) < 0)
			return X_UNKNOWN;
		u32 = key == NFT_META_IIF ? p->iif_index : p->oif_index;
		reg_store(g, s, &u32, 4, u32 != 0 || !(key == NFT_META_IIF ? p->iif : p->oif)[0], XK_U32,
			  key == NFT_META_IIF ? "iif" : "oif");
		return X_MATCH;
	case NFT_META_NFPROTO:
		if ((s = reg_slot(dreg, 1)) < 0)
			return X_UNKNOWN;
		b8 = p->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
		reg_store(g, s, &b8, 1, true, XK_NFPROTO, "meta nfproto");
		return X_MATCH;
	case NFT_META_L4PROTO:
		if ((s = reg_slot(dreg, 1)) < 0)
			return X_UNKNOWN;
		reg_store(g, s, &p->l4proto, 1, true, XK_L4PROTO, "meta l4proto");
		return X_MATCH;
	case NFT_META_PROTOCOL:
		if ((s = reg_slot(dreg, 2)) < 0)
			return X_UNKNOWN;
		u16 = htons(p->family == AF_INET ? 0x0800 : 0x86dd);
		reg_store(g, s, &u16, 2, true, XK_RAW, "meta protocol");
		return X_MATCH;
	case NFT_META_MARK:
		if ((s = reg_slot(dreg, 4)) < 0)
			return X_UNKNOWN;
		u32 = 0;
		reg_store(g, s, &u32, 4, true, XK_U32, "meta mark");
		return X_MATCH;
	default:
		if ((s = reg_slot(dreg, 16)) >= 0)
			reg_store(g, s, NULL, 4, false, XK_RAW, "meta");
		say(v, "meta(key %u)", key);
		return X_UNKNOWN;
	}
}

static int x_ct(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG))
		return X_MATCH; /* ct set */
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), 4);
	if (s < 0)
		return X_UNKNOWN;
	uint32_t u;
	switch (key) {
	case NFT_CT_STATE:
		u = v->pkt.ct_state;
		reg_store(g, s, &u, 4, true, XK_CTSTATE, "ct state");
		return X_MATCH;
	case NFT_CT_STATUS:
		u = v->pkt.ct_status;
		reg_store(g, s, &u, 4, true, XK_CTSTATUS, "ct status");
		return X_MATCH;
	case NFT_CT_DIRECTION:
		u = 0; /* IP_CT_DIR_ORIGINAL */
		reg_store(g, s, &u, 1, true, XK_RAW, "ct direction");
		return X_MATCH;
	case NFT_CT_MARK:
		u = 0;
		reg_store(g, s, &u, 4, true, XK_U32, "ct mark");
		return X_MATCH;
	default:
		reg_store(g, s, NULL, 4, false, XK_RAW, "ct");
		say(v, "ct(key %u)", key);
		return X_UNKNOWN;
	}
}

static int x_fib(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	uint32_t res = nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT);
	uint32_t fl = nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_DREG), 4);
	if (s < 0)
		return X_UNKNOWN;
	if (res == NFT_FIB_RESULT_ADDRTYPE && (fl & (NFTA_FIB_F_DADDR | NFTA_FIB_F_SADDR)) &&
	    !(fl & (NFTA_FIB_F_IIF | NFTA_FIB_F_OIF | NFTA_FIB_F_MARK))) {
		bool local = (fl & NFTA_FIB_F_DADDR) ? v->pkt.daddr_local : v->pkt.saddr_local;
		uint32_t t = local ? 2 /* RTN_LOCAL */ : 1 /* RTN_UNICAST */;
		reg_store(g, s, &t, 4, true, XK_FIBTYPE, (fl & NFTA_FIB_F_DADDR) ? "fib daddr type" : "fib saddr type");
		return X_MATCH;
	}
	reg_store(g, s, NULL, 4, false, XK_RAW, "fib");
	say(v, "fib(...)");
	return X_UNKNOWN;
}

static int x_cmp(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	uint32_t len = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG), len);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	if (s < 0 || !d)
		return X_UNKNOWN;
	char val[96], lab[96];
	reg_labels(g, s, len, lab, sizeof(lab));
	fmt_value(g->kind[s], g->mask[s], d, len, val, sizeof(val));
	static const char *ops[] = { [NFT_CMP_EQ] = "", [NFT_CMP_NEQ] = "!= ", [NFT_CMP_LT] = "< ",
				     [NFT_CMP_LTE] = "<= ", [NFT_CMP_GT] = "> ", [NFT_CMP_GTE] = ">= " };
	const char *o = op < ARRAY_SIZE(ops) && ops[op] ? ops[op] : "? ";
	/* `ct state established,related` is "& mask != 0" */
	if (g->mask[s] && op == NFT_CMP_NEQ && len == 4 && !*(const uint32_t *)d) {
		fmt_value(g->kind[s], g->mask[s], (const uint8_t *)&g->mask[s], 4, val, sizeof(val));
		o = "";
	}
	say(v, "%s %s%s", lab, o, val);
	if (!reg_known(g, s, len))
		return X_UNKNOWN;
	int c = memcmp(&g->d[s * 4], d, len);
	bool m;
	switch (op) {
	case NFT_CMP_EQ: m = c == 0; break;
	case NFT_CMP_NEQ: m = c != 0; break;
	case NFT_CMP_LT: m = c < 0; break;
	case NFT_CMP_LTE: m = c <= 0; break;
	case NFT_CMP_GT: m = c > 0; break;
	case NFT_CMP_GTE: m = c >= 0; break;
	default: return X_UNKNOWN;
	}
	return m ? X_MATCH : X_NOMATCH;
}

static int x_range(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	uint32_t lf = 0, lt = 0;
	const uint8_t *from = nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA, &lf);
	const uint8_t *to = nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &lt);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_SREG), lf);
	if (s < 0 || !from || !to || lf != lt)
		return X_UNKNOWN;
	char a[64], b[64], lab[96];
	reg_labels(g, s, lf, lab, sizeof(lab));
	fmt_value(g->kind[s], 0, from, lf, a, sizeof(a));
	fmt_value(g->kind[s], 0, to, lt, b, sizeof(b));
	bool neq = nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP) == NFT_RANGE_NEQ;
	say(v, "%s %s%s-%s", lab, neq ? "!= " : "", a, b);
	if (!reg_known(g, s, lf))
		return X_UNKNOWN;
	bool in = memcmp(&g->d[s * 4], from, lf) >= 0 && memcmp(&g->d[s * 4], to, lf) <= 0;
	return in != neq ? X_MATCH : X_NOMATCH;
}

static int x_bitwise(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG), len);
	int d = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG), len);
	if (s < 0 || d < 0)
		return X_UNKNOWN;
	if (nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) && nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL) {
		reg_store(g, d, NULL, len, false, XK_RAW, g->label[s]);
		say(v, "(shift)");
		return X_UNKNOWN;
	}
	uint32_t ml = 0, xl = 0;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &ml);
	const uint8_t *xr = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xl);
	if (!mask || ml < len || (xr && xl < len))
		return X_UNKNOWN;
	bool known = reg_known(g, s, len);
	uint8_t out[FW_X_KEY_MAX];
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)((g->d[s * 4 + i] & mask[i]) ^ (xr ? xr[i] : 0));
	enum xkind k = g->kind[s];
	char lab[40];
	snprintf(lab, sizeof(lab), "%s", g->label[s]);
	reg_store(g, d, out, len, known, k, lab);
	if (len == 4)
		memcpy(&g->mask[d], mask, 4);
	return X_MATCH;
}

/* a key in an interval set: the last boundary at or below it opens a range */
static const struct fw__xelem *interval_find(const struct fw__xset *s, const uint8_t *key, uint32_t len)
{
	const struct fw__xelem *best = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct fw__xelem *e = &s->e[i];
		if (e->klen != len || memcmp(e->key, key, len) > 0)
			continue;
		if (!best || memcmp(e->key, best->key, len) > 0 ||
		    (!memcmp(e->key, best->key, len) && !(e->flags & NFT_SET_ELEM_INTERVAL_END)))
			best = e;
	}
	return best && !(best->flags & NFT_SET_ELEM_INTERVAL_END) ? best : NULL;
}

static int x_lookup(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
	struct fw__xset *set = name ? fw__xrs_set(v->x, v->family, v->table, name) : NULL;
	if (!set) {
		say(v, "@%s(unreadable)", name ?: "?");
		return X_UNKNOWN;
	}
	int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), set->klen);
	if (s < 0)
		return X_UNKNOWN;
	bool inv = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
		   (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV);
	bool anon = !strncmp(set->name, "__set", 5) || !strncmp(set->name, "__map", 5);
	char lab[96];
	reg_labels(g, s, set->klen, lab, sizeof(lab));
	bool is_map = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG);
	bool vmap = is_map && nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT;
	if (anon)
		say(v, "%s %s%s{ %zu elements }%s", lab, inv ? "!= " : "", vmap ? "vmap " : is_map ? "map " : "", set->n,
		    vmap ? " ->" : "");
	else
		say(v, "%s %s%s%s%s", lab, inv ? "!= " : "", vmap ? "vmap @" : is_map ? "map @" : "@", set->name,
		    vmap ? " ->" : "");
	const uint8_t *key = &g->d[s * 4];
	if (!reg_known(g, s, set->klen)) {
		/* part of the key is unknown (th dport of an ICMP packet): the
		 * known parts may still rule every element out */
		if (set->flags & NFT_SET_INTERVAL)
			return X_UNKNOWN;
		for (size_t i = 0; i < set->n; i++) {
			bool may = set->e[i].klen == set->klen;
			for (uint32_t b = 0; may && b < set->klen; b++)
				may = !g->known[s + b / 4] || set->e[i].key[b] == key[b];
			if (may)
				return X_UNKNOWN;
		}
		return inv ? X_MATCH : X_NOMATCH;
	}
	const struct fw__xelem *hit = NULL;
	bool ranges = false;
	for (size_t i = 0; i < set->n; i++)
		ranges |= set->e[i].kelen > 0;
	if (ranges) {
		say(v, "(ranges of a concatenation)");
		return X_UNKNOWN;
	}
	if (set->flags & NFT_SET_INTERVAL) {
		hit = interval_find(set, key, set->klen);
	} else {
		for (size_t i = 0; i < set->n && !hit; i++)
			if (set->e[i].klen == set->klen && !memcmp(set->e[i].key, key, set->klen))
				hit = &set->e[i];
	}
	if (!is_map)
		return (hit != NULL) != inv ? X_MATCH : X_NOMATCH;
	if (!hit)
		return X_NOMATCH;
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG);
	char kv[96];
	fmt_value(g->kind[s], 0, key, set->klen, kv, sizeof(kv));
	if (dreg == NFT_REG_VERDICT) {
		if (!hit->has_verdict)
			return X_UNKNOWN;
		v->verdict = hit->verdict;
		snprintf(v->target, sizeof(v->target), "%s", hit->chain);
		return X_VERDICT;
	}
	int d = reg_slot(dreg, set->dlen ? set->dlen : hit->dlen);
	if (d < 0 || !hit->dlen)
		return X_UNKNOWN;
	reg_store(g, d, hit->data, hit->dlen, true, XK_RAW, "map value");
	snprintf(v->nat_via, sizeof(v->nat_via), "element of map %s %s %s", fw__family_name(set->family), set->table,
		 set->name);
	return X_MATCH;
}

static int x_nat(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	uint32_t type = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE);
	v->nat = type == NFT_NAT_DNAT ? ND_FW_NAT_DNAT : ND_FW_NAT_SNAT;
	memset(v->nat_addr, 0, sizeof(v->nat_addr));
	v->nat_port = 0;
	size_t alen = v->pkt.family == AF_INET6 ? 16 : 4;
	bool known = true;
	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN)) {
		int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN), (uint32_t)alen);
		if (s < 0 || !reg_known(g, s, (uint32_t)alen))
			known = false;
		else
			memcpy(v->nat_addr, &g->d[s * 4], alen);
	}
	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN)) {
		int s = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN), 2);
		if (s < 0 || !reg_known(g, s, 2))
			known = false;
		else
			v->nat_port = ntohs(*(const uint16_t *)&g->d[s * 4]);
	}
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(v->pkt.family, v->nat_addr, a, sizeof(a));
	if (v->nat_port)
		say(v, "%s to %s%s%s:%u", type == NFT_NAT_DNAT ? "dnat" : "snat", v->pkt.family == AF_INET6 ? "[" : "", a,
		    v->pkt.family == AF_INET6 ? "]" : "", v->nat_port);
	else
		say(v, "%s to %s", type == NFT_NAT_DNAT ? "dnat" : "snat", a);
	v->verdict = NF_ACCEPT;
	return known ? X_VERDICT : X_UNKNOWN;
}

static void x_verdict_text(struct xeval *v)
{
	switch (v->verdict) {
	case NF_ACCEPT: if (!v->nat) say(v, "accept"); break;
	case NF_DROP: say(v, "drop"); break;
	case NFT_JUMP: say(v, "jump %s", v->target); break;
	case NFT_GOTO: say(v, "goto %s", v->target); break;
	case NFT_RETURN: say(v, "return"); break;
	default: break;
	}
}

/* One expression. */
static int x_expr(struct xeval *v, struct nftnl_expr *e, struct xregs *g)
{
	const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME) ?: "";
	if (!strcmp(n, "payload"))
		return x_payload(v, e, g);
	if (!strcmp(n, "meta"))
		return x_meta(v, e, g);
	if (!strcmp(n, "cmp"))
		return x_cmp(v, e, g);
	if (!strcmp(n, "lookup"))
		return x_lookup(v, e, g);
	if (!strcmp(n, "bitwise"))
		return x_bitwise(v, e, g);
	if (!strcmp(n, "ct"))
		return x_ct(v, e, g);
	if (!strcmp(n, "fib"))
		return x_fib(v, e, g);
	if (!strcmp(n, "range"))
		return x_range(v, e, g);
	if (!strcmp(n, "nat"))
		return x_nat(v, e, g);
	if (!strcmp(n, "counter")) {
		v->has_counter = true;
		v->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		v->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
		say(v, "counter packets %" PRIu64 " bytes %" PRIu64, v->packets, v->bytes);
		return X_MATCH;
	}
	if (!strcmp(n, "immediate")) {
		uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG);
		if (dreg == NFT_REG_VERDICT) {
			v->verdict = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
			snprintf(v->target, sizeof(v->target), "%s", nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) ?: "");
			return X_VERDICT;
		}
		uint32_t len = 0;
		const void *d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		int s = reg_slot(dreg, len);
		if (s >= 0)
			reg_store(g, s, d, len, d != NULL, XK_RAW, "");
		return X_MATCH;
	}
	if (!strcmp(n, "masq")) {
		v->nat = ND_FW_NAT_MASQ;
		say(v, "masquerade");
		v->verdict = NF_ACCEPT;
		return X_VERDICT;
	}
	if (!strcmp(n, "reject")) {
		say(v, "reject");
		v->verdict = NF_DROP;
		return X_VERDICT;
	}
	if (!strcmp(n, "log") || !strcmp(n, "notrack") || !strcmp(n, "objref"))
		return X_MATCH;
	if (!strcmp(n, "match")) {
		const char *mt = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME) ?: "?";
		if (!strcmp(mt, "comment"))
			return X_MATCH;
		say(v, "-m %s", mt);
		return X_UNKNOWN;
	}
	say(v, "%s(...)", n);
	return X_UNKNOWN;
}

static void hit_fill(struct xeval *v, struct nftnl_rule *r, const char *chain, int verdict,
		     struct nd_fw_rule_hit *h)
{
	memset(h, 0, sizeof(*h));
	h->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	snprintf(h->chain, sizeof(h->chain), "%s", chain);
	snprintf(h->text, sizeof(h->text), "%s", v->text);
	const char *c = fw__rule_comment(r);
	if (c)
		snprintf(h->comment, sizeof(h->comment), "%s", c);
	h->has_counter = v->has_counter;
	h->packets = v->packets;
	h->bytes = v->bytes;
	h->unknown = v->unknown;
	h->verdict = verdict;
}

/* Evaluates chain c; returns ND_FW_ACCEPT / _DROP / _UNKNOWN, or 2 when
 * the chain ended without a verdict (return to the caller / policy). */
static int x_chain(struct xeval *v, struct fw__xchain *c)
{
	if (++v->depth > X_MAX_DEPTH) {
		v->depth--;
		return ND_FW_UNKNOWN;
	}
	int result = 2;
	for (size_t i = 0; i < c->n && result == 2; i++) {
		struct nftnl_rule *r = c->rules[i];
		struct xregs g;
		memset(&g, 0, sizeof(g));
		v->tlen = 0;
		v->text[0] = '\0';
		v->unknown = false;
		v->has_counter = false;
		v->verdict = NFT_CONTINUE;
		v->nat = ND_FW_NAT_NONE;
		v->nat_via[0] = '\0';
		bool matched = true, verdict = false;
		struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
		if (!it) {
			result = ND_FW_UNKNOWN;
			break;
		}
		for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
			int x = x_expr(v, e, &g);
			if (x == X_NOMATCH) {
				matched = false;
				break;
			}
			if (x == X_UNKNOWN)
				v->unknown = true;
			if (x == X_VERDICT) {
				verdict = true;
				break;
			}
		}
		nftnl_expr_iter_destroy(it);
		if (!matched)
			continue;
		if (verdict)
			x_verdict_text(v);
		int vd = !verdict ? 2 : v->verdict == NF_ACCEPT ? ND_FW_ACCEPT : v->verdict == NF_DROP ? ND_FW_DROP : 2;
		struct nd_fw_chain_eval *o = v->out;
		if (o->nhits < ND_FW_MAX_HITS)
			hit_fill(v, r, c->name, vd, &o->hits[o->nhits++]);
		if (!verdict)
			continue;
		if (v->unknown) {
			/* a verdict that depends on something we cannot evaluate */
			hit_fill(v, r, c->name, ND_FW_UNKNOWN, &o->decided);
			result = ND_FW_UNKNOWN;
			break;
		}
		if (v->verdict == NF_ACCEPT || v->verdict == NF_DROP) {
			hit_fill(v, r, c->name, vd, &o->decided);
			if (v->nat) {
				o->nat = v->nat;
				memcpy(o->nat_addr, v->nat_addr, sizeof(o->nat_addr));
				o->nat_port = v->nat_port;
				snprintf(o->nat_via, sizeof(o->nat_via), "%s", v->nat_via[0] ? v->nat_via : v->text);
			}
			result = vd;
			break;
		}
		if (v->verdict == NFT_RETURN)
			break;
		if (v->verdict == NFT_JUMP || v->verdict == NFT_GOTO) {
			struct fw__xchain *t = fw__xrs_chain(v->x, c->family, c->table, v->target);
			if (!t) {
				result = ND_FW_UNKNOWN;
				break;
			}
			bool go = v->verdict == NFT_GOTO;
			int sub = x_chain(v, t);
			if (sub != 2 || go) {
				result = sub; /* a goto does not come back: 2 falls to the base chain's policy */
				break;
			}
		}
	}
	v->depth--;
	return result;
}

int fw__xchain_eval(struct fw__xrs *x, struct fw__xchain *c, const struct nd_fw_pkt *pkt, struct nd_fw_chain_eval *out)
{
	struct xeval v = { .x = x, .pkt = *pkt, .out = out, .family = c->family, .table = c->table };
	return x_chain(&v, c);
}
