// SPDX-License-Identifier: Apache-2.0
/* Registries over the API, with Docker Engine API paths and fields:
 *   POST   /images/create?fromImage=NAME&tag=TAG   pull (streams JSON progress)
 *   POST   /images/{name*}/push?tag=TAG            push (streams JSON progress)
 *   POST   /auth                                   check credentials, keep them
 *   DELETE /auth?serveraddress=HOST                forget them (netd's, for netctl logout)
 * Credentials come from X-Registry-Auth (base64url JSON, as Docker's CLI
 * sends them) or from what POST /auth kept in <root>/config.json (Docker's
 * config.json format, mode 0600).
 *
 * The work runs in the thread pool (core's nd_job). Progress messages are
 * made there, queued under a lock and handed to the loop through a
 * uv_async_t; the loop writes them to the chunked stream. The stream begins
 * with the first message, so an error that comes before any (a bad name, no
 * such image, refused credentials) is a plain HTTP error with its status. */
#include "netd/api/api.h"
#include "images/images.h"
#include "wire/wire.h"

#include <libgen.h>
#include <pthread.h>

enum reg_op { REG_PULL, REG_PUSH, REG_LOGIN };

struct reg_work {
	struct nd_job job;          /* first: the pool's job */
	struct netd *d;
	struct http_req *req;
	enum reg_op op;
	uint64_t t0;
	char *name;                 /* full reference to pull or push; login: server */
	char *repo;                 /* for messages: "library/busybox", "127.0.0.1:5000/x" */
	char *user, *pass;
	char *certs[3];
	const char *certs_v[3];
	char *auth_file;
	struct images_registry_opts o;
	volatile int cancel;
	/* pool -> loop */
	uv_async_t async;
	pthread_mutex_t mu;
	struct wire_buf pending;
	bool began, gone;
	/* results */
	int rc;
	struct nd_error err;
	char id[IMAGES_DIGEST_LEN + 1], digest[IMAGES_DIGEST_LEN + 1];
	struct images_push_result pres;
	bool up_to_date;
};

static void rw_free(struct reg_work *w)
{
	free(w->name);
	free(w->repo);
	free(w->user);
	if (w->pass)
		explicit_bzero(w->pass, strlen(w->pass));
	free(w->pass);
	for (size_t i = 0; i < ARRAY_SIZE(w->certs); i++)
		free(w->certs[i]);
	free(w->auth_file);
	wire_buf_free(&w->pending);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void on_async_closed(uv_handle_t *h)
{
	rw_free(h->data);
}

/* ---- progress: pool side ----------------------------------------------------------- */

static void emit(struct reg_work *w, json_t *msg /* stolen */)
{
	_cleanup_free_ char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return;
	pthread_mutex_lock(&w->mu);
	wire_buf_puts(&w->pending, s);
	wire_buf_puts(&w->pending, "\r\n");
	pthread_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
}

static void on_progress(const struct images_progress *p, void *data)
{
	struct reg_work *w = data;
	json_t *m;
	if (w->d->shutting_down)
		w->cancel = 1;   /* netd stops: so does the transfer (a later pull resumes) */
	if (!strcmp(p->status, "Pulling from")) {
		m = json_pack("{s:s+, s:s}", "status", "Pulling from ", w->repo, "id", p->id ? p->id : "latest");
	} else if (!strcmp(p->status, "The push refers to repository")) {
		m = json_pack("{s:s++}", "status", "The push refers to repository [", w->repo, "]");
	} else if (!p->id) {
		if (!strcmp(p->status, "Image is up to date"))
			w->up_to_date = true;
		return;   /* the summary is written at the end, by the loop */
	} else if (p->total > 0) {
		m = json_pack("{s:s, s:{s:I, s:I}, s:s}", "status", p->status, "progressDetail", "current",
			      (json_int_t)p->current, "total", (json_int_t)p->total, "id", p->id);
	} else {
		m = json_pack("{s:s, s:{}, s:s}", "status", p->status, "progressDetail", "id", p->id);
	}
	if (m)
		emit(w, m);
}

/* ---- loop side -------------------------------------------------------------------------- */

static void on_req_close(struct http_req *req, void *data)
{
	struct reg_work *w = data;
	(void)req;
	w->gone = true;
	w->cancel = 1;     /* the client went away: stop (a later pull resumes) */
}

static void flush(struct reg_work *w)
{
	pthread_mutex_lock(&w->mu);
	struct wire_buf b = w->pending;
	memset(&w->pending, 0, sizeof(w->pending));
	pthread_mutex_unlock(&w->mu);
	if (!w->req->conn) {
		w->cancel = 1;
		wire_buf_free(&b);
		return;
	}
	if (b.len && !w->gone) {
		if (!w->began) {
			w->req->on_close = on_req_close;
			w->req->on_close_data = w;
			http_stream_begin(w->req, 200, "application/json");
			w->began = true;
		}
		http_stream_write(w->req, b.data, b.len);
	}
	wire_buf_free(&b);
}

static void on_async(uv_async_t *a)
{
	flush(a->data);
}

static void stream_line(struct reg_work *w, json_t *m)
{
	_cleanup_free_ char *s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (s && !w->gone) {
		http_stream_write(w->req, s, strlen(s));
		http_stream_write(w->req, "\r\n", 2);
	}
}

static void rw_work(struct nd_job *j)
{
	struct reg_work *w = (struct reg_work *)j;
	switch (w->op) {
	case REG_PULL:
		w->rc = images_pull(w->d->images, w->name, &w->o, w->id, w->digest, &w->err);
		break;
	case REG_PUSH:
		w->rc = images_push(w->d->images, w->name, &w->o, &w->pres, &w->err);
		break;
	case REG_LOGIN:
		w->rc = images_registry_login(w->name, &w->o, &w->err);
		if (w->rc == 0)
			w->rc = images_auth_store(w->auth_file, w->name, w->user, w->pass, &w->err);
		break;
	}
}

static int status_of(const struct nd_error *err)
{
	if (err->code == -EKEYREJECTED)
		return 401;
	if (err->code == -ECONNREFUSED || err->code == -EHOSTUNREACH || err->code == -ETIMEDOUT || err->code == -EIO)
		return 502;
	if (err->code == -EFBIG)
		return 400;
	int s = nd_error_http_status(err);
	return s < 400 ? 500 : s;
}

static void rw_done(struct nd_job *j)
{
	struct reg_work *w = (struct reg_work *)j;
	static const char *const ops[] = { "pull", "push", "login" };
	unsigned long long ms = (nd_now_ns() - w->t0) / 1000000;
	flush(w);
	struct http_req *req = w->req;
	if (w->rc < 0) {
		log_info("registry %s name=%s failed ms=%llu: %s", ops[w->op], w->name, ms, w->err.msg);
		if (w->began) {
			stream_line(w, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", w->err.msg, "error", w->err.msg));
			http_stream_end(req);
		} else {
			http_reply_errorf(req, status_of(&w->err), "%s", w->err.msg);
		}
	} else if (w->op == REG_LOGIN) {
		log_info("registry login server=%s user=%s ms=%llu", w->name, w->user, ms);
		http_reply_json(req, 200, json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
	} else {
		if (!w->began) {
			http_stream_begin(req, 200, "application/json");
			w->began = true;
		}
		if (w->op == REG_PULL) {
			log_info("registry pull name=%s id=%.19s digest=%s ms=%llu", w->name, w->id, w->digest, ms);
			stream_line(w, json_pack("{s:s+}", "status", "Digest: ", w->digest));
			stream_line(w, json_pack("{s:s+}", "status", w->up_to_date ? "Status: Image is up to date for "
								       : "Status: Downloaded newer image for ", w->name));
		} else {
			log_info("registry push name=%s digest=%s ms=%llu", w->name, w->pres.digest, ms);
			char line[400];
			snprintf(line, sizeof(line), "%s: digest: %s size: %lld", w->pres.tag, w->pres.digest, (long long)w->pres.size);
			stream_line(w, json_pack("{s:s}", "status", line));
			stream_line(w, json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag", w->pres.tag,
						 "Digest", w->pres.digest, "Size", (json_int_t)w->pres.size));
		}
		http_stream_end(req);
	}
	/* at shutdown netd's walk already closed the handle (with no callback):
	 * its memory may still be queued for closing, so w stays (netd exits) */
	if (!uv_is_closing((uv_handle_t *)&w->async))
		uv_close((uv_handle_t *)&w->async, on_async_closed);
}

/* ---- requests ---------------------------------------------------------------------------- */

/* base64, standard or URL alphabet, padding optional; out has strlen(in)+1 bytes */
static int b64dec(const char *in, char *out, size_t *len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (const char *c = in; *c && *c != '='; c++) {
		int v = *c >= 'A' && *c <= 'Z' ? *c - 'A' : *c >= 'a' && *c <= 'z' ? *c - 'a' + 26
			: *c >= '0' && *c <= '9' ? *c - '0' + 52 : *c == '+' || *c == '-' ? 62 : *c == '/' || *c == '_' ? 63 : -1;
		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	*len = o;
	return 0;
}

/* X-Registry-Auth: base64url({"username","password"} or {"auth": base64(user:pass)}) */
static int registry_auth_header(struct http_req *req, struct reg_work *w, struct nd_error *err)
{
	const char *h = http_req_header(req, "X-Registry-Auth");
	if (!h || !*h)
		return 0;
	_cleanup_free_ char *dec = malloc(strlen(h) + 1);
	size_t o = 0;
	if (!dec)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (b64dec(h, dec, &o) < 0)
		return nd_error_set(err, -EINVAL, "X-Registry-Auth: not base64");
	struct nd_error je;
	_cleanup_json_ json_t *j = nd_json_parse(dec, o, &je);
	explicit_bzero(dec, o);
	if (!j || !json_is_object(j))
		return nd_error_set(err, -EINVAL, "X-Registry-Auth: not a base64 JSON object");
	const char *u = nd_json_str(j, "username"), *p = nd_json_str(j, "password"), *a = nd_json_str(j, "auth");
	const char *it = nd_json_str(j, "identitytoken");
	if (it && *it)
		return nd_error_set(err, -EINVAL, "X-Registry-Auth: identity tokens are not supported: give username and password");
	if (u && *u) {
		w->user = strdup(u);
		w->pass = strdup(p ? p : "");
	} else if (a && *a) { /* "auth": base64("user:password"), as config.json has it */
		_cleanup_free_ char *up = malloc(strlen(a) + 1);
		size_t n = 0;
		if (!up)
			return nd_error_set(err, -ENOMEM, "out of memory");
		char *colon = b64dec(a, up, &n) == 0 ? memchr(up, ':', n) : NULL;
		if (!colon)
			return nd_error_set(err, -EINVAL, "X-Registry-Auth: \"auth\" is not base64(user:password)");
		w->user = strndup(up, (size_t)(colon - up));
		w->pass = strndup(colon + 1, n - (size_t)(colon - up) - 1);
		explicit_bzero(up, n);
	}
	return 0;
}

static struct reg_work *rw_new(struct netd *d, struct http_req *req, enum reg_op op)
{
	struct reg_work *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->d = d;
	w->req = req;
	w->op = op;
	w->t0 = nd_now_ns();
	w->job.work = rw_work;
	w->job.done = rw_done;
	pthread_mutex_init(&w->mu, NULL);
	const struct netd_config *c = &d->cfg;
	size_t nc = 0;
	if (asprintf(&w->certs[nc], "%s/certs.d", c->root) >= 0)
		nc++;
	if (c->config_file) {
		_cleanup_free_ char *dup = strdup(c->config_file);
		if (dup && asprintf(&w->certs[nc], "%s/certs.d", dirname(dup)) >= 0)
			nc++;
	}
	for (size_t i = 0; i < nc; i++)
		w->certs_v[i] = w->certs[i];
	if (asprintf(&w->auth_file, "%s/config.json", c->root) < 0) {
		rw_free(w);
		return NULL;
	}
	w->o.certs_dirs = w->certs_v;
	w->o.insecure = (const char *const *)c->insecure_registries;
	w->o.mirrors = (const char *const *)c->registry_mirrors;
	w->o.max_downloads = (unsigned)c->max_concurrent_downloads;
	w->o.max_attempts = (unsigned)c->max_download_attempts;
	w->o.auth_file = w->auth_file;
	w->o.progress = on_progress;
	w->o.progress_data = w;
	w->o.cancel = &w->cancel;
	return w;
}

static void rw_queue(struct reg_work *w)
{
	w->o.username = w->user;
	w->o.password = w->pass;
	uv_async_init(w->d->loop, &w->async, on_async);
	w->async.data = w;
	nd_job_queue(w->d->loop, &w->job);
}

/* "busybox" -> repo "library/busybox" for messages, as Docker prints it */
static char *repo_display(const struct images_ref *r)
{
	char *s = NULL;
	if (!strcmp(r->domain, "docker.io"))
		return strdup(r->path);
	return asprintf(&s, "%s/%s", r->domain, r->path) < 0 ? NULL : s;
}

/* POST /images/create?fromImage=NAME[&tag=TAG|DIGEST][&platform=] */
void api_image_pull(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *from = http_req_query(req, "fromImage");
	_cleanup_free_ char *tag = http_req_query(req, "tag");
	_cleanup_free_ char *platform = http_req_query(req, "platform");
	if (platform && *platform) {
		char want[64];
		snprintf(want, sizeof(want), "linux/%s",
#if defined(__x86_64__)
			 "amd64"
#elif defined(__aarch64__)
			 "arm64"
#else
			 "?"
#endif
		);
		if (strcmp(platform, want)) {
			http_reply_errorf(req, 400, "platform \"%s\": netd runs %s images only", platform, want);
			return;
		}
	}
	_cleanup_free_ char *name = NULL;
	int n;
	if (tag && *tag)
		n = asprintf(&name, "%s%s%s", from, nd_str_has_prefix(tag, "sha256:") ? "@" : ":", tag);
	else
		n = asprintf(&name, "%s", from);
	if (n < 0) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	struct images_ref r;
	if (images_ref_parse(name, &r, &err) < 0) {
		http_reply_errorf(req, 400, "invalid reference \"%s\": %s", name, err.msg);
		return;
	}
	if (!r.tag[0] && !r.digest[0])
		snprintf(r.tag, sizeof(r.tag), "latest");
	char full[IMAGES_REF_MAX];
	images_ref_format(&r, full, sizeof(full));
	if (r.tag[0] && r.digest[0]) /* name:tag@digest: the digest decides */
		snprintf(full, sizeof(full), "%s/%s@%s", r.domain, r.path, r.digest);
	struct reg_work *w = rw_new(d, req, REG_PULL);
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	w->name = strdup(full);
	w->repo = repo_display(&r);
	if (!w->name || !w->repo || registry_auth_header(req, w, &err) < 0) {
		if (!err.code)
			nd_error_set(&err, -ENOMEM, "out of memory");
		http_reply_error(req, &err);
		rw_free(w);
		return;
	}
	rw_queue(w);
}

/* POST /images/{name*}/push?tag=TAG */
void api_image_push(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *tag = http_req_query(req, "tag");
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "%s%s%s", req->params[0], tag && *tag ? ":" : "", tag && *tag ? tag : "") < 0) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	struct images_ref r;
	if (images_ref_parse(name, &r, &err) < 0) {
		http_reply_errorf(req, 400, "invalid reference \"%s\": %s", name, err.msg);
		return;
	}
	if (r.digest[0]) {
		http_reply_errorf(req, 400, "push %s: push a tag, not a digest", name);
		return;
	}
	char full[IMAGES_REF_MAX], id[IMAGES_DIGEST_LEN + 1];
	images_ref_format(&r, full, sizeof(full));
	if (images_resolve(d->images, full, id, &err) < 0) {
		http_reply_errorf(req, 404, "An image does not exist locally with the tag: %s", name);
		return;
	}
	struct reg_work *w = rw_new(d, req, REG_PUSH);
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	w->name = strdup(full);
	w->repo = repo_display(&r);
	if (!w->name || !w->repo || registry_auth_header(req, w, &err) < 0) {
		if (!err.code)
			nd_error_set(&err, -ENOMEM, "out of memory");
		http_reply_error(req, &err);
		rw_free(w);
		return;
	}
	rw_queue(w);
}

/* POST /auth {"username", "password", "serveraddress"} */
void api_auth(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	if (!body) {
		http_reply_error(req, &err);
		return;
	}
	const char *user = nd_json_str(body, "username"), *pass = nd_json_str(body, "password");
	const char *server = nd_json_str(body, "serveraddress");
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (strcmp(k, "username") && strcmp(k, "password") && strcmp(k, "serveraddress") && strcmp(k, "email") &&
		    strcmp(k, "auth")) {
			http_reply_errorf(req, 400, "POST /auth: unknown field \"%s\"%s", k,
					  !strcmp(k, "identitytoken") ? " (identity tokens are not supported)" : "");
			return;
		}
	}
	if (!user || !*user || !pass) {
		http_reply_errorf(req, 400, "POST /auth: username and password are required");
		return;
	}
	char key[300];
	if (images_registry_key(server, key, sizeof(key), &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct reg_work *w = rw_new(d, req, REG_LOGIN);
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	w->name = strdup(server && *server ? server : "docker.io");
	w->repo = strdup("");
	w->user = strdup(user);
	w->pass = strdup(pass);
	if (!w->name || !w->repo || !w->user || !w->pass) {
		http_reply_errorf(req, 500, "out of memory");
		rw_free(w);
		return;
	}
	rw_queue(w);
}

/* DELETE /auth?serveraddress=HOST (netd's own: what `netctl logout` calls) */
void api_auth_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *server = http_req_query(req, "serveraddress");
	_cleanup_free_ char *file = NULL;
	if (asprintf(&file, "%s/config.json", d->cfg.root) < 0) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	if (images_auth_erase(file, server, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	log_info("registry logout server=%s", server && *server ? server : "docker.io");
	http_reply_json(req, 200, json_pack("{s:s}", "Status", "Removed login credentials"));
}
