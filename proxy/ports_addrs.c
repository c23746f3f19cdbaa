// SPDX-License-Identifier: Apache-2.0
/* proxy: the addresses of this netns that "all addresses" ports act for on
 * the eBPF path (a snapshot in a map: refresh_addrs), read and watched over
 * rtnetlink.
 *
 * Which: every IPv4 and IPv6 address but IPv6 link-local ones. Those need
 * a scope id to be connected to, and every veth of every container has
 * one on the host: they would fill the map and make each container start
 * a refresh.
 *
 * The watch: a socket subscribed to the IPv4/IPv6 address groups, on the
 * handle's libuv loop, re-takes the snapshot after RTM_NEWADDR/RTM_DELADDR
 * of an address that counts. A burst (a bridge coming up with its
 * addresses) costs one refresh per AW_DEBOUNCE_MS, not one per message; a
 * receive queue that overflowed (ENOBUFS) lost messages: refresh too. */
#include "proxy/ports_internal.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#define AW_DEBOUNCE_MS 20

static bool counts(const struct ifaddrmsg *ifa)
{
	return ifa->ifa_family == AF_INET || (ifa->ifa_family == AF_INET6 && ifa->ifa_scope != RT_SCOPE_LINK);
}

/* ---- the snapshot: one RTM_GETADDR dump ------------------------------------------------ */

struct dump {
	struct ports__addr *v;
	size_t n, cap;
	bool nomem;
};

static int dump_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int t = mnl_attr_get_type(a);
	if ((t == IFA_ADDRESS || t == IFA_LOCAL) && mnl_attr_validate(a, MNL_TYPE_BINARY) >= 0)
		tb[t] = a;
	return MNL_CB_OK;
}

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || !counts(ifa))
		return MNL_CB_OK;
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	mnl_attr_parse(nlh, sizeof(*ifa), dump_attr, tb);
	/* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on a
	 * point-to-point link); IPv6 mostly sends IFA_ADDRESS only */
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || mnl_attr_get_payload_len(a) < alen)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct ports__addr *v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			d->nomem = true;
			return MNL_CB_STOP;
		}
		d->v = v;
		d->cap = cap;
	}
	struct ports__addr *x = &d->v[d->n++];
	*x = (struct ports__addr){ .family = ifa->ifa_family };
	memcpy(x->addr, mnl_attr_get_payload(a), alen);
	return MNL_CB_OK;
}

static int dump_once(struct mnl_socket *nl, struct dump *d)
{
	char buf[32768] /* a dump message is at most 32 KiB */ __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	d->n = 0;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, dump_msg, d);
		if (d->nomem)
			return -ENOMEM;
		if (r < 0)
			return -errno; /* EINTR: the addresses changed during the dump */
		if (r == MNL_CB_STOP)
			return 0;
	}
}

int ports__addrs_dump(struct ports__addr **out, size_t *n, struct nd_error *err)
{
	*out = NULL;
	*n = 0;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;
		if (nl)
			mnl_socket_close(nl);
		return nd_error_set(err, r, "ports: list addresses: %s", strerror(-r));
	}
	struct dump d = { 0 };
	int r;
	for (int attempt = 0; attempt < 4; attempt++)
		if ((r = dump_once(nl, &d)) != -EINTR)
			break;
	mnl_socket_close(nl);
	if (r < 0) {
		free(d.v);
		return nd_error_set(err, r, "ports: list addresses: %s", strerror(-r));
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

/* ---- the watch --------------------------------------------------------------------------- */

struct ports__addrwatch {
	uv_poll_t poll;
	uv_timer_t timer;
	struct mnl_socket *nl;
	struct nd_ports *p;           /* NULL once stopped */
	int closed;                   /* handles closed; at 2 the socket goes and w is freed */
};

static void aw_closed(uv_handle_t *h)
{
	struct ports__addrwatch *w = h->data;
	if (++w->closed < 2)
		return;
	mnl_socket_close(w->nl);
	free(w);
}

static void aw_fire(uv_timer_t *t)
{
	struct ports__addrwatch *w = t->data;
	struct nd_error err = { 0 };
	if (!w->p)
		return;
	if (nd_ports_refresh_addrs(w->p, &err) < 0)
		log_debug("ports: refresh host addresses: %s", err.msg);
	else
		log_debug("ports: host addresses changed: refreshed");
}

static void aw_io(uv_poll_t *h, int status, int events)
{
	struct ports__addrwatch *w = h->data;
	bool changed = status < 0;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd = mnl_socket_get_fd(w->nl);
	/* bounded: a flood of messages must not hold the loop */
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			changed = true;
			continue;
		}
		if (n <= 0)
			break;
		int len = (int)n;
		for (const struct nlmsghdr *m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len))
			changed |= (m->nlmsg_type == RTM_NEWADDR || m->nlmsg_type == RTM_DELADDR) &&
				   mnl_nlmsg_get_payload_len(m) >= sizeof(struct ifaddrmsg) &&
				   counts(mnl_nlmsg_get_payload(m));
	}
	if (changed && w->p && !uv_is_active((uv_handle_t *)&w->timer))
		uv_timer_start(&w->timer, aw_fire, AW_DEBOUNCE_MS, 0);
}

int ports__addrwatch_start(struct nd_ports *p, struct nd_error *err)
{
	struct ports__addrwatch *w = calloc(1, sizeof(*w));
	if (!w)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl || mnl_socket_bind(w->nl, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;
		if (w->nl)
			mnl_socket_close(w->nl);
		free(w);
		return nd_error_set(err, r, "ports: watch host addresses: %s", strerror(-r));
	}
	int r = uv_poll_init(p->loop, &w->poll, mnl_socket_get_fd(w->nl));
	if (r < 0) {
		mnl_socket_close(w->nl);
		free(w);
		return nd_error_set(err, r, "ports: watch host addresses: %s", uv_strerror(r));
	}
	uv_timer_init(p->loop, &w->timer);
	w->poll.data = w->timer.data = w;
	w->p = p;
	uv_poll_start(&w->poll, UV_READABLE, aw_io);
	/* a helper: it never keeps a loop running by itself */
	uv_unref((uv_handle_t *)&w->poll);
	uv_unref((uv_handle_t *)&w->timer);
	p->aw = w;
	return 0;
}

void ports__addrwatch_stop(struct nd_ports *p)
{
	struct ports__addrwatch *w = p->aw;
	if (!w)
		return;
	p->aw = NULL;
	w->p = NULL;
	if (uv_is_closing((uv_handle_t *)&w->poll) && uv_is_closing((uv_handle_t *)&w->timer)) {
		/* closed by the owner of the loop (uv_walk at shutdown) without our
		 * callback: the socket can go (no poll watches it any more), the
		 * struct stays, as the loop may still finish those closes */
		mnl_socket_close(w->nl);
		return;
	}
	if (uv_is_closing((uv_handle_t *)&w->poll))
		w->closed++;
	else
		uv_close((uv_handle_t *)&w->poll, aw_closed);
	if (uv_is_closing((uv_handle_t *)&w->timer))
		w->closed++;
	else
		uv_close((uv_handle_t *)&w->timer, aw_closed);
}
