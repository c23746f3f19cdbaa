// SPDX-License-Identifier: Apache-2.0
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int nd_mkdir_p(const char *path, unsigned mode)
{
	char buf[4096];
	if (nd_snprintf(buf, sizeof(buf), "%s", path) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

json_t *nd_json_parse(const char *buf, size_t len, struct nd_error *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		nd_error_set(err, -EINVAL, "malformed JSON at line %d column %d: %s",
			     jerr.line, jerr.column, jerr.text);
	return j;
}

char *nd_json_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

const char *nd_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int nd_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

bool nd_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void nd_time_rfc3339(char out[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

uint64_t nd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int nd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static uint64_t tree_bytes_at(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	if (depth > 64 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	uint64_t total = 0;
	struct dirent *de;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			total += tree_bytes_at(dirfd(dp), de->d_name, dev, depth + 1);
	closedir(dp);
	return total;
}

uint64_t nd_tree_bytes_at(int dfd, const char *name, dev_t dev)
{
	return tree_bytes_at(dfd, name, dev, 0);
}

uint64_t nd_tree_bytes(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	return tree_bytes_at(AT_FDCWD, path, st.st_dev, 0);
}
