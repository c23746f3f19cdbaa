// SPDX-License-Identifier: Apache-2.0
/* A container's phase and the one function that changes it. */
#include "netd/ctr/ctr.h"

static const char *const names[CTR_PHASE_MAX] = {
	[CTR_CREATED] = "created",     [CTR_PREPARING] = "preparing", [CTR_STARTING] = "starting",
	[CTR_RUNNING] = "running",     [CTR_CLEANING] = "cleaning",   [CTR_RESTARTING] = "restarting",
	[CTR_REMOVING] = "removing",   [CTR_REMOVED] = "removed",
};

#define P(x) (1u << (x))
/* allowed[from]: the phases it may go to */
static const unsigned allowed[CTR_PHASE_MAX] = {
	/* a start, the create-time mount, re-adoption of a live shim, the
	 * cleanup of an exit seen at adoption, the restart timer, a removal */
	[CTR_CREATED] = P(CTR_PREPARING) | P(CTR_STARTING) | P(CTR_RUNNING) | P(CTR_CLEANING) |
			P(CTR_RESTARTING) | P(CTR_REMOVING),
	/* the mount came back; a start arrived meanwhile (its runtime job waits) */
	[CTR_PREPARING] = P(CTR_CREATED) | P(CTR_STARTING),
	/* started; failed; failed while the create-time mount is still in flight */
	[CTR_STARTING] = P(CTR_RUNNING) | P(CTR_CREATED) | P(CTR_PREPARING),
	/* exited */
	[CTR_RUNNING] = P(CTR_CREATED),
	/* the state dir is gone */
	[CTR_CLEANING] = P(CTR_CREATED),
	/* the timer fired; a stop or rm cancelled it */
	[CTR_RESTARTING] = P(CTR_STARTING) | P(CTR_CREATED) | P(CTR_REMOVING),
	[CTR_REMOVING] = P(CTR_REMOVED),
	[CTR_REMOVED] = 0,
};

const char *ctr_phase_name(enum ctr_phase p)
{
	return (unsigned)p < CTR_PHASE_MAX ? names[p] : "invalid";
}

bool ctr_phase_allowed(enum ctr_phase from, enum ctr_phase to)
{
	if ((unsigned)from >= CTR_PHASE_MAX || (unsigned)to >= CTR_PHASE_MAX)
		return false;
	return from == to || (allowed[from] & P(to));
}

int ctr_phase_set(struct ctr *c, enum ctr_phase to)
{
	if (!ctr_phase_allowed(c->phase, to)) {
		log_error("container=%.12s: refused phase change %s -> %s", c->id, ctr_phase_name(c->phase),
			  ctr_phase_name(to));
		return -EINVAL;
	}
	if (c->phase != to)
		log_debug("container=%.12s phase %s -> %s", c->id, ctr_phase_name(c->phase), ctr_phase_name(to));
	c->phase = to;
	return 0;
}
