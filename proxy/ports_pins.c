// SPDX-License-Identifier: Apache-2.0
/* proxy: who owns the pins under a shared pin path (see struct
 * nd_ports_owner in proxy.h). Each netd instance pins its maps and links in
 * <pin path>/<id16>/ with an owner record, the pinned array map nd_owner;
 * a later netd reads those records from the bpffs itself and removes the
 * folders of instances that can never come back: exec root gone, network
 * namespace gone, process gone. Removing a folder detaches its links (so
 * the programs leave the cgroup) and unpins its maps.
 *
 * A network namespace is alive while something holds it: a task (any
 * thread's /proc/PID/task/TID/ns/net), an open fd (/proc/PID/fd/N ->
 * "net:[INO]") or an nsfs bind mount (the root field of a mountinfo line,
 * read once per mount namespace, reached through /proc/PID/root). The kernel
 * hands a freed nsfs inode number out again at once (a test that deletes a
 * netns and makes the next one sees the same number), so a match by inode
 * is confirmed by the netns cookie, which is never reused: NS_GET_ID on the
 * nsfs file (Linux 6.18; a netns' id is its cookie) without entering the
 * namespace, or on older kernels a short-lived thread that enters it, makes
 * a socket, reads SO_NETNS_COOKIE and exits. The old layout's folders hold
 * only a cookie (their nd_cfg map): they are judged by cookie alone. When
 * anything cannot be told, the pins stay. */
#include "proxy/ports_internal.h"

#ifndef ND_HAVE_BPF

int nd_ports_pins_sweep(const char *pin_dir, const struct nd_ports_owner *self,
			void (*report)(const char *line, void *data), void *data, struct nd_error *err)
{
	return 0;
}
int nd_ports_pins_remove(const char *pin_dir, const struct nd_ports_owner *owner,
			 void (*report)(const char *line, void *data), void *data, struct nd_error *err)
{
	return 0;
}
int ports__pins_prepare(struct nd_ports *p, int *owner_fd, struct nd_error *err)
{
	*owner_fd = -1;
	return 0;
}
void ports__pins_repin_owner(struct nd_ports *p, int owner_fd) {}

#else

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

/* linux/nsfs.h of Linux 6.18 (older headers lack it) */
#define ND_NS_GET_ID _IOR(0xb7, 0xd, uint64_t)

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define OWNER_MAP "nd_owner"
#define LEGACY_PARENT "/sys/fs/bpf"

static const char *const legacy_names[] = {
	"nd_ports", "nd_local", "nd_revnat", "nd_cfg",
	"link_nd_connect4", "link_nd_connect6", "link_nd_sendmsg4", "link_nd_sendmsg6",
	"link_nd_recvmsg4", "link_nd_recvmsg6", "link_nd_getpeername4", "link_nd_getpeername6",
	NULL,
};

typedef void (*report_fn)(const char *line, void *data);

static void say(report_fn report, void *data, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(report_fn report, void *data, const char *fmt, ...)
{
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (report)
		report(line, data);
}

static uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *s = strrchr(buf, ')'); /* comm may hold spaces */
	if (!s)
		return 0;
	unsigned long long v = 0;
	/* after ")": state is field 3, starttime field 22 */
	int field = 2;
	for (char *t = s + 1; *t; t++)
		if (*t == ' ' && ++field == 22) {
			v = strtoull(t + 1, NULL, 10);
			break;
		}
	return v;
}

/* ---- live network namespaces ------------------------------------------------- */

struct live_ns {
	uint64_t ino;
	char path[320];    /* a path that opens it ("" = none known) */
};

struct live {
	struct live_ns *v;
	size_t n, cap;
	uint64_t *mnt;     /* mount namespaces whose mountinfo was read */
	size_t nmnt, capmnt;
	bool ok;
};

static void live_add(struct live *l, uint64_t ino, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ino == ino) {
			if (!l->v[i].path[0] && path)
				snprintf(l->v[i].path, sizeof(l->v[i].path), "%s", path);
			return;
		}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct live_ns *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->ok = false;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].ino = ino;
	snprintf(l->v[l->n].path, sizeof(l->v[l->n].path), "%s", path ? path : "");
	l->n++;
}

/* nsfs bind mounts of netns in one mount namespace: root field "net:[INO]";
 * prefix: how to reach that namespace's mount points ("" = our own) */
static void scan_mountinfo(struct live *l, const char *file, const char *prefix)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char root[256], mnt[256];
		unsigned long long ino;
		if (sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2)
			continue;
		if (sscanf(root, "net:[%llu]", &ino) != 1)
			continue;
		char path[320];
		int n = snprintf(path, sizeof(path), "%s%s", prefix, mnt);
		live_add(l, ino, n > 0 && (size_t)n < sizeof(path) ? path : NULL);
	}
	fclose(f);
}

static void scan_pid(struct live *l, const char *pid)
{
	char path[128], link[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/ns/net", pid, de->d_name);
		if (stat(path, &st) == 0)
			live_add(l, st.st_ino, path);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		unsigned long long ino;
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "net:[%llu]", &ino) == 1)
			live_add(l, ino, path);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	if (stat(path, &st) < 0)
		return;
	for (size_t i = 0; i < l->nmnt; i++)
		if (l->mnt[i] == st.st_ino)
			return;
	if (l->nmnt == l->capmnt) {
		size_t cap = l->capmnt ? 2 * l->capmnt : 16;
		uint64_t *v = realloc(l->mnt, cap * sizeof(*v));
		if (!v)
			return;
		l->mnt = v;
		l->capmnt = cap;
	}
	l->mnt[l->nmnt++] = st.st_ino;
	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "/proc/%s/root", pid);
	scan_mountinfo(l, path, prefix);
}

static void live_scan(struct live *l)
{
	if (l->ok || l->v)
		return;
	l->ok = true;
	struct stat st;
	if (stat("/proc/self/ns/net", &st) == 0)
		live_add(l, st.st_ino, "/proc/self/ns/net");
	scan_mountinfo(l, "/proc/self/mountinfo", "");
	if (stat("/proc/self/ns/mnt", &st) == 0 && (l->mnt = malloc(16 * sizeof(*l->mnt)))) {
		l->capmnt = 16;
		l->mnt[l->nmnt++] = st.st_ino;
	}
	DIR *d = opendir("/proc");
	if (!d) {
		l->ok = false; /* cannot tell: everything counts as alive */
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			scan_pid(l, de->d_name);
	closedir(d);
}

static void live_free(struct live *l)
{
	free(l->v);
	free(l->mnt);
	*l = (struct live){ 0 };
}

/* the cookie of the netns at path: a thread enters it, makes a socket, asks */
struct cookie_job {
	const char *path;
	uint64_t cookie;
	int rc;
};

static void *cookie_thread(void *arg)
{
	struct cookie_job *j = arg;
	int nfd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) {
		j->rc = -errno;
		if (nfd >= 0)
			close(nfd);
		return NULL;
	}
	close(nfd);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(j->cookie);
	j->rc = s >= 0 && getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &j->cookie, &len) == 0 ? 0 : -errno;
	if (s >= 0)
		close(s);
	return NULL; /* the thread ends here, in that namespace */
}

/* The cookie of the netns at path (never reused, unlike nsfs inode numbers,
 * which the kernel hands out again at once): NS_GET_ID on the nsfs file
 * (Linux 6.18: a netns' id is its cookie), else a short-lived thread. */
static int cookie_of(const char *path, uint64_t *cookie)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, ND_NS_GET_ID, cookie) == 0)
		return 0;
	if (errno != ENOTTY && errno != EINVAL)
		return -errno;
	struct cookie_job j = { .path = path };
	pthread_t t;
	if (pthread_create(&t, NULL, cookie_thread, &j) != 0)
		return -EAGAIN;
	pthread_join(t, NULL);
	*cookie = j.cookie;
	return j.rc;
}

/* Is a live netns this one (inode number and, when known, cookie)? -1:
 * cannot tell, so the caller keeps the pins. ino 0: by cookie alone. */
static int netns_alive(struct live *l, uint64_t ino, uint64_t cookie)
{
	live_scan(l);
	if (!l->ok)
		return -1;
	bool unknown = false;
	for (size_t i = 0; i < l->n; i++) {
		if (ino && l->v[i].ino != ino)
			continue;
		if (!cookie)
			return 1;
		uint64_t c = 0;
		if (!l->v[i].path[0] || cookie_of(l->v[i].path, &c) < 0) {
			unknown = true;
			continue;
		}
		if (c == cookie)
			return 1;
	}
	return unknown ? -1 : 0;
}

/* ---- removing pins ------------------------------------------------------------ */

/* Unpins dir/name: a link is detached first (its program leaves the cgroup
 * at once, whoever else still holds an fd of it). */
static int unpin(const char *dir, const char *name, report_fn report, void *data)
{
	char path[640];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	bool link = false;
	int fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* only a link fd can be detached (maps and programs: EINVAL) */
		link = bpf_link_detach(fd) == 0 || strncmp(name, "link_", 5) == 0;
		close(fd);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	say(report, data, "eBPF %s %s%s", link ? "link" : "pin", path, link ? " (detached)" : "");
	return 1;
}

/* every pin in dir, links first (their programs detach before the maps
 * they use go), then dir itself; 0 when dir does not exist */
static int remove_folder(const char *dir, report_fn report, void *data, struct nd_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : nd_error_set(err, -errno, "ports: open %s: %s", dir, strerror(errno));
	char names[64][NAME_MAX + 1];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	int r = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool is_link = strncmp(names[i], "link_", 5) == 0;
			if (is_link != (pass == 0))
				continue;
			int u = unpin(dir, names[i], report, data);
			if (u < 0 && !r)
				r = nd_error_set(err, u, "ports: remove %s/%s: %s", dir, names[i], strerror(-u));
		}
	if (rmdir(dir) < 0 && errno != ENOENT && !r)
		r = nd_error_set(err, -errno, "ports: remove %s: %s", dir, strerror(errno));
	return r;
}

/* the old layout's pins in dir (not the folders under it) */
static int remove_legacy(const char *dir, report_fn report, void *data, struct nd_error *err)
{
	int r = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; legacy_names[i]; i++) {
			bool is_link = strncmp(legacy_names[i], "link_", 5) == 0;
			if (is_link != (pass == 0))
				continue;
			int u = unpin(dir, legacy_names[i], report, data);
			if (u < 0 && !r)
				r = nd_error_set(err, u, "ports: remove %s/%s: %s", dir, legacy_names[i], strerror(-u));
		}
	return r;
}

static bool has_legacy(const char *dir)
{
	char path[640];
	snprintf(path, sizeof(path), "%s/nd_cfg", dir);
	return access(path, F_OK) == 0;
}

static int owner_read(const char *folder, struct nd_ports_owner_rec *rec)
{
	char path[640];
	snprintf(path, sizeof(path), "%s/" OWNER_MAP, folder);
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (info.value_size != sizeof(*rec) || info.key_size != 4)
		return -EPROTO;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(fd, &zero, rec) < 0)
		return -errno;
	if (rec->magic != ND_PORTS_OWNER_MAGIC)
		return -EPROTO;
	rec->id[sizeof(rec->id) - 1] = rec->exec_root[sizeof(rec->exec_root) - 1] = '\0';
	return 0;
}

/* can the owner of rec come back? (a reason it is gone goes to why) */
static bool owner_alive(const struct nd_ports_owner_rec *rec, struct live *l)
{
	struct stat st;
	if (rec->exec_root[0] != '/' || stat(rec->exec_root, &st) == 0 || errno != ENOENT)
		return true;
	if (rec->pid > 0 && rec->start_time && proc_start_time((pid_t)rec->pid) == rec->start_time)
		return true;
	return netns_alive(l, rec->netns_ino, rec->netns_cookie) != 0;
}

static void log_line(const char *line, void *data)
{
	log_info("ports: removed %s", line);
}

int nd_ports_pins_sweep(const char *pin_dir, const struct nd_ports_owner *self, report_fn report, void *data,
			struct nd_error *err)
{
	DIR *d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : nd_error_set(err, -errno, "ports: open %s: %s", pin_dir, strerror(errno));
	struct live l = { 0 };
	int removed = 0;
	struct dirent *de;
	char folder[512];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (self && self->id && !strncmp(de->d_name, self->id, 16) && strlen(de->d_name) == 16))
			continue;
		snprintf(folder, sizeof(folder), "%s/%s", pin_dir, de->d_name);
		struct nd_ports_owner_rec rec;
		struct stat st;
		if (lstat(folder, &st) < 0 || !S_ISDIR(st.st_mode) || owner_read(folder, &rec) < 0)
			continue; /* not an owned instance folder: not ours to judge */
		if (owner_alive(&rec, &l))
			continue;
		log_info("ports: pins of netd id=%.12s exec-root=%s pid=%llu: its exec root, network namespace "
			 "and process are gone; removing %s", rec.id, rec.exec_root, (unsigned long long)rec.pid, folder);
		struct nd_error e = { 0 };
		if (remove_folder(folder, report, data, &e) < 0)
			log_warn("%s", e.msg);
		else
			removed++;
	}
	closedir(d);
	/* old layout of other instances: /sys/fs/bpf/netd-XXXXXXXX, by netns cookie */
	if (!strcmp(pin_dir, ND_PORTS_PIN_DEFAULT) && (d = opendir(LEGACY_PARENT))) {
		while ((de = readdir(d))) {
			unsigned h;
			char tail;
			if (strlen(de->d_name) != 13 || sscanf(de->d_name, "netd-%8x%c", &h, &tail) != 1)
				continue;
			snprintf(folder, sizeof(folder), LEGACY_PARENT "/%s", de->d_name);
			if (self && self->legacy_dir && !strcmp(self->legacy_dir, folder))
				continue;
			char path[640];
			snprintf(path, sizeof(path), "%s/nd_cfg", folder);
			_cleanup_close_ int fd = bpf_obj_get(path);
			uint64_t cookie = 0;
			uint32_t zero = 0;
			if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &cookie) < 0 || !cookie)
				continue;
			if (netns_alive(&l, 0, cookie) != 0)
				continue;
			log_info("ports: old-layout pins %s: their network namespace is gone; removing them", folder);
			struct nd_error e = { 0 };
			if (remove_folder(folder, report, data, &e) < 0)
				log_warn("%s", e.msg);
			else
				removed++;
		}
		closedir(d);
	}
	live_free(&l);
	return removed;
}

int nd_ports_pins_remove(const char *pin_dir, const struct nd_ports_owner *owner, report_fn report, void *data,
			 struct nd_error *err)
{
	char folder[512];
	int r = 0;
	struct nd_error e = { 0 };
	/* its folder by id, and any folder whose record names its exec root
	 * (an instance of this exec root whose --root was wiped) */
	DIR *d = opendir(pin_dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(folder, sizeof(folder), "%s/%s", pin_dir, de->d_name);
		struct nd_ports_owner_rec rec;
		bool mine = owner->id && strlen(de->d_name) == 16 && !strncmp(de->d_name, owner->id, 16);
		if (!mine && owner_read(folder, &rec) == 0 && owner->exec_root && !strcmp(rec.exec_root, owner->exec_root))
			mine = !(rec.pid > 0 && rec.start_time && proc_start_time((pid_t)rec.pid) == rec.start_time);
		if (mine && remove_folder(folder, report, data, &e) < 0 && !r)
			r = (*err = e, e.code);
	}
	if (d)
		closedir(d);
	nd_error_clear(&e);
	if (owner->legacy_dir && owner->legacy_dir[0] && remove_legacy(owner->legacy_dir, report, data, &e) < 0 && !r)
		r = (*err = e, e.code);
	if (owner->legacy_dir && strcmp(owner->legacy_dir, pin_dir))
		(void)rmdir(owner->legacy_dir);
	(void)rmdir(pin_dir); /* when empty: the pin path was made for us */
	return r;
}

/* ---- the instance folder at start ------------------------------------------------- */

/* old layout -> instance folder: the pins move (rename within the bpffs,
 * or get + pin + unlink), so the maps' contents and the links stay */
static void migrate_legacy(struct nd_ports *p)
{
	const char *from = p->owner_legacy;
	if (!from[0] || !has_legacy(from))
		return;
	char a[640], b[640];
	snprintf(a, sizeof(a), "%s/nd_cfg", p->pin_dir);
	if (access(a, F_OK) == 0) {
		/* both layouts: ours wins, the old one is a leftover */
		log_info("ports: removing old-layout pins in %s (the instance folder %s is in use)", from, p->pin_dir);
		(void)remove_legacy(from, log_line, NULL, &(struct nd_error){ 0 });
	} else {
		log_info("ports: moving old-layout pins from %s to %s", from, p->pin_dir);
		for (size_t i = 0; legacy_names[i]; i++) {
			snprintf(a, sizeof(a), "%s/%s", from, legacy_names[i]);
			snprintf(b, sizeof(b), "%s/%s", p->pin_dir, legacy_names[i]);
			if (access(a, F_OK) < 0 || rename(a, b) == 0)
				continue;
			int fd = bpf_obj_get(a);
			if (fd >= 0 && bpf_obj_pin(fd, b) == 0)
				unlink(a);
			else
				log_warn("ports: move %s to %s: %s", a, b, strerror(errno));
			if (fd >= 0)
				close(fd);
		}
	}
	if (strcmp(from, p->pin_base))
		(void)rmdir(from);
}

static int owner_fill(struct nd_ports *p, struct nd_ports_owner_rec *rec, struct nd_error *err)
{
	*rec = (struct nd_ports_owner_rec){ .magic = ND_PORTS_OWNER_MAGIC, .version = 1 };
	struct stat st;
	if (stat("/proc/self/ns/net", &st) < 0)
		return nd_error_set(err, -errno, "ports: stat /proc/self/ns/net: %s", strerror(errno));
	rec->netns_dev = st.st_dev;
	rec->netns_ino = st.st_ino;
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(rec->netns_cookie);
	if (s >= 0)
		(void)getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &rec->netns_cookie, &len);
	rec->pid = (uint64_t)getpid();
	rec->start_time = proc_start_time(getpid());
	snprintf(rec->id, sizeof(rec->id), "%s", p->owner_id);
	snprintf(rec->exec_root, sizeof(rec->exec_root), "%s", p->owner_exec_root);
	return 0;
}

int ports__pins_prepare(struct nd_ports *p, int *owner_fd, struct nd_error *err)
{
	*owner_fd = -1;
	if (!p->has_owner)
		return 0;
	struct nd_ports_owner self = { .id = p->owner_id, .exec_root = p->owner_exec_root,
				       .legacy_dir = p->owner_legacy[0] ? p->owner_legacy : NULL };
	struct nd_error e = { 0 };
	if (nd_ports_pins_sweep(p->pin_base, &self, log_line, NULL, &e) < 0)
		log_warn("%s", e.msg);
	if (mkdir(p->pin_dir, 0700) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "ports: mkdir %s: %s", p->pin_dir, strerror(errno));
	migrate_legacy(p);

	struct nd_ports_owner_rec rec;
	int r = owner_fill(p, &rec, err);
	if (r < 0)
		return r;
	char path[640];
	snprintf(path, sizeof(path), "%s/" OWNER_MAP, p->pin_dir);
	int fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.value_size != sizeof(rec) || info.key_size != 4) {
			close(fd); /* another version's record: a new one */
			unlink(path);
			fd = -1;
		}
	}
	if (fd < 0) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, OWNER_MAP, 4, sizeof(rec), 1, NULL);
		if (fd < 0)
			return nd_error_set(err, -errno, "ports: create the owner record: %s", strerror(errno));
		if (bpf_obj_pin(fd, path) < 0) {
			r = -errno;
			close(fd);
			return nd_error_set(err, r, "ports: pin %s: %s", path, strerror(-r));
		}
	}
	uint32_t zero = 0;
	if (bpf_map_update_elem(fd, &zero, &rec, BPF_ANY) < 0) {
		r = -errno;
		close(fd);
		return nd_error_set(err, r, "ports: write the owner record: %s", strerror(-r));
	}
	*owner_fd = fd;
	return 0;
}

void ports__pins_repin_owner(struct nd_ports *p, int owner_fd)
{
	if (owner_fd < 0)
		return;
	char path[640];
	snprintf(path, sizeof(path), "%s/" OWNER_MAP, p->pin_dir);
	if (access(path, F_OK) < 0 && bpf_obj_pin(owner_fd, path) == 0)
		log_debug("ports: re-pinned %s", path);
}

#endif /* ND_HAVE_BPF */
