// SPDX-License-Identifier: Apache-2.0
/* Unit tests for ipam/: prefixes, pools, round-robin allocation, the address
 * space for automatic subnets, MAC derivation, and the taken-address set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ipam/ipam-internal.h"
#include "ipam/ipam.h"

/* ---- helpers ------------------------------------------------------------------ */

static struct ipam_addr A(const char *s)
{
	struct ipam_addr a;
	struct nd_error err = { 0 };
	int r = ipam_addr_parse(s, NULL, &a, &err);
	if (r < 0)
		fail_msg("parse %s: %s", s, err.msg);
	return a;
}

static struct ipam_prefix P(const char *s)
{
	struct ipam_prefix p;
	struct nd_error err = { 0 };
	int r = ipam_prefix_parse(s, NULL, 0, &p, &err);
	if (r < 0)
		fail_msg("parse %s: %s", s, err.msg);
	return p;
}

static const char *fa(const struct ipam_addr *a)
{
	static char buf[4][IPAM_ADDR_STRLEN];
	static int i;
	i = (i + 1) % 4;
	return ipam_addr_format(a, buf[i]);
}

static struct ipam_pool *pool_new_simple(const char *subnet)
{
	struct ipam_pool_config cfg = { .subnet = P(subnet) };
	struct ipam_pool *pool = NULL;
	struct nd_error err = { 0 };
	if (ipam_pool_new(&cfg, &pool, &err) < 0)
		fail_msg("pool %s: %s", subnet, err.msg);
	return pool;
}

static void alloc_expect(struct ipam_pool *pool, const char *want_out)
{
	struct ipam_addr out;
	struct nd_error err = { 0 };
	int r = ipam_pool_alloc(pool, NULL, &out, &err);
	if (r < 0)
		fail_msg("alloc (expected %s): %s", want_out, err.msg);
	assert_string_equal(fa(&out), want_out);
}

static void expect_err(int r, int code, const struct nd_error *err, const char *needle)
{
	if (r != code)
		fail_msg("expected %d, got %d (%s)", code, r, err->msg);
	assert_int_equal(err->code, code);
	if (needle && !strstr(err->msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err->msg, needle);
}

/* ---- prefixes ------------------------------------------------------------------- */

static void test_addr_parse_format(void **state)
{
	static const char *const ok[][2] = {
		{ "172.18.0.2", "172.18.0.2" }, { "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" }, { "fd00::1", "fd00::1" },
		{ "FD00:0:0:0::1", "fd00::1" }, { "::", "::" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" }, { "::ffff:10.0.0.1", "::ffff:10.0.0.1" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct ipam_addr a = A(ok[i][0]);
		assert_string_equal(fa(&a), ok[i][1]);
		struct ipam_addr b = A(fa(&a));
		assert_true(ipam_addr_equal(&a, &b));
	}
	struct ipam_addr a = A("172.18.0.2");
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.b[0], 172);
	assert_int_equal(a.b[3], 2);
	struct ipam_addr c;
	ipam_addr_from_ipv4(&c, 0xac120002);
	assert_true(ipam_addr_equal(&a, &c));
	assert_int_equal(A("fd00::1").family, AF_INET6);
	struct ipam_addr v4 = A("10.0.0.1"), v4b = A("10.0.0.2"), v6 = A("::1");
	assert_true(ipam_addr_cmp(&v4, &v4b) < 0);
	assert_true(ipam_addr_cmp(&v4, &v6) < 0);

	static const char *const bad[] = { "", "1.2.3", "1.2.3.256", "01.2.3.4", "fe80::1%eth0",
					   "10.0.0.1/24", "abc", "1.2.3.4 ", "fd00:::1", "1.2.3.4.5" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct nd_error err = { 0 };
		struct ipam_addr x;
		int r = ipam_addr_parse(bad[i], "gateway", &x, &err);
		expect_err(r, -EINVAL, &err, "invalid gateway");
	}
	struct nd_error err = { 0 };
	expect_err(ipam_addr_parse(NULL, "gateway", &c, &err), -EINVAL, &err, "missing gateway");
}

static void test_prefix_parse_format(void **state)
{
	static const char *const ok[] = { "172.18.0.0/16", "fd00::/64", "0.0.0.0/0", "::/0", "10.0.0.1/32",
					  "fd00::1/128", "192.168.16.0/20", "2001:db8:1::/48" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct ipam_prefix p = P(ok[i]);
		char buf[IPAM_PREFIX_STRLEN];
		assert_string_equal(ipam_prefix_format(&p, buf), ok[i]);
	}
	struct ipam_prefix p = P("FD00:0::/64");
	char buf[IPAM_PREFIX_STRLEN];
	assert_string_equal(ipam_prefix_format(&p, buf), "fd00::/64");
	assert_int_equal(p.len, 64);

	struct nd_error err = { 0 };
	int r = ipam_prefix_parse("10.0.0.0/33", "subnet", 0, &p, &err);
	expect_err(r, -EINVAL, &err, NULL);
	assert_string_equal(err.msg, "invalid subnet \"10.0.0.0/33\": prefix length must be 0..32");
	r = ipam_prefix_parse("10.0.0.5/24", "subnet", 0, &p, &err);
	expect_err(r, -EINVAL, &err, NULL);
	assert_string_equal(err.msg, "invalid subnet \"10.0.0.5/24\": host bits set; did you mean 10.0.0.0/24?");
	r = ipam_prefix_parse("fd00::1/64", "subnet", 0, &p, &err);
	expect_err(r, -EINVAL, &err, "did you mean fd00::/64?");
	r = ipam_prefix_parse("fd00::/129", "ip-range", 0, &p, &err);
	expect_err(r, -EINVAL, &err, "invalid ip-range \"fd00::/129\": prefix length must be 0..128");
	r = ipam_prefix_parse("10.0.0.0", "subnet", 0, &p, &err);
	expect_err(r, -EINVAL, &err, "missing prefix length");

	static const char *const bad[] = { "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/ 8",
					   "10.0.0.0/8x", "10.0.0/8", "/8", "10.0.0.0/24/1", "10.0.0.0/1000",
					   "fe80::%eth0/64", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		nd_error_clear(&err);
		r = ipam_prefix_parse(bad[i], NULL, 0, &p, &err);
		if (r != -EINVAL)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(strstr(err.msg, "invalid prefix"));
	}

	/* Interface addresses keep their host bits when asked. */
	r = ipam_prefix_parse("10.0.0.5/24", NULL, IPAM_PREFIX_HOST_BITS_OK, &p, &err);
	assert_int_equal(r, 0);
	assert_string_equal(ipam_prefix_format(&p, buf), "10.0.0.5/24");

	struct ipam_prefix m;
	assert_int_equal(ipam_prefix_make(&p.addr, 24, &m, NULL), 0);
	assert_string_equal(ipam_prefix_format(&m, buf), "10.0.0.0/24");
	struct ipam_addr first, last;
	ipam_prefix_first(&m, &first);
	ipam_prefix_last(&m, &last);
	assert_string_equal(fa(&first), "10.0.0.0");
	assert_string_equal(fa(&last), "10.0.0.255");
	struct ipam_prefix all6 = P("::/0");
	ipam_prefix_last(&all6, &last);
	assert_string_equal(fa(&last), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(ipam_prefix_make(&p.addr, 33, &m, &err), -EINVAL);
}

static void test_contains_overlaps(void **state)
{
	struct ipam_prefix s16 = P("172.18.0.0/16"), s24 = P("172.18.5.0/24"), o24 = P("172.19.0.0/24");
	struct ipam_prefix all4 = P("0.0.0.0/0"), v6 = P("fd00::/64"), v6b = P("fd00::/16");
	struct ipam_prefix all6 = P("::/0"), a25 = P("10.0.0.0/25"), b25 = P("10.0.0.128/25");

	struct ipam_addr in = A("172.18.255.255"), out = A("172.19.0.0"), six = A("fd00::5");
	assert_true(ipam_prefix_contains(&s16, &in));
	assert_false(ipam_prefix_contains(&s16, &out));
	assert_false(ipam_prefix_contains(&s16, &six));
	assert_true(ipam_prefix_contains(&all4, &out));
	assert_false(ipam_prefix_contains(&all4, &six));
	assert_true(ipam_prefix_contains(&v6, &six));
	assert_true(ipam_prefix_contains(&all6, &six));

	assert_true(ipam_prefix_overlaps(&s16, &s24));
	assert_true(ipam_prefix_overlaps(&s24, &s16));
	assert_true(ipam_prefix_overlaps(&s16, &s16));
	assert_false(ipam_prefix_overlaps(&s16, &o24));
	assert_false(ipam_prefix_overlaps(&a25, &b25)); /* adjacent */
	assert_true(ipam_prefix_overlaps(&all4, &s24));
	assert_false(ipam_prefix_overlaps(&all4, &v6)); /* families differ */
	assert_true(ipam_prefix_overlaps(&v6, &v6b));
	assert_true(ipam_prefix_overlaps(&all6, &v6));

	assert_true(ipam_prefix_contains_prefix(&s16, &s24));
	assert_false(ipam_prefix_contains_prefix(&s24, &s16));
	assert_true(ipam_prefix_contains_prefix(&s16, &s16));
	assert_false(ipam_prefix_contains_prefix(&s16, &o24));
}

static void test_mac(void **state)
{
	char mac[18];
	struct ipam_addr a = A("172.18.0.2");
	assert_int_equal(ipam_mac_from_ipv4(&a, mac), 0);
	assert_string_equal(mac, "02:42:ac:12:00:02");
	a = A("10.255.1.254");
	assert_int_equal(ipam_mac_from_ipv4(&a, mac), 0);
	assert_string_equal(mac, "02:42:0a:ff:01:fe");
	uint8_t raw[6];
	assert_int_equal(ipam_mac_bytes_from_ipv4(&a, raw), 0);
	assert_int_equal(raw[0], 0x02);
	assert_int_equal(raw[5], 0xfe);
	a = A("fd00::2");
	assert_int_equal(ipam_mac_from_ipv4(&a, mac), -EINVAL);
}

/* ---- pools: configuration ------------------------------------------------------------ */

static void gateway_is(const struct ipam_pool_config *cfg, const char *want)
{
	struct ipam_pool *pool = NULL;
	struct nd_error err = { 0 };
	if (ipam_pool_new(cfg, &pool, &err) < 0)
		fail_msg("pool: %s", err.msg);
	struct ipam_addr gw;
	if (!want) {
		assert_false(ipam_pool_gateway(pool, &gw));
	} else {
		assert_true(ipam_pool_gateway(pool, &gw));
		assert_string_equal(fa(&gw), want);
		assert_true(ipam_pool_is_reserved(pool, &gw));
		assert_false(ipam_pool_is_allocated(pool, &gw));
	}
	assert_int_equal(ipam_pool_count(pool), 0);
	ipam_pool_free(pool);
}

static void test_pool_gateway_default(void **state)
{
	struct ipam_pool_config cfg = { .subnet = P("172.18.0.0/16") };
	gateway_is(&cfg, "172.18.0.1");
	cfg.subnet = P("fd00:1::/64");
	gateway_is(&cfg, "fd00:1::1");
	cfg.subnet = P("10.0.0.0/31"); /* RFC 3021: no network/broadcast */
	gateway_is(&cfg, "10.0.0.0");
	cfg.subnet = P("10.0.0.7/32");
	gateway_is(&cfg, "10.0.0.7");
	cfg.subnet = P("fd00::/127");
	gateway_is(&cfg, "fd00::1");
	cfg.subnet = P("172.18.0.0/16");
	cfg.gateway = A("172.18.255.254");
	gateway_is(&cfg, "172.18.255.254");
	cfg.gateway = (struct ipam_addr){ 0 };
	cfg.no_gateway = true;
	gateway_is(&cfg, NULL);

	struct ipam_pool *pool = NULL;
	struct nd_error err = { 0 };
	struct ipam_pool_config c128 = { .subnet = P("fd00::5/128") };
	expect_err(ipam_pool_new(&c128, &pool, &err), -ENOSPC, &err, "no address left for a gateway");
	assert_null(pool);
	c128.no_gateway = true; /* fine, but nothing to hand out */
	assert_int_equal(ipam_pool_new(&c128, &pool, &err), 0);
	struct ipam_addr out;
	expect_err(ipam_pool_alloc(pool, NULL, &out, &err), -ENOSPC, &err, "pool fd00::5/128 exhausted");
	ipam_pool_free(pool);
	ipam_pool_free(NULL);
}

static void bad_config(const struct ipam_pool_config *cfg, int code, const char *msg)
{
	struct nd_error err = { 0 };
	expect_err(ipam_pool_config_validate(cfg, &err), code, &err, msg);
	struct ipam_pool *pool = NULL;
	nd_error_clear(&err);
	expect_err(ipam_pool_new(cfg, &pool, &err), code, &err, msg);
	assert_null(pool);
}

static void test_pool_config_validate(void **state)
{
	struct ipam_pool_config cfg = { 0 };
	bad_config(&cfg, -EINVAL, "missing subnet");

	struct ipam_prefix hb = { .addr = A("10.0.0.5"), .len = 24 };
	cfg.subnet = hb;
	bad_config(&cfg, -EINVAL, "invalid subnet \"10.0.0.5/24\": host bits set; did you mean 10.0.0.0/24?");

	cfg = (struct ipam_pool_config){ .subnet = P("10.0.0.0/24"), .gateway = A("10.1.0.1") };
	bad_config(&cfg, -EINVAL, "gateway 10.1.0.1 is outside subnet 10.0.0.0/24");
	cfg.gateway = A("fd00::1");
	bad_config(&cfg, -EINVAL, "gateway fd00::1 is IPv6 but subnet 10.0.0.0/24 is IPv4");
	cfg.gateway = A("10.0.0.0");
	bad_config(&cfg, -EINVAL, "gateway 10.0.0.0 is the network address of subnet 10.0.0.0/24");
	cfg.gateway = A("10.0.0.255");
	bad_config(&cfg, -EINVAL, "gateway 10.0.0.255 is the broadcast address of subnet 10.0.0.0/24");
	cfg.gateway = A("10.0.0.1");
	cfg.no_gateway = true;
	bad_config(&cfg, -EINVAL, "configured without a gateway");

	cfg = (struct ipam_pool_config){ .subnet = P("fd00::/64"), .gateway = A("fd00::") };
	bad_config(&cfg, -EINVAL, "subnet-router anycast address");

	cfg = (struct ipam_pool_config){ .subnet = P("10.0.0.0/16"), .range = P("10.1.0.0/24") };
	bad_config(&cfg, -EINVAL, "ip-range 10.1.0.0/24 is not inside subnet 10.0.0.0/16");
	cfg.range = P("10.0.0.0/15");
	bad_config(&cfg, -EINVAL, "ip-range 10.0.0.0/15 is not inside subnet 10.0.0.0/16");
	cfg.range = P("fd00::/64");
	bad_config(&cfg, -EINVAL, "ip-range fd00::/64 is IPv6 but subnet 10.0.0.0/16 is IPv4");
	cfg.range = (struct ipam_prefix){ .addr = A("10.0.5.1"), .len = 24 };
	bad_config(&cfg, -EINVAL, "invalid ip-range \"10.0.5.1/24\": host bits set");

	struct ipam_aux_addr aux[3] = { { "host1", A("10.0.0.5") }, { "host2", A("10.9.0.6") } };
	cfg = (struct ipam_pool_config){ .subnet = P("10.0.0.0/24"), .aux = aux, .n_aux = 2 };
	bad_config(&cfg, -EINVAL, "auxiliary address \"host2\" (10.9.0.6) is outside subnet 10.0.0.0/24");
	aux[1] = (struct ipam_aux_addr){ "host2", A("10.0.0.5") };
	bad_config(&cfg, -EINVAL, "auxiliary addresses \"host1\" and \"host2\" are both 10.0.0.5");
	aux[1] = (struct ipam_aux_addr){ "host1", A("10.0.0.6") };
	bad_config(&cfg, -EINVAL, "auxiliary address name \"host1\" is given twice");
	aux[1] = (struct ipam_aux_addr){ "", A("10.0.0.6") };
	bad_config(&cfg, -EINVAL, "empty name");
	aux[1] = (struct ipam_aux_addr){ "host2", A("10.0.0.1") };
	bad_config(&cfg, -EINVAL, "auxiliary address \"host2\" (10.0.0.1) is the default gateway");
	cfg.gateway = A("10.0.0.5");
	bad_config(&cfg, -EINVAL, "auxiliary address \"host1\" (10.0.0.5) is the gateway");
	aux[1] = (struct ipam_aux_addr){ "host2", A("10.0.0.255") };
	cfg.gateway = A("10.0.0.254");
	bad_config(&cfg, -EINVAL, "is the broadcast address");

	/* A complete, good config. */
	aux[1] = (struct ipam_aux_addr){ "host2", A("10.0.0.1") };
	aux[2] = (struct ipam_aux_addr){ "router", A("10.0.0.200") };
	cfg = (struct ipam_pool_config){ .subnet = P("10.0.0.0/24"), .gateway = A("10.0.0.254"),
					 .range = P("10.0.0.0/25"), .aux = aux, .n_aux = 3 };
	struct nd_error err = { 0 };
	assert_int_equal(ipam_pool_config_validate(&cfg, &err), 0);
}

/* ---- pools: allocation --------------------------------------------------------------- */

static void test_static_alloc(void **state)
{
	struct ipam_aux_addr aux[] = { { "host1", A("10.0.0.200") } };
	struct ipam_pool_config cfg = { .subnet = P("10.0.0.0/24"), .range = P("10.0.0.0/26"), .aux = aux,
					.n_aux = 1 };
	struct ipam_pool *pool = NULL;
	struct nd_error err = { 0 };
	assert_int_equal(ipam_pool_new(&cfg, &pool, &err), 0);

	struct ipam_addr want = A("10.0.0.100"), out; /* in the subnet, outside the range: allowed */
	assert_int_equal(ipam_pool_alloc(pool, &want, &out, &err), 0);
	assert_true(ipam_addr_equal(&want, &out));
	assert_true(ipam_pool_is_allocated(pool, &want));
	assert_int_equal(ipam_pool_count(pool), 1);

	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err,
		   "address 10.0.0.100 is already in use in 10.0.0.0/24");
	want = A("10.0.0.1");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err, "it is the gateway of 10.0.0.0/24");
	want = A("10.0.0.200");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err, "auxiliary address \"host1\"");
	want = A("10.0.0.0");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err, "network address");
	want = A("10.0.0.255");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err, "broadcast address");
	want = A("10.0.1.5");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EINVAL, &err,
		   "address 10.0.1.5 is outside subnet 10.0.0.0/24");
	want = A("fd00::5");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EINVAL, &err, "is IPv6 but pool 10.0.0.0/24 is IPv4");
	assert_int_equal(ipam_pool_count(pool), 1);

	/* Static allocation does not move the cursor; dynamic skips taken ones. */
	struct ipam_addr cur;
	assert_false(ipam_pool_cursor_get(pool, &cur));
	want = A("10.0.0.2");
	assert_int_equal(ipam_pool_alloc(pool, &want, NULL, &err), 0);
	assert_false(ipam_pool_cursor_get(pool, &cur));
	alloc_expect(pool, "10.0.0.3");
	assert_true(ipam_pool_cursor_get(pool, &cur));
	assert_string_equal(fa(&cur), "10.0.0.3");
	ipam_pool_free(pool);

	/* IPv6: the anycast address is reserved, ::1 is the gateway. */
	pool = pool_new_simple("fd00::/64");
	want = A("fd00::");
	expect_err(ipam_pool_alloc(pool, &want, &out, &err), -EADDRINUSE, &err, "subnet-router anycast");
	want = A("fd00::ffff:ffff:ffff:ffff"); /* no broadcast in IPv6 */
	assert_int_equal(ipam_pool_alloc(pool, &want, &out, &err), 0);
	alloc_expect(pool, "fd00::2");
	ipam_pool_free(pool);
}

static void test_round_robin(void **state)
{
	struct ipam_pool *pool = pool_new_simple("172.18.0.0/16");
	struct nd_error err = { 0 };
	alloc_expect(pool, "172.18.0.2");
	alloc_expect(pool, "172.18.0.3");
	alloc_expect(pool, "172.18.0.4");
	struct ipam_addr a = A("172.18.0.3");
	assert_int_equal(ipam_pool_release(pool, &a, &err), 0);
	assert_false(ipam_pool_is_allocated(pool, &a));
	alloc_expect(pool, "172.18.0.5"); /* not the just-released .3 */
	a = A("172.18.0.5");
	assert_int_equal(ipam_pool_release(pool, &a, &err), 0);
	alloc_expect(pool, "172.18.0.6"); /* not even the last one handed out */
	assert_int_equal(ipam_pool_count(pool), 3); /* .2 .4 .6 */

	/* Release: not allocated -> -ENOENT, reserved or outside -> -EINVAL. */
	expect_err(ipam_pool_release(pool, &a, &err), -ENOENT, &err, "172.18.0.5 is not allocated in 172.18.0.0/16");
	a = A("172.18.0.1");
	expect_err(ipam_pool_release(pool, &a, &err), -EINVAL, &err, "is the gateway of 172.18.0.0/16 and cannot be released");
	a = A("172.19.0.1");
	expect_err(ipam_pool_release(pool, &a, &err), -EINVAL, &err, "outside subnet");
	a = A("172.18.0.1");
	assert_true(ipam_pool_is_reserved(pool, &a));
	ipam_pool_free(pool);

	/* Wrap-around: a /29 reuses released addresses only after going round. */
	pool = pool_new_simple("10.0.0.0/29"); /* .2 .. .6 usable */
	for (int i = 2; i <= 6; i++) {
		char s[32];
		snprintf(s, sizeof(s), "10.0.0.%d", i);
		alloc_expect(pool, s);
	}
	a = A("10.0.0.4");
	assert_int_equal(ipam_pool_release(pool, &a, &err), 0);
	a = A("10.0.0.3");
	assert_int_equal(ipam_pool_release(pool, &a, &err), 0);
	alloc_expect(pool, "10.0.0.3"); /* cursor at .6: wraps, first free is .3 */
	alloc_expect(pool, "10.0.0.4");
	ipam_pool_free(pool);
}

static void exhaust(const char *subnet, const char *const *expected, size_t n, const char *msg)
{
	struct ipam_pool *pool = pool_new_simple(subnet);
	struct nd_error err = { 0 };
	struct ipam_addr out;
	for (size_t i = 0; i < n; i++)
		alloc_expect(pool, expected[i]);
	expect_err(ipam_pool_alloc(pool, NULL, &out, &err), -ENOSPC, &err, NULL);
	assert_string_equal(err.msg, msg);
	assert_int_equal(ipam_pool_count(pool), n);
	/* Free one in the middle: exactly that one comes back, then full again. */
	struct ipam_addr mid = A(expected[n / 2]);
	assert_int_equal(ipam_pool_release(pool, &mid, &err), 0);
	alloc_expect(pool, expected[n / 2]);
	expect_err(ipam_pool_alloc(pool, NULL, &out, &err), -ENOSPC, &err, "exhausted");
	ipam_pool_free(pool);
}

static void test_exhaustion(void **state)
{
	static const char *const s30[] = { "10.0.0.2" };
	exhaust("10.0.0.0/30", s30, ARRAY_SIZE(s30), "pool 10.0.0.0/30 exhausted");
	static const char *const s29[] = { "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6" };
	exhaust("10.0.0.0/29", s29, ARRAY_SIZE(s29), "pool 10.0.0.0/29 exhausted");
	static const char *const s126[] = { "fd00::2", "fd00::3" };
	exhaust("fd00::/126", s126, ARRAY_SIZE(s126), "pool fd00::/126 exhausted");
	static const char *const s31[] = { "10.0.0.1" }; /* .0 is the gateway */
	exhaust("10.0.0.0/31", s31, ARRAY_SIZE(s31), "pool 10.0.0.0/31 exhausted");

	/* With an ip-range, only the range is used dynamically. */
	struct ipam_pool_config cfg = { .subnet = P("10.0.0.0/24"), .range = P("10.0.0.248/29") };
	struct ipam_pool *pool = NULL;
	struct nd_error err = { 0 };
	assert_int_equal(ipam_pool_new(&cfg, &pool, &err), 0);
	for (int i = 248; i <= 254; i++) { /* .255 is the broadcast address */
		char s[32];
		snprintf(s, sizeof(s), "10.0.0.%d", i);
		alloc_expect(pool, s);
	}
	struct ipam_addr out;
	expect_err(ipam_pool_alloc(pool, NULL, &out, &err), -ENOSPC, &err,
		   "pool 10.0.0.0/24 exhausted: ip-range 10.0.0.248/29 has no free address");
	struct ipam_addr want = A("10.0.0.9"); /* static outside the range still works */
	assert_int_equal(ipam_pool_alloc(pool, &want, &out, &err), 0);
	ipam_pool_free(pool);
}

/* ---- pools: cost flat in pool size ------------------------------------------------------ */

#define N_BIG 100000

static void big_pool(const char *subnet, bool sparse_static)
{
	struct ipam_pool *pool = pool_new_simple(subnet);
	struct nd_error err = { 0 };
	size_t empty = ipam_pool_mem_bytes(pool);
	struct ipam_addr out, first = { 0 };

	uint64_t t0 = nd_now_ns();
	for (int i = 0; i < N_BIG; i++) {
		if (ipam_pool_alloc(pool, NULL, &out, &err) < 0)
			fail_msg("alloc %d: %s", i, err.msg);
		if (i == 0)
			first = out;
	}
	uint64_t t1 = nd_now_ns();
	assert_int_equal(ipam_pool_count(pool), N_BIG);
	/* Sequential allocations coalesce: a few nodes, whatever the pool size. */
	size_t seq = ipam_pool_mem_bytes(pool);
	assert_true(seq <= empty + 4 * sizeof(struct ipam__run));

	/* Release every other one: worst case, one node per allocation left. */
	ipam__u128 base = ipam__addr_to_u128(&first);
	for (int i = 0; i < N_BIG; i += 2) {
		struct ipam_addr a;
		ipam__u128_to_addr(first.family, base + (ipam__u128)i, &a);
		if (ipam_pool_release(pool, &a, &err) < 0)
			fail_msg("release %d: %s", i, err.msg);
	}
	uint64_t t2 = nd_now_ns();
	assert_int_equal(ipam_pool_count(pool), N_BIG / 2);
	size_t frag = ipam_pool_mem_bytes(pool);
	assert_true(frag <= empty + (N_BIG / 2 + 4) * sizeof(struct ipam__run));

	/* The next dynamic address continues after the cursor, not in the holes. */
	assert_int_equal(ipam_pool_alloc(pool, NULL, &out, &err), 0);
	assert_true(ipam__addr_to_u128(&out) == base + N_BIG);

	/* Sparse static allocations across the whole pool (evenly spread over
	 * the upper half of a /8 or /64), then dynamic ones still take O(log n). */
	size_t before_sparse = ipam_pool_mem_bytes(pool);
	uint64_t t3 = nd_now_ns(), t4 = t3;
	if (sparse_static) {
		struct ipam_prefix sn = P(subnet);
		ipam__u128 f, l;
		ipam__prefix_bounds(&sn, &f, &l);
		/* In the upper half, clear of the dynamic ones at the start. */
		ipam__u128 half = (l - f) / 2, step = half / (N_BIG + 2);
		for (int i = 1; i <= N_BIG; i++) {
			struct ipam_addr a;
			ipam__u128_to_addr(first.family, f + half + step * (ipam__u128)i, &a);
			if (ipam_pool_alloc(pool, &a, NULL, &err) < 0)
				fail_msg("static %d (%s): %s", i, fa(&a), err.msg);
		}
		t4 = nd_now_ns();
		assert_int_equal(ipam_pool_count(pool), N_BIG / 2 + 1 + N_BIG);
		assert_true(ipam_pool_mem_bytes(pool) <= before_sparse + (N_BIG + 2) * sizeof(struct ipam__run));
	}

	print_message("  %s: %d dynamic allocs %.1f ms (%.0f ns each); %d releases %.1f ms; "
		      "%d sparse static %.1f ms; mem empty=%zu B, sequential=%zu B, fragmented=%zu B, "
		      "final=%zu B (%zu B/run)\n",
		      subnet, N_BIG, (double)(t1 - t0) / 1e6, (double)(t1 - t0) / N_BIG, N_BIG / 2,
		      (double)(t2 - t1) / 1e6, sparse_static ? N_BIG : 0, (double)(t4 - t3) / 1e6, empty, seq, frag,
		      ipam_pool_mem_bytes(pool), sizeof(struct ipam__run));
	ipam_pool_free(pool);
}

static void test_big_pool_v4_slash8(void **state)
{
	big_pool("10.0.0.0/8", true);
}

static void test_big_pool_v6_slash64(void **state)
{
	big_pool("fd00:1:2:3::/64", true);
}

static void test_big_pool_v6_whole_space(void **state)
{
	/* ::/0: 2^128 addresses, the last one included. */
	struct ipam_pool *pool = pool_new_simple("::/0");
	struct nd_error err = { 0 };
	struct ipam_addr last = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), out;
	assert_int_equal(ipam_pool_alloc(pool, &last, &out, &err), 0);
	assert_int_equal(ipam_pool_cursor_set(pool, &last, &err), 0);
	alloc_expect(pool, "::2"); /* wraps to the start */
	struct ipam_addr before = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	assert_int_equal(ipam_pool_cursor_set(pool, &before, &err), 0);
	alloc_expect(pool, "::3"); /* the last address is taken: wrap */
	assert_int_equal(ipam_pool_release(pool, &last, &err), 0);
	alloc_expect(pool, "::4");
	ipam_pool_free(pool);
}

/* ---- cursor persistence ---------------------------------------------------------------- */

static void test_cursor_persistence(void **state)
{
	struct nd_error err = { 0 };
	struct ipam_pool *a = pool_new_simple("192.168.16.0/20");
	struct ipam_addr out, cur;
	for (int i = 0; i < 6; i++)
		assert_int_equal(ipam_pool_alloc(a, NULL, &out, &err), 0); /* .2 .. .7 */
	struct ipam_addr r1 = A("192.168.16.3"), r2 = A("192.168.16.7");
	assert_int_equal(ipam_pool_release(a, &r1, &err), 0);
	assert_int_equal(ipam_pool_release(a, &r2, &err), 0);
	assert_true(ipam_pool_cursor_get(a, &cur));
	assert_string_equal(fa(&cur), "192.168.16.7");

	/* netd restarts: a fresh pool, allocations and cursor from the store. */
	struct ipam_pool *b = pool_new_simple("192.168.16.0/20");
	static const char *const live[] = { "192.168.16.2", "192.168.16.4", "192.168.16.5", "192.168.16.6" };
	for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
		struct ipam_addr x = A(live[i]);
		assert_int_equal(ipam_pool_mark(b, &x, &err), 0);
		assert_int_equal(ipam_pool_mark(b, &x, &err), 0); /* idempotent */
	}
	assert_int_equal(ipam_pool_count(b), ARRAY_SIZE(live));
	assert_false(ipam_pool_cursor_get(b, &out)); /* mark does not move it */
	assert_int_equal(ipam_pool_cursor_set(b, &cur, &err), 0);

	for (int i = 0; i < 3; i++) {
		struct ipam_addr xa, xb;
		assert_int_equal(ipam_pool_alloc(a, NULL, &xa, &err), 0);
		assert_int_equal(ipam_pool_alloc(b, NULL, &xb, &err), 0);
		assert_true(ipam_addr_equal(&xa, &xb));
	}
	assert_string_equal(fa(&cur), "192.168.16.7");
	assert_true(ipam_pool_cursor_get(b, &cur));
	assert_string_equal(fa(&cur), "192.168.16.10"); /* .8 .9 .10: not .3 or .7 */

	/* Mark: reserved -> -EADDRINUSE, outside -> -EINVAL. Cursor outside -> -EINVAL. */
	struct ipam_addr gw = A("192.168.16.1"), far = A("192.168.32.1");
	expect_err(ipam_pool_mark(b, &gw, &err), -EADDRINUSE, &err, "it is the gateway");
	expect_err(ipam_pool_mark(b, &far, &err), -EINVAL, &err, "outside subnet");
	expect_err(ipam_pool_cursor_set(b, &far, &err), -EINVAL, &err, "round-robin cursor: address 192.168.32.1");

	/* Forgetting the cursor starts again at the beginning of the range. */
	assert_int_equal(ipam_pool_cursor_set(b, NULL, &err), 0);
	alloc_expect(b, "192.168.16.3");
	/* A cursor at the end of the range wraps. */
	struct ipam_addr end = A("192.168.31.255");
	assert_int_equal(ipam_pool_cursor_set(b, &end, &err), 0);
	alloc_expect(b, "192.168.16.7");
	ipam_pool_free(a);
	ipam_pool_free(b);
}

/* ---- address space ---------------------------------------------------------------------- */

static void pick_is(const struct ipam_space *s, const char *const *in_use, size_t n, const char *want)
{
	struct ipam_prefix used[64], out;
	assert_true(n <= ARRAY_SIZE(used));
	for (size_t i = 0; i < n; i++)
		used[i] = P(in_use[i]);
	struct nd_error err = { 0 };
	int r = ipam_space_pick(s, used, n, &out, &err);
	if (!want) {
		expect_err(r, -ENOSPC, &err, NULL);
		assert_string_equal(err.msg, "all predefined address pools have been fully subnetted");
		return;
	}
	if (r < 0)
		fail_msg("pick (want %s): %s", want, err.msg);
	char buf[IPAM_PREFIX_STRLEN];
	assert_string_equal(ipam_prefix_format(&out, buf), want);
}

static void test_space_default(void **state)
{
	struct ipam_space *s = NULL;
	struct nd_error err = { 0 };
	assert_int_equal(ipam_space_default(&s, &err), 0);
	const struct ipam_space_entry *e;
	assert_int_equal(ipam_space_entries(s, &e), 16);
	char buf[IPAM_PREFIX_STRLEN];
	assert_string_equal(ipam_prefix_format(&e[0].base, buf), "172.17.0.0/16");
	assert_string_equal(ipam_prefix_format(&e[15].base, buf), "192.168.0.0/16");
	assert_int_equal(e[15].size, 20);

	pick_is(s, NULL, 0, "172.17.0.0/16");
	static const char *const u1[] = { "172.17.0.0/16" };
	pick_is(s, u1, 1, "172.18.0.0/16");
	static const char *const u2[] = { "172.18.0.0/16", "172.17.5.0/24", "fd00::/8" };
	pick_is(s, u2, 3, "172.19.0.0/16");
	static const char *const u3[] = { "172.16.0.0/12" }; /* one host route covers all 172.x */
	pick_is(s, u3, 1, "192.168.0.0/20");
	static const char *const u4[] = { "172.16.0.0/12", "192.168.0.0/20", "192.168.17.0/24" };
	pick_is(s, u4, 3, "192.168.32.0/20");
	static const char *const u5[] = { "172.16.0.0/12", "192.168.0.0/16" };
	pick_is(s, u5, 2, NULL);
	static const char *const u6[] = { "0.0.0.0/0" };
	pick_is(s, u6, 1, NULL);
	/* Fill 172.17..31 one by one, then 16 /20s of 192.168: 31 networks. */
	char names[64][IPAM_PREFIX_STRLEN];
	const char *used[64];
	size_t n = 0;
	for (;;) {
		struct ipam_prefix used_p[64], out;
		for (size_t i = 0; i < n; i++)
			used_p[i] = P(used[i]);
		int r = ipam_space_pick(s, used_p, n, &out, &err);
		if (r == -ENOSPC)
			break;
		assert_int_equal(r, 0);
		assert_true(n < 64);
		ipam_prefix_format(&out, names[n]);
		used[n] = names[n];
		n++;
	}
	assert_int_equal(n, 15 + 16);
	assert_string_equal(used[14], "172.31.0.0/16");
	assert_string_equal(used[30], "192.168.240.0/20");
	ipam_space_free(s);

	assert_int_equal(ipam_space_default_global(&s, &err), 0);
	static const char *const g1[] = { "10.0.0.0/24", "10.0.1.0/25" };
	pick_is(s, g1, 2, "10.0.2.0/24");
	ipam_space_free(s);
	ipam_space_free(NULL);
}

static void test_space_custom(void **state)
{
	struct ipam_space *s = NULL;
	struct nd_error err = { 0 };
	struct ipam_space_entry e[3] = { { P("10.10.0.0/16"), 24 }, { P("fd00::/8"), 64 } };

	assert_int_equal(ipam_space_new(e, 2, &s, &err), 0);
	static const char *const u1[] = { "10.10.0.0/16" };
	pick_is(s, u1, 1, "fd00::/64"); /* entries in order, any family */
	struct ipam_prefix used[1001], out;
	used[0] = P("fd00::/16");
	assert_int_equal(ipam_space_pick_family(s, AF_INET6, used, 1, &out, &err), 0);
	char buf[IPAM_PREFIX_STRLEN];
	assert_string_equal(ipam_prefix_format(&out, buf), "fd01::/64");
	assert_int_equal(ipam_space_pick_family(s, AF_INET, used, 1, &out, &err), 0);
	assert_string_equal(ipam_prefix_format(&out, buf), "10.10.0.0/24");
	/* 1000 consecutive /64s in use: found without walking 2^56 candidates. */
	for (int i = 0; i < 1000; i++) {
		struct ipam_addr a;
		ipam__u128_to_addr(AF_INET6, ((ipam__u128)0xfd00 << 112) | ((ipam__u128)i << 64), &a);
		used[i].addr = a;
		used[i].len = 64;
	}
	uint64_t t0 = nd_now_ns();
	assert_int_equal(ipam_space_pick_family(s, AF_INET6, used, 1000, &out, &err), 0);
	print_message("  pick after 1000 in-use /64s: %.2f ms\n", (double)(nd_now_ns() - t0) / 1e6);
	assert_string_equal(ipam_prefix_format(&out, buf), "fd00:0:0:3e8::/64");
	ipam_space_free(s);

	assert_int_equal(ipam_space_new(e, 1, &s, &err), 0);
	expect_err(ipam_space_pick_family(s, AF_INET6, NULL, 0, &out, &err), -ENOSPC, &err,
		   "no predefined IPv6 address pools");
	ipam_space_free(s);

	s = NULL;
	e[0] = (struct ipam_space_entry){ P("10.0.0.0/16"), 8 };
	expect_err(ipam_space_new(e, 1, &s, &err), -EINVAL, &err, "address pool 10.0.0.0/16: size 8 must be between 16 and 32");
	e[0] = (struct ipam_space_entry){ P("10.0.0.0/16"), 33 };
	expect_err(ipam_space_new(e, 1, &s, &err), -EINVAL, &err, "size 33");
	e[0] = (struct ipam_space_entry){ { A("10.0.0.1"), 16 }, 24 };
	expect_err(ipam_space_new(e, 1, &s, &err), -EINVAL, &err, "host bits set; did you mean 10.0.0.0/16?");
	assert_null(s);
	assert_int_equal(ipam_space_new(NULL, 0, &s, &err), 0);
	expect_err(ipam_space_pick(s, NULL, 0, &out, &err), -ENOSPC, &err, "fully subnetted");
	ipam_space_free(s);
}

static void test_space_pick_model(void **state)
{
	/* Random in-use prefixes against a brute-force walk of every candidate. */
	struct ipam_space_entry e[] = { { P("10.0.0.0/16"), 24 }, { P("10.0.0.0/16"), 26 },
					{ P("192.168.0.0/16"), 20 }, { P("fd00::/120"), 124 } };
	struct ipam_space *s = NULL;
	struct nd_error err = { 0 };
	assert_int_equal(ipam_space_new(e, ARRAY_SIZE(e), &s, &err), 0);
	uint32_t rng = 777;
	for (int round = 0; round < 300; round++) {
		struct ipam_prefix used[40];
		size_t n = 0;
		rng = rng * 1103515245u + 12345u;
		size_t want_n = (rng >> 8) % ARRAY_SIZE(used);
		while (n < want_n) {
			rng = rng * 1103515245u + 12345u;
			uint32_t r = rng >> 4;
			struct ipam_addr a;
			int len;
			switch (r % 3) {
			case 0: ipam_addr_from_ipv4(&a, 0x0a000000u | ((r >> 2) & 0x1ffff)); len = 12 + (int)((r >> 20) % 17); break;
			case 1: ipam_addr_from_ipv4(&a, 0xc0a80000u | ((r >> 2) & 0xffff)); len = 14 + (int)((r >> 20) % 12); break;
			default: ipam__u128_to_addr(AF_INET6, ((ipam__u128)0xfd00 << 112) | ((r >> 2) & 0x1ff), &a);
				 len = 118 + (int)((r >> 20) % 10); break;
			}
			assert_int_equal(ipam_prefix_make(&a, len, &used[n], NULL), 0);
			n++;
		}
		/* Brute force. */
		struct ipam_prefix want = { 0 };
		bool found = false;
		for (size_t k = 0; k < ARRAY_SIZE(e) && !found; k++) {
			ipam__u128 f, l;
			ipam__prefix_bounds(&e[k].base, &f, &l);
			int bits = ipam_family_bits(e[k].base.addr.family);
			ipam__u128 bs = (ipam__u128)1 << (bits - e[k].size);
			for (ipam__u128 c = f; c <= l && !found; c += bs) {
				struct ipam_prefix cand = { .len = e[k].size };
				ipam__u128_to_addr(e[k].base.addr.family, c, &cand.addr);
				bool clash = false;
				for (size_t i = 0; i < n && !clash; i++)
					clash = ipam_prefix_overlaps(&cand, &used[i]);
				if (!clash) {
					want = cand;
					found = true;
				}
			}
		}
		struct ipam_prefix got;
		int r = ipam_space_pick(s, used, n, &got, &err);
		if (!found) {
			assert_int_equal(r, -ENOSPC);
		} else {
			char b1[IPAM_PREFIX_STRLEN], b2[IPAM_PREFIX_STRLEN];
			assert_int_equal(r, 0);
			if (!ipam_prefix_equal(&got, &want))
				fail_msg("round %d: got %s, want %s", round, ipam_prefix_format(&got, b1),
					 ipam_prefix_format(&want, b2));
		}
	}
	ipam_space_free(s);
}

/* ---- the taken-address set against a brute-force model ----------------------------------- */

static int check_tree(const struct ipam__run *n, ipam__u128 *prev_last, bool *have_prev, size_t *count)
{
	if (!n)
		return 0;
	int hl = check_tree(n->left, prev_last, have_prev, count);
	assert_true(n->first <= n->last);
	if (*have_prev)
		assert_true(n->first > *prev_last + 1); /* disjoint and not adjacent */
	*prev_last = n->last;
	*have_prev = true;
	(*count)++;
	int hr = check_tree(n->right, prev_last, have_prev, count);
	assert_true(hl - hr <= 1 && hr - hl <= 1);
	int h = 1 + (hl > hr ? hl : hr);
	assert_int_equal(n->height, h);
	return h;
}

static void runset_model(ipam__u128 base)
{
	enum { U = 512 };
	bool model[U] = { 0 };
	struct ipam__runset s;
	ipam__runset_init(&s);
	uint32_t rng = 12345;
	for (int step = 0; step < 20000; step++) {
		rng = rng * 1103515245u + 12345u;
		unsigned x = (rng >> 8) % U;
		bool add = ((rng >> 4) & 3) != 0 || step > 15000 ? ((rng >> 4) & 1) : 0;
		int r = add ? ipam__runset_add(&s, base + x) : ipam__runset_del(&s, base + x);
		if (add) {
			assert_int_equal(r, model[x] ? -EEXIST : 0);
			model[x] = true;
		} else {
			assert_int_equal(r, model[x] ? 0 : -ENOENT);
			model[x] = false;
		}
		if (step % 97 == 0) {
			ipam__u128 prev = 0;
			bool have = false;
			size_t count = 0;
			check_tree(s.root, &prev, &have, &count);
			assert_int_equal(count, s.n_runs);
			assert_int_equal(s.mem_bytes, s.n_runs * sizeof(struct ipam__run));
			for (unsigned i = 0; i < U; i++)
				assert_int_equal(ipam__runset_has(&s, base + i), model[i]);
			unsigned lo = (rng >> 3) % U, hi = (rng >> 13) % U;
			ipam__u128 got;
			bool found = ipam__runset_first_free(&s, base + lo, base + hi, &got);
			unsigned want = lo;
			while (want <= hi && model[want])
				want++;
			if (lo > hi || want > hi) {
				assert_false(found);
			} else {
				assert_true(found);
				assert_true(got == base + want);
			}
		}
	}
	ipam__runset_clear(&s);
	assert_int_equal(s.n_runs, 0);
}

static void test_runset_model(void **state)
{
	runset_model(0);
	runset_model(IPAM__U128_MAX - 511); /* the top of the IPv6 space */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_format),
		cmocka_unit_test(test_prefix_parse_format),
		cmocka_unit_test(test_contains_overlaps),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_pool_gateway_default),
		cmocka_unit_test(test_pool_config_validate),
		cmocka_unit_test(test_static_alloc),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_big_pool_v4_slash8),
		cmocka_unit_test(test_big_pool_v6_slash64),
		cmocka_unit_test(test_big_pool_v6_whole_space),
		cmocka_unit_test(test_cursor_persistence),
		cmocka_unit_test(test_space_default),
		cmocka_unit_test(test_space_custom),
		cmocka_unit_test(test_space_pick_model),
		cmocka_unit_test(test_runset_model),
	};
	return cmocka_run_group_tests_name("ipam", tests, NULL, NULL);
}
