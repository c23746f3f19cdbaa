/* proxy: internals of the nftables firewall layer (not a public header). */
#pragma once

#include "proxy/proxy.h"

#include <stdint.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

struct mnl_socket;
struct nlmsghdr;

struct nd_fw {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char table[NFT_TABLE_MAXNAMELEN];
};

/* One transaction: BEGIN, messages, END in one growable buffer. Every
 * message asks for an ACK and carries a description for error messages
 * ("add element to set bridges"). Allocation failure is sticky in ->err. */
struct fw__batch {
	char *buf;
	size_t len, cap;
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
int fw__dump(struct nd_fw *fw, struct nlmsghdr *req, fw__dump_cb cb, void *data, struct nd_error *err);

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
extern const struct fw__chain_def fw__chains[];
extern const size_t fw__nchains;

/* Appends table, chains, sets (NLM_F_CREATE: idempotent), a flush of our
 * chains and our fixed rules. With `recreate`, the table is first added and
 * deleted, so the result is exactly our ruleset with empty sets. */
void fw__ruleset_build(struct fw__batch *b, const char *table, bool recreate);

enum fw__elem_op { FW_ELEM_ADD, FW_ELEM_DEL };
/* Appends NEWSETELEM/DELSETELEM messages for keys (each IFNAMSIZ * nfields
 * bytes, zero padded), in chunks. */
void fw__elems(struct fw__batch *b, const char *table, enum fw__set set, enum fw__elem_op op,
	       const char *const *bridges, size_t n);
/* The key of one element: bridge (nfields 1) or bridge . bridge (2). */
size_t fw__elem_key(enum fw__set set, const char *bridge, char key[2 * 16]);
