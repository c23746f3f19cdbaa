// SPDX-License-Identifier: Apache-2.0
/* Sandboxes: network namespaces that endpoints join. */
#include "netd/core/events.h"
#include "netd/net/net.h"

#include <sys/stat.h>

int net_sandbox_lookup(struct netd *d, const char *ref, struct nd_sandbox_rec *out, struct nd_error *err)
{
	return store_sandbox_lookup(d->store, ref, out, err);
}

/* A new sandbox record: a valid name (or none), a fresh id, labels; the
 * netns path is the caller's to set. */
static int sandbox_rec_new(const char *name, const json_t *labels, struct nd_sandbox_rec *sb, struct nd_error *err)
{
	if (name && !nd_name_valid(name))
		return nd_error_set(err, -EINVAL, "invalid sandbox name \"%s\": use letters, digits, '_', '.' and '-'", name);
	if (nd_sandbox_rec_init(sb) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (nd_id_new(sb->id) < 0) {
		nd_sandbox_rec_clear(sb);
		return nd_error_set(err, -EIO, "generating id failed");
	}
	snprintf(sb->name, sizeof(sb->name), "%s", name ? name : "");
	nd_time_rfc3339(sb->created);
	if (labels)
		json_object_update(sb->labels, (json_t *)labels);
	return 0;
}

int net_sandbox_create(struct netd *d, const char *name, const json_t *labels, struct nd_sandbox_rec *out,
		       struct nd_error *err)
{
	if (name && !*name)
		name = NULL;
	struct nd_sandbox_rec sb;
	int r = sandbox_rec_new(name, labels, &sb, err);
	if (r < 0)
		return r;
	snprintf(sb.netns_path, sizeof(sb.netns_path), "%s/%s", net_of(d)->netns_dir, sb.id);
	/* intent first: a crash after this leaves a record whose netns reconcile creates */
	if (store_sandbox_put(d->store, &sb, err) < 0) {
		if (err->code == -EEXIST)
			nd_error_set(err, -EEXIST, "sandbox name \"%s\" is already in use", name);
		nd_sandbox_rec_clear(&sb);
		return err->code;
	}
	if (netns_create(sb.netns_path, err) < 0) {
		store_obj_del(d->store, "sandbox", sb.id, &(struct nd_error){ 0 });
		nd_error_wrap(err, "sandbox %.12s", sb.id);
		nd_sandbox_rec_clear(&sb);
		return err->code;
	}
	log_info("sandbox created id=%.12s name=%s netns=%s", sb.id, sb.name, sb.netns_path);
	if (out)
		*out = sb;
	else
		nd_sandbox_rec_clear(&sb);
	return 0;
}

int net_sandbox_adopt(struct netd *d, const char *name, const char *netns_path, const json_t *labels,
		      struct nd_sandbox_rec *out, struct nd_error *err)
{
	if (name && !*name)
		name = NULL;
	if (name && !nd_name_valid(name))   /* before the path: the first bad field is named */
		return nd_error_set(err, -EINVAL, "invalid sandbox name \"%s\": use letters, digits, '_', '.' and '-'", name);
	if (!netns_path || netns_path[0] != '/')
		return nd_error_set(err, -EINVAL, "namespace path \"%s\" must be absolute", netns_path ? netns_path : "");
	if (strlen(netns_path) >= PATH_MAX)
		return nd_error_set(err, -ENAMETOOLONG, "namespace path is too long");
	if (!netns_alive(netns_path))
		return nd_error_set(err, -EINVAL, "%s is not a network namespace", netns_path);
	struct nd_sandbox_rec sb;
	int r = sandbox_rec_new(name, labels, &sb, err);
	if (r < 0)
		return r;
	snprintf(sb.netns_path, sizeof(sb.netns_path), "%s", netns_path);
	sb.caller_owned = true;
	if (store_sandbox_put(d->store, &sb, err) < 0) {
		if (err->code == -EEXIST)
			nd_error_set(err, -EEXIST, "sandbox name \"%s\" is already in use", name);
		nd_sandbox_rec_clear(&sb);
		return err->code;
	}
	log_info("sandbox adopted id=%.12s name=%s netns=%s (caller-owned)", sb.id, sb.name, sb.netns_path);
	if (out)
		*out = sb;
	else
		nd_sandbox_rec_clear(&sb);
	return 0;
}

/* Drops the sandbox, its endpoints and their addresses in one transaction,
 * then the namespace (its interfaces die with it, in the kernel's own time). */
int net_sandbox_delete(struct netd *d, const char *id, bool force, struct nd_error *err)
{
	struct nd_sandbox_rec sb;
	struct nd_endpoint_list eps = { 0 };
	int rc;
	if ((rc = net_sandbox_lookup(d, id, &sb, err)) < 0)
		return rc;
	if ((rc = net_endpoint_list(d, NULL, sb.id, &eps, err)) < 0)
		goto out;
	const struct net_hooks *h = &net_of(d)->hooks;
	if (!force && h->sandbox_in_use && h->sandbox_in_use(d, sb.id)) {
		rc = nd_error_set(err, -EBUSY, "sandbox %.12s is used by a container; remove the container first", sb.id);
		goto out;
	}
	if ((rc = store_tx_begin(d->store, err)) < 0)
		goto out;
	if ((rc = net__endpoints_forget(d, eps.v, eps.n, err)) < 0 ||
	    (rc = store_obj_del(d->store, "sandbox", sb.id, err)) < 0) {
		store_tx_rollback(d->store);
		goto out;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		goto out;
	for (size_t i = 0; i < eps.n; i++)
		net__dns_endpoint_down(d, &eps.v[i]);
	net__dns_sandbox_gone(d, sb.id);
	for (size_t i = 0; i < eps.n; i++) {
		struct nd_error e2 = { 0 };
		struct net_network *n = net_network_find(d, eps.v[i].network_id, &e2);
		if (!n)
			continue;
		net_endpoint_release_pools(n, &eps.v[i]);
		net__endpoint_ports_del(d, &eps.v[i]);
		struct nd_drv_network dn;
		struct nd_drv_endpoint de;
		net_drv_network(n, &dn);
		net_drv_endpoint(&eps.v[i], &de);
		if (n->drv->revoke_external_connectivity(&net_of(d)->drv_ctx, &dn, &de, &e2) < 0)
			log_warn("endpoint=%.12s: revoke connectivity: %s", de.id, e2.msg);
		nd_events_publish(d, "network", "disconnect", n->rec.id,
				  json_pack("{s:s, s:s, s:s}", "name", n->rec.name, "type", n->rec.driver, "container",
					    eps.v[i].container_id[0] ? eps.v[i].container_id : sb.id));
	}
	/* the interfaces die with the namespace, in the kernel's own time:
	 * no API caller waits on veth deletions one by one */
	struct nd_error e3 = { 0 };
	if (sb.caller_owned) {
		/* the caller's namespace: our interfaces leave it, it stays */
		for (size_t i = 0; i < eps.n; i++) {
			struct net_network *n = net_network_find(d, eps.v[i].network_id, &e3);
			if (!n)
				continue;
			struct nd_drv_network dn;
			struct nd_drv_endpoint de;
			struct nd_drv_sandbox ds;
			net_drv_network(n, &dn);
			net_drv_endpoint(&eps.v[i], &de);
			net_drv_sandbox(&sb, &eps.v[i], &ds);
			nd_error_clear(&e3);
			if (netns_alive(sb.netns_path) && n->drv->leave(&net_of(d)->drv_ctx, &dn, &de, &ds, &e3) < 0)
				log_warn("endpoint=%.12s: leave: %s", de.id, e3.msg);
			nd_error_clear(&e3);
			if (n->drv->endpoint_delete(&net_of(d)->drv_ctx, &dn, &de, &e3) < 0)
				log_warn("endpoint=%.12s: delete: %s", de.id, e3.msg);
		}
	} else if (netns_destroy(sb.netns_path, &e3) < 0) {
		log_warn("sandbox=%.12s: %s", sb.id, e3.msg);
	}
	log_info("sandbox removed id=%.12s endpoints=%zu", sb.id, eps.n);
out:
	nd_endpoint_list_clear(&eps);
	nd_sandbox_rec_clear(&sb);
	return rc;
}

int net_sandbox_list(struct netd *d, struct nd_sandbox_list *out, struct nd_error *err)
{
	return store_sandbox_list(d->store, out, err);
}
