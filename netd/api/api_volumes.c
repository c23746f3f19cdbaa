// SPDX-License-Identifier: Apache-2.0
/* Volumes: the Docker Engine API handlers (/volumes/...). The local driver
 * lives in ctr/volumes.c. */
#include "netd/api/api.h"

static json_t *volume_view(const struct nd_volume_rec *v)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:o}", "Name", v->name, "Driver", v->driver, "Mountpoint",
			 v->mountpoint, "CreatedAt", v->created, "Labels", v->labels, "Scope", "local", "Options",
			 json_object_size(v->options) ? json_deep_copy(v->options) : json_null());
}

/* the API version the client asked for in the path ("/v1.41/..."): below major.minor? */
static bool version_below(const struct http_req *req, int major, int minor)
{
	int ma, mi;
	if (!req->url || sscanf(req->url, "/v%d.%d/", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

struct vfilter {
	const json_t *used;          /* {name: [containers]} */
	const struct nd_volume_rec *v;
};

static bool match_name(const char *val, void *data)
{
	return strstr(((struct vfilter *)data)->v->name, val) != NULL;
}

static bool match_driver(const char *val, void *data)
{
	return strcmp(((struct vfilter *)data)->v->driver, val) == 0;
}

static bool match_label(const char *val, void *data)
{
	return api_labels_match(((struct vfilter *)data)->v->labels, val);
}

static bool match_dangling(const char *val, void *data)
{
	struct vfilter *f = data;
	bool dangling = !json_object_get(f->used, f->v->name);
	bool want = strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
	return dangling == want;
}

void api_volume_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "name", "driver", "label", "dangling", NULL };
	_cleanup_json_ json_t *filters = NULL;
	struct nd_volume_list l = { 0 };
	if (api_filters(req, allowed, &filters, &err) < 0 || ctr_volume_list(d, &l, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	_cleanup_json_ json_t *used = json_object_get(filters, "dangling") ? ctr_volumes_used(d) : NULL;
	for (size_t i = 0; i < l.n; i++) {
		struct vfilter f = { used, &l.v[i] };
		if (!api_filter_any(filters, "name", match_name, &f) || !api_filter_any(filters, "driver", match_driver, &f) ||
		    !api_filter_all(filters, "label", match_label, &f) ||
		    !api_filter_any(filters, "dangling", match_dangling, &f))
			continue;
		json_array_append_new(arr, volume_view(&l.v[i]));
	}
	nd_volume_list_clear(&l);
	http_reply_json(req, 200, json_pack("{s:o, s:[]}", "Volumes", arr, "Warnings"));
}

void api_volume_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const honoured[] = { "Name", "Driver", "DriverOpts", "Labels", NULL };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	_cleanup_json_ json_t *opts = NULL, *labels = NULL;
	const char *name = NULL, *driver = NULL;
	struct nd_volume_rec v;
	if (!body || api_refuse_unhonoured(body, "", honoured, NULL, &err) < 0 ||
	    nd_json_get_str(body, "Name", &name, false, &err) < 0 || nd_json_get_str(body, "Driver", &driver, false, &err) < 0 ||
	    nd_json_get_strmap(body, "DriverOpts", &opts, &err) < 0 || nd_json_get_strmap(body, "Labels", &labels, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct ctr_volume_opts o = { .name = name, .driver = driver, .driver_opts = opts, .labels = labels };
	if (ctr_volume_create(d, &o, &v, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 201, volume_view(&v));
	nd_volume_rec_clear(&v);
}

void api_volume_inspect(struct http_req *req, void *ctx)
{
	struct nd_error err = { 0 };
	struct nd_volume_rec v;
	if (ctr_volume_get(ctx, req->params[0], &v, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, volume_view(&v));
	nd_volume_rec_clear(&v);
}

void api_volume_delete(struct http_req *req, void *ctx)
{
	struct nd_error err = { 0 };
	if (ctr_volume_remove(ctx, req->params[0], http_req_query_bool(req, "force", false), &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}

static bool prune_keep(const struct nd_volume_rec *v, void *data)
{
	const json_t *filters = data;
	struct vfilter f = { NULL, v };
	if (!api_filter_all(filters, "label", match_label, &f))
		return true;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(filters, "label!"), i, x) {
		if (match_label(json_string_value(x), &f))
			return true;
	}
	return false;
}

static void prune_done(void *data, int rc, const json_t *deleted, uint64_t reclaimed, const struct nd_error *err)
{
	struct http_req *req = data;
	if (rc < 0) {
		http_reply_error(req, err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:O, s:I}", "VolumesDeleted", deleted, "SpaceReclaimed",
					    (json_int_t)reclaimed));
}

void api_volume_prune(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "label", "label!", "all", NULL };
	_cleanup_json_ json_t *filters = NULL;
	if (api_filters(req, allowed, &filters, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	/* API 1.42 made prune spare named volumes unless all=true; older
	 * clients mean every unused volume */
	json_t *a = json_array_get(json_object_get(filters, "all"), 0);
	bool all = version_below(req, 1, 42) ||
		   (a && (strcmp(json_string_value(a), "true") == 0 || strcmp(json_string_value(a), "1") == 0));
	if (ctr_volume_prune(d, all, prune_keep, filters, prune_done, req, &err) < 0)
		http_reply_error(req, &err);
}
