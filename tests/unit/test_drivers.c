// SPDX-License-Identifier: Apache-2.0
/* Unit tests for drivers/: registry, bridge options, name and MAC derivation,
 * owns_ifname. No root, no kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drivers/driver.h"
#include "drivers/bridge/bridge.h"
#include "drivers/macvlan/macvlan.h"
#include "drivers/vxlan/vxlan.h"
#include "drivers/nl.h"

static void test_registry(void **state)
{
	assert_ptr_equal(nd_driver_find("bridge"), &nd_bridge_driver);
	assert_null(nd_driver_find("nope"));
	assert_null(nd_driver_find(NULL));
	const struct nd_driver_ops *const *all = nd_driver_all();
	int n = 0;
	for (; all[n]; n++) {
		assert_non_null(all[n]->name);
		assert_non_null(all[n]->options_validate);
		assert_non_null(all[n]->network_create);
		assert_non_null(all[n]->join);
	}
	assert_true(n >= 1);
	assert_string_equal(nd_bridge_driver.scope, "local");
}

struct opt_case {
	const char *key, *value;
	int want; /* 0 or -EINVAL */
	const char *msg_has;
};

static const struct opt_case opt_cases[] = {
	{ "com.docker.network.bridge.name", "docker1", 0, NULL },
	{ "com.docker.network.bridge.name", "abcdefghijklmno", 0, NULL },   /* 15 */
	{ "com.docker.network.bridge.name", "abcdefghijklmnop", -EINVAL, "not a valid interface name" },
	{ "com.docker.network.bridge.name", "", -EINVAL, "interface name" },
	{ "com.docker.network.bridge.name", "br/0", -EINVAL, "interface name" },
	{ "com.docker.network.bridge.name", "br:0", -EINVAL, "interface name" },
	{ "com.docker.network.bridge.name", "br 0", -EINVAL, "interface name" },
	{ "com.docker.network.bridge.name", "..", -EINVAL, "interface name" },
	{ "com.docker.network.driver.mtu", "1500", 0, NULL },
	{ "com.docker.network.driver.mtu", "68", 0, NULL },
	{ "com.docker.network.driver.mtu", "65535", 0, NULL },
	{ "com.docker.network.driver.mtu", "67", -EINVAL, "MTU" },
	{ "com.docker.network.driver.mtu", "65536", -EINVAL, "MTU" },
	{ "com.docker.network.driver.mtu", "15x0", -EINVAL, "MTU" },
	{ "com.docker.network.driver.mtu", "-1500", -EINVAL, "MTU" },
	{ "com.docker.network.driver.mtu", "", -EINVAL, "MTU" },
	{ "com.docker.network.bridge.enable_icc", "true", 0, NULL },
	{ "com.docker.network.bridge.enable_icc", "false", 0, NULL },
	{ "com.docker.network.bridge.enable_icc", "yes", -EINVAL, "boolean" },
	{ "com.docker.network.bridge.enable_ip_masquerade", "false", 0, NULL },
	{ "com.docker.network.bridge.enable_ip_masquerade", "1", -EINVAL, "enable_ip_masquerade" },
	{ "com.docker.network.bridge.default_bridge", "true", 0, NULL },
	{ "com.docker.network.bridge.default_bridge", "TRUE", -EINVAL, "boolean" },
	{ "com.docker.network.bridge.host_binding_ipv4", "127.0.0.1", 0, NULL },
	{ "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0", 0, NULL },
	{ "com.docker.network.bridge.host_binding_ipv4", "300.0.0.1", -EINVAL, "IPv4" },
	{ "com.docker.network.bridge.host_binding_ipv4", "::1", -EINVAL, "IPv4" },
	{ "com.docker.network.bridge.enable_icc_typo", "true", -EINVAL, "com.docker.network.bridge.enable_icc_typo" },
	{ "mtu", "1500", -EINVAL, "unknown option \"mtu\"" },
};

static void test_options_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_cases); i++) {
		const struct opt_case *c = &opt_cases[i];
		json_t *o = json_pack("{ss}", c->key, c->value);
		struct nd_error e = { 0 };
		int r = nd_bridge_driver.options_validate(o, &e);
		if (r != c->want)
			fail_msg("case %zu %s=%s: got %d (%s), want %d", i, c->key, c->value, r, e.msg, c->want);
		if (c->want) {
			assert_int_equal(e.code, c->want);
			if (!strstr(e.msg, c->msg_has))
				fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, e.msg, c->msg_has);
		}
		json_decref(o);
	}
}

static void test_options_parse(void **state)
{
	struct bridge_opts o;
	struct nd_error e = { 0 };
	json_t *empty = json_object();
	assert_int_equal(bridge__opts_parse(empty, &o, &e), 0);
	assert_true(o.icc);
	assert_true(o.masquerade);
	assert_false(o.default_bridge);
	assert_int_equal(o.mtu, 0);
	assert_string_equal(o.name, "");
	json_decref(empty);

	json_t *j = json_pack("{ss ss ss ss}", BRIDGE_OPT_NAME, "mybr", BRIDGE_OPT_MTU, "9000", BRIDGE_OPT_ICC,
			      "false", BRIDGE_OPT_MASQUERADE, "false");
	assert_int_equal(bridge__opts_parse(j, &o, &e), 0);
	assert_string_equal(o.name, "mybr");
	assert_int_equal(o.mtu, 9000);
	assert_false(o.icc);
	assert_false(o.masquerade);
	json_decref(j);

	j = json_pack("{si}", BRIDGE_OPT_MTU, 1500); /* values are strings */
	assert_int_equal(bridge__opts_parse(j, &o, &e), -EINVAL);
	json_decref(j);
	j = json_array();
	assert_int_equal(bridge__opts_parse(j, &o, &e), -EINVAL);
	json_decref(j);
}

static const char *ID = "3f2a9c0b1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

static void test_bridge_name(void **state)
{
	struct nd_drv_network net = { .id = ID, .options = NULL };
	struct bridge_opts o;
	char br[IFNAMSIZ];
	bridge__opts_parse(NULL, &o, NULL);
	assert_int_equal(bridge__bridge_name(&net, &o, br), 0);
	assert_string_equal(br, "br-3f2a9c0b1d4e");
	assert_true(bridge__owns_ifname(br));

	snprintf(o.name, sizeof(o.name), "docker9");
	assert_int_equal(bridge__bridge_name(&net, &o, br), 0);
	assert_string_equal(br, "docker9");

	/* recorded name wins, then the option, then the id */
	json_t *opts = json_pack("{ss}", BRIDGE_OPT_NAME, "fromopt");
	net.options = opts;
	assert_int_equal(bridge__bridge_name_of(&net, br, NULL), 0);
	assert_string_equal(br, "fromopt");
	net.data = json_pack("{ss}", "bridge", "recorded0");
	assert_int_equal(bridge__bridge_name_of(&net, br, NULL), 0);
	assert_string_equal(br, "recorded0");
	json_decref(net.data);
	json_decref(opts);

	struct nd_drv_network bad = { .id = "abc" };
	assert_int_equal(bridge__bridge_name(&bad, NULL, br), -EINVAL);
}

static void test_veth_names(void **state)
{
	char h[IFNAMSIZ], p[IFNAMSIZ];
	assert_int_equal(bridge__veth_names(ID, h, p), 0);
	assert_string_equal(h, "veth3f2a9c0b1d4");
	assert_string_equal(p, "vp3f2a9c0b1d4");
	assert_true(strlen(h) < IFNAMSIZ);
	assert_int_equal(bridge__veth_names("3F2A9C0B1D2E", h, p), 0);
	assert_string_equal(h, "veth3f2a9c0b1d2");
	assert_int_equal(bridge__veth_names("3f2a9", h, p), -EINVAL);
	assert_int_equal(bridge__veth_names("3f2a9c0b1zz0", h, p), -EINVAL);
	assert_int_equal(bridge__veth_names(NULL, h, p), -EINVAL);
}

static void test_mac(void **state)
{
	char m[18];
	assert_int_equal(bridge__mac_from_ipv4("172.18.0.2/16", m), 0);
	assert_string_equal(m, "02:42:ac:12:00:02");
	assert_int_equal(bridge__mac_from_ipv4("10.255.1.254", m), 0);
	assert_string_equal(m, "02:42:0a:ff:01:fe");
	assert_int_equal(bridge__mac_from_ipv4("fd00::2/64", m), -EINVAL);
	assert_int_equal(bridge__mac_from_ipv4("", m), -EINVAL);

	for (int i = 0; i < 64; i++) {
		char a[18], b[18];
		assert_int_equal(bridge__mac_random(a), 0);
		assert_int_equal(bridge__mac_random(b), 0);
		unsigned first;
		assert_int_equal(sscanf(a, "%2x", &first), 1);
		assert_true(first & 0x02);   /* locally administered */
		assert_false(first & 0x01);  /* unicast */
		assert_int_equal(strlen(a), 17);
		assert_string_not_equal(a, b);
	}

	assert_int_equal(bridge__mac_from_id(ID, m), 0);
	assert_string_equal(m, "02:3f:2a:9c:0b:1d");
	assert_int_equal(bridge__mac_from_id("xyz", m), -EINVAL);
}

static void test_owns_ifname(void **state)
{
	const char *yes[] = { "br-0123456789ab", "veth0123abc4567", "vp0123abc4567" };
	const char *no[] = { "br-0123456789a", "br-0123456789abc", "br-0123456789AB", "veth0123abc456",
			     "veth0123abc45678", "vp0123abc456", "vp0123abc45678", "docker0", "eth0", "lo", "",
			     "vethxyzxyzxyzxy", "br-", "veth", "vp", "veth0123abc" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!nd_bridge_driver.owns_ifname(yes[i]))
			fail_msg("should own %s", yes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (nd_bridge_driver.owns_ifname(no[i]))
			fail_msg("should not own \"%s\"", no[i]);
	assert_false(nd_bridge_driver.owns_ifname(NULL));
}

static void test_ifname_valid(void **state)
{
	assert_true(nd_ifname_valid("eth0"));
	assert_true(nd_ifname_valid("a.b-c_d"));
	assert_false(nd_ifname_valid("."));
	assert_false(nd_ifname_valid("a\tb"));
	assert_false(nd_ifname_valid("0123456789abcdef"));
}

static int mv_parse(const char *json, struct macvlan_opts *o, struct nd_error *e)
{
	json_t *j = json_loads(json, 0, NULL);
	assert_non_null(j);
	int r = macvlan__opts_parse(j, o, e);
	json_decref(j);
	return r;
}

static void test_macvlan_options(void **state)
{
	struct macvlan_opts o;
	struct nd_error e = { 0 };
	assert_int_equal(mv_parse("{}", &o, &e), 0);
	assert_int_equal(o.mode, MACVLAN_M_BRIDGE);
	assert_string_equal(o.parent, "");
	assert_int_equal(mv_parse("{\"parent\":\"eth0\",\"macvlan_mode\":\"vepa\"}", &o, &e), 0);
	assert_string_equal(o.base, "eth0");
	assert_int_equal(o.vlan, 0);
	assert_int_equal(o.mode, MACVLAN_M_VEPA);
	assert_int_equal(mv_parse("{\"parent\":\"bond0.42\"}", &o, &e), 0);
	assert_string_equal(o.base, "bond0");
	assert_string_equal(o.parent, "bond0.42");
	assert_int_equal(o.vlan, 42);
	assert_int_equal(mv_parse("{\"parent\":\"a.b.7\"}", &o, &e), 0);
	assert_string_equal(o.base, "a.b");
	assert_int_equal(o.vlan, 7);
	const char *bad[] = {
		"{\"parent\":\"eth0.0\"}", "{\"parent\":\"eth0.4095\"}", "{\"parent\":\"eth0.\"}",
		"{\"parent\":\".42\"}", "{\"parent\":\"eth0.042\"}", "{\"parent\":\"eth0.4x\"}",
		"{\"parent\":\"a/b\"}", "{\"parent\":\"0123456789abcdef\"}", "{\"parent\":5}",
		"{\"macvlan_mode\":\"source\"}", "{\"nope\":\"1\"}", "{\"com.docker.network.driver.mtu\":\"1400\"}",
		"{\"netd.macvlan.host_access\":\"1\"}",
		"{\"netd.macvlan.host_access\":\"true\",\"macvlan_mode\":\"private\"}",
		"{\"netd.macvlan.host_access\":\"true\",\"macvlan_mode\":\"passthru\"}",
		"{\"netd.macvlan.host_address\":\"10.0.0.1\"}",
		"{\"netd.macvlan.host_access\":\"true\",\"netd.macvlan.host_address\":\"fd00::1\"}",
		"{\"netd.macvlan.host_access\":\"true\",\"netd.macvlan.host_address6\":\"10.0.0.1\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		nd_error_clear(&e);
		assert_int_equal(mv_parse(bad[i], &o, &e), -EINVAL);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(mv_parse("{\"netd.macvlan.host_access\":\"true\",\"macvlan_mode\":\"vepa\","
				  "\"netd.macvlan.host_address\":\"10.0.0.9\"}", &o, &e), 0);
	assert_true(o.host_access);
	assert_string_equal(o.host_addr4, "10.0.0.9");
}

static void test_macvlan_names(void **state)
{
	const char *id = "0123456789ABcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char n[IFNAMSIZ], mac[18];
	assert_int_equal(macvlan__name("mvh", id, n), 0);
	assert_string_equal(n, "mvh0123456789ab");
	assert_int_equal(macvlan__name("mvh", "xyz", n), -EINVAL);
	assert_true(macvlan__owns_ifname("mvh0123456789ab"));
	assert_true(macvlan__owns_ifname("mvi0123456789ab"));
	assert_true(macvlan__owns_ifname("mvo0123456789ab"));
	assert_true(macvlan__owns_ifname("mvl0123456789ab"));
	assert_false(macvlan__owns_ifname("mvh0123456789a"));
	assert_false(macvlan__owns_ifname("mvx0123456789ab"));
	assert_false(macvlan__owns_ifname("eth0.42"));
	assert_false(macvlan__owns_ifname(NULL));
	macvlan__tomb_name(0x1f, n);
	assert_string_equal(n, "mvdel1f");
	assert_true(macvlan__is_tomb(n));
	assert_false(macvlan__is_tomb("mvdel"));
	assert_false(macvlan__is_tomb("mvdelzz"));
	assert_int_equal(macvlan__mac_for("10.1.0.32/24", mac), 0);
	assert_string_equal(mac, "02:42:0a:01:00:20");
	assert_int_equal(macvlan__mac_for("", mac), 0);
	assert_true((strtoul(mac, NULL, 16) & 3) == 2); /* unicast, locally administered */
	assert_int_equal(macvlan__mac_for("nope", mac), -EINVAL);
	assert_int_equal(macvlan__mac_from_id(id, mac), 0);
	assert_string_equal(mac, "06:01:23:45:67:89");
	struct nd_drv_network net = { .id = id };
	struct macvlan_opts o = { 0 };
	assert_int_equal(macvlan__parent_link(&net, &o, n, NULL), 0);
	assert_string_equal(n, "mvi0123456789ab");
	snprintf(o.parent, sizeof(o.parent), "eth0.42");
	assert_int_equal(macvlan__parent_link(&net, &o, n, NULL), 0);
	assert_string_equal(n, "eth0.42");
}

static void test_macvlan_host_addr(void **state)
{
	struct nd_error e = { 0 };
	char out[64];
	struct nd_drv_subnet s = { .subnet = "10.1.0.0/24", .gateway = "10.1.0.254" };
	assert_int_equal(macvlan__host_addr_pick(&s, NULL, out, &e), 0);
	assert_string_equal(out, "10.1.0.253"); /* .255 broadcast, .254 gateway */
	json_t *aux = json_pack("{s:s, s:s}", "a", "10.1.0.253", "netd.macvlan.host", "10.1.0.252");
	s.aux = aux;
	assert_int_equal(macvlan__host_addr_pick(&s, NULL, out, &e), 0);
	assert_string_equal(out, "10.1.0.252"); /* its own reservation is no obstacle */
	snprintf(s.ip_range, sizeof(s.ip_range), "10.1.0.64/26");
	assert_int_equal(macvlan__host_addr_pick(&s, NULL, out, &e), 0);
	assert_string_equal(out, "10.1.0.127");
	assert_int_equal(macvlan__host_addr_pick(&s, "10.1.0.9", out, &e), 0);
	assert_string_equal(out, "10.1.0.9");
	assert_int_equal(macvlan__host_addr_pick(&s, "10.1.0.254", out, &e), -EINVAL);
	assert_int_equal(macvlan__host_addr_pick(&s, "10.1.0.253", out, &e), -EINVAL);
	assert_int_equal(macvlan__host_addr_pick(&s, "10.1.0.255", out, &e), -EINVAL);
	assert_int_equal(macvlan__host_addr_pick(&s, "10.2.0.1", out, &e), -EINVAL);
	json_decref(aux);
	struct nd_drv_subnet s6 = { .subnet = "fd00:1::/64", .gateway = "fd00:1::1", .ipv6 = true };
	assert_int_equal(macvlan__host_addr_pick(&s6, NULL, out, &e), 0);
	assert_string_equal(out, "fd00:1::ffff:ffff:ffff:ffff");
	struct nd_drv_subnet tiny = { .subnet = "10.9.0.0/30", .gateway = "10.9.0.2" };
	assert_int_equal(macvlan__host_addr_pick(&tiny, NULL, out, &e), 0);
	assert_string_equal(out, "10.9.0.1");
	struct nd_drv_subnet full = { .subnet = "10.9.0.0/31", .gateway = "10.9.0.1" };
	assert_int_equal(macvlan__host_addr_pick(&full, NULL, out, &e), 0);
	assert_string_equal(out, "10.9.0.0");
}

static void test_nl_errno(void **state)
{
	assert_int_equal(nd_nl_errno(0), 0);
	assert_int_equal(nd_nl_errno(-NLE_EXIST), -EEXIST);
	assert_int_equal(nd_nl_errno(-NLE_NODEV), -ENODEV);
	assert_int_equal(nd_nl_errno(-NLE_OBJ_NOTFOUND), -ENOENT);
	assert_int_equal(nd_nl_errno(-NLE_NOMEM), -ENOMEM);
	assert_int_equal(nd_nl_errno(-NLE_PERM), -EPERM);
	assert_int_equal(nd_nl_errno(-9999), -EIO);

	struct nd_nl nl = { 0 };
	struct nd_error e = { 0 };
	snprintf(nl.extack, sizeof(nl.extack), "Unknown device type");
	assert_int_equal(nd_nl_fail(&nl, -EOPNOTSUPP, &e, "create %s", "x"), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "create x: "));
	assert_non_null(strstr(e.msg, "(kernel: Unknown device type)"));
	nl.kerrno = EEXIST;
	assert_int_equal(nd_nl_rc(&nl, -NLE_FAILURE), -EEXIST);
	nd_nl_reset(&nl);
	assert_int_equal(nd_nl_rc(&nl, -NLE_NODEV), -ENODEV);
	assert_int_equal(nd_nl_rc(&nl, 3), 0);
}

/* ---- vxlan ---------------------------------------------------------------- */

static void test_vxlan_registry(void **state)
{
	(void)state;
	const struct nd_driver_ops *v = nd_driver_find("vxlan");
	assert_non_null(v);
	assert_ptr_equal(nd_driver_find("overlay"), v);
	assert_string_equal(v->scope, "global");
	assert_non_null(v->peer_add);
	assert_non_null(v->peer_remove);
	assert_non_null(v->peers_sync);
}

static void test_vxlan_options(void **state)
{
	(void)state;
	struct vxlan_opts o;
	struct nd_error e = { 0 };
	json_t *j = json_pack("{s:s, s:s}", "mtu", "1400", "vni", "4242");
	assert_int_equal(vxlan__opts_parse(j, &o, &e), 0);
	assert_int_equal(o.mtu, 1400);
	assert_int_equal(o.vni, 4242);
	json_decref(j);
	j = json_pack("{s:s, s:s}", "com.docker.network.driver.mtu", "9000",
		      "com.docker.network.driver.overlay.vxlanid_list", "16777215");
	assert_int_equal(vxlan__opts_parse(j, &o, &e), 0);
	assert_int_equal(o.mtu, 9000);
	assert_int_equal(o.vni, 16777215);
	json_decref(j);
	const char *bad[][2] = { { "vni", "0" }, { "vni", "16777216" }, { "vni", "1,2" }, { "vni", "x" },
				 { "mtu", "67" }, { "mtu", "65536" }, { "mtu", "-1" }, { "bogus", "1" } };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		j = json_pack("{s:s}", bad[i][0], bad[i][1]);
		nd_error_clear(&e);
		assert_int_equal(vxlan__opts_parse(j, &o, &e), -EINVAL);
		assert_non_null(strstr(e.msg, bad[i][0]));
		json_decref(j);
	}
	j = json_pack("{s:i}", "mtu", 1400);   /* not a string */
	assert_int_equal(vxlan__opts_parse(j, &o, &e), -EINVAL);
	json_decref(j);
}

static void test_vxlan_names_mtu(void **state)
{
	(void)state;
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	const char *id = "3f2a9c0d1b4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef";
	assert_int_equal(vxlan__names(id, br, vx), 0);
	assert_string_equal(br, "ov-3f2a9c0d1b4e");
	assert_string_equal(vx, "vx-3f2a9c0d1b4e");
	assert_true(vxlan__owns_ifname(br));
	assert_true(vxlan__owns_ifname(vx));
	assert_false(vxlan__owns_ifname("vx-3f2a9c0d1b4"));
	assert_false(vxlan__owns_ifname("vx-3F2A9C0D1B4E"));
	assert_false(vxlan__owns_ifname("br-3f2a9c0d1b4e"));
	assert_false(vxlan__owns_ifname("vxlan0"));
	assert_false(nd_bridge_driver.owns_ifname(br));   /* never the bridge driver's */
	assert_int_equal(vxlan__names("short", br, vx), -EINVAL);
	assert_int_equal(vxlan__mtu_for(1500, false), 1450);
	assert_int_equal(vxlan__mtu_for(1400, false), 1350);
	assert_int_equal(vxlan__mtu_for(1500, true), 1430);
	assert_int_equal(vxlan__mtu_for(100, false), 68);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_options_table),
		cmocka_unit_test(test_options_parse),
		cmocka_unit_test(test_bridge_name),
		cmocka_unit_test(test_veth_names),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_owns_ifname),
		cmocka_unit_test(test_ifname_valid),
		cmocka_unit_test(test_nl_errno),
		cmocka_unit_test(test_macvlan_options),
		cmocka_unit_test(test_macvlan_names),
		cmocka_unit_test(test_macvlan_host_addr),
		cmocka_unit_test(test_vxlan_registry),
		cmocka_unit_test(test_vxlan_options),
		cmocka_unit_test(test_vxlan_names_mtu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
