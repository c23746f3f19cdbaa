// SPDX-License-Identifier: Apache-2.0
/* netd's store: one SQLite database (WAL) under the root dir. netd is its
 * only writer; every mutation runs in one transaction. Objects are kept as
 * JSON documents keyed by (kind, id) with an optional unique name and two
 * indexed references (parent: e.g. an endpoint's network; owner: e.g. an
 * endpoint's sandbox). Address allocations have a table of their own whose
 * primary key makes a double allocation impossible. */
#pragma once

#include "common/common.h"

struct store;

int store_open(const char *path, struct store **out, struct nd_error *err);
void store_close(struct store *st);
int store_schema_version(struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Nested begin is an error. */
int store_tx_begin(struct store *st, struct nd_error *err);
int store_tx_commit(struct store *st, struct nd_error *err);
void store_tx_rollback(struct store *st);

struct store_obj_ref {
	const char *kind;            /* "network", "endpoint", "sandbox", ... */
	const char *id;
	const char *name;            /* NULL: no name */
	const char *parent;          /* NULL: none */
	const char *owner;           /* NULL: none */
};

/* Insert or replace. A name taken by another object of the kind: -EEXIST. */
int store_obj_put(struct store *st, const struct store_obj_ref *ref, const json_t *data,
		  struct nd_error *err);
/* -ENOENT when absent. */
int store_obj_get(struct store *st, const char *kind, const char *id, json_t **data,
		  struct nd_error *err);
/* Resolve a full ID, a name, or a unique ID prefix (>= 12 hex) to an object.
 * -ENOENT "no such <kind>: <ref>", -EINVAL when a prefix is ambiguous. */
int store_obj_lookup(struct store *st, const char *kind, const char *ref, char id[ND_ID_LEN + 1],
		     json_t **data, struct nd_error *err);
int store_obj_del(struct store *st, const char *kind, const char *id, struct nd_error *err);
/* JSON array of the documents of a kind, optionally only those with a given
 * parent and/or owner, oldest first. */
int store_obj_list(struct store *st, const char *kind, const char *parent, const char *owner,
		   json_t **out, struct nd_error *err);
int store_obj_count(struct store *st, const char *kind, int64_t *count, struct nd_error *err);

/* Key/value settings of the daemon itself (daemon id, ...). */
int store_meta_get(struct store *st, const char *key, char **value, struct nd_error *err);
int store_meta_set(struct store *st, const char *key, const char *value, struct nd_error *err);

/* Address allocations: (pool, addr) is unique; owner is whatever holds it. */
int store_addr_claim(struct store *st, const char *pool, const char *addr, const char *owner,
		     struct nd_error *err);                   /* -EADDRINUSE if taken */
int store_addr_release(struct store *st, const char *pool, const char *addr, struct nd_error *err);
int store_addr_release_owner(struct store *st, const char *owner, struct nd_error *err);
typedef int (*store_addr_fn)(const char *pool, const char *addr, const char *owner, void *data);
int store_addr_foreach(struct store *st, const char *pool /* NULL: all */, store_addr_fn fn,
		       void *data, struct nd_error *err);
