// SPDX-License-Identifier: Apache-2.0
/* Typed access to the store: each record kind through its codec. */
#include "netd/core/records.h"
#include "netd/core/store.h"

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
	_cleanup_json_ json_t *docs = NULL;
	int rc = store_obj_list(st, "network", NULL, NULL, &docs, err);
	if (rc < 0)
		return rc;
	struct nd_network_rec *v = calloc(json_array_size(docs) + 1, sizeof(*v));
	if (!v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		if ((rc = nd_network_rec_from_json(doc, &v[i], err)) < 0) {
			while (i-- > 0)
				nd_network_rec_clear(&v[i]);
			free(v);
			return rc;
		}
	}
	*out = v;
	*n = json_array_size(docs);
	return 0;
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
	_cleanup_json_ json_t *docs = NULL;
	out->v = NULL;
	out->n = 0;
	int rc = store_obj_list(st, "endpoint", network_id, sandbox_id, &docs, err);
	if (rc < 0)
		return rc;
	out->v = calloc(json_array_size(docs) + 1, sizeof(*out->v));
	if (!out->v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		if ((rc = nd_endpoint_rec_from_json(doc, &out->v[i], err)) < 0) {
			nd_endpoint_list_clear(out);
			return rc;
		}
		out->n++;
	}
	return 0;
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
	_cleanup_json_ json_t *docs = NULL;
	out->v = NULL;
	out->n = 0;
	int rc = store_obj_list(st, "sandbox", NULL, NULL, &docs, err);
	if (rc < 0)
		return rc;
	out->v = calloc(json_array_size(docs) + 1, sizeof(*out->v));
	if (!out->v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		if ((rc = nd_sandbox_rec_from_json(doc, &out->v[i], err)) < 0) {
			nd_sandbox_list_clear(out);
			return rc;
		}
		out->n++;
	}
	return 0;
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
	_cleanup_json_ json_t *docs = NULL;
	out->v = NULL;
	out->n = 0;
	int rc = store_obj_list(st, "volume", NULL, NULL, &docs, err);
	if (rc < 0)
		return rc;
	out->v = calloc(json_array_size(docs) + 1, sizeof(*out->v));
	if (!out->v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		if ((rc = nd_volume_rec_from_json(doc, &out->v[i], err)) < 0) {
			nd_volume_list_clear(out);
			return rc;
		}
		out->n++;
	}
	return 0;
}
