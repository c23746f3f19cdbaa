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

void cli_print_json(const json_t *j);

/* Aligned human tables. */
struct cli_table;
struct cli_table *cli_table_new(int ncols, ...);            /* header names */
void cli_table_row(struct cli_table *t, ...);               /* ncols strings */
void cli_table_print(struct cli_table *t);                  /* prints and frees */

/* A dynamically built request path with escaped segments. */
char *cli_path(struct cli *cli, const char *fmt, const char *arg);

int cmd_commit(struct cli *cli, int argc, char **argv);

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
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);

/* cmd_ops.c: container operations */
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_unpause(struct cli *cli, int argc, char **argv);
int cmd_rename(struct cli *cli, int argc, char **argv);
int cmd_update(struct cli *cli, int argc, char **argv);
int cmd_top(struct cli *cli, int argc, char **argv);
int cmd_diff(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_container_prune(struct cli *cli, int argc, char **argv);
