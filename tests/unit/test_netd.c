/* netd core: routing, URL helpers, the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/http.h"
#include "netd/store.h"
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
}

static char dbdir[64];
static char dbpath[4200];

static int setup_store(void **state)
{
	snprintf(dbdir, sizeof(dbdir), "/tmp/netd-unit-XXXXXX");
	if (!mkdtemp(dbdir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/netd.db", dbdir);
	struct store *st;
	struct nd_error err = { 0 };
	if (store_open(dbpath, &st, &err) < 0)
		return -1;
	*state = st;
	return 0;
}

static int teardown_store(void **state)
{
	store_close(*state);
	char p[4300];
	const char *sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	rmdir(dbdir);
	return 0;
}

static void test_store_objects(void **state)
{
	struct store *st = *state;
	struct nd_error err = { 0 };
	char id[ND_ID_LEN + 1], id2[ND_ID_LEN + 1], got[ND_ID_LEN + 1];
	nd_id_new(id);
	nd_id_new(id2);
	json_t *doc = json_pack("{s:s, s:s}", "Id", id, "Name", "web");
	struct store_obj_ref ref = { .kind = "network", .id = id, .name = "web" };
	assert_int_equal(store_obj_put(st, &ref, doc, &err), 0);

	/* the same name for another object of the kind is a conflict */
	struct store_obj_ref ref2 = { .kind = "network", .id = id2, .name = "web" };
	assert_int_equal(store_obj_put(st, &ref2, doc, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already in use"));
	/* ...but fine for another kind */
	struct store_obj_ref ref3 = { .kind = "sandbox", .id = id2, .name = "web" };
	assert_int_equal(store_obj_put(st, &ref3, doc, &err), 0);
	json_decref(doc);

	json_t *out = NULL;
	assert_int_equal(store_obj_lookup(st, "network", "web", got, &out, &err), 0);
	assert_string_equal(got, id);
	assert_string_equal(nd_json_str(out, "Name"), "web");
	json_decref(out);

	char prefix[13];
	memcpy(prefix, id, 12);
	prefix[12] = 0;
	assert_int_equal(store_obj_lookup(st, "network", prefix, got, NULL, &err), 0);
	assert_string_equal(got, id);
	prefix[11] = 0; /* too short to be a prefix, not a name either */
	assert_int_equal(store_obj_lookup(st, "network", prefix, got, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no such network"));
}

static void test_store_tx_rollback(void **state)
{
	struct store *st = *state;
	struct nd_error err = { 0 };
	char id[ND_ID_LEN + 1];
	nd_id_new(id);
	json_t *doc = json_object();
	struct store_obj_ref ref = { .kind = "endpoint", .id = id, .parent = "net1", .owner = "sb1" };
	assert_int_equal(store_tx_begin(st, &err), 0);
	assert_int_equal(store_obj_put(st, &ref, doc, &err), 0);
	assert_int_equal(store_addr_claim(st, "pool1", "10.0.0.2", id, &err), 0);
	store_tx_rollback(st);
	assert_int_equal(store_obj_get(st, "endpoint", id, NULL, &err), -ENOENT);
	/* the address came back with the rollback */
	assert_int_equal(store_addr_claim(st, "pool1", "10.0.0.2", id, &err), 0);
	assert_int_equal(store_addr_claim(st, "pool1", "10.0.0.2", "other", &err), -EADDRINUSE);
	assert_int_equal(store_addr_release_owner(st, id, &err), 0);
	assert_int_equal(store_addr_claim(st, "pool1", "10.0.0.2", "other", &err), 0);

	assert_int_equal(store_obj_put(st, &ref, doc, &err), 0);
	json_t *list = NULL;
	assert_int_equal(store_obj_list(st, "endpoint", "net1", NULL, &list, &err), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(store_obj_list(st, "endpoint", "net2", NULL, &list, &err), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	json_decref(doc);
	assert_int_equal(store_schema_version(st), 1);
}

static void test_store_reopen_keeps_data(void **state)
{
	struct store *st = *state;
	struct nd_error err = { 0 };
	assert_int_equal(store_meta_set(st, "k", "v", &err), 0);
	store_close(st);
	assert_int_equal(store_open(dbpath, &st, &err), 0);
	*state = st;
	char *v = NULL;
	assert_int_equal(store_meta_get(st, "k", &v, &err), 0);
	assert_string_equal(v, "v");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_route_miss),
		cmocka_unit_test(test_version_prefix),
		cmocka_unit_test_setup_teardown(test_store_objects, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_tx_rollback, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_reopen_keeps_data, setup_store, teardown_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
