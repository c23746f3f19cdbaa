// SPDX-License-Identifier: Apache-2.0
/* images: overlay2 layer directories, one per chain ID.
 *
 *   overlay2/<chain-hex>/diff       the unpacked layer (overlay whiteouts)
 *   overlay2/<chain-hex>/link       its short name (26 chars)
 *   overlay2/<chain-hex>/lower      "l/<short>:l/<short>..." of its parents, nearest first
 *   overlay2/<chain-hex>/meta.json  {"diff_id", "parent", "size"}
 *   overlay2/l/<short> -> ../<chain-hex>/diff
 *
 * A layer is unpacked in tmp/ and renamed into place whole. */
#include "images/images-internal.h"

#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>

#define SHORT_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

void images__chain_id(const char *parent_chain, const char *diff_id, char out[IMAGES_DIGEST_LEN + 1])
{
	if (!parent_chain || !*parent_chain) {
		snprintf(out, IMAGES_DIGEST_LEN + 1, "%s", diff_id);
		return;
	}
	char buf[2 * IMAGES_DIGEST_LEN + 2];
	snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
	images_digest_buf(buf, strlen(buf), out);
}

static int layer_dir(struct images *h, const char *chain, const char *sub, char *buf, size_t size)
{
	return nd_snprintf(buf, size, "%s/%s%s%s", h->overlay, images__hex(chain), sub ? "/" : "", sub ? sub : "");
}

bool images__layer_exists(struct images *h, const char *chain)
{
	char p[4096];
	if (layer_dir(h, chain, "meta.json", p, sizeof(p)) < 0)
		return false;
	return access(p, F_OK) == 0;
}

int images__layer_diff_path(struct images *h, const char *chain, char *buf, size_t size)
{
	return layer_dir(h, chain, "diff", buf, size);
}

int64_t images__layer_size(struct images *h, const char *chain)
{
	char p[4096];
	_cleanup_free_ char *buf = NULL;
	if (layer_dir(h, chain, "meta.json", p, sizeof(p)) < 0 || images__read_file(p, &buf, NULL, 1 << 16) < 0)
		return 0;
	_cleanup_json_ json_t *j = json_loads(buf, 0, NULL);
	return json_integer_value(json_object_get(j, "size"));
}

static int read_small(struct images *h, const char *chain, const char *name, char **out)
{
	char p[4096];
	if (layer_dir(h, chain, name, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	int r = images__read_file(p, out, NULL, 1 << 20);
	if (r < 0)
		return r;
	(*out)[strcspn(*out, "\n")] = '\0';
	return 0;
}

int images__layer_lower(struct images *h, const char *chain, char **lower, struct nd_error *err)
{
	_cleanup_free_ char *link = NULL, *parents = NULL;
	int r = read_small(h, chain, "link", &link);
	if (r < 0)
		return nd_error_set(err, r, "layer %s: read link: %s", chain, strerror(-r));
	r = read_small(h, chain, "lower", &parents);
	if (r < 0 && r != -ENOENT)
		return nd_error_set(err, r, "layer %s: read lower: %s", chain, strerror(-r));
	if (asprintf(lower, "l/%s%s%s", link, parents && *parents ? ":" : "", parents ? parents : "") < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int images__layer_stage(struct images *h, const char *blob_path, const char *parent_chain, int tee_fd,
			char **stage_dir, struct images__unpack_result *res, struct nd_error *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	int r = images__tmpdir(h, "layer", &dir, err);
	if (r < 0)
		return r;
	char diff[4096];
	snprintf(diff, sizeof(diff), "%s/diff", dir);
	if (mkdir(diff, 0755) < 0) {
		r = nd_error_set(err, -errno, "mkdir %s: %s", diff, strerror(errno));
		goto err_rm;
	}
	fd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = nd_error_set(err, -errno, "open %s: %s", diff, strerror(errno));
		goto err_rm;
	}
	r = images__unpack(fd, blob_path, tee_fd, res, err);
	if (r < 0)
		goto err_rm;
	(void)parent_chain;
	*stage_dir = TAKE_PTR(dir);
	return 0;
err_rm:
	images__rm_rf(dir);
	return r;
}

int images__layer_commit(struct images *h, const char *stage_dir, const char *chain, const char *parent_chain,
			 const char *diff_id, int64_t size, struct nd_error *err)
{
	char dst[4096], p[4096];
	if (images__layer_exists(h, chain)) {
		images__rm_rf(stage_dir);
		return 0;
	}
	if (parent_chain && *parent_chain && !images__layer_exists(h, parent_chain))
		return nd_error_set(err, -ENOENT, "layer %s: parent layer %s missing", chain, parent_chain);
	char shortname[IMAGES__SHORT_LEN + 1];
	images__random_name(shortname, IMAGES__SHORT_LEN, SHORT_ALPHABET);
	/* link, lower, meta (meta.json last: its presence marks a complete layer) */
	snprintf(p, sizeof(p), "%s/link", stage_dir);
	int r = images__write_file_atomic(p, shortname, strlen(shortname));
	if (r < 0)
		return nd_error_set(err, r, "write %s: %s", p, strerror(-r));
	if (parent_chain && *parent_chain) {
		_cleanup_free_ char *lower = NULL;
		if ((r = images__layer_lower(h, parent_chain, &lower, err)) < 0)
			return r;
		snprintf(p, sizeof(p), "%s/lower", stage_dir);
		if ((r = images__write_file_atomic(p, lower, strlen(lower))) < 0)
			return nd_error_set(err, r, "write %s: %s", p, strerror(-r));
	}
	_cleanup_json_ json_t *meta = json_pack("{s:s, s:s, s:I}", "diff_id", diff_id, "parent",
						 parent_chain ? parent_chain : "", "size", (json_int_t)size);
	_cleanup_free_ char *mtxt = json_dumps(meta, JSON_COMPACT);
	snprintf(p, sizeof(p), "%s/meta.json", stage_dir);
	if (!mtxt || (r = images__write_file_atomic(p, mtxt, strlen(mtxt))) < 0)
		return nd_error_set(err, -EIO, "write %s", p);
	layer_dir(h, chain, NULL, dst, sizeof(dst));
	if (rename(stage_dir, dst) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) { /* lost a race: same content */
			images__rm_rf(stage_dir);
			return 0;
		}
		return nd_error_set(err, -errno, "rename %s -> %s: %s", stage_dir, dst, strerror(errno));
	}
	char target[256];
	snprintf(target, sizeof(target), "../%s/diff", images__hex(chain));
	snprintf(p, sizeof(p), "%s/l/%s", h->overlay, shortname);
	if (symlink(target, p) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "symlink %s: %s", p, strerror(errno));
	return 0;
}

/* After a crash between the rename and the symlink: recreate missing l/ links. */
int images__layers_repair(struct images *h)
{
	_cleanup_close_ int dfd = open(h->overlay, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(TAKE_FD(dfd));
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 64)
			continue;
		char chain[IMAGES_DIGEST_LEN + 1], p[4096], target[256];
		snprintf(chain, sizeof(chain), "sha256:%s", de->d_name);
		_cleanup_free_ char *link = NULL;
		if (!images__layer_exists(h, chain) || read_small(h, chain, "link", &link) < 0) {
			/* incomplete (no meta.json): never happens after rename, but be safe */
			layer_dir(h, chain, NULL, p, sizeof(p));
			images__rm_rf(p);
			continue;
		}
		snprintf(p, sizeof(p), "%s/l/%s", h->overlay, link);
		snprintf(target, sizeof(target), "../%s/diff", de->d_name);
		if (symlink(target, p) < 0 && errno != EEXIST)
			log_debug("images: repair link %s: %s", p, strerror(errno));
	}
	closedir(d);
	return 0;
}
