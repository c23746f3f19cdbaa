// SPDX-License-Identifier: Apache-2.0
/* netd/net: internals of netctl explain (not a public header). */
#pragma once

#include "netd/net/net.h"

#include "netd/core/job.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* One visit to a network namespace (explain_nl.c). */
struct ex_route {
	bool found;
	int err;                 /* positive errno: no route */
	char errmsg[160];
	uint8_t type;            /* RTN_UNICAST, RTN_LOCAL, ... */
	uint32_t table;
	int oif;
	char oifname[IFNAMSIZ];
	char gw[64], prefsrc[64];
};

struct ex_neigh {
	bool found;
	char addr[64];           /* the next hop asked for */
	char mac[18];
	char state[32];
};

struct ex_nsq {
	/* in */
	int family;
	uint8_t dst[16], src[16];
	bool has_src;
	char iif[IFNAMSIZ];      /* "" = a locally generated packet */
	uint8_t proto;
	uint16_t dport;
	bool want_route, want_neigh, want_listen;
	char want_ifindex[IFNAMSIZ]; /* "" or a name whose ifindex to find */
	/* out */
	struct ex_route rt;
	struct ex_neigh nb;
	bool listen_checked, listening;
	char listen_where[80];
	int ifindex;
};

/* netns_path NULL: the calling thread's namespace (netd's). Blocks. */
int ex_ns_query(const char *netns_path, struct ex_nsq *q, struct nd_error *err);

/* ---- the request (explain.c) and its walk (explain_walk.c) ------------------ */

enum ex_kind { EX_HOST = 0, EX_SANDBOX, EX_ADDR };

struct ex_end {
	enum ex_kind kind;
	char desc[200];
	char sandbox_id[ND_ID_LEN + 1];
	char netns[PATH_MAX];
	bool has_addr;
	int family;
	uint8_t addr[16];
	bool host_pending;           /* DST "host" seen from an outside address: found in the job */
};

struct ex_task {
	struct nd_job base;          /* first */
	net_explain_cb cb;
	void *data;
	/* copies of the records, owned by the task */
	struct nd_network_rec *nets;
	size_t nnets;
	struct nd_endpoint_list eps;
	struct nd_sandbox_list sbs;
	const struct nd_driver_ops **drv;   /* per network */
	struct ex_end src, dst;
	uint8_t proto;
	uint16_t port;
	char fw_table[64];
	char pin_dir[512];
	char cgroup[256];            /* where the eBPF programs act */
	bool userland;               /* the userland proxy publishes host ports */
	char exec_root[PATH_MAX];
	/* the job's */
	struct nd_fw *fw;
	struct nd_fw_ruleset *rs;    /* read once per walk: every hook sees the same rulesets */
	const struct nd_endpoint_rec *in_ep; /* the endpoint the packet came out of, into the host */
	struct net_explain ex;
	int rc;
	struct nd_error err;
	bool done;
	bool unread_bridge;          /* the bridge family has base chains explain cannot evaluate */
};

/* The walk, on the job's thread (explain_walk.c). */
void net__explain_walk(struct nd_job *j);

/* ---- helpers of both -------------------------------------------------------------- */

static inline size_t alen(int family) { return family == AF_INET6 ? 16 : 4; }

static inline const char *ntop(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* "172.18.0.2/16" or "172.18.0.2" -> bytes */
static inline bool addr_parse(const char *s, int *family, uint8_t out[16])
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	buf[strcspn(buf, "/")] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static inline const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMPV6 ? "icmpv6" : "icmp";
}

/* ---- records ---------------------------------------------------------------------------- */

static inline struct nd_endpoint_rec *ep_by_addr(struct ex_task *t, int family, const uint8_t *a, const char *network_id)
{
	for (size_t i = 0; i < t->eps.n; i++) {
		struct nd_endpoint_rec *ep = &t->eps.v[i];
		if (network_id && strcmp(ep->network_id, network_id))
			continue;
		int f;
		uint8_t b[16];
		const char *s = family == AF_INET6 ? ep->ipv6 : ep->ipv4;
		if (*s && addr_parse(s, &f, b) && f == family && !memcmp(a, b, alen(family)))
			return ep;
	}
	return NULL;
}

static inline struct nd_endpoint_rec *ep_by_ifname(struct ex_task *t, const char *sandbox_id, const char *ifname)
{
	for (size_t i = 0; i < t->eps.n; i++)
		if (!strcmp(t->eps.v[i].sandbox_id, sandbox_id) && !strcmp(t->eps.v[i].ifname, ifname))
			return &t->eps.v[i];
	return NULL;
}

static inline struct nd_sandbox_rec *sb_by_id(struct ex_task *t, const char *id)
{
	for (size_t i = 0; i < t->sbs.n; i++)
		if (!strcmp(t->sbs.v[i].id, id))
			return &t->sbs.v[i];
	return NULL;
}

static inline size_t net_index(struct ex_task *t, const char *id)
{
	for (size_t i = 0; i < t->nnets; i++)
		if (!strcmp(t->nets[i].id, id))
			return i;
	return t->nnets;
}

/* Is a (family) inside "ADDR/LEN"? */
static inline bool in_subnet(const char *cidr, int family, const uint8_t *a)
{
	int f;
	uint8_t net[16];
	const char *slash = strchr(cidr, '/');
	if (!slash || !addr_parse(cidr, &f, net) || f != family)
		return false;
	int len = atoi(slash + 1);
	if (len < 0 || (size_t)len > alen(family) * 8)
		return false;
	for (int i = 0; i < len; i++)
		if (((a[i / 8] ^ net[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}
