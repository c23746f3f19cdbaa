// SPDX-License-Identifier: Apache-2.0
/* images: pull from a registry.
 *
 * 1. The manifest (an index or manifest list picks the host's platform),
 *    verified against the digest asked for and Docker-Content-Digest.
 * 2. The config, verified.
 * 3. Layers: up to max_downloads at once on one curl multi handle. Each blob
 *    streams into <root>/partial/<hex>, hashed as it arrives; a thread per
 *    layer unpacks the same bytes into a staging dir while they arrive
 *    (it reads the growing file, waiting for more), so decompression and
 *    unpacking overlap the download. A lost connection, a 5xx or a 429 is
 *    retried with backoff and resumed with "Range: bytes=N-"; a partial file
 *    left by an interrupted pull (netd killed, client gone) is resumed the
 *    same way by the next pull.
 * 4. Only when every blob matched its digest and every layer its diff ID
 *    are blobs, layers and the image moved into the store; on any failure
 *    the staging dirs go, and a blob that did not match is deleted. */
#include "images/registry-internal.h"

#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define ACCEPT_MANIFESTS MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST
#define PROGRESS_NS (100ull * 1000000ull)

enum lkind { L_EXISTS, L_LOCAL, L_DOWNLOAD };

struct pull;

struct layer {
	struct pull *P;
	size_t idx;
	enum lkind kind;
	char digest[IMAGES_DIGEST_LEN + 1];
	char diff_id[IMAGES_DIGEST_LEN + 1];
	char chain[IMAGES_DIGEST_LEN + 1];
	char parent[IMAGES_DIGEST_LEN + 1];
	char sid[13];
	int64_t size;
	char path[4096];      /* partial file, or the stored blob (L_LOCAL) */
	int wfd, lockfd;
	int rfd;              /* the unpacker's, opened before it starts (it owns it) */
	EVP_MD_CTX *md;
	/* download state: P->mu */
	int64_t have;         /* bytes in the file, hashed */
	int64_t resumed_at;   /* bytes found from an earlier pull */
	int64_t fetched;      /* bytes received by this pull */
	bool dl_done, dl_failed;
	/* transfer */
	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	long status;
	bool status_known;
	int64_t skip;         /* a 200 to a Range request: bytes to drop */
	struct wire_buf ebody;/* error body */
	char *www_auth;
	unsigned attempts, challenges;
	uint64_t retry_at;    /* 0: not waiting */
	bool active, queued;
	uint64_t last_progress;
	/* unpack */
	pthread_t th;
	bool th_started;
	int rc;
	struct nd_error err;
	char *stage;
	struct images__unpack_result res;
};

struct pull {
	struct images *h;
	struct reg *reg;
	struct nd_error *err;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool failed;          /* stop everything */
	struct layer *L;
	size_t n;
};

static bool pull_stop(struct pull *P)
{
	return P->failed || reg_cancelled(P->reg);
}

/* ---- the unpack side -------------------------------------------------------------- */

struct reader {
	struct layer *l;
	int fd;
	int64_t pos;
	char buf[1 << 20];
};

static ssize_t reader_read(struct archive *a, void *ud, const void **out)
{
	struct reader *R = ud;
	struct layer *l = R->l;
	struct pull *P = l->P;
	pthread_mutex_lock(&P->mu);
	while (R->pos >= l->have && !l->dl_done && !l->dl_failed && !pull_stop(P))
		pthread_cond_wait(&P->cond, &P->mu);
	int64_t avail = l->have - R->pos;
	bool failed = l->dl_failed || (pull_stop(P) && !l->dl_done);
	pthread_mutex_unlock(&P->mu);
	if (avail <= 0) {
		if (failed) {
			archive_set_error(a, ECANCELED, "download failed");
			return -1;
		}
		return 0;
	}
	size_t want = avail > (int64_t)sizeof(R->buf) ? sizeof(R->buf) : (size_t)avail;
	ssize_t n = pread(R->fd, R->buf, want, R->pos);
	if (n <= 0) {
		archive_set_error(a, n < 0 ? errno : EIO, "read %s", l->path);
		return -1;
	}
	R->pos += n;
	*out = R->buf;
	return n;
}

static void *unpack_thread(void *arg)
{
	struct layer *l = arg;
	struct pull *P = l->P;
	struct reader *R = calloc(1, sizeof(*R));
	_cleanup_close_ int dfd = -1;
	char diff[4096];
	int rc;
	if (!R) {
		rc = nd_error_set(&l->err, -ENOMEM, "out of memory");
		goto out;
	}
	R->l = l;
	R->fd = l->rfd;
	l->rfd = -1;
	if ((rc = images__tmpdir(P->h, "pull", &l->stage, &l->err)) < 0)
		goto out;
	snprintf(diff, sizeof(diff), "%s/diff", l->stage);
	if (mkdir(diff, 0755) < 0 || (dfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = nd_error_set(&l->err, -errno, "mkdir %s: %s", diff, strerror(errno));
		goto out;
	}
	rc = images__unpack_stream(dfd, reader_read, R, l->sid, &l->res, &l->err);
	if (rc == 0 && strcmp(l->res.diff_id, l->diff_id))
		rc = nd_error_set(&l->err, -EBADMSG, "layer %s: diff_id mismatch: the config says %s, the content has %s",
				  l->digest, l->diff_id, l->res.diff_id);
out:
	if (R && R->fd >= 0)
		close(R->fd);
	else if (l->rfd >= 0)
		close(TAKE_FD(l->rfd));
	free(R);
	pthread_mutex_lock(&P->mu);
	l->rc = rc;
	if (rc < 0 && !l->dl_failed && !P->failed && !reg_cancelled(P->reg)) {
		P->failed = true;   /* a bad layer stops the whole pull */
		pthread_cond_broadcast(&P->cond);
	}
	pthread_mutex_unlock(&P->mu);
	if (rc == 0)
		reg_progress(P->reg, l->sid, "Pull complete", 0, 0);
	return NULL;
}

static int unpack_start(struct layer *l)
{
	if (l->th_started)
		return 0;
	/* the file the download writes, not its name: once verified, the
	 * partial file may move into the blob store (another pull's commit) */
	l->rfd = l->wfd >= 0 ? fcntl(l->wfd, F_DUPFD_CLOEXEC, 0) : open(l->path, O_RDONLY | O_CLOEXEC);
	if (l->rfd < 0)
		return nd_error_set(l->P->err, -errno, "open %s: %s", l->path, strerror(errno));
	int r = pthread_create(&l->th, NULL, unpack_thread, l);
	if (r) {
		close(TAKE_FD(l->rfd));
		return nd_error_set(l->P->err, -r, "start unpack thread: %s", strerror(r));
	}
	l->th_started = true;
	return 0;
}

/* ---- the download side ------------------------------------------------------------- */

static void layer_fail(struct layer *l, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void layer_fail(struct layer *l, int code, const char *fmt, ...)
{
	struct pull *P = l->P;
	char msg[ND_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&P->mu);
	if (!P->failed)
		nd_error_set(P->err, code, "layer %s: %s", l->digest, msg);
	P->failed = true;
	l->dl_failed = true;
	pthread_cond_broadcast(&P->cond);
	pthread_mutex_unlock(&P->mu);
}

static size_t dl_write(char *p, size_t size, size_t nm, void *ud)
{
	struct layer *l = ud;
	struct pull *P = l->P;
	size_t len = size * nm;
	if (!l->status_known) {
		curl_easy_getinfo(l->easy, CURLINFO_RESPONSE_CODE, &l->status);
		l->status_known = true;
		if (l->status == 200 && l->have > 0)
			l->skip = l->have;   /* the registry ignored Range: drop what we have */
	}
	if (l->status != 200 && l->status != 206) {
		if (l->ebody.len < 8192)
			wire_buf_append(&l->ebody, p, len);
		return len;
	}
	if (pull_stop(P))
		return 0;
	const char *d = p;
	size_t n = len;
	if (l->skip) {
		size_t s = (int64_t)n < l->skip ? n : (size_t)l->skip;
		d += s;
		n -= s;
		l->skip -= (int64_t)s;
	}
	if (n == 0)
		return len;
	if (l->have + (int64_t)n > l->size) {
		l->errbuf[0] = '\0';
		snprintf(l->errbuf, sizeof(l->errbuf), "larger than the %lld bytes its descriptor says", (long long)l->size);
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = pwrite(l->wfd, d + off, n - off, l->have + (int64_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(l->errbuf, sizeof(l->errbuf), "write %s: %s", l->path, strerror(errno));
			return 0;
		}
		off += (size_t)w;
	}
	EVP_DigestUpdate(l->md, d, n);
	pthread_mutex_lock(&P->mu);
	l->have += (int64_t)n;
	l->fetched += (int64_t)n;
	pthread_cond_broadcast(&P->cond);
	pthread_mutex_unlock(&P->mu);
	uint64_t now = nd_now_ns();
	if (now - l->last_progress >= PROGRESS_NS) {
		l->last_progress = now;
		reg_progress(P->reg, l->sid, "Downloading", l->have, l->size);
	}
	return len;
}

static size_t dl_header(char *p, size_t size, size_t nm, void *ud)
{
	struct layer *l = ud;
	size_t len = size * nm;
	if (len > 17 && !strncasecmp(p, "WWW-Authenticate:", 17)) {
		const char *v = p + 17;
		while (*v == ' ')
			v++;
		size_t vl = len - (size_t)(v - p);
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		free(l->www_auth);
		l->www_auth = strndup(v, vl);
	} else if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		l->status_known = false;
	}
	return len;
}

static int transfer_start(struct layer *l, CURLM *multi)
{
	struct pull *P = l->P;
	char url[4096], range[64];
	if (reg_url(P->reg, url, sizeof(url), "/blobs/%s", l->digest) < 0)
		return nd_error_set(P->err, -ENAMETOOLONG, "URL too long");
	_cleanup_free_ char *auth = NULL;
	int rc = reg_auth_header(P->reg, &auth, P->err);
	if (rc < 0)
		return rc;
	if (!l->easy && !(l->easy = curl_easy_init()))
		return nd_error_set(P->err, -ENOMEM, "cannot initialise libcurl");
	curl_easy_reset(l->easy);
	reg_easy_setup(P->reg, l->easy);
	curl_slist_free_all(l->hdrs);
	l->hdrs = NULL;
	if (auth)
		l->hdrs = curl_slist_append(l->hdrs, auth);
	if (l->have > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%lld-", (long long)l->have);
		l->hdrs = curl_slist_append(l->hdrs, range);
	}
	l->errbuf[0] = '\0';
	l->status = 0;
	l->status_known = false;
	l->skip = 0;
	wire_buf_free(&l->ebody);
	free(TAKE_PTR(l->www_auth));
	curl_easy_setopt(l->easy, CURLOPT_URL, url);
	curl_easy_setopt(l->easy, CURLOPT_HTTPHEADER, l->hdrs);
	curl_easy_setopt(l->easy, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(l->easy, CURLOPT_WRITEDATA, l);
	curl_easy_setopt(l->easy, CURLOPT_HEADERFUNCTION, dl_header);
	curl_easy_setopt(l->easy, CURLOPT_HEADERDATA, l);
	curl_easy_setopt(l->easy, CURLOPT_ERRORBUFFER, l->errbuf);
	curl_easy_setopt(l->easy, CURLOPT_PRIVATE, l);
	curl_easy_setopt(l->easy, CURLOPT_BUFFERSIZE, 512L * 1024L);
	if (curl_multi_add_handle(multi, l->easy) != CURLM_OK)
		return nd_error_set(P->err, -EIO, "curl: cannot add a transfer");
	l->active = true;
	return 0;
}

static void dl_verify(struct layer *l)
{
	char got[IMAGES_DIGEST_LEN + 1];
	images__sha256_final(l->md, got);
	if (strcmp(got, l->digest)) {
		unlink(l->path);   /* never resume from bytes that do not match */
		layer_fail(l, -EBADMSG, "digest mismatch: the registry sent content hashing to %s", got);
		return;
	}
	struct pull *P = l->P;
	/* verified: its lock is let go now, not when this pull commits, so a
	 * concurrent pull that waits for it takes the complete file (holding
	 * it to the commit deadlocked two pulls that each held one blob the
	 * other needed). The file stays in partial/ until the commit, so a
	 * pull that fails or is killed leaves it to resume from. */
	if (l->lockfd >= 0)
		close(TAKE_FD(l->lockfd));
	reg_progress(P->reg, l->sid, "Verifying Checksum", 0, 0);
	reg_progress(P->reg, l->sid, "Download complete", 0, 0);
	pthread_mutex_lock(&P->mu);
	l->dl_done = true;
	pthread_cond_broadcast(&P->cond);
	pthread_mutex_unlock(&P->mu);
}

/* A transfer ended: done, retry later, answer a challenge, or fail. */
static void transfer_done(struct layer *l, CURLM *multi, CURLcode cc)
{
	struct pull *P = l->P;
	curl_multi_remove_handle(multi, l->easy);
	l->active = false;
	if (pull_stop(P))   /* failed elsewhere, or cancelled: download_all says which */
		return;
	if (!l->status)
		curl_easy_getinfo(l->easy, CURLINFO_RESPONSE_CODE, &l->status);
	bool ok_status = l->status == 200 || l->status == 206;
	if (cc == CURLE_OK && ok_status && l->have == l->size) {
		dl_verify(l);
		return;
	}
	if (cc == CURLE_WRITE_ERROR && l->errbuf[0] && ok_status) {
		if (strstr(l->errbuf, "larger than"))
			unlink(l->path);
		layer_fail(l, strstr(l->errbuf, "larger than") ? -EBADMSG : -EIO, "%s", l->errbuf);
		return;
	}
	if (cc == CURLE_OK && l->status == 401 && l->challenges < 2) {
		l->challenges++;
		pthread_mutex_lock(&P->reg->mu);
		free(TAKE_PTR(P->reg->token));
		pthread_mutex_unlock(&P->reg->mu);
		struct nd_error e;
		if (reg_challenge(P->reg, l->www_auth, &e) < 0) {
			layer_fail(l, e.code, "%s", e.msg);
			return;
		}
		l->retry_at = nd_now_ns();
		return;
	}
	bool retry = cc != CURLE_OK || l->status >= 500 || l->status == 429 || (ok_status && l->have < l->size);
	if (retry && ++l->attempts < reg_max_attempts(P->reg)) {
		unsigned base = P->reg->o && P->reg->o->backoff_ms ? P->reg->o->backoff_ms : 500;
		uint64_t ms = (uint64_t)base << (l->attempts - 1 < 6 ? l->attempts - 1 : 6);
		log_debug("images: blob %s: %s at %lld/%lld bytes, retry %u in %llums", l->digest,
			  cc != CURLE_OK ? (l->errbuf[0] ? l->errbuf : curl_easy_strerror(cc)) : "HTTP error",
			  (long long)l->have, (long long)l->size, l->attempts, (unsigned long long)ms);
		reg_progress(P->reg, l->sid, "Retrying", l->have, l->size);
		l->retry_at = nd_now_ns() + ms * 1000000ull;
		return;
	}
	if (cc != CURLE_OK) {
		struct nd_error e;
		reg_curl_error(P->reg, cc, l->errbuf, "download", &e);
		layer_fail(l, e.code, "%s", e.msg);
		return;
	}
	if (ok_status) {
		layer_fail(l, -EIO, "the registry ended the blob at %lld of %lld bytes", (long long)l->have, (long long)l->size);
		return;
	}
	struct reg_req q;
	reg_req_init(&q, "GET");
	q.status = l->status;
	q.resp = l->ebody;
	char msg[512];
	reg_error_text(&q, msg, sizeof(msg));
	layer_fail(l, l->status == 404 ? -ENOENT : l->status == 401 ? -EKEYREJECTED : l->status == 403 ? -EACCES : -EIO,
		   "%s", msg);
}

/* Opens (creating) the partial file and hashes what an earlier pull left. */
static int partial_open(struct layer *l)
{
	struct pull *P = l->P;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/partial", P->h->root);
	int r = nd_mkdir_p(dir, 0700);
	if (r < 0)
		return nd_error_set(P->err, r, "mkdir %s: %s", dir, strerror(-r));
	snprintf(l->path, sizeof(l->path), "%s/%s", dir, images__hex(l->digest));
	/* one pull of a blob at a time: another pull that has it busy is waited
	 * for without blocking (the caller tries again), then found done */
	char lock[4200];
	snprintf(lock, sizeof(lock), "%s.lock", l->path);
	if (l->lockfd < 0 && (l->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return nd_error_set(P->err, -errno, "lock %s: %s", lock, strerror(errno));
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;
		return nd_error_set(P->err, -errno, "lock %s: %s", lock, strerror(errno));
	}
	if (images__blob_exists(P->h, l->digest)) { /* the other pull finished it */
		close(TAKE_FD(l->lockfd));
		images__blob_path(P->h, l->digest, l->path, sizeof(l->path));
		l->kind = L_LOCAL;
		l->have = l->size;
		l->dl_done = true;
		return 0;
	}
	l->wfd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->wfd < 0)
		return nd_error_set(P->err, -errno, "open %s: %s", l->path, strerror(errno));
	if (!(l->md = images__sha256_new()))
		return nd_error_set(P->err, -ENOMEM, "out of memory");
	struct stat st;
	if (fstat(l->wfd, &st) < 0)
		return nd_error_set(P->err, -errno, "stat %s: %s", l->path, strerror(errno));
	int64_t have = st.st_size > l->size ? 0 : st.st_size;
	if (st.st_size > l->size && ftruncate(l->wfd, 0) < 0)
		return nd_error_set(P->err, -errno, "truncate %s: %s", l->path, strerror(errno));
	_cleanup_free_ char *buf = malloc(1 << 20);
	if (!buf)
		return nd_error_set(P->err, -ENOMEM, "out of memory");
	for (int64_t off = 0; off < have;) {
		ssize_t n = pread(l->wfd, buf, 1 << 20, off);
		if (n <= 0) {
			have = off;
			break;
		}
		EVP_DigestUpdate(l->md, buf, (size_t)n);
		off += n;
	}
	l->have = l->resumed_at = have;
	if (have > 0)
		log_info("images: blob %s: resuming at %lld of %lld bytes", l->digest, (long long)have, (long long)l->size);
	return 0;
}

static int download_all(struct pull *P, unsigned max)
{
	CURLM *multi = curl_multi_init();
	if (!multi)
		return nd_error_set(P->err, -ENOMEM, "cannot initialise libcurl");
	int rc = 0;
	for (;;) {
		if (pull_stop(P))
			break;
		/* (re)start transfers: retries whose time came, then new ones */
		size_t active = 0, pending = 0;
		uint64_t now = nd_now_ns(), next_retry = 0;
		for (size_t i = 0; i < P->n; i++) {
			struct layer *l = &P->L[i];
			if (l->kind != L_DOWNLOAD || l->dl_done || l->dl_failed)
				continue;
			pending++;
			if (l->active)
				active++;
		}
		if (pending == 0)
			break;
		for (size_t i = 0; i < P->n && active < max; i++) {
			struct layer *l = &P->L[i];
			if (l->kind != L_DOWNLOAD || l->dl_done || l->dl_failed || l->active)
				continue;
			if (l->queued && l->retry_at > now) {
				if (!next_retry || l->retry_at < next_retry)
					next_retry = l->retry_at;
				continue;
			}
			if (!l->queued) {
				if (l->retry_at > now) {
					if (!next_retry || l->retry_at < next_retry)
						next_retry = l->retry_at;
					continue;
				}
				if ((rc = partial_open(l)) < 0)
					goto out;
				if (rc == 1) { /* another pull has this blob: look again soon */
					rc = 0;
					l->retry_at = now + 200 * 1000000ull;
					if (!next_retry || l->retry_at < next_retry)
						next_retry = l->retry_at;
					continue;
				}
				l->queued = true;
				if (l->kind == L_LOCAL) {
					if ((rc = unpack_start(l)) < 0)
						goto out;
					continue;
				}
				if (l->have == l->size) { /* all there from an earlier pull */
					if ((rc = unpack_start(l)) < 0)
						goto out;
					dl_verify(l);
					continue;
				}
			}
			if ((rc = transfer_start(l, multi)) < 0)
				goto out;
			if ((rc = unpack_start(l)) < 0)
				goto out;
			active++;
		}
		int running = 0;
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct layer *l = NULL;
			CURLcode cc = m->data.result;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&l);
			transfer_done(l, multi, cc);
		}
		int timeout = 100;
		if (next_retry) {
			uint64_t wait = next_retry > now ? (next_retry - now) / 1000000 : 0;
			if (wait < (uint64_t)timeout)
				timeout = (int)wait;
		}
		curl_multi_poll(multi, NULL, 0, timeout, NULL);
	}
out:
	for (size_t i = 0; i < P->n; i++) {
		struct layer *l = &P->L[i];
		if (l->active)
			curl_multi_remove_handle(multi, l->easy);
		l->active = false;
	}
	curl_multi_cleanup(multi);
	if (rc < 0 || pull_stop(P)) {
		pthread_mutex_lock(&P->mu);
		P->failed = true;
		pthread_cond_broadcast(&P->cond);
		pthread_mutex_unlock(&P->mu);
	}
	if (rc == 0 && reg_cancelled(P->reg) && !P->err->code)
		rc = nd_error_set(P->err, -ECANCELED, "pull cancelled");
	return rc;
}

void images__partial_prune(struct images *h, struct images_prune_report *rep)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/partial", h->root);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 && rep)
			rep->space_reclaimed += (uint64_t)st.st_size;
	}
	closedir(d);
}

/* ---- manifests ------------------------------------------------------------------------ */

static bool is_index(const char *mt) { return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)); }
static bool is_manifest(const char *mt) { return mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST)); }

/* GET a manifest by tag or digest; *mt gets its media type. */
static int get_manifest(struct reg *r, const char *ref, const char *want_digest, char **body, size_t *len,
			char *mt, size_t mtsize, char digest[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	struct reg_req q;
	_cleanup_json_ json_t *j = NULL;
	reg_req_init(&q, "GET");
	q.accept = ACCEPT_MANIFESTS;
	q.max_resp = REG_MANIFEST_MAX;
	int rc;
	if ((rc = reg_url(r, q.url, sizeof(q.url), "/manifests/%s", ref)) < 0) {
		rc = nd_error_set(err, rc, "URL too long");
		goto out;
	}
	if ((rc = reg_do(r, &q, err)) < 0) {
		if (rc == -EFBIG)
			rc = nd_error_set(err, -EFBIG, "manifest %s of %s/%s is larger than %u bytes: refused", ref, r->host,
					  r->repo, REG_MANIFEST_MAX);
		else if (rc == -ENOENT)
			rc = nd_error_set(err, -ENOENT, "manifest for %s/%s:%s not found: %s", r->host, r->repo, ref, err->msg);
		goto out;
	}
	if (q.status != 200) {
		rc = nd_error_set(err, -EIO, "manifest %s: HTTP %ld", ref, q.status);
		goto out;
	}
	images_digest_buf(q.resp.data ? q.resp.data : "", q.resp.len, digest);
	if (want_digest && strcmp(digest, want_digest)) {
		rc = nd_error_set(err, -EBADMSG, "manifest %s: digest mismatch: the registry sent content hashing to %s",
				  want_digest, digest);
		goto out;
	}
	if (q.docker_digest && nd_str_has_prefix(q.docker_digest, "sha256:") && strcmp(q.docker_digest, digest)) {
		rc = nd_error_set(err, -EBADMSG, "manifest %s: digest mismatch: Docker-Content-Digest says %s, the content hashes to %s",
				  ref, q.docker_digest, digest);
		goto out;
	}
	struct nd_error je;
	j = nd_json_parse(q.resp.data ? q.resp.data : "", q.resp.len, &je);
	if (!j || !json_is_object(j)) {
		rc = nd_error_set(err, -EINVAL, "manifest %s: not a JSON object", ref);
		goto out;
	}
	const char *m = nd_json_str(j, "mediaType");
	if (!m && q.content_type_resp)
		m = q.content_type_resp;
	if (!m)
		m = json_object_get(j, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	if (json_integer_value(json_object_get(j, "schemaVersion")) == 1 || strstr(m, "v1+prettyjws"))
		rc = nd_error_set(err, -ENOTSUP, "manifest %s: Docker schema 1 manifests are not supported", ref);
	else if (!is_index(m) && !is_manifest(m))
		rc = nd_error_set(err, -ENOTSUP, "manifest %s: unsupported media type \"%s\"", ref, m);
	if (rc < 0)
		goto out;
	snprintf(mt, mtsize, "%s", m);
	*len = q.resp.len;
	*body = TAKE_PTR(q.resp.data);
	q.resp.len = 0;
out:
	reg_req_clear(&q);
	return rc;
}

static int pick_platform(json_t *index, char out[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	const char *arch = images__host_arch();
	json_t *ms = json_object_get(index, "manifests"), *d;
	size_t i;
	struct wire_buf avail = { 0 };
	json_array_foreach(ms, i, d) {
		json_t *pl = json_object_get(d, "platform");
		const char *os = nd_json_str(pl, "os"), *a = nd_json_str(pl, "architecture");
		const char *dg = nd_json_str(d, "digest"), *mt = nd_json_str(d, "mediaType");
		if (os && a && strcmp(a, "unknown"))
			wire_buf_printf(&avail, "%s%s/%s", avail.len ? ", " : "", os, a);
		if (os && !strcmp(os, "linux") && a && !strcmp(a, arch) && images_digest_valid(dg) && (!mt || is_manifest(mt))) {
			snprintf(out, IMAGES_DIGEST_LEN + 1, "%s", dg);
			wire_buf_free(&avail);
			return 0;
		}
	}
	int rc = nd_error_set(err, -ENOENT, "no matching manifest for linux/%s in the image index (it has: %s)", arch,
			      avail.len ? avail.data : "none");
	wire_buf_free(&avail);
	return rc;
}

static int get_blob_small(struct reg *r, const char *digest, int64_t size, char **body, size_t *len, struct nd_error *err)
{
	if (size < 0 || size > (int64_t)REG_CONFIG_MAX)
		return nd_error_set(err, -EFBIG, "config %s: size %lld is out of range", digest, (long long)size);
	struct reg_req q;
	reg_req_init(&q, "GET");
	q.max_resp = REG_CONFIG_MAX;
	int rc = reg_url(r, q.url, sizeof(q.url), "/blobs/%s", digest);
	if (rc == 0)
		rc = reg_do(r, &q, err);
	if (rc == 0) {
		char got[IMAGES_DIGEST_LEN + 1];
		images_digest_buf(q.resp.data ? q.resp.data : "", q.resp.len, got);
		if (strcmp(got, digest))
			rc = nd_error_set(err, -EBADMSG, "blob %s: digest mismatch: the registry sent content hashing to %s",
					  digest, got);
		else if (size && (int64_t)q.resp.len != size)
			rc = nd_error_set(err, -EBADMSG, "blob %s: %zu bytes, the manifest says %lld", digest, q.resp.len,
					  (long long)size);
	}
	if (rc == 0) {
		*len = q.resp.len;
		*body = TAKE_PTR(q.resp.data);
		q.resp.len = 0;
	}
	reg_req_clear(&q);
	return rc;
}

/* ---- the pull ---------------------------------------------------------------------- */

static void layers_free(struct pull *P)
{
	for (size_t i = 0; i < P->n; i++) {
		struct layer *l = &P->L[i];
		if (l->easy)
			curl_easy_cleanup(l->easy);
		curl_slist_free_all(l->hdrs);
		wire_buf_free(&l->ebody);
		free(l->www_auth);
		if (l->md)
			EVP_MD_CTX_free(l->md);
		if (l->wfd >= 0)
			close(l->wfd);
		if (l->lockfd >= 0)
			close(l->lockfd);
		if (l->rfd >= 0)
			close(l->rfd);
		if (l->stage) {
			images__rm_rf(l->stage);
			free(l->stage);
		}
	}
	free(P->L);
}

static int pull_layers(struct pull *P, json_t *man, json_t *cfg)
{
	json_t *layers = json_object_get(man, "layers");
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(layers) || !json_is_array(diffs) || json_array_size(layers) != json_array_size(diffs))
		return nd_error_set(P->err, -EINVAL, "manifest layers do not match the config's rootfs.diff_ids");
	P->n = json_array_size(layers);
	P->L = calloc(P->n ? P->n : 1, sizeof(*P->L));
	if (!P->L)
		return nd_error_set(P->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < P->n; i++)   /* layers_free may see any of them */
		P->L[i].wfd = P->L[i].lockfd = P->L[i].rfd = -1;
	const char *parent = "";
	for (size_t i = 0; i < P->n; i++) {
		struct layer *l = &P->L[i];
		json_t *d = json_array_get(layers, i);
		const char *dg = nd_json_str(d, "digest"), *mt = nd_json_str(d, "mediaType");
		const char *did = json_string_value(json_array_get(diffs, i));
		l->P = P;
		l->idx = i;
		if (!images_digest_valid(dg) || !images_digest_valid(did))
			return nd_error_set(P->err, -EINVAL, "layer %zu: invalid digest", i);
		if (!mt || (!nd_str_has_prefix(mt, "application/vnd.oci.image.layer.") &&
			    !nd_str_has_prefix(mt, "application/vnd.docker.image.rootfs.")) || strstr(mt, "+encrypted"))
			return nd_error_set(P->err, -ENOTSUP, "layer %s: unsupported media type \"%s\"", dg, mt ? mt : "");
		snprintf(l->digest, sizeof(l->digest), "%s", dg);
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", did);
		snprintf(l->sid, sizeof(l->sid), "%.12s", images__hex(dg));
		snprintf(l->parent, sizeof(l->parent), "%s", parent);
		images__chain_id(parent, did, l->chain);
		parent = l->chain;
		l->size = json_integer_value(json_object_get(d, "size"));
		if (l->size <= 0)
			return nd_error_set(P->err, -EINVAL, "layer %s: invalid size", dg);
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(P->L[k].chain, l->chain);
		if (images__layer_exists(P->h, l->chain) || dup) {
			l->kind = L_EXISTS;
			reg_progress(P->reg, l->sid, "Already exists", 0, 0);
		} else if (images__blob_exists(P->h, dg)) {
			l->kind = L_LOCAL;
			images__blob_path(P->h, dg, l->path, sizeof(l->path));
			l->have = l->size;
			l->dl_done = true;
			reg_progress(P->reg, l->sid, "Pulling fs layer", 0, 0);
		} else {
			l->kind = L_DOWNLOAD;
			reg_progress(P->reg, l->sid, "Pulling fs layer", 0, 0);
		}
	}
	for (size_t i = 0; i < P->n; i++)
		if (P->L[i].kind == L_DOWNLOAD && i >= (P->reg->o && P->reg->o->max_downloads ? P->reg->o->max_downloads : 3))
			reg_progress(P->reg, P->L[i].sid, "Waiting", 0, 0);
	int rc = 0;
	for (size_t i = 0; i < P->n && rc == 0; i++)
		if (P->L[i].kind == L_LOCAL)
			rc = unpack_start(&P->L[i]);
	unsigned max = P->reg->o && P->reg->o->max_downloads ? P->reg->o->max_downloads : 3;
	if (rc == 0)
		rc = download_all(P, max);
	/* every unpacker ends: on success when its bytes run out, else woken by failed */
	if (rc < 0) {
		pthread_mutex_lock(&P->mu);
		P->failed = true;
		pthread_cond_broadcast(&P->cond);
		pthread_mutex_unlock(&P->mu);
	}
	for (size_t i = 0; i < P->n; i++)
		if (P->L[i].th_started)
			pthread_join(P->L[i].th, NULL);
	if (rc < 0 || P->failed) {
		if (rc == 0 && !P->err->code) {
			for (size_t i = 0; i < P->n; i++)
				if (P->L[i].rc < 0) {
					*P->err = P->L[i].err;
					break;
				}
		}
		if (!P->err->code)
			nd_error_set(P->err, reg_cancelled(P->reg) ? -ECANCELED : -EIO, "pull %s", reg_cancelled(P->reg) ? "cancelled" : "failed");
		/* a layer whose own error came first is the better message */
		for (size_t i = 0; i < P->n && !reg_cancelled(P->reg); i++)
			if (P->L[i].rc < 0 && P->L[i].rc != -ECANCELED && P->err->code == -ECANCELED)
				*P->err = P->L[i].err;
		return P->err->code;
	}
	return 0;
}

static int commit(struct pull *P, const char *mdigest, const char *mbody, size_t mlen, const char *idigest,
		  const char *ibody, size_t ilen, const char *cbody, size_t clen, const char *tag,
		  char id[IMAGES_DIGEST_LEN + 1])
{
	struct images *h = P->h;
	char dg[IMAGES_DIGEST_LEN + 1];
	int rc;
	if ((rc = images__blob_put(h, mbody, mlen, dg, P->err)) < 0 || (rc = images__blob_put(h, cbody, clen, dg, P->err)) < 0)
		return rc;
	if (ibody && (rc = images__blob_put(h, ibody, ilen, dg, P->err)) < 0)
		return rc;
	(void)idigest;
	/* a concurrent pull of the same blob may have stored it first: then
	 * the partial file just goes (readers have their own descriptors) */
	for (size_t i = 0; i < P->n; i++) {
		struct layer *l = &P->L[i];
		if (l->kind == L_DOWNLOAD && (rc = images__blob_adopt(h, l->path, l->digest, P->err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < P->n; i++) {
		struct layer *l = &P->L[i];
		if (l->kind == L_EXISTS)
			continue;
		rc = images__layer_commit(h, l->stage, l->chain, l->parent, l->diff_id, l->res.size, P->err);
		if (rc < 0)
			return rc;
		free(TAKE_PTR(l->stage));
	}
	struct images__image *img;
	if ((rc = images__image_build(h, mdigest, &img, P->err)) < 0)
		return rc;
	memcpy(id, img->id, IMAGES_DIGEST_LEN + 1);
	const char *tags[1] = { tag };
	if ((rc = images__register(h, img, tags, tag ? 1 : 0, P->err)) < 0) {
		images__image_free(img);
		return rc;
	}
	return 0;
}

int images_pull(struct images *h, const char *name, const struct images_registry_opts *o,
		char id[IMAGES_DIGEST_LEN + 1], char digest[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	struct images_ref ref;
	int rc = images_ref_parse(name, &ref, err);
	if (rc < 0)
		return rc;
	if (!ref.tag[0] && !ref.digest[0])
		snprintf(ref.tag, sizeof(ref.tag), "latest");
	char full[IMAGES_REF_MAX];
	images_ref_format(&ref, full, sizeof(full));
	struct reg reg;
	struct pull P = { .h = h, .reg = &reg, .err = err };
	pthread_mutex_init(&P.mu, NULL);
	pthread_cond_init(&P.cond, NULL);
	_cleanup_free_ char *ibody = NULL, *mbody = NULL, *cbody = NULL;
	size_t ilen = 0, mlen = 0, clen = 0;
	char mt[128], mdigest[IMAGES_DIGEST_LEN + 1], idigest[IMAGES_DIGEST_LEN + 1] = "";
	_cleanup_json_ json_t *man = NULL, *cfg = NULL, *ij = NULL;
	struct nd_error je;
	struct images_registry_opts direct;
	pthread_rwlock_rdlock(&h->gc);
	if ((rc = reg_open(&reg, &ref, "pull", o, err)) < 0)
		goto out;
	const char *what = ref.digest[0] ? ref.digest : ref.tag;
	rc = get_manifest(&reg, what, ref.digest[0] ? ref.digest : NULL, &mbody, &mlen, mt, sizeof(mt), mdigest, err);
	if (rc < 0 && reg.mirror && rc != -EBADMSG && rc != -EFBIG && rc != -ECANCELED) {
		/* the mirror cannot serve it: docker.io itself, as Docker falls back */
		log_info("images: mirror %s: %s; trying docker.io", reg.endpoint, err->msg);
		direct = *o;
		direct.mirrors = NULL;
		reg_close(&reg);
		nd_error_clear(err);
		if ((rc = reg_open(&reg, &ref, "pull", &direct, err)) == 0)
			rc = get_manifest(&reg, what, ref.digest[0] ? ref.digest : NULL, &mbody, &mlen, mt, sizeof(mt), mdigest, err);
	}
	if (rc < 0)
		goto out;
	if (is_index(mt)) {
		memcpy(idigest, mdigest, sizeof(idigest));
		ibody = TAKE_PTR(mbody);
		ilen = mlen;
		ij = nd_json_parse(ibody, ilen, &je);
		char pick[IMAGES_DIGEST_LEN + 1];
		if ((rc = pick_platform(ij, pick, err)) < 0)
			goto out;
		if ((rc = get_manifest(&reg, pick, pick, &mbody, &mlen, mt, sizeof(mt), mdigest, err)) < 0)
			goto out;
		if (!is_manifest(mt)) {
			rc = nd_error_set(err, -ENOTSUP, "index %s: entry %s is not an image manifest", idigest, pick);
			goto out;
		}
	}
	reg_progress(&reg, ref.tag[0] ? ref.tag : ref.digest, "Pulling from", 0, 0);
	man = nd_json_parse(mbody, mlen, &je);
	json_t *cd = json_object_get(man, "config");
	const char *cdg = nd_json_str(cd, "digest"), *cmt = nd_json_str(cd, "mediaType");
	if (!images_digest_valid(cdg)) {
		rc = nd_error_set(err, -EINVAL, "manifest %s: missing or invalid config digest", mdigest);
		goto out;
	}
	if (cmt && strcmp(cmt, MT_OCI_CONFIG) && strcmp(cmt, MT_DOCKER_CONFIG)) {
		rc = nd_error_set(err, -ENOTSUP, "manifest %s: unsupported config media type \"%s\" (not a container image?)", mdigest, cmt);
		goto out;
	}
	/* a config already in the store was verified when it came */
	if (images__blob_exists(h, cdg) ? (rc = images__blob_read(h, cdg, &cbody, &clen, err)) < 0
	    : (rc = get_blob_small(&reg, cdg, json_integer_value(json_object_get(cd, "size")), &cbody, &clen, err)) < 0)
		goto out;
	cfg = nd_json_parse(cbody, clen, &je);
	if (!cfg) {
		rc = nd_error_set(err, -EINVAL, "config %s: %s", cdg, je.msg);
		goto out;
	}
	/* already here, same manifest under the same name: up to date */
	char have_id[IMAGES_DIGEST_LEN + 1];
	struct nd_error e2;
	bool up_to_date = images_resolve(h, full, have_id, &e2) == 0 && !strcmp(have_id, cdg);
	if ((rc = pull_layers(&P, man, cfg)) < 0)
		goto out;
	if ((rc = commit(&P, mdigest, mbody, mlen, idigest, ibody, ilen, cbody, clen, ref.digest[0] ? NULL : full, id)) < 0)
		goto out;
	snprintf(digest, IMAGES_DIGEST_LEN + 1, "%s", idigest[0] ? idigest : mdigest);
	{
		const char *blobs[P.n + 2];
		size_t nb = 0;
		blobs[nb++] = cdg;
		for (size_t i = 0; i < P.n; i++)
			blobs[nb++] = P.L[i].digest;
		images__source_add(h, reg.host, reg.repo, blobs, nb);
	}
	int64_t fetched = 0, resumed = 0;
	for (size_t i = 0; i < P.n; i++) {
		fetched += P.L[i].fetched;
		resumed += P.L[i].resumed_at;
	}
	log_info("images: pulled %s id=%.19s digest=%s layers=%zu fetched=%lld resumed=%lld tokens=%u", full, id, digest,
		 P.n, (long long)fetched, (long long)resumed, reg.tokens_fetched);
	reg_progress(&reg, NULL, up_to_date ? "Image is up to date" : "Downloaded newer image", 0, 0);
out:
	layers_free(&P);
	pthread_mutex_destroy(&P.mu);
	pthread_cond_destroy(&P.cond);
	reg_close(&reg);
	pthread_rwlock_unlock(&h->gc);
	return rc;
}
