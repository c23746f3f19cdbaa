// SPDX-License-Identifier: Apache-2.0
/* Unit tests for images/: references, digests, whiteout names, path safety. No root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "images/images-internal.h"
#include "images/registry-internal.h"

static void ref_ok(const char *in, const char *full, const char *familiar)
{
	struct images_ref r;
	struct nd_error err = {0};
	char buf[IMAGES_REF_MAX];
	int rc = images_ref_parse(in, &r, &err);
	if (rc != 0)
		fail_msg("parse \"%s\": %s", in, err.msg);
	assert_int_equal(images_ref_format(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, full);
	assert_int_equal(images_ref_familiar(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, familiar);
}

static void ref_bad(const char *in)
{
	struct images_ref r;
	struct nd_error err = {0};
	if (images_ref_parse(in, &r, &err) != -EINVAL)
		fail_msg("\"%s\" should not parse", in);
	assert_true(strlen(err.msg) > 0);
}

static void test_ref_defaults(void **state)
{
	ref_ok("busybox", "docker.io/library/busybox:latest", "busybox:latest");
	ref_ok("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36");
	ref_ok("library/busybox", "docker.io/library/busybox:latest", "busybox:latest");
	ref_ok("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest");
	ref_ok("index.docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x");
	ref_ok("user/app", "docker.io/user/app:latest", "user/app:latest");
	ref_ok("user/sub/app:v1.2-rc_3", "docker.io/user/sub/app:v1.2-rc_3", "user/sub/app:v1.2-rc_3");
	ref_ok("localhost/app", "localhost/app:latest", "localhost/app:latest");
	ref_ok("localhost:5000/ns/app:v1", "localhost:5000/ns/app:v1", "localhost:5000/ns/app:v1");
	ref_ok("quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5");
	ref_ok("registry.example.com:443/a/b", "registry.example.com:443/a/b:latest", "registry.example.com:443/a/b:latest");
	ref_ok("Example.com/app", "Example.com/app:latest", "Example.com/app:latest");
	ref_ok("a__b-c--d/e.f_g", "docker.io/a__b-c--d/e.f_g:latest", "a__b-c--d/e.f_g:latest");
	ref_bad("a__b.c/f"); /* a dot makes it a domain, and __ is not valid in one */
	ref_ok("busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "docker.io/library/busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	struct images_ref r;
	struct nd_error err;
	assert_int_equal(images_ref_parse("busybox:1@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &r, &err), 0);
	assert_string_equal(r.tag, "1");
	assert_string_equal(r.digest, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(r.path, "library/busybox");
}

static void test_ref_errors(void **state)
{
	ref_bad("");
	ref_bad("Busybox");
	ref_bad("user/App");
	ref_bad(":tag");
	ref_bad("busybox:");
	ref_bad("busybox:-x");
	ref_bad("busybox:ta g");
	ref_bad("busybox@sha256:abc");
	ref_bad("busybox@md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ref_bad("busybox@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
	ref_bad("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ref_bad("a//b");
	ref_bad("a/-b");
	ref_bad("a/b-");
	ref_bad("a/b..c");
	ref_bad("a/b___c");
	ref_bad("/busybox");
	ref_bad("busybox/");
	ref_bad("-host.com/x");
	ref_bad("host.com:port/x");
	ref_ok("host:5000", "docker.io/library/host:5000", "host:5000"); /* a tag, as Docker reads it */
	char tag[200] = "busybox:";
	memset(tag + 8, 'a', 129);
	tag[137] = '\0';
	ref_bad(tag);
	char longname[300];
	memset(longname, 'a', 260);
	longname[260] = '\0';
	ref_bad(longname);
	struct nd_error err;
	char out[IMAGES_REF_MAX];
	assert_int_equal(images__normalize_tag("busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
					       out, sizeof(out), &err), -EINVAL);
	assert_int_equal(images__normalize_tag("busybox", out, sizeof(out), &err), 0);
	assert_string_equal(out, "docker.io/library/busybox:latest");
}

static void test_digest(void **state)
{
	char d[IMAGES_DIGEST_LEN + 1];
	struct nd_error err = {0};
	images_digest_buf("", 0, d);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	images_digest_buf("abc", 3, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(images_digest_valid(d));
	assert_false(images_digest_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(images_digest_valid("sha256:ba78"));
	assert_false(images_digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(images_digest_valid(NULL));
	assert_int_equal(images_digest_verify_buf("abc", 3, d, &err), 0);
	assert_int_equal(images_digest_verify_buf("abd", 3, d, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "digest mismatch"));
	assert_int_equal(images_digest_verify_buf("abc", 3, "sha256:zz", &err), -EINVAL);

	char path[] = "/tmp/test_images_digest.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	char fdg[IMAGES_DIGEST_LEN + 1];
	int64_t size = 0;
	assert_int_equal(images_digest_file(path, fdg, &size, &err), 0);
	assert_string_equal(fdg, d);
	assert_int_equal(size, 3);
	unlink(path);
	assert_int_equal(images_digest_file(path, fdg, &size, &err), -ENOENT);

	/* chain IDs: base = diff ID; then sha256("parent diff") */
	char chain[IMAGES_DIGEST_LEN + 1], want[IMAGES_DIGEST_LEN + 1], buf[200];
	images__chain_id("", d, chain);
	assert_string_equal(chain, d);
	images__chain_id(d, fdg, chain);
	snprintf(buf, sizeof(buf), "%s %s", d, fdg);
	images_digest_buf(buf, strlen(buf), want);
	assert_string_equal(chain, want);
}

static void test_whiteouts(void **state)
{
	const char *t;
	assert_int_equal(images__whiteout_kind(".wh.foo", &t), IMAGES_WH_FILE);
	assert_string_equal(t, "foo");
	assert_int_equal(images__whiteout_kind(".wh..hidden", &t), IMAGES_WH_FILE);
	assert_string_equal(t, ".hidden");
	assert_int_equal(images__whiteout_kind(".wh..wh..opq", &t), IMAGES_WH_OPAQUE);
	assert_int_equal(images__whiteout_kind(".wh..wh.plnk", &t), IMAGES_WH_META);
	assert_int_equal(images__whiteout_kind("foo", &t), IMAGES_WH_NONE);
	assert_null(t);
	assert_int_equal(images__whiteout_kind(".wh.", &t), IMAGES_WH_NONE);
	assert_int_equal(images__whiteout_kind("x.wh.foo", &t), IMAGES_WH_NONE);
	char out[64];
	assert_int_equal(images__whiteout_name("foo", out, sizeof(out)), 0);
	assert_string_equal(out, ".wh.foo");
	assert_int_equal(images__whiteout_name("a/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(images__whiteout_name("..", out, sizeof(out)), -EINVAL);
	assert_int_equal(images__whiteout_name("", out, sizeof(out)), -EINVAL);
	/* round trip */
	assert_int_equal(images__whiteout_name("etc", out, sizeof(out)), 0);
	assert_int_equal(images__whiteout_kind(out, &t), IMAGES_WH_FILE);
	assert_string_equal(t, "etc");
}

static void clean_ok(const char *in, const char *want)
{
	char out[256];
	struct nd_error err = {0};
	if (images__path_clean(in, out, sizeof(out), &err) != 0)
		fail_msg("clean \"%s\": %s", in, err.msg);
	assert_string_equal(out, want);
}

static void test_path_clean(void **state)
{
	clean_ok("a/b", "a/b");
	clean_ok("./a/./b/", "a/b");
	clean_ok("/abs/x", "abs/x");
	clean_ok("//a//b//", "a/b");
	clean_ok("a/../b", "b");
	clean_ok("a/b/..", "a");
	clean_ok("a/b/../../c", "c");
	clean_ok("", "");
	clean_ok("./", "");
	clean_ok("/", "");
	clean_ok("...", "...");
	clean_ok("..a/b..", "..a/b..");
	char out[8];
	struct nd_error err;
	assert_int_equal(images__path_clean("../x", out, sizeof(out), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "escapes"));
	assert_int_equal(images__path_clean("a/../../x", out, sizeof(out), &err), -EINVAL);
	assert_int_equal(images__path_clean("/..", out, sizeof(out), &err), -EINVAL);
	assert_int_equal(images__path_clean("./../etc/passwd", out, sizeof(out), &err), -EINVAL);
	assert_int_equal(images__path_clean("abcdefghijkl", out, sizeof(out), &err), -ENAMETOOLONG);
}

static void test_open_in_root(void **state)
{
	char root[] = "/tmp/test_images_root.XXXXXX";
	assert_non_null(mkdtemp(root));
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rfd >= 0);
	assert_int_equal(mkdirat(rfd, "in", 0755), 0);
	int f = openat(rfd, "in/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	struct stat want, got;
	assert_int_equal(fstat(f, &want), 0);
	close(f);
	assert_int_equal(symlinkat("/", rfd, "abs"), 0);
	assert_int_equal(symlinkat("../../../../../..", rfd, "up"), 0);
	assert_int_equal(symlinkat("/etc/passwd", rfd, "passwd"), 0);
	assert_int_equal(symlinkat("/proc/self/root", rfd, "magic"), 0);
	/* symlinks and .. resolve inside the root */
	const char *paths[] = { "in/f", "abs/in/f", "up/in/f", "/in/f", "../../in/f", "abs/../up/in/f" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int fd = images__open_in_root(rfd, paths[i], O_RDONLY, 0);
		if (fd < 0)
			fail_msg("%s: %s", paths[i], strerror(-fd));
		assert_int_equal(fstat(fd, &got), 0);
		assert_true(got.st_ino == want.st_ino && got.st_dev == want.st_dev);
		close(fd);
	}
	/* the host's files are never reached */
	assert_int_equal(images__open_in_root(rfd, "passwd", O_RDONLY, 0), -ENOENT);
	assert_int_equal(images__open_in_root(rfd, "../../../../etc/passwd", O_RDONLY, 0), -ENOENT);
	assert_int_equal(images__open_in_root(rfd, "abs/etc/passwd", O_RDONLY, 0), -ENOENT);
	int m = images__open_in_root(rfd, "magic/etc/passwd", O_RDONLY, 0);
	assert_true(m < 0);
	/* creating through an escaping symlink lands inside */
	int c = images__open_in_root(rfd, "up/created", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(c >= 0);
	close(c);
	assert_int_equal(faccessat(rfd, "created", F_OK, 0), 0);
	close(rfd);
	assert_int_equal(images__rm_rf(root), 0);
	assert_int_equal(access(root, F_OK), -1);
}

static void test_b64(void **state)
{
	(void)state;
	const char *cases[] = { "", "a", "ab", "abc", "user:pa ss", "\xff\xfe\x01" };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *enc = images__b64_encode(cases[i], strlen(cases[i]));
		char *dec = NULL;
		size_t len = 0;
		assert_non_null(enc);
		assert_int_equal(images__b64_decode(enc, &dec, &len), 0);
		assert_int_equal(len, strlen(cases[i]));
		assert_memory_equal(dec, cases[i], len);
		free(enc);
		free(dec);
	}
	char *enc = images__b64_encode("user:pass", 9);
	assert_string_equal(enc, "dXNlcjpwYXNz");
	free(enc);
	char *dec = NULL;
	/* the URL alphabet and no padding (X-Registry-Auth) */
	assert_int_equal(images__b64_decode("-_8", &dec, NULL), 0);
	assert_memory_equal(dec, "\xfb\xff", 2);
	free(dec);
	assert_int_equal(images__b64_decode("ab$c", &dec, NULL), -EINVAL);
}

static void test_registry_key(void **state)
{
	(void)state;
	char k[300];
	struct nd_error err;
	assert_int_equal(images_registry_key(NULL, k, sizeof(k), &err), 0);
	assert_string_equal(k, "https://index.docker.io/v1/");
	assert_int_equal(images_registry_key("registry-1.docker.io", k, sizeof(k), &err), 0);
	assert_string_equal(k, "https://index.docker.io/v1/");
	assert_int_equal(images_registry_key("https://127.0.0.1:5000/v2/", k, sizeof(k), &err), 0);
	assert_string_equal(k, "127.0.0.1:5000");
	assert_int_equal(images_registry_key("bad host", k, sizeof(k), &err), -EINVAL);
}

static void test_auth_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/nd-auth-XXXXXX", file[128];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/config.json", dir);
	struct nd_error err;
	char *u = NULL, *p = NULL;
	assert_int_equal(images_auth_lookup(file, "r.example:5000", &u, &p, &err), -ENOENT);
	assert_int_equal(images_auth_store(file, "r.example:5000", "alice", "pa:ss word", &err), 0);
	assert_int_equal(images_auth_store(file, "", "bob", "x", &err), 0);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(images_auth_lookup(file, "https://r.example:5000/", &u, &p, &err), 0);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "pa:ss word");
	free(u);
	free(p);
	assert_int_equal(images_auth_lookup(file, "docker.io", &u, &p, &err), 0);
	assert_string_equal(u, "bob");
	free(u);
	free(p);
	/* Docker's format: {"auths": {"r.example:5000": {"auth": base64}}} */
	char *buf = NULL;
	assert_int_equal(images__read_file(file, &buf, NULL, 1 << 20), 0);
	json_t *j = json_loads(buf, 0, NULL);
	assert_string_equal(nd_json_str(json_object_get(json_object_get(j, "auths"), "r.example:5000"), "auth"),
			    "YWxpY2U6cGE6c3Mgd29yZA==");
	json_decref(j);
	free(buf);
	assert_int_equal(images_auth_store(file, "r.example:5000", "a:b", "x", &err), -EINVAL);
	assert_int_equal(images_auth_erase(file, "r.example:5000", &err), 0);
	assert_int_equal(images_auth_erase(file, "r.example:5000", &err), -ENOENT);
	assert_int_equal(images_auth_lookup(file, "r.example:5000", &u, &p, &err), -ENOENT);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_registry_key),
		cmocka_unit_test(test_auth_file),
		cmocka_unit_test(test_ref_defaults),
		cmocka_unit_test(test_ref_errors),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_whiteouts),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_open_in_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
