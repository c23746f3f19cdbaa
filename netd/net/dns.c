// SPDX-License-Identifier: Apache-2.0
/* Names on a network: a small authoritative DNS responder on the network's
 * IPv4 gateway (UDP port 53, where the driver puts the gateway on the host,
 * as the bridge driver does). It answers A (and AAAA) queries for the
 * endpoints of that network: their owner's name (a container's name), their
 * aliases, the first 12 characters of their container's id, each also as
 * NAME.NETWORK. Anything else gets REFUSED, so a resolver moves on to its
 * next nameserver (netd forwards nothing). CNI results name this server, so
 * a CNI runtime's containers (Podman writes it into resolv.conf) reach
 * netd's containers by name; netd's own containers keep /etc/hosts.
 *
 * One uv_udp_t per network on the loop thread; a network whose gateway is
 * not a host address (or whose port 53 a host process holds) has none. */
#include "netd/net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>

#define DNS_MAX 512
#define DNS_TTL 10
enum { DNS_A = 1, DNS_AAAA = 28, DNS_ANY = 255, DNS_IN = 1, DNS_REFUSED = 5, DNS_NOTIMP = 4, DNS_FORMERR = 1 };

struct net_dns {
	uv_udp_t udp;
	struct netd *d;
	char network_id[ND_ID_LEN + 1];
	char network_name[ND_NAME_MAX + 1];
	char addr[INET_ADDRSTRLEN];
	unsigned char in[DNS_MAX];
	bool busy;
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct net_dns *s = h->data;
	if (s->busy) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	s->busy = true;
	*buf = uv_buf_init((char *)s->in, sizeof(s->in));
}

/* The question's name as lowercase dotted text; *end after QTYPE/QCLASS. */
static int read_qname(const unsigned char *p, size_t n, size_t off, char *name, size_t size, size_t *end)
{
	size_t len = 0;
	name[0] = '\0';
	for (;;) {
		if (off >= n)
			return -1;
		unsigned l = p[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > n || len + l + 2 > size)
			return -1;   /* compression in a question, or too long */
		if (len)
			name[len++] = '.';
		for (unsigned i = 0; i < l; i++)
			name[len++] = (char)tolower(p[off + i]);
		name[len] = '\0';
		off += l;
	}
	if (off + 4 > n)
		return -1;
	*end = off + 4;
	return 0;
}

static bool name_is(const char *q, const char *name, const char *net)
{
	if (!name || !*name)
		return false;
	size_t l = strlen(name);
	if (strncasecmp(q, name, l) != 0)
		return false;
	return q[l] == '\0' || (q[l] == '.' && strcasecmp(q + l + 1, net) == 0);
}

/* The endpoints answering to q: their addresses into v4/v6. */
static size_t lookup(struct net_dns *s, const char *q, struct in_addr *v4, size_t *n4, struct in6_addr *v6,
		     size_t *n6, size_t max)
{
	*n4 = *n6 = 0;
	struct nd_endpoint_list eps;
	struct nd_error e = { 0 };
	if (net_endpoint_list(s->d, s->network_id, NULL, &eps, &e) < 0)
		return 0;
	size_t found = 0;
	for (size_t i = 0; i < eps.n; i++) {
		const struct nd_endpoint_rec *ep = &eps.v[i];
		bool hit = name_is(q, ep->owner_name, s->network_name);
		char shortid[ND_ID_SHORT + 1];
		if (!hit && ep->container_id[0]) {
			snprintf(shortid, sizeof(shortid), "%.*s", ND_ID_SHORT, ep->container_id);
			hit = name_is(q, shortid, s->network_name);
		}
		size_t k;
		json_t *a;
		json_array_foreach(ep->aliases, k, a)
			hit |= json_is_string(a) && name_is(q, json_string_value(a), s->network_name);
		if (!hit)
			continue;
		found++;
		char ip[64];
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(ep->ipv4, "/"), ep->ipv4);
		if (ip[0] && *n4 < max && inet_pton(AF_INET, ip, &v4[*n4]) == 1)
			(*n4)++;
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(ep->ipv6, "/"), ep->ipv6);
		if (ip[0] && *n6 < max && inet_pton(AF_INET6, ip, &v6[*n6]) == 1)
			(*n6)++;
	}
	nd_endpoint_list_clear(&eps);
	return found;
}

static size_t put16(unsigned char *p, size_t off, unsigned v)
{
	p[off] = (unsigned char)(v >> 8);
	p[off + 1] = (unsigned char)v;
	return off + 2;
}

static void answer(struct net_dns *s, const unsigned char *q, size_t n, const struct sockaddr *to)
{
	if (n < 12 || (q[2] & 0x80))
		return;   /* not a query */
	unsigned char out[DNS_MAX];
	unsigned qd = (unsigned)(q[4] << 8 | q[5]);
	unsigned opcode = (q[2] >> 3) & 0xf;
	char name[256];
	size_t qend = 12;
	int rcode = 0;
	if (opcode != 0)
		rcode = DNS_NOTIMP;
	else if (qd != 1 || read_qname(q, n, 12, name, sizeof(name), &qend) < 0)
		rcode = DNS_FORMERR;
	qd = qend > 12;   /* the question is echoed when it could be read */
	memcpy(out, q, qend);
	out[2] = (unsigned char)(0x84 | (q[2] & 0x01));   /* QR, AA, RD as asked */
	out[3] = 0;
	out[4] = 0, out[5] = (unsigned char)(qd ? 1 : 0);
	memset(out + 6, 0, 6);
	size_t off = qend, an = 0;
	if (!rcode) {
		unsigned qtype = (unsigned)(q[qend - 4] << 8 | q[qend - 3]);
		unsigned qclass = (unsigned)(q[qend - 2] << 8 | q[qend - 1]);
		struct in_addr v4[8];
		struct in6_addr v6[8];
		size_t n4, n6;
		if (qclass != DNS_IN || !lookup(s, name, v4, &n4, v6, &n6, 8)) {
			rcode = DNS_REFUSED;   /* not ours: the resolver asks its next server */
		} else {
			/* NOERROR; records of the asked type, none (NODATA) for others */
			for (size_t i = 0; (qtype == DNS_A || qtype == DNS_ANY) && i < n4; i++, an++) {
				off = put16(out, off, 0xc00c);
				off = put16(out, off, DNS_A);
				off = put16(out, off, DNS_IN);
				off = put16(out, off, 0), off = put16(out, off, DNS_TTL);
				off = put16(out, off, 4);
				memcpy(out + off, &v4[i], 4), off += 4;
			}
			for (size_t i = 0; (qtype == DNS_AAAA || qtype == DNS_ANY) && i < n6; i++, an++) {
				off = put16(out, off, 0xc00c);
				off = put16(out, off, DNS_AAAA);
				off = put16(out, off, DNS_IN);
				off = put16(out, off, 0), off = put16(out, off, DNS_TTL);
				off = put16(out, off, 16);
				memcpy(out + off, &v6[i], 16), off += 16;
			}
		}
	}
	out[3] = (unsigned char)rcode;
	put16(out, 6, (unsigned)an);
	uv_buf_t b = uv_buf_init((char *)out, (unsigned)off);
	(void)uv_udp_try_send(&s->udp, &b, 1, to);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	struct net_dns *s = h->data;
	if (nread > 0 && addr && !(flags & UV_UDP_PARTIAL))
		answer(s, (const unsigned char *)buf->base, (size_t)nread, addr);
	if (buf->base)
		s->busy = false;
}

static void on_close(uv_handle_t *h)
{
	free(h->data);
}

void net_dns_stop(struct net_network *n)
{
	if (!n->dns)
		return;
	uv_handle_t *h = (uv_handle_t *)&n->dns->udp;
	if (uv_is_closing(h)) {
		free(n->dns);   /* closed by the daemon's shutdown walk, which ran the loop */
	} else {
		uv_udp_recv_stop(&n->dns->udp);
		uv_close(h, on_close);
	}
	n->dns = NULL;
}

void net_dns_start(struct netd *d, struct net_network *n)
{
	if (n->dns || !d->loop)
		return;
	const char *gw = NULL;
	for (int i = 0; i < n->rec.nipam && !gw; i++)
		if (!strchr(n->rec.ipam[i].subnet, ':') && n->rec.ipam[i].gateway[0])
			gw = n->rec.ipam[i].gateway;
	if (!gw)
		return;
	struct net_dns *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->d = d;
	snprintf(s->network_id, sizeof(s->network_id), "%s", n->rec.id);
	snprintf(s->network_name, sizeof(s->network_name), "%s", n->rec.name);
	snprintf(s->addr, sizeof(s->addr), "%s", gw);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int r;
	if (inet_pton(AF_INET, gw, &sa.sin_addr) != 1 || (r = uv_udp_init(d->loop, &s->udp)) < 0) {
		free(s);
		return;
	}
	s->udp.data = s;
	/* SO_REUSEADDR: a host name server that binds 0.0.0.0:53 later (as
	 * dnsmasq does, with SO_REUSEADDR) still starts; queries to the gateway
	 * come here, the more specific bind */
	if ((r = uv_udp_bind(&s->udp, (const struct sockaddr *)&sa, UV_UDP_REUSEADDR)) < 0 ||
	    (r = uv_udp_recv_start(&s->udp, on_alloc, on_recv)) < 0) {
		log_debug("dns: network=%s: no name server on %s:53: %s", n->rec.name, gw, uv_strerror(r));
		uv_close((uv_handle_t *)&s->udp, on_close);
		return;
	}
	log_debug("dns: network=%s: names on %s:53", n->rec.name, gw);
	n->dns = s;
}

const char *net_dns_addr(const struct net_network *n)
{
	return n->dns ? n->dns->addr : NULL;
}
