// SPDX-License-Identifier: Apache-2.0
/* ipam: address management for netd — pure logic, no syscalls, no store,
 * no globals. The one public header of the ipam module.
 *
 * Concepts (one file each):
 *   prefix.c  struct ipam_addr / struct ipam_prefix: parse, format, compare,
 *             contains, overlaps; Docker's MAC derivation.
 *   runset.c  (internal) the set of taken addresses, kept as coalesced runs
 *             [first, last] in an AVL tree: memory and time depend on the
 *             number of allocations, never on the size of the subnet.
 *   pool.c    struct ipam_pool: one subnet with gateway, ip-range and
 *             auxiliary addresses; static and round-robin allocation.
 *   space.c   struct ipam_space: the predefined address pools automatic
 *             subnets are cut from (Docker's default-address-pools).
 *
 * Every fallible call returns 0 or a negative errno and fills *err (which may
 * be NULL) with one sentence naming the problem. The behaviour follows
 * Docker's default IPAM driver (libnetwork/ipam) so users see what they know:
 *  - IPv4: the network and broadcast addresses are never handed out (except in
 *    a /31 or /32, which have neither, RFC 3021);
 *  - IPv6: the subnet-router anycast address (host part all zero) is never
 *    handed out;
 *  - the gateway and auxiliary addresses are reserved: never handed out,
 *    statically or dynamically, and never released;
 *  - dynamic allocation is round-robin ("serial" in libnetwork): it returns
 *    the next free address after the last one handed out, wrapping around the
 *    ip-range, so a just-released address is not handed straight back.
 *
 * Nothing here is thread safe: a pool belongs to one owner (netd's loop). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 */

#include "common/common.h"

/* ---- addresses and prefixes ---------------------------------------------- */

/* family is AF_INET (address in b[0..3], network byte order, rest zero) or
 * AF_INET6 (b[0..15]); AF_UNSPEC (0) means "not set" in configs. */
struct ipam_addr {
	int family;
	uint8_t b[16];
};

struct ipam_prefix {
	struct ipam_addr addr;
	int len; /* 0..32 or 0..128 */
};

/* Buffer sizes for the formatters, NUL included. */
#define IPAM_ADDR_STRLEN 46   /* INET6_ADDRSTRLEN */
#define IPAM_PREFIX_STRLEN 50 /* address + "/128" */

/* Parses "172.18.0.2" or "fd00::2" (no prefix length, no zone). `what` names
 * the field in the error ("gateway" -> `invalid gateway "x": ...`); NULL
 * means "address". */
int ipam_addr_parse(const char *s, const char *what, struct ipam_addr *out, struct nd_error *err);
/* Canonical text (RFC 5952 for IPv6) into buf; returns buf. An invalid family
 * formats as "invalid". */
const char *ipam_addr_format(const struct ipam_addr *a, char buf[IPAM_ADDR_STRLEN]);
void ipam_addr_from_ipv4(struct ipam_addr *out, uint32_t host_order);
bool ipam_addr_equal(const struct ipam_addr *a, const struct ipam_addr *b);
/* Orders by family (IPv4 first), then numerically. */
int ipam_addr_cmp(const struct ipam_addr *a, const struct ipam_addr *b);
/* 32 for AF_INET, 128 for AF_INET6, 0 otherwise. */
int ipam_family_bits(int family);

/* Flags for ipam_prefix_parse(). */
enum {
	/* Accept "10.0.0.5/24" as is (an interface address); by default host bits
	 * set are an error: `... host bits set; did you mean 10.0.0.0/24?`. */
	IPAM_PREFIX_HOST_BITS_OK = 1 << 0,
};

/* Parses "172.18.0.0/16" or "fd00::/64"; the "/len" part is required.
 * `what` names the field in the error ("subnet", "ip-range"; NULL: "prefix"),
 * e.g. -EINVAL `invalid subnet "10.0.0.0/33": prefix length must be 0..32`. */
int ipam_prefix_parse(const char *s, const char *what, unsigned flags, struct ipam_prefix *out,
		      struct nd_error *err);
const char *ipam_prefix_format(const struct ipam_prefix *p, char buf[IPAM_PREFIX_STRLEN]);
/* Builds a prefix from an address, clearing the host bits. -EINVAL on a bad
 * family or length. */
int ipam_prefix_make(const struct ipam_addr *a, int len, struct ipam_prefix *out, struct nd_error *err);
bool ipam_prefix_equal(const struct ipam_prefix *a, const struct ipam_prefix *b);
/* First and last address of the prefix (network and broadcast for IPv4). */
void ipam_prefix_first(const struct ipam_prefix *p, struct ipam_addr *out);
void ipam_prefix_last(const struct ipam_prefix *p, struct ipam_addr *out);
/* False when the families differ. */
bool ipam_prefix_contains(const struct ipam_prefix *p, const struct ipam_addr *a);
/* inner lies entirely within outer (equal counts). */
bool ipam_prefix_contains_prefix(const struct ipam_prefix *outer, const struct ipam_prefix *inner);
/* The two share at least one address (false when the families differ). */
bool ipam_prefix_overlaps(const struct ipam_prefix *a, const struct ipam_prefix *b);

/* Docker's MAC for a container address: 02:42 followed by the four IPv4
 * bytes (172.18.0.2 -> "02:42:ac:12:00:02"). -EINVAL for a non-IPv4 address. */
int ipam_mac_from_ipv4(const struct ipam_addr *a, char out[18]);
int ipam_mac_bytes_from_ipv4(const struct ipam_addr *a, uint8_t mac[6]);

/* ---- pools ------------------------------------------------------------------ */

struct ipam_aux_addr {
	const char *name; /* non-empty, unique; copied by ipam_pool_new() */
	struct ipam_addr addr;
};

/* Zero-initialise, then fill. Unset optional fields have family AF_UNSPEC. */
struct ipam_pool_config {
	struct ipam_prefix subnet;  /* required, no host bits */
	struct ipam_addr gateway;   /* optional; default: first usable address (.1 / ::1) */
	bool no_gateway;            /* reserve no gateway at all (e.g. macvlan without one) */
	struct ipam_prefix range;   /* optional ip-range: sub-prefix of subnet for dynamic addresses */
	const struct ipam_aux_addr *aux; /* optional reserved addresses, inside subnet */
	size_t n_aux;
};

struct ipam_pool;

/* Checks a config without building anything: subnet well formed; gateway,
 * ip-range and auxiliary addresses of the subnet's family and inside it;
 * gateway/aux not the network, broadcast or anycast address; no duplicates
 * among gateway and aux addresses; aux names non-empty and unique. -EINVAL
 * with a sentence naming the field, e.g. "gateway 10.1.0.1 is outside subnet
 * 10.0.0.0/24". */
int ipam_pool_config_validate(const struct ipam_pool_config *cfg, struct nd_error *err);

/* Validates cfg and builds a pool; the gateway (explicit or default) and aux
 * addresses are reserved. -ENOSPC when a default gateway is wanted but the
 * subnet has no usable address (an IPv6 /128). */
int ipam_pool_new(const struct ipam_pool_config *cfg, struct ipam_pool **out, struct nd_error *err);
void ipam_pool_free(struct ipam_pool *pool); /* accepts NULL */

/* With want != NULL: that exact address (anywhere in the subnet, not only
 * the ip-range, as Docker allows): -EINVAL when outside the subnet or of the
 * wrong family, -EADDRINUSE when allocated or reserved. The cursor does not
 * move.
 * With want == NULL: the next free address after the cursor within the
 * ip-range (the subnet when there is none), wrapping around once; the cursor
 * then points at it. -ENOSPC "pool 172.18.0.0/16 exhausted" when none is
 * free. O(log n) in the number of allocations. */
int ipam_pool_alloc(struct ipam_pool *pool, const struct ipam_addr *want, struct ipam_addr *out,
		    struct nd_error *err);
/* Frees an allocated address. Returns 0 when it was allocated, -ENOENT when
 * it was not (nothing changes: callers tearing down may treat it as done),
 * -EINVAL when it is outside the subnet or reserved (gateway, aux, network,
 * broadcast, anycast: those are released only with the pool). The cursor does
 * not move. */
int ipam_pool_release(struct ipam_pool *pool, const struct ipam_addr *addr, struct nd_error *err);
/* Records an allocation restored from the store at startup. Idempotent:
 * marking an allocated address again returns 0. -EINVAL outside the subnet,
 * -EADDRINUSE when the address is reserved. The cursor does not move. */
int ipam_pool_mark(struct ipam_pool *pool, const struct ipam_addr *addr, struct nd_error *err);
bool ipam_pool_is_allocated(const struct ipam_pool *pool, const struct ipam_addr *addr);
/* Gateway, network, broadcast, anycast or aux address. */
bool ipam_pool_is_reserved(const struct ipam_pool *pool, const struct ipam_addr *addr);

/* The round-robin cursor: the last address handed out dynamically. Returns
 * false (and leaves *out alone) before the first dynamic allocation. */
bool ipam_pool_cursor_get(const struct ipam_pool *pool, struct ipam_addr *out);
/* Restores a persisted cursor (NULL: forget it, the next allocation starts
 * at the beginning of the range). -EINVAL when outside the subnet. */
int ipam_pool_cursor_set(struct ipam_pool *pool, const struct ipam_addr *last, struct nd_error *err);

const struct ipam_prefix *ipam_pool_subnet(const struct ipam_pool *pool);
/* False when the pool has no gateway (no_gateway). */
bool ipam_pool_gateway(const struct ipam_pool *pool, struct ipam_addr *out);
/* Addresses currently allocated (reserved ones not counted). */
size_t ipam_pool_count(const struct ipam_pool *pool);
/* Heap bytes the pool holds (struct, names, taken-set nodes): grows with the
 * number of allocations (one run node per run of consecutive addresses),
 * never with the size of the subnet. */
size_t ipam_pool_mem_bytes(const struct ipam_pool *pool);

/* ---- address space for automatic subnets -------------------------------------- */

/* Docker's default-address-pools entry: cut `base` into subnets of length
 * `size` ({"base":"192.168.0.0/16","size":20}). */
struct ipam_space_entry {
	struct ipam_prefix base;
	int size;
};

struct ipam_space;

/* Copies and validates entries (base without host bits, base.len <= size <=
 * family bits). Entries are tried in order. Both families may appear, but
 * like Docker netd needs an explicit subnet for IPv6 networks; an IPv6 space
 * (e.g. {"fd00::/8", 64}) works with ipam_space_pick() all the same. */
int ipam_space_new(const struct ipam_space_entry *entries, size_t n, struct ipam_space **out,
		   struct nd_error *err);
/* Docker's local-scope defaults: 172.17.0.0/16 (the default "bridge"
 * network), 172.18.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 cut into /20s. */
int ipam_space_default(struct ipam_space **out, struct nd_error *err);
/* Docker's global-scope default (overlay networks): 10.0.0.0/8 cut into /24s. */
int ipam_space_default_global(struct ipam_space **out, struct nd_error *err);
void ipam_space_free(struct ipam_space *space); /* accepts NULL */
size_t ipam_space_entries(const struct ipam_space *space, const struct ipam_space_entry **out);

/* The first candidate subnet, in entry order, that overlaps none of in_use
 * (subnets of existing networks; netd may add host routes). Prefixes of the
 * other family are ignored. -ENOSPC "all predefined address pools have been
 * fully subnetted". Cost O(n_in_use log n_in_use + entries * log n_in_use +
 * in-use prefixes crossed), never a walk over every candidate (an IPv6 entry
 * may hold 2^56 of them). */
int ipam_space_pick(const struct ipam_space *space, const struct ipam_prefix *in_use, size_t n_in_use,
		    struct ipam_prefix *out, struct nd_error *err);
/* The same, restricted to one family (AF_INET or AF_INET6). */
int ipam_space_pick_family(const struct ipam_space *space, int family, const struct ipam_prefix *in_use,
			   size_t n_in_use, struct ipam_prefix *out, struct nd_error *err);
