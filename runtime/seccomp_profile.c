// SPDX-License-Identifier: Apache-2.0
/* Seccomp profiles in Docker's JSON format (`--security-opt seccomp=FILE`):
 * parsed with jansson, resolved for one capability set and architecture
 * (a rule's includes/excludes), loaded with libseccomp. A rule whose action
 * is the default one is dropped (libseccomp refuses it); unknown syscall
 * names are skipped when loading, as runc does; several conditions on the
 * same argument become one rule each (OR), others one rule (AND). */
#include "runtime/internal.h"
#include "wire/wire.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

static const struct {
	const char *name;
	uint32_t token;
	const char *go; /* Go's GOARCH for includes/excludes.arches */
} arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86, "386" },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, "amd64" },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32, "x32" },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM, "arm" },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, "arm64" },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, "mips" },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, "mips64" },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, "mips64n32" },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, "mipsle" },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, "mips64le" },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, "mips64n32le" },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC, "ppc" },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, "ppc64" },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, "ppc64le" },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390, "s390" },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X, "s390x" },
#ifdef SCMP_ARCH_RISCV64
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, "riscv64" },
#endif
};

static const struct {
	const char *name;
	int op;
} ops[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* containers/common's profiles (Podman's, a superset of Docker's) also name
 * the errno: "defaultErrno", a rule's "errno"; the number wins when both */
static const struct {
	const char *name;
	int no;
} errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "EBADF", EBADF }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "EINVAL", EINVAL }, { "ENOSPC", ENOSPC }, { "ENOSYS", ENOSYS }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "EAFNOSUPPORT", EAFNOSUPPORT }, { "ENOTSUP", ENOTSUP },
};

/* *Ret (a number) or the errno's name; -1 when neither */
static int errno_of(const json_t *o, const char *num_key, const char *name_key, json_int_t *out,
		    struct nd_error *err, const char *where)
{
	*out = -1;
	const json_t *v = json_object_get(o, num_key);
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return nd_error_set(err, -EINVAL, "%s: \"%s\" must be a non-negative number", where, num_key);
		*out = json_integer_value(v);
		return 0;
	}
	const char *name = nd_json_str(o, name_key);
	if (!name || !*name)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(errnos[i].name, name)) {
			*out = errnos[i].no;
			return 0;
		}
	return nd_error_set(err, -EINVAL, "%s: unknown errno \"%s\" (give %s)", where, name, num_key);
}


static int arch_token(const char *name, uint32_t *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, name) == 0) {
			*out = arches[i].token;
			return 0;
		}
	return -EINVAL;
}

static const char *arch_go_of_token(uint32_t t)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i].token == t)
			return arches[i].go;
	return "";
}

/* "SCMP_ACT_ERRNO" with errno_ret (-1 = not given: EPERM) */
static int action_parse(const char *name, json_int_t errno_ret, uint32_t *out, struct nd_error *err,
			const char *where)
{
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(errno_ret >= 0 ? (uint32_t)errno_ret : EPERM);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(errno_ret >= 0 ? (uint32_t)errno_ret : EPERM);
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return nd_error_set(err, -ENOTSUP, "%s: SCMP_ACT_NOTIFY needs a listener, which netd does not run",
				    where);
	else
		return nd_error_set(err, -EINVAL, "%s: unknown action \"%s\"", where, name);
	if (errno_ret > 4095)
		return nd_error_set(err, -EINVAL, "%s: errnoRet %lld out of range", where, (long long)errno_ret);
	return 0;
}

static bool str_in(const json_t *arr, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return true;
	return false;
}

/* every name of caps held (includes) / any held (excludes) */
static int caps_match(const json_t *caps, uint64_t held, bool all, bool *out, struct nd_error *err,
		      const char *where)
{
	size_t i;
	json_t *x;
	bool any = false, every = true;
	json_array_foreach(caps, i, x) {
		int c = json_is_string(x) ? wire_cap_from_name(json_string_value(x)) : -EINVAL;
		if (c < 0)
			return nd_error_set(err, -EINVAL, "%s: unknown capability %s", where,
					    json_is_string(x) ? json_string_value(x) : "(not a string)");
		bool h = held & (1ull << c);
		any |= h;
		every &= h;
	}
	*out = all ? every : any;
	return 0;
}

static int kernel_at_least(const char *want)
{
	struct utsname u;
	if (uname(&u) < 0)
		return 1;
	unsigned a = 0, b = 0, x = 0, y = 0;
	if (sscanf(want, "%u.%u", &a, &b) < 1)
		return -EINVAL;
	sscanf(u.release, "%u.%u", &x, &y);
	return x > a || (x == a && y >= b);
}

/* whether the rule applies to this container (includes/excludes) */
static int rule_applies(const json_t *sc, uint64_t caps, const char *arch, bool *out, struct nd_error *err,
			const char *where)
{
	*out = false;
	const json_t *inc = json_object_get(sc, "includes"), *exc = json_object_get(sc, "excludes");
	const json_t *v;
	bool m;
	int r;
	if (inc && !json_is_object(inc))
		return nd_error_set(err, -EINVAL, "%s: \"includes\" must be an object", where);
	if (exc && !json_is_object(exc))
		return nd_error_set(err, -EINVAL, "%s: \"excludes\" must be an object", where);
	if ((v = json_object_get(inc, "arches")) && json_array_size(v) && !str_in(v, arch))
		return 0;
	if ((v = json_object_get(exc, "arches")) && str_in(v, arch))
		return 0;
	if ((v = json_object_get(inc, "caps")) && json_array_size(v)) {
		if ((r = caps_match(v, caps, true, &m, err, where)) < 0)
			return r;
		if (!m)
			return 0;
	}
	if ((v = json_object_get(exc, "caps")) && json_array_size(v)) {
		if ((r = caps_match(v, caps, false, &m, err, where)) < 0)
			return r;
		if (m)
			return 0;
	}
	if ((v = json_object_get(inc, "minKernel")) && json_is_string(v) && *json_string_value(v)) {
		r = kernel_at_least(json_string_value(v));
		if (r < 0)
			return nd_error_set(err, -EINVAL, "%s: invalid minKernel \"%s\"", where, json_string_value(v));
		if (!r)
			return 0;
	}
	*out = true;
	return 0;
}

static int rule_args(const json_t *args, struct rt_seccomp_rule *rule, struct nd_error *err, const char *where)
{
	if (args && !json_is_null(args) && !json_is_array(args))
		return nd_error_set(err, -EINVAL, "%s: \"args\" must be an array", where);
	if (json_array_size(args) > ARRAY_SIZE(rule->args))
		return nd_error_set(err, -EINVAL, "%s: more than %zu args", where, ARRAY_SIZE(rule->args));
	size_t i;
	json_t *a;
	unsigned seen = 0;
	json_array_foreach(args, i, a) {
		json_int_t index = 0, value = 0, value2 = 0;
		const char *op = NULL;
		json_error_t je;
		if (json_unpack_ex(a, &je, 0, "{s:I,s?I,s?I,s:s}", "index", &index, "value", &value, "valueTwo", &value2,
				   "op", &op) < 0)
			return nd_error_set(err, -EINVAL, "%s: args[%zu]: %s", where, i, je.text);
		if (index < 0 || index > 5)
			return nd_error_set(err, -EINVAL, "%s: args[%zu]: index %lld out of 0..5", where, i,
					    (long long)index);
		int o = -1;
		for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
			if (!strcmp(ops[k].name, op))
				o = ops[k].op;
		if (o < 0)
			return nd_error_set(err, -EINVAL, "%s: args[%zu]: unknown op \"%s\"", where, i, op);
		if (seen & (1u << index))
			rule->args_any = true;
		seen |= 1u << index;
		rule->args[rule->n_args].index = (unsigned)index;
		rule->args[rule->n_args].op = o;
		rule->args[rule->n_args].value = (uint64_t)value;
		rule->args[rule->n_args].value_two = (uint64_t)value2;
		rule->n_args++;
	}
	return 0;
}

void rt_seccomp_profile_clear(struct rt_seccomp_profile *p)
{
	if (!p)
		return;
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

static int add_arch(struct rt_seccomp_profile *p, const char *name, struct nd_error *err)
{
	uint32_t t;
	if (arch_token(name, &t) < 0)
		return nd_error_set(err, -EINVAL, "seccomp profile: unknown architecture \"%s\"", name);
	for (size_t i = 0; i < p->n_arches; i++)
		if (p->arches[i] == t)
			return 0;
	if (p->n_arches == ARRAY_SIZE(p->arches))
		return nd_error_set(err, -EINVAL, "seccomp profile: too many architectures");
	p->arches[p->n_arches++] = t;
	return 0;
}

static int parse_arches(const json_t *j, const char *arch, struct rt_seccomp_profile *p, struct nd_error *err)
{
	size_t i;
	json_t *x;
	int r;
	const json_t *a = json_object_get(j, "architectures");
	if (a && !json_is_array(a))
		return nd_error_set(err, -EINVAL, "seccomp profile: \"architectures\" must be an array");
	json_array_foreach(a, i, x) {
		if (!json_is_string(x))
			return nd_error_set(err, -EINVAL, "seccomp profile: architectures[%zu] must be a string", i);
		if ((r = add_arch(p, json_string_value(x), err)) < 0)
			return r;
	}
	/* archMap: the entry of this machine's architecture and its sub-architectures */
	const json_t *m = json_object_get(j, "archMap");
	if (m && !json_is_array(m))
		return nd_error_set(err, -EINVAL, "seccomp profile: \"archMap\" must be an array");
	json_array_foreach(m, i, x) {
		const char *name = nd_json_str(x, "architecture");
		uint32_t t;
		if (!name || arch_token(name, &t) < 0)
			return nd_error_set(err, -EINVAL, "seccomp profile: archMap[%zu]: unknown architecture", i);
		if (strcmp(arch_go_of_token(t), arch) != 0)
			continue;
		if ((r = add_arch(p, name, err)) < 0)
			return r;
		size_t k;
		json_t *s;
		json_array_foreach(json_object_get(x, "subArchitectures"), k, s)
			if (!json_is_string(s) || (r = add_arch(p, json_string_value(s), err)) < 0)
				return r < 0 ? r : nd_error_set(err, -EINVAL, "seccomp profile: bad subArchitectures");
	}
	return 0;
}

static int parse_flags(const json_t *j, struct rt_seccomp_profile *p, struct nd_error *err)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(j, "flags"), i, x) {
		const char *f = json_string_value(x);
		if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			p->flag_log = true;
		else if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			p->flag_spec_allow = true;
		else if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC"))
			; /* the process is single-threaded when it loads */
		else
			return nd_error_set(err, -ENOTSUP, "seccomp profile: flag %s is not supported", f ? f : "?");
	}
	return 0;
}

int rt_seccomp_profile_parse(const char *text, uint64_t caps, const char *arch, struct rt_seccomp_profile *out,
			     struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!arch)
		arch = wire_go_arch();
	json_error_t je;
	_cleanup_json_ json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return nd_error_set(err, -EINVAL, "seccomp profile: invalid JSON (line %d: %s)", je.line, je.text);
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "seccomp profile: not a JSON object");
	static const char *const known[] = { "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap",
					     "syscalls", "flags", "listenerPath", "listenerMetadata", NULL };
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		bool ok = false;
		for (size_t i = 0; known[i]; i++)
			ok |= strcmp(known[i], key) == 0;
		if (!ok)
			return nd_error_set(err, -EINVAL, "seccomp profile: unknown field \"%s\"", key);
	}
	const char *lp = nd_json_str(j, "listenerPath");
	if (lp && *lp)
		return nd_error_set(err, -ENOTSUP, "seccomp profile: listenerPath is not supported by netd");
	const char *def = nd_json_str(j, "defaultAction");
	if (!def)
		return nd_error_set(err, -EINVAL, "seccomp profile: \"defaultAction\" is required");
	json_int_t def_errno = -1;
	int r;
	if ((r = errno_of(j, "defaultErrnoRet", "defaultErrno", &def_errno, err, "seccomp profile")) < 0)
		return r;
	if ((r = action_parse(def, def_errno, &out->default_action, err, "seccomp profile: defaultAction")) < 0 ||
	    (r = parse_arches(j, arch, out, err)) < 0 || (r = parse_flags(j, out, err)) < 0)
		goto fail;
	const json_t *sys = json_object_get(j, "syscalls");
	if (sys && !json_is_array(sys) && !json_is_null(sys)) {
		r = nd_error_set(err, -EINVAL, "seccomp profile: \"syscalls\" must be an array");
		goto fail;
	}
	size_t cap = 0, i;
	json_t *sc;
	json_array_foreach(sys, i, sc) {
		char where[64];
		snprintf(where, sizeof(where), "seccomp profile: syscalls[%zu]", i);
		if (!json_is_object(sc)) {
			r = nd_error_set(err, -EINVAL, "%s: must be an object", where);
			goto fail;
		}
		const char *act = nd_json_str(sc, "action");
		json_int_t eret = -1;
		if ((r = errno_of(sc, "errnoRet", "errno", &eret, err, where)) < 0)
			goto fail;
		struct rt_seccomp_rule proto = { 0 };
		bool applies;
		if (!act) {
			r = nd_error_set(err, -EINVAL, "%s: \"action\" is required", where);
			goto fail;
		}
		if ((r = action_parse(act, eret, &proto.action, err, where)) < 0 ||
		    (r = rule_args(json_object_get(sc, "args"), &proto, err, where)) < 0 ||
		    (r = rule_applies(sc, caps, arch, &applies, err, where)) < 0)
			goto fail;
		/* "names" (or the old single "name") */
		json_t *names = json_object_get(sc, "names");
		json_t *one = json_object_get(sc, "name");
		if ((names && !json_is_array(names)) || (one && !json_is_string(one)) || (!names && !one)) {
			r = nd_error_set(err, -EINVAL, "%s: \"names\" must be an array of syscall names", where);
			goto fail;
		}
		size_t n = one ? 1 : json_array_size(names);
		for (size_t k = 0; k < n; k++) {
			json_t *nm = one ? one : json_array_get(names, k);
			if (!json_is_string(nm) || !json_string_length(nm) || json_string_length(nm) >= sizeof(proto.name)) {
				r = nd_error_set(err, -EINVAL, "%s: names[%zu] is not a syscall name", where, k);
				goto fail;
			}
			if (!applies || proto.action == out->default_action)
				continue;
			if (out->n_rules == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct rt_seccomp_rule *nr = realloc(out->rules, nc * sizeof(*nr));
				if (!nr) {
					r = nd_error_set(err, -ENOMEM, "out of memory");
					goto fail;
				}
				out->rules = nr;
				cap = nc;
			}
			struct rt_seccomp_rule *rule = &out->rules[out->n_rules++];
			*rule = proto;
			snprintf(rule->name, sizeof(rule->name), "%s", json_string_value(nm));
		}
	}
	return 0;
fail:
	rt_seccomp_profile_clear(out);
	return r;
}

static int filter_build(const struct rt_seccomp_profile *p, scmp_filter_ctx *out, struct nd_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	if (!ctx)
		return nd_error_set(err, -ENOMEM, "seccomp_init failed");
	int r = 0;
	/* no_new_privs is the caller's choice (set before, or CAP_SYS_ADMIN held) */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; i < p->n_arches; i++) {
		r = seccomp_arch_add(ctx, p->arches[i]);
		if (r < 0 && r != -EEXIST) {
			r = nd_error_set(err, r, "seccomp: add architecture %s: %s", arch_go_of_token(p->arches[i]),
					 strerror(-r));
			goto out;
		}
	}
	if (p->flag_log)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
#ifdef SCMP_FLTATR_CTL_SSB
	if (p->flag_spec_allow)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
#endif
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rt_seccomp_rule *rule = &p->rules[i];
		int nr = seccomp_syscall_resolve_name(rule->name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp or kernel */
		struct scmp_arg_cmp c[6];
		for (unsigned k = 0; k < rule->n_args; k++)
			c[k] = (struct scmp_arg_cmp){ .arg = rule->args[k].index, .op = rule->args[k].op,
						      .datum_a = rule->args[k].value, .datum_b = rule->args[k].value_two };
		if (rule->args_any) {
			for (unsigned k = 0; k < rule->n_args && r >= 0; k++)
				r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &c[k]);
		} else {
			r = seccomp_rule_add_array(ctx, rule->action, nr, rule->n_args, c);
		}
		if (r == -EDOM || r == -EOPNOTSUPP)
			r = 0; /* not on every architecture of the filter */
		if (r < 0) {
			r = nd_error_set(err, r, "seccomp: rule for %s: %s", rule->name, strerror(-r));
			goto out;
		}
	}
	*out = ctx;
	return 0;
out:
	seccomp_release(ctx);
	return r;
}

int rt__seccomp_profile_load(const struct rt_seccomp_profile *p, struct nd_error *err)
{
	scmp_filter_ctx ctx;
	int r = filter_build(p, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	if (r < 0)
		r = nd_error_set(err, r, "seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

int rt__seccomp_profile_export(const struct rt_seccomp_profile *p, int fd, struct nd_error *err)
{
	scmp_filter_ctx ctx;
	int r = filter_build(p, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		r = nd_error_set(err, r, "seccomp_export_bpf: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

int rt__seccomp_bpf_load(const struct rt_seccomp_profile *p, const void *bpf, size_t len, struct nd_error *err)
{
	if (!len || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > USHRT_MAX)
		return nd_error_set(err, -EINVAL, "seccomp: a compiled filter of %zu bytes", len);
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)),
				   .filter = (struct sock_filter *)bpf };
	unsigned flags = 0;
	if (p->flag_log)
		flags |= SECCOMP_FILTER_FLAG_LOG;
#ifdef SECCOMP_FILTER_FLAG_SPEC_ALLOW
	if (p->flag_spec_allow)
		flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
#endif
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
		return nd_error_set(err, -errno, "seccomp(SECCOMP_SET_MODE_FILTER): %m");
	return 0;
}
