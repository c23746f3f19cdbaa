// SPDX-License-Identifier: Apache-2.0
/* images: path and file helpers; everything that resolves an archive name
 * does it inside a root with openat2(RESOLVE_IN_ROOT). */
#include "images/images-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int images__path_clean(const char *in, char *out, size_t size, struct nd_error *err)
{
	size_t len = 0;
	const char *p = in;
	if (size == 0)
		return nd_error_set(err, -ENAMETOOLONG, "path buffer too small");
	out[0] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return nd_error_set(err, -EINVAL, "path \"%s\" escapes the layer root", in);
			char *slash = strrchr(out, '/');
			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
		} else {
			if (len + (len ? 1 : 0) + n + 1 > size)
				return nd_error_set(err, -ENAMETOOLONG, "path \"%.64s...\" too long", in);
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n;
	}
	return 0;
}

enum images__wh images__whiteout_kind(const char *base, const char **target)
{
	if (target)
		*target = NULL;
	if (strncmp(base, ".wh.", 4) != 0)
		return IMAGES_WH_NONE;
	if (strcmp(base, ".wh..wh..opq") == 0)
		return IMAGES_WH_OPAQUE;
	if (strncmp(base, ".wh..wh.", 8) == 0)
		return IMAGES_WH_META;
	if (!base[4])
		return IMAGES_WH_NONE;
	if (target)
		*target = base + 4;
	return IMAGES_WH_FILE;
}

int images__whiteout_name(const char *name, char *out, size_t size)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return nd_snprintf(out, size, ".wh.%s", name);
}

int images__open_in_root(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	if (!rel || !*rel)
		rel = ".";
	for (;;) {
		long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

int images__rm_rf_at(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = images__rm_rf_at(dirfd(d), de->d_name);
		if (r < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && rc == 0)
		rc = -errno;
	return rc;
}

int images__rm_rf(const char *path)
{
	return images__rm_rf_at(AT_FDCWD, path);
}


int images__write_file_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[4096];
	char rnd[9];
	images__random_name(rnd, 8, NULL);
	if (nd_snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, rnd) < 0)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	const char *p = buf;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	if (rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

int images__read_file(const char *path, char **buf, size_t *len, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	char *b = malloc((size_t)st.st_size + 1);
	if (!b)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	if (len)
		*len = got;
	return 0;
}

int images__random_name(char *out, size_t len, const char *alphabet)
{
	if (!alphabet)
		alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t na = strlen(alphabet);
	unsigned char rnd[64];
	if (len > sizeof(rnd))
		return -EINVAL;
	if (getrandom(rnd, len, 0) != (ssize_t)len)
		return -errno;
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[rnd[i] % na];
	out[len] = '\0';
	return 0;
}

void images_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
