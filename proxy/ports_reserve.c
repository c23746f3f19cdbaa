// SPDX-License-Identifier: Apache-2.0
/* proxy: port reservations — a socket bound to every published host port,
 * SO_REUSEADDR off, so that no host process can bind it while it is
 * published (Docker's port reservations do the same). */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static int sock_type(int proto)
{
	return proto == IPPROTO_SCTP ? SOCK_STREAM : proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

int ports__reserve(const struct fw__port *k, bool listen_too, int *out, struct nd_error *err)
{
	*out = -1;
	int af = k->v6 ? AF_INET6 : AF_INET;
	char host[INET6_ADDRSTRLEN] = "*";
	if (!k->any)
		inet_ntop(af, k->host_addr, host, sizeof(host));
	_cleanup_close_ int fd = socket(af, sock_type(k->proto) | SOCK_CLOEXEC | SOCK_NONBLOCK, k->proto);
	if (fd < 0) {
		if (k->proto == IPPROTO_SCTP && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
			return 0; /* no SCTP in this kernel: nobody can take the port either */
		return nd_error_set(err, -errno, "ports: reserve %s:%u/%s: socket: %s", host, k->host_port,
				    wire_ports_proto_name(k->proto), strerror(errno));
	}
	int on = 1;
	if (k->v6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	/* the userland proxy's listener: relayed connections it closed first
	 * leave TIME_WAIT sockets on the port, which would keep an unpublish +
	 * publish of it (or an IPv6 mapping taking [::]:port over) failing for a
	 * minute. Still exclusive: Linux never lets another socket share a port
	 * with a listening one through SO_REUSEADDR. */
	if (listen_too && k->proto == IPPROTO_TCP)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a = { 0 };
	socklen_t alen;
	if (k->v6) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(k->host_port);
		if (!k->any)
			memcpy(&a.in6.sin6_addr, k->host_addr, 16);
		alen = sizeof(a.in6);
	} else {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(k->host_port);
		if (!k->any)
			memcpy(&a.in.sin_addr, k->host_addr, 4);
		alen = sizeof(a.in);
	}
	if (bind(fd, &a.sa, alen) < 0) {
		int e = errno;
		if (e == EADDRINUSE)
			return nd_error_set(err, -EADDRINUSE,
					    "ports: host port %s:%u/%s is already in use by a host process", host,
					    k->host_port, wire_ports_proto_name(k->proto));
		return nd_error_set(err, -e, "ports: reserve %s:%u/%s: bind: %s", host, k->host_port,
				    wire_ports_proto_name(k->proto), strerror(e));
	}
	if (k->proto == IPPROTO_UDP && !listen_too) {
		/* datagrams that nothing steered elsewhere are not worth queueing */
		int small = 1;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	if (listen_too && k->proto != IPPROTO_UDP && listen(fd, 511) < 0)
		return nd_error_set(err, -errno, "ports: %s:%u/%s: listen: %s", host, k->host_port,
				    wire_ports_proto_name(k->proto), strerror(errno));
	*out = TAKE_FD(fd);
	return 0;
}
