// SPDX-License-Identifier: Apache-2.0
/* netd's configuration: flags and the JSON config file, parsed once into a
 * typed struct. Flags win over the file, the file over the defaults; an
 * unknown key or a value of the wrong type is an error, never ignored. */
#pragma once

#include "common/common.h"

#define NETD_CONFIG_MAX_POOLS 64

struct netd_pool_config {
	char base[64];               /* "10.10.0.0/16" */
	int size;                    /* prefix length of each network's subnet */
};

#define NETD_CONFIG_MAX_HOSTS 16
#define NETD_CONFIG_MAX_ROLES 64

/* What a client certificate may do on a TLS listener (tls-roles). */
enum netd_tls_role_kind { NETD_ROLE_READ_ONLY, NETD_ROLE_OPERATOR, NETD_ROLE_ADMIN };

struct netd_tls_role {
	char cn[128];                /* fnmatch pattern on the subject's CN; "" = any */
	char ou[128];                /* fnmatch pattern on the subject's OU; "" = any */
	enum netd_tls_role_kind role;
};

struct netd_config {
	char *root;                  /* --root, default /var/lib/netd */
	char *exec_root;             /* --exec-root, default /run/netd */
	char *socket;                /* --socket, default <exec-root>/netd.sock */
	char *config_file;           /* --config, NULL when none */
	enum nd_log_level log_level; /* --log-level, default info */
	char *storage_driver;        /* --storage-driver overlay2|vfs; NULL = overlay2, vfs where it cannot mount */
	char *bpf_cgroup;            /* --bpf-cgroup: cgroup2 dir the port programs attach to; NULL = the root */
	char *bpf_pin_path;          /* --bpf-pin-path: bpffs dir for pins; NULL = derived from exec-root */
	bool userland_proxy;         /* --userland-proxy: publish with the relay, not eBPF */
	char *shim_path;             /* --shim-path: the netd-shim binary; NULL = next to netd */
	char *cgroup_parent;         /* --cgroup-parent: containers' parent cgroup; NULL = "netd" */
	struct netd_pool_config pools[NETD_CONFIG_MAX_POOLS]; /* --default-address-pool */
	size_t npools;               /* 0: Docker's defaults */
	char **insecure_registries;  /* --insecure-registry HOST[:PORT], repeatable: plain HTTP (NULL-terminated) */
	char **registry_mirrors;     /* --registry-mirror URL, repeatable: pulls from docker.io go there first */
	int max_concurrent_downloads;/* --max-concurrent-downloads N: parallel layer downloads (default 3) */
	int max_download_attempts;   /* --max-download-attempts N: tries per request (default 5) */
	char *hosts[NETD_CONFIG_MAX_HOSTS]; /* -H/--host unix://PATH | tcp://ADDR:PORT; key "hosts" */
	size_t nhosts;               /* after parsing: at least the unix socket */
	bool tlsverify;              /* --tlsverify: TCP listeners speak mutual TLS */
	char *tlscacert, *tlscert, *tlskey; /* --tlscacert/--tlscert/--tlskey PEM files */
	bool insecure_tcp;           /* --insecure-tcp: plain TCP allowed (warned at start) */
	struct netd_tls_role tls_roles[NETD_CONFIG_MAX_ROLES]; /* --tls-role; key "tls-roles" */
	size_t ntls_roles;           /* 0: every certificate the CA signed is admin */
	char *cluster_store;         /* --cluster-store etcd://HOST:PORT[,HOST:PORT...]; NULL = local scope only */
	char *cluster_store_cacert;  /* --cluster-store-cacert PEM: talk https to etcd, verify it */
	char *cluster_store_cert, *cluster_store_key; /* --cluster-store-cert/-key PEM: client certificate */
	char *cluster_advertise;     /* --cluster-advertise ADDR|IFACE: the underlay address peers reach us at */
	int cluster_lease_ttl;       /* --cluster-lease-ttl N seconds (2..64, default 5) */
	bool cleanup;                /* --cleanup: remove what this netd made, then exit (flag only) */
};

int netd_config_parse(struct netd_config *cfg, int argc, char **argv, struct nd_error *err);
/* The config as JSON, keys as in the file (for `netctl info`). */
json_t *netd_config_to_json(const struct netd_config *cfg);
void netd_config_free(struct netd_config *cfg);
const char *netd_tls_role_name(enum netd_tls_role_kind r);
void netd_usage(FILE *out);
