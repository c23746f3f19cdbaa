// SPDX-License-Identifier: Apache-2.0
/* Containers: the Docker Engine API handlers (/containers/...). Bodies are
 * checked here, at the edge; the lifecycle lives in container.c. */
#include "netd/api/api.h"

#include "images/images.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#define ZERO_TIME "0001-01-01T00:00:00Z"
#define MIN_MEMORY (6ll << 20)   /* Docker's minimum memory limit */

/* ---- create ---------------------------------------------------------------------- */

static int get_strv(const json_t *obj, const char *key, json_t **out, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_pack("[O]", v);
		return 0;
	}
	if (!json_is_array(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be a list of strings", key);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "\"%s\" must be a list of strings", key);
	}
	*out = json_incref(v);
	return 0;
}

static int get_int(const json_t *obj, const char *key, json_int_t *out, json_int_t min, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be an integer", key);
	*out = json_integer_value(v);
	if (*out < min)
		return nd_error_set(err, -EINVAL, "\"%s\" must be at least %lld", key, (long long)min);
	return 0;
}

static bool ip_valid(const char *s)
{
	unsigned char b[16];
	return s && (inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1);
}

/* "K=V" entries: image env first, the request's override by key */
static json_t *env_merge(const json_t *base, const json_t *over)
{
	json_t *out = json_array();
	const json_t *lists[2] = { base, over };
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *x;
		json_array_foreach(lists[l], i, x) {
			const char *kv = json_string_value(x);
			if (!kv)
				continue;
			size_t kl = strcspn(kv, "=");
			size_t k;
			json_t *y;
			bool replaced = false;
			json_array_foreach(out, k, y) {
				const char *o = json_string_value(y);
				if (strncmp(o, kv, kl) == 0 && (o[kl] == '=' || o[kl] == '\0')) {
					json_array_set(out, k, x);
					replaced = true;
					break;
				}
			}
			if (!replaced)
				json_array_append(out, x);
		}
	}
	return out;
}

static void random_name(char out[64])
{
	static const char *const adj[] = { "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen",
					   "lucid", "merry", "nifty", "proud", "quirky", "sharp", "tender", "witty" };
	static const char *const who[] = { "babbage", "curie", "dijkstra", "euler", "feynman", "gauss", "hopper",
					   "knuth", "lovelace", "noether", "pascal", "ritchie", "shannon", "thompson",
					   "turing", "wozniak" };
	char id[ND_ID_LEN + 1];
	nd_id_new(id);
	/* 256 combinations, and a short suffix so that names rarely collide */
	snprintf(out, 64, "%s_%s_%.4s", adj[(id[0] % 16 + 16) % 16], who[(id[1] % 16 + 16) % 16], id + 2);
}

/* ---- what netd honours of Docker's create body ----------------------------------
 * Everything else that is set is refused (api_refuse_unhonoured), naming the
 * field: a user never believes an option took effect when it did not. */

static const char *const honoured_config[] = {
	"Hostname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "Env",
	"Cmd", "Image", "WorkingDir", "Entrypoint", "Labels", "ExposedPorts", "HostConfig", "NetworkingConfig",
	"Volumes", /* api_container_mounts.c */
	"StopSignal", "StopTimeout", "Healthcheck", NULL,
};
static const char *const honoured_hostconfig[] = {
	"NetworkMode", "PortBindings", "PublishAllPorts", "RestartPolicy", "AutoRemove", "Memory", "NanoCpus",
	"CpuShares", "CpuQuota", "CpuPeriod", "PidsLimit", "Init", "Dns", "DnsSearch", "DnsOptions", "ExtraHosts", "LogConfig", "ConsoleSize",
	"Privileged", "CapAdd", "CapDrop", "SecurityOpt", "Devices", "GroupAdd", "Ulimits", "Sysctls",
	"Binds", "Mounts", "Tmpfs", "ReadonlyRootfs", "VolumesFrom", /* api_container_mounts.c */
	NULL,
};
static const char *const honoured_endpoint[] = { "IPAMConfig", "Aliases", NULL };
static const char *const honoured_ipam[] = { "IPv4Address", NULL };

/* -1 is how Docker's clients say "not set" */
static bool is_minus_one(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == -1;
}

/* the json-file log is the one netd writes */
static bool is_json_file_log(const json_t *v)
{
	const char *type = nd_json_str(v, "Type");
	return json_is_object(v) && (!type || !*type || strcmp(type, "json-file") == 0) &&
	       api_json_zeroish(json_object_get(v, "Config"));
}

static const struct api_default hostconfig_defaults[] = {
	{ "MemorySwappiness", is_minus_one },
	{ "LogConfig", is_json_file_log },
	{ NULL, NULL },
};

static int refuse_unhonoured(const json_t *body, struct nd_error *err)
{
	int rc;
	const json_t *hc = json_object_get(body, "HostConfig");
	if ((rc = api_refuse_unhonoured(body, "", honoured_config, NULL, err)) < 0 ||
	    (rc = api_refuse_unhonoured(hc, "HostConfig", honoured_hostconfig, hostconfig_defaults, err)) < 0)
		return rc;
	if (!is_json_file_log(json_object_get(hc, "LogConfig")) && !api_json_zeroish(json_object_get(hc, "LogConfig")))
		return nd_error_set(err, -EINVAL, "HostConfig.LogConfig: netd writes the json-file log only");
	const json_t *nc = json_object_get(body, "NetworkingConfig");
	static const char *const honoured_nc[] = { "EndpointsConfig", NULL };
	if ((rc = api_refuse_unhonoured(nc, "NetworkingConfig", honoured_nc, NULL, err)) < 0)
		return rc;
	const char *net;
	json_t *ec;
	json_object_foreach(json_object_get(nc, "EndpointsConfig"), net, ec) {
		char where[ND_NAME_MAX + 64];
		snprintf(where, sizeof(where), "NetworkingConfig.EndpointsConfig.%s", net);
		if ((rc = api_refuse_unhonoured(ec, where, honoured_endpoint, NULL, err)) < 0)
			return rc;
		snprintf(where, sizeof(where), "NetworkingConfig.EndpointsConfig.%s.IPAMConfig", net);
		if ((rc = api_refuse_unhonoured(json_object_get(ec, "IPAMConfig"), where, honoured_ipam, NULL, err)) < 0)
			return rc;
	}
	return 0;
}

static int parse_hostconfig(struct netd *d, const json_t *body, json_t **out, json_t **netreqs,
			    struct nd_error *err)
{
	json_t *hc = json_object_get(body, "HostConfig");
	if (hc && !json_is_null(hc) && !json_is_object(hc))
		return nd_error_set(err, -EINVAL, "\"HostConfig\" must be an object");
	json_int_t mem, nano, shares, quota, period, pids;
	bool init = false, autorm = false;
	const char *mode = NULL;
	int rc;
	if ((rc = nd_json_get_str(hc, "NetworkMode", &mode, false, err)) < 0 ||
	    (rc = get_int(hc, "Memory", &mem, 0, err)) < 0 || (rc = get_int(hc, "NanoCpus", &nano, 0, err)) < 0 ||
	    (rc = get_int(hc, "CpuShares", &shares, 0, err)) < 0 || (rc = get_int(hc, "CpuQuota", &quota, 0, err)) < 0 ||
	    (rc = get_int(hc, "CpuPeriod", &period, 0, err)) < 0 || (rc = get_int(hc, "PidsLimit", &pids, -1, err)) < 0 ||
	    (rc = nd_json_get_bool(hc, "Init", &init, err)) < 0 || (rc = nd_json_get_bool(hc, "AutoRemove", &autorm, err)) < 0)
		return rc;
	if (mem > 0 && mem < MIN_MEMORY)
		return nd_error_set(err, -EINVAL, "Minimum memory limit allowed is 6MB (asked for %lld bytes)", (long long)mem);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (nano > 0 && (nano < 10000000 || nano > (json_int_t)ncpu * 1000000000))
		return nd_error_set(err, -EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
				    ncpu, ncpu);
	if (nano > 0 && (quota > 0 || period > 0))
		return nd_error_set(err, -EINVAL, "Conflicting options: NanoCPUs and CPUPeriod/CPUQuota cannot both be set");
	if (shares > 0 && (shares < 2 || shares > 262144))
		return nd_error_set(err, -EINVAL, "CpuShares must be between 2 and 262144");
	json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *rpname = NULL;
	json_int_t maxretry = 0;
	if (rp && !json_is_null(rp)) {
		if (!json_is_object(rp))
			return nd_error_set(err, -EINVAL, "\"RestartPolicy\" must be an object");
		if ((rc = nd_json_get_str(rp, "Name", &rpname, false, err)) < 0 ||
		    (rc = get_int(rp, "MaximumRetryCount", &maxretry, 0, err)) < 0)
			return rc;
	}
	if (!rpname)
		rpname = "";
	static const char *const policies[] = { "", "no", "always", "on-failure", "unless-stopped" };
	bool ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		ok |= strcmp(policies[i], rpname) == 0;
	if (!ok)
		return nd_error_set(err, -EINVAL, "invalid restart policy \"%s\" (no, always, on-failure, unless-stopped)", rpname);
	if (maxretry > 0 && strcmp(rpname, "on-failure") != 0)
		return nd_error_set(err, -EINVAL, "maximum retry count cannot be used with restart policy \"%s\"", rpname);
	if (autorm && *rpname && strcmp(rpname, "no") != 0)
		return nd_error_set(err, -EINVAL, "conflicting options: cannot specify both --restart and --rm");
	_cleanup_json_ json_t *dns = NULL, *hosts = NULL, *search = NULL, *dnsopts = NULL;
	if ((rc = get_strv(hc, "Dns", &dns, err)) < 0 || (rc = get_strv(hc, "ExtraHosts", &hosts, err)) < 0 ||
	    (rc = get_strv(hc, "DnsSearch", &search, err)) < 0 || (rc = get_strv(hc, "DnsOptions", &dnsopts, err)) < 0)
		return rc;
	size_t i;
	json_t *x;
	/* each a word of resolv.conf: no blanks, no line breaks, nothing odd */
	json_array_foreach(search, i, x) {
		const char *v = json_string_value(x);
		if (!*v || strlen(v) > 253 || v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")])
			return nd_error_set(err, -EINVAL, "invalid DNS search domain \"%s\"", v);
	}
	json_array_foreach(dnsopts, i, x) {
		const char *v = json_string_value(x);
		if (!*v || strlen(v) > 64 || v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_")])
			return nd_error_set(err, -EINVAL, "invalid DNS option \"%s\"", v);
	}
	json_array_foreach(dns, i, x) {
		if (!ip_valid(json_string_value(x)))
			return nd_error_set(err, -EINVAL, "invalid DNS server address \"%s\"", json_string_value(x));
	}
	json_array_foreach(hosts, i, x) {
		const char *s = json_string_value(x);
		const char *colon = strchr(s, ':');
		if (!colon || colon == s || !ip_valid(colon + 1))
			return nd_error_set(err, -EINVAL, "invalid extra host \"%s\": want HOST:IP", s);
	}

	/* networks */
	if (!mode || !*mode || strcmp(mode, "default") == 0)
		mode = "bridge";
	json_t *epc = json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
	if (epc && !json_is_null(epc) && !json_is_object(epc))
		return nd_error_set(err, -EINVAL, "\"EndpointsConfig\" must be an object");
	json_t *reqs = json_array();
	*netreqs = reqs;
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0) {
		if (json_object_size(epc) > 0)
			return nd_error_set(err, -EINVAL, "container cannot be connected to networks with network mode %s", mode);
	} else if (nd_str_has_prefix(mode, "container:")) {
		_cleanup_json_ json_t *other = NULL;
		char oid[ND_ID_LEN + 1];
		if ((rc = ctr_lookup(d, mode + 10, oid, &other, err)) < 0)
			return nd_error_wrap(err, "network mode %s", mode);
		if (json_object_size(epc) > 0)
			return nd_error_set(err, -EINVAL, "conflicting options: networks and a container's network namespace");
	} else {
		json_t *names = json_pack("[s]", mode);
		const char *k;
		json_t *v;
		json_object_foreach(epc, k, v) {
			/* Docker's CLI names the default network "default" in
			 * EndpointsConfig too: that is the bridge */
			if (strcmp(k, mode) != 0 && !(strcmp(k, "default") == 0 && strcmp(mode, "bridge") == 0))
				json_array_append_new(names, json_string(k));
		}
		json_array_foreach(names, i, x) {
			const char *nm = json_string_value(x);
			struct net_network *n = net_network_find(d, nm, err);
			if (!n) {
				json_decref(names);
				return err->code;
			}
			json_t *ec = json_object_get(epc, nm);
			if (!ec)
				ec = json_object_get(epc, n->rec.name);
			if (!ec && strcmp(nm, "bridge") == 0)
				ec = json_object_get(epc, "default");
			const char *ip = nd_json_str(json_object_get(ec, "IPAMConfig"), "IPv4Address");
			if (ip && *ip && !ip_valid(ip)) {
				json_decref(names);
				return nd_error_set(err, -EINVAL, "invalid IPv4 address \"%s\"", ip);
			}
			_cleanup_json_ json_t *aliases = NULL;
			if ((rc = get_strv(ec, "Aliases", &aliases, err)) < 0) {
				json_decref(names);
				return rc;
			}
			size_t ai;
			json_t *a;
			json_array_foreach(aliases, ai, a) {
				if (!nd_name_valid(json_string_value(a))) {
					json_decref(names);
					return nd_error_set(err, -EINVAL, "invalid network alias \"%s\"", json_string_value(a));
				}
			}
			json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:o}", "NetworkID", n->rec.id, "Name", n->rec.name,
							      "IPv4Address", ip ? ip : "",
							      "Aliases", aliases ? json_incref(aliases) : json_array()));
		}
		json_decref(names);
		mode = json_string_value(json_object_get(json_array_get(reqs, 0), "Name"));
	}
	if (!dns)
		dns = json_array();
	if (!hosts)
		hosts = json_array();
	if (!search)
		search = json_array();
	if (!dnsopts)
		dnsopts = json_array();
	*out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:{s:s, s:I}, s:O, s:O, s:O, s:O}",
			 "NetworkMode", mode, "Memory", mem, "NanoCpus", nano, "CpuShares", shares,
			 "CpuQuota", quota, "CpuPeriod", period, "PidsLimit", pids, "Init", init,
			 "AutoRemove", autorm, "RestartPolicy", "Name", rpname, "MaximumRetryCount", maxretry,
			 "Dns", dns, "ExtraHosts", hosts, "DnsSearch", search, "DnsOptions", dnsopts);
	if (*out && (rc = api_container_security(hc, mode, *out, err)) < 0)
		return rc;
	return *out ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

/* Config.StopSignal, StopTimeout and Healthcheck: the request's, else the image's */
static int stop_config(const json_t *body, const json_t *icfg, json_t *cfg, struct nd_error *err)
{
	json_t *sig = json_object_get(body, "StopSignal");
	if (!json_is_string(sig) || !*json_string_value(sig))
		sig = json_object_get(icfg, "StopSignal");
	if (json_is_string(sig) && *json_string_value(sig)) {
		if (ctr_parse_signal(json_string_value(sig)) < 0)
			return nd_error_set(err, -EINVAL, "Invalid signal: %s", json_string_value(sig));
		json_object_set(cfg, "StopSignal", sig);
	}
	json_t *to = json_object_get(body, "StopTimeout");
	if (to && !json_is_null(to)) {
		if (!json_is_integer(to))
			return nd_error_set(err, -EINVAL, "\"StopTimeout\" must be an integer");
		json_object_set(cfg, "StopTimeout", to);
	}
	json_t *hc = json_object_get(body, "Healthcheck");
	if (!json_is_object(hc) || api_json_zeroish(hc))
		hc = json_object_get(icfg, "Healthcheck");
	else if (json_is_object(json_object_get(icfg, "Healthcheck"))) {
		/* unset members come from the image's, as Docker merges them */
		json_t *m = json_deep_copy(json_object_get(icfg, "Healthcheck"));
		const char *k;
		json_t *v;
		json_object_foreach(hc, k, v)
			if (!api_json_zeroish(v))
				json_object_set(m, k, v);
		json_object_set_new(cfg, "Healthcheck", m);
		hc = NULL;
	}
	if (json_is_object(hc))
		json_object_set_new(cfg, "Healthcheck", json_deep_copy(hc));
	json_t *h = json_object_get(cfg, "Healthcheck");
	if (h) {
		static const char *const honoured_hc[] = { "Test", "Interval", "Timeout", "StartPeriod", "Retries", NULL };
		int rc = api_refuse_unhonoured(h, "Healthcheck", honoured_hc, NULL, err);
		if (rc < 0)
			return rc;
		json_t *test = json_object_get(h, "Test");
		if (test && !json_is_null(test) && (!json_is_array(test) || !json_is_string(json_array_get(test, 0))))
			return nd_error_set(err, -EINVAL, "Healthcheck.Test must be a list: [\"CMD\", ...], [\"CMD-SHELL\", cmd] or [\"NONE\"]");
		static const char *const durs[] = { "Interval", "Timeout", "StartPeriod" };
		for (size_t i = 0; i < ARRAY_SIZE(durs); i++) {
			json_t *d = json_object_get(h, durs[i]);
			if (json_is_integer(d) && json_integer_value(d) != 0 && json_integer_value(d) < 1000000)
				return nd_error_set(err, -EINVAL, "Healthcheck.%s in a container must be at least 1ms", durs[i]);
		}
	}
	return 0;
}

void api_container_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	_cleanup_free_ char *qname = http_req_query(req, "name");
	_cleanup_json_ json_t *img = NULL, *entry = NULL, *cmd = NULL, *env = NULL, *hc = NULL, *netreqs = NULL;
	_cleanup_json_ json_t *doc = NULL, *all = NULL, *envall = NULL, *exposed = NULL;
	_cleanup_json_ json_t *mounts = NULL;
	const char *image = NULL, *wd = NULL, *user = NULL, *hostname = NULL;
	bool tty = false, stdin_open = false, stdin_once = false;
	char imgid[IMAGES_DIGEST_LEN + 1], id[ND_ID_LEN + 1], name[ND_NAME_MAX + 2];
	_cleanup_json_ json_t *labels = NULL;
	if (!body || refuse_unhonoured(body, &err) < 0 || nd_json_get_strmap(body, "Labels", &labels, &err) < 0 ||
	    nd_json_get_str(body, "Image", &image, true, &err) < 0 || get_strv(body, "Entrypoint", &entry, &err) < 0 ||
	    get_strv(body, "Cmd", &cmd, &err) < 0 || get_strv(body, "Env", &env, &err) < 0 ||
	    nd_json_get_str(body, "WorkingDir", &wd, false, &err) < 0 || nd_json_get_str(body, "User", &user, false, &err) < 0 ||
	    nd_json_get_str(body, "Hostname", &hostname, false, &err) < 0 || nd_json_get_bool(body, "Tty", &tty, &err) < 0 ||
	    nd_json_get_bool(body, "OpenStdin", &stdin_open, &err) < 0 ||
	    nd_json_get_bool(body, "StdinOnce", &stdin_once, &err) < 0)
		goto fail;
	const char *qn = qname;
	if (qn && *qn == '/')
		qn++;
	if (qn && *qn && !nd_name_valid(qn)) {
		nd_error_set(&err, -EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", qn);
		goto fail;
	}
	if (hostname && *hostname && (strlen(hostname) > 63 || strpbrk(hostname, " /\t\n"))) {
		nd_error_set(&err, -EINVAL, "invalid hostname \"%s\"", hostname);
		goto fail;
	}
	size_t i;
	json_t *x;
	json_array_foreach(env, i, x) {
		const char *kv = json_string_value(x);
		if (!*kv || *kv == '=') {
			nd_error_set(&err, -EINVAL, "invalid environment variable \"%s\"", kv);
			goto fail;
		}
	}
	if (images_resolve(d->images, image, imgid, &err) < 0) {
		if (err.code == -ENOENT)
			nd_error_set(&err, -ENOENT, "No such image: %s", image);
		goto fail;
	}
	if (images_inspect(d->images, imgid, &img, &err) < 0)
		goto fail;
	json_t *icfg = json_object_get(img, "Config");
	/* Docker: an Entrypoint in the request drops the image's Cmd */
	all = json_array();
	if (entry) {
		json_array_extend(all, entry);
		if (cmd)
			json_array_extend(all, cmd);
	} else {
		json_t *ie = json_object_get(icfg, "Entrypoint");
		if (json_is_array(ie))
			json_array_extend(all, ie);
		json_t *ic = json_object_get(icfg, "Cmd");
		if (cmd)
			json_array_extend(all, cmd);
		else if (json_is_array(ic))
			json_array_extend(all, ic);
	}
	if (json_array_size(all) == 0 || !*json_string_value(json_array_get(all, 0))) {
		nd_error_set(&err, -EINVAL, "no command specified (the image %s has none)", image);
		goto fail;
	}
	if (parse_hostconfig(d, body, &hc, &netreqs, &err) < 0 || ctr_ports_parse(body, icfg, hc, &exposed, &err) < 0 ||
	    api_mounts_parse(d, body, icfg, hc, &mounts, &err) < 0)
		goto fail;
	envall = env_merge(json_object_get(icfg, "Env"), env);
	if (!wd || !*wd)
		wd = nd_json_str(icfg, "WorkingDir");
	if (!user || !*user)
		user = nd_json_str(icfg, "User");
	if (nd_id_new(id) < 0) {
		nd_error_set(&err, -EIO, "generating id failed");
		goto fail;
	}
	char hn[65];
	struct utsname u;
	if (hostname && *hostname)
		snprintf(hn, sizeof(hn), "%s", hostname);
	else if (strcmp(nd_json_str(hc, "NetworkMode"), "host") == 0 && uname(&u) == 0)
		snprintf(hn, sizeof(hn), "%s", u.nodename);
	else
		snprintf(hn, sizeof(hn), "%.12s", id);
	if (qn && *qn)
		snprintf(name, sizeof(name), "%s", qn);
	else
		random_name(name);

	struct ctrs *cs = ctrs_of(d);
	char now[40], datadir[PATH_MAX], p_log[PATH_MAX + 96], p_hosts[PATH_MAX + 16], p_resolv[PATH_MAX + 16],
		p_hn[PATH_MAX + 16], p_state[PATH_MAX + 96];
	nd_time_rfc3339(now);
	snprintf(datadir, sizeof(datadir), "%s/%s", cs->data_dir, id);
	snprintf(p_log, sizeof(p_log), "%s/%s-json.log", datadir, id);
	snprintf(p_hosts, sizeof(p_hosts), "%s/hosts", datadir);
	snprintf(p_resolv, sizeof(p_resolv), "%s/resolv.conf", datadir);
	snprintf(p_hn, sizeof(p_hn), "%s/hostname", datadir);
	snprintf(p_state, sizeof(p_state), "%s/%s", cs->exec_dir, id);
	json_t *args = json_array();
	for (size_t k = 1; k < json_array_size(all); k++)
		json_array_append(args, json_array_get(all, k));
	doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:s, s:s,"
			" s:{s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:b, s:b, s:b},"
			" s:O, s:O, s:{s:s, s:b, s:b, s:b, s:i, s:i, s:b, s:s, s:s, s:s},"
			" s:i, s:s, s:b, s:s, s:s, s:s, s:s, s:s}",
		"Id", id, "Name", name, "Created", now, "CreatedUnix", (json_int_t)time(NULL),
		"Path", json_string_value(json_array_get(all, 0)), "Args", args, "Image", imgid, "ImageRef", image,
		"Config", "Hostname", hn, "User", user ? user : "", "Env", envall, "Cmd", cmd ? cmd : json_null(),
		"Entrypoint", entry ? entry : json_null(), "Image", image, "WorkingDir", wd ? wd : "",
		"Tty", tty, "OpenStdin", stdin_open, "AttachStdin", stdin_open,
		"HostConfig", hc, "NetworkRequests", netreqs,
		"State", "Status", "created", "Running", 0, "Paused", 0, "Restarting", 0, "Pid", 0, "ExitCode", 0,
		"OOMKilled", 0, "Error", "", "StartedAt", ZERO_TIME, "FinishedAt", ZERO_TIME,
		"RestartCount", 0, "SandboxID", "", "SandboxOwned", 0, "StateDir", p_state, "LogPath", p_log,
		"HostsPath", p_hosts, "ResolvConfPath", p_resolv, "HostnamePath", p_hn);
	if (!doc) {
		nd_error_set(&err, -ENOMEM, "building the container document failed");
		goto fail;
	}
	json_object_set(json_object_get(doc, "Config"), "ExposedPorts", exposed);
	/* the image's labels, overridden by the user's, as Docker merges them */
	json_t *all_labels = json_deep_copy(json_object_get(icfg, "Labels"));
	if (!json_is_object(all_labels)) {
		json_decref(all_labels);
		all_labels = json_object();
	}
	json_object_update(all_labels, labels);
	json_object_set_new(json_object_get(doc, "Config"), "Labels", all_labels);
	json_object_set_new(json_object_get(doc, "Config"), "StdinOnce", json_boolean(stdin_once));
	json_object_set(doc, "Mounts", mounts);
	if (stop_config(body, icfg, json_object_get(doc, "Config"), &err) < 0)
		goto fail;
	if (ctr_create(d, doc, datadir, &err) < 0)
		goto fail;
	http_reply_json(req, 201, json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
	return;
fail:
	api_mounts_rollback(d, mounts);
	http_reply_error(req, &err);
}

/* ---- lifecycle handlers --------------------------------------------------------------- */

static struct ctr *lookup_ctr(struct http_req *req, struct netd *d, json_t **doc)
{
	struct nd_error err = { 0 };
	char id[ND_ID_LEN + 1];
	json_t *dd = NULL;
	if (ctr_lookup(d, req->params[0], id, &dd, &err) < 0) {
		if (err.code == -ENOENT)
			nd_error_set(&err, -ENOENT, "No such container: %s", req->params[0]);
		http_reply_error(req, &err);
		return NULL;
	}
	struct ctr *c = ctr_new(d, id);
	if (doc)
		*doc = dd;
	else
		json_decref(dd);
	if (!c)
		http_reply_errorf(req, 500, "out of memory");
	return c;
}

/* Completions of the lifecycle services, as Docker answers them. */
static void reply_started(void *data, const struct ctr_result *r)
{
	struct http_req *req = data;
	if (r->rc == 0) {
		http_reply_empty(req, 204);
		return;
	}
	if (r->rc == -EALREADY) {
		http_reply_empty(req, 304);
		return;
	}
	if (r->rc == -ESHUTDOWN) {
		http_reply_errorf(req, 503, "netd is shutting down");
		return;
	}
	int status = r->err ? nd_error_http_status(r->err) : 500;
	if (r->exit_code == 126 || r->exit_code == 127)
		status = 400;
	else if (status < 400 || status == 404)
		status = 500;  /* a missing file at start is not "no such container" */
	http_reply_json(req, status, json_pack("{s:s, s:i}", "message", r->err ? r->err->msg : r->error, "ExitCode",
					       r->exit_code));
}

static void reply_done(void *data, const struct ctr_result *r)
{
	struct http_req *req = data;
	if (r->rc == -ESHUTDOWN)
		http_reply_errorf(req, 503, "netd is shutting down");
	else if (r->rc < 0 && r->err)
		http_reply_error(req, r->err);
	else
		http_reply_empty(req, 204);
}

void api_container_start(struct http_req *req, void *ctx)
{
	struct ctr *c = lookup_ctr(req, ctx, NULL);
	if (c)
		ctr_start(c, reply_started, req);
}

static int query_int(struct http_req *req, const char *key, int dflt)
{
	_cleanup_free_ char *v = http_req_query(req, key);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	return *end ? dflt : (int)n;
}

static void stop_common(struct http_req *req, struct netd *d, enum ctr_wait_kind kind)
{
	struct ctr *c = lookup_ctr(req, d, NULL);
	if (!c)
		return;
	int t = query_int(req, "t", -1);
	if (t < 0)
		t = ctr_stop_timeout(c);
	if (t < 0)
		t = 0x7fffffff / 1000;   /* -1: wait for ever */
	struct nd_error err = { 0 };
	bool restart = kind == CTR_WAIT_RESTART;
	if (!ctr_running(c) && c->phase != CTR_STARTING) {
		ctr_stop(c, t, kind, NULL, NULL, &err);  /* cancels a pending policy restart */
		if (restart)
			ctr_start(c, reply_started, req);
		else
			http_reply_empty(req, 304);
		return;
	}
	if (ctr_stop(c, t, kind, restart ? reply_started : reply_done, req, &err) < 0)
		http_reply_error(req, &err);
}

void api_container_stop(struct http_req *req, void *ctx)
{
	stop_common(req, ctx, CTR_WAIT_STOP);
}

void api_container_restart(struct http_req *req, void *ctx)
{
	stop_common(req, ctx, CTR_WAIT_RESTART);
}

void api_container_kill(struct http_req *req, void *ctx)
{
	struct ctr *c = lookup_ctr(req, ctx, NULL);
	if (!c)
		return;
	_cleanup_free_ char *s = http_req_query(req, "signal");
	int sig = s && *s ? ctr_parse_signal(s) : SIGKILL;
	struct nd_error err = { 0 };
	if (sig < 0) {
		http_reply_errorf(req, 400, "invalid signal \"%s\"", s);
		return;
	}
	if (ctr_kill(c, sig, &err) < 0) {
		if (err.code == -EBUSY)
			nd_error_set(&err, -EBUSY, "Cannot kill container: %s: container %.12s is not running",
				     req->params[0], c->id);
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}

/* POST /wait answers at once with its headers (as Docker flushes them), so
 * a client knows it is registered before it starts the container; the body
 * comes at the exit or removal. */
static void wait_answer(void *data, const struct ctr_result *r)
{
	struct http_req *req = data;
	req->on_close = NULL;
	if (r->rc == 0) {
		json_t *j = json_pack("{s:i, s:o}", "StatusCode", r->exit_code, "Error",
				      r->error && *r->error ? json_pack("{s:s}", "Message", r->error) : json_null());
		char *s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (s) {
			size_t l = strlen(s);
			s[l] = '\n';
			http_stream_write(req, s, l + 1);
			free(s);
		}
	}
	http_stream_end(req);
}

static void wait_client_gone(struct http_req *req, void *data)
{
	ctr_wait_cancel(data);
	http_stream_end(req);
}

static void wait_begin(struct http_req *req, struct ctr *c, enum ctr_wait_kind kind)
{
	struct ctr_waiter *w = ctr_wait(c, kind, wait_answer, req);
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	req->on_close = wait_client_gone;
	req->on_close_data = w;
	http_stream_begin(req, 200, "application/json");
}

void api_container_wait(struct http_req *req, void *ctx)
{
	json_t *doc = NULL;
	struct ctr *c = lookup_ctr(req, ctx, &doc);
	if (!c)
		return;
	_cleanup_free_ char *cond = http_req_query(req, "condition");
	json_t *st = json_object_get(doc, "State");
	int code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	json_decref(doc);
	if (cond && *cond && strcmp(cond, "not-running") && strcmp(cond, "next-exit") && strcmp(cond, "removed")) {
		http_reply_errorf(req, 400, "invalid condition \"%s\" (not-running, next-exit, removed)", cond);
		return;
	}
	if (cond && strcmp(cond, "removed") == 0) {
		wait_begin(req, c, CTR_WAIT_REMOVED);
		return;
	}
	bool next = cond && strcmp(cond, "next-exit") == 0;
	if (!next && !ctr_running(c) && c->phase != CTR_STARTING && c->phase != CTR_RESTARTING) {
		http_reply_json(req, 200, json_pack("{s:i, s:n}", "StatusCode", code, "Error"));
		return;
	}
	wait_begin(req, c, CTR_WAIT_EXIT);
}

void api_container_delete(struct http_req *req, void *ctx)
{
	struct ctr *c = lookup_ctr(req, ctx, NULL);
	if (!c)
		return;
	bool force = http_req_query_bool(req, "force", false);
	if ((ctr_running(c) || c->phase == CTR_RESTARTING) && !force) {
		http_reply_errorf(req, 409,
				  "You cannot remove a %s container %s. Stop the container before attempting removal or force remove",
				  ctr_running(c) ? "running" : "restarting", c->id);
		return;
	}
	c->remove_volumes = http_req_query_bool(req, "v", false);
	ctr_remove(c, reply_done, req);
}

/* ---- views ------------------------------------------------------------------------------ */

static time_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static void human_ago(time_t t, char *out, size_t size)
{
	long s = (long)(time(NULL) - t);
	if (s < 1)
		snprintf(out, size, "Less than a second");
	else if (s < 60)
		snprintf(out, size, "%ld second%s", s, s == 1 ? "" : "s");
	else if (s < 3600)
		snprintf(out, size, "%ld minute%s", s / 60, s / 60 == 1 ? "" : "s");
	else if (s < 86400)
		snprintf(out, size, "%ld hour%s", s / 3600, s / 3600 == 1 ? "" : "s");
	else
		snprintf(out, size, "%ld days", s / 86400);
}

/* NetworkSettings.Networks of a container. all (may be NULL): every
 * endpoint, read once by a caller that lists many containers. */
static json_t *networks_view(struct netd *d, const json_t *doc, char first_ip[64], const struct nd_endpoint_list *all)
{
	json_t *nets = json_object();
	const char *sbid = nd_json_str(doc, "SandboxID");
	if (!sbid || !*sbid)
		return nets;
	struct nd_endpoint_list own = { 0 };
	struct nd_error e = { 0 };
	if (!all && net_endpoint_list(d, NULL, sbid, &own, &e) < 0)
		return nets;
	const struct nd_endpoint_list *eps = all ? all : &own;
	for (size_t i = 0; i < eps->n; i++) {
		const struct nd_endpoint_rec *ep = &eps->v[i];
		if (strcmp(ep->sandbox_id, sbid) != 0)
			continue;
		struct net_network *n = net_network_find(d, ep->network_id, &e);
		char ip[64] = "", ip6[64] = "";
		int plen = 0, plen6 = 0;
		snprintf(ip, sizeof(ip), "%s", ep->ipv4);
		snprintf(ip6, sizeof(ip6), "%s", ep->ipv6);
		char *sl = strchr(ip, '/');
		if (sl) {
			plen = atoi(sl + 1);
			*sl = '\0';
		}
		sl = strchr(ip6, '/');
		if (sl) {
			plen6 = atoi(sl + 1);
			*sl = '\0';
		}
		const char *gw = "";
		for (int k = 0; n && k < n->rec.nipam; k++) {
			if (n->rec.ipam[k].gateway[0] && !strchr(n->rec.ipam[k].gateway, ':')) {
				gw = n->rec.ipam[k].gateway;
				break;
			}
		}
		json_object_set_new(nets, n ? n->rec.name : ep->network_id,
			json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:O, s:o}",
				  "NetworkID", ep->network_id, "EndpointID", ep->id,
				  "IPAddress", ip, "IPPrefixLen", plen, "Gateway", gw, "GlobalIPv6Address", ip6,
				  "GlobalIPv6PrefixLen", plen6, "MacAddress", ep->mac, "Aliases", ep->aliases,
				  /* what the embedded resolver answers for it there (Docker's DNSNames) */
				  "DNSNames", net_dns_names_json(d, ep->network_id, ep->id)));
		if (first_ip && !*first_ip)
			snprintf(first_ip, 64, "%s", ip);
	}
	nd_endpoint_list_clear(&own);
	return nets;
}

static json_t *inspect_view(struct netd *d, const json_t *doc)
{
	json_t *v = json_deep_copy(doc);
	char name[ND_NAME_MAX + 2];
	snprintf(name, sizeof(name), "/%s", nd_json_str(doc, "Name"));
	json_object_set_new(v, "Name", json_string(name));
	char ip[64] = "";
	json_t *nets = networks_view(d, doc, ip, NULL);
	struct nd_sandbox_rec sb = { 0 };
	const char *sbid = nd_json_str(doc, "SandboxID");
	struct nd_error e = { 0 };
	if (sbid && *sbid)
		net_sandbox_lookup(d, sbid, &sb, &e);
	json_object_set_new(v, "NetworkSettings",
		json_pack("{s:s, s:s, s:s, s:o}", "SandboxID", sbid ? sbid : "",
			  "SandboxKey", sb.netns_path, "IPAddress", ip, "Networks", nets));
	nd_sandbox_rec_clear(&sb);
	json_object_set_new(json_object_get(v, "NetworkSettings"), "Ports", ctr_ports_view(doc));
	json_object_set_new(v, "Mounts", api_mounts_view(doc));
	/* netd's own bookkeeping, not Docker's */
	/* the health checks' record is Docker's State.Health (while a check is configured) */
	json_t *health = json_object_get(v, "Health");
	if (json_is_object(health) && json_is_object(json_object_get(v, "State")))
		json_object_set(json_object_get(v, "State"), "Health", health);
	static const char *const internal[] = { "Health", "PortMappings", "CreatedUnix", "Starting", "ManualStop", "Removing",
						"SandboxOwned", "NetworkRequests", "Spec" };
	for (size_t i = 0; i < ARRAY_SIZE(internal); i++)
		json_object_del(v, internal[i]);
	return v;
}

void api_container_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	json_t *doc = NULL;
	if (!lookup_ctr(req, d, &doc))
		return;
	json_t *v = inspect_view(d, doc);
	api_shape_container_inspect(req, v);
	http_reply_json(req, 200, v);
	json_decref(doc);
}

static json_t *summary_view(struct netd *d, const json_t *doc, const struct nd_endpoint_list *all_eps)
{
	const json_t *st = json_object_get(doc, "State");
	const char *status = nd_json_str(st, "Status") ?: "created";
	char human[128], ago[64];
	if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) {
		human_ago(parse_time(nd_json_str(st, "StartedAt")), ago, sizeof(ago));
		const char *hs = nd_json_str(json_object_get(doc, "Health"), "Status");
		snprintf(human, sizeof(human), "Up %s%s%s%s%s", ago, hs ? " (" : "",
			 hs ? (strcmp(hs, "starting") == 0 ? "health: starting" : hs) : "", hs ? ")" : "",
			 strcmp(status, "paused") == 0 ? " (Paused)" : "");
	} else if (strcmp(status, "exited") == 0) {
		human_ago(parse_time(nd_json_str(st, "FinishedAt")), ago, sizeof(ago));
		snprintf(human, sizeof(human), "Exited (%d) %s ago", (int)json_integer_value(json_object_get(st, "ExitCode")), ago);
	} else if (strcmp(status, "restarting") == 0) {
		human_ago(parse_time(nd_json_str(st, "FinishedAt")), ago, sizeof(ago));
		snprintf(human, sizeof(human), "Restarting (%d) %s ago", (int)json_integer_value(json_object_get(st, "ExitCode")), ago);
	} else {
		snprintf(human, sizeof(human), "Created");
	}
	char cmd[1024] = "";
	snprintf(cmd, sizeof(cmd), "%s", nd_json_str(doc, "Path") ?: "");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(doc, "Args"), i, a)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", json_string_value(a));
	char name[ND_NAME_MAX + 2];
	snprintf(name, sizeof(name), "/%s", nd_json_str(doc, "Name"));
	json_t *labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	return json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:{s:s}, s:{s:o}}",
		"Id", nd_json_str(doc, "Id"), "Names", name, "Image", nd_json_str(doc, "ImageRef") ?: "",
		"ImageID", nd_json_str(doc, "Image") ?: "", "Command", cmd,
		"Created", json_integer_value(json_object_get(doc, "CreatedUnix")), "State", status, "Status", human,
		"Ports", ctr_ports_summary(doc), "Labels", json_is_object(labels) ? json_deep_copy(labels) : json_object(),
		"HostConfig", "NetworkMode",
		nd_json_str(json_object_get(doc, "HostConfig"), "NetworkMode") ?: "",
		"NetworkSettings", "Networks", networks_view(d, doc, NULL, all_eps));
}

struct filter_ctx {
	const json_t *doc;
	struct netd *d;
	size_t index;            /* in the oldest-first list */
	const json_t *docs;
	const struct nd_endpoint_list *eps; /* every endpoint, read once for the list */
};

static bool match_name(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	return strstr(nd_json_str(doc, "Name") ?: "", val[0] == '/' ? val + 1 : val) != NULL;
}

static bool match_id(const char *val, void *data)
{
	return nd_str_has_prefix(nd_json_str(((struct filter_ctx *)data)->doc, "Id") ?: "", val);
}

static bool match_status(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	return strcmp(nd_json_str(json_object_get(doc, "State"), "Status") ?: "", val) == 0;
}

static bool match_label(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	return api_labels_match(json_object_get(json_object_get(doc, "Config"), "Labels"), val);
}

static bool match_exited(const char *val, void *data)
{
	const json_t *st = json_object_get(((struct filter_ctx *)data)->doc, "State");
	char *end;
	long code = strtol(val, &end, 10);
	return !*end && strcmp(nd_json_str(st, "Status") ?: "", "exited") == 0 &&
	       json_integer_value(json_object_get(st, "ExitCode")) == code;
}

static bool match_network(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	size_t i;
	json_t *nr;
	json_array_foreach(json_object_get(doc, "NetworkRequests"), i, nr) {
		if (strcmp(nd_json_str(nr, "Name") ?: "", val) == 0 ||
		    (strlen(val) >= 12 && nd_str_has_prefix(nd_json_str(nr, "NetworkID") ?: "", val)))
			return true;
	}
	if (strcmp(nd_json_str(json_object_get(doc, "HostConfig"), "NetworkMode") ?: "", val) == 0)
		return true;
	/* what it is connected to now */
	_cleanup_json_ json_t *nets = networks_view(((struct filter_ctx *)data)->d, doc, NULL, ((struct filter_ctx *)data)->eps);
	const char *name;
	json_t *v;
	json_object_foreach(nets, name, v) {
		if (strcmp(name, val) == 0 || (strlen(val) >= 12 && nd_str_has_prefix(nd_json_str(v, "NetworkID") ?: "", val)))
			return true;
	}
	return false;
}

static bool match_ancestor(const char *val, void *data)
{
	struct filter_ctx *fc = data;
	const char *img = nd_json_str(fc->doc, "Image") ?: "";
	if (strcmp(nd_json_str(fc->doc, "ImageRef") ?: "", val) == 0)
		return true;
	char id[IMAGES_DIGEST_LEN + 1];
	struct nd_error e = { 0 };
	return images_resolve(fc->d->images, val, id, &e) == 0 && strcmp(id, img) == 0;
}

/* the index of the container ref in the list, or SIZE_MAX */
static size_t ref_index(const json_t *docs, const char *ref)
{
	size_t i;
	json_t *doc;
	if (*ref == '/')
		ref++;
	json_array_foreach(docs, i, doc) {
		if (strcmp(nd_json_str(doc, "Name") ?: "", ref) == 0 ||
		    (strlen(ref) >= 12 && nd_str_has_prefix(nd_json_str(doc, "Id") ?: "", ref)))
			return i;
	}
	return SIZE_MAX;
}

static bool match_before(const char *val, void *data)
{
	struct filter_ctx *fc = data;
	size_t k = ref_index(fc->docs, val);
	return k != SIZE_MAX && fc->index < k;
}

static bool match_since(const char *val, void *data)
{
	struct filter_ctx *fc = data;
	size_t k = ref_index(fc->docs, val);
	return k != SIZE_MAX && fc->index > k;
}

/* a volume name or a mount's destination, as Docker's filter */
static bool match_volume(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "Mounts"), i, m) {
		if (strcmp(nd_json_str(m, "Name") ?: "", val) == 0 || strcmp(nd_json_str(m, "Destination") ?: "", val) == 0 ||
		    strcmp(nd_json_str(m, "Source") ?: "", val) == 0)
			return true;
	}
	return false;
}

static bool match_health(const char *val, void *data)
{
	const json_t *doc = ((struct filter_ctx *)data)->doc;
	const char *st = nd_json_str(json_object_get(doc, "State"), "Status") ?: "";
	const char *hs = nd_json_str(json_object_get(doc, "Health"), "Status");
	if (strcmp(st, "running") && strcmp(st, "paused"))
		hs = NULL;
	return strcmp(hs ? hs : "none", val) == 0;
}

static bool valid_status(const char *val, void *data)
{
	(void)data;
	static const char *const ok[] = { "created", "restarting", "running", "removing", "paused", "exited", "dead" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(ok[i], val) == 0)
			return true;
	return false;
}

static bool ref_exists(const char *val, void *data)
{
	return ref_index(((struct filter_ctx *)data)->docs, val) != SIZE_MAX;
}

/* The changes of the container's upper dir, in bytes (ps -s). */
static json_int_t size_rw(struct netd *d, const char *id)
{
	char up[PATH_MAX];
	struct nd_error e = { 0 };
	if (images_rootfs_upper(d->images, id, up, sizeof(up), &e) < 0)
		return 0;
	return (json_int_t)nd_tree_bytes(up);
}

void api_container_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "name", "id", "status", "label", "exited", "network", "ancestor",
					       "before", "since", "volume", "health", NULL };
	_cleanup_json_ json_t *filters = NULL;
	json_t *docs = NULL;
	if (api_filters(req, allowed, &filters, &err) < 0 ||
	    ctr_list(d, &docs, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	/* every endpoint once, not a query per container */
	struct nd_endpoint_list all_eps = { 0 };
	if (net_endpoint_list(d, NULL, NULL, &all_eps, &err) < 0) {
		http_reply_error(req, &err);
		json_decref(docs);
		return;
	}
	struct filter_ctx fc0 = { .d = d, .docs = docs, .eps = &all_eps };
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(filters, "status"), i, x) {
		if (!valid_status(json_string_value(x), NULL)) {
			http_reply_errorf(req, 400, "invalid filter 'status=%s'", json_string_value(x));
			nd_endpoint_list_clear(&all_eps);
			json_decref(docs);
			return;
		}
	}
	static const char *const refs[] = { "before", "since" };
	for (size_t k = 0; k < ARRAY_SIZE(refs); k++) {
		json_array_foreach(json_object_get(filters, refs[k]), i, x) {
			if (!ref_exists(json_string_value(x), &fc0)) {
				http_reply_errorf(req, 404, "No such container: %s", json_string_value(x));
				nd_endpoint_list_clear(&all_eps);
				json_decref(docs);
				return;
			}
		}
	}
	bool all = http_req_query_bool(req, "all", false);
	bool size = http_req_query_bool(req, "size", false);
	_cleanup_free_ char *lim = http_req_query(req, "limit");
	long limit = lim && *lim ? strtol(lim, NULL, 10) : -1;
	if (limit > 0)
		all = true;   /* -n / -l look at every container, as Docker's */
	bool has_state_filter = json_object_get(filters, "status") || json_object_get(filters, "exited");
	json_t *arr = json_array();
	/* newest first, as Docker lists them */
	for (size_t k = json_array_size(docs); k-- > 0;) {
		if (limit > 0 && (long)json_array_size(arr) >= limit)
			break;
		json_t *doc = json_array_get(docs, k);
		const char *status = nd_json_str(json_object_get(doc, "State"), "Status") ?: "";
		if (!all && strcmp(status, "running") != 0 && strcmp(status, "restarting") != 0 &&
		    strcmp(status, "paused") != 0 && !has_state_filter)
			continue;
		struct filter_ctx fc = { doc, d, k, docs, &all_eps };
		if (!api_filter_any(filters, "name", match_name, &fc) || !api_filter_any(filters, "id", match_id, &fc) ||
		    !api_filter_any(filters, "status", match_status, &fc) ||
		    !api_filter_all(filters, "label", match_label, &fc) ||
		    !api_filter_any(filters, "exited", match_exited, &fc) ||
		    !api_filter_any(filters, "network", match_network, &fc) ||
		    !api_filter_any(filters, "ancestor", match_ancestor, &fc) ||
		    !api_filter_all(filters, "before", match_before, &fc) ||
		    !api_filter_all(filters, "since", match_since, &fc) ||
		    !api_filter_any(filters, "volume", match_volume, &fc) ||
		    !api_filter_any(filters, "health", match_health, &fc))
			continue;
		json_t *v = summary_view(d, doc, &all_eps);
		if (size) {
			json_t *img = NULL;
			struct nd_error e = { 0 };
			json_int_t rw = size_rw(d, nd_json_str(doc, "Id") ?: ""), base = 0;
			if (images_inspect(d->images, nd_json_str(doc, "Image") ?: "", &img, &e) == 0)
				base = json_integer_value(json_object_get(img, "Size"));
			json_decref(img);
			json_object_set_new(v, "SizeRw", json_integer(rw));
			json_object_set_new(v, "SizeRootFs", json_integer(rw + base));
		}
		json_array_append_new(arr, v);
	}
	nd_endpoint_list_clear(&all_eps);
	json_decref(docs);
	http_reply_json(req, 200, arr);
}
