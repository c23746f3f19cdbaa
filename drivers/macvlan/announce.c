// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: tell the segment about a new child at once.
 *
 * Runs on the sandbox thread (its network namespace), through AF_PACKET
 * SOCK_DGRAM sockets bound to the child: the kernel adds the Ethernet
 * header for the link-layer destination we name.
 *
 * IPv4: a gratuitous ARP request (sender = target = the container's
 * address; switches learn the MAC, hosts that track gratuitous ARP update
 * or add it), then an ARP request for the gateway: a router that ignores
 * gratuitous ARP (Linux by default, arp_accept=0) still records who asked.
 * IPv6: an unsolicited neighbour advertisement to all nodes (override, with
 * our link-layer address), then a solicitation of the gateway carrying our
 * link-layer address, which the router records (RFC 4861 7.2.3). */
#include "drivers/macvlan/macvlan.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

struct macvlan__arp {
	struct arphdr h;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
} __attribute__((packed));

/* Closing a packet socket waits for an RCU grace period (synchronize_net()
 * in packet_release, ~10 ms here) whatever the socket did: the one socket
 * of an announcement is closed on a detached thread, so join does not wait. */
static void *macvlan__closer(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

static void macvlan__close_bg(int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	if (fd < 0)
		return;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		int r = pthread_create(&t, &attr, macvlan__closer, (void *)(intptr_t)fd);
		pthread_attr_destroy(&attr);
		if (r == 0)
			return;
	}
	close(fd);
}

/* protocol 0: the socket receives nothing; each datagram names its own */
static int macvlan__send(int fd, int ifindex, uint16_t proto, const uint8_t dst[6], const void *buf, size_t len,
			 const char *what, struct nd_error *err)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = ifindex, .sll_halen = 6,
	};
	memcpy(sll.sll_addr, dst, 6);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len)
		return nd_error_set(err, -errno, "%s: send: %s", what, strerror(errno));
	return 0;
}

static int macvlan__parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int macvlan__arp_request(int fd, int ifindex, const uint8_t mac[6], const struct in_addr *sip,
				const struct in_addr *tip, const char *what, struct nd_error *err)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct macvlan__arp p = {
		.h = { .ar_hrd = htons(ARPHRD_ETHER), .ar_pro = htons(ETHERTYPE_IP), .ar_hln = 6, .ar_pln = 4,
		       .ar_op = htons(ARPOP_REQUEST) },
	};
	memcpy(p.sha, mac, 6);
	memcpy(p.spa, sip, 4);
	memcpy(p.tpa, tip, 4);
	return macvlan__send(fd, ifindex, ETH_P_ARP, bcast, &p, sizeof(p), what, err);
}

/* RFC 4443 2.3: the one's complement sum over the IPv6 pseudo-header and the message */
static uint16_t macvlan__icmp6_csum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *msg,
				    size_t len)
{
	uint32_t sum = 0;
	const uint8_t *parts[2] = { src->s6_addr, dst->s6_addr };
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 16; i += 2)
			sum += (uint32_t)(parts[p][i] << 8 | parts[p][i + 1]);
	sum += (uint32_t)len;
	sum += IPPROTO_ICMPV6;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(msg[i] << 8 | msg[i + 1]);
	if (len & 1)
		sum += (uint32_t)(msg[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* one neighbour discovery message (NA or NS) with a link-layer address option */
static int macvlan__nd_send(int fd, int ifindex, const uint8_t mac[6], const struct in6_addr *src,
			    const struct in6_addr *dst, const uint8_t dmac[6], uint8_t type, uint32_t flags,
			    const struct in6_addr *target, uint8_t opt, const char *what, struct nd_error *err)
{
	struct {
		struct ip6_hdr ip;
		uint8_t icmp[24 + 8];
	} __attribute__((packed)) pkt;
	memset(&pkt, 0, sizeof(pkt));
	uint8_t *m = pkt.icmp;
	m[0] = type;                         /* code 0, checksum below */
	uint32_t fl = htonl(flags);
	memcpy(m + 4, &fl, 4);               /* NA flags; reserved (0) in an NS */
	memcpy(m + 8, target, 16);
	m[24] = opt;                         /* 1 source / 2 target link-layer address */
	m[25] = 1;                           /* length in units of 8 bytes */
	memcpy(m + 26, mac, 6);
	pkt.ip.ip6_flow = htonl(6u << 28);
	pkt.ip.ip6_plen = htons(sizeof(pkt.icmp));
	pkt.ip.ip6_nxt = IPPROTO_ICMPV6;
	pkt.ip.ip6_hlim = 255;               /* RFC 4861: neighbour discovery is link-local only */
	pkt.ip.ip6_src = *src;
	pkt.ip.ip6_dst = *dst;
	uint16_t cs = macvlan__icmp6_csum(src, dst, m, sizeof(pkt.icmp));
	memcpy(m + 2, &cs, 2);
	return macvlan__send(fd, ifindex, ETH_P_IPV6, dmac, &pkt, sizeof(pkt), what, err);
}

int macvlan__announce(int ifindex, const char *mac, const char *ipv4, const char *gw4, const char *ipv6,
		      const char *gw6, struct nd_error *err)
{
	uint8_t hw[6];
	if (macvlan__parse_mac(mac, hw) < 0)
		return nd_error_set(err, -EINVAL, "announce: bad MAC \"%s\"", mac ? mac : "");
	int first = 0, r;
	char a[64];
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nd_error_set(err, -errno, "announce: packet socket: %s", strerror(errno));
	if (ipv4 && *ipv4) {
		struct in_addr me, gw;
		macvlan__addr_only(ipv4, a, sizeof(a));
		if (inet_pton(AF_INET, a, &me) == 1) {
			if ((r = macvlan__arp_request(fd, ifindex, hw, &me, &me, "gratuitous ARP", err)) < 0 && !first)
				first = r;
			if (gw4 && *gw4 && inet_pton(AF_INET, gw4, &gw) == 1 && gw.s_addr != me.s_addr &&
			    (r = macvlan__arp_request(fd, ifindex, hw, &me, &gw, "ARP request for the gateway", err)) < 0 &&
			    !first)
				first = r;
		}
	}
	if (ipv6 && *ipv6) {
		struct in6_addr me, gw, all;
		macvlan__addr_only(ipv6, a, sizeof(a));
		inet_pton(AF_INET6, "ff02::1", &all);
		if (inet_pton(AF_INET6, a, &me) == 1) {
			static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
			/* override, not solicited, not a router */
			if ((r = macvlan__nd_send(fd, ifindex, hw, &me, &all, all_mac, ND_NEIGHBOR_ADVERT, 0x20000000, &me,
						  ND_OPT_TARGET_LINKADDR, "unsolicited neighbour advertisement", err)) < 0 &&
			    !first)
				first = r;
			if (gw6 && *gw6 && inet_pton(AF_INET6, gw6, &gw) == 1 && memcmp(&gw, &me, sizeof(gw)) != 0) {
				struct in6_addr sn;
				inet_pton(AF_INET6, "ff02::1:ff00:0", &sn);
				memcpy(sn.s6_addr + 13, gw.s6_addr + 13, 3);
				uint8_t sn_mac[6] = { 0x33, 0x33, 0xff, gw.s6_addr[13], gw.s6_addr[14], gw.s6_addr[15] };
				if ((r = macvlan__nd_send(fd, ifindex, hw, &me, &sn, sn_mac, ND_NEIGHBOR_SOLICIT, 0, &gw,
							  ND_OPT_SOURCE_LINKADDR, "neighbour solicitation of the gateway",
							  err)) < 0 && !first)
					first = r;
			}
		}
	}
	macvlan__close_bg(fd);
	return first;
}
