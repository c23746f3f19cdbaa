/* Sandboxes: network namespaces that endpoints join. */
#include "netd/net/net.h"

#include <sys/stat.h>

int net_sandbox_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc,
		       struct nd_error *err)
{
	return store_obj_lookup(d->store, "sandbox", ref, id, doc, err);
}

int net_sandbox_create(struct netd *d, const char *name, const json_t *labels, char id_out[ND_ID_LEN + 1],
		       json_t **doc_out, struct nd_error *err)
{
	if (name && !*name)
		name = NULL;
	if (name && !nd_name_valid(name))
		return nd_error_set(err, -EINVAL, "invalid sandbox name \"%s\": use letters, digits, '_', '.' and '-'", name);
	char id[ND_ID_LEN + 1], now[40], path[PATH_MAX];
	if (nd_id_new(id) < 0)
		return nd_error_set(err, -EIO, "generating id failed");
	nd_time_rfc3339(now);
	snprintf(path, sizeof(path), "%s/%s", net_of(d)->netns_dir, id);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "Id", id, "Name", name ? name : "",
				"Created", now, "NetnsPath", path,
				"Labels", labels ? json_deep_copy(labels) : json_object());
	if (!doc)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = { .kind = "sandbox", .id = id, .name = name };
	/* intent first: a crash after this leaves a record whose netns reconcile creates */
	if (store_obj_put(d->store, &ref, doc, err) < 0) {
		if (err->code == -EEXIST)
			nd_error_set(err, -EEXIST, "sandbox name \"%s\" is already in use", name);
		json_decref(doc);
		return err->code;
	}
	if (netns_create(path, err) < 0) {
		store_obj_del(d->store, "sandbox", id, &(struct nd_error){ 0 });
		json_decref(doc);
		return nd_error_wrap(err, "sandbox %.12s", id);
	}
	log_info("sandbox created id=%.12s name=%s netns=%s", id, name ? name : "", path);
	if (id_out)
		memcpy(id_out, id, sizeof(id));
	if (doc_out)
		*doc_out = doc;
	else
		json_decref(doc);
	return 0;
}

/* Drops the sandbox, its endpoints and their addresses in one transaction,
 * then the namespace (its interfaces die with it, in the kernel's own time). */
int net_sandbox_delete(struct netd *d, const char *id, bool force, struct nd_error *err)
{
	_cleanup_json_ json_t *sb = NULL;
	_cleanup_json_ json_t *eps = NULL;
	int rc;
	if ((rc = store_obj_get(d->store, "sandbox", id, &sb, err)) < 0 ||
	    (rc = net_endpoint_list(d, NULL, id, &eps, err)) < 0)
		return rc;
	const struct net_hooks *h = &net_of(d)->hooks;
	if (!force && h->sandbox_in_use && h->sandbox_in_use(d, id))
		return nd_error_set(err, -EBUSY, "sandbox %.12s is used by a container; remove the container first", id);
	rc = store_tx_begin(d->store, err);
	size_t i;
	json_t *ep;
	if (rc == 0) {
		rc = net__endpoints_forget(d, eps, err);
		if (rc == 0)
			rc = store_obj_del(d->store, "sandbox", id, err);
		if (rc < 0)
			store_tx_rollback(d->store);
		else
			rc = store_tx_commit(d->store, err);
	}
	if (rc < 0)
		return rc;
	json_array_foreach(eps, i, ep) {
		struct nd_error e2 = { 0 };
		struct net_network *n = net_network_find(d, nd_json_str(ep, "NetworkID"), &e2);
		if (!n)
			continue;
		net_endpoint_release_pools(n, ep);
		struct nd_drv_network dn;
		struct nd_drv_endpoint de;
		net_drv_network(n, &dn);
		net_drv_endpoint(ep, &de);
		if (n->drv->revoke_external_connectivity(&net_of(d)->drv_ctx, &dn, &de, &e2) < 0)
			log_warn("endpoint=%.12s: revoke connectivity: %s", de.id, e2.msg);
	}
	/* the interfaces die with the namespace, in the kernel's own time:
	 * no API caller waits on veth deletions one by one */
	struct nd_error e3 = { 0 };
	if (netns_destroy(nd_json_str(sb, "NetnsPath"), &e3) < 0)
		log_warn("sandbox=%.12s: %s", id, e3.msg);
	log_info("sandbox removed id=%.12s endpoints=%zu", id, json_array_size(eps));
	return 0;
}

int net_sandbox_list(struct netd *d, json_t **out, struct nd_error *err)
{
	return store_obj_list(d->store, "sandbox", NULL, NULL, out, err);
}
