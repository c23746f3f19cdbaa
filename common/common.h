// SPDX-License-Identifier: Apache-2.0
/* common: the error type, logging, IDs, JSON and cleanup helpers every
 * module shares. The one public header of the common module. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

/* ---- resources ---------------------------------------------------------- */

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_json_ _cleanup_(json_decrefp)  /* json_decrefp comes with jansson >= 2.9 */

#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ND_UNUSED __attribute__((unused))

/* ---- errors --------------------------------------------------------------
 * Every fallible cross-module call returns 0 or a negative errno and fills a
 * struct nd_error with the same code and one human sentence. Callers prepend
 * context with nd_error_wrap() on the way up; exactly one place logs the
 * error or returns it to a client. */

#define ND_ERROR_MSG_MAX 1024

struct nd_error {
	int code;                     /* negative errno; 0 when no error */
	char msg[ND_ERROR_MSG_MAX];
};

/* Sets code and message; returns code (always negative: a positive or zero
 * code is turned into -EIO) so that `return nd_error_set(...)` reads well. */
int nd_error_set(struct nd_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "context: " to the message; returns err->code. */
int nd_error_wrap(struct nd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nd_error_clear(struct nd_error *err);
/* The HTTP status a client should see for this error (400, 404, 409, ...). */
int nd_error_http_status(const struct nd_error *err);
/* Maps an HTTP status back to a negative errno (the CLI side). */
int nd_error_from_http_status(int status);

/* ---- logging ------------------------------------------------------------- */

enum nd_log_level { ND_LOG_ERROR = 0, ND_LOG_WARN, ND_LOG_INFO, ND_LOG_DEBUG };

void nd_log_set_level(enum nd_log_level level);
enum nd_log_level nd_log_get_level(void);
int nd_log_parse_level(const char *s, enum nd_log_level *out);
void nd_log(enum nd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) nd_log(ND_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) nd_log(ND_LOG_WARN, __VA_ARGS__)
#define log_info(...) nd_log(ND_LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (nd_log_get_level() >= ND_LOG_DEBUG) nd_log(ND_LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- IDs and names -------------------------------------------------------- */

#define ND_ID_LEN 64
#define ND_ID_SHORT 12
#define ND_NAME_MAX 128

/* 64 lowercase hex characters from 256 random bits. */
int nd_id_new(char out[ND_ID_LEN + 1]);
bool nd_id_valid(const char *s);
/* A possible ID prefix: 12..64 lowercase hex characters. */
bool nd_id_prefix_valid(const char *s);
/* Docker's object-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most ND_NAME_MAX. */
bool nd_name_valid(const char *s);

/* ---- JSON ------------------------------------------------------------------ */

/* Parses with JSON_REJECT_DUPLICATES; a syntax error becomes -EINVAL with
 * line and column in the message. */
json_t *nd_json_parse(const char *buf, size_t len, struct nd_error *err);
/* Compact dump; the caller frees. */
char *nd_json_dump(const json_t *j);
/* Borrowed string member or NULL when absent or not a string. */
const char *nd_json_str(const json_t *obj, const char *key);
/* Typed members with errors that name the key ("\"Name\" must be a string").
 * Absent or null: *out NULL / unchanged / an empty object, unless required. */
int nd_json_get_str(const json_t *obj, const char *key, const char **out, bool required, struct nd_error *err);
int nd_json_get_bool(const json_t *obj, const char *key, bool *out, struct nd_error *err);
/* An object of strings, deep-copied into *out (new reference). */
int nd_json_get_strmap(const json_t *obj, const char *key, json_t **out, struct nd_error *err);

/* ---- small string helpers --------------------------------------------------- */

/* snprintf that reports truncation as -ENAMETOOLONG. */
int nd_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool nd_str_has_prefix(const char *s, const char *prefix);
/* write(2) until all of buf is written (EINTR retried); 0 or -errno. */
int nd_write_all(int fd, const void *buf, size_t len);
/* mkdir -p: every missing component with mode; 0 or -errno. */
int nd_mkdir_p(const char *path, unsigned mode);
/* Sum of the sizes of the regular files under path that sit on path's
 * filesystem (the apparent size, as du --apparent-size counts it), walked
 * with openat/fstatat/readdir; 0 when path cannot be read. Blocking: for
 * the thread pool. _at: name under dfd, counting only what sits on device
 * dev. */
uint64_t nd_tree_bytes(const char *path);
uint64_t nd_tree_bytes_at(int dfd, const char *name, dev_t dev);
/* Current wall-clock time as RFC 3339 with nanoseconds, UTC, as Docker prints it. */
void nd_time_rfc3339(char out[40]);
/* Monotonic clock in nanoseconds. */
uint64_t nd_now_ns(void);
