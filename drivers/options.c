// SPDX-License-Identifier: Apache-2.0
/* drivers: what the drivers' option parsers share. Pure, no kernel,
 * unit-tested through each driver's parser in tests/unit/test_drivers.c. */
#include "drivers/options.h"

#include <ctype.h>

int nd_drv_opts_foreach(const json_t *options, nd_drv_opt_fn fn, void *ctx, struct nd_error *err)
{
	if (!options)
		return 0;
	if (!json_is_object(options))
		return nd_error_set(err, -EINVAL, "driver options must be an object of strings");
	const char *key;
	json_t *jv;
	json_object_foreach((json_t *)options, key, jv) {
		if (!json_is_string(jv))
			return nd_error_set(err, -EINVAL, "option %s: value must be a string", key);
		int r = fn(key, json_string_value(jv), ctx, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int nd_drv_opt_bool(const char *key, const char *v, bool *out, struct nd_error *err)
{
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return nd_error_set(err, -EINVAL, "option %s: invalid boolean \"%s\" (want true or false)", key, v);
	return 0;
}

int nd_drv_opt_long(const char *key, const char *v, const char *what, long lo, long hi, long *out,
		    struct nd_error *err)
{
	char *end = NULL;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (!*v || *end || errno || !isdigit((unsigned char)v[0]) || x < lo || x > hi)
		return nd_error_set(err, -EINVAL, "option %s: invalid %s \"%s\" (%ld..%ld)", key, what, v, lo, hi);
	*out = x;
	return 0;
}
