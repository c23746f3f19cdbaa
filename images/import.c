// SPDX-License-Identifier: Apache-2.0
/* images: `docker import` — a rootfs tar becomes a one-layer image. */
#include "images/images-internal.h"

#include <fcntl.h>

int images_import(struct images *h, const char *tar_path, const struct images_import_opts *opts,
		  char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	static const struct images_import_opts none;
	if (!opts)
		opts = &none;
	char norm[IMAGES_REF_MAX];
	int r;
	if (opts->ref && (r = images__normalize_tag(opts->ref, norm, sizeof(norm), err)) < 0)
		return r;
	_cleanup_free_ char *work = NULL, *stage = NULL;
	_cleanup_close_ int fd = -1;
	pthread_rwlock_rdlock(&h->gc);
	if ((r = images__tmpdir(h, "import", &work, err)) < 0)
		goto out;
	char blob[4096];
	snprintf(blob, sizeof(blob), "%s/layer.tar", work);
	fd = open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = nd_error_set(err, -errno, "create %s: %s", blob, strerror(errno));
		goto out;
	}
	struct images__unpack_result res;
	if ((r = images__layer_stage(h, tar_path, "", fd, &stage, &res, err)) < 0) {
		nd_error_wrap(err, "import %s", tar_path);
		goto out;
	}
	if (fsync(fd) < 0) {
		r = nd_error_set(err, -errno, "fsync: %s", strerror(errno));
		goto out;
	}
	/* the uncompressed tar is the blob: its digest is the diff ID */
	if ((r = images__blob_adopt(h, blob, res.diff_id, err)) < 0)
		goto out;
	if ((r = images__layer_commit(h, stage, res.diff_id, "", res.diff_id, res.size, err)) < 0)
		goto out;
	free(TAKE_PTR(stage));
	struct images__newlayer nl = { .media_type = MT_OCI_LAYER, .size = res.tar_size };
	memcpy(nl.digest, res.diff_id, sizeof(nl.digest));
	memcpy(nl.diff_id, res.diff_id, sizeof(nl.diff_id));
	char by[4200];
	snprintf(by, sizeof(by), "netd import %s", tar_path);
	r = images__create_image(h, NULL, NULL, &nl, by, opts->comment ? opts->comment : "Imported from tar",
				 NULL, opts->architecture, opts->os, opts->ref, id, err);
out:
	if (stage)
		images__rm_rf(stage);
	if (work)
		images__rm_rf(work);
	pthread_rwlock_unlock(&h->gc);
	return r;
}
