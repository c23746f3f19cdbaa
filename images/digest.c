// SPDX-License-Identifier: Apache-2.0
/* images: sha256 digests (OpenSSL libcrypto). */
#include "images/images-internal.h"

#include <fcntl.h>

EVP_MD_CTX *images__sha256_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return c;
}

void images__sha256_final(EVP_MD_CTX *ctx, char out[IMAGES_DIGEST_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_DigestFinal_ex(ctx, md, &n);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

const char *images__hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c ? c + 1 : digest;
}

void images_digest_buf(const void *buf, size_t len, char out[IMAGES_DIGEST_LEN + 1])
{
	_cleanup_evp_ EVP_MD_CTX *c = images__sha256_new();
	EVP_DigestUpdate(c, buf, len);
	images__sha256_final(c, out);
}

int images_digest_verify_buf(const void *buf, size_t len, const char *expected, struct nd_error *err)
{
	if (!images_digest_valid(expected))
		return nd_error_set(err, -EINVAL, "invalid digest \"%s\"", expected ? expected : "");
	char got[IMAGES_DIGEST_LEN + 1];
	images_digest_buf(buf, len, got);
	if (strcmp(got, expected) != 0)
		return nd_error_set(err, -EBADMSG, "digest mismatch: expected %s, content has %s", expected, got);
	return 0;
}

int images_digest_file(const char *path, char out[IMAGES_DIGEST_LEN + 1], int64_t *size, struct nd_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nd_error_set(err, -errno, "open %s: %s", path, strerror(errno));
	_cleanup_evp_ EVP_MD_CTX *c = images__sha256_new();
	_cleanup_free_ char *buf = malloc(1 << 20);
	if (!c || !buf)
		return nd_error_set(err, -ENOMEM, "out of memory");
	int64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nd_error_set(err, -errno, "read %s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		total += n;
	}
	images__sha256_final(c, out);
	if (size)
		*size = total;
	return 0;
}
