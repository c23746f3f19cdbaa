// SPDX-License-Identifier: Apache-2.0
/* images: list, inspect, history, tag, remove, prune, gc, new images. */
#include "images/images-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

int images__rootfs_chains(struct images *h, json_t *keep_chains, json_t *keep_ids);

static json_t *familiar_tags(struct images *h, const char *id, json_t **digests, const char *manifest)
{
	json_t *tags = json_array();
	if (digests)
		*digests = json_array();
	const char *ref;
	json_t *v;
	json_object_foreach(h->tags, ref, v) {
		if (strcmp(json_string_value(v), id))
			continue;
		struct images_ref r;
		struct nd_error e;
		char buf[IMAGES_REF_MAX];
		if (images_ref_parse(ref, &r, &e) < 0 || images_ref_familiar(&r, buf, sizeof(buf)) < 0)
			continue;
		json_array_append_new(tags, json_string(buf));
		if (digests) {
			r.tag[0] = '\0';
			snprintf(r.digest, sizeof(r.digest), "%s", manifest);
			images_ref_familiar(&r, buf, sizeof(buf));
			bool dup = false;
			size_t i;
			json_t *x;
			json_array_foreach(*digests, i, x) dup |= !strcmp(json_string_value(x), buf);
			if (!dup)
				json_array_append_new(*digests, json_string(buf));
		}
	}
	return tags;
}

int images_list(struct images *h, json_t **out, struct nd_error *err)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&h->meta);
	for (struct images__image *i = h->imgs; i; i = i->next) {
		json_t *dg;
		json_t *tags = familiar_tags(h, i->id, &dg, i->manifest);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:n, s:i}",
			"Id", i->id, "ParentId", "", "RepoTags", tags, "RepoDigests", dg,
			"Created", (json_int_t)i->created_unix, "Size", (json_int_t)i->size,
			"VirtualSize", (json_int_t)i->size, "SharedSize", (json_int_t)-1, "Labels",
			"Containers", -1));
	}
	pthread_mutex_unlock(&h->meta);
	*out = arr;
	(void)err;
	return 0;
}

/* copies what inspect/history need under the lock */
static int snapshot(struct images *h, const char *name, struct images__image *copy, json_t **tags,
		    json_t **digests, struct nd_error *err)
{
	pthread_mutex_lock(&h->meta);
	struct images__image *i = images__find_locked(h, name, err);
	if (!i) {
		pthread_mutex_unlock(&h->meta);
		return err->code;
	}
	*copy = *i;
	copy->layers = malloc((i->nlayers ? i->nlayers : 1) * sizeof(*i->layers));
	if (copy->layers)
		memcpy(copy->layers, i->layers, i->nlayers * sizeof(*i->layers));
	if (tags)
		*tags = familiar_tags(h, i->id, digests, i->manifest);
	pthread_mutex_unlock(&h->meta);
	if (!copy->layers)
		return nd_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int images_inspect(struct images *h, const char *name, json_t **out, struct nd_error *err)
{
	struct images__image img;
	json_t *tags = NULL, *digests = NULL;
	pthread_rwlock_rdlock(&h->gc);
	int r = snapshot(h, name, &img, &tags, &digests, err);
	if (r < 0) {
		pthread_rwlock_unlock(&h->gc);
		return r;
	}
	_cleanup_free_ struct images__layer *layers = img.layers;
	_cleanup_free_ char *cbuf = NULL;
	size_t clen;
	r = images__blob_read(h, img.id, &cbuf, &clen, err);
	_cleanup_json_ json_t *c = r == 0 ? nd_json_parse(cbuf, clen, err) : NULL;
	if (!c) {
		json_decref(tags);
		json_decref(digests);
		pthread_rwlock_unlock(&h->gc);
		return err->code;
	}
	json_t *diffs = json_array();
	_cleanup_free_ char *lowers = NULL;
	char upper[4096] = "";
	for (size_t k = 0; k < img.nlayers; k++)
		json_array_append_new(diffs, json_string(layers[k].diff_id));
	if (img.nlayers) {
		images__layer_diff_path(h, layers[img.nlayers - 1].chain, upper, sizeof(upper));
		for (size_t k = img.nlayers - 1; k-- > 0;) {
			char p[4096];
			images__layer_diff_path(h, layers[k].chain, p, sizeof(p));
			char *n = NULL;
			if (asprintf(&n, "%s%s%s", lowers ? lowers : "", lowers ? ":" : "", p) < 0)
				break;
			free(lowers);
			lowers = n;
		}
	}
	pthread_rwlock_unlock(&h->gc);
	json_t *gd = json_object();
	if (lowers)
		json_object_set_new(gd, "LowerDir", json_string(lowers));
	if (upper[0])
		json_object_set_new(gd, "UpperDir", json_string(upper));
	json_t *config = json_object_get(c, "config");
	json_t *o = json_object();
	json_object_set_new(o, "Id", json_string(img.id));
	json_object_set_new(o, "RepoTags", tags);
	json_object_set_new(o, "RepoDigests", digests);
	json_object_set_new(o, "Parent", json_string(""));
	json_object_set_new(o, "Comment", json_string(nd_json_str(c, "comment") ? nd_json_str(c, "comment") : ""));
	json_object_set_new(o, "Created", json_string(img.created));
	json_object_set_new(o, "DockerVersion", json_string(""));
	json_object_set_new(o, "Author", json_string(nd_json_str(c, "author") ? nd_json_str(c, "author") : ""));
	json_object_set_new(o, "Config", config ? json_deep_copy(config) : json_null());
	json_object_set_new(o, "Architecture", json_string(nd_json_str(c, "architecture") ? nd_json_str(c, "architecture") : ""));
	if (nd_json_str(c, "variant"))
		json_object_set_new(o, "Variant", json_string(nd_json_str(c, "variant")));
	json_object_set_new(o, "Os", json_string(nd_json_str(c, "os") ? nd_json_str(c, "os") : ""));
	json_object_set_new(o, "Size", json_integer(img.size));
	json_object_set_new(o, "VirtualSize", json_integer(img.size));
	json_object_set_new(o, "GraphDriver", json_pack("{s:s, s:o}", "Name", h->drv->name, "Data", gd));
	json_object_set_new(o, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", diffs));
	json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
	json_object_set_new(o, "Descriptor", json_pack("{s:s, s:s, s:I}", "mediaType", img.manifest_mt,
						       "digest", img.manifest, "size", (json_int_t)img.manifest_size));
	*out = o;
	return 0;
}

int images_history(struct images *h, const char *name, json_t **out, struct nd_error *err)
{
	struct images__image img;
	json_t *tags = NULL;
	pthread_rwlock_rdlock(&h->gc);
	int r = snapshot(h, name, &img, &tags, NULL, err);
	if (r < 0) {
		pthread_rwlock_unlock(&h->gc);
		return r;
	}
	_cleanup_json_ json_t *tagsref = tags;
	_cleanup_free_ struct images__layer *layers = img.layers;
	_cleanup_free_ char *cbuf = NULL;
	size_t clen;
	r = images__blob_read(h, img.id, &cbuf, &clen, err);
	_cleanup_json_ json_t *c = r == 0 ? nd_json_parse(cbuf, clen, err) : NULL;
	int64_t sizes[img.nlayers ? img.nlayers : 1];
	for (size_t k = 0; k < img.nlayers; k++)
		sizes[k] = images__layer_size(h, layers[k].chain);
	pthread_rwlock_unlock(&h->gc);
	if (!c)
		return err->code;
	json_t *hist = json_object_get(c, "history");
	json_t *arr = json_array();
	size_t n = json_array_size(hist);
	/* map history entries to layers: every non-empty entry consumes one layer */
	size_t li = 0;
	json_t *tmp = json_array();
	for (size_t k = 0; k < n; k++) {
		json_t *e = json_array_get(hist, k);
		bool empty = json_is_true(json_object_get(e, "empty_layer"));
		int64_t sz = (!empty && li < img.nlayers) ? sizes[li++] : 0;
		const char *created = nd_json_str(e, "created");
		struct tm tm = {0};
		int64_t cu = created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) ? (int64_t)timegm(&tm) : 0;
		json_array_append_new(tmp, json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", "<missing>",
			"Created", (json_int_t)cu, "CreatedBy", nd_json_str(e, "created_by") ? nd_json_str(e, "created_by") : "",
			"Tags", json_null(), "Size", (json_int_t)sz,
			"Comment", nd_json_str(e, "comment") ? nd_json_str(e, "comment") : ""));
	}
	for (size_t k = json_array_size(tmp); k-- > 0;)
		json_array_append(arr, json_array_get(tmp, k));
	json_decref(tmp);
	if (json_array_size(arr) == 0)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", img.id, "Created",
			(json_int_t)img.created_unix, "CreatedBy", "", "Tags", "Size", (json_int_t)img.size, "Comment", ""));
	json_t *top = json_array_get(arr, 0);
	json_object_set_new(top, "Id", json_string(img.id));
	json_object_set(top, "Tags", json_array_size(tags) ? tags : json_null());
	*out = arr;
	return 0;
}

int images_tag(struct images *h, const char *src, const char *dst, struct nd_error *err)
{
	char norm[IMAGES_REF_MAX];
	int r = images__normalize_tag(dst, norm, sizeof(norm), err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&h->meta);
	struct images__image *i = images__find_locked(h, src, err);
	if (!i) {
		pthread_mutex_unlock(&h->meta);
		return err->code;
	}
	json_t *old = json_object_get(h->tags, norm);
	json_incref(old);
	json_object_set_new(h->tags, norm, json_string(i->id));
	r = images__save_meta_locked(h, err);
	if (r < 0) {
		if (old)
			json_object_set(h->tags, norm, old);
		else
			json_object_del(h->tags, norm);
	}
	json_decref(old);
	pthread_mutex_unlock(&h->meta);
	return r;
}

int images_untag(struct images *h, const char *ref, struct nd_error *err)
{
	char norm[IMAGES_REF_MAX];
	int r = images__normalize_tag(ref, norm, sizeof(norm), err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&h->meta);
	json_t *old = json_object_get(h->tags, norm);
	if (!old) {
		pthread_mutex_unlock(&h->meta);
		return nd_error_set(err, -ENOENT, "no such tag: %s", ref);
	}
	json_incref(old);
	json_object_del(h->tags, norm);
	r = images__save_meta_locked(h, err);
	if (r < 0)
		json_object_set(h->tags, norm, old);
	json_decref(old);
	pthread_mutex_unlock(&h->meta);
	return r;
}

static size_t tag_count(struct images *h, const char *id)
{
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(h->tags, k, v) n += !strcmp(json_string_value(v), id);
	return n;
}

static bool used(struct images *h, const char *id, json_t *rootfs_ids, images_in_use_fn fn, void *ud)
{
	return json_object_get(rootfs_ids, id) || (fn && fn(id, ud));
}

/* Unlinks the image record (caller holds gc write + meta). */
static void drop_image_locked(struct images *h, const char *id)
{
	for (struct images__image **pp = &h->imgs; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->id, id)) {
			struct images__image *x = *pp;
			*pp = x->next;
			images__image_free(x);
			return;
		}
	}
}

static int gc_locked(struct images *h, struct images_prune_report *rep, struct nd_error *err);

int images_remove(struct images *h, const char *name, bool force, images_in_use_fn in_use, void *userdata,
		  json_t **deleted, struct nd_error *err)
{
	json_t *del = json_array();
	int r = 0;
	pthread_rwlock_wrlock(&h->gc);
	_cleanup_json_ json_t *rchains = json_object(), *rids = json_object();
	images__rootfs_chains(h, rchains, rids);
	pthread_mutex_lock(&h->meta);
	_cleanup_json_ json_t *old_tags = json_deep_copy(h->tags);
	struct images__image *img = images__find_locked(h, name, err);
	if (!img) {
		r = err->code;
		goto out;
	}
	char id[IMAGES_DIGEST_LEN + 1];
	memcpy(id, img->id, sizeof(id));
	/* by tag? */
	char norm[IMAGES_REF_MAX] = "";
	struct nd_error e2;
	bool by_tag = images__normalize_tag(name, norm, sizeof(norm), &e2) == 0 && json_object_get(h->tags, norm) &&
		      !strcmp(nd_json_str(h->tags, norm), id);
	size_t ntags = tag_count(h, id);
	bool in_use_now = used(h, id, rids, in_use, userdata);
	if (by_tag && ntags > 1) {
		json_object_del(h->tags, norm);
		json_array_append_new(del, json_pack("{s:s}", "Untagged", name));
		r = images__save_meta_locked(h, err);
		goto out;
	}
	if (!by_tag && ntags > 1 && !force) {
		r = nd_error_set(err, -EBUSY, "unable to delete %.19s (must be forced) - image is referenced in multiple repositories", id);
		goto out;
	}
	if (in_use_now && !force) {
		r = nd_error_set(err, -EBUSY, "conflict: unable to remove %s (must force) - image %.19s is being used by a container", name, id);
		goto out;
	}
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(h->tags, tmp, k, v) {
		if (strcmp(json_string_value(v), id))
			continue;
		struct images_ref rr;
		char fam[IMAGES_REF_MAX];
		if (images_ref_parse(k, &rr, &e2) == 0 && images_ref_familiar(&rr, fam, sizeof(fam)) == 0)
			json_array_append_new(del, json_pack("{s:s}", "Untagged", fam));
		json_object_del(h->tags, k);
	}
	if (!in_use_now) {
		drop_image_locked(h, id);
		json_array_append_new(del, json_pack("{s:s}", "Deleted", id));
	}
	r = images__save_meta_locked(h, err);
	if (r == 0) {
		struct images_prune_report rep;
		struct nd_error gerr;
		pthread_mutex_unlock(&h->meta);
		if (gc_locked(h, &rep, &gerr) < 0)
			log_debug("images: gc: %s", gerr.msg);
		pthread_rwlock_unlock(&h->gc);
		goto done;
	}
out:
	if (r < 0) {
		json_decref(h->tags);
		h->tags = TAKE_PTR(old_tags);
	}
	pthread_mutex_unlock(&h->meta);
	pthread_rwlock_unlock(&h->gc);
done:
	if (r == 0 && deleted)
		*deleted = del;
	else
		json_decref(del);
	return r;
}

static uint64_t du_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	uint64_t n = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return n;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return n;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n += du_at(dirfd(d), de->d_name);
	closedir(d);
	return n;
}

/* caller holds gc for writing */
static int gc_locked(struct images *h, struct images_prune_report *rep, struct nd_error *err)
{
	_cleanup_json_ json_t *blobs = json_object(), *chains = json_object(), *rids = json_object();
	images__rootfs_chains(h, chains, rids);
	pthread_mutex_lock(&h->meta);
	for (struct images__image *i = h->imgs; i; i = i->next) {
		json_object_set_new(blobs, images__hex(i->id), json_true());
		json_object_set_new(blobs, images__hex(i->manifest), json_true());
		for (size_t k = 0; k < i->nlayers; k++) {
			json_object_set_new(blobs, images__hex(i->layers[k].digest), json_true());
			json_object_set_new(chains, images__hex(i->layers[k].chain), json_true());
		}
	}
	pthread_mutex_unlock(&h->meta);
	int rc = 0;
	DIR *d = opendir(h->blobs);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || json_object_get(blobs, de->d_name))
				continue;
			uint64_t sz = du_at(dirfd(d), de->d_name);
			if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
				rep->blobs_deleted++;
				rep->space_reclaimed += sz;
			} else if (rc == 0) {
				rc = nd_error_set(err, -errno, "remove blob %s: %s", de->d_name, strerror(errno));
			}
		}
		closedir(d);
	}
	d = opendir(h->overlay);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "l") ||
			    json_object_get(chains, de->d_name))
				continue;
			char p[4096];
			_cleanup_free_ char *link = NULL;
			snprintf(p, sizeof(p), "%s/%s/link", h->overlay, de->d_name);
			if (images__read_file(p, &link, NULL, 256) == 0) {
				link[strcspn(link, "\n")] = '\0';
				snprintf(p, sizeof(p), "%s/l/%s", h->overlay, link);
				unlink(p);
			}
			uint64_t sz = du_at(dirfd(d), de->d_name);
			int r = images__rm_rf_at(dirfd(d), de->d_name);
			if (r == 0) {
				rep->layers_deleted++;
				rep->space_reclaimed += sz;
			} else if (rc == 0) {
				rc = nd_error_set(err, r, "remove layer %s: %s", de->d_name, strerror(-r));
			}
		}
		closedir(d);
	}
	/* dangling short links */
	char l[4096];
	snprintf(l, sizeof(l), "%s/l", h->overlay);
	d = opendir(l);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			struct stat st;
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    fstatat(dirfd(d), de->d_name, &st, 0) < 0 && errno == ENOENT)
				unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	return rc;
}

int images_gc(struct images *h, struct images_prune_report *report, struct nd_error *err)
{
	struct images_prune_report rep = {0};
	pthread_rwlock_wrlock(&h->gc);
	int r = gc_locked(h, &rep, err);
	pthread_rwlock_unlock(&h->gc);
	if (report)
		*report = rep;
	return r;
}

int images_prune(struct images *h, bool all, images_in_use_fn in_use, void *userdata,
		 struct images_prune_report *report, struct nd_error *err)
{
	struct images_prune_report rep = {0};
	pthread_rwlock_wrlock(&h->gc);
	_cleanup_json_ json_t *rchains = json_object(), *rids = json_object();
	images__rootfs_chains(h, rchains, rids);
	pthread_mutex_lock(&h->meta);
	_cleanup_json_ json_t *old_tags = json_deep_copy(h->tags);
	struct images__image *keep = NULL, *gone = NULL;
	while (h->imgs) {
		struct images__image *i = h->imgs;
		h->imgs = i->next;
		bool drop = (all || tag_count(h, i->id) == 0) && !used(h, i->id, rids, in_use, userdata);
		struct images__image **list = drop ? &gone : &keep;
		i->next = *list;
		*list = i;
	}
	h->imgs = keep;
	for (struct images__image *i = gone; i; i = i->next) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(h->tags, tmp, k, v) if (!strcmp(json_string_value(v), i->id)) json_object_del(h->tags, k);
		rep.images_deleted++;
	}
	int r = images__save_meta_locked(h, err);
	if (r < 0) { /* put everything back */
		struct images__image **tail = &h->imgs;
		while (*tail)
			tail = &(*tail)->next;
		*tail = gone;
		json_decref(h->tags);
		h->tags = TAKE_PTR(old_tags);
		pthread_mutex_unlock(&h->meta);
		pthread_rwlock_unlock(&h->gc);
		return r;
	}
	while (gone) {
		struct images__image *n = gone->next;
		images__image_free(gone);
		gone = n;
	}
	pthread_mutex_unlock(&h->meta);
	r = gc_locked(h, &rep, err);
	images__partial_prune(h, &rep);   /* no pull runs: they hold gc as readers */
	pthread_rwlock_unlock(&h->gc);
	if (report)
		*report = rep;
	return r;
}

static const char *oci_layer_mt(const char *mt)
{
	if (!strcmp(mt, MT_DOCKER_LAYER))
		return MT_OCI_LAYER_GZ;
	if (!strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar"))
		return MT_OCI_LAYER;
	return mt;
}

int images__create_image(struct images *h, const struct images__image *base, json_t *base_config,
			 const struct images__newlayer *layer, const char *created_by, const char *comment,
			 const char *author, const char *arch, const char *os, const char *tag,
			 char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	char now[40];
	nd_time_rfc3339(now);
	_cleanup_json_ json_t *c = base_config ? json_deep_copy(base_config) : json_object();
	if (!base_config) {
		json_object_set_new(c, "architecture", json_string(arch ? arch : images__host_arch()));
		json_object_set_new(c, "os", json_string(os ? os : "linux"));
		json_object_set_new(c, "config", json_object());
		json_object_set_new(c, "rootfs", json_pack("{s:s, s:[]}", "type", "layers", "diff_ids"));
	}
	json_object_set_new(c, "created", json_string(now));
	if (author)
		json_object_set_new(c, "author", json_string(author));
	json_t *rootfs = json_object_get(c, "rootfs");
	if (!json_is_array(json_object_get(rootfs, "diff_ids")))
		return nd_error_set(err, -EINVAL, "base config has no rootfs.diff_ids");
	json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(layer->diff_id));
	json_t *hist = json_object_get(c, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(c, "history", hist);
	}
	json_t *he = json_pack("{s:s}", "created", now);
	if (created_by)
		json_object_set_new(he, "created_by", json_string(created_by));
	if (comment) {
		json_object_set_new(he, "comment", json_string(comment));
		json_object_set_new(c, "comment", json_string(comment));
	}
	if (author)
		json_object_set_new(he, "author", json_string(author));
	json_array_append_new(hist, he);
	json_object_del(c, "container");
	json_object_del(c, "container_config");
	_cleanup_free_ char *ctxt = json_dumps(c, JSON_COMPACT);
	char cdig[IMAGES_DIGEST_LEN + 1], mdig[IMAGES_DIGEST_LEN + 1];
	int r = images__blob_put(h, ctxt, strlen(ctxt), cdig, err);
	if (r < 0)
		return r;
	json_t *layers = json_array();
	for (size_t i = 0; base && i < base->nlayers; i++)
		json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", oci_layer_mt(base->layers[i].media_type),
							"digest", base->layers[i].digest, "size", (json_int_t)base->layers[i].size));
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", layer->media_type, "digest",
						layer->digest, "size", (json_int_t)layer->size));
	_cleanup_json_ json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
					      MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest", cdig,
					      "size", (json_int_t)strlen(ctxt), "layers", layers);
	_cleanup_free_ char *mtxt = json_dumps(m, JSON_COMPACT);
	if ((r = images__blob_put(h, mtxt, strlen(mtxt), mdig, err)) < 0)
		return r;
	struct images__image *img;
	if ((r = images__image_build(h, mdig, &img, err)) < 0)
		return r;
	memcpy(id, img->id, IMAGES_DIGEST_LEN + 1);
	return images__register(h, img, tag ? &tag : NULL, tag ? 1 : 0, err);
}
