// SPDX-License-Identifier: Apache-2.0
/* The container spec and its JSON form (spec.json in the state dir). */
#include "runtime/internal.h"

#include <fcntl.h>

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void rt_spec_clear(struct rt_spec *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->rootfs);
	free(s->netns);
	strv_free(s->args);
	strv_free(s->env);
	free(s->cwd);
	free(s->user);
	free(s->hostname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].source);
		free(s->mounts[i].destination);
		free(s->mounts[i].options);
		free(s->mounts[i].propagation);
	}
	free(s->mounts);
	free(s->cgroup_parent);
	free(s->state_dir);
	free(s->log_path);
	rt_security_clear(&s->security);
	memset(s, 0, sizeof(*s));
}

void rt_spec_free(struct rt_spec *s)
{
	rt_spec_clear(s);
	free(s);
}

static json_t *strv_to_json(char **v)
{
	json_t *a = json_array();
	for (char **p = v; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

json_t *rt_spec_to_json(const struct rt_spec *s)
{
	json_t *o = json_object();
	set_str(o, "id", s->id);
	set_str(o, "rootfs", s->rootfs);
	set_str(o, "netns", s->netns);
	json_object_set_new(o, "args", strv_to_json(s->args));
	json_object_set_new(o, "env", strv_to_json(s->env));
	set_str(o, "cwd", s->cwd);
	set_str(o, "user", s->user);
	set_str(o, "hostname", s->hostname);
	json_object_set_new(o, "tty", json_boolean(s->tty));
	json_object_set_new(o, "open_stdin", json_boolean(s->open_stdin));
	json_object_set_new(o, "init", json_boolean(s->init));
	json_object_set_new(o, "readonly_rootfs", json_boolean(s->readonly_rootfs));
	json_object_set_new(o, "limits",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "memory", (json_int_t)s->limits.memory,
				      "cpu_shares", (json_int_t)s->limits.cpu_shares, "cpu_quota",
				      (json_int_t)s->limits.cpu_quota, "cpu_period",
				      (json_int_t)s->limits.cpu_period, "pids",
				      (json_int_t)s->limits.pids));
	json_t *m = json_array();
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct rt_mount *mt = &s->mounts[i];
		json_t *e = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b}", "type",
				      mt->type == RT_MOUNT_TMPFS ? "tmpfs" : "bind", "destination",
				      mt->destination, "readonly", mt->readonly, "nosuid",
				      (mt->flags & RT_MOUNT_NOSUID) != 0, "nodev", (mt->flags & RT_MOUNT_NODEV) != 0,
				      "noexec", (mt->flags & RT_MOUNT_NOEXEC) != 0);
		set_str(e, "source", mt->source);
		set_str(e, "options", mt->options);
		set_str(e, "propagation", mt->propagation);
		if (mt->nonrecursive)
			json_object_set_new(e, "nonrecursive", json_true());
		if (mt->ro_toplevel)
			json_object_set_new(e, "ro_toplevel", json_true());
		json_array_append_new(m, e);
	}
	json_object_set_new(o, "mounts", m);
	set_str(o, "cgroup_parent", s->cgroup_parent);
	set_str(o, "state_dir", s->state_dir);
	set_str(o, "log_path", s->log_path);
	json_object_set_new(o, "security", rt__security_to_json(&s->security));
	return o;
}

static int get_str(const json_t *o, const char *k, char **out, struct nd_error *err)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return nd_error_set(err, -EINVAL, "spec: \"%s\" must be a string", k);
	*out = strdup(json_string_value(v));
	return *out ? 0 : nd_error_set(err, -ENOMEM, "spec: out of memory");
}

static int get_strv(const json_t *o, const char *k, char ***out, struct nd_error *err)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return nd_error_set(err, -EINVAL, "spec: \"%s\" must be an array of strings", k);
	char **r = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!r)
		return nd_error_set(err, -ENOMEM, "spec: out of memory");
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			strv_free(r);
			return nd_error_set(err, -EINVAL, "spec: \"%s\"[%zu] must be a string", k, i);
		}
		r[i] = strdup(json_string_value(e));
	}
	*out = r;
	return 0;
}

static int get_bool(const json_t *o, const char *k, bool *out, struct nd_error *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return nd_error_set(err, -EINVAL, "spec: \"%s\" must be a boolean", k);
	*out = json_is_true(v);
	return 0;
}

static int get_int(const json_t *o, const char *k, int64_t *out, struct nd_error *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return nd_error_set(err, -EINVAL, "spec: limits.%s must be a non-negative integer", k);
	*out = json_integer_value(v);
	return 0;
}

int rt_spec_from_json(const json_t *j, struct rt_spec **out, struct nd_error *err)
{
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "spec: not a JSON object");
	struct rt_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return nd_error_set(err, -ENOMEM, "spec: out of memory");
	int r;
	if ((r = get_str(j, "id", &s->id, err)) < 0 || (r = get_str(j, "rootfs", &s->rootfs, err)) < 0 ||
	    (r = get_str(j, "netns", &s->netns, err)) < 0 ||
	    (r = get_strv(j, "args", &s->args, err)) < 0 || (r = get_strv(j, "env", &s->env, err)) < 0 ||
	    (r = get_str(j, "cwd", &s->cwd, err)) < 0 || (r = get_str(j, "user", &s->user, err)) < 0 ||
	    (r = get_str(j, "hostname", &s->hostname, err)) < 0 ||
	    (r = get_bool(j, "tty", &s->tty, err)) < 0 ||
	    (r = get_bool(j, "open_stdin", &s->open_stdin, err)) < 0 || (r = get_bool(j, "init", &s->init, err)) < 0 ||
	    (r = get_bool(j, "readonly_rootfs", &s->readonly_rootfs, err)) < 0 ||
	    (r = get_str(j, "cgroup_parent", &s->cgroup_parent, err)) < 0 ||
	    (r = get_str(j, "state_dir", &s->state_dir, err)) < 0 ||
	    (r = get_str(j, "log_path", &s->log_path, err)) < 0)
		goto fail;
	json_t *l = json_object_get(j, "limits");
	if (l) {
		int64_t v;
		if (!json_is_object(l)) {
			r = nd_error_set(err, -EINVAL, "spec: \"limits\" must be an object");
			goto fail;
		}
		v = 0; if ((r = get_int(l, "memory", &v, err)) < 0) goto fail; s->limits.memory = v;
		v = 0; if ((r = get_int(l, "cpu_shares", &v, err)) < 0) goto fail; s->limits.cpu_shares = (uint64_t)v;
		v = 0; if ((r = get_int(l, "cpu_quota", &v, err)) < 0) goto fail; s->limits.cpu_quota = v;
		v = 0; if ((r = get_int(l, "cpu_period", &v, err)) < 0) goto fail; s->limits.cpu_period = (uint64_t)v;
		v = 0; if ((r = get_int(l, "pids", &v, err)) < 0) goto fail; s->limits.pids = v;
	}
	json_t *m = json_object_get(j, "mounts");
	if (m && !json_is_array(m)) {
		r = nd_error_set(err, -EINVAL, "spec: \"mounts\" must be an array");
		goto fail;
	}
	if (m && json_array_size(m)) {
		s->mounts = calloc(json_array_size(m), sizeof(*s->mounts));
		size_t i;
		json_t *e;
		json_array_foreach(m, i, e) {
			struct rt_mount *mt = &s->mounts[s->n_mounts++];
			_cleanup_free_ char *type = NULL;
			bool nosuid = false, nodev = false, noexec = false;
			if ((r = get_str(e, "source", &mt->source, err)) < 0 ||
			    (r = get_str(e, "destination", &mt->destination, err)) < 0 ||
			    (r = get_str(e, "type", &type, err)) < 0 || (r = get_str(e, "options", &mt->options, err)) < 0 ||
			    (r = get_str(e, "propagation", &mt->propagation, err)) < 0 ||
			    (r = get_bool(e, "nosuid", &nosuid, err)) < 0 || (r = get_bool(e, "nodev", &nodev, err)) < 0 ||
			    (r = get_bool(e, "noexec", &noexec, err)) < 0 ||
			    (r = get_bool(e, "nonrecursive", &mt->nonrecursive, err)) < 0 ||
			    (r = get_bool(e, "ro_toplevel", &mt->ro_toplevel, err)) < 0 ||
			    (r = get_bool(e, "readonly", &mt->readonly, err)) < 0)
				goto fail;
			mt->flags = (nosuid ? RT_MOUNT_NOSUID : 0) | (nodev ? RT_MOUNT_NODEV : 0) |
				    (noexec ? RT_MOUNT_NOEXEC : 0);
			if (type && strcmp(type, "tmpfs") == 0) {
				mt->type = RT_MOUNT_TMPFS;
			} else if (type && strcmp(type, "bind") != 0) {
				r = nd_error_set(err, -EINVAL, "spec: mounts[%zu]: unknown type \"%s\"", i, type);
				goto fail;
			}
			if ((mt->type == RT_MOUNT_BIND && !mt->source) || !mt->destination) {
				r = nd_error_set(err, -EINVAL, "spec: mounts[%zu] needs source and destination", i);
				goto fail;
			}
		}
	}
	if ((r = rt__security_from_json(json_object_get(j, "security"), &s->security, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	rt_spec_free(s);
	return r;
}

int rt_spec_validate(const struct rt_spec *s, struct nd_error *err)
{
	if (!s->id || !nd_name_valid(s->id))
		return nd_error_set(err, -EINVAL, "invalid container id \"%s\"", s->id ? s->id : "");
	if (!s->rootfs || s->rootfs[0] != '/')
		return nd_error_set(err, -EINVAL, "rootfs must be an absolute path");
	if (!s->state_dir || s->state_dir[0] != '/')
		return nd_error_set(err, -EINVAL, "state dir must be an absolute path");
	if (!s->args || !s->args[0] || !s->args[0][0])
		return nd_error_set(err, -EINVAL, "no command specified");
	if (s->netns && s->netns[0] != '/')
		return nd_error_set(err, -EINVAL, "netns must be an absolute path");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct rt_mount *m = &s->mounts[i];
		if (m->destination[0] != '/' || strstr(m->destination, ".."))
			return nd_error_set(err, -EINVAL, "mount destination \"%s\" must be absolute, without ..",
					    m->destination);
		if (m->type == RT_MOUNT_BIND && (!m->source || m->source[0] != '/'))
			return nd_error_set(err, -EINVAL, "bind mount source for %s must be an absolute path",
					    m->destination);
		if (m->propagation && !rt__propagation_valid(m->propagation))
			return nd_error_set(err, -EINVAL, "invalid mount propagation \"%s\" (private, rprivate, shared, "
					    "rshared, slave, rslave)", m->propagation);
		if (m->options && strchr(m->options, '\n'))
			return nd_error_set(err, -EINVAL, "invalid mount options for %s", m->destination);
	}
	if (s->cgroup_parent && (strstr(s->cgroup_parent, "..") || !s->cgroup_parent[0]))
		return nd_error_set(err, -EINVAL, "invalid cgroup parent \"%s\"", s->cgroup_parent);
	if (s->limits.cpu_shares && (s->limits.cpu_shares < 2 || s->limits.cpu_shares > 262144))
		return nd_error_set(err, -EINVAL, "cpu shares must be in 2..262144");
	if (s->limits.pids < 0 || s->limits.memory < 0 || s->limits.cpu_quota < 0)
		return nd_error_set(err, -EINVAL, "limits must not be negative");
	if (s->limits.memory && s->limits.memory < 6 * 1024 * 1024)
		return nd_error_set(err, -EINVAL, "minimum memory limit allowed is 6MB");
	return 0;
}

int rt_spec_save(const struct rt_spec *s, const char *path, struct nd_error *err)
{
	_cleanup_json_ json_t *j = rt_spec_to_json(s);
	_cleanup_free_ char *txt = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!txt)
		return nd_error_set(err, -ENOMEM, "spec: out of memory");
	int r = rt__write_file_atomic(path, txt, strlen(txt));
	if (r < 0)
		return nd_error_set(err, r, "write %s: %s", path, strerror(-r));
	return 0;
}

int rt_spec_load(const char *path, struct rt_spec **out, struct nd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = rt__read_file(path, &buf, &len);
	if (r < 0)
		return nd_error_set(err, r, "read %s: %s", path, strerror(-r));
	_cleanup_json_ json_t *j = nd_json_parse(buf, len, err);
	if (!j)
		return nd_error_wrap(err, "%s", path);
	return rt_spec_from_json(j, out, err);
}
