// SPDX-License-Identifier: Apache-2.0
/* proxy: the eBPF backend of port publishing — cgroup sock_addr programs
 * (proxy/bpf/ports.bpf.c, loaded through a bpftool skeleton) that rewrite
 * the destination of host sockets to the container at connect()/sendmsg()
 * time. Maps and links are pinned under the pin dir, so they outlive netd:
 * a restart finds them, reuses the maps and swaps the programs in place. */
#include "proxy/ports_internal.h"

#ifndef ND_HAVE_BPF

bool ports__ebpf_available(void) { return false; }
static int nobpf_open(struct nd_ports *p, const struct nd_ports_config *cfg, struct nd_error *err)
{
	return nd_error_set(err, -ENOTSUP, "ports: built without eBPF");
}
const struct ports__backend_ops ports__ebpf_ops = { .name = "ebpf", .open = nobpf_open };
int nd_ports_ebpf_lookup(const char *pin_dir, int family, int proto, const uint8_t addr[16], uint16_t port,
			 struct nd_ports_ebpf_hit *hit, struct nd_error *err)
{
	memset(hit, 0, sizeof(*hit));
	return nd_error_set(err, -ENOTSUP, "ports: built without eBPF");
}

#else

#include "ports.skel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* mirrors of proxy/bpf/ports.bpf.c */
struct bk_port_key {
	uint8_t family;
	uint8_t proto;
	uint16_t port;
	uint32_t addr[4];
};
struct bk_port_val {
	uint32_t addr[4];
	uint16_t port;
	uint16_t pad;
};
struct bk_local_key {
	uint32_t family;
	uint32_t addr[4];
};
struct bk_cfg {
	uint64_t netns_cookie;
};

#define NPROGS 8

struct ebpf {
	struct ports_bpf *skel;
	struct bpf_link *links[NPROGS];
	uint64_t netns_cookie;
	uint64_t cgroup_id;
	int owner_fd;            /* the instance's nd_owner map (ports_pins.c), -1 without an owner */
};

bool ports__ebpf_available(void) { return true; }

static struct bpf_program *prog_at(struct ports_bpf *s, int i)
{
	struct bpf_program *all[NPROGS] = {
		s->progs.nd_connect4, s->progs.nd_connect6, s->progs.nd_sendmsg4, s->progs.nd_sendmsg6,
		s->progs.nd_recvmsg4, s->progs.nd_recvmsg6, s->progs.nd_getpeername4, s->progs.nd_getpeername6,
	};
	return all[i];
}

static struct bpf_map *map_at(struct ports_bpf *s, int i)
{
	struct bpf_map *all[] = { s->maps.nd_ports, s->maps.nd_local, s->maps.nd_revnat, s->maps.nd_cfg };
	return i < 4 ? all[i] : NULL;
}

static int mkdir_p(const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == magic;
}

static int pin_dir_ready(const char *dir, struct nd_error *err)
{
	if (mkdir_p(dir) == 0 && is_fs(dir, BPF_FS_MAGIC))
		return 0;
	/* the default place: mount bpffs there when nobody has */
	if (nd_str_has_prefix(dir, "/sys/fs/bpf/") && !is_fs("/sys/fs/bpf", BPF_FS_MAGIC)) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
			return nd_error_set(err, -errno, "ports: mount bpffs on /sys/fs/bpf: %s", strerror(errno));
		if (mkdir_p(dir) == 0 && is_fs(dir, BPF_FS_MAGIC))
			return 0;
	}
	return nd_error_set(err, -ENOTSUP, "ports: pin dir %s is not on a bpf filesystem", dir);
}

static int netns_cookie(uint64_t *out, struct nd_error *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t l = sizeof(*out);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, out, &l) < 0)
		return nd_error_set(err, -errno, "ports: netns cookie: %s", strerror(errno));
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int libbpf_print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && nd_log_get_level() >= ND_LOG_DEBUG) {
		char line[512];
		vsnprintf(line, sizeof(line), fmt, ap);
		log_debug("%.*s", (int)strcspn(line, "\n"), line);
	}
	return 0;
}

/* open + load, reusing the pinned maps; an incompatible pinned map (another
 * version's layout) is replaced */
static int load(struct nd_ports *p, struct ebpf *b, struct nd_error *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		b->skel = ports_bpf__open();
		if (!b->skel)
			return nd_error_set(err, -errno ? -errno : -EINVAL, "ports: open eBPF object: %s", strerror(errno));
		char path[320];
		for (int i = 0; map_at(b->skel, i); i++) {
			struct bpf_map *m = map_at(b->skel, i);
			pin_path(path, sizeof(path), p->pin_dir, bpf_map__name(m));
			bpf_map__set_pin_path(m, path);
			if (i == 2 /* nd_revnat: per socket, never worth keeping over a restart */ && attempt)
				unlink(path);
		}
		int r = ports_bpf__load(b->skel);
		if (r == 0)
			return 0;
		ports_bpf__destroy(b->skel);
		b->skel = NULL;
		if (attempt)
			return nd_error_set(err, r, "ports: load eBPF programs: %s", strerror(-r));
		log_debug("ports: load with pinned maps failed (%s), replacing them", strerror(-r));
		for (int i = 0; i < 4; i++) {
			static const char *names[] = { "nd_ports", "nd_local", "nd_revnat", "nd_cfg" };
			pin_path(path, sizeof(path), p->pin_dir, names[i]);
			unlink(path);
		}
	}
	return -EINVAL;
}

static int attach(struct nd_ports *p, struct ebpf *b, int cgfd, struct nd_error *err)
{
	char path[320];
	for (int i = 0; i < NPROGS; i++) {
		struct bpf_program *prog = prog_at(b->skel, i);
		char name[96];
		snprintf(name, sizeof(name), "link_%s", bpf_program__name(prog));
		pin_path(path, sizeof(path), p->pin_dir, name);
		struct bpf_link *l = bpf_link__open(path);
		if (l) {
			struct bpf_link_info info = { 0 };
			uint32_t il = sizeof(info);
			bool same = bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &il) == 0 &&
				    info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == b->cgroup_id;
			if (same && bpf_link__update_program(l, prog) == 0) {
				b->links[i] = l;
				continue;
			}
			/* a link of another cgroup, or defunct: replace it */
			bpf_link__unpin(l);
			bpf_link__detach(l);
			bpf_link__destroy(l);
			unlink(path);
		}
		l = bpf_program__attach_cgroup(prog, cgfd);
		if (!l)
			return nd_error_set(err, -errno, "ports: attach %s to %s: %s", bpf_program__name(prog),
					    p->cgroup_path, strerror(errno));
		b->links[i] = l;
		int r = bpf_link__pin(l, path);
		if (r < 0)
			return nd_error_set(err, r, "ports: pin %s: %s", path, strerror(-r));
	}
	return 0;
}

static void ebpf_close(struct nd_ports *p)
{
	struct ebpf *b = p->bk;
	if (!b)
		return;
	for (int i = 0; i < NPROGS; i++)
		bpf_link__destroy(b->links[i]); /* pinned: closing our fd keeps it attached */
	ports_bpf__destroy(b->skel);
	if (b->owner_fd >= 0)
		close(b->owner_fd);
	free(b);
	p->bk = NULL;
}

static int ebpf_refresh_addrs(struct nd_ports *p, struct nd_error *err);

static int ebpf_open(struct nd_ports *p, const struct nd_ports_config *cfg, struct nd_error *err)
{
	libbpf_set_print(libbpf_print_quiet);
	int r = pin_dir_ready(p->pin_dir, err);
	if (r < 0)
		return r;
	if (!is_fs(p->cgroup_path, CGROUP2_SUPER_MAGIC))
		return nd_error_set(err, -ENOTSUP, "ports: %s is not a cgroup2 directory", p->cgroup_path);
	_cleanup_close_ int cgfd = open(p->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (cgfd < 0 || fstat(cgfd, &st) < 0)
		return nd_error_set(err, -errno, "ports: open cgroup %s: %s", p->cgroup_path, strerror(errno));
	struct ebpf *b = calloc(1, sizeof(*b));
	if (!b)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	b->cgroup_id = st.st_ino; /* cgroup2: the inode number is the cgroup id */
	b->owner_fd = -1;
	p->bk = b;
	if ((r = ports__pins_prepare(p, &b->owner_fd, err)) < 0 ||
	    (r = netns_cookie(&b->netns_cookie, err)) < 0 || (r = load(p, b, err)) < 0)
		goto fail;
	uint32_t zero = 0;
	struct bk_cfg c = { .netns_cookie = b->netns_cookie };
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.nd_cfg), &zero, &c, BPF_ANY) < 0) {
		r = nd_error_set(err, -errno, "ports: write eBPF config: %s", strerror(errno));
		goto fail;
	}
	if ((r = attach(p, b, cgfd, err)) < 0)
		goto fail;
	(void)ebpf_refresh_addrs(p, &(struct nd_error){ 0 });
	return 0;
fail:
	ebpf_close(p);
	return r;
}

static void to_key(const struct fw__port *k, struct bk_port_key *key, struct bk_port_val *val)
{
	*key = (struct bk_port_key){ .family = k->v6 ? AF_INET6 : AF_INET, .proto = k->proto, .port = htons(k->host_port) };
	*val = (struct bk_port_val){ .port = htons(k->port) };
	size_t alen = k->v6 ? 16 : 4;
	if (!k->any)
		memcpy(key->addr, k->host_addr, alen);
	memcpy(val->addr, k->addr, alen);
}

static int ebpf_add(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err)
{
	struct ebpf *b = p->bk;
	int fd = bpf_map__fd(b->skel->maps.nd_ports);
	for (size_t i = 0; i < n; i++) {
		struct bk_port_key key;
		struct bk_port_val val;
		to_key(&e[i]->k, &key, &val);
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY) < 0) {
			int r = -errno;
			for (size_t j = 0; j < i; j++) {
				to_key(&e[j]->k, &key, &val);
				bpf_map_delete_elem(fd, &key);
			}
			return nd_error_set(err, r, "ports: eBPF map update: %s", strerror(-r));
		}
	}
	return 0;
}

static void ebpf_del(struct nd_ports *p, struct ports__entry *const *e, size_t n)
{
	struct ebpf *b = p->bk;
	int fd = bpf_map__fd(b->skel->maps.nd_ports);
	for (size_t i = 0; i < n; i++) {
		struct bk_port_key key;
		struct bk_port_val val;
		to_key(&e[i]->k, &key, &val);
		(void)bpf_map_delete_elem(fd, &key);
	}
}

static int cmp_key(const void *a, const void *b) { return memcmp(a, b, sizeof(struct bk_port_key)); }
static int cmp_local(const void *a, const void *b) { return memcmp(a, b, sizeof(struct bk_local_key)); }

/* Deletes every key of map fd that is not in sorted want[0..n) (keys of ksize). */
static void prune(int fd, const void *want, size_t n, size_t ksize, int (*cmp)(const void *, const void *))
{
	uint8_t cur[64], next[64];
	bool first = true;
	/* collect first, delete after: deleting while iterating restarts the walk */
	_cleanup_wire_buf_ struct wire_buf gone = { 0 };
	while (bpf_map_get_next_key(fd, first ? NULL : cur, next) == 0) {
		first = false;
		memcpy(cur, next, ksize);
		if (n && bsearch(cur, want, n, ksize, cmp))
			continue;
		if (wire_buf_append(&gone, cur, ksize) < 0)
			break;             /* out of memory: delete what we have */
	}
	for (size_t off = 0; off + ksize <= gone.len; off += ksize)
		(void)bpf_map_delete_elem(fd, gone.data + off);
}

static int repin(struct nd_ports *p, struct ebpf *b, struct nd_error *err)
{
	char path[320];
	int r = 0;
	if (pin_dir_ready(p->pin_dir, err) < 0)
		return err->code;
	for (int i = 0; map_at(b->skel, i); i++) {
		struct bpf_map *m = map_at(b->skel, i);
		pin_path(path, sizeof(path), p->pin_dir, bpf_map__name(m));
		if (access(path, F_OK) == 0)
			continue;
		if (bpf_obj_pin(bpf_map__fd(m), path) < 0 && !r)
			r = nd_error_set(err, -errno, "ports: re-pin %s: %s", path, strerror(errno));
		else
			log_debug("ports: re-pinned %s", path);
	}
	for (int i = 0; i < NPROGS; i++) {
		char name[96];
		snprintf(name, sizeof(name), "link_%s", bpf_program__name(prog_at(b->skel, i)));
		pin_path(path, sizeof(path), p->pin_dir, name);
		if (access(path, F_OK) == 0)
			continue;
		if (bpf_obj_pin(bpf_link__fd(b->links[i]), path) < 0 && !r)
			r = nd_error_set(err, -errno, "ports: re-pin %s: %s", path, strerror(errno));
	}
	ports__pins_repin_owner(p, b->owner_fd);
	return r;
}

static int ebpf_sync(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err)
{
	struct ebpf *b = p->bk;
	int r = repin(p, b, err);
	uint32_t zero = 0;
	struct bk_cfg c = { .netns_cookie = b->netns_cookie };
	(void)bpf_map_update_elem(bpf_map__fd(b->skel->maps.nd_cfg), &zero, &c, BPF_ANY);
	struct bk_port_key *keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	int fd = bpf_map__fd(b->skel->maps.nd_ports);
	for (size_t i = 0; i < n; i++) {
		struct bk_port_val val;
		to_key(&e[i]->k, &keys[i], &val);
		if (bpf_map_update_elem(fd, &keys[i], &val, BPF_ANY) < 0 && !r)
			r = nd_error_set(err, -errno, "ports: eBPF map update: %s", strerror(errno));
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	prune(fd, keys, n, sizeof(*keys), cmp_key);
	free(keys);
	struct nd_error e2 = { 0 };
	if (ebpf_refresh_addrs(p, &e2) < 0 && !r)
		r = (*err = e2, e2.code);
	return r;
}

static int ebpf_refresh_addrs(struct nd_ports *p, struct nd_error *err)
{
	struct ebpf *b = p->bk;
	struct ports__addr *as;
	size_t n;
	int r = ports__addrs_dump(&as, &n, err);
	if (r < 0)
		return r;
	struct bk_local_key *keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys) {
		free(as);
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		keys[i] = (struct bk_local_key){ .family = as[i].family };
		memcpy(keys[i].addr, as[i].addr, as[i].family == AF_INET ? 4 : 16);
	}
	free(as);
	int fd = bpf_map__fd(b->skel->maps.nd_local);
	uint8_t one = 1;
	for (size_t i = 0; i < n; i++)
		(void)bpf_map_update_elem(fd, &keys[i], &one, BPF_ANY);
	qsort(keys, n, sizeof(*keys), cmp_local);
	prune(fd, keys, n, sizeof(*keys), cmp_local);
	free(keys);
	return 0;
}

static int ebpf_purge(struct nd_ports *p, struct nd_error *err)
{
	struct ebpf *b = p->bk;
	char path[320];
	for (int i = 0; b && i < NPROGS; i++) {
		if (!b->links[i])
			continue;
		bpf_link__unpin(b->links[i]);
		bpf_link__detach(b->links[i]);
	}
	for (int i = 0; b && map_at(b->skel, i); i++) {
		pin_path(path, sizeof(path), p->pin_dir, bpf_map__name(map_at(b->skel, i)));
		unlink(path);
	}
	pin_path(path, sizeof(path), p->pin_dir, "nd_owner");
	unlink(path);
	if (rmdir(p->pin_dir) < 0 && errno != ENOENT)
		return nd_error_set(err, -errno, "ports: remove %s: %s", p->pin_dir, strerror(errno));
	return 0;
}

const struct ports__backend_ops ports__ebpf_ops = {
	.name = "ebpf",
	.open = ebpf_open,
	.close = ebpf_close,
	.listen = false,
	.add = ebpf_add,
	.del = ebpf_del,
	.sync = ebpf_sync,
	.refresh_addrs = ebpf_refresh_addrs,
	.purge = ebpf_purge,
};


/* ---- explain: the lookup the programs make, read from the pinned maps ---------- */

static void key_hex(const void *k, size_t len, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 6 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02x", i ? " " : "", ((const uint8_t *)k)[i]);
}

int nd_ports_ebpf_lookup(const char *pin_dir, int family, int proto, const uint8_t addr[16], uint16_t port,
			 struct nd_ports_ebpf_hit *hit, struct nd_error *err)
{
	memset(hit, 0, sizeof(*hit));
	char path[512], lpath[512];
	pin_path(path, sizeof(path), pin_dir, "nd_ports");
	pin_path(lpath, sizeof(lpath), pin_dir, "nd_local");
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return nd_error_set(err, -errno, "ports: open pinned map %s: %s", path, strerror(errno));
	snprintf(hit->map_path, sizeof(hit->map_path), "%s", path);
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct bk_port_key key = { .family = (uint8_t)family, .proto = (uint8_t)proto, .port = htons(port) };
	memcpy(key.addr, addr, alen);
	struct bk_port_val val;
	bool found = bpf_map_lookup_elem(fd, &key, &val) == 0;
	if (!found) {
		/* "all addresses": for loopback and the host's own addresses (nd_local) */
		struct bk_local_key lk = { .family = (uint32_t)family };
		memcpy(lk.addr, addr, alen);
		bool loopback = family == AF_INET ? addr[0] == 127
						  : !memcmp(addr, (const uint8_t[16]){ [15] = 1 }, 16);
		_cleanup_close_ int lfd = bpf_obj_get(lpath);
		uint8_t dummy[64];
		if (loopback || lfd >= 0) {
			if (loopback || bpf_map_lookup_elem(lfd, &lk, dummy) == 0) {
				memset(key.addr, 0, sizeof(key.addr));
				found = bpf_map_lookup_elem(fd, &key, &val) == 0;
				hit->any_addr = found;
			}
		}
	}
	key_hex(&key, sizeof(key), hit->key_hex, sizeof(hit->key_hex));
	if (!found)
		return 0;
	hit->hit = true;
	hit->family = family;
	memcpy(hit->addr, val.addr, alen);
	hit->port = ntohs(val.port);
	return 0;
}

#endif /* ND_HAVE_BPF */
