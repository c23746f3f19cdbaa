// SPDX-License-Identifier: Apache-2.0
/* images: `docker load` of a `docker save` archive (manifest.json) or an OCI
 * image-layout archive (oci-layout + index.json).
 *
 * The archive is streamed once: each regular file lands in a private temp dir
 * under a numbered name (archive names are only map keys, never host paths)
 * while it is hashed. Then every manifest, config and layer is checked, and
 * layers are unpacked into temp dirs; only when all of it is good are blobs and
 * layers moved into the store and the images registered. */
#include "images/images-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

struct member {
	char *name;       /* cleaned archive path */
	char *alias;      /* symlink/hardlink: the cleaned name it points to */
	char *file;       /* temp file */
	char digest[IMAGES_DIGEST_LEN + 1];
	int64_t size;
	bool adopted;
};

struct staged_layer {
	char chain[IMAGES_DIGEST_LEN + 1];
	char parent[IMAGES_DIGEST_LEN + 1];
	char diff_id[IMAGES_DIGEST_LEN + 1];
	char *dir;
	int64_t size;
};

struct pending {
	char manifest[IMAGES_DIGEST_LEN + 1];
	char *manifest_json;  /* set when we built the manifest (docker save) */
	char **tags;
	size_t ntags;
};

struct loader {
	struct images *h;
	char *work;
	struct member *m;
	size_t nm, cm;
	struct staged_layer *sl;
	size_t nsl;
	struct pending *p;
	size_t np;
	struct nd_error *err;
};

static struct member *lookup(struct loader *L, const char *name)
{
	char clean[4096];
	struct nd_error e;
	if (images__path_clean(name, clean, sizeof(clean), &e) < 0)
		return NULL;
	for (int hop = 0; hop < 8; hop++) {
		struct member *found = NULL;
		for (size_t i = 0; i < L->nm; i++)
			if (!strcmp(L->m[i].name, clean))
				found = &L->m[i];
		if (!found || !found->alias)
			return found;
		snprintf(clean, sizeof(clean), "%s", found->alias);
	}
	return NULL;
}

static struct member *lookup_digest(struct loader *L, const char *digest)
{
	for (size_t i = 0; i < L->nm; i++)
		if (L->m[i].file && !strcmp(L->m[i].digest, digest))
			return &L->m[i];
	return NULL;
}

static int read_member(struct loader *L, struct member *m, char **buf, size_t *len)
{
	int r = images__read_file(m->file, buf, len, 64 << 20);
	if (r < 0)
		return nd_error_set(L->err, r, "read %s: %s", m->name, strerror(-r));
	return 0;
}

static int stream_archive(struct loader *L, const char *path)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int rc = 0;
	_cleanup_free_ char *buf = malloc(1 << 20);
	if (!buf) {
		rc = nd_error_set(L->err, -ENOMEM, "out of memory");
		goto out;
	}
	if (archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK) {
		rc = nd_error_set(L->err, -EINVAL, "open %s: %s", path, archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = nd_error_set(L->err, -EINVAL, "corrupt archive %s: %s", path, archive_error_string(a));
			goto out;
		}
		const char *name = archive_entry_pathname(e);
		char clean[4096];
		if (!name || images__path_clean(name, clean, sizeof(clean), L->err) < 0) {
			rc = nd_error_set(L->err, -EINVAL, "archive %s: bad member name \"%s\"", path, name ? name : "");
			goto out;
		}
		mode_t type = archive_entry_filetype(e);
		const char *hl = archive_entry_hardlink(e);
		if (!hl && type != AE_IFREG && type != AE_IFLNK)
			continue;
		if (L->nm == L->cm) {
			L->cm = L->cm ? L->cm * 2 : 32;
			L->m = realloc(L->m, L->cm * sizeof(*L->m));
		}
		struct member *m = &L->m[L->nm];
		memset(m, 0, sizeof(*m));
		m->name = strdup(clean);
		L->nm++;
		if (hl || type == AE_IFLNK) {
			char target[4096], joined[8300];
			if (hl) {
				snprintf(joined, sizeof(joined), "%s", hl);
			} else {
				const char *t = archive_entry_symlink(e);
				const char *slash = strrchr(clean, '/');
				if (t && t[0] == '/')
					snprintf(joined, sizeof(joined), "%s", t);
				else
					snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - clean) : 0, clean,
						 slash ? "/" : "", t ? t : "");
			}
			if (images__path_clean(joined, target, sizeof(target), L->err) < 0) {
				rc = nd_error_wrap(L->err, "archive %s: member %s", path, clean);
				goto out;
			}
			m->alias = strdup(target);
			continue;
		}
		if (asprintf(&m->file, "%s/m%zu", L->work, L->nm) < 0) {
			rc = nd_error_set(L->err, -ENOMEM, "out of memory");
			goto out;
		}
		_cleanup_close_ int fd = open(m->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = nd_error_set(L->err, -errno, "create %s: %s", m->file, strerror(errno));
			goto out;
		}
		_cleanup_evp_ EVP_MD_CTX *md = images__sha256_new();
		for (;;) {
			la_ssize_t n = archive_read_data(a, buf, 1 << 20);
			if (n == 0)
				break;
			if (n < 0) {
				rc = nd_error_set(L->err, -EINVAL, "corrupt archive %s: member %s: %s", path, clean,
						  archive_error_string(a));
				goto out;
			}
			EVP_DigestUpdate(md, buf, (size_t)n);
			m->size += n;
			for (const char *p = buf; n > 0;) {
				ssize_t w = write(fd, p, (size_t)n);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					rc = nd_error_set(L->err, -errno, "write %s: %s", m->file, strerror(errno));
					goto out;
				}
				p += w;
				n -= w;
			}
		}
		images__sha256_final(md, m->digest);
	}
out:
	archive_read_free(a);
	return rc;
}

static bool manifest_mt_ok(const char *mt) { return !strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST); }
static bool index_mt_ok(const char *mt) { return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST); }

/* A blob: from the archive (verified against its descriptor) or the store. */
static int blob_source(struct loader *L, const char *digest, int64_t size, char *path, size_t psize, bool oci)
{
	if (!images_digest_valid(digest))
		return nd_error_set(L->err, -EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	struct member *m = NULL;
	if (oci) {
		char name[128];
		snprintf(name, sizeof(name), "blobs/sha256/%s", images__hex(digest));
		m = lookup(L, name);
		if (m && strcmp(m->digest, digest))
			return nd_error_set(L->err, -EBADMSG, "blob %s: digest mismatch: content has %s", digest, m->digest);
	} else {
		m = lookup_digest(L, digest);
	}
	if (m) {
		if (size > 0 && m->size != size)
			return nd_error_set(L->err, -EBADMSG, "blob %s: size %lld, descriptor says %lld", digest,
					    (long long)m->size, (long long)size);
		snprintf(path, psize, "%s", m->file);
		return 0;
	}
	if (images__blob_exists(L->h, digest))
		return images__blob_path(L->h, digest, path, psize);
	return nd_error_set(L->err, -ENOENT, "blob %s named by the manifest is missing from the archive", digest);
}

static bool layer_mt_ok(const char *mt)
{
	return mt && (nd_str_has_prefix(mt, "application/vnd.oci.image.layer.") ||
		      nd_str_has_prefix(mt, "application/vnd.docker.image.rootfs."));
}

/* Validates a manifest + config + layers and stages the layers. */
static int stage_manifest(struct loader *L, const char *mjson, size_t mlen, const char *mdigest, bool oci)
{
	_cleanup_json_ json_t *m = nd_json_parse(mjson, mlen, L->err);
	if (!m)
		return nd_error_wrap(L->err, "manifest %s", mdigest);
	const char *mt = nd_json_str(m, "mediaType");
	if (mt && !manifest_mt_ok(mt))
		return nd_error_set(L->err, -ENOTSUP, "manifest %s: unsupported media type \"%s\"", mdigest, mt);
	json_t *cd = json_object_get(m, "config");
	const char *cmt = nd_json_str(cd, "mediaType");
	if (!cmt || (strcmp(cmt, MT_OCI_CONFIG) && strcmp(cmt, MT_DOCKER_CONFIG)))
		return nd_error_set(L->err, -ENOTSUP, "manifest %s: unsupported config media type \"%s\"", mdigest,
				    cmt ? cmt : "");
	char cpath[4096];
	int r = blob_source(L, nd_json_str(cd, "digest"), json_integer_value(json_object_get(cd, "size")), cpath,
			    sizeof(cpath), oci);
	if (r < 0)
		return nd_error_wrap(L->err, "manifest %s: config", mdigest);
	_cleanup_free_ char *cbuf = NULL;
	size_t clen;
	if ((r = images__read_file(cpath, &cbuf, &clen, 64 << 20)) < 0)
		return nd_error_set(L->err, r, "read config: %s", strerror(-r));
	_cleanup_json_ json_t *c = nd_json_parse(cbuf, clen, L->err);
	if (!c)
		return nd_error_wrap(L->err, "config %s", nd_json_str(cd, "digest"));
	json_t *layers = json_object_get(m, "layers");
	json_t *diffs = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if (!json_is_array(layers) || !json_is_array(diffs) || json_array_size(layers) != json_array_size(diffs))
		return nd_error_set(L->err, -EINVAL, "manifest %s: layers do not match the config's rootfs.diff_ids", mdigest);
	char parent[IMAGES_DIGEST_LEN + 1] = "";
	for (size_t i = 0; i < json_array_size(layers); i++) {
		json_t *l = json_array_get(layers, i);
		const char *ld = nd_json_str(l, "digest"), *lmt = nd_json_str(l, "mediaType");
		const char *did = json_string_value(json_array_get(diffs, i));
		if (!layer_mt_ok(lmt) || strstr(lmt, "+encrypted"))
			return nd_error_set(L->err, -ENOTSUP, "layer %s: unsupported media type \"%s\"", ld ? ld : "?",
					    lmt ? lmt : "");
		if (!images_digest_valid(did))
			return nd_error_set(L->err, -EINVAL, "config: invalid diff_id #%zu", i);
		char chain[IMAGES_DIGEST_LEN + 1], lpath[4096];
		images__chain_id(parent, did, chain);
		if ((r = blob_source(L, ld, json_integer_value(json_object_get(l, "size")), lpath, sizeof(lpath), oci)) < 0)
			return nd_error_wrap(L->err, "manifest %s: layer", mdigest);
		bool have = images__layer_exists(L->h, chain);
		for (size_t k = 0; k < L->nsl && !have; k++)
			have = !strcmp(L->sl[k].chain, chain);
		if (!have) {
			struct images__unpack_result res;
			char *dir = NULL;
			if ((r = images__layer_stage(L->h, lpath, parent, -1, &dir, &res, L->err)) < 0)
				return nd_error_wrap(L->err, "layer %s", ld);
			L->sl = realloc(L->sl, (L->nsl + 1) * sizeof(*L->sl));
			struct staged_layer *s = &L->sl[L->nsl++];
			memset(s, 0, sizeof(*s));
			s->dir = dir;
			s->size = res.size;
			snprintf(s->chain, sizeof(s->chain), "%s", chain);
			snprintf(s->parent, sizeof(s->parent), "%s", parent);
			snprintf(s->diff_id, sizeof(s->diff_id), "%s", did);
			if (strcmp(res.diff_id, did))
				return nd_error_set(L->err, -EBADMSG, "layer %s: diff_id mismatch: config says %s, content has %s",
						    ld, did, res.diff_id);
		}
		snprintf(parent, sizeof(parent), "%s", chain);
	}
	return 0;
}

static void add_pending(struct loader *L, const char *mdigest, char *mjson, const char *tag)
{
	for (size_t i = 0; i < L->np; i++) {
		if (!strcmp(L->p[i].manifest, mdigest)) {
			free(mjson);
			if (tag) {
				L->p[i].tags = realloc(L->p[i].tags, (L->p[i].ntags + 1) * sizeof(char *));
				L->p[i].tags[L->p[i].ntags++] = strdup(tag);
			}
			return;
		}
	}
	L->p = realloc(L->p, (L->np + 1) * sizeof(*L->p));
	struct pending *p = &L->p[L->np++];
	memset(p, 0, sizeof(*p));
	snprintf(p->manifest, sizeof(p->manifest), "%s", mdigest);
	p->manifest_json = mjson;
	if (tag) {
		p->tags = malloc(sizeof(char *));
		p->tags[p->ntags++] = strdup(tag);
	}
}

static const char *oci_ref_name(json_t *desc)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *full = nd_json_str(ann, "io.containerd.image.name");
	struct images_ref r;
	struct nd_error e;
	if (full && images_ref_parse(full, &r, &e) == 0 && !r.digest[0])
		return full;
	const char *rn = nd_json_str(ann, "org.opencontainers.image.ref.name");
	/* a bare tag ("latest") names no repository: leave the image untagged */
	if (rn && (strchr(rn, '/') || strchr(rn, ':')) && images_ref_parse(rn, &r, &e) == 0 && !r.digest[0])
		return rn;
	return NULL;
}

static int load_oci_index(struct loader *L, json_t *index, int depth, const char *tag)
{
	json_t *mans = json_object_get(index, "manifests");
	if (!json_is_array(mans))
		return nd_error_set(L->err, -EINVAL, "index has no manifests");
	size_t i;
	json_t *d;
	bool picked_platform = false;
	json_array_foreach(mans, i, d) {
		const char *mt = nd_json_str(d, "mediaType"), *dg = nd_json_str(d, "digest");
		const char *name = depth == 0 ? oci_ref_name(d) : tag;
		if (!mt)
			return nd_error_set(L->err, -EINVAL, "index entry %s without mediaType", dg ? dg : "?");
		if (depth > 0) { /* nested index: the host's platform only */
			json_t *pl = json_object_get(d, "platform");
			const char *arch = nd_json_str(pl, "architecture"), *os = nd_json_str(pl, "os");
			if (pl && ((arch && strcmp(arch, images__host_arch())) || (os && strcmp(os, "linux"))))
				continue;
			if (picked_platform)
				continue;
			picked_platform = true;
		}
		char path[4096];
		int r = blob_source(L, dg, json_integer_value(json_object_get(d, "size")), path, sizeof(path), true);
		if (r < 0)
			return r;
		char *buf;
		size_t len;
		if ((r = images__read_file(path, &buf, &len, 64 << 20)) < 0)
			return nd_error_set(L->err, r, "read %s: %s", dg, strerror(-r));
		if (manifest_mt_ok(mt)) {
			r = stage_manifest(L, buf, len, dg, true);
			if (r < 0) {
				free(buf);
				return r;
			}
			free(buf);
			add_pending(L, dg, NULL, name);
		} else if (index_mt_ok(mt)) {
			_cleanup_json_ json_t *sub = nd_json_parse(buf, len, L->err);
			free(buf);
			if (!sub)
				return nd_error_wrap(L->err, "index %s", dg);
			if (depth >= 2)
				return nd_error_set(L->err, -EINVAL, "index %s: nested too deep", dg);
			if ((r = load_oci_index(L, sub, depth + 1, name)) < 0)
				return r;
		} else {
			free(buf);
			return nd_error_set(L->err, -ENOTSUP, "index entry %s: unsupported media type \"%s\"", dg, mt);
		}
	}
	if (depth > 0 && !picked_platform)
		return nd_error_set(L->err, -ENOENT, "no manifest for linux/%s in the image index", images__host_arch());
	return 0;
}

static const char *detect_layer_mt(const char *file)
{
	unsigned char b[4] = {0};
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, b, 4) == 4) {
		if (b[0] == 0x1f && b[1] == 0x8b)
			return MT_OCI_LAYER_GZ;
		if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
			return MT_OCI_LAYER_ZST;
	}
	return MT_OCI_LAYER;
}

static int load_docker(struct loader *L, json_t *mj)
{
	if (!json_is_array(mj) || json_array_size(mj) == 0)
		return nd_error_set(L->err, -EINVAL, "manifest.json: expected a non-empty array");
	size_t i;
	json_t *ent;
	json_array_foreach(mj, i, ent) {
		const char *cfg = nd_json_str(ent, "Config");
		json_t *layers = json_object_get(ent, "Layers");
		struct member *cm = cfg ? lookup(L, cfg) : NULL;
		if (!cm || !json_is_array(layers))
			return nd_error_set(L->err, -ENOENT, "manifest.json entry %zu: config \"%s\" missing from archive",
					    i, cfg ? cfg : "");
		json_t *ls = json_array();
		size_t k;
		json_t *lj;
		json_array_foreach(layers, k, lj) {
			const char *ln = json_string_value(lj);
			struct member *lm = ln ? lookup(L, ln) : NULL;
			if (!lm) {
				json_decref(ls);
				return nd_error_set(L->err, -ENOENT, "manifest.json: layer \"%s\" missing from archive", ln ? ln : "");
			}
			json_array_append_new(ls, json_pack("{s:s, s:s, s:I}", "mediaType", detect_layer_mt(lm->file),
							    "digest", lm->digest, "size", (json_int_t)lm->size));
		}
		_cleanup_json_ json_t *man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2,
							"mediaType", MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG,
							"digest", cm->digest, "size", (json_int_t)cm->size, "layers", ls);
		char *txt = json_dumps(man, JSON_COMPACT);
		char dg[IMAGES_DIGEST_LEN + 1];
		images_digest_buf(txt, strlen(txt), dg);
		int r = stage_manifest(L, txt, strlen(txt), dg, false);
		if (r < 0) {
			free(txt);
			return r;
		}
		json_t *tags = json_object_get(ent, "RepoTags");
		json_t *t;
		json_array_foreach(tags, k, t) {
			char norm[IMAGES_REF_MAX];
			if (!json_is_string(t) || images__normalize_tag(json_string_value(t), norm, sizeof(norm), L->err) < 0) {
				free(txt);
				return nd_error_wrap(L->err, "manifest.json: RepoTags");
			}
		}
		add_pending(L, dg, txt, NULL);
		json_array_foreach(tags, k, t) if (json_is_string(t)) add_pending(L, dg, NULL, json_string_value(t));
	}
	return 0;
}

static int adopt_all(struct loader *L)
{
	/* every archive member that hashes to a digest some manifest uses */
	for (size_t i = 0; i < L->np; i++) {
		struct pending *p = &L->p[i];
		char dg[IMAGES_DIGEST_LEN + 1];
		int r;
		if (p->manifest_json && (r = images__blob_put(L->h, p->manifest_json, strlen(p->manifest_json), dg, L->err)) < 0)
			return r;
		_cleanup_free_ char *mbuf = NULL;
		size_t mlen;
		struct member *mm = lookup_digest(L, p->manifest);
		if (!p->manifest_json && !images__blob_exists(L->h, p->manifest)) {
			if (!mm)
				return nd_error_set(L->err, -ENOENT, "manifest %s missing", p->manifest);
			if (images__read_file(mm->file, &mbuf, &mlen, 64 << 20) < 0)
				return nd_error_set(L->err, -EIO, "read manifest");
		} else if ((r = images__blob_read(L->h, p->manifest, &mbuf, &mlen, L->err)) < 0) {
			return r;
		}
		_cleanup_json_ json_t *m = nd_json_parse(mbuf, mlen, L->err);
		if (!m)
			return L->err->code;
		const char *need[2 + json_array_size(json_object_get(m, "layers"))];
		size_t nn = 0;
		need[nn++] = p->manifest;
		need[nn++] = nd_json_str(json_object_get(m, "config"), "digest");
		size_t k;
		json_t *l;
		json_array_foreach(json_object_get(m, "layers"), k, l) need[nn++] = nd_json_str(l, "digest");
		for (size_t j = 0; j < nn; j++) {
			if (images__blob_exists(L->h, need[j]))
				continue;
			struct member *src = lookup_digest(L, need[j]);
			if (!src)
				return nd_error_set(L->err, -ENOENT, "blob %s missing", need[j]);
			/* hard-linked copies in the archive share one temp file: copy by link */
			char bp[4096];
			images__blob_path(L->h, need[j], bp, sizeof(bp));
			if (link(src->file, bp) < 0 && errno != EEXIST)
				return nd_error_set(L->err, -errno, "store blob %s: %s", need[j], strerror(errno));
		}
	}
	return 0;
}

int images_load(struct images *h, const char *archive_path, char ***loaded, struct nd_error *err)
{
	struct loader L = { .h = h, .err = err };
	_cleanup_free_ char *buf = NULL;
	int r;
	pthread_rwlock_rdlock(&h->gc);
	if ((r = images__tmpdir(h, "load", &L.work, err)) < 0)
		goto out;
	if ((r = stream_archive(&L, archive_path)) < 0)
		goto out;
	struct member *idx = lookup(&L, "index.json"), *dman = lookup(&L, "manifest.json");
	size_t len;
	if (idx) {
		if (!lookup(&L, "oci-layout"))
			log_debug("images: %s: index.json without oci-layout", archive_path);
		if ((r = read_member(&L, idx, &buf, &len)) < 0)
			goto out;
		_cleanup_json_ json_t *j = nd_json_parse(buf, len, err);
		if (!j) {
			r = nd_error_wrap(err, "index.json");
			goto out;
		}
		r = load_oci_index(&L, j, 0, NULL);
	} else if (dman) {
		if ((r = read_member(&L, dman, &buf, &len)) < 0)
			goto out;
		_cleanup_json_ json_t *j = nd_json_parse(buf, len, err);
		if (!j) {
			r = nd_error_wrap(err, "manifest.json");
			goto out;
		}
		r = load_docker(&L, j);
	} else {
		r = nd_error_set(err, -EINVAL, "%s is neither a docker save archive (manifest.json) nor an OCI image layout (index.json)",
				 archive_path);
	}
	if (r < 0)
		goto out;
	if (L.np == 0) {
		r = nd_error_set(err, -EINVAL, "%s holds no image", archive_path);
		goto out;
	}
	/* commit: blobs, layers (parents first: staged in order), images */
	if ((r = adopt_all(&L)) < 0)
		goto out;
	for (size_t i = 0; i < L.nsl; i++) {
		if ((r = images__layer_commit(h, L.sl[i].dir, L.sl[i].chain, L.sl[i].parent, L.sl[i].diff_id,
					      L.sl[i].size, err)) < 0)
			goto out;
		free(TAKE_PTR(L.sl[i].dir));
	}
	char **out = calloc(L.np * 4 + 1, sizeof(char *));
	size_t no = 0;
	for (size_t i = 0; i < L.np; i++) {
		struct images__image *img;
		if ((r = images__image_build(h, L.p[i].manifest, &img, err)) < 0)
			break;
		char id[IMAGES_DIGEST_LEN + 1];
		memcpy(id, img->id, sizeof(id));
		if ((r = images__register(h, img, (const char *const *)L.p[i].tags, L.p[i].ntags, err)) < 0) {
			images__image_free(img);
			break;
		}
		if (L.p[i].ntags == 0 && no < L.np * 4)
			out[no++] = strdup(id);
		for (size_t k = 0; k < L.p[i].ntags && no < L.np * 4; k++)
			out[no++] = strdup(L.p[i].tags[k]);
	}
	if (r == 0 && loaded)
		*loaded = out;
	else
		images_strv_free(out);
out:
	for (size_t i = 0; i < L.nsl; i++)
		if (L.sl[i].dir) {
			images__rm_rf(L.sl[i].dir);
			free(L.sl[i].dir);
		}
	free(L.sl);
	for (size_t i = 0; i < L.nm; i++) {
		free(L.m[i].name);
		free(L.m[i].alias);
		free(L.m[i].file);
	}
	free(L.m);
	for (size_t i = 0; i < L.np; i++) {
		free(L.p[i].manifest_json);
		for (size_t k = 0; k < L.p[i].ntags; k++)
			free(L.p[i].tags[k]);
		free(L.p[i].tags);
	}
	free(L.p);
	if (L.work)
		images__rm_rf(L.work);
	free(L.work);
	pthread_rwlock_unlock(&h->gc);
	if (r < 0)
		nd_error_wrap(err, "load %s", archive_path);
	return r;
}
