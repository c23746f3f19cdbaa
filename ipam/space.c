// SPDX-License-Identifier: Apache-2.0
/* ipam: the address space automatic subnets are cut from (Docker's
 * default-address-pools) and the choice of the first free one. */
#include "ipam/ipam-internal.h"

struct ipam_space {
	size_t n;
	struct ipam_space_entry e[];
};

static int check_entry(const struct ipam_space_entry *e, size_t i, struct nd_error *err)
{
	char b1[IPAM_PREFIX_STRLEN], b2[IPAM_PREFIX_STRLEN];
	int bits = ipam_family_bits(e->base.addr.family);
	if (!bits)
		return nd_error_set(err, -EINVAL, "address pool %zu: missing or invalid base", i);
	if (e->base.len < 0 || e->base.len > bits)
		return nd_error_set(err, -EINVAL, "address pool %zu: prefix length %d must be 0..%d", i, e->base.len,
				    bits);
	struct ipam_prefix net;
	ipam_prefix_make(&e->base.addr, e->base.len, &net, NULL);
	if (!ipam_addr_equal(&net.addr, &e->base.addr))
		return nd_error_set(err, -EINVAL, "invalid address pool base \"%s\": host bits set; did you mean %s?",
				    ipam_prefix_format(&e->base, b1), ipam_prefix_format(&net, b2));
	if (e->size < e->base.len || e->size > bits)
		return nd_error_set(err, -EINVAL, "address pool %s: size %d must be between %d and %d",
				    ipam_prefix_format(&e->base, b1), e->size, e->base.len, bits);
	return 0;
}

int ipam_space_new(const struct ipam_space_entry *entries, size_t n, struct ipam_space **out,
		   struct nd_error *err)
{
	if (n && !entries)
		return nd_error_set(err, -EINVAL, "address pools: %zu announced but none given", n);
	for (size_t i = 0; i < n; i++) {
		int r = check_entry(&entries[i], i, err);
		if (r < 0)
			return r;
	}
	struct ipam_space *s = malloc(sizeof(*s) + n * sizeof(s->e[0]));
	if (!s)
		return nd_error_set(err, -ENOMEM, "out of memory building address pools");
	s->n = n;
	if (n)
		memcpy(s->e, entries, n * sizeof(s->e[0]));
	*out = s;
	return 0;
}

static int space_from_strings(const char *const *bases, const int *sizes, size_t n, struct ipam_space **out,
			      struct nd_error *err)
{
	struct ipam_space_entry e[32];
	if (n > ARRAY_SIZE(e))
		return nd_error_set(err, -E2BIG, "too many built-in address pools");
	for (size_t i = 0; i < n; i++) {
		int r = ipam_prefix_parse(bases[i], "address pool base", 0, &e[i].base, err);
		if (r < 0)
			return r;
		e[i].size = sizes[i];
	}
	return ipam_space_new(e, n, out, err);
}

int ipam_space_default(struct ipam_space **out, struct nd_error *err)
{
	/* libnetwork/ipamutils localScopeDefaultNetworks. */
	static const char *const bases[] = {
		"172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/16", "172.21.0.0/16",
		"172.22.0.0/16", "172.23.0.0/16", "172.24.0.0/16", "172.25.0.0/16", "172.26.0.0/16",
		"172.27.0.0/16", "172.28.0.0/16", "172.29.0.0/16", "172.30.0.0/16", "172.31.0.0/16",
		"192.168.0.0/16",
	};
	static const int sizes[] = { 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 20 };
	_Static_assert(ARRAY_SIZE(bases) == ARRAY_SIZE(sizes), "one size per base");
	return space_from_strings(bases, sizes, ARRAY_SIZE(bases), out, err);
}

int ipam_space_default_global(struct ipam_space **out, struct nd_error *err)
{
	/* libnetwork/ipamutils globalScopeDefaultNetworks. */
	static const char *const bases[] = { "10.0.0.0/8" };
	static const int sizes[] = { 24 };
	return space_from_strings(bases, sizes, ARRAY_SIZE(bases), out, err);
}

void ipam_space_free(struct ipam_space *space)
{
	free(space);
}

size_t ipam_space_entries(const struct ipam_space *space, const struct ipam_space_entry **out)
{
	if (out)
		*out = space->e;
	return space->n;
}

/* The in-use prefixes of one family as sorted, merged, disjoint spans. */
struct span {
	ipam__u128 first, last;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static size_t spans_build(int family, const struct ipam_prefix *in_use, size_t n_in_use, struct span *out)
{
	size_t n = 0;
	for (size_t i = 0; i < n_in_use; i++) {
		int bits = ipam_family_bits(in_use[i].addr.family);
		if (in_use[i].addr.family != family || in_use[i].len < 0 || in_use[i].len > bits)
			continue;
		ipam__prefix_bounds(&in_use[i], &out[n].first, &out[n].last);
		n++;
	}
	if (!n)
		return 0;
	qsort(out, n, sizeof(*out), span_cmp);
	size_t m = 0;
	for (size_t i = 1; i < n; i++) {
		if (out[i].first <= out[m].last || (out[m].last != IPAM__U128_MAX && out[i].first == out[m].last + 1)) {
			if (out[i].last > out[m].last)
				out[m].last = out[i].last;
		} else {
			out[++m] = out[i];
		}
	}
	return m + 1;
}

/* First subnet of entry e overlapping none of the spans. Each step either
 * returns or moves past one span for good, so the cost is O(log n + spans
 * crossed) whatever the number of candidates (an IPv6 /8 cut into /64s has
 * 2^56 of them). */
static bool pick_in_entry(const struct ipam_space_entry *e, const struct span *spans, size_t n,
			  struct ipam_prefix *out)
{
	int family = e->base.addr.family, bits = ipam_family_bits(family);
	ipam__u128 base_first, base_last;
	ipam__prefix_bounds(&e->base, &base_first, &base_last);
	ipam__u128 hostmask = ipam__mask(bits, bits) & ~ipam__mask(bits, e->size);

	/* The first span that ends at or after the base: lasts are sorted too. */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (spans[mid].last < base_first)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t j = lo;
	ipam__u128 c = base_first;
	for (;;) {
		ipam__u128 cand_last = c | hostmask;
		while (j < n && spans[j].last < c)
			j++;
		if (j == n || spans[j].first > cand_last) {
			out->len = e->size;
			ipam__u128_to_addr(family, c, &out->addr);
			return true;
		}
		/* Skip to the candidate after the block holding the span's end. */
		ipam__u128 end = spans[j].last | hostmask;
		if (end >= base_last)
			return false;
		c = end + 1;
	}
}

static int pick(const struct ipam_space *space, int family, const struct ipam_prefix *in_use, size_t n_in_use,
		struct ipam_prefix *out, struct nd_error *err)
{
	if (n_in_use && !in_use)
		return nd_error_set(err, -EINVAL, "in-use subnets: %zu announced but none given", n_in_use);
	_cleanup_free_ struct span *spans = NULL;
	if (n_in_use) {
		spans = calloc(n_in_use, sizeof(*spans));
		if (!spans)
			return nd_error_set(err, -ENOMEM, "out of memory picking a subnet");
	}
	int built = AF_UNSPEC;
	size_t n = 0;
	bool any = false;
	for (size_t i = 0; i < space->n; i++) {
		int fam = space->e[i].base.addr.family;
		if (family != AF_UNSPEC && fam != family)
			continue;
		any = true;
		if (built != fam) {
			n = spans_build(fam, in_use, n_in_use, spans);
			built = fam;
		}
		if (pick_in_entry(&space->e[i], spans, n, out))
			return 0;
	}
	if (!any && family != AF_UNSPEC)
		return nd_error_set(err, -ENOSPC, "no predefined %s address pools are configured",
				    ipam__family_name(family));
	return nd_error_set(err, -ENOSPC, "all predefined address pools have been fully subnetted");
}

int ipam_space_pick(const struct ipam_space *space, const struct ipam_prefix *in_use, size_t n_in_use,
		    struct ipam_prefix *out, struct nd_error *err)
{
	return pick(space, AF_UNSPEC, in_use, n_in_use, out, err);
}

int ipam_space_pick_family(const struct ipam_space *space, int family, const struct ipam_prefix *in_use,
			   size_t n_in_use, struct ipam_prefix *out, struct nd_error *err)
{
	if (family != AF_INET && family != AF_INET6)
		return nd_error_set(err, -EINVAL, "invalid address family %d", family);
	return pick(space, family, in_use, n_in_use, out, err);
}
