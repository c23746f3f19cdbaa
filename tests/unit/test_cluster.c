// SPDX-License-Identifier: Apache-2.0
/* cluster: the etcd client's pure parts — endpoint lists, base64 of keys
 * and values (OpenSSL EVP), prefix range ends, option checks, an
 * unreachable store's error. No etcd needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cluster/etcd_internal.h"

static void test_url_check(void **state)
{
	struct nd_error err = { 0 };
	assert_int_equal(nd_etcd_url_check("etcd://10.0.0.1:2379", &err), 0);
	assert_int_equal(nd_etcd_url_check("etcd://10.0.0.1:2379,etcd2.lan:2379,[fd00::1]:2379", &err), 0);
	assert_int_equal(nd_etcd_url_check("10.0.0.1:2379", &err), -EINVAL);      /* the scheme is required */
	assert_int_equal(nd_etcd_url_check("http://10.0.0.1:2379", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://10.0.0.1", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://10.0.0.1:0", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://10.0.0.1:2379,", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://a b:2379", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://[fd00::zz]:2379", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check("etcd://", &err), -EINVAL);
	assert_int_equal(nd_etcd_url_check(NULL, &err), -EINVAL);
}

static void test_b64(void **state)
{
	static const char *const in[] = { "", "a", "ab", "abc", "abcd", "/netd/v1/networks/x" };
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		_cleanup_free_ char *b = etcd__b64(in[i], strlen(in[i]));
		_cleanup_free_ char *back = NULL;
		size_t len = 99;
		assert_int_equal(etcd__unb64(b, &back, &len), 0);
		assert_int_equal(len, strlen(in[i]));
		assert_string_equal(back, in[i]);
	}
	/* bytes with NUL inside survive */
	const char bin[] = { 'x', 0, 'y', (char)0xff };
	_cleanup_free_ char *b = etcd__b64(bin, sizeof(bin));
	_cleanup_free_ char *back = NULL;
	size_t len = 0;
	assert_int_equal(etcd__unb64(b, &back, &len), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(back, bin, sizeof(bin));
	assert_int_equal(etcd__unb64("abc", &back, &len), -EPROTO);
}

static void test_range_end(void **state)
{
	_cleanup_free_ char *e1 = etcd__range_end_b64("/a/");
	_cleanup_free_ char *want1 = etcd__b64("/a0", 3);       /* '/' + 1 = '0' */
	assert_string_equal(e1, want1);
	const char ff[] = { 'a', (char)0xff, 0 };
	_cleanup_free_ char *e2 = etcd__range_end_b64(ff);
	_cleanup_free_ char *want2 = etcd__b64("b", 1);         /* trailing 0xff dropped */
	assert_string_equal(e2, want2);
}

static void test_int(void **state)
{
	json_t *j = json_pack("{s:s, s:I, s:s}", "a", "9007199254740993", "b", (json_int_t)7, "c", "x");
	assert_true(etcd__int(j, "a", 0) == 9007199254740993LL);   /* beyond a double's precision */
	assert_int_equal(etcd__int(j, "b", 0), 7);
	assert_int_equal(etcd__int(j, "c", -1), -1);
	assert_int_equal(etcd__int(j, "missing", 5), 5);
	json_decref(j);
}

static void test_new_opts(void **state)
{
	struct nd_error err = { 0 };
	struct nd_etcd *e = NULL;
	struct nd_etcd_opts o = { .endpoints = "etcd://10.0.0.1:2379,10.0.0.2:2379" };
	assert_int_equal(nd_etcd_new(&o, &e, &err), 0);
	assert_string_equal(nd_etcd_url(e), "etcd://10.0.0.1:2379,10.0.0.2:2379");
	assert_int_equal(nd_etcd_endpoint_count(e), 2);
	assert_string_equal(nd_etcd_endpoint_at(e, 1), "10.0.0.2:2379");
	assert_false(nd_etcd_tls(e));
	nd_etcd_free(e);
	o = (struct nd_etcd_opts){ .endpoints = "10.0.0.1:2379", .cert = "c.pem" };
	assert_int_equal(nd_etcd_new(&o, &e, &err), -EINVAL);       /* cert without key */
	o = (struct nd_etcd_opts){ .endpoints = "10.0.0.1:2379", .cert = "c.pem", .key = "k.pem" };
	assert_int_equal(nd_etcd_new(&o, &e, &err), -EINVAL);       /* cert without CA */
	nd_etcd_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_range_end),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_new_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
