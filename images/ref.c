// SPDX-License-Identifier: Apache-2.0
/* images: image references, Docker's normalisation rules
 * (github.com/distribution/reference: ParseNormalizedNamed). */
#include "images/images-internal.h"

#include <ctype.h>

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* path-component: [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]))
		return false;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n || !is_lower_alnum(s[i]) || i == sep)
			return false;
	}
	return true;
}

/* domain-component(\.domain-component)*(:port)? */
static bool domain_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t hn = colon ? (size_t)(colon - s) : strlen(s);
	if (hn == 0)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= hn; i++) {
		if (i == hn || s[i] == '.') {
			size_t len = i - start;
			if (len == 0 || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	if (colon) {
		if (!colon[1])
			return false;
		for (const char *p = colon + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return true;
}

/* [\w][\w.-]{0,127} */
static bool tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool w = isalnum((unsigned char)c) || c == '_';
		if (!w && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

bool images_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != IMAGES_DIGEST_LEN)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int images_ref_parse(const char *s, struct images_ref *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return nd_error_set(err, -EINVAL, "invalid reference format: empty");
	size_t slen = strlen(s);
	if (slen >= IMAGES_REF_MAX)
		return nd_error_set(err, -EINVAL, "invalid reference format: too long");
	if (slen == 64 && strspn(s, "0123456789abcdef") == 64)
		return nd_error_set(err, -EINVAL,
				    "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
	char buf[IMAGES_REF_MAX];
	memcpy(buf, s, slen + 1);

	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		const char *dg = at + 1;
		if (strncmp(dg, "sha256:", 7) != 0)
			return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": unsupported digest algorithm", s);
		if (!images_digest_valid(dg))
			return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": invalid digest", s);
		memcpy(out->digest, dg, IMAGES_DIGEST_LEN + 1);
	}
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(buf, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": invalid tag", s);
		snprintf(out->tag, sizeof(out->tag), "%s", colon + 1);
	}
	if (!buf[0])
		return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": empty name", s);

	/* splitDockerDomain */
	const char *remainder = buf;
	const char *domain = "docker.io";
	char dom[256] = "";
	char *first = strchr(buf, '/');
	if (first) {
		size_t dl = (size_t)(first - buf);
		bool lower = true;
		for (size_t i = 0; i < dl; i++)
			if (isupper((unsigned char)buf[i]))
				lower = false;
		bool is_domain = memchr(buf, '.', dl) || memchr(buf, ':', dl) ||
				 (dl == 9 && !memcmp(buf, "localhost", 9)) || !lower;
		if (is_domain) {
			if (dl >= sizeof(dom))
				return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": domain too long", s);
			memcpy(dom, buf, dl);
			dom[dl] = '\0';
			if (!domain_valid(dom))
				return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": invalid domain", s);
			domain = strcmp(dom, "index.docker.io") == 0 ? "docker.io" : dom;
			remainder = first + 1;
		}
	} else if (strchr(buf, ':')) {
		return nd_error_set(err, -EINVAL, "invalid reference format \"%s\"", s);
	}
	for (const char *p = remainder; *p; p++)
		if (isupper((unsigned char)*p))
			return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": repository name must be lowercase", s);
	/* path components */
	const char *c = remainder;
	while (true) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (!path_component_valid(c, n))
			return nd_error_set(err, -EINVAL, "invalid reference format \"%s\"", s);
		if (!e)
			break;
		c = e + 1;
	}
	bool library = strcmp(domain, "docker.io") == 0 && !strchr(remainder, '/');
	int r = nd_snprintf(out->path, sizeof(out->path), "%s%s", library ? "library/" : "", remainder);
	if (r < 0 || strlen(domain) + 1 + strlen(out->path) > 255)
		return nd_error_set(err, -EINVAL, "invalid reference format \"%s\": repository name too long", s);
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if (!out->tag[0] && !out->digest[0])
		strcpy(out->tag, "latest");
	return 0;
}

int images_ref_format(const struct images_ref *r, char *buf, size_t size)
{
	if (r->tag[0])
		return nd_snprintf(buf, size, "%s/%s:%s", r->domain, r->path, r->tag);
	return nd_snprintf(buf, size, "%s/%s@%s", r->domain, r->path, r->digest);
}

int images_ref_familiar(const struct images_ref *r, char *buf, size_t size)
{
	const char *path = r->path;
	char name[520];
	if (strcmp(r->domain, "docker.io") == 0) {
		if (nd_str_has_prefix(path, "library/") && !strchr(path + 8, '/'))
			path += 8;
		snprintf(name, sizeof(name), "%s", path);
	} else {
		snprintf(name, sizeof(name), "%s/%s", r->domain, path);
	}
	if (r->tag[0])
		return nd_snprintf(buf, size, "%s:%s", name, r->tag);
	return nd_snprintf(buf, size, "%s@%s", name, r->digest);
}

/* A name for the tag table: the full form, tag required (digest refs refused). */
int images__normalize_tag(const char *name, char *out, size_t size, struct nd_error *err)
{
	struct images_ref r;
	int rc = images_ref_parse(name, &r, err);
	if (rc < 0)
		return rc;
	if (r.digest[0])
		return nd_error_set(err, -EINVAL, "refusing to create a tag with a digest reference: %s", name);
	return images_ref_format(&r, out, size);
}
