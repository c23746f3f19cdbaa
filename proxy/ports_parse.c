// SPDX-License-Identifier: Apache-2.0
/* proxy: port mappings from the -p syntax (parsed by wire/, which netctl
 * shares) and their canonical form. */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>

int nd_ports_parse(const char *spec, struct nd_port_map *out, size_t max, size_t *n, struct nd_error *err)
{
	*n = 0;
	struct wire_port_spec ps;
	int r = wire_ports_parse(spec, &ps, err);
	if (r < 0)
		return r;
	size_t count = wire_ports_count(&ps);
	if (count > max)
		return nd_error_set(err, -E2BIG, "ports: \"%s\": %zu ports (at most %zu)", spec, count, max);
	for (size_t i = 0; i < count; i++) {
		struct nd_port_map *m = &out[i];
		*m = (struct nd_port_map){ .proto = ps.proto };
		snprintf(m->host_ip, sizeof(m->host_ip), "%s", ps.host_ip);
		m->host_port = ps.host_lo ? (uint16_t)(ps.host_lo + i) : 0;
		m->container_port = (uint16_t)(ps.container_lo + i);
	}
	*n = count;
	return 0;
}

const char *nd_port_map_str(const struct nd_port_map *m, char *buf, size_t len)
{
	bool h6 = strchr(m->host_ip, ':'), c6 = strchr(m->container_ip, ':');
	snprintf(buf, len, "%s%s%s%s%u->%s%s%s:%u/%s", h6 ? "[" : "", m->host_ip, h6 ? "]" : "",
		 m->host_ip[0] ? ":" : "", m->host_port, c6 ? "[" : "", m->container_ip, c6 ? "]" : "",
		 m->container_port, wire_ports_proto_name(m->proto));
	return buf;
}

int ports__canon(const struct nd_port_map *in, struct nd_port_map *out, struct fw__port *k, struct nd_error *err)
{
	char s[160];
	nd_port_map_str(in, s, sizeof(s));
	*k = (struct fw__port){ 0 };
	*out = (struct nd_port_map){ 0 };
	if (in->proto != IPPROTO_TCP && in->proto != IPPROTO_UDP && in->proto != IPPROTO_SCTP)
		return nd_error_set(err, -EINVAL, "ports: %s: unknown protocol %d", s, in->proto);
	if (!in->host_port || !in->container_port)
		return nd_error_set(err, -EINVAL, "ports: %s: port 0", s);
	if (memchr(in->container_ip, 0, sizeof(in->container_ip)) == NULL ||
	    memchr(in->host_ip, 0, sizeof(in->host_ip)) == NULL)
		return nd_error_set(err, -EINVAL, "ports: address too long");
	if (inet_pton(AF_INET, in->container_ip, k->addr) == 1)
		k->v6 = false;
	else if (inet_pton(AF_INET6, in->container_ip, k->addr) == 1)
		k->v6 = true;
	else
		return nd_error_set(err, -EINVAL, "ports: %s: invalid container address \"%s\"", s, in->container_ip);
	k->any = !in->host_ip[0];
	if (!k->any) {
		bool hv6 = false;
		if (inet_pton(AF_INET, in->host_ip, k->host_addr) == 1)
			hv6 = false;
		else if (inet_pton(AF_INET6, in->host_ip, k->host_addr) == 1)
			hv6 = true;
		else
			return nd_error_set(err, -EINVAL, "ports: %s: invalid host address \"%s\"", s, in->host_ip);
		if (hv6 != k->v6)
			return nd_error_set(err, -EINVAL, "ports: %s: host and container addresses of different families",
					    s);
		static const uint8_t zero[16];
		if (!memcmp(k->host_addr, zero, 16))
			k->any = true; /* 0.0.0.0 and :: mean all */
	}
	k->proto = (uint8_t)in->proto;
	k->host_port = in->host_port;
	k->port = in->container_port;
	out->proto = in->proto;
	out->host_port = in->host_port;
	out->container_port = in->container_port;
	out->caller_reserves = in->caller_reserves;
	int af = k->v6 ? AF_INET6 : AF_INET;
	inet_ntop(af, k->addr, out->container_ip, sizeof(out->container_ip));
	if (!k->any)
		inet_ntop(af, k->host_addr, out->host_ip, sizeof(out->host_ip));
	return 0;
}
