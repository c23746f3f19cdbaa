// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* proxy: published ports for traffic that starts on the host. cgroup
 * sock_addr programs rewrite the destination at the socket call (connect,
 * sendmsg) and the peer back (recvmsg, getpeername): no NAT, no conntrack,
 * no proxy process. Only sockets of netd's netns (cfg.netns_cookie) and only
 * published ports are touched. The maps are shared with proxy/ports_ebpf.c
 * (struct layouts are mirrored there). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct port_key {
	__u8 family;
	__u8 proto;
	__u16 port;       /* network order */
	__u32 addr[4];    /* network order; all zero: every local address */
};

struct port_val {
	__u32 addr[4];
	__u16 port;       /* network order */
	__u16 pad;
};

struct revnat_key {
	__u64 cookie;     /* socket cookie */
	__u32 addr[4];    /* the container's address the socket talks to */
	__u16 port;
	__u8 family;
	__u8 proto;
	__u32 pad;
};

struct local_key {
	__u32 family;
	__u32 addr[4];
};

struct cfg_val {
	__u64 netns_cookie;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct port_key);
	__type(value, struct port_val);
} nd_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct local_key);
	__type(value, __u8);
} nd_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct revnat_key);
	__type(value, struct port_val);
} nd_revnat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg_val);
} nd_cfg SEC(".maps");

static __always_inline int ours(struct bpf_sock_addr *ctx)
{
	__u32 zero = 0;
	struct cfg_val *c = bpf_map_lookup_elem(&nd_cfg, &zero);
	return c && c->netns_cookie && c->netns_cookie == bpf_get_netns_cookie(ctx);
}

static __always_inline int is_local(struct local_key *lk)
{
	if (lk->family == AF_INET && (bpf_ntohl(lk->addr[0]) >> 24) == 127)
		return 1;
	if (lk->family == AF_INET6 && !lk->addr[0] && !lk->addr[1] && !lk->addr[2] && lk->addr[3] == bpf_htonl(1))
		return 1;
	return bpf_map_lookup_elem(&nd_local, lk) != NULL;
}

/* ::ffff:a.b.c.d — an IPv4 peer of an AF_INET6 socket */
static __always_inline int v4mapped(const __u32 *a)
{
	return !a[0] && !a[1] && a[2] == bpf_htonl(0xffff);
}

/* The published port for a destination: its own address, else the "all
 * addresses" entry when the destination is loopback or an address of this
 * netns. */
static __always_inline struct port_val *lookup(__u32 family, __u32 proto, __u16 port, const __u32 *a)
{
	struct port_key k = {};
	k.family = (__u8)family;
	k.proto = (__u8)proto;
	k.port = port;
	k.addr[0] = a[0];
	k.addr[1] = a[1];
	k.addr[2] = a[2];
	k.addr[3] = a[3];
	struct port_val *v = bpf_map_lookup_elem(&nd_ports, &k);
	if (v)
		return v;
	struct local_key lk = {};
	lk.family = family;
	lk.addr[0] = a[0];
	lk.addr[1] = a[1];
	lk.addr[2] = a[2];
	lk.addr[3] = a[3];
	if (!is_local(&lk))
		return NULL;
	k.addr[0] = k.addr[1] = k.addr[2] = k.addr[3] = 0;
	return bpf_map_lookup_elem(&nd_ports, &k);
}

/* Looks the destination up; on a hit rewrites it and records the way back.
 *
 * AF_INET6 sockets meet IPv4 in two ways, both through v4-mapped addresses:
 * - the application asks for ::ffff:a.b.c.d (a dual-stack socket talking
 *   IPv4): looked up as IPv4, the target written back v4-mapped. (UDP
 *   sendmsg never gets here with one: the kernel hands it to the IPv4 path,
 *   and sendmsg4 acts.)
 * - the entry's target is v4-mapped: an IPv4-only container behind [::]:port
 *   (see proxy.h). connect() goes on: tcp_v6_connect() and
 *   ip6_datagram_connect() take a v4-mapped destination to their IPv4
 *   halves, after this hook (a V6ONLY socket gets ENETUNREACH there). An
 *   unconnected UDP sendmsg cannot: udpv6_sendmsg() answers a v4-mapped
 *   rewrite with ENOTSUPP (524), so it is refused here (EPERM) instead. */
static __always_inline int redirect(struct bpf_sock_addr *ctx, __u32 family, int sendmsg)
{
	if (!ours(ctx))
		return 1;
	__u32 proto = ctx->protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP)
		return 1;
	__u16 port = (__u16)ctx->user_port;
	__u32 a[4] = {};
	if (family == AF_INET) {
		a[0] = ctx->user_ip4;
	} else {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	}
	struct port_val orig = {};
	orig.addr[0] = a[0];
	orig.addr[1] = a[1];
	orig.addr[2] = a[2];
	orig.addr[3] = a[3];
	orig.port = port;

	int mapped_in = family == AF_INET6 && v4mapped(a);
	struct port_val *v;
	if (mapped_in) {
		__u32 a4[4] = { a[3], 0, 0, 0 };
		v = lookup(AF_INET, proto, port, a4);
	} else {
		v = lookup(family, proto, port, a);
	}
	if (!v)
		return 1;
	__u32 t[4] = { v->addr[0], v->addr[1], v->addr[2], v->addr[3] };
	if (mapped_in) {
		t[0] = 0;
		t[1] = 0;
		t[2] = bpf_htonl(0xffff);
		t[3] = v->addr[0];
	}
	if (family == AF_INET6 && sendmsg && v4mapped(t))
		return 0;

	struct revnat_key rk = {};
	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.addr[0] = t[0];
	rk.addr[1] = t[1];
	rk.addr[2] = t[2];
	rk.addr[3] = t[3];
	rk.port = v->port;
	rk.family = (__u8)family;
	rk.proto = (__u8)proto;
	bpf_map_update_elem(&nd_revnat, &rk, &orig, BPF_ANY);

	if (family == AF_INET) {
		ctx->user_ip4 = t[0];
	} else {
		ctx->user_ip6[0] = t[0];
		ctx->user_ip6[1] = t[1];
		ctx->user_ip6[2] = t[2];
		ctx->user_ip6[3] = t[3];
	}
	ctx->user_port = v->port;
	return 1;
}

/* The peer the application sees is the address it asked for. An AF_INET6
 * socket that a v4-mapped address took to IPv4 shows its peer v4-mapped:
 * recorded so by connect6, or as IPv4 by sendmsg4 (dual-stack UDP). */
static __always_inline int reverse(struct bpf_sock_addr *ctx, __u32 family)
{
	if (!ours(ctx))
		return 1;
	struct revnat_key rk = {};
	rk.cookie = bpf_get_socket_cookie(ctx);
	if (family == AF_INET) {
		rk.addr[0] = ctx->user_ip4;
	} else {
		rk.addr[0] = ctx->user_ip6[0];
		rk.addr[1] = ctx->user_ip6[1];
		rk.addr[2] = ctx->user_ip6[2];
		rk.addr[3] = ctx->user_ip6[3];
	}
	rk.port = (__u16)ctx->user_port;
	rk.family = (__u8)family;
	rk.proto = (__u8)ctx->protocol;
	struct port_val *o = bpf_map_lookup_elem(&nd_revnat, &rk);
	if (!o && family == AF_INET6 && v4mapped(rk.addr)) {
		rk.family = AF_INET;
		rk.addr[0] = rk.addr[3];
		rk.addr[1] = rk.addr[2] = rk.addr[3] = 0;
		o = bpf_map_lookup_elem(&nd_revnat, &rk);
		if (!o)
			return 1;
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = o->addr[0];
		ctx->user_port = o->port;
		return 1;
	}
	if (!o)
		return 1;
	if (family == AF_INET) {
		ctx->user_ip4 = o->addr[0];
	} else {
		ctx->user_ip6[0] = o->addr[0];
		ctx->user_ip6[1] = o->addr[1];
		ctx->user_ip6[2] = o->addr[2];
		ctx->user_ip6[3] = o->addr[3];
	}
	ctx->user_port = o->port;
	return 1;
}

SEC("cgroup/connect4") int nd_connect4(struct bpf_sock_addr *ctx) { return redirect(ctx, AF_INET, 0); }
SEC("cgroup/connect6") int nd_connect6(struct bpf_sock_addr *ctx) { return redirect(ctx, AF_INET6, 0); }
SEC("cgroup/sendmsg4") int nd_sendmsg4(struct bpf_sock_addr *ctx) { return redirect(ctx, AF_INET, 1); }
SEC("cgroup/sendmsg6") int nd_sendmsg6(struct bpf_sock_addr *ctx) { return redirect(ctx, AF_INET6, 1); }
SEC("cgroup/recvmsg4") int nd_recvmsg4(struct bpf_sock_addr *ctx) { return reverse(ctx, AF_INET); }
SEC("cgroup/recvmsg6") int nd_recvmsg6(struct bpf_sock_addr *ctx) { return reverse(ctx, AF_INET6); }
SEC("cgroup/getpeername4") int nd_getpeername4(struct bpf_sock_addr *ctx) { return reverse(ctx, AF_INET); }
SEC("cgroup/getpeername6") int nd_getpeername6(struct bpf_sock_addr *ctx) { return reverse(ctx, AF_INET6); }
