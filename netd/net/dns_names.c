// SPDX-License-Identifier: Apache-2.0
/* net: the resolver's name tables, one per network. An entry is one owner's
 * names and addresses on that network: a local endpoint (owner = endpoint
 * id, with its sandbox), or, through the same call, a remote endpoint of a
 * global network (no sandbox). A query sees the tables of the networks its
 * sandbox is on, nothing else. */
#include "netd/net/dns_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>

struct dns_table *dns__table_get(struct dns_engine *eng, const char *network_id, bool create)
{
	for (struct dns_table *t = eng->tables; t; t = t->next)
		if (strcmp(t->network_id, network_id) == 0)
			return t;
	if (!create)
		return NULL;
	struct nd_error e = { 0 };
	struct net_network *n = net_network_find(eng->d, network_id, &e);
	if (!n)
		return NULL;
	struct dns_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->network_id, sizeof(t->network_id), "%s", n->rec.id);
	snprintf(t->network_name, sizeof(t->network_name), "%s", n->rec.name);
	for (char *p = t->network_name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	t->internal = n->rec.internal;
	t->builtin = n->rec.builtin;
	t->next = eng->tables;
	eng->tables = t;
	return t;
}

static void entry_free(struct dns_entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nnames; i++)
		free(e->names[i]);
	free(e->names);
	free(e);
}

static bool parse_addr(const char *s, int af, void *out)
{
	if (!s || !*s)
		return false;
	char ip[INET6_ADDRSTRLEN + 8];
	snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(s, "/"), s);
	return inet_pton(af, ip, out) == 1;
}

int net_dns_names_put(struct netd *d, const char *network_id, const struct net_dns_names *in, struct nd_error *err)
{
	struct dns_engine *eng = net_of(d)->dnsr;
	if (!eng)
		return 0;
	if (!in->owner || !*in->owner || strlen(in->owner) > ND_ID_LEN)
		return nd_error_set(err, -EINVAL, "dns: an entry needs an owner id");
	struct dns_entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->names = calloc(in->nnames + 1, sizeof(char *)))) {
		free(e);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	snprintf(e->owner, sizeof(e->owner), "%s", in->owner);
	snprintf(e->sandbox_id, sizeof(e->sandbox_id), "%s", in->sandbox_id ? in->sandbox_id : "");
	for (size_t i = 0; i < in->nnames; i++) {
		const char *nm = in->names[i];
		if (!nm || !*nm || strlen(nm) > 253)
			continue;
		bool dup = false;
		for (size_t k = 0; k < e->nnames && !dup; k++)
			dup = strcasecmp(e->names[k], nm) == 0;
		if (dup)
			continue;
		char *c = strdup(nm);
		if (!c) {
			entry_free(e);
			return nd_error_set(err, -ENOMEM, "out of memory");
		}
		for (char *p = c; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		e->names[e->nnames++] = c;
	}
	e->has4 = parse_addr(in->ipv4, AF_INET, &e->a4);
	e->has6 = parse_addr(in->ipv6, AF_INET6, &e->a6);
	dns__lock(eng);   /* the entry is built: the resolver thread waits only for the swap */
	struct dns_table *t = dns__table_get(eng, network_id, true);
	if (!t) {
		dns__unlock(eng);
		entry_free(e);
		return nd_error_set(err, -ENOENT, "dns: no network %s", network_id);
	}
	/* replace the owner's entry in place: a query never sees it missing */
	struct dns_entry **pp = &t->entries;
	while (*pp && strcmp((*pp)->owner, e->owner) != 0)
		pp = &(*pp)->next;
	if (*pp) {
		struct dns_entry *old = *pp;
		e->next = old->next;
		*pp = e;
		entry_free(old);
	} else {
		e->next = NULL;
		*pp = e;   /* at the end: oldest first, as the endpoints */
		t->nentries++;
	}
	eng->gen++;
	dns__unlock(eng);
	return 0;
}

void net_dns_names_drop(struct netd *d, const char *network_id, const char *owner)
{
	struct dns_engine *eng = net_of(d) ? net_of(d)->dnsr : NULL;
	if (!eng)
		return;
	dns__lock(eng);
	struct dns_table *t = dns__table_get(eng, network_id, false);
	for (struct dns_entry **pp = t ? &t->entries : NULL; pp && *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->owner, owner) == 0) {
			struct dns_entry *old = *pp;
			*pp = old->next;
			entry_free(old);
			t->nentries--;
			eng->gen++;
			break;
		}
	}
	dns__unlock(eng);
}

void dns__scope_sandbox(struct dns_engine *eng, const char *sandbox_id, struct dns_scope *out)
{
	out->n = 0;
	out->forward = false;
	for (const struct dns_table *t = eng->tables; t && out->n < ARRAY_SIZE(out->tables); t = t->next) {
		/* Docker's default bridge has no names (and forwards) */
		if (t->builtin && !eng->default_bridge) {
			for (const struct dns_entry *e = t->entries; e && !out->forward; e = e->next)
				out->forward = strcmp(e->sandbox_id, sandbox_id) == 0;
			continue;
		}
		for (const struct dns_entry *e = t->entries; e; e = e->next) {
			if (strcmp(e->sandbox_id, sandbox_id) == 0) {
				out->tables[out->n++] = t;
				out->forward |= !t->internal;
				break;
			}
		}
	}
}

/* q is name, or name.network */
static bool name_is(const char *q, const char *name, const char *net)
{
	size_t l = strlen(name);
	if (strncmp(q, name, l) != 0)
		return false;
	return q[l] == '\0' || (q[l] == '.' && strcmp(q + l + 1, net) == 0);
}

/* 4.3.2.1.in-addr.arpa / nibbles.ip6.arpa -> address; false when not one */
static bool reverse_addr(const char *q, int *af, unsigned char addr[16])
{
	size_t l = strlen(q);
	static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
	if (l > sizeof(v4) - 1 && strcmp(q + l - (sizeof(v4) - 1), v4) == 0) {
		unsigned b[4];
		char tail;
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(l - (sizeof(v4) - 1)), q);
		if (sscanf(tmp, "%3u.%3u.%3u.%3u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 || b[0] > 255 ||
		    b[1] > 255 || b[2] > 255 || b[3] > 255)
			return false;
		for (int i = 0; i < 4; i++)
			addr[i] = (unsigned char)b[3 - i];
		*af = AF_INET;
		return true;
	}
	if (l == 63 + sizeof(v6) - 1 && strcmp(q + 63, v6) == 0) {   /* 32 "x." labels, the last dot is v6's */
		for (int i = 0; i < 32; i++) {
			char c = q[2 * i];
			if (q[2 * i + 1] != '.' || !isxdigit((unsigned char)c))
				return false;
			unsigned v = (unsigned)(isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10);
			int nib = 31 - i;   /* the first label is the last nibble */
			if (nib % 2)
				addr[nib / 2] = (unsigned char)((addr[nib / 2] & 0xf0) | v);
			else
				addr[nib / 2] = (unsigned char)((addr[nib / 2] & 0x0f) | (v << 4));
		}
		*af = AF_INET6;
		return true;
	}
	return false;
}

void dns__lookup(struct dns_scope *s, const char *qname, bool ptr, struct dns_found *out)
{
	memset(out, 0, offsetof(struct dns_found, ptr));
	out->ptr[0] = '\0';
	if (ptr) {
		int af;
		unsigned char a[16] = { 0 };
		if (!reverse_addr(qname, &af, a))
			return;
		for (size_t i = 0; i < s->n; i++) {
			for (const struct dns_entry *e = s->tables[i]->entries; e; e = e->next) {
				bool hit = af == AF_INET ? e->has4 && memcmp(&e->a4, a, 4) == 0
							 : e->has6 && memcmp(&e->a6, a, 16) == 0;
				if (hit && e->nnames) {
					snprintf(out->ptr, sizeof(out->ptr), "%s.%s.", e->names[0], s->tables[i]->network_name);
					out->known = true;
					return;
				}
			}
		}
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct dns_table *t = (struct dns_table *)s->tables[i];
		size_t f4 = out->n4, f6 = out->n6;
		for (const struct dns_entry *e = t->entries; e; e = e->next) {
			bool hit = false;
			for (size_t k = 0; k < e->nnames && !hit; k++)
				hit = name_is(qname, e->names[k], t->network_name);
			if (!hit)
				continue;
			out->known = true;
			bool dup = false;
			for (size_t k = 0; e->has4 && k < out->n4 && !dup; k++)
				dup = memcmp(&out->v4[k], &e->a4, 4) == 0;
			if (e->has4 && !dup && out->n4 < ARRAY_SIZE(out->v4))
				out->v4[out->n4++] = e->a4;
			dup = false;
			for (size_t k = 0; e->has6 && k < out->n6 && !dup; k++)
				dup = memcmp(&out->v6[k], &e->a6, 16) == 0;
			if (e->has6 && !dup && out->n6 < ARRAY_SIZE(out->v6))
				out->v6[out->n6++] = e->a6;
		}
		/* several addresses from this network: rotate them, one step per answer */
		size_t m4 = out->n4 - f4, m6 = out->n6 - f6;
		if (m4 > 1 || m6 > 1) {
			unsigned r = t->rotor++;
			if (m4 > 1) {
				struct in_addr tmp[ARRAY_SIZE(out->v4)];
				for (size_t k = 0; k < m4; k++)
					tmp[k] = out->v4[f4 + (k + r) % m4];
				memcpy(&out->v4[f4], tmp, m4 * sizeof(tmp[0]));
			}
			if (m6 > 1) {
				struct in6_addr tmp[ARRAY_SIZE(out->v6)];
				for (size_t k = 0; k < m6; k++)
					tmp[k] = out->v6[f6 + (k + r) % m6];
				memcpy(&out->v6[f6], tmp, m6 * sizeof(tmp[0]));
			}
		}
	}
}

const struct dns_entry *dns__entry_find(const struct dns_table *t, const char *owner)
{
	for (const struct dns_entry *e = t ? t->entries : NULL; e; e = e->next)
		if (strcmp(e->owner, owner) == 0)
			return e;
	return NULL;
}

void dns__tables_free(struct dns_engine *eng)
{
	struct dns_table *tn;
	for (struct dns_table *t = eng->tables; t; t = tn) {
		tn = t->next;
		struct dns_entry *en;
		for (struct dns_entry *e = t->entries; e; e = en) {
			en = e->next;
			entry_free(e);
		}
		free(t);
	}
	eng->tables = NULL;
}
