// SPDX-License-Identifier: Apache-2.0
/* images: push to a registry.
 *
 * Blobs first (config and layers, as the store keeps them, so digests are
 * the same everywhere), the manifest last, byte for byte as stored. For
 * each blob: HEAD (the registry has it: skip), else a cross-repository
 * mount when this netd knows another repository of the same registry that
 * has it, else an upload: one PUT for blobs up to chunk_size, PATCH chunks
 * with Content-Range and a closing PUT above. Each request goes through
 * reg_do(), which refreshes a token that is about to expire and answers a
 * 401 with a new one, so a push longer than a token's life goes through. */
#include "images/registry-internal.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PROGRESS_NS (100ull * 1000000ull)

/* ---- blob sources ---------------------------------------------------------------- */

static void sources_path(struct images *h, char *buf, size_t size)
{
	snprintf(buf, size, "%s/sources.json", h->root);
}

void images__source_add(struct images *h, const char *host, const char *repo, const char *const *digests, size_t n)
{
	char p[4096], hr[600];
	sources_path(h, p, sizeof(p));
	snprintf(hr, sizeof(hr), "%s/%s", host, repo);
	pthread_mutex_lock(&h->meta);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	json_t *j = NULL;
	if (images__read_file(p, &buf, &len, 64 << 20) == 0)
		j = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_object_get(j, digests[i]);
		if (!json_is_array(a)) {
			a = json_array();
			json_object_set_new(j, digests[i], a);
		}
		bool have = false;
		size_t k;
		json_t *v;
		json_array_foreach(a, k, v) have |= !strcmp(json_string_value(v) ?: "", hr);
		if (!have)
			json_array_append_new(a, json_string(hr));
		while (json_array_size(a) > 8)
			json_array_remove(a, 0);
	}
	_cleanup_free_ char *txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (txt && images__write_file_atomic(p, txt, strlen(txt)) < 0)
		log_debug("images: write %s failed", p);
	pthread_mutex_unlock(&h->meta);
}

bool images__source_find(struct images *h, const char *digest, const char *host, const char *repo, char *out, size_t size)
{
	char p[4096];
	sources_path(h, p, sizeof(p));
	pthread_mutex_lock(&h->meta);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	_cleanup_json_ json_t *j = NULL;
	if (images__read_file(p, &buf, &len, 64 << 20) == 0)
		j = json_loadb(buf, len, 0, NULL);
	pthread_mutex_unlock(&h->meta);
	size_t k;
	json_t *v;
	size_t hl = strlen(host);
	json_array_foreach(json_object_get(j, digest), k, v) {
		const char *s = json_string_value(v);
		if (s && !strncmp(s, host, hl) && s[hl] == '/' && strcmp(s + hl + 1, repo)) {
			snprintf(out, size, "%s", s + hl + 1);
			return true;
		}
	}
	return false;
}

/* ---- uploads -------------------------------------------------------------------------- */

struct pusher {
	struct images *h;
	struct reg *reg;
	struct nd_error *err;
	const char *sid;
	int64_t base, total;      /* progress: bytes before this request, blob size */
	uint64_t last;
};

static void on_sent(int64_t sent, void *data)
{
	struct pusher *u = data;
	uint64_t now = nd_now_ns();
	if (now - u->last < PROGRESS_NS && u->base + sent < u->total)
		return;
	u->last = now;
	reg_progress(u->reg, u->sid, "Pushing", u->base + sent, u->total);
}

/* Location (maybe relative) + extra query -> absolute URL */
static int upload_url(struct reg *r, const char *loc, const char *query, char *out, size_t size, struct nd_error *err)
{
	if (!loc || !*loc)
		return nd_error_set(err, -EIO, "%s: upload answer without a Location", r->host);
	const char *sep = query ? (strchr(loc, '?') ? "&" : "?") : "";
	int n;
	if (nd_str_has_prefix(loc, "http://") || nd_str_has_prefix(loc, "https://"))
		n = snprintf(out, size, "%s%s%s", loc, sep, query ? query : "");
	else
		n = snprintf(out, size, "%s%s%s%s%s", r->endpoint, loc[0] == '/' ? "" : "/", loc, sep, query ? query : "");
	return n < 0 || (size_t)n >= size ? nd_error_set(err, -ENAMETOOLONG, "upload URL too long") : 0;
}

static int check_digest_header(struct reg *r, const struct reg_req *q, const char *digest, struct nd_error *err)
{
	if (q->docker_digest && strcmp(q->docker_digest, digest))
		return nd_error_set(err, -EBADMSG, "%s: the registry stored %s as %s (Docker-Content-Digest)", r->host,
				    digest, q->docker_digest);
	return 0;
}

static int push_blob(struct pusher *u, const char *digest, int64_t size, bool is_layer)
{
	struct reg *r = u->reg;
	struct nd_error *err = u->err;
	char sid[13];
	snprintf(sid, sizeof(sid), "%.12s", images__hex(digest));
	u->sid = sid;
	struct reg_req q;
	int rc;
	_cleanup_free_ char *loc = NULL, *dq = NULL;
	_cleanup_close_ int fd = -1;
	/* 1. does the registry have it? */
	reg_req_init(&q, "HEAD");
	q.no_retry_status = true;
	if ((rc = reg_url(r, q.url, sizeof(q.url), "/blobs/%s", digest)) < 0 || (rc = reg_do(r, &q, err)) < 0)
		goto out;
	if (q.status == 200) {
		if (is_layer)
			reg_progress(r, sid, "Layer already exists", 0, 0);
		goto out;
	}
	if (q.status == 401 || q.status == 403) {
		rc = nd_error_set(err, -EKEYREJECTED, "%s/%s: push access denied (netctl login %s)", r->host, r->repo, r->host);
		goto out;
	}
	/* 2. mount from another repository, or start an upload */
	char from[256];
	bool mount = images__source_find(u->h, digest, r->host, r->repo, from, sizeof(from));
	reg_req_clear(&q);
	reg_req_init(&q, "POST");
	if (mount) {
		char scope[300];
		snprintf(scope, sizeof(scope), "repository:%s:pull", from);
		reg_add_scope(r, scope);
		_cleanup_free_ char *f = curl_easy_escape(NULL, from, 0);
		rc = reg_url(r, q.url, sizeof(q.url), "/blobs/uploads/?mount=%s&from=%s", digest, f);
	} else {
		rc = reg_url(r, q.url, sizeof(q.url), "/blobs/uploads/");
	}
	if (rc < 0 || (rc = reg_do(r, &q, err)) < 0)
		goto out;
	if (q.status == 201 && mount) {
		if ((rc = check_digest_header(r, &q, digest, err)) < 0)
			goto out;
		if (is_layer) {
			char msg[300];
			snprintf(msg, sizeof(msg), "Mounted from %s", from);
			reg_progress(r, sid, msg, 0, 0);
		}
		goto out;
	}
	if (q.status != 202) {
		rc = nd_error_set(err, -EIO, "%s: starting an upload answered HTTP %ld", r->host, q.status);
		goto out;
	}
	char path[4096];
	if ((rc = images__blob_path(u->h, digest, path, sizeof(path))) < 0) {
		rc = nd_error_set(err, -EINVAL, "invalid digest %s", digest);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = nd_error_set(err, -errno, "blob %s is not in the store (%s): the image cannot be pushed", digest, strerror(errno));
		goto out;
	}
	if (st.st_size != size) {
		rc = nd_error_set(err, -EBADMSG, "blob %s: %lld bytes in the store, the manifest says %lld", digest,
				  (long long)st.st_size, (long long)size);
		goto out;
	}
	int64_t chunk = r->o && r->o->chunk_size > 0 ? r->o->chunk_size : (32ll << 20);
	loc = TAKE_PTR(q.location);
	if (asprintf(&dq, "digest=%s", digest) < 0) {
		rc = nd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	u->total = size;
	if (size > chunk) {
		for (int64_t off = 0; off < size; off += chunk) {
			int64_t n = size - off < chunk ? size - off : chunk;
			char range[64];
			snprintf(range, sizeof(range), "%lld-%lld", (long long)off, (long long)(off + n - 1));
			reg_req_clear(&q);
			reg_req_init(&q, "PATCH");
			q.content_type = "application/octet-stream";
			q.range = range;
			q.body_fd = fd;
			q.body_off = off;
			q.body_size = n;
			q.on_sent = on_sent;
			q.on_sent_data = u;
			u->base = off;
			if ((rc = upload_url(r, loc, NULL, q.url, sizeof(q.url), err)) < 0 || (rc = reg_do(r, &q, err)) < 0)
				goto out;
			if (q.status != 202) {
				rc = nd_error_set(err, -EIO, "%s: chunk %s answered HTTP %ld", r->host, range, q.status);
				goto out;
			}
			free(loc);
			loc = TAKE_PTR(q.location);
		}
		reg_req_clear(&q);
		reg_req_init(&q, "PUT");
		q.content_type = "application/octet-stream";
	} else {
		reg_req_clear(&q);
		reg_req_init(&q, "PUT");
		q.content_type = "application/octet-stream";
		q.body_fd = fd;
		q.body_off = 0;
		q.body_size = size;
		q.on_sent = on_sent;
		q.on_sent_data = u;
		u->base = 0;
	}
	if ((rc = upload_url(r, loc, dq, q.url, sizeof(q.url), err)) < 0 || (rc = reg_do(r, &q, err)) < 0)
		goto out;
	if (q.status != 201) {
		rc = nd_error_set(err, -EIO, "%s: completing the upload of %s answered HTTP %ld", r->host, digest, q.status);
		goto out;
	}
	if ((rc = check_digest_header(r, &q, digest, err)) < 0)
		goto out;
	if (is_layer)
		reg_progress(r, sid, "Pushed", size, size);
out:
	reg_req_clear(&q);
	return rc;
}

int images_push(struct images *h, const char *name, const struct images_registry_opts *o,
		struct images_push_result *res, struct nd_error *err)
{
	struct images_ref ref;
	int rc = images_ref_parse(name, &ref, err);
	if (rc < 0)
		return rc;
	if (ref.digest[0] && !ref.tag[0])
		return nd_error_set(err, -EINVAL, "push %s: push a tag, not a digest", name);
	if (!ref.tag[0])
		snprintf(ref.tag, sizeof(ref.tag), "latest");
	ref.digest[0] = '\0';
	char full[IMAGES_REF_MAX];
	images_ref_format(&ref, full, sizeof(full));
	/* the image, as stored */
	char mdigest[IMAGES_DIGEST_LEN + 1], mt[128], cdigest[IMAGES_DIGEST_LEN + 1];
	int64_t csize;
	size_t n;
	struct images__layer *layers = NULL;
	pthread_mutex_lock(&h->meta);
	struct images__image *img = images__find_locked(h, full, err);
	if (img) {
		memcpy(mdigest, img->manifest, sizeof(mdigest));
		snprintf(mt, sizeof(mt), "%s", img->manifest_mt);
		memcpy(cdigest, img->id, sizeof(cdigest));
		csize = img->config_size;
		n = img->nlayers;
		layers = malloc((n ? n : 1) * sizeof(*layers));
		if (layers)
			memcpy(layers, img->layers, n * sizeof(*layers));
	}
	pthread_mutex_unlock(&h->meta);
	if (!img)
		return nd_error_set(err, -ENOENT, "no such image: %s (tag an image with that name first)", full);
	if (!layers)
		return nd_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ struct images__layer *lfree = layers;
	_cleanup_free_ char *mbody = NULL;
	size_t mlen;
	pthread_rwlock_rdlock(&h->gc);
	struct reg reg;
	struct pusher u = { .h = h, .reg = &reg, .err = err };
	if ((rc = reg_open(&reg, &ref, "pull,push", o, err)) < 0)
		goto out;
	if ((rc = images__blob_read(h, mdigest, &mbody, &mlen, err)) < 0)
		goto out;
	reg_progress(&reg, NULL, "The push refers to repository", 0, 0);
	for (size_t i = n; i-- > 0;) {
		char sid[13];
		snprintf(sid, sizeof(sid), "%.12s", images__hex(layers[i].digest));
		reg_progress(&reg, sid, "Preparing", 0, 0);
	}
	for (size_t i = n; i-- > 0;)
		if ((rc = push_blob(&u, layers[i].digest, layers[i].size, true)) < 0)
			goto out;
	if ((rc = push_blob(&u, cdigest, csize, false)) < 0)
		goto out;
	struct reg_req q;
	reg_req_init(&q, "PUT");
	q.content_type = mt;
	q.body = mbody;
	q.body_len = mlen;
	if ((rc = reg_url(&reg, q.url, sizeof(q.url), "/manifests/%s", ref.tag)) == 0 && (rc = reg_do(&reg, &q, err)) == 0) {
		if (q.status != 201)
			rc = nd_error_set(err, -EIO, "%s: manifest upload answered HTTP %ld", reg.host, q.status);
		else
			rc = check_digest_header(&reg, &q, mdigest, err);
	}
	reg_req_clear(&q);
	if (rc < 0)
		goto out;
	{
		const char *blobs[n + 1];
		blobs[0] = cdigest;
		for (size_t i = 0; i < n; i++)
			blobs[i + 1] = layers[i].digest;
		images__source_add(h, reg.host, reg.repo, blobs, n + 1);
	}
	memcpy(res->digest, mdigest, sizeof(res->digest));
	res->size = (int64_t)mlen;
	snprintf(res->tag, sizeof(res->tag), "%s", ref.tag);
	log_info("images: pushed %s digest=%s layers=%zu tokens=%u", full, mdigest, n, reg.tokens_fetched);
out:
	reg_close(&reg);
	pthread_rwlock_unlock(&h->gc);
	return rc;
}
