// SPDX-License-Identifier: Apache-2.0
/* GET /_ping, /version, /info — with Docker Engine API field names. */
#include "netd/api/api.h"
#include "netd/core/cluster.h"
#include "wire/wire.h"
#include "images/images.h"
#include "runtime/runtime.h"

#include <sys/sysinfo.h>
#include <sys/utsname.h>

void api_ping(struct http_req *req, void *ctx)
{
	/* Docker's: clients negotiate from API-Version and pick a builder from
	 * Builder-Version ("1": the classic one; netd builds nothing: /build
	 * answers 501); OSType and Docker-Experimental come on every answer */
	http_reply_header(req, "Builder-Version", "1");
	http_reply_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	http_reply_header(req, "Pragma", "no-cache");
	http_reply(req, 200, "text/plain; charset=utf-8", "OK", 2);
}


void api_version(struct http_req *req, void *ctx)
{
	struct utsname u;
	uname(&u);
	json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s}}]}",
		"Version", NETD_VERSION,
		"ApiVersion", WIRE_API_VERSION,
		"MinAPIVersion", WIRE_API_VERSION_MIN,
		"Os", "linux",
		"Arch", (*wire_go_arch() ? wire_go_arch() : u.machine),
		"KernelVersion", u.release,
		"GitCommit", "",
		"GoVersion", "n/a (C17)",
		"Experimental", 0,
		"BuildTime", "",
		"Platform", "Name", "netd",
		"Components", "Name", "Engine", "Version", NETD_VERSION, "Details", "ApiVersion", WIRE_API_VERSION,
		"MinAPIVersion", WIRE_API_VERSION_MIN);
	/* Docker's CLI prints the Engine component's details */
	json_t *det = json_object_get(json_array_get(json_object_get(v, "Components"), 0), "Details");
	json_object_set_new(det, "Os", json_string("linux"));
	json_object_set_new(det, "Arch", json_string((*wire_go_arch() ? wire_go_arch() : u.machine)));
	json_object_set_new(det, "KernelVersion", json_string(u.release));
	json_object_set_new(det, "Experimental", json_string("false"));
	json_object_set_new(det, "GitCommit", json_string(""));
	json_object_set_new(det, "GoVersion", json_string("n/a (C17)"));
	http_reply_json(req, 200, v);
}

static char *os_pretty_name(void)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = '\0';
		}
		return strdup(v);
	}
	return strdup("Linux");
}

static json_int_t count(struct netd *d, const char *kind)
{
	int64_t n = 0;
	struct nd_error err = { 0 };
	store_obj_count(d->store, kind, &n, &err);
	return (json_int_t)n;
}


/* What Docker's /info has that the sections above do not: the storage
 * driver, cgroups, runtimes, security options, swarm (inactive) ... */
static void info_docker_fields(struct netd *d, json_t *info)
{
	const char *driver = d->images ? images_driver_name(d->images) : "overlay2";
	struct rt_cgroup_layout lay;
	const char *cgv = "1";
	if (rt_cgroup_layout_detect(&lay, NULL) == 0 && lay.mode == RT_CGROUP_V2)
		cgv = "2";
	json_object_set_new(info, "Driver", json_string(driver));
	json_object_set_new(info, "DriverStatus", json_pack("[[s,s]]", "Native Overlay Diff",
			    strcmp(driver, "overlay2") == 0 ? "true" : "false"));
	json_object_set_new(info, "CgroupDriver", json_string("cgroupfs"));
	json_object_set_new(info, "CgroupVersion", json_string(cgv));
	static const char *const yes[] = { "MemoryLimit", "CpuCfsPeriod", "CpuCfsQuota", "CPUShares", "PidsLimit",
					   "IPv4Forwarding", "LiveRestoreEnabled" };
	static const char *const no[] = { "SwapLimit", "KernelMemoryTCP", "CPUSet", "OomKillDisable",
					  "BridgeNfIptables", "BridgeNfIp6tables", "Debug", "Experimental" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		json_object_set_new(info, yes[i], json_true());
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		json_object_set_new(info, no[i], json_false());
	json_object_set_new(info, "Runtimes", json_pack("{s:{s:s}}", "netd-shim", "path", "netd-shim"));
	json_object_set_new(info, "DefaultRuntime", json_string("netd-shim"));
	json_object_set_new(info, "Isolation", json_string(""));
	json_object_set_new(info, "InitBinary", json_string(""));
	json_object_set_new(info, "Swarm", json_pack("{s:s, s:s, s:s, s:b, s:s, s:n, s:n}", "NodeID", "", "NodeAddr",
			    "", "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "", "RemoteManagers", "Nodes"));
	json_object_set_new(info, "SecurityOptions", json_pack("[s,s]", "name=seccomp,profile=builtin", "name=cgroupns"));
	json_object_set_new(info, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
	json_object_set_new(info, "RegistryConfig", json_pack("{s:[], s:[], s:{}, s:[]}",
			    "AllowNondistributableArtifactsCIDRs", "InsecureRegistryCIDRs", "IndexConfigs", "Mirrors"));
	json_object_set_new(info, "HttpProxy", json_string(""));
	json_object_set_new(info, "HttpsProxy", json_string(""));
	json_object_set_new(info, "NoProxy", json_string(""));
	json_object_set_new(info, "Labels", json_array());
	json_object_set_new(info, "Warnings", json_array());
	json_object_set_new(info, "NEventsListener", json_integer(0));
	json_object_set_new(info, "GenericResources", json_null());
	static const char *const commits[] = { "ContainerdCommit", "RuncCommit", "InitCommit" };
	for (size_t i = 0; i < ARRAY_SIZE(commits); i++)
		json_object_set_new(info, commits[i], json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
	json_t *plugins = json_object_get(info, "Plugins");
	if (plugins) {
		json_object_set_new(plugins, "Volume", json_pack("[s]", "local"));
		json_object_set_new(plugins, "Log", json_pack("[s]", "json-file"));
		json_object_set_new(plugins, "Authorization", json_null());
	}
}

static json_int_t image_count(struct netd *d)
{
	_cleanup_json_ json_t *list = NULL;
	if (!d->images || images_list(d->images, &list, &(struct nd_error){ 0 }) < 0)
		return 0;
	return (json_int_t)json_array_size(list);
}

void api_info(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct utsname u;
	uname(&u);
	struct sysinfo si;
	sysinfo(&si);
	char now[40];
	nd_time_rfc3339(now);
	_cleanup_free_ char *os = os_pretty_name();
	json_t *info = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s,"
				 " s:s, s:I, s:I, s:s, s:s, s:{s:[s]}, s:I, s:I}",
		"ID", d->id,
		"Name", u.nodename,
		"ServerVersion", NETD_VERSION,
		"Containers", count(d, "container"),
		"ContainersRunning", (json_int_t)0,
		"ContainersPaused", (json_int_t)0,
		"ContainersStopped", count(d, "container"),
		"Images", image_count(d),
		"DockerRootDir", d->cfg.root,
		"ExecRoot", d->cfg.exec_root,
		"KernelVersion", u.release,
		"OperatingSystem", os ? os : "Linux",
		"OSType", "linux",
		"Architecture", u.machine,
		"SystemTime", now,
		"NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
		"MemTotal", (json_int_t)si.totalram * (json_int_t)si.mem_unit,
		"LoggingDriver", "json-file",
		"Socket", d->cfg.socket,
		"Plugins", "Network", "bridge",
		"Networks", count(d, "network"),
		"Sandboxes", count(d, "sandbox"));
	netd_net_info(d, info);
	netd_containers_info(d, info);
	info_docker_fields(d, info);
	/* Docker's (pre-swarm) cluster fields, and netd's view of the store */
	json_t *cluster = netd_cluster_info_json(d);
	json_object_set_new(info, "ClusterStore", json_string(d->cfg.cluster_store ? d->cfg.cluster_store : ""));
	json_object_set_new(info, "ClusterAdvertise", json_string(netd_cluster_advertise(d) ? netd_cluster_advertise(d) : ""));
	if (cluster)
		json_object_set_new(info, "Cluster", cluster);
	net_global_info(d, info);   /* the global scope's mirror, under "Cluster" */
	http_reply_json(req, 200, info);
}
