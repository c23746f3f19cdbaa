// SPDX-License-Identifier: Apache-2.0
#include "netd/core/job.h"

#include "common/common.h"

static void job_work(uv_work_t *w)
{
	struct nd_job *j = w->data;
	j->t_begin = nd_now_ns();
	j->work(j);
	j->t_end = nd_now_ns();
}

static void job_done(uv_work_t *w, int status)
{
	struct nd_job *j = w->data;
	j->done(j);
}

void nd_job_queue(uv_loop_t *loop, struct nd_job *j)
{
	j->w.data = j;
	j->t_queued = nd_now_ns();
	if (uv_queue_work(loop, &j->w, job_work, job_done) < 0) {
		job_work(&j->w);
		job_done(&j->w, 0);
	}
}
