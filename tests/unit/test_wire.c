// SPDX-License-Identifier: Apache-2.0
/* wire: the pure helpers netd and netctl share — the -p parser, capability
 * names, the growable buffer, URL escaping and query strings, the API
 * version. No root, no kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wire/wire.h"

#include <netinet/in.h>

/* ---- the API version ---- */

static void test_api_version(void **state)
{
	assert_true(wire_api_version_ok(WIRE_API_VERSION));
	assert_true(wire_api_version_ok(WIRE_API_VERSION_MIN));
	assert_true(wire_api_version_ok("1.40"));
	assert_false(wire_api_version_ok("1.23"));
	assert_false(wire_api_version_ok("9.0"));
	assert_false(wire_api_version_ok("1.4x"));
	assert_false(wire_api_version_ok(""));
	assert_false(wire_api_version_ok(NULL));
	assert_int_equal(wire_api_version_num("1.41"), WIRE_API(1, 41));
	assert_int_equal(wire_api_version_num("1.4x"), 0);
	assert_int_equal(wire_api_version_num(""), 0);
	/* the newest Docker clients refuse servers below 1.44 */
	assert_true(wire_api_version_num(WIRE_API_VERSION) >= WIRE_API(1, 44));
}

/* ---- buffer ---- */

static void test_buf_append(void **state)
{
	_cleanup_wire_buf_ struct wire_buf b = { 0 };
	assert_int_equal(wire_buf_puts(&b, "hello"), 0);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");           /* NUL-terminated in place */
	assert_int_equal(wire_buf_append(&b, "\0x", 2), 0);  /* binary is fine */
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "hello\0x", 8);
	assert_int_equal(wire_buf_printf(&b, "-%d-%s", 42, "z"), 0);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data + 7, "-42-z", 6);
	assert_int_equal(wire_buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 12);

	/* growth across many doublings keeps every byte */
	wire_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	for (int i = 0; i < 100000; i++)
		assert_int_equal(wire_buf_append(&b, &(char){ (char)('a' + i % 26) }, 1), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	for (int i = 0; i < 100000; i += 997)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[b.len], '\0');
}

static void test_buf_consume_steal(void **state)
{
	struct wire_buf b = { 0 };
	size_t n = 99;
	char *s = wire_buf_steal(&b, &n);         /* empty: "", not NULL */
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	free(s);

	assert_int_equal(wire_buf_puts(&b, "abcdef"), 0);
	wire_buf_consume(&b, 2);
	assert_string_equal(b.data, "cdef");
	assert_int_equal(b.len, 4);
	wire_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_int_equal(wire_buf_puts(&b, "xyz"), 0);
	s = wire_buf_steal(&b, &n);
	assert_string_equal(s, "xyz");
	assert_int_equal(n, 3);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);

	assert_int_equal(wire_buf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1001);
	assert_int_equal(wire_buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_true(b.cap >= 1001);               /* left as it was */
	wire_buf_free(&b);
	assert_null(b.data);
	wire_buf_free(&b);                        /* twice is fine */
}

/* ---- query strings ---- */

static void test_query_escape(void **state)
{
	_cleanup_free_ char *a = wire_query_escape("web-1.a_b~");
	assert_string_equal(a, "web-1.a_b~");
	_cleanup_free_ char *b = wire_query_escape("a b+c&d=e/f?g%h");
	assert_string_equal(b, "a%20b%2Bc%26d%3De%2Ff%3Fg%25h");
	_cleanup_free_ char *c = wire_query_escape("{\"label\":[\"x=y\"]}");
	assert_string_equal(c, "%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D");
	_cleanup_free_ char *d = wire_query_escape("\xc3\xa9");    /* UTF-8 bytes one by one */
	assert_string_equal(d, "%C3%A9");
	_cleanup_free_ char *e = wire_query_escape(NULL);
	assert_string_equal(e, "");
}

static void test_query_unescape(void **state)
{
	_cleanup_free_ char *a = wire_query_unescape("a+b%20c%2Bd", 11, true);
	assert_string_equal(a, "a b c+d");                  /* query: '+' is a space */
	_cleanup_free_ char *b = wire_query_unescape("a+b%20c%2Bd", 11, false);
	assert_string_equal(b, "a+b c+d");                  /* path: '+' stays */
	_cleanup_free_ char *c = wire_query_unescape("%c3%A9", 6, true);
	assert_string_equal(c, "\xc3\xa9");
	_cleanup_free_ char *d = wire_query_unescape("abc%41", 5, true);   /* len cuts the escape */
	assert_null(d);
	assert_null(wire_query_unescape("%4", 2, true));
	assert_null(wire_query_unescape("%zz", 3, true));
	assert_null(wire_query_unescape("a%00b", 5, true));   /* no NUL smuggled into C strings */
	_cleanup_free_ char *e = wire_query_unescape("%41", 3, true);
	assert_string_equal(e, "A");
}

static void test_query_get(void **state)
{
	const char *q = "all=1&filters=%7B%22name%22%3A%5B%22a+b%22%5D%7D&t=10&bare&empty=&n%61me=x+y&t=20";
	_cleanup_free_ char *f = wire_query_get(q, "filters");
	assert_string_equal(f, "{\"name\":[\"a b\"]}");
	_cleanup_free_ char *t = wire_query_get(q, "t");
	assert_string_equal(t, "10");                        /* the first one */
	_cleanup_free_ char *bare = wire_query_get(q, "bare");
	assert_string_equal(bare, "");
	_cleanup_free_ char *empty = wire_query_get(q, "empty");
	assert_string_equal(empty, "");
	_cleanup_free_ char *name = wire_query_get(q, "name");   /* keys are decoded too */
	assert_string_equal(name, "x y");
	errno = 0;
	assert_null(wire_query_get(q, "missing"));
	assert_int_equal(errno, ENOENT);
	assert_null(wire_query_get(q, "al"));                 /* no prefix matches */
	assert_null(wire_query_get(NULL, "t"));
	assert_null(wire_query_get("", "t"));
	errno = 0;
	assert_null(wire_query_get("t=%zz", "t"));
	assert_int_equal(errno, EINVAL);

	assert_true(wire_query_bool(q, "all", false));
	assert_true(wire_query_bool(q, "bare", false));
	assert_true(wire_query_bool("force=TRUE", "force", false));
	assert_false(wire_query_bool("force=0", "force", true));
	assert_false(wire_query_bool("force=false", "force", true));
	assert_true(wire_query_bool("", "force", true));
	assert_false(wire_query_bool(NULL, "force", false));

	size_t n = 99;
	char **all = wire_query_get_all(q, "t", &n);
	assert_non_null(all);
	assert_int_equal(n, 2);
	assert_string_equal(all[0], "10");
	assert_string_equal(all[1], "20");
	assert_null(all[2]);
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
	all = wire_query_get_all(q, "none", &n);
	assert_non_null(all);
	assert_int_equal(n, 0);
	assert_null(all[0]);
	free(all);
	assert_null(wire_query_get_all("names=a&names=%zz", "names", &n));
}

/* What netctl builds, netd reads back unchanged: every byte value but NUL,
 * '+' and spaces included, as a path segment and as a query value. */
static void test_query_roundtrip(void **state)
{
	const char *values[] = {
		"plain", "a b", "a+b", "1+1=2 & 3", "%41%", "?#/[]@!$'()*,;", "{\"label\":[\"k=v w\"]}",
		"tab\there", "\xc3\xa9t\xc3\xa9", "", "+", " ", "++  ++",
	};
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		_cleanup_wire_buf_ struct wire_buf url = { 0 };
		assert_int_equal(wire_buf_puts(&url, "/containers/json"), 0);
		assert_int_equal(wire_query_append(&url, "first", "x"), 0);
		assert_int_equal(wire_query_append(&url, "v", values[i]), 0);
		assert_int_equal(wire_query_append(&url, "k e+y", values[i]), 0);
		const char *q = strchr(url.data, '?');
		assert_non_null(q);
		assert_null(strchr(q + 1, '?'));
		assert_null(strchr(q, ' '));
		_cleanup_free_ char *first = wire_query_get(q + 1, "first");
		assert_string_equal(first, "x");
		_cleanup_free_ char *v = wire_query_get(q + 1, "v");
		assert_non_null(v);
		assert_string_equal(v, values[i]);
		_cleanup_free_ char *k = wire_query_get(q + 1, "k e+y");
		assert_non_null(k);
		assert_string_equal(k, values[i]);

		_cleanup_free_ char *seg = wire_query_escape(values[i]);
		assert_null(strchr(seg, '/'));
		_cleanup_free_ char *back = wire_query_unescape(seg, strlen(seg), false);
		assert_string_equal(back, values[i]);
	}
	/* every byte 1..255 */
	char all[256];
	for (int c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	_cleanup_free_ char *e = wire_query_escape(all);
	_cleanup_free_ char *d1 = wire_query_unescape(e, strlen(e), true);
	_cleanup_free_ char *d2 = wire_query_unescape(e, strlen(e), false);
	assert_string_equal(d1, all);
	assert_string_equal(d2, all);
}

/* ---- ports ---- */

static void test_ports_parse(void **state)
{
	struct wire_port_spec s;
	struct nd_error err = { 0 };
	assert_int_equal(wire_ports_parse("8080:80", &s, &err), 0);
	assert_int_equal(s.proto, IPPROTO_TCP);
	assert_string_equal(s.host_ip, "");
	assert_int_equal(s.host_lo, 8080);
	assert_int_equal(s.host_hi, 8080);
	assert_int_equal(s.container_lo, 80);
	assert_int_equal(wire_ports_count(&s), 1);

	assert_int_equal(wire_ports_parse("127.0.0.1:53:5353/udp", &s, &err), 0);
	assert_int_equal(s.proto, IPPROTO_UDP);
	assert_string_equal(s.host_ip, "127.0.0.1");
	assert_int_equal(s.host_lo, 53);
	assert_int_equal(s.container_lo, 5353);

	assert_int_equal(wire_ports_parse("[::1]:8080:80/sctp", &s, &err), 0);
	assert_string_equal(s.host_ip, "::1");
	assert_int_equal(s.proto, IPPROTO_SCTP);

	assert_int_equal(wire_ports_parse("8000-8010:80-90", &s, &err), 0);
	assert_int_equal(wire_ports_count(&s), 11);
	assert_int_equal(s.host_hi, 8010);
	assert_int_equal(s.container_hi, 90);

	assert_int_equal(wire_ports_parse("80", &s, &err), 0);
	assert_int_equal(s.host_lo, 0);
	assert_int_equal(s.container_lo, 80);
	assert_int_equal(wire_ports_parse("80-82/udp", &s, &err), 0);
	assert_int_equal(wire_ports_count(&s), 3);
	assert_int_equal(s.host_lo, 0);
	assert_int_equal(wire_ports_parse(":80", &s, &err), 0);
	assert_int_equal(s.host_lo, 0);
	assert_int_equal(wire_ports_parse("10.0.0.1::80", &s, &err), 0);
	assert_int_equal(s.host_lo, 0);
	assert_string_equal(s.host_ip, "10.0.0.1");
	assert_int_equal(wire_ports_parse("1-100:1-100", &s, &err), 0);   /* no limit here */
	assert_int_equal(wire_ports_count(&s), 100);
	assert_int_equal(wire_ports_parse("1-65535", &s, &err), 0);
	assert_int_equal(wire_ports_count(&s), 65535);

	const char *bad[] = {
		"8000-8010:80", "::1:80:80", "80/icmp", "70000:80", "0:80", "a.b:80:80", "", "80-70",
		"[::1]80", "[::1]:80", "1.2.3.4:5:6:7", "80/", "-1", "80:", "8080:80/TCP", "1.2.3.4:80",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = (struct nd_error){ 0 };
		assert_int_equal(wire_ports_parse(bad[i], &s, &err), -EINVAL);
		assert_int_equal(err.code, -EINVAL);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(wire_ports_parse(NULL, &s, &err), -EINVAL);
}

static void test_ports_proto(void **state)
{
	int p = 0;
	assert_int_equal(wire_ports_proto_from_name("udp", &p), 0);
	assert_int_equal(p, IPPROTO_UDP);
	assert_string_equal(wire_ports_proto_name(IPPROTO_SCTP), "sctp");
	assert_string_equal(wire_ports_proto_name(IPPROTO_ICMP), "?");
	assert_int_equal(wire_ports_proto_from_name("icmp", &p), -EINVAL);
	const int all[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		assert_int_equal(wire_ports_proto_from_name(wire_ports_proto_name(all[i]), &p), 0);
		assert_int_equal(p, all[i]);
	}
}

/* ---- capabilities ---- */

static void test_caps(void **state)
{
	assert_int_equal(wire_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(wire_cap_from_name("net_raw"), 13);
	assert_int_equal(wire_cap_from_name("SYS_ADMIN"), 21);
	assert_int_equal(wire_cap_from_name("cap_sys_admin"), 21);
	assert_int_equal(wire_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(wire_cap_from_name("CAP_NOPE"), -EINVAL);
	assert_int_equal(wire_cap_from_name("CAP_"), -EINVAL);
	assert_int_equal(wire_cap_from_name(NULL), -EINVAL);
	assert_string_equal(wire_cap_name(29), "CAP_AUDIT_WRITE");
	assert_null(wire_cap_name(64));
	assert_null(wire_cap_name(-1));
	assert_int_equal(wire_cap_last(), 40);
	for (int c = 0; c <= wire_cap_last(); c++)
		assert_int_equal(wire_cap_from_name(wire_cap_name(c)), c);
	/* what /proc/self/status shows as CapEff in a default Docker container */
	assert_int_equal(wire_cap_default_mask(), 0xa80425fbull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_version),
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_buf_consume_steal),
		cmocka_unit_test(test_query_escape),
		cmocka_unit_test(test_query_unescape),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_query_roundtrip),
		cmocka_unit_test(test_ports_parse),
		cmocka_unit_test(test_ports_proto),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
