// SPDX-License-Identifier: Apache-2.0
/* User and group resolution against the image's /etc/passwd and /etc/group,
 * with runc's rules ("uid[:gid]" or "name[:group]"), and the switch to it. */
#include "runtime/internal.h"

#include <grp.h>
#include <sys/prctl.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* splits a colon-separated line into at most n fields in place */
static size_t split_fields(char *line, char **f, size_t n)
{
	size_t k = 0;
	line[strcspn(line, "\n")] = '\0';
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[k++] = p + 1;
		}
	return k;
}

struct pw_ent {
	char name[128];
	uid_t uid;
	gid_t gid;
	char home[256];
};

/* by name (name != NULL) or by uid; 1 found, 0 not found */
static int passwd_find(FILE *f, const char *name, uid_t uid, struct pw_ent *out)
{
	char line[1024];
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *fl[7];
		if (split_fields(line, fl, 7) < 4 || !all_digits(fl[2]) || !all_digits(fl[3]))
			continue;
		uid_t u = (uid_t)strtoul(fl[2], NULL, 10);
		if (name ? strcmp(fl[0], name) != 0 : u != uid)
			continue;
		snprintf(out->name, sizeof(out->name), "%s", fl[0]);
		out->uid = u;
		out->gid = (gid_t)strtoul(fl[3], NULL, 10);
		snprintf(out->home, sizeof(out->home), "%s", fl[5] && *fl[5] ? fl[5] : "/");
		return 1;
	}
	return 0;
}

static bool member_of(const char *members, const char *user)
{
	size_t ul = strlen(user);
	for (const char *p = members; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == ul && !strncmp(p, user, ul))
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

int rt_user_resolve(const char *spec, const char *passwd_path, const char *group_path,
		    struct rt_user *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->home, sizeof(out->home), "/");
	char ubuf[256];
	if (nd_snprintf(ubuf, sizeof(ubuf), "%s", spec && *spec ? spec : "0") < 0)
		return nd_error_set(err, -EINVAL, "user \"%s\": too long", spec);
	char *gpart = strchr(ubuf, ':');
	if (gpart)
		*gpart++ = '\0';
	const char *upart = ubuf;
	if (!*upart || (gpart && !*gpart))
		return nd_error_set(err, -EINVAL, "invalid user \"%s\": expected uid[:gid] or name[:group]", spec);

	_cleanup_fclose_ FILE *pw = fopen(passwd_path, "re");
	_cleanup_fclose_ FILE *gr = fopen(group_path, "re");
	struct pw_ent ent = { 0 };
	bool found = false;
	if (all_digits(upart)) {
		unsigned long v = strtoul(upart, NULL, 10);
		if (v > 0x7fffffffUL)
			return nd_error_set(err, -EINVAL, "uid %s out of range", upart);
		out->uid = (uid_t)v;
		if (pw && passwd_find(pw, NULL, out->uid, &ent)) {
			found = true;
			out->gid = ent.gid;
		}
	} else {
		if (!pw || !passwd_find(pw, upart, 0, &ent))
			return nd_error_set(err, -ENOENT,
					    "unable to find user %s: no matching entries in passwd file", upart);
		found = true;
		out->uid = ent.uid;
		out->gid = ent.gid;
	}
	if (found)
		snprintf(out->home, sizeof(out->home), "%s", ent.home);

	if (gpart) {
		if (all_digits(gpart)) {
			unsigned long v = strtoul(gpart, NULL, 10);
			if (v > 0x7fffffffUL)
				return nd_error_set(err, -EINVAL, "gid %s out of range", gpart);
			out->gid = (gid_t)v;
		} else {
			bool gfound = false;
			char line[4096];
			while (gr && !gfound && fgets(line, sizeof(line), gr)) {
				char *fl[4];
				if (split_fields(line, fl, 4) < 3 || !all_digits(fl[2]))
					continue;
				if (!strcmp(fl[0], gpart)) {
					out->gid = (gid_t)strtoul(fl[2], NULL, 10);
					gfound = true;
				}
			}
			if (!gfound)
				return nd_error_set(err, -ENOENT,
						    "unable to find group %s: no matching entries in group file",
						    gpart);
		}
		/* an explicit group: only that one (Docker: "groups=1000") */
		out->groups[out->n_groups++] = out->gid;
		return 0;
	}
	/* the primary group first, then every group that lists the user */
	out->groups[out->n_groups++] = out->gid;

	if (found && gr) {
		char line[4096];
		rewind(gr);
		while (fgets(line, sizeof(line), gr)) {
			char *fl[4];
			if (split_fields(line, fl, 4) < 4 || !all_digits(fl[2]))
				continue;
			if (!member_of(fl[3], ent.name))
				continue;
			if (out->n_groups == RT_MAX_GROUPS)
				break;
			gid_t g = (gid_t)strtoul(fl[2], NULL, 10);
			bool dup = false;
			for (size_t i = 0; i < out->n_groups; i++)
				dup |= out->groups[i] == g;
			if (!dup)
				out->groups[out->n_groups++] = g;
		}
	}
	return 0;
}

int rt__user_switch(const struct rt_user *u, struct nd_error *err)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return nd_error_set(err, -errno, "prctl(PR_SET_KEEPCAPS): %m");
	if (setgroups(u->n_groups, u->groups) < 0)
		return nd_error_set(err, -errno, "setgroups: %m");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return nd_error_set(err, -errno, "setgid %u: %m", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return nd_error_set(err, -errno, "setuid %u: %m", (unsigned)u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return nd_error_set(err, -errno, "prctl(PR_SET_KEEPCAPS): %m");
	return 0;
}
