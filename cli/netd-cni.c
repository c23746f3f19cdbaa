// SPDX-License-Identifier: Apache-2.0
/* netd-cni: the CNI plugin (type "netd"), a thin HTTP client of netd.
 *
 * A runtime execs it with CNI_COMMAND and friends in the environment and the
 * network configuration on stdin (CNI 1.1):
 *   {"cniVersion": "1.1.0", "name": "web", "type": "netd",
 *    "network": "NETD_NETWORK", "socket": "/run/netd/netd.sock"}
 * It speaks to netd's /cni/... API and prints the result (or the spec's
 * error object) on stdout. Verbs: ADD, DEL, CHECK, STATUS, GC, VERSION;
 * result shapes for 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0. Capabilities
 * (runtimeConfig): portMappings, ips, mac, aliases. It links nothing of the
 * daemon: common/ and wire/; its HTTP client is cni_http.c (no libcurl:
 * loading it costs more than an ADD should, see bench/cni.sh). */
#include "cli/cni_http.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>

/* the spec's error codes */
enum {
	CNI_ERR_VERSION = 1,     /* incompatible CNI version */
	CNI_ERR_FIELD = 2,       /* unsupported field in the network configuration */
	CNI_ERR_UNKNOWN = 3,     /* container unknown or does not exist */
	CNI_ERR_ENV = 4,         /* invalid necessary environment variables */
	CNI_ERR_IO = 5,          /* I/O failure */
	CNI_ERR_DECODE = 6,      /* failed to decode content */
	CNI_ERR_CONFIG = 7,      /* invalid network config */
	CNI_ERR_AGAIN = 11,      /* try again later */
	CNI_ERR_UNAVAILABLE = 50, /* the plugin is not available (STATUS) */
	CNI_ERR_CHECK = 100,     /* netd's own: CHECK found a difference */
};

static const char *const supported[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };
#define CNI_DEFAULT_VERSION "1.1.0"
#define CNI_DEFAULT_SOCKET "/run/netd/netd.sock"
#define CNI_STDIN_MAX (4 << 20)

struct cni {
	const char *command, *container_id, *netns, *ifname, *args;
	json_t *conf;
	const char *version;           /* the config's (or the default) */
	const char *name, *network, *socket;
};

/* ---- output ---------------------------------------------------------------------- */

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return 1;
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int fail(const struct cni *c, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(const struct cni *c, int code, const char *details, const char *fmt, ...)
{
	char msg[ND_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *e = json_pack("{s:s, s:i, s:s}", "cniVersion", c->version ? c->version : CNI_DEFAULT_VERSION, "code",
			      code, "msg", msg);
	if (details && *details)
		json_object_set_new(e, "details", json_string(details));
	print_json(e);
	return 1;
}

/* "0.4.0" -> 400 */
static int vnum(const char *v)
{
	int a = 0, b = 0, p = 0;
	if (!v || sscanf(v, "%d.%d.%d", &a, &b, &p) != 3)
		return -1;
	return a * 100 + b * 10 + p;
}

static bool is_supported(const char *v)
{
	for (size_t i = 0; v && supported[i]; i++)
		if (strcmp(supported[i], v) == 0)
			return true;
	return false;
}

/* ---- netd ------------------------------------------------------------------------ */

/* Maps a failed call to a CNI error code. */
static int code_of(const struct nd_error *e, int fallback)
{
	switch (-e->code) {
	case ECONNREFUSED: case EIO: case EAGAIN:
		return CNI_ERR_AGAIN;
	case ENOENT: case EINVAL: case EEXIST: case EADDRINUSE: case EOPNOTSUPP:
		return CNI_ERR_CONFIG;
	default:
		return fallback;
	}
}

static int call(struct cni *c, const char *method, const char *path, const json_t *body, json_t **resp,
		struct nd_error *err)
{
	return cni_http_call(c->socket, method, path, body, resp, err);
}

/* ---- results --------------------------------------------------------------------- */

static void add_ip(json_t *ips, const struct cni *c, const char *addr, const char *gw, int iface)
{
	if (!addr || !*addr)
		return;
	json_t *ip = json_object();
	if (vnum(c->version) < 100)
		json_object_set_new(ip, "version", json_string(strchr(addr, ':') ? "6" : "4"));
	json_object_set_new(ip, "interface", json_integer(iface));
	json_object_set_new(ip, "address", json_string(addr));
	if (gw && *gw)
		json_object_set_new(ip, "gateway", json_string(gw));
	json_array_append_new(ips, ip);
}

/* ---- the host side of a veth: its peer's ifindex from ethtool's stats ------------------ */

static int veth_peer_index(int sock, const char *ifname)
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	ifr.ifr_data = (void *)&drv;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0 || strcmp(drv.driver, "veth"))
		return -1;
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	ifr.ifr_data = (void *)&sset;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0 || !sset.hdr.sset_mask || sset.len == 0 || sset.len > 4096)
		return -1;
	uint32_t n = sset.len;
	_cleanup_free_ struct ethtool_gstrings *names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	_cleanup_free_ struct ethtool_stats *stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(uint64_t));
	if (!names || !stats)
		return -1;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
		return -1;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
		return -1;
	for (uint32_t i = 0; i < n && i < stats->n_stats; i++)
		if (strncmp((const char *)names->data + (size_t)i * ETH_GSTRING_LEN, "peer_ifindex", ETH_GSTRING_LEN) == 0)
			return (int)stats->data[i];
	return -1;
}

/* The host end of the container's interface (veth drivers), as the
 * reference plugins report it: chained plugins (bandwidth) look for it.
 * name stays "" when there is none. */
static void host_peer(const char *netns, const char *ifname, char name[IFNAMSIZ], char mac[18])
{
	name[0] = mac[0] = '\0';
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = open(netns, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0)
		return;
	int peer = -1;
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0)
		peer = veth_peer_index(s, ifname);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot come back: say nothing rather than something wrong */
		return;
	}
	if (peer <= 0)
		return;
	_cleanup_close_ int hs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	if (hs < 0 || !if_indextoname((unsigned)peer, ifr.ifr_name))
		return;
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	if (ioctl(hs, SIOCGIFHWADDR, &ifr) == 0) {
		const unsigned char *h = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
		snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4], h[5]);
	}
}

/* The attachment as a result of the config's version, after prev's
 * interfaces, addresses and routes when netd is not first in the chain. */
static json_t *result_of(const struct cni *c, const json_t *att, const json_t *prev)
{
	json_t *r = json_object();
	json_t *ifs = json_array(), *ips = json_array(), *routes = json_array();
	json_t *dns = json_object();
	if (json_is_object(prev)) {
		json_array_extend(ifs, json_object_get(prev, "interfaces") ?: json_array());
		json_array_extend(ips, json_object_get(prev, "ips") ?: json_array());
		json_array_extend(routes, json_object_get(prev, "routes") ?: json_array());
		if (json_is_object(json_object_get(prev, "dns")))
			json_object_update(dns, json_object_get(prev, "dns"));
	}
	char host[IFNAMSIZ], hmac[18];
	host_peer(nd_json_str(att, "Netns") ?: "", nd_json_str(att, "Ifname") ?: "", host, hmac);
	if (host[0])
		json_array_append_new(ifs, json_pack("{s:s, s:s}", "name", host, "mac", hmac));
	int idx = (int)json_array_size(ifs);
	json_t *iface = json_pack("{s:s, s:s, s:s}", "name", nd_json_str(att, "Ifname") ?: "", "mac",
				  nd_json_str(att, "MacAddress") ?: "", "sandbox", nd_json_str(att, "Netns") ?: "");
	int mtu = (int)json_integer_value(json_object_get(att, "MTU"));
	if (vnum(c->version) >= 110 && mtu > 0)
		json_object_set_new(iface, "mtu", json_integer(mtu));
	json_array_append_new(ifs, iface);
	const char *a4 = nd_json_str(att, "IPv4Address"), *a6 = nd_json_str(att, "IPv6Address");
	const char *g4 = nd_json_str(att, "IPv4Gateway"), *g6 = nd_json_str(att, "IPv6Gateway");
	add_ip(ips, c, a4, g4, idx);
	add_ip(ips, c, a6, g6, idx);
	if (json_is_true(json_object_get(att, "DefaultRoute"))) {
		if (a4 && *a4 && g4 && *g4)
			json_array_append_new(routes, json_pack("{s:s, s:s}", "dst", "0.0.0.0/0", "gw", g4));
		if (a6 && *a6 && g6 && *g6)
			json_array_append_new(routes, json_pack("{s:s, s:s}", "dst", "::/0", "gw", g6));
	}
	json_object_set_new(r, "cniVersion", json_string(c->version));
	json_object_set_new(r, "interfaces", ifs);
	json_object_set_new(r, "ips", ips);
	json_object_set_new(r, "routes", routes);
	/* netd's name server for the network: the runtime's resolv.conf */
	const char *ns = nd_json_str(att, "Nameserver");
	if (ns && *ns) {
		json_t *l = json_object_get(dns, "nameservers");
		if (!json_is_array(l)) {
			l = json_array();
			json_object_set_new(dns, "nameservers", l);
		}
		json_array_append_new(l, json_string(ns));
	}
	json_object_set_new(r, "dns", dns);
	return r;
}

/* ---- configuration ------------------------------------------------------------------ */

static int load_conf(struct cni *c)
{
	_cleanup_wire_buf_ struct wire_buf b = { 0 };
	char chunk[8192];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(c, CNI_ERR_IO, NULL, "reading the configuration from stdin: %s", strerror(errno));
		}
		if (b.len + (size_t)n > CNI_STDIN_MAX)
			return fail(c, CNI_ERR_DECODE, NULL, "the configuration is larger than %d bytes", CNI_STDIN_MAX);
		if (wire_buf_append(&b, chunk, (size_t)n) < 0)
			return fail(c, CNI_ERR_IO, NULL, "out of memory");
	}
	struct nd_error e = { 0 };
	c->conf = nd_json_parse(b.len ? b.data : "", b.len, &e);
	if (!c->conf)
		return fail(c, CNI_ERR_DECODE, e.msg, "cannot decode the network configuration");
	if (!json_is_object(c->conf))
		return fail(c, CNI_ERR_DECODE, NULL, "the network configuration must be a JSON object");
	json_t *v = json_object_get(c->conf, "cniVersion");
	if (v && !json_is_string(v))
		return fail(c, CNI_ERR_DECODE, NULL, "\"cniVersion\" must be a string");
	c->version = json_string_value(v);
	if (!c->version) {
		/* a 1.1 list's "cniVersions": the newest this plugin speaks */
		json_t *vs = json_object_get(c->conf, "cniVersions");
		size_t i;
		json_t *x;
		json_array_foreach(vs, i, x)
			if (is_supported(json_string_value(x)) &&
			    (!c->version || vnum(json_string_value(x)) > vnum(c->version)))
				c->version = json_string_value(x);
	}
	return 0;
}

static int check_conf(struct cni *c)
{
	if (!c->version)
		return fail(c, CNI_ERR_CONFIG, NULL, "\"cniVersion\" is required");
	if (!is_supported(c->version)) {
		const char *v = c->version;
		c->version = CNI_DEFAULT_VERSION;
		return fail(c, CNI_ERR_VERSION, "supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0",
			    "incompatible CNI version %s", v);
	}
	static const char *const strs[] = { "name", "type", "network", "socket" };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		json_t *v = json_object_get(c->conf, strs[i]);
		if (v && !json_is_string(v))
			return fail(c, CNI_ERR_CONFIG, NULL, "\"%s\" must be a string", strs[i]);
	}
	c->name = nd_json_str(c->conf, "name");
	c->network = nd_json_str(c->conf, "network");
	c->socket = nd_json_str(c->conf, "socket");
	if (!c->name || !*c->name)
		return fail(c, CNI_ERR_CONFIG, NULL, "\"name\" is required");
	if (!c->network || !*c->network)
		return fail(c, CNI_ERR_CONFIG, NULL, "\"network\" (the netd network to attach to) is required");
	if (!c->socket || !*c->socket)
		c->socket = CNI_DEFAULT_SOCKET;
	if (c->socket[0] != '/')
		return fail(c, CNI_ERR_CONFIG, NULL, "\"socket\" must be an absolute path");
	return 0;
}

static bool ifname_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool is_netns(const char *path)
{
	struct statfs sf;
	return path && statfs(path, &sf) == 0 && (sf.f_type == NSFS_MAGIC || sf.f_type == PROC_SUPER_MAGIC);
}

static int check_env(struct cni *c, bool need_netns)
{
	if (!c->container_id || !*c->container_id)
		return fail(c, CNI_ERR_ENV, NULL, "CNI_CONTAINERID is required");
	if (!c->ifname || !*c->ifname)
		return fail(c, CNI_ERR_ENV, NULL, "CNI_IFNAME is required");
	if (!ifname_ok(c->ifname))
		return fail(c, CNI_ERR_ENV, NULL, "CNI_IFNAME \"%s\" is not a valid interface name", c->ifname);
	if (need_netns) {
		if (!c->netns || !*c->netns)
			return fail(c, CNI_ERR_ENV, NULL, "CNI_NETNS is required");
		if (!is_netns(c->netns))
			return fail(c, CNI_ERR_ENV, NULL, "CNI_NETNS %s is not a network namespace", c->netns);
	}
	return 0;
}

/* CNI_ARGS "IgnoreUnknown=1;IP=10.1.0.5;MAC=..."; K8S_* are the runtime's. */
static int parse_args(struct cni *c, const char **ip, const char **mac, char *buf, size_t size)
{
	if (!c->args || !*c->args)
		return 0;
	snprintf(buf, size, "%s", c->args);
	bool ignore = strstr(c->args, "IgnoreUnknown=1") || strstr(c->args, "IgnoreUnknown=true");
	char *save = NULL;
	for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			return fail(c, CNI_ERR_ENV, NULL, "CNI_ARGS: \"%s\" is not KEY=VALUE", kv);
		*eq = '\0';
		if (!strcmp(kv, "IP"))
			*ip = eq + 1;
		else if (!strcmp(kv, "MAC"))
			*mac = eq + 1;
		else if (strcmp(kv, "IgnoreUnknown") && !nd_str_has_prefix(kv, "K8S_") && !ignore)
			return fail(c, CNI_ERR_FIELD, NULL, "CNI_ARGS: unknown argument \"%s\" (set IgnoreUnknown=1)", kv);
	}
	return 0;
}

/* ---- verbs --------------------------------------------------------------------------- */

static json_t *key_body(const struct cni *c)
{
	return json_pack("{s:s, s:s, s:s}", "ContainerID", c->container_id, "Ifname", c->ifname, "Network",
			 c->network);
}

/* "10.1.0.5/24" -> "10.1.0.5" into the right family */
static int take_ip(struct cni *c, const char *s, char v4[64], char v6[64])
{
	char a[64];
	snprintf(a, sizeof(a), "%.*s", (int)strcspn(s, "/"), s);
	unsigned char bin[16];
	if (inet_pton(AF_INET, a, bin) == 1) {
		if (v4[0])
			return fail(c, CNI_ERR_CONFIG, NULL, "more than one IPv4 address asked for (%s)", s);
		snprintf(v4, 64, "%s", a);
	} else if (inet_pton(AF_INET6, a, bin) == 1) {
		if (v6[0])
			return fail(c, CNI_ERR_CONFIG, NULL, "more than one IPv6 address asked for (%s)", s);
		snprintf(v6, 64, "%s", a);
	} else {
		return fail(c, CNI_ERR_CONFIG, NULL, "invalid IP address \"%s\"", s);
	}
	return 0;
}

static int cmd_add(struct cni *c)
{
	if (check_env(c, true))
		return 1;
	char argbuf[4096];
	const char *arg_ip = NULL, *arg_mac = NULL;
	if (parse_args(c, &arg_ip, &arg_mac, argbuf, sizeof(argbuf)))
		return 1;
	_cleanup_json_ json_t *body = key_body(c);
	json_object_set_new(body, "Netns", json_string(c->netns));
	const json_t *rc_ = json_object_get(c->conf, "runtimeConfig");
	if (rc_ && !json_is_object(rc_))
		return fail(c, CNI_ERR_CONFIG, NULL, "\"runtimeConfig\" must be an object");
	char v4[64] = "", v6[64] = "";
	/* ips: runtimeConfig.ips, args.cni.ips, CNI_ARGS IP */
	const json_t *lists[] = { json_object_get(rc_, "ips"),
				  json_object_get(json_object_get(json_object_get(c->conf, "args"), "cni"), "ips") };
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		if (!lists[l] || json_is_null(lists[l]))
			continue;
		if (!json_is_array(lists[l]))
			return fail(c, CNI_ERR_CONFIG, NULL, "\"ips\" must be a list of addresses");
		size_t i;
		json_t *x;
		json_array_foreach(lists[l], i, x) {
			if (!json_is_string(x))
				return fail(c, CNI_ERR_CONFIG, NULL, "\"ips\" must be a list of addresses");
			if (take_ip(c, json_string_value(x), v4, v6))
				return 1;
		}
	}
	if (arg_ip && take_ip(c, arg_ip, v4, v6))
		return 1;
	if (v4[0])
		json_object_set_new(body, "IPv4", json_string(v4));
	if (v6[0])
		json_object_set_new(body, "IPv6", json_string(v6));
	json_t *mac = json_object_get(rc_, "mac");
	if (mac && !json_is_string(mac))
		return fail(c, CNI_ERR_CONFIG, NULL, "\"mac\" must be a string");
	const char *m = mac ? json_string_value(mac) : arg_mac;
	if (m && *m)
		json_object_set_new(body, "MacAddress", json_string(m));
	/* aliases: {"<network name>": ["a", "b"]} (podman), or a plain list */
	json_t *al = json_object_get(rc_, "aliases");
	if (json_is_object(al))
		al = json_object_get(al, c->name);
	if (al && !json_is_null(al)) {
		if (!json_is_array(al))
			return fail(c, CNI_ERR_CONFIG, NULL, "\"aliases\" must be a list of names");
		json_object_set(body, "Aliases", al);
	}
	json_t *pm = json_object_get(rc_, "portMappings");
	if (pm && !json_is_null(pm)) {
		if (!json_is_array(pm))
			return fail(c, CNI_ERR_CONFIG, NULL, "\"portMappings\" must be a list");
		json_t *out = json_array();
		json_object_set_new(body, "PortMappings", out);
		size_t i;
		json_t *x;
		json_array_foreach(pm, i, x) {
			json_t *hp = json_object_get(x, "hostPort"), *cp = json_object_get(x, "containerPort");
			json_t *pr = json_object_get(x, "protocol"), *hip = json_object_get(x, "hostIP");
			if (!json_is_object(x) || !json_is_integer(hp) || !json_is_integer(cp) ||
			    (pr && !json_is_string(pr)) || (hip && !json_is_string(hip)))
				return fail(c, CNI_ERR_CONFIG, NULL,
					    "portMappings[%zu]: want {\"hostPort\": N, \"containerPort\": N, "
					    "\"protocol\": \"tcp\", \"hostIP\": \"\"}", i);
			json_t *o = json_pack("{s:O, s:O}", "HostPort", hp, "ContainerPort", cp);
			if (pr)
				json_object_set(o, "Protocol", pr);
			if (hip)
				json_object_set(o, "HostIP", hip);
			json_array_append_new(out, o);
		}
	}
	/* "runtimeHoldsPorts": true when the runtime binds the published host
	 * ports itself (podman 4 does): netd then only steers traffic to them */
	json_t *holds = json_object_get(c->conf, "runtimeHoldsPorts");
	if (holds && !json_is_boolean(holds))
		return fail(c, CNI_ERR_CONFIG, NULL, "\"runtimeHoldsPorts\" must be true or false");
	if (json_is_true(holds))
		json_object_set_new(body, "RuntimeHoldsPorts", json_true());
	const json_t *prev = json_object_get(c->conf, "prevResult");
	if (prev && !json_is_null(prev) && !json_is_object(prev))
		return fail(c, CNI_ERR_DECODE, NULL, "\"prevResult\" must be an object");
	struct nd_error e = { 0 };
	_cleanup_json_ json_t *att = NULL;
	if (call(c, "POST", "/cni/add", body, &att, &e) < 0)
		return fail(c, code_of(&e, CNI_ERR_IO), NULL, "netd: %s", e.msg);
	return print_json(result_of(c, att, prev));
}

static int cmd_del(struct cni *c)
{
	if (check_env(c, false))
		return 1;
	_cleanup_json_ json_t *body = key_body(c);
	struct nd_error e = { 0 };
	if (call(c, "POST", "/cni/del", body, NULL, &e) < 0)
		return fail(c, code_of(&e, CNI_ERR_IO), NULL, "netd: %s", e.msg);
	return 0;
}

/* ---- CHECK: what the namespace holds against netd's record ------------------------------ */

static bool addr_has(struct ifaddrs *all, const char *ifname, const char *cidr)
{
	char a[64];
	snprintf(a, sizeof(a), "%.*s", (int)strcspn(cidr, "/"), cidr);
	int plen = strchr(cidr, '/') ? atoi(strchr(cidr, '/') + 1) : -1;
	unsigned char want[16];
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, a, want) != 1)
		return false;
	for (struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam || strcmp(i->ifa_name, ifname))
			continue;
		const void *got = fam == AF_INET ? (void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
						 : (void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (memcmp(got, want, fam == AF_INET ? 4 : 16))
			continue;
		int len = 0;
		const unsigned char *mk = i->ifa_netmask ? (fam == AF_INET
			? (const unsigned char *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr
			: (const unsigned char *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr) : NULL;
		for (int k = 0; mk && k < (fam == AF_INET ? 4 : 16); k++)
			len += __builtin_popcount(mk[k]);
		return plen < 0 || len == plen;
	}
	return false;
}

/* A default route through gw on ifname in /proc/net/route (IPv4). */
static bool route_has(const char *ifname, const char *gw)
{
	struct in_addr g;
	if (inet_pton(AF_INET, gw, &g) != 1)
		return false;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/net/route", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char name[IFNAMSIZ + 1];
		unsigned dst, gwx, flags, mask;
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", name, &dst, &gwx, &flags, &mask) != 5)
			continue;
		if (!strcmp(name, ifname) && dst == 0 && mask == 0 && gwx == g.s_addr)
			return true;
	}
	return false;
}

static int inspect_netns(const struct cni *c, const json_t *att, char *why, size_t whylen)
{
	_cleanup_close_ int fd = open(c->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(why, whylen, "cannot enter %s: %s", c->netns, strerror(errno));
		return -1;
	}
	struct ifaddrs *all = NULL;
	if (getifaddrs(&all) < 0) {
		snprintf(why, whylen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	const char *mac = nd_json_str(att, "MacAddress") ?: "";
	bool found = false;
	for (struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || strcmp(i->ifa_name, c->ifname))
			continue;
		found = true;
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)i->ifa_addr;
		char got[18];
		snprintf(got, sizeof(got), "%02x:%02x:%02x:%02x:%02x:%02x", ll->sll_addr[0], ll->sll_addr[1],
			 ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
		if (*mac && strcasecmp(got, mac)) {
			snprintf(why, whylen, "interface %s has MAC %s, netd recorded %s", c->ifname, got, mac);
			rc = -1;
		} else if (!(i->ifa_flags & IFF_UP)) {
			snprintf(why, whylen, "interface %s is down", c->ifname);
			rc = -1;
		}
	}
	if (!found) {
		snprintf(why, whylen, "interface %s is not in %s", c->ifname, c->netns);
		rc = -1;
	}
	static const char *const keys[] = { "IPv4Address", "IPv6Address" };
	for (size_t k = 0; rc == 0 && k < 2; k++) {
		const char *a = nd_json_str(att, keys[k]);
		if (a && *a && !addr_has(all, c->ifname, a)) {
			snprintf(why, whylen, "interface %s lacks address %s", c->ifname, a);
			rc = -1;
		}
	}
	freeifaddrs(all);
	const char *g4 = nd_json_str(att, "IPv4Gateway");
	if (rc == 0 && json_is_true(json_object_get(att, "DefaultRoute")) && g4 && *g4 && !route_has(c->ifname, g4)) {
		snprintf(why, whylen, "no default route via %s on %s", g4, c->ifname);
		rc = -1;
	}
	return rc;
}

/* prevResult (the runtime's cached result) must hold what netd recorded */
static int check_prev(const struct cni *c, const json_t *prev, const json_t *att, char *why, size_t whylen)
{
	if (!json_is_object(prev))
		return 0;
	bool iface = false;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(prev, "interfaces"), i, x)
		iface |= nd_json_str(x, "name") && !strcmp(nd_json_str(x, "name"), c->ifname) &&
			 (!nd_json_str(x, "mac") || !strcasecmp(nd_json_str(x, "mac"), nd_json_str(att, "MacAddress") ?: ""));
	if (!iface) {
		snprintf(why, whylen, "prevResult has no interface %s with MAC %s", c->ifname, nd_json_str(att, "MacAddress"));
		return -1;
	}
	static const char *const keys[] = { "IPv4Address", "IPv6Address" };
	for (size_t k = 0; k < 2; k++) {
		const char *a = nd_json_str(att, keys[k]);
		bool has = !a || !*a;
		json_array_foreach(json_object_get(prev, "ips"), i, x)
			has |= nd_json_str(x, "address") && !strcmp(nd_json_str(x, "address"), a);
		if (!has) {
			snprintf(why, whylen, "prevResult lacks address %s", a);
			return -1;
		}
	}
	return 0;
}

static int cmd_check(struct cni *c)
{
	if (vnum(c->version) < 40)
		return fail(c, CNI_ERR_VERSION, NULL, "CHECK needs cniVersion 0.4.0 or later (config says %s)", c->version);
	if (check_env(c, true))
		return 1;
	_cleanup_json_ json_t *body = key_body(c);
	_cleanup_json_ json_t *att = NULL;
	struct nd_error e = { 0 };
	if (call(c, "POST", "/cni/check", body, &att, &e) < 0)
		return fail(c, e.code == -ENOENT ? CNI_ERR_UNKNOWN : code_of(&e, CNI_ERR_IO), NULL, "netd: %s", e.msg);
	if (strcmp(nd_json_str(att, "Netns") ?: "", c->netns))
		return fail(c, CNI_ERR_CHECK, NULL, "the attachment is in %s, not %s", nd_json_str(att, "Netns"), c->netns);
	char why[512];
	if (check_prev(c, json_object_get(c->conf, "prevResult"), att, why, sizeof(why)) < 0 ||
	    inspect_netns(c, att, why, sizeof(why)) < 0)
		return fail(c, CNI_ERR_CHECK, NULL, "check: %s", why);
	return 0;
}

static int cmd_status(struct cni *c)
{
	if (vnum(c->version) < 110)
		return fail(c, CNI_ERR_VERSION, NULL, "STATUS needs cniVersion 1.1.0 (config says %s)", c->version);
	_cleanup_free_ char *q = wire_query_escape(c->network);
	char path[1024];
	snprintf(path, sizeof(path), "/cni/status?network=%s", q ? q : "");
	struct nd_error e = { 0 };
	if (call(c, "GET", path, NULL, NULL, &e) < 0)
		return fail(c, CNI_ERR_UNAVAILABLE, NULL, "netd: %s", e.msg);
	return 0;
}

static int cmd_gc(struct cni *c)
{
	if (vnum(c->version) < 110)
		return fail(c, CNI_ERR_VERSION, NULL, "GC needs cniVersion 1.1.0 (config says %s)", c->version);
	json_t *valid = json_object_get(c->conf, "cni.dev/valid-attachments");
	if (valid && !json_is_array(valid))
		return fail(c, CNI_ERR_CONFIG, NULL, "\"cni.dev/valid-attachments\" must be a list");
	_cleanup_json_ json_t *body = json_pack("{s:s, s:[]}", "Network", c->network, "Valid");
	json_t *out = json_object_get(body, "Valid");
	size_t i;
	json_t *x;
	json_array_foreach(valid, i, x) {
		const char *cid = nd_json_str(x, "containerID"), *ifn = nd_json_str(x, "ifname");
		if (!cid || !ifn)
			return fail(c, CNI_ERR_CONFIG, NULL,
				    "cni.dev/valid-attachments[%zu]: want {\"containerID\", \"ifname\"}", i);
		json_array_append_new(out, json_pack("{s:s, s:s}", "ContainerID", cid, "Ifname", ifn));
	}
	struct nd_error e = { 0 };
	if (call(c, "POST", "/cni/gc", body, NULL, &e) < 0)
		return fail(c, code_of(&e, CNI_ERR_IO), NULL, "netd: %s", e.msg);
	return 0;
}

static int cmd_version(struct cni *c)
{
	json_t *vs = json_array();
	for (size_t i = 0; supported[i]; i++)
		json_array_append_new(vs, json_string(supported[i]));
	return print_json(json_pack("{s:s, s:o}", "cniVersion",
				    is_supported(c->version) ? c->version : CNI_DEFAULT_VERSION, "supportedVersions", vs));
}

int main(void)
{
	struct cni c = {
		.command = getenv("CNI_COMMAND"),
		.container_id = getenv("CNI_CONTAINERID"),
		.netns = getenv("CNI_NETNS"),
		.ifname = getenv("CNI_IFNAME"),
		.args = getenv("CNI_ARGS"),
	};
	int rc;
	if (!c.command || !*c.command) {
		rc = fail(&c, CNI_ERR_ENV, NULL, "CNI_COMMAND is required (ADD, DEL, CHECK, STATUS, GC or VERSION)");
		goto out;
	}
	if ((rc = load_conf(&c)) != 0)
		goto out;
	if (!strcmp(c.command, "VERSION")) {
		rc = cmd_version(&c);
		goto out;
	}
	if ((rc = check_conf(&c)) != 0)
		goto out;
	if (!strcmp(c.command, "ADD"))
		rc = cmd_add(&c);
	else if (!strcmp(c.command, "DEL"))
		rc = cmd_del(&c);
	else if (!strcmp(c.command, "CHECK"))
		rc = cmd_check(&c);
	else if (!strcmp(c.command, "STATUS"))
		rc = cmd_status(&c);
	else if (!strcmp(c.command, "GC"))
		rc = cmd_gc(&c);
	else
		rc = fail(&c, CNI_ERR_ENV, NULL, "unknown CNI_COMMAND \"%s\"", c.command);
out:
	json_decref(c.conf);
	return rc ? 1 : 0;
}
