// SPDX-License-Identifier: Apache-2.0
/* Nothing a user asked for is silently dropped. Docker's clients send every
 * field they know, most at their zero value; netd decodes the fields it
 * honours, and any other field that is actually set is refused with 400
 * naming it (its path in the body and the value). Unknown fields from newer
 * clients pass while they stay at their zero value. */
#include "netd/api/api.h"

bool api_json_zeroish(const json_t *v)
{
	if (!v)
		return true;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return true;
	case JSON_TRUE:
		return false;
	case JSON_INTEGER:
		return json_integer_value(v) == 0;
	case JSON_REAL:
		return json_real_value(v) == 0.0;
	case JSON_STRING:
		return json_string_length(v) == 0;
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			if (!api_json_zeroish(x))
				return false;
		return true;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
			if (!api_json_zeroish(x))
				return false;
		return true;
	}
	}
	return false;
}

static bool listed(const char *const *names, const char *k)
{
	for (size_t i = 0; names && names[i]; i++)
		if (strcmp(names[i], k) == 0)
			return true;
	return false;
}

int api_refuse_unhonoured(const json_t *obj, const char *where, const char *const *honoured,
			  const struct api_default *defaults, struct nd_error *err)
{
	if (!json_is_object(obj))
		return 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		if (listed(honoured, k) || api_json_zeroish(v))
			continue;
		bool fine = false;
		for (size_t i = 0; defaults && defaults[i].name; i++)
			if (strcmp(defaults[i].name, k) == 0 && defaults[i].is_default(v))
				fine = true;
		if (fine)
			continue;
		_cleanup_free_ char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		return nd_error_set(err, -EINVAL, "%s%s%s=%.200s is not supported by netd; remove it (nothing is ignored "
				    "silently)", where ? where : "", where && *where ? "." : "", k, text ? text : "?");
	}
	return 0;
}
