// SPDX-License-Identifier: Apache-2.0
/* POST /containers/{id}/exec, POST /exec/{id}/start (a hijacked stream),
 * GET /exec/{id}/json, POST /exec/{id}/resize: Docker Engine API 1.43's
 * shapes. Every field of a body is honoured or refused with 400 naming it. */
#include "netd/api/api.h"
#include "netd/ctr/exec.h"

#include <strings.h>

#define STREAM_QUEUE_MAX (1u << 20)

static int get_strv(const json_t *obj, const char *key, char ***out, bool required, struct nd_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? nd_error_set(err, -EINVAL, "\"%s\" is required", key) : 0;
	if (!json_is_array(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be an array of strings", key);
	char **o = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!o)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || !(o[i] = strdup(json_string_value(x)))) {
			for (size_t k = 0; k < i; k++)
				free(o[k]);
			free(o);
			return nd_error_set(err, -EINVAL, "\"%s\" must be an array of strings", key);
		}
	}
	*out = o;
	return 0;
}

static int get_console_size(const json_t *obj, unsigned short *rows, unsigned short *cols, struct nd_error *err)
{
	json_t *v = json_object_get(obj, "ConsoleSize");
	if (!v || json_is_null(v))
		return 0;
	json_t *h = json_array_get(v, 0), *w = json_array_get(v, 1);
	if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(h) || !json_is_integer(w) ||
	    json_integer_value(h) < 0 || json_integer_value(h) > 65535 || json_integer_value(w) < 0 ||
	    json_integer_value(w) > 65535)
		return nd_error_set(err, -EINVAL, "\"ConsoleSize\" must be [height, width]");
	*rows = (unsigned short)json_integer_value(h);
	*cols = (unsigned short)json_integer_value(w);
	return 0;
}

static int check_fields(const json_t *body, const char *const *known, struct nd_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)body, k, v) {
		bool ok = false;
		for (const char *const *p = known; *p && !ok; p++)
			ok = strcmp(*p, k) == 0;
		if (!ok)
			return nd_error_set(err, -EINVAL, "unknown or unsupported field \"%s\"", k);
	}
	return 0;
}

/* the container's environment with the exec's on top (same key: the exec's) */
static char **env_merge(const json_t *base, char **extra)
{
	size_t n = json_array_size(base), m = 0;
	while (extra && extra[m])
		m++;
	char **o = calloc(n + m + 1, sizeof(char *));
	if (!o)
		return NULL;
	size_t k = 0;
	size_t i;
	json_t *x;
	json_array_foreach(base, i, x) {
		const char *kv = json_string_value(x);
		if (!kv)
			continue;
		size_t kl = strcspn(kv, "=");
		bool overridden = false;
		for (size_t e = 0; e < m && !overridden; e++)
			overridden = strncmp(extra[e], kv, kl) == 0 && (extra[e][kl] == '=' || extra[e][kl] == '\0');
		if (!overridden)
			o[k++] = strdup(kv);
	}
	for (size_t e = 0; e < m; e++)
		o[k++] = strdup(extra[e]);
	return o;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void api_container_exec(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	_cleanup_json_ json_t *doc = NULL;
	struct ctr_exec_config cfg = { 0 };
	char **extra_env = NULL;
	static const char *const known[] = { "User", "Privileged", "Tty", "ConsoleSize", "AttachStdin",
					     "AttachStdout", "AttachStderr", "Detach", "DetachKeys", "Env",
					     "WorkingDir", "Cmd",
					     /* the Python SDK's legacy copy of the path's container
					      * (Docker's ExecConfig.Container, which Docker ignores) */
					     "Container", NULL };
	const char *user = NULL, *wd = NULL, *dkeys = NULL;
	bool privileged = false, detach = false;
	char id[ND_ID_LEN + 1];
	if (!body || check_fields(body, known, &err) < 0 || nd_json_get_str(body, "User", &user, false, &err) < 0 ||
	    nd_json_get_str(body, "WorkingDir", &wd, false, &err) < 0 ||
	    nd_json_get_str(body, "DetachKeys", &dkeys, false, &err) < 0 ||
	    nd_json_get_bool(body, "Privileged", &privileged, &err) < 0 || nd_json_get_bool(body, "Detach", &detach, &err) < 0 ||
	    nd_json_get_bool(body, "Tty", &cfg.tty, &err) < 0 ||
	    nd_json_get_bool(body, "AttachStdin", &cfg.attach_stdin, &err) < 0 ||
	    nd_json_get_bool(body, "AttachStdout", &cfg.attach_stdout, &err) < 0 ||
	    nd_json_get_bool(body, "AttachStderr", &cfg.attach_stderr, &err) < 0 ||
	    get_console_size(body, &cfg.rows, &cfg.cols, &err) < 0 || get_strv(body, "Cmd", &cfg.cmd, false, &err) < 0 ||
	    get_strv(body, "Env", &extra_env, false, &err) < 0)
		goto fail;
	if (privileged) {
		nd_error_set(&err, -EINVAL, "\"Privileged\": privileged exec is not supported by netd");
		goto fail;
	}
	if (!cfg.cmd || !cfg.cmd[0] || !cfg.cmd[0][0]) {
		nd_error_set(&err, -EINVAL, "\"Cmd\": No exec command specified");
		goto fail;
	}
	for (char **e = extra_env; e && *e; e++)
		if (!**e || **e == '=') {
			nd_error_set(&err, -EINVAL, "\"Env\": invalid environment variable \"%s\"", *e);
			goto fail;
		}
	struct wire_detach dk;
	if (wire_detach_keys_parse(dkeys, &dk) < 0) {
		nd_error_set(&err, -EINVAL, "\"DetachKeys\": invalid detach keys \"%s\"", dkeys);
		goto fail;
	}
	if (wd && *wd && wd[0] != '/') {
		nd_error_set(&err, -EINVAL, "\"WorkingDir\": the working directory \"%s\" is not absolute", wd);
		goto fail;
	}
	if (ctr_lookup(d, http_req_param(req, 0), id, &doc, &err) < 0)
		goto fail;
	struct ctr *c = ctr_find(d, id);
	if (!c) {
		nd_error_set(&err, -ENOENT, "No such container: %s", http_req_param(req, 0));
		goto fail;
	}
	cfg.env = env_merge(json_object_get(json_object_get(doc, "Config"), "Env"), extra_env);
	cfg.user = user && *user ? strdup(user) : NULL;
	cfg.workdir = wd && *wd ? strdup(wd) : NULL;
	cfg.detach_keys = dkeys && *dkeys ? strdup(dkeys) : NULL;
	struct ctr_exec *x;
	if (ctr_exec_create(c, &cfg, &x, &err) < 0)
		goto fail;
	strv_free(extra_env);
	http_reply_json(req, 201, json_pack("{s:s}", "Id", x->id));
	return;
fail:
	strv_free(extra_env);
	ctr_exec_config_clear(&cfg);
	http_reply_error(req, &err);
}

/* ---- start: the stream ----------------------------------------------------------- */

struct exec_stream {
	struct http_req *req;
	struct ctr_exec *x;
	bool tty;
	struct wire_detach dk;
};

static void stream_free(struct exec_stream *es)
{
	free(es);
}

static void on_stream_drained(struct http_req *req, void *ud)
{
	struct exec_stream *es = ud;
	(void)req;
	ctr_exec_output_resume(es->x);
}

static bool sink_output(void *ud, enum wire_stream_kind kind, const char *data, size_t len)
{
	struct exec_stream *es = ud;
	if (es->tty) {
		http_stream_write(es->req, data, len);
	} else {
		char *buf = malloc(WIRE_STREAM_HDR_LEN + len);
		if (!buf)
			return false;
		wire_stream_header((unsigned char *)buf, kind, (uint32_t)len);
		memcpy(buf + WIRE_STREAM_HDR_LEN, data, len);
		http_stream_write(es->req, buf, WIRE_STREAM_HDR_LEN + len);
		free(buf);
	}
	if (http_stream_queued(es->req) > STREAM_QUEUE_MAX) {
		http_stream_when_drained(es->req, on_stream_drained, es);
		return true;
	}
	return false;
}

static void sink_input_drained(void *ud)
{
	struct exec_stream *es = ud;
	http_hijack_resume(es->req);
}

static void sink_done(void *ud, int exit_code, const char *start_error)
{
	struct exec_stream *es = ud;
	(void)exit_code;
	if (start_error) {
		/* as Docker: the reason in the stream; the code in /exec/{id}/json */
		_cleanup_free_ char *msg = NULL;
		int n = asprintf(&msg, "%s\r\n", start_error);
		if (n > 0)
			sink_output(es, WIRE_STREAM_STDERR, msg, (size_t)n);
	}
	http_req_set_on_close(es->req, NULL, NULL);
	http_stream_end(es->req);
	stream_free(es);
}

static const struct ctr_exec_sink exec_sink = {
	.output = sink_output,
	.input_drained = sink_input_drained,
	.done = sink_done,
};

static void on_stream_input(struct http_req *req, const char *data, size_t len, void *ud)
{
	struct exec_stream *es = ud;
	_cleanup_free_ char *buf = malloc(len + WIRE_DETACH_MAX);
	if (!buf)
		return;
	bool detached = false;
	size_t n = wire_detach_filter(&es->dk, data, len, buf, &detached);
	if (n && ctr_exec_input(es->x, buf, n) > STREAM_QUEUE_MAX)
		http_hijack_pause(req);
	if (detached) {
		ctr_exec_detach(es->x);
		http_req_set_on_close(req, NULL, NULL);
		http_stream_end(req);
		stream_free(es);
	}
}

static void on_stream_eof(struct http_req *req, void *ud)
{
	struct exec_stream *es = ud;
	(void)req;
	ctr_exec_close_stdin(es->x);
}

static void on_stream_gone(struct http_req *req, void *ud)
{
	struct exec_stream *es = ud;
	ctr_exec_detach(es->x);
	http_stream_end(req);   /* frees the request */
	stream_free(es);
}

static const struct http_hijack_ops exec_hijack_ops = {
	.on_input = on_stream_input,
	.on_eof = on_stream_eof,
};

static void on_stream_ready(void *ud, int rc, const char *msg)
{
	struct exec_stream *es = ud;
	(void)msg;
	if (rc == 0 && es->req)
		http_hijack_resume(es->req);
}

static void on_detached_ready(void *ud, int rc, const char *msg)
{
	struct http_req *req = ud;
	if (rc < 0)
		http_reply_errorf(req, rc == -ENOENT || rc == -EACCES || rc == -ENOEXEC ? 400 : 500, "%s", msg);
	else
		http_reply_empty(req, 200);
}

static struct ctr_exec *exec_get(struct http_req *req, struct netd *d)
{
	struct ctr_exec *x = ctr_exec_find(d, http_req_param(req, 0));
	if (!x)
		http_reply_errorf(req, 404, "No such exec instance: %s", http_req_param(req, 0));
	return x;
}

void api_exec_start(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	static const char *const known[] = { "Detach", "Tty", "ConsoleSize", NULL };
	bool detach = false, tty = false;
	unsigned short rows = 0, cols = 0;
	if (!body || check_fields(body, known, &err) < 0 || nd_json_get_bool(body, "Detach", &detach, &err) < 0 ||
	    nd_json_get_bool(body, "Tty", &tty, &err) < 0 || get_console_size(body, &rows, &cols, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct ctr_exec *x = exec_get(req, d);
	if (!x)
		return;
	if (rows && cols)
		ctr_exec_resize(x, rows, cols, &err);
	/* the refusals before any hijack: they get a proper status */
	if (x->phase != CTR_EXEC_CREATED) {
		http_reply_errorf(req, 409, "Exec %.12s has already been started", x->id);
		return;
	}
	if (!ctr_running(x->c)) {
		http_reply_errorf(req, 409, "Container %.12s is not running", x->c->id);
		return;
	}
	if (detach) {
		if (ctr_exec_start(x, NULL, req, on_detached_ready, &err) < 0)
			http_reply_error(req, &err);
		return;
	}
	struct exec_stream *es = calloc(1, sizeof(*es));
	if (!es) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	es->x = x;
	es->tty = x->cfg.tty;
	const char *dkeys = x->cfg.detach_keys;
	wire_detach_keys_parse(dkeys ? dkeys : (x->cfg.tty && x->cfg.attach_stdin ? "ctrl-p,ctrl-q" : NULL), &es->dk);
	if (http_hijack(req, es->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
			&exec_hijack_ops, es) < 0) {
		free(es);
		http_stream_end(req);
		return;
	}
	es->req = req;
	if (ctr_exec_start(x, &exec_sink, es, on_stream_ready, &err) < 0) {
		sink_done(es, 126, err.msg);
		return;
	}
	http_req_set_on_close(req, on_stream_gone, es);
}

void api_exec_inspect(struct http_req *req, void *ctx)
{
	struct ctr_exec *x = exec_get(req, ctx);
	if (!x)
		return;
	json_t *args = json_array();
	for (char **p = x->cfg.cmd + 1; *p; p++)
		json_array_append_new(args, json_string(*p));
	bool running = x->phase == CTR_EXEC_RUNNING || x->phase == CTR_EXEC_STARTING;
	json_t *v = json_pack("{s:s, s:s, s:b, s:o, s:b, s:b, s:b, s:b, s:s,"
			      " s:{s:b, s:s, s:o, s:b, s:s}, s:i}",
		"ID", x->id, "ContainerID", x->c->id, "Running", running,
		"ExitCode", x->phase == CTR_EXEC_EXITED ? json_integer(x->exit_code) : json_null(),
		"OpenStdin", x->cfg.attach_stdin, "OpenStderr", x->cfg.attach_stderr, "OpenStdout", x->cfg.attach_stdout,
		"CanRemove", false, "DetachKeys", x->cfg.detach_keys ? x->cfg.detach_keys : "",
		"ProcessConfig", "tty", x->cfg.tty, "entrypoint", x->cfg.cmd[0], "arguments", args, "privileged", false,
		"user", x->cfg.user ? x->cfg.user : "",
		"Pid", x->phase == CTR_EXEC_RUNNING ? (int)x->pid : 0);
	if (!v) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	if (x->cfg.workdir)
		json_object_set_new(json_object_get(v, "ProcessConfig"), "workingDir", json_string(x->cfg.workdir));
	http_reply_json(req, 200, v);
}

void api_exec_resize(struct http_req *req, void *ctx)
{
	unsigned short h, w;
	if (api_query_dim(req, "h", &h) < 0 || api_query_dim(req, "w", &w) < 0) {
		http_reply_errorf(req, 400, "resize needs h and w: numbers 0..65535");
		return;
	}
	struct ctr_exec *x = exec_get(req, ctx);
	if (!x)
		return;
	struct nd_error err = { 0 };
	if (ctr_exec_resize(x, h, w, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 200);
}
