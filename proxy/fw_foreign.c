// SPDX-License-Identifier: Apache-2.0
/* proxy: other firewalls on the forward hook.
 *
 * Every base chain on a hook must accept a packet for it to pass: a forward
 * chain with `policy drop` in another table — iptables-nft's `ip filter
 * FORWARD` after Docker, ufw or an admin ran `iptables -P FORWARD DROP`, or an
 * nft table of the admin's — drops netd's forwarded traffic, published ports
 * included, whatever our own table accepts.
 *
 * The same holds for a chain whose policy is accept but whose last rule is
 * an unconditional reject or drop, which is how firewalld ends its forward
 * chain.
 *
 * nd_fw_foreign_sync() answers the default, not the owner's rules: for every
 * netd bridge it appends to each such chain (or, where the chain ends in an
 * unconditional reject/drop, inserts right before that rule)
 *
 *     iifname "BR" counter accept comment "netd: out of BR"
 *     oifname "BR" counter accept comment "netd: into BR"
 *
 * which is what `iptables -A FORWARD -i BR -m comment ... -j ACCEPT` writes,
 * so iptables-nft lists, saves and deletes them like its own. Appended, they
 * come after the owner's rules: an explicit drop or reject of theirs still
 * wins; only the default verdict is answered. Our own forward chain still
 * decides for netd traffic (isolation, internal networks, no direct routing
 * into a bridge). Rules are removed when their bridge goes or the chain's
 * policy is no longer drop, and put back when someone flushes the chain.
 * They are recognised by their comment alone, kept either as nftables
 * userdata or, after an iptables-save/restore, as iptables' comment match.
 * A rule of ours is never edited in place and no other rule is touched.
 *
 * Legacy (x_tables) iptables cannot be changed through nftables; its
 * FORWARD policy is read with getsockopt and reported, nothing more. */
#include "proxy/fw_internal.h"

#include <net/if.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#define TAG_OUT "netd: out of "
#define TAG_IN "netd: into "
#define MAX_BRIDGES 4096

struct fchain {
	uint32_t family;
	char table[NFT_TABLE_MAXNAMELEN];
	char name[NFT_CHAIN_MAXNAMELEN];
	bool drop;            /* policy drop, or ends in an unconditional drop/reject */
	bool last_deny;       /* (while reading) the last rule so far is one */
	uint64_t last_handle; /* (while reading) its handle */
	uint64_t before;      /* insert our rules before this rule (0: append) */
};

struct ours {                 /* one rule of ours found in a foreign chain */
	size_t chain;         /* index in scan.chains */
	uint64_t handle;
	bool in;              /* oifname (into the bridge) */
	char bridge[IFNAMSIZ];
};

struct scan {
	const char *table;    /* our table */
	struct fchain *chains;
	size_t nchains, cap;
	struct ours *rules;
	size_t nrules, rcap;
	char (*bridges)[IFNAMSIZ];
	size_t nbridges;
	size_t cur;           /* chain whose rules are being read */
	bool own_table;       /* a chain of our table was seen */
};

/* ---- our bridges: the elements of set `bridges` --------------------------------- */

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct scan *s = data;
	uint32_t len = 0;
	const char *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (!key || !len || s->nbridges >= MAX_BRIDGES)
		return 0;
	char (*nb)[IFNAMSIZ] = realloc(s->bridges, (s->nbridges + 1) * sizeof(*nb));
	if (!nb)
		return -1;
	s->bridges = nb;
	size_t l = strnlen(key, len < IFNAMSIZ ? len : IFNAMSIZ - 1);
	memcpy(nb[s->nbridges], key, l);
	nb[s->nbridges][l] = '\0';
	s->nbridges++;
	return 0;
}

static int read_bridges(struct nd_fw *fw, struct scan *s, struct nd_error *err)
{
	return fw__dump_set_elems(fw, FW_FAMILY, fw->table, fw__sets[FW_SET_BRIDGES].name, elem_cb, s, err);
}

/* ---- foreign forward base chains -------------------------------------------------- */

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	int e = 0;
	struct nftnl_chain *c = fw__chain_parse(nlh, &e);
	if (!c)
		return e;
	uint32_t fam = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	bool ours = fam == FW_FAMILY && table && !strcmp(table, s->table);
	int r = 0;
	s->own_table |= ours;
	if (!ours && table && name && (fam == NFPROTO_IPV4 || fam == NFPROTO_IPV6 || fam == NFPROTO_INET) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD) {
		if (s->nchains == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 4;
			struct fchain *n = realloc(s->chains, cap * sizeof(*n));
			if (!n) {
				nftnl_chain_free(c);
				return -ENOMEM;
			}
			s->chains = n;
			s->cap = cap;
		}
		struct fchain *f = &s->chains[s->nchains++];
		memset(f, 0, sizeof(*f));
		f->family = fam;
		snprintf(f->table, sizeof(f->table), "%s", table);
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->drop = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
			  nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
	}
	nftnl_chain_free(c);
	return r;
}

/* ---- our rules inside one of them --------------------------------------------------- */

/* iptables-restore writes `-m comment` as an xt match */
static int xt_comment_cb(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	if (!name || strcmp(name, "match"))
		return 0;
	const char *mt = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
	uint32_t len = 0;
	const struct xt_comment_info *ci = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);
	if (mt && !strcmp(mt, "comment") && ci && len >= sizeof(*ci))
		*(const char **)data = ci->comment;
	return 0;
}

/* A rule made only of counter/log and a final reject or drop: what
 * firewalld ends its forward chain with instead of a drop policy. */
struct deny_scan {
	bool other;     /* an expression that matches something */
	bool deny;      /* the last expression is reject / immediate drop */
};

static int deny_cb(struct nftnl_expr *e, void *data)
{
	struct deny_scan *d = data;
	const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	d->deny = false;
	if (!n)
		d->other = true;
	else if (!strcmp(n, "reject"))
		d->deny = true;
	else if (!strcmp(n, "immediate"))
		d->deny = nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT) &&
			  nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == (uint32_t)NF_DROP;
	else if (!strcmp(n, "target")) /* iptables-nft's -j REJECT (RHEL's classic last rule) */
		d->deny = !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME) ?: "", "REJECT");
	else if (!strcmp(n, "match")) /* -m comment matches everything; other matches match something */
		d->other |= strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME) ?: "", "comment") != 0;
	else if (strcmp(n, "counter") && strcmp(n, "log"))
		d->other = true;
	return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	int e = 0;
	struct nftnl_rule *r = fw__rule_parse(nlh, &e);
	if (!r)
		return e;
	const char *comment = fw__rule_comment(r);
	struct deny_scan d = { 0 };
	nftnl_expr_foreach(r, deny_cb, &d);
	s->chains[s->cur].last_deny = d.deny && !d.other;
	s->chains[s->cur].last_handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	char xt[XT_MAX_COMMENT_LEN];
	if (!comment) {
		const char *c = NULL;
		nftnl_expr_foreach(r, xt_comment_cb, &c);
		if (c) {
			snprintf(xt, sizeof(xt), "%.*s", (int)sizeof(xt) - 1, c);
			comment = xt;
		}
	}
	const char *br = NULL;
	bool in = false;
	if (comment && nd_str_has_prefix(comment, TAG_OUT))
		br = comment + strlen(TAG_OUT);
	else if (comment && nd_str_has_prefix(comment, TAG_IN))
		br = comment + strlen(TAG_IN), in = true;
	int rc = 0;
	if (br && *br && strlen(br) < IFNAMSIZ) {
		if (s->nrules == s->rcap) {
			size_t cap = s->rcap ? s->rcap * 2 : 8;
			struct ours *n = realloc(s->rules, cap * sizeof(*n));
			if (!n)
				rc = -ENOMEM;
			else
				s->rules = n, s->rcap = cap;
		}
		if (!rc) {
			struct ours *o = &s->rules[s->nrules++];
			o->chain = s->cur;
			o->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			o->in = in;
			snprintf(o->bridge, sizeof(o->bridge), "%s", br);
		}
	}
	nftnl_rule_free(r);
	return rc;
}

static int read_rules(struct nd_fw *fw, struct scan *s, const struct fchain *c, struct nd_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return nd_error_set(err, -ENOMEM, "nftables: out of memory");
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name);
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETRULE, c->family);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return fw__dump(fw, nlh, rule_cb, s, err);
}

/* ---- changes ------------------------------------------------------------------------ */

static struct nftnl_rule *foreign_rule(const struct fchain *c)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, c->family);
	return r;
}

static void put_accept(struct fw__batch *b, const struct fchain *c, const char *bridge, bool in)
{
	struct nftnl_rule *r = foreign_rule(c);
	if (!r) {
		b->err = -ENOMEM;
		return;
	}
	fw__add_meta(r, in ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1);
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, bridge, (uint32_t)strlen(bridge) + 1); /* exact name */
	nftnl_rule_add_expr(r, e);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
	e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	nftnl_rule_add_expr(r, e);

	char comment[64];
	snprintf(comment, sizeof(comment), "%s%s", in ? TAG_IN : TAG_OUT, bridge);
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(sizeof(comment) + 8);
	if (ud) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	/* appended, or inserted before the chain's final deny rule */
	if (c->before)
		nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, c->before);
	struct nlmsghdr *nlh = fw__batch_hdr(b, 4096, NFT_MSG_NEWRULE, (uint16_t)c->family,
					     NLM_F_CREATE | (c->before ? 0 : NLM_F_APPEND), "%s rule %s %s %s \"%s\"",
					     c->before ? "insert" : "add", fw__family_name(c->family), c->table, c->name,
					     comment);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw__batch_put(b, nlh);
	}
	nftnl_rule_free(r);
}

static void put_delete(struct fw__batch *b, const struct fchain *c, const struct ours *o)
{
	struct nftnl_rule *r = foreign_rule(c);
	if (!r) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, o->handle);
	struct nlmsghdr *nlh = fw__batch_hdr(b, 1024, NFT_MSG_DELRULE, (uint16_t)c->family, 0,
					     "delete rule %s %s %s handle %llu (\"%s%s\")",
					     fw__family_name(c->family), c->table, c->name,
					     (unsigned long long)o->handle, o->in ? TAG_IN : TAG_OUT, o->bridge);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw__batch_put(b, nlh);
	}
	nftnl_rule_free(r);
}

/* Appends to b what chain c needs (s->rules holds its rules of ours);
 * counts what is kept/added/removed. */
static void plan_chain(struct fw__batch *b, const struct scan *s, size_t ci, struct nd_fw_foreign *out)
{
	const struct fchain *c = &s->chains[ci];
	bool *have = calloc(s->nbridges * 2 + 1, sizeof(*have)); /* [bridge*2 + in] */
	if (!have) {
		b->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < s->nrules; i++) {
		const struct ours *o = &s->rules[i];
		if (o->chain != ci)
			continue;
		size_t k = s->nbridges;
		for (size_t j = 0; j < s->nbridges; j++)
			if (!strcmp(s->bridges[j], o->bridge))
				k = j;
		bool keep = c->drop && k < s->nbridges && !have[k * 2 + o->in];
		if (keep) {
			have[k * 2 + o->in] = true;
			out->rules++;
		} else {
			put_delete(b, c, o);
			out->removed++;
		}
	}
	if (c->drop)
		for (size_t j = 0; j < s->nbridges; j++)
			for (int in = 0; in < 2; in++)
				if (!have[j * 2 + (size_t)in]) {
					put_accept(b, c, s->bridges[j], in);
					out->added++;
					out->rules++;
				}
	free(have);
}

/* ---- legacy iptables (read only) ----------------------------------------------------- */

static bool legacy_has_filter(const char *names_file)
{
	FILE *f = fopen(names_file, "re");
	if (!f)
		return false;
	char line[64];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, "filter\n") || !strcmp(line, "filter");
	fclose(f);
	return found;
}

/* 1: the legacy filter table's FORWARD policy is DROP; 0: not (or no table). */
static int legacy_forward_drop(int family)
{
	if (!legacy_has_filter(family == AF_INET ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names"))
		return 0; /* asking for a table that is not there would load a module */
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return 0;
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	/* ipt_* and ip6t_* info/get_entries share their layout up to the entries */
	struct ipt_getinfo info = { .name = "filter" };
	socklen_t l = sizeof(info);
	int drop = 0;
	if (getsockopt(fd, level, family == AF_INET ? IPT_SO_GET_INFO : IP6T_SO_GET_INFO, &info, &l) < 0 ||
	    !(info.valid_hooks & (1u << NF_INET_FORWARD))) {
		close(fd);
		return 0;
	}
	socklen_t sz = (socklen_t)(sizeof(struct ipt_get_entries) + info.size);
	struct ipt_get_entries *ge = calloc(1, sz);
	if (ge) {
		snprintf(ge->name, sizeof(ge->name), "filter");
		ge->size = info.size;
		if (getsockopt(fd, level, family == AF_INET ? IPT_SO_GET_ENTRIES : IP6T_SO_GET_ENTRIES, ge, &sz) == 0 &&
		    info.underflow[NF_INET_FORWARD] < info.size) {
			const char *entry = (const char *)ge->entrytable + info.underflow[NF_INET_FORWARD];
			uint16_t toff = family == AF_INET ? ((const struct ipt_entry *)entry)->target_offset
							  : ((const struct ip6t_entry *)entry)->target_offset;
			if (info.underflow[NF_INET_FORWARD] + toff + sizeof(struct xt_standard_target) <= info.size) {
				const struct xt_standard_target *t = (const void *)(entry + toff);
				drop = t->verdict == -NF_DROP - 1;
			}
		}
		free(ge);
	}
	close(fd);
	return drop;
}

/* ---- the public call ------------------------------------------------------------------ */

static void where_add(char *where, size_t size, const char *what)
{
	size_t l = strlen(where);
	if (l + 2 + strlen(what) + 4 >= size) {
		if (l + 4 < size && !strstr(where, "..."))
			snprintf(where + l, size - l, ", ...");
		return;
	}
	snprintf(where + l, size - l, "%s%s", l ? ", " : "", what);
}

int nd_fw_foreign_sync(struct nd_fw *fw, bool apply, struct nd_fw_foreign *out, struct nd_error *err)
{
	struct nd_fw_foreign dummy;
	if (!out)
		out = &dummy;
	memset(out, 0, sizeof(*out));
	struct scan s = { .table = fw->table };
	int r;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETCHAIN, NFPROTO_UNSPEC);
	if ((r = fw__dump(fw, nlh, chain_cb, &s, err)) < 0) {
		nd_error_wrap(err, "firewall: list chains");
		goto out;
	}
	if (s.nchains && (r = read_bridges(fw, &s, err)) < 0) {
		/* without our table we do not know our bridges: change nothing */
		nd_error_wrap(err, "firewall: list bridges");
		goto out;
	}
	for (size_t i = 0; i < s.nchains; i++) {
		struct fchain *c = &s.chains[i];
		s.cur = i;
		if ((r = read_rules(fw, &s, c, err)) < 0) {
			if (r == -ENOENT) {
				c->drop = false; /* gone since the chain dump: nothing to do there */
				continue;
			}
			nd_error_wrap(err, "firewall: list rules of %s %s %s", fw__family_name(c->family), c->table, c->name);
			goto out;
		}
		bool by_rule = !c->drop && c->last_deny;
		if (c->last_deny) {
			/* appended rules would never be reached: go before it */
			c->drop = true;
			c->before = c->last_handle;
		}
		if (c->drop) {
			out->nchains++;
			char w[NFT_TABLE_MAXNAMELEN + NFT_CHAIN_MAXNAMELEN + 32];
			snprintf(w, sizeof(w), "%s %s %s%s", fw__family_name(c->family), c->table, c->name,
				 by_rule ? " (ends in an unconditional reject)" : "");
			where_add(out->where, sizeof(out->where), w);
		}
	}
	/* the batch's sequence numbers start after the dumps' */
	struct fw__batch b;
	fw__batch_start(fw, &b);
	for (size_t i = 0; i < s.nchains; i++)
		plan_chain(&b, &s, i, out);
	if (apply && (out->added || out->removed)) {
		r = fw__batch_finish(fw, &b, err);
		if (r < 0) {
			nd_error_wrap(err, "firewall: accept rules in other tables' forward chains");
			goto out;
		}
		log_info("firewall: forward chain%s that drop by default: %s; netd's accept rules there: %u (+%u, -%u)",
			 out->nchains == 1 ? "" : "s", out->nchains ? out->where : "none", out->rules, out->added,
			 out->removed);
	} else {
		fw__batch_done(&b);
		if (!apply) {
			/* report what is, not what would be */
			out->rules -= out->added;
			out->added = out->removed = 0;
		}
	}
	out->bridges = (unsigned)s.nbridges;
	if (legacy_forward_drop(AF_INET))
		where_add(out->legacy, sizeof(out->legacy), "iptables-legacy filter FORWARD");
	if (legacy_forward_drop(AF_INET6))
		where_add(out->legacy, sizeof(out->legacy), "ip6tables-legacy filter FORWARD");
	r = (int)out->nchains;
out:
	free(s.chains);
	free(s.rules);
	free(s.bridges);
	return r;
}

/* ---- removing everything (netd --cleanup) --------------------------------------------- */

/* our table, even without a chain left in it */
static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0) {
		const char *name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
		s->own_table |= nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == FW_FAMILY && name &&
				!strcmp(name, s->table);
	}
	nftnl_table_free(t);
	return 0;
}

int nd_fw_remove_all(struct nd_fw *fw, void (*report)(const char *line, void *data), void *data,
		     struct nd_error *err)
{
	struct scan s = { .table = fw->table };
	int r;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETCHAIN, NFPROTO_UNSPEC);
	if ((r = fw__dump(fw, nlh, chain_cb, &s, err)) < 0) {
		nd_error_wrap(err, "firewall: list chains");
		goto out;
	}
	nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETTABLE, FW_FAMILY);
	if ((r = fw__dump(fw, nlh, table_cb, &s, err)) < 0) {
		nd_error_wrap(err, "firewall: list tables");
		goto out;
	}
	for (size_t i = 0; i < s.nchains; i++) {
		s.cur = i;
		if ((r = read_rules(fw, &s, &s.chains[i], err)) < 0 && r != -ENOENT) {
			nd_error_wrap(err, "firewall: list rules of %s %s %s", fw__family_name(s.chains[i].family),
				      s.chains[i].table, s.chains[i].name);
			goto out;
		}
	}
	r = 0;
	if (!s.nrules && !s.own_table)
		goto out;
	/* one batch: every rule of ours in other tables (no bridge is kept),
	 * then our table with all it holds */
	struct fw__batch b;
	fw__batch_start(fw, &b);
	struct nd_fw_foreign f = { 0 };
	for (size_t i = 0; i < s.nchains; i++) {
		s.chains[i].drop = false; /* plan_chain adds nothing, removes all of ours */
		plan_chain(&b, &s, i, &f);
	}
	if (s.own_table) {
		struct nftnl_table *t = nftnl_table_alloc();
		if (!t) {
			fw__batch_done(&b);
			r = nd_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, fw->table);
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, FW_FAMILY);
		nlh = fw__batch_hdr(&b, 512, NFT_MSG_DELTABLE, FW_FAMILY, 0, "delete table inet %s", fw->table);
		if (nlh) {
			nftnl_table_nlmsg_build_payload(nlh, t);
			fw__batch_put(&b, nlh);
		}
		nftnl_table_free(t);
	}
	if ((r = fw__batch_finish(fw, &b, err)) < 0) {
		nd_error_wrap(err, "firewall: remove netd's rules and table");
		goto out;
	}
	for (size_t i = 0; report && i < s.nrules; i++) {
		const struct ours *o = &s.rules[i];
		const struct fchain *c = &s.chains[o->chain];
		char line[512];
		snprintf(line, sizeof(line), "nft rule %s %s %s handle %llu (comment \"%s%s\")", fw__family_name(c->family),
			 c->table, c->name, (unsigned long long)o->handle, o->in ? TAG_IN : TAG_OUT, o->bridge);
		report(line, data);
	}
	if (report && s.own_table) {
		char line[128];
		snprintf(line, sizeof(line), "nft table inet %s", fw->table);
		report(line, data);
	}
	r = (int)s.nrules + s.own_table;
out:
	free(s.chains);
	free(s.rules);
	free(s.bridges);
	return r;
}
