// SPDX-License-Identifier: Apache-2.0
/* netctl's drawing of the topology (cli/topology_draw.c, topology_svg.c):
 * DOT built from GET /topology documents, then parsed, laid out and
 * rendered by libgvc; the SVG is read back. No netd, no kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/topology.h"

/* Under LeakSanitizer (scripts/test.sh runs the unit tests so): graphviz
 * 2.42's dot layout leaks in its cluster code, and fontconfig and the
 * text layout keep caches for the life of the process; none of it is ours
 * (our calls free what the API hands back: the render data, the layout,
 * the graph, aglasterr's copy). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvplugin_dot_layout.so\nleak:libgvplugin_pango.so\nleak:libgvc.so\nleak:libcgraph.so\n"
	       "leak:libcdt.so\nleak:libfontconfig.so\nleak:libpango\nleak:libcairo.so\nleak:libglib-2.0.so\n";
}

#define OV "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef"

/* one host: a local bridge network with a container publishing 8080, and
 * the global network OV (a VXLAN device and its bridge) */
static json_t *host(const char *name, const char *ctr, int vni)
{
	json_error_t je;
	json_t *h = json_pack_ex(&je, 0,
		"{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[{s:s}], s:[{s:s, s:s, s:i, s:s, s:[s]}]},"
		"             {s:s, s:s, s:s, s:s, s:[], s:[{s:s, s:s, s:i, s:s, s:I}, {s:s, s:s, s:i, s:s}]}],"
		" s:[{s:s, s:s, s:b}],"
		" s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:i, s:s, s:[s]}, s:{s:s, s:s, s:i, s:s}}],"
		" s:[{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:i, s:s, s:i}]}]}",
		"Host", name, "Address", "unix:///x",
		"Networks",
		"Id", "aaaaaaaaaaaa", "Name", "web", "Driver", "bridge", "Scope", "local", "Subnets", "Subnet",
		"172.18.0.0/16", "Links", "Name", "br-aaaaaaaaaaaa", "Kind", "bridge", "Ifindex", 3, "Role", "bridge",
		"Addresses", "172.18.0.1/16",
		"Id", OV, "Name", "ov", "Driver", "vxlan", "Scope", "global", "Subnets", "Links", "Name", "vx-ov", "Kind",
		"vxlan", "Ifindex", 4, "Role", "vxlan", "VNI", (json_int_t)vni, "Name", "br-ov", "Kind", "bridge",
		"Ifindex", 5, "Role", "bridge",
		"Sandboxes", "Id", "5b5b5b5b5b5b", "Name", "", "Alive", 1,
		"Endpoints", "Id", "e1", "NetworkId", "aaaaaaaaaaaa", "SandboxId", "5b5b5b5b5b5b", "IfName", "eth0",
		"IPv4Address", "172.18.0.2/16", "IPv6Address", "", "Aliases", json_array(), "Interface", "Name", "eth0",
		"Kind", "veth", "Ifindex", 2, "Mac", "02:42:ac:12:00:02", "Addresses", "172.18.0.2/16", "HostLink",
		"Name", "veth1234567", "Kind", "veth", "Ifindex", 6, "Master", "br-aaaaaaaaaaaa",
		"Containers", "Id", "c0c0c0c0c0c0", "Name", ctr, "State", "running", "SandboxId", "5b5b5b5b5b5b",
		"Ports", "Proto", "tcp", "HostIp", "", "HostPort", 8080, "ContainerIp", "172.18.0.2", "ContainerPort", 80);
	if (!h)
		fail_msg("fixture: %s", je.text);
	return h;
}

/* graphviz writes '-' in attribute values as "&#45;": undo that for strstr */
static void unescape_dash(char *s)
{
	char *o = s;
	for (const char *p = s; *p;)
		if (strncmp(p, "&#45;", 5) == 0) {
			*o++ = '-';
			p += 5;
		} else {
			*o++ = *p++;
		}
	*o = '\0';
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_two_hosts(void **state)
{
	(void)state;
	json_t *t = json_pack("{s:[o, o]}", "Hosts", host("n1", "web1", 4096), host("n2", "web2", 4096));
	char *dot = topo_dot(t);
	assert_non_null(dot);
	/* the global network: declared once, outside the hosts, joined from both */
	assert_int_equal(count(dot, "\"global/0123456789ab\" [id="), 1);
	assert_int_equal(count(dot, "-- \"global/0123456789ab\""), 4);
	assert_int_equal(count(dot, "subgraph \"cluster_host_"), 2);
	char *svg = NULL;
	size_t len = 0;
	struct nd_error err = { 0 };
	assert_int_equal(topo_svg(dot, &svg, &len, &err), 0);
	assert_int_equal(strlen(svg), len);
	assert_non_null(strstr(svg, "<svg"));
	unescape_dash(svg);
	/* node ids: kernel names on the first host, name@N on the others */
	static const char *const ids[] = {
		"id=\"br-aaaaaaaaaaaa\"", "id=\"br-aaaaaaaaaaaa@1\"", "id=\"vx-ov\"", "id=\"vx-ov@1\"",
		"id=\"veth1234567\"", "id=\"web1:eth0\"", "id=\"web2:eth0@1\"", "id=\"port:tcp/8080\"",
		"id=\"net:web\"", "id=\"net:web@1\"", "id=\"ctr:c0c0c0c0c0c0\"",
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strstr(svg, ids[i]))
			fail_msg("no %s in the SVG", ids[i]);
	assert_int_equal(count(svg, "id=\"net:ov\""), 1);
	assert_non_null(strstr(svg, "VNI 4096"));
	assert_non_null(strstr(svg, "172.18.0.1/16"));
	free(svg);
	free(dot);
	json_decref(t);
}

/* names with quotes and backslashes stay inside their DOT strings */
static void test_escaping(void **state)
{
	(void)state;
	json_t *t = json_pack("{s:[o]}", "Hosts", host("n\"1\\", "we\"b\\\"", 1));
	char *dot = topo_dot(t);
	assert_non_null(dot);
	char *svg = NULL;
	size_t len = 0;
	struct nd_error err = { 0 };
	assert_int_equal(topo_svg(dot, &svg, &len, &err), 0);
	unescape_dash(svg);
	assert_non_null(strstr(svg, "we&quot;b\\&quot;:eth0"));
	free(svg);
	free(dot);
	json_decref(t);
}

static void test_empty_and_bad(void **state)
{
	(void)state;
	json_t *t = json_pack("{s:[]}", "Hosts");
	char *dot = topo_dot(t), *svg = NULL;
	size_t len = 0;
	struct nd_error err = { 0 };
	assert_non_null(dot);
	assert_int_equal(topo_svg(dot, &svg, &len, &err), 0);
	free(svg);
	free(dot);
	json_decref(t);
	/* DOT that does not parse is an error with a sentence, not a crash */
	assert_true(topo_svg("graph { a -- ", &svg, &len, &err) < 0);
	assert_null(svg);
	assert_non_null(strstr(err.msg, "graphviz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_hosts),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_empty_and_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
