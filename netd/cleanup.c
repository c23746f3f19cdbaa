// SPDX-License-Identifier: Apache-2.0
/* `netd --cleanup`: removes everything a netd (this --root/--exec-root/
 * --config) made on the host, as a reboot plus an uninstall would, and
 * prints one line per thing removed:
 *   containers   their processes and shims killed, cgroups removed, rootfs
 *                (overlay) unmounted and removed, their records and files
 *                dropped from --root (a container cannot outlive its
 *                cgroup and its network namespace)
 *   sandboxes    their network namespaces (bind mounts under the exec
 *                root) and endpoints (veths), records dropped with their
 *                addresses
 *   networks     their bridges, through the drivers (the definitions stay
 *                in --root, so a later netd re-creates them, as after a
 *                reboot), and interfaces the drivers own that nothing records
 *   firewall     the nft table `inet netd` and netd's accept rules in other
 *                tables' forward chains
 *   eBPF         this instance's pins and links under the pin path (the
 *                programs leave the cgroup)
 *   cgroups      the containers' cgroup parent dirs, when empty
 *   volumes      the mounts of volumes with the local driver's options (a
 *                tmpfs, a device, a bind) on <root>/volumes/NAME/_data; the
 *                volumes themselves (their records and data) stay
 *   exec root    whatever is mounted under it, then the directory
 * Images, network definitions and the database stay in --root.
 *
 * It refuses, touching nothing, while a netd holds the root's lock, and
 * holds that lock itself while it works. Every step is idempotent: a second
 * run prints nothing. Teardown is best effort: every step is tried, the
 * failures are reported together, the exit status says whether there were any. */
#include "netd/cleanup.h"
#include "netd/net/net.h"

#include "images/images.h"
#include "proxy/proxy.h"
#include "runtime/runtime.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <net/if.h>
#include <ifaddrs.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_CG_PARENTS 64

struct cleanup {
	struct netd *d;
	unsigned removed;
	unsigned failures;
	char *cg_parents[MAX_CG_PARENTS];
	size_t ncg;
};

static void said(const char *line, void *data)
{
	struct cleanup *c = data;
	printf("removed %s\n", line);
	fflush(stdout);
	c->removed++;
}

static void saidf(struct cleanup *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void saidf(struct cleanup *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	said(line, c);
}

static void failed(struct cleanup *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct cleanup *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "netd: cleanup: %s\n", line);
	c->failures++;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf that never crosses into another mount */
static int rm_tree(const char *path)
{
	if (!exists(path))
		return 0;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	int field = 2;
	for (char *t = s ? s + 1 : buf + n; *t; t++)
		if (*t == ' ' && ++field == 22)
			return strtoull(t + 1, NULL, 10);
	return 0;
}

static void cg_parent_note(struct cleanup *c, const char *dir)
{
	_cleanup_free_ char *copy = strdup(dir);
	if (!copy)
		return;
	const char *parent = dirname(copy);
	for (size_t i = 0; i < c->ncg; i++)
		if (!strcmp(c->cg_parents[i], parent))
			return;
	if (c->ncg < MAX_CG_PARENTS)
		c->cg_parents[c->ncg++] = strdup(parent);
}

/* ---- containers ------------------------------------------------------------------- */

/* processes, cgroups and the state dir of one container */
static bool container_kill(struct cleanup *c, const char *state_dir)
{
	if (!state_dir || !exists(state_dir))
		return false;
	struct rt_cgroup cg;
	if (rt_state_cgroup(state_dir, &cg, NULL) == 0) {
		for (size_t i = 0; i < cg.n; i++)
			cg_parent_note(c, cg.paths[i]);
		rt_cgroup_clear(&cg);
	}
	struct rt_state st;
	bool loaded = rt_state_load(state_dir, &st, NULL) == 0;
	struct nd_error e = { 0 };
	if (loaded && st.pid > 0)
		(void)rt_kill(&st, SIGKILL, NULL);
	if (rt_delete(state_dir, &e) < 0)
		failed(c, "container state %s: %s", state_dir, e.msg);
	/* the shim records the exit and leaves; one that does not is killed */
	if (loaded && st.shim_pid > 0 && st.shim_start && proc_start(st.shim_pid) == st.shim_start)
		kill(st.shim_pid, SIGKILL);
	return true;
}

static void containers(struct cleanup *c, struct images *images)
{
	struct netd *d = c->d;
	char dir[PATH_MAX];
	if (d->store) {
		_cleanup_json_ json_t *docs = NULL;
		struct nd_error e = { 0 };
		if (store_obj_list(d->store, "container", NULL, NULL, &docs, &e) < 0) {
			failed(c, "list containers: %s", e.msg);
		} else {
			size_t i;
			json_t *doc;
			json_array_foreach(docs, i, doc) {
				const char *id = nd_json_str(doc, "Id");
				const char *name = nd_json_str(doc, "Name");
				if (!id)
					continue;
				container_kill(c, nd_json_str(doc, "StateDir"));
				nd_error_clear(&e);
				if (images && images_rootfs_remove(images, id, &e) < 0)
					failed(c, "container %.12s: rootfs: %s", id, e.msg);
				snprintf(dir, sizeof(dir), "%s/containers/%s", d->cfg.root, id);
				if (rm_tree(dir) < 0)
					failed(c, "container %.12s: remove %s: %s", id, dir, strerror(errno));
				nd_error_clear(&e);
				if (store_obj_del(d->store, "container", id, &e) < 0)
					failed(c, "container %.12s: drop its record: %s", id, e.msg);
				else
					saidf(c, "container %.12s (%s): processes, cgroups, rootfs and record",
					      id, name && *name == '/' ? name + 1 : name ? name : "");
			}
		}
	}
	/* state dirs no record names (a crash between the two) */
	snprintf(dir, sizeof(dir), "%s/containers", d->cfg.exec_root);
	DIR *dd = opendir(dir);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		char sd[PATH_MAX + 300];
		snprintf(sd, sizeof(sd), "%s/%s", dir, de->d_name);
		if (container_kill(c, sd))
			saidf(c, "container state %s (no record)", sd);
	}
	if (dd)
		closedir(dd);
}

/* ---- sandboxes, endpoints, networks ------------------------------------------------ */

/* interface names recorded in a DriverData object that exist now */
static json_t *present_ifnames(const json_t *data)
{
	json_t *names = json_array();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v) {
		const char *s = json_string_value(v);
		if (s && strlen(s) < IFNAMSIZ && if_nametoindex(s))
			json_array_append_new(names, json_string(s));
	}
	return names;
}

static void report_gone(struct cleanup *c, json_t *names, const char *what)
{
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v)
		if (!if_nametoindex(json_string_value(v)))
			saidf(c, "interface %s (%s)", json_string_value(v), what);
}

static struct net_network *network_of(struct net_network *list, const char *id)
{
	for (struct net_network *n = list; n; n = n->next)
		if (id && !strcmp(n->rec.id, id))
			return n;
	return NULL;
}

static void networking(struct cleanup *c, struct nd_drv_ctx *ctx)
{
	struct netd *d = c->d;
	struct nd_error e = { 0 };
	struct net_network *nets = NULL;
	json_t *seen = json_object();
	if (d->store) {
		struct nd_network_rec *recs = NULL;
		size_t nrecs = 0, i;
		if (store_network_list(d->store, &recs, &nrecs, &e) < 0)
			failed(c, "list networks: %s", e.msg);
		for (i = 0; i < nrecs; i++) {
			struct net_network *n;
			char name[ND_NAME_MAX + 1];
			snprintf(name, sizeof(name), "%s", recs[i].name);
			nd_error_clear(&e);
			if (net_network_load(d, &recs[i], &n, &e) < 0) {
				failed(c, "network %s: %s", name, e.msg);
				continue;
			}
			n->next = nets;
			nets = n;
		}
		for (i = 0; i < nrecs; i++)
			nd_network_rec_clear(&recs[i]);
		free(recs);
		/* endpoints: their interfaces, then the records and addresses */
		struct nd_endpoint_list eps = { 0 };
		nd_error_clear(&e);
		if (store_endpoint_list(d->store, NULL, NULL, &eps, &e) < 0)
			failed(c, "list endpoints: %s", e.msg);
		for (i = 0; i < eps.n; i++) {
			const char *id = eps.v[i].id;
			struct net_network *n = network_of(nets, eps.v[i].network_id);
			if (n) {
				struct nd_drv_network dn;
				struct nd_drv_endpoint de;
				net_drv_network(n, &dn);
				net_drv_endpoint(&eps.v[i], &de);
				_cleanup_json_ json_t *names = present_ifnames(de.data);
				nd_error_clear(&e);
				if (n->drv->endpoint_delete(ctx, &dn, &de, &e) < 0)
					failed(c, "endpoint %.12s: %s", id, e.msg);
				char what[128];
				snprintf(what, sizeof(what), "endpoint %.12s on network %s", id, n->rec.name);
				report_gone(c, names, what);
			}
			nd_error_clear(&e);
			if (store_obj_del(d->store, "endpoint", id, &e) < 0 ||
			    store_addr_release_owner(d->store, id, &e) < 0)
				failed(c, "endpoint %.12s: drop its record: %s", id, e.msg);
		}
		nd_endpoint_list_clear(&eps);
		/* sandboxes: their namespaces, then the records */
		struct nd_sandbox_list sbs = { 0 };
		nd_error_clear(&e);
		if (store_sandbox_list(d->store, &sbs, &e) < 0)
			failed(c, "list sandboxes: %s", e.msg);
		for (i = 0; i < sbs.n; i++) {
			const char *id = sbs.v[i].id;
			const char *path = sbs.v[i].netns_path;
			bool there = path[0] && exists(path);
			nd_error_clear(&e);
			if (there && netns_destroy(path, &e) < 0)
				failed(c, "sandbox %.12s: %s", id, e.msg);
			else if (there)
				saidf(c, "network namespace %s (sandbox %.12s)", path, id);
			nd_error_clear(&e);
			if (store_obj_del(d->store, "sandbox", id, &e) < 0)
				failed(c, "sandbox %.12s: drop its record: %s", id, e.msg);
		}
		nd_sandbox_list_clear(&sbs);
	}
	/* namespaces no record names */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/netns", d->cfg.exec_root);
	DIR *dd = opendir(dir);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		char path[PATH_MAX + 300];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		nd_error_clear(&e);
		if (netns_destroy(path, &e) < 0)
			failed(c, "%s", e.msg);
		else
			saidf(c, "network namespace %s (no record)", path);
	}
	if (dd)
		closedir(dd);

	/* networks: their kernel side only, through the drivers */
	for (struct net_network *n = nets; n; n = n->next) {
		struct nd_drv_network dn;
		net_drv_network(n, &dn);
		_cleanup_json_ json_t *names = present_ifnames(dn.data);
		nd_error_clear(&e);
		if (n->drv->network_delete(ctx, &dn, &e) < 0)
			failed(c, "network %s: %s", n->rec.name, e.msg);
		char what[128];
		snprintf(what, sizeof(what), "network %s", n->rec.name);
		report_gone(c, names, what);
	}
	/* what a driver made and marks (not by name), with no record left at all */
	const struct nd_driver_ops *const *all = nd_driver_all();
	for (size_t k = 0; all[k]; k++) {
		struct nd_drv_records none = { 0 };
		nd_error_clear(&e);
		if (all[k]->sweep && all[k]->sweep(ctx, &none, &e) < 0)
			failed(c, "%s driver: %s", all[k]->name, e.msg);
	}
	/* interfaces a driver owns by name that are left (a crash before the record) */
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_name || json_object_get(seen, i->ifa_name))
				continue;
			json_object_set_new(seen, i->ifa_name, json_true());
			for (size_t k = 0; all[k]; k++) {
				if (!all[k]->owns_ifname || !all[k]->owns_ifname(i->ifa_name) || !all[k]->orphan_delete)
					continue;
				nd_error_clear(&e);
				if (all[k]->orphan_delete(ctx, i->ifa_name, &e) < 0)
					failed(c, "interface %s: %s", i->ifa_name, e.msg);
				else if (!if_nametoindex(i->ifa_name))
					saidf(c, "interface %s (%s driver, no record)", i->ifa_name, all[k]->name);
				break;
			}
		}
		freeifaddrs(ifa);
	}
	json_decref(seen);
	for (struct net_network *n = nets, *next; n; n = next) {
		next = n->next;
		net_network_free(n);
	}
}

/* ---- cgroups ----------------------------------------------------------------------- */

/* The containers' parent under each hierarchy, as the shim resolves a
 * relative parent: below our own cgroup there (the cgroup netd ran in,
 * when --cleanup runs where netd was started). Only empty dirs go. */
static void cgroup_parents(struct cleanup *c)
{
	const char *parent = c->d->cfg.cgroup_parent ? c->d->cfg.cgroup_parent : "netd";
	struct rt_cgroup_layout lay;
	char own[4096] = "";
	_cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, own, sizeof(own) - 1);
	own[n > 0 ? n : 0] = '\0';
	if (rt_cgroup_layout_detect(&lay, NULL) == 0) {
		char path[1024];
		for (size_t i = 0; i <= lay.n_v1; i++) {
			const char *mnt = i < lay.n_v1 ? lay.v1[i].mountpoint : lay.unified;
			const char *root = i < lay.n_v1 ? lay.v1[i].root : "/";
			const char *ctrls = i < lay.n_v1 ? lay.v1[i].controllers : "";
			if (!mnt[0])
				continue;
			if (parent[0] == '/') {
				snprintf(path, sizeof(path), "%s%s", mnt, parent);
			} else {
				/* our line of /proc/self/cgroup for this hierarchy: "N:ctrls:/path" */
				const char *mine = NULL;
				for (char *l = own; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
					const char *a = strchr(l, ':');
					const char *b = a ? strchr(a + 1, ':') : NULL;
					if (b && (size_t)(b - a - 1) == strlen(ctrls) && !strncmp(a + 1, ctrls, strlen(ctrls))) {
						mine = b + 1;
						break;
					}
				}
				if (!mine)
					continue;
				size_t len = strcspn(mine, "\n");
				size_t rl = strcmp(root, "/") ? strlen(root) : 0;
				if (rl && !strncmp(mine, root, rl))
					mine += rl, len -= rl;
				snprintf(path, sizeof(path), "%s%.*s/%s", mnt, (int)len, mine, parent);
			}
			char clean[1024];
			size_t k = 0;
			for (const char *s = path; *s && k + 1 < sizeof(clean); s++)
				if (!(*s == '/' && k && clean[k - 1] == '/'))
					clean[k++] = *s;
			clean[k] = '\0';
			cg_parent_note(c, strcat(clean, "/x"));
		}
	}
	for (size_t i = 0; i < c->ncg; i++) {
		if (rmdir(c->cg_parents[i]) == 0)
			saidf(c, "cgroup %s", c->cg_parents[i]);
		else if (errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
			failed(c, "remove cgroup %s: %s", c->cg_parents[i], strerror(errno));
		free(c->cg_parents[i]);
	}
	c->ncg = 0;
}

/* ---- the exec root ----------------------------------------------------------------- */

static void exec_root(struct cleanup *c)
{
	const char *root = c->d->cfg.exec_root;
	if (!exists(root))
		return;
	/* mounts under it, deepest first (the netns dir is a bind mount of itself) */
	for (int round = 0; round < 8; round++) {
		FILE *f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			break;
		char line[4096], best[4096] = "";
		size_t rl = strlen(root);
		while (fgets(line, sizeof(line), f)) {
			char mnt[4096];
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
				continue;
			if (!strncmp(mnt, root, rl) && (mnt[rl] == '/' || mnt[rl] == '\0') && strlen(mnt) > strlen(best))
				snprintf(best, sizeof(best), "%s", mnt);
		}
		fclose(f);
		if (!best[0])
			break;
		if (umount2(best, MNT_DETACH) < 0) {
			failed(c, "unmount %s: %s", best, strerror(errno));
			break;
		}
	}
	if (rm_tree(root) < 0)
		failed(c, "remove %s: %s", root, strerror(errno));
	else
		saidf(c, "exec root %s", root);
}

/* ---- the whole ---------------------------------------------------------------------- */

/* the local driver's mounts on <root>/volumes/NAME/_data */
static void volume_mounts(struct cleanup *c, const char *root)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/volumes", root);
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char data[PATH_MAX + 300];
		snprintf(data, sizeof(data), "%s/%s/_data", dir, de->d_name);
		struct statx sx;
		while (statx(AT_FDCWD, data, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
		       (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
			if (umount2(data, MNT_DETACH) < 0) {
				failed(c, "volume mount %s: %s", data, strerror(errno));
				break;
			}
			saidf(c, "volume mount %s", data);
		}
	}
	closedir(dp);
}

static bool socket_live(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path));
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int netd_cleanup(struct netd *d)
{
	struct cleanup c = { .d = d };
	struct nd_error err = { 0 };
	char path[PATH_MAX];
	int rc;

	/* first of all: no netd may be running on this root or this exec root
	 * (a wrong --root must not take a running netd's namespaces and rules):
	 * nothing is touched before both locks are ours */
	if ((exists(d->cfg.root) && (rc = netd_lock_dir(d->cfg.root, "root", &d->lock_fd, &err)) < 0) ||
	    (exists(d->cfg.exec_root) &&
	     (rc = netd_lock_dir(d->cfg.exec_root, "exec root", &d->exec_lock_fd, &err)) < 0)) {
		fprintf(stderr, "netd: cleanup refused: %s; stop it first (nothing was removed)\n", err.msg);
		return 1;
	}
	/* a netd of another root on this exec root or socket (a wrong --root)
	 * would lose its namespaces, rules and pins: refuse that too */
	snprintf(path, sizeof(path), "%s/netd.sock", d->cfg.exec_root);
	const char *live = socket_live(d->cfg.socket) ? d->cfg.socket : socket_live(path) ? path : NULL;
	if (live) {
		fprintf(stderr, "netd: cleanup refused: a server is listening on %s (a netd with another --root?); "
			"stop it first (nothing was removed)\n", live);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/netd.db", d->cfg.root);
	_cleanup_free_ char *id = NULL;
	if (exists(path)) {
		if (store_open(path, &d->store, &err) < 0) {
			fprintf(stderr, "netd: cleanup: %s\n", err.msg);
			return 1;
		}
		if (store_meta_get(d->store, "daemon-id", &id, &err) == 0 && nd_id_valid(id))
			snprintf(d->id, sizeof(d->id), "%s", id);
	}
	struct images *images = NULL;
	snprintf(path, sizeof(path), "%s/images", d->cfg.root);
	if (exists(path)) {
		struct images_config ic = { .root = path, .driver = d->cfg.storage_driver };
		nd_error_clear(&err);
		if (images_open(&ic, &images, &err) < 0)
			failed(&c, "image store: %s (containers' rootfs left)", err.msg);
	}

	/* 1. containers: nothing may run in what goes next */
	containers(&c, images);

	/* 2. the firewall first (one batch), so that the drivers below find no
	 *    table to edit (ctx.fw NULL) */
	struct nd_fw *fw = NULL;
	nd_error_clear(&err);
	if (nd_fw_open("netd", &fw, &err) < 0 || nd_fw_remove_all(fw, said, &c, &err) < 0)
		failed(&c, "%s", err.msg);
	nd_fw_free(fw);

	/* 3. endpoints, sandboxes, networks' interfaces */
	struct nd_drv_ctx ctx = { .fw = NULL, .exec_root = d->cfg.exec_root, .wait_teardown = true };
	networking(&c, &ctx);

	/* 4. eBPF pins and links */
	char base[PATH_MAX], legacy[PATH_MAX];
	net_ports_pin_paths(d, base, sizeof(base), legacy, sizeof(legacy));
	struct nd_ports_owner owner = { .id = d->id[0] ? d->id : NULL, .exec_root = d->cfg.exec_root,
					.legacy_dir = legacy };
	nd_error_clear(&err);
	if (nd_ports_pins_remove(base, &owner, said, &c, &err) < 0)
		failed(&c, "%s", err.msg);

	/* 5. cgroup parents, volumes' mounts, 6. the exec root and the socket */
	cgroup_parents(&c);
	volume_mounts(&c, d->cfg.root);
	exec_root(&c);
	struct stat st;
	if (lstat(d->cfg.socket, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* only a stale one: a live socket belongs to a running server */
		if (socket_live(d->cfg.socket))
			failed(&c, "socket %s: a running server listens there; left", d->cfg.socket);
		else if (unlink(d->cfg.socket) == 0)
			saidf(&c, "socket %s", d->cfg.socket);
	}

	images_close(images);
	store_close(d->store);
	d->store = NULL;
	if (d->lock_fd >= 0) {
		close(d->lock_fd);
		d->lock_fd = -1;
	}
	if (d->exec_lock_fd >= 0) {
		close(d->exec_lock_fd); /* its file went with the exec root */
		d->exec_lock_fd = -1;
	}
	if (c.failures) {
		fprintf(stderr, "netd: cleanup: %u thing%s removed, %u failure%s (see above)\n", c.removed,
			c.removed == 1 ? "" : "s", c.failures, c.failures == 1 ? "" : "s");
		return 1;
	}
	fprintf(stderr, "netd: cleanup: %u thing%s removed\n", c.removed, c.removed == 1 ? "" : "s");
	return 0;
}
