// SPDX-License-Identifier: Apache-2.0
/* The topology drawn as DOT (pure: JSON in, text out). One cluster per
 * host; inside it a cluster per local network with the kernel links its
 * driver lists, the host ends of the endpoints, a cluster per sandbox
 * (titled with its container) holding its interfaces, and the published
 * ports. A global network (the same network id on several hosts) is drawn
 * once, outside the hosts, and each host's links of it point at it. */
#include "cli/topology.h"

#include <limits.h>
#include <stdarg.h>

/* ---- DOT ------------------------------------------------------------------------ */

struct dot {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void dot_printf(struct dot *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dot_printf(struct dot *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || d->oom)
		return;
	if (d->len + (size_t)n + 1 > d->cap) {
		size_t cap = (d->cap ? d->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(d->buf, cap);
		if (!nb) {
			d->oom = true;
			return;
		}
		d->buf = nb;
		d->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	d->len += (size_t)n;
}

/* a DOT string: quoted, with '"' and '\' escaped; "\n" in s stays a DOT line break */
static void q(struct dot *d, const char *s)
{
	dot_printf(d, "\"");
	for (; s && *s; s++) {
		if (*s == '\\' && s[1] == 'n') {
			dot_printf(d, "\\n");
			s++;
		} else if (*s == '"' || *s == '\\') {
			dot_printf(d, "\\%c", *s);
		} else if ((unsigned char)*s >= 0x20) {
			dot_printf(d, "%c", *s);
		}
	}
	dot_printf(d, "\"");
}

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* node names in the graph: unique per host ("h0/br-3f2a", "h0/<sandbox12>/eth0") */
static void node_name(char *out, size_t len, size_t host, const char *sb, const char *obj)
{
	if (sb && *sb)
		snprintf(out, len, "h%zu/%.12s/%s", host, sb, obj);
	else
		snprintf(out, len, "h%zu/%s", host, obj);
}

/* svg ids: the kernel object's name (on the first host; "name@N" on host N) */
static void node_id(char *out, size_t len, size_t host, const char *prefix, const char *obj)
{
	snprintf(out, len, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? ":" : "", obj);
	if (host) {
		size_t l = strlen(out);
		snprintf(out + l, len - l, "@%zu", host);
	}
}

/* tip: the tooltip, "<id>  $ <a command that shows the object>" (the id alone when NULL) */
static void node(struct dot *d, const char *name, const char *id, const char *cls, const char *label,
		 const char *tip, const char *extra)
{
	dot_printf(d, "    ");
	q(d, name);
	dot_printf(d, " [id=");
	q(d, id);
	dot_printf(d, ", class=");
	q(d, cls);
	dot_printf(d, ", label=");
	q(d, label);
	dot_printf(d, ", tooltip=");
	q(d, tip ? tip : id);
	if (extra)
		dot_printf(d, ", %s", extra);
	dot_printf(d, "]\n");
}

static void edge(struct dot *d, const char *a, const char *b, const char *attrs)
{
	dot_printf(d, "  ");
	q(d, a);
	dot_printf(d, " -- ");
	q(d, b);
	dot_printf(d, " [%s]\n", attrs);
}

static const json_t *find_by(const json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
		if (*val && strcmp(js(o, key), val) == 0)
			return o;
	return NULL;
}

/* "eth0\n172.18.0.2/16\n02:42:ac:12:00:02" */
static void link_label(char *out, size_t len, const json_t *l, const char *fallback)
{
	size_t o = (size_t)snprintf(out, len, "%s", l ? js(l, "Name") : fallback);
	if (!l) {
		snprintf(out + strlen(out), len - strlen(out), "\\n(missing)");
		return;
	}
	const char *kind = js(l, "Kind");
	json_int_t ifx = json_integer_value(json_object_get(l, "Ifindex"));
	if (*kind && o < len)
		o += (size_t)snprintf(out + o, len - o, "\\n%s #%lld", kind, (long long)ifx);
	json_t *vni = json_object_get(l, "VNI");
	if (vni && o < len)
		o += (size_t)snprintf(out + o, len - o, " VNI %lld", (long long)json_integer_value(vni));
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(l, "Addresses"), i, a)
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, "\\n%s", json_string_value(a) ?: "");
	if (*js(l, "Mac") && o < len)
		snprintf(out + o, len - o, "\\n%s", js(l, "Mac"));
}

/* later: edges to what is drawn outside the host (a global network), which
 * must not be named inside the host's cluster before it is drawn */
static void draw_host(struct dot *d, struct dot *later, size_t h, const json_t *host, json_t *global_seen)
{
	const json_t *nets = json_object_get(host, "Networks"), *sbs = json_object_get(host, "Sandboxes"),
		     *eps = json_object_get(host, "Endpoints"), *ctrs = json_object_get(host, "Containers");
	char name[256], id[256], label[1024], a[256], b[256], tip[PATH_MAX + 512];
	size_t i, k;
	json_t *n, *l, *e;
	dot_printf(d, "  subgraph \"cluster_host_%zu\" {\n    label=", h);
	snprintf(label, sizeof(label), "host %s  (%s)", js(host, "Host"), js(host, "Address"));
	q(d, label);
	dot_printf(d, "; id=\"host:%zu\"; class=\"host\"; style=\"rounded,dashed\"; color=\"#888888\"\n", h);
	/* networks and their links */
	json_array_foreach(nets, i, n) {
		bool global = strcmp(js(n, "Scope"), "global") == 0;
		const char *netid = js(n, "Id");
		char sub[256] = "";
		json_t *s;
		json_array_foreach(json_object_get(n, "Subnets"), k, s)
			snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "\\n%s", js(s, "Subnet"));
		snprintf(label, sizeof(label), "network %s (%s)%s", js(n, "Name"), js(n, "Driver"), sub);
		if (!global) {
			dot_printf(d, "    subgraph \"cluster_net_%zu_%.12s\" {\n      label=", h, netid);
			q(d, label);
			node_id(id, sizeof(id), h, "net", js(n, "Name"));
			dot_printf(d, "; id=");
			q(d, id);
			dot_printf(d, "; class=\"network\"; style=\"rounded,filled\"; fillcolor=\"#eef4ff\"; color=\"#4a7bd0\"\n");
		} else if (!json_object_get(global_seen, netid)) {
			json_object_set_new(global_seen, netid, json_pack("{s:s, s:s}", "label", label, "name", js(n, "Name")));
		}
		bool any = false;
		json_array_foreach(json_object_get(n, "Links"), k, l) {
			node_name(name, sizeof(name), h, NULL, js(l, "Name"));
			node_id(id, sizeof(id), h, NULL, js(l, "Name"));
			link_label(label, sizeof(label), json_object_get(l, "Missing") ? NULL : l, js(l, "Name"));
			snprintf(a, sizeof(a), "link %s %s", js(l, "Role"), js(l, "Kind"));
			snprintf(tip, sizeof(tip), "%s  $ ip -d addr show dev %s", id, js(l, "Name"));
			node(d, name, id, a, label, tip, "fillcolor=\"#dbe8ff\"");
			if (global) {
				snprintf(b, sizeof(b), "global/%.12s", netid);
				edge(later, name, b, "style=bold, color=\"#4a7bd0\"");
			}
			any = true;
		}
		if (!global && !any) {
			/* a network with nothing in the kernel of its own still shows */
			node_name(name, sizeof(name), h, NULL, netid);
			node_id(id, sizeof(id), h, "net", js(n, "Name"));
			node(d, name, id, "network-anchor", js(n, "Name"), NULL, "shape=point");
		}
		if (!global)
			dot_printf(d, "    }\n");
	}
	/* sandboxes (with their container), their interfaces */
	json_array_foreach(sbs, i, n) {
		const char *sbid = js(n, "Id");
		const json_t *c = find_by(ctrs, "SandboxId", sbid);
		const char *who = c ? js(c, "Name") : (*js(n, "Name") ? js(n, "Name") : sbid);
		char shortid[13];
		snprintf(shortid, sizeof(shortid), "%.12s", sbid);
		if (c)
			snprintf(label, sizeof(label), "container %s (%s)\\nsandbox %s", js(c, "Name"), js(c, "State"), shortid);
		else
			snprintf(label, sizeof(label), "sandbox %s%s", *js(n, "Name") ? js(n, "Name") : shortid,
				 json_is_true(json_object_get(n, "CallerOwned")) ? " (CNI)" : "");
		dot_printf(d, "    subgraph \"cluster_sb_%zu_%s\" {\n      label=", h, shortid);
		q(d, label);
		if (c)
			node_id(id, sizeof(id), h, "ctr", js(c, "Id"));
		else
			node_id(id, sizeof(id), h, "sb", sbid);
		dot_printf(d, "; id=");
		q(d, id);
		dot_printf(d, "; class=\"sandbox%s\"; style=\"rounded,filled\"; fillcolor=\"%s\"; color=\"#3c9a5f\"\n",
			   c ? " container" : "", json_is_true(json_object_get(n, "Alive")) ? "#effaf2" : "#f6f6f6");
		bool any = false;
		json_array_foreach(eps, k, e) {
			if (strcmp(js(e, "SandboxId"), sbid) != 0)
				continue;
			const json_t *in = json_object_get(e, "Interface");
			node_name(name, sizeof(name), h, sbid, js(e, "IfName"));
			snprintf(a, sizeof(a), "%s:%s", who, js(e, "IfName"));
			node_id(id, sizeof(id), h, NULL, a);
			link_label(label, sizeof(label), json_is_object(in) ? in : NULL, js(e, "IfName"));
			snprintf(tip, sizeof(tip), "%s  $ nsenter --net=%s ip -d addr show dev %s", id, js(n, "NetnsPath"),
				 js(e, "IfName"));
			node(d, name, id, "link endpoint", label, tip, "fillcolor=\"#d9f2e1\"");
			any = true;
		}
		if (!any) {
			node_name(name, sizeof(name), h, sbid, "lo");
			node_id(id, sizeof(id), h, NULL, who);
			node(d, name, id, "sandbox-anchor", "(no endpoint)", NULL, "shape=plaintext, style=\"\"");
		}
		dot_printf(d, "    }\n");
	}
	/* containers without a sandbox (created, exited): no network of their own yet */
	json_array_foreach(ctrs, i, n) {
		if (find_by(sbs, "Id", js(n, "SandboxId")))
			continue;
		char shortid[13];
		snprintf(shortid, sizeof(shortid), "%.12s", js(n, "Id"));
		snprintf(label, sizeof(label), "container %s (%s)", js(n, "Name"), js(n, "State"));
		dot_printf(d, "    subgraph \"cluster_ctr_%zu_%s\" {\n      label=", h, shortid);
		q(d, label);
		node_id(id, sizeof(id), h, "ctr", js(n, "Id"));
		dot_printf(d, "; id=");
		q(d, id);
		dot_printf(d, "; class=\"container nosandbox\"; style=\"rounded,dashed\"; color=\"#3c9a5f\"\n");
		node_name(name, sizeof(name), h, js(n, "Id"), "-");
		snprintf(a, sizeof(a), "%s:-", js(n, "Name"));
		node_id(id, sizeof(id), h, NULL, a);
		node(d, name, id, "sandbox-anchor", "(no network namespace)", NULL, "shape=plaintext, style=\"\"");
		dot_printf(d, "    }\n");
	}
	/* the host ends (a veth's peer) or the parents the endpoints point at */
	json_array_foreach(eps, i, e) {
		const json_t *hl = json_object_get(e, "HostLink"), *in = json_object_get(e, "Interface");
		if (!json_is_object(hl))
			continue;
		const char *hname = js(hl, "Name");
		char inner[256];
		node_name(inner, sizeof(inner), h, js(e, "SandboxId"), js(e, "IfName"));
		node_name(name, sizeof(name), h, NULL, hname);
		/* a link some network lists (a macvlan parent) is drawn there already */
		bool listed = false;
		json_array_foreach(nets, k, n) {
			size_t m;
			json_array_foreach(json_object_get(n, "Links"), m, l)
				listed |= strcmp(js(l, "Name"), hname) == 0;
		}
		if (!listed) {
			node_id(id, sizeof(id), h, NULL, hname);
			link_label(label, sizeof(label), hl, hname);
			snprintf(tip, sizeof(tip), "%s  $ ip -d link show dev %s", id, hname);
			node(d, name, id, "link hostend", label, tip, "fillcolor=\"#fff5d6\"");
		}
		bool veth = strcmp(js(in, "Kind"), "veth") == 0;
		edge(d, inner, name, veth ? "style=bold, color=\"#3c9a5f\", tooltip=\"veth pair\""
					  : "style=solid, color=\"#3c9a5f\", tooltip=\"child of\"");
		const char *master = js(hl, "Master");
		if (*master) {
			char m[256];
			node_name(m, sizeof(m), h, NULL, master);
			edge(d, name, m, "color=\"#4a7bd0\", tooltip=\"bridge port\"");
		}
	}
	/* published ports: host address:port -> the container's interface */
	json_array_foreach(ctrs, i, n) {
		const char *sbid = js(n, "SandboxId");
		json_t *p;
		json_array_foreach(json_object_get(n, "Ports"), k, p) {
			const char *proto = js(p, "Proto"), *hip = js(p, "HostIp"), *cip = js(p, "ContainerIp");
			json_int_t hp = json_integer_value(json_object_get(p, "HostPort"));
			json_int_t cp = json_integer_value(json_object_get(p, "ContainerPort"));
			char pn[64];
			snprintf(pn, sizeof(pn), "port:%s/%lld%s%s", *proto ? proto : "tcp", (long long)hp, *hip ? "@" : "", hip);
			node_name(name, sizeof(name), h, NULL, pn);
			node_id(id, sizeof(id), h, NULL, pn);
			snprintf(label, sizeof(label), "%s:%lld/%s\\n-> %s:%lld", *hip ? hip : "*", (long long)hp,
				 *proto ? proto : "tcp", cip, (long long)cp);
			snprintf(tip, sizeof(tip), "%s  $ nft list table inet netd", id);
			node(d, name, id, "port", label, tip, "shape=cds, fillcolor=\"#ffe1d6\"");
			/* the endpoint holding the container address */
			const json_t *target = NULL;
			size_t m;
			json_array_foreach(eps, m, e) {
				if (strcmp(js(e, "SandboxId"), sbid) != 0)
					continue;
				char ip[64];
				snprintf(ip, sizeof(ip), "%s", js(e, strchr(cip, ':') ? "IPv6Address" : "IPv4Address"));
				char *slash = strchr(ip, '/');
				if (slash)
					*slash = '\0';
				if (!target || strcmp(ip, cip) == 0)
					target = e;
			}
			if (target) {
				char t[256];
				node_name(t, sizeof(t), h, sbid, js(target, "IfName"));
				edge(d, name, t, "style=dashed, color=\"#d0603c\", tooltip=\"published (DNAT)\"");
			}
		}
	}
	dot_printf(d, "  }\n");
}

char *topo_dot(const json_t *topology)
{
	struct dot d = { 0 }, later = { 0 };
	_cleanup_json_ json_t *global = json_object();
	dot_printf(&d, "graph netd {\n"
		       "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, compound=true, nodesep=0.25, ranksep=0.6]\n"
		       "  node [fontname=\"Helvetica\", fontsize=9, shape=box, style=\"rounded,filled\", fillcolor=white]\n"
		       "  edge [fontname=\"Helvetica\", fontsize=8]\n");
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(topology, "Hosts"), i, h)
		draw_host(&d, &later, i, h, global);
	const char *netid;
	json_t *g;
	json_object_foreach(global, netid, g) {
		char name[128], id[128];
		snprintf(name, sizeof(name), "global/%.12s", netid);
		snprintf(id, sizeof(id), "net:%s", js(g, "name"));
		node(&d, name, id, "network global", js(g, "label"), NULL, "shape=ellipse, fillcolor=\"#eef4ff\"");
	}
	if (later.buf)
		dot_printf(&d, "%s", later.buf);
	dot_printf(&d, "}\n");
	free(later.buf);
	if (d.oom || later.oom) {
		free(d.buf);
		return NULL;
	}
	return d.buf;
}
