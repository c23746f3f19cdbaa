// SPDX-License-Identifier: Apache-2.0
/* The event bus (see events.h): a ring of recent events and a list of
 * subscribers, both owned by struct netd and touched on the loop thread only. */
#include "netd/core/events.h"
#include "netd/core/daemon.h"

#include <time.h>

struct nd_event_sub {
	struct nd_events *bus;
	nd_event_fn fn;
	void *ud;
	bool dead;                /* unsubscribed while the bus was dispatching */
	struct nd_event_sub *next;
};

struct nd_events {
	struct nd_event ring[ND_EVENTS_RING];
	size_t head, n;           /* oldest at head; n in use */
	uint64_t seq;
	struct nd_event_sub *subs;
	int dispatching;
	bool swept;
};

static struct nd_events *bus_of(struct netd *d)
{
	if (!d->events)
		d->events = calloc(1, sizeof(*d->events));
	return d->events;
}

static void event_clear(struct nd_event *ev)
{
	free(ev->action);
	free(ev->id);
	json_decref(ev->attrs);
	memset(ev, 0, sizeof(*ev));
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sweep(struct nd_events *b)
{
	struct nd_event_sub **pp = &b->subs;
	while (*pp) {
		struct nd_event_sub *s = *pp;
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

void nd_events_publish(struct netd *d, const char *type, const char *action, const char *id, json_t *attrs)
{
	struct nd_events *b = bus_of(d);
	json_t *clean = json_object();
	if (attrs) {
		const char *k;
		json_t *v;
		json_object_foreach(attrs, k, v) {
			if (json_is_string(v))
				json_object_set(clean, k, v);
		}
		json_decref(attrs);
	}
	char *a = strdup(action ? action : ""), *i = strdup(id ? id : "");
	if (!b || !clean || !a || !i) {
		log_debug("event %s %s lost: out of memory", type, action);
		json_decref(clean);
		free(a);
		free(i);
		return;
	}
	struct nd_event *ev;
	if (b->n == ND_EVENTS_RING) {
		ev = &b->ring[b->head];
		event_clear(ev);
		b->head = (b->head + 1) % ND_EVENTS_RING;
	} else {
		ev = &b->ring[(b->head + b->n) % ND_EVENTS_RING];
		b->n++;
	}
	ev->type = type;
	ev->action = a;
	ev->id = i;
	ev->attrs = clean;
	ev->time_ns = realtime_ns();
	ev->seq = ++b->seq;

	b->dispatching++;
	for (struct nd_event_sub *s = b->subs; s; s = s->next) {
		if (!s->dead)
			s->fn(ev, s->ud);
	}
	if (--b->dispatching == 0)
		sweep(b);
}

uint64_t nd_events_replay(struct netd *d, int64_t since_ns, int64_t until_ns, nd_event_fn fn, void *ud)
{
	struct nd_events *b = bus_of(d);
	if (!b)
		return 0;
	for (size_t k = 0; k < b->n; k++) {
		const struct nd_event *ev = &b->ring[(b->head + k) % ND_EVENTS_RING];
		if (ev->time_ns < since_ns || (until_ns > 0 && ev->time_ns >= until_ns))
			continue;
		fn(ev, ud);
	}
	return b->seq;
}

struct nd_event_sub *nd_events_subscribe(struct netd *d, nd_event_fn fn, void *ud)
{
	struct nd_events *b = bus_of(d);
	struct nd_event_sub *s = b ? calloc(1, sizeof(*s)) : NULL;
	if (!s)
		return NULL;
	s->bus = b;
	s->fn = fn;
	s->ud = ud;
	s->next = b->subs;
	b->subs = s;
	return s;
}

void nd_events_unsubscribe(struct nd_event_sub *s)
{
	if (!s)
		return;
	s->dead = true;
	if (s->bus->dispatching == 0)
		sweep(s->bus);
}

void nd_events_free(struct netd *d)
{
	struct nd_events *b = d->events;
	if (!b)
		return;
	for (size_t k = 0; k < b->n; k++)
		event_clear(&b->ring[(b->head + k) % ND_EVENTS_RING]);
	while (b->subs) {
		struct nd_event_sub *s = b->subs;
		b->subs = s->next;
		free(s);
	}
	free(b);
	d->events = NULL;
}

json_t *nd_event_to_json(const struct nd_event *ev, bool legacy)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:O}, s:s, s:I, s:I}",
		"Type", ev->type,
		"Action", ev->action,
		"Actor", "ID", ev->id, "Attributes", ev->attrs,
		"scope", "local",
		"time", (json_int_t)(ev->time_ns / 1000000000),
		"timeNano", (json_int_t)ev->time_ns);
	if (o && legacy && (strcmp(ev->type, "container") == 0 || strcmp(ev->type, "image") == 0)) {
		json_object_set_new(o, "status", json_string(ev->action));
		json_object_set_new(o, "id", json_string(ev->id));
		const char *from = json_string_value(json_object_get(ev->attrs, "image"));
		if (from)
			json_object_set_new(o, "from", json_string(from));
	}
	return o;
}
