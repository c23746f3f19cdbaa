// SPDX-License-Identifier: Apache-2.0
/* Containers: the per-container /etc/hostname, /etc/hosts and
 * /etc/resolv.conf (bind-mounted through rt_spec mounts), and the rt_spec
 * built from the stored document. */
#include "netd/ctr/ctr.h"
#include "netd/net/net.h"

#include <arpa/inet.h>
#include <strings.h>
#include <signal.h>
#include <sys/utsname.h>

static int write_text(const char *path, const char *text, struct nd_error *err)
{
	/* in place (same inode): a bind mount of the file keeps seeing it */
	FILE *f = fopen(path, "we");
	if (!f)
		return nd_error_set(err, -errno, "write %s: %s", path, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		return nd_error_set(err, -errno, "write %s: %s", path, strerror(errno));
	return 0;
}

static void strip_prefix(char *ip)
{
	char *s = strchr(ip, '/');
	if (s)
		*s = '\0';
}

/* host's resolv.conf minus loopback nameservers (unreachable from a
 * sandbox); Docker's public fallback when nothing is left */
static char *resolv_from_host(bool keep_search)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (!m)
		return NULL;
	_cleanup_fclose_ FILE *f = fopen("/etc/resolv.conf", "re");
	char line[1024];
	int ns = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char a[256];
		if (sscanf(line, " nameserver %255s", a) == 1) {
			if (nd_str_has_prefix(a, "127.") || strcmp(a, "::1") == 0)
				continue;
			ns++;
		} else if (!keep_search && (sscanf(line, " search %255s", a) == 1 || sscanf(line, " domain %255s", a) == 1)) {
			continue;   /* the user's --dns-search replaces it */
		}
		fputs(line, m);
	}
	if (!ns)
		fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", m);
	fclose(m);
	return out;
}

int ctr_files_write(struct netd *d, const struct nd_container_rec *r, struct nd_error *err)
{
	const json_t *cfg = json_object_get(r->doc, "Config");
	const json_t *hc = json_object_get(r->doc, "HostConfig");
	const char *hostname = nd_json_str(cfg, "Hostname");
	bool host = strcmp(r->network_mode, "host") == 0;
	int rc;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s\n", hostname ? hostname : "");
	if ((rc = write_text(r->hostname_path, buf, err)) < 0)
		return rc;

	/* hosts */
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (host) {
		_cleanup_fclose_ FILE *f = fopen("/etc/hosts", "re");
		char line[1024];
		while (f && fgets(line, sizeof(line), f))
			fputs(line, m);
	} else {
		fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
		      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n", m);
	}
	const char *sbid = r->sandbox_id;
	struct nd_endpoint_list eps = { 0 };
	struct nd_error e = { 0 };
	if (!host && *sbid && net_endpoint_list(d, NULL, sbid, &eps, &e) == 0) {
		/* the container's own addresses */
		for (size_t i = 0; i < eps.n; i++) {
			const char *addrs[] = { eps.v[i].ipv4, eps.v[i].ipv6 };
			for (size_t k = 0; k < 2; k++) {
				const char *a = addrs[k];
				if (!*a)
					continue;
				char ip[64];
				snprintf(ip, sizeof(ip), "%s", a);
				strip_prefix(ip);
				fprintf(m, "%s\t%s\n", ip, hostname ? hostname : "");
			}
		}
		/* the other containers on the same networks, as of this start
		 * (netd's containers resolve names through hosts; the network's
		 * name server, net/dns.c, is for CNI callers' containers) */
		for (size_t i = 0; i < eps.n && !net_dns_sandbox_served(d, sbid); i++) {
			struct nd_endpoint_list peers;
			if (net_endpoint_list(d, eps.v[i].network_id, NULL, &peers, &e) < 0)
				continue;
			for (size_t k = 0; k < peers.n; k++) {
				const struct nd_endpoint_rec *p = &peers.v[k];
				if (!p->ipv4[0] || strcmp(p->sandbox_id, sbid) == 0)
					continue;
				char ip[64];
				snprintf(ip, sizeof(ip), "%s", p->ipv4);
				strip_prefix(ip);
				size_t ai;
				json_t *al;
				if (p->container_id[0] && p->owner_name[0]) {
					fprintf(m, "%s\t%s %.12s", ip, p->owner_name, p->container_id);
					/* --network-alias names (until the embedded DNS answers them) */
					json_array_foreach(p->aliases, ai, al) {
						const char *an = json_string_value(al);
						if (an && strcmp(an, p->owner_name) != 0)
							fprintf(m, " %s", an);
					}
					fputc('\n', m);
				} else if (!p->container_id[0]) {
					/* the aliases of bare sandboxes' endpoints (CNI attachments) */
					json_array_foreach(p->aliases, ai, al)
						if (json_is_string(al))
							fprintf(m, "%s\t%s\n", ip, json_string_value(al));
				}
			}
			nd_endpoint_list_clear(&peers);
		}
		nd_endpoint_list_clear(&eps);
	} else if (!host) {
		fprintf(m, "127.0.0.1\t%s\n", hostname ? hostname : "");
	}
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(hc, "ExtraHosts"), i, x) {
		const char *s = json_string_value(x);
		const char *colon = s ? strchr(s, ':') : NULL;
		if (colon)
			fprintf(m, "%s\t%.*s\n", colon + 1, (int)(colon - s), s);
	}
	fclose(m);
	rc = write_text(r->hosts_path, text ? text : "", err);
	free(text);
	if (rc < 0)
		return rc;

	/* resolv.conf: the embedded resolver where the sandbox has one (its
	 * --dns servers are its upstreams there); else --dns or the host's */
	json_t *dns = json_object_get(hc, "Dns");
	bool served = !host && *sbid && net_dns_sandbox_served(d, sbid);
	text = NULL;
	m = open_memstream(&text, &len);
	if (!m)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (served) {
		fputs("# netd's embedded resolver: netd's names, the rest from its upstreams\n", m);
		fputs("nameserver 127.0.0.11\n", m);
	} else if (json_array_size(dns) > 0) {
		json_array_foreach(dns, i, x)
			fprintf(m, "nameserver %s\n", json_string_value(x));
	} else {
		char *h = resolv_from_host(!json_array_size(json_object_get(hc, "DnsSearch")));
		fputs(h ? h : "", m);
		free(h);
	}
	/* search: the user's, else (resolver) the host's */
	json_t *search = json_object_get(hc, "DnsSearch");
	if (json_array_size(search) > 0) {
		fputs("search", m);
		json_array_foreach(search, i, x)
			fprintf(m, " %s", json_string_value(x));
		fputc('\n', m);
	} else if (served && *net_dns_host_search(d)) {
		fprintf(m, "search %s\n", net_dns_host_search(d));
	}
	json_t *opts = json_object_get(hc, "DnsOptions");
	if (json_array_size(opts) > 0) {
		fputs("options", m);
		json_array_foreach(opts, i, x)
			fprintf(m, " %s", json_string_value(x));
		fputc('\n', m);
	}
	fclose(m);
	rc = write_text(r->resolv_conf_path, text ? text : "", err);
	free(text);
	return rc;
}

static char **strv_from_json(const json_t *a)
{
	size_t n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(json_string_value(json_array_get(a, i)) ?: "");
	return v;
}

static char *dup_nonempty(const char *s) { return s && *s ? strdup(s) : NULL; }

int ctr_spec_build(struct netd *d, const struct nd_container_rec *r, const char *netns, struct rt_spec **out,
		   struct nd_error *err)
{
	const json_t *cfg = json_object_get(r->doc, "Config");
	const json_t *hc = json_object_get(r->doc, "HostConfig");
	struct rt_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return nd_error_set(err, -ENOMEM, "out of memory");
	s->id = strdup(r->id);
	s->rootfs = strdup("");   /* filled in by the pool thread after the rootfs mount */
	s->netns = dup_nonempty(netns);
	json_t *args = json_array();
	json_array_append_new(args, json_string(nd_json_str(r->doc, "Path") ?: ""));
	json_array_extend(args, json_object_get(r->doc, "Args"));
	s->args = strv_from_json(args);
	json_decref(args);
	s->env = strv_from_json(json_object_get(cfg, "Env"));
	s->cwd = dup_nonempty(nd_json_str(cfg, "WorkingDir"));
	s->user = dup_nonempty(nd_json_str(cfg, "User"));
	s->hostname = dup_nonempty(nd_json_str(cfg, "Hostname"));
	s->tty = json_is_true(json_object_get(cfg, "Tty"));
	s->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	s->init = json_is_true(json_object_get(hc, "Init"));
	s->limits.memory = json_integer_value(json_object_get(hc, "Memory"));
	s->limits.cpu_shares = (uint64_t)json_integer_value(json_object_get(hc, "CpuShares"));
	s->limits.cpu_quota = json_integer_value(json_object_get(hc, "CpuQuota"));
	s->limits.cpu_period = (uint64_t)json_integer_value(json_object_get(hc, "CpuPeriod"));
	int64_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	if (nano > 0) {
		s->limits.cpu_period = 100000;
		s->limits.cpu_quota = nano / 10000;  /* 1e9 nano-CPUs = one period */
	}
	s->limits.pids = json_integer_value(json_object_get(hc, "PidsLimit"));
	if (s->limits.pids < 0)
		s->limits.pids = 0;
	const char *const files[][2] = {
		{ r->hostname_path, "/etc/hostname" }, { r->hosts_path, "/etc/hosts" }, { r->resolv_conf_path, "/etc/resolv.conf" },
	};
	s->mounts = calloc(ARRAY_SIZE(files), sizeof(*s->mounts));
	for (size_t i = 0; s->mounts && i < ARRAY_SIZE(files); i++) {
		const char *p = files[i][0];
		if (!*p)
			continue;
		s->mounts[s->n_mounts].source = strdup(p);
		s->mounts[s->n_mounts].destination = strdup(files[i][1]);
		s->n_mounts++;
	}
	if (ctr_security_build(hc, r->network_mode, &s->security, err) < 0) {
		rt_spec_free(s);
		return err->code;
	}
	int mrc = ctr_spec_mounts(d, r, s, err);
	if (mrc < 0) {
		rt_spec_free(s);
		return mrc;
	}
	s->state_dir = strdup(r->state_dir);
	s->log_path = strdup(r->log_path);
	const char *cgp = d->cfg.cgroup_parent;
	if (cgp)
		s->cgroup_parent = strdup(cgp);
	if (!s->id || !s->args || !s->env || !s->state_dir || !s->log_path) {
		rt_spec_free(s);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static const struct { const char *name; int sig; } signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL }, { "TERM", SIGTERM },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
	{ "ALRM", SIGALRM }, { "PIPE", SIGPIPE }, { "CHLD", SIGCHLD }, { "WINCH", SIGWINCH },
};

/* "SIGKILL", "KILL", "9": the number; -EINVAL when unknown */
int ctr_parse_signal(const char *s)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	long n = strtol(s, &end, 10);
	if (!*end)
		return n > 0 && n < 65 ? (int)n : -EINVAL;
	if (nd_str_has_prefix(s, "SIG") || nd_str_has_prefix(s, "sig"))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(signals[i].name, s) == 0)
			return signals[i].sig;
	return -EINVAL;
}
