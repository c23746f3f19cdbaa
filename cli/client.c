// SPDX-License-Identifier: Apache-2.0
#include "cli/client.h"
#include "wire/wire.h"

#include <curl/curl.h>

struct client {
	CURL *curl;
	char *host;
	char *socket;                /* unix */
	char *tcp_host, *tcp_port;   /* tcp */
	bool tls;
	char *files[3];              /* CA, cert, key */
	char errbuf[CURL_ERROR_SIZE];
};

static char *cert_file(const char *given, const char *name)
{
	if (given)
		return strdup(given);
	const char *dir = getenv("NETD_CERT_PATH");
	char *p = NULL;
	if (dir && *dir) {
		if (asprintf(&p, "%s/%s", dir, name) < 0)
			return NULL;
	} else if (asprintf(&p, "%s/.netd/%s", getenv("HOME") ? getenv("HOME") : "/root", name) < 0) {
		return NULL;
	}
	return p;
}

int client_new(const struct client_opts *o, struct client **out, struct nd_error *err)
{
	const char *host = o->host;
	if (!host || !*host)
		host = getenv("NETD_HOST");
	if (!host || !*host)
		host = "unix:///run/netd/netd.sock";
	bool is_unix = nd_str_has_prefix(host, "unix://") && host[7];
	bool is_tcp = nd_str_has_prefix(host, "tcp://") && host[6];
	if (!is_unix && !is_tcp)
		return nd_error_set(err, -EINVAL,
				    "unsupported host \"%s\": use unix:///path/to/netd.sock or tcp://HOST:PORT", host);
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return nd_error_set(err, -ENOMEM, "out of memory");
	c->host = strdup(host);
	if (is_unix) {
		c->socket = strdup(host + 7);
	} else {
		const char *hp = host + 6;
		const char *colon = strrchr(hp, ':');
		const char *rb = strrchr(hp, ']');
		if (!colon || (rb && colon < rb)) {
			c->tcp_host = strdup(hp);
			c->tcp_port = strdup("2376");
		} else {
			c->tcp_host = strndup(hp, (size_t)(colon - hp));
			c->tcp_port = strdup(colon + 1);
		}
		size_t hl = c->tcp_host ? strlen(c->tcp_host) : 0;
		if (hl > 2 && c->tcp_host[0] == '[' && c->tcp_host[hl - 1] == ']') {
			memmove(c->tcp_host, c->tcp_host + 1, hl - 2);
			c->tcp_host[hl - 2] = '\0';
		}
		const char *env = getenv("NETD_TLS_VERIFY");
		c->tls = o->tlsverify || (env && *env && strcmp(env, "0") && strcmp(env, "false"));
		if (c->tls) {
			c->files[0] = cert_file(o->tlscacert, "ca.pem");
			c->files[1] = cert_file(o->tlscert, "cert.pem");
			c->files[2] = cert_file(o->tlskey, "key.pem");
			/* as docker's CLI: a default cert.pem/key.pem that is not there
			 * means no client certificate (netd will say it wants one) */
			if (!o->tlscert && !o->tlskey && c->files[1] && c->files[2] &&
			    access(c->files[1], F_OK) < 0 && access(c->files[2], F_OK) < 0) {
				free(c->files[1]);
				free(c->files[2]);
				c->files[1] = c->files[2] = NULL;
			}
			for (int i = 0; i < 3; i++)
				if (c->files[i] && access(c->files[i], R_OK) < 0) {
					static const char *const what[] = { "CA certificate", "client certificate", "client key" };
					nd_error_set(err, -errno, "%s %s: %s (give --tls%s or NETD_CERT_PATH)", what[i],
						     c->files[i], strerror(errno), i == 0 ? "cacert" : i == 1 ? "cert" : "key");
					client_free(c);
					return err->code;
				}
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	if (!c->curl || !c->host || (is_unix ? !c->socket : !c->tcp_host || !c->tcp_port) ||
	    (c->tls && !c->files[0])) {
		client_free(c);
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	}
	*out = c;
	return 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->host);
	free(c->socket);
	free(c->tcp_host);
	free(c->tcp_port);
	for (int i = 0; i < 3; i++)
		free(c->files[i]);
	free(c);
}

const char *client_host(const struct client *c) { return c->host; }
bool client_is_tcp(const struct client *c) { return c->tcp_host != NULL; }
const char *client_socket(const struct client *c) { return c->socket; }
const char *client_tcp_host(const struct client *c) { return c->tcp_host; }
const char *client_tcp_port(const struct client *c) { return c->tcp_port; }
bool client_tls(const struct client *c) { return c->tls; }
const char *client_tls_file(const struct client *c, int which) { return c->files[which]; }

int client_curl_setup(struct client *c, void *curl, const char *path, struct nd_error *err)
{
	CURL *h = curl;
	char url[8192];
	int n;
	if (c->socket)
		n = nd_snprintf(url, sizeof(url), "http://netd%s", path);
	else
		n = nd_snprintf(url, sizeof(url), "%s://%s%s%s:%s%s", c->tls ? "https" : "http",
				strchr(c->tcp_host, ':') ? "[" : "", c->tcp_host, strchr(c->tcp_host, ':') ? "]" : "",
				c->tcp_port, path);
	if (n < 0)
		return nd_error_set(err, -ENAMETOOLONG, "request path too long");
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->socket)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	c->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	if (c->tls) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->files[0]);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		if (c->files[1]) {
			curl_easy_setopt(h, CURLOPT_SSLCERT, c->files[1]);
			curl_easy_setopt(h, CURLOPT_SSLKEY, c->files[2]);
		}
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	}
	return 0;
}

int client_curl_fail(struct client *c, int curl_code, struct nd_error *err)
{
	CURLcode cc = (CURLcode)curl_code;
	const char *raw = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
	if (c->tcp_host) {
		char why[512];
		cli_tls_explain(raw, c->tcp_host, why, sizeof(why));
		if (why[0])
			return nd_error_set(err, -EACCES, "netd at %s: %s", c->host, why);
	}
	int code = cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
	return nd_error_set(err, code, "cannot connect to netd at %s: %s%s", c->host, raw,
			    cc == CURLE_COULDNT_CONNECT && c->socket ? " (is netd running? are you root?)" : "");
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	size_t n = size * nmemb;
	return wire_buf_append(userdata, ptr, n) < 0 ? 0 : n;
}

int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **out, size_t *out_len, long *status, struct nd_error *err)
{
	_cleanup_free_ char *payload = body ? nd_json_dump(body) : NULL;
	_cleanup_wire_buf_ struct wire_buf b = { 0 };
	struct curl_slist *hdrs = NULL;
	CURL *h = c->curl;
	curl_easy_reset(h);
	int rc = client_curl_setup(c, h, path, err);
	if (rc < 0)
		return rc;
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (payload) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK)
		return client_curl_fail(c, cc, err);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (!(*out = wire_buf_steal(&b, out_len)))
		return nd_error_set(err, -ENOMEM, "out of memory reading netd's answer");
	return 0;
}

int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **resp, struct nd_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	long status = 0;
	int rc = client_call_raw(c, method, path, body, &data, &len, &status, err);
	if (rc < 0)
		return rc;
	json_t *j = NULL;
	if (len > 0) {
		json_error_t jerr;
		j = json_loadb(data, len, 0, &jerr);
	}
	if (status >= 400) {
		const char *msg = nd_json_str(j, "message");
		nd_error_set(err, nd_error_from_http_status((int)status), "%s",
			     msg ? msg : (data && *data ? data : "request failed"));
		if (!msg)
			snprintf(err->msg, sizeof(err->msg), "netd answered HTTP %ld", status);
		json_decref(j);
		return err->code;
	}
	if (len > 0 && !j) {
		return nd_error_set(err, -EBADMSG, "netd sent a malformed JSON answer");
	}
	if (resp)
		*resp = j;
	else
		json_decref(j);
	return 0;
}
