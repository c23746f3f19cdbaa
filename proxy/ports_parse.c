/* proxy: the -p syntax and the canonical form of a port mapping. */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <ctype.h>

const char *ports__proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	default: return "?";
	}
}

static int parse_proto(const char *s, int *proto)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(s, "sctp"))
		*proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

static int parse_u16(const char *s, size_t len, uint16_t *out)
{
	if (len == 0 || len > 5)
		return -EINVAL;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "N" or "N-M" (N <= M); empty gives 0-0 when allow_empty */
static int parse_range(const char *s, size_t len, uint16_t *lo, uint16_t *hi, bool allow_empty)
{
	if (len == 0 && allow_empty) {
		*lo = *hi = 0;
		return 0;
	}
	const char *dash = memchr(s, '-', len);
	if (!dash)
		return parse_u16(s, len, lo) < 0 ? -EINVAL : (*hi = *lo, 0);
	if (parse_u16(s, (size_t)(dash - s), lo) < 0 || parse_u16(dash + 1, len - (size_t)(dash - s) - 1, hi) < 0 ||
	    *lo > *hi)
		return -EINVAL;
	return 0;
}

int nd_ports_parse(const char *spec, struct nd_port_map *out, size_t max, size_t *n, struct nd_error *err)
{
	*n = 0;
	if (!spec || !*spec || strlen(spec) > 128)
		return nd_error_set(err, -EINVAL, "ports: invalid port mapping \"%s\"", spec ? spec : "");
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", spec);

	int proto = IPPROTO_TCP;
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_proto(slash + 1, &proto) < 0)
			return nd_error_set(err, -EINVAL, "ports: \"%s\": unknown protocol \"%s\" (tcp, udp, sctp)", spec,
					    slash + 1);
	}

	/* split [HOSTIP:]HOSTPORT:CPORT from the right; a v6 HOSTIP is in brackets */
	char host_ip[64] = "";
	char *rest = buf;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':' || (size_t)(close - buf - 1) >= sizeof(host_ip))
			return nd_error_set(err, -EINVAL, "ports: \"%s\": expected [IPv6]:HOSTPORT:CPORT", spec);
		memcpy(host_ip, buf + 1, (size_t)(close - buf - 1));
		host_ip[close - buf - 1] = '\0';
		rest = close + 2;
		if (!strchr(rest, ':'))
			return nd_error_set(err, -EINVAL, "ports: \"%s\": expected [IPv6]:HOSTPORT:CPORT", spec);
	}
	char *cport = strrchr(rest, ':');
	char *hport = NULL;
	if (cport) {
		*cport++ = '\0';
		char *c2 = strrchr(rest, ':');
		if (c2) {
			if (rest != buf)
				return nd_error_set(err, -EINVAL, "ports: \"%s\": too many ':'", spec);
			*c2 = '\0';
			if (strlen(rest) >= sizeof(host_ip) || strchr(rest, ':'))
				return nd_error_set(err, -EINVAL, "ports: \"%s\": put an IPv6 host address in brackets",
						    spec);
			snprintf(host_ip, sizeof(host_ip), "%s", rest);
			hport = c2 + 1;
		} else {
			hport = rest;
		}
	} else {
		cport = rest;
	}
	if (host_ip[0]) {
		unsigned char a[16];
		if (inet_pton(AF_INET, host_ip, a) != 1 && inet_pton(AF_INET6, host_ip, a) != 1)
			return nd_error_set(err, -EINVAL, "ports: \"%s\": invalid host address \"%s\"", spec, host_ip);
	}

	uint16_t clo, chi, hlo = 0, hhi = 0;
	if (parse_range(cport, strlen(cport), &clo, &chi, false) < 0)
		return nd_error_set(err, -EINVAL, "ports: \"%s\": invalid container port \"%s\"", spec, cport);
	if (hport && parse_range(hport, strlen(hport), &hlo, &hhi, true) < 0)
		return nd_error_set(err, -EINVAL, "ports: \"%s\": invalid host port \"%s\"", spec, hport);
	size_t count = (size_t)(chi - clo) + 1;
	if (hlo && (size_t)(hhi - hlo) + 1 != count)
		return nd_error_set(err, -EINVAL,
				    "ports: \"%s\": host range %u-%u and container range %u-%u differ in length", spec,
				    hlo, hhi, clo, chi);
	if (count > max)
		return nd_error_set(err, -E2BIG, "ports: \"%s\": %zu ports (at most %zu)", spec, count, max);
	for (size_t i = 0; i < count; i++) {
		struct nd_port_map *m = &out[i];
		*m = (struct nd_port_map){ .proto = proto };
		snprintf(m->host_ip, sizeof(m->host_ip), "%s", host_ip);
		m->host_port = hlo ? (uint16_t)(hlo + i) : 0;
		m->container_port = (uint16_t)(clo + i);
	}
	*n = count;
	return 0;
}

const char *nd_port_map_str(const struct nd_port_map *m, char *buf, size_t len)
{
	bool h6 = strchr(m->host_ip, ':'), c6 = strchr(m->container_ip, ':');
	snprintf(buf, len, "%s%s%s%s%u->%s%s%s:%u/%s", h6 ? "[" : "", m->host_ip, h6 ? "]" : "",
		 m->host_ip[0] ? ":" : "", m->host_port, c6 ? "[" : "", m->container_ip, c6 ? "]" : "",
		 m->container_port, ports__proto_name(m->proto));
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
	int af = k->v6 ? AF_INET6 : AF_INET;
	inet_ntop(af, k->addr, out->container_ip, sizeof(out->container_ip));
	if (!k->any)
		inet_ntop(af, k->host_addr, out->host_ip, sizeof(out->host_ip));
	return 0;
}
