// SPDX-License-Identifier: Apache-2.0
/* ipam: a pool — one subnet, its gateway, ip-range and auxiliary addresses —
 * and the allocation of addresses from it. */
#include "ipam/ipam-internal.h"

struct ipam__aux {
	char *name;
	ipam__u128 v;
};

struct ipam_pool {
	struct ipam_prefix subnet;
	int family;
	ipam__u128 first, last; /* the subnet */
	ipam__u128 lo, hi;      /* where dynamic addresses come from */
	bool has_range;
	struct ipam_prefix range;
	bool reserve_first, reserve_last;
	bool has_gateway;
	ipam__u128 gateway;
	struct ipam__aux *aux;
	size_t n_aux;
	size_t aux_bytes;
	struct ipam__runset taken; /* allocated and reserved addresses */
	size_t n_alloc;            /* allocated only */
	bool has_cursor;
	ipam__u128 cursor;
};

/* Which addresses of a subnet are never handed out whatever the config
 * (libnetwork's insertBitMask): IPv4 network and broadcast when the subnet
 * has them (shorter than /31), the IPv6 subnet-router anycast address. */
static void subnet_reservations(const struct ipam_prefix *subnet, bool *first, bool *last)
{
	if (subnet->addr.family == AF_INET) {
		*first = *last = subnet->len < 31;
	} else {
		*first = true;
		*last = false;
	}
}

/* Why a subnet address is reserved by the subnet itself, or NULL. */
static const char *subnet_reserved_reason(const struct ipam_prefix *subnet, ipam__u128 v)
{
	ipam__u128 first, last;
	bool rf, rl;
	ipam__prefix_bounds(subnet, &first, &last);
	subnet_reservations(subnet, &rf, &rl);
	if (rf && v == first)
		return subnet->addr.family == AF_INET ? "the network address" : "the subnet-router anycast address";
	if (rl && v == last)
		return "the broadcast address";
	return NULL;
}

/* The default gateway: the first address the subnet hands out (.1, ::1; .0
 * in a /31). False when there is none (an IPv6 /128). */
static bool default_gateway(const struct ipam_prefix *subnet, ipam__u128 *out)
{
	ipam__u128 first, last;
	bool rf, rl;
	ipam__prefix_bounds(subnet, &first, &last);
	subnet_reservations(subnet, &rf, &rl);
	ipam__u128 g = first + (rf ? 1 : 0);
	if (rf && first == last)
		return false;
	if (rl && g == last)
		return false;
	*out = g;
	return true;
}

/* Checks one address field of the config: family, inside, not reserved by
 * the subnet. `label` is e.g. "gateway 10.0.0.1" or "auxiliary address \"a\" (10.0.0.5)". */
static int check_member(const struct ipam_prefix *subnet, const struct ipam_addr *a, const char *label,
			struct nd_error *err)
{
	char sbuf[IPAM_PREFIX_STRLEN];
	ipam_prefix_format(subnet, sbuf);
	if (a->family != AF_INET && a->family != AF_INET6)
		return nd_error_set(err, -EINVAL, "%s has an invalid address family", label);
	if (a->family != subnet->addr.family)
		return nd_error_set(err, -EINVAL, "%s is %s but subnet %s is %s", label,
				    ipam__family_name(a->family), sbuf, ipam__family_name(subnet->addr.family));
	if (!ipam_prefix_contains(subnet, a))
		return nd_error_set(err, -EINVAL, "%s is outside subnet %s", label, sbuf);
	const char *why = subnet_reserved_reason(subnet, ipam__addr_to_u128(a));
	if (why)
		return nd_error_set(err, -EINVAL, "%s is %s of subnet %s", label, why, sbuf);
	return 0;
}

static int check_subnet(const struct ipam_prefix *p, const char *what, struct nd_error *err)
{
	int bits = ipam_family_bits(p->addr.family);
	if (!bits)
		return nd_error_set(err, -EINVAL, "%s: missing or invalid address family", what);
	if (p->len < 0 || p->len > bits)
		return nd_error_set(err, -EINVAL, "invalid %s: prefix length %d must be 0..%d", what, p->len, bits);
	struct ipam_prefix net;
	ipam_prefix_make(&p->addr, p->len, &net, NULL);
	if (!ipam_addr_equal(&net.addr, &p->addr)) {
		char b1[IPAM_PREFIX_STRLEN], b2[IPAM_PREFIX_STRLEN];
		return nd_error_set(err, -EINVAL, "invalid %s \"%s\": host bits set; did you mean %s?", what,
				    ipam_prefix_format(p, b1), ipam_prefix_format(&net, b2));
	}
	return 0;
}

int ipam_pool_config_validate(const struct ipam_pool_config *cfg, struct nd_error *err)
{
	char sbuf[IPAM_PREFIX_STRLEN], abuf[IPAM_ADDR_STRLEN], label[ND_ERROR_MSG_MAX / 2];
	int r;

	if (!cfg)
		return nd_error_set(err, -EINVAL, "missing pool configuration");
	const struct ipam_prefix *subnet = &cfg->subnet;
	if (subnet->addr.family == AF_UNSPEC)
		return nd_error_set(err, -EINVAL, "missing subnet");
	r = check_subnet(subnet, "subnet", err);
	if (r < 0)
		return r;
	ipam_prefix_format(subnet, sbuf);

	bool has_gw = false;
	ipam__u128 gw = 0;
	if (cfg->gateway.family != AF_UNSPEC) {
		snprintf(label, sizeof(label), "gateway %s", ipam_addr_format(&cfg->gateway, abuf));
		if (cfg->no_gateway)
			return nd_error_set(err, -EINVAL, "%s given but the pool is configured without a gateway",
					    label);
		r = check_member(subnet, &cfg->gateway, label, err);
		if (r < 0)
			return r;
		has_gw = true;
		gw = ipam__addr_to_u128(&cfg->gateway);
	} else if (!cfg->no_gateway) {
		if (!default_gateway(subnet, &gw))
			return nd_error_set(err, -ENOSPC, "subnet %s has no address left for a gateway", sbuf);
		has_gw = true;
	}

	if (cfg->range.addr.family != AF_UNSPEC) {
		char rbuf[IPAM_PREFIX_STRLEN];
		r = check_subnet(&cfg->range, "ip-range", err);
		if (r < 0)
			return r;
		ipam_prefix_format(&cfg->range, rbuf);
		if (cfg->range.addr.family != subnet->addr.family)
			return nd_error_set(err, -EINVAL, "ip-range %s is %s but subnet %s is %s", rbuf,
					    ipam__family_name(cfg->range.addr.family), sbuf,
					    ipam__family_name(subnet->addr.family));
		if (!ipam_prefix_contains_prefix(subnet, &cfg->range))
			return nd_error_set(err, -EINVAL, "ip-range %s is not inside subnet %s", rbuf, sbuf);
	}

	if (cfg->n_aux && !cfg->aux)
		return nd_error_set(err, -EINVAL, "auxiliary addresses: %zu announced but none given", cfg->n_aux);
	for (size_t i = 0; i < cfg->n_aux; i++) {
		const struct ipam_aux_addr *x = &cfg->aux[i];
		if (!x->name || !x->name[0])
			return nd_error_set(err, -EINVAL, "auxiliary address %s has an empty name",
					    ipam_addr_format(&x->addr, abuf));
		snprintf(label, sizeof(label), "auxiliary address \"%s\" (%s)", x->name,
			 ipam_addr_format(&x->addr, abuf));
		r = check_member(subnet, &x->addr, label, err);
		if (r < 0)
			return r;
		ipam__u128 v = ipam__addr_to_u128(&x->addr);
		if (has_gw && v == gw)
			return nd_error_set(err, -EINVAL, "%s is the %sgateway of subnet %s%s", label,
					    cfg->gateway.family == AF_UNSPEC ? "default " : "", sbuf,
					    cfg->gateway.family == AF_UNSPEC ? "; set another gateway explicitly" : "");
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(cfg->aux[j].name, x->name))
				return nd_error_set(err, -EINVAL, "auxiliary address name \"%s\" is given twice",
						    x->name);
			if (ipam_addr_equal(&cfg->aux[j].addr, &x->addr))
				return nd_error_set(err, -EINVAL, "auxiliary addresses \"%s\" and \"%s\" are both %s",
						    cfg->aux[j].name, x->name, abuf);
		}
	}
	return 0;
}

static int reserve(struct ipam_pool *pool, ipam__u128 v, struct nd_error *err)
{
	int r = ipam__runset_add(&pool->taken, v);
	if (r == -ENOMEM)
		return nd_error_set(err, -ENOMEM, "out of memory building pool");
	return 0; /* -EEXIST cannot happen after validation; harmless anyway */
}

int ipam_pool_new(const struct ipam_pool_config *cfg, struct ipam_pool **out, struct nd_error *err)
{
	int r = ipam_pool_config_validate(cfg, err);
	if (r < 0)
		return r;

	struct ipam_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return nd_error_set(err, -ENOMEM, "out of memory building pool");
	ipam__runset_init(&pool->taken);
	pool->subnet = cfg->subnet;
	pool->family = cfg->subnet.addr.family;
	ipam__prefix_bounds(&cfg->subnet, &pool->first, &pool->last);
	subnet_reservations(&cfg->subnet, &pool->reserve_first, &pool->reserve_last);
	if (cfg->range.addr.family != AF_UNSPEC) {
		pool->has_range = true;
		pool->range = cfg->range;
		ipam__prefix_bounds(&cfg->range, &pool->lo, &pool->hi);
	} else {
		pool->lo = pool->first;
		pool->hi = pool->last;
	}

	if (cfg->gateway.family != AF_UNSPEC) {
		pool->has_gateway = true;
		pool->gateway = ipam__addr_to_u128(&cfg->gateway);
	} else if (!cfg->no_gateway) {
		pool->has_gateway = default_gateway(&cfg->subnet, &pool->gateway); /* true: validated */
	}

	if (cfg->n_aux) {
		pool->aux = calloc(cfg->n_aux, sizeof(*pool->aux));
		if (!pool->aux)
			goto err_nomem;
		pool->aux_bytes = cfg->n_aux * sizeof(*pool->aux);
		for (size_t i = 0; i < cfg->n_aux; i++) {
			pool->aux[i].name = strdup(cfg->aux[i].name);
			if (!pool->aux[i].name)
				goto err_nomem;
			pool->n_aux++;
			pool->aux_bytes += strlen(cfg->aux[i].name) + 1;
			pool->aux[i].v = ipam__addr_to_u128(&cfg->aux[i].addr);
		}
	}

	if ((pool->reserve_first && (r = reserve(pool, pool->first, err)) < 0) ||
	    (pool->reserve_last && (r = reserve(pool, pool->last, err)) < 0) ||
	    (pool->has_gateway && (r = reserve(pool, pool->gateway, err)) < 0))
		goto err_free;
	for (size_t i = 0; i < pool->n_aux; i++)
		if ((r = reserve(pool, pool->aux[i].v, err)) < 0)
			goto err_free;

	*out = pool;
	return 0;

err_nomem:
	r = nd_error_set(err, -ENOMEM, "out of memory building pool");
err_free:
	ipam_pool_free(pool);
	return r;
}

void ipam_pool_free(struct ipam_pool *pool)
{
	if (!pool)
		return;
	for (size_t i = 0; i < pool->n_aux; i++)
		free(pool->aux[i].name);
	free(pool->aux);
	ipam__runset_clear(&pool->taken);
	free(pool);
}

/* Why v is reserved in this pool (buf receives the text), or NULL. */
static const char *reserved_reason(const struct ipam_pool *pool, ipam__u128 v, char *buf, size_t size)
{
	const char *why = subnet_reserved_reason(&pool->subnet, v);
	if (why)
		return why;
	if (pool->has_gateway && v == pool->gateway)
		return "the gateway";
	for (size_t i = 0; i < pool->n_aux; i++) {
		if (pool->aux[i].v == v) {
			snprintf(buf, size, "auxiliary address \"%s\"", pool->aux[i].name);
			return buf;
		}
	}
	return NULL;
}

/* Family and subnet membership of a caller's address. */
static int check_addr(const struct ipam_pool *pool, const struct ipam_addr *a, struct nd_error *err)
{
	char abuf[IPAM_ADDR_STRLEN], sbuf[IPAM_PREFIX_STRLEN];
	if (!a)
		return nd_error_set(err, -EINVAL, "missing address");
	ipam_prefix_format(&pool->subnet, sbuf);
	if (a->family != pool->family)
		return nd_error_set(err, -EINVAL, "address %s is %s but pool %s is %s", ipam_addr_format(a, abuf),
				    ipam__family_name(a->family), sbuf, ipam__family_name(pool->family));
	if (!ipam_prefix_contains(&pool->subnet, a))
		return nd_error_set(err, -EINVAL, "address %s is outside subnet %s", ipam_addr_format(a, abuf),
				    sbuf);
	return 0;
}

static int alloc_static(struct ipam_pool *pool, const struct ipam_addr *want, struct ipam_addr *out,
			struct nd_error *err)
{
	char abuf[IPAM_ADDR_STRLEN], sbuf[IPAM_PREFIX_STRLEN], rbuf[ND_ERROR_MSG_MAX / 2];
	int r = check_addr(pool, want, err);
	if (r < 0)
		return r;
	ipam__u128 v = ipam__addr_to_u128(want);
	const char *why = reserved_reason(pool, v, rbuf, sizeof(rbuf));
	if (why)
		return nd_error_set(err, -EADDRINUSE, "address %s is already in use: it is %s of %s",
				    ipam_addr_format(want, abuf), why, ipam_prefix_format(&pool->subnet, sbuf));
	r = ipam__runset_add(&pool->taken, v);
	if (r == -EEXIST)
		return nd_error_set(err, -EADDRINUSE, "address %s is already in use in %s",
				    ipam_addr_format(want, abuf), ipam_prefix_format(&pool->subnet, sbuf));
	if (r < 0)
		return nd_error_set(err, r, "allocating %s: %s", ipam_addr_format(want, abuf), strerror(-r));
	pool->n_alloc++;
	if (out)
		*out = *want;
	return 0;
}

static int alloc_dynamic(struct ipam_pool *pool, struct ipam_addr *out, struct nd_error *err)
{
	ipam__u128 start = pool->lo, v;
	if (pool->has_cursor && pool->cursor >= pool->lo && pool->cursor < pool->hi)
		start = pool->cursor + 1;

	bool found = ipam__runset_first_free(&pool->taken, start, pool->hi, &v) ||
		     (start > pool->lo && ipam__runset_first_free(&pool->taken, pool->lo, start - 1, &v));
	if (!found) {
		char sbuf[IPAM_PREFIX_STRLEN], rbuf[IPAM_PREFIX_STRLEN];
		ipam_prefix_format(&pool->subnet, sbuf);
		if (pool->has_range && !ipam_prefix_equal(&pool->range, &pool->subnet))
			return nd_error_set(err, -ENOSPC, "pool %s exhausted: ip-range %s has no free address", sbuf,
					    ipam_prefix_format(&pool->range, rbuf));
		return nd_error_set(err, -ENOSPC, "pool %s exhausted", sbuf);
	}
	int r = ipam__runset_add(&pool->taken, v);
	if (r < 0)
		return nd_error_set(err, r, "allocating from %s: %s",
				    ipam_prefix_format(&pool->subnet, (char[IPAM_PREFIX_STRLEN]){ 0 }), strerror(-r));
	pool->n_alloc++;
	pool->has_cursor = true;
	pool->cursor = v;
	ipam__u128_to_addr(pool->family, v, out);
	return 0;
}

int ipam_pool_alloc(struct ipam_pool *pool, const struct ipam_addr *want, struct ipam_addr *out,
		    struct nd_error *err)
{
	if (want)
		return alloc_static(pool, want, out, err);
	if (!out)
		return nd_error_set(err, -EINVAL, "no place for the allocated address");
	return alloc_dynamic(pool, out, err);
}

int ipam_pool_release(struct ipam_pool *pool, const struct ipam_addr *addr, struct nd_error *err)
{
	char abuf[IPAM_ADDR_STRLEN], sbuf[IPAM_PREFIX_STRLEN], rbuf[ND_ERROR_MSG_MAX / 2];
	int r = check_addr(pool, addr, err);
	if (r < 0)
		return r;
	ipam__u128 v = ipam__addr_to_u128(addr);
	const char *why = reserved_reason(pool, v, rbuf, sizeof(rbuf));
	if (why)
		return nd_error_set(err, -EINVAL, "address %s is %s of %s and cannot be released",
				    ipam_addr_format(addr, abuf), why, ipam_prefix_format(&pool->subnet, sbuf));
	r = ipam__runset_del(&pool->taken, v);
	if (r == -ENOENT)
		return nd_error_set(err, -ENOENT, "address %s is not allocated in %s", ipam_addr_format(addr, abuf),
				    ipam_prefix_format(&pool->subnet, sbuf));
	if (r < 0)
		return nd_error_set(err, r, "releasing %s: %s", ipam_addr_format(addr, abuf), strerror(-r));
	pool->n_alloc--;
	return 0;
}

int ipam_pool_mark(struct ipam_pool *pool, const struct ipam_addr *addr, struct nd_error *err)
{
	char abuf[IPAM_ADDR_STRLEN], sbuf[IPAM_PREFIX_STRLEN], rbuf[ND_ERROR_MSG_MAX / 2];
	int r = check_addr(pool, addr, err);
	if (r < 0)
		return r;
	ipam__u128 v = ipam__addr_to_u128(addr);
	const char *why = reserved_reason(pool, v, rbuf, sizeof(rbuf));
	if (why)
		return nd_error_set(err, -EADDRINUSE, "cannot restore allocation of %s: it is %s of %s",
				    ipam_addr_format(addr, abuf), why, ipam_prefix_format(&pool->subnet, sbuf));
	r = ipam__runset_add(&pool->taken, v);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return nd_error_set(err, r, "restoring %s: %s", ipam_addr_format(addr, abuf), strerror(-r));
	pool->n_alloc++;
	return 0;
}

bool ipam_pool_is_allocated(const struct ipam_pool *pool, const struct ipam_addr *addr)
{
	if (!addr || addr->family != pool->family || !ipam_prefix_contains(&pool->subnet, addr))
		return false;
	ipam__u128 v = ipam__addr_to_u128(addr);
	char rbuf[ND_ERROR_MSG_MAX / 2];
	return !reserved_reason(pool, v, rbuf, sizeof(rbuf)) && ipam__runset_has(&pool->taken, v);
}

bool ipam_pool_is_reserved(const struct ipam_pool *pool, const struct ipam_addr *addr)
{
	if (!addr || addr->family != pool->family || !ipam_prefix_contains(&pool->subnet, addr))
		return false;
	char rbuf[ND_ERROR_MSG_MAX / 2];
	return reserved_reason(pool, ipam__addr_to_u128(addr), rbuf, sizeof(rbuf)) != NULL;
}

bool ipam_pool_cursor_get(const struct ipam_pool *pool, struct ipam_addr *out)
{
	if (!pool->has_cursor)
		return false;
	ipam__u128_to_addr(pool->family, pool->cursor, out);
	return true;
}

int ipam_pool_cursor_set(struct ipam_pool *pool, const struct ipam_addr *last, struct nd_error *err)
{
	if (!last) {
		pool->has_cursor = false;
		pool->cursor = 0;
		return 0;
	}
	int r = check_addr(pool, last, err);
	if (r < 0) {
		nd_error_wrap(err, "round-robin cursor");
		return r;
	}
	pool->has_cursor = true;
	pool->cursor = ipam__addr_to_u128(last);
	return 0;
}

const struct ipam_prefix *ipam_pool_subnet(const struct ipam_pool *pool)
{
	return &pool->subnet;
}

bool ipam_pool_gateway(const struct ipam_pool *pool, struct ipam_addr *out)
{
	if (!pool->has_gateway)
		return false;
	ipam__u128_to_addr(pool->family, pool->gateway, out);
	return true;
}

size_t ipam_pool_count(const struct ipam_pool *pool)
{
	return pool->n_alloc;
}

size_t ipam_pool_mem_bytes(const struct ipam_pool *pool)
{
	return sizeof(*pool) + pool->aux_bytes + pool->taken.mem_bytes;
}
