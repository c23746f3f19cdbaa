// SPDX-License-Identifier: Apache-2.0
/* Route matching and URL helpers of the HTTP server (pure, unit-tested). */
#include "netd/http/http.h"

void http_path_strip_version(char *path)
{
	char ver[16];
	http_path_take_version(path, ver, sizeof(ver));
}

void http_path_take_version(char *path, char *ver, size_t size)
{
	/* "/v1.43/networks" -> "/networks" */
	if (size)
		ver[0] = '\0';
	if (path[0] != '/' || path[1] != 'v' || !(path[2] >= '0' && path[2] <= '9'))
		return;
	size_t i = 2;
	while ((path[i] >= '0' && path[i] <= '9') || path[i] == '.')
		i++;
	if (path[i] != '/' && path[i] != '\0')
		return;
	if (i - 2 >= size)
		return;
	memcpy(ver, path + 2, i - 2);
	ver[i - 2] = '\0';
	memmove(path, path + i, strlen(path + i) + 1);
	if (path[0] == '\0') {
		path[0] = '/';
		path[1] = '\0';
	}
}

#define MAX_SEGS 32

static int split(const char *s, const char *segs[MAX_SEGS], size_t lens[MAX_SEGS])
{
	int n = 0;
	while (*s == '/')
		s++;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (n == MAX_SEGS)
			return -1;
		segs[n] = s;
		lens[n++] = l;
		s += l;
		while (*s == '/')
			s++;
	}
	return n;
}

static bool is_param(const char *seg, size_t len, bool *greedy)
{
	if (len < 3 || seg[0] != '{' || seg[len - 1] != '}')
		return false;
	*greedy = seg[len - 2] == '*';
	return true;
}

static void free_params(char *params[HTTP_MAX_PARAMS], int *n)
{
	for (int i = 0; i < *n; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	*n = 0;
}

static bool match_one(const char *pattern, const char *ps[], const size_t pl[], int np,
		      char *params[HTTP_MAX_PARAMS], int *nparams)
{
	const char *ts[MAX_SEGS];
	size_t tl[MAX_SEGS];
	int nt = split(pattern, ts, tl);
	int greedy_at = -1;
	for (int i = 0; i < nt; i++) {
		bool g = false;
		if (is_param(ts[i], tl[i], &g) && g)
			greedy_at = i;
	}
	if (greedy_at < 0 ? nt != np : np < nt)
		return false;

	*nparams = 0;
	for (int i = 0, j = 0; i < nt; i++) {
		bool g = false;
		if (is_param(ts[i], tl[i], &g)) {
			if (*nparams == HTTP_MAX_PARAMS)
				goto nomatch;
			if (g) {
				/* spans path segments j .. j + (np - nt) */
				int last = j + (np - nt);
				const char *start = ps[j];
				size_t len = (size_t)(ps[last] + pl[last] - start);
				params[(*nparams)++] = wire_query_unescape(start, len, false);
				j = last + 1;
			} else {
				params[(*nparams)++] = wire_query_unescape(ps[j], pl[j], false);
				j++;
			}
			if (!params[*nparams - 1])
				goto nomatch;
		} else {
			if (tl[i] != pl[j] || memcmp(ts[i], ps[j], pl[j]) != 0)
				goto nomatch;
			j++;
		}
	}
	return true;
nomatch:
	free_params(params, nparams);
	return false;
}

int http_route_match(const struct http_route *routes, size_t n, const char *method,
		     const char *path, const struct http_route **out,
		     char *params[HTTP_MAX_PARAMS], int *nparams)
{
	const char *ps[MAX_SEGS];
	size_t pl[MAX_SEGS];
	int np = split(path, ps, pl);
	bool path_known = false;
	*nparams = 0;
	if (np < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!match_one(routes[i].pattern, ps, pl, np, params, nparams))
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*out = &routes[i];
			return 0;
		}
		path_known = true;
		free_params(params, nparams);
	}
	return path_known ? -EOPNOTSUPP : -ENOENT;
}
