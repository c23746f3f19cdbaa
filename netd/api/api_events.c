// SPDX-License-Identifier: Apache-2.0
/* GET /events: Docker's event stream (one JSON message a line) from the bus
 * of core/events.h: the recorded events since ?since= first, then live ones
 * until ?until= (or the client's leaving); ?filters= type, event, container,
 * image, network, volume, label, scope, daemon. */
#include "netd/api/api.h"
#include "netd/core/events.h"


struct ev_stream {
	struct http_req *req;
	struct netd *d;
	json_t *filters;
	struct nd_event_sub *sub;
	uv_timer_t until_timer;
	bool timer_live;
	int64_t until_ns;        /* 0: none */
	uint64_t replayed_seq;   /* live events up to this were sent by the replay */
	bool legacy;             /* pre-1.52 fields status/id/from */
	bool ended;
};

/* "1700000000", "1700000000.5", "1700000000.000000001": Docker's timestamps */
static int parse_ts(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long sec = strtoll(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	int64_t ns = 0;
	if (*end == '.') {
		const char *f = end + 1;
		int digits = 0;
		while (*f >= '0' && *f <= '9') {
			if (digits < 9) {
				ns = ns * 10 + (*f - '0');
				digits++;
			}
			f++;
		}
		for (; digits < 9; digits++)
			ns *= 10;
		end = (char *)f;
	}
	if (*end)
		return -EINVAL;
	*out = (int64_t)sec * 1000000000 + ns;
	return 0;
}

struct match_ctx {
	const struct nd_event *ev;
};

static bool match_type(const char *v, void *data)
{
	return strcmp(((struct match_ctx *)data)->ev->type, v) == 0;
}

static bool match_action(const char *v, void *data)
{
	/* "exec_start" matches "exec_start: sh -c ..." as Docker's filter does */
	const char *a = ((struct match_ctx *)data)->ev->action;
	size_t n = strlen(v);
	return strcmp(a, v) == 0 || (strncmp(a, v, n) == 0 && a[n] == ':');
}

static bool actor_is(const struct nd_event *ev, const char *type, const char *v)
{
	if (strcmp(ev->type, type) != 0)
		return false;
	size_t n = strlen(v);
	const char *name = nd_json_str(ev->attrs, "name");
	return strcmp(ev->id, v) == 0 || (n >= 12 && strncmp(ev->id, v, n) == 0) || (name && strcmp(name, v) == 0);
}

static bool match_container(const char *v, void *data)
{
	const struct nd_event *ev = ((struct match_ctx *)data)->ev;
	if (actor_is(ev, "container", v))
		return true;
	/* a network's connect/disconnect names the container it concerns */
	const char *c = strcmp(ev->type, "network") == 0 ? nd_json_str(ev->attrs, "container") : NULL;
	return c && (strcmp(c, v) == 0 || (strlen(v) >= 12 && strncmp(c, v, strlen(v)) == 0));
}

static bool match_image(const char *v, void *data)
{
	const struct nd_event *ev = ((struct match_ctx *)data)->ev;
	const char *img = nd_json_str(ev->attrs, strcmp(ev->type, "container") == 0 ? "image" : "name");
	if (strcmp(ev->type, "image") == 0 && strcmp(ev->id, v) == 0)
		return true;
	if (!img || (strcmp(ev->type, "container") && strcmp(ev->type, "image")))
		return false;
	/* "busybox" matches "busybox:latest" */
	size_t n = strlen(v);
	return strcmp(img, v) == 0 || (strncmp(img, v, n) == 0 && strcmp(img + n, ":latest") == 0) ||
	       (strncmp(v, img, strlen(img)) == 0 && strcmp(v + strlen(img), ":latest") == 0);
}

static bool match_network(const char *v, void *data)
{
	return actor_is(((struct match_ctx *)data)->ev, "network", v);
}

static bool match_volume(const char *v, void *data)
{
	return actor_is(((struct match_ctx *)data)->ev, "volume", v);
}

static bool match_label(const char *v, void *data)
{
	return api_labels_match(((struct match_ctx *)data)->ev->attrs, v);
}

static bool match_scope(const char *v, void *data)
{
	return strcmp(v, "local") == 0;
}

static bool match_daemon(const char *v, void *data)
{
	return actor_is(((struct match_ctx *)data)->ev, "daemon", v);
}

static bool event_matches(const json_t *filters, const struct nd_event *ev)
{
	struct match_ctx m = { ev };
	/* Docker: each key must match; container/image/network/volume/daemon
	 * together form one "about any of these objects" condition */
	if (!api_filter_any(filters, "type", match_type, &m) || !api_filter_any(filters, "event", match_action, &m) ||
	    !api_filter_all(filters, "label", match_label, &m) || !api_filter_any(filters, "scope", match_scope, &m))
		return false;
	static const char *const objs[] = { "container", "image", "network", "volume", "daemon" };
	bool (*const preds[])(const char *, void *) = { match_container, match_image, match_network, match_volume,
							 match_daemon };
	bool any_obj = false, hit = false;
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		json_t *vals = json_object_get(filters, objs[i]);
		if (!json_array_size(vals))
			continue;
		any_obj = true;
		size_t k;
		json_t *x;
		json_array_foreach(vals, k, x) hit = hit || preds[i](json_string_value(x), &m);
	}
	return !any_obj || hit;
}

static void stream_end(struct ev_stream *s);

static void on_timer_closed(uv_handle_t *h)
{
	struct ev_stream *s = h->data;
	json_decref(s->filters);
	free(s);
}

static void stream_free(struct ev_stream *s)
{
	nd_events_unsubscribe(TAKE_PTR(s->sub));
	if (s->timer_live) {
		uv_close((uv_handle_t *)&s->until_timer, on_timer_closed);
		return;
	}
	json_decref(s->filters);
	free(s);
}

static void send_event(const struct nd_event *ev, void *ud)
{
	struct ev_stream *s = ud;
	if (s->ended || (s->replayed_seq && ev->seq <= s->replayed_seq))
		return;
	if (s->until_ns > 0 && ev->time_ns >= s->until_ns)
		return;
	if (!event_matches(s->filters, ev))
		return;
	_cleanup_json_ json_t *o = nd_event_to_json(ev, s->legacy);
	_cleanup_free_ char *json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	_cleanup_free_ char *line = NULL;
	/* one write, so one chunk: a JSON object and its newline never
	 * straddle chunks (the Python SDK's splitter trips on a lone "\n") */
	if (!json || asprintf(&line, "%s\n", json) < 0)
		return;
	http_stream_write(s->req, line, strlen(line));
}

static void stream_end(struct ev_stream *s)
{
	if (s->ended)
		return;
	s->ended = true;
	s->req->on_close = NULL;
	http_stream_end(s->req);
	stream_free(s);
}

static void on_client_gone(struct http_req *req, void *data)
{
	stream_end(data);
}

static void on_until(uv_timer_t *t)
{
	stream_end(t->data);
}

void api_events(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "type", "event", "container", "image", "network", "volume", "label",
					       "scope", "daemon", "plugin", "node", "service", "secret", "config", NULL };
	json_t *filters = NULL;
	if (api_filters(req, allowed, &filters, &err) < 0) {
		json_decref(filters);
		http_reply_error(req, &err);
		return;
	}
	_cleanup_free_ char *since = http_req_query(req, "since"), *until = http_req_query(req, "until");
	int64_t since_ns = -1, until_ns = 0;
	if ((since && *since && parse_ts(since, &since_ns) < 0) || (until && *until && parse_ts(until, &until_ns) < 0)) {
		json_decref(filters);
		http_reply_errorf(req, 400, "invalid since/until: want seconds since the epoch (\"1700000000.5\")");
		return;
	}
	struct ev_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(filters);
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	s->req = req;
	s->d = d;
	s->filters = filters;
	s->until_ns = until_ns;
	s->legacy = http_req_api_version(req) < WIRE_API(1, 52);
	http_stream_begin(req, 200, "application/json");
	int64_t now = 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	if (since_ns >= 0)
		s->replayed_seq = nd_events_replay(d, since_ns, until_ns, send_event, s);
	if (until_ns > 0 && until_ns <= now) {  /* all in the past: the replay was it */
		stream_end(s);
		return;
	}
	s->sub = nd_events_subscribe(d, send_event, s);
	if (!s->sub) {
		stream_end(s);
		return;
	}
	req->on_close = on_client_gone;
	req->on_close_data = s;
	if (until_ns > 0) {
		uv_timer_init(d->loop, &s->until_timer);
		s->until_timer.data = s;
		s->timer_live = true;
		uv_timer_start(&s->until_timer, on_until, (uint64_t)((until_ns - now) / 1000000) + 1, 0);
	}
}
