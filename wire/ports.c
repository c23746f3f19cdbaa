// SPDX-License-Identifier: Apache-2.0
/* wire: the -p syntax of a published port, parsed once for netctl and netd. */
#include "wire/wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>

const char *wire_ports_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	default: return "?";
	}
}

int wire_ports_proto_from_name(const char *s, int *proto)
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
	if (!dash) {
		if (parse_u16(s, len, lo) < 0)
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	if (parse_u16(s, (size_t)(dash - s), lo) < 0 || parse_u16(dash + 1, len - (size_t)(dash - s) - 1, hi) < 0 ||
	    *lo > *hi)
		return -EINVAL;
	return 0;
}

int wire_ports_parse(const char *spec, struct wire_port_spec *out, struct nd_error *err)
{
	*out = (struct wire_port_spec){ .proto = IPPROTO_TCP };
	if (!spec || !*spec || strlen(spec) > 128)
		return nd_error_set(err, -EINVAL, "ports: invalid port mapping \"%s\"", spec ? spec : "");
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", spec);

	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (wire_ports_proto_from_name(slash + 1, &out->proto) < 0)
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
	if (hlo && hhi - hlo != chi - clo)
		return nd_error_set(err, -EINVAL,
				    "ports: \"%s\": host range %u-%u and container range %u-%u differ in length", spec,
				    hlo, hhi, clo, chi);
	snprintf(out->host_ip, sizeof(out->host_ip), "%s", host_ip);
	out->host_lo = hlo;
	out->host_hi = hhi;
	out->container_lo = clo;
	out->container_hi = chi;
	return 0;
}
