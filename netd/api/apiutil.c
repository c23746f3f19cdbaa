// SPDX-License-Identifier: Apache-2.0
/* Typed access to request bodies and Docker-style ?filters=. */
#include "netd/api/api.h"

/* ?filters={"name":["a"],"label":{"x=y":true}} -> {"name":["a"],"label":["x=y"]} */
int api_filters(struct http_req *req, const char *const *allowed, json_t **out, struct nd_error *err)
{
	_cleanup_free_ char *raw = http_req_query(req, "filters");
	*out = json_object();
	if (!raw || !*raw)
		return 0;
	_cleanup_json_ json_t *f = nd_json_parse(raw, strlen(raw), err);
	if (!f)
		return nd_error_wrap(err, "invalid filters");
	if (!json_is_object(f))
		return nd_error_set(err, -EINVAL, "invalid filters: must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach(f, k, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			ok |= strcmp(allowed[i], k) == 0;
		if (!ok)
			return nd_error_set(err, -EINVAL, "invalid filter '%s'", k);
		json_t *vals = json_array();
		if (json_is_array(v)) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				if (json_is_string(x))
					json_array_append(vals, x);
			}
		} else if (json_is_object(v)) {
			const char *kk;
			json_t *x;
			json_object_foreach(v, kk, x) {
				if (json_is_true(x))
					json_array_append_new(vals, json_string(kk));
			}
		} else {
			json_decref(vals);
			return nd_error_set(err, -EINVAL, "invalid filter '%s': values must be a list", k);
		}
		json_object_set_new(*out, k, vals);
	}
	return 0;
}

/* Does doc's Labels match a "key" or "key=value" label filter? */
bool api_labels_match(const json_t *labels, const char *spec)
{
	const char *eq = strchr(spec, '=');
	_cleanup_free_ char *key = eq ? strndup(spec, (size_t)(eq - spec)) : strdup(spec);
	json_t *v = json_object_get(labels, key ? key : "");
	if (!v)
		return false;
	return !eq || (json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0);
}

/* Every filter key must be satisfied by at least one of its values. */
bool api_filter_any(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data)
{
	json_t *vals = json_object_get(filters, key);
	if (!vals || json_array_size(vals) == 0)
		return true;
	size_t i;
	json_t *x;
	json_array_foreach(vals, i, x) {
		if (pred(json_string_value(x), data))
			return true;
	}
	return false;
}

int api_query_dim(struct http_req *req, const char *k, unsigned short *out)
{
	_cleanup_free_ char *v = http_req_query(req, k);
	char *end;
	if (!v || !*v)
		return -EINVAL;
	unsigned long n = strtoul(v, &end, 10);
	if (*end || n > 65535)
		return -EINVAL;
	*out = (unsigned short)n;
	return 0;
}

bool api_filter_all(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(filters, key), i, x) {
		if (!pred(json_string_value(x), data))
			return false;
	}
	return true;
}

/* Docker's timestamps (GetTimestamp): unix seconds with an optional
 * fraction, a Go duration before now ("10m", "1h30m"), or RFC 3339 (date,
 * date and time, with Z or an offset). */
int api_parse_time(const char *s, time_t *out, long *nsec)
{
	if (nsec)
		*nsec = 0;
	if (!s || !*s)
		return -EINVAL;
	char *end;
	if (strspn(s, "0123456789.") == strlen(s)) {
		long long sec = strtoll(s, &end, 10);
		if (end == s)
			return -EINVAL;
		if (*end == '.' && nsec) {
			char frac[10] = "000000000";
			size_t fl = strspn(end + 1, "0123456789");
			memcpy(frac, end + 1, fl > 9 ? 9 : fl);
			*nsec = strtol(frac, NULL, 10);
		}
		*out = (time_t)sec;
		return 0;
	}
	/* a duration: numbers with units h, m, s, ms */
	double total = 0;
	const char *p = s;
	bool dur = true;
	while (*p) {
		double v = strtod(p, &end);
		if (end == p) {
			dur = false;
			break;
		}
		p = end;
		if (!strncmp(p, "ms", 2)) {
			total += v / 1000;
			p += 2;
		} else if (*p == 'h') {
			total += v * 3600, p++;
		} else if (*p == 'm') {
			total += v * 60, p++;
		} else if (*p == 's') {
			total += v, p++;
		} else {
			dur = false;
			break;
		}
	}
	if (dur) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		double t = (double)now.tv_sec + now.tv_nsec / 1e9 - total;
		*out = (time_t)t;
		if (nsec)
			*nsec = (long)((t - (double)*out) * 1e9);
		return 0;
	}
	struct tm tm = { 0 };
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y-%m-%d", &tm);
		if (!rest)
			return -EINVAL;
	}
	if (*rest == '.') {
		size_t fl = strspn(rest + 1, "0123456789");
		if (nsec) {
			char frac[10] = "000000000";
			memcpy(frac, rest + 1, fl > 9 ? 9 : fl);
			*nsec = strtol(frac, NULL, 10);
		}
		rest += 1 + fl;
	}
	time_t t = timegm(&tm);
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if (*rest == '+' || *rest == '-') {
		int hh = 0, mm = 0;
		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) < 1)
			return -EINVAL;
		long off = hh * 3600L + mm * 60L;
		t -= *rest == '+' ? off : -off;
		rest += strlen(rest);
	} else if (*rest == '\0') {
		t = mktime(&tm);   /* no zone: local time, as Docker */
	}
	if (*rest)
		return -EINVAL;
	*out = t;
	return 0;
}
