// SPDX-License-Identifier: Apache-2.0
/* Container events on the bus (core/events.h), with Docker's attributes:
 * the container's name, its image as the user named it, and its labels. */
#include "netd/core/events.h"
#include "netd/ctr/ctr.h"

void ctr__event_rec(struct netd *d, const struct nd_container_rec *r, const char *action, json_t *extra)
{
	json_t *attrs = json_object();
	const json_t *cfg = json_object_get(r->doc, "Config");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(cfg, "Labels"), k, v) {
		if (json_is_string(v))
			json_object_set(attrs, k, v);
	}
	const char *image = nd_json_str(cfg, "Image");
	if (!image || !*image)
		image = nd_json_str(r->doc, "ImageRef");
	json_object_set_new(attrs, "image", json_string(image && *image ? image : r->image));
	json_object_set_new(attrs, "name", json_string(r->name));
	if (extra) {
		json_object_update(attrs, extra);
		json_decref(extra);
	}
	nd_events_publish(d, "container", action, r->id, attrs);
}

void ctr_event(struct netd *d, const char *id, const char *action, json_t *extra)
{
	struct nd_container_rec r;
	if (ctr_load(d, id, &r, &(struct nd_error){ 0 }) < 0) {
		nd_events_publish(d, "container", action, id, extra);
		return;
	}
	ctr__event_rec(d, &r, action, extra);
	nd_container_rec_clear(&r);
}
