// SPDX-License-Identifier: Apache-2.0
/* netd: one libuv loop serving the REST API. */
#include "netd/api/api.h"
#include "netd/core/cluster.h"
#include "netd/core/events.h"
#include "netd/cleanup.h"

#include "images/images.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

static int mkdir_p(const char *path, mode_t mode, struct nd_error *err)
{
	int rc = nd_mkdir_p(path, mode);
	return rc < 0 ? nd_error_set(err, rc, "mkdir %s: %s", path, strerror(-rc)) : 0;
}

/* One netd per root, and per exec root: an exclusive flock on DIR/netd.lock
 * held for the daemon's life (`netd --cleanup` takes them too). */
int netd_lock_dir(const char *dir, const char *what, int *fd_out, struct nd_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/netd.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return nd_error_set(err, -errno, "open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		if (n > 0)
			pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			return nd_error_set(err, -EBUSY, "another netd%s%s is already running with %s %s",
					    pid[0] ? " (pid " : "", pid[0] ? strcat(pid, ")") : "", what, dir);
		return nd_error_set(err, -e, "lock %s: %s", path, strerror(e));
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) < 0)
		log_warn("cannot record pid in %s: %s", path, strerror(errno));
	*fd_out = fd;
	return 0;
}

static int daemon_identity(struct netd *d, struct nd_error *err)
{
	_cleanup_free_ char *id = NULL;
	struct nd_error e2 = { 0 };
	if (store_meta_get(d->store, "daemon-id", &id, &e2) == 0 && nd_id_valid(id)) {
		snprintf(d->id, sizeof(d->id), "%s", id);
		return 0;
	}
	int rc = nd_id_new(d->id);
	if (rc < 0)
		return nd_error_set(err, rc, "generating daemon id: %s", strerror(-rc));
	return store_meta_set(d->store, "daemon-id", d->id, err);
}

static void on_walk_close(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* SIGHUP: the config read again (flags and file); its TLS certificate, key,
 * CA and tls-roles replace the running ones for new connections and
 * requests. Established connections keep their session. Anything wrong
 * keeps all of the old material, and says why. */
static void on_hup(uv_signal_t *s, int signum)
{
	struct netd *d = s->data;
	struct netd_config nc;
	struct nd_error err = { 0 };
	(void)signum;
	if (netd_config_parse(&nc, d->argc, d->argv, &err) < 0) {
		log_error("reload refused, keeping the old certificates and roles: %s", err.msg);
		netd_config_free(&nc);
		return;
	}
	if (d->tls && (!nc.tlsverify || http_tls_reload(d->tls, nc.tlscacert, nc.tlscert, nc.tlskey, &err) < 0)) {
		if (!nc.tlsverify)
			nd_error_set(&err, -EINVAL, "tlsverify cannot be turned off by a reload");
		log_error("reload refused, keeping the old certificates and roles: %s", err.msg);
		netd_config_free(&nc);
		return;
	}
	memcpy(d->cfg.tls_roles, nc.tls_roles, sizeof(nc.tls_roles));
	d->cfg.ntls_roles = nc.ntls_roles;
	log_info("reloaded tlscert=%s tlscacert=%s tls-roles=%zu", nc.tlscert ? nc.tlscert : "-",
		 nc.tlscacert ? nc.tlscacert : "-", nc.ntls_roles);
	netd_config_free(&nc);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct netd *d = s->data;
	if (d->shutting_down)
		return;
	d->shutting_down = true;
	log_info("shutting down signal=%s", strsignal(signum));
	http_server_close(d->http);
	d->http = NULL;
	uv_signal_stop(&d->sig_term);
	uv_signal_stop(&d->sig_int);
	uv_signal_stop(&d->sig_hup);
	/* the port proxy closes its own handles while the loop still runs, so
	 * their callbacks free what they own (published ports stay) */
	net_ports_close(d);
	netd_cluster_close(d);
	uv_walk(d->loop, on_walk_close, NULL);
}


int main(int argc, char **argv)
{
	struct netd d = { .lock_fd = -1, .exec_lock_fd = -1, .argc = argc, .argv = argv };
	struct nd_error err = { 0 };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = netd_config_parse(&d.cfg, argc, argv, &err)) < 0) {
		fprintf(stderr, "netd: %s\n", err.msg);
		netd_config_free(&d.cfg);
		return 2;
	}
	nd_log_set_level(d.cfg.log_level);
	if (d.cfg.cleanup) {
		rc = netd_cleanup(&d);
		netd_config_free(&d.cfg);
		return rc;
	}
	/* containers' monitors are our children; reap them ourselves */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	/* the certificates before anything is made: bad ones refuse the start */
	if (d.cfg.tlsverify &&
	    (rc = http_tls_new(d.cfg.tlscacert, d.cfg.tlscert, d.cfg.tlskey, true, &d.tls, &err)) < 0)
		goto fail;

	char path[PATH_MAX];
	char spool[PATH_MAX];
	snprintf(path, sizeof(path), "%s/netd.db", d.cfg.root);
	snprintf(spool, sizeof(spool), "%s/tmp", d.cfg.root);
	if ((rc = mkdir_p(d.cfg.root, 0700, &err)) < 0 ||
	    (rc = mkdir_p(d.cfg.exec_root, 0700, &err)) < 0 ||
	    (rc = mkdir_p(spool, 0700, &err)) < 0 ||
	    (rc = netd_lock_dir(d.cfg.root, "root", &d.lock_fd, &err)) < 0 ||
	    (rc = netd_lock_dir(d.cfg.exec_root, "exec root", &d.exec_lock_fd, &err)) < 0 ||
	    (rc = store_open(path, &d.store, &err)) < 0 ||
	    (rc = daemon_identity(&d, &err)) < 0)
		goto fail;

	for (size_t i = 0; i < d.cfg.nhosts; i++) {
		if (!nd_str_has_prefix(d.cfg.hosts[i], "unix://"))
			continue;
		char sockdir[PATH_MAX];
		snprintf(sockdir, sizeof(sockdir), "%s", d.cfg.hosts[i] + 7);
		char *slash = strrchr(sockdir, '/');
		if (slash && slash != sockdir) {
			*slash = '\0';
			if ((rc = mkdir_p(sockdir, 0755, &err)) < 0)
				goto fail;
		}
	}
	/* the socket's group: "netd" when it exists (as Docker's "docker") */
	struct group *gr = getgrnam("netd");

	d.loop = uv_default_loop();
	d.started = time(NULL);
	/* the socket first: a netd that cannot serve (socket taken) must fail
	 * before it touches the kernel. Nothing is answered before uv_run. */
	struct http_server_config hc = {
		.hosts = (const char *const *)d.cfg.hosts,
		.nhosts = d.cfg.nhosts,
		.tls = d.tls,
		.insecure_tcp = d.cfg.insecure_tcp,
		.authorize = api_authorize,
		.socket_mode = 0660,
		.socket_gid = gr ? gr->gr_gid : 0,
		.spool_dir = spool,
		.routes = netd_routes,
		.nroutes = netd_nroutes,
		.ctx = &d,
	};
	if ((rc = http_server_new(d.loop, &hc, &d.http, &err)) < 0)
		goto fail;
	/* the cluster store before the networks: net registers its hooks on it */
	if ((rc = netd_cluster_start(&d, &err)) < 0)
		goto fail;
	/* the networks (and the resolver, answering from its own thread in
	 * every living sandbox) before the image store and the containers */
	if ((rc = netd_net_start(&d, &err)) < 0)
		goto fail;
	char imgroot[PATH_MAX];
	snprintf(imgroot, sizeof(imgroot), "%s/images", d.cfg.root);
	struct images_config ic = { .root = imgroot, .driver = d.cfg.storage_driver };
	if ((rc = images_open(&ic, &d.images, &err)) < 0) {
		nd_error_wrap(&err, "image store");
		goto fail;
	}
	if ((rc = netd_containers_start(&d, &err)) < 0)
		goto fail;

	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	d.sig_term.data = d.sig_int.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	uv_signal_init(d.loop, &d.sig_hup);
	d.sig_hup.data = &d;
	uv_signal_start(&d.sig_hup, on_hup, SIGHUP);
	if (d.tls && d.cfg.ntls_roles == 0)
		log_warn("no tls-roles: every client certificate the CA signed is admin");

	log_info("netd started version=%s id=%.12s root=%s exec-root=%s socket=%s pid=%d", NETD_VERSION,
		 d.id, d.cfg.root, d.cfg.exec_root, d.cfg.socket, getpid());
	for (size_t i = 0; i < d.cfg.nhosts; i++)
		if (nd_str_has_prefix(d.cfg.hosts[i], "tcp://"))
			log_info("listening host=%s tls=%s", d.cfg.hosts[i], d.tls ? "mutual" : "NONE");
	uv_run(d.loop, UV_RUN_DEFAULT);

	netd_containers_stop(&d);
	netd_net_stop(&d);
	netd_cluster_stop(&d);
	uv_loop_close(d.loop);
	nd_events_free(&d);
	images_close(d.images);
	store_close(d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	if (d.exec_lock_fd >= 0)
		close(d.exec_lock_fd);
	http_tls_free(d.tls);
	log_info("netd stopped");
	netd_config_free(&d.cfg);
	return 0;

fail:
	log_error("netd: %s", err.msg);
	if (d.http) {
		http_server_close(d.http);   /* removes the socket it made */
		d.http = NULL;
	}
	if (d.loop) {
		netd_cluster_close(&d);
		uv_walk(d.loop, on_walk_close, NULL);
		uv_run(d.loop, UV_RUN_DEFAULT);
		netd_containers_stop(&d);
		netd_net_stop(&d);
		netd_cluster_stop(&d);
		uv_loop_close(d.loop);
	}
	nd_events_free(&d);
	images_close(d.images);
	store_close(d.store);
	http_tls_free(d.tls);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	if (d.exec_lock_fd >= 0)
		close(d.exec_lock_fd);
	netd_config_free(&d.cfg);
	return 1;
}
