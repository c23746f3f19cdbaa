/* Flags and the config file. Flags win over the file; the file wins over
 * defaults. Unknown keys in the file are an error, not silently ignored. */
#include "netd/daemon.h"

#include <getopt.h>

void netd_usage(FILE *out)
{
	fputs("Usage: netd [OPTIONS]\n"
	      "\n"
	      "The netd daemon: networks, sandboxes, endpoints and containers, served\n"
	      "over a REST API on a unix socket (see netctl).\n"
	      "\n"
	      "Options:\n"
	      "  --root DIR         persistent state (default /var/lib/netd)\n"
	      "  --exec-root DIR    runtime state: netns mounts, pid files (default /run/netd)\n"
	      "  --socket PATH      API socket, mode 0660 (default /run/netd/netd.sock)\n"
	      "  --log-level LEVEL  error, warn, info or debug (default info)\n"
	      "  --config FILE      JSON config file (keys as the long flags, plus\n"
	      "                     \"default-address-pools\": [{\"base\": CIDR, \"size\": N}])\n"
	      "  --cleanup          remove everything this netd made on the host, print one\n"
	      "                     line per thing removed, and exit: its containers (killed,\n"
	      "                     cgroups, rootfs mounts and records removed), sandboxes'\n"
	      "                     network namespaces, endpoints' veths, networks' bridges,\n"
	      "                     the nft table inet netd and netd's rules in other tables,\n"
	      "                     its eBPF pins and links, its cgroup parents, the exec\n"
	      "                     root. Give the same --root/--exec-root/--config as the\n"
	      "                     netd; run it in that netd's network namespace. Network\n"
	      "                     definitions and images stay in --root: a later netd\n"
	      "                     re-creates the bridges, as after a reboot. Refused while\n"
	      "                     a netd runs on that root; a second run removes nothing.\n"
	      "  -h, --help         this help\n"
	      "  -v, --version      print the version\n",
	      out);
}

static const char *const file_keys[] = {
	"root", "exec-root", "socket", "log-level", "default-address-pools",
	"storage-driver", "bpf-cgroup", "bpf-pin-path", "userland-proxy", NULL,
};

static int load_file(struct netd_config *cfg, const char *path, struct nd_error *err)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return nd_error_set(err, -EINVAL, "config %s: line %d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return nd_error_set(err, -EINVAL, "config %s: must be a JSON object", path);
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		bool known = false;
		for (size_t i = 0; file_keys[i]; i++)
			known |= strcmp(key, file_keys[i]) == 0;
		if (!known) {
			nd_error_set(err, -EINVAL, "config %s: unknown key \"%s\"", path, key);
			json_decref(j);
			return err->code;
		}
	}
	json_decref(cfg->file);
	cfg->file = j;
	return 0;
}

static int take_str(char **dst, const json_t *file, const char *key, const char *dflt,
		    struct nd_error *err)
{
	if (*dst)
		return 0;
	json_t *v = json_object_get(file, key);
	if (v && !json_is_string(v))
		return nd_error_set(err, -EINVAL, "config: \"%s\" must be a string", key);
	*dst = strdup(v ? json_string_value(v) : dflt);
	return *dst ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

int netd_config_parse(struct netd_config *cfg, int argc, char **argv, struct nd_error *err)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "exec-root", required_argument, NULL, 'e' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "config", required_argument, NULL, 'c' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	_cleanup_free_ char *level = NULL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->file = json_object();
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		char **dst = NULL;
		switch (c) {
		case 'r': dst = &cfg->root; break;
		case 'e': dst = &cfg->exec_root; break;
		case 's': dst = &cfg->socket; break;
		case 'c': dst = &cfg->config_file; break;
		case 'l': dst = &level; break;
		case 'C': cfg->cleanup = true; continue;
		case 'h': netd_usage(stdout); exit(0);
		case 'v': printf("netd version %s\n", NETD_VERSION); exit(0);
		default:
			return nd_error_set(err, -EINVAL, "unknown or incomplete option \"%s\" (see netd --help)",
					    argv[optind - 1]);
		}
		free(*dst);
		*dst = strdup(optarg);
	}
	if (optind < argc)
		return nd_error_set(err, -EINVAL, "unexpected argument \"%s\" (see netd --help)", argv[optind]);
	int rc;
	if (cfg->config_file && (rc = load_file(cfg, cfg->config_file, err)) < 0)
		return rc;
	if ((rc = take_str(&cfg->root, cfg->file, "root", "/var/lib/netd", err)) < 0 ||
	    (rc = take_str(&cfg->exec_root, cfg->file, "exec-root", "/run/netd", err)) < 0 ||
	    (rc = take_str(&level, cfg->file, "log-level", "info", err)) < 0)
		return rc;
	if (!cfg->socket && !json_object_get(cfg->file, "socket")) {
		if (asprintf(&cfg->socket, "%s/netd.sock", cfg->exec_root) < 0)
			return nd_error_set(err, -ENOMEM, "out of memory");
	} else if ((rc = take_str(&cfg->socket, cfg->file, "socket", NULL, err)) < 0) {
		return rc;
	}
	if (nd_log_parse_level(level, &cfg->log_level) < 0)
		return nd_error_set(err, -EINVAL, "invalid log level \"%s\": use error, warn, info or debug", level);
	if (cfg->root[0] != '/' || cfg->exec_root[0] != '/')
		return nd_error_set(err, -EINVAL, "--root and --exec-root must be absolute paths");
	return 0;
}

void netd_config_free(struct netd_config *cfg)
{
	free(cfg->root);
	free(cfg->exec_root);
	free(cfg->socket);
	free(cfg->config_file);
	json_decref(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}
