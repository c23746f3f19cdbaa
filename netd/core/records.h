// SPDX-License-Identifier: Apache-2.0
/* The records netd keeps, as C structs, and their store codecs: JSON lives
 * only in records.c (and in the api layer's views). Maps and lists of
 * strings that pass through untouched (driver options, labels, aliases,
 * the driver's private data) stay jansson values, owned by the record.
 *
 * Decoding is strict about types (a stored document of the wrong shape is
 * an error that names the key) and tolerant of keys it does not know. */
#pragma once

#include "common/common.h"

#include <limits.h>
#include <net/if.h>

struct store;

#define ND_REC_MAX_SUBNETS 4

/* ---- networks ------------------------------------------------------------------- */

struct nd_ipam_rec {
	char subnet[64];              /* canonical CIDR */
	char gateway[64];             /* address, "" = none */
	char ip_range[64];            /* CIDR, "" = the whole subnet */
	json_t *aux;                  /* {name: address} or NULL */
};

struct nd_network_rec {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];
	char created[40];             /* RFC 3339 */
	char driver[32];
	char scope[16];               /* "local" or "global" */
	bool ipv6, internal, attachable, ingress;
	bool builtin;                 /* the default network */
	struct nd_ipam_rec ipam[ND_REC_MAX_SUBNETS];
	int nipam;
	json_t *options;              /* driver options: object of strings, never NULL */
	json_t *labels;               /* object of strings, never NULL */
	json_t *driver_data;          /* the driver's own state: object, never NULL */
	json_t *cursors;              /* {subnet: last allocated address}, never NULL */
};

/* A record with its maps allocated (empty); 0 or -ENOMEM. */
int nd_network_rec_init(struct nd_network_rec *r);
void nd_network_rec_clear(struct nd_network_rec *r);
int nd_network_rec_from_json(const json_t *j, struct nd_network_rec *r, struct nd_error *err);
json_t *nd_network_rec_to_json(const struct nd_network_rec *r);

/* ---- endpoints ------------------------------------------------------------------ */

struct nd_endpoint_rec {
	char id[ND_ID_LEN + 1];
	char network_id[ND_ID_LEN + 1];
	char sandbox_id[ND_ID_LEN + 1];
	char container_id[ND_ID_LEN + 1]; /* "" when the owner is the sandbox itself */
	char owner_name[ND_NAME_MAX + 1];
	char ifname[IFNAMSIZ];        /* inside the sandbox: "eth0" */
	char mac[18];                 /* "" until the driver chose one */
	char ipv4[64], ipv6[64];      /* CIDR or "" */
	bool default_route;
	json_t *aliases;              /* list of names, never NULL */
	json_t *driver_data;          /* object, never NULL */
	/* Ports published for a caller-owned sandbox's endpoint (CNI
	 * portMappings), recorded before they are published: a list of
	 * {"Proto","HostIp","HostPort","ContainerIp","ContainerPort"}, never
	 * NULL. Containers keep theirs in the container document instead. */
	json_t *port_mappings;
};

int nd_endpoint_rec_init(struct nd_endpoint_rec *r);
void nd_endpoint_rec_clear(struct nd_endpoint_rec *r);
int nd_endpoint_rec_from_json(const json_t *j, struct nd_endpoint_rec *r, struct nd_error *err);
json_t *nd_endpoint_rec_to_json(const struct nd_endpoint_rec *r);
/* A list of records (from the store): count and free. */
struct nd_endpoint_list {
	struct nd_endpoint_rec *v;
	size_t n;
};
void nd_endpoint_list_clear(struct nd_endpoint_list *l);

/* ---- sandboxes ------------------------------------------------------------------ */

struct nd_sandbox_rec {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];   /* "" = none */
	char created[40];
	char netns_path[PATH_MAX];
	/* The namespace is the caller's (a CNI runtime's): netd records its
	 * path but never creates, re-creates or destroys it. */
	bool caller_owned;
	json_t *labels;               /* object of strings, never NULL */
};

int nd_sandbox_rec_init(struct nd_sandbox_rec *r);
void nd_sandbox_rec_clear(struct nd_sandbox_rec *r);
int nd_sandbox_rec_from_json(const json_t *j, struct nd_sandbox_rec *r, struct nd_error *err);
json_t *nd_sandbox_rec_to_json(const struct nd_sandbox_rec *r);
struct nd_sandbox_list {
	struct nd_sandbox_rec *v;
	size_t n;
};
void nd_sandbox_list_clear(struct nd_sandbox_list *l);

/* ---- typed store access (store_records.c) ----------------------------------------- */

int store_network_put(struct store *st, const struct nd_network_rec *r, struct nd_error *err);
/* Every network, oldest first; the caller clears each and frees the array. */
int store_network_list(struct store *st, struct nd_network_rec **out, size_t *n, struct nd_error *err);

int store_endpoint_put(struct store *st, const struct nd_endpoint_rec *r, struct nd_error *err);
/* The endpoints of a network and/or a sandbox (NULL: any), oldest first. */
int store_endpoint_list(struct store *st, const char *network_id, const char *sandbox_id,
			struct nd_endpoint_list *out, struct nd_error *err);

int store_sandbox_put(struct store *st, const struct nd_sandbox_rec *r, struct nd_error *err);
/* By id, unique prefix or name; out is cleared first. */
int store_sandbox_lookup(struct store *st, const char *ref, struct nd_sandbox_rec *out, struct nd_error *err);
int store_sandbox_list(struct store *st, struct nd_sandbox_list *out, struct nd_error *err);

/* ---- containers ----------------------------------------------------------------- */

/* Docker's State, as netd keeps it. */
struct nd_ctr_state_rec {
	char status[16];              /* created, running, restarting, exited */
	bool running, paused, restarting, oom_killed;
	int pid;
	int exit_code;
	char error[ND_ERROR_MSG_MAX];
	char started_at[40], finished_at[40];
};

/* A container: what its life cycle reads and changes, typed; the user's
 * configuration as Docker describes it (Config, HostConfig, NetworkRequests,
 * Path, Args, Created, the runtime Spec, the published PortMappings) stays
 * in doc, read by the ctr layer's spec and port code and by the api views. */
struct nd_container_rec {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];
	char image[80];               /* the image's id, "sha256:..." */
	/* HostConfig members the life cycle acts on (written back into doc) */
	char network_mode[ND_NAME_MAX + 16];
	bool auto_remove;
	char restart_policy[16];      /* "", no, always, on-failure, unless-stopped */
	int restart_max;              /* on-failure's MaximumRetryCount */
	struct nd_ctr_state_rec state;
	int restart_count;
	char sandbox_id[ND_ID_LEN + 1]; /* "" while it has no network namespace of netd's */
	bool sandbox_owned;           /* the sandbox is the container's own (not container:OTHER's) */
	bool starting;                /* intent: a start is under way */
	bool manual_stop;             /* stopped by a user: the restart policy does not bring it back */
	bool removing;                /* intent: a removal is under way */
	char state_dir[PATH_MAX];     /* the shim's state dir under the exec root */
	char log_path[PATH_MAX];
	char hosts_path[PATH_MAX], resolv_conf_path[PATH_MAX], hostname_path[PATH_MAX];
	json_t *doc;                  /* the rest, owned, never NULL after decoding */
};

void nd_container_rec_clear(struct nd_container_rec *r);
int nd_container_rec_from_json(const json_t *j, struct nd_container_rec *r, struct nd_error *err);
json_t *nd_container_rec_to_json(const struct nd_container_rec *r);

/* ---- volumes -------------------------------------------------------------------- */

/* A named volume of the local driver: a directory <root>/volumes/<name>/_data,
 * or, with options type/device/o, a mount there (mount(2), made when a
 * container first uses it). Its name is its identity (Docker's). */
struct nd_volume_rec {
	char name[ND_NAME_MAX + 1];
	char driver[32];              /* "local" */
	char created[40];             /* RFC 3339 */
	char mountpoint[PATH_MAX];    /* <root>/volumes/<name>/_data */
	bool anonymous;               /* made for one container (-v /path, VOLUME): rm -v removes it */
	json_t *options;              /* the driver's options (type, device, o): object of strings, never NULL */
	json_t *labels;               /* object of strings, never NULL */
};

int nd_volume_rec_init(struct nd_volume_rec *r);
void nd_volume_rec_clear(struct nd_volume_rec *r);
int nd_volume_rec_from_json(const json_t *j, struct nd_volume_rec *r, struct nd_error *err);
json_t *nd_volume_rec_to_json(const struct nd_volume_rec *r);
struct nd_volume_list {
	struct nd_volume_rec *v;
	size_t n;
};
void nd_volume_list_clear(struct nd_volume_list *l);

int store_volume_put(struct store *st, const struct nd_volume_rec *r, struct nd_error *err);
/* By exact name; -ENOENT "no such volume" when absent. out is cleared first. */
int store_volume_get(struct store *st, const char *name, struct nd_volume_rec *out, struct nd_error *err);
int store_volume_del(struct store *st, const char *name, struct nd_error *err);
int store_volume_list(struct store *st, struct nd_volume_list *out, struct nd_error *err);
