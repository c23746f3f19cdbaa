// SPDX-License-Identifier: Apache-2.0
/* Typed access to JSON objects, with errors that name the key. */
#include "common/common.h"

int nd_json_get_str(const json_t *obj, const char *key, const char **out, bool required, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return nd_error_set(err, -EINVAL, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	if (required && !**out)
		return nd_error_set(err, -EINVAL, "\"%s\" must not be empty", key);
	return 0;
}

int nd_json_get_bool(const json_t *obj, const char *key, bool *out, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int nd_json_get_strmap(const json_t *obj, const char *key, json_t **out, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = json_object();
		return 0;
	}
	if (!json_is_object(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be an object of strings", key);
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "\"%s\": value of \"%s\" must be a string", key, k);
	}
	*out = json_deep_copy(v);
	return 0;
}

