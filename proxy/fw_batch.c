// SPDX-License-Identifier: Apache-2.0
/* proxy: nftables transactions over libmnl — one growable batch buffer
 * (BEGIN … END), sent in one sendmsg, every message ACKed and checked. */
#include "proxy/fw_internal.h"

#include <sys/socket.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nfnetlink.h>

#define FW_BATCH_MIN 16384

void fw__batch_init(struct fw__batch *b, uint32_t seq)
{
	*b = (struct fw__batch){ .seq_first = seq, .seq_next = seq };
	struct nlmsghdr *nlh = fw__batch_hdr(b, NLMSG_HDRLEN + 64, FW_MSG_RAW, 0, 0, NULL);
	if (!nlh)
		return;
	nftnl_batch_begin((char *)nlh, nlh->nlmsg_seq);
	fw__batch_put(b, nlh);
}

void fw__batch_done(struct fw__batch *b)
{
	for (size_t i = 0; i < b->nwhat; i++)
		free(b->what[i]);
	free(b->what);
	wire_buf_free(&b->buf);
	*b = (struct fw__batch){ 0 };
}

static int reserve(struct fw__batch *b, size_t room)
{
	size_t old = b->buf.cap;
	int r = wire_buf_reserve(&b->buf, !old && room < FW_BATCH_MIN ? FW_BATCH_MIN : room);
	if (r < 0)
		return r;
	/* libnftnl builders do not bound-check: hand them zeroed room */
	memset(b->buf.data + old, 0, b->buf.cap - old);
	return 0;
}

struct nlmsghdr *fw__batch_hdr(struct fw__batch *b, size_t room, uint16_t type, uint16_t family,
			       uint16_t flags, const char *fmt, ...)
{
	if (b->err)
		return NULL;
	if (reserve(b, room) < 0) {
		b->err = -ENOMEM;
		return NULL;
	}
	if (b->nwhat == b->capwhat) {
		size_t c = b->capwhat ? 2 * b->capwhat : 64;
		char **w = realloc(b->what, c * sizeof(*w));
		if (!w) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->what = w;
		b->capwhat = c;
	}
	char *what = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&what, fmt, ap) < 0)
			what = NULL;
		va_end(ap);
	}
	b->what[b->nwhat++] = what;
	uint32_t seq = b->seq_next++;
	char *at = b->buf.data + b->buf.len;
	memset(at, 0, room);
	if (type == FW_MSG_RAW) /* BEGIN/END: the caller writes the header */
		return memcpy(at, &(struct nlmsghdr){ .nlmsg_seq = seq }, sizeof(struct nlmsghdr));
	b->nmsgs++;
	return nftnl_nlmsg_build_hdr(at, type, family, flags | NLM_F_ACK, seq);
}

void fw__batch_put(struct fw__batch *b, struct nlmsghdr *nlh)
{
	if (!nlh)
		return;
	b->buf.len += NLMSG_ALIGN(nlh->nlmsg_len);
	if (b->buf.len >= b->buf.cap) /* a builder outgrew its room: a bug, never continue */
		abort();
}

void fw__batch_end(struct fw__batch *b)
{
	struct nlmsghdr *nlh = fw__batch_hdr(b, NLMSG_HDRLEN + 64, FW_MSG_RAW, 0, 0, NULL);
	if (!nlh)
		return;
	nftnl_batch_end((char *)nlh, nlh->nlmsg_seq);
	fw__batch_put(b, nlh);
}

/* ---- ACKs ------------------------------------------------------------------ */

struct ack_state {
	const struct fw__batch *b;
	size_t acked;
	int first_err;          /* negative errno of the lowest failing seq */
	uint32_t first_seq;
	char extack[256];
};

static int ack_cb(const struct nlmsghdr *nlh, struct ack_state *st)
{
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return 0;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	st->acked++;
	if (e->error == 0)
		return 0;
	uint32_t seq = nlh->nlmsg_seq;
	if (st->first_err && seq >= st->first_seq)
		return 0;
	st->first_err = e->error;
	st->first_seq = seq;
	st->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* With NETLINK_CAP_ACK the request is not echoed: TLVs follow the header. */
	size_t off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	const char *p = (const char *)e + off, *end = (const char *)mnl_nlmsg_get_payload_tail(nlh);
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *at = (const struct nlattr *)p;
		if (at->nla_len < sizeof(*at) || p + at->nla_len > end)
			break;
		if (mnl_attr_get_type(at) == NLMSGERR_ATTR_MSG)
			snprintf(st->extack, sizeof(st->extack), "%s", (const char *)mnl_attr_get_payload(at));
		p += NLA_ALIGN(at->nla_len);
	}
	return 0;
}

static void grow_sockbuf(struct nd_fw *fw, int force, int plain, size_t want)
{
	int fd = mnl_socket_get_fd(fw->nl), cur = 0;
	socklen_t l = sizeof(cur);
	if (getsockopt(fd, SOL_SOCKET, plain, &cur, &l) == 0 && (size_t)cur / 2 >= want)
		return;
	int v = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
}

int fw__batch_send(struct nd_fw *fw, struct fw__batch *b, struct nd_error *err)
{
	if (b->err)
		return nd_error_set(err, b->err, "nftables: build batch: %s", strerror(-b->err));
	grow_sockbuf(fw, SO_SNDBUFFORCE, SO_SNDBUF, b->buf.len + 4096);
	/* Every ACK is a small skb; leave room for all of them (~1 KiB truesize). */
	grow_sockbuf(fw, SO_RCVBUFFORCE, SO_RCVBUF, (b->nmsgs + 16) * 1024);

	if (mnl_socket_sendto(fw->nl, b->buf.data, b->buf.len) < 0)
		return nd_error_set(err, -errno, "nftables: send batch (%zu bytes): %s", b->buf.len, strerror(errno));

	/* nfnetlink handles the batch synchronously inside sendmsg: every reply is
	 * queued by now. Drain without blocking; a short timeout guards the rest. */
	struct ack_state st = { .b = b };
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	int fd = mnl_socket_get_fd(fw->nl);
	uint64_t deadline = nd_now_ns() + 5ULL * 1000000000ULL;
	while (st.acked < b->nmsgs) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (nd_now_ns() > deadline)
				break;
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return nd_error_set(err, -errno, "nftables: read acks: %s", strerror(errno));
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)r;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_pid != fw->portid && nlh->nlmsg_pid != 0)
				continue;
			if (nlh->nlmsg_seq < b->seq_first || nlh->nlmsg_seq >= b->seq_next)
				continue; /* stale reply of an earlier request */
			ack_cb(nlh, &st);
		}
	}
	if (st.first_err) {
		size_t i = st.first_seq - b->seq_first;
		const char *what = i < b->nwhat && b->what[i] ? b->what[i] : "batch";
		return nd_error_set(err, st.first_err, "nftables: %s: %s%s%s%s", what, strerror(-st.first_err),
				    st.extack[0] ? " (" : "", st.extack, st.extack[0] ? ")" : "");
	}
	if (st.acked < b->nmsgs)
		return nd_error_set(err, -ETIMEDOUT, "nftables: %zu of %zu acks missing", b->nmsgs - st.acked,
				    b->nmsgs);
	return 0;
}

/* ---- dumps ------------------------------------------------------------------ */

struct nlmsghdr *fw__dump_req(struct nd_fw *fw, char *buf, size_t size, uint16_t type, uint32_t family)
{
	memset(buf, 0, size);
	return nftnl_nlmsg_build_hdr(buf, type, (uint16_t)family, NLM_F_DUMP, fw->seq++);
}

int fw__dump(struct nd_fw *fw, struct nlmsghdr *req, fw__dump_cb cb, void *data, struct nd_error *err)
{
	uint32_t seq = req->nlmsg_seq;
	if (mnl_socket_sendto(fw->nl, req, req->nlmsg_len) < 0)
		return nd_error_set(err, -errno, "nftables: send dump request: %s", strerror(errno));
	char buf[32768];
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(fw->nl, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return nd_error_set(err, -errno, "nftables: read dump: %s", strerror(errno));
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)r;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid != fw->portid && nlh->nlmsg_pid != 0))
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (e->error == 0)
					return 0;
				return nd_error_set(err, e->error, "nftables: dump: %s", strerror(-e->error));
			}
			int rc = cb(nlh, data);
			if (rc < 0) {
				/* keep draining to DONE so the socket stays in step */
				while ((r = mnl_socket_recvfrom(fw->nl, buf, sizeof(buf))) > 0 &&
				       mnl_cb_run(buf, (size_t)r, seq, fw->portid, NULL, NULL) > MNL_CB_STOP)
					;
				return nd_error_set(err, rc, "nftables: parse dump: %s", strerror(-rc));
			}
		}
	}
}

struct setelem_dump {
	fw__elem_cb cb;
	void *data;
};

static int setelem_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct setelem_dump *d = data;
	struct nftnl_set *set = nftnl_set_alloc();
	if (!set)
		return -ENOMEM;
	int r = 0;
	if (nftnl_set_elems_nlmsg_parse(nlh, set) < 0 || nftnl_set_elem_foreach(set, d->cb, d->data) < 0)
		r = -EINVAL;
	nftnl_set_free(set);
	return r;
}

int fw__dump_set_elems(struct nd_fw *fw, uint32_t family, const char *table, const char *name, fw__elem_cb cb,
		       void *data, struct nd_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *q = nftnl_set_alloc();
	if (!q)
		return nd_error_set(err, -ENOMEM, "nftables: out of memory");
	nftnl_set_set_str(q, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(q, NFTNL_SET_NAME, name);
	struct nlmsghdr *nlh = fw__dump_req(fw, buf, sizeof(buf), NFT_MSG_GETSETELEM, family);
	nftnl_set_elems_nlmsg_build_payload(nlh, q);
	nftnl_set_free(q);
	struct setelem_dump d = { .cb = cb, .data = data };
	return fw__dump(fw, nlh, setelem_cb, &d, err);
}
