// SPDX-License-Identifier: Apache-2.0
/* Small file, process and string helpers of the runtime. */
#include <sys/socket.h>
#include "runtime/internal.h"

#include <fcntl.h>
#include <sys/stat.h>

int rt__read_file(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_wire_buf_ struct wire_buf b = { 0 };
	for (;;) {
		if (wire_buf_reserve(&b, 4096) < 0)
			return -ENOMEM;
		ssize_t r = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	if (!(*out = wire_buf_steal(&b, len)))
		return -ENOMEM;
	return 0;
}

int rt__write_file_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	if (nd_snprintf(tmp, sizeof(tmp), "%s.tmp", path) < 0)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* no fsync: state dirs live under the exec root (/run, tmpfs) and do not
	 * outlive a reboot; rename() is what makes readers see whole files */
	int r = nd_write_all(fd, data, len);
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int rt__write_str(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, s, strlen(s));
	if (w < 0)
		return -errno;
	return 0;
}


uint64_t rt__proc_starttime(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *buf = NULL;
	if (pid <= 0 || rt__read_file(path, &buf, NULL) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* after ")": field 3 (state) ... field 22 (starttime) */
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	/* a zombie has exited: treat it as gone */
	char state = buf[(strrchr(buf, ')') - buf) + 2];
	if (state == 'Z' || state == 'X')
		return 0;
	return strtoull(p + 1, NULL, 10);
}

bool rt__proc_alive(pid_t pid, uint64_t starttime)
{
	uint64_t st = rt__proc_starttime(pid);
	return st != 0 && (starttime == 0 || st == starttime);
}

/* JSON string body: escapes quotes, backslash and control characters;
 * invalid UTF-8 becomes U+FFFD as Docker does. out needs 6*len+1 bytes. */
size_t rt__json_escape(char *out, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			switch (c) {
			case '"': out[o++] = '\\'; out[o++] = '"'; break;
			case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
			case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
			case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
			case '\t': out[o++] = '\\'; out[o++] = 't'; break;
			default:
				if (c < 0x20 || c == 0x7f) {
					memcpy(out + o, "\\u00", 4);
					o += 4;
					out[o++] = hex[c >> 4];
					out[o++] = hex[c & 15];
				} else {
					out[o++] = (char)c;
				}
			}
			i++;
			continue;
		}
		size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		bool ok = n && i + n <= len;
		for (size_t k = 1; ok && k < n; k++)
			ok = (s[i + k] & 0xc0) == 0x80;
		if (ok) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

static const char *env_get(char *const *env, const char *key)
{
	size_t kl = strlen(key);
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, key, kl) && (*e)[kl] == '=')
			return *e + kl + 1;
	return NULL;
}

static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

int rt__find_exec(const char *file, char *const *env, char out[PATH_MAX], int *exit_code,
		  struct nd_error *err)
{
	if (strchr(file, '/')) {
		int r = check_exec(file);
		if (r < 0) {
			*exit_code = r == -ENOENT || r == -ENOTDIR ? 127 : 126;
			return nd_error_set(err, r, "exec: \"%s\": %s", file,
					    r == -ENOENT ? "no such file or directory" :
					    r == -EACCES ? "permission denied" : strerror(-r));
		}
		snprintf(out, PATH_MAX, "%s", file);
		return 0;
	}
	const char *path = env_get(env, "PATH");
	if (!path)
		path = RT_DEFAULT_PATH;
	_cleanup_free_ char *dup = strdup(path);
	int denied = 0;
	for (char *save = NULL, *dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(out, PATH_MAX, "%s/%s", *dir ? dir : ".", file) >= PATH_MAX)
			continue;
		int r = check_exec(out);
		if (r == 0)
			return 0;
		if (r == -EACCES)
			denied = r;
	}
	if (denied) {
		*exit_code = 126;
		return nd_error_set(err, -EACCES, "exec: \"%s\": permission denied", file);
	}
	*exit_code = 127;
	return nd_error_set(err, -ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

int rt__send_fd(int sock, char tag, int fd)
{
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

ssize_t rt__recv_fd_msg(int sock, char *buf, size_t size, int *fd_out)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			      .msg_controllen = sizeof(u.b) };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd_out, CMSG_DATA(cm), sizeof(int));
	return n;
}
