// SPDX-License-Identifier: Apache-2.0
#include "common/common.h"

#include <pthread.h>
#include <strings.h>
#include <time.h>

/* The one process-wide setting of the logging facility (as systemd's
 * log_max_level): set once at start, read everywhere. */
static enum nd_log_level log_level = ND_LOG_INFO;

static const char *const level_names[] = {
	[ND_LOG_ERROR] = "error", [ND_LOG_WARN] = "warn",
	[ND_LOG_INFO] = "info", [ND_LOG_DEBUG] = "debug",
};

void nd_log_set_level(enum nd_log_level level) { log_level = level; }
enum nd_log_level nd_log_get_level(void) { return log_level; }

int nd_log_parse_level(const char *s, enum nd_log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum nd_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = ND_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

void nd_log(enum nd_log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char ts[40];
	nd_time_rfc3339(ts);
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line so concurrent threads never interleave */
	flockfile(stderr);
	fprintf(stderr, "time=%s level=%s %s\n", ts, level_names[level], line);
	funlockfile(stderr);
}
