/* Sandboxes: network namespaces that endpoints join (/sandboxes). */
#include "netd/net.h"

#include <sys/stat.h>

int net_sandbox_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc,
		       struct nd_error *err)
{
	return store_obj_lookup(d->store, "sandbox", ref, id, doc, err);
}

/* Records the sandbox (intent first), then creates its netns. A name is
 * optional (NULL or ""); labels may be NULL. */
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

void api_sandbox_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	const char *name = NULL;
	_cleanup_json_ json_t *labels = NULL;
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	if (!body || api_get_str(body, "Name", &name, false, &err) < 0 ||
	    api_get_strmap(body, "Labels", &labels, &err) < 0 ||
	    net_sandbox_create(d, name, labels, id, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 201, json_pack("{s:s, s:s}", "Id", id, "NetnsPath", nd_json_str(doc, "NetnsPath")));
}

static json_t *sandbox_view(struct netd *d, json_t *sb)
{
	json_t *v = json_deep_copy(sb);
	json_t *eps = NULL;
	json_t *nets = json_object();
	struct nd_error err = { 0 };
	if (store_obj_list(d->store, "endpoint", NULL, nd_json_str(sb, "Id"), &eps, &err) == 0) {
		size_t i;
		json_t *ep;
		json_array_foreach(eps, i, ep) {
			json_t *ndoc = NULL;
			const char *netname = nd_json_str(ep, "NetworkID");
			if (store_obj_get(d->store, "network", netname, &ndoc, &err) == 0)
				netname = nd_json_str(ndoc, "Name");
			json_object_set_new(nets, netname ? netname : "?",
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
					  "NetworkID", nd_json_str(ep, "NetworkID"),
					  "EndpointID", nd_json_str(ep, "Id"),
					  "Ifname", nd_json_str(ep, "Ifname") ?: "",
					  "MacAddress", nd_json_str(ep, "MacAddress") ?: "",
					  "IPv4Address", nd_json_str(ep, "IPv4Address") ?: "",
					  "IPv6Address", nd_json_str(ep, "IPv6Address") ?: "",
					  "Aliases", json_object_get(ep, "Aliases") ?: json_null()));
			json_decref(ndoc);
		}
		json_decref(eps);
	}
	json_object_set_new(v, "Networks", nets);
	return v;
}

void api_sandbox_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *docs = NULL;
	if (store_obj_list(d->store, "sandbox", NULL, NULL, &docs, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	size_t i;
	json_t *sb;
	json_array_foreach(docs, i, sb)
		json_array_append_new(arr, sandbox_view(d, sb));
	json_decref(docs);
	http_reply_json(req, 200, arr);
}

void api_sandbox_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sb = NULL;
	if (net_sandbox_lookup(d, req->params[0], NULL, &sb, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, sandbox_view(d, sb));
}

/* Drops the sandbox, its endpoints and their addresses in one transaction,
 * then the namespace (its interfaces die with it, in the kernel's own time). */
int net_sandbox_delete(struct netd *d, const char *id, struct nd_error *err)
{
	_cleanup_json_ json_t *sb = NULL;
	_cleanup_json_ json_t *eps = NULL;
	int rc;
	if ((rc = store_obj_get(d->store, "sandbox", id, &sb, err)) < 0 ||
	    (rc = store_obj_list(d->store, "endpoint", NULL, id, &eps, err)) < 0)
		return rc;
	rc = store_tx_begin(d->store, err);
	size_t i;
	json_t *ep;
	if (rc == 0) {
		json_array_foreach(eps, i, ep) {
			if ((rc = store_obj_del(d->store, "endpoint", nd_json_str(ep, "Id"), err)) < 0 ||
			    (rc = store_addr_release_owner(d->store, nd_json_str(ep, "Id"), err)) < 0)
				break;
		}
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

void api_sandbox_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sb = NULL;
	char id[ND_ID_LEN + 1];
	if (net_sandbox_lookup(d, req->params[0], id, &sb, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	_cleanup_json_ json_t *users = NULL;
	if (store_obj_list(d->store, "container", NULL, id, &users, &err) == 0 && json_array_size(users) > 0 &&
	    !http_req_query_bool(req, "force", false)) {
		nd_error_set(&err, -EBUSY, "sandbox %.12s is used by a container; remove the container first", id);
		http_reply_error(req, &err);
		return;
	}
	if (net_sandbox_delete(d, id, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}
