// SPDX-License-Identifier: Apache-2.0
/* Health checks (Config.Healthcheck: --health-* or the image's HEALTHCHECK):
 * while the container runs, a timer starts the check through the exec
 * service every Interval; its exit code and output go into the record's
 * Health (Status starting/healthy/unhealthy, FailingStreak, the last five
 * results), which inspect shows as State.Health and ps as "(healthy)". A
 * change of status is told to the hook ctr_health_observe() registered
 * (the events stream's health_status). */
#include "netd/ctr/ctr.h"
#include "netd/ctr/exec.h"

#include <signal.h>

#define NS_PER_MS 1000000ll
#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_MAX 5

/* one check: a timed-out one goes stale, and what it still says is dropped */
struct health_run {
	struct ctr_health *hc;
	bool stale;
};

struct ctr_health {
	struct ctr *c;               /* NULL once detached */
	uv_timer_t timer, timeout;
	int handles;
	uint64_t interval_ms, timeout_ms, start_period_ms;
	int retries;
	uint64_t started_ms;         /* loop time at the container's start */
	char **cmd;                  /* NULL-terminated */
	struct ctr_exec *x;          /* the check running now */
	struct health_run *run;      /* its sink's data */
	struct ctr_exec *last;       /* the previous check's record, released at the next */
	bool running, timed_out;
	char start[40];
	char out[HEALTH_OUTPUT_MAX];
	size_t out_len;
};

static int64_t dur_ms(const json_t *h, const char *k, int64_t dflt)
{
	json_t *v = json_object_get(h, k);
	int64_t ns = json_is_integer(v) ? json_integer_value(v) : 0;
	return ns > 0 ? ns / NS_PER_MS : dflt;
}

void ctr_health_observe(struct netd *d, void (*fn)(void *ud, const char *id, const char *status), void *ud)
{
	struct ctrs *cs = ctrs_of(d);
	cs->health_fn = fn;
	cs->health_ud = ud;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void health_closed(uv_handle_t *h)
{
	struct ctr_health *hc = h->data;
	if (--hc->handles == 0) {
		strv_free(hc->cmd);
		free(hc);
	}
}

/* records one result: the new status, the streak, the log */
static void health_record(struct ctr_health *hc, int code, const char *output)
{
	struct ctr *c = hc->c;
	struct nd_container_rec r;
	struct nd_error e = { 0 };
	if (!c || ctr_load(c->d, c->id, &r, &e) < 0)
		return;
	json_t *h = json_object_get(r.doc, "Health");
	if (!json_is_object(h)) {
		h = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
		json_object_set_new(r.doc, "Health", h);
	}
	const char *old = nd_json_str(h, "Status") ?: "starting";
	char status[16];
	snprintf(status, sizeof(status), "%s", old);
	int streak = (int)json_integer_value(json_object_get(h, "FailingStreak"));
	bool in_start_period = uv_now(c->d->loop) - hc->started_ms < hc->start_period_ms;
	if (code == 0) {
		snprintf(status, sizeof(status), "healthy");
		streak = 0;
	} else if (!(in_start_period && strcmp(old, "starting") == 0)) {
		/* failures in the start period do not count while it is still starting */
		if (++streak >= hc->retries)
			snprintf(status, sizeof(status), "unhealthy");
	}
	char end[40];
	nd_time_rfc3339(end);
	json_t *log = json_object_get(h, "Log");
	if (!json_is_array(log)) {
		log = json_array();
		json_object_set_new(h, "Log", log);
	}
	json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", hc->start, "End", end, "ExitCode", code,
					     "Output", output));
	while (json_array_size(log) > HEALTH_LOG_MAX)
		json_array_remove(log, 0);
	json_object_set_new(h, "Status", json_string(status));
	json_object_set_new(h, "FailingStreak", json_integer(streak));
	bool changed = strcmp(old, status) != 0;
	if (ctr_save(c->d, &r, &e) < 0)
		log_error("container=%.12s: saving its health: %s", c->id, e.msg);
	nd_container_rec_clear(&r);
	if (changed) {
		log_info("container health id=%.12s status=%s", c->id, status);
		char action[64];
		snprintf(action, sizeof(action), "health_status: %s", status);
		ctr_event(c->d, c->id, action, NULL);
		struct ctrs *cs = ctrs_of(c->d);
		if (cs->health_fn)
			cs->health_fn(cs->health_ud, c->id, status);
	}
}

static bool health_output(void *ud, enum wire_stream_kind kind, const char *data, size_t len)
{
	struct health_run *run = ud;
	struct ctr_health *hc = run->hc;
	(void)kind;
	if (run->stale)
		return false;
	size_t room = sizeof(hc->out) - 1 - hc->out_len;
	if (len > room)
		len = room;
	memcpy(hc->out + hc->out_len, data, len);
	hc->out_len += len;
	return false;
}

static void health_drained(void *ud)
{
	(void)ud;
}

static void health_done(void *ud, int exit_code, const char *start_error)
{
	struct health_run *run = ud;
	struct ctr_health *hc = run->hc;
	bool stale = run->stale;
	free(run);
	if (!stale) {
		hc->running = false;
		hc->x = NULL;
		hc->run = NULL;
	}
	hc->out[hc->out_len] = '\0';
	if (hc->c && !stale) {
		uv_timer_stop(&hc->timeout);
		/* Docker: 0 healthy, anything else unhealthy (a failed start too);
		 * a timed-out check was recorded already */
		if (!hc->timed_out)
			health_record(hc, exit_code, start_error && *start_error ? start_error : hc->out);
	}
	if (--hc->handles == 0) {   /* the check held it after a stop */
		strv_free(hc->cmd);
		free(hc);
	}
}

static const struct ctr_exec_sink health_sink = {
	.output = health_output,
	.input_drained = health_drained,
	.done = health_done,
};

static void health_timeout(uv_timer_t *t)
{
	struct ctr_health *hc = t->data;
	if (!hc->running)
		return;
	hc->timed_out = true;
	char msg[96];
	snprintf(msg, sizeof(msg), "Health check exceeded timeout (%llums)", (unsigned long long)hc->timeout_ms);
	if (hc->x && hc->x->pid > 0)
		kill(hc->x->pid, SIGKILL);   /* the relay: the check's process goes with the container's pid namespace or on its own */
	/* the next check does not wait for this one */
	if (hc->run)
		hc->run->stale = true;
	hc->run = NULL;
	hc->x = NULL;
	hc->running = false;
	health_record(hc, -1, msg);
}

static void health_tick(uv_timer_t *t)
{
	struct ctr_health *hc = t->data;
	struct ctr *c = hc->c;
	if (!c || !ctr_running(c) || hc->running || c->paused)
		return;
	if (hc->last)
		ctr_exec_release(TAKE_PTR(hc->last));
	struct ctr_exec_config cfg = { 0 };
	size_t n = 0;
	while (hc->cmd[n])
		n++;
	cfg.cmd = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; cfg.cmd && i < n; i++)
		cfg.cmd[i] = strdup(hc->cmd[i]);
	cfg.attach_stdout = cfg.attach_stderr = true;
	struct nd_error err = { 0 };
	struct ctr_exec *x = NULL;
	hc->out_len = 0;
	hc->timed_out = false;
	nd_time_rfc3339(hc->start);
	if (!cfg.cmd || ctr_exec_create(c, &cfg, &x, &err) < 0) {
		ctr_exec_config_clear(&cfg);
		health_record(hc, -1, err.msg[0] ? err.msg : "out of memory");
		return;
	}
	struct health_run *run = calloc(1, sizeof(*run));
	if (!run) {
		health_record(hc, -1, "out of memory");
		return;
	}
	run->hc = hc;
	hc->running = true;
	hc->x = x;
	hc->last = x;
	hc->run = run;
	if (ctr_exec_start(x, &health_sink, run, NULL, &err) < 0) {
		free(run);
		hc->run = NULL;
		hc->running = false;
		hc->x = NULL;
		health_record(hc, -1, err.msg);
		return;
	}
	hc->handles++;   /* the sink holds hc until done() */
	uv_timer_start(&hc->timeout, health_timeout, hc->timeout_ms, 0);
}

void ctr__health_start(struct ctr *c)
{
	ctr__health_stop(c);
	struct nd_container_rec r;
	struct nd_error e = { 0 };
	if (ctr_load(c->d, c->id, &r, &e) < 0)
		return;
	json_t *h = json_object_get(json_object_get(r.doc, "Config"), "Healthcheck");
	json_t *test = json_object_get(h, "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	if (!kind || strcmp(kind, "NONE") == 0 || json_array_size(test) < 2) {
		nd_container_rec_clear(&r);
		return;
	}
	struct ctr_health *hc = calloc(1, sizeof(*hc));
	if (!hc) {
		nd_container_rec_clear(&r);
		return;
	}
	size_t n = json_array_size(test);
	hc->cmd = calloc(n + 2, sizeof(char *));
	if (hc->cmd && strcmp(kind, "CMD-SHELL") == 0) {
		hc->cmd[0] = strdup("/bin/sh");
		hc->cmd[1] = strdup("-c");
		hc->cmd[2] = strdup(json_string_value(json_array_get(test, 1)) ?: "");
	} else if (hc->cmd) {
		for (size_t i = 1; i < n; i++)
			hc->cmd[i - 1] = strdup(json_string_value(json_array_get(test, i)) ?: "");
	}
	hc->interval_ms = (uint64_t)dur_ms(h, "Interval", 30000);
	hc->timeout_ms = (uint64_t)dur_ms(h, "Timeout", 30000);
	hc->start_period_ms = (uint64_t)dur_ms(h, "StartPeriod", 0);
	json_t *rt = json_object_get(h, "Retries");
	hc->retries = json_is_integer(rt) && json_integer_value(rt) > 0 ? (int)json_integer_value(rt) : 3;
	hc->c = c;
	hc->started_ms = uv_now(c->d->loop);
	uv_timer_init(c->d->loop, &hc->timer);
	uv_timer_init(c->d->loop, &hc->timeout);
	hc->timer.data = hc->timeout.data = hc;
	hc->handles = 2;
	c->health = hc;
	json_object_set_new(r.doc, "Health", json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log"));
	if (ctr_save(c->d, &r, &e) < 0)
		log_error("container=%.12s: saving its health: %s", c->id, e.msg);
	nd_container_rec_clear(&r);
	uv_timer_start(&hc->timer, health_tick, hc->interval_ms, hc->interval_ms);
}

void ctr__health_stop(struct ctr *c)
{
	struct ctr_health *hc = TAKE_PTR(c->health);
	if (!hc)
		return;
	hc->c = NULL;
	uv_timer_stop(&hc->timer);
	uv_timer_stop(&hc->timeout);
	uv_close((uv_handle_t *)&hc->timer, health_closed);
	uv_close((uv_handle_t *)&hc->timeout, health_closed);
}
