// SPDX-License-Identifier: Apache-2.0
/* ipam: addresses and prefixes — parse, format, compare, contain, overlap;
 * Docker's MAC derivation. */
#include <arpa/inet.h>
#include <ctype.h>

#include "ipam/ipam-internal.h"

int ipam_family_bits(int family)
{
	switch (family) {
	case AF_INET: return 32;
	case AF_INET6: return 128;
	default: return 0;
	}
}

const char *ipam__family_name(int family)
{
	switch (family) {
	case AF_INET: return "IPv4";
	case AF_INET6: return "IPv6";
	default: return "unspecified";
	}
}

ipam__u128 ipam__addr_to_u128(const struct ipam_addr *a)
{
	int n = ipam_family_bits(a->family) / 8;
	ipam__u128 v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | a->b[i];
	return v;
}

void ipam__u128_to_addr(int family, ipam__u128 v, struct ipam_addr *out)
{
	int n = ipam_family_bits(family) / 8;
	memset(out, 0, sizeof(*out));
	out->family = family;
	for (int i = n - 1; i >= 0; i--) {
		out->b[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

ipam__u128 ipam__mask(int bits, int len)
{
	if (len <= 0 || bits <= 0)
		return 0;
	ipam__u128 full = bits >= 128 ? IPAM__U128_MAX : (((ipam__u128)1 << bits) - 1);
	if (len >= bits)
		return full;
	return (IPAM__U128_MAX << (bits - len)) & full;
}

void ipam__prefix_bounds(const struct ipam_prefix *p, ipam__u128 *first, ipam__u128 *last)
{
	int bits = ipam_family_bits(p->addr.family);
	ipam__u128 full = ipam__mask(bits, bits);
	ipam__u128 m = ipam__mask(bits, p->len);
	ipam__u128 v = ipam__addr_to_u128(&p->addr) & m;
	*first = v;
	*last = v | (full & ~m);
}

void ipam_addr_from_ipv4(struct ipam_addr *out, uint32_t host_order)
{
	ipam__u128_to_addr(AF_INET, host_order, out);
}

bool ipam_addr_equal(const struct ipam_addr *a, const struct ipam_addr *b)
{
	return ipam_addr_cmp(a, b) == 0;
}

int ipam_addr_cmp(const struct ipam_addr *a, const struct ipam_addr *b)
{
	/* AF_INET (2) sorts before AF_INET6 (10). */
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int n = ipam_family_bits(a->family) / 8;
	return n ? memcmp(a->b, b->b, (size_t)n) : 0;
}

const char *ipam_addr_format(const struct ipam_addr *a, char buf[IPAM_ADDR_STRLEN])
{
	if (!a || (a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->b, buf, IPAM_ADDR_STRLEN))
		snprintf(buf, IPAM_ADDR_STRLEN, "invalid");
	return buf;
}

/* Parses an address already cut out of its surrounding text; NULL when
 * fine, else the reason. */
static const char *parse_addr(const char *s, struct ipam_addr *out)
{
	struct ipam_addr a = { 0 };
	if (!*s)
		return "empty address";
	if (strchr(s, '%'))
		return "zone identifiers are not allowed";
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.b) != 1)
			return "not a valid IPv6 address";
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.b) != 1)
			return "not a valid IPv4 address";
		a.family = AF_INET;
	}
	*out = a;
	return NULL;
}

int ipam_addr_parse(const char *s, const char *what, struct ipam_addr *out, struct nd_error *err)
{
	if (!what)
		what = "address";
	if (!s)
		return nd_error_set(err, -EINVAL, "missing %s", what);
	if (strchr(s, '/'))
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": expected an address without a prefix length",
				    what, s);
	if (strlen(s) >= IPAM_ADDR_STRLEN)
		return nd_error_set(err, -EINVAL, "invalid %s \"%.64s...\": too long", what, s);
	const char *why = parse_addr(s, out);
	if (why)
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": %s", what, s, why);
	return 0;
}

int ipam_prefix_parse(const char *s, const char *what, unsigned flags, struct ipam_prefix *out,
		      struct nd_error *err)
{
	if (!what)
		what = "prefix";
	if (!s)
		return nd_error_set(err, -EINVAL, "missing %s", what);
	size_t slen = strlen(s);
	if (slen >= IPAM_PREFIX_STRLEN)
		return nd_error_set(err, -EINVAL, "invalid %s \"%.64s...\": too long", what, s);
	const char *slash = strrchr(s, '/');
	if (!slash)
		return nd_error_set(err, -EINVAL,
				    "invalid %s \"%s\": missing prefix length (CIDR notation, e.g. \"172.18.0.0/16\")",
				    what, s);

	char abuf[IPAM_PREFIX_STRLEN];
	memcpy(abuf, s, (size_t)(slash - s));
	abuf[slash - s] = '\0';
	struct ipam_addr a;
	const char *why = parse_addr(abuf, &a);
	if (why)
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": %s", what, s, why);

	int bits = ipam_family_bits(a.family);
	const char *l = slash + 1;
	size_t llen = strlen(l);
	bool digits = llen > 0 && llen <= 3;
	for (size_t i = 0; digits && i < llen; i++)
		digits = isdigit((unsigned char)l[i]);
	if (!digits)
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": prefix length must be 0..%d", what, s,
				    bits);
	if (llen > 1 && l[0] == '0')
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": prefix length has a leading zero", what,
				    s);
	int len = atoi(l);
	if (len > bits)
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": prefix length must be 0..%d", what, s,
				    bits);

	struct ipam_prefix p = { .addr = a, .len = len };
	if (!(flags & IPAM_PREFIX_HOST_BITS_OK)) {
		struct ipam_prefix net;
		ipam_prefix_make(&a, len, &net, NULL);
		if (!ipam_addr_equal(&net.addr, &a)) {
			char nbuf[IPAM_PREFIX_STRLEN];
			return nd_error_set(err, -EINVAL, "invalid %s \"%s\": host bits set; did you mean %s?",
					    what, s, ipam_prefix_format(&net, nbuf));
		}
	}
	*out = p;
	return 0;
}

const char *ipam_prefix_format(const struct ipam_prefix *p, char buf[IPAM_PREFIX_STRLEN])
{
	char abuf[IPAM_ADDR_STRLEN];
	if (!p || !ipam_family_bits(p->addr.family) || p->len < 0 || p->len > ipam_family_bits(p->addr.family))
		snprintf(buf, IPAM_PREFIX_STRLEN, "invalid");
	else
		snprintf(buf, IPAM_PREFIX_STRLEN, "%s/%d", ipam_addr_format(&p->addr, abuf), p->len);
	return buf;
}

int ipam_prefix_make(const struct ipam_addr *a, int len, struct ipam_prefix *out, struct nd_error *err)
{
	int bits = ipam_family_bits(a->family);
	if (!bits)
		return nd_error_set(err, -EINVAL, "invalid address family %d", a->family);
	if (len < 0 || len > bits)
		return nd_error_set(err, -EINVAL, "invalid prefix length %d: must be 0..%d", len, bits);
	struct ipam_prefix p = { .len = len };
	ipam__u128_to_addr(a->family, ipam__addr_to_u128(a) & ipam__mask(bits, len), &p.addr);
	*out = p;
	return 0;
}

bool ipam_prefix_equal(const struct ipam_prefix *a, const struct ipam_prefix *b)
{
	return a->len == b->len && ipam_addr_equal(&a->addr, &b->addr);
}

void ipam_prefix_first(const struct ipam_prefix *p, struct ipam_addr *out)
{
	ipam__u128 first, last;
	ipam__prefix_bounds(p, &first, &last);
	ipam__u128_to_addr(p->addr.family, first, out);
}

void ipam_prefix_last(const struct ipam_prefix *p, struct ipam_addr *out)
{
	ipam__u128 first, last;
	ipam__prefix_bounds(p, &first, &last);
	ipam__u128_to_addr(p->addr.family, last, out);
}

bool ipam_prefix_contains(const struct ipam_prefix *p, const struct ipam_addr *a)
{
	int bits = ipam_family_bits(p->addr.family);
	if (!bits || a->family != p->addr.family)
		return false;
	ipam__u128 m = ipam__mask(bits, p->len);
	return (ipam__addr_to_u128(a) & m) == (ipam__addr_to_u128(&p->addr) & m);
}

bool ipam_prefix_contains_prefix(const struct ipam_prefix *outer, const struct ipam_prefix *inner)
{
	return inner->len >= outer->len && ipam_prefix_contains(outer, &inner->addr);
}

bool ipam_prefix_overlaps(const struct ipam_prefix *a, const struct ipam_prefix *b)
{
	/* Two prefixes overlap iff the shorter one contains the longer one. */
	return a->len <= b->len ? ipam_prefix_contains(a, &b->addr) : ipam_prefix_contains(b, &a->addr);
}

int ipam_mac_bytes_from_ipv4(const struct ipam_addr *a, uint8_t mac[6])
{
	if (!a || a->family != AF_INET)
		return -EINVAL;
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, a->b, 4);
	return 0;
}

int ipam_mac_from_ipv4(const struct ipam_addr *a, char out[18])
{
	uint8_t m[6];
	int r = ipam_mac_bytes_from_ipv4(a, m);
	if (r < 0)
		return r;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}
