// SPDX-License-Identifier: Apache-2.0
/* Containers: the create body's mounts, decoded and checked at the edge.
 * HostConfig.Binds (-v), HostConfig.Mounts (--mount), HostConfig.Tmpfs
 * (--tmpfs), HostConfig.VolumesFrom, Config.Volumes and the image's VOLUME
 * entries become one list, the container's "Mounts" (Docker's inspect
 * shape, plus what the spec needs: CreateSource, TmpfsData, NoSuid/NoDev/
 * NoExec, Anonymous); the volumes they name are created here (named ones on
 * first use, anonymous ones with a random name). ReadonlyRootfs is copied
 * into the HostConfig. ctr/spec_mounts.c turns the list into rt_spec mounts. */
#include "netd/api/api.h"

#include <sys/stat.h>

#define TMPFS_DEFAULT_FLAGS "noexec,nosuid,nodev"

static const char *const propagations[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave", NULL };

static bool in_list(const char *const *l, const char *s)
{
	for (size_t i = 0; l[i]; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* an absolute path, cleaned: no "//", "/./", trailing "/"; ".." refused */
static int clean_path(const char *in, const char *what, char out[PATH_MAX], struct nd_error *err)
{
	if (!in || in[0] != '/')
		return nd_error_set(err, -EINVAL, "invalid mount config: %s \"%s\" must be an absolute path", what,
				    in ? in : "");
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, "/");
		if (l == 1 && p[0] == '.') {
			p += l;
			continue;
		}
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return nd_error_set(err, -EINVAL, "invalid mount config: %s \"%s\" must not contain \"..\"", what, in);
		if (o + l + 2 >= PATH_MAX)
			return nd_error_set(err, -ENAMETOOLONG, "%s \"%.64s...\" is too long", what, in);
		out[o++] = '/';
		memcpy(out + o, p, l);
		o += l;
		p += l;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static int dest_check(const char *dst, char out[PATH_MAX], struct nd_error *err)
{
	int rc = clean_path(dst, "destination", out, err);
	if (rc < 0)
		return rc;
	if (strcmp(out, "/") == 0)
		return nd_error_set(err, -EINVAL, "invalid mount config: destination can't be '/'");
	return 0;
}

static json_t *find_dest(json_t *list, const char *dst)
{
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		if (strcmp(nd_json_str(m, "Destination") ?: "", dst) == 0)
			return m;
	}
	return NULL;
}

static int add_explicit(json_t *list, json_t *m, struct nd_error *err)
{
	const char *dst = nd_json_str(m, "Destination");
	if (find_dest(list, dst)) {
		nd_error_set(err, -EINVAL, "Duplicate mount point: %s", dst);
		json_decref(m);   /* dst was m's */
		return err->code;
	}
	json_array_append_new(list, m);
	return 0;
}

static json_t *volume_entry(const char *name, const char *dst, bool rw, const char *mode)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "volume", "Name", name ? name : "",
			 "Source", "", "Destination", dst, "Driver", "local", "Mode", mode ? mode : "", "RW", rw,
			 "Propagation", "");
}

/* -v SRC:DST[:OPTS] (Docker's Linux parser) */
static int parse_bind(const char *spec, json_t **out, struct nd_error *err)
{
	_cleanup_free_ char *copy = strdup(spec);
	if (!copy)
		return nd_error_set(err, -ENOMEM, "out of memory");
	char *parts[4] = { 0 };
	int n = 0;
	for (char *p = copy, *c; n < 4; p = c + 1) {
		parts[n++] = p;
		if (!(c = strchr(p, ':')))
			break;
		*c = '\0';
	}
	if (n == 4 || !*parts[0])
		return nd_error_set(err, -EINVAL, "invalid volume specification: '%s'", spec);
	const char *src = NULL, *dst, *opts = "";
	if (n == 1) {
		dst = parts[0];
	} else {
		src = parts[0];
		dst = parts[1];
		if (n == 3)
			opts = parts[2];
	}
	if (n == 2 && (strcmp(dst, "ro") == 0 || strcmp(dst, "rw") == 0))
		return nd_error_set(err, -EINVAL, "invalid volume specification: '%s'", spec);
	bool rw = true, seen_rw = false;
	const char *prop = NULL;
	_cleanup_free_ char *o = strdup(opts);
	char *save = NULL;
	for (char *t = o ? strtok_r(o, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
			if (seen_rw)
				return nd_error_set(err, -EINVAL, "invalid mode: %s (ro and rw together)", opts);
			seen_rw = true;
			rw = t[1] == 'w';
		} else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) {
			return nd_error_set(err, -EINVAL, "invalid mode \"%s\" in '%s': SELinux relabeling (z, Z) is not "
					    "supported by netd; remove it", t, spec);
		} else if (strcmp(t, "nocopy") == 0) {
			return nd_error_set(err, -EINVAL, "invalid mode \"nocopy\" in '%s': netd always copies the image's "
					    "content into a new volume; remove it", spec);
		} else if (in_list(propagations, t)) {
			if (prop)
				return nd_error_set(err, -EINVAL, "invalid mode: %s (two propagations)", opts);
			prop = t;
		} else if (strcmp(t, "consistent") && strcmp(t, "cached") && strcmp(t, "delegated")) {
			/* consistency modes mean nothing on Linux (Docker ignores them too) */
			return nd_error_set(err, -EINVAL, "invalid mode: %s", t);
		}
	}
	char d[PATH_MAX], s[PATH_MAX];
	int rc;
	if ((rc = dest_check(dst, d, err)) < 0)
		return nd_error_wrap(err, "'%s'", spec);
	if (src && src[0] == '/') {
		if ((rc = clean_path(src, "source", s, err)) < 0)
			return rc;
		*out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b}", "Type", "bind", "Source", s, "Destination", d,
				 "Mode", opts, "RW", rw, "Propagation", prop ? prop : "rprivate", "CreateSource", 1);
	} else {
		if (prop)
			return nd_error_set(err, -EINVAL, "invalid mode in '%s': propagation is for bind mounts", spec);
		if (src && !ctr_volume_name_valid(src))
			return nd_error_set(err, -EINVAL, "invalid volume specification '%s': \"%s\" includes invalid "
					    "characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
					    "allowed; a bind mount's source must be an absolute path", spec, src);
		*out = volume_entry(src, d, rw, opts);
	}
	return *out ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

/* tmpfs options: mount flags into attributes, the rest the file system's */
static int tmpfs_opts(const char *opts, const char *dst, json_t *e, struct nd_error *err)
{
	static const char *const params[] = { "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "huge", "mpol",
					      NULL };
	bool rw = true, nosuid = true, nodev = true, noexec = true;
	char data[512] = "";
	_cleanup_free_ char *o = strdup(opts ? opts : "");
	char *save = NULL;
	for (char *t = o ? strtok_r(o, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0)
			rw = t[1] == 'w';
		else if (strcmp(t, "suid") == 0 || strcmp(t, "nosuid") == 0)
			nosuid = t[0] == 'n';
		else if (strcmp(t, "dev") == 0 || strcmp(t, "nodev") == 0)
			nodev = t[0] == 'n';
		else if (strcmp(t, "exec") == 0 || strcmp(t, "noexec") == 0)
			noexec = t[0] == 'n';
		else if (eq && eq[1]) {
			*eq = '\0';
			if (!in_list(params, t))
				return nd_error_set(err, -EINVAL, "tmpfs on %s: option \"%s\" is not supported by netd "
						    "(size, mode, uid, gid, nr_inodes, nr_blocks, huge, mpol, ro, rw, [no]exec, "
						    "[no]suid, [no]dev)", dst, t);
			size_t l = strlen(data);
			if (snprintf(data + l, sizeof(data) - l, "%s%s=%s", l ? "," : "", t, eq + 1) >= (int)(sizeof(data) - l))
				return nd_error_set(err, -EINVAL, "tmpfs on %s: options too long", dst);
		} else {
			return nd_error_set(err, -EINVAL, "tmpfs on %s: option \"%s\" is not supported by netd", dst, t);
		}
	}
	json_object_set_new(e, "RW", json_boolean(rw));
	json_object_set_new(e, "NoSuid", json_boolean(nosuid));
	json_object_set_new(e, "NoDev", json_boolean(nodev));
	json_object_set_new(e, "NoExec", json_boolean(noexec));
	json_object_set_new(e, "TmpfsData", json_string(data));
	return 0;
}

static int parse_mount(struct netd *d, const json_t *m, size_t idx, json_t **out, struct nd_error *err)
{
	static const char *const honoured[] = { "Type", "Source", "Target", "ReadOnly", "Consistency", "BindOptions",
						"VolumeOptions", "TmpfsOptions", NULL };
	static const char *const h_bind[] = { "Propagation", "CreateMountpoint", "NonRecursive", "ReadOnlyNonRecursive",
					      "ReadOnlyForceRecursive", NULL };
	static const char *const h_vol[] = { "Labels", "DriverConfig", NULL };
	static const char *const h_drv[] = { "Name", "Options", NULL };
	static const char *const h_tmpfs[] = { "SizeBytes", "Mode", NULL };
	char where[64];
	int rc;
	if (!json_is_object(m))
		return nd_error_set(err, -EINVAL, "HostConfig.Mounts[%zu] must be an object", idx);
	snprintf(where, sizeof(where), "HostConfig.Mounts[%zu]", idx);
	const json_t *bo = json_object_get(m, "BindOptions"), *vo = json_object_get(m, "VolumeOptions"),
		     *to = json_object_get(m, "TmpfsOptions"), *dc = json_object_get(vo, "DriverConfig");
	char w2[96];
	if ((rc = api_refuse_unhonoured(m, where, honoured, NULL, err)) < 0 ||
	    (snprintf(w2, sizeof(w2), "%s.BindOptions", where), rc = api_refuse_unhonoured(bo, w2, h_bind, NULL, err)) < 0 ||
	    (snprintf(w2, sizeof(w2), "%s.VolumeOptions", where), rc = api_refuse_unhonoured(vo, w2, h_vol, NULL, err)) < 0 ||
	    (snprintf(w2, sizeof(w2), "%s.VolumeOptions.DriverConfig", where),
	     rc = api_refuse_unhonoured(dc, w2, h_drv, NULL, err)) < 0 ||
	    (snprintf(w2, sizeof(w2), "%s.TmpfsOptions", where), rc = api_refuse_unhonoured(to, w2, h_tmpfs, NULL, err)) < 0)
		return rc;
	const char *type = nd_json_str(m, "Type") ?: "", *src = nd_json_str(m, "Source") ?: "";
	bool ro = json_is_true(json_object_get(m, "ReadOnly"));
	char dst[PATH_MAX], s[PATH_MAX];
	if ((rc = dest_check(nd_json_str(m, "Target"), dst, err)) < 0)
		return rc;
	if (strcmp(type, "bind") == 0) {
		const char *prop = nd_json_str(bo, "Propagation");
		bool create = json_is_true(json_object_get(bo, "CreateMountpoint"));
		if (!*src)
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"bind\": field Source must not be empty");
		if ((rc = clean_path(src, "source", s, err)) < 0)
			return rc;
		if (prop && *prop && !in_list(propagations, prop))
			return nd_error_set(err, -EINVAL, "invalid propagation mode: %s", prop);
		struct stat st;
		if (!create && stat(s, &st) < 0)
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"bind\": bind source path does not "
					    "exist: %s", s);
		bool nonrec = json_is_true(json_object_get(bo, "NonRecursive"));
		bool ro_nonrec = json_is_true(json_object_get(bo, "ReadOnlyNonRecursive"));
		if (ro_nonrec && json_is_true(json_object_get(bo, "ReadOnlyForceRecursive")))
			return nd_error_set(err, -EINVAL, "invalid mount config: ReadOnlyNonRecursive and ReadOnlyForceRecursive "
					    "cannot both be set");
		if ((ro_nonrec || json_is_true(json_object_get(bo, "ReadOnlyForceRecursive"))) && !ro)
			return nd_error_set(err, -EINVAL, "invalid mount config: ReadOnlyNonRecursive and "
					    "ReadOnlyForceRecursive need ReadOnly");
		*out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:b}", "Type", "bind", "Source", s,
				 "Destination", dst, "Mode", "", "RW", !ro, "Propagation",
				 prop && *prop ? prop : "rprivate", "CreateSource", create, "NonRecursive", nonrec,
				 "ReadOnlyNonRecursive", ro_nonrec);
	} else if (strcmp(type, "volume") == 0) {
		if (*src && !ctr_volume_name_valid(src))
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"volume\": invalid volume name \"%s\"", src);
		if (!api_json_zeroish(bo))
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"volume\": BindOptions are for binds");
		const char *drv = nd_json_str(dc, "Name");
		if (drv && *drv && strcmp(drv, "local") != 0)
			return nd_error_set(err, -EINVAL, "volume driver \"%s\": netd has the local driver only", drv);
		const json_t *dopts = json_object_get(dc, "Options");
		if (dopts && !json_is_null(dopts) && (!json_is_object(dopts) || (rc = ctr_volume_opts_check(dopts, err)) < 0))
			return json_is_object(dopts) ? rc : nd_error_set(err, -EINVAL, "%s.VolumeOptions.DriverConfig.Options must be an object", where);
		*out = volume_entry(src, dst, !ro, "");
		if (json_is_object(dopts) && json_object_size(dopts))
			json_object_set(*out, "DriverOpts", (json_t *)dopts);
		const json_t *labels = json_object_get(vo, "Labels");
		if (json_is_object(labels) && json_object_size(labels))
			json_object_set(*out, "VolumeLabels", (json_t *)labels);
	} else if (strcmp(type, "tmpfs") == 0) {
		if (*src)
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"tmpfs\": Source must be empty");
		json_t *sz = json_object_get(to, "SizeBytes"), *mode = json_object_get(to, "Mode");
		if ((sz && !json_is_null(sz) && (!json_is_integer(sz) || json_integer_value(sz) < 0)) ||
		    (mode && !json_is_null(mode) && (!json_is_integer(mode) || json_integer_value(mode) < 0 ||
						      json_integer_value(mode) > 07777)))
			return nd_error_set(err, -EINVAL, "invalid mount config for type \"tmpfs\": bad SizeBytes or Mode");
		char opts[128];
		snprintf(opts, sizeof(opts), "%s", ro ? "ro" : "rw");
		if (json_integer_value(sz) > 0)
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",size=%lld", (long long)json_integer_value(sz));
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",mode=%llo",
			 json_integer_value(mode) > 0 ? (unsigned long long)json_integer_value(mode) : 01777ull);
		*out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "tmpfs", "Source", "", "Destination", dst, "Mode", "",
				 "Propagation", "");
		if (*out && (rc = tmpfs_opts(opts, dst, *out, err)) < 0) {
			json_decref(*out);
			*out = NULL;
			return rc;
		}
	} else {
		return nd_error_set(err, -EINVAL, "%s.Type=\"%s\" is not supported by netd (bind, volume, tmpfs)", where, type);
	}
	return *out ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

/* --volumes-from CONTAINER[:ro|:rw]: its binds and volumes */
static int volumes_from(struct netd *d, const char *spec, json_t *list, struct nd_error *err)
{
	char ref[ND_NAME_MAX + 8];
	snprintf(ref, sizeof(ref), "%s", spec);
	char *colon = strchr(ref, ':');
	int mode = -1;
	if (colon) {
		*colon = '\0';
		if (strcmp(colon + 1, "ro") == 0)
			mode = 0;
		else if (strcmp(colon + 1, "rw") == 0)
			mode = 1;
		else
			return nd_error_set(err, -EINVAL, "invalid mode for --volumes-from %s: %s (ro or rw)", spec, colon + 1);
	}
	char id[ND_ID_LEN + 1];
	_cleanup_json_ json_t *doc = NULL;
	int rc = ctr_lookup(d, ref, id, &doc, err);
	if (rc < 0)
		return rc == -ENOENT ? nd_error_set(err, -ENOENT, "No such container: %s", ref) : rc;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "Mounts"), i, m) {
		const char *type = nd_json_str(m, "Type") ?: "";
		const char *dst = nd_json_str(m, "Destination") ?: "";
		if ((strcmp(type, "bind") && strcmp(type, "volume")) || find_dest(list, dst))
			continue;
		json_t *c = json_deep_copy(m);
		if (mode >= 0)
			json_object_set_new(c, "RW", json_boolean(mode));
		json_object_set_new(c, "From", json_string(id));
		json_object_del(c, "CreateSource");
		json_array_append_new(list, c);
	}
	return 0;
}

static int anonymous_from(const json_t *vols, const char *where, json_t *list, struct nd_error *err)
{
	if (!vols || json_is_null(vols))
		return 0;
	if (!json_is_object(vols))
		return nd_error_set(err, -EINVAL, "\"%s\" must be an object of paths", where);
	const char *path;
	json_t *v;
	json_object_foreach((json_t *)vols, path, v) {
		char dst[PATH_MAX];
		int rc = dest_check(path, dst, err);
		if (rc < 0)
			return nd_error_wrap(err, "%s", where);
		if (find_dest(list, dst))
			continue;
		json_t *e = volume_entry("", dst, true, "");
		json_object_set_new(e, "Anonymous", json_true());
		json_array_append_new(list, e);
	}
	return 0;
}

/* makes the volumes the list names (named ones on first use) and fills in their paths */
static int volumes_make(struct netd *d, json_t *list, struct nd_error *err)
{
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		if (strcmp(nd_json_str(m, "Type") ?: "", "volume") != 0 || json_object_get(m, "From"))
			continue;
		const char *name = nd_json_str(m, "Name") ?: "";
		bool anonymous = !*name;   /* name is m's: gone once Name is replaced */
		struct ctr_volume_opts o = {
			.name = name, .anonymous = anonymous, .driver_opts = json_object_get(m, "DriverOpts"),
			.labels = json_object_get(m, "VolumeLabels"),
		};
		struct nd_volume_rec v;
		int rc = ctr_volume_create(d, &o, &v, err);
		if (rc < 0)
			return nd_error_wrap(err, "volume for %s", nd_json_str(m, "Destination"));
		json_object_set_new(m, "Name", json_string(v.name));
		json_object_set_new(m, "Source", json_string(v.mountpoint));
		if (anonymous)
			json_object_set_new(m, "Anonymous", json_true());
		json_object_del(m, "DriverOpts");
		json_object_del(m, "VolumeLabels");
		nd_volume_rec_clear(&v);
	}
	return 0;
}

void api_mounts_rollback(struct netd *d, const json_t *mounts)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		if (json_is_true(json_object_get(m, "Anonymous")) && !json_object_get(m, "From") && nd_json_str(m, "Name"))
			ctr_volume_remove(d, nd_json_str(m, "Name"), true, &(struct nd_error){ 0 });
	}
}

int api_mounts_parse(struct netd *d, const json_t *body, const json_t *icfg, json_t *hc, json_t **out,
		     struct nd_error *err)
{
	const json_t *in = json_object_get(body, "HostConfig");
	_cleanup_json_ json_t *list = json_array();
	size_t i;
	json_t *x;
	int rc;
	*out = NULL;
	bool ro_root = false;
	if ((rc = nd_json_get_bool(in, "ReadonlyRootfs", &ro_root, err)) < 0)
		return rc;
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(ro_root));

	const json_t *binds = json_object_get(in, "Binds");
	if (binds && !json_is_null(binds) && !json_is_array(binds))
		return nd_error_set(err, -EINVAL, "\"HostConfig.Binds\" must be a list of strings");
	json_array_foreach(binds, i, x) {
		json_t *m = NULL;
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "\"HostConfig.Binds\" must be a list of strings");
		if ((rc = parse_bind(json_string_value(x), &m, err)) < 0 || (rc = add_explicit(list, m, err)) < 0)
			return rc;
	}
	const json_t *mounts = json_object_get(in, "Mounts");
	if (mounts && !json_is_null(mounts) && !json_is_array(mounts))
		return nd_error_set(err, -EINVAL, "\"HostConfig.Mounts\" must be a list");
	json_array_foreach(mounts, i, x) {
		json_t *m = NULL;
		if ((rc = parse_mount(d, x, i, &m, err)) < 0 || (rc = add_explicit(list, m, err)) < 0)
			return rc;
	}
	const json_t *tmpfs = json_object_get(in, "Tmpfs");
	if (tmpfs && !json_is_null(tmpfs) && !json_is_object(tmpfs))
		return nd_error_set(err, -EINVAL, "\"HostConfig.Tmpfs\" must be an object {path: options}");
	const char *path;
	json_object_foreach((json_t *)tmpfs, path, x) {
		char dst[PATH_MAX];
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "HostConfig.Tmpfs[%s] must be a string of options", path);
		if ((rc = dest_check(path, dst, err)) < 0)
			return nd_error_wrap(err, "--tmpfs");
		json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "tmpfs", "Source", "", "Destination", dst,
				      "Mode", json_string_value(x), "Propagation", "");
		char opts[512];
		snprintf(opts, sizeof(opts), "%s,%s", TMPFS_DEFAULT_FLAGS, json_string_value(x));
		if (!m || (rc = tmpfs_opts(opts, dst, m, err)) < 0) {
			json_decref(m);
			return m ? rc : nd_error_set(err, -ENOMEM, "out of memory");
		}
		if ((rc = add_explicit(list, m, err)) < 0)
			return rc;
	}
	const json_t *from = json_object_get(in, "VolumesFrom");
	if (from && !json_is_null(from) && !json_is_array(from))
		return nd_error_set(err, -EINVAL, "\"HostConfig.VolumesFrom\" must be a list of strings");
	json_array_foreach(from, i, x) {
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "\"HostConfig.VolumesFrom\" must be a list of strings");
		if ((rc = volumes_from(d, json_string_value(x), list, err)) < 0)
			return rc;
	}
	if ((rc = anonymous_from(json_object_get(body, "Volumes"), "Volumes", list, err)) < 0 ||
	    (rc = anonymous_from(json_object_get(icfg, "Volumes"), "the image's Volumes", list, err)) < 0)
		return rc;

	/* what the user asked for, as Docker's inspect shows it */
	static const char *const keep[] = { "Binds", "Mounts", "Tmpfs", "VolumesFrom" };
	for (size_t k = 0; k < ARRAY_SIZE(keep); k++) {
		json_t *v = json_object_get(in, keep[k]);
		if (v && !json_is_null(v))
			json_object_set(hc, keep[k], v);
	}
	if ((rc = volumes_make(d, list, err)) < 0) {
		api_mounts_rollback(d, list);
		return rc;
	}
	*out = TAKE_PTR(list);
	return 0;
}

json_t *api_mounts_view(const json_t *doc)
{
	static const char *const fields[] = { "Type", "Name", "Source", "Destination", "Driver", "Mode", "RW",
					      "Propagation" };
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "Mounts"), i, m) {
		const char *type = nd_json_str(m, "Type") ?: "";
		json_t *v = json_object();
		for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
			json_t *x = json_object_get(m, fields[k]);
			/* Docker shows Name and Driver for volumes only */
			if (x && (strcmp(type, "volume") == 0 || (strcmp(fields[k], "Name") && strcmp(fields[k], "Driver"))))
				json_object_set(v, fields[k], x);
		}
		json_array_append_new(out, v);
	}
	return out;
}
