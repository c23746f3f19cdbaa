// SPDX-License-Identifier: Apache-2.0
/* Flags and the config file, parsed once into struct netd_config. Flags win
 * over the file; the file wins over defaults. Unknown keys in the file are
 * an error, not silently ignored. Every key of the file is also a flag. */
#include "netd/core/config.h"
#include "cluster/etcd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>

#include <getopt.h>
#include <limits.h>

void netd_usage(FILE *out)
{
	fputs("Usage: netd [OPTIONS]\n"
	      "\n"
	      "The netd daemon: networks, sandboxes, endpoints and containers, served\n"
	      "over a REST API on a unix socket (see netctl).\n"
	      "\n"
	      "Options (each also a key of the config file, without the dashes):\n"
	      "  --root DIR              persistent state (default /var/lib/netd)\n"
	      "  --exec-root DIR         runtime state: netns mounts, pid files (default /run/netd)\n"
	      "  --socket PATH           API socket, mode 0660 (default <exec-root>/netd.sock)\n"
	      "  --log-level LEVEL       error, warn, info or debug (default info)\n"
	      "  --config FILE           JSON config file\n"
	      "  --storage-driver NAME   overlay2 or vfs (default overlay2, vfs where overlay cannot mount)\n"
	      "  --bpf-cgroup DIR        cgroup2 dir the port programs attach to (default the root cgroup)\n"
	      "  --bpf-pin-path DIR      bpffs dir for netd's pins (default /sys/fs/bpf/netd-<hash of exec-root>)\n"
	      "  --userland-proxy BOOL   publish ports through the userland relay instead of eBPF (default false)\n"
	      "  --shim-path PATH        the netd-shim monitor binary (default next to netd)\n"
	      "  --cgroup-parent PATH    containers' parent cgroup, relative to netd's own or absolute (default netd)\n"
	      "  --default-address-pool base=CIDR,size=N\n"
	      "                          address space for automatic subnets, repeatable; in the file:\n"
	      "                          \"default-address-pools\": [{\"base\": CIDR, \"size\": N}]\n"
	      "  --insecure-registry HOST[:PORT]\n"
	      "                          a registry spoken to over plain HTTP, repeatable; in the file:\n"
	      "                          \"insecure-registries\": [\"HOST[:PORT]\", ...]\n"
	      "  --registry-mirror URL   where pulls from docker.io go, repeatable; in the file:\n"
	      "                          \"registry-mirrors\": [URL, ...]\n"
	      "  --max-concurrent-downloads N   parallel layer downloads of a pull (default 3)\n"
	      "  --max-download-attempts N      tries of a registry request on 5xx or connection\n"
	      "                          loss, with exponential backoff from 0.5 s (default 5)\n"
	      "  -H, --host URL          where the API listens, repeatable: unix:///PATH or\n"
	      "                          tcp://ADDR:PORT (TLS: see --tlsverify); in the file \"hosts\": [...].\n"
	      "                          The unix socket is always served (default <exec-root>/netd.sock)\n"
	      "  --tlsverify[=BOOL]      TCP listeners speak TLS 1.2+ and require a client certificate\n"
	      "                          signed by --tlscacert\n"
	      "  --tlscacert FILE        CA certificate(s) that sign client certificates (PEM)\n"
	      "  --tlscert FILE          the server's certificate chain (PEM)\n"
	      "  --tlskey FILE           the server's private key (PEM)\n"
	      "  --insecure-tcp[=BOOL]   allow tcp:// hosts without TLS (root for anyone who connects;\n"
	      "                          warned at every start)\n"
	      "  --tls-role role=ROLE[,cn=PATTERN][,ou=PATTERN]\n"
	      "                          what a client certificate may do, repeatable, first match\n"
	      "                          wins; ROLE is read-only, operator or admin; PATTERNs are\n"
	      "                          shell globs on the subject's CN and OU. A subject no entry\n"
	      "                          matches is refused. None given: every certificate the CA\n"
	      "                          signed is admin. In the file \"tls-roles\": [{\"role\":...,\n"
	      "                          \"cn\":..., \"ou\":...}]. SIGHUP re-reads certificates and roles\n"
	      "  --cluster-store etcd://HOST:PORT[,HOST:PORT...]\n"
	      "                          the etcd v3 cluster (3.4+) that holds global-scope (vxlan)\n"
	      "                          networks; without it only local networks can be made\n"
	      "  --cluster-store-cacert FILE  CA that signs etcd's certificate: talk https (PEM)\n"
	      "  --cluster-store-cert FILE    client certificate for etcd (PEM; with -key)\n"
	      "  --cluster-store-key FILE     its private key (PEM)\n"
	      "  --cluster-advertise ADDR|IFACE\n"
	      "                          the underlay address other hosts reach this one at (VXLAN\n"
	      "                          tunnel endpoint), or an interface whose first address is used\n"
	      "  --cluster-lease-ttl N   seconds this host's records outlive it when it dies (2..64,\n"
	      "                          default 5); kept alive every N/3 seconds\n"
	      "  --cleanup               remove everything this netd made on the host, print one\n"
	      "                          line per thing removed, and exit: its containers (killed,\n"
	      "                          cgroups, rootfs mounts and records removed), sandboxes'\n"
	      "                          network namespaces, endpoints' veths, networks' bridges,\n"
	      "                          the nft table inet netd and netd's rules in other tables,\n"
	      "                          its eBPF pins and links, its cgroup parents, the exec\n"
	      "                          root. Give the same --root/--exec-root/--config as the\n"
	      "                          netd; run it in that netd's network namespace. Network\n"
	      "                          definitions and images stay in --root: a later netd\n"
	      "                          re-creates the bridges, as after a reboot. Refused while\n"
	      "                          a netd runs on that root; a second run removes nothing.\n"
	      "  -h, --help              this help\n"
	      "  -v, --version           print the version\n",
	      out);
}

enum key_type { K_STR, K_LEVEL, K_BOOL, K_POOLS, K_STRV, K_INT, K_HOSTS, K_ROLES };

struct key {
	const char *name;
	enum key_type type;
	size_t off;                  /* offset of the member in struct netd_config */
};

#define OFF(m) offsetof(struct netd_config, m)
static const struct key keys[] = {
	{ "root", K_STR, OFF(root) },
	{ "exec-root", K_STR, OFF(exec_root) },
	{ "socket", K_STR, OFF(socket) },
	{ "log-level", K_LEVEL, OFF(log_level) },
	{ "storage-driver", K_STR, OFF(storage_driver) },
	{ "bpf-cgroup", K_STR, OFF(bpf_cgroup) },
	{ "bpf-pin-path", K_STR, OFF(bpf_pin_path) },
	{ "userland-proxy", K_BOOL, OFF(userland_proxy) },
	{ "shim-path", K_STR, OFF(shim_path) },
	{ "cgroup-parent", K_STR, OFF(cgroup_parent) },
	{ "default-address-pools", K_POOLS, OFF(pools) },
	{ "insecure-registries", K_STRV, OFF(insecure_registries) },
	{ "registry-mirrors", K_STRV, OFF(registry_mirrors) },
	{ "max-concurrent-downloads", K_INT, OFF(max_concurrent_downloads) },
	{ "max-download-attempts", K_INT, OFF(max_download_attempts) },
	{ "hosts", K_HOSTS, OFF(hosts) },
	{ "tlsverify", K_BOOL, OFF(tlsverify) },
	{ "tlscacert", K_STR, OFF(tlscacert) },
	{ "tlscert", K_STR, OFF(tlscert) },
	{ "tlskey", K_STR, OFF(tlskey) },
	{ "insecure-tcp", K_BOOL, OFF(insecure_tcp) },
	{ "tls-roles", K_ROLES, OFF(tls_roles) },
	{ "cluster-store", K_STR, OFF(cluster_store) },
	{ "cluster-store-cacert", K_STR, OFF(cluster_store_cacert) },
	{ "cluster-store-cert", K_STR, OFF(cluster_store_cert) },
	{ "cluster-store-key", K_STR, OFF(cluster_store_key) },
	{ "cluster-advertise", K_STR, OFF(cluster_advertise) },
	{ "cluster-lease-ttl", K_INT, OFF(cluster_lease_ttl) },
};

/* flag names that differ from their file keys (repeatable flags are singular) */
static const char *flag_key(const char *flag)
{
	if (!strcmp(flag, "default-address-pool"))
		return "default-address-pools";
	if (!strcmp(flag, "insecure-registry"))
		return "insecure-registries";
	if (!strcmp(flag, "registry-mirror"))
		return "registry-mirrors";
	if (!strcmp(flag, "tls-role"))
		return "tls-roles";
	return flag;
}

static int strv_add(char ***v, const char *s)
{
	size_t n = 0;
	while (*v && (*v)[n])
		n++;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[n] = strdup(s)))
		return -ENOMEM;
	nv[n + 1] = NULL;
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

const char *netd_tls_role_name(enum netd_tls_role_kind r)
{
	switch (r) {
	case NETD_ROLE_READ_ONLY: return "read-only";
	case NETD_ROLE_OPERATOR: return "operator";
	case NETD_ROLE_ADMIN: return "admin";
	}
	return "?";
}

static int host_add(struct netd_config *cfg, const char *h, const char *where, struct nd_error *err)
{
	if (cfg->nhosts >= NETD_CONFIG_MAX_HOSTS)
		return nd_error_set(err, -EINVAL, "%s: at most %d hosts", where, NETD_CONFIG_MAX_HOSTS);
	bool unix_ok = nd_str_has_prefix(h, "unix://") && h[7] == '/';
	bool tcp_ok = nd_str_has_prefix(h, "tcp://") && strrchr(h + 6, ':') && strrchr(h + 6, ':')[1];
	if (!unix_ok && !tcp_ok)
		return nd_error_set(err, -EINVAL, "%s: host \"%s\": want unix:///PATH or tcp://ADDRESS:PORT", where, h);
	if (!(cfg->hosts[cfg->nhosts] = strdup(h)))
		return nd_error_set(err, -ENOMEM, "out of memory");
	cfg->nhosts++;
	return 0;
}

static int role_add(struct netd_config *cfg, const char *role, const char *cn, const char *ou, const char *where,
		    struct nd_error *err)
{
	if (cfg->ntls_roles >= NETD_CONFIG_MAX_ROLES)
		return nd_error_set(err, -EINVAL, "%s: at most %d tls-roles", where, NETD_CONFIG_MAX_ROLES);
	struct netd_tls_role *r = &cfg->tls_roles[cfg->ntls_roles];
	if (!role)
		return nd_error_set(err, -EINVAL, "%s: a tls-role needs role=read-only|operator|admin", where);
	if (!strcmp(role, "read-only"))
		r->role = NETD_ROLE_READ_ONLY;
	else if (!strcmp(role, "operator"))
		r->role = NETD_ROLE_OPERATOR;
	else if (!strcmp(role, "admin"))
		r->role = NETD_ROLE_ADMIN;
	else
		return nd_error_set(err, -EINVAL, "%s: tls-role \"%s\": use read-only, operator or admin", where, role);
	if ((!cn || !*cn) && (!ou || !*ou))
		return nd_error_set(err, -EINVAL, "%s: a tls-role needs cn=PATTERN or ou=PATTERN", where);
	if ((cn && strlen(cn) >= sizeof(r->cn)) || (ou && strlen(ou) >= sizeof(r->ou)))
		return nd_error_set(err, -EINVAL, "%s: tls-role pattern too long", where);
	snprintf(r->cn, sizeof(r->cn), "%s", cn ? cn : "");
	snprintf(r->ou, sizeof(r->ou), "%s", ou ? ou : "");
	cfg->ntls_roles++;
	return 0;
}

/* --tls-role role=operator,cn=ops-*,ou=lab */
static int role_flag(struct netd_config *cfg, const char *arg, struct nd_error *err)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *role = NULL, *cn = NULL, *ou = NULL, *save = NULL;
	if (!copy)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (nd_str_has_prefix(t, "role="))
			role = t + 5;
		else if (nd_str_has_prefix(t, "cn="))
			cn = t + 3;
		else if (nd_str_has_prefix(t, "ou="))
			ou = t + 3;
		else
			return nd_error_set(err, -EINVAL, "--tls-role: unknown field \"%s\" (want role=ROLE,cn=PATTERN,ou=PATTERN)", t);
	}
	return role_add(cfg, role, cn, ou, "--tls-role", err);
}

static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int pool_add(struct netd_config *cfg, const char *base, json_int_t size, const char *where,
		    struct nd_error *err)
{
	if (cfg->npools >= NETD_CONFIG_MAX_POOLS)
		return nd_error_set(err, -EINVAL, "%s: at most %d default address pools", where, NETD_CONFIG_MAX_POOLS);
	if (!base || !*base || strlen(base) >= sizeof(cfg->pools[0].base) || size < 1 || size > 128)
		return nd_error_set(err, -EINVAL, "%s: a default address pool needs a base CIDR and a size 1..128", where);
	struct netd_pool_config *p = &cfg->pools[cfg->npools++];
	snprintf(p->base, sizeof(p->base), "%s", base);
	p->size = (int)size;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* --default-address-pool base=10.10.0.0/16,size=24 */
static int pool_flag(struct netd_config *cfg, const char *arg, struct nd_error *err)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *base = NULL, *size = NULL, *save = NULL;
	if (!copy)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (nd_str_has_prefix(t, "base="))
			base = t + 5;
		else if (nd_str_has_prefix(t, "size="))
			size = t + 5;
		else
			return nd_error_set(err, -EINVAL, "--default-address-pool: unknown field \"%s\" (want base=CIDR,size=N)", t);
	}
	char *end = NULL;
	long n = size ? strtol(size, &end, 10) : 0;
	if (!size || !*size || *end)
		return nd_error_set(err, -EINVAL, "--default-address-pool %s: want base=CIDR,size=N", arg);
	return pool_add(cfg, base, n, "--default-address-pool", err);
}

/* One value, from a flag (s) or the file (j); the flag was set when seen. */
static int set_value(struct netd_config *cfg, const struct key *k, const char *s, const json_t *j, const char *where,
		     struct nd_error *err)
{
	void *dst = (char *)cfg + k->off;
	switch (k->type) {
	case K_STR:
		if (j && !json_is_string(j))
			return nd_error_set(err, -EINVAL, "%s: \"%s\" must be a string", where, k->name);
		free(*(char **)dst);
		*(char **)dst = strdup(j ? json_string_value(j) : s);
		return *(char **)dst ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
	case K_LEVEL: {
		if (j && !json_is_string(j))
			return nd_error_set(err, -EINVAL, "%s: \"%s\" must be a string", where, k->name);
		const char *v = j ? json_string_value(j) : s;
		if (nd_log_parse_level(v, (enum nd_log_level *)dst) < 0)
			return nd_error_set(err, -EINVAL, "invalid log level \"%s\": use error, warn, info or debug", v);
		return 0;
	}
	case K_BOOL:
		if (j) {
			if (!json_is_boolean(j))
				return nd_error_set(err, -EINVAL, "%s: %s must be true or false", where, k->name);
			*(bool *)dst = json_is_true(j);
			return 0;
		}
		if (!s) {            /* --tlsverify, --insecure-tcp: no value is true */
			*(bool *)dst = true;
			return 0;
		}
		if (parse_bool(s, (bool *)dst) < 0)
			return nd_error_set(err, -EINVAL, "--%s: want true or false, not \"%s\"", k->name, s);
		return 0;
	case K_STRV: {
		char ***v = dst;
		if (!j) {
			if (!*s)
				return nd_error_set(err, -EINVAL, "--%s: empty value", k->name);
			return strv_add(v, s) < 0 ? nd_error_set(err, -ENOMEM, "out of memory") : 0;
		}
		if (!json_is_array(j))
			return nd_error_set(err, -EINVAL, "%s: %s must be a list of strings", where, k->name);
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e) {
			if (!json_is_string(e) || !*json_string_value(e))
				return nd_error_set(err, -EINVAL, "%s: %s[%zu] must be a non-empty string", where, k->name, i);
			if (strv_add(v, json_string_value(e)) < 0)
				return nd_error_set(err, -ENOMEM, "out of memory");
		}
		return 0;
	}
	case K_INT: {
		long long n;
		if (j) {
			if (!json_is_integer(j))
				return nd_error_set(err, -EINVAL, "%s: %s must be an integer", where, k->name);
			n = json_integer_value(j);
		} else {
			char *end = NULL;
			errno = 0;
			n = strtoll(s, &end, 10);
			if (!*s || *end || errno)
				return nd_error_set(err, -EINVAL, "--%s: want an integer, not \"%s\"", k->name, s);
		}
		if (n < 1 || n > 64)
			return nd_error_set(err, -EINVAL, "%s: %s must be between 1 and 64", j ? where : "flags", k->name);
		*(int *)dst = (int)n;
		return 0;
	}
	case K_POOLS: {
		if (!j)
			return pool_flag(cfg, s, err);
		size_t i;
		json_t *p;
		if (!json_is_array(j))
			return nd_error_set(err, -EINVAL, "%s: default-address-pools must be a list of {base, size}", where);
		json_array_foreach(j, i, p) {
			json_t *size = json_object_get(p, "size");
			if (!json_is_object(p) || json_object_size(p) != 2 || !nd_json_str(p, "base") || !json_is_integer(size))
				return nd_error_set(err, -EINVAL, "%s: default-address-pools[%zu] needs exactly base and size", where, i);
			int rc = pool_add(cfg, nd_json_str(p, "base"), json_integer_value(size), where, err);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	case K_HOSTS: {
		if (!j)
			return host_add(cfg, s, "--host", err);
		size_t i;
		json_t *h;
		if (!json_is_array(j))
			return nd_error_set(err, -EINVAL, "%s: hosts must be a list of strings", where);
		json_array_foreach(j, i, h) {
			if (!json_is_string(h))
				return nd_error_set(err, -EINVAL, "%s: hosts[%zu] must be a string", where, i);
			int rc = host_add(cfg, json_string_value(h), where, err);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	case K_ROLES: {
		if (!j)
			return role_flag(cfg, s, err);
		size_t i;
		json_t *r;
		if (!json_is_array(j))
			return nd_error_set(err, -EINVAL, "%s: tls-roles must be a list of {role, cn, ou}", where);
		json_array_foreach(j, i, r) {
			const char *rk;
			json_t *v;
			if (!json_is_object(r))
				return nd_error_set(err, -EINVAL, "%s: tls-roles[%zu] must be an object", where, i);
			json_object_foreach(r, rk, v) {
				if ((strcmp(rk, "role") && strcmp(rk, "cn") && strcmp(rk, "ou")) || !json_is_string(v))
					return nd_error_set(err, -EINVAL, "%s: tls-roles[%zu]: \"%s\" is not a string key role, cn or ou",
							    where, i, rk);
			}
			int rc = role_add(cfg, nd_json_str(r, "role"), nd_json_str(r, "cn"), nd_json_str(r, "ou"), where, err);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	}
	return -EINVAL;
}

static int load_file(struct netd_config *cfg, const bool *from_flag, struct nd_error *err)
{
	json_error_t jerr;
	const char *path = cfg->config_file;
	_cleanup_json_ json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return nd_error_set(err, -EINVAL, "config %s: line %d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "config %s: must be a JSON object", path);
	char where[PATH_MAX + 16];
	snprintf(where, sizeof(where), "config %s", path);
	const char *name;
	json_t *v;
	json_object_foreach(j, name, v) {
		const struct key *k = key_find(name);
		if (!k)
			return nd_error_set(err, -EINVAL, "config %s: unknown key \"%s\"", path, name);
		if (from_flag[k - keys])
			continue;   /* the flag wins */
		int rc = set_value(cfg, k, NULL, v, where, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dflt(char **dst, const char *value)
{
	if (*dst)
		return 0;
	*dst = strdup(value);
	return *dst ? 0 : -ENOMEM;
}

/* --socket is one unix host; the unix socket is always served; tcp hosts
 * want TLS material, or --insecure-tcp. */
static int hosts_finish(struct netd_config *cfg, struct nd_error *err)
{
	int rc;
	const char *first_unix = NULL;
	bool tcp = false;
	for (size_t i = 0; i < cfg->nhosts; i++) {
		if (nd_str_has_prefix(cfg->hosts[i], "unix://") && !first_unix)
			first_unix = cfg->hosts[i] + 7;
		tcp |= nd_str_has_prefix(cfg->hosts[i], "tcp://");
	}
	if (cfg->socket && (!first_unix || strcmp(first_unix, cfg->socket))) {
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "unix://%s", cfg->socket) < 0)
			return nd_error_set(err, -ENOMEM, "out of memory");
		if ((rc = host_add(cfg, h, "--socket", err)) < 0)
			return rc;
	} else if (!cfg->socket) {
		if (first_unix)
			cfg->socket = strdup(first_unix);
		else if (asprintf(&cfg->socket, "%s/netd.sock", cfg->exec_root) < 0)
			cfg->socket = NULL;
		if (!cfg->socket)
			return nd_error_set(err, -ENOMEM, "out of memory");
		if (!first_unix) {
			_cleanup_free_ char *h = NULL;
			if (asprintf(&h, "unix://%s", cfg->socket) < 0)
				return nd_error_set(err, -ENOMEM, "out of memory");
			if ((rc = host_add(cfg, h, "hosts", err)) < 0)
				return rc;
		}
	}
	if (cfg->tlsverify && (!cfg->tlscacert || !cfg->tlscert || !cfg->tlskey))
		return nd_error_set(err, -EINVAL, "tlsverify needs tlscacert, tlscert and tlskey");
	if (tcp && !cfg->tlsverify && !cfg->insecure_tcp)
		return nd_error_set(err, -EINVAL, "a tcp:// host needs --tlsverify with --tlscacert/--tlscert/--tlskey "
				    "(plain TCP gives root to anyone who connects; --insecure-tcp allows it anyway)");
	return 0;
}

/* "ADDR", "IFACE", each optionally with Docker's ":PORT" (ignored: VXLAN's
 * port is the driver's); the address is checked here, the interface when
 * the cluster starts (it may come up later than the config is read). */
static int advertise_check(const char *s, struct nd_error *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char a[16];
	if (!*s || strlen(s) >= sizeof(buf))
		return nd_error_set(err, -EINVAL, "cluster-advertise \"%s\": want an IP address or an interface name", s);
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strrchr(buf, ':');
	if (colon && strchr(buf, ':') == colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || port < 1 || port > 65535)
			return nd_error_set(err, -EINVAL, "cluster-advertise \"%s\": bad port", s);
		*colon = '\0';
	}
	if (inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1)
		return 0;
	if (strlen(buf) >= IFNAMSIZ || strpbrk(buf, "/ \t\"'\\:") || buf[0] == '.' || isdigit((unsigned char)buf[0]))
		return nd_error_set(err, -EINVAL, "cluster-advertise \"%s\": not an IP address nor an interface name", s);
	return 0;
}

static int cluster_finish(struct netd_config *cfg, struct nd_error *err)
{
	int rc;
	static const struct { const char *name; size_t off; } files[] = {
		{ "cluster-store-cacert", OFF(cluster_store_cacert) },
		{ "cluster-store-cert", OFF(cluster_store_cert) },
		{ "cluster-store-key", OFF(cluster_store_key) },
	};
	if (!cfg->cluster_lease_ttl)
		cfg->cluster_lease_ttl = 5;
	if (cfg->cluster_lease_ttl < 2)
		return nd_error_set(err, -EINVAL, "cluster-lease-ttl %d: at least 2 seconds", cfg->cluster_lease_ttl);
	if (!cfg->cluster_store) {
		if (cfg->cluster_advertise || cfg->cluster_store_cacert || cfg->cluster_store_cert || cfg->cluster_store_key)
			return nd_error_set(err, -EINVAL, "cluster-advertise and cluster-store-cacert/-cert/-key need cluster-store");
		return 0;
	}
	if ((rc = nd_etcd_url_check(cfg->cluster_store, err)) < 0)
		return nd_error_wrap(err, "cluster-store");
	if (!cfg->cluster_advertise)
		return nd_error_set(err, -EINVAL, "cluster-store needs cluster-advertise (the address or interface "
				    "other hosts reach this one at)");
	if ((rc = advertise_check(cfg->cluster_advertise, err)) < 0)
		return rc;
	if (!cfg->cluster_store_cert != !cfg->cluster_store_key)
		return nd_error_set(err, -EINVAL, "cluster-store-cert and cluster-store-key go together");
	if (cfg->cluster_store_cert && !cfg->cluster_store_cacert)
		return nd_error_set(err, -EINVAL, "cluster-store-cert needs cluster-store-cacert (TLS verifies etcd)");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		const char *f = *(char **)((char *)cfg + files[i].off);
		if (f && access(f, R_OK) < 0)
			return nd_error_set(err, -errno, "%s %s: %s", files[i].name, f, strerror(errno));
	}
	return 0;
}

int netd_config_parse(struct netd_config *cfg, int argc, char **argv, struct nd_error *err)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 0 },
		{ "exec-root", required_argument, NULL, 0 },
		{ "socket", required_argument, NULL, 0 },
		{ "log-level", required_argument, NULL, 0 },
		{ "storage-driver", required_argument, NULL, 0 },
		{ "bpf-cgroup", required_argument, NULL, 0 },
		{ "bpf-pin-path", required_argument, NULL, 0 },
		{ "userland-proxy", required_argument, NULL, 0 },
		{ "shim-path", required_argument, NULL, 0 },
		{ "cgroup-parent", required_argument, NULL, 0 },
		{ "default-address-pool", required_argument, NULL, 0 },
		{ "insecure-registry", required_argument, NULL, 0 },
		{ "registry-mirror", required_argument, NULL, 0 },
		{ "max-concurrent-downloads", required_argument, NULL, 0 },
		{ "max-download-attempts", required_argument, NULL, 0 },
		{ "host", required_argument, NULL, 'H' },
		{ "tlsverify", optional_argument, NULL, 0 },
		{ "tlscacert", required_argument, NULL, 0 },
		{ "tlscert", required_argument, NULL, 0 },
		{ "tlskey", required_argument, NULL, 0 },
		{ "insecure-tcp", optional_argument, NULL, 0 },
		{ "tls-role", required_argument, NULL, 0 },
		{ "cluster-store", required_argument, NULL, 0 },
		{ "cluster-store-cacert", required_argument, NULL, 0 },
		{ "cluster-store-cert", required_argument, NULL, 0 },
		{ "cluster-store-key", required_argument, NULL, 0 },
		{ "cluster-advertise", required_argument, NULL, 0 },
		{ "cluster-lease-ttl", required_argument, NULL, 0 },
		{ "config", required_argument, NULL, 'c' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	bool from_flag[ARRAY_SIZE(keys)] = { 0 };
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = ND_LOG_INFO;
	opterr = 0;
	optind = 1;
	int c, idx = -1, rc;
	while ((c = getopt_long(argc, argv, "hvH:", opts, &idx)) != -1) {
		switch (c) {
		case 'H':
			/* fall through */
		case 0: {
			const char *name = c == 'H' ? "hosts" : opts[idx].name;
			const struct key *k = key_find(flag_key(name));
			if ((rc = set_value(cfg, k, optarg, NULL, "flags", err)) < 0)
				return rc;
			from_flag[k - keys] = true;
			break;
		}
		case 'c':
			free(cfg->config_file);
			if (!(cfg->config_file = strdup(optarg)))
				return nd_error_set(err, -ENOMEM, "out of memory");
			break;
		case 'C':
			cfg->cleanup = true;
			break;
		case 'h': netd_usage(stdout); exit(0);
		case 'v': printf("netd version %s\n", NETD_VERSION); exit(0);
		default:
			return nd_error_set(err, -EINVAL, "unknown or incomplete option \"%s\" (see netd --help)",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return nd_error_set(err, -EINVAL, "unexpected argument \"%s\" (see netd --help)", argv[optind]);
	if (cfg->config_file && (rc = load_file(cfg, from_flag, err)) < 0)
		return rc;
	if (dflt(&cfg->root, "/var/lib/netd") < 0 || dflt(&cfg->exec_root, "/run/netd") < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = hosts_finish(cfg, err)) < 0)
		return rc;
	if (cfg->root[0] != '/' || cfg->exec_root[0] != '/')
		return nd_error_set(err, -EINVAL, "--root and --exec-root must be absolute paths");
	if ((cfg->bpf_cgroup && cfg->bpf_cgroup[0] != '/') || (cfg->bpf_pin_path && cfg->bpf_pin_path[0] != '/'))
		return nd_error_set(err, -EINVAL, "bpf-cgroup and bpf-pin-path must be absolute paths");
	if (cfg->storage_driver && strcmp(cfg->storage_driver, "overlay2") && strcmp(cfg->storage_driver, "vfs"))
		return nd_error_set(err, -EINVAL, "storage-driver \"%s\": use overlay2 or vfs", cfg->storage_driver);
	if (cfg->cgroup_parent && (!*cfg->cgroup_parent || strstr(cfg->cgroup_parent, "..")))
		return nd_error_set(err, -EINVAL, "cgroup-parent \"%s\": want a cgroup path without \"..\"", cfg->cgroup_parent);
	if (!cfg->max_concurrent_downloads)
		cfg->max_concurrent_downloads = 3;
	if (!cfg->max_download_attempts)
		cfg->max_download_attempts = 5;
	for (size_t i = 0; cfg->registry_mirrors && cfg->registry_mirrors[i]; i++)
		if (!nd_str_has_prefix(cfg->registry_mirrors[i], "https://") && !nd_str_has_prefix(cfg->registry_mirrors[i], "http://"))
			return nd_error_set(err, -EINVAL, "registry-mirrors: \"%s\" is not an http(s) URL", cfg->registry_mirrors[i]);
	for (size_t i = 0; cfg->insecure_registries && cfg->insecure_registries[i]; i++)
		if (strpbrk(cfg->insecure_registries[i], " \t\"'\\"))
			return nd_error_set(err, -EINVAL, "insecure-registries: \"%s\" is not HOST[:PORT]", cfg->insecure_registries[i]);
	if (cfg->shim_path && access(cfg->shim_path, X_OK) < 0)
		return nd_error_set(err, -errno, "shim-path %s: %s", cfg->shim_path, strerror(errno));
	return cluster_finish(cfg, err);
}

json_t *netd_config_to_json(const struct netd_config *cfg)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	json_t *pools = json_array();
	for (size_t i = 0; i < cfg->npools; i++)
		json_array_append_new(pools, json_pack("{s:s, s:i}", "base", cfg->pools[i].base, "size", cfg->pools[i].size));
	json_t *insecure = json_array(), *mirrors = json_array();
	for (size_t i = 0; cfg->insecure_registries && cfg->insecure_registries[i]; i++)
		json_array_append_new(insecure, json_string(cfg->insecure_registries[i]));
	for (size_t i = 0; cfg->registry_mirrors && cfg->registry_mirrors[i]; i++)
		json_array_append_new(mirrors, json_string(cfg->registry_mirrors[i]));
	json_t *hosts = json_array(), *roles = json_array();
	for (size_t i = 0; i < cfg->nhosts; i++)
		json_array_append_new(hosts, json_string(cfg->hosts[i]));
	for (size_t i = 0; i < cfg->ntls_roles; i++) {
		const struct netd_tls_role *r = &cfg->tls_roles[i];
		json_t *o = json_pack("{s:s}", "role", netd_tls_role_name(r->role));
		if (r->cn[0])
			json_object_set_new(o, "cn", json_string(r->cn));
		if (r->ou[0])
			json_object_set_new(o, "ou", json_string(r->ou));
		json_array_append_new(roles, o);
	}
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:b, s:s?, s:s?, s:o, s:o, s:o, s:i, s:i, s:o, s:b, s:s?, s:s?, s:s?, s:b, s:o}",
			 "root", cfg->root, "exec-root", cfg->exec_root, "socket", cfg->socket,
			 "config", cfg->config_file, "log-level", levels[cfg->log_level],
			 "storage-driver", cfg->storage_driver, "bpf-cgroup", cfg->bpf_cgroup,
			 "bpf-pin-path", cfg->bpf_pin_path, "userland-proxy", cfg->userland_proxy,
			 "shim-path", cfg->shim_path, "cgroup-parent", cfg->cgroup_parent,
			 "default-address-pools", pools, "insecure-registries", insecure, "registry-mirrors", mirrors,
			 "max-concurrent-downloads", cfg->max_concurrent_downloads,
			 "max-download-attempts", cfg->max_download_attempts,
			 "hosts", hosts, "tlsverify", cfg->tlsverify,
			 "tlscacert", cfg->tlscacert, "tlscert", cfg->tlscert, "tlskey", cfg->tlskey,
			 "insecure-tcp", cfg->insecure_tcp, "tls-roles", roles);
	if (j && cfg->cluster_store) {
		json_object_set_new(j, "cluster-store", json_string(cfg->cluster_store));
		json_object_set_new(j, "cluster-advertise", json_string(cfg->cluster_advertise));
		json_object_set_new(j, "cluster-lease-ttl", json_integer(cfg->cluster_lease_ttl));
		if (cfg->cluster_store_cacert)
			json_object_set_new(j, "cluster-store-cacert", json_string(cfg->cluster_store_cacert));
		if (cfg->cluster_store_cert)
			json_object_set_new(j, "cluster-store-cert", json_string(cfg->cluster_store_cert));
		if (cfg->cluster_store_key)
			json_object_set_new(j, "cluster-store-key", json_string(cfg->cluster_store_key));
	}
	return j;
}

void netd_config_free(struct netd_config *cfg)
{
	free(cfg->root);
	free(cfg->exec_root);
	free(cfg->socket);
	free(cfg->config_file);
	free(cfg->storage_driver);
	free(cfg->bpf_cgroup);
	free(cfg->bpf_pin_path);
	free(cfg->shim_path);
	free(cfg->cgroup_parent);
	strv_free(cfg->insecure_registries);
	strv_free(cfg->registry_mirrors);
	for (size_t i = 0; i < cfg->nhosts; i++)
		free(cfg->hosts[i]);
	free(cfg->tlscacert);
	free(cfg->tlscert);
	free(cfg->tlskey);
	free(cfg->cluster_store);
	free(cfg->cluster_store_cacert);
	free(cfg->cluster_store_cert);
	free(cfg->cluster_store_key);
	free(cfg->cluster_advertise);
	memset(cfg, 0, sizeof(*cfg));
}
