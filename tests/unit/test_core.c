/* netd/core: the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/core/store.h"

#include <unistd.h>

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
		cmocka_unit_test_setup_teardown(test_store_objects, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_tx_rollback, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_reopen_keeps_data, setup_store, teardown_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
