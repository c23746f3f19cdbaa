// SPDX-License-Identifier: Apache-2.0
/* netd: one libuv loop serving the REST API. */
#include "netd/api/api.h"
#include "netd/core/events.h"
#include "netd/cleanup.h"

#include "images/images.h"

#include <fcntl.h>
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
	/* the port proxy closes its own handles while the loop still runs, so
	 * their callbacks free what they own (published ports stay) */
	net_ports_close(d);
	uv_walk(d->loop, on_walk_close, NULL);
}


int main(int argc, char **argv)
{
	struct netd d = { .lock_fd = -1, .exec_lock_fd = -1 };
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

	char sockdir[PATH_MAX];
	snprintf(sockdir, sizeof(sockdir), "%s", d.cfg.socket);
	char *slash = strrchr(sockdir, '/');
	if (slash && slash != sockdir) {
		*slash = '\0';
		if ((rc = mkdir_p(sockdir, 0755, &err)) < 0)
			goto fail;
	}

	char imgroot[PATH_MAX];
	snprintf(imgroot, sizeof(imgroot), "%s/images", d.cfg.root);
	struct images_config ic = { .root = imgroot, .driver = d.cfg.storage_driver };
	if ((rc = images_open(&ic, &d.images, &err)) < 0) {
		nd_error_wrap(&err, "image store");
		goto fail;
	}

	d.loop = uv_default_loop();
	d.started = time(NULL);
	/* the socket first: a netd that cannot serve (socket taken) must fail
	 * before it touches the kernel. Nothing is answered before uv_run. */
	struct http_server_config hc = {
		.socket_path = d.cfg.socket,
		.socket_mode = 0660,
		.spool_dir = spool,
		.routes = netd_routes,
		.nroutes = netd_nroutes,
		.ctx = &d,
	};
	if ((rc = http_server_new(d.loop, &hc, &d.http, &err)) < 0)
		goto fail;
	if ((rc = netd_net_start(&d, &err)) < 0)
		goto fail;
	if ((rc = netd_containers_start(&d, &err)) < 0)
		goto fail;

	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	d.sig_term.data = d.sig_int.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);

	log_info("netd started version=%s id=%.12s root=%s exec-root=%s socket=%s pid=%d", NETD_VERSION,
		 d.id, d.cfg.root, d.cfg.exec_root, d.cfg.socket, getpid());
	uv_run(d.loop, UV_RUN_DEFAULT);

	netd_containers_stop(&d);
	netd_net_stop(&d);
	uv_loop_close(d.loop);
	nd_events_free(&d);
	images_close(d.images);
	store_close(d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	if (d.exec_lock_fd >= 0)
		close(d.exec_lock_fd);
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
		uv_walk(d.loop, on_walk_close, NULL);
		uv_run(d.loop, UV_RUN_DEFAULT);
		netd_containers_stop(&d);
		netd_net_stop(&d);
		uv_loop_close(d.loop);
	}
	images_close(d.images);
	store_close(d.store);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	if (d.exec_lock_fd >= 0)
		close(d.exec_lock_fd);
	netd_config_free(&d.cfg);
	return 1;
}
