// SPDX-License-Identifier: Apache-2.0
#include "cli/client.h"
#include "wire/wire.h"

#include <curl/curl.h>

struct client {
	CURL *curl;
	char *host;
	char *socket;
};

int client_new(const char *host, struct client **out, struct nd_error *err)
{
	if (!host || !*host)
		host = getenv("NETD_HOST");
	if (!host || !*host)
		host = "unix:///run/netd/netd.sock";
	if (!nd_str_has_prefix(host, "unix://") || !host[7])
		return nd_error_set(err, -EINVAL,
				    "unsupported host \"%s\": use unix:///path/to/netd.sock", host);
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return nd_error_set(err, -ENOMEM, "out of memory");
	c->host = strdup(host);
	c->socket = strdup(host + 7);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	if (!c->curl || !c->host || !c->socket) {
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
	free(c);
}

const char *client_host(const struct client *c) { return c->host; }

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	size_t n = size * nmemb;
	return wire_buf_append(userdata, ptr, n) < 0 ? 0 : n;
}

int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **out, size_t *out_len, long *status, struct nd_error *err)
{
	char url[8192];
	if (nd_snprintf(url, sizeof(url), "http://netd%s", path) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "request path too long");
	_cleanup_free_ char *payload = body ? nd_json_dump(body) : NULL;
	_cleanup_wire_buf_ struct wire_buf b = { 0 };
	struct curl_slist *hdrs = NULL;
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
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
	if (cc != CURLE_OK) {
		int code = cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
		return nd_error_set(err, code, "cannot connect to netd at %s: %s%s", c->host,
				    curl_easy_strerror(cc),
				    cc == CURLE_COULDNT_CONNECT ? " (is netd running? are you root?)" : "");
	}
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
