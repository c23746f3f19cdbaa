// SPDX-License-Identifier: Apache-2.0
/* Images over the API, with Docker Engine API paths and fields:
 *   POST   /images/create?fromSrc=-&repo=&tag=   import a rootfs tar (body)
 *   POST   /images/create?fromImage=&tag=        pull (api_registry.c)
 *   POST   /images/load                          docker-save / OCI archive (body)
 *   GET    /images/get?names=a&names=b           save (streams a tar)
 *   GET    /images/{name*}/get                   save one
 *   GET    /images/json                          list
 *   GET    /images/{name*}/json                  inspect
 *   GET    /images/{name*}/history               history
 *   POST   /images/{name*}/tag?repo=&tag=        tag
 *   DELETE /images/{name*}?force=                remove
 *   POST   /images/prune?filters=                prune
 * Import, load, save, remove and prune run in libuv's thread pool; the
 * handler replies from the after-work callback on the loop. Which images
 * containers use is read from the store on the loop before the work is
 * queued (the store is the loop's). */
#include "netd/api/api.h"
#include "netd/core/events.h"
#include "images/images.h"
#include "wire/wire.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

enum img_op { IMG_IMPORT, IMG_LOAD, IMG_SAVE, IMG_REMOVE, IMG_PRUNE };

static const char *const img_op_names[] = { "import", "load", "save", "remove", "prune" };

#define SAVE_CHUNK (256u << 10)

struct img_work {
	struct nd_job job;          /* first: the pool's job */
	struct netd *d;
	struct http_req *req;
	enum img_op op;
	uint64_t t0;
	/* inputs */
	char src[64];               /* import/load: /proc/self/fd/N of the spooled body */
	char *ref;                  /* import: optional tag */
	char *comment;              /* import: ?message= */
	char **names;               /* save: NULL-terminated; remove: names[0] */
	size_t nnames;
	bool force, all;
	json_t *in_use;             /* {"sha256:...": true}; read-only in the pool */
	/* outputs */
	int rc;
	struct nd_error err;
	char id[IMAGES_DIGEST_LEN + 1];
	char **loaded;
	json_t *result;
	int64_t size;
	/* save streaming */
	int fd;
	uv_fs_t fs;
	char *buf;
	bool gone;
	bool draining;          /* waiting for the client to take what is queued */
};

static void img_work_free(struct img_work *w)
{
	if (!w)
		return;
	free(w->ref);
	free(w->comment);
	for (size_t i = 0; w->names && w->names[i]; i++)
		free(w->names[i]);
	free(w->names);
	json_decref(w->in_use);
	images_strv_free(w->loaded);
	json_decref(w->result);
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}

static void img_work_run(struct nd_job *j);
static void img_work_done(struct nd_job *j);

static struct img_work *img_work_new(struct netd *d, struct http_req *req, enum img_op op)
{
	struct img_work *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->d = d;
	w->req = req;
	w->op = op;
	w->fd = -1;
	w->t0 = nd_now_ns();
	w->job.work = img_work_run;
	w->job.done = img_work_done;
	return w;
}

static bool in_use_cb(const char *image_id, void *userdata)
{
	return json_object_get(userdata, image_id) != NULL;
}

/* The image IDs containers use, from the store (loop thread only). */
static int images_used_by_containers(struct netd *d, json_t **out, struct nd_error *err)
{
	_cleanup_json_ json_t *list = NULL;
	int rc = ctr_list(d, &list, err);
	if (rc < 0)
		return nd_error_wrap(err, "list containers");
	json_t *set = json_object();
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		const char *img = nd_json_str(c, "Image");
		if (img && *img)
			json_object_set_new(set, img, json_true());
	}
	*out = set;
	return 0;
}

/* The library names the spooled file by its /proc path: say "the upload". */
static void error_hide_src(struct nd_error *err, const char *src)
{
	/* "import /proc/self/fd/9: layer /proc/self/fd/9: ..." -> "import uploaded archive: layer: ..." */
	bool first = true;
	for (char *p; (p = strstr(err->msg, src)); first = false) {
		char tmp[ND_ERROR_MSG_MAX];
		size_t pre = (size_t)(p - err->msg);
		if (!first && pre > 0 && err->msg[pre - 1] == ' ')
			pre--;
		snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)pre, err->msg, first ? "uploaded archive" : "",
			 p + strlen(src));
		memcpy(err->msg, tmp, sizeof(tmp));
	}
}

/* ---- the pool side ------------------------------------------------------------- */

static int save_to_fd(struct img_work *w)
{
	char dir[PATH_MAX], out[PATH_MAX + 16];
	if (nd_snprintf(dir, sizeof(dir), "%s/tmp/save-XXXXXX", w->d->cfg.root) < 0)
		return nd_error_set(&w->err, -ENAMETOOLONG, "root path too long");
	if (!mkdtemp(dir))
		return nd_error_set(&w->err, -errno, "create %s: %s", dir, strerror(errno));
	snprintf(out, sizeof(out), "%s/image.tar", dir);
	int rc = images_save(w->d->images, (const char *const *)w->names, w->nnames, out, &w->err);
	if (rc == 0) {
		w->fd = open(out, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (w->fd < 0)
			rc = nd_error_set(&w->err, -errno, "open %s: %s", out, strerror(errno));
		else if (fstat(w->fd, &st) == 0)
			w->size = st.st_size;
	}
	unlink(out);           /* the open fd keeps the data until the stream ends */
	rmdir(dir);
	return rc;
}

static int prune(struct img_work *w)
{
	struct images *h = w->d->images;
	_cleanup_json_ json_t *before = NULL, *after = NULL;
	struct images_prune_report rep = { 0 };
	int rc;
	if ((rc = images_list(h, &before, &w->err)) < 0 ||
	    (rc = images_prune(h, w->all, in_use_cb, w->in_use, &rep, &w->err)) < 0 ||
	    (rc = images_list(h, &after, &w->err)) < 0)
		return rc;
	/* Docker's report: what was untagged and deleted, from the difference */
	_cleanup_json_ json_t *left = json_object(), *tags_left = json_object();
	size_t i, k;
	json_t *img, *t;
	json_array_foreach(after, i, img) {
		json_object_set_new(left, nd_json_str(img, "Id"), json_true());
		json_array_foreach(json_object_get(img, "RepoTags"), k, t)
			json_object_set_new(tags_left, json_string_value(t), json_true());
	}
	json_t *deleted = json_array();
	json_array_foreach(before, i, img) {
		json_array_foreach(json_object_get(img, "RepoTags"), k, t) {
			if (!json_object_get(tags_left, json_string_value(t)))
				json_array_append_new(deleted, json_pack("{s:O}", "Untagged", t));
		}
		const char *id = nd_json_str(img, "Id");
		if (!json_object_get(left, id))
			json_array_append_new(deleted, json_pack("{s:s}", "Deleted", id));
	}
	w->result = json_pack("{s:o, s:I}", "ImagesDeleted", deleted, "SpaceReclaimed",
			      (json_int_t)rep.space_reclaimed);
	return 0;
}

static void img_work_run(struct nd_job *j)
{
	struct img_work *w = (struct img_work *)j;
	struct images *h = w->d->images;
	switch (w->op) {
	case IMG_IMPORT: {
		struct images_import_opts o = { .ref = w->ref, .comment = w->comment };
		w->rc = images_import(h, w->src, &o, w->id, &w->err);
		break;
	}
	case IMG_LOAD:
		w->rc = images_load(h, w->src, &w->loaded, &w->err);
		break;
	case IMG_SAVE:
		w->rc = save_to_fd(w);
		break;
	case IMG_REMOVE:
		w->rc = images_remove(h, w->names[0], w->force, in_use_cb, w->in_use, &w->result, &w->err);
		break;
	case IMG_PRUNE:
		w->rc = prune(w);
		break;
	}
}

/* ---- back on the loop ---------------------------------------------------------- */

static void save_read_next(struct img_work *w);
static void save_on_drained(struct http_req *req, void *data);

static void save_finish(struct img_work *w)
{
	struct http_req *req = w->req;
	log_info("image save names=%zu bytes=%lld ms=%llu%s", w->nnames, (long long)w->size,
		 (unsigned long long)((nd_now_ns() - w->t0) / 1000000), req->conn ? "" : " (client went away)");
	http_stream_end(req);
	img_work_free(w);
}

static void save_on_read(uv_fs_t *fs)
{
	struct img_work *w = fs->data;
	ssize_t n = fs->result;
	uv_fs_req_cleanup(fs);
	if (n < 0) {
		log_error("image save: read the archive: %s", uv_strerror((int)n));
		http_stream_abort(TAKE_PTR(w->req));   /* truncated, not complete */
		img_work_free(w);
		return;
	}
	if (w->gone || !w->req->conn || n == 0) {
		save_finish(w);
		return;
	}
	http_stream_write(w->req, w->buf, (size_t)n);
	/* backpressure: never hold more than a few chunks for a slow client */
	if (http_stream_queued(w->req) > 4 * SAVE_CHUNK) {
		w->draining = true;
		http_stream_when_drained(w->req, save_on_drained, w);
		return;
	}
	save_read_next(w);
}

static void save_on_drained(struct http_req *req, void *data)
{
	struct img_work *w = data;
	w->draining = false;
	save_read_next(w);
}

static void save_read_next(struct img_work *w)
{
	uv_buf_t b = uv_buf_init(w->buf, SAVE_CHUNK);
	w->fs.data = w;
	int r = uv_fs_read(w->d->loop, &w->fs, w->fd, &b, 1, -1, save_on_read);
	if (r < 0) {
		log_error("image save: read the archive: %s", uv_strerror(r));
		save_finish(w);
	}
}

static void save_on_close(struct http_req *req, void *data)
{
	struct img_work *w = data;
	(void)req;
	w->gone = true;        /* the pending read's callback ends the stream */
	if (w->draining) {     /* no read pending: end it here */
		w->draining = false;
		save_finish(w);
	}
}

static void save_stream(struct img_work *w)
{
	w->buf = malloc(SAVE_CHUNK);
	if (!w->buf) {
		http_reply_errorf(w->req, 500, "out of memory");
		img_work_free(w);
		return;
	}
	w->req->on_close = save_on_close;
	w->req->on_close_data = w;
	http_stream_begin(w->req, 200, "application/x-tar");
	save_read_next(w);
}

/* Docker's lines: "Loaded image: busybox:latest" (familiar name) or "Loaded image ID: sha256:..." */
static json_t *load_stream_line(const char *what)
{
	if (nd_str_has_prefix(what, "sha256:"))
		return json_pack("{s:s++}", "stream", "Loaded image ID: ", what, "\n");
	struct images_ref r;
	struct nd_error e = { 0 };
	char fam[IMAGES_REF_MAX];
	if (images_ref_parse(what, &r, &e) < 0 || images_ref_familiar(&r, fam, sizeof(fam)) < 0)
		snprintf(fam, sizeof(fam), "%s", what);
	return json_pack("{s:s++}", "stream", "Loaded image: ", fam, "\n");
}

/* Docker's image events: Actor.ID is the image's id or reference, name the reference */
static void image_event(struct netd *d, const char *action, const char *id, const char *name)
{
	nd_events_publish(d, "image", action, id, json_pack("{s:s}", "name", name ? name : id));
}

/* untag/delete events for a remove's or a prune's report */
static void image_events_deleted(struct netd *d, const json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *u = nd_json_str(it, "Untagged"), *del = nd_json_str(it, "Deleted");
		if (u)
			image_event(d, "untag", u, u);
		if (del)
			image_event(d, "delete", del, del);
	}
}

static void img_work_done(struct nd_job *j)
{
	struct img_work *w = (struct img_work *)j;
	struct http_req *req = w->req;
	unsigned long long ms = (nd_now_ns() - w->t0) / 1000000;
	if (w->rc < 0) {
		if (w->op == IMG_IMPORT || w->op == IMG_LOAD) {
			error_hide_src(&w->err, w->src);
			/* something the archive lacks is bad input, not a missing resource */
			if (w->err.code == -ENOENT)
				w->err.code = -EINVAL;
		}
		log_info("image %s failed ms=%llu: %s", img_op_names[w->op], ms, w->err.msg);
		http_reply_error(req, &w->err);
		img_work_free(w);
		return;
	}
	switch (w->op) {
	case IMG_IMPORT:
		log_info("image import id=%.19s ref=%s ms=%llu", w->id, w->ref ? w->ref : "-", ms);
		image_event(w->d, "import", w->id, w->ref ? w->ref : w->id);
		http_reply_json(req, 200, json_pack("{s:s}", "status", w->id));
		break;
	case IMG_LOAD: {
		/* Docker answers a JSON stream, one object a line */
		_cleanup_wire_buf_ struct wire_buf body = { 0 };
		int rc = 0;
		for (size_t i = 0; rc == 0 && w->loaded && w->loaded[i]; i++) {
			json_t *line = load_stream_line(w->loaded[i]);
			_cleanup_free_ char *s = json_dumps(line, JSON_COMPACT);
			json_decref(line);
			if (!s || wire_buf_puts(&body, s) < 0 || wire_buf_puts(&body, "\n") < 0)
				rc = -ENOMEM;
			else
				log_info("image load loaded=%s ms=%llu", w->loaded[i], ms);
			image_event(w->d, "load", w->loaded[i], w->loaded[i]);
		}
		if (rc < 0)
			http_reply_errorf(req, 500, "out of memory");
		else
			http_reply(req, 200, "application/json", body.data ? body.data : "", body.len);
		break;
	}
	case IMG_SAVE:
		save_stream(w);
		return;       /* w lives until the stream ends */
	case IMG_REMOVE:
		log_info("image remove name=%s ms=%llu", w->names[0], ms);
		image_events_deleted(w->d, w->result);
		http_reply_json(req, 200, TAKE_PTR(w->result) ?: json_array());
		break;
	case IMG_PRUNE:
		log_info("image prune all=%d ms=%llu", w->all, ms);
		image_events_deleted(w->d, json_object_get(w->result, "ImagesDeleted"));
		nd_events_publish(w->d, "image", "prune", "", json_pack("{s:s}", "reclaimed",
				  nd_json_str(w->result, "SpaceReclaimed") ?: "0"));
		http_reply_json(req, 200, TAKE_PTR(w->result));
		break;
	}
	img_work_free(w);
}

static void img_work_queue(struct img_work *w)
{
	nd_job_queue(w->d->loop, &w->job);
}

/* ---- handlers ---------------------------------------------------------------- */

static struct img_work *work_or_fail(struct netd *d, struct http_req *req, enum img_op op)
{
	struct img_work *w = img_work_new(d, req, op);
	if (!w)
		http_reply_errorf(req, 500, "out of memory");
	return w;
}

static bool upload_src(struct http_req *req, struct img_work *w)
{
	if (req->body_fd < 0) {
		http_reply_errorf(req, 400, "request has no body: send the archive as the request body");
		return false;
	}
	snprintf(w->src, sizeof(w->src), "/proc/self/fd/%d", req->body_fd);
	return true;
}

/* repo and tag query values -> "repo:tag" (repo alone keeps its own tag, else latest) */
static int ref_from_query(struct http_req *req, char **out, struct nd_error *err)
{
	_cleanup_free_ char *repo = http_req_query(req, "repo");
	_cleanup_free_ char *tag = http_req_query(req, "tag");
	*out = NULL;
	if (!repo || !*repo) {
		if (tag && *tag)
			return nd_error_set(err, -EINVAL, "tag \"%s\" given without a repository", tag);
		return 0;
	}
	char *ref = NULL;
	if (asprintf(&ref, "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "") < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct images_ref r;
	int rc = images_ref_parse(ref, &r, err);
	if (rc < 0) {
		free(ref);
		return rc;
	}
	if (r.digest[0] && !r.tag[0]) {
		free(ref);
		return nd_error_set(err, -EINVAL, "cannot tag with a digest reference: use repo and tag");
	}
	*out = ref;
	return 0;
}

void api_image_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *from_src = http_req_query(req, "fromSrc");
	_cleanup_free_ char *from_image = http_req_query(req, "fromImage");
	if (from_image && *from_image) {
		if (from_src && *from_src) {
			http_reply_errorf(req, 400, "give fromImage (pull) or fromSrc (import), not both");
			return;
		}
		api_image_pull(req, ctx);   /* api_registry.c */
		return;
	}
	if (!from_src || strcmp(from_src, "-") != 0) {
		http_reply_errorf(req, 400, "fromSrc must be \"-\" (the rootfs tar is the request body)%s",
				  from_src && *from_src ? ": importing from a URL is not supported" : "");
		return;
	}
	char *ref = NULL;
	if (ref_from_query(req, &ref, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct img_work *w = work_or_fail(d, req, IMG_IMPORT);
	if (!w) {
		free(ref);
		return;
	}
	w->ref = ref;
	w->comment = http_req_query(req, "message");
	if (!w->comment || !*w->comment) {   /* Docker's default comment */
		free(w->comment);
		w->comment = strdup("Imported from -");
	}
	if (!upload_src(req, w)) {
		img_work_free(w);
		return;
	}
	img_work_queue(w);
}

void api_image_load(struct http_req *req, void *ctx)
{
	struct img_work *w = work_or_fail(ctx, req, IMG_LOAD);
	if (!w)
		return;
	if (!upload_src(req, w)) {
		img_work_free(w);
		return;
	}
	img_work_queue(w);
}

static void save_names(struct netd *d, struct http_req *req, char **names, size_t n)
{
	struct nd_error err = { 0 };
	struct img_work *w = NULL;
	if (n == 0) {
		http_reply_errorf(req, 400, "no image to save: give ?names=IMAGE (repeatable)");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		char id[IMAGES_DIGEST_LEN + 1];
		if (images_resolve(d->images, names[i], id, &err) < 0) {
			http_reply_error(req, &err);
			goto fail;
		}
	}
	if (!(w = work_or_fail(d, req, IMG_SAVE)))
		goto fail;
	w->names = names;
	w->nnames = n;
	img_work_queue(w);
	return;
fail:
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

void api_image_get(struct http_req *req, void *ctx)
{
	size_t n = 0;
	char **names = http_req_query_all(req, "names", &n);
	if (!names) {
		http_reply_errorf(req, 400, "invalid names in the query");
		return;
	}
	save_names(ctx, req, names, n);
}

void api_image_get_one(struct http_req *req, void *ctx)
{
	char **names = calloc(2, sizeof(char *));
	if (!names || !(names[0] = strdup(req->params[0]))) {
		free(names);
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	save_names(ctx, req, names, 1);
}

/* ?filters= for list: dangling=true|false, reference=glob */
static bool match_dangling(const char *val, void *data)
{
	const json_t *img = data;
	bool dangling = json_array_size(json_object_get(img, "RepoTags")) == 0;
	return (strcmp(val, "true") == 0 || strcmp(val, "1") == 0) == dangling;
}

static bool match_reference(const char *val, void *data)
{
	const json_t *img = data;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(img, "RepoTags"), i, t) {
		const char *tag = json_string_value(t);
		if (fnmatch(val, tag, 0) == 0)
			return true;
		/* "busybox" matches busybox:anything, as Docker's reference filter does */
		const char *colon = strrchr(tag, ':');
		if (colon && !strchr(colon, '/')) {
			_cleanup_free_ char *repo = strndup(tag, (size_t)(colon - tag));
			if (repo && fnmatch(val, repo, 0) == 0)
				return true;
		}
	}
	return false;
}

void api_image_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "dangling", "reference", NULL };
	_cleanup_json_ json_t *filters = NULL, *list = NULL, *used = NULL;
	if (api_filters(req, allowed, &filters, &err) < 0 || images_list(d->images, &list, &err) < 0 ||
	    images_used_by_containers(d, &used, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *out = json_array();
	size_t i;
	json_t *img;
	json_array_foreach(list, i, img) {
		if (!api_filter_any(filters, "dangling", match_dangling, img) ||
		    !api_filter_any(filters, "reference", match_reference, img))
			continue;
		/* Docker sorts newest first */
		json_object_set_new(img, "Containers", json_integer(json_object_get(used, nd_json_str(img, "Id")) ? 1 : 0));
		api_shape_image(req, img);
		size_t at = 0;
		json_int_t created = json_integer_value(json_object_get(img, "Created"));
		while (at < json_array_size(out) &&
		       json_integer_value(json_object_get(json_array_get(out, at), "Created")) >= created)
			at++;
		json_array_insert(out, at, img);
	}
	http_reply_json(req, 200, out);
}

void api_image_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *out = NULL;
	if (images_inspect(d->images, req->params[0], &out, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	api_shape_image(req, out);
	http_reply_json(req, 200, out);
}

void api_image_history(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *out = NULL;
	if (images_history(d->images, req->params[0], &out, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, out);
}

void api_image_tag(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *dst = NULL;
	if (ref_from_query(req, &dst, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	if (!dst) {
		http_reply_errorf(req, 400, "repo is required: POST /images/{name}/tag?repo=REPO&tag=TAG");
		return;
	}
	if (images_tag(d->images, req->params[0], dst, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	log_info("image tag src=%s dst=%s", req->params[0], dst);
	image_event(d, "tag", req->params[0], dst);
	http_reply_empty(req, 201);
}

void api_image_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *used = NULL;
	if (images_used_by_containers(d, &used, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct img_work *w = work_or_fail(d, req, IMG_REMOVE);
	if (!w) {
		json_decref(used);
		return;
	}
	w->in_use = used;
	w->force = http_req_query_bool(req, "force", false);
	w->names = calloc(2, sizeof(char *));
	if (!w->names || !(w->names[0] = strdup(req->params[0]))) {
		http_reply_errorf(req, 500, "out of memory");
		img_work_free(w);
		return;
	}
	w->nnames = 1;
	img_work_queue(w);
}

void api_image_prune(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "dangling", NULL };
	_cleanup_json_ json_t *filters = NULL;
	json_t *used = NULL;
	if (api_filters(req, allowed, &filters, &err) < 0 || images_used_by_containers(d, &used, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct img_work *w = work_or_fail(d, req, IMG_PRUNE);
	if (!w) {
		json_decref(used);
		return;
	}
	w->in_use = used;
	/* Docker's `image prune -a` sends dangling=false: every unused image */
	json_t *dv = json_object_get(filters, "dangling");
	if (json_array_size(dv)) {
		const char *v = json_string_value(json_array_get(dv, 0));
		if (strcmp(v, "false") && strcmp(v, "0") && strcmp(v, "true") && strcmp(v, "1")) {
			http_reply_errorf(req, 400, "invalid filter 'dangling=%s': use true or false", v);
			img_work_free(w);
			return;
		}
		w->all = strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
	}
	img_work_queue(w);
}
