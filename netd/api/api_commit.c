// SPDX-License-Identifier: Apache-2.0
/* POST /commit?container=&repo=&tag=&comment=&author= — `docker commit`:
 * the container's upper dir becomes one new layer (whiteouts included) on
 * top of its image. The tar and the unpack run in the thread pool. */
#include "netd/api/api.h"

#include "images/images.h"

struct commit_work {
	struct nd_job job;          /* first: the pool's job */
	struct netd *d;
	struct http_req *req;
	char cid[ND_ID_LEN + 1];
	char *ref, *comment, *author, *created_by;
	char id[IMAGES_DIGEST_LEN + 1];
	struct nd_error err;
	int rc;
};

static void commit_free(struct commit_work *c)
{
	free(c->ref);
	free(c->comment);
	free(c->author);
	free(c->created_by);
	free(c);
}

static void commit_run(struct nd_job *w)
{
	struct commit_work *c = (struct commit_work *)w;
	struct images_commit_opts o = {
		.ref = c->ref, .author = c->author, .comment = c->comment, .created_by = c->created_by,
	};
	c->rc = images_commit_container(c->d->images, c->cid, &o, c->id, &c->err);
}

static void commit_done(struct nd_job *w)
{
	struct commit_work *c = (struct commit_work *)w;
	if (c->rc < 0) {
		nd_error_wrap(&c->err, "commit container %.12s", c->cid);
		http_reply_error(c->req, &c->err);
	} else {
		log_info("image committed container=%.12s id=%s ref=%s", c->cid, c->id, c->ref ? c->ref : "");
		http_reply_json(c->req, 201, json_pack("{s:s}", "Id", c->id));
	}
	commit_free(c);
}

void api_commit(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *container = http_req_query(req, "container");
	_cleanup_free_ char *repo = http_req_query(req, "repo");
	_cleanup_free_ char *tag = http_req_query(req, "tag");
	_cleanup_json_ json_t *doc = NULL;
	char cid[ND_ID_LEN + 1];
	if (!container || !*container) {
		http_reply_errorf(req, 400, "commit needs ?container=");
		return;
	}
	if (ctr_lookup(d, container, cid, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct commit_work *c = calloc(1, sizeof(*c));
	if (!c) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	c->d = d;
	c->req = req;
	snprintf(c->cid, sizeof(c->cid), "%s", cid);
	if (repo && *repo && asprintf(&c->ref, "%s:%s", repo, tag && *tag ? tag : "latest") < 0)
		c->ref = NULL;
	c->comment = http_req_query(req, "comment");
	c->author = http_req_query(req, "author");
	/* the history entry names what the container ran, as Docker's does */
	_cleanup_free_ char *cmd = nd_json_dump(json_object_get(json_object_get(doc, "Config"), "Cmd"));
	if (asprintf(&c->created_by, "netd commit %.12s %s", cid, cmd ? cmd : "") < 0)
		c->created_by = NULL;
	c->job.work = commit_run;
	c->job.done = commit_done;
	nd_job_queue(d->loop, &c->job);
}
