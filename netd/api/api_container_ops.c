// SPDX-License-Identifier: Apache-2.0
/* Container operations (Docker Engine API 1.43 shapes): rename, pause,
 * unpause, update, top, changes, prune, stats, archive (docker cp). Each
 * decodes, calls a ctr service and encodes Docker's view. */
#include "netd/api/api.h"

#include <fcntl.h>

static struct ctr *find_ctr(struct http_req *req, struct netd *d)
{
	struct nd_error err = { 0 };
	char id[ND_ID_LEN + 1];
	json_t *doc = NULL;
	if (ctr_lookup(d, req->params[0], id, &doc, &err) < 0) {
		if (err.code == -ENOENT)
			nd_error_set(&err, -ENOENT, "No such container: %s", req->params[0]);
		http_reply_error(req, &err);
		return NULL;
	}
	json_decref(doc);
	struct ctr *c = ctr_new(d, id);
	if (!c)
		http_reply_errorf(req, 500, "out of memory");
	return c;
}

/* ---- rename, pause, unpause ---------------------------------------------------------- */

void api_container_rename(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (!c)
		return;
	_cleanup_free_ char *name = http_req_query(req, "name");
	struct nd_error err = { 0 };
	if (ctr_rename(c, name, &err) < 0)
		http_reply_error(req, &err);
	else
		http_reply_empty(req, 204);
}

static void pause_answer(void *data, const struct ctr_result *r)
{
	struct http_req *req = data;
	if (r->rc < 0 && r->err)
		http_reply_error(req, r->err);
	else if (r->rc < 0)
		http_reply_errorf(req, 500, "pause failed");
	else
		http_reply_empty(req, 204);
}

void api_container_pause(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (c)
		ctr_pause(c, true, pause_answer, req);
}

void api_container_unpause(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (c)
		ctr_pause(c, false, pause_answer, req);
}

/* ---- update --------------------------------------------------------------------------- */

static const char *const honoured_update[] = { "Memory", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod",
					       "PidsLimit", "RestartPolicy", "MemorySwap", NULL };

static int int_field(const json_t *b, const char *k, bool *has, int64_t *out, struct nd_error *err)
{
	json_t *v = json_object_get(b, k);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return nd_error_set(err, -EINVAL, "\"%s\" must be an integer", k);
	*out = json_integer_value(v);
	/* Docker's clients send every field, 0 meaning "unchanged" (PidsLimit: null) */
	*has = *out != 0 || strcmp(k, "PidsLimit") == 0;
	return 0;
}

void api_container_update(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (!c)
		return;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *b = http_req_json(req, &err);
	struct ctr_update_req u = { 0 };
	int64_t swap = 0;
	bool has_swap = false;
	if (!b || api_refuse_unhonoured(b, "", honoured_update, NULL, &err) < 0 ||
	    int_field(b, "Memory", &u.has_memory, &u.memory, &err) < 0 ||
	    int_field(b, "NanoCpus", &u.has_nano, &u.nano_cpus, &err) < 0 ||
	    int_field(b, "CpuShares", &u.has_shares, &u.cpu_shares, &err) < 0 ||
	    int_field(b, "CpuQuota", &u.has_quota, &u.cpu_quota, &err) < 0 ||
	    int_field(b, "CpuPeriod", &u.has_period, &u.cpu_period, &err) < 0 ||
	    int_field(b, "PidsLimit", &u.has_pids, &u.pids, &err) < 0 ||
	    int_field(b, "MemorySwap", &has_swap, &swap, &err) < 0)
		goto fail;
	if (has_swap && swap != -1 && swap != u.memory) {
		nd_error_set(&err, -EINVAL, "MemorySwap=%lld is not supported by netd (containers get no swap: leave it unset or equal to Memory)",
			     (long long)swap);
		goto fail;
	}
	if (u.has_memory && u.memory > 0 && u.memory < (6ll << 20)) {
		nd_error_set(&err, -EINVAL, "Minimum memory limit allowed is 6MB");
		goto fail;
	}
	if (u.has_shares && (u.cpu_shares < 2 || u.cpu_shares > 262144)) {
		nd_error_set(&err, -EINVAL, "CpuShares must be between 2 and 262144");
		goto fail;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (u.has_nano && (u.nano_cpus < 10000000 || u.nano_cpus > (int64_t)ncpu * 1000000000)) {
		nd_error_set(&err, -EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available", ncpu, ncpu);
		goto fail;
	}
	if (u.has_pids && u.pids < 0)
		u.pids = 0;
	json_t *rp = json_object_get(b, "RestartPolicy");
	const char *name = nd_json_str(rp, "Name");
	if (name && *name) {
		static const char *const policies[] = { "no", "always", "on-failure", "unless-stopped" };
		bool ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
			ok |= strcmp(policies[i], name) == 0;
		if (!ok) {
			nd_error_set(&err, -EINVAL, "invalid restart policy \"%s\"", name);
			goto fail;
		}
		u.has_restart = true;
		snprintf(u.restart, sizeof(u.restart), "%s", name);
		u.restart_max = (int)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
		if (u.restart_max > 0 && strcmp(name, "on-failure") != 0) {
			nd_error_set(&err, -EINVAL, "maximum retry count cannot be used with restart policy \"%s\"", name);
			goto fail;
		}
	}
	if (ctr_update(c, &u, &err) < 0)
		goto fail;
	http_reply_json(req, 200, json_pack("{s:[]}", "Warnings"));
	return;
fail:
	http_reply_error(req, &err);
}

/* ---- top, changes --------------------------------------------------------------------- */

void api_container_top(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (!c)
		return;
	_cleanup_free_ char *args = http_req_query(req, "ps_args");
	struct ctr_top t;
	struct nd_error err = { 0 };
	if (ctr_top(c, args, &t, &err) < 0) {
		if (err.code == -EBUSY)
			nd_error_set(&err, -EBUSY, "Container %s is not running", c->id);
		http_reply_error(req, &err);
		return;
	}
	json_t *titles = json_array(), *procs = json_array();
	for (size_t i = 0; i < t.ncols; i++)
		json_array_append_new(titles, json_string(t.titles[i]));
	for (size_t r = 0; r < t.nrows; r++) {
		json_t *row = json_array();
		for (size_t i = 0; i < t.ncols; i++)
			json_array_append_new(row, json_string(t.cells[r * t.ncols + i] ?: ""));
		json_array_append_new(procs, row);
	}
	ctr_top_free(&t);
	http_reply_json(req, 200, json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs));
}

static void changes_answer(void *data, struct ctr_diff_result *r)
{
	struct http_req *req = data;
	if (r->rc < 0) {
		http_reply_error(req, &r->err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:i}", "Path", r->v[i].path, "Kind", (int)r->v[i].kind));
	http_reply_json(req, 200, arr);
}

void api_container_changes(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (c)
		ctr_diff(c, changes_answer, req);
}

/* ---- prune ------------------------------------------------------------------------------ */

struct prune_ctx {
	json_t *filters;
	time_t until;
};

static bool prune_label(const char *val, void *data)
{
	return api_labels_match(json_object_get(json_object_get(data, "Config"), "Labels"), val);
}

static bool prune_label_not(const char *val, void *data)
{
	return !api_labels_match(json_object_get(json_object_get(data, "Config"), "Labels"), val);
}

static bool prune_match(const json_t *doc, void *data)
{
	struct prune_ctx *p = data;
	if (p->until && json_integer_value(json_object_get(doc, "CreatedUnix")) >= p->until)
		return false;
	return api_filter_all(p->filters, "label", prune_label, (void *)doc) &&
	       api_filter_all(p->filters, "label!", prune_label_not, (void *)doc);
}

static void prune_done(void *ud, json_t *removed)
{
	http_reply_json(ud, 200, json_pack("{s:O, s:i}", "ContainersDeleted", removed, "SpaceReclaimed", 0));
}

void api_container_prune(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "until", "label", "label!", NULL };
	struct prune_ctx p = { 0 };
	if (api_filters(req, allowed, &p.filters, &err) < 0)
		goto fail;
	json_t *u = json_object_get(p.filters, "until");
	if (json_array_size(u) > 0) {
		const char *s = json_string_value(json_array_get(u, 0));
		if (!s || api_parse_time(s, &p.until, NULL) < 0) {
			nd_error_set(&err, -EINVAL, "invalid filter 'until=%s'", s ? s : "");
			goto fail;
		}
	}
	if (ctr_prune(d, prune_match, &p, prune_done, req, &err) < 0)
		goto fail;
	json_decref(p.filters);
	return;
fail:
	json_decref(p.filters);
	http_reply_error(req, &err);
}

/* ---- stats -------------------------------------------------------------------------------- */

struct stats_stream {
	struct ctr_observer obs;    /* first */
	struct http_req *req;
	struct ctr *c;
	uv_timer_t timer;
	bool stream, one_shot, started, closing, in_flight, ended;
	json_t *pre;                /* the previous cpu_stats */
	char preread[40];
	char name[ND_NAME_MAX + 2];
};

static json_t *cpu_json(const struct ctr_stats *s)
{
	return json_pack("{s:{s:I, s:I, s:I}, s:I, s:i, s:{s:i, s:i, s:i}}",
			 "cpu_usage", "total_usage", (json_int_t)s->cg.cpu_total_ns, "usage_in_kernelmode",
			 (json_int_t)s->cg.cpu_system_ns, "usage_in_usermode", (json_int_t)s->cg.cpu_user_ns,
			 "system_cpu_usage", (json_int_t)s->system_ns, "online_cpus", (int)s->online_cpus,
			 "throttling_data", "periods", 0, "throttled_periods", 0, "throttled_time", 0);
}

static json_t *stats_json(struct stats_stream *ss, const struct ctr_stats *s)
{
	json_t *blk = json_array();
	for (size_t i = 0; i < s->cg.n_blk; i++) {
		json_array_append_new(blk, json_pack("{s:i, s:i, s:s, s:I}", "major", s->cg.blk[i].major, "minor",
						     s->cg.blk[i].minor, "op", "read", "value", (json_int_t)s->cg.blk[i].read));
		json_array_append_new(blk, json_pack("{s:i, s:i, s:s, s:I}", "major", s->cg.blk[i].major, "minor",
						     s->cg.blk[i].minor, "op", "write", "value", (json_int_t)s->cg.blk[i].write));
	}
	json_t *mstat = json_object();
	for (size_t i = 0; i < s->cg.n_memstat; i++)
		json_object_set_new(mstat, s->cg.memstat[i].key, json_integer((json_int_t)s->cg.memstat[i].value));
	json_t *nets = json_object();
	for (size_t i = 0; i < s->nnets; i++) {
		const struct net_link_stats *n = &s->nets[i];
		json_object_set_new(nets, n->ifname, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"rx_bytes", (json_int_t)n->rx_bytes, "rx_packets", (json_int_t)n->rx_packets,
			"rx_errors", (json_int_t)n->rx_errors, "rx_dropped", (json_int_t)n->rx_dropped,
			"tx_bytes", (json_int_t)n->tx_bytes, "tx_packets", (json_int_t)n->tx_packets,
			"tx_errors", (json_int_t)n->tx_errors, "tx_dropped", (json_int_t)n->tx_dropped));
	}
	uint64_t limit = s->cg.mem_limit && s->cg.mem_limit < s->host_mem ? s->cg.mem_limit : s->host_mem;
	json_t *cpu = cpu_json(s);
	json_t *pre = ss->pre ? json_incref(ss->pre) :
		json_pack("{s:{s:i, s:i, s:i}, s:i, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0,
			  "usage_in_kernelmode", 0, "usage_in_usermode", 0, "system_cpu_usage", 0,
			  "throttling_data", "periods", 0, "throttled_periods", 0, "throttled_time", 0);
	json_t *j = json_pack("{s:s, s:s, s:{s:I, s:I}, s:{s:o, s:n, s:n, s:n, s:n, s:n, s:n, s:n}, s:i, s:{},"
			      " s:o, s:o, s:{s:I, s:I, s:o, s:I}, s:s, s:s}",
		"read", s->read, "preread", ss->preread[0] ? ss->preread : "0001-01-01T00:00:00Z",
		"pids_stats", "current", (json_int_t)s->cg.pids_current, "limit",
		(json_int_t)(s->cg.pids_limit ? s->cg.pids_limit : UINT32_MAX),
		"blkio_stats", "io_service_bytes_recursive", blk, "io_serviced_recursive", "io_queue_recursive",
		"io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
		"sectors_recursive", "num_procs", 0, "storage_stats",
		"cpu_stats", json_deep_copy(cpu), "precpu_stats", pre,
		"memory_stats", "usage", (json_int_t)s->cg.mem_usage, "max_usage", (json_int_t)s->cg.mem_max_usage,
		"stats", mstat, "limit", (json_int_t)limit,
		"name", ss->name, "id", ss->c->id);
	if (j && s->nnets)
		json_object_set_new(j, "networks", nets);
	else
		json_decref(nets);
	json_decref(ss->pre);
	ss->pre = cpu;
	snprintf(ss->preread, sizeof(ss->preread), "%s", s->read);
	return j;
}

static void stats_timer_closed(uv_handle_t *h)
{
	struct stats_stream *ss = h->data;
	json_decref(ss->pre);
	free(ss);
}

/* ends the request (once) and frees when nothing is in flight */
static void stats_end(struct stats_stream *ss)
{
	if (!ss->ended) {
		ss->ended = true;
		if (ss->c)
			ctr_unobserve(ss->c, &ss->obs);
		ss->c = NULL;
		if (ss->req) {
			ss->req->on_close = NULL;
			if (ss->started)
				http_stream_end(ss->req);
			else
				http_reply_errorf(ss->req, 404, "the container went away");
			ss->req = NULL;
		}
	}
	if (!ss->in_flight && !ss->closing) {
		ss->closing = true;
		uv_timer_stop(&ss->timer);
		uv_close((uv_handle_t *)&ss->timer, stats_timer_closed);
	}
}

static void stats_sample(struct stats_stream *ss);

static void stats_tick(uv_timer_t *t)
{
	stats_sample(t->data);
}

static void stats_got(void *data, int rc, const struct nd_error *err, const struct ctr_stats *s)
{
	struct stats_stream *ss = data;
	ss->in_flight = false;
	if (ss->ended) {
		stats_end(ss);
		return;
	}
	if (rc < 0) {
		if (!ss->started) {
			ss->req->on_close = NULL;
			http_reply_error(ss->req, err);
			ss->req = NULL;
		}
		stats_end(ss);
		return;
	}
	bool first = !ss->pre;
	json_t *j = stats_json(ss, s);
	if (!ss->stream && !ss->one_shot && first) {
		/* --no-stream: a second sample a second later, so the CPU share has a base */
		json_decref(j);
		uv_timer_start(&ss->timer, stats_tick, 1000, 0);
		return;
	}
	char *txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!ss->started) {
		ss->started = true;
		http_stream_begin(ss->req, 200, "application/json");
	}
	if (txt) {
		size_t l = strlen(txt);
		txt[l] = '\n';
		http_stream_write(ss->req, txt, l + 1);
		free(txt);
	}
	if (!ss->stream) {
		stats_end(ss);
		return;
	}
	uv_timer_start(&ss->timer, stats_tick, 1000, 0);
}

static void stats_sample(struct stats_stream *ss)
{
	ss->in_flight = true;
	ctr_stats_sample(ss->c, stats_got, ss);
}

static void stats_gone(struct ctr_observer *o)
{
	struct stats_stream *ss = (struct stats_stream *)o;
	ss->c = NULL;     /* already unlinked */
	stats_end(ss);    /* a sample in flight frees it when it comes back */
}

static void stats_client_gone(struct http_req *req, void *data)
{
	struct stats_stream *ss = data;
	(void)req;
	stats_end(ss);
}

void api_container_stats(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct ctr *c = find_ctr(req, d);
	if (!c)
		return;
	struct stats_stream *ss = calloc(1, sizeof(*ss));
	if (!ss) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	struct nd_container_rec r;
	struct nd_error err = { 0 };
	if (ctr_load(d, c->id, &r, &err) == 0) {
		snprintf(ss->name, sizeof(ss->name), "/%s", r.name);
		nd_container_rec_clear(&r);
	}
	ss->req = req;
	ss->c = c;
	ss->stream = http_req_query_bool(req, "stream", true);
	ss->one_shot = http_req_query_bool(req, "one-shot", false);
	if (ss->one_shot && ss->stream) {
		free(ss);
		http_reply_errorf(req, 400, "cannot have stream=true and one-shot=true");
		return;
	}
	ss->obs.gone = stats_gone;
	uv_timer_init(d->loop, &ss->timer);
	ss->timer.data = ss;
	ctr_observe(c, &ss->obs);
	req->on_close = stats_client_gone;
	req->on_close_data = ss;
	stats_sample(ss);
}

/* ---- archive (docker cp) ---------------------------------------------------------------------- */

static char *base64(const char *in, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static void set_stat_header(struct http_req *req, const struct ctr_path_stat *st)
{
	json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", st->name, "size", (json_int_t)st->size, "mode",
			      (json_int_t)st->mode, "mtime", st->mtime, "linkTarget", st->link_target);
	_cleanup_free_ char *txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	_cleanup_free_ char *b = txt ? base64(txt, strlen(txt)) : NULL;
	if (b)
		http_reply_header(req, "X-Docker-Container-Path-Stat", b);
}

#define CP_CHUNK (256 * 1024)

struct cp_stream {
	struct http_req *req;
	uv_loop_t *loop;
	uv_fs_t fs;
	int fd;
	char *buf;
	bool gone, draining;
};

static void cp_finish(struct cp_stream *s)
{
	if (s->req)
		http_stream_end(s->req);
	uv_fs_t cl;
	uv_fs_close(NULL, &cl, s->fd, NULL);
	uv_fs_req_cleanup(&cl);
	free(s->buf);
	free(s);
}

static void cp_read_next(struct cp_stream *s);

static void cp_on_drained(struct http_req *req, void *data)
{
	struct cp_stream *s = data;
	(void)req;
	s->draining = false;
	cp_read_next(s);
}

static void cp_on_read(uv_fs_t *fs)
{
	struct cp_stream *s = fs->data;
	ssize_t n = fs->result;
	uv_fs_req_cleanup(fs);
	if (n < 0) {
		s->req->on_close = NULL;
		http_stream_abort(TAKE_PTR(s->req));
		cp_finish(s);
		return;
	}
	if (s->gone || n == 0) {
		s->req->on_close = NULL;
		cp_finish(s);
		return;
	}
	http_stream_write(s->req, s->buf, (size_t)n);
	if (http_stream_queued(s->req) > 4 * CP_CHUNK) {
		s->draining = true;
		http_stream_when_drained(s->req, cp_on_drained, s);
		return;
	}
	cp_read_next(s);
}

static void cp_read_next(struct cp_stream *s)
{
	uv_buf_t b = uv_buf_init(s->buf, CP_CHUNK);
	s->fs.data = s;
	if (uv_fs_read(s->loop, &s->fs, s->fd, &b, 1, -1, cp_on_read) < 0) {
		s->req->on_close = NULL;
		cp_finish(s);
	}
}

static void cp_on_close(struct http_req *req, void *data)
{
	struct cp_stream *s = data;
	(void)req;
	s->gone = true;
	if (s->draining) {
		s->draining = false;
		cp_finish(s);
	}
}

struct cp_req {
	struct http_req *req;
	uv_loop_t *loop;
};

static void archive_got(void *data, int rc, const struct nd_error *err, const struct ctr_path_stat *st, int fd)
{
	struct cp_req *cr = data;
	struct http_req *req = cr->req;
	uv_loop_t *loop = cr->loop;
	free(cr);
	if (rc < 0) {
		http_reply_error(req, err);
		return;
	}
	set_stat_header(req, st);
	if (fd < 0) {   /* HEAD */
		http_reply(req, 200, "application/json", "", 0);
		return;
	}
	struct cp_stream *s = calloc(1, sizeof(*s));
	if (!s || !(s->buf = malloc(CP_CHUNK))) {
		free(s);
		close(fd);
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	s->req = req;
	s->loop = loop;
	s->fd = fd;
	req->on_close = cp_on_close;
	req->on_close_data = s;
	http_stream_begin(req, 200, "application/x-tar");
	cp_read_next(s);
}

void api_container_archive_get(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (!c)
		return;
	_cleanup_free_ char *path = http_req_query(req, "path");
	if (!path || !*path) {
		http_reply_errorf(req, 400, "a path is required (?path=)");
		return;
	}
	struct cp_req *cr = calloc(1, sizeof(*cr));
	if (!cr) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	cr->req = req;
	cr->loop = ((struct netd *)ctx)->loop;
	ctr_archive_get(c, path, strcmp(req->method, "HEAD") != 0, archive_got, cr);
}

static void archive_put_done(void *data, int rc, const struct nd_error *err)
{
	struct http_req *req = data;
	if (rc < 0)
		http_reply_error(req, err);
	else
		http_reply_empty(req, 200);
}

void api_container_archive_put(struct http_req *req, void *ctx)
{
	struct ctr *c = find_ctr(req, ctx);
	if (!c)
		return;
	_cleanup_free_ char *path = http_req_query(req, "path");
	if (!path || !*path) {
		http_reply_errorf(req, 400, "a path is required (?path=)");
		return;
	}
	struct ctr_archive_put_opts o = {
		.no_overwrite_dir_non_dir = http_req_query_bool(req, "noOverwriteDirNonDir", false),
		.copy_uid_gid = http_req_query_bool(req, "copyUIDGID", false),
	};
	ctr_archive_put(c, path, req->body_fd, &o, archive_put_done, req);
}
