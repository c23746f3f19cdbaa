// SPDX-License-Identifier: Apache-2.0
/* Store codecs: records <-> the JSON documents the store keeps. The keys
 * are the ones netd has always written (Docker's names where Docker has
 * the concept), so existing stores load unchanged. */
#include "netd/core/records.h"

/* ---- field helpers ------------------------------------------------------------- */

static int str_into(const json_t *j, const char *key, char *buf, size_t size, struct nd_error *err)
{
	json_t *v = json_object_get(j, key);
	buf[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return nd_error_set(err, -EINVAL, "record: \"%s\" must be a string", key);
	if (json_string_length(v) >= size)
		return nd_error_set(err, -ENAMETOOLONG, "record: \"%s\" is too long", key);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int bool_of(const json_t *j, const char *key, bool *out, struct nd_error *err)
{
	json_t *v = json_object_get(j, key);
	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return nd_error_set(err, -EINVAL, "record: \"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* A copy of an object (or list, with list=true) member; absent: empty. */
static int copy_of(const json_t *j, const char *key, bool list, json_t **out, struct nd_error *err)
{
	json_t *v = json_object_get(j, key);
	json_decref(*out);
	*out = NULL;
	if (!v || json_is_null(v))
		*out = list ? json_array() : json_object();
	else if (list ? !json_is_array(v) : !json_is_object(v))
		return nd_error_set(err, -EINVAL, "record: \"%s\" must be %s", key, list ? "a list" : "an object");
	else
		*out = json_deep_copy(v);
	return *out ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

static json_t *copy_or_empty(const json_t *v, bool list)
{
	return v ? json_deep_copy(v) : list ? json_array() : json_object();
}

/* ---- networks ------------------------------------------------------------------- */

int nd_network_rec_init(struct nd_network_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->options = json_object();
	r->labels = json_object();
	r->driver_data = json_object();
	r->cursors = json_object();
	if (!r->options || !r->labels || !r->driver_data || !r->cursors) {
		nd_network_rec_clear(r);
		return -ENOMEM;
	}
	return 0;
}

void nd_network_rec_clear(struct nd_network_rec *r)
{
	json_decref(r->options);
	json_decref(r->labels);
	json_decref(r->driver_data);
	json_decref(r->cursors);
	for (int i = 0; i < r->nipam; i++)
		json_decref(r->ipam[i].aux);
	memset(r, 0, sizeof(*r));
}

int nd_network_rec_from_json(const json_t *j, struct nd_network_rec *r, struct nd_error *err)
{
	int rc;
	if (nd_network_rec_init(r) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = str_into(j, "Id", r->id, sizeof(r->id), err)) < 0 ||
	    (rc = str_into(j, "Name", r->name, sizeof(r->name), err)) < 0 ||
	    (rc = str_into(j, "Created", r->created, sizeof(r->created), err)) < 0 ||
	    (rc = str_into(j, "Driver", r->driver, sizeof(r->driver), err)) < 0 ||
	    (rc = str_into(j, "Scope", r->scope, sizeof(r->scope), err)) < 0 ||
	    (rc = bool_of(j, "EnableIPv6", &r->ipv6, err)) < 0 ||
	    (rc = bool_of(j, "Internal", &r->internal, err)) < 0 ||
	    (rc = bool_of(j, "Attachable", &r->attachable, err)) < 0 ||
	    (rc = bool_of(j, "Ingress", &r->ingress, err)) < 0 ||
	    (rc = bool_of(j, "Builtin", &r->builtin, err)) < 0 ||
	    (rc = copy_of(j, "Options", false, &r->options, err)) < 0 ||
	    (rc = copy_of(j, "Labels", false, &r->labels, err)) < 0 ||
	    (rc = copy_of(j, "DriverData", false, &r->driver_data, err)) < 0 ||
	    (rc = copy_of(j, "Cursors", false, &r->cursors, err)) < 0)
		goto fail;
	if (!nd_id_valid(r->id)) {
		rc = nd_error_set(err, -EINVAL, "record: network \"%s\" has no valid Id", r->name);
		goto fail;
	}
	json_t *cfgs = json_object_get(json_object_get(j, "IPAM"), "Config");
	if (cfgs && !json_is_array(cfgs)) {
		rc = nd_error_set(err, -EINVAL, "record: network %s: \"IPAM.Config\" must be a list", r->name);
		goto fail;
	}
	size_t i;
	json_t *c;
	json_array_foreach(cfgs, i, c) {
		if (r->nipam == ND_REC_MAX_SUBNETS) {
			rc = nd_error_set(err, -EINVAL, "record: network %s has more than %d subnets", r->name,
					  ND_REC_MAX_SUBNETS);
			goto fail;
		}
		struct nd_ipam_rec *p = &r->ipam[r->nipam++];
		if ((rc = str_into(c, "Subnet", p->subnet, sizeof(p->subnet), err)) < 0 ||
		    (rc = str_into(c, "Gateway", p->gateway, sizeof(p->gateway), err)) < 0 ||
		    (rc = str_into(c, "IPRange", p->ip_range, sizeof(p->ip_range), err)) < 0)
			goto fail;
		json_t *aux = json_object_get(c, "AuxiliaryAddresses");
		if (aux && !json_is_null(aux)) {
			if (!json_is_object(aux)) {
				rc = nd_error_set(err, -EINVAL, "\"AuxiliaryAddresses\" must be an object of name: address");
				goto fail;
			}
			p->aux = json_deep_copy(aux);
		}
	}
	return 0;
fail:
	nd_network_rec_clear(r);
	return rc;
}

json_t *nd_network_rec_to_json(const struct nd_network_rec *r)
{
	json_t *cfgs = json_array();
	for (int i = 0; cfgs && i < r->nipam; i++) {
		const struct nd_ipam_rec *p = &r->ipam[i];
		json_t *c = json_pack("{s:s}", "Subnet", p->subnet);
		if (!c)
			continue;
		if (p->gateway[0])
			json_object_set_new(c, "Gateway", json_string(p->gateway));
		if (p->ip_range[0])
			json_object_set_new(c, "IPRange", json_string(p->ip_range));
		if (p->aux)
			json_object_set_new(c, "AuxiliaryAddresses", json_deep_copy(p->aux));
		json_array_append_new(cfgs, c);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:{s:s, s:{}, s:o}, s:o, s:o, s:o, s:o, s:b}",
			 "Name", r->name, "Id", r->id, "Created", r->created, "Scope", r->scope, "Driver", r->driver,
			 "EnableIPv6", r->ipv6, "Internal", r->internal, "Attachable", r->attachable,
			 "Ingress", r->ingress, "IPAM", "Driver", "default", "Options", "Config", cfgs,
			 "Options", copy_or_empty(r->options, false), "Labels", copy_or_empty(r->labels, false),
			 "DriverData", copy_or_empty(r->driver_data, false), "Cursors", copy_or_empty(r->cursors, false),
			 "Builtin", r->builtin);
}

/* ---- endpoints ------------------------------------------------------------------ */

int nd_endpoint_rec_init(struct nd_endpoint_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->aliases = json_array();
	r->driver_data = json_object();
	r->port_mappings = json_array();
	if (!r->aliases || !r->driver_data || !r->port_mappings) {
		nd_endpoint_rec_clear(r);
		return -ENOMEM;
	}
	return 0;
}

void nd_endpoint_rec_clear(struct nd_endpoint_rec *r)
{
	json_decref(r->aliases);
	json_decref(r->driver_data);
	json_decref(r->port_mappings);
	memset(r, 0, sizeof(*r));
}

int nd_endpoint_rec_from_json(const json_t *j, struct nd_endpoint_rec *r, struct nd_error *err)
{
	int rc;
	if (nd_endpoint_rec_init(r) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = str_into(j, "Id", r->id, sizeof(r->id), err)) < 0 ||
	    (rc = str_into(j, "NetworkID", r->network_id, sizeof(r->network_id), err)) < 0 ||
	    (rc = str_into(j, "SandboxID", r->sandbox_id, sizeof(r->sandbox_id), err)) < 0 ||
	    (rc = str_into(j, "ContainerID", r->container_id, sizeof(r->container_id), err)) < 0 ||
	    (rc = str_into(j, "OwnerName", r->owner_name, sizeof(r->owner_name), err)) < 0 ||
	    (rc = str_into(j, "Ifname", r->ifname, sizeof(r->ifname), err)) < 0 ||
	    (rc = str_into(j, "MacAddress", r->mac, sizeof(r->mac), err)) < 0 ||
	    (rc = str_into(j, "IPv4Address", r->ipv4, sizeof(r->ipv4), err)) < 0 ||
	    (rc = str_into(j, "IPv6Address", r->ipv6, sizeof(r->ipv6), err)) < 0 ||
	    (rc = bool_of(j, "DefaultRoute", &r->default_route, err)) < 0 ||
	    (rc = copy_of(j, "Aliases", true, &r->aliases, err)) < 0 ||
	    (rc = copy_of(j, "DriverData", false, &r->driver_data, err)) < 0 ||
	    (rc = copy_of(j, "PortMappings", true, &r->port_mappings, err)) < 0) {
		nd_endpoint_rec_clear(r);
		return rc;
	}
	return 0;
}

json_t *nd_endpoint_rec_to_json(const struct nd_endpoint_rec *r)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "Id", r->id, "NetworkID", r->network_id,
			      "SandboxID", r->sandbox_id, "Ifname", r->ifname, "OwnerName", r->owner_name,
			      "DefaultRoute", r->default_route, "Aliases", copy_or_empty(r->aliases, true),
			      "DriverData", copy_or_empty(r->driver_data, false));
	if (!j)
		return NULL;
	if (r->container_id[0])
		json_object_set_new(j, "ContainerID", json_string(r->container_id));
	if (r->ipv4[0])
		json_object_set_new(j, "IPv4Address", json_string(r->ipv4));
	if (r->ipv6[0])
		json_object_set_new(j, "IPv6Address", json_string(r->ipv6));
	if (r->mac[0])
		json_object_set_new(j, "MacAddress", json_string(r->mac));
	if (json_array_size(r->port_mappings))
		json_object_set_new(j, "PortMappings", json_deep_copy(r->port_mappings));
	return j;
}

void nd_endpoint_list_clear(struct nd_endpoint_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		nd_endpoint_rec_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- sandboxes ------------------------------------------------------------------ */

int nd_sandbox_rec_init(struct nd_sandbox_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->labels = json_object();
	return r->labels ? 0 : -ENOMEM;
}

void nd_sandbox_rec_clear(struct nd_sandbox_rec *r)
{
	json_decref(r->labels);
	memset(r, 0, sizeof(*r));
}

int nd_sandbox_rec_from_json(const json_t *j, struct nd_sandbox_rec *r, struct nd_error *err)
{
	int rc;
	if (nd_sandbox_rec_init(r) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = str_into(j, "Id", r->id, sizeof(r->id), err)) < 0 ||
	    (rc = str_into(j, "Name", r->name, sizeof(r->name), err)) < 0 ||
	    (rc = str_into(j, "Created", r->created, sizeof(r->created), err)) < 0 ||
	    (rc = str_into(j, "NetnsPath", r->netns_path, sizeof(r->netns_path), err)) < 0 ||
	    (rc = bool_of(j, "CallerOwned", &r->caller_owned, err)) < 0 ||
	    (rc = copy_of(j, "Labels", false, &r->labels, err)) < 0) {
		nd_sandbox_rec_clear(r);
		return rc;
	}
	return 0;
}

json_t *nd_sandbox_rec_to_json(const struct nd_sandbox_rec *r)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "Id", r->id, "Name", r->name, "Created", r->created,
			      "NetnsPath", r->netns_path, "Labels", copy_or_empty(r->labels, false));
	if (j && r->caller_owned)
		json_object_set_new(j, "CallerOwned", json_true());
	return j;
}

void nd_sandbox_list_clear(struct nd_sandbox_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		nd_sandbox_rec_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- containers ----------------------------------------------------------------- */

static int int_of(const json_t *j, const char *key, int *out, struct nd_error *err)
{
	json_t *v = json_object_get(j, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return nd_error_set(err, -EINVAL, "record: \"%s\" must be an integer", key);
	*out = (int)json_integer_value(v);
	return 0;
}

/* the keys the typed members stand for: not kept twice in doc */
static const char *const ctr_typed_keys[] = {
	"Id", "Name", "Image", "State", "RestartCount", "SandboxID", "SandboxOwned", "Starting", "ManualStop",
	"Removing", "StateDir", "LogPath", "HostsPath", "ResolvConfPath", "HostnamePath",
};

void nd_container_rec_clear(struct nd_container_rec *r)
{
	json_decref(r->doc);
	memset(r, 0, sizeof(*r));
}

int nd_container_rec_from_json(const json_t *j, struct nd_container_rec *r, struct nd_error *err)
{
	int rc;
	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "record: a container must be an object");
	const json_t *s = json_object_get(j, "State");
	const json_t *hc = json_object_get(j, "HostConfig");
	const json_t *rp = json_object_get(hc, "RestartPolicy");
	struct nd_ctr_state_rec *st = &r->state;
	if ((rc = str_into(j, "Id", r->id, sizeof(r->id), err)) < 0 ||
	    (rc = str_into(j, "Name", r->name, sizeof(r->name), err)) < 0 ||
	    (rc = str_into(j, "Image", r->image, sizeof(r->image), err)) < 0 ||
	    (rc = str_into(hc, "NetworkMode", r->network_mode, sizeof(r->network_mode), err)) < 0 ||
	    (rc = bool_of(hc, "AutoRemove", &r->auto_remove, err)) < 0 ||
	    (rc = str_into(rp, "Name", r->restart_policy, sizeof(r->restart_policy), err)) < 0 ||
	    (rc = int_of(rp, "MaximumRetryCount", &r->restart_max, err)) < 0 ||
	    (rc = str_into(s, "Status", st->status, sizeof(st->status), err)) < 0 ||
	    (rc = bool_of(s, "Running", &st->running, err)) < 0 ||
	    (rc = bool_of(s, "Paused", &st->paused, err)) < 0 ||
	    (rc = bool_of(s, "Restarting", &st->restarting, err)) < 0 ||
	    (rc = bool_of(s, "OOMKilled", &st->oom_killed, err)) < 0 ||
	    (rc = int_of(s, "Pid", &st->pid, err)) < 0 ||
	    (rc = int_of(s, "ExitCode", &st->exit_code, err)) < 0 ||
	    (rc = str_into(s, "StartedAt", st->started_at, sizeof(st->started_at), err)) < 0 ||
	    (rc = str_into(s, "FinishedAt", st->finished_at, sizeof(st->finished_at), err)) < 0 ||
	    (rc = int_of(j, "RestartCount", &r->restart_count, err)) < 0 ||
	    (rc = str_into(j, "SandboxID", r->sandbox_id, sizeof(r->sandbox_id), err)) < 0 ||
	    (rc = bool_of(j, "SandboxOwned", &r->sandbox_owned, err)) < 0 ||
	    (rc = bool_of(j, "Starting", &r->starting, err)) < 0 ||
	    (rc = bool_of(j, "ManualStop", &r->manual_stop, err)) < 0 ||
	    (rc = bool_of(j, "Removing", &r->removing, err)) < 0 ||
	    (rc = str_into(j, "StateDir", r->state_dir, sizeof(r->state_dir), err)) < 0 ||
	    (rc = str_into(j, "LogPath", r->log_path, sizeof(r->log_path), err)) < 0 ||
	    (rc = str_into(j, "HostsPath", r->hosts_path, sizeof(r->hosts_path), err)) < 0 ||
	    (rc = str_into(j, "ResolvConfPath", r->resolv_conf_path, sizeof(r->resolv_conf_path), err)) < 0 ||
	    (rc = str_into(j, "HostnamePath", r->hostname_path, sizeof(r->hostname_path), err)) < 0)
		return rc;
	/* the error text is bounded by the record, not refused when long */
	snprintf(st->error, sizeof(st->error), "%s", nd_json_str(s, "Error") ?: "");
	if (!nd_id_valid(r->id))
		return nd_error_set(err, -EINVAL, "record: container \"%s\" has no valid Id", r->name);
	if (!(r->doc = json_deep_copy(j)))
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < ARRAY_SIZE(ctr_typed_keys); i++)
		json_object_del(r->doc, ctr_typed_keys[i]);
	return 0;
}

json_t *nd_container_rec_to_json(const struct nd_container_rec *r)
{
	const struct nd_ctr_state_rec *st = &r->state;
	json_t *j = r->doc ? json_deep_copy(r->doc) : json_object();
	if (!j)
		return NULL;
	json_t *typed = json_pack("{s:s, s:s, s:s, s:{s:s, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}, s:i, s:s, s:b,"
				  " s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s}",
				  "Id", r->id, "Name", r->name, "Image", r->image,
				  "State", "Status", st->status, "Running", st->running, "Paused", st->paused,
				  "Restarting", st->restarting, "OOMKilled", st->oom_killed, "Pid", st->pid,
				  "ExitCode", st->exit_code, "Error", st->error, "StartedAt", st->started_at,
				  "FinishedAt", st->finished_at,
				  "RestartCount", r->restart_count, "SandboxID", r->sandbox_id,
				  "SandboxOwned", r->sandbox_owned, "Starting", r->starting, "ManualStop", r->manual_stop,
				  "Removing", r->removing, "StateDir", r->state_dir, "LogPath", r->log_path,
				  "HostsPath", r->hosts_path, "ResolvConfPath", r->resolv_conf_path,
				  "HostnamePath", r->hostname_path);
	if (!typed) {
		json_decref(j);
		return NULL;
	}
	json_object_update(j, typed);
	json_decref(typed);
	json_t *hc = json_object_get(j, "HostConfig");
	if (!json_is_object(hc)) {
		hc = json_object();
		json_object_set_new(j, "HostConfig", hc);
	}
	json_object_set_new(hc, "NetworkMode", json_string(r->network_mode));
	json_object_set_new(hc, "AutoRemove", json_boolean(r->auto_remove));
	json_object_set_new(hc, "RestartPolicy",
			    json_pack("{s:s, s:i}", "Name", r->restart_policy, "MaximumRetryCount", r->restart_max));
	return j;
}

/* ---- volumes -------------------------------------------------------------------- */

int nd_volume_rec_init(struct nd_volume_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->options = json_object();
	r->labels = json_object();
	if (!r->options || !r->labels) {
		nd_volume_rec_clear(r);
		return -ENOMEM;
	}
	return 0;
}

void nd_volume_rec_clear(struct nd_volume_rec *r)
{
	json_decref(r->options);
	json_decref(r->labels);
	memset(r, 0, sizeof(*r));
}

int nd_volume_rec_from_json(const json_t *j, struct nd_volume_rec *r, struct nd_error *err)
{
	int rc;
	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "record: a volume must be an object");
	if ((rc = str_into(j, "Name", r->name, sizeof(r->name), err)) < 0 ||
	    (rc = str_into(j, "Driver", r->driver, sizeof(r->driver), err)) < 0 ||
	    (rc = str_into(j, "CreatedAt", r->created, sizeof(r->created), err)) < 0 ||
	    (rc = str_into(j, "Mountpoint", r->mountpoint, sizeof(r->mountpoint), err)) < 0 ||
	    (rc = bool_of(j, "Anonymous", &r->anonymous, err)) < 0 ||
	    (rc = copy_of(j, "Options", false, &r->options, err)) < 0 ||
	    (rc = copy_of(j, "Labels", false, &r->labels, err)) < 0) {
		nd_volume_rec_clear(r);
		return rc;
	}
	if (!r->name[0]) {
		nd_volume_rec_clear(r);
		return nd_error_set(err, -EINVAL, "record: a volume without a name");
	}
	return 0;
}

json_t *nd_volume_rec_to_json(const struct nd_volume_rec *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "Name", r->name, "Driver", r->driver, "CreatedAt",
			 r->created, "Mountpoint", r->mountpoint, "Anonymous", r->anonymous, "Options",
			 copy_or_empty(r->options, false), "Labels", copy_or_empty(r->labels, false));
}

void nd_volume_list_clear(struct nd_volume_list *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		nd_volume_rec_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
