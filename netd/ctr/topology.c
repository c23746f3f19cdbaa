// SPDX-License-Identifier: Apache-2.0
/* The topology with containers: the net layer reads networks, sandboxes,
 * endpoints and their interfaces (it knows no container); this adds the
 * containers, their sandbox and the ports they publish. */
#include "netd/ctr/ctr.h"

struct ctr_topo_req {
	struct netd *d;
	ctr_topology_cb cb;
	void *data;
};

static void topo_net_done(void *p, int rc, const struct nd_error *err, struct net_topology *nt)
{
	struct ctr_topo_req *q = p;
	struct ctr_topology t = { .net = nt };
	struct nd_error e = { 0 };
	_cleanup_json_ json_t *docs = NULL;
	if (rc < 0) {
		q->cb(q->data, rc, err, NULL);
		free(q);
		return;
	}
	if ((rc = ctr_list(q->d, &docs, &e)) < 0)
		goto out;
	if (json_array_size(docs) && !(t.containers = calloc(json_array_size(docs), sizeof(*t.containers)))) {
		rc = nd_error_set(&e, -ENOMEM, "out of memory");
		goto out;
	}
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		struct nd_container_rec r;
		struct nd_error de = { 0 };
		if (nd_container_rec_from_json(doc, &r, &de) < 0) {
			log_debug("topology: a container record does not decode: %s", de.msg);
			continue;
		}
		struct ctr_topo_container *c = &t.containers[t.ncontainers++];
		snprintf(c->id, sizeof(c->id), "%s", r.id);
		snprintf(c->name, sizeof(c->name), "%s", r.name);
		snprintf(c->image, sizeof(c->image), "%s", nd_json_str(json_object_get(r.doc, "Config"), "Image") ?: r.image);
		snprintf(c->status, sizeof(c->status), "%s", r.state.status);
		snprintf(c->sandbox_id, sizeof(c->sandbox_id), "%s", r.sandbox_id);
		json_t *pm = json_object_get(r.doc, "PortMappings");
		c->port_mappings = json_is_array(pm) ? json_deep_copy(pm) : json_array();
		nd_container_rec_clear(&r);
	}
out:
	q->cb(q->data, rc, rc < 0 ? &e : NULL, rc < 0 ? NULL : &t);
	for (size_t k = 0; k < t.ncontainers; k++)
		json_decref(t.containers[k].port_mappings);
	free(t.containers);
	free(q);
}

void ctr_topology_read(struct netd *d, ctr_topology_cb cb, void *data)
{
	struct ctr_topo_req *q = calloc(1, sizeof(*q));
	if (!q) {
		struct nd_error e = { 0 };
		nd_error_set(&e, -ENOMEM, "out of memory");
		cb(data, e.code, &e, NULL);
		return;
	}
	*q = (struct ctr_topo_req){ d, cb, data };
	net_topology_read(d, topo_net_done, q);
}
