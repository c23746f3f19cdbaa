// SPDX-License-Identifier: Apache-2.0
/* An owner's new name on its endpoints (a renamed container): the owner
 * name and the alias of that name, which peers' hosts files list, the
 * embedded DNS answers, and (global networks) the record other hosts'
 * resolvers answer from. */
#include "netd/net/net.h"

int net_endpoint_owner_rename(struct netd *d, const char *sandbox_id, const char *old_name, const char *new_name,
			      struct nd_error *err)
{
	struct nd_endpoint_list eps;
	int rc = net_endpoint_list(d, NULL, sandbox_id, &eps, err);
	if (rc < 0)
		return rc;
	if ((rc = store_tx_begin(d->store, err)) < 0) {
		nd_endpoint_list_clear(&eps);
		return rc;
	}
	for (size_t i = 0; i < eps.n && rc == 0; i++) {
		struct nd_endpoint_rec *ep = &eps.v[i];
		if (strcmp(ep->owner_name, old_name) == 0)
			snprintf(ep->owner_name, sizeof(ep->owner_name), "%s", new_name);
		size_t k;
		json_t *a;
		json_array_foreach(ep->aliases, k, a)
			if (strcmp(json_string_value(a) ?: "", old_name) == 0)
				json_array_set_new(ep->aliases, k, json_string(new_name));
		rc = store_endpoint_put(d->store, ep, err);
	}
	if (rc < 0)
		store_tx_rollback(d->store);
	else
		rc = store_tx_commit(d->store, err);
	for (size_t i = 0; rc == 0 && i < eps.n; i++) {
		net__dns_endpoint_up(d, &eps.v[i], NULL);   /* the new name answers, the old one no more */
		struct net_network *n = net_network_find(d, eps.v[i].network_id, &(struct nd_error){ 0 });
		if (net_network_global(n))   /* and on the other hosts: the record names it */
			net__global_endpoint_added(d, &eps.v[i]);
	}
	nd_endpoint_list_clear(&eps);
	return rc;
}
