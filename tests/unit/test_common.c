// SPDX-License-Identifier: Apache-2.0
/* common: IDs, names, errors, JSON helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/common.h"

static void test_id_new_is_valid_and_unique(void **state)
{
	char a[ND_ID_LEN + 1], b[ND_ID_LEN + 1];
	assert_int_equal(nd_id_new(a), 0);
	assert_int_equal(nd_id_new(b), 0);
	assert_int_equal(strlen(a), 64);
	assert_true(nd_id_valid(a));
	assert_string_not_equal(a, b);
}

static void test_id_valid_rejects(void **state)
{
	assert_false(nd_id_valid(NULL));
	assert_false(nd_id_valid(""));
	assert_false(nd_id_valid("abc"));
	char upper[65];
	memset(upper, 'A', 64);
	upper[64] = 0;
	assert_false(nd_id_valid(upper));
	char g[65];
	memset(g, 'a', 64);
	g[64] = 0;
	assert_true(nd_id_valid(g));
	g[10] = 'g';
	assert_false(nd_id_valid(g));
}

static void test_id_prefix(void **state)
{
	assert_false(nd_id_prefix_valid("0123456789a"));       /* 11 */
	assert_true(nd_id_prefix_valid("0123456789ab"));       /* 12 */
	assert_false(nd_id_prefix_valid("0123456789aZ"));
}

static void test_names(void **state)
{
	assert_true(nd_name_valid("web"));
	assert_true(nd_name_valid("a.b-c_d9"));
	assert_false(nd_name_valid(""));
	assert_false(nd_name_valid("-web"));
	assert_false(nd_name_valid("we b"));
	assert_false(nd_name_valid("web/x"));
	assert_false(nd_name_valid("we;rm -rf"));
	char longname[200];
	memset(longname, 'a', 199);
	longname[199] = 0;
	assert_false(nd_name_valid(longname));
}

static void test_error_wrap_chain(void **state)
{
	struct nd_error err = { 0 };
	assert_int_equal(nd_error_set(&err, -EEXIST, "create bridge %s: File exists", "br-3f2a"), -EEXIST);
	nd_error_wrap(&err, "network \"%s\"", "web");
	assert_string_equal(err.msg, "network \"web\": create bridge br-3f2a: File exists");
	assert_int_equal(err.code, -EEXIST);
	assert_int_equal(nd_error_http_status(&err), 409);
	/* a non-negative code never sneaks through as success */
	assert_int_equal(nd_error_set(&err, 0, "x"), -EIO);
}

static void test_error_status_map(void **state)
{
	struct nd_error e = { .code = -EINVAL };
	assert_int_equal(nd_error_http_status(&e), 400);
	e.code = -ENOENT;
	assert_int_equal(nd_error_http_status(&e), 404);
	e.code = -ENOSPC;
	assert_int_equal(nd_error_http_status(&e), 409);
	e.code = -EIO;
	assert_int_equal(nd_error_http_status(&e), 500);
	assert_int_equal(nd_error_from_http_status(404), -ENOENT);
}

static void test_json_parse_rejects_duplicates(void **state)
{
	struct nd_error err = { 0 };
	const char *dup = "{\"a\":1,\"a\":2}";
	assert_null(nd_json_parse(dup, strlen(dup), &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "duplicate"));
	const char *bad = "{\"a\":";
	assert_null(nd_json_parse(bad, strlen(bad), &err));
	assert_non_null(strstr(err.msg, "malformed JSON"));
	const char *ok = "{\"a\":\"b\"}";
	json_t *j = nd_json_parse(ok, strlen(ok), &err);
	assert_non_null(j);
	assert_string_equal(nd_json_str(j, "a"), "b");
	assert_null(nd_json_str(j, "missing"));
	json_decref(j);
}

static void test_snprintf_truncation(void **state)
{
	char buf[4];
	assert_int_equal(nd_snprintf(buf, sizeof(buf), "%s", "abc"), 0);
	assert_int_equal(nd_snprintf(buf, sizeof(buf), "%s", "abcd"), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_new_is_valid_and_unique),
		cmocka_unit_test(test_id_valid_rejects),
		cmocka_unit_test(test_id_prefix),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_error_wrap_chain),
		cmocka_unit_test(test_error_status_map),
		cmocka_unit_test(test_json_parse_rejects_duplicates),
		cmocka_unit_test(test_snprintf_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
