// SPDX-License-Identifier: Apache-2.0
/* proxy: internals of the nftables firewall layer (not a public header). */
#pragma once

#include "proxy/proxy.h"
#include "wire/wire.h"

#include <stdint.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

struct mnl_socket;
struct nlmsghdr;
struct fw__batch;

struct nd_fw {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char table[NFT_TABLE_MAXNAMELEN];
	/* Called by nd_fw_sync() to put extra elements (published ports) into
	 * the batch that recreates the table, so that a sync never drops them. */
	void (*extra_build)(struct fw__batch *b, const char *table, void *data);
	void *extra_data;
};

/* proxy/ports.c registers itself here (NULL to unregister). */
void fw__set_extra(struct nd_fw *fw, void (*build)(struct fw__batch *, const char *, void *), void *data);
/* Reserve sequence numbers / send a finished batch (fw.c). */
void fw__batch_start(struct nd_fw *fw, struct fw__batch *b);
int fw__batch_finish(struct nd_fw *fw, struct fw__batch *b, struct nd_error *err);

/* One transaction: BEGIN, messages, END in one growable buffer. Every
 * message asks for an ACK and carries a description for error messages
 * ("add element to set bridges"). Allocation failure is sticky in ->err. */
struct fw__batch {
	struct wire_buf buf;  /* the messages; room past len is zeroed */
	uint32_t seq_first;   /* seq of BEGIN */
	uint32_t seq_next;
	char **what;          /* [seq - seq_first] description, NULL for BEGIN/END */
	size_t nwhat, capwhat;
	size_t nmsgs;         /* messages that asked for an ACK */
	int err;
};

#define FW_MSG_RAW 0xffff /* type for BEGIN/END, built by the caller, no ACK */

void fw__batch_init(struct fw__batch *b, uint32_t seq);
void fw__batch_done(struct fw__batch *b);
/* Reserves `room` bytes and writes an nftables header for `type`; returns
 * NULL (and sets b->err) on allocation failure. Finish with fw__batch_put. */
struct nlmsghdr *fw__batch_hdr(struct fw__batch *b, size_t room, uint16_t type, uint16_t family,
			       uint16_t flags, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void fw__batch_put(struct fw__batch *b, struct nlmsghdr *nlh);
/* Closes the batch with END. */
void fw__batch_end(struct fw__batch *b);
/* Sends the batch, reads every ACK; on failure fills err with the first
 * kernel error: "nftables: <what>: <strerror>[ (<extack>)]". */
int fw__batch_send(struct nd_fw *fw, struct fw__batch *b, struct nd_error *err);

/* A dump request (GET with NLM_F_DUMP); cb is called per message. */
typedef int (*fw__dump_cb)(const struct nlmsghdr *nlh, void *data);
/* A dump request's header in buf (size bytes, zeroed first: no uninitialised
 * padding goes on the wire), with the handle's next sequence number. */
struct nlmsghdr *fw__dump_req(struct nd_fw *fw, char *buf, size_t size, uint16_t type, uint32_t family);
int fw__dump(struct nd_fw *fw, struct nlmsghdr *req, fw__dump_cb cb, void *data, struct nd_error *err);
/* Dumps the elements of set `name` of table `table` (family): cb is called
 * per element (nftnl_set_elem_foreach's callback; < 0 stops the dump). */
struct nftnl_set_elem;
typedef int (*fw__elem_cb)(struct nftnl_set_elem *e, void *data);
int fw__dump_set_elems(struct nd_fw *fw, uint32_t family, const char *table, const char *name, fw__elem_cb cb,
		       void *data, struct nd_error *err);

/* ---- the ruleset (fw_ruleset.c) ------------------------------------------ */

#define FW_FAMILY NFPROTO_INET
#define FW_RULE_TAG "netd:"   /* prefix of every rule comment we write */

enum fw__set {
	FW_SET_BRIDGES = 0,   /* ifname: every netd bridge */
	FW_SET_MASQ,          /* ifname: bridges whose traffic out of the host is masqueraded */
	FW_SET_INTERNAL,      /* ifname: internal bridges */
	FW_SET_SELF,          /* ifname . ifname: br . br for every bridge */
	FW_SET_NOICC,         /* ifname . ifname: br . br where icc=false */
	FW_SET_COUNT,
};

struct fw__set_def {
	const char *name;
	unsigned nfields;     /* ifname fields in the key: 1 or 2 */
};
extern const struct fw__set_def fw__sets[FW_SET_COUNT];

struct fw__chain_def {
	const char *name;
	const char *type;     /* "filter", "nat" */
	uint32_t hooknum;
	int32_t prio;
	unsigned nrules;      /* how many rules we keep in it */
};
enum { FW_CH_POSTROUTING = 0, FW_CH_FORWARD, FW_CH_PREROUTING };
extern const struct fw__chain_def fw__chains[];
extern const size_t fw__nchains;

/* Appends table, chains, sets (NLM_F_CREATE: idempotent), a flush of our
 * chains and our fixed rules. With `recreate`, the table is first added and
 * deleted, so the result is exactly our ruleset with empty sets. */
void fw__ruleset_build(struct fw__batch *b, const char *table, bool recreate);

enum fw__elem_op { FW_ELEM_ADD, FW_ELEM_DEL };

struct nftnl_rule;
/* A dumped rule (NULL with *err set), and its nftables comment or NULL. */
struct nftnl_rule *fw__rule_parse(const struct nlmsghdr *nlh, int *err);
/* A dumped chain (NULL with *err set). */
struct nftnl_chain;
struct nftnl_chain *fw__chain_parse(const struct nlmsghdr *nlh, int *err);
const char *fw__rule_comment(const struct nftnl_rule *r);

/* rule builders shared by fw_ruleset.c and fw_ports.c */
struct nftnl_rule;
struct nftnl_rule *fw__rule_new(const char *table, int chain);
/* tags the rule with FW_RULE_TAG comment, appends it and frees it */
void fw__put_rule(struct fw__batch *b, struct nftnl_rule *r, const char *comment);
void fw__add_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void fw__add_lookup(struct nftnl_rule *r, enum fw__set set, bool inv);
void fw__add_ct_mask(struct nftnl_rule *r, uint32_t key, uint32_t mask);
void fw__add_pair(struct nftnl_rule *r);
/* a counter expression (before the verdict of every rule of ours) */
void fw__add_counter(struct nftnl_rule *r);
/* Appends NEWSETELEM/DELSETELEM messages for keys (each IFNAMSIZ * nfields
 * bytes, zero padded), in chunks. */
void fw__elems(struct fw__batch *b, const char *table, enum fw__set set, enum fw__elem_op op,
	       const char *const *bridges, size_t n);
/* The key of one element: bridge (nfields 1) or bridge . bridge (2). */
size_t fw__elem_key(enum fw__set set, const char *bridge, char key[2 * 16]);

/* ---- published ports (fw_ports.c) ------------------------------------------
 * Four maps, one element per published port:
 *   ports4  inet_proto . inet_service             : ipv4_addr . inet_service
 *   ports4a ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
 *   ports6, ports6a likewise with ipv6_addr. */
enum fw__map { FW_MAP_P4 = 0, FW_MAP_P4A, FW_MAP_P6, FW_MAP_P6A, FW_MAP_COUNT };

struct fw__map_def {
	const char *name;
	bool v6;
	bool addr;            /* host address is part of the key */
	uint32_t key_len, data_len;
};
extern const struct fw__map_def fw__maps[FW_MAP_COUNT];

/* One published port in kernel byte order. */
struct fw__port {
	uint8_t proto;
	bool v6;
	bool any;             /* host address is "all" */
	uint8_t host_addr[16];
	uint16_t host_port;   /* host byte order */
	uint8_t addr[16];
	uint16_t port;        /* host byte order */
};

enum fw__map fw__port_map(const struct fw__port *p);
/* key and data of one element; returns the key length (data length is the map's) */
size_t fw__port_key(const struct fw__port *p, uint8_t key[24], uint8_t data[20]);
/* Appends the four maps (NLM_F_CREATE) */
void fw__maps_build(struct fw__batch *b, const char *table);
/* hairpin self: element addr . addr in hairpin4/6 */
void fw__hairpin_elems(struct fw__batch *b, const char *table, enum fw__elem_op op, bool v6, const uint8_t addr[16]);
/* Appends a flush of the four maps and the two hairpin sets */
void fw__maps_flush(struct fw__batch *b, const char *table);
/* Appends the prerouting DNAT rules (4) and the hairpin masquerade (postrouting) */
void fw__port_rules_build(struct fw__batch *b, const char *table);
/* Elements: add, or delete. Chunked. For FW_ELEM_DEL with `sure` false an
 * add of the same element precedes the delete, so that a missing element
 * is no error (an element with the same key and other data fails: EBUSY). */
void fw__port_elems(struct fw__batch *b, const char *table, enum fw__elem_op op, const struct fw__port *ports,
		    size_t n);

/* ---- explain (fw_explain.c reads the rulesets, fw_eval.c evaluates) -------- */
#define FW_X_KEY_MAX 64

struct fw__xelem {
	uint8_t key[FW_X_KEY_MAX], key_end[FW_X_KEY_MAX], data[FW_X_KEY_MAX];
	uint32_t klen, kelen, dlen, flags;
	bool has_verdict;
	int32_t verdict;
	char chain[NFT_CHAIN_MAXNAMELEN];
};

struct fw__xset {
	uint32_t family;
	char table[NFT_TABLE_MAXNAMELEN], name[NFT_SET_MAXNAMELEN];
	uint32_t flags, klen, dtype, dlen;
	bool loaded;
	struct fw__xelem *e;
	size_t n, cap;
};

struct fw__xchain {
	uint32_t family;
	char table[NFT_TABLE_MAXNAMELEN], name[NFT_CHAIN_MAXNAMELEN], type[16];
	bool base;
	uint32_t hook;
	int32_t prio;
	int policy;
	struct nftnl_rule **rules;
	size_t n, cap;
};

struct fw__xrs {
	struct nd_fw *fw;
	struct fw__xchain *c;
	size_t nc, capc;
	struct fw__xset *s;
	size_t ns, caps;
};

const char *fw__family_name(uint32_t f);
struct fw__xchain *fw__xrs_chain(struct fw__xrs *x, uint32_t family, const char *table, const char *name);
/* A set with its elements (read from the kernel at the first call), NULL when none. */
struct fw__xset *fw__xrs_set(struct fw__xrs *x, uint32_t family, const char *table, const char *name);
/* Evaluates chain c of x for pkt: ND_FW_ACCEPT, _DROP, _UNKNOWN, or 2 when
 * the chain ends without a verdict (its policy, for a base chain); fills
 * out's decided rule, hits and NAT. */
int fw__xchain_eval(struct fw__xrs *x, struct fw__xchain *c, const struct nd_fw_pkt *pkt, struct nd_fw_chain_eval *out);

/* nd_fw_explain_hook() on the ruleset the messages of batch b would make
 * (chains, rules, sets and elements), without a kernel: for unit tests. */
int fw__explain_hook_batch(const struct fw__batch *b, const char *our_table, enum nd_fw_hook hook,
			   const struct nd_fw_pkt *pkt, struct nd_fw_hook_eval *out, struct nd_error *err);
