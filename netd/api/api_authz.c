// SPDX-License-Identifier: Apache-2.0
/* Who may do what over a TLS listener: the client certificate's subject
 * (CN, OU) maps to a role through the config's tls-roles (first match wins):
 *   read-only  GET and HEAD, and the streams that only read (attach without
 *              stdin, wait);
 *   operator   everything except what gives the host away: privileged
 *              containers or execs, host-path bind mounts, the host's network
 *              namespace, devices, and their equivalents (capabilities that
 *              escape a container, seccomp/AppArmor/SELinux off, the host's
 *              pid/ipc/uts/user/cgroup namespaces, volumes bound to a host
 *              path through driver options);
 *   admin      everything.
 * A subject no entry matches is refused; with no entries at all every
 * certificate the CA signed is admin (Docker's model). The unix socket is
 * local and guarded by its mode: it is not checked here. Every mutating
 * request over TCP is logged with its subject. The transport calls this
 * between parsing a request and its handler (http_server_config.authorize). */
#include "netd/api/api.h"

#include <fnmatch.h>
#include <strings.h>

static bool pattern_ok(const char *pattern, const char *value)
{
	return !pattern[0] || fnmatch(pattern, value ? value : "", 0) == 0;
}

int api_role_for(const struct netd_config *cfg, const char *cn, const char *ou, enum netd_tls_role_kind *out)
{
	if (cfg->ntls_roles == 0) {
		*out = NETD_ROLE_ADMIN;
		return 0;
	}
	for (size_t i = 0; i < cfg->ntls_roles; i++) {
		const struct netd_tls_role *r = &cfg->tls_roles[i];
		if (pattern_ok(r->cn, cn) && pattern_ok(r->ou, ou)) {
			*out = r->role;
			return 0;
		}
	}
	return -EPERM;
}

/* POST /containers/{id}/attach without stdin, POST /containers/{id}/wait */
static bool read_only_stream(struct http_req *req, const char *method, const char *path)
{
	if (strcmp(method, "POST") != 0 || !nd_str_has_prefix(path, "/containers/"))
		return false;
	const char *last = strrchr(path, '/');
	if (strcmp(last, "/wait") == 0)
		return true;
	return strcmp(last, "/attach") == 0 && !http_req_query_bool(req, "stdin", false);
}

static bool bind_source_is_host_path(const char *bind)
{
	return bind && bind[0] == '/';
}

/* What an operator may not ask of a container: the first such field, or NULL. */
const char *api_operator_forbidden(const json_t *body, bool exec)
{
	if (exec)
		return json_is_true(json_object_get(body, "Privileged")) ? "Privileged (a privileged exec)" : NULL;
	const json_t *hc = json_object_get(body, "HostConfig");
	if (!json_is_object(hc))
		return NULL;
	if (json_is_true(json_object_get(hc, "Privileged")))
		return "HostConfig.Privileged (a privileged container)";
	const char *nm = nd_json_str(hc, "NetworkMode");
	if (nm && strcmp(nm, "host") == 0)
		return "HostConfig.NetworkMode host (the host's network namespace)";
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "Binds"), i, v)
		if (json_is_string(v) && bind_source_is_host_path(json_string_value(v)))
			return "HostConfig.Binds with a host path";
	json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
		const char *type = nd_json_str(v, "Type");
		if (type && strcasecmp(type, "bind") == 0)
			return "HostConfig.Mounts of type bind (a host path)";
	}
	static const char *const host_ns[] = { "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode" };
	for (size_t k = 0; k < ARRAY_SIZE(host_ns); k++) {
		const char *m = nd_json_str(hc, host_ns[k]);
		if (m && strcmp(m, "host") == 0)
			return "a host namespace (PidMode, IpcMode, UTSMode, UsernsMode or CgroupnsMode host)";
	}
	json_array_foreach(json_object_get(hc, "CapAdd"), i, v) {
		static const char *const escaping[] = { "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE",
							"DAC_READ_SEARCH", "SYS_BOOT", "BPF", "PERFMON", "SYSLOG", "MAC_ADMIN" };
		const char *cap = json_string_value(v);
		if (!cap)
			continue;
		if (strncasecmp(cap, "CAP_", 4) == 0)
			cap += 4;
		for (size_t k = 0; k < ARRAY_SIZE(escaping); k++)
			if (strcasecmp(cap, escaping[k]) == 0)
				return "HostConfig.CapAdd of a capability that escapes the container";
	}
	json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
		const char *o = json_string_value(v);
		if (o && (strstr(o, "unconfined") || strstr(o, "label=disable") || strstr(o, "label:disable")))
			return "HostConfig.SecurityOpt that turns confinement off";
	}
	json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
		const json_t *opts = json_object_get(json_object_get(json_object_get(v, "VolumeOptions"), "DriverConfig"), "Options");
		if (json_object_get(opts, "device"))
			return "HostConfig.Mounts with a volume bound to a host device or path";
	}
	static const struct { const char *key, *what; } devices[] = {
		{ "Devices", "HostConfig.Devices (device access)" },
		{ "DeviceRequests", "HostConfig.DeviceRequests (device access)" },
		{ "DeviceCgroupRules", "HostConfig.DeviceCgroupRules (device access)" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(devices); k++) {
		const json_t *dv = json_object_get(hc, devices[k].key);
		if (json_is_array(dv) && json_array_size(dv) > 0)
			return devices[k].what;
	}
	return NULL;
}

/* POST /volumes/create whose driver options name a host device or path */
static bool volume_binds_host(const json_t *body)
{
	return json_object_get(json_object_get(body, "DriverOpts"), "device") != NULL;
}

static bool is_exec_create(const char *path)
{
	const char *last = strrchr(path, '/');
	return nd_str_has_prefix(path, "/containers/") && last && strcmp(last, "/exec") == 0;
}

int api_authorize(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	if (!http_req_remote(req))
		return 0;
	const char *method = http_req_method(req), *path = http_req_path(req);
	bool reading = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const char *subject = http_req_peer_subject(req);
	if (!subject) {              /* --insecure-tcp: no identity, Docker's all-or-nothing */
		if (!reading)
			log_info("api request subject=(none:insecure-tcp) role=admin method=%s path=%s", method, path);
		return 0;
	}
	const char *cn = http_req_peer_cn(req), *ou = http_req_peer_ou(req);
	enum netd_tls_role_kind role;
	if (api_role_for(&d->cfg, cn, ou, &role) < 0) {
		log_warn("api refused subject=\"%s\" method=%s path=%s: no tls-roles entry matches", subject, method, path);
		http_reply_errorf(req, 403, "client certificate \"%s\" (CN=%s OU=%s) matches no tls-roles entry of this netd",
				  subject, cn ? cn : "", ou ? ou : "");
		return 1;
	}
	const char *rname = netd_tls_role_name(role);
	if (role == NETD_ROLE_READ_ONLY && !reading && !read_only_stream(req, method, path)) {
		log_warn("api refused subject=\"%s\" role=%s method=%s path=%s", subject, rname, method, path);
		http_reply_errorf(req, 403, "client certificate \"%s\" has role read-only: %s %s is not allowed "
				  "(read-only allows GET requests and reading streams)", subject, method, path);
		return 1;
	}
	bool volume = strcmp(path, "/volumes/create") == 0;
	if (role == NETD_ROLE_OPERATOR && strcmp(method, "POST") == 0 &&
	    (strcmp(path, "/containers/create") == 0 || is_exec_create(path) || volume)) {
		size_t len;
		const char *body = http_req_body(req, &len);
		json_error_t jerr;
		/* as strict as the handlers: what they would refuse is refused here */
		_cleanup_json_ json_t *j = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : json_object();
		if (!json_is_object(j)) {
			http_reply_errorf(req, 400, "request body must be a JSON object without duplicate keys");
			return 1;
		}
		const char *what = volume ? (volume_binds_host(j) ? "a volume bound to a host device or path (DriverOpts device)" : NULL)
					  : api_operator_forbidden(j, is_exec_create(path));
		if (what) {
			log_warn("api refused subject=\"%s\" role=%s method=%s path=%s: %s", subject, rname, method, path, what);
			http_reply_errorf(req, 403, "client certificate \"%s\" has role operator: %s is reserved to admin",
					  subject, what);
			return 1;
		}
	}
	if (!reading)
		log_info("api request subject=\"%s\" role=%s method=%s path=%s", subject, rname, method, path);
	return 0;
}
