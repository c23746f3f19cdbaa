// SPDX-License-Identifier: Apache-2.0
/* netd/http: routing and URL helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/http/http.h"
#include "wire/wire.h"

static void h(struct http_req *req, void *ctx) {}

static const struct http_route routes[] = {
	{ "GET", "/networks", h, 0 },
	{ "GET", "/networks/{id}", h, 0 },
	{ "DELETE", "/networks/{id}", h, 0 },
	{ "POST", "/networks/{id}/connect", h, 0 },
	{ "GET", "/images/{name*}/json", h, 0 },
};

static void free_params(char **p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i]);
}

static void test_route_match(void **state)
{
	const struct http_route *r;
	char *p[HTTP_MAX_PARAMS];
	int n;
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET", "/networks", &r, p, &n), 0);
	assert_ptr_equal(r, &routes[0]);
	assert_int_equal(n, 0);

	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "DELETE", "/networks/web", &r, p, &n), 0);
	assert_ptr_equal(r, &routes[2]);
	assert_int_equal(n, 1);
	assert_string_equal(p[0], "web");
	free_params(p, n);

	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "POST", "/networks/a%20b/connect", &r, p, &n), 0);
	assert_string_equal(p[0], "a b");
	free_params(p, n);

	/* greedy: image names have slashes */
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET",
					  "/images/docker.io/library/busybox:latest/json", &r, p, &n), 0);
	assert_string_equal(p[0], "docker.io/library/busybox:latest");
	free_params(p, n);
}

static void test_route_miss(void **state)
{
	const struct http_route *r;
	char *p[HTTP_MAX_PARAMS];
	int n;
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET", "/nope", &r, p, &n), -ENOENT);
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "PUT", "/networks/x", &r, p, &n), -EOPNOTSUPP);
	assert_int_equal(n, 0);
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET", "/networks/x/y/z", &r, p, &n), -ENOENT);
	/* HEAD falls back to GET */
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "HEAD", "/networks", &r, p, &n), 0);
	/* bad escapes never match */
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET", "/networks/%zz", &r, p, &n), -ENOENT);
	assert_int_equal(http_route_match(routes, ARRAY_SIZE(routes), "GET", "/networks/%00", &r, p, &n), -ENOENT);
}

static void test_version_prefix(void **state)
{
	char a[] = "/v" WIRE_API_VERSION "/networks";
	http_path_strip_version(a);
	assert_string_equal(a, "/networks");
	char b[] = "/volumes";
	http_path_strip_version(b);
	assert_string_equal(b, "/volumes");
	char c[] = "/v1.41";
	http_path_strip_version(c);
	assert_string_equal(c, "/");
	char d[] = "/v1x/networks";
	http_path_strip_version(d);
	assert_string_equal(d, "/v1x/networks");
	char ver[16];
	char e[] = "/v1.24/containers/json";
	http_path_take_version(e, ver, sizeof(ver));
	assert_string_equal(e, "/containers/json");
	assert_string_equal(ver, "1.24");
	char f[] = "/containers/json";
	http_path_take_version(f, ver, sizeof(ver));
	assert_string_equal(ver, "");
	char g[] = "/v1.00000000000000000000001/x";   /* too long: left alone */
	http_path_take_version(g, ver, sizeof(ver));
	assert_string_equal(ver, "");
	assert_string_equal(g, "/v1.00000000000000000000001/x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_route_miss),
		cmocka_unit_test(test_version_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
