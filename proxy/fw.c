// SPDX-License-Identifier: Apache-2.0
/* proxy: the public firewall API (proxy.h) on top of batches (fw_batch.c)
 * and the ruleset (fw_ruleset.c). */
#include "proxy/fw_internal.h"

#include <arpa/inet.h>
#include <time.h>
#include <net/if.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>

int nd_fw_open(const char *table, struct nd_fw **out, struct nd_error *err)
{
	*out = NULL;
	if (!table)
		table = ND_FW_TABLE_DEFAULT;
	size_t tl = strlen(table);
	if (tl == 0 || tl >= NFT_TABLE_MAXNAMELEN)
		return nd_error_set(err, -EINVAL, "nftables: invalid table name \"%s\"", table);
	struct nd_fw *fw = calloc(1, sizeof(*fw));
	if (!fw)
		return nd_error_set(err, -ENOMEM, "nftables: out of memory");
	memcpy(fw->table, table, tl + 1);
	fw->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!fw->nl) {
		int e = -errno;
		free(fw);
		return nd_error_set(err, e, "nftables: open netlink socket: %s", strerror(-e));
	}
	if (mnl_socket_bind(fw->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;
		nd_fw_free(fw);
		return nd_error_set(err, e, "nftables: bind netlink socket: %s", strerror(-e));
	}
	int on = 1;
	/* errors carry the kernel's text, and do not echo our (large) request */
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	fw->portid = mnl_socket_get_portid(fw->nl);
	fw->seq = (uint32_t)time(NULL);
	*out = fw;
	return 0;
}

void nd_fw_free(struct nd_fw *fw)
{
	if (!fw)
		return;
	if (fw->nl)
		mnl_socket_close(fw->nl);
	free(fw);
}

const char *nd_fw_table(const struct nd_fw *fw) { return fw->table; }

void fw__set_extra(struct nd_fw *fw, void (*build)(struct fw__batch *, const char *, void *), void *data)
{
	fw->extra_build = build;
	fw->extra_data = data;
}

/* Reserve a range of sequence numbers for one batch. */
void fw__batch_start(struct nd_fw *fw, struct fw__batch *b)
{
	fw__batch_init(b, fw->seq);
}

int fw__batch_finish(struct nd_fw *fw, struct fw__batch *b, struct nd_error *err)
{
	fw__batch_end(b);
	fw->seq = b->seq_next;
	int r = fw__batch_send(fw, b, err);
	fw__batch_done(b);
	return r;
}

/* ---- validation ---------------------------------------------------------------- */

static int cidr_valid(const char *s)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return 0;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	unsigned char buf[16];
	int max;
	if (inet_pton(AF_INET, addr, buf) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		max = 128;
	else
		return 0;
	char *end;
	errno = 0;
	long p = strtol(slash + 1, &end, 10);
	return slash[1] && !*end && !errno && p >= 0 && p <= max;
}

static bool ifname_valid(const char *s)
{
	size_t l = s ? strlen(s) : 0;
	if (l == 0 || l >= IFNAMSIZ)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return false;
	return strcmp(s, ".") && strcmp(s, "..");
}

int nd_fw_network_validate(const struct nd_fw_network *n, struct nd_error *err)
{
	if (!n || !ifname_valid(n->bridge))
		return nd_error_set(err, -EINVAL, "firewall: invalid bridge name \"%s\"",
				    n && n->bridge ? n->bridge : "");
	if (n->nsubnets < 0 || n->nsubnets > ND_FW_MAX_SUBNETS)
		return nd_error_set(err, -EINVAL, "firewall: bridge %s: %d subnets (at most %d)", n->bridge,
				    n->nsubnets, ND_FW_MAX_SUBNETS);
	for (int i = 0; i < n->nsubnets; i++)
		if (!n->subnets[i] || !cidr_valid(n->subnets[i]))
			return nd_error_set(err, -EINVAL, "firewall: bridge %s: invalid subnet \"%s\"", n->bridge,
					    n->subnets[i] ? n->subnets[i] : "");
	return 0;
}

/* ---- elements ------------------------------------------------------------------ */

static bool network_in(const struct nd_fw_network *n, enum fw__set s)
{
	switch (s) {
	case FW_SET_BRIDGES:
	case FW_SET_SELF:
		return true;
	case FW_SET_MASQ:
		return !n->internal && n->masquerade;
	case FW_SET_INTERNAL:
		return n->internal;
	case FW_SET_NOICC:
		return !n->icc;
	default:
		return false;
	}
}

/* Other tables' drop-policy forward chains follow our set of bridges; a
 * failure there does not undo the network (the reconcile timer retries). */
static void foreign_best_effort(struct nd_fw *fw)
{
	struct nd_error e = { 0 };
	if (nd_fw_foreign_sync(fw, true, NULL, &e) < 0)
		log_warn("%s", e.msg);
}

/* add: put n in its sets; del: take it out of all. Absence is made certain
 * with add+delete in the same transaction, so a missing element never fails
 * the batch (works on every kernel; DESTROYSETELEM needs 6.3). */
static void network_elems(struct fw__batch *b, const char *table, const struct nd_fw_network *n, bool add)
{
	const char *br[1] = { n->bridge };
	for (int s = 0; s < FW_SET_COUNT; s++) {
		fw__elems(b, table, (enum fw__set)s, FW_ELEM_ADD, br, 1);
		if (!add || !network_in(n, (enum fw__set)s))
			fw__elems(b, table, (enum fw__set)s, FW_ELEM_DEL, br, 1);
	}
}

int nd_fw_network_add(struct nd_fw *fw, const struct nd_fw_network *n, struct nd_error *err)
{
	int r = nd_fw_network_validate(n, err);
	if (r < 0)
		return r;
	struct fw__batch b;
	fw__batch_start(fw, &b);
	network_elems(&b, fw->table, n, true);
	r = fw__batch_finish(fw, &b, err);
	if (r < 0)
		return nd_error_wrap(err, "firewall: add network on %s", n->bridge);
	log_debug("firewall: network added bridge=%s internal=%d icc=%d masquerade=%d", n->bridge, n->internal,
		  n->icc, n->masquerade);
	foreign_best_effort(fw);
	return 0;
}

int nd_fw_network_del(struct nd_fw *fw, const struct nd_fw_network *n, struct nd_error *err)
{
	if (!n || !ifname_valid(n->bridge))
		return nd_error_set(err, -EINVAL, "firewall: invalid bridge name \"%s\"",
				    n && n->bridge ? n->bridge : "");
	struct fw__batch b;
	fw__batch_start(fw, &b);
	network_elems(&b, fw->table, n, false);
	int r = fw__batch_finish(fw, &b, err);
	if (r == -ENOENT && !nd_fw_present(fw))
		return 0; /* no table, no elements: the intent holds */
	if (r < 0)
		return nd_error_wrap(err, "firewall: delete network on %s", n->bridge);
	foreign_best_effort(fw);
	return 0;
}

int nd_fw_sync(struct nd_fw *fw, const struct nd_fw_network *nets, size_t n, struct nd_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = nd_fw_network_validate(&nets[i], err);
		if (r < 0)
			return r;
	}
	const char **names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return nd_error_set(err, -ENOMEM, "firewall: out of memory");
	struct fw__batch b;
	fw__batch_start(fw, &b);
	fw__ruleset_build(&b, fw->table, true);
	for (int s = 0; s < FW_SET_COUNT; s++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (network_in(&nets[i], (enum fw__set)s))
				names[k++] = nets[i].bridge;
		if (k)
			fw__elems(&b, fw->table, (enum fw__set)s, FW_ELEM_ADD, names, k);
	}
	free(names);
	if (fw->extra_build)
		fw->extra_build(&b, fw->table, fw->extra_data);
	int r = fw__batch_finish(fw, &b, err);
	if (r < 0)
		return nd_error_wrap(err, "firewall: sync %zu networks", n);
	log_debug("firewall: synced table=%s networks=%zu", fw->table, n);
	foreign_best_effort(fw);
	return 0;
}

/* ---- presence: one dump of our table's rules ----------------------------------- */

struct rule_count {
	unsigned per_chain[8];
	bool foreign; /* a rule without our tag */
};

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*(const char **)data = nftnl_udata_get(attr);
	return 0;
}

struct nftnl_rule *fw__rule_parse(const struct nlmsghdr *nlh, int *err)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		*err = -EINVAL;
		return NULL;
	}
	return r;
}

struct nftnl_chain *fw__chain_parse(const struct nlmsghdr *nlh, int *err)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		*err = -EINVAL;
		return NULL;
	}
	return c;
}

const char *fw__rule_comment(const struct nftnl_rule *r)
{
	const char *comment = NULL;
	uint32_t ulen = 0;
	const void *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);
	if (ud)
		nftnl_udata_parse(ud, ulen, comment_cb, &comment);
	return comment;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_count *rc = data;
	int e = 0;
	struct nftnl_rule *r = fw__rule_parse(nlh, &e);
	if (!r)
		return e;
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	const char *comment = fw__rule_comment(r);
	if (!comment || !nd_str_has_prefix(comment, FW_RULE_TAG))
		rc->foreign = true;
	for (size_t i = 0; chain && i < fw__nchains; i++)
		if (!strcmp(chain, fw__chains[i].name))
			rc->per_chain[i]++;
	nftnl_rule_free(r);
	return 0;
}

static bool ruleset_complete(struct nd_fw *fw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return false;
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETRULE, FW_FAMILY);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, fw->table);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	struct rule_count rc = { 0 };
	struct nd_error err;
	if (fw__dump(fw, nlh, rule_cb, &rc, &err) < 0)
		return false; /* ENOENT: no table */
	if (rc.foreign)
		return false;
	for (size_t i = 0; i < fw__nchains; i++)
		if (rc.per_chain[i] != fw__chains[i].nrules)
			return false;
	return true;
}

bool nd_fw_present(struct nd_fw *fw)
{
	return ruleset_complete(fw);
}

int nd_fw_ensure(struct nd_fw *fw, struct nd_error *err)
{
	if (ruleset_complete(fw))
		return 0;
	struct fw__batch b;
	fw__batch_start(fw, &b);
	fw__ruleset_build(&b, fw->table, false);
	int r = fw__batch_finish(fw, &b, err);
	if (r < 0)
		return nd_error_wrap(err, "firewall: ensure table inet %s", fw->table);
	log_debug("firewall: table inet %s (re)built", fw->table);
	return 0;
}
