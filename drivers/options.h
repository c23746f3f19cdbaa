// SPDX-License-Identifier: Apache-2.0
/* drivers: what the drivers' option parsers share (options.c). Pure, no
 * kernel. A network's driver options are a JSON object of strings. */
#pragma once

#include "common/common.h"

/* fn(key, value, ctx, err) for every option (none when options is NULL);
 * the first one that fails stops it and is returned. Options that are not
 * an object, or a value that is not a string, are refused. */
typedef int (*nd_drv_opt_fn)(const char *key, const char *v, void *ctx, struct nd_error *err);
int nd_drv_opts_foreach(const json_t *options, nd_drv_opt_fn fn, void *ctx, struct nd_error *err);

/* "true" or "false" */
int nd_drv_opt_bool(const char *key, const char *v, bool *out, struct nd_error *err);

/* A decimal number in lo..hi; what names it in the error ("MTU", "value"). */
int nd_drv_opt_long(const char *key, const char *v, const char *what, long lo, long hi, long *out,
		    struct nd_error *err);
