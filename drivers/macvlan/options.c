// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: options, names, MACs and the host-access address. Pure
 * functions, no kernel access, unit-tested in tests/unit/test_drivers.c. */
#include "drivers/macvlan/macvlan.h"
#include "drivers/nl.h"
#include "drivers/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <linux/if_link.h>
#include <sys/random.h>

static const struct {
	const char *name;
	enum macvlan_mode_e mode;
	uint32_t kernel;
} macvlan__modes[] = {
	{ "bridge", MACVLAN_M_BRIDGE, MACVLAN_MODE_BRIDGE },
	{ "private", MACVLAN_M_PRIVATE, MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_M_VEPA, MACVLAN_MODE_VEPA },
	{ "passthru", MACVLAN_M_PASSTHRU, MACVLAN_MODE_PASSTHRU },
};

const char *macvlan__mode_name(enum macvlan_mode_e m)
{
	for (size_t i = 0; i < ARRAY_SIZE(macvlan__modes); i++)
		if (macvlan__modes[i].mode == m)
			return macvlan__modes[i].name;
	return "?";
}

uint32_t macvlan__mode_kernel(enum macvlan_mode_e m)
{
	for (size_t i = 0; i < ARRAY_SIZE(macvlan__modes); i++)
		if (macvlan__modes[i].mode == m)
			return macvlan__modes[i].kernel;
	return MACVLAN_MODE_BRIDGE;
}

static int macvlan__parse_addr(const char *key, const char *v, int family, char out[64], struct nd_error *err)
{
	unsigned char buf[16];
	if (inet_pton(family, v, buf) != 1)
		return nd_error_set(err, -EINVAL, "option %s: \"%s\" is not an %s address", key, v,
				    family == AF_INET ? "IPv4" : "IPv6");
	snprintf(out, 64, "%s", v);
	return 0;
}

/* "eth0.42" -> base "eth0", vlan 42; "eth0" -> vlan 0 */
static int macvlan__parse_parent(const char *v, struct macvlan_opts *o, struct nd_error *err)
{
	if (!nd_ifname_valid(v))
		return nd_error_set(err, -EINVAL,
				    "option parent: \"%s\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)", v);
	snprintf(o->parent, sizeof(o->parent), "%s", v);
	snprintf(o->base, sizeof(o->base), "%s", v);
	const char *dot = strrchr(v, '.');
	if (!dot)
		return 0;
	const char *num = dot + 1;
	char *end = NULL;
	errno = 0;
	long id = strtol(num, &end, 10);
	if (!*num || *end || errno || !isdigit((unsigned char)*num) || (num[0] == '0' && num[1]))
		return nd_error_set(err, -EINVAL,
				    "option parent: \"%s\": the part after the last '.' must be a VLAN id (1-4094)", v);
	if (id < 1 || id > 4094)
		return nd_error_set(err, -EINVAL, "option parent: \"%s\": VLAN id %ld is out of range (1-4094)", v, id);
	if (dot == v)
		return nd_error_set(err, -EINVAL, "option parent: \"%s\" names no interface before the VLAN id", v);
	o->vlan = (int)id;
	snprintf(o->base, sizeof(o->base), "%.*s", (int)(dot - v), v);
	return 0;
}

static int macvlan__opt(const char *key, const char *v, void *ctx, struct nd_error *err)
{
	struct macvlan_opts *o = ctx;
	if (strcmp(key, MACVLAN_OPT_PARENT) == 0)
		return macvlan__parse_parent(v, o, err);
	if (strcmp(key, MACVLAN_OPT_MODE) == 0) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(macvlan__modes); i++)
			if (strcmp(v, macvlan__modes[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(macvlan__modes))
			return nd_error_set(err, -EINVAL,
					    "option %s: unknown mode \"%s\" (want bridge, private, vepa or passthru)", key,
					    v);
		o->mode = macvlan__modes[i].mode;
		return 0;
	}
	if (strcmp(key, MACVLAN_OPT_HOST_ACCESS) == 0)
		return nd_drv_opt_bool(key, v, &o->host_access, err);
	if (strcmp(key, MACVLAN_OPT_HOST_ADDR) == 0)
		return macvlan__parse_addr(key, v, AF_INET, o->host_addr4, err);
	if (strcmp(key, MACVLAN_OPT_HOST_ADDR6) == 0)
		return macvlan__parse_addr(key, v, AF_INET6, o->host_addr6, err);
	if (strcmp(key, "com.docker.network.driver.mtu") == 0)
		return nd_error_set(err, -EINVAL, "macvlan driver: option %s is not supported: the MTU is the "
				    "parent interface's", key);
	return nd_error_set(err, -EINVAL,
			    "macvlan driver: unknown option \"%s\" (known: parent, macvlan_mode, %s, %s, %s)", key,
			    MACVLAN_OPT_HOST_ACCESS, MACVLAN_OPT_HOST_ADDR, MACVLAN_OPT_HOST_ADDR6);
}

int macvlan__opts_parse(const json_t *options, struct macvlan_opts *o, struct nd_error *err)
{
	memset(o, 0, sizeof(*o));
	o->mode = MACVLAN_M_BRIDGE;
	int r = nd_drv_opts_foreach(options, macvlan__opt, o, err);
	if (r < 0 || !options)
		return r;
	if (o->host_access && (o->mode == MACVLAN_M_PRIVATE || o->mode == MACVLAN_M_PASSTHRU))
		return nd_error_set(err, -EINVAL, "option %s=true needs macvlan_mode bridge or vepa: in %s mode the "
				    "host's own child could never reach the containers", MACVLAN_OPT_HOST_ACCESS,
				    macvlan__mode_name(o->mode));
	if (!o->host_access && (o->host_addr4[0] || o->host_addr6[0]))
		return nd_error_set(err, -EINVAL, "options %s and %s need %s=true", MACVLAN_OPT_HOST_ADDR,
				    MACVLAN_OPT_HOST_ADDR6, MACVLAN_OPT_HOST_ACCESS);
	return 0;
}

int macvlan__options_validate(const json_t *options, struct nd_error *err)
{
	struct macvlan_opts o;
	return macvlan__opts_parse(options, &o, err);
}

static bool macvlan__is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

int macvlan__name(const char *prefix, const char *id, char out[IFNAMSIZ])
{
	if (!id || strlen(id) < ND_ID_SHORT || strlen(prefix) + ND_ID_SHORT >= IFNAMSIZ)
		return -EINVAL;
	for (int i = 0; i < ND_ID_SHORT; i++)
		if (!isxdigit((unsigned char)id[i]))
			return -EINVAL;
	snprintf(out, IFNAMSIZ, "%s%.12s", prefix, id);
	for (char *c = out + strlen(prefix); *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

int macvlan__parent_link(const struct nd_drv_network *net, const struct macvlan_opts *o, char out[IFNAMSIZ],
			 struct nd_error *err)
{
	if (o->parent[0]) {
		snprintf(out, IFNAMSIZ, "%s", o->parent);
		return 0;
	}
	if (macvlan__name("mvi", net->id, out) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id \"%s\"", net->id ? net->id : "");
	return 0;
}

bool macvlan__owns_ifname(const char *ifname)
{
	static const char *const prefixes[] = { "mvh", "mvi", "mvo", "mvl" };
	if (!ifname)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (nd_str_has_prefix(ifname, prefixes[i]) && macvlan__is_hex(ifname + 3, ND_ID_SHORT))
			return true;
	return false;
}

void macvlan__tomb_name(int ifindex, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, MACVLAN_TOMB_PREFIX "%x", (unsigned)ifindex);
}

bool macvlan__is_tomb(const char *ifname)
{
	if (!ifname || !nd_str_has_prefix(ifname, MACVLAN_TOMB_PREFIX))
		return false;
	const char *h = ifname + strlen(MACVLAN_TOMB_PREFIX);
	size_t n = strlen(h);
	return n >= 1 && n <= 8 && macvlan__is_hex(h, n);
}

static void macvlan__mac_fmt(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void macvlan__addr_only(const char *cidr, char *out, size_t size)
{
	snprintf(out, size, "%s", cidr ? cidr : "");
	out[strcspn(out, "/")] = '\0';
}

int macvlan__mac_for(const char *ipv4, char out[18])
{
	uint8_t m[6];
	if (ipv4 && *ipv4) {
		char a[64];
		struct in_addr in;
		macvlan__addr_only(ipv4, a, sizeof(a));
		if (inet_pton(AF_INET, a, &in) != 1)
			return -EINVAL;
		const uint8_t *b = (const uint8_t *)&in.s_addr;
		m[0] = 0x02, m[1] = 0x42, m[2] = b[0], m[3] = b[1], m[4] = b[2], m[5] = b[3];
	} else {
		if (getrandom(m, sizeof(m), 0) != (ssize_t)sizeof(m))
			return -EIO;
		m[0] = (uint8_t)((m[0] & 0xfe) | 0x02); /* unicast, locally administered */
	}
	macvlan__mac_fmt(m, out);
	return 0;
}

int macvlan__mac_from_id(const char *id, char out[18])
{
	if (!id || strlen(id) < 10)
		return -EINVAL;
	uint8_t m[6] = { 0x06 }; /* locally administered, apart from the bridge driver's 02: */
	for (int i = 0; i < 5; i++) {
		unsigned v;
		if (sscanf(id + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		m[i + 1] = (uint8_t)v;
	}
	macvlan__mac_fmt(m, out);
	return 0;
}

const char *macvlan__host_addr_of(const struct nd_drv_subnet *s)
{
	return s->aux ? nd_json_str(s->aux, MACVLAN_AUX_HOST) : NULL;
}

/* ---- the host-access address --------------------------------------------- */

struct macvlan__pfx {
	int family;
	int len;          /* prefix length */
	int bytes;        /* 4 or 16 */
	uint8_t a[16];
};

static int macvlan__pfx_parse(const char *cidr, struct macvlan__pfx *p)
{
	char buf[64];
	memset(p, 0, sizeof(*p));
	if (nd_snprintf(buf, sizeof(buf), "%s", cidr) < 0)
		return -EINVAL;
	char *slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	p->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	p->bytes = p->family == AF_INET ? 4 : 16;
	char *end = NULL;
	long len = strtol(slash + 1, &end, 10);
	if (*end || len < 0 || len > p->bytes * 8 || inet_pton(p->family, buf, p->a) != 1)
		return -EINVAL;
	p->len = (int)len;
	return 0;
}

static bool macvlan__in(const struct macvlan__pfx *p, const uint8_t *a)
{
	for (int bit = 0; bit < p->len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if ((p->a[bit / 8] & m) != (a[bit / 8] & m))
			return false;
	}
	return true;
}

static bool macvlan__same(const char *text, int family, const uint8_t *a)
{
	uint8_t b[16];
	char buf[64];
	if (!text || !*text)
		return false;
	macvlan__addr_only(text, buf, sizeof(buf));
	return inet_pton(family, buf, b) == 1 && memcmp(a, b, family == AF_INET ? 4 : 16) == 0;
}

/* is a the gateway, an auxiliary address, or (IPv4) the network or broadcast address? */
static bool macvlan__taken(const struct nd_drv_subnet *s, const struct macvlan__pfx *sub, const uint8_t *a,
			   const char **why)
{
	if (macvlan__same(s->gateway, sub->family, a)) {
		*why = "the gateway";
		return true;
	}
	if (s->aux) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)s->aux, k, v) {
			if (strcmp(k, MACVLAN_AUX_HOST) != 0 && json_is_string(v) &&
			    macvlan__same(json_string_value(v), sub->family, a)) {
				*why = "an auxiliary address";
				return true;
			}
		}
	}
	if (sub->family == AF_INET && sub->len <= 30) {
		bool zeros = true, ones = true;
		for (int bit = sub->len; bit < 32; bit++) {
			bool set = a[bit / 8] & (0x80 >> (bit % 8));
			zeros &= !set;
			ones &= set;
		}
		if (zeros || ones) {
			*why = zeros ? "the network address" : "the broadcast address";
			return true;
		}
	}
	return false;
}

int macvlan__host_addr_pick(const struct nd_drv_subnet *s, const char *want, char out[64], struct nd_error *err)
{
	struct macvlan__pfx sub, range;
	if (macvlan__pfx_parse(s->subnet, &sub) < 0)
		return nd_error_set(err, -EINVAL, "subnet \"%s\" is not a prefix", s->subnet);
	const char *why = NULL;
	if (want && *want) {
		uint8_t a[16];
		if (inet_pton(sub.family, want, a) != 1 || !macvlan__in(&sub, a))
			return nd_error_set(err, -EINVAL, "host-access address %s is not in subnet %s", want, s->subnet);
		if (macvlan__taken(s, &sub, a, &why))
			return nd_error_set(err, -EINVAL, "host-access address %s is %s of subnet %s", want, why,
					    s->subnet);
		snprintf(out, 64, "%s", want);
		return 0;
	}
	range = sub;
	if (s->ip_range[0] && macvlan__pfx_parse(s->ip_range, &range) < 0)
		return nd_error_set(err, -EINVAL, "ip-range \"%s\" is not a prefix", s->ip_range);
	uint8_t a[16];
	memcpy(a, range.a, sizeof(a));
	for (int bit = range.len; bit < range.bytes * 8; bit++)
		a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	/* walk down from the top of the range */
	for (int tries = 0; tries < 256; tries++) {
		if (!macvlan__in(&range, a))
			break;
		if (!macvlan__taken(s, &sub, a, &why)) {
			if (!inet_ntop(sub.family, a, out, 64))
				return nd_error_set(err, -EINVAL, "cannot format an address");
			return 0;
		}
		for (int i = range.bytes - 1; i >= 0; i--)
			if (a[i]-- != 0)
				break;
	}
	return nd_error_set(err, -ENOSPC, "no free address for host access at the top of %s; name one with -o %s",
			    s->ip_range[0] ? s->ip_range : s->subnet,
			    sub.family == AF_INET ? MACVLAN_OPT_HOST_ADDR : MACVLAN_OPT_HOST_ADDR6);
}
