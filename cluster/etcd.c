// SPDX-License-Identifier: Apache-2.0
/* etcd v3 over its JSON gateway: the endpoints, the HTTP exchange (libcurl),
 * key/value, transactions, leases. The streaming parts (lease session,
 * watch) are in etcd_watch.c. */
#include "cluster/etcd_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>

/* ---- small helpers ---------------------------------------------------------- */

char *etcd__b64(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

int etcd__unb64(const char *s, char **out, size_t *out_len)
{
	size_t n = strlen(s);
	if (n % 4)
		return -EPROTO;
	char *buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	int r = n ? EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)s, (int)n) : 0;
	if (r < 0) {
		free(buf);
		return -EPROTO;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (n && s[n - 1] == '=')
		r--;
	if (n > 1 && s[n - 2] == '=')
		r--;
	buf[r] = '\0';
	*out = buf;
	if (out_len)
		*out_len = (size_t)r;
	return 0;
}

char *etcd__range_end_b64(const char *prefix)
{
	size_t n = strlen(prefix);
	_cleanup_free_ unsigned char *end = malloc(n + 1);
	if (!end)
		return NULL;
	memcpy(end, prefix, n);
	/* the smallest key greater than every key with the prefix: the last
	 * byte that is not 0xff plus one; all 0xff (or empty): every key, "\0" */
	while (n > 0 && end[n - 1] == 0xff)
		n--;
	if (n == 0)
		return etcd__b64("", 1);
	end[n - 1]++;
	return etcd__b64(end, n);
}

int64_t etcd__int(const json_t *obj, const char *name, int64_t def)
{
	json_t *v = json_object_get(obj, name);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_string(v)) {
		char *endp;
		errno = 0;
		long long x = strtoll(json_string_value(v), &endp, 10);
		if (!errno && *endp == '\0')
			return (int64_t)x;
	}
	return def;
}

void nd_etcd_kv_clear(struct nd_etcd_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	*kv = (struct nd_etcd_kv){ 0 };
}

void nd_etcd_kvs_free(struct nd_etcd_kv *kvs, size_t n)
{
	if (!kvs)
		return;
	for (size_t i = 0; i < n; i++)
		nd_etcd_kv_clear(&kvs[i]);
	free(kvs);
}

int etcd__kv_from_json(const json_t *j, struct nd_etcd_kv *kv)
{
	*kv = (struct nd_etcd_kv){ 0 };
	const char *k = nd_json_str(j, "key");
	const char *v = nd_json_str(j, "value");
	int rc;
	if (!k)
		return -EPROTO;
	if ((rc = etcd__unb64(k, &kv->key, NULL)) < 0 || (rc = etcd__unb64(v ? v : "", &kv->value, &kv->value_len)) < 0) {
		nd_etcd_kv_clear(kv);
		return rc;
	}
	kv->create_rev = etcd__int(j, "create_revision", 0);
	kv->mod_rev = etcd__int(j, "mod_revision", 0);
	kv->version = etcd__int(j, "version", 0);
	kv->lease = etcd__int(j, "lease", 0);
	return 0;
}

const char *nd_etcd_health_name(enum nd_etcd_health h)
{
	switch (h) {
	case ND_ETCD_HEALTHY: return "healthy";
	case ND_ETCD_UNREACHABLE: return "unreachable";
	default: return "connecting";
	}
}

/* ---- endpoints ---------------------------------------------------------------- */

/* One "host:port": host an IPv4 address, [IPv6] or a DNS name; port 1..65535. */
static int endpoint_check(const char *ep, size_t len, struct nd_error *err)
{
	char buf[300];
	if (len == 0 || len >= sizeof(buf))
		return nd_error_set(err, -EINVAL, "empty or too long endpoint");
	memcpy(buf, ep, len);
	buf[len] = '\0';
	char *colon = strrchr(buf, ':');
	if (!colon || colon == buf)
		return nd_error_set(err, -EINVAL, "endpoint \"%s\" is not HOST:PORT", buf);
	char *endp;
	long port = strtol(colon + 1, &endp, 10);
	if (!colon[1] || *endp || port < 1 || port > 65535)
		return nd_error_set(err, -EINVAL, "endpoint \"%s\": bad port", buf);
	*colon = '\0';
	if (buf[0] == '[') {
		size_t hl = strlen(buf);
		struct in6_addr a6;
		if (hl < 3 || buf[hl - 1] != ']')
			return nd_error_set(err, -EINVAL, "endpoint \"%s:%ld\": bad IPv6 address", buf, port);
		buf[hl - 1] = '\0';
		if (inet_pton(AF_INET6, buf + 1, &a6) != 1)
			return nd_error_set(err, -EINVAL, "endpoint \"%s]:%ld\": bad IPv6 address", buf, port);
		return 0;
	}
	for (const char *p = buf; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-'))
			return nd_error_set(err, -EINVAL, "endpoint \"%s:%ld\": bad host name", buf, port);
	return 0;
}

/* Splits "etcd://h:p,h:p" or "h:p,h:p" into hosts (when not NULL). */
static int endpoints_parse(const char *s, char **hosts, size_t *n, struct nd_error *err)
{
	if (!s || !*s)
		return nd_error_set(err, -EINVAL, "no etcd endpoint");
	if (nd_str_has_prefix(s, "etcd://"))
		s += 7;
	else if (strstr(s, "://"))
		return nd_error_set(err, -EINVAL, "\"%s\": the scheme must be etcd:// (TLS comes from the cacert/cert/key options)", s);
	size_t count = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		int rc = endpoint_check(s, len, err);
		if (rc < 0)
			return rc;
		if (count >= ETCD_MAX_ENDPOINTS)
			return nd_error_set(err, -EINVAL, "more than %d etcd endpoints", ETCD_MAX_ENDPOINTS);
		if (hosts && !(hosts[count] = strndup(s, len)))
			return nd_error_set(err, -ENOMEM, "out of memory");
		count++;
		s += len;
		if (*s == ',') {
			s++;
			if (!*s)
				return nd_error_set(err, -EINVAL, "empty endpoint after ','");
		}
	}
	if (count == 0)
		return nd_error_set(err, -EINVAL, "no etcd endpoint");
	*n = count;
	return 0;
}

int nd_etcd_url_check(const char *url, struct nd_error *err)
{
	size_t n;
	if (!url || !nd_str_has_prefix(url, "etcd://"))
		return nd_error_set(err, -EINVAL, "\"%s\" is not etcd://HOST:PORT[,HOST:PORT...]", url ? url : "");
	return endpoints_parse(url, NULL, &n, err);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *ud)
{
	struct nd_etcd *e = ud;
	pthread_mutex_lock(&e->share_lock[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct nd_etcd *e = ud;
	pthread_mutex_unlock(&e->share_lock[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int nd_etcd_new(const struct nd_etcd_opts *o, struct nd_etcd **out, struct nd_error *err)
{
	int rc;
	if (!o || !out)
		return nd_error_set(err, -EINVAL, "no options");
	if ((o->cert && !o->key) || (!o->cert && o->key))
		return nd_error_set(err, -EINVAL, "a client certificate needs its key (cert and key, both or neither)");
	if (o->cert && !o->cacert)
		return nd_error_set(err, -EINVAL, "a client certificate needs the CA (cacert) too: TLS to etcd verifies the server");
	pthread_once(&curl_once, curl_init_once);
	struct nd_etcd *e = calloc(1, sizeof(*e));
	if (!e)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < ARRAY_SIZE(e->share_lock); i++)
		pthread_mutex_init(&e->share_lock[i], NULL);
	if ((rc = endpoints_parse(o->endpoints, e->hosts, &e->nhosts, err)) < 0)
		goto fail;
	size_t ulen = 8;
	for (size_t i = 0; i < e->nhosts; i++)
		ulen += strlen(e->hosts[i]) + 1;
	if (!(e->url = malloc(ulen))) {
		rc = nd_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	strcpy(e->url, "etcd://");
	for (size_t i = 0; i < e->nhosts; i++) {
		if (i)
			strcat(e->url, ",");
		strcat(e->url, e->hosts[i]);
	}
	e->cacert = o->cacert ? strdup(o->cacert) : NULL;
	e->cert = o->cert ? strdup(o->cert) : NULL;
	e->key = o->key ? strdup(o->key) : NULL;
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 1000;
	e->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 300;
	if (e->connect_timeout_ms > e->timeout_ms)
		e->connect_timeout_ms = e->timeout_ms;
	e->share = curl_share_init();
	if (!e->share) {
		rc = nd_error_set(err, -ENOMEM, "curl_share_init failed");
		goto fail;
	}
	curl_share_setopt(e->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(e->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(e->share, CURLSHOPT_USERDATA, e);
	curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = e;
	return 0;
fail:
	nd_etcd_free(e);
	return rc;
}

void nd_etcd_free(struct nd_etcd *e)
{
	if (!e)
		return;
	if (e->share)
		curl_share_cleanup(e->share);
	for (size_t i = 0; i < e->nhosts; i++)
		free(e->hosts[i]);
	for (size_t i = 0; i < ARRAY_SIZE(e->share_lock); i++)
		pthread_mutex_destroy(&e->share_lock[i]);
	free(e->url);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e);
}

const char *nd_etcd_url(const struct nd_etcd *e) { return e->url; }
const char *nd_etcd_endpoint(const struct nd_etcd *e) { return e->hosts[atomic_load(&e->cur) % e->nhosts]; }
size_t nd_etcd_endpoint_count(const struct nd_etcd *e) { return e->nhosts; }
const char *nd_etcd_endpoint_at(const struct nd_etcd *e, size_t i) { return i < e->nhosts ? e->hosts[i] : NULL; }
bool nd_etcd_tls(const struct nd_etcd *e) { return e->cacert != NULL; }

/* ---- one HTTP exchange ----------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static size_t buf_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static __thread long tl_connect_floor_ms, tl_request_floor_ms;

void etcd__thread_connect_floor(long ms)
{
	tl_connect_floor_ms = ms;
}

void nd_etcd_thread_request_timeout(long ms)
{
	tl_request_floor_ms = ms;
}

/* the answer's time limit of a request from this thread */
static long request_timeout(const struct nd_etcd *e)
{
	return e->timeout_ms > tl_request_floor_ms ? e->timeout_ms : tl_request_floor_ms;
}

/* A dead peer (no RST: a partition, a host gone) is noticed in ~5 s on an
 * idle connection (the watch stream), not after the kernel's 15 minutes. */
static int sockopt_cb(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	int cnt = 3;
	unsigned int user_timeout = 5000;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	return CURL_SOCKOPT_OK;
}

CURL *etcd__easy(struct nd_etcd *e, size_t i, const char *path, char *url_buf, size_t url_len)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	snprintf(url_buf, url_len, "%s://%s%s", e->cacert ? "https" : "http", e->hosts[i], path);
	curl_easy_setopt(h, CURLOPT_URL, url_buf);
	curl_easy_setopt(h, CURLOPT_SHARE, e->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	long cto = e->connect_timeout_ms > tl_connect_floor_ms ? e->connect_timeout_ms : tl_connect_floor_ms;
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cto);
	long rto = request_timeout(e);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rto > cto ? rto : cto + 500);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	if (e->cacert) {
		curl_easy_setopt(h, CURLOPT_CAINFO, e->cacert);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (e->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
	}
	return h;
}

bool etcd__failover_ok(CURL *h, CURLcode rc)
{
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		return true;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		/* a timeout before the connection was made: the request was not sent */
		curl_off_t t = 0;
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t);
		return t == 0;
	}
	return false;
}

int etcd__curl_error(struct nd_etcd *e, CURL *h, CURLcode rc, const char *errbuf, struct nd_error *err)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	int code;
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: {
		/* not connected: nobody answers; connected: etcd is slow (a disk
		 * that does not keep up with its fsyncs, no leader) */
		curl_off_t t = 0;
		long sent = 0;
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t);
		curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
		code = -ETIMEDOUT;
		if (t == 0 && sent == 0)   /* never connected: nobody answers */
			why = "timed out";
		else   /* connected (a reused connection has no connect time), no answer */
			return nd_error_set(err, code, "cluster store %s: no answer within %ld ms", e->url, request_timeout(e));
		break;
	}
	case CURLE_COULDNT_CONNECT:
		code = oserr ? -(int)oserr : -ECONNREFUSED;
		why = oserr ? strerror((int)oserr) : why;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		code = -EHOSTUNREACH;
		break;
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CIPHER: case CURLE_SSL_ISSUER_ERROR:
		return nd_error_set(err, -EACCES, "cluster store %s: TLS: %s", e->url, why);
	case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
		if (e->cacert && rc != CURLE_PARTIAL_FILE) {
			/* etcd drops a TLS client it does not accept right after the
			 * handshake: say so rather than curl's socket detail */
			bool alert = strstr(why, "alert") != NULL;
			return nd_error_set(err, alert ? -EACCES : -ECONNRESET,
					    "cluster store %s: TLS: %s (etcd refused the connection: is the client "
					    "certificate missing or signed by a CA etcd does not trust?)",
					    e->url, alert ? why : "connection closed after the handshake");
		}
		code = -ECONNRESET;
		break;
	default:
		code = -EIO;
		break;
	}
	return nd_error_set(err, code, "cluster store %s unreachable: %s", e->url, why);
}

/* gRPC status codes in the gateway's error answers, as errno */
static int grpc_errno(int code, const char *msg)
{
	switch (code) {
	case 3: return -EINVAL;          /* INVALID_ARGUMENT */
	case 4: return -ETIMEDOUT;       /* DEADLINE_EXCEEDED */
	case 5: return -ENOENT;          /* NOT_FOUND (e.g. lease) */
	case 6: return -EEXIST;
	case 7: return -EACCES;
	case 8: return -ENOSPC;          /* RESOURCE_EXHAUSTED (quota) */
	case 9: return -EAGAIN;
	case 11: return -ERANGE;         /* OUT_OF_RANGE: revision compacted / future */
	case 14: return -ECONNREFUSED;   /* UNAVAILABLE: no leader */
	case 16: return -EACCES;
	default: return -EIO;
	}
}

int etcd__post(struct nd_etcd *e, const char *path, json_t *body, json_t **resp, struct nd_error *err)
{
	_cleanup_free_ char *req = json_dumps(body, JSON_COMPACT);
	if (!req)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t first = atomic_load(&e->cur) % e->nhosts;
	int rc = -EIO;
	for (size_t k = 0; k < e->nhosts; k++) {
		size_t i = (first + k) % e->nhosts;
		char url[512], errbuf[CURL_ERROR_SIZE] = "";
		struct buf b = { 0 };
		CURL *h = etcd__easy(e, i, path, url, sizeof(url));
		if (!h)
			return nd_error_set(err, -ENOMEM, "curl_easy_init failed");
		struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		CURLcode cc = curl_easy_perform(h);
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (cc != CURLE_OK) {
			rc = etcd__curl_error(e, h, cc, errbuf, err);
			bool next = etcd__failover_ok(h, cc);
			curl_slist_free_all(hdrs);
			curl_easy_cleanup(h);
			free(b.p);
			log_debug("etcd endpoint=%s path=%s error=\"%s\"", e->hosts[i], path, err ? err->msg : "");
			if (!next)
				return rc;
			continue;
		}
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(h);
		atomic_store(&e->cur, i);
		struct nd_error perr = { 0 };
		json_t *j = b.p ? nd_json_parse(b.p, b.len, &perr) : NULL;
		free(b.p);
		if (!j)
			return nd_error_set(err, -EPROTO, "cluster store %s: %s answered %ld with no JSON", e->url, path, status);
		if (status != 200) {
			const char *m = nd_json_str(j, "message");
			if (!m)
				m = nd_json_str(j, "error");
			rc = nd_error_set(err, grpc_errno((int)etcd__int(j, "code", 2), m), "cluster store %s: %s",
					  e->url, m ? m : "error");
			json_decref(j);
			return rc;
		}
		*resp = j;
		return 0;
	}
	return rc;
}

/* ---- key/value ------------------------------------------------------------------- */

static int kvs_from_json(const json_t *arr, struct nd_etcd_kv **kvs, size_t *n)
{
	size_t cnt = json_array_size(arr);
	*kvs = NULL;
	*n = 0;
	if (cnt == 0)
		return 0;
	struct nd_etcd_kv *v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		int rc = etcd__kv_from_json(json_array_get(arr, i), &v[i]);
		if (rc < 0) {
			nd_etcd_kvs_free(v, i);
			return rc;
		}
	}
	*kvs = v;
	*n = cnt;
	return 0;
}

/* {"key": b64(key)} plus "range_end" for a prefix */
static json_t *key_req(const char *key, bool prefix)
{
	_cleanup_free_ char *k = etcd__b64(key, strlen(key));
	json_t *r = json_pack("{s:s}", "key", k ? k : "");
	if (prefix) {
		_cleanup_free_ char *end = etcd__range_end_b64(key);
		json_object_set_new(r, "range_end", json_string(end ? end : ""));
	}
	return r;
}

static int check_key(const char *key, struct nd_error *err)
{
	if (!key || !*key)
		return nd_error_set(err, -EINVAL, "empty etcd key");
	return 0;
}

int nd_etcd_range(struct nd_etcd *e, const char *key, bool prefix, struct nd_etcd_kv **kvs, size_t *n,
		  int64_t *rev, struct nd_error *err)
{
	int rc;
	*kvs = NULL;
	*n = 0;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	_cleanup_json_ json_t *req = key_req(key, prefix);
	_cleanup_json_ json_t *resp = NULL;
	if ((rc = etcd__post(e, "/v3/kv/range", req, &resp, err)) < 0)
		return rc;
	if ((rc = kvs_from_json(json_object_get(resp, "kvs"), kvs, n)) < 0)
		return nd_error_set(err, rc, "cluster store %s: bad range answer", e->url);
	if (rev)
		*rev = etcd__int(json_object_get(resp, "header"), "revision", 0);
	return 0;
}

int nd_etcd_get(struct nd_etcd *e, const char *key, struct nd_etcd_kv *kv, int64_t *rev, struct nd_error *err)
{
	struct nd_etcd_kv *kvs;
	size_t n;
	int rc = nd_etcd_range(e, key, false, &kvs, &n, rev, err);
	if (rc < 0)
		return rc;
	if (n == 0)
		return nd_error_set(err, -ENOENT, "no key %s", key);
	*kv = kvs[0];
	for (size_t i = 1; i < n; i++)
		nd_etcd_kv_clear(&kvs[i]);
	free(kvs);
	return 0;
}

static json_t *put_req(const char *key, const char *val, int64_t lease)
{
	_cleanup_free_ char *k = etcd__b64(key, strlen(key));
	_cleanup_free_ char *v = etcd__b64(val ? val : "", val ? strlen(val) : 0);
	json_t *r = json_pack("{s:s, s:s}", "key", k ? k : "", "value", v ? v : "");
	if (lease)
		json_object_set_new(r, "lease", json_sprintf("%lld", (long long)lease));
	return r;
}

int nd_etcd_put(struct nd_etcd *e, const char *key, const char *val, int64_t lease, struct nd_error *err)
{
	int rc;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	_cleanup_json_ json_t *req = put_req(key, val, lease);
	_cleanup_json_ json_t *resp = NULL;
	return etcd__post(e, "/v3/kv/put", req, &resp, err);
}

int nd_etcd_txn(struct nd_etcd *e, const struct nd_etcd_cmp *cmps, size_t ncmp, const struct nd_etcd_op *ops,
		size_t nops, int64_t *rev, struct nd_error *err)
{
	int rc;
	_cleanup_json_ json_t *req = json_pack("{s:[], s:[]}", "compare", "success");
	json_t *jc = json_object_get(req, "compare"), *js = json_object_get(req, "success");
	for (size_t i = 0; i < ncmp; i++) {
		const struct nd_etcd_cmp *c = &cmps[i];
		if ((rc = check_key(c->key, err)) < 0)
			return rc;
		_cleanup_free_ char *k = etcd__b64(c->key, strlen(c->key));
		json_t *o = json_pack("{s:s}", "key", k ? k : "");
		switch (c->kind) {
		case ND_ETCD_CMP_ABSENT:
		case ND_ETCD_CMP_PRESENT:
			json_object_set_new(o, "target", json_string("CREATE"));
			json_object_set_new(o, "result", json_string(c->kind == ND_ETCD_CMP_ABSENT ? "EQUAL" : "GREATER"));
			json_object_set_new(o, "create_revision", json_string("0"));
			break;
		case ND_ETCD_CMP_MOD_REV:
			json_object_set_new(o, "target", json_string("MOD"));
			json_object_set_new(o, "result", json_string("EQUAL"));
			json_object_set_new(o, "mod_revision", json_sprintf("%lld", (long long)c->rev));
			break;
		case ND_ETCD_CMP_VALUE: {
			_cleanup_free_ char *v = etcd__b64(c->value ? c->value : "", c->value ? strlen(c->value) : 0);
			json_object_set_new(o, "target", json_string("VALUE"));
			json_object_set_new(o, "result", json_string("EQUAL"));
			json_object_set_new(o, "value", json_string(v ? v : ""));
			break;
		}
		default:
			json_decref(o);
			return nd_error_set(err, -EINVAL, "bad compare kind %d", c->kind);
		}
		json_array_append_new(jc, o);
	}
	for (size_t i = 0; i < nops; i++) {
		const struct nd_etcd_op *op = &ops[i];
		if ((rc = check_key(op->key, err)) < 0)
			return rc;
		switch (op->kind) {
		case ND_ETCD_OP_PUT:
			json_array_append_new(js, json_pack("{s:o}", "request_put", put_req(op->key, op->value, op->lease)));
			break;
		case ND_ETCD_OP_DELETE:
		case ND_ETCD_OP_DELETE_PREFIX:
			json_array_append_new(js, json_pack("{s:o}", "request_delete_range",
							    key_req(op->key, op->kind == ND_ETCD_OP_DELETE_PREFIX)));
			break;
		default:
			return nd_error_set(err, -EINVAL, "bad op kind %d", op->kind);
		}
	}
	_cleanup_json_ json_t *resp = NULL;
	if ((rc = etcd__post(e, "/v3/kv/txn", req, &resp, err)) < 0)
		return rc;
	if (rev)
		*rev = etcd__int(json_object_get(resp, "header"), "revision", 0);
	if (!json_is_true(json_object_get(resp, "succeeded")))
		return nd_error_set(err, -EAGAIN, "a compare of the transaction failed (changed concurrently)");
	return 0;
}

int nd_etcd_create(struct nd_etcd *e, const char *key, const char *val, int64_t lease, struct nd_error *err)
{
	struct nd_etcd_cmp c = { .key = key, .kind = ND_ETCD_CMP_ABSENT };
	struct nd_etcd_op op = { .kind = ND_ETCD_OP_PUT, .key = key, .value = val, .lease = lease };
	int rc = nd_etcd_txn(e, &c, 1, &op, 1, NULL, err);
	if (rc == -EAGAIN)
		return nd_error_set(err, -EEXIST, "key %s exists", key);
	return rc;
}

int nd_etcd_cas(struct nd_etcd *e, const char *key, const char *val, int64_t mod_rev, int64_t lease,
		struct nd_error *err)
{
	struct nd_etcd_cmp c = { .key = key, .kind = ND_ETCD_CMP_MOD_REV, .rev = mod_rev };
	struct nd_etcd_op op = { .kind = ND_ETCD_OP_PUT, .key = key, .value = val, .lease = lease };
	int rc = nd_etcd_txn(e, &c, 1, &op, 1, NULL, err);
	if (rc == -EAGAIN)
		return nd_error_set(err, -EAGAIN, "key %s changed (mod_revision is no longer %lld)", key, (long long)mod_rev);
	return rc;
}

int nd_etcd_delete_n(struct nd_etcd *e, const char *key, bool prefix, int64_t mod_rev, int64_t *deleted,
		     struct nd_error *err)
{
	int rc;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	if (deleted)
		*deleted = 0;
	if (mod_rev) {
		if (prefix)
			return nd_error_set(err, -EINVAL, "a conditional delete is for one key, not a prefix");
		struct nd_etcd_cmp c = { .key = key, .kind = ND_ETCD_CMP_MOD_REV, .rev = mod_rev };
		struct nd_etcd_op op = { .kind = ND_ETCD_OP_DELETE, .key = key };
		rc = nd_etcd_txn(e, &c, 1, &op, 1, NULL, err);
		if (rc == -EAGAIN)
			return nd_error_set(err, -EAGAIN, "key %s changed (mod_revision is no longer %lld)", key,
					    (long long)mod_rev);
		if (rc == 0 && deleted)
			*deleted = 1;
		return rc;
	}
	_cleanup_json_ json_t *req = key_req(key, prefix);
	_cleanup_json_ json_t *resp = NULL;
	if ((rc = etcd__post(e, "/v3/kv/deleterange", req, &resp, err)) < 0)
		return rc;
	if (deleted)
		*deleted = etcd__int(resp, "deleted", 0);
	return 0;
}

int nd_etcd_delete(struct nd_etcd *e, const char *key, bool prefix, int64_t mod_rev, struct nd_error *err)
{
	return nd_etcd_delete_n(e, key, prefix, mod_rev, NULL, err);
}

int nd_etcd_compact(struct nd_etcd *e, int64_t rev, struct nd_error *err)
{
	_cleanup_json_ json_t *req = json_pack("{s:o}", "revision", json_sprintf("%lld", (long long)rev));
	_cleanup_json_ json_t *resp = NULL;
	return etcd__post(e, "/v3/kv/compaction", req, &resp, err);
}

/* ---- leases ------------------------------------------------------------------------- */

int nd_etcd_lease_grant(struct nd_etcd *e, long ttl_s, int64_t *id, struct nd_error *err)
{
	int rc;
	if (ttl_s < 1)
		return nd_error_set(err, -EINVAL, "lease TTL %ld: at least 1 second", ttl_s);
	_cleanup_json_ json_t *req = json_pack("{s:o}", "TTL", json_sprintf("%ld", ttl_s));
	_cleanup_json_ json_t *resp = NULL;
	if ((rc = etcd__post(e, "/v3/lease/grant", req, &resp, err)) < 0)
		return rc;
	const char *gerr = nd_json_str(resp, "error");
	if (gerr && *gerr)
		return nd_error_set(err, -EIO, "cluster store %s: lease grant: %s", e->url, gerr);
	*id = etcd__int(resp, "ID", 0);
	if (*id == 0)
		return nd_error_set(err, -EPROTO, "cluster store %s: lease grant gave no ID", e->url);
	return 0;
}

int nd_etcd_lease_keepalive(struct nd_etcd *e, int64_t id, long *ttl, struct nd_error *err)
{
	int rc;
	_cleanup_json_ json_t *req = json_pack("{s:o}", "ID", json_sprintf("%lld", (long long)id));
	_cleanup_json_ json_t *resp = NULL;
	if ((rc = etcd__post(e, "/v3/lease/keepalive", req, &resp, err)) < 0)
		return rc;
	/* the gateway streams: {"result": {...}} (one, as we sent one request) */
	json_t *res = json_object_get(resp, "result");
	if (!res) {
		json_t *je = json_object_get(resp, "error");
		const char *m = json_is_object(je) ? nd_json_str(je, "message") : nd_json_str(resp, "error");
		return nd_error_set(err, -EPROTO, "cluster store %s: lease keepalive: %s", e->url, m ? m : "no result");
	}
	int64_t left = etcd__int(res, "TTL", 0);
	if (left <= 0)
		return nd_error_set(err, -ENOENT, "lease %llx expired or was revoked", (long long)id);
	if (ttl)
		*ttl = (long)left;
	return 0;
}

int nd_etcd_lease_revoke(struct nd_etcd *e, int64_t id, struct nd_error *err)
{
	_cleanup_json_ json_t *req = json_pack("{s:o}", "ID", json_sprintf("%lld", (long long)id));
	_cleanup_json_ json_t *resp = NULL;
	int rc = etcd__post(e, "/v3/lease/revoke", req, &resp, err);
	if (rc == -ENOENT) {
		nd_error_clear(err);
		return 0;
	}
	return rc;
}
