// SPDX-License-Identifier: Apache-2.0
/* Exec instances: rt_exec_start on the thread pool (it forks and waits for
 * the exec), then the process's stdio on the loop: its output to a sink,
 * the client's input to its stdin, its exit status from the relay's socket
 * (netd reaps every child on SIGCHLD, so a waitpid of ours could lose it). */
#include "netd/ctr/exec.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#define EXEC_INPUT_MAX (1u << 20)

struct exec_job {
	struct nd_job base;      /* first: the pool's job */
	struct ctr_exec *x;
	struct rt_state st;
	struct rt_exec_spec xs;
	int child[3];            /* the process's ends of the pipes, closed after the start */
	int parent[3];           /* ours: stdin write end, stdout and stderr read ends */
	struct rt_exec_proc proc;
	int rc, exit_code;
	struct nd_error err;
	void (*ready)(void *ud, int rc, const char *msg);
};

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void ctr_exec_config_clear(struct ctr_exec_config *cfg)
{
	strv_free(cfg->cmd);
	strv_free(cfg->env);
	free(cfg->workdir);
	free(cfg->user);
	free(cfg->detach_keys);
	memset(cfg, 0, sizeof(*cfg));
}

static void exec_free(struct ctr_exec *x)
{
	ctr_exec_config_clear(&x->cfg);
	if (x->master >= 0)
		close(x->master);
	free(x);
}

static void maybe_free(struct ctr_exec *x)
{
	if (x->forgotten && x->handles == 0 && !x->in_pool)
		exec_free(x);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ctr_exec *x = h->data;
	x->handles--;
	maybe_free(x);
}

static void handle_close(struct ctr_exec *x, uv_handle_t *h, bool *live)
{
	if (!*live)
		return;
	*live = false;
	if (!uv_is_closing(h))   /* at shutdown the loop may have closed it already */
		uv_close(h, on_handle_closed);
}

/* ---- records ------------------------------------------------------------------- */

/* Docker's exec events: "exec_create: CMD ARGS", "exec_start: CMD ARGS",
 * "exec_die" (exitCode), with execID */
static void exec_event(struct ctr_exec *x, const char *what, bool with_cmd, int code)
{
	struct wire_buf b = { 0 };
	wire_buf_puts(&b, what);
	for (size_t i = 0; with_cmd && x->cfg.cmd && x->cfg.cmd[i]; i++)
		wire_buf_printf(&b, "%s%s", i ? " " : ": ", x->cfg.cmd[i]);
	json_t *extra = json_pack("{s:s}", "execID", x->id);
	if (code >= 0) {
		char codes[16];
		snprintf(codes, sizeof(codes), "%d", code);
		json_object_set_new(extra, "exitCode", json_string(codes));
	}
	ctr_event(x->c->d, x->c->id, b.data ? b.data : what, extra);
	wire_buf_free(&b);
}

int ctr_exec_create(struct ctr *c, struct ctr_exec_config *cfg, struct ctr_exec **out, struct nd_error *err)
{
	if (!ctr_running(c))
		return nd_error_set(err, -EBUSY, "Container %.12s is not running", c->id);
	if (c->paused)
		return nd_error_set(err, -EBUSY, "Container %s is paused, unpause the container before exec", c->id);
	if (!cfg->cmd || !cfg->cmd[0])
		return nd_error_set(err, -EINVAL, "No exec command specified");
	struct ctr_exec *x = calloc(1, sizeof(*x));
	if (!x)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (nd_id_new(x->id) < 0) {
		free(x);
		return nd_error_set(err, -EIO, "generating an id failed");
	}
	x->c = c;
	x->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	x->master = -1;
	x->status_fd = -1;
	x->pid = 0;
	x->next = c->execs;
	c->execs = x;
	*out = x;
	log_debug("container=%.12s exec=%.12s created cmd=%s tty=%d", c->id, x->id, x->cfg.cmd[0], x->cfg.tty);
	exec_event(x, "exec_create", true, -1);
	return 0;
}

struct ctr_exec *ctr_exec_find(struct netd *d, const char *id)
{
	size_t len = id ? strlen(id) : 0;
	if (len == 0)
		return NULL;
	struct ctr_exec *found = NULL;
	for (struct ctr *c = ctrs_of(d)->list; c; c = c->next)
		for (struct ctr_exec *x = c->execs; x; x = x->next) {
			if (x->forgotten)
				continue;
			if (strcmp(x->id, id) == 0)
				return x;
			/* a unique prefix of 12 or more selects it, as container IDs */
			if (len >= 12 && strncmp(x->id, id, len) == 0) {
				if (found)
					return NULL;
				found = x;
			}
		}
	return found;
}

/* ---- the end ------------------------------------------------------------------- */

static void finish_check(struct ctr_exec *x)
{
	if (x->finished || x->phase != CTR_EXEC_EXITED)
		return;
	if (x->out_live || x->err_live)
		return;              /* output still draining */
	x->finished = true;
	handle_close(x, (uv_handle_t *)&x->h_in, &x->in_live);
	exec_event(x, "exec_die", false, x->exit_code);
	log_debug("container=%.12s exec=%.12s exited code=%d", x->c->id, x->id, x->exit_code);
	if (x->sink) {
		const struct ctr_exec_sink *s = TAKE_PTR(x->sink);
		s->done(x->ud, x->exit_code, x->start_error[0] ? x->start_error : NULL);
	}
}

static void on_status(uv_poll_t *p, int status, int events)
{
	struct ctr_exec *x = p->data;
	(void)events;
	int code = -1;
	ssize_t n = status < 0 ? -1 : recv(x->status_fd, &code, sizeof(code), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(code))
		code = 137;          /* the relay died without a word: killed with the container */
	x->exit_code = code;
	x->phase = CTR_EXEC_EXITED;
	x->pid = 0;
	uv_poll_stop(p);
	handle_close(x, (uv_handle_t *)p, &x->status_live);
	close(x->status_fd);
	x->status_fd = -1;
	finish_check(x);
}

/* ---- output -------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void on_output(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctr_exec *x = s->data;
	bool is_err = s == (uv_stream_t *)&x->h_err;
	if (nread > 0) {
		if (x->sink && x->sink->output(x->ud, is_err ? WIRE_STREAM_STDERR : WIRE_STREAM_STDOUT, buf->base,
					       (size_t)nread)) {
			x->paused = true;
			if (x->out_live)
				uv_read_stop((uv_stream_t *)&x->h_out);
			if (x->err_live)
				uv_read_stop((uv_stream_t *)&x->h_err);
		}
	} else if (nread < 0) {
		/* EOF, or EIO from a pty master once every slave is closed */
		uv_read_stop(s);
		if (is_err)
			handle_close(x, (uv_handle_t *)&x->h_err, &x->err_live);
		else
			handle_close(x, (uv_handle_t *)&x->h_out, &x->out_live);
		finish_check(x);
	}
	free(buf->base);
}

void ctr_exec_output_resume(struct ctr_exec *x)
{
	if (!x->paused)
		return;
	x->paused = false;
	if (x->out_live)
		uv_read_start((uv_stream_t *)&x->h_out, on_alloc, on_output);
	if (x->err_live)
		uv_read_start((uv_stream_t *)&x->h_err, on_alloc, on_output);
}

/* ---- input --------------------------------------------------------------------- */

struct in_write {
	uv_write_t w;
	struct ctr_exec *x;
	char *buf;
};

static void on_in_written(uv_write_t *w, int status)
{
	struct in_write *iw = (struct in_write *)w;
	struct ctr_exec *x = iw->x;
	free(iw->buf);
	free(iw);
	(void)status;
	if (x->in_live && x->sink && x->sink->input_drained &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&x->h_in) < EXEC_INPUT_MAX / 2)
		x->sink->input_drained(x->ud);
}

size_t ctr_exec_input(struct ctr_exec *x, const char *data, size_t len)
{
	if (!x->in_live || len == 0)
		return 0;
	struct in_write *iw = calloc(1, sizeof(*iw));
	char *buf = malloc(len);
	if (!iw || !buf) {
		free(iw);
		free(buf);
		return 0;
	}
	memcpy(buf, data, len);
	iw->x = x;
	iw->buf = buf;
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);
	if (uv_write(&iw->w, (uv_stream_t *)&x->h_in, &b, 1, on_in_written) < 0) {
		free(buf);
		free(iw);
		return 0;
	}
	return uv_stream_get_write_queue_size((uv_stream_t *)&x->h_in);
}

static void on_in_shutdown(uv_shutdown_t *req, int status)
{
	struct ctr_exec *x = req->data;
	(void)status;
	free(req);
	handle_close(x, (uv_handle_t *)&x->h_in, &x->in_live);
	x->handles--;            /* the reference the shutdown held */
	maybe_free(x);
}

void ctr_exec_close_stdin(struct ctr_exec *x)
{
	if (!x->in_live)
		return;
	if (x->cfg.tty) {
		/* a terminal has no half-close: its EOF is the line discipline's ^D */
		ctr_exec_input(x, "\x04", 1);
		return;
	}
	uv_shutdown_t *sr = calloc(1, sizeof(*sr));
	if (!sr || uv_shutdown(sr, (uv_stream_t *)&x->h_in, on_in_shutdown) < 0) {
		free(sr);
		handle_close(x, (uv_handle_t *)&x->h_in, &x->in_live);
		return;
	}
	sr->data = x;
	x->handles++;
}

void ctr_exec_detach(struct ctr_exec *x)
{
	x->sink = NULL;
	x->ud = NULL;
	if (!x->cfg.tty)
		ctr_exec_close_stdin(x);
	ctr_exec_output_resume(x);   /* keep reading: the process must not block on a full pipe */
}

int ctr_exec_resize(struct ctr_exec *x, unsigned short rows, unsigned short cols, struct nd_error *err)
{
	if (!x->cfg.tty)
		return 0;
	x->cfg.rows = rows;
	x->cfg.cols = cols;
	if (x->master < 0)
		return 0;            /* applied at the start */
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	if (ioctl(x->master, TIOCSWINSZ, &ws) < 0)
		return nd_error_set(err, -errno, "resize the exec's terminal: %s", strerror(errno));
	return 0;
}

/* ---- start --------------------------------------------------------------------- */

static void job_work(struct nd_job *w)
{
	struct exec_job *j = (struct exec_job *)w;
	j->rc = rt_exec_start(&j->st, &j->xs, &j->proc, &j->exit_code, &j->err);
	for (int i = 0; i < 3; i++)
		if (j->child[i] >= 0) {
			close(j->child[i]);
			j->child[i] = -1;
		}
}

static bool open_pipe(struct ctr_exec *x, uv_pipe_t *h, int fd, bool *live)
{
	uv_loop_t *loop = x->c->d->loop;
	if (uv_pipe_init(loop, h, 0) < 0)
		return false;
	h->data = x;
	x->handles++;
	*live = true;
	if (uv_pipe_open(h, fd) < 0) {
		close(fd);
		handle_close(x, (uv_handle_t *)h, live);
		return false;
	}
	return true;
}

static void job_done(struct nd_job *w)
{
	struct exec_job *j = (struct exec_job *)w;
	struct ctr_exec *x = j->x;
	x->in_pool = false;
	if (j->rc < 0 || x->forgotten) {
		for (int i = 0; i < 3; i++)
			if (j->parent[i] >= 0)
				close(j->parent[i]);
		if (j->rc == 0) {        /* forgotten meanwhile: the container is going */
			kill(j->proc.pid, SIGKILL);
			close(j->proc.status_fd);
			if (j->proc.pty_master >= 0)
				close(j->proc.pty_master);
		}
		x->phase = CTR_EXEC_EXITED;
		x->exit_code = j->rc < 0 ? j->exit_code : 137;
		snprintf(x->start_error, sizeof(x->start_error), "%s", j->rc < 0 ? j->err.msg : "container removed");
		log_info("container=%.12s exec=%.12s start failed exit_code=%d: %s", x->c->id, x->id, x->exit_code,
			 x->start_error);
		if (j->ready && x->ud)
			j->ready(x->ud, j->rc < 0 ? j->rc : -ESRCH, x->start_error);
		if (x->sink && !x->forgotten)
			finish_check(x);
		x->sink = NULL;
		free(j);
		maybe_free(x);
		return;
	}
	x->phase = CTR_EXEC_RUNNING;
	x->pid = j->proc.process > 0 ? j->proc.process : j->proc.pid;
	x->status_fd = j->proc.status_fd;
	uv_loop_t *loop = x->c->d->loop;
	if (uv_poll_init(loop, &x->h_status, x->status_fd) == 0) {
		x->h_status.data = x;
		x->handles++;
		x->status_live = true;
		uv_poll_start(&x->h_status, UV_READABLE, on_status);
	}
	if (j->proc.pty_master >= 0) {
		x->master = j->proc.pty_master;
		if (x->cfg.rows && x->cfg.cols) {
			struct winsize ws = { .ws_row = x->cfg.rows, .ws_col = x->cfg.cols };
			ioctl(x->master, TIOCSWINSZ, &ws);
		}
		/* one handle reads, one writes: each its own fd */
		int rfd = fcntl(x->master, F_DUPFD_CLOEXEC, 3);
		int wfd = fcntl(x->master, F_DUPFD_CLOEXEC, 3);
		/* read even when nobody attached: a full pty would block the process */
		if (rfd >= 0 && open_pipe(x, &x->h_out, rfd, &x->out_live))
			uv_read_start((uv_stream_t *)&x->h_out, on_alloc, on_output);
		if (wfd >= 0 && x->cfg.attach_stdin && x->sink)
			open_pipe(x, &x->h_in, wfd, &x->in_live);
		else if (wfd >= 0)
			close(wfd);
	} else {
		/* the client may have gone while we started: then stdin ends now */
		if (j->parent[0] >= 0 && x->sink)
			open_pipe(x, &x->h_in, j->parent[0], &x->in_live);
		else if (j->parent[0] >= 0)
			close(j->parent[0]);
		if (j->parent[1] >= 0 && open_pipe(x, &x->h_out, j->parent[1], &x->out_live))
			uv_read_start((uv_stream_t *)&x->h_out, on_alloc, on_output);
		if (j->parent[2] >= 0 && open_pipe(x, &x->h_err, j->parent[2], &x->err_live))
			uv_read_start((uv_stream_t *)&x->h_err, on_alloc, on_output);
	}
	exec_event(x, "exec_start", true, -1);
	log_debug("container=%.12s exec=%.12s running pid=%d relay=%d", x->c->id, x->id, (int)x->pid, (int)j->proc.pid);
	if (j->ready && x->ud)
		j->ready(x->ud, 0, NULL);
	free(j);
}

int ctr_exec_start(struct ctr_exec *x, const struct ctr_exec_sink *sink, void *ud,
		   void (*ready)(void *ud, int rc, const char *msg), struct nd_error *err)
{
	struct ctr *c = x->c;
	if (x->phase != CTR_EXEC_CREATED)
		return nd_error_set(err, -EBUSY, "Exec %.12s has already been started", x->id);
	if (!ctr_running(c))
		return nd_error_set(err, -EBUSY, "Container %.12s is not running", c->id);
	struct exec_job *j = calloc(1, sizeof(*j));
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (int i = 0; i < 3; i++)
		j->child[i] = j->parent[i] = -1;
	bool attached = sink != NULL;
	if (!x->cfg.tty) {
		bool want[3] = { attached && x->cfg.attach_stdin, attached && x->cfg.attach_stdout,
				 attached && x->cfg.attach_stderr };
		for (int i = 0; i < 3; i++) {
			if (!want[i])
				continue;
			int p[2];
			if (pipe2(p, O_CLOEXEC) < 0) {
				int e = -errno;
				for (int k = 0; k < 3; k++) {
					if (j->child[k] >= 0)
						close(j->child[k]);
					if (j->parent[k] >= 0)
						close(j->parent[k]);
				}
				free(j);
				return nd_error_set(err, e, "pipe: %s", strerror(-e));
			}
			j->child[i] = i == 0 ? p[0] : p[1];
			j->parent[i] = i == 0 ? p[1] : p[0];
		}
	}
	j->x = x;
	j->st = c->st;
	j->ready = ready;
	j->xs = (struct rt_exec_spec){
		.args = x->cfg.cmd, .env = x->cfg.env, .cwd = x->cfg.workdir, .user = x->cfg.user,
		.stdio = { j->child[0], j->child[1], j->child[2] },
		.tty = x->cfg.tty, .rows = x->cfg.rows, .cols = x->cfg.cols,
	};
	j->base.work = job_work;
	j->base.done = job_done;
	x->sink = sink;
	x->ud = ud;
	x->phase = CTR_EXEC_STARTING;
	x->in_pool = true;
	nd_job_queue(c->d->loop, &j->base);
	return 0;
}

/* ---- life of the container ------------------------------------------------------ */

void ctr_exec_container_exited(struct ctr *c)
{
	/* running execs end with the pid namespace: their relays report */
	(void)c;
}

static void exec_forget(struct ctr_exec *x);

void ctr_exec_release(struct ctr_exec *x)
{
	if (!x->finished && x->phase != CTR_EXEC_EXITED)
		return;   /* still running: it goes with its container */
	for (struct ctr_exec **p = &x->c->execs; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			x->next = NULL;
			exec_forget(x);
			return;
		}
}

void ctr_exec_free_all(struct ctr *c)
{
	while (c->execs) {
		struct ctr_exec *x = c->execs;
		c->execs = x->next;
		exec_forget(x);
	}
}

static void exec_forget(struct ctr_exec *x)
{
	{
		x->forgotten = true;
		if (x->sink) {
			const struct ctr_exec_sink *s = TAKE_PTR(x->sink);
			s->done(x->ud, x->phase == CTR_EXEC_EXITED ? x->exit_code : 137, NULL);
		}
		if (x->status_live && !uv_is_closing((uv_handle_t *)&x->h_status))
			uv_poll_stop(&x->h_status);
		handle_close(x, (uv_handle_t *)&x->h_status, &x->status_live);
		handle_close(x, (uv_handle_t *)&x->h_out, &x->out_live);
		handle_close(x, (uv_handle_t *)&x->h_err, &x->err_live);
		handle_close(x, (uv_handle_t *)&x->h_in, &x->in_live);
		if (x->status_fd >= 0) {
			close(x->status_fd);
			x->status_fd = -1;
		}
		maybe_free(x);
	}
}
