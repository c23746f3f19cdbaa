// SPDX-License-Identifier: Apache-2.0
/* images: save to an OCI image-layout tar that `docker load` also accepts
 * (index.json + oci-layout + blobs/sha256/..., plus a Docker manifest.json). */
#include "images/images-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

static int add_buf(struct archive *a, const char *name, const void *buf, size_t len, struct nd_error *err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN || (len && archive_write_data(a, buf, len) < 0))
		return nd_error_set(err, -EIO, "write %s: %s", name, archive_error_string(a));
	return 0;
}

static int add_dir(struct archive *a, const char *name)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? -EIO : 0;
}

static int add_blob(struct images *h, struct archive *a, const char *digest, json_t *done, struct nd_error *err)
{
	if (json_object_get(done, digest))
		return 0;
	json_object_set_new(done, digest, json_true());
	char p[4096], name[128];
	images__blob_path(h, digest, p, sizeof(p));
	snprintf(name, sizeof(name), "blobs/sha256/%s", images__hex(digest));
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return nd_error_set(err, -errno, "blob %s: %s", digest, strerror(errno));
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN)
		return nd_error_set(err, -EIO, "write %s: %s", name, archive_error_string(a));
	_cleanup_free_ char *buf = malloc(1 << 20);
	ssize_t n;
	while ((n = read(fd, buf, 1 << 20)) > 0)
		if (archive_write_data(a, buf, (size_t)n) < 0)
			return nd_error_set(err, -EIO, "write %s: %s", name, archive_error_string(a));
	if (n < 0)
		return nd_error_set(err, -errno, "read blob %s: %s", digest, strerror(errno));
	return 0;
}

int images_save(struct images *h, const char *const *names, size_t n, const char *out_path, struct nd_error *err)
{
	if (n == 0)
		return nd_error_set(err, -EINVAL, "nothing to save");
	_cleanup_json_ json_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests");
	_cleanup_json_ json_t *dman = json_array(), *done = json_object();
	struct images__image *snap = calloc(n, sizeof(*snap));
	if (!snap)
		return nd_error_set(err, -ENOMEM, "out of memory");
	int r = 0;
	pthread_rwlock_rdlock(&h->gc);
	pthread_mutex_lock(&h->meta);
	for (size_t i = 0; i < n; i++) {
		struct images__image *img = images__find_locked(h, names[i], err);
		if (!img) {
			r = err->code;
			break;
		}
		snap[i] = *img;
		snap[i].layers = malloc((img->nlayers ? img->nlayers : 1) * sizeof(*img->layers));
		memcpy(snap[i].layers, img->layers, img->nlayers * sizeof(*img->layers));
		/* tags of this image that the caller named, or all its tags when named by ID */
		json_t *tags = json_array(), *ftags = json_array();
		struct images_ref ref;
		struct nd_error e2;
		char norm[IMAGES_REF_MAX];
		bool named_tag = images__normalize_tag(names[i], norm, sizeof(norm), &e2) == 0 &&
				 nd_json_str(h->tags, norm) && !strcmp(nd_json_str(h->tags, norm), img->id);
		const char *k;
		json_t *v;
		json_object_foreach(h->tags, k, v) {
			if (strcmp(json_string_value(v), img->id) || (named_tag && strcmp(k, norm)))
				continue;
			char fam[IMAGES_REF_MAX];
			if (images_ref_parse(k, &ref, &e2) == 0 && images_ref_familiar(&ref, fam, sizeof(fam)) == 0) {
				json_array_append_new(tags, json_pack("{s:s, s:s}", "full", k, "tag", ref.tag));
				json_array_append_new(ftags, json_string(fam));
			}
		}
		json_t *mans = json_object_get(index, "manifests");
		if (json_array_size(tags) == 0)
			json_array_append_new(mans, json_pack("{s:s, s:s, s:I}", "mediaType", img->manifest_mt, "digest",
							      img->manifest, "size", (json_int_t)img->manifest_size));
		size_t ti;
		json_t *t;
		json_array_foreach(tags, ti, t)
			json_array_append_new(mans, json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", img->manifest_mt,
				"digest", img->manifest, "size", (json_int_t)img->manifest_size, "annotations",
				"io.containerd.image.name", nd_json_str(t, "full"),
				"org.opencontainers.image.ref.name", nd_json_str(t, "tag")));
		json_decref(tags);
		json_t *ls = json_array();
		for (size_t l = 0; l < img->nlayers; l++) {
			char ln[128];
			snprintf(ln, sizeof(ln), "blobs/sha256/%s", images__hex(img->layers[l].digest));
			json_array_append_new(ls, json_string(ln));
		}
		char cn[128];
		snprintf(cn, sizeof(cn), "blobs/sha256/%s", images__hex(img->id));
		json_array_append_new(dman, json_pack("{s:s, s:o, s:o}", "Config", cn, "RepoTags", ftags, "Layers", ls));
	}
	pthread_mutex_unlock(&h->meta);
	char tmp[4096];
	struct archive *a = NULL;
	_cleanup_free_ char *itxt = NULL, *dtxt = NULL;
	if (r < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out_path, (int)getpid());
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		r = nd_error_set(err, -EIO, "create %s: %s", tmp, archive_error_string(a));
		goto out;
	}
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	itxt = json_dumps(index, JSON_COMPACT);
	dtxt = json_dumps(dman, JSON_COMPACT);
	if ((r = add_buf(a, "oci-layout", layout, strlen(layout), err)) < 0 ||
	    (r = add_buf(a, "index.json", itxt, strlen(itxt), err)) < 0 ||
	    (r = add_buf(a, "manifest.json", dtxt, strlen(dtxt), err)) < 0)
		goto out;
	add_dir(a, "blobs/");
	add_dir(a, "blobs/sha256/");
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = add_blob(h, a, snap[i].manifest, done, err)) < 0 || (r = add_blob(h, a, snap[i].id, done, err)) < 0)
			break;
		for (size_t l = 0; l < snap[i].nlayers && r == 0; l++)
			r = add_blob(h, a, snap[i].layers[l].digest, done, err);
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = nd_error_set(err, -EIO, "write %s: %s", tmp, archive_error_string(a));
	if (r == 0 && rename(tmp, out_path) < 0)
		r = nd_error_set(err, -errno, "rename %s: %s", out_path, strerror(errno));
out:
	if (a) {
		archive_write_free(a);
		if (r < 0)
			unlink(tmp);
	}
	pthread_rwlock_unlock(&h->gc);
	for (size_t i = 0; i < n; i++)
		free(snap[i].layers);
	free(snap);
	return r;
}
