// SPDX-License-Identifier: Apache-2.0
/* netd/net services against a fake driver and a temporary store, without
 * root and without the kernel: network create/delete, connect/disconnect
 * (addresses, records, hooks), and that a failure changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/net/net.h"
#include "netd/net/dns_internal.h"
#include "netd/core/events.h"

#include <unistd.h>

/* ---- the fake driver: records calls, fails on demand ---------------------------- */

struct fake {
	int net_create, net_delete, ep_create, ep_delete, join, leave, program, revoke;
	int fail_join;         /* join returns this when non-zero */
};
static struct fake fk;

static int f_validate(const json_t *o, struct nd_error *err)
{
	if (json_object_get(o, "bad"))
		return nd_error_set(err, -EINVAL, "fake: unknown option \"bad\"");
	return 0;
}
static int f_net_create(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_error *e)
{
	fk.net_create++;
	json_object_set_new(n->data, "fake", json_string("br-fake"));
	return 0;
}
static int f_net_delete(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_error *e)
{
	fk.net_delete++;
	return 0;
}
static int f_net_restore(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_error *e) { return 0; }
static int f_ep_create(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_error *e)
{
	fk.ep_create++;
	if (!ep->mac[0])
		snprintf(ep->mac, sizeof(ep->mac), "02:42:00:00:00:%02x", fk.ep_create);
	return 0;
}
static int f_ep_delete(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_error *e)
{
	fk.ep_delete++;
	return 0;
}
static int f_join(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_drv_sandbox *sb,
		  struct nd_error *e)
{
	fk.join++;
	return fk.fail_join ? nd_error_set(e, fk.fail_join, "fake: join refused") : 0;
}
static int f_leave(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_drv_sandbox *sb,
		   struct nd_error *e)
{
	fk.leave++;
	return 0;
}
static bool f_ok(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_drv_sandbox *sb)
{
	return true;
}
static int f_program(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_error *e)
{
	fk.program++;
	return 0;
}
static int f_revoke(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_drv_endpoint *ep, struct nd_error *e)
{
	fk.revoke++;
	return 0;
}

static const struct nd_driver_ops fake_ops = {
	.name = "fake", .scope = "local", .options_validate = f_validate,
	.network_create = f_net_create, .network_delete = f_net_delete, .network_restore = f_net_restore,
	.endpoint_create = f_ep_create, .endpoint_delete = f_ep_delete, .join = f_join, .leave = f_leave,
	.endpoint_ok = f_ok, .program_external_connectivity = f_program, .revoke_external_connectivity = f_revoke,
};
/* "shared": networks on one "parent" option conflict; each reserves .250 */
static int f_peer(const char *driver, const struct nd_drv_network *other, void *arg)
{
	const char *mine = arg, *theirs = nd_json_str(other->options, "parent");
	return strcmp(driver, "shared") == 0 && theirs && strcmp(theirs, mine) == 0 ? -EEXIST : 0;
}
static int f_check(struct nd_drv_ctx *c, struct nd_drv_network *n, struct nd_error *e)
{
	const char *parent = nd_json_str(n->options, "parent");
	if (!parent)
		return nd_error_set(e, -EINVAL, "shared: needs a parent");
	if (c->networks_foreach && c->networks_foreach(c, n->id, f_peer, (void *)parent) < 0)
		return nd_error_set(e, -EEXIST, "shared: parent %s is taken", parent);
	char base[64];
	snprintf(base, sizeof(base), "%s", n->subnets[0].subnet);
	*strrchr(base, '.') = '\0';
	snprintf(n->reserved[0].name, sizeof(n->reserved[0].name), "shared.host");
	snprintf(n->reserved[0].addr, sizeof(n->reserved[0].addr), "%s.250", base);
	n->nreserved = 1;
	return 0;
}
static const struct nd_driver_ops shared_ops = {
	.name = "shared", .scope = "local", .options_validate = f_validate, .network_check = f_check,
	.network_create = f_net_create, .network_delete = f_net_delete, .network_restore = f_net_restore,
	.endpoint_create = f_ep_create, .endpoint_delete = f_ep_delete, .join = f_join, .leave = f_leave,
	.endpoint_ok = f_ok, .program_external_connectivity = f_program, .revoke_external_connectivity = f_revoke,
};
static const struct nd_driver_ops *const fake_drivers[] = { &fake_ops, &shared_ops, NULL };

/* ---- a daemon with a temporary store and the net layer, no kernel ---------------- */

struct env {
	struct netd d;
	char dir[64];
	char owner_seen[ND_ID_LEN + 1];   /* before_disconnect's owner */
	int before_disconnect;
};
static struct env *ENV;

static int hook_resolve(struct netd *d, const char *ref, char sbid[ND_ID_LEN + 1], char owner[ND_ID_LEN + 1],
			char name[ND_NAME_MAX + 1], struct nd_error *err)
{
	if (strcmp(ref, "web") != 0)
		return nd_error_set(err, -ENOENT, "no such container: %s", ref);
	snprintf(sbid, ND_ID_LEN + 1, "%s", "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b");
	snprintf(owner, ND_ID_LEN + 1, "%s", "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
	snprintf(name, ND_NAME_MAX + 1, "web");
	return 0;
}
static void hook_before_disconnect(struct netd *d, const char *owner, const char *network_id)
{
	ENV->before_disconnect++;
	snprintf(ENV->owner_seen, sizeof(ENV->owner_seen), "%s", owner);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct nd_error err = { 0 };
	snprintf(e->dir, sizeof(e->dir), "/tmp/netd-unit-net-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	char db[128];
	snprintf(db, sizeof(db), "%s/netd.db", e->dir);
	if (store_open(db, &e->d.store, &err) < 0)
		return -1;
	struct net_state *ns = calloc(1, sizeof(*ns));
	ns->drivers = fake_drivers;
	snprintf(ns->netns_dir, sizeof(ns->netns_dir), "%s/netns", e->dir);
	if (ipam_space_default(&ns->space, &err) < 0)
		return -1;
	e->d.net = ns;
	net__drv_ctx_init(&e->d);
	static const struct net_hooks hooks = { .resolve_target = hook_resolve, .before_disconnect = hook_before_disconnect };
	net_hooks_register(&e->d, &hooks);
	/* a sandbox record (its netns is the fake driver's business) */
	struct store_obj_ref ref = { .kind = "sandbox", .id = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b" };
	json_t *sb = json_pack("{s:s, s:s, s:s}", "Id", ref.id, "Name", "", "NetnsPath", "/nonexistent");
	if (store_obj_put(e->d.store, &ref, sb, &err) < 0)
		return -1;
	json_decref(sb);
	memset(&fk, 0, sizeof(fk));
	ENV = e;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	nd_events_free(&e->d);   /* the bus the services published on */
	struct net_state *ns = e->d.net;
	struct net_network *next;
	for (struct net_network *n = ns->networks; n; n = next) {
		next = n->next;
		net_network_free(n);
	}
	ipam_space_free(ns->space);
	free(ns);
	store_close(e->d.store);
	char p[160];
	const char *sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/netd.db%s", e->dir, sfx[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
	return 0;
}

static struct net_network *create(struct netd *d, const char *name, const char *subnet, struct nd_error *err)
{
	struct net_network_create_req c = { .name = name, .driver = "fake" };
	if (subnet) {
		snprintf(c.ipam[0].subnet, sizeof(c.ipam[0].subnet), "%s", subnet);
		c.nipam = 1;
	}
	struct net_network *n = NULL;
	int rc = net_network_create(d, &c, &n, err);
	net_network_create_req_clear(&c);
	return rc < 0 ? NULL : n;
}

static int64_t count(struct netd *d, const char *kind)
{
	int64_t n = -1;
	struct nd_error err = { 0 };
	store_obj_count(d->store, kind, &n, &err);
	return n;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_network_create_delete(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	struct net_network *n = create(&e->d, "front", "10.77.0.0/24", &err);
	assert_non_null(n);
	assert_int_equal(fk.net_create, 1);
	assert_int_equal(count(&e->d, "network"), 1);
	assert_ptr_equal(net_network_find(&e->d, "front", &err), n);
	assert_ptr_equal(net_network_find(&e->d, n->rec.id, &err), n);
	/* the driver's data is recorded */
	_cleanup_json_ json_t *doc = NULL;
	assert_int_equal(store_obj_get(e->d.store, "network", n->rec.id, &doc, &err), 0);
	assert_string_equal(nd_json_str(json_object_get(doc, "DriverData"), "fake"), "br-fake");

	/* a taken name, an overlapping subnet, a bad option, an unknown driver: refused, nothing changes */
	assert_null(create(&e->d, "front", "10.78.0.0/24", &err));
	assert_int_equal(err.code, -EEXIST);
	assert_null(create(&e->d, "back", "10.77.0.128/25", &err));
	assert_int_equal(err.code, -EEXIST);
	struct net_network_create_req bad = { .name = "back", .driver = "fake", .options = json_pack("{s:s}", "bad", "1") };
	assert_int_equal(net_network_create(&e->d, &bad, NULL, &err), -EINVAL);
	net_network_create_req_clear(&bad);
	struct net_network_create_req unk = { .name = "back", .driver = "nope" };
	assert_int_equal(net_network_create(&e->d, &unk, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "available: fake"));
	net_network_create_req_clear(&unk);
	struct net_network_create_req badname = { .name = "-x", .driver = "fake" };
	assert_int_equal(net_network_create(&e->d, &badname, NULL, &err), -EINVAL);
	assert_int_equal(count(&e->d, "network"), 1);
	assert_int_equal(fk.net_create, 1);

	/* an automatic subnet when none is given */
	struct net_network *a = create(&e->d, "auto", NULL, &err);
	assert_non_null(a);
	assert_int_equal(a->npools, 1);

	/* list: oldest first */
	_cleanup_free_ struct net_network **all = NULL;
	size_t cnt = 0;
	assert_int_equal(net_network_list(&e->d, &all, &cnt, &err), 0);
	assert_int_equal(cnt, 2);
	assert_string_equal(all[0]->rec.name, "front");

	assert_int_equal(net_network_delete(&e->d, a, &err), 0);
	assert_int_equal(fk.net_delete, 1);
	assert_null(net_network_find(&e->d, "auto", &err));
	assert_int_equal(err.code, -ENOENT);
	assert_int_equal(count(&e->d, "network"), 1);
}

static void test_network_check(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	struct net_network_create_req c = { .name = "s1", .driver = "shared", .options = json_pack("{s:s}", "parent", "eth0") };
	snprintf(c.ipam[0].subnet, sizeof(c.ipam[0].subnet), "10.5.0.0/24");
	c.nipam = 1;
	struct net_network *n = NULL;
	assert_int_equal(net_network_create(&e->d, &c, &n, &err), 0);
	net_network_create_req_clear(&c);
	/* the reservation is an auxiliary address of its subnet, never handed out */
	assert_string_equal(nd_json_str(n->rec.ipam[0].aux, "shared.host"), "10.5.0.250");
	struct net_connect_req cr = { .target = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b", .ipv4 = "10.5.0.250" };
	assert_true(net_endpoint_connect(&e->d, "s1", &cr, NULL, &err) < 0);
	/* a second network on the same parent: the check sees the first, nothing is recorded */
	struct net_network_create_req c2 = { .name = "s2", .driver = "shared", .options = json_pack("{s:s}", "parent", "eth0") };
	snprintf(c2.ipam[0].subnet, sizeof(c2.ipam[0].subnet), "10.6.0.0/24");
	c2.nipam = 1;
	nd_error_clear(&err);
	assert_int_equal(net_network_create(&e->d, &c2, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "parent eth0 is taken"));
	assert_int_equal(count(&e->d, "network"), 1);
	assert_int_equal(fk.net_create, 1);
	/* another parent is fine */
	json_object_set_new(c2.options, "parent", json_string("eth1"));
	nd_error_clear(&err);
	assert_int_equal(net_network_create(&e->d, &c2, NULL, &err), 0);
	net_network_create_req_clear(&c2);
	assert_int_equal(count(&e->d, "network"), 2);
}

static void test_connect_disconnect(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	struct net_network *n = create(&e->d, "front", "10.77.0.0/24", &err);
	assert_non_null(n);

	struct nd_endpoint_rec ep;
	struct net_connect_req c = { .target = "web" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &c, &ep, &err), 0);
	assert_string_equal(ep.ipv4, "10.77.0.2/24");   /* .1 is the gateway */
	assert_string_equal(ep.container_id, "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
	assert_string_equal(ep.owner_name, "web");
	assert_string_equal(ep.ifname, "eth0");
	assert_string_equal(ep.mac, "02:42:00:00:00:01");   /* the driver chose it */
	assert_true(ep.default_route);
	nd_endpoint_rec_clear(&ep);
	assert_int_equal(fk.ep_create, 1);
	assert_int_equal(fk.join, 1);
	assert_int_equal(fk.program, 1);
	assert_int_equal(count(&e->d, "endpoint"), 1);

	/* twice: 409, nothing more allocated */
	assert_int_equal(net_endpoint_connect(&e->d, "front", &c, NULL, &err), -EEXIST);
	assert_int_equal(count(&e->d, "endpoint"), 1);
	/* an address outside the network, an unknown target, a bad MAC */
	struct net_connect_req who = { .target = "nobody" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &who, NULL, &err), -ENOENT);
	struct net_connect_req mac = { .target = "web", .mac = "01:00:00:00:00:01" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &mac, NULL, &err), -EINVAL);

	/* a network with an endpoint cannot go */
	assert_int_equal(net_network_delete(&e->d, n, &err), -EBUSY);

	/* disconnect: the hook first, then records, addresses and the kernel */
	assert_int_equal(net_endpoint_disconnect(&e->d, "front", "web", false, &err), 0);
	assert_int_equal(e->before_disconnect, 1);
	assert_string_equal(e->owner_seen, "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
	assert_int_equal(count(&e->d, "endpoint"), 0);
	assert_int_equal(fk.leave, 1);
	assert_int_equal(fk.ep_delete, 1);
	assert_int_equal(fk.revoke, 1);
	assert_int_equal(net_endpoint_disconnect(&e->d, "front", "web", false, &err), -ENOTCONN);

	/* an address outside the network */
	struct net_connect_req far = { .target = "web", .ipv4 = "10.99.0.5" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &far, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not in any subnet"));
	assert_int_equal(count(&e->d, "endpoint"), 0);

	/* the address is free again, and a static one is honoured */
	struct net_connect_req want = { .target = "web", .ipv4 = "10.77.0.2" };
	struct nd_endpoint_rec ep2;
	assert_int_equal(net_endpoint_connect(&e->d, "front", &want, &ep2, &err), 0);
	assert_string_equal(ep2.ipv4, "10.77.0.2/24");
	nd_endpoint_rec_clear(&ep2);
	assert_int_equal(net_endpoint_disconnect(&e->d, "front", "web", false, &err), 0);
	assert_int_equal(net_network_delete(&e->d, n, &err), 0);
}

/* CNI attachments: caller-owned sandboxes (the namespace is the caller's:
 * /proc/self/ns/net stands in for it, nothing is made in the kernel) */
static void test_cni_attach(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	assert_non_null(create(&e->d, "cni", "10.66.0.0/24", &err));
	int64_t sandboxes0 = count(&e->d, "sandbox");

	/* bad keys and a path that is not a namespace: refused, nothing recorded */
	struct net_attach_key bad_id = { "bad id", "eth0", "cni" }, bad_if = { "c1", "a/b", "cni" };
	assert_int_equal(net_attach_key_check(&bad_id, &err), -EINVAL);
	assert_int_equal(net_attach_key_check(&bad_if, &err), -EINVAL);
	struct net_attachment a;
	struct net_attach_req notns = { .key = { "c1", "eth0", "cni" }, .netns = "/tmp" };
	assert_int_equal(net_attach_add(&e->d, &notns, &a, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a network namespace"));
	struct net_attach_req nonet = { .key = { "c1", "eth0", "nosuch" }, .netns = "/proc/self/ns/net" };
	assert_int_equal(net_attach_add(&e->d, &nonet, &a, &err), -ENOENT);
	/* ports without a publisher: refused before anything is made */
	struct nd_port_map pm = { .proto = 6, .host_port = 8080, .container_port = 80 };
	struct net_attach_req ports = { .key = { "c1", "eth0", "cni" }, .netns = "/proc/self/ns/net", .ports = &pm, .nports = 1 };
	assert_int_equal(net_attach_add(&e->d, &ports, &a, &err), -ENOTSUP);
	assert_int_equal(count(&e->d, "sandbox"), sandboxes0);
	assert_int_equal(count(&e->d, "endpoint"), 0);

	/* add: a caller-owned sandbox named after the container, the caller's ifname */
	struct net_attach_req r = { .key = { "c1", "net0", "cni" }, .netns = "/proc/self/ns/net" };
	assert_int_equal(net_attach_add(&e->d, &r, &a, &err), 0);
	assert_string_equal(a.ep.ifname, "net0");
	assert_string_equal(a.ep.ipv4, "10.66.0.2/24");
	assert_string_equal(a.gateway4, "10.66.0.1");
	assert_string_equal(a.sb.name, "cni-c1");
	assert_true(a.sb.caller_owned);
	assert_string_equal(a.sb.netns_path, "/proc/self/ns/net");
	net_attachment_clear(&a);
	struct nd_sandbox_rec sb;
	assert_int_equal(net_sandbox_lookup(&e->d, "cni-c1", &sb, &err), 0);
	assert_true(sb.caller_owned);   /* the codec keeps it */
	nd_sandbox_rec_clear(&sb);
	/* the same ADD again: the same attachment; another namespace: refused */
	assert_int_equal(net_attach_add(&e->d, &r, &a, &err), 0);
	assert_string_equal(a.ep.ipv4, "10.66.0.2/24");
	net_attachment_clear(&a);
	struct net_attach_req other = { .key = { "c1", "net0", "cni" }, .netns = "/proc/thread-self/ns/net" };
	assert_int_equal(net_attach_add(&e->d, &other, &a, &err), -EEXIST);
	assert_int_equal(count(&e->d, "endpoint"), 1);

	/* a second container, then GC keeping only it */
	struct net_attach_req r2 = { .key = { "c2", "eth0", "cni" }, .netns = "/proc/self/ns/net", .ipv4 = "10.66.0.9" };
	assert_int_equal(net_attach_add(&e->d, &r2, &a, &err), 0);
	assert_string_equal(a.ep.ipv4, "10.66.0.9/24");
	net_attachment_clear(&a);
	struct net_attach_key keep[] = { { "c2", "eth0", NULL } };
	size_t released = 0;
	assert_int_equal(net_attach_gc(&e->d, "cni", keep, 1, &released, &err), 0);
	assert_int_equal(released, 1);
	assert_int_equal(net_attach_get(&e->d, &r.key, &a, &err), -ENOENT);
	assert_int_equal(net_attach_get(&e->d, &r2.key, &a, &err), 0);
	net_attachment_clear(&a);

	/* del twice, del of the unknown: success; nothing left */
	assert_int_equal(net_attach_del(&e->d, &r2.key, &err), 0);
	assert_int_equal(net_attach_del(&e->d, &r2.key, &err), 0);
	struct net_attach_key unknown = { "never", "eth0", "nosuch" };
	assert_int_equal(net_attach_del(&e->d, &unknown, &err), 0);
	assert_int_equal(count(&e->d, "endpoint"), 0);
	assert_int_equal(count(&e->d, "sandbox"), sandboxes0);
	/* the addresses are free again: a static wish for c2's old one works */
	r.ipv4 = "10.66.0.9";
	assert_int_equal(net_attach_add(&e->d, &r, &a, &err), 0);
	assert_string_equal(a.ep.ipv4, "10.66.0.9/24");
	net_attachment_clear(&a);
	assert_int_equal(net_attach_del(&e->d, &r.key, &err), 0);
}

static void test_records_cni_fields(void **state)
{
	(void)state;
	struct nd_error err = { 0 };
	struct nd_endpoint_rec ep;
	assert_int_equal(nd_endpoint_rec_init(&ep), 0);
	snprintf(ep.id, sizeof(ep.id), "e1");
	json_array_append_new(ep.port_mappings, json_pack("{s:s, s:i, s:b}", "Proto", "tcp", "HostPort", 8080, "CallerReserves", 1));
	json_t *j = nd_endpoint_rec_to_json(&ep);
	struct nd_endpoint_rec back;
	assert_int_equal(nd_endpoint_rec_from_json(j, &back, &err), 0);
	assert_int_equal(json_array_size(back.port_mappings), 1);
	assert_true(json_is_true(json_object_get(json_array_get(back.port_mappings, 0), "CallerReserves")));
	nd_endpoint_rec_clear(&back);
	json_decref(j);
	nd_endpoint_rec_clear(&ep);
	/* an old record without them */
	json_t *old = json_pack("{s:s, s:s}", "Id", "e2", "NetworkID", "n");
	assert_int_equal(nd_endpoint_rec_from_json(old, &back, &err), 0);
	assert_int_equal(json_array_size(back.port_mappings), 0);
	nd_endpoint_rec_clear(&back);
	json_decref(old);
	json_t *bad = json_pack("{s:s, s:s}", "Id", "e3", "PortMappings", "x");
	assert_int_equal(nd_endpoint_rec_from_json(bad, &back, &err), -EINVAL);
	json_decref(bad);
}


/* netctl explain: bad input and unknown ends are refused at once (nothing is
 * queued; the job itself reads the kernel and is tested as root) */
static void never(void *data, int rc, const struct nd_error *err, const struct net_explain *ex)
{
	(void)data; (void)rc; (void)err; (void)ex;
	fail_msg("explain's callback ran for a refused request");
}

static void test_explain_refusals(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	struct net_explain_req r = { .src = "web", .dst = "" };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -EINVAL);
	nd_error_clear(&err);
	r = (struct net_explain_req){ .src = "web", .dst = "host", .proto = IPPROTO_TCP };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "needs a port"));
	nd_error_clear(&err);
	r = (struct net_explain_req){ .src = "web", .dst = "host", .proto = IPPROTO_SCTP, .port = 1 };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -EINVAL);
	nd_error_clear(&err);
	r = (struct net_explain_req){ .src = "nosuch", .dst = "host" };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nosuch: no such container, sandbox or address"));
	nd_error_clear(&err);
	/* the container's sandbox has no endpoint: no gateway for "host", no address to reach */
	r = (struct net_explain_req){ .src = "web", .dst = "host" };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no gateway"));
	nd_error_clear(&err);
	r = (struct net_explain_req){ .src = "host", .dst = "web", .port = 80 };
	assert_int_equal(net_explain(&e->d, &r, never, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no address on any network"));
	assert_int_equal(count(&e->d, "endpoint"), 0);
}

static void test_connect_failure_changes_nothing(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	assert_non_null(create(&e->d, "front", "10.77.0.0/24", &err));
	fk.fail_join = -EPERM;
	struct net_connect_req c = { .target = "web" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &c, NULL, &err), -EPERM);
	assert_non_null(strstr(err.msg, "fake: join refused"));
	assert_int_equal(count(&e->d, "endpoint"), 0);
	assert_int_equal(fk.ep_delete, 1);   /* what was made is undone */
	/* and the address it had is free (asked for explicitly: the pool's
	 * cursor moves on, as Docker's does, rather than reuse at once) */
	fk.fail_join = 0;
	struct nd_endpoint_rec ep;
	struct net_connect_req again = { .target = "web", .ipv4 = "10.77.0.2" };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &again, &ep, &err), 0);
	assert_string_equal(ep.ipv4, "10.77.0.2/24");
	nd_endpoint_rec_clear(&ep);
}


/* the resolver's name tables: local endpoints go in on connect and out on
 * disconnect, remote owners through the same put/drop; a sandbox sees its
 * networks only; aliases of several owners rotate; PTR, v4 and v6 */
static void test_dns_names(void **state)
{
	struct env *e = *state;
	struct nd_error err = { 0 };
	struct dns_engine *eng = calloc(1, sizeof(*eng));
	eng->d = &e->d;
	e->d.net->dnsr = eng;
	struct net_network *n = create(&e->d, "front", "10.77.0.0/24", &err);
	assert_non_null(n);
	assert_non_null(create(&e->d, "back", "10.78.0.0/24", &err));
	json_t *al = json_pack("[s, s]", "www", "shared");
	struct net_connect_req c = { .target = "web", .aliases = al };
	assert_int_equal(net_endpoint_connect(&e->d, "front", &c, NULL, &err), 0);
	json_decref(al);
	const char *sb = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b";
	struct dns_scope scope;
	struct dns_found f;
	dns__scope_sandbox(eng, sb, &scope);
	assert_int_equal(scope.n, 1);
	assert_true(scope.forward);
	const char *names[] = { "web", "www", "shared", "web.front", "c0c0c0c0c0c0" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		dns__lookup(&scope, names[i], false, &f);
		assert_true(f.known);
		assert_int_equal(f.n4, 1);
		assert_int_equal(f.v4[0].s_addr, htonl(0x0a4d0002));
		assert_int_equal(f.n6, 0);   /* AAAA: NODATA */
	}
	dns__lookup(&scope, "web.back", false, &f);
	assert_false(f.known);
	dns__lookup(&scope, "nothing", false, &f);
	assert_false(f.known);
	dns__lookup(&scope, "2.0.77.10.in-addr.arpa", true, &f);
	assert_string_equal(f.ptr, "web.front.");

	/* a remote owner (another host's endpoint): same alias, two addresses rotating */
	const char *rn[] = { "far", "www" };
	struct net_dns_names r = { .owner = "remote1", .names = rn, .nnames = 2, .ipv4 = "10.77.0.9/24", .ipv6 = "fd00::5" };
	assert_int_equal(net_dns_names_put(&e->d, n->rec.id, &r, &err), 0);
	dns__scope_sandbox(eng, sb, &scope);
	dns__lookup(&scope, "www", false, &f);
	assert_int_equal(f.n4, 2);
	uint32_t first = f.v4[0].s_addr;
	dns__lookup(&scope, "www", false, &f);
	assert_int_equal(f.n4, 2);
	assert_int_not_equal(f.v4[0].s_addr, first);
	dns__lookup(&scope, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", true, &f);
	assert_string_equal(f.ptr, "far.front.");
	dns__lookup(&scope, "FAR", false, &f);   /* the caller lowercases; tables hold lowercase */
	assert_false(f.known);
	dns__lookup(&scope, "far", false, &f);
	assert_int_equal(f.n6, 1);
	/* a sandbox on no network of the entry sees nothing */
	dns__scope_sandbox(eng, "0000000000000000000000000000000000000000000000000000000000000000", &scope);
	assert_int_equal(scope.n, 0);
	net_dns_names_drop(&e->d, n->rec.id, "remote1");
	dns__scope_sandbox(eng, sb, &scope);
	dns__lookup(&scope, "www", false, &f);
	assert_int_equal(f.n4, 1);

	/* disconnect: gone */
	assert_int_equal(net_endpoint_disconnect(&e->d, "front", "web", false, &err), 0);
	dns__scope_sandbox(eng, sb, &scope);
	assert_int_equal(scope.n, 0);
	dns__tables_free(eng);
	e->d.net->dnsr = NULL;
	free(eng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_network_create_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_failure_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cni_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_names, setup, teardown),
		cmocka_unit_test(test_records_cni_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
