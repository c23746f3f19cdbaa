// SPDX-License-Identifier: Apache-2.0
/* ipam internals shared between the module's files; not a public header. */
#pragma once

#include "ipam/ipam.h"

typedef unsigned __int128 ipam__u128;

#define IPAM__U128_MAX (~(ipam__u128)0)

/* Address <-> integer (host order). IPv4 occupies the low 32 bits. */
ipam__u128 ipam__addr_to_u128(const struct ipam_addr *a);
void ipam__u128_to_addr(int family, ipam__u128 v, struct ipam_addr *out);
/* Netmask of `len` bits within a family of `bits` bits, as an integer. */
ipam__u128 ipam__mask(int bits, int len);
/* First and last address of a prefix as integers. */
void ipam__prefix_bounds(const struct ipam_prefix *p, ipam__u128 *first, ipam__u128 *last);
const char *ipam__family_name(int family);

/* ---- runset: a set of 128-bit values kept as disjoint, non-adjacent
 * (coalesced) runs [first, last] in an AVL tree keyed by first. Each
 * operation is O(log r), r the number of runs (<= number of values). */

struct ipam__run {
	ipam__u128 first, last;
	struct ipam__run *left, *right;
	int height;
};

struct ipam__runset {
	struct ipam__run *root;
	size_t n_runs;
	size_t mem_bytes; /* heap bytes of the nodes */
};

void ipam__runset_init(struct ipam__runset *s);
void ipam__runset_clear(struct ipam__runset *s);
bool ipam__runset_has(const struct ipam__runset *s, ipam__u128 v);
/* 0, -EEXIST when already present, -ENOMEM. */
int ipam__runset_add(struct ipam__runset *s, ipam__u128 v);
/* 0, -ENOENT when absent, -ENOMEM (splitting a run needs a node). */
int ipam__runset_del(struct ipam__runset *s, ipam__u128 v);
/* Smallest value >= lo and <= hi that is NOT in the set; false if none. */
bool ipam__runset_first_free(const struct ipam__runset *s, ipam__u128 lo, ipam__u128 hi, ipam__u128 *out);
