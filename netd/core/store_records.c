// SPDX-License-Identifier: Apache-2.0
/* Typed access to the store: each record kind through its codec. */
#include "netd/core/records.h"
#include "netd/core/store.h"

/* The one list decoder: every document of a kind (parent/owner: NULL =
 * any) decoded into a new array of records of `size` bytes, oldest first.
 * On a bad document the records made so far are cleared and freed. */
struct rec_kind {
	const char *kind;
	size_t size;
	int (*decode)(const json_t *j, void *rec, struct nd_error *err);
	void (*clear)(void *rec);
};

static int list_decode(struct store *st, const struct rec_kind *k, const char *parent, const char *owner,
		       void **out, size_t *n, struct nd_error *err)
{
	_cleanup_json_ json_t *docs = NULL;
	*out = NULL;
	*n = 0;
	int rc = store_obj_list(st, k->kind, parent, owner, &docs, err);
	if (rc < 0)
		return rc;
	char *v = calloc(json_array_size(docs) + 1, k->size);
	if (!v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		if ((rc = k->decode(doc, v + i * k->size, err)) < 0) {
			while (i-- > 0)
				k->clear(v + i * k->size);
			free(v);
			return rc;
		}
	}
	*out = v;
	*n = json_array_size(docs);
	return 0;
}

#define REC_KIND(name, type)                                                                     \
	static int name##_decode(const json_t *j, void *r, struct nd_error *err)                   \
	{                                                                                          \
		return nd_##name##_rec_from_json(j, (struct nd_##name##_rec *)r, err);              \
	}                                                                                          \
	static void name##_clear(void *r) { nd_##name##_rec_clear((struct nd_##name##_rec *)r); } \
	static const struct rec_kind name##_kind = { type, sizeof(struct nd_##name##_rec), name##_decode, name##_clear }

REC_KIND(network, "network");
REC_KIND(endpoint, "endpoint");
REC_KIND(sandbox, "sandbox");
REC_KIND(volume, "volume");

int store_network_put(struct store *st, const struct nd_network_rec *r, struct nd_error *err)
{
	_cleanup_json_ json_t *j = nd_network_rec_to_json(r);
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = { .kind = "network", .id = r->id, .name = r->name };
	return store_obj_put(st, &ref, j, err);
}

int store_network_list(struct store *st, struct nd_network_rec **out, size_t *n, struct nd_error *err)
{
	return list_decode(st, &network_kind, NULL, NULL, (void **)out, n, err);
}

int store_endpoint_put(struct store *st, const struct nd_endpoint_rec *r, struct nd_error *err)
{
	_cleanup_json_ json_t *j = nd_endpoint_rec_to_json(r);
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = {
		.kind = "endpoint", .id = r->id, .parent = r->network_id, .owner = r->sandbox_id,
	};
	return store_obj_put(st, &ref, j, err);
}

int store_endpoint_list(struct store *st, const char *network_id, const char *sandbox_id,
			struct nd_endpoint_list *out, struct nd_error *err)
{
	return list_decode(st, &endpoint_kind, network_id, sandbox_id, (void **)&out->v, &out->n, err);
}

int store_sandbox_put(struct store *st, const struct nd_sandbox_rec *r, struct nd_error *err)
{
	_cleanup_json_ json_t *j = nd_sandbox_rec_to_json(r);
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = { .kind = "sandbox", .id = r->id, .name = r->name[0] ? r->name : NULL };
	return store_obj_put(st, &ref, j, err);
}

int store_sandbox_lookup(struct store *st, const char *ref, struct nd_sandbox_rec *out, struct nd_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	memset(out, 0, sizeof(*out));
	int rc = store_obj_lookup(st, "sandbox", ref, id, &doc, err);
	if (rc < 0)
		return rc;
	return nd_sandbox_rec_from_json(doc, out, err);
}

int store_sandbox_list(struct store *st, struct nd_sandbox_list *out, struct nd_error *err)
{
	return list_decode(st, &sandbox_kind, NULL, NULL, (void **)&out->v, &out->n, err);
}

/* volumes: kind "volume", keyed by name (the id column holds the name) */
int store_volume_put(struct store *st, const struct nd_volume_rec *r, struct nd_error *err)
{
	_cleanup_json_ json_t *j = nd_volume_rec_to_json(r);
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = { .kind = "volume", .id = r->name };
	return store_obj_put(st, &ref, j, err);
}

int store_volume_get(struct store *st, const char *name, struct nd_volume_rec *out, struct nd_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	memset(out, 0, sizeof(*out));
	int rc = store_obj_get(st, "volume", name, &doc, err);
	if (rc == -ENOENT)
		return nd_error_set(err, -ENOENT, "get %s: no such volume", name);
	if (rc < 0)
		return rc;
	return nd_volume_rec_from_json(doc, out, err);
}

int store_volume_del(struct store *st, const char *name, struct nd_error *err)
{
	return store_obj_del(st, "volume", name, err);
}

int store_volume_list(struct store *st, struct nd_volume_list *out, struct nd_error *err)
{
	return list_decode(st, &volume_kind, NULL, NULL, (void **)&out->v, &out->n, err);
}
