// SPDX-License-Identifier: Apache-2.0
/* images: internals shared by the files of the module (not public). */
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "images/images.h"

#define IMAGES__SHORT_LEN 26

/* OCI and Docker media types */
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZST "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct images__layer {
	char digest[IMAGES_DIGEST_LEN + 1];  /* blob digest (maybe compressed) */
	char media_type[128];
	int64_t size;                         /* blob size */
	char diff_id[IMAGES_DIGEST_LEN + 1];
	char chain[IMAGES_DIGEST_LEN + 1];
};

struct images__image {
	char id[IMAGES_DIGEST_LEN + 1];       /* config digest */
	char manifest[IMAGES_DIGEST_LEN + 1];
	char manifest_mt[128];
	int64_t manifest_size, config_size;
	size_t nlayers;
	struct images__layer *layers;
	char created[64];
	int64_t created_unix;
	int64_t size;                         /* sum of unpacked layer sizes */
	struct images__image *next;
};

struct images__driver;

struct images {
	char *root;
	char *blobs;      /* <root>/blobs/sha256 */
	char *overlay;    /* <root>/overlay2 */
	char *tmp;        /* <root>/tmp */
	char *containers; /* <root>/containers */
	const struct images__driver *drv;
	/* meta: in-memory state + images.json; gc: readers = everything that adds
	 * content, writer = whatever deletes files */
	pthread_mutex_t meta;
	pthread_rwlock_t gc;
	struct images__image *imgs;
	json_t *tags;     /* full ref -> image id */
};

/* storage driver vtable: how a container rootfs is made from layers */
struct images__driver {
	const char *name;
	int (*mount)(struct images *h, const struct images__image *img, const char *cdir, struct nd_error *err);
	int (*umount)(struct images *h, const char *cdir, struct nd_error *err);
	/* where a container's changes live, relative to cdir */
	const char *upper;
};
extern const struct images__driver images__driver_overlay2;
extern const struct images__driver images__driver_vfs;

/* digest.c */
void images__sha256_final(EVP_MD_CTX *ctx, char out[IMAGES_DIGEST_LEN + 1]);
EVP_MD_CTX *images__sha256_new(void);
static inline void images__evp_freep(EVP_MD_CTX **c) { if (*c) EVP_MD_CTX_free(*c); }
#define _cleanup_evp_ _cleanup_(images__evp_freep)
const char *images__hex(const char *digest); /* the part after "sha256:" */

/* path.c: safe path helpers */
/* Cleans an archive entry name into a relative path inside the root: leading
 * '/', "." and empty components dropped, ".." popped; -EINVAL when ".." would
 * climb above the root. "" means the root itself. */
int images__path_clean(const char *in, char *out, size_t size, struct nd_error *err);
enum images__wh { IMAGES_WH_NONE, IMAGES_WH_FILE, IMAGES_WH_OPAQUE, IMAGES_WH_META };
/* Classifies a base name: ".wh..wh..opq" opaque, ".wh..wh.*" aufs meta,
 * ".wh.NAME" a whiteout of NAME (*target points into base). */
enum images__wh images__whiteout_kind(const char *base, const char **target);
int images__whiteout_name(const char *name, char *out, size_t size);
/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) */
int images__open_in_root(int rootfd, const char *rel, int flags, mode_t mode);
int images__rm_rf_at(int dirfd, const char *name);
int images__rm_rf(const char *path);
int images__write_file_atomic(const char *path, const void *buf, size_t len);
int images__read_file(const char *path, char **buf, size_t *len, size_t max);
int images__random_name(char *out, size_t len, const char *alphabet);

/* unpack.c */
struct images__unpack_result {
	char diff_id[IMAGES_DIGEST_LEN + 1];
	int64_t size;      /* bytes of regular files */
	int64_t tar_size;  /* uncompressed tar bytes */
};
/* Unpacks a layer tar (plain/gzip/zstd/...) at src_path into the directory
 * destfd, whiteouts in overlay form. tee_fd >= 0 receives the uncompressed tar. */
int images__unpack(int destfd, const char *src_path, int tee_fd, struct images__unpack_result *res,
		   struct nd_error *err);
/* The same from a libarchive read callback (a blob still downloading). */
struct archive;
typedef ssize_t (*images__read_fn)(struct archive *a, void *ud, const void **buf);
int images__unpack_stream(int destfd, images__read_fn rd, void *ud, const char *what,
			  struct images__unpack_result *res, struct nd_error *err);

/* layer.c */
/* Stages the layer blob (already in blobs/ or at src) as chain `chain` with
 * parent `parent` ("" for the base). Result in *stage_dir (a dir under tmp/
 * to hand to images__layer_commit), or NULL when the chain already exists. */
void images__chain_id(const char *parent_chain, const char *diff_id, char out[IMAGES_DIGEST_LEN + 1]);
bool images__layer_exists(struct images *h, const char *chain);
int images__layer_stage(struct images *h, const char *blob_path, const char *parent_chain,
			int tee_fd, char **stage_dir, struct images__unpack_result *res,
			struct nd_error *err);
/* Moves a staged layer into overlay2/<chain> (no-op when present). */
int images__layer_commit(struct images *h, const char *stage_dir, const char *chain,
			 const char *parent_chain, const char *diff_id, int64_t size,
			 struct nd_error *err);
int images__layer_lower(struct images *h, const char *chain, char **lower, struct nd_error *err);
int images__layer_diff_path(struct images *h, const char *chain, char *buf, size_t size);
int64_t images__layer_size(struct images *h, const char *chain);
int images__layers_repair(struct images *h);

/* registry_pull.c: drops the partial downloads interrupted pulls left for
 * the next pull to resume (caller holds gc as the writer). */
struct images_prune_report;
void images__partial_prune(struct images *h, struct images_prune_report *rep);

/* store.c */
int images__blob_path(struct images *h, const char *digest, char *buf, size_t size);
bool images__blob_exists(struct images *h, const char *digest);
int images__blob_read(struct images *h, const char *digest, char **buf, size_t *len, struct nd_error *err);
/* Writes buf as a blob (atomic); out gets its digest. */
int images__blob_put(struct images *h, const void *buf, size_t len, char out[IMAGES_DIGEST_LEN + 1],
		     struct nd_error *err);
/* Moves a file already known to hash to digest into the store. */
int images__blob_adopt(struct images *h, const char *path, const char *digest, struct nd_error *err);
int images__tmpdir(struct images *h, const char *prefix, char **out, struct nd_error *err);
/* Parses manifest+config blobs into an image (layers' chain IDs computed). */
int images__image_build(struct images *h, const char *manifest_digest, struct images__image **out,
			struct nd_error *err);
void images__image_free(struct images__image *img);
/* Registers an image (and tags) in memory and images.json; meta lock held inside. */
int images__register(struct images *h, struct images__image *img, const char *const *tags, size_t ntags,
		     struct nd_error *err);
/* Caller holds h->meta. */
struct images__image *images__find_locked(struct images *h, const char *name, struct nd_error *err);
int images__save_meta_locked(struct images *h, struct nd_error *err);
int images__normalize_tag(const char *name, char *out, size_t size, struct nd_error *err);
const char *images__host_arch(void);
/* Builds config+manifest for layers on top of base (NULL for none) and registers. */
struct images__newlayer {
	char digest[IMAGES_DIGEST_LEN + 1];
	const char *media_type;
	int64_t size;
	char diff_id[IMAGES_DIGEST_LEN + 1];
};
int images__create_image(struct images *h, const struct images__image *base, json_t *base_config,
			 const struct images__newlayer *layer, const char *created_by, const char *comment,
			 const char *author, const char *arch, const char *os, const char *tag,
			 char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err);
