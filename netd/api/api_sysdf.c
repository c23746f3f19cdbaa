// SPDX-License-Identifier: Apache-2.0
/* GET /system/df, POST /containers/prune and /build/prune, and the answer
 * for what Docker has and netd does not (build, swarm, plugins, ...). */
#include "netd/api/api.h"
#include "images/images.h"

#include <sys/stat.h>

/* ---- /system/df -------------------------------------------------------------- */

struct df_work {
	struct nd_job job;          /* first */
	struct netd *d;
	struct http_req *req;
	json_t *docs;               /* container records (read-only in the pool) */
	json_t *images;             /* images_list() */
	int64_t *sizes;             /* per container: its upper dir's bytes (-1: unknown) */
	struct nd_volume_list vols; /* the volumes (read-only in the pool) */
	uint64_t *vol_sizes;        /* per volume: the bytes under its mountpoint */
	json_t *vol_used;           /* {name: [container ids]} */
	int rc;
	struct nd_error err;
};

static void df_run(struct nd_job *j)
{
	struct df_work *w = (struct df_work *)j;
	size_t n = json_array_size(w->docs);
	for (size_t i = 0; i < n; i++) {
		char upper[PATH_MAX];
		const char *id = nd_json_str(json_array_get(w->docs, i), "Id");
		w->sizes[i] = id && images_rootfs_upper(w->d->images, id, upper, sizeof(upper),
							 &(struct nd_error){ 0 }) == 0 ? (int64_t)nd_tree_bytes(upper) : -1;
	}
	for (size_t i = 0; i < w->vols.n; i++)
		w->vol_sizes[i] = nd_tree_bytes(w->vols.v[i].mountpoint);
	w->rc = images_list(w->d->images, &w->images, &w->err);
}

static json_t *df_container(const json_t *doc, int64_t size_rw, int64_t image_size)
{
	const json_t *st = json_object_get(doc, "State");
	const char *status = nd_json_str(st, "Status") ?: "created";
	char human[64], name[ND_NAME_MAX + 2], cmd[1024];
	if (strcmp(status, "running") == 0)
		snprintf(human, sizeof(human), "Up");
	else if (strcmp(status, "exited") == 0)
		snprintf(human, sizeof(human), "Exited (%d)", (int)json_integer_value(json_object_get(st, "ExitCode")));
	else
		snprintf(human, sizeof(human), "%c%s", status[0] - 'a' + 'A', status + 1);
	snprintf(name, sizeof(name), "/%s", nd_json_str(doc, "Name") ?: "");
	snprintf(cmd, sizeof(cmd), "%s", nd_json_str(doc, "Path") ?: "");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(doc, "Args"), i, a)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", json_string_value(a));
	json_t *labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	return json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:O, s:[], s:[]}",
		"Id", nd_json_str(doc, "Id") ?: "", "Names", name, "Image", nd_json_str(doc, "ImageRef") ?: "",
		"ImageID", nd_json_str(doc, "Image") ?: "", "Command", cmd,
		"Created", json_integer_value(json_object_get(doc, "CreatedUnix")), "State", status, "Status", human,
		"SizeRw", (json_int_t)(size_rw < 0 ? 0 : size_rw), "SizeRootFs", (json_int_t)((size_rw < 0 ? 0 : size_rw) + image_size),
		"Labels", json_is_object(labels) ? labels : json_object(), "Mounts", "Ports");
}

static void df_done(struct nd_job *j)
{
	struct df_work *w = (struct df_work *)j;
	if (w->rc < 0) {
		http_reply_error(w->req, &w->err);
		goto out;
	}
	/* images: each with how many containers use it; LayersSize their sum */
	json_int_t layers = 0;
	json_t *imgs = json_array(), *sizes = json_object();
	size_t i, k;
	json_t *img, *doc;
	json_array_foreach(w->images, i, img) {
		json_int_t used = 0;
		const char *iid = nd_json_str(img, "Id");
		json_array_foreach(w->docs, k, doc) used += iid && strcmp(nd_json_str(doc, "Image") ?: "", iid) == 0;
		json_t *v = json_deep_copy(img);
		json_object_set_new(v, "Containers", json_integer(used));
		json_object_set_new(v, "SharedSize", json_integer(-1));
		json_int_t sz = json_integer_value(json_object_get(img, "Size"));
		layers += sz;
		if (iid)
			json_object_set_new(sizes, iid, json_integer(sz));
		json_array_append_new(imgs, v);
	}
	json_t *ctrs = json_array();
	json_array_foreach(w->docs, i, doc) {
		json_int_t isz = json_integer_value(json_object_get(sizes, nd_json_str(doc, "Image") ?: ""));
		json_array_append_new(ctrs, df_container(doc, w->sizes[i], isz));
	}
	json_decref(sizes);
	/* volumes: Docker's Volume objects with UsageData (bytes, containers naming it) */
	json_t *vols = json_array();
	for (size_t vi = 0; vi < w->vols.n; vi++) {
		const struct nd_volume_rec *v = &w->vols.v[vi];
		json_array_append_new(vols, json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:o, s:{s:I, s:I}}", "Name", v->name,
			"Driver", v->driver, "Mountpoint", v->mountpoint, "CreatedAt", v->created, "Labels", v->labels,
			"Scope", "local", "Options", json_object_size(v->options) ? json_deep_copy(v->options) : json_null(),
			"UsageData", "Size", (json_int_t)w->vol_sizes[vi], "RefCount",
			(json_int_t)json_array_size(json_object_get(w->vol_used, v->name))));
	}
	http_reply_json(w->req, 200, json_pack("{s:I, s:o, s:o, s:o, s:[]}", "LayersSize", layers, "Images", imgs,
					       "Containers", ctrs, "Volumes", vols, "BuildCache"));
out:
	json_decref(w->docs);
	json_decref(w->images);
	free(w->sizes);
	nd_volume_list_clear(&w->vols);
	free(w->vol_sizes);
	json_decref(w->vol_used);
	free(w);
}

void api_system_df(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	static const char *const types[] = { "container", "image", "volume", "build-cache" };
	size_t nt = 0;
	_cleanup_free_ char **ts = http_req_query_all(req, "type", &nt);
	for (size_t i = 0; i < nt; i++) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(types); k++)
			ok |= strcmp(ts[i], types[k]) == 0;
		if (!ok) {
			http_reply_errorf(req, 400, "invalid type \"%s\": want container, image, volume or build-cache", ts[i]);
			for (size_t k = 0; k < nt; k++)
				free(ts[k]);
			return;
		}
	}
	for (size_t k = 0; ts && k < nt; k++)
		free(ts[k]);
	struct df_work *w = calloc(1, sizeof(*w));
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	w->d = d;
	w->req = req;
	if (ctr_list(d, &w->docs, &w->err) < 0) {
		http_reply_error(req, &w->err);
		free(w);
		return;
	}
	w->sizes = calloc(json_array_size(w->docs) + 1, sizeof(*w->sizes));
	if (!w->sizes || ctr_volume_list(d, &w->vols, &w->err) < 0 ||
	    !(w->vol_sizes = calloc(w->vols.n + 1, sizeof(*w->vol_sizes))) || !(w->vol_used = ctr_volumes_used(d))) {
		if (!w->err.msg[0])
			nd_error_set(&w->err, -ENOMEM, "out of memory");
		http_reply_error(req, &w->err);
		json_decref(w->docs);
		free(w->sizes);
		nd_volume_list_clear(&w->vols);
		free(w->vol_sizes);
		free(w);
		return;
	}
	w->job.work = df_run;
	w->job.done = df_done;
	nd_job_queue(d->loop, &w->job);
}

/* ---- POST /build/prune: netd builds nothing, so there is no cache ------------- */

void api_build_prune(struct http_req *req, void *ctx)
{
	http_reply_json(req, 200, json_pack("{s:[], s:I}", "CachesDeleted", "SpaceReclaimed", (json_int_t)0));
}

/* ---- out of scope ------------------------------------------------------------ */

void api_not_implemented(struct http_req *req, void *ctx)
{
	/* the first segment says which feature: /build, /swarm, /plugins, ... */
	const char *p = req->path + (req->path[0] == '/');
	size_t n = strcspn(p, "/");
	static const struct {
		const char *seg, *what;
		int status;
	} table[] = {
		{ "build", "image builds (docker build): build with buildah or docker elsewhere and `docker load` the result", 501 },
		{ "session", "BuildKit sessions (docker build)", 501 },
		{ "swarm", "swarm mode: netd is a single-host daemon (multi-host networks are vxlan networks, see README)", 503 },
		{ "services", "swarm services: this node is not a swarm manager", 503 },
		{ "tasks", "swarm tasks: this node is not a swarm manager", 503 },
		{ "nodes", "swarm nodes: this node is not a swarm manager", 503 },
		{ "secrets", "swarm secrets: this node is not a swarm manager", 503 },
		{ "configs", "swarm configs: this node is not a swarm manager", 503 },
		{ "plugins", "plugins: netd's drivers are built in (docker info lists them)", 501 },
		{ "distribution", "registry manifest inspection (/distribution): pull the image, then inspect it", 501 },
		{ "grpc", "the gRPC upgrade (BuildKit)", 501 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (strlen(table[i].seg) == n && strncmp(p, table[i].seg, n) == 0 && !strstr(req->path, "/checkpoints")) {
			http_reply_errorf(req, table[i].status, "netd does not support %s", table[i].what);
			return;
		}
	}
	if (strstr(req->path, "/checkpoints")) {
		http_reply_errorf(req, 501, "netd does not support checkpoints (CRIU)");
		return;
	}
	http_reply_errorf(req, 501, "netd does not support %s %s", req->method, req->path);
}
