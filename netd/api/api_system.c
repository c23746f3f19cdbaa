// SPDX-License-Identifier: Apache-2.0
/* GET /_ping, /version, /info — with Docker Engine API field names. */
#include "netd/api/api.h"
#include "wire/wire.h"

#include <sys/sysinfo.h>
#include <sys/utsname.h>

void api_ping(struct http_req *req, void *ctx)
{
	http_reply(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

static const char *go_arch(const char *machine)
{
	if (strcmp(machine, "x86_64") == 0) return "amd64";
	if (strcmp(machine, "aarch64") == 0) return "arm64";
	return machine;
}

void api_version(struct http_req *req, void *ctx)
{
	struct utsname u;
	uname(&u);
	http_reply_json(req, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}",
		"Version", NETD_VERSION,
		"ApiVersion", WIRE_API_VERSION,
		"MinAPIVersion", WIRE_API_VERSION_MIN,
		"Os", "linux",
		"Arch", go_arch(u.machine),
		"KernelVersion", u.release,
		"Components", "Name", "netd", "Version", NETD_VERSION));
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
		"Images", count(d, "image"),
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
	http_reply_json(req, 200, info);
}
