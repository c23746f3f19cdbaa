// SPDX-License-Identifier: Apache-2.0
/* The event bus: what happened to containers, networks, images and volumes,
 * in Docker's terms (Type, Action, Actor). Services publish on the loop
 * thread; subscribers (the /events streams) are called on the loop thread,
 * synchronously, in publish order. A bounded ring keeps the most recent
 * events so a subscriber can replay those since a time (`docker events
 * --since`). Memory only: events do not survive a restart (Docker's don't). */
#pragma once

#include "common/common.h"

#include <stdint.h>

struct netd;

#define ND_EVENTS_RING 1024   /* events kept for replay */

struct nd_event {
	const char *type;         /* "container", "network", "image", "volume", "daemon" (static) */
	char *action;             /* "create", "die", "exec_start: sh -c true", ... */
	char *id;                 /* the actor's id (or name where that is its id: images) */
	json_t *attrs;            /* object of string values (name, image, exitCode, labels ...) */
	int64_t time_ns;          /* CLOCK_REALTIME, nanoseconds since the epoch */
	uint64_t seq;             /* 1, 2, ... in publish order */
};

typedef void (*nd_event_fn)(const struct nd_event *ev, void *ud);
struct nd_event_sub;

/* Publishes (and records in the ring). attrs is stolen (NULL: none); a
 * non-string member is dropped. Never fails the caller: an event that cannot
 * be built is logged at debug and lost. */
void nd_events_publish(struct netd *d, const char *type, const char *action, const char *id, json_t *attrs);
/* Calls fn for each recorded event with since_ns <= time_ns (< until_ns when
 * until_ns > 0), oldest first; returns the seq of the newest event recorded
 * (0: none), so a subscription made right after misses and repeats nothing. */
uint64_t nd_events_replay(struct netd *d, int64_t since_ns, int64_t until_ns, nd_event_fn fn, void *ud);
/* fn is called for every event published from now on, until unsubscribed
 * (which is safe from inside fn). NULL on ENOMEM. */
struct nd_event_sub *nd_events_subscribe(struct netd *d, nd_event_fn fn, void *ud);
void nd_events_unsubscribe(struct nd_event_sub *s);
/* Frees the bus at netd's exit (subscribers must be gone). */
void nd_events_free(struct netd *d);
/* A JSON object of Docker's event message for ev (new reference);
 * legacy adds the pre-1.22 "status", "id", "from" fields. */
json_t *nd_event_to_json(const struct nd_event *ev, bool legacy);
