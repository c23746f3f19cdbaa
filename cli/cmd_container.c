// SPDX-License-Identifier: Apache-2.0
/* netctl run|create|start|stop|kill|restart|rm|wait|ps|logs|inspect|exec|attach
 * (also as `netctl container COMMAND`).
 *
 * Streams (wait, logs) use libcurl multi handles, one per stream, so that
 * `run` can hold a wait open while it starts the container, as Docker's CLI
 * does. attach and exec are hijacked connections (cli/stream.c): netd's
 * API does all of it, netctl never enters a container or its shim. */
#include "cli/netctl.h"
#include "cli/stream.h"
#include "wire/wire.h"

#include <curl/curl.h>

#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>

/* ---- streams over libcurl ------------------------------------------------------
 * One multi handle per stream, driven only when its caller reads, so `run`
 * can hold a wait and an attach open while it starts the container. libcurl
 * does the HTTP (chunked bodies, headers); we only buffer what it hands us. */

static volatile sig_atomic_t got_signal, got_winch;


struct raw {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	char *payload;
	int status;
	bool tty_stream;
	bool headers_done, done;
	CURLcode result;
	struct wire_buf buf;    /* body bytes; those before off are handed out */
	size_t off;
};

static size_t raw_on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct raw *r = userdata;
	size_t n = size * nmemb;
	if (r->off > 0 && r->off == r->buf.len) {
		wire_buf_reset(&r->buf);
		r->off = 0;
	}
	return wire_buf_append(&r->buf, ptr, n) < 0 ? 0 : n;
}

static size_t raw_on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct raw *r = userdata;
	size_t n = size * nmemb;
	if (n >= 13 && strncasecmp(ptr, "Content-Type:", 13) == 0 && memmem(ptr, n, "raw-stream", 10))
		r->tty_stream = true;
	if (n <= 2 && (ptr[0] == '\r' || ptr[0] == '\n')) {
		long code = 0;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200) {       /* not a "100 Continue" */
			r->status = (int)code;
			r->headers_done = true;
		}
	}
	return n;
}

/* Drives the transfer once: waits up to 200 ms for progress. -EINTR when a
 * signal arrived (the caller forwards it), -EIO when the transfer failed. */
static int raw_perform(struct raw *r)
{
	int running = 0;
	if (curl_multi_perform(r->multi, &running) != CURLM_OK)
		return -EIO;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(r->multi, &left))) {
		if (msg->msg == CURLMSG_DONE) {
			r->done = true;
			r->result = msg->data.result;
		}
	}
	if (running == 0)
		r->done = true;
	return 0;
}

static int raw_step(struct raw *r)
{
	bool had_headers = r->headers_done;
	size_t had = r->buf.len - r->off;
	if (raw_perform(r) < 0)
		return -EIO;
	/* progress already: hand it back before waiting on the socket */
	if (r->done || r->headers_done != had_headers || r->buf.len - r->off != had)
		return 0;
	if (curl_multi_poll(r->multi, NULL, 0, 200, NULL) != CURLM_OK)
		return -EIO;
	if (got_signal)
		return -EINTR;
	return raw_perform(r);
}

static void raw_close(struct raw *r)
{
	if (r->multi && r->easy)
		curl_multi_remove_handle(r->multi, r->easy);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	if (r->multi)
		curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->hdrs);
	free(r->payload);
	wire_buf_free(&r->buf);
	memset(r, 0, sizeof(*r));
}

static int raw_request(struct cli *cli, const char *method, const char *path, const json_t *body, struct raw *r,
		       struct nd_error *err)
{
	memset(r, 0, sizeof(*r));
	r->multi = curl_multi_init();
	r->easy = curl_easy_init();
	if (!r->multi || !r->easy) {
		raw_close(r);
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	}
	r->payload = body ? nd_json_dump(body) : strdup("");
	r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	CURL *h = r->easy;
	int rc0 = client_curl_setup(cli->client, h, path, err);
	if (rc0 < 0) {
		raw_close(r);
		return rc0;
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdrs);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->payload);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, raw_on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, raw_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_multi_add_handle(r->multi, h);
	/* until the status line and headers are in (streams send them at once) */
	while (!r->headers_done && !r->done) {
		int rc = raw_step(r);
		if (rc == -EINTR)
			continue;          /* the caller forwards signals once it streams */
		if (rc < 0)
			break;
	}
	if (!r->headers_done) {
		CURLcode cc = r->result;
		raw_close(r);
		return client_curl_fail(cli->client, cc ? cc : CURLE_RECV_ERROR, err);
	}
	return 0;
}

/* Next piece of the body: *out points into the buffer (valid until the next
 * call); 0 at the end of the body, < 0 on error or -EINTR on a signal. */
static ssize_t raw_next(struct raw *r, const char **out)
{
	while (r->off == r->buf.len) {
		if (r->done)
			return r->result == CURLE_OK ? 0 : -EIO;
		int rc = raw_step(r);
		if (rc < 0)
			return rc;
	}
	*out = r->buf.data + r->off;
	size_t n = r->buf.len - r->off;
	r->off = r->buf.len;
	return (ssize_t)n;
}

static json_t *raw_json_body(struct raw *r)
{
	_cleanup_wire_buf_ struct wire_buf all = { 0 };
	const char *p;
	ssize_t n;
	while ((n = raw_next(r, &p)) > 0 || n == -EINTR) {
		if (n == -EINTR)
			return NULL;       /* let the caller forward the signal and call again */
		if (wire_buf_append(&all, p, (size_t)n) < 0)
			break;
	}
	return all.data ? json_loadb(all.data, all.len, 0, NULL) : NULL;
}

static int raw_error(struct raw *r, struct nd_error *err)
{
	_cleanup_json_ json_t *j = raw_json_body(r);
	const char *m = nd_json_str(j, "message");
	return nd_error_set(err, nd_error_from_http_status(r->status), "%s", m ? m : "request failed");
}

/* Docker's multiplexed stream (wire/), or raw bytes from a tty */
static int demux_write(enum wire_stream_kind kind, const void *data, size_t len, void *ctx)
{
	(void)ctx;
	return nd_write_all(kind == WIRE_STREAM_STDERR ? 2 : 1, data, len);
}

static void demux_feed(struct wire_stream_decoder *m, const char *p, size_t n, bool raw)
{
	if (raw)
		nd_write_all(1, p, n);
	else
		wire_stream_feed(m, p, n, demux_write, NULL);
}

/* ---- signals --------------------------------------------------------------------------- */


static void on_signal(int sig) { got_signal = sig; }
static void on_winch(int sig) { got_winch = 1; }

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART: reads return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
}

static void forward_signal(struct cli *cli, const char *id)
{
	int sig = got_signal;
	got_signal = 0;
	if (!sig)
		return;
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/kill?signal=%d", id, sig);
	struct nd_error err = { 0 };
	client_call(cli->client, "POST", path, NULL, NULL, &err);
}

/* ---- create / run options ------------------------------------------------------------- */

static int parse_bytes(const char *s, long long *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	long long mul = 1;
	switch (*end) {
	case 'b': case 'B': case '\0': break;
	case 'k': case 'K': mul = 1ll << 10; break;
	case 'm': case 'M': mul = 1ll << 20; break;
	case 'g': case 'G': mul = 1ll << 30; break;
	default: return -EINVAL;
	}
	if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
		return -EINVAL;
	*out = (long long)(v * (double)mul);
	return 0;
}

static const char create_help[] =
	"Usage: netctl %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
	"%s\n\n"
	"Options:\n"
	"%s"
	"      --name NAME         the container's name (unique)\n"
	"      --net NET           network to connect to (repeatable: one endpoint each);\n"
	"                          none, host, container:OTHER, or a network name (default: bridge)\n"
	"      --ip IP             IPv4 address on the first network\n"
	"      --hostname NAME     the container's hostname\n"
	"      --dns IP            DNS server (repeatable): on a user-defined network the upstream\n"
	"                          of the embedded resolver (127.0.0.11), else /etc/resolv.conf's\n"
	"      --dns-search DOMAIN resolv.conf search domain (repeatable)\n"
	"      --dns-option OPT    resolv.conf option, e.g. ndots:2 (repeatable)\n"
	"      --network-alias NAME  a DNS alias on the first --net network (repeatable; also --alias)\n"
	"      --add-host H:IP     an /etc/hosts entry (repeatable)\n"
	"  -e, --env K=V           environment variable (repeatable)\n"
	"  -w, --workdir DIR       working directory\n"
	"  -u, --user USER         user[:group] or uid[:gid]\n"
	"      --entrypoint CMD    override the image's entrypoint\n"
	"  -m, --memory SIZE       memory limit (e.g. 64m; at least 6m)\n"
	"      --cpus N            CPUs (e.g. 0.5)\n"
	"      --cpu-shares N      relative CPU weight\n"
	"      --pids-limit N      maximum number of processes\n"
	"      --init              run a reaping init as PID 1\n"
	"      --restart POLICY    no, always, unless-stopped, on-failure[:N]\n"
	"  -p, --publish SPEC      publish a port: [IP:][HOSTPORT:]PORT[/tcp|udp|sctp], ranges\n"
	"                          as 8080-8081:80-81; no HOSTPORT picks a free one (repeatable)\n"
	"  -P, --publish-all       publish every exposed port on a free host port\n"
	"      --expose PORT       expose PORT[/proto] (for -P)\n"
	"  -t, --tty               allocate a pseudo-terminal\n"
	"  -i, --interactive       keep the container's stdin open; run relays ours (our EOF closes it)\n"
	"  -v, --volume SPEC       HOST:CTR[:ro|rw][,PROPAGATION], NAME:CTR[:ro], or CTR (anonymous)\n"
	"      --mount SPEC        type=bind|volume|tmpfs,source=,target=[,readonly][,bind-propagation=]...\n"
	"      --tmpfs PATH[:OPTS] a tmpfs (noexec,nosuid,nodev; size=, mode=)\n"
	"      --read-only         the root file system is read-only\n"
	"      --volumes-from C[:ro|rw] the mounts of container C\n"

	"%s";

static const char run_only_help[] =
	"  -d, --detach            run in the background and print the container ID\n"
	"      --rm                remove the container when it exits\n";

struct run_opts {
	bool detach, rm, tty, interactive;
	const char *image;
	char **cmd;
	int ncmd;
};

enum {
	O_NAME = 1000, O_NET, O_IP, O_HOSTNAME, O_DNS, O_ADDHOST, O_ENTRYPOINT, O_CPUS, O_CPUSHARES, O_PIDS, O_INIT,
	O_RESTART, O_RM, O_HELP, O_EXPOSE, O_DNSSEARCH, O_DNSOPT, O_ALIAS, O_MOUNT, /* cli_mount_option: the long name says which */
};

/* "-p [IP:][HOSTPORT[-END]:]PORT[-END][/proto]" (wire's parser, the one
 * netd judges with) into HostConfig.PortBindings and ExposedPorts, one key
 * per container port (as Docker's CLI does) */
static int parse_publish(const char *spec, json_t *bindings, json_t *exposed, struct nd_error *err)
{
	struct wire_port_spec ps;
	int r = wire_ports_parse(spec, &ps, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < wire_ports_count(&ps); i++) {
		char key[32], hport[8] = "";
		snprintf(key, sizeof(key), "%u/%s", (unsigned)(ps.container_lo + i), wire_ports_proto_name(ps.proto));
		if (ps.host_lo)
			snprintf(hport, sizeof(hport), "%u", (unsigned)(ps.host_lo + i));
		json_t *l = json_object_get(bindings, key);
		if (!l) {
			l = json_array();
			json_object_set_new(bindings, key, l);
		}
		json_array_append_new(l, json_pack("{s:s, s:s}", "HostIp", ps.host_ip, "HostPort", hport));
		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

static int parse_create(struct cli *cli, int argc, char **argv, bool run, struct run_opts *o, json_t **body_out,
			char **name_out)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' }, { "rm", no_argument, NULL, O_RM },
		{ "tty", no_argument, NULL, 't' }, { "interactive", no_argument, NULL, 'i' },
		{ "name", required_argument, NULL, O_NAME }, { "net", required_argument, NULL, O_NET },
		{ "network", required_argument, NULL, O_NET }, { "ip", required_argument, NULL, O_IP },
		{ "hostname", required_argument, NULL, O_HOSTNAME }, { "dns", required_argument, NULL, O_DNS },
		{ "dns-search", required_argument, NULL, O_DNSSEARCH }, { "dns-option", required_argument, NULL, O_DNSOPT },
		{ "network-alias", required_argument, NULL, O_ALIAS }, { "alias", required_argument, NULL, O_ALIAS },
		{ "add-host", required_argument, NULL, O_ADDHOST }, { "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' }, { "user", required_argument, NULL, 'u' },
		{ "entrypoint", required_argument, NULL, O_ENTRYPOINT }, { "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, O_CPUS }, { "cpu-shares", required_argument, NULL, O_CPUSHARES },
		{ "pids-limit", required_argument, NULL, O_PIDS }, { "init", no_argument, NULL, O_INIT },
		{ "restart", required_argument, NULL, O_RESTART }, { "help", no_argument, NULL, O_HELP },
		{ "publish", required_argument, NULL, 'p' }, { "publish-all", no_argument, NULL, 'P' },
		{ "expose", required_argument, NULL, O_EXPOSE },
		{ "volume", required_argument, NULL, O_MOUNT }, { "mount", required_argument, NULL, O_MOUNT },
		{ "tmpfs", required_argument, NULL, O_MOUNT }, { "read-only", no_argument, NULL, O_MOUNT },
		{ "volumes-from", required_argument, NULL, O_MOUNT }, CLI_SECURITY_OPTIONS, { 0 },
	};
	json_t *body = json_object();
	json_t *hc = json_object();
	json_t *bindings = json_object(), *exposed = json_object();
	json_object_set_new(hc, "PortBindings", bindings);
	json_object_set_new(body, "ExposedPorts", exposed);
	json_t *env = json_array(), *dns = json_array(), *hosts = json_array(), *nets = json_array();
	json_object_set_new(body, "HostConfig", hc);
	json_object_set_new(body, "Env", env);
	json_object_set_new(hc, "Dns", dns);
	json_object_set_new(hc, "ExtraHosts", hosts);
	json_t *search = json_array(), *dnsopts = json_array();
	json_object_set_new(hc, "DnsSearch", search);
	json_object_set_new(hc, "DnsOptions", dnsopts);
	_cleanup_json_ json_t *aliases = json_array();
	*body_out = body;
	_cleanup_json_ json_t *netlist = nets;
	const char *ip = NULL;
	int c, li = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, run ? "+dtie:w:u:m:p:Pv:" : "+tie:w:u:m:p:Pv:", opts, &li)) != -1) {
		switch (c) {
		case 'v':
		case O_MOUNT: {
			struct nd_error merr = { 0 };
			if (cli_mount_option(body, c == 'v' ? "volume" : opts[li].name, optarg, &merr) < 0)
				return cli_usage_error(cli->prog, "%s", merr.msg);
			li = -1;
			break;
		}
		case 'p': {
			struct nd_error perr = { 0 };
			if (parse_publish(optarg, bindings, exposed, &perr) < 0)
				return cli_usage_error(cli->prog, "invalid -p: %s (want [IP:][HOSTPORT:]PORT[/tcp|udp|sctp])",
						       perr.msg);
			break;
		}
		case 'P': json_object_set_new(hc, "PublishAllPorts", json_true()); break;
		case O_EXPOSE: {
			char key[64];
			snprintf(key, sizeof(key), "%s%s", optarg, strchr(optarg, '/') ? "" : "/tcp");
			json_object_set_new(exposed, key, json_object());
			break;
		}
		case 'd': o->detach = true; break;
		case O_RM: o->rm = true; break;
		case 't': o->tty = true; break;
		case 'i': o->interactive = true; break;
		case O_NAME: *name_out = optarg; break;
		case O_NET: json_array_append_new(nets, json_string(optarg)); break;
		case O_IP: ip = optarg; break;
		case O_HOSTNAME: json_object_set_new(body, "Hostname", json_string(optarg)); break;
		case O_DNS: json_array_append_new(dns, json_string(optarg)); break;
		case O_DNSSEARCH: json_array_append_new(search, json_string(optarg)); break;
		case O_DNSOPT: json_array_append_new(dnsopts, json_string(optarg)); break;
		case O_ALIAS: json_array_append_new(aliases, json_string(optarg)); break;
		case O_ADDHOST: json_array_append_new(hosts, json_string(optarg)); break;
		case 'e':
			if (!strchr(optarg, '=')) {
				const char *v = getenv(optarg);   /* -e NAME: from our environment, as Docker */
				if (!v)
					break;
				char kv[4096];
				snprintf(kv, sizeof(kv), "%s=%s", optarg, v);
				json_array_append_new(env, json_string(kv));
			} else {
				json_array_append_new(env, json_string(optarg));
			}
			break;
		case 'w': json_object_set_new(body, "WorkingDir", json_string(optarg)); break;
		case 'u': json_object_set_new(body, "User", json_string(optarg)); break;
		case O_ENTRYPOINT: json_object_set_new(body, "Entrypoint", json_pack("[s]", optarg)); break;
		case 'm': {
			long long b;
			if (parse_bytes(optarg, &b) < 0)
				return cli_usage_error(cli->prog, "invalid memory size \"%s\" (e.g. 64m)", optarg);
			json_object_set_new(hc, "Memory", json_integer(b));
			break;
		}
		case O_CPUS: {
			char *end;
			double v = strtod(optarg, &end);
			if (*end || v <= 0)
				return cli_usage_error(cli->prog, "invalid --cpus \"%s\"", optarg);
			json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)(v * 1e9)));
			break;
		}
		case O_CPUSHARES: json_object_set_new(hc, "CpuShares", json_integer(atoll(optarg))); break;
		case O_PIDS: json_object_set_new(hc, "PidsLimit", json_integer(atoll(optarg))); break;
		case O_INIT: json_object_set_new(hc, "Init", json_true()); break;
		case O_RESTART: {
			char name[64];
			snprintf(name, sizeof(name), "%s", optarg);
			char *colon = strchr(name, ':');
			int max = 0;
			if (colon) {
				*colon = '\0';
				max = atoi(colon + 1);
			}
			json_object_set_new(hc, "RestartPolicy", json_pack("{s:s, s:i}", "Name", name, "MaximumRetryCount", max));
			break;
		}
		case O_HELP:
			printf(create_help, run ? "run" : "create",
			       run ? "Create and start a container; without -d, wait for it and exit with its code."
				   : "Create a container (netctl start runs it).",
			       run ? run_only_help : "", cli_security_help);
			return -1;
		default: {
			int sr = cli_security_opt(cli, c, optarg, hc);
			if (sr != -ENOENT) {
				if (sr)
					return sr;
				break;
			}
			return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli->prog, "expects an IMAGE");
	o->image = argv[optind];
	o->cmd = argv + optind + 1;
	o->ncmd = argc - optind - 1;
	json_object_set_new(body, "Image", json_string(o->image));
	if (o->ncmd > 0) {
		json_t *cmd = json_array();
		for (int i = 0; i < o->ncmd; i++)
			json_array_append_new(cmd, json_string(o->cmd[i]));
		json_object_set_new(body, "Cmd", cmd);
	}
	json_object_set_new(body, "Tty", json_boolean(o->tty));
	json_object_set_new(body, "OpenStdin", json_boolean(o->interactive));
	/* as Docker's run -i: the attached client's EOF closes the container's stdin */
	json_object_set_new(body, "StdinOnce", json_boolean(run && o->interactive && !o->detach));
	json_object_set_new(hc, "AutoRemove", json_boolean(o->rm));
	if (json_array_size(nets) > 0) {
		const char *first = json_string_value(json_array_get(nets, 0));
		json_object_set_new(hc, "NetworkMode", json_string(first));
		json_t *epc = json_object();
		size_t i;
		json_t *n;
		json_array_foreach(nets, i, n) {
			json_t *ec = json_object();
			if (i == 0 && ip)
				json_object_set_new(ec, "IPAMConfig", json_pack("{s:s}", "IPv4Address", ip));
			if (i == 0 && json_array_size(aliases))
				json_object_set(ec, "Aliases", aliases);
			json_object_set_new(epc, json_string_value(n), ec);
		}
		if (strcmp(first, "none") && strcmp(first, "host") && !nd_str_has_prefix(first, "container:"))
			json_object_set_new(body, "NetworkingConfig", json_pack("{s:o}", "EndpointsConfig", epc));
		else
			json_decref(epc);
	} else if (ip) {
		json_object_set_new(body, "NetworkingConfig",
				    json_pack("{s:{s:{s:{s:s}}}}", "EndpointsConfig", "bridge", "IPAMConfig", "IPv4Address", ip));
	}
	return 0;
}

static int do_create(struct cli *cli, json_t *body, const char *name, char id[65], struct nd_error *err)
{
	char path[512] = "/containers/create";
	if (name) {
		_cleanup_free_ char *e = wire_query_escape(name);
		snprintf(path, sizeof(path), "/containers/create?name=%s", e ? e : "");
	}
	_cleanup_json_ json_t *resp = NULL;
	int rc = client_call(cli->client, "POST", path, body, &resp, err);
	if (rc == -ENOENT && !strncasecmp(err->msg, "no such image", 13)) {
		/* as Docker: pull the missing image, then create again (cmd_registry.c) */
		if ((rc = cli_pull_missing(cli, nd_json_str(body, "Image"), err)) == 0)
			rc = client_call(cli->client, "POST", path, body, &resp, err);
	}
	if (rc < 0)
		return rc;
	snprintf(id, 65, "%s", nd_json_str(resp, "Id") ?: "");
	return 0;
}

/* POST start; on failure the exit code Docker's CLI gives (126/127 or 125) */
static int do_start(struct cli *cli, const char *id, struct nd_error *err, int *exit_code)
{
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	long status = 0;
	*exit_code = 125;
	int rc = client_call_raw(cli->client, "POST", path, NULL, &data, &len, &status, err);
	if (rc < 0)
		return rc;
	if (status < 400)
		return 0;
	_cleanup_json_ json_t *j = data ? json_loadb(data, len, 0, NULL) : NULL;
	json_int_t ec = json_integer_value(json_object_get(j, "ExitCode"));
	if (ec == 126 || ec == 127)
		*exit_code = (int)ec;
	return nd_error_set(err, nd_error_from_http_status((int)status), "%s",
			    nd_json_str(j, "message") ?: "start failed");
}

static int fail125(const struct nd_error *err)
{
	cli_fail(err);
	return 125;
}

/* ---- attached streams: resize, signals ------------------------------------------------ */

/* POST .../resize?h=&w= with our terminal's size (kind: "containers" or "exec") */
static void resize_to_terminal(struct cli *cli, const char *kind, const char *id)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) < 0 && ioctl(1, TIOCGWINSZ, &ws) < 0)
		return;
	if (!ws.ws_row || !ws.ws_col)
		return;
	char path[256];
	snprintf(path, sizeof(path), "/%s/%s/resize?h=%u&w=%u", kind, id, ws.ws_row, ws.ws_col);
	struct nd_error err = { 0 };
	client_call(cli->client, "POST", path, NULL, NULL, &err);
}

struct attached {
	struct cli *cli;
	const char *kind;     /* "containers" or "exec" */
	const char *id;
	bool tty;
	bool forward;         /* signals go to the container (non-tty run/attach) */
};

static void attached_tick(void *ud)
{
	struct attached *a = ud;
	if (got_winch) {
		got_winch = 0;
		if (a->tty)
			resize_to_terminal(a->cli, a->kind, a->id);
	}
	if (got_signal && a->forward)
		forward_signal(a->cli, a->id);
}

/* ---- run / create / start ------------------------------------------------------------------- */

/* create/run's common first step: parse the options, create the container.
 * 0 with id filled; otherwise the exit status to return (-1: --help shown). */
static int create_from_args(struct cli *cli, int argc, char **argv, bool run, struct run_opts *o, char id[65])
{
	_cleanup_json_ json_t *body = NULL;
	char *name = NULL;
	int rc = parse_create(cli, argc, argv, run, o, &body, &name);
	if (rc)
		return rc;
	struct nd_error err = { 0 };
	if (do_create(cli, body, name, id, &err) < 0)
		return fail125(&err);
	return 0;
}

static int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_opts o = { 0 };
	char id[65];
	int rc = create_from_args(cli, argc, argv, true, &o, id);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct nd_error err = { 0 };
	int code;
	if (o.detach) {
		if (do_start(cli, id, &err, &code) < 0) {
			cli_fail(&err);
			return code;
		}
		printf("%s\n", id);
		return 0;
	}
	catch_signals();
	/* wait first (its headers come at once: it is registered), then
	 * attach, then start: no output and no exit can be missed */
	struct raw w;
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/wait?condition=%s", id, o.rm ? "removed" : "next-exit");
	if (raw_request(cli, "POST", path, NULL, &w, &err) < 0)
		return fail125(&err);
	if (w.status >= 400) {
		raw_error(&w, &err);
		raw_close(&w);
		return fail125(&err);
	}
	/* attached before the start: no output is missed */
	struct cli_stream a;
	snprintf(path, sizeof(path), "/containers/%s/attach?stream=1&stdout=1&stderr=1%s", id,
		 o.interactive ? "&stdin=1" : "");
	if (cli_stream_open(cli->client, path, NULL, &a, &err) < 0) {
		raw_close(&w);
		return fail125(&err);
	}
	if (do_start(cli, id, &err, &code) < 0) {
		cli_stream_close(&a);
		if (o.rm)   /* as Docker's CLI: with --rm, gone from ps -a when we return */
			json_decref(raw_json_body(&w));
		raw_close(&w);
		cli_fail(&err);
		return code;
	}
	if (o.tty)
		resize_to_terminal(cli, "containers", id);
	struct attached at = { .cli = cli, .kind = "containers", .id = id, .tty = o.tty, .forward = !o.tty };
	cli_stream_relay(&a, &(struct cli_relay_opts){ .send_stdin = o.interactive, .raw_terminal = o.tty && o.interactive,
						       .tick = attached_tick, .ud = &at });
	cli_stream_close(&a);
	json_t *res;
	for (;;) {
		res = raw_json_body(&w);
		if (res || !got_signal)
			break;
		forward_signal(cli, id);
	}
	raw_close(&w);
	if (!json_is_integer(json_object_get(res, "StatusCode"))) {
		json_decref(res);
		fprintf(stderr, "netctl: lost the container's exit status\n");
		return 125;
	}
	code = (int)json_integer_value(json_object_get(res, "StatusCode"));
	const char *msg = nd_json_str(json_object_get(res, "Error"), "Message");
	if (msg && *msg && code >= 125)
		fprintf(stderr, "netctl: %s\n", msg);
	json_decref(res);
	return code;
}

static int cmd_create(struct cli *cli, int argc, char **argv)
{
	struct run_opts o = { 0 };
	char id[65];
	int rc = create_from_args(cli, argc, argv, false, &o, id);
	if (rc)
		return rc < 0 ? 0 : rc;
	printf("%s\n", id);
	return 0;
}

static bool want_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return true;
		}
	return false;
}

static int cmd_start(struct cli *cli, int argc, char **argv)
{
	if (want_help(argc, argv, "Usage: netctl start CONTAINER...\n\nStart containers.\n"))
		return 0;
	if (argc < 2)
		return cli_usage_error(cli->prog, "expects at least one container");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct nd_error err = { 0 };
		_cleanup_free_ char *e = wire_query_escape(argv[i]);
		int code;
		if (do_start(cli, e, &err, &code) < 0) {
			cli_fail(&err);
			status = code;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

/* stop/restart [-t N], kill [-s SIG], rm [-f]: one option, then containers */
static int each_with_opt(struct cli *cli, int argc, char **argv, const char *help, const char *method,
			 const char *suffix, const char *optname, const char *qkey, const char *qflag)
{
	if (want_help(argc, argv, help))
		return 0;
	char query[128] = "";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (optname && strcmp(a, optname) == 0 && i + 1 < argc && qkey) {
			_cleanup_free_ char *e = wire_query_escape(argv[++i]);
			snprintf(query, sizeof(query), "?%s=%s", qkey, e ? e : "");
		} else if (qflag && (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0)) {
			snprintf(query + strlen(query), sizeof(query) - strlen(query), "%s%s=1", *query ? "&" : "?", qflag);
		} else if (qflag && strcmp(qflag, "force") == 0 && (strcmp(a, "-v") == 0 || strcmp(a, "--volumes") == 0)) {
			/* rm -v: the container's anonymous volumes go too */
			snprintf(query + strlen(query), sizeof(query) - strlen(query), "%sv=1", *query ? "&" : "?");
		} else if (optname && qkey && nd_str_has_prefix(a, "--") && strchr(a, '=')) {
			_cleanup_free_ char *e = wire_query_escape(strchr(a, '=') + 1);
			snprintf(query, sizeof(query), "?%s=%s", qkey, e ? e : "");
		} else if (qkey && (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0 || strcmp(a, "-s") == 0 ||
				    strcmp(a, "--signal") == 0) && i + 1 < argc) {
			_cleanup_free_ char *e = wire_query_escape(argv[++i]);
			snprintf(query, sizeof(query), "?%s=%s", qkey, e ? e : "");
		} else {
			return cli_usage_error(cli->prog, "unknown option \"%s\"", a);
		}
	}
	if (i >= argc)
		return cli_usage_error(cli->prog, "expects at least one container");
	int status = 0;
	for (; i < argc; i++) {
		_cleanup_free_ char *e = wire_query_escape(argv[i]);
		char path[1024];
		snprintf(path, sizeof(path), "/containers/%s%s%s", e ? e : "", suffix, query);
		struct nd_error err = { 0 };
		if (client_call(cli->client, method, path, NULL, NULL, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static int cmd_stop(struct cli *cli, int argc, char **argv)
{
	return each_with_opt(cli, argc, argv,
			     "Usage: netctl stop [-t SECONDS] CONTAINER...\n\n"
			     "Stop containers: SIGTERM, then SIGKILL after -t seconds (default 10).\n",
			     "POST", "/stop", "-t", "t", NULL);
}

static int cmd_restart(struct cli *cli, int argc, char **argv)
{
	return each_with_opt(cli, argc, argv, "Usage: netctl restart [-t SECONDS] CONTAINER...\n\nRestart containers.\n",
			     "POST", "/restart", "-t", "t", NULL);
}

static int cmd_kill(struct cli *cli, int argc, char **argv)
{
	return each_with_opt(cli, argc, argv,
			     "Usage: netctl kill [-s SIGNAL] CONTAINER...\n\nSend a signal (default KILL) to containers.\n",
			     "POST", "/kill", "-s", "signal", NULL);
}

static int cmd_rm(struct cli *cli, int argc, char **argv)
{
	return each_with_opt(cli, argc, argv,
			     "Usage: netctl rm [-f] [-v] CONTAINER...\n\nRemove containers (-f: kill running ones first; -v: and their anonymous volumes).\n",
			     "DELETE", "", NULL, NULL, "force");
}

static int cmd_wait(struct cli *cli, int argc, char **argv)
{
	if (want_help(argc, argv, "Usage: netctl wait CONTAINER...\n\nWait until containers stop; print their exit codes.\n"))
		return 0;
	if (argc < 2)
		return cli_usage_error(cli->prog, "expects at least one container");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *path = cli_path(cli, "/containers/%s/wait", argv[i]);
		struct nd_error err = { 0 };
		_cleanup_json_ json_t *resp = NULL;
		if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%lld\n", (long long)json_integer_value(json_object_get(resp, "StatusCode")));
	}
	return status;
}

static int cmd_inspect(struct cli *cli, int argc, char **argv)
{
	return cli_each_arg(cli, argc, argv, "Usage: netctl inspect CONTAINER...\n\nShow containers as JSON.\n", "GET",
			    "/containers/%s/json", true, false);
}

static int cmd_ps(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'f' }, { "no-trunc", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool all = false, quiet = false, notrunc = false;
	enum cli_format fmt = CLI_FMT_TABLE;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+aqh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'n': notrunc = true; break;
		case 'f':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\" (table or json)", optarg);
			break;
		case 'h':
			fputs("Usage: netctl ps [-a] [-q] [--no-trunc] [--format table|json]\n\n"
			      "List containers (running ones; -a: all).\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *list = NULL;
	if (client_call(cli->client, "GET", all ? "/containers/json?all=1" : "/containers/json", NULL, &list, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(list);
		return 0;
	}
	size_t i;
	json_t *x;
	if (quiet) {
		json_array_foreach(list, i, x)
			printf("%.*s\n", notrunc ? 64 : 12, nd_json_str(x, "Id"));
		return 0;
	}
	struct cli_table *t = cli_table_new(8, "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NETWORKS",
					    "NAMES");
	json_array_foreach(list, i, x) {
		char id[65], cmd[64], created[64], nets[256] = "";
		snprintf(id, sizeof(id), "%.*s", notrunc ? 64 : 12, nd_json_str(x, "Id"));
		const char *full = nd_json_str(x, "Command") ?: "";
		if (!notrunc && strlen(full) > 22)
			snprintf(cmd, sizeof(cmd), "\"%.19s...\"", full);
		else
			snprintf(cmd, sizeof(cmd), "\"%.60s\"", full);
		time_t t0 = (time_t)json_integer_value(json_object_get(x, "Created"));
		long ago = (long)(time(NULL) - t0);
		if (ago < 60)
			snprintf(created, sizeof(created), "%ld seconds ago", ago);
		else if (ago < 3600)
			snprintf(created, sizeof(created), "%ld minutes ago", ago / 60);
		else
			snprintf(created, sizeof(created), "%ld hours ago", ago / 3600);
		const char *k;
		json_t *n;
		json_object_foreach(json_object_get(json_object_get(x, "NetworkSettings"), "Networks"), k, n) {
			const char *ip = nd_json_str(n, "IPAddress");
			snprintf(nets + strlen(nets), sizeof(nets) - strlen(nets), "%s%s=%s", nets[0] ? " " : "", k,
				 ip ? ip : "");
		}
		if (!nets[0])
			snprintf(nets, sizeof(nets), "%s", nd_json_str(json_object_get(x, "HostConfig"), "NetworkMode") ?: "");
		const char *name = json_string_value(json_array_get(json_object_get(x, "Names"), 0)) ?: "/";
		char ports[512] = "";
		size_t pi;
		json_t *p;
		json_array_foreach(json_object_get(x, "Ports"), pi, p) {
			const char *hip = nd_json_str(p, "IP");
			json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
			size_t l = strlen(ports);
			if (hip && pub)   /* 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp */
				snprintf(ports + l, sizeof(ports) - l, "%s%s%s%s:%lld->%lld/%s", l ? ", " : "",
					 strchr(hip, ':') ? "[" : "", hip, strchr(hip, ':') ? "]" : "", (long long)pub,
					 (long long)json_integer_value(json_object_get(p, "PrivatePort")), nd_json_str(p, "Type") ?: "tcp");
			else
				snprintf(ports + l, sizeof(ports) - l, "%s%lld/%s", l ? ", " : "",
					 (long long)json_integer_value(json_object_get(p, "PrivatePort")), nd_json_str(p, "Type") ?: "tcp");
		}
		cli_table_row(t, id, nd_json_str(x, "Image"), cmd, created, nd_json_str(x, "Status"), ports, nets, name + 1);
	}
	cli_table_print(t);
	return 0;
}

/* netctl port CONTAINER [PORT[/proto]]: "80/tcp -> 0.0.0.0:8080" lines, as docker port */
static int cmd_port(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs("Usage: netctl port CONTAINER [PORT[/PROTO]]\n\nList the container's published ports.\n",
		      argc < 2 || argc > 3 ? stderr : stdout);
		return argc < 2 || argc > 3 ? 2 : 0;
	}
	struct nd_error err = { 0 };
	_cleanup_free_ char *path = cli_path(cli, "/containers/%s/json", argv[1]);
	_cleanup_json_ json_t *ctr = NULL;
	if (client_call(cli->client, "GET", path, NULL, &ctr, &err) < 0)
		return cli_fail(&err);
	char want[32] = "";
	if (argc == 3)
		snprintf(want, sizeof(want), "%s%s", argv[2], strchr(argv[2], '/') ? "" : "/tcp");
	json_t *ports = json_object_get(json_object_get(ctr, "NetworkSettings"), "Ports");
	const char **keys = calloc(json_object_size(ports) + 1, sizeof(*keys));
	size_t nk = 0;
	const char *k;
	json_t *v;
	json_object_foreach(ports, k, v)
		if (keys)
			keys[nk++] = k;
	/* by port number, then protocol */
	for (size_t i = 1; i < nk; i++)
		for (size_t j = i; j > 0 && (atoi(keys[j - 1]) > atoi(keys[j]) ||
					     (atoi(keys[j - 1]) == atoi(keys[j]) && strcmp(keys[j - 1], keys[j]) > 0)); j--) {
			const char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	bool found = false;
	for (size_t i = 0; i < nk; i++) {
		if (*want && strcmp(want, keys[i]) != 0)
			continue;
		size_t b;
		json_t *x;
		json_array_foreach(json_object_get(ports, keys[i]), b, x) {
			const char *hip = nd_json_str(x, "HostIp") ?: "";
			bool v6 = strchr(hip, ':');
			if (*want)
				printf("%s%s%s:%s\n", v6 ? "[" : "", hip, v6 ? "]" : "", nd_json_str(x, "HostPort") ?: "");
			else
				printf("%s -> %s%s%s:%s\n", keys[i], v6 ? "[" : "", hip, v6 ? "]" : "", nd_json_str(x, "HostPort") ?: "");
			found = true;
		}
	}
	free(keys);
	if (*want && !found) {
		fprintf(stderr, "Error: No public port '%s' published for %s\n", want, argv[1]);
		return 1;
	}
	return 0;
}

static int cmd_logs(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' }, { "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool follow = false, ts = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fth", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 't': ts = true; break;
		case 'h':
			fputs("Usage: netctl logs [-f] [-t] CONTAINER\n\n"
			      "Print a container's output (stdout to stdout, stderr to stderr); -f follows\n"
			      "until it exits, -t prefixes each line with its time.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cli->prog, "expects exactly one container");
	_cleanup_free_ char *e = wire_query_escape(argv[optind]);
	char path[512];
	snprintf(path, sizeof(path), "/containers/%s/logs?stdout=1&stderr=1&follow=%d&timestamps=%d", e ? e : "",
		 follow, ts);
	struct nd_error err = { 0 };
	struct raw r;
	if (raw_request(cli, "GET", path, NULL, &r, &err) < 0)
		return cli_fail(&err);
	if (r.status >= 400) {
		raw_error(&r, &err);
		raw_close(&r);
		return cli_fail(&err);
	}
	struct wire_stream_decoder m;
	wire_stream_decoder_init(&m);
	const char *p;
	ssize_t n;
	while ((n = raw_next(&r, &p)) > 0)
		demux_feed(&m, p, (size_t)n, r.tty_stream);
	raw_close(&r);
	return 0;
}

/* ---- exec, attach ----------------------------------------------------------------------------- */

static int cmd_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' }, { "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' }, { "user", required_argument, NULL, 'u' },
		{ "detach-keys", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *env = json_array();
	const char *wd = NULL, *user = NULL, *dkeys = NULL;
	bool interactive = false, tty = false, detach = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+itde:w:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': interactive = true; break;
		case 't': tty = true; break;
		case 'd': detach = true; break;
		case 'e': json_array_append_new(env, json_string(optarg)); break;
		case 'w': wd = optarg; break;
		case 'u': user = optarg; break;
		case 'k': dkeys = optarg; break;
		case 'h':
			fputs("Usage: netctl exec [-itd] [-e K=V] [-w DIR] [-u USER[:GROUP]] [--detach-keys KEYS]\n"
			      "                   CONTAINER COMMAND [ARG...]\n\n"
			      "Run a command in a running container, through netd's API (POST /containers/{id}/exec,\n"
			      "/exec/{id}/start): the process gets the container's namespaces, cgroup, user,\n"
			      "environment (plus -e), working directory (or -w), capabilities, no_new_privs and\n"
			      "seccomp profile.\n"
			      "  -i  relay our stdin (its end closes the process's stdin)\n"
			      "  -t  a terminal (raw mode here with -i; resized with ours)\n"
			      "  -d  start it and return at once\n"
			      "Exit code: the command's; 126/127 when it cannot run, as Docker.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(cli->prog, "expects a CONTAINER and a COMMAND");
	json_t *cmd = json_array();
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	_cleanup_json_ json_t *body = json_pack("{s:o, s:b, s:b, s:b, s:b, s:O}", "Cmd", cmd, "AttachStdin",
						 interactive && !detach, "AttachStdout", !detach, "AttachStderr", !detach,
						 "Tty", tty, "Env", env);
	if (wd)
		json_object_set_new(body, "WorkingDir", json_string(wd));
	if (user)
		json_object_set_new(body, "User", json_string(user));
	if (dkeys)
		json_object_set_new(body, "DetachKeys", json_string(dkeys));
	struct winsize ws;
	if (tty && ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		json_object_set_new(body, "ConsoleSize", json_pack("[i,i]", ws.ws_row, ws.ws_col));
	_cleanup_free_ char *path = cli_path(cli, "/containers/%s/exec", argv[optind]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", path, body, &resp, &err) < 0)
		return fail125(&err);
	char id[ND_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", nd_json_str(resp, "Id") ?: "");
	char p2[256];
	snprintf(p2, sizeof(p2), "/exec/%s/start", id);
	if (detach) {
		_cleanup_json_ json_t *sb = json_pack("{s:b, s:b}", "Detach", 1, "Tty", tty);
		if (client_call(cli->client, "POST", p2, sb, NULL, &err) < 0)
			return fail125(&err);
		return 0;
	}
	catch_signals();
	/* without a terminal, ^C ends us (Docker's exec forwards no signals) */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	struct cli_stream s;
	_cleanup_json_ json_t *sb = json_pack("{s:b, s:b}", "Detach", 0, "Tty", tty);
	if (cli_stream_open(cli->client, p2, sb, &s, &err) < 0)
		return fail125(&err);
	if (tty)
		resize_to_terminal(cli, "exec", id);
	struct attached at = { .cli = cli, .kind = "exec", .id = id, .tty = tty };
	cli_stream_relay(&s, &(struct cli_relay_opts){ .send_stdin = interactive, .raw_terminal = tty && interactive,
						       .tick = attached_tick, .ud = &at });
	cli_stream_close(&s);
	snprintf(p2, sizeof(p2), "/exec/%s/json", id);
	_cleanup_json_ json_t *xj = NULL;
	if (client_call(cli->client, "GET", p2, NULL, &xj, &err) < 0)
		return fail125(&err);
	json_t *ec = json_object_get(xj, "ExitCode");
	return json_is_integer(ec) ? (int)json_integer_value(ec) : 0;   /* null: detached, still running */
}

static int cmd_attach(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stdin", no_argument, NULL, 'n' }, { "detach-keys", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool no_stdin = false;
	const char *dkeys = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': no_stdin = true; break;
		case 'k': dkeys = optarg; break;
		case 'h':
			fputs("Usage: netctl attach [--no-stdin] [--detach-keys KEYS] CONTAINER\n\n"
			      "Attach our stdin, stdout and stderr to a running container (POST\n"
			      "/containers/{id}/attach): a terminal when it has one (ctrl-p,ctrl-q detaches),\n"
			      "stdin when it was created with -i. Exit code: the container's, once it exits.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cli->prog, "expects exactly one container");
	_cleanup_free_ char *jpath = cli_path(cli, "/containers/%s/json", argv[optind]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	if (client_call(cli->client, "GET", jpath, NULL, &doc, &err) < 0)
		return cli_fail(&err);
	if (!json_is_true(json_object_get(json_object_get(doc, "State"), "Running"))) {
		nd_error_set(&err, -EBUSY, "You cannot attach to a stopped container, start it first");
		return cli_fail(&err);
	}
	char id[ND_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", nd_json_str(doc, "Id") ?: "");
	const json_t *cfg = json_object_get(doc, "Config");
	bool tty = json_is_true(json_object_get(cfg, "Tty"));
	bool in = !no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
	_cleanup_free_ char *ek = dkeys ? wire_query_escape(dkeys) : NULL;
	char path[512];
	snprintf(path, sizeof(path), "/containers/%s/attach?stream=1&stdout=1&stderr=1&stdin=%d%s%s", id, in,
		 ek ? "&detachKeys=" : "", ek ? ek : "");
	catch_signals();
	struct cli_stream s;
	if (cli_stream_open(cli->client, path, NULL, &s, &err) < 0)
		return cli_fail(&err);
	if (tty)
		resize_to_terminal(cli, "containers", id);
	struct attached at = { .cli = cli, .kind = "containers", .id = id, .tty = tty, .forward = !tty };
	cli_stream_relay(&s, &(struct cli_relay_opts){ .send_stdin = in, .raw_terminal = tty && in,
						       .tick = attached_tick, .ud = &at });
	cli_stream_close(&s);
	/* the stream ends with the container (its exit shows a moment later)
	 * or when we detached (it goes on running) */
	for (int i = 0; i < 50; i++) {
		json_decref(doc);
		doc = NULL;
		if (client_call(cli->client, "GET", jpath, NULL, &doc, &err) < 0)
			return cli_fail(&err);
		const json_t *st = json_object_get(doc, "State");
		if (!json_is_true(json_object_get(st, "Running")))
			return (int)json_integer_value(json_object_get(st, "ExitCode"));
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

const struct cli_cmd cli_container_cmds[] = {
	{ "run", "Create and start a container", cmd_run, NULL },
	{ "create", "Create a container", cmd_create, NULL },
	{ "start", "Start containers", cmd_start, NULL },
	{ "stop", "Stop containers", cmd_stop, NULL },
	{ "kill", "Signal containers", cmd_kill, NULL },
	{ "restart", "Restart containers", cmd_restart, NULL },
	{ "rm", "Remove containers", cmd_rm, NULL },
	{ "wait", "Wait for containers to stop; print exit codes", cmd_wait, NULL },
	{ "ls", "List containers", cmd_ps, NULL },
	{ "ps", "List containers", cmd_ps, NULL },
	{ "logs", "Show a container's output", cmd_logs, NULL },
	{ "inspect", "Show containers in detail (JSON)", cmd_inspect, NULL },
	{ "exec", "Run a command in a running container", cmd_exec, NULL },
	{ "attach", "Attach to a running container's stdio", cmd_attach, NULL },
	{ "port", "List a container's published ports", cmd_port, NULL },
	{ "prune", "Remove stopped containers", cmd_container_prune, NULL },
	{ "pause", "Freeze containers", cmd_pause, NULL },
	{ "unpause", "Thaw paused containers", cmd_unpause, NULL },
	{ "rename", "Rename a container", cmd_rename, NULL },
	{ "update", "Change containers' limits and restart policy", cmd_update, NULL },
	{ "top", "List a container's processes", cmd_top, NULL },
	{ "diff", "List a container's file changes", cmd_diff, NULL },
	{ "stats", "Show containers' resource use", cmd_stats, NULL },
	{ NULL },
};

int cli_container_alias(struct cli *cli, int argc, char **argv)
{
	for (const struct cli_cmd *c = cli_container_cmds; c->name; c++)
		if (strcmp(c->name, argv[0]) == 0)
			return c->fn(cli, argc, argv);
	return 2;
}
