// SPDX-License-Identifier: Apache-2.0
/* api layer: roles by certificate (api_authz.c) and the listener keys of
 * the config they come from. */
#include "netd/api/api.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static int parse(struct netd_config *cfg, struct nd_error *err, ...)
{
	char *argv[32] = { "netd" };
	int argc = 1;
	va_list ap;
	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	return netd_config_parse(cfg, argc, argv, err);
}

static void test_roles_first_match(void **state)
{
	(void)state;
	struct netd_config cfg;
	struct nd_error err = { 0 };
	assert_int_equal(parse(&cfg, &err, "--tls-role", "role=read-only,cn=viewer-*", "--tls-role",
			       "role=operator,ou=ops", "--tls-role", "role=admin,cn=root,ou=ops", NULL), 0);
	enum netd_tls_role_kind r;
	assert_int_equal(api_role_for(&cfg, "viewer-1", "ops", &r), 0);
	assert_int_equal(r, NETD_ROLE_READ_ONLY);        /* first match wins */
	assert_int_equal(api_role_for(&cfg, "root", "ops", &r), 0);
	assert_int_equal(r, NETD_ROLE_OPERATOR);
	assert_int_equal(api_role_for(&cfg, "root", NULL, &r), -EPERM);
	assert_int_equal(api_role_for(&cfg, "someone", "dev", &r), -EPERM);
	netd_config_free(&cfg);
	/* no map: every certificate the CA signed is admin */
	assert_int_equal(parse(&cfg, &err, NULL), 0);
	assert_int_equal(api_role_for(&cfg, "x", NULL, &r), 0);
	assert_int_equal(r, NETD_ROLE_ADMIN);
	netd_config_free(&cfg);
}

static void test_listener_keys(void **state)
{
	(void)state;
	struct netd_config cfg;
	struct nd_error err = { 0 };
	assert_int_equal(parse(&cfg, &err, "--exec-root", "/run/x", NULL), 0);
	assert_int_equal(cfg.nhosts, 1);
	assert_string_equal(cfg.hosts[0], "unix:///run/x/netd.sock");
	netd_config_free(&cfg);
	assert_int_equal(parse(&cfg, &err, "--socket", "/s.sock", "-H", "tcp://0.0.0.0:2376", "--tlsverify",
			       "--tlscacert", "a", "--tlscert", "b", "--tlskey", "c", NULL), 0);
	assert_int_equal(cfg.nhosts, 2);
	assert_string_equal(cfg.hosts[1], "unix:///s.sock");
	assert_true(cfg.tlsverify);
	netd_config_free(&cfg);
	assert_int_equal(parse(&cfg, &err, "-H", "tcp://0.0.0.0:2376", NULL), -EINVAL);
	assert_non_null(strstr(err.msg, "--insecure-tcp"));
	netd_config_free(&cfg);
	assert_int_equal(parse(&cfg, &err, "-H", "tcp://0.0.0.0:2376", "--insecure-tcp", NULL), 0);
	netd_config_free(&cfg);
	assert_int_equal(parse(&cfg, &err, "-H", "tcp://nope", NULL), -EINVAL);
	netd_config_free(&cfg);
	assert_int_equal(parse(&cfg, &err, "--tls-role", "role=root,cn=x", NULL), -EINVAL);
	netd_config_free(&cfg);
	struct sockaddr_storage ss;
	assert_int_equal(http_parse_tcp_addr("127.0.0.1:2376", &ss), 0);
	assert_int_equal(http_parse_tcp_addr("[::1]:2376", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(http_parse_tcp_addr(":2376", &ss), 0);
	assert_int_equal(http_parse_tcp_addr("127.0.0.1:99999", &ss), -EINVAL);
	assert_int_equal(http_parse_tcp_addr("host.example:1", &ss), -EINVAL);
}

static void test_operator_forbidden(void **state)
{
	(void)state;
	static const struct { const char *body; bool exec; bool refused; } cases[] = {
		{ "{\"Image\":\"bb\"}", false, false },
		{ "{\"HostConfig\":{\"Privileged\":true}}", false, true },
		{ "{\"HostConfig\":{\"Privileged\":false,\"NetworkMode\":\"bridge\"}}", false, false },
		{ "{\"HostConfig\":{\"NetworkMode\":\"host\"}}", false, true },
		{ "{\"HostConfig\":{\"Binds\":[\"vol:/data\"]}}", false, false },      /* a named volume */
		{ "{\"HostConfig\":{\"Binds\":[\"/etc:/h:ro\"]}}", false, true },
		{ "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\"}]}}", false, false },
		{ "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/\"}]}}", false, true },
		{ "{\"HostConfig\":{\"Devices\":[]}}", false, false },
		{ "{\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/sda\"}]}}", false, true },
		{ "{\"HostConfig\":{\"DeviceCgroupRules\":[\"c 1:3 rwm\"]}}", false, true },
		{ "{\"HostConfig\":{\"PidMode\":\"host\"}}", false, true },
		{ "{\"HostConfig\":{\"PidMode\":\"container:x\"}}", false, false },
		{ "{\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\"]}}", false, false },
		{ "{\"HostConfig\":{\"CapAdd\":[\"cap_sys_admin\"]}}", false, true },
		{ "{\"HostConfig\":{\"CapAdd\":[\"ALL\"]}}", false, true },
		{ "{\"HostConfig\":{\"SecurityOpt\":[\"seccomp=unconfined\"]}}", false, true },
		{ "{\"HostConfig\":{\"SecurityOpt\":[\"no-new-privileges\"]}}", false, false },
		{ "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"VolumeOptions\":{\"DriverConfig\":{\"Options\":{\"o\":\"bind\",\"device\":\"/\"}}}}]}}", false, true },
		{ "{\"Privileged\":true,\"Cmd\":[\"sh\"]}", true, true },
		{ "{\"Cmd\":[\"sh\"]}", true, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].body, 0, NULL);
		assert_non_null(j);
		const char *what = api_operator_forbidden(j, cases[i].exec);
		if (cases[i].refused != (what != NULL))
			fail_msg("%s: %s", cases[i].body, what ? what : "allowed");
		json_decref(j);
	}
}

/* nothing silently dropped: what counts as "set", and the refusal names the field */
static bool is_minus_one(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == -1;
}

static void test_zeroish(void **state)
{
	(void)state;
	const char *zero[] = { "null", "false", "0", "0.0", "\"\"", "[]", "{}", "[0,0]",
			       "{\"Type\":\"\",\"Config\":{}}", "[null,{\"a\":[]}]" };
	const char *set[] = { "true", "1", "-1", "0.5", "\"x\"", "[1]", "{\"a\":1}", "[[\"\"],\"y\"]" };
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++) {
		json_t *j = json_loads(zero[i], JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		if (!api_json_zeroish(j))
			fail_msg("%s should count as unset", zero[i]);
		json_decref(j);
	}
	for (size_t i = 0; i < ARRAY_SIZE(set); i++) {
		json_t *j = json_loads(set[i], JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		if (api_json_zeroish(j))
			fail_msg("%s should count as set", set[i]);
		json_decref(j);
	}
	assert_true(api_json_zeroish(NULL));
}

static void test_refuse_unhonoured(void **state)
{
	(void)state;
	static const char *const honoured[] = { "Memory", "Binds", NULL };
	static const struct api_default defaults[] = { { "MemorySwappiness", is_minus_one }, { NULL, NULL } };
	struct nd_error err = { 0 };
	/* honoured, zero and "unset" defaults pass */
	json_t *ok = json_pack("{s:I, s:[s], s:b, s:s, s:[], s:i, s:{s:s, s:{}}}", "Memory", (json_int_t)1 << 26,
			       "Binds", "/a:/b", "Privileged", 0, "CgroupParent", "", "Devices", "MemorySwappiness", -1,
			       "LogConfig", "Type", "", "Config");
	assert_int_equal(api_refuse_unhonoured(ok, "HostConfig", honoured, defaults, &err), 0);
	json_decref(ok);
	/* a set field is refused, naming it with its path and value */
	json_t *bad = json_pack("{s:I, s:b}", "Memory", (json_int_t)1 << 26, "Privileged", 1);
	assert_int_equal(api_refuse_unhonoured(bad, "HostConfig", honoured, defaults, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "HostConfig.Privileged=true"));
	json_decref(bad);
	/* a default that is not the "unset" value is set */
	json_t *swap = json_pack("{s:i}", "MemorySwappiness", 60);
	assert_int_equal(api_refuse_unhonoured(swap, "HostConfig", honoured, defaults, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "MemorySwappiness=60"));
	json_decref(swap);
	/* top level: no prefix; an unknown field of a newer client at its zero value passes */
	json_t *top = json_pack("{s:s, s:n}", "Domainname", "example.org", "SomeFutureField");
	assert_int_equal(api_refuse_unhonoured(top, "", honoured, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "Domainname=\"example.org\""));
	assert_null(strstr(err.msg, ".Domainname"));
	json_object_del(top, "Domainname");
	assert_int_equal(api_refuse_unhonoured(top, "", honoured, NULL, &err), 0);
	json_decref(top);
	/* not an object (absent HostConfig): nothing to refuse */
	assert_int_equal(api_refuse_unhonoured(NULL, "HostConfig", honoured, NULL, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_first_match),
		cmocka_unit_test(test_listener_keys),
		cmocka_unit_test(test_operator_forbidden),
		cmocka_unit_test(test_zeroish),
		cmocka_unit_test(test_refuse_unhonoured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
