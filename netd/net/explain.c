// SPDX-License-Identifier: Apache-2.0
/* netctl explain: why a packet from SRC reaches DST (or not), hop by hop,
 * from the kernel's live state.
 *
 * On the loop thread, net_explain() resolves SRC and DST (a container
 * through hooks.resolve_target, a sandbox, "host", an address) against
 * copies of the records, then queues a job. The job walks the packet:
 *
 *   SRC a sandbox: the route its namespace picks for the packet's fields;
 *     the driver of the endpoint that route leaves through says what its
 *     network does with the frame (bridge: veth, port, FDB; macvlan: mode);
 *     a frame between two endpoints of one bridge passes the forward hook
 *     when br_netfilter is on; a frame to the gateway enters the host.
 *   SRC the host: netd's eBPF redirection (host sockets), then the host's
 *     route; the output and postrouting hooks.
 *   SRC an address: the packet enters the host on the interface its route
 *     back goes through.
 *   Entering the host: prerouting (netd's DNAT maps), the route with the
 *     input interface, the forward hook (every base chain, ours and foreign
 *     ones), postrouting (masquerade), then the destination network's
 *     driver down to the endpoint.
 *   At the destination: a socket listening on the port (sock_diag).
 *
 * Each hop names the object and the command that shows it; the verdict
 * names the rule or the object that decided. */
#include "netd/net/explain.h"

#include "netd/core/job.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

const char *net_explain_result_name(enum net_explain_result r)
{
	switch (r) {
	case NET_EXPLAIN_DELIVERED: return "delivered";
	case NET_EXPLAIN_DROPPED: return "dropped";
	case NET_EXPLAIN_NO_ROUTE: return "no-route";
	case NET_EXPLAIN_NO_LISTENER: return "no-listener";
	default: return "unknown";
	}
}

void net_explain_free(struct net_explain *ex)
{
	if (!ex)
		return;
	free(ex->hops);
	ex->hops = NULL;
	ex->nhops = ex->cap = 0;
}

static void task_free(struct ex_task *t)
{
	for (size_t i = 0; i < t->nnets; i++)
		nd_network_rec_clear(&t->nets[i]);
	free(t->nets);
	free(t->drv);
	nd_endpoint_list_clear(&t->eps);
	nd_sandbox_list_clear(&t->sbs);
	nd_fw_ruleset_free(t->rs);
	nd_fw_free(t->fw);
	net_explain_free(&t->ex);
	free(t);
}

static void explain_done(struct nd_job *j)
{
	struct ex_task *t = (struct ex_task *)j;
	t->cb(t->data, t->rc, &t->err, t->rc < 0 ? NULL : &t->ex);
	task_free(t);
}

/* ---- resolving SRC and DST (loop thread) ------------------------------------------------- */

static int end_sandbox(struct ex_task *t, const char *sbid, const char *what, struct ex_end *out, struct nd_error *err)
{
	struct nd_sandbox_rec *sb = sb_by_id(t, sbid);
	if (!sb)
		return nd_error_set(err, -ENOENT, "%s: no such sandbox", what);
	out->kind = EX_SANDBOX;
	snprintf(out->sandbox_id, sizeof(out->sandbox_id), "%s", sb->id);
	snprintf(out->netns, sizeof(out->netns), "%s", sb->netns_path);
	return 0;
}

static int end_resolve(struct netd *d, struct ex_task *t, const char *ref, struct ex_end *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!ref || !*ref)
		return nd_error_set(err, -EINVAL, "a source and a destination are needed");
	if (!strcmp(ref, "host")) {
		out->kind = EX_HOST;
		snprintf(out->desc, sizeof(out->desc), "the host");
		return 0;
	}
	int fam;
	uint8_t a[16];
	if (!strchr(ref, '/') && addr_parse(ref, &fam, a)) {
		out->has_addr = true;
		out->family = fam;
		memcpy(out->addr, a, 16);
		struct nd_endpoint_rec *ep = ep_by_addr(t, fam, a, NULL);
		if (ep) {
			int r = end_sandbox(t, ep->sandbox_id, ref, out, err);
			if (r < 0)
				return r;
			snprintf(out->desc, sizeof(out->desc), "%s (%s)", ep->owner_name[0] ? ep->owner_name : "sandbox", ref);
			return 0;
		}
		out->kind = EX_ADDR;
		snprintf(out->desc, sizeof(out->desc), "%s", ref);
		return 0;
	}
	struct nd_error e = { 0 };
	struct nd_sandbox_rec sb = { 0 }; /* the lookup fills it (it is cleared first) */
	if (net_sandbox_lookup(d, ref, &sb, &e) == 0) {
		int r = end_sandbox(t, sb.id, ref, out, err);
		snprintf(out->desc, sizeof(out->desc), "sandbox %s", ref);
		nd_sandbox_rec_clear(&sb);
		return r;
	}
	nd_sandbox_rec_clear(&sb);
	struct net_state *ns = net_of(d);
	if (ns->hooks.resolve_target) {
		char sbid[ND_ID_LEN + 1], oid[ND_ID_LEN + 1], oname[ND_NAME_MAX + 1];
		e = (struct nd_error){ 0 };
		int r = ns->hooks.resolve_target(d, ref, sbid, oid, oname, &e);
		if (r == 0) {
			if ((r = end_sandbox(t, sbid, ref, out, err)) < 0)
				return r;
			snprintf(out->desc, sizeof(out->desc), "container %s", *oname == '/' ? oname + 1 : oname);
			return 0;
		}
		if (r != -ENOENT || strstr(e.msg, "no network sandbox"))
			return nd_error_set(err, r, "%s", e.msg);
	}
	return nd_error_set(err, -ENOENT, "%s: no such container, sandbox or address (or \"host\")", ref);
}

/* DST's address when it is a sandbox: an endpoint on a network SRC shares, else its first */
static int dst_address(struct ex_task *t, struct nd_error *err)
{
	struct ex_end *dst = &t->dst, *src = &t->src;
	if (dst->kind == EX_HOST) {
		if (src->kind == EX_SANDBOX) {
			for (size_t i = 0; i < t->eps.n; i++) {
				struct nd_endpoint_rec *ep = &t->eps.v[i];
				size_t ni = net_index(t, ep->network_id);
				if (strcmp(ep->sandbox_id, src->sandbox_id) || ni == t->nnets)
					continue;
				for (int k = 0; k < t->nets[ni].nipam; k++) {
					const char *gw = t->nets[ni].ipam[k].gateway;
					int f;
					if (*gw && addr_parse(gw, &f, dst->addr) && f == AF_INET) {
						dst->family = f;
						dst->has_addr = true;
						snprintf(dst->desc, sizeof(dst->desc), "the host (%s, gateway of network %s)", gw,
							 t->nets[ni].name);
						return 0;
					}
				}
			}
			return nd_error_set(err, -EINVAL, "%s has no gateway: name the host's address instead of \"host\"",
					    src->desc);
		}
		if (src->kind == EX_ADDR) {
			dst->family = src->family;
			dst->host_pending = true;
			snprintf(dst->desc, sizeof(dst->desc), "the host (its address towards %s)", src->desc);
			return 0;
		}
		dst->family = AF_INET;
		dst->has_addr = true;
		inet_pton(AF_INET, "127.0.0.1", dst->addr);
		snprintf(dst->desc, sizeof(dst->desc), "the host (127.0.0.1)");
		return 0;
	}
	if (dst->has_addr)
		return 0;
	struct nd_endpoint_rec *best = NULL;
	for (size_t i = 0; i < t->eps.n; i++) {
		struct nd_endpoint_rec *ep = &t->eps.v[i];
		if (strcmp(ep->sandbox_id, dst->sandbox_id) || (!ep->ipv4[0] && !ep->ipv6[0]))
			continue;
		bool shared = false;
		for (size_t k = 0; src->kind == EX_SANDBOX && k < t->eps.n && !shared; k++)
			shared = !strcmp(t->eps.v[k].sandbox_id, src->sandbox_id) &&
				 !strcmp(t->eps.v[k].network_id, ep->network_id);
		if (shared || !best)
			best = ep;
		if (shared)
			break;
	}
	if (!best)
		return nd_error_set(err, -EINVAL, "%s has no address on any network (network \"none\"?): nothing can reach it",
				    dst->desc);
	if (!addr_parse(best->ipv4[0] ? best->ipv4 : best->ipv6, &dst->family, dst->addr))
		return nd_error_set(err, -EINVAL, "%s: bad address %s", dst->desc, best->ipv4);
	dst->has_addr = true;
	return 0;
}

int net_explain(struct netd *d, const struct net_explain_req *req, net_explain_cb cb, void *data, struct nd_error *err)
{
	if (!req->src || !*req->src || !req->dst || !*req->dst)
		return nd_error_set(err, -EINVAL, "explain needs a source and a destination");
	if (req->proto && req->proto != IPPROTO_TCP && req->proto != IPPROTO_UDP)
		return nd_error_set(err, -EINVAL, "explain: the protocol is tcp or udp (or none: ping)");
	if (req->proto && !req->port)
		return nd_error_set(err, -EINVAL, "explain: %s needs a port", req->proto == IPPROTO_TCP ? "tcp" : "udp");
	struct ex_task *t = calloc(1, sizeof(*t));
	if (!t)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct net_state *ns = net_of(d);
	int r;
	if ((r = net_endpoint_list(d, NULL, NULL, &t->eps, err)) < 0 || (r = net_sandbox_list(d, &t->sbs, err)) < 0)
		goto fail;
	size_t nn = 0;
	for (struct net_network *n = ns->networks; n; n = n->next)
		nn++;
	t->nets = calloc(nn ? nn : 1, sizeof(*t->nets));
	t->drv = calloc(nn ? nn : 1, sizeof(*t->drv));
	if (!t->nets || !t->drv) {
		r = nd_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (struct net_network *n = ns->networks; n; n = n->next) {
		/* a copy the job owns: the json maps are not shared with the loop */
		_cleanup_json_ json_t *j = nd_network_rec_to_json(&n->rec);
		if (!j || nd_network_rec_from_json(j, &t->nets[t->nnets], err) < 0) {
			r = nd_error_set(err, -ENOMEM, "network %s: cannot copy its record", n->rec.name);
			goto fail;
		}
		t->drv[t->nnets++] = n->drv;
	}
	if ((r = end_resolve(d, t, req->src, &t->src, err)) < 0 ||
	    (r = end_resolve(d, t, req->dst, &t->dst, err)) < 0) {
		nd_error_wrap(err, "explain");
		goto fail;
	}
	if ((r = dst_address(t, err)) < 0)
		goto fail;
	if (t->src.kind == EX_ADDR && t->src.family != t->dst.family) {
		r = nd_error_set(err, -EINVAL, "explain: %s and %s are of different address families", req->src, req->dst);
		goto fail;
	}
	t->port = req->port;
	t->proto = req->proto ? (uint8_t)req->proto
			      : req->port ? IPPROTO_TCP : t->dst.family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	snprintf(t->fw_table, sizeof(t->fw_table), "%s", ns->fw ? nd_fw_table(ns->fw) : ND_FW_TABLE_DEFAULT);
	const char *pin = ns->ports ? nd_ports_pin_dir(ns->ports) : NULL;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s", pin ? pin : "");
	t->userland = ns->ports && !strcmp(nd_ports_mode(ns->ports), "userland");
	const char *cg = ns->ports ? nd_ports_cgroup(ns->ports) : NULL;
	snprintf(t->cgroup, sizeof(t->cgroup), "%s", cg ? cg : "");
	snprintf(t->exec_root, sizeof(t->exec_root), "%s", d->cfg.exec_root);

	struct net_explain *ex = &t->ex;
	snprintf(ex->src, sizeof(ex->src), "%s", t->src.desc);
	snprintf(ex->dst, sizeof(ex->dst), "%s", t->dst.desc);
	snprintf(ex->proto, sizeof(ex->proto), "%s", proto_name(t->proto));
	ex->port = t->port;
	if (t->src.kind == EX_ADDR)
		ntop(t->src.family, t->src.addr, ex->src_addr, sizeof(ex->src_addr));
	if (t->dst.has_addr)
		ntop(t->dst.family, t->dst.addr, ex->dst_addr, sizeof(ex->dst_addr));
	t->cb = cb;
	t->data = data;
	t->base.work = net__explain_walk;
	t->base.done = explain_done;
	nd_job_queue(d->loop, &t->base);
	return 0;
fail:
	task_free(t);
	return r;
}
