// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: option parsing and name/MAC derivation. Pure functions,
 * no kernel access, unit-tested in tests/unit/test_drivers.c. */
#include "drivers/bridge/bridge.h"
#include "drivers/nl.h"
#include "drivers/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/random.h>

static int bridge__opt(const char *key, const char *v, void *ctx, struct nd_error *err)
{
	struct bridge_opts *o = ctx;
	if (strcmp(key, BRIDGE_OPT_NAME) == 0) {
		if (!nd_ifname_valid(v))
			return nd_error_set(err, -EINVAL,
				"option %s: \"%s\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
				key, v);
		snprintf(o->name, sizeof(o->name), "%s", v);
	} else if (strcmp(key, BRIDGE_OPT_MTU) == 0) {
		long mtu;
		int r = nd_drv_opt_long(key, v, "MTU", 68, 65535, &mtu, err);
		if (r < 0)
			return r;
		o->mtu = (int)mtu;
	} else if (strcmp(key, BRIDGE_OPT_ICC) == 0) {
		return nd_drv_opt_bool(key, v, &o->icc, err);
	} else if (strcmp(key, BRIDGE_OPT_MASQUERADE) == 0) {
		return nd_drv_opt_bool(key, v, &o->masquerade, err);
	} else if (strcmp(key, BRIDGE_OPT_DEFAULT) == 0) {
		return nd_drv_opt_bool(key, v, &o->default_bridge, err);
	} else if (strcmp(key, BRIDGE_OPT_HOST_BIND) == 0) {
		struct in_addr a;
		if (inet_pton(AF_INET, v, &a) != 1)
			return nd_error_set(err, -EINVAL, "option %s: \"%s\" is not an IPv4 address", key, v);
		snprintf(o->host_binding_ipv4, sizeof(o->host_binding_ipv4), "%s", v);
	} else {
		return nd_error_set(err, -EINVAL, "bridge driver: unknown option \"%s\"", key);
	}
	return 0;
}

int bridge__opts_parse(const json_t *options, struct bridge_opts *o, struct nd_error *err)
{
	memset(o, 0, sizeof(*o));
	o->icc = true;
	o->masquerade = true;
	return nd_drv_opts_foreach(options, bridge__opt, o, err);
}

int bridge__options_validate(const json_t *options, struct nd_error *err)
{
	struct bridge_opts o;
	return bridge__opts_parse(options, &o, err);
}

int bridge__bridge_name(const struct nd_drv_network *net, const struct bridge_opts *o, char out[IFNAMSIZ])
{
	if (o && o->name[0]) {
		snprintf(out, IFNAMSIZ, "%s", o->name);
		return 0;
	}
	if (!net->id || strlen(net->id) < ND_ID_SHORT)
		return -EINVAL;
	snprintf(out, IFNAMSIZ, "br-%.12s", net->id);
	return 0;
}

int bridge__bridge_name_of(const struct nd_drv_network *net, char out[IFNAMSIZ], struct nd_error *err)
{
	const char *rec = net->data ? nd_json_str(net->data, "bridge") : NULL;
	if (rec && nd_ifname_valid(rec)) {
		snprintf(out, IFNAMSIZ, "%s", rec);
		return 0;
	}
	struct bridge_opts o;
	int r = bridge__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	if (bridge__bridge_name(net, &o, out) < 0)
		return nd_error_set(err, -EINVAL, "network %s: invalid id", net->id ? net->id : "(null)");
	return 0;
}

static bool bridge__is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

int bridge__veth_names(const char *ep_id, char host[IFNAMSIZ], char peer[IFNAMSIZ])
{
	if (!ep_id || strlen(ep_id) < BRIDGE_VETH_HEX)
		return -EINVAL;
	for (int i = 0; i < BRIDGE_VETH_HEX; i++)
		if (!isxdigit((unsigned char)ep_id[i]))
			return -EINVAL;
	char hex[BRIDGE_VETH_HEX + 1];
	for (int i = 0; i < BRIDGE_VETH_HEX; i++)
		hex[i] = (char)tolower((unsigned char)ep_id[i]);
	hex[BRIDGE_VETH_HEX] = '\0';
	snprintf(host, IFNAMSIZ, "veth%s", hex);
	snprintf(peer, IFNAMSIZ, "vp%s", hex);
	return 0;
}

static void bridge__mac_fmt(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int bridge__mac_from_ipv4(const char *ipv4, char out[18])
{
	char buf[64];
	if (!ipv4 || nd_snprintf(buf, sizeof(buf), "%s", ipv4) < 0)
		return -EINVAL;
	buf[strcspn(buf, "/")] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	const uint8_t *b = (const uint8_t *)&a.s_addr;
	uint8_t m[6] = { 0x02, 0x42, b[0], b[1], b[2], b[3] };
	bridge__mac_fmt(m, out);
	return 0;
}

int bridge__mac_random(char out[18])
{
	uint8_t m[6];
	if (getrandom(m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return -errno ? -errno : -EIO;
	m[0] = (uint8_t)((m[0] & 0xfe) | 0x02); /* unicast, locally administered */
	bridge__mac_fmt(m, out);
	return 0;
}

int bridge__mac_from_id(const char *id, char out[18])
{
	if (!id || strlen(id) < 10)
		return -EINVAL;
	uint8_t m[6] = { 0x02 };
	for (int i = 0; i < 5; i++) {
		unsigned v;
		if (sscanf(id + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		m[i + 1] = (uint8_t)v;
	}
	bridge__mac_fmt(m, out);
	return 0;
}

bool bridge__owns_ifname(const char *ifname)
{
	if (!ifname)
		return false;
	if (nd_str_has_prefix(ifname, "br-"))
		return bridge__is_hex(ifname + 3, ND_ID_SHORT);
	if (nd_str_has_prefix(ifname, "veth"))
		return bridge__is_hex(ifname + 4, BRIDGE_VETH_HEX);
	if (nd_str_has_prefix(ifname, "vp"))
		return bridge__is_hex(ifname + 2, BRIDGE_VETH_HEX);
	return bridge__is_tomb(ifname);
}

void bridge__tomb_name(int ifindex, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, BRIDGE_TOMB_PREFIX "%x", (unsigned)ifindex);
}

bool bridge__is_tomb(const char *ifname)
{
	if (!ifname || !nd_str_has_prefix(ifname, BRIDGE_TOMB_PREFIX))
		return false;
	size_t n = strlen(ifname + strlen(BRIDGE_TOMB_PREFIX));
	return n >= 1 && n <= 8 && bridge__is_hex(ifname + strlen(BRIDGE_TOMB_PREFIX), n);
}
