// SPDX-License-Identifier: Apache-2.0
/* Docker's pre-defined "host" and "none" networks, as read-only views: they
 * are network modes of a container (HostConfig.NetworkMode "host": the
 * host's namespace; "none": a namespace with loopback only), not networks
 * netd makes, so they have no record, no driver and no endpoints. They are
 * listed and inspected as Docker shows them; create, rm, connect and
 * disconnect of them are refused as Docker refuses them. */
#include "netd/api/api.h"
#include "images/images.h"

static const char *const pseudo_names[] = { "host", "none" };

/* A stable id per daemon: sha256("netd pseudo network NAME DAEMON-ID") */
static void pseudo_id(struct netd *d, const char *name, char out[ND_ID_LEN + 1])
{
	char seed[160], dig[IMAGES_DIGEST_LEN + 1];
	snprintf(seed, sizeof(seed), "netd pseudo network %s %s", name, d->id);
	images_digest_buf(seed, strlen(seed), dig);
	snprintf(out, ND_ID_LEN + 1, "%s", dig + strlen("sha256:"));
}

static json_t *pseudo_view(struct netd *d, const char *name)
{
	char id[ND_ID_LEN + 1], created[40];
	pseudo_id(d, name, id);
	struct tm tm;
	time_t t = d->started;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:n, s:[]}, s:b, s:b, s:b, s:{s:s}, s:b,"
			 " s:{}, s:{}, s:{}}",
		"Name", name, "Id", id, "Created", created, "Scope", "local", "Driver", name,
		"EnableIPv4", 0, "EnableIPv6", 0,
		"IPAM", "Driver", "default", "Options", "Config",
		"Internal", 0, "Attachable", 0, "Ingress", 0,
		"ConfigFrom", "Network", "",
		"ConfigOnly", 0,
		"Containers", "Options", "Labels");
}

const char *api_pseudo_network(struct netd *d, const char *ref)
{
	if (!ref)
		return NULL;
	size_t n = strlen(ref);
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_names); i++) {
		char id[ND_ID_LEN + 1];
		pseudo_id(d, pseudo_names[i], id);
		if (strcmp(ref, pseudo_names[i]) == 0 || (n >= 12 && strncmp(id, ref, n) == 0))
			return pseudo_names[i];
	}
	return NULL;
}

json_t *api_pseudo_network_view(struct netd *d, const char *name)
{
	return pseudo_view(d, name);
}

static bool pm_name(const char *v, void *data)
{
	return strstr(nd_json_str(data, "Name"), v) != NULL;
}

static bool pm_id(const char *v, void *data)
{
	return nd_str_has_prefix(nd_json_str(data, "Id"), v);
}

static bool pm_driver(const char *v, void *data)
{
	return strcmp(nd_json_str(data, "Driver"), v) == 0;
}

static bool pm_type(const char *v, void *data)
{
	return strcmp(v, "builtin") == 0;
}

static bool pm_scope(const char *v, void *data)
{
	return strcmp(v, "local") == 0;
}

static bool pm_label(const char *v, void *data)
{
	return false;
}

void api_pseudo_networks_list(struct netd *d, const json_t *f, json_t *arr)
{
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_names); i++) {
		json_t *v = pseudo_view(d, pseudo_names[i]);
		if (v && api_filter_any(f, "name", pm_name, v) && api_filter_any(f, "id", pm_id, v) &&
		    api_filter_any(f, "driver", pm_driver, v) && api_filter_any(f, "type", pm_type, v) &&
		    api_filter_any(f, "scope", pm_scope, v) && api_filter_all(f, "label", pm_label, v))
			json_array_append_new(arr, v);
		else
			json_decref(v);
	}
}

/* Docker's answers for what cannot be done to them */
bool api_pseudo_network_refuse(struct netd *d, struct http_req *req, const char *ref, const char *op)
{
	const char *name = api_pseudo_network(d, ref);
	if (!name)
		return false;
	if (strcmp(op, "delete") == 0)
		http_reply_errorf(req, 403, "%s is a pre-defined network and cannot be removed", name);
	else if (strcmp(op, "connect") == 0 || strcmp(op, "disconnect") == 0)
		http_reply_errorf(req, 400, "container cannot be %s %s network \"%s\": it is a network mode, chosen "
				  "at create (--network %s), not a network to join",
				  strcmp(op, "connect") == 0 ? "connected to" : "disconnected from",
				  strcmp(name, "host") == 0 ? "the host" : "the none", name, name);
	else
		http_reply_errorf(req, 409, "network with name %s already exists", name);
	return true;
}
