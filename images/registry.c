// SPDX-License-Identifier: Apache-2.0
/* images: the registry client core — endpoints, TLS trust, auth, retries.
 *
 * Auth follows the distribution spec: a request without credentials gets a
 * 401 whose WWW-Authenticate names the scheme. "Basic" is answered with the
 * user's credentials; "Bearer realm=...,service=...,scope=..." sends us to
 * the realm for a token (anonymous, or with Basic credentials), which we
 * then present as "Authorization: Bearer". Tokens carry a lifetime
 * (expires_in, 60 s when absent); one that is about to expire is refreshed
 * before the next request, so a long push never presents a dead token, and a
 * 401 in the middle of a transfer is answered with a fresh one. */
#include "images/registry-internal.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#define REG_UA "netd/" NETD_VERSION

void reg_progress(const struct reg *r, const char *id, const char *status, int64_t cur, int64_t total)
{
	if (!r->o || !r->o->progress)
		return;
	struct images_progress p = { .id = id, .status = status, .current = cur, .total = total };
	r->o->progress(&p, r->o->progress_data);
}

bool reg_cancelled(const struct reg *r)
{
	return r->o && r->o->cancel && *r->o->cancel;
}

unsigned reg_max_attempts(const struct reg *r)
{
	return r->o && r->o->max_attempts ? r->o->max_attempts : 5;
}

bool reg_backoff(const struct reg *r, unsigned attempt)
{
	unsigned base = r->o && r->o->backoff_ms ? r->o->backoff_ms : 500;
	uint64_t ms = (uint64_t)base << (attempt < 6 ? attempt : 6);
	uint64_t end = nd_now_ns() + ms * 1000000ull;
	while (nd_now_ns() < end) {
		if (reg_cancelled(r))
			return false;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return !reg_cancelled(r);
}

/* ---- base64 ------------------------------------------------------------------ */

char *images__b64_encode(const void *buf, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		*o++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

int images__b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '=' || s[n - 1] == '\n'))
		n--;
	char *buf = malloc(n * 3 / 4 + 4), *o = buf;
	if (!buf)
		return -ENOMEM;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val(s[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(acc >> bits & 0xff);
		}
	}
	*o = '\0';
	*out = buf;
	if (len)
		*len = (size_t)(o - buf);
	return 0;
}

/* ---- requests ------------------------------------------------------------------ */

void reg_req_init(struct reg_req *q, const char *method)
{
	memset(q, 0, sizeof(*q));
	q->method = method;
	q->body_fd = -1;
	q->content_length = -1;
}

static void req_reset_results(struct reg_req *q)
{
	q->status = 0;
	wire_buf_free(&q->resp);
	q->resp_too_big = false;
	free(TAKE_PTR(q->location));
	free(TAKE_PTR(q->docker_digest));
	free(TAKE_PTR(q->www_auth));
	free(TAKE_PTR(q->content_type_resp));
	q->content_length = -1;
}

void reg_req_clear(struct reg_req *q)
{
	req_reset_results(q);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reg_req *q = ud;
	size_t len = size * n, max = q->max_resp ? q->max_resp : (1u << 20);
	if (q->resp.len + len > max) {
		q->resp_too_big = true;
		return 0;
	}
	return wire_buf_append(&q->resp, p, len) < 0 ? 0 : len;
}

static char *hdr_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1;
	const char *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct reg_req *q = ud;
	size_t len = size * n;
	char *v;
	if (len > 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (after a redirect): start over */
		free(TAKE_PTR(q->location));
		free(TAKE_PTR(q->docker_digest));
		free(TAKE_PTR(q->www_auth));
		free(TAKE_PTR(q->content_type_resp));
		q->content_length = -1;
	} else if ((v = hdr_value(p, len, "Location"))) {
		free(q->location);
		q->location = v;
	} else if ((v = hdr_value(p, len, "Docker-Content-Digest"))) {
		free(q->docker_digest);
		q->docker_digest = v;
	} else if ((v = hdr_value(p, len, "WWW-Authenticate"))) {
		free(q->www_auth);
		q->www_auth = v;
	} else if ((v = hdr_value(p, len, "Content-Type"))) {
		free(q->content_type_resp);
		q->content_type_resp = v;
	} else if ((v = hdr_value(p, len, "Content-Length"))) {
		q->content_length = strtoll(v, NULL, 10);
		free(v);
	}
	return len;
}

struct body_src {
	struct reg_req *q;
	int64_t pos;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct body_src *b = ud;
	struct reg_req *q = b->q;
	int64_t left = q->body_size - b->pos;
	size_t want = size * n;
	if (left <= 0)
		return 0;
	if ((int64_t)want > left)
		want = (size_t)left;
	ssize_t got = pread(q->body_fd, p, want, q->body_off + b->pos);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	if (got == 0)
		return CURL_READFUNC_ABORT; /* the file shrank */
	b->pos += got;
	if (q->on_sent)
		q->on_sent(b->pos, q->on_sent_data);
	return (size_t)got;
}

static CURLcode ssl_ctx_cb(CURL *c, void *sslctx, void *ud)
{
	(void)c;
	const char *ca = ud;
	X509_STORE *st = SSL_CTX_get_cert_store(sslctx);
	if (st && ca && !X509_STORE_load_file(st, ca))
		log_debug("images: registry CA %s: cannot load", ca);
	return CURLE_OK;
}

void reg_easy_setup(struct reg *r, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, REG_UA);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	/* a stalled transfer (under 1 kB/s for 30 s) is a lost connection */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, r->plain_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca_file) {
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, r->ca_file);
	}
	if (r->client_cert && r->client_key) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
	}
}

int reg_curl_error(struct reg *r, CURLcode cc, const char *errbuf, const char *what, struct nd_error *err)
{
	const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return nd_error_set(err, -EPERM,
				    "%s: TLS: the certificate of %s is not trusted (%s): put the CA that signed it in "
				    "certs.d/%s/ca.crt under netd's root, or list %s in insecure-registries",
				    what, r->host, detail, r->host, r->host);
	case CURLE_SSL_CONNECT_ERROR:
		return nd_error_set(err, -ECONNREFUSED,
				    "%s: TLS handshake with %s failed (%s)%s", what, r->host, detail,
				    r->plain_http ? "" : "; if it speaks plain HTTP, list it in insecure-registries");
	case CURLE_COULDNT_RESOLVE_HOST:
		return nd_error_set(err, -EHOSTUNREACH, "%s: cannot resolve %s: %s", what, r->host, detail);
	case CURLE_COULDNT_CONNECT:
		return nd_error_set(err, -ECONNREFUSED, "%s: cannot connect to %s: %s", what, r->host, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return nd_error_set(err, -ETIMEDOUT, "%s: %s timed out: %s", what, r->host, detail);
	default:
		return nd_error_set(err, -EIO, "%s: %s: %s", what, r->host, detail);
	}
}

static bool curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

void reg_error_text(const struct reg_req *q, char *buf, size_t size)
{
	json_error_t je;
	_cleanup_json_ json_t *j = q->resp.data ? json_loadb(q->resp.data, q->resp.len, 0, &je) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = nd_json_str(e0, "code"), *msg = nd_json_str(e0, "message");
	if (code || msg) {
		snprintf(buf, size, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
		for (char *p = buf; *p && code && p < buf + strlen(code); p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		for (char *p = buf; *p; p++)
			if (*p == '_' && p < buf + (code ? strlen(code) : 0))
				*p = ' ';
		return;
	}
	if (nd_json_str(j, "details"))
		snprintf(buf, size, "%s", nd_json_str(j, "details"));
	else
		snprintf(buf, size, "HTTP %ld", q->status);
}

/* ---- auth ------------------------------------------------------------------------ */

/* WWW-Authenticate: Bearer realm="...",service="...",scope="..." */
static char *challenge_param(const char *h, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = h; (p = strstr(p, key)); p += kl) {
		if (p != h && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (p[kl] != '=')
			continue;
		const char *v = p + kl + 1;
		if (*v == '"') {
			const char *e = strchr(v + 1, '"');
			return e ? strndup(v + 1, (size_t)(e - v - 1)) : NULL;
		}
		return strndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static int fetch_token(struct reg *r, struct nd_error *err)
{
	/* realm?service=..&scope=..&scope=.. */
	struct wire_buf url = { 0 };
	wire_buf_puts(&url, r->realm);
	char sep = strchr(r->realm, '?') ? '&' : '?';
	if (r->service) {
		_cleanup_free_ char *s = curl_easy_escape(NULL, r->service, 0);
		wire_buf_printf(&url, "%cservice=%s", sep, s);
		sep = '&';
	}
	char scopes[sizeof(r->scope)];
	snprintf(scopes, sizeof(scopes), "%s", r->scope);
	char *save = NULL;
	for (char *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		_cleanup_free_ char *e = curl_easy_escape(NULL, s, 0);
		wire_buf_printf(&url, "%cscope=%s", sep, e);
		sep = '&';
	}
	if (!url.data)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (!nd_str_has_prefix(r->realm, "https://") && !nd_str_has_prefix(r->realm, "http://")) {
		wire_buf_free(&url);
		return nd_error_set(err, -EINVAL, "registry %s: token realm \"%s\" is not an http(s) URL", r->host, r->realm);
	}
	CURL *c = curl_easy_init();
	if (!c) {
		wire_buf_free(&url);
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	}
	struct reg_req q;
	_cleanup_json_ json_t *j = NULL;
	reg_req_init(&q, "GET");
	char errbuf[CURL_ERROR_SIZE] = "";
	int rc = 0;
	for (unsigned attempt = 0;; attempt++) {
		curl_easy_reset(c);
		reg_easy_setup(r, c);
		/* a realm on another host: plain http only where this registry is insecure */
		if (!r->plain_http)
			curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_URL, url.data);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &q);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &q);
		if (r->user && r->pass) {
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
			curl_easy_setopt(c, CURLOPT_PASSWORD, r->pass);
		}
		req_reset_results(&q);
		CURLcode cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q.status);
		bool again = (cc != CURLE_OK && curl_retryable(cc)) || q.status >= 500 || q.status == 429;
		if (again && attempt + 1 < reg_max_attempts(r) && reg_backoff(r, attempt))
			continue;
		if (cc != CURLE_OK) {
			rc = reg_curl_error(r, cc, errbuf, "token service", err);
			goto out;
		}
		break;
	}
	if (q.status == 401 || q.status == 403) {
		char msg[256];
		reg_error_text(&q, msg, sizeof(msg));
		rc = nd_error_set(err, -EKEYREJECTED, "%s: %s: %s", r->host,
				  r->user ? "incorrect username or password" : "authentication required (netctl login)", msg);
		goto out;
	}
	if (q.status != 200) {
		char msg[256];
		reg_error_text(&q, msg, sizeof(msg));
		rc = nd_error_set(err, -EIO, "token service %s: HTTP %ld: %s", r->realm, q.status, msg);
		goto out;
	}
	struct nd_error jerr;
	j = nd_json_parse(q.resp.data ? q.resp.data : "", q.resp.len, &jerr);
	const char *tok = nd_json_str(j, "token");
	if (!tok)
		tok = nd_json_str(j, "access_token");
	if (!tok || !*tok) {
		rc = nd_error_set(err, -EIO, "token service %s: answer without a token", r->realm);
		goto out;
	}
	json_int_t life = json_integer_value(json_object_get(j, "expires_in"));
	if (life <= 0)
		life = 60;
	/* refresh with a quarter of the lifetime (at most 30 s, at least 1 s) left */
	json_int_t margin = life / 4 > 30 ? 30 : life / 4 < 1 ? 1 : life / 4;
	free(r->token);
	r->token = strdup(tok);
	r->token_expiry = nd_now_ns() + (uint64_t)(life - margin) * 1000000000ull;
	r->tokens_fetched++;
	log_debug("images: registry %s: token for \"%s\" (expires in %llds)", r->host, r->scope, (long long)life);
out:
	reg_req_clear(&q);
	wire_buf_free(&url);
	curl_easy_cleanup(c);
	return rc;
}

int reg_challenge(struct reg *r, const char *www_auth, struct nd_error *err)
{
	if (!www_auth)
		return nd_error_set(err, -EKEYREJECTED, "%s: unauthorized (no WWW-Authenticate challenge)", r->host);
	pthread_mutex_lock(&r->mu);
	int rc = 0;
	if (!strncasecmp(www_auth, "Basic", 5)) {
		if (!r->user || !r->pass)
			rc = nd_error_set(err, -EKEYREJECTED, "%s: authentication required: log in first (netctl login %s)",
					  r->host, r->host);
		else if (r->scheme == REG_AUTH_BASIC)
			rc = nd_error_set(err, -EKEYREJECTED, "%s: incorrect username or password", r->host);
		r->scheme = REG_AUTH_BASIC;
	} else if (!strncasecmp(www_auth, "Bearer", 6)) {
		_cleanup_free_ char *realm = challenge_param(www_auth, "realm");
		_cleanup_free_ char *service = challenge_param(www_auth, "service");
		_cleanup_free_ char *scope = challenge_param(www_auth, "scope");
		if (!realm) {
			rc = nd_error_set(err, -EIO, "%s: Bearer challenge without a realm", r->host);
		} else {
			free(r->realm);
			free(r->service);
			r->realm = TAKE_PTR(realm);
			r->service = TAKE_PTR(service);
			if (scope && !strstr(r->scope, scope))
				snprintf(r->scope + strlen(r->scope), sizeof(r->scope) - strlen(r->scope), "%s%s",
					 r->scope[0] ? " " : "", scope);
			r->scheme = REG_AUTH_BEARER;
			rc = fetch_token(r, err);
		}
	} else {
		rc = nd_error_set(err, -ENOTSUP, "%s: unsupported auth scheme in \"%s\"", r->host, www_auth);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int reg_auth_header(struct reg *r, char **hdr, struct nd_error *err)
{
	*hdr = NULL;
	pthread_mutex_lock(&r->mu);
	int rc = 0;
	if (r->scheme == REG_AUTH_BEARER) {
		if (!r->token || nd_now_ns() >= r->token_expiry)
			rc = fetch_token(r, err);
		if (rc == 0 && asprintf(hdr, "Authorization: Bearer %s", r->token) < 0)
			rc = nd_error_set(err, -ENOMEM, "out of memory");
	} else if (r->scheme == REG_AUTH_BASIC && r->user && r->pass) {
		_cleanup_free_ char *up = NULL;
		if (asprintf(&up, "%s:%s", r->user, r->pass) < 0)
			rc = nd_error_set(err, -ENOMEM, "out of memory");
		_cleanup_free_ char *b = up ? images__b64_encode(up, strlen(up)) : NULL;
		if (rc == 0 && (!b || asprintf(hdr, "Authorization: Basic %s", b) < 0))
			rc = nd_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void reg_add_scope(struct reg *r, const char *scope)
{
	pthread_mutex_lock(&r->mu);
	if (!strstr(r->scope, scope)) {
		snprintf(r->scope + strlen(r->scope), sizeof(r->scope) - strlen(r->scope), "%s%s",
			 r->scope[0] ? " " : "", scope);
		free(TAKE_PTR(r->token)); /* the next request asks for a token with it */
	}
	pthread_mutex_unlock(&r->mu);
}

int reg_do(struct reg *r, struct reg_req *q, struct nd_error *err)
{
	char errbuf[CURL_ERROR_SIZE];
	unsigned challenges = 0;
	for (unsigned attempt = 0;;) {
		if (reg_cancelled(r))
			return nd_error_set(err, -ECANCELED, "cancelled");
		CURL *c = r->easy;
		curl_easy_reset(c);
		reg_easy_setup(r, c);
		errbuf[0] = '\0';
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(c, CURLOPT_URL, q->url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
		struct curl_slist *h = NULL;
		_cleanup_free_ char *auth = NULL;
		int rc = reg_auth_header(r, &auth, err);
		if (rc < 0)
			return rc;
		if (auth)
			h = curl_slist_append(h, auth);
		char line[512];
		if (q->accept) {
			snprintf(line, sizeof(line), "Accept: %s", q->accept);
			h = curl_slist_append(h, line);
		}
		if (q->content_type) {
			snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
			h = curl_slist_append(h, line);
		}
		if (q->range) {
			snprintf(line, sizeof(line), "Content-Range: %s", q->range);
			h = curl_slist_append(h, line);
		}
		h = curl_slist_append(h, "Expect:");
		struct body_src bs = { .q = q };
		if (!strcmp(q->method, "HEAD")) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(q->method, "GET")) {
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		} else {
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
			if (q->body_fd >= 0) {
				curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
				curl_easy_setopt(c, CURLOPT_READDATA, &bs);
				curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_size);
			} else {
				/* in memory: POSTFIELDS with the method overridden */
				curl_easy_setopt(c, CURLOPT_UPLOAD, 0L);
				curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
				curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
			}
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		req_reset_results(q);
		CURLcode cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
		curl_slist_free_all(h);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		if (cc == CURLE_WRITE_ERROR && q->resp_too_big)
			return nd_error_set(err, -EFBIG, "%s: the answer to %s %s is larger than %zu bytes", r->host,
					    q->method, q->url, q->max_resp ? q->max_resp : (size_t)(1u << 20));
		if (cc == CURLE_OK)
			r->reached = true;
		if (cc != CURLE_OK) {
			/* a registry never reached fails fast; one that answered before and
			 * went away is given the retry window to come back */
			if (r->reached && curl_retryable(cc) && ++attempt < reg_max_attempts(r)) {
				log_debug("images: %s %s: %s (retry %u)", q->method, q->url, errbuf[0] ? errbuf : curl_easy_strerror(cc), attempt);
				if (!reg_backoff(r, attempt - 1))
					return nd_error_set(err, -ECANCELED, "cancelled");
				continue;
			}
			char what[64];
			snprintf(what, sizeof(what), "%s %s", q->method, r->repo[0] ? r->repo : "/v2/");
			return reg_curl_error(r, cc, errbuf, what, err);
		}
		if (q->status == 401 && challenges < 2) {
			challenges++;
			if (r->scheme == REG_AUTH_BEARER && challenges == 1) {
				/* an expired token, or one without this scope: a new one */
				pthread_mutex_lock(&r->mu);
				free(TAKE_PTR(r->token));
				pthread_mutex_unlock(&r->mu);
			}
			if ((rc = reg_challenge(r, q->www_auth, err)) < 0)
				return rc;
			continue;
		}
		if ((q->status >= 500 || q->status == 429) && ++attempt < reg_max_attempts(r)) {
			log_debug("images: %s %s: HTTP %ld (retry %u)", q->method, q->url, q->status, attempt);
			if (!reg_backoff(r, attempt - 1))
				return nd_error_set(err, -ECANCELED, "cancelled");
			continue;
		}
		if (q->status >= 400 && !q->no_retry_status) {
			char msg[512];
			reg_error_text(q, msg, sizeof(msg));
			int code = q->status == 401 ? -EKEYREJECTED : q->status == 403 ? -EACCES
				   : q->status == 404 ? -ENOENT : q->status == 400 ? -EINVAL : -EIO;
			if (q->status == 401 && !r->user)
				return nd_error_set(err, code, "%s: %s: authentication required (netctl login %s)", r->host, msg, r->host);
			return nd_error_set(err, code, "%s: %s", r->host, msg);
		}
		return 0;
	}
}

int reg_url(const struct reg *r, char *buf, size_t size, const char *fmt, ...)
{
	int n = snprintf(buf, size, "%s/v2/%s", r->endpoint, r->repo);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= size - (size_t)n ? -ENAMETOOLONG : 0;
}

/* ---- opening a registry ---------------------------------------------------------- */

static bool host_listed(const char *host, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++) {
		const char *l = list[i];
		if (nd_str_has_prefix(l, "http://"))
			l += 7;
		else if (nd_str_has_prefix(l, "https://"))
			l += 8;
		size_t n = strcspn(l, "/");
		if (strlen(host) == n && !strncmp(host, l, n))
			return true;
	}
	return false;
}

static char *file_in_certs(const struct images_registry_opts *o, const char *host, const char *name)
{
	for (size_t i = 0; o && o->certs_dirs && o->certs_dirs[i]; i++) {
		char *p = NULL;
		if (asprintf(&p, "%s/%s/%s", o->certs_dirs[i], host, name) < 0)
			return NULL;
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

int reg_open(struct reg *r, const struct images_ref *ref, const char *scope_actions,
	     const struct images_registry_opts *o, struct nd_error *err)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->o = o;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(r->host, sizeof(r->host), "%s", ref->domain);
	snprintf(r->repo, sizeof(r->repo), "%s", ref->path);
	bool hub = !strcmp(ref->domain, "docker.io");
	const char *api_host = hub ? "registry-1.docker.io" : ref->domain;
	r->plain_http = host_listed(ref->domain, o ? o->insecure : NULL);
	snprintf(r->endpoint, sizeof(r->endpoint), "%s://%s", r->plain_http ? "http" : "https", api_host);
	if (hub && o && o->mirrors && o->mirrors[0] && scope_actions && !strchr(scope_actions, ',')) {
		/* pulls from docker.io go to the first mirror */
		const char *m = o->mirrors[0];
		size_t n = strlen(m);
		while (n && m[n - 1] == '/')
			n--;
		snprintf(r->endpoint, sizeof(r->endpoint), "%.*s", (int)n, m);
		r->plain_http = nd_str_has_prefix(m, "http://");
		r->mirror = true;
	}
	r->ca_file = file_in_certs(o, r->host, "ca.crt");
	r->client_cert = file_in_certs(o, r->host, "client.cert");
	r->client_key = file_in_certs(o, r->host, "client.key");
	if (o && o->username && *o->username) {
		r->user = strdup(o->username);
		r->pass = strdup(o->password ? o->password : "");
	} else if (o && o->auth_file) {
		struct nd_error e;
		int rc = images_auth_lookup(o->auth_file, ref->domain, &r->user, &r->pass, &e);
		if (rc < 0 && rc != -ENOENT)
			log_warn("images: credentials for %s: %s", ref->domain, e.msg);
	}
	if (scope_actions && ref->path[0])
		snprintf(r->scope, sizeof(r->scope), "repository:%s:%s", ref->path, scope_actions);
	r->easy = curl_easy_init();
	if (!r->easy)
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	return 0;
}

void reg_close(struct reg *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	free(r->ca_file);
	free(r->client_cert);
	free(r->client_key);
	free(r->user);
	if (r->pass)
		explicit_bzero(r->pass, strlen(r->pass));
	free(r->pass);
	free(r->realm);
	free(r->service);
	free(r->token);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof(*r));
}
