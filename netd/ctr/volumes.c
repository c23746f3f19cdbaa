// SPDX-License-Identifier: Apache-2.0
/* Volumes: the local driver. A volume is a store record (kind "volume",
 * keyed by name) and a directory <root>/volumes/<name>/_data. With options
 * (type, device, o: Docker's local driver) _data is a mount point instead:
 * mount(2) is made there when a container first needs it and undone when
 * the volume is removed.
 *
 * Containers name the volumes they use in their document's "Mounts" (Type
 * "volume"); a volume any container names is in use and is not removed.
 * Removal: unmount, rename the directory aside (.trash-*), drop the record,
 * then delete the tree on the pool, never crossing into another file system
 * (a bind-like volume's device is the user's). Trash left by a netd that was
 * killed is deleted at the next start. */
#include "netd/ctr/ctr.h"
#include "netd/core/events.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/stat.h>

#define VOL_TRASH_PREFIX ".trash-"

static void volumes_dir(struct netd *d, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/volumes", d->cfg.root);
}

bool ctr_volume_name_valid(const char *name)
{
	return name && strlen(name) >= 2 && nd_name_valid(name);
}

/* ---- mounts of volumes with options ----------------------------------------------- */

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 },       { "rw", 0, MS_RDONLY },         { "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },     { "nodev", MS_NODEV, 0 },       { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },   { "exec", 0, MS_NOEXEC },       { "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS }, { "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
	{ "relatime", MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "bind", MS_BIND, 0 },   { "rbind", MS_BIND | MS_REC, 0 },
};

/* "o": mount flags by name, the rest is the file system's data */
static int parse_o(const char *o, unsigned long *flags, char *data, size_t size)
{
	*flags = 0;
	data[0] = '\0';
	_cleanup_free_ char *copy = strdup(o ? o : "");
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++)
			if (strcmp(mount_flags[i].name, t) == 0) {
				*flags = (*flags & ~mount_flags[i].clear) | mount_flags[i].set;
				known = true;
			}
		if (known)
			continue;
		size_t l = strlen(data);
		if (snprintf(data + l, size - l, "%s%s", l ? "," : "", t) >= (int)(size - l))
			return -E2BIG;
	}
	return 0;
}

int ctr_volume_opts_check(const json_t *opts, struct nd_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)opts, k, v) {
		if (strcmp(k, "type") && strcmp(k, "device") && strcmp(k, "o"))
			return nd_error_set(err, -EINVAL, "invalid option key: \"%s\" (the local driver takes type, device, o)", k);
		if (!json_is_string(v))
			return nd_error_set(err, -EINVAL, "volume option \"%s\" must be a string", k);
	}
	if (json_object_size(opts) == 0)
		return 0;
	const char *type = nd_json_str(opts, "type"), *device = nd_json_str(opts, "device");
	if (!type || !*type)
		return nd_error_set(err, -EINVAL, "local volume options need \"type\" (e.g. tmpfs, none with o=bind)");
	if (!device || !*device)
		return nd_error_set(err, -EINVAL, "local volume options need \"device\"");
	unsigned long fl;
	char data[1024];
	if (parse_o(nd_json_str(opts, "o"), &fl, data, sizeof(data)) < 0)
		return nd_error_set(err, -EINVAL, "volume option \"o\" is too long");
	if ((fl & MS_BIND) && device[0] != '/')
		return nd_error_set(err, -EINVAL, "a bind volume's device must be an absolute path, not \"%s\"", device);
	return 0;
}

static bool is_mount_root(const char *path)
{
	struct statx sx;
	if (syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
		return false;
	return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* mounts what a volume with options stands for on its _data (once) */
static int volume_mount(const struct nd_volume_rec *v, struct nd_error *err)
{
	if (json_object_size(v->options) == 0 || is_mount_root(v->mountpoint))
		return 0;
	const char *type = nd_json_str(v->options, "type"), *device = nd_json_str(v->options, "device");
	unsigned long fl;
	char data[1024];
	if (parse_o(nd_json_str(v->options, "o"), &fl, data, sizeof(data)) < 0)
		return nd_error_set(err, -EINVAL, "volume %s: option \"o\" is too long", v->name);
	if (mount(device, v->mountpoint, (fl & MS_BIND) ? NULL : type, fl & ~MS_RDONLY, data[0] ? data : NULL) < 0)
		return nd_error_set(err, -errno, "volume %s: mount %s (type %s) on %s: %s", v->name, device, type,
				    v->mountpoint, strerror(errno));
	/* a bind ignores flags on the first call: read-only is a remount */
	if ((fl & MS_RDONLY) && mount(NULL, v->mountpoint, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
		int e = -errno;
		umount2(v->mountpoint, MNT_DETACH);
		return nd_error_set(err, e, "volume %s: read-only: %s", v->name, strerror(-e));
	}
	log_info("volume mounted name=%s type=%s device=%s", v->name, type, device);
	return 0;
}

static void volume_umount(const char *mountpoint)
{
	while (is_mount_root(mountpoint) && umount2(mountpoint, MNT_DETACH) == 0)
		;
}

/* ---- create, get, list -------------------------------------------------------------- */

int ctr_volume_create(struct netd *d, const struct ctr_volume_opts *o, struct nd_volume_rec *out,
		      struct nd_error *err)
{
	char name[ND_NAME_MAX + 1];
	int rc;
	if (o->driver && *o->driver && strcmp(o->driver, "local") != 0)
		return nd_error_set(err, -ENOENT, "volume driver \"%s\": plugin not found (netd has the local driver only)",
				    o->driver);
	if (o->name && *o->name) {
		if (!ctr_volume_name_valid(o->name))
			return nd_error_set(err, -EINVAL, "\"%s\" includes invalid characters for a local volume name, "
					    "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", o->name);
		snprintf(name, sizeof(name), "%s", o->name);
	} else {
		char id[ND_ID_LEN + 1];
		if (nd_id_new(id) < 0)
			return nd_error_set(err, -EIO, "generating a volume name failed");
		snprintf(name, sizeof(name), "%s", id);
	}
	if (o->driver_opts && (rc = ctr_volume_opts_check(o->driver_opts, err)) < 0)
		return rc;
	/* an existing volume of that name is the answer (Docker's create is idempotent) */
	struct nd_error e = { 0 };
	if (store_volume_get(d->store, name, out, &e) == 0)
		return 0;
	if (e.code != -ENOENT)
		return nd_error_set(err, e.code, "%s", e.msg);
	if ((rc = nd_volume_rec_init(out)) < 0)
		return nd_error_set(err, rc, "out of memory");
	char dir[PATH_MAX], vdir[PATH_MAX + ND_NAME_MAX + 2];
	volumes_dir(d, dir);
	snprintf(vdir, sizeof(vdir), "%s/%s", dir, name);
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->driver, sizeof(out->driver), "local");
	nd_time_rfc3339(out->created);
	if (nd_snprintf(out->mountpoint, sizeof(out->mountpoint), "%s/_data", vdir) < 0) {
		nd_volume_rec_clear(out);
		return nd_error_set(err, -ENAMETOOLONG, "volume path too long");
	}
	out->anonymous = o->anonymous;
	if (o->driver_opts)
		json_object_update(out->options, (json_t *)o->driver_opts);
	if (o->labels)
		json_object_update(out->labels, (json_t *)o->labels);
	/* intent first: the record, then the directory (a record without one
	 * gets it back at start) */
	if ((rc = store_volume_put(d->store, out, err)) < 0) {
		nd_volume_rec_clear(out);
		return rc;
	}
	if ((mkdir(dir, 0701) < 0 && errno != EEXIST) || (mkdir(vdir, 0701) < 0 && errno != EEXIST) ||
	    (mkdir(out->mountpoint, 0755) < 0 && errno != EEXIST)) {
		rc = nd_error_set(err, -errno, "create volume %s: mkdir: %s", name, strerror(errno));
		store_volume_del(d->store, name, &(struct nd_error){ 0 });
		rmdir(vdir);
		nd_volume_rec_clear(out);
		return rc;
	}
	log_info("volume created name=%s%s", name, o->anonymous ? " anonymous" : "");
	nd_events_publish(d, "volume", "create", name, json_pack("{s:s}", "driver", "local"));
	return 0;
}

int ctr_volume_get(struct netd *d, const char *name, struct nd_volume_rec *out, struct nd_error *err)
{
	return store_volume_get(d->store, name, out, err);
}

int ctr_volume_list(struct netd *d, struct nd_volume_list *out, struct nd_error *err)
{
	return store_volume_list(d->store, out, err);
}

json_t *ctr_volumes_used(struct netd *d)
{
	json_t *used = json_object();
	_cleanup_json_ json_t *docs = NULL;
	if (!used || ctr_list(d, &docs, &(struct nd_error){ 0 }) < 0)
		return used;
	size_t i, k;
	json_t *doc, *m;
	json_array_foreach(docs, i, doc) {
		json_array_foreach(json_object_get(doc, "Mounts"), k, m) {
			const char *name = nd_json_str(m, "Name");
			if (strcmp(nd_json_str(m, "Type") ?: "", "volume") != 0 || !name)
				continue;
			json_t *ids = json_object_get(used, name);
			if (!ids) {
				ids = json_array();
				json_object_set_new(used, name, ids);
			}
			json_array_append_new(ids, json_string(nd_json_str(doc, "Id") ?: ""));
		}
	}
	return used;
}

json_t *ctr_volume_users(struct netd *d, const char *name)
{
	_cleanup_json_ json_t *used = ctr_volumes_used(d);
	json_t *ids = json_object_get(used, name);
	return ids ? json_incref(ids) : json_array();
}

/* ---- removal ------------------------------------------------------------------------ */

/* deletes a tree, staying on the file system of dfd/name */
static void rm_tree_at(int dfd, const char *name, dev_t dev)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_tree_at(dirfd(dp), de->d_name, dev);
	closedir(dp);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* deletes trash (all of it, or the named dirs, adding up their bytes first) on the pool */
struct trash_job {
	struct nd_job base;
	char dir[PATH_MAX];
	json_t *names;               /* NULL: every trash dir; else these (their sizes are counted) */
	json_t *deleted;             /* prune: the volumes' names, handed to cb */
	uint64_t bytes;
	ctr_volume_prune_cb cb;
	void *cb_data;
};

static void trash_work(struct nd_job *base)
{
	struct trash_job *j = (struct trash_job *)base;
	int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	struct stat st;
	if (fstat(dfd, &st) < 0) {
		close(dfd);
		return;
	}
	if (j->names) {
		size_t i;
		json_t *n;
		json_array_foreach(j->names, i, n) {
			j->bytes += nd_tree_bytes_at(dfd, json_string_value(n), st.st_dev);
			rm_tree_at(dfd, json_string_value(n), st.st_dev);
		}
		close(dfd);
		return;
	}
	DIR *dp = fdopendir(dfd);
	if (!dp) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dp)))
		if (nd_str_has_prefix(de->d_name, VOL_TRASH_PREFIX))
			rm_tree_at(dirfd(dp), de->d_name, st.st_dev);
	closedir(dp);
}

static void trash_done(struct nd_job *base)
{
	struct trash_job *j = (struct trash_job *)base;
	if (j->cb)
		j->cb(j->cb_data, 0, j->deleted, j->bytes, NULL);
	json_decref(j->names);
	json_decref(j->deleted);
	free(j);
}

static struct trash_job *trash_job_new(struct netd *d)
{
	struct trash_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	volumes_dir(d, j->dir);
	j->base.work = trash_work;
	j->base.done = trash_done;
	return j;
}

static void trash_empty(struct netd *d)
{
	struct trash_job *j = trash_job_new(d);
	if (j)
		nd_job_queue(d->loop, &j->base);
}

/* unmounts, moves the directory aside (its trash name in trash_name) and
 * drops the record; the trash is deleted later, on the pool */
static int volume_remove(struct netd *d, const struct nd_volume_rec *v, char trash_name[32], struct nd_error *err)
{
	char dir[PATH_MAX], vdir[PATH_MAX + ND_NAME_MAX + 2], trash[PATH_MAX + ND_ID_LEN + 16], id[ND_ID_LEN + 1];
	char tn[32];
	volumes_dir(d, dir);
	snprintf(vdir, sizeof(vdir), "%s/%s", dir, v->name);
	nd_id_new(id);
	snprintf(tn, sizeof(tn), VOL_TRASH_PREFIX "%.16s", id);
	snprintf(trash, sizeof(trash), "%s/%s", dir, tn);
	if (trash_name)
		snprintf(trash_name, 32, "%s", tn);
	volume_umount(v->mountpoint);
	if (is_mount_root(v->mountpoint))
		return nd_error_set(err, -EBUSY, "remove %s: its mount on %s is busy", v->name, v->mountpoint);
	if (rename(vdir, trash) < 0 && errno != ENOENT)
		return nd_error_set(err, -errno, "remove %s: %s", v->name, strerror(errno));
	int rc = store_volume_del(d->store, v->name, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	log_info("volume removed name=%s", v->name);
	nd_events_publish(d, "volume", "destroy", v->name, json_pack("{s:s}", "driver", "local"));
	return 0;
}

int ctr_volume_remove(struct netd *d, const char *name, bool force, struct nd_error *err)
{
	struct nd_volume_rec v;
	int rc = store_volume_get(d->store, name, &v, err);
	if (rc == -ENOENT && force)
		return 0;
	if (rc < 0)
		return rc;
	_cleanup_json_ json_t *users = ctr_volume_users(d, name);
	if (json_array_size(users) > 0) {
		char list[1024] = "";
		size_t i;
		json_t *u;
		json_array_foreach(users, i, u)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
				 json_string_value(u));
		nd_volume_rec_clear(&v);
		return nd_error_set(err, -EBUSY, "remove %s: volume is in use - [%s]", name, list);
	}
	rc = volume_remove(d, &v, NULL, err);
	nd_volume_rec_clear(&v);
	if (rc == 0)
		trash_empty(d);
	return rc;
}

int ctr_volume_prune(struct netd *d, bool all, bool (*keep)(const struct nd_volume_rec *v, void *data), void *data,
		     ctr_volume_prune_cb cb, void *cb_data, struct nd_error *err)
{
	struct nd_volume_list l;
	int rc = store_volume_list(d->store, &l, err);
	if (rc < 0)
		return rc;
	struct trash_job *j = trash_job_new(d);
	_cleanup_json_ json_t *used = ctr_volumes_used(d);
	if (!j || !(j->names = json_array()) || !(j->deleted = json_array())) {
		if (j) {
			json_decref(j->names);
			free(j);
		}
		nd_volume_list_clear(&l);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	j->cb = cb;
	j->cb_data = cb_data;
	for (size_t i = 0; i < l.n; i++) {
		const struct nd_volume_rec *v = &l.v[i];
		if ((!all && !v->anonymous) || (keep && keep(v, data)) || json_object_get(used, v->name))
			continue;
		char tn[32];
		struct nd_error e = { 0 };
		if (volume_remove(d, v, tn, &e) < 0) {
			log_warn("volume prune: %s", e.msg);
			continue;
		}
		json_array_append_new(j->names, json_string(tn));
		json_array_append_new(j->deleted, json_string(v->name));
	}
	nd_volume_list_clear(&l);
	/* the sizes are counted on the pool, before the trees go */
	nd_job_queue(d->loop, &j->base);
	return 0;
}

/* ---- containers' use --------------------------------------------------------------- */

int ctr_volumes_mount(struct netd *d, const char *name, struct nd_error *err)
{
	struct nd_volume_rec v;
	int rc = store_volume_get(d->store, name, &v, err);
	if (rc < 0)
		return rc;
	if (mkdir(v.mountpoint, 0755) < 0 && errno != EEXIST)
		rc = nd_error_set(err, -errno, "volume %s: mkdir %s: %s", name, v.mountpoint, strerror(errno));
	else
		rc = volume_mount(&v, err);
	nd_volume_rec_clear(&v);
	return rc;
}

void ctr_volumes_release(struct netd *d, const json_t *doc, bool remove_anonymous)
{
	if (!remove_anonymous)
		return;
	size_t i;
	json_t *m;
	bool removed = false;
	json_array_foreach(json_object_get(doc, "Mounts"), i, m) {
		const char *name = nd_json_str(m, "Name");
		if (strcmp(nd_json_str(m, "Type") ?: "", "volume") != 0 || !name)
			continue;
		struct nd_volume_rec v;
		struct nd_error e = { 0 };
		if (store_volume_get(d->store, name, &v, &e) < 0)
			continue;
		_cleanup_json_ json_t *users = ctr_volume_users(d, name);
		if (v.anonymous && json_array_size(users) == 0) {
			if (volume_remove(d, &v, NULL, &e) < 0)
				log_warn("container=%.12s: anonymous volume: %s", nd_json_str(doc, "Id") ?: "", e.msg);
			else
				removed = true;
		}
		nd_volume_rec_clear(&v);
	}
	if (removed)
		trash_empty(d);
}

int ctr_volumes_start(struct netd *d, struct nd_error *err)
{
	char dir[PATH_MAX];
	volumes_dir(d, dir);
	if (mkdir(dir, 0701) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "mkdir %s: %s", dir, strerror(errno));
	/* records whose directory a killed netd never made */
	struct nd_volume_list l;
	int rc = store_volume_list(d->store, &l, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		char vdir[PATH_MAX + ND_NAME_MAX + 2];
		snprintf(vdir, sizeof(vdir), "%s/%s", dir, l.v[i].name);
		mkdir(vdir, 0701);
		mkdir(l.v[i].mountpoint, 0755);
	}
	nd_volume_list_clear(&l);
	trash_empty(d);
	return 0;
}
