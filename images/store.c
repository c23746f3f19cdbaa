// SPDX-License-Identifier: Apache-2.0
/* images: the store — open/close, blobs, image records, tags, metadata.
 *
 *   <root>/blobs/sha256/<hex>    manifests, configs, layer blobs
 *   <root>/overlay2/...          unpacked layers (layer.c)
 *   <root>/containers/<cid>/     container rootfs (mount.c)
 *   <root>/tmp/                  staging; wiped at open
 *   <root>/images.json           {"images": {id: {"manifest": digest}}, "tags": {ref: id}}
 *                                rewritten atomically (write + fsync + rename) */
#include "images/images-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "wire/wire.h"

const char *images__host_arch(void)
{
	const char *a = wire_go_arch();
	return *a ? a : "unknown";
}

const char *images_driver_name(const struct images *h)
{
	return h->drv->name;
}

/* ---- blobs ---------------------------------------------------------------- */

int images__blob_path(struct images *h, const char *digest, char *buf, size_t size)
{
	if (!images_digest_valid(digest))
		return -EINVAL;
	return nd_snprintf(buf, size, "%s/%s", h->blobs, images__hex(digest));
}

bool images__blob_exists(struct images *h, const char *digest)
{
	char p[4096];
	return images__blob_path(h, digest, p, sizeof(p)) == 0 && access(p, F_OK) == 0;
}

int images__blob_read(struct images *h, const char *digest, char **buf, size_t *len, struct nd_error *err)
{
	char p[4096];
	if (images__blob_path(h, digest, p, sizeof(p)) < 0)
		return nd_error_set(err, -EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	int r = images__read_file(p, buf, len, 64 << 20);
	if (r == -ENOENT)
		return nd_error_set(err, -ENOENT, "blob %s not found", digest);
	if (r < 0)
		return nd_error_set(err, r, "read blob %s: %s", digest, strerror(-r));
	return 0;
}

int images__blob_put(struct images *h, const void *buf, size_t len, char out[IMAGES_DIGEST_LEN + 1],
		     struct nd_error *err)
{
	images_digest_buf(buf, len, out);
	char p[4096];
	images__blob_path(h, out, p, sizeof(p));
	if (access(p, F_OK) == 0)
		return 0;
	int r = images__write_file_atomic(p, buf, len);
	if (r < 0)
		return nd_error_set(err, r, "write blob %s: %s", out, strerror(-r));
	return 0;
}

int images__blob_adopt(struct images *h, const char *path, const char *digest, struct nd_error *err)
{
	char p[4096];
	if (images__blob_path(h, digest, p, sizeof(p)) < 0)
		return nd_error_set(err, -EINVAL, "invalid digest \"%s\"", digest);
	if (access(p, F_OK) == 0) {
		unlink(path);
		return 0;
	}
	if (rename(path, p) < 0)
		return nd_error_set(err, -errno, "store blob %s: %s", digest, strerror(errno));
	return 0;
}

int images__tmpdir(struct images *h, const char *prefix, char **out, struct nd_error *err)
{
	char rnd[17];
	images__random_name(rnd, 16, NULL);
	if (asprintf(out, "%s/%s-%s", h->tmp, prefix, rnd) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (mkdir(*out, 0700) < 0) {
		int e = errno;
		free(TAKE_PTR(*out));
		return nd_error_set(err, -e, "mkdir tmp: %s", strerror(e));
	}
	return 0;
}

/* ---- image records -------------------------------------------------------- */

void images__image_free(struct images__image *img)
{
	if (!img)
		return;
	free(img->layers);
	free(img);
}

static bool layer_mt_known(const char *mt)
{
	static const char *const known[] = {
		MT_OCI_LAYER, MT_OCI_LAYER_GZ, MT_OCI_LAYER_ZST, MT_DOCKER_LAYER,
		"application/vnd.docker.image.rootfs.diff.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(mt, known[i]))
			return true;
	return false;
}

static int64_t parse_rfc3339(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

int images__image_build(struct images *h, const char *manifest_digest, struct images__image **out,
			struct nd_error *err)
{
	_cleanup_free_ char *mbuf = NULL, *cbuf = NULL;
	size_t mlen, clen;
	int r = images__blob_read(h, manifest_digest, &mbuf, &mlen, err);
	if (r < 0)
		return nd_error_wrap(err, "manifest");
	_cleanup_json_ json_t *m = nd_json_parse(mbuf, mlen, err);
	if (!m)
		return nd_error_wrap(err, "manifest %s", manifest_digest);
	const char *mt = nd_json_str(m, "mediaType");
	if (!mt)
		mt = MT_OCI_MANIFEST;
	if (strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
		return nd_error_set(err, -ENOTSUP, "manifest %s: unsupported media type \"%s\"", manifest_digest, mt);
	json_t *cfgd = json_object_get(m, "config");
	const char *cdig = nd_json_str(cfgd, "digest");
	const char *cmt = nd_json_str(cfgd, "mediaType");
	if (!images_digest_valid(cdig))
		return nd_error_set(err, -EINVAL, "manifest %s: missing or invalid config digest", manifest_digest);
	if (cmt && strcmp(cmt, MT_OCI_CONFIG) && strcmp(cmt, MT_DOCKER_CONFIG))
		return nd_error_set(err, -ENOTSUP, "manifest %s: unsupported config media type \"%s\"", manifest_digest, cmt);
	if ((r = images__blob_read(h, cdig, &cbuf, &clen, err)) < 0)
		return nd_error_wrap(err, "manifest %s: config", manifest_digest);
	_cleanup_json_ json_t *c = nd_json_parse(cbuf, clen, err);
	if (!c)
		return nd_error_wrap(err, "config %s", cdig);
	json_t *layers = json_object_get(m, "layers");
	json_t *diffs = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if (!json_is_array(layers) || !json_is_array(diffs))
		return nd_error_set(err, -EINVAL, "manifest %s: missing layers or rootfs.diff_ids", manifest_digest);
	if (json_array_size(layers) != json_array_size(diffs))
		return nd_error_set(err, -EINVAL, "manifest %s: %zu layers but config has %zu diff_ids",
				    manifest_digest, json_array_size(layers), json_array_size(diffs));
	struct images__image *img = calloc(1, sizeof(*img));
	size_t n = json_array_size(layers);
	if (!img || !(img->layers = calloc(n ? n : 1, sizeof(*img->layers)))) {
		free(img);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	snprintf(img->id, sizeof(img->id), "%s", cdig);
	snprintf(img->manifest, sizeof(img->manifest), "%s", manifest_digest);
	snprintf(img->manifest_mt, sizeof(img->manifest_mt), "%s", mt);
	img->manifest_size = (int64_t)mlen;
	img->config_size = (int64_t)clen;
	img->nlayers = n;
	const char *parent = "";
	for (size_t i = 0; i < n; i++) {
		json_t *l = json_array_get(layers, i);
		struct images__layer *L = &img->layers[i];
		const char *d = nd_json_str(l, "digest"), *lmt = nd_json_str(l, "mediaType");
		const char *did = json_string_value(json_array_get(diffs, i));
		if (!images_digest_valid(d) || !images_digest_valid(did)) {
			images__image_free(img);
			return nd_error_set(err, -EINVAL, "manifest %s: layer %zu: invalid digest", manifest_digest, i);
		}
		if (!lmt || !layer_mt_known(lmt)) {
			images__image_free(img);
			return nd_error_set(err, -ENOTSUP, "manifest %s: layer %s: unsupported media type \"%s\"",
					    manifest_digest, d, lmt ? lmt : "");
		}
		snprintf(L->digest, sizeof(L->digest), "%s", d);
		snprintf(L->media_type, sizeof(L->media_type), "%s", lmt);
		L->size = json_integer_value(json_object_get(l, "size"));
		snprintf(L->diff_id, sizeof(L->diff_id), "%s", did);
		images__chain_id(parent, did, L->chain);
		parent = L->chain;
	}
	const char *created = nd_json_str(c, "created");
	snprintf(img->created, sizeof(img->created), "%s", created ? created : "0001-01-01T00:00:00Z");
	img->created_unix = parse_rfc3339(created);
	*out = img;
	return 0;
}

static void image_compute_size(struct images *h, struct images__image *img)
{
	img->size = 0;
	for (size_t i = 0; i < img->nlayers; i++)
		img->size += images__layer_size(h, img->layers[i].chain);
}

static struct images__image *find_id(struct images *h, const char *id)
{
	for (struct images__image *i = h->imgs; i; i = i->next)
		if (!strcmp(i->id, id))
			return i;
	return NULL;
}

int images__save_meta_locked(struct images *h, struct nd_error *err)
{
	_cleanup_json_ json_t *root = json_object();
	json_t *imgs = json_object();
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "images", imgs);
	json_object_set(root, "tags", h->tags);
	for (struct images__image *i = h->imgs; i; i = i->next)
		json_object_set_new(imgs, i->id, json_pack("{s:s}", "manifest", i->manifest));
	_cleanup_free_ char *txt = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	char p[4096];
	snprintf(p, sizeof(p), "%s/images.json", h->root);
	int r = txt ? images__write_file_atomic(p, txt, strlen(txt)) : -ENOMEM;
	if (r < 0)
		return nd_error_set(err, r, "write %s: %s", p, strerror(-r));
	return 0;
}

int images__register(struct images *h, struct images__image *img, const char *const *tags, size_t ntags,
		     struct nd_error *err)
{
	char norm[ntags ? ntags : 1][IMAGES_REF_MAX];
	for (size_t i = 0; i < ntags; i++) {
		int r = images__normalize_tag(tags[i], norm[i], sizeof(norm[i]), err);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&h->meta);
	_cleanup_json_ json_t *old_tags = json_deep_copy(h->tags);
	bool added = false;
	struct images__image *cur = find_id(h, img->id);
	if (!cur) {
		image_compute_size(h, img);
		img->next = h->imgs;
		h->imgs = img;
		added = true;
	}
	for (size_t i = 0; i < ntags; i++)
		json_object_set_new(h->tags, norm[i], json_string(img->id));
	int r = images__save_meta_locked(h, err);
	if (r < 0) {
		json_decref(h->tags);
		h->tags = TAKE_PTR(old_tags);
		if (added)
			h->imgs = img->next;
		pthread_mutex_unlock(&h->meta);
		return r;
	}
	pthread_mutex_unlock(&h->meta);
	if (!added)
		images__image_free(img);
	return 0;
}

static bool hex_prefix(const char *s)
{
	size_t n = strlen(s);
	return n >= 12 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

struct images__image *images__find_locked(struct images *h, const char *name, struct nd_error *err)
{
	if (!name || !*name) {
		nd_error_set(err, -EINVAL, "empty image name");
		return NULL;
	}
	/* a tag or name@digest first */
	struct images_ref r;
	struct nd_error perr;
	bool parsed = images_ref_parse(name, &r, &perr) == 0;
	if (parsed && r.digest[0]) {
		for (struct images__image *i = h->imgs; i; i = i->next)
			if (!strcmp(i->manifest, r.digest) || !strcmp(i->id, r.digest))
				return i;
	} else if (parsed) {
		char full[IMAGES_REF_MAX];
		images_ref_format(&r, full, sizeof(full));
		const char *id = nd_json_str(h->tags, full);
		if (id) {
			struct images__image *i = find_id(h, id);
			if (i)
				return i;
		}
	}
	/* an ID or a unique prefix */
	const char *hex = nd_str_has_prefix(name, "sha256:") ? name + 7 : name;
	if (hex_prefix(hex)) {
		struct images__image *found = NULL;
		for (struct images__image *i = h->imgs; i; i = i->next) {
			if (!strncmp(i->id + 7, hex, strlen(hex))) {
				if (found) {
					nd_error_set(err, -ENOTUNIQ, "image ID prefix \"%s\" is ambiguous", name);
					return NULL;
				}
				found = i;
			}
		}
		if (found)
			return found;
	}
	if (!parsed && !hex_prefix(hex)) {
		nd_error_set(err, perr.code, "%s", perr.msg);
		return NULL;
	}
	nd_error_set(err, -ENOENT, "no such image: %s", name);
	return NULL;
}

int images_resolve(struct images *h, const char *name, char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	pthread_mutex_lock(&h->meta);
	struct images__image *i = images__find_locked(h, name, err);
	if (i)
		memcpy(id, i->id, IMAGES_DIGEST_LEN + 1);
	pthread_mutex_unlock(&h->meta);
	return i ? 0 : err->code;
}

/* ---- open / close ----------------------------------------------------------- */

static int load_meta(struct images *h, struct nd_error *err)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/images.json", h->root);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = images__read_file(p, &buf, &len, 256 << 20);
	h->tags = json_object();
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return nd_error_set(err, r, "read %s: %s", p, strerror(-r));
	_cleanup_json_ json_t *root = nd_json_parse(buf, len, err);
	if (!root)
		return nd_error_wrap(err, "%s", p);
	const char *id;
	json_t *v;
	json_object_foreach(json_object_get(root, "images"), id, v) {
		struct images__image *img;
		struct nd_error e2;
		if (images__image_build(h, nd_json_str(v, "manifest"), &img, &e2) < 0) {
			log_debug("images: dropping image %s: %s", id, e2.msg);
			continue;
		}
		image_compute_size(h, img);
		img->next = h->imgs;
		h->imgs = img;
	}
	json_object_foreach(json_object_get(root, "tags"), id, v) {
		if (json_is_string(v) && find_id(h, json_string_value(v)))
			json_object_set(h->tags, id, v);
	}
	return 0;
}

void images_close(struct images *h)
{
	if (!h)
		return;
	while (h->imgs) {
		struct images__image *n = h->imgs->next;
		images__image_free(h->imgs);
		h->imgs = n;
	}
	json_decref(h->tags);
	pthread_mutex_destroy(&h->meta);
	pthread_rwlock_destroy(&h->gc);
	free(h->root);
	free(h->blobs);
	free(h->overlay);
	free(h->tmp);
	free(h->containers);
	free(h);
}

int images_open(const struct images_config *cfg, struct images **out, struct nd_error *err)
{
	if (!cfg || !cfg->root || cfg->root[0] != '/')
		return nd_error_set(err, -EINVAL, "images: store root must be an absolute path");
	const struct images__driver *drv = &images__driver_overlay2;
	if (cfg->driver && !strcmp(cfg->driver, "vfs"))
		drv = &images__driver_vfs;
	else if (cfg->driver && strcmp(cfg->driver, "overlay2") && strcmp(cfg->driver, "overlay"))
		return nd_error_set(err, -EINVAL, "images: unknown storage driver \"%s\" (overlay2, vfs)", cfg->driver);
	struct images *h = calloc(1, sizeof(*h));
	if (!h)
		return nd_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&h->meta, NULL);
	pthread_rwlock_init(&h->gc, NULL);
	h->drv = drv;
	size_t rl = strlen(cfg->root);
	while (rl > 1 && cfg->root[rl - 1] == '/')
		rl--;
	if (!(h->root = strndup(cfg->root, rl)) || asprintf(&h->blobs, "%s/blobs/sha256", h->root) < 0 ||
	    asprintf(&h->overlay, "%s/overlay2", h->root) < 0 || asprintf(&h->tmp, "%s/tmp", h->root) < 0 ||
	    asprintf(&h->containers, "%s/containers", h->root) < 0) {
		images_close(h);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	char l[4096];
	snprintf(l, sizeof(l), "%s/l", h->overlay);
	const char *dirs[] = { h->root, h->blobs, h->overlay, l, h->tmp, h->containers };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = nd_mkdir_p(dirs[i], 0700);
		if (r < 0) {
			nd_error_set(err, r, "images: mkdir %s: %s", dirs[i], strerror(-r));
			images_close(h);
			return r;
		}
	}
	/* a crash mid-import leaves only tmp/ content and maybe layers nobody references */
	DIR *d = opendir(h->tmp);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				images__rm_rf_at(dirfd(d), de->d_name);
		closedir(d);
	}
	images__layers_repair(h);
	int r = load_meta(h, err);
	if (r < 0) {
		images_close(h);
		return r;
	}
	struct images_prune_report rep;
	struct nd_error gerr;
	if (images_gc(h, &rep, &gerr) < 0)
		log_debug("images: gc at open: %s", gerr.msg);
	*out = h;
	return 0;
}
