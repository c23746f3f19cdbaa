// SPDX-License-Identifier: Apache-2.0
/* netd/core: the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/core/daemon.h"
#include "netd/core/events.h"
#include "netd/core/records.h"
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


#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"

/* records: decode -> encode -> decode gives the same record; bad shapes name the key */
static void test_network_rec_roundtrip(void **state)
{
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:[{s:s, s:s, s:{s:s}}]},"
					     " s:{s:s}, s:{}, s:{s:s}, s:{}, s:b, s:s}",
		"Id", ID1, "Name", "web", "Created", "2026-01-01T00:00:00Z", "Driver", "bridge", "Scope", "local",
		"EnableIPv6", 0, "Internal", 1, "IPAM", "Config", "Subnet", "10.1.0.0/24", "Gateway", "10.1.0.1",
		"AuxiliaryAddresses", "r", "10.1.0.9", "Options", "k", "v", "Labels", "DriverData", "bridge", "br-x",
		"Cursors", "Builtin", 0, "Unknown", "kept out");
	struct nd_network_rec r, r2;
	assert_int_equal(nd_network_rec_from_json(j, &r, &err), 0);
	assert_string_equal(r.name, "web");
	assert_true(r.internal);
	assert_int_equal(r.nipam, 1);
	assert_string_equal(r.ipam[0].gateway, "10.1.0.1");
	assert_string_equal(nd_json_str(r.driver_data, "bridge"), "br-x");
	_cleanup_json_ json_t *back = nd_network_rec_to_json(&r);
	assert_int_equal(nd_network_rec_from_json(back, &r2, &err), 0);
	assert_string_equal(r2.ipam[0].subnet, "10.1.0.0/24");
	assert_string_equal(nd_json_str(r2.ipam[0].aux, "r"), "10.1.0.9");
	assert_string_equal(nd_json_str(r2.options, "k"), "v");
	nd_network_rec_clear(&r);
	nd_network_rec_clear(&r2);

	/* strict: a wrong type names the key; no valid Id is refused */
	json_object_set_new(j, "Internal", json_string("yes"));
	assert_int_equal(nd_network_rec_from_json(j, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"Internal\""));
	json_object_set_new(j, "Internal", json_true());
	json_object_set_new(j, "Id", json_string("short"));
	assert_int_equal(nd_network_rec_from_json(j, &r, &err), -EINVAL);
}

static void test_endpoint_sandbox_rec_roundtrip(void **state)
{
	struct nd_error err = { 0 };
	struct nd_endpoint_rec e, e2;
	assert_int_equal(nd_endpoint_rec_init(&e), 0);
	snprintf(e.id, sizeof(e.id), ID1);
	snprintf(e.network_id, sizeof(e.network_id), ID2);
	snprintf(e.ipv4, sizeof(e.ipv4), "10.1.0.2/24");
	snprintf(e.ifname, sizeof(e.ifname), "eth1");
	e.default_route = true;
	json_array_append_new(e.aliases, json_string("db"));
	_cleanup_json_ json_t *j = nd_endpoint_rec_to_json(&e);
	assert_null(json_object_get(j, "IPv6Address"));   /* empty members stay out */
	assert_int_equal(nd_endpoint_rec_from_json(j, &e2, &err), 0);
	assert_string_equal(e2.ipv4, "10.1.0.2/24");
	assert_string_equal(e2.ifname, "eth1");
	assert_true(e2.default_route);
	assert_string_equal(json_string_value(json_array_get(e2.aliases, 0)), "db");
	nd_endpoint_rec_clear(&e);
	nd_endpoint_rec_clear(&e2);
	/* an interface name longer than the kernel's is refused, not cut */
	_cleanup_json_ json_t *bad = json_pack("{s:s, s:s}", "Id", ID1, "Ifname", "a-name-much-too-long-for-linux");
	assert_int_equal(nd_endpoint_rec_from_json(bad, &e, &err), -ENAMETOOLONG);

	struct nd_sandbox_rec s, s2;
	assert_int_equal(nd_sandbox_rec_init(&s), 0);
	snprintf(s.id, sizeof(s.id), ID1);
	snprintf(s.netns_path, sizeof(s.netns_path), "/run/netd/netns/%s", ID1);
	json_object_set_new(s.labels, "a", json_string("b"));
	_cleanup_json_ json_t *sj = nd_sandbox_rec_to_json(&s);
	assert_int_equal(nd_sandbox_rec_from_json(sj, &s2, &err), 0);
	assert_string_equal(s2.netns_path, s.netns_path);
	assert_string_equal(nd_json_str(s2.labels, "a"), "b");
	nd_sandbox_rec_clear(&s);
	nd_sandbox_rec_clear(&s2);
}

static void test_container_rec_roundtrip(void **state)
{
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:{s:s, s:b, s:{s:s, s:i}, s:I},"
					     " s:{s:s, s:b, s:i, s:i, s:s}, s:i, s:s, s:b, s:b, s:s, s:{s:s}}",
		"Id", ID1, "Name", "web", "Image", "sha256:abc",
		"HostConfig", "NetworkMode", "front", "AutoRemove", 0, "RestartPolicy", "Name", "on-failure",
		"MaximumRetryCount", 3, "Memory", (json_int_t)(64 << 20),
		"State", "Status", "exited", "Running", 0, "Pid", 0, "ExitCode", 3, "Error", "",
		"RestartCount", 2, "SandboxID", ID2, "SandboxOwned", 1, "ManualStop", 1, "StateDir", "/run/x",
		"Config", "Hostname", "h");
	struct nd_container_rec r, r2;
	assert_int_equal(nd_container_rec_from_json(j, &r, &err), 0);
	assert_string_equal(r.network_mode, "front");
	assert_string_equal(r.restart_policy, "on-failure");
	assert_int_equal(r.restart_max, 3);
	assert_int_equal(r.state.exit_code, 3);
	assert_true(r.manual_stop && r.sandbox_owned);
	/* typed members are not kept twice in the rest of the document */
	assert_null(json_object_get(r.doc, "State"));
	assert_string_equal(nd_json_str(json_object_get(r.doc, "Config"), "Hostname"), "h");
	/* a change made through the record comes back from the store's JSON */
	r.state.exit_code = 0;
	r.restart_count = 3;
	r.auto_remove = true;
	snprintf(r.state.status, sizeof(r.state.status), "running");
	_cleanup_json_ json_t *back = nd_container_rec_to_json(&r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(back, "HostConfig"), "Memory")), 64 << 20);
	assert_int_equal(nd_container_rec_from_json(back, &r2, &err), 0);
	assert_int_equal(r2.restart_count, 3);
	assert_true(r2.auto_remove);
	assert_string_equal(r2.state.status, "running");
	assert_string_equal(r2.sandbox_id, ID2);
	nd_container_rec_clear(&r);
	nd_container_rec_clear(&r2);
	json_object_set_new(j, "RestartCount", json_string("2"));
	assert_int_equal(nd_container_rec_from_json(j, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "RestartCount"));
}

/* ---- the event bus ---------------------------------------------------------- */

struct ev_seen {
	int n;
	char last[64];
	uint64_t last_seq;
};

static void ev_count(const struct nd_event *ev, void *ud)
{
	struct ev_seen *s = ud;
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s %s %s", ev->type, ev->action, ev->id);
	s->last_seq = ev->seq;
}

static void test_events_ring_replay(void **state)
{
	struct netd d = { 0 };
	struct ev_seen live = { 0 }, rep = { 0 };
	struct nd_event_sub *sub = nd_events_subscribe(&d, ev_count, &live);
	assert_non_null(sub);
	for (int i = 0; i < ND_EVENTS_RING + 10; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%d", i);
		nd_events_publish(&d, "container", "start", id, json_pack("{s:s, s:i}", "name", id, "dropped", 1));
	}
	assert_int_equal(live.n, ND_EVENTS_RING + 10);
	assert_string_equal(live.last, "container start c1033");
	/* the ring keeps the newest ND_EVENTS_RING, oldest first */
	uint64_t newest = nd_events_replay(&d, 0, 0, ev_count, &rep);
	assert_int_equal(rep.n, ND_EVENTS_RING);
	assert_int_equal(newest, ND_EVENTS_RING + 10);
	assert_int_equal(rep.last_seq, newest);
	/* until in the past: nothing */
	struct ev_seen none = { 0 };
	nd_events_replay(&d, 0, 1, ev_count, &none);
	assert_int_equal(none.n, 0);
	nd_events_unsubscribe(sub);
	nd_events_publish(&d, "network", "create", "n1", NULL);
	assert_int_equal(live.n, ND_EVENTS_RING + 10);
	nd_events_free(&d);
	assert_null(d.events);
}

static void ev_unsub_self(const struct nd_event *ev, void *ud)
{
	struct nd_event_sub **me = ud;
	nd_events_unsubscribe(*me);
}

static void test_events_unsubscribe_in_dispatch(void **state)
{
	struct netd d = { 0 };
	struct ev_seen other = { 0 };
	struct nd_event_sub *me = NULL;
	nd_events_subscribe(&d, ev_count, &other);
	me = nd_events_subscribe(&d, ev_unsub_self, &me);
	nd_events_publish(&d, "image", "tag", "bb", NULL);
	nd_events_publish(&d, "image", "untag", "bb", NULL);
	assert_int_equal(other.n, 2);
	json_t *j = NULL;
	struct ev_seen rep = { 0 };
	nd_events_replay(&d, 0, 0, ev_count, &rep);
	assert_string_equal(rep.last, "image untag bb");
	(void)j;
	nd_events_free(&d);
}

static void test_volume_rec_roundtrip_and_store(void **state)
{
	struct store *st = *state;
	struct nd_error err = { 0 };
	struct nd_volume_rec r, back;
	assert_int_equal(nd_volume_rec_init(&r), 0);
	snprintf(r.name, sizeof(r.name), "data");
	snprintf(r.driver, sizeof(r.driver), "local");
	snprintf(r.mountpoint, sizeof(r.mountpoint), "/var/lib/netd/volumes/data/_data");
	r.anonymous = true;
	json_object_set_new(r.options, "type", json_string("tmpfs"));
	json_object_set_new(r.labels, "k", json_string("v"));
	assert_int_equal(store_volume_put(st, &r, &err), 0);
	assert_int_equal(store_volume_get(st, "data", &back, &err), 0);
	assert_string_equal(back.mountpoint, r.mountpoint);
	assert_true(back.anonymous);
	assert_true(json_equal(back.options, r.options));
	assert_true(json_equal(back.labels, r.labels));
	nd_volume_rec_clear(&back);
	struct nd_volume_list l;
	assert_int_equal(store_volume_list(st, &l, &err), 0);
	assert_int_equal(l.n, 1);
	nd_volume_list_clear(&l);
	assert_int_equal(store_volume_del(st, "data", &err), 0);
	assert_int_equal(store_volume_get(st, "data", &back, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no such volume"));
	nd_volume_rec_clear(&r);
	/* a stored document of the wrong shape names the key */
	_cleanup_json_ json_t *bad = json_pack("{s:s, s:i}", "Name", "x", "Labels", 3);
	assert_int_equal(nd_volume_rec_from_json(bad, &back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "Labels"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_objects, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_tx_rollback, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_store_reopen_keeps_data, setup_store, teardown_store),
		cmocka_unit_test(test_events_ring_replay),
		cmocka_unit_test(test_events_unsubscribe_in_dispatch),
		cmocka_unit_test(test_network_rec_roundtrip),
		cmocka_unit_test(test_endpoint_sandbox_rec_roundtrip),
		cmocka_unit_test(test_container_rec_roundtrip),
		cmocka_unit_test_setup_teardown(test_volume_rec_roundtrip_and_store, setup_store, teardown_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
