// SPDX-License-Identifier: Apache-2.0
/* images: an OCI content-addressed image store with overlay2 layers.
 *
 * Blobs (manifests, configs, layers) are stored by sha256 digest; layers are
 * unpacked once per chain ID into overlay2 directories shared by every image
 * that has them; a container's rootfs is an overlay mount of those layers
 * (or a plain copy with the vfs driver).
 *
 * Every call takes the store handle and a struct nd_error. The handle is
 * thread-safe: any number of calls may run at once from a thread pool
 * (unpacking runs unlocked in a private temp dir; metadata changes are
 * serialised by one writer lock inside; deletions exclude everything else).
 * Functions return 0 or a negative errno, and fill *err on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/common.h"

struct images;

/* "sha256:" + 64 hex + NUL */
#define IMAGES_DIGEST_LEN 71
#define IMAGES_REF_MAX 512

/* ---- store ------------------------------------------------------------- */

struct images_config {
	const char *root;     /* store root, created if missing (the daemon passes <root>/images) */
	const char *driver;   /* "overlay2" (default when NULL) or "vfs" (full copies) */
};

/* Opens (creating if needed) the store, cleans up what a crash mid-import left
 * (temp dirs, unreferenced layers and blobs) and loads the metadata. */
int images_open(const struct images_config *cfg, struct images **out, struct nd_error *err);
/* Accepts NULL. Does not unmount container rootfs. */
void images_close(struct images *h);
/* "overlay2" or "vfs". */
const char *images_driver_name(const struct images *h);

/* ---- references ---------------------------------------------------------
 * [registry[:port]/][namespace/]name[:tag|@sha256:digest] with Docker's
 * defaults: "busybox" is docker.io/library/busybox:latest. */

struct images_ref {
	char domain[256];            /* "docker.io" */
	char path[256];              /* "library/busybox" */
	char tag[129];               /* "latest" ("" when a digest is given without a tag) */
	char digest[IMAGES_DIGEST_LEN + 1]; /* "" or "sha256:..." */
};

int images_ref_parse(const char *s, struct images_ref *out, struct nd_error *err);
/* docker.io/library/busybox:latest (or ...@sha256:..., tag wins when both) */
int images_ref_format(const struct images_ref *r, char *buf, size_t size);
/* Docker's familiar form: busybox:latest, user/app:1, quay.io/x/y:z */
int images_ref_familiar(const struct images_ref *r, char *buf, size_t size);

/* ---- digests ------------------------------------------------------------ */

bool images_digest_valid(const char *digest);
void images_digest_buf(const void *buf, size_t len, char out[IMAGES_DIGEST_LEN + 1]);
/* -EBADMSG "digest mismatch" when the content does not hash to expected. */
int images_digest_verify_buf(const void *buf, size_t len, const char *expected, struct nd_error *err);
int images_digest_file(const char *path, char out[IMAGES_DIGEST_LEN + 1], int64_t *size,
		       struct nd_error *err);

/* ---- images --------------------------------------------------------------
 * An image is named by its ID (the config digest, "sha256:<hex>"), any unique
 * hex prefix of it (12+ characters, with or without "sha256:"), a reference
 * (tag) or name@manifest-digest. */

/* Resolves a name to the image ID. -ENOENT "no such image". */
int images_resolve(struct images *h, const char *name, char id[IMAGES_DIGEST_LEN + 1],
		   struct nd_error *err);

/* `docker import`: a rootfs tar (plain, gzip, zstd, xz, bzip2) becomes a
 * one-layer image; tagged ref when ref is not NULL. */
struct images_import_opts {
	const char *ref;          /* optional tag */
	const char *comment;      /* optional history comment */
	const char *architecture; /* default: the host's (amd64, arm64, ...) */
	const char *os;           /* default: linux */
};
int images_import(struct images *h, const char *tar_path, const struct images_import_opts *opts,
		  char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err);

/* `docker load`: a `docker save` archive (manifest.json + repositories) or an
 * OCI image-layout archive (oci-layout + index.json), plain or gzip.
 * *loaded (may be NULL) gets a NULL-terminated list of "ref" or "sha256:id"
 * strings, free with images_strv_free(). All or nothing. */
int images_load(struct images *h, const char *archive_path, char ***loaded, struct nd_error *err);

/* Saves the images (names as for images_resolve; tags are kept) to an OCI
 * image-layout tar that also carries a docker-load compatible manifest.json. */
int images_save(struct images *h, const char *const *names, size_t n, const char *out_path,
		struct nd_error *err);

/* Docker Engine API /images/json format: [{Id, RepoTags, RepoDigests, Created, Size, ...}] */
int images_list(struct images *h, json_t **out, struct nd_error *err);
/* Docker Engine API /images/{name}/json format. */
int images_inspect(struct images *h, const char *name, json_t **out, struct nd_error *err);
/* Docker Engine API /images/{name}/history format (newest first). */
int images_history(struct images *h, const char *name, json_t **out, struct nd_error *err);

/* dst becomes a tag of the image src names (moves dst if it existed). */
int images_tag(struct images *h, const char *src, const char *dst, struct nd_error *err);
/* Removes one tag; -ENOENT when no such tag. */
int images_untag(struct images *h, const char *ref, struct nd_error *err);

/* The images containers use: a callback returning true when the image ID is
 * used by a container the caller knows about. Rootfs mounted through this
 * store (images_rootfs_mount) always count as uses. */
typedef bool (*images_in_use_fn)(const char *image_id, void *userdata);

/* `docker rmi`: by tag: untag, and delete the image when that was its last tag;
 * by ID: delete the image and all its tags (-EBUSY when it has more than one tag
 * unless force). -EBUSY when a container uses it unless force. Unreferenced
 * blobs and layers are collected. *deleted (may be NULL) gets [{"Untagged": ...},
 * {"Deleted": ...}] as Docker's API returns. */
int images_remove(struct images *h, const char *name, bool force, images_in_use_fn in_use,
		  void *userdata, json_t **deleted, struct nd_error *err);

struct images_prune_report {
	size_t images_deleted;
	size_t layers_deleted;
	size_t blobs_deleted;
	uint64_t space_reclaimed;
};
/* Deletes dangling images (no tag), or with all every image no container uses,
 * then collects blobs and layers nothing references. */
int images_prune(struct images *h, bool all, images_in_use_fn in_use, void *userdata,
		 struct images_prune_report *report, struct nd_error *err);
/* Only the collection step: blobs and layers no image or rootfs references. */
int images_gc(struct images *h, struct images_prune_report *report, struct nd_error *err);

/* ---- container rootfs ----------------------------------------------------- */

/* Makes <root>/containers/<cid>/merged: an overlay mount of the image's layers
 * with a fresh upper/work dir (overlay2), or a full copy (vfs). cid is a
 * 64-hex container ID. Idempotent: a mounted rootfs is returned as is. */
int images_rootfs_mount(struct images *h, const char *cid, const char *image,
			char *path, size_t path_size, struct nd_error *err);
/* Unmounts and removes everything of the container's rootfs. Not found is success. */
int images_rootfs_remove(struct images *h, const char *cid, struct nd_error *err);
/* The directory holding the container's changes (overlay upper, or vfs rootfs). */
int images_rootfs_upper(struct images *h, const char *cid, char *path, size_t path_size,
			struct nd_error *err);

struct images_commit_opts {
	const char *ref;        /* optional tag for the new image */
	const char *author;
	const char *comment;
	const char *created_by; /* history entry, e.g. the container's command */
};
/* `docker commit`: dir (an overlay upper dir: whiteouts as char 0/0 devices and
 * trusted.overlay.opaque) becomes one new layer on top of image base. */
int images_commit(struct images *h, const char *dir, const char *base,
		  const struct images_commit_opts *opts, char id[IMAGES_DIGEST_LEN + 1],
		  struct nd_error *err);
/* images_commit of a mounted container's upper dir (overlay2 driver only). */
int images_commit_container(struct images *h, const char *cid, const struct images_commit_opts *opts,
			    char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err);

void images_strv_free(char **v);

/* ---- registries ------------------------------------------------------------
 * The OCI distribution protocol (Docker registry API v2) through libcurl:
 * pull, push and login, with the token flow (401 + WWW-Authenticate: Bearer
 * -> the realm's token endpoint, anonymous or with Basic credentials),
 * plain Basic auth, TLS trust from the system CAs plus certs.d/HOST/ca.crt,
 * plain HTTP for insecure registries, mirrors for docker.io. These calls
 * block: run them off the event loop. */

struct images_progress {
	const char *id;        /* short layer id (12 hex), a tag, or NULL */
	const char *status;    /* Docker's words: "Downloading", "Pull complete", ... */
	int64_t current, total;/* total 0: no byte counts */
};
typedef void (*images_progress_fn)(const struct images_progress *p, void *data);

struct images_registry_opts {
	const char *username, *password;   /* explicit credentials (X-Registry-Auth, login) */
	const char *auth_file;             /* Docker config.json of stored credentials, or NULL */
	const char *const *certs_dirs;     /* NULL-terminated dirs of HOST[:PORT]/ca.crt, or NULL */
	const char *const *insecure;       /* NULL-terminated HOST[:PORT]: plain HTTP */
	const char *const *mirrors;        /* NULL-terminated mirror URLs for docker.io */
	unsigned max_downloads;            /* parallel layer downloads (0: 3) */
	unsigned max_attempts;             /* tries per request on 5xx / connection loss (0: 5) */
	unsigned backoff_ms;               /* first retry delay, doubled each time (0: 500) */
	int64_t chunk_size;                /* push: blobs above this go in PATCH chunks (0: 32 MiB) */
	images_progress_fn progress;
	void *progress_data;
	const volatile int *cancel;        /* non-zero: stop (-ECANCELED) */
};

/* Pulls NAME[:TAG|@DIGEST]: layers download in parallel (resuming what an
 * earlier interrupted pull left, with HTTP Range), are verified against their
 * digests while streaming and unpacked as they arrive; the image is registered
 * only when all of it is good. id gets the image ID, digest the manifest (or
 * index) digest. -EKEYREJECTED when the registry refuses the credentials. */
int images_pull(struct images *h, const char *name, const struct images_registry_opts *o,
		char id[IMAGES_DIGEST_LEN + 1], char digest[IMAGES_DIGEST_LEN + 1], struct nd_error *err);

struct images_push_result {
	char digest[IMAGES_DIGEST_LEN + 1];  /* manifest digest */
	int64_t size;                        /* manifest size */
	char tag[129];
};
/* Pushes a tagged image: blobs the registry has are skipped, blobs it has in
 * another repository are mounted, the rest uploaded (monolithic or chunked),
 * the manifest last. */
int images_push(struct images *h, const char *name, const struct images_registry_opts *o,
		struct images_push_result *res, struct nd_error *err);

/* Checks credentials against a registry (the /v2/ challenge and, for token
 * auth, a token). server: "HOST[:PORT]", a URL, or NULL/"" for docker.io. */
int images_registry_login(const char *server, const struct images_registry_opts *o, struct nd_error *err);
/* The key Docker's config.json uses for server ("https://index.docker.io/v1/"
 * for docker.io, HOST[:PORT] otherwise). */
int images_registry_key(const char *server, char *out, size_t size, struct nd_error *err);
/* Docker config.json credentials ("auths": {key: {"auth": base64(user:pass)}}),
 * written atomically with mode 0600. */
int images_auth_store(const char *file, const char *server, const char *user, const char *password,
		      struct nd_error *err);
int images_auth_erase(const char *file, const char *server, struct nd_error *err);
/* -ENOENT when the file has nothing for server. */
int images_auth_lookup(const char *file, const char *server, char **user, char **password,
		       struct nd_error *err);
