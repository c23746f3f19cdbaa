// SPDX-License-Identifier: Apache-2.0
/* netctl internals: command table, option helpers, output. */
#pragma once

#include "cli/client.h"
#include "common/common.h"
#include "wire/wire.h"

#include <getopt.h>

enum cli_format { CLI_FMT_TABLE, CLI_FMT_JSON };

struct cli {
	struct client *client;
	const char *prog;          /* "netctl network create" for messages */
	const struct client_opts *opts; /* the global options (-H, TLS), for commands that open more clients */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const struct cli_cmd *sub;   /* subcommands (NULL-name terminated) */
};

/* One clear line on stderr; returns the exit status to use (1, or 2 for usage). */
int cli_fail(const struct nd_error *err);
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_format(const char *s, enum cli_format *out);

/* cmd_security.c: create/run's security options into HostConfig.
 * cli_security_opt: 0 taken, -ENOENT not one of them, else an exit status. */
enum {
	CLI_O_PRIVILEGED = 1500, CLI_O_CAP_ADD, CLI_O_CAP_DROP, CLI_O_SECURITY_OPT, CLI_O_DEVICE, CLI_O_GROUP_ADD,
	CLI_O_ULIMIT, CLI_O_SYSCTL,
};
#define CLI_SECURITY_OPTIONS                                                                                   \
	{ "privileged", no_argument, NULL, CLI_O_PRIVILEGED }, { "cap-add", required_argument, NULL, CLI_O_CAP_ADD }, \
	{ "cap-drop", required_argument, NULL, CLI_O_CAP_DROP },                                                  \
	{ "security-opt", required_argument, NULL, CLI_O_SECURITY_OPT },                                          \
	{ "device", required_argument, NULL, CLI_O_DEVICE }, { "group-add", required_argument, NULL, CLI_O_GROUP_ADD }, \
	{ "ulimit", required_argument, NULL, CLI_O_ULIMIT }, { "sysctl", required_argument, NULL, CLI_O_SYSCTL }
extern const char cli_security_help[];
int cli_security_opt(struct cli *cli, int c, const char *arg, json_t *hc);

void cli_print_json(const json_t *j);

/* Aligned human tables. */
struct cli_table;
struct cli_table *cli_table_new(int ncols, ...);            /* header names */
void cli_table_row(struct cli_table *t, ...);               /* ncols strings */
void cli_table_print(struct cli_table *t);                  /* prints and frees */

/* A dynamically built request path with escaped segments. */
char *cli_path(struct cli *cli, const char *fmt, const char *arg);

int cmd_commit(struct cli *cli, int argc, char **argv);

/* cmd_registry.c */
int cmd_pull(struct cli *cli, int argc, char **argv);
int cmd_push(struct cli *cli, int argc, char **argv);
int cmd_login(struct cli *cli, int argc, char **argv);
int cmd_logout(struct cli *cli, int argc, char **argv);
/* `run`/`create` of an image netd does not have: pull it (progress on stderr) */
int cli_pull_missing(struct cli *cli, const char *image, struct nd_error *err);

/* command groups */
extern const struct cli_cmd cli_network_cmds[];
extern const struct cli_cmd cli_sandbox_cmds[];
extern const struct cli_cmd cli_container_cmds[];
/* `netctl run ...` etc.: the container command named by argv[0] */
int cli_container_alias(struct cli *cli, int argc, char **argv);
extern const struct cli_cmd cli_image_cmds[]; int cmd_images(struct cli *cli, int argc, char **argv);
int cli_list_opts(struct cli *cli, int argc, char **argv, const char *help, enum cli_format *fmt,
		  bool *quiet);
int cli_each_arg(struct cli *cli, int argc, char **argv, const char *help, const char *method,
		 const char *fmt, bool print_json, bool print_name);
extern const struct cli_cmd cli_system_cmds[];
/* cmd_volume.c: netctl volume ..., and run/create's -v, --mount, --tmpfs,
 * --read-only, --volumes-from (opt is the long name) into the create body */
extern const struct cli_cmd cli_volume_cmds[];
int cli_mount_option(json_t *body, const char *opt, const char *arg, struct nd_error *err);
extern const struct cli_cmd cli_tls_cmds[];
int cmd_version(struct cli *cli, int argc, char **argv);
/* cmd_explain.c */
int cmd_explain(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
/* cmd_topology.c, cli/ui/ui.c: the picture of the networks, and its live web view */
int cmd_topology(struct cli *cli, int argc, char **argv);
int cmd_ui(struct cli *cli, int argc, char **argv);
/* The command line of topology and ui: -H URL (repeatable, into hosts), -h
 * (prints help), and the command's own options, each handed to
 * opt(cli, c, optarg, ctx), which returns -1 to go on or an exit status.
 * Returns -1 when the command goes on, else the exit status (0 after -h). */
struct cli_topo_hosts {
	char *v[64];
	size_t n;
};
typedef int (*cli_topo_opt)(struct cli *cli, int c, char *arg, void *ctx);
int cli_topo_args(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
		  const char *help, cli_topo_opt opt, void *ctx, struct cli_topo_hosts *hosts);

/* cmd_ops.c: container operations */
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_unpause(struct cli *cli, int argc, char **argv);
int cmd_rename(struct cli *cli, int argc, char **argv);
int cmd_update(struct cli *cli, int argc, char **argv);
int cmd_top(struct cli *cli, int argc, char **argv);
int cmd_diff(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_container_prune(struct cli *cli, int argc, char **argv);
