// SPDX-License-Identifier: Apache-2.0
/* One way to run blocking work off the loop: the thread pool runs work(),
 * then done() runs on the loop thread. Work that cannot be queued (a loop
 * that is closing) runs inline rather than being lost. */
#pragma once

#include <stdint.h>
#include <uv.h>

struct nd_job {
	uv_work_t w;                 /* embedded: the job is its own allocation */
	void (*work)(struct nd_job *j);
	void (*done)(struct nd_job *j);
	uint64_t t_queued, t_begin, t_end;   /* nd_now_ns(), for debug timings */
};

void nd_job_queue(uv_loop_t *loop, struct nd_job *j);
