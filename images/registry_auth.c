// SPDX-License-Identifier: Apache-2.0
/* images: stored credentials (Docker's config.json) and login.
 *
 *   {"auths": {"127.0.0.1:5000": {"auth": base64("user:password")}},
 *              "https://index.docker.io/v1/": {...}}}
 *
 * The file is rewritten whole (temp file, fsync, rename) with mode 0600. */
#include "images/registry-internal.h"

#include <fcntl.h>
#include <sys/stat.h>

#define HUB_KEY "https://index.docker.io/v1/"

/* "https://host:port/v2/" -> "host:port"; docker.io's names -> HUB_KEY */
int images_registry_key(const char *server, char *out, size_t size, struct nd_error *err)
{
	const char *s = server ? server : "";
	if (nd_str_has_prefix(s, "https://"))
		s += 8;
	else if (nd_str_has_prefix(s, "http://"))
		s += 7;
	size_t n = strcspn(s, "/");
	char host[256];
	if (n >= sizeof(host))
		return nd_error_set(err, -EINVAL, "registry \"%s\": name too long", server);
	memcpy(host, s, n);
	host[n] = '\0';
	if (!host[0] || !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
	    !strcmp(host, "registry-1.docker.io"))
		return nd_snprintf(out, size, "%s", HUB_KEY);
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']'))
			return nd_error_set(err, -EINVAL, "registry \"%s\": invalid character '%c' in the host name", server, *p);
	return nd_snprintf(out, size, "%s", host);
}

static int auth_load(const char *file, json_t **out, struct nd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = images__read_file(file, &buf, &len, 4 << 20);
	if (r == -ENOENT) {
		*out = json_pack("{s:{}}", "auths");
		return 0;
	}
	if (r < 0)
		return nd_error_set(err, r, "read %s: %s", file, strerror(-r));
	json_t *j = nd_json_parse(buf, len, err);
	if (!j)
		return nd_error_wrap(err, "%s", file);
	if (!json_is_object(j)) {
		json_decref(j);
		return nd_error_set(err, -EINVAL, "%s: not a JSON object", file);
	}
	if (!json_is_object(json_object_get(j, "auths")))
		json_object_set_new(j, "auths", json_object());
	*out = j;
	return 0;
}

static int auth_save(const char *file, json_t *j, struct nd_error *err)
{
	_cleanup_free_ char *txt = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!txt)
		return nd_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", file) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nd_error_set(err, -errno, "create %s: %s", tmp, strerror(errno));
	size_t len = strlen(txt);
	if (fchmod(fd, 0600) < 0 || write(fd, txt, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return nd_error_set(err, -e, "write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, file) < 0) {
		int e = errno;
		unlink(tmp);
		return nd_error_set(err, -e, "rename %s: %s", file, strerror(e));
	}
	return 0;
}

int images_auth_store(const char *file, const char *server, const char *user, const char *password,
		      struct nd_error *err)
{
	char key[300];
	int r = images_registry_key(server, key, sizeof(key), err);
	if (r < 0)
		return r;
	if (!user || !*user || strchr(user, ':'))
		return nd_error_set(err, -EINVAL, "username must be non-empty and without ':'");
	_cleanup_json_ json_t *j = NULL;
	if ((r = auth_load(file, &j, err)) < 0)
		return r;
	_cleanup_free_ char *up = NULL;
	if (asprintf(&up, "%s:%s", user, password ? password : "") < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *b = images__b64_encode(up, strlen(up));
	explicit_bzero(up, strlen(up));
	if (!b)
		return nd_error_set(err, -ENOMEM, "out of memory");
	json_object_set_new(json_object_get(j, "auths"), key, json_pack("{s:s}", "auth", b));
	return auth_save(file, j, err);
}

int images_auth_erase(const char *file, const char *server, struct nd_error *err)
{
	char key[300];
	int r = images_registry_key(server, key, sizeof(key), err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *j = NULL;
	if ((r = auth_load(file, &j, err)) < 0)
		return r;
	if (json_object_del(json_object_get(j, "auths"), key) < 0)
		return nd_error_set(err, -ENOENT, "not logged in to %s", key);
	return auth_save(file, j, err);
}

int images_auth_lookup(const char *file, const char *server, char **user, char **password, struct nd_error *err)
{
	char key[300];
	int r = images_registry_key(server, key, sizeof(key), err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *j = NULL;
	if ((r = auth_load(file, &j, err)) < 0)
		return r;
	json_t *auths = json_object_get(j, "auths");
	json_t *e = json_object_get(auths, key);
	if (!e) { /* entries written as URLs ("https://host/") by other tools */
		const char *k;
		json_t *v;
		json_object_foreach(auths, k, v) {
			char k2[300];
			struct nd_error e2;
			if (images_registry_key(k, k2, sizeof(k2), &e2) == 0 && !strcmp(k2, key)) {
				e = v;
				break;
			}
		}
	}
	const char *a = nd_json_str(e, "auth");
	if (!a)
		return nd_error_set(err, -ENOENT, "no credentials for %s", key);
	_cleanup_free_ char *dec = NULL;
	if (images__b64_decode(a, &dec, NULL) < 0 || !strchr(dec, ':'))
		return nd_error_set(err, -EINVAL, "%s: credentials for %s are not base64(user:password)", file, key);
	char *colon = strchr(dec, ':');
	*colon = '\0';
	*user = strdup(dec);
	*password = strdup(colon + 1);
	explicit_bzero(colon + 1, strlen(colon + 1));
	if (!*user || !*password) {
		free(*user);
		free(*password);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int images_registry_login(const char *server, const struct images_registry_opts *o, struct nd_error *err)
{
	char key[300];
	int r = images_registry_key(server, key, sizeof(key), err);
	if (r < 0)
		return r;
	struct images_ref ref = { 0 };
	snprintf(ref.domain, sizeof(ref.domain), "%s", strcmp(key, HUB_KEY) ? key : "docker.io");
	struct reg reg;
	if ((r = reg_open(&reg, &ref, NULL, o, err)) < 0) {
		reg_close(&reg);
		return r;
	}
	if (!reg.user) {
		reg_close(&reg);
		return nd_error_set(err, -EINVAL, "login to %s: a username is required", ref.domain);
	}
	struct reg_req q;
	reg_req_init(&q, "GET");
	snprintf(q.url, sizeof(q.url), "%s/v2/", reg.endpoint);
	q.no_retry_status = true;
	r = reg_do(&reg, &q, err);
	if (r == 0 && q.status == 401)
		r = nd_error_set(err, -EKEYREJECTED, "login to %s: incorrect username or password", ref.domain);
	else if (r == 0 && reg.scheme == REG_AUTH_NONE && q.status == 200)
		log_debug("images: %s asks for no credentials", ref.domain);
	else if (r == 0 && q.status != 200)
		r = nd_error_set(err, -EIO, "login to %s: /v2/ answered HTTP %ld", ref.domain, q.status);
	if (r == 0 && reg.scheme == REG_AUTH_BEARER && !reg.token)
		r = nd_error_set(err, -EKEYREJECTED, "login to %s: no token", ref.domain);
	reg_req_clear(&q);
	reg_close(&reg);
	return r;
}
