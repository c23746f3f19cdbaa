// SPDX-License-Identifier: Apache-2.0
/* Observers (log and attach streams) and waiters of a container. */
#include "netd/ctr/ctr.h"

void ctr_observe(struct ctr *c, struct ctr_observer *o)
{
	o->next = c->observers;
	c->observers = o;
}

void ctr_unobserve(struct ctr *c, struct ctr_observer *o)
{
	for (struct ctr_observer **p = &c->observers; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			o->next = NULL;
			return;
		}
}

struct ctr_waiter *ctr_wait(struct ctr *c, enum ctr_wait_kind kind, ctr_cb cb, void *data)
{
	struct ctr_waiter *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->kind = kind;
	w->cb = cb;
	w->data = data;
	w->c = c;
	/* FIFO: a restart queued after a wait answers after it */
	struct ctr_waiter **p = &c->waiters;
	while (*p)
		p = &(*p)->next;
	*p = w;
	return w;
}

void ctr_wait_cancel(struct ctr_waiter *w)
{
	if (!w)
		return;
	for (struct ctr_waiter **p = &w->c->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w);
}
