// SPDX-License-Identifier: Apache-2.0
/* drivers: libnl-route-3 wrapper (see nl.h). */
#include "drivers/nl.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <linux/neighbour.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int nd_nl_errno(int nlret)
{
	if (nlret >= 0)
		return 0;
	switch (-nlret) {
	case NLE_INTR: return -EINTR;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOATTR: return -ENOENT;
	case NLE_MISSING_ATTR: return -EINVAL;
	case NLE_AF_MISMATCH: return -EINVAL;
	case NLE_SEQ_MISMATCH: return -EILSEQ;
	case NLE_MSG_OVERFLOW: return -EOVERFLOW;
	case NLE_MSG_TRUNC: return -EMSGSIZE;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_SRCRT_NOSUPPORT: return -EOPNOTSUPP;
	case NLE_MSG_TOOSHORT: return -EBADMSG;
	case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
	case NLE_OBJ_MISMATCH: return -EINVAL;
	case NLE_NOCACHE: return -ENOENT;
	case NLE_BUSY: return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOACCESS: return -EACCES;
	case NLE_PERM: return -EPERM;
	case NLE_PARSE_ERR: return -EINVAL;
	case NLE_NODEV: return -ENODEV;
	case NLE_IMMUTABLE: return -EPERM;
	case NLE_DUMP_INTR: return -EINTR;
	case NLE_ATTRSIZE: return -EINVAL;
	default: return -EIO;
	}
}

/* NLMSG_ERROR with a non-zero error: remember the kernel's errno and its
 * extended-ACK message (libnl 3.7 does not parse NLMSGERR_ATTR_*). */
static int nd_nl__err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nd_nl *nl = arg;
	const struct nlmsghdr *hdr = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);

	nl->kerrno = e->error < 0 ? -e->error : e->error;
	nl->extack[0] = '\0';
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	size_t off = sizeof(*e);
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	size_t total = hdr->nlmsg_len - NLMSG_HDRLEN;
	if (off >= total)
		return NL_STOP;
	struct nlattr *a;
	int rem;
	nla_for_each_attr(a, (struct nlattr *)((char *)e + off), (int)(total - off), rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
			snprintf(nl->extack, sizeof(nl->extack), "%.*s", nla_len(a), (const char *)nla_data(a));
			size_t n = strlen(nl->extack);
			while (n && (nl->extack[n - 1] == '\n' || nl->extack[n - 1] == '\0'))
				nl->extack[--n] = '\0';
		}
	}
	return NL_STOP;
}

int nd_nl_open(struct nd_nl *nl, struct nd_error *err)
{
	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return nd_error_set(err, -ENOMEM, "netlink: cannot allocate socket");
	int r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		r = nd_nl_errno(r);
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return nd_error_set(err, r, "netlink: connect: %s", strerror(-r));
	}
	int fd = nl_socket_get_fd(nl->sk);
	/* libnl sets FD_CLOEXEC itself on 3.7 (SOCK_CLOEXEC); make sure. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	int one = 1;
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, nd_nl__err_cb, nl);
	return 0;
}

void nd_nl_close(struct nd_nl *nl)
{
	if (nl && nl->sk) {
		nl_socket_free(nl->sk);
		nl->sk = NULL;
	}
}

void nd_nl_reset(struct nd_nl *nl)
{
	nl->kerrno = 0;
	nl->extack[0] = '\0';
}

int nd_nl_rc(struct nd_nl *nl, int nlret)
{
	if (nlret >= 0)
		return 0;
	if (nl->kerrno)
		return -nl->kerrno;
	return nd_nl_errno(nlret);
}

int nd_nl_fail(struct nd_nl *nl, int code, struct nd_error *err, const char *fmt, ...)
{
	char what[ND_ERROR_MSG_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl && nl->extack[0])
		return nd_error_set(err, code, "%s: %s (kernel: %s)", what, strerror(-code), nl->extack);
	return nd_error_set(err, code, "%s: %s", what, strerror(-code));
}

int nd_nl_link_get(struct nd_nl *nl, const char *name, struct rtnl_link **out)
{
	*out = NULL;
	int r = ND_NL(nl, rtnl_link_get_kernel(nl->sk, 0, name, out));
	if (r == -ENOENT)
		r = -ENODEV;
	return r;
}

int nd_nl_link_del(struct nd_nl *nl, const char *name, struct nd_error *err)
{
	struct rtnl_link *link = rtnl_link_alloc();
	if (!link)
		return nd_error_set(err, -ENOMEM, "delete link %s: out of memory", name);
	rtnl_link_set_name(link, name);
	int r = ND_NL(nl, rtnl_link_delete(nl->sk, link));
	rtnl_link_put(link);
	if (r == -ENODEV || r == -ENOENT)
		return 0;
	if (r < 0)
		return nd_nl_fail(nl, r, err, "delete link %s", name);
	return 0;
}

int nd_nl_link_get_index(struct nd_nl *nl, int ifindex, struct rtnl_link **out)
{
	*out = NULL;
	int r = ND_NL(nl, rtnl_link_get_kernel(nl->sk, ifindex, NULL, out));
	if (r == -ENOENT)
		r = -ENODEV;
	return r;
}

int nd_nl_link_del_index(struct nd_nl *nl, int ifindex, struct nd_error *err)
{
	struct rtnl_link *link = rtnl_link_alloc();
	if (!link)
		return nd_error_set(err, -ENOMEM, "delete link %d: out of memory", ifindex);
	rtnl_link_set_ifindex(link, ifindex);
	int r = ND_NL(nl, rtnl_link_delete(nl->sk, link));
	rtnl_link_put(link);
	if (r == -ENODEV || r == -ENOENT)
		return 0;
	if (r < 0)
		return nd_nl_fail(nl, r, err, "delete link %d", ifindex);
	return 0;
}

int nd_nl_link_down_rename(struct nd_nl *nl, struct rtnl_link *link, const char *newname,
			   struct nd_error *err)
{
	const char *name = rtnl_link_get_name(link);
	struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch)
		return nd_error_set(err, -ENOMEM, "rename %s: out of memory", name);
	rtnl_link_unset_flags(ch, IFF_UP);
	rtnl_link_set_name(ch, newname);
	int r = ND_NL(nl, rtnl_link_change(nl->sk, link, ch, 0));
	if (r == -EBUSY && (rtnl_link_get_flags(link) & IFF_UP)) {
		/* < 6.2: the kernel renames before it applies the flags and
		 * refuses to rename an interface that is up */
		struct rtnl_link *down = rtnl_link_alloc();
		r = -ENOMEM;
		if (down) {
			rtnl_link_unset_flags(down, IFF_UP);
			r = ND_NL(nl, rtnl_link_change(nl->sk, link, down, 0));
			rtnl_link_put(down);
		}
		if (r == 0) {
			struct rtnl_link *nm = rtnl_link_alloc();
			r = -ENOMEM;
			if (nm) {
				rtnl_link_set_name(nm, newname);
				r = ND_NL(nl, rtnl_link_change(nl->sk, link, nm, 0));
				rtnl_link_put(nm);
			}
		}
	}
	rtnl_link_put(ch);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "take %s down and rename it %s", name, newname);
	return 0;
}

struct nd_nl__reap {
	struct nd_nl nl;
	int ifindex;
};

static void *nd_nl__reap_thread(void *p)
{
	struct nd_nl__reap *rp = p;
	struct nd_error e = { 0 };
	if (nd_nl_link_del_index(&rp->nl, rp->ifindex, &e) < 0)
		log_debug("netlink: background delete of ifindex %d: %s", rp->ifindex, e.msg);
	nd_nl_close(&rp->nl);
	free(rp);
	return NULL;
}

int nd_nl_link_del_index_bg(struct nd_nl *nl, int ifindex, struct nd_error *err)
{
	struct nd_nl__reap *rp = malloc(sizeof(*rp));
	if (rp) {
		/* the socket moves; its error callback must follow it */
		rp->nl = *nl;
		rp->ifindex = ifindex;
		nl_socket_modify_err_cb(rp->nl.sk, NL_CB_CUSTOM, nd_nl__err_cb, &rp->nl);
		nl->sk = NULL;
		pthread_attr_t attr;
		pthread_t t;
		int r = pthread_attr_init(&attr);
		if (r == 0) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			pthread_attr_setstacksize(&attr, 256 * 1024);
			/* the new thread starts in the caller's network namespace;
			 * the socket is bound to it anyway */
			r = pthread_create(&t, &attr, nd_nl__reap_thread, rp);
			pthread_attr_destroy(&attr);
		}
		if (r == 0)
			return 0;
		/* no thread: give the socket back and do it here */
		*nl = rp->nl;
		nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, nd_nl__err_cb, nl);
		free(rp);
	}
	int r = nd_nl_link_del_index(nl, ifindex, err);
	nd_nl_close(nl);
	return r;
}

static int nd_nl__parse(const char *s, struct nl_addr **out, struct nd_error *err)
{
	int r = nl_addr_parse(s, AF_UNSPEC, out);
	if (r < 0 || (nl_addr_get_family(*out) != AF_INET && nl_addr_get_family(*out) != AF_INET6)) {
		if (r >= 0)
			nl_addr_put(*out);
		*out = NULL;
		return nd_error_set(err, -EINVAL, "invalid IP address \"%s\"", s);
	}
	return 0;
}

int nd_nl_addr_add(struct nd_nl *nl, int ifindex, const char *cidr, struct nd_error *err)
{
	struct nl_addr *local = NULL;
	int r = nd_nl__parse(cidr, &local, err);
	if (r < 0)
		return r;
	struct rtnl_addr *a = rtnl_addr_alloc();
	if (!a) {
		nl_addr_put(local);
		return nd_error_set(err, -ENOMEM, "add address %s: out of memory", cidr);
	}
	int family = nl_addr_get_family(local);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	r = nd_nl_errno(rtnl_addr_set_local(a, local));
	if (r == 0) {
		if (family == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		r = ND_NL(nl, rtnl_addr_add(nl->sk, a, NLM_F_EXCL));
		if (r == -EEXIST)
			r = 0;
		if (r < 0)
			nd_nl_fail(nl, r, err, "add address %s", cidr);
	} else {
		nd_error_set(err, r, "add address %s: %s", cidr, strerror(-r));
	}
	rtnl_addr_put(a);
	nl_addr_put(local);
	return r;
}

struct nd_nl__addr_find {
	int ifindex;
	struct nl_addr *want;
	bool found;
};

static void nd_nl__addr_match(struct nl_object *obj, void *arg)
{
	struct nd_nl__addr_find *f = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(a);
	if (f->found || rtnl_addr_get_ifindex(a) != f->ifindex || !local)
		return;
	if (nl_addr_get_family(local) == nl_addr_get_family(f->want) &&
	    nl_addr_get_len(local) == nl_addr_get_len(f->want) &&
	    memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(f->want), nl_addr_get_len(local)) == 0)
		f->found = true;
}

int nd_nl_addr_has(struct nd_nl *nl, int ifindex, const char *cidr, bool *out)
{
	struct nd_nl__addr_find f = { .ifindex = ifindex };
	*out = false;
	if (nd_nl__parse(cidr, &f.want, NULL) < 0)
		return -EINVAL;
	struct nl_cache *cache = NULL;
	int r = ND_NL(nl, rtnl_addr_alloc_cache(nl->sk, &cache));
	if (r == 0) {
		nl_cache_foreach(cache, nd_nl__addr_match, &f);
		nl_cache_free(cache);
		*out = f.found;
	}
	nl_addr_put(f.want);
	return r;
}

int nd_nl_route_default_add(struct nd_nl *nl, int ifindex, const char *gw, struct nd_error *err)
{
	struct nl_addr *gwa = NULL, *dst = NULL;
	int r = nd_nl__parse(gw, &gwa, err);
	if (r < 0)
		return r;
	int family = nl_addr_get_family(gwa);
	r = nd_nl_errno(nl_addr_parse("default", family, &dst));
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	if (r < 0 || !route || !nh) {
		r = nd_error_set(err, r < 0 ? r : -ENOMEM, "add default route via %s: cannot build request", gw);
		goto out;
	}
	rtnl_route_set_family(route, (uint8_t)family);
	rtnl_route_set_dst(route, dst);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gwa);
	rtnl_route_add_nexthop(route, TAKE_PTR(nh));
	r = ND_NL(nl, rtnl_route_add(nl->sk, route, NLM_F_EXCL));
	if (r == -EEXIST)
		r = 0;
	if (r < 0)
		nd_nl_fail(nl, r, err, "add default route via %s", gw);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gwa);
	return r;
}

int nd_nl_link_up(struct nd_nl *nl, struct rtnl_link *link, struct nd_error *err)
{
	if (rtnl_link_get_flags(link) & IFF_UP)
		return 0;
	struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch)
		return nd_error_set(err, -ENOMEM, "set %s up: out of memory", rtnl_link_get_name(link));
	rtnl_link_set_flags(ch, IFF_UP);
	int r = ND_NL(nl, rtnl_link_change(nl->sk, link, ch, 0));
	rtnl_link_put(ch);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "set %s up", rtnl_link_get_name(link));
	return 0;
}

int nd_nl_link_up_name(struct nd_nl *nl, const char *name, struct nd_error *err)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *ch = rtnl_link_alloc();
	int r = -ENOMEM;
	if (orig && ch) {
		/* ifindex 0 and IFLA_IFNAME: the kernel finds the link by name
		 * (libnl sends the name only when the change carries it) */
		rtnl_link_set_name(orig, name);
		rtnl_link_set_name(ch, name);
		rtnl_link_set_flags(ch, IFF_UP);
		r = ND_NL(nl, rtnl_link_change(nl->sk, orig, ch, 0));
	}
	if (ch)
		rtnl_link_put(ch);
	if (orig)
		rtnl_link_put(orig);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "set %s up", name);
	return 0;
}

int nd_nl_brport_set_u8(struct nd_nl *nl, int ifindex, int attr, uint8_t value, struct nd_error *err)
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return nd_error_set(err, -ENOMEM, "bridge port %d: out of memory", ifindex);
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nlattr *pi;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
	    nla_put_u8(msg, attr, value) < 0 || nla_nest_end(msg, pi) < 0) {
		nlmsg_free(msg);
		return nd_error_set(err, -EMSGSIZE, "bridge port %d: cannot build request", ifindex);
	}
	int r = ND_NL(nl, nl_send_sync(nl->sk, msg)); /* frees msg, waits for the ACK */
	if (r < 0)
		return nd_nl_fail(nl, r, err, "set bridge port attribute %d on ifindex %d", attr, ifindex);
	return 0;
}

struct nd_nl__job {
	int netns_fd;
	nd_nl_ns_fn fn;
	void *arg;
	struct nd_error *err;
	int ret;
};

static void *nd_nl__ns_thread(void *p)
{
	struct nd_nl__job *j = p;
	if (setns(j->netns_fd, CLONE_NEWNET) < 0) {
		j->ret = nd_error_set(j->err, -errno, "enter network namespace: %s", strerror(errno));
		return NULL;
	}
	struct nd_nl nl;
	j->ret = nd_nl_open(&nl, j->err);
	if (j->ret < 0)
		return NULL;
	j->ret = j->fn(&nl, j->arg, j->err);
	nd_nl_close(&nl);
	/* The thread ends here, in the sandbox's namespace: nothing else ever
	 * runs on it. */
	return NULL;
}

int nd_nl_in_netns(int netns_fd, nd_nl_ns_fn fn, void *arg, struct nd_error *err)
{
	struct nd_nl__job j = { .netns_fd = netns_fd, .fn = fn, .arg = arg, .err = err, .ret = -EIO };
	pthread_t t;
	int r = pthread_create(&t, NULL, nd_nl__ns_thread, &j);
	if (r != 0)
		return nd_error_set(err, -r, "start namespace thread: %s", strerror(r));
	pthread_join(t, NULL);
	return j.ret;
}

int nd_sysctl_set(const char *path, const char *value, struct nd_error *err)
{
	char full[256];
	if (nd_snprintf(full, sizeof(full), "/proc/sys/%s", path) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "sysctl path too long: %s", path);
	_cleanup_close_ int fd = open(full, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return nd_error_set(err, -errno, "open %s: %s", full, strerror(errno));
	char cur[64];
	ssize_t n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		cur[strcspn(cur, "\n")] = '\0';
		if (strcmp(cur, value) == 0)
			return 0;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, value, strlen(value)) < 0)
		return nd_error_set(err, -errno, "write %s=%s: %s", full, value, strerror(errno));
	return 0;
}

json_t *nd_nl_link_status(struct nd_nl *nl, const char *name, const char *role, bool owned)
{
	json_t *o = json_pack("{s:s, s:s, s:b}", "Name", name, "Role", role, "Owned", owned);
	if (!o)
		return NULL;
	struct rtnl_link *l = NULL;
	if (nd_nl_link_get(nl, name, &l) < 0) {
		json_object_set_new(o, "Missing", json_true());
		return o;
	}
	char mac[32] = "";
	struct nl_addr *a = rtnl_link_get_addr(l);
	if (a)
		nl_addr2str(a, mac, sizeof(mac));
	const char *kind = rtnl_link_get_type(l);
	json_object_set_new(o, "Kind", json_string(kind ? kind : "device"));
	json_object_set_new(o, "Ifindex", json_integer(rtnl_link_get_ifindex(l)));
	json_object_set_new(o, "Up", json_boolean(rtnl_link_get_flags(l) & IFF_UP));
	json_object_set_new(o, "Mac", json_string(mac));
	json_object_set_new(o, "Mtu", json_integer(rtnl_link_get_mtu(l)));
	uint32_t vni;
	if (kind && strcmp(kind, "vxlan") == 0 && rtnl_link_vxlan_get_id(l, &vni) == 0)
		json_object_set_new(o, "VNI", json_integer(vni));
	/* its addresses of global scope (a bridge's gateways) */
	json_t *addrs = json_array();
	struct nl_cache *cache = NULL;
	int ifindex = rtnl_link_get_ifindex(l);
	if (addrs && rtnl_addr_alloc_cache(nl->sk, &cache) >= 0) {
		for (struct nl_object *ob = nl_cache_get_first(cache); ob; ob = nl_cache_get_next(ob)) {
			struct rtnl_addr *ad = (struct rtnl_addr *)ob;
			char s[INET6_ADDRSTRLEN + 8];
			if (rtnl_addr_get_ifindex(ad) == ifindex && rtnl_addr_get_scope(ad) == RT_SCOPE_UNIVERSE &&
			    rtnl_addr_get_local(ad) && nl_addr2str(rtnl_addr_get_local(ad), s, sizeof(s)))
				json_array_append_new(addrs, json_string(s));
		}
		nl_cache_free(cache);
	}
	json_object_set_new(o, "Addresses", addrs ? addrs : json_array());
	rtnl_link_put(l);
	return o;
}

struct nd_nl__fdb {
	nd_nl_fdb_fn fn;
	void *arg;
};

static int nd_nl__fdb_cb(struct nl_msg *msg, void *arg)
{
	struct nd_nl__fdb *f = arg;
	struct rtnl_neigh *n = NULL;
	if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWNEIGH && rtnl_neigh_parse(nlmsg_hdr(msg), &n) == 0 && n) {
		f->fn(n, f->arg);
		rtnl_neigh_put(n);
	}
	return NL_OK;
}

int nd_nl_fdb_foreach(nd_nl_fdb_fn fn, void *arg, struct nd_error *err)
{
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	struct nd_nl__fdb f = { .fn = fn, .arg = arg };
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	nl_socket_disable_auto_ack(nl.sk);
	nl_socket_modify_cb(nl.sk, NL_CB_VALID, NL_CB_CUSTOM, nd_nl__fdb_cb, &f);
	r = ND_NL(&nl, nl_send_simple(nl.sk, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm)));
	if (r >= 0)
		r = ND_NL(&nl, nl_recvmsgs_default(nl.sk));
	if (r < 0)
		r = nd_nl_fail(&nl, r, err, "bridge FDB dump");
	nd_nl_close(&nl);
	return r < 0 ? r : 0;
}

int nd_nl_ipv6_set(const char *ifname, bool on, struct nd_error *err)
{
	char path[96];
	snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6", ifname);
	int r = nd_sysctl_set(path, on ? "0" : "1", err);
	if (r == -ENOENT && !on)
		return 0;   /* no IPv6 in this kernel: off already */
	return r;
}

bool nd_nl_link_is_kind(struct rtnl_link *link, const char *kind)
{
	const char *k = rtnl_link_get_type(link);
	return k && strcmp(k, kind) == 0;
}

bool nd_addr_same_family(const char *a, const char *b)
{
	return (strchr(a, ':') != NULL) == (strchr(b, ':') != NULL);
}

int nd_nl_sb_addrs_lo(struct nd_nl *nl, int ifindex, const char *ipv4, const char *ipv6, struct nd_error *err)
{
	const char *addrs[] = { ipv4, ipv6 };
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++)
		if (addrs[i][0] && (r = nd_nl_addr_add(nl, ifindex, addrs[i], err)) < 0)
			return r;
	return nd_nl_link_up_name(nl, "lo", err);
}

bool nd_ifname_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return false;
	return true;
}
