// SPDX-License-Identifier: Apache-2.0
/* Exec instances (Docker's /containers/{id}/exec, /exec/{id}/...): a
 * process started in a running container through runtime's rt_exec_start
 * (on the thread pool), its stdio relayed on the loop. Records live in
 * memory, on their container, and die with it. The service knows no HTTP:
 * whoever attaches gives a sink. */
#pragma once

#if defined(ND_LAYER_CORE) || defined(ND_LAYER_HTTP) || defined(ND_LAYER_NET)
#error "netd/ctr/exec.h: the core, http and net layers sit below ctr and must not include it"
#endif

#include "netd/ctr/ctr.h"
#include "wire/wire.h"

struct ctr_exec_config {
	char **cmd;              /* NULL-terminated, owned */
	char **env;              /* NULL-terminated "K=V" added to the container's, owned */
	char *workdir, *user;    /* NULL: the container's */
	char *detach_keys;       /* NULL: none */
	bool tty, attach_stdin, attach_stdout, attach_stderr;
	unsigned short rows, cols;  /* ConsoleSize; 0: the kernel's */
};
void ctr_exec_config_clear(struct ctr_exec_config *cfg);

enum ctr_exec_phase {
	CTR_EXEC_CREATED,
	CTR_EXEC_STARTING,       /* rt_exec_start in the pool */
	CTR_EXEC_RUNNING,
	CTR_EXEC_EXITED,         /* exit code known; or the start failed (125/126/127) */
};

/* Where an attached exec's output goes. All calls are on the loop. */
struct ctr_exec_sink {
	/* output bytes; return true when the consumer is full: the exec stops
	 * reading until ctr_exec_output_resume() */
	bool (*output)(void *ud, enum wire_stream_kind kind, const char *data, size_t len);
	/* the input queue to the process drained below its limit */
	void (*input_drained)(void *ud);
	/* the start failed (msg, exit code set) or the process exited and its
	 * output is drained: the sink is released after this call */
	void (*done)(void *ud, int exit_code, const char *start_error);
};

struct ctr_exec {
	char id[ND_ID_LEN + 1];
	struct ctr *c;
	struct ctr_exec_config cfg;
	enum ctr_exec_phase phase;
	int exit_code;
	pid_t pid;
	char start_error[ND_ERROR_MSG_MAX];
	/* relay */
	int master;              /* tty */
	uv_pipe_t h_out, h_err, h_in;
	uv_poll_t h_status;
	int status_fd;
	bool out_live, err_live, in_live, status_live;   /* handle opened and not yet closed */
	bool out_eof, err_eof, paused;
	int handles;             /* initialised and not yet closed-back */
	bool forgotten, in_pool, finished;
	const struct ctr_exec_sink *sink;
	void *ud;
	struct ctr_exec *next;
};

/* Creates a record on a running container (-EBUSY "not running" otherwise);
 * cfg is taken over (cleared) on success. */
int ctr_exec_create(struct ctr *c, struct ctr_exec_config *cfg, struct ctr_exec **out, struct nd_error *err);
struct ctr_exec *ctr_exec_find(struct netd *d, const char *id);
/* Starts it (async): sink NULL for a detached exec. -EBUSY when it was
 * started before or the container is not running. ready (may be NULL) is
 * called once the process runs or failed to start (rc 0 / < 0). */
int ctr_exec_start(struct ctr_exec *x, const struct ctr_exec_sink *sink, void *ud,
		   void (*ready)(void *ud, int rc, const char *msg), struct nd_error *err);
/* Client input for the process's stdin: returns the bytes queued to it. */
size_t ctr_exec_input(struct ctr_exec *x, const char *data, size_t len);
void ctr_exec_close_stdin(struct ctr_exec *x);
void ctr_exec_output_resume(struct ctr_exec *x);
/* The attached client went away: output is read and dropped from now on,
 * stdin is closed; the process goes on, as Docker's. */
void ctr_exec_detach(struct ctr_exec *x);
int ctr_exec_resize(struct ctr_exec *x, unsigned short rows, unsigned short cols, struct nd_error *err);

/* The container exited / is going away (ctr's life cycle calls these). */
void ctr_exec_container_exited(struct ctr *c);
void ctr_exec_free_all(struct ctr *c);
/* Forgets a finished exec (health checks: one record per check would pile
 * up); a running one is left alone. */
void ctr_exec_release(struct ctr_exec *x);
