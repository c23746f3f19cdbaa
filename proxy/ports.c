// SPDX-License-Identifier: Apache-2.0
/* proxy: port publishing — the handle, the table of published ports, and
 * add/del/sync over the nft maps (fw_ports.c), the reservations
 * (ports_reserve.c) and a backend for traffic that starts on the host
 * (ports_ebpf.c or ports_userland.c). */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <sys/socket.h>

/* ---- the table of published ports ---------------------------------------------- */

static unsigned bucket_of(const struct fw__port *k)
{
	return ((unsigned)k->host_port * 31u + k->proto * 7u + k->v6) % PORTS_HASH_BUCKETS;
}

static bool same_host(const struct fw__port *a, const struct fw__port *b)
{
	return a->proto == b->proto && a->v6 == b->v6 && a->host_port == b->host_port && a->any == b->any &&
	       (a->any || !memcmp(a->host_addr, b->host_addr, 16));
}

static bool same_target(const struct fw__port *a, const struct fw__port *b)
{
	return a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

/* exact host key */
static struct ports__entry *find(struct nd_ports *p, const struct fw__port *k)
{
	for (struct ports__entry *e = p->buckets[bucket_of(k)]; e; e = e->next)
		if (same_host(&e->k, k))
			return e;
	return NULL;
}

/* a published port this one overlaps (same port, "all" vs one address) */
static struct ports__entry *find_overlap(struct nd_ports *p, const struct fw__port *k)
{
	for (struct ports__entry *e = p->buckets[bucket_of(k)]; e; e = e->next)
		if (e->k.proto == k->proto && e->k.v6 == k->v6 && e->k.host_port == k->host_port &&
		    (e->k.any || k->any || !memcmp(e->k.host_addr, k->host_addr, 16)))
			return e;
	return NULL;
}

static void insert(struct nd_ports *p, struct ports__entry *e)
{
	unsigned b = bucket_of(&e->k);
	e->next = p->buckets[b];
	p->buckets[b] = e;
	p->count++;
}

static void unlink_entry(struct nd_ports *p, struct ports__entry *e)
{
	for (struct ports__entry **pp = &p->buckets[bucket_of(&e->k)]; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			p->count--;
			return;
		}
}

static void entry_free(struct ports__entry *e)
{
	if (!e)
		return;
	if (e->resv_fd >= 0)
		close(e->resv_fd);
	free(e);
}

/* ---- the IPv6 side of IPv4-only ports (ports__entry.shadow) ------------------------ */

/* a published IPv6 mapping (any host address) on proto/port? */
static bool has_v6(struct nd_ports *p, uint8_t proto, uint16_t port)
{
	struct fw__port k = { .proto = proto, .v6 = true, .host_port = port };
	for (struct ports__entry *e = p->buckets[bucket_of(&k)]; e; e = e->next)
		if (e->k.v6 && e->k.proto == proto && e->k.host_port == port)
			return true;
	return false;
}

/* the published IPv4 "all addresses" entry of proto/port */
static struct ports__entry *v4_any(struct nd_ports *p, uint8_t proto, uint16_t port)
{
	struct fw__port k = { .proto = proto, .any = true, .host_port = port };
	return find(p, &k);
}

/* backend first, then the reservation; `held`: the backend holds it (add) */
static void shadow_drop(struct nd_ports *p, struct ports__entry *e, bool held)
{
	if (!e || !e->shadow)
		return;
	if (held || e->shadow->bk)
		p->ops->del(p, &e->shadow, 1);
	if (e->shadow->relay_l)
		ports__relay_unlisten(p->v6relay, e->shadow->relay_l); /* closes the reservation */
	entry_free(e->shadow);
	e->shadow = NULL;
}

/* Gives e its shadow when it should have one, and takes it away when not.
 * Best effort: a host process on [::]:port keeps it (IPv6 is then not
 * redirected), logged at debug. */
static void shadow_update(struct nd_ports *p, struct ports__entry *e)
{
	if (!e)
		return;
	bool want = !e->k.v6 && e->k.any && e->k.proto != IPPROTO_SCTP && !has_v6(p, e->k.proto, e->k.host_port) &&
		    !(e->map.caller_reserves && !p->ops->listen);
	if (!want) {
		shadow_drop(p, e, true);
		return;
	}
	if (e->shadow)
		return;
	struct ports__entry *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->resv_fd = -1;
	s->k = e->k;
	s->k.v6 = true;
	memset(s->k.addr, 0, sizeof(s->k.addr));
	s->k.addr[10] = s->k.addr[11] = 0xff;
	memcpy(s->k.addr + 12, e->k.addr, 4);
	s->map = e->map;
	snprintf(s->map.host_ip, sizeof(s->map.host_ip), "::");
	inet_ntop(AF_INET6, s->k.addr, s->map.container_ip, sizeof(s->map.container_ip));
	char str[160];
	struct nd_error err = { 0 };
	nd_port_map_str(&s->map, str, sizeof(str));
	/* ebpf mode: the programs redirect the host's own IPv6 sockets before
	 * they reach [::]:port; what does reach it (other hosts, containers) is
	 * relayed to the IPv4 container, as in userland mode (TCP) */
	bool relay = !p->ops->listen && s->k.proto == IPPROTO_TCP && p->loop &&
		     (p->v6relay || ports__relay_new(p->loop, &p->v6relay) == 0);
	if (ports__reserve(&s->k, p->ops->listen || relay, &s->resv_fd, &err) < 0 || p->ops->add(p, &s, 1, &err) < 0) {
		log_debug("ports: %s: no IPv6 side: %s", str, err.msg);
		entry_free(s);
		return;
	}
	if (relay) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(e->k.port) };
		memcpy(&to.sin_addr, e->k.addr, 4);
		if (ports__relay_listen(p->v6relay, s->resv_fd, (struct sockaddr *)&to, sizeof(to), &s->relay_l) == 0) {
			s->resv_fd = -1;
		} else {
			/* a listener nobody accepts on would hang its clients */
			log_warn("ports: %s: IPv6 clients from other hosts are not relayed", str);
			close(s->resv_fd);
			if (ports__reserve(&s->k, false, &s->resv_fd, &err) < 0)
				log_warn("ports: %s: %s", str, err.msg);
		}
	}
	log_debug("ports: IPv6 side %s", str);
	e->shadow = s;
}

/* ---- open / free ------------------------------------------------------------------ */

const char *nd_ports_mode(const struct nd_ports *p) { return p->ops->name; }
const char *nd_ports_pin_dir(const struct nd_ports *p)
{
	return p && p->ops == &ports__ebpf_ops && p->pin_dir[0] ? p->pin_dir : NULL;
}
const char *nd_ports_cgroup(const struct nd_ports *p)
{
	return p && p->ops == &ports__ebpf_ops && p->cgroup_path[0] ? p->cgroup_path : NULL;
}
size_t nd_ports_count(const struct nd_ports *p) { return p->count; }

static void fw_extra(struct fw__batch *b, const char *table, void *data);

int nd_ports_open(const struct nd_ports_config *cfg, struct nd_ports **out, struct nd_error *err)
{
	*out = NULL;
	if (!cfg || !cfg->fw)
		return nd_error_set(err, -EINVAL, "ports: no firewall handle");
	struct nd_ports *p = calloc(1, sizeof(*p));
	if (!p)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	p->fw = cfg->fw;
	p->loop = cfg->loop;
	snprintf(p->cgroup_path, sizeof(p->cgroup_path), "%s", cfg->cgroup_path ? cfg->cgroup_path : ND_PORTS_CGROUP_DEFAULT);
	snprintf(p->pin_dir, sizeof(p->pin_dir), "%s", cfg->pin_dir ? cfg->pin_dir : ND_PORTS_PIN_DEFAULT);
	if (cfg->owner) {
		if (!cfg->owner->id || strlen(cfg->owner->id) < 16 || !cfg->owner->exec_root) {
			free(p);
			return nd_error_set(err, -EINVAL, "ports: pin owner needs a daemon id and an exec root");
		}
		p->has_owner = true;
		snprintf(p->pin_base, sizeof(p->pin_base), "%s", p->pin_dir);
		snprintf(p->pin_dir, sizeof(p->pin_dir), "%s/%.16s", p->pin_base, cfg->owner->id);
		snprintf(p->owner_id, sizeof(p->owner_id), "%s", cfg->owner->id);
		snprintf(p->owner_exec_root, sizeof(p->owner_exec_root), "%s", cfg->owner->exec_root);
		snprintf(p->owner_legacy, sizeof(p->owner_legacy), "%s", cfg->owner->legacy_dir ? cfg->owner->legacy_dir : "");
	}
	p->pick_cursor = (uint16_t)(getpid() * 7919u);

	int r = -ENOTSUP;
	struct nd_error ebpf_err = { 0 };
	if (cfg->mode != ND_PORTS_USERLAND) {
		if (ports__ebpf_available()) {
			p->ops = &ports__ebpf_ops;
			r = p->ops->open(p, cfg, &ebpf_err);
		} else {
			r = nd_error_set(&ebpf_err, -ENOTSUP, "ports: built without eBPF support (NETD_BPF)");
		}
		if (r < 0 && cfg->mode == ND_PORTS_EBPF) {
			*err = ebpf_err;
			free(p);
			return r;
		}
		if (r < 0)
			log_debug("ports: eBPF unavailable, userland proxy instead: %s", ebpf_err.msg);
	}
	if (r < 0) {
		if (!cfg->loop) {
			free(p);
			return nd_error_set(err, -EINVAL, "ports: userland proxy needs a libuv loop%s%s",
					    ebpf_err.code ? "; eBPF: " : "", ebpf_err.msg);
		}
		p->ops = &ports__userland_ops;
		r = p->ops->open(p, cfg, err);
		if (r < 0) {
			free(p);
			return r;
		}
	}
	fw__set_extra(p->fw, fw_extra, p);
	if (p->ops->refresh_addrs && p->loop) {
		/* watching first, then a snapshot: no change falls between the two */
		struct nd_error e = { 0 };
		if (ports__addrwatch_start(p, &e) < 0)
			log_debug("%s (host addresses added later are not redirected)", e.msg);
		(void)p->ops->refresh_addrs(p, &e);
	}
	log_debug("ports: open mode=%s cgroup=%s pin=%s", p->ops->name, p->cgroup_path, p->pin_dir);
	*out = p;
	return 0;
}

void nd_ports_free(struct nd_ports *p)
{
	if (!p)
		return;
	fw__set_extra(p->fw, NULL, NULL);
	ports__addrwatch_stop(p);
	for (unsigned b = 0; b < PORTS_HASH_BUCKETS; b++) {
		struct ports__entry *e = p->buckets[b], *n;
		while (e) {
			n = e->next;
			shadow_drop(p, e, false);
			if (e->bk)
				p->ops->del(p, &e, 1);
			entry_free(e);
			e = n;
		}
	}
	if (p->v6relay)
		ports__relay_free(p->v6relay);
	p->ops->close(p);
	free(p);
}

int nd_ports_purge(struct nd_ports *p, struct nd_error *err)
{
	return p->ops->purge ? p->ops->purge(p, err) : 0;
}

int nd_ports_refresh_addrs(struct nd_ports *p, struct nd_error *err)
{
	return p->ops->refresh_addrs ? p->ops->refresh_addrs(p, err) : 0;
}

/* every published port, for nd_fw_sync()'s batch */
static void fw_extra(struct fw__batch *b, const char *table, void *data)
{
	struct nd_ports *p = data;
	if (!p->count)
		return;
	struct fw__port *ks = malloc(p->count * sizeof(*ks));
	if (!ks) {
		b->err = -ENOMEM;
		return;
	}
	size_t k = 0;
	for (unsigned i = 0; i < PORTS_HASH_BUCKETS; i++)
		for (struct ports__entry *e = p->buckets[i]; e; e = e->next)
			ks[k++] = e->k;
	fw__port_elems(b, table, FW_ELEM_ADD, ks, k);
	for (size_t i = 0; i < k; i++)
		fw__hairpin_elems(b, table, FW_ELEM_ADD, ks[i].v6, ks[i].addr);
	free(ks);
}

/* ---- add --------------------------------------------------------------------------- */

static int describe_conflict(const struct ports__entry *old, const struct nd_port_map *want, struct nd_error *err)
{
	char a[160], b[160];
	return nd_error_set(err, -EEXIST, "ports: %s: host port already published (%s)",
			    nd_port_map_str(want, a, sizeof(a)), nd_port_map_str(&old->map, b, sizeof(b)));
}

int nd_ports_add(struct nd_ports *p, const struct nd_port_map *maps, size_t n, struct nd_error *err)
{
	if (n == 0)
		return 0;
	struct ports__entry **news = calloc(n, sizeof(*news));
	struct ports__entry **displaced = calloc(n, sizeof(*displaced));
	struct fw__port *ks = calloc(n, sizeof(*ks));
	size_t nn = 0, nd = 0;
	int r = 0;
	if (!news || !displaced || !ks) {
		r = nd_error_set(err, -ENOMEM, "ports: out of memory");
		goto out;
	}
	/* 1. validate, and refuse what conflicts with what is published or asked twice */
	for (size_t i = 0; i < n; i++) {
		struct ports__entry *e = calloc(1, sizeof(*e));
		if (!e) {
			r = nd_error_set(err, -ENOMEM, "ports: out of memory");
			goto err_free;
		}
		e->resv_fd = -1;
		news[nn++] = e;
		if ((r = ports__canon(&maps[i], &e->map, &e->k, err)) < 0)
			goto err_free;
		struct ports__entry *old = find(p, &e->k);
		if (old && same_target(&old->k, &e->k)) {
			entry_free(news[--nn]); /* published exactly so: nothing to do */
			continue;
		}
		if (old || (old = find_overlap(p, &e->k))) {
			r = describe_conflict(old, &e->map, err);
			goto err_free;
		}
		for (size_t j = 0; j + 1 < nn; j++)
			if (news[j]->k.proto == e->k.proto && news[j]->k.v6 == e->k.v6 &&
			    news[j]->k.host_port == e->k.host_port &&
			    (news[j]->k.any || e->k.any || !memcmp(news[j]->k.host_addr, e->k.host_addr, 16))) {
				char a[160];
				r = nd_error_set(err, -EINVAL, "ports: %s: host port asked for twice",
						 nd_port_map_str(&e->map, a, sizeof(a)));
				goto err_free;
			}
	}
	if (nn == 0)
		goto out;
	/* an IPv6 mapping takes [::]:port over from the IPv4 port's shadow
	 * (given back at out: when this add fails) */
	for (size_t i = 0; i < nn; i++) {
		struct ports__entry *x = news[i]->k.v6 ? v4_any(p, news[i]->k.proto, news[i]->k.host_port) : NULL;
		if (x && x->shadow) {
			shadow_drop(p, x, true);
			displaced[nd++] = x;
		}
	}
	/* 2. reservations: a host process that holds the port fails it here */
	for (size_t i = 0; i < nn; i++)
		if (!(news[i]->map.caller_reserves && !p->ops->listen) &&
		    (r = ports__reserve(&news[i]->k, p->ops->listen, &news[i]->resv_fd, err)) < 0)
			goto err_free;
	/* 3. the host path */
	if ((r = p->ops->add(p, news, nn, err)) < 0)
		goto err_free;
	if (p->ops->refresh_addrs && !p->aw) /* with a watch, the snapshot is current */
		(void)p->ops->refresh_addrs(p, &(struct nd_error){ 0 });
	/* 4. the nft elements, one batch */
	for (size_t i = 0; i < nn; i++)
		ks[i] = news[i]->k;
	struct fw__batch b;
	fw__batch_start(p->fw, &b);
	fw__port_elems(&b, p->fw->table, FW_ELEM_ADD, ks, nn);
	for (size_t i = 0; i < nn; i++)
		fw__hairpin_elems(&b, p->fw->table, FW_ELEM_ADD, ks[i].v6, ks[i].addr);
	if ((r = fw__batch_finish(p->fw, &b, err)) < 0) {
		nd_error_wrap(err, "ports: publish %zu port%s", nn, nn == 1 ? "" : "s");
		goto err_backend;
	}
	for (size_t i = 0; i < nn; i++) {
		char s[160];
		log_debug("ports: published %s", nd_port_map_str(&news[i]->map, s, sizeof(s)));
		insert(p, news[i]);
	}
	for (size_t i = 0; i < nn; i++)
		shadow_update(p, news[i]);
	goto out;

err_backend:
	p->ops->del(p, news, nn);
err_free:
	for (size_t i = 0; i < nn; i++)
		entry_free(news[i]);
out:
	for (size_t i = 0; i < nd; i++)
		shadow_update(p, displaced[i]);
	free(news);
	free(displaced);
	free(ks);
	return r;
}

/* ---- del ----------------------------------------------------------------------------- */

/* is a published port outside olds[0..n) aimed at this container address? */
static bool target_used_but(struct nd_ports *p, const struct fw__port *k, struct ports__entry *const *olds, size_t n)
{
	for (unsigned b = 0; b < PORTS_HASH_BUCKETS; b++)
		for (struct ports__entry *e = p->buckets[b]; e; e = e->next) {
			if (e->k.v6 != k->v6 || memcmp(e->k.addr, k->addr, 16))
				continue;
			bool gone = false;
			for (size_t i = 0; i < n && !gone; i++)
				gone = olds[i] == e;
			if (!gone)
				return true;
		}
	return false;
}

/* add + delete in one transaction: an element that is not there is no error */
static int fw_del(struct nd_ports *p, const struct fw__port *ks, size_t n, struct ports__entry *const *olds,
		  size_t no, struct nd_error *err)
{
	if (!n)
		return 0;
	struct fw__batch b;
	fw__batch_start(p->fw, &b);
	fw__port_elems(&b, p->fw->table, FW_ELEM_ADD, ks, n);
	fw__port_elems(&b, p->fw->table, FW_ELEM_DEL, ks, n);
	for (size_t i = 0; i < no; i++) {
		if (target_used_but(p, &olds[i]->k, olds, no))
			continue;
		/* the last port of this container address: its hairpin element goes too */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = olds[j]->k.v6 == olds[i]->k.v6 && !memcmp(olds[j]->k.addr, olds[i]->k.addr, 16);
		if (seen)
			continue;
		fw__hairpin_elems(&b, p->fw->table, FW_ELEM_ADD, olds[i]->k.v6, olds[i]->k.addr);
		fw__hairpin_elems(&b, p->fw->table, FW_ELEM_DEL, olds[i]->k.v6, olds[i]->k.addr);
	}
	int r = fw__batch_finish(p->fw, &b, err);
	if (r == -ENOENT && !nd_fw_present(p->fw))
		return 0; /* no table: nothing is published through it */
	return r;
}

int nd_ports_del(struct nd_ports *p, const struct nd_port_map *maps, size_t n, struct nd_error *err)
{
	if (n == 0)
		return 0;
	struct fw__port *ks = calloc(n, sizeof(*ks));
	struct ports__entry **olds = calloc(n, sizeof(*olds));
	int r = 0;
	size_t nk = 0, no = 0;
	if (!ks || !olds) {
		r = nd_error_set(err, -ENOMEM, "ports: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct nd_port_map m;
		struct fw__port k;
		if ((r = ports__canon(&maps[i], &m, &k, err)) < 0)
			goto out;
		struct ports__entry *e = find(p, &k);
		if (e && !same_target(&e->k, &k)) {
			char a[160], b[160];
			r = nd_error_set(err, -EBUSY, "ports: unpublish %s: the host port is published as %s",
					 nd_port_map_str(&m, a, sizeof(a)), nd_port_map_str(&e->map, b, sizeof(b)));
			goto out;
		}
		ks[nk++] = k;
		if (e)
			olds[no++] = e;
	}
	/* nft first: new connections stop being steered before the reservation goes */
	if ((r = fw_del(p, ks, nk, olds, no, err)) < 0)
		nd_error_wrap(err, "ports: unpublish %zu port%s", nk, nk == 1 ? "" : "s");
	if (no)
		p->ops->del(p, olds, no);
	for (size_t i = 0; i < no; i++) {
		shadow_drop(p, olds[i], true);
		unlink_entry(p, olds[i]);
		entry_free(olds[i]);
	}
	/* an IPv4 port whose IPv6 mapping went gets its shadow */
	for (size_t i = 0; i < nk; i++)
		if (ks[i].v6)
			shadow_update(p, v4_any(p, ks[i].proto, ks[i].host_port));
out:
	free(ks);
	free(olds);
	return r;
}

/* ---- sync ------------------------------------------------------------------------------- */

static void keep_first(struct nd_error *err, int *first, const struct nd_error *e)
{
	if (*first == 0) {
		*first = e->code;
		*err = *e;
	} else {
		log_debug("ports: sync: %s", e->msg);
	}
}

int nd_ports_sync(struct nd_ports *p, const struct nd_port_map *all, size_t n, struct nd_error *err)
{
	int first = 0;
	struct nd_error e = { 0 };
	/* 1. the wanted set, canonical */
	struct ports__entry **want = calloc(n ? n : 1, sizeof(*want));
	if (!want)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		struct ports__entry *x = calloc(1, sizeof(*x));
		if (!x) {
			first = nd_error_set(err, -ENOMEM, "ports: out of memory");
			goto out;
		}
		x->resv_fd = -1;
		if (ports__canon(&all[i], &x->map, &x->k, &e) < 0) {
			keep_first(err, &first, &e);
			free(x);
			continue;
		}
		want[nw++] = x;
	}
	/* 2. drop what is published and not wanted (or wanted elsewhere) */
	for (size_t i = 0; i < nw; i++) {
		struct ports__entry *x = find(p, &want[i]->k);
		if (x && same_target(&x->k, &want[i]->k))
			x->mark = true;
	}
	for (unsigned b = 0; b < PORTS_HASH_BUCKETS; b++) {
		struct ports__entry *x = p->buckets[b], *next;
		for (; x; x = next) {
			next = x->next;
			if (x->mark) {
				x->mark = false;
				continue;
			}
			shadow_drop(p, x, false);
			if (x->bk)
				p->ops->del(p, &x, 1);
			unlink_entry(p, x);
			entry_free(x);
		}
	}
	/* a wanted IPv6 mapping takes [::]:port over from a shadow */
	for (size_t i = 0; i < nw; i++)
		if (want[i]->k.v6)
			shadow_drop(p, v4_any(p, want[i]->k.proto, want[i]->k.host_port), true);
	/* 3. what stays, re-reserved where the socket was lost; what is new */
	for (size_t i = 0; i < nw; i++) {
		struct ports__entry *x = find(p, &want[i]->k);
		if (x) {
			free(want[i]);
			want[i] = x;
			continue;
		}
		if (find_overlap(p, &want[i]->k)) {
			describe_conflict(find_overlap(p, &want[i]->k), &want[i]->map, &e);
			keep_first(err, &first, &e);
			free(want[i]);
			want[i] = NULL;
			continue;
		}
		if (!(want[i]->map.caller_reserves && !p->ops->listen) &&
		    ports__reserve(&want[i]->k, p->ops->listen, &want[i]->resv_fd, &e) < 0)
			keep_first(err, &first, &e); /* published anyway: the host process keeps its socket */
		insert(p, want[i]);
	}
	size_t k = 0;
	for (size_t i = 0; i < nw; i++)
		if (want[i])
			want[k++] = want[i];
	nw = k;
	/* 4. the host path holds exactly these, and the shadows they have now */
	size_t nh = nw;
	for (size_t i = 0; i < nw; i++)
		shadow_update(p, want[i]);
	struct ports__entry **held = malloc((2 * nw + 1) * sizeof(*held));
	if (!held) {
		first = nd_error_set(err, -ENOMEM, "ports: out of memory");
		goto out_nofree;
	}
	memcpy(held, want, nw * sizeof(*held));
	for (size_t i = 0; i < nw; i++)
		if (want[i]->shadow)
			held[nh++] = want[i]->shadow;
	if (p->ops->sync(p, held, nh, &e) < 0)
		keep_first(err, &first, &e);
	free(held);
	/* 5. nft: (table if missing) + maps flushed and refilled, one batch */
	struct fw__port *ks = malloc((nw ? nw : 1) * sizeof(*ks));
	if (!ks) {
		first = nd_error_set(err, -ENOMEM, "ports: out of memory");
		goto out_nofree;
	}
	for (size_t i = 0; i < nw; i++)
		ks[i] = want[i]->k;
	struct fw__batch b;
	fw__batch_start(p->fw, &b);
	if (!nd_fw_present(p->fw))
		fw__ruleset_build(&b, p->fw->table, false);
	else
		fw__maps_build(&b, p->fw->table);
	fw__maps_flush(&b, p->fw->table);
	fw__port_elems(&b, p->fw->table, FW_ELEM_ADD, ks, nw);
	for (size_t i = 0; i < nw; i++)
		fw__hairpin_elems(&b, p->fw->table, FW_ELEM_ADD, ks[i].v6, ks[i].addr);
	if (fw__batch_finish(p->fw, &b, &e) < 0) {
		nd_error_wrap(&e, "ports: sync %zu ports", nw);
		keep_first(err, &first, &e);
	}
	free(ks);
	log_debug("ports: synced %zu ports mode=%s", nw, p->ops->name);
	goto out_nofree;
out:
	for (size_t i = 0; i < nw; i++)
		free(want[i]);
out_nofree:
	free(want);
	return first;
}

/* ---- pick_free ------------------------------------------------------------------------------ */

int nd_ports_pick_free(struct nd_ports *p, int proto, const char *host_ip, uint16_t *port, struct nd_error *err)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo == 0 || hi > 65535 || lo > hi)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	struct nd_port_map m = { .proto = proto, .host_port = 1, .container_port = 1 };
	snprintf(m.host_ip, sizeof(m.host_ip), "%s", host_ip ? host_ip : "");
	/* the family comes from host_ip; "" picks a port free for IPv4 (the
	 * caller asks again with "::" for an IPv6 mapping) */
	bool v6 = host_ip && strchr(host_ip, ':');
	snprintf(m.container_ip, sizeof(m.container_ip), "%s", v6 ? "::1" : "127.0.0.1");
	struct nd_port_map canon;
	struct fw__port k;
	int r = ports__canon(&m, &canon, &k, err);
	if (r < 0)
		return r;
	unsigned span = hi - lo + 1;
	for (unsigned i = 0; i < span; i++) {
		k.host_port = (uint16_t)(lo + (p->pick_cursor++ % span));
		if (find_overlap(p, &k))
			continue;
		int fd;
		struct nd_error e;
		if (ports__reserve(&k, false, &fd, &e) < 0)
			continue;
		if (fd >= 0)
			close(fd);
		*port = k.host_port;
		return 0;
	}
	return nd_error_set(err, -EADDRNOTAVAIL, "ports: no free %s port in %u-%u", wire_ports_proto_name(proto), lo, hi);
}
