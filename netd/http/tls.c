// SPDX-License-Identifier: Apache-2.0
/* TLS for the HTTP server's TCP listeners: OpenSSL driven from the libuv
 * loop through memory BIOs. The socket's bytes go into the SSL object's read
 * BIO, plaintext comes out of SSL_read and goes to the same parser (or
 * hijacked stream) a unix connection feeds; what the server writes is
 * encrypted with SSL_write and the write BIO's bytes are what uv_write sends.
 * Nothing here blocks: a handshake that needs more bytes waits for the next
 * read callback. The material (CA, certificate, key) lives in one SSL_CTX;
 * a reload builds a new one and swaps it in, so established connections keep
 * the context they started with (OpenSSL counts references to it). */
#include "netd/http/http.h"
#include "netd/http/http_internal.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include <sys/stat.h>

struct http_tls {
	SSL_CTX *ctx;
	bool verify;                 /* client certificates required and verified */
};

#define TLS_HANDSHAKE_TIMEOUT_MS 10000
#define TLS_LINGER_MS 2000           /* a refused client's last bytes are read and dropped this long */

struct http_tls_conn {
	SSL *ssl;
	uv_timer_t *deadline;        /* until the handshake is done; own allocation */
	BIO *rbio, *wbio;            /* owned by ssl */
	bool established;
	bool failed;
	bool saw_bytes;
	uv_shutdown_t shut;          /* a refused handshake's lingering close */
	char *subject;               /* verified client's subject, one line */
	char *cn, *ou;
};

/* The last OpenSSL error as text, the queue cleared. */
static const char *ssl_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (!e) {
		snprintf(buf, len, "unknown error");
	} else {
		const char *r = ERR_reason_error_string(e);
		snprintf(buf, len, "%s", r ? r : "unknown error");
	}
	ERR_clear_error();
	return buf;
}

static int ctx_build(const char *ca, const char *cert, const char *key, bool verify, SSL_CTX **out,
		     struct nd_error *err)
{
	char eb[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return nd_error_set(err, -ENOMEM, "tls: %s", ssl_errstr(eb, sizeof(eb)));
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* no session tickets: clients that block in SSL_read would wait on them */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	int rc = 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		rc = nd_error_set(err, -EINVAL, "tlscert %s: %s", cert, ssl_errstr(eb, sizeof(eb)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_errstr(eb, sizeof(eb));
		if (strstr(eb, "mismatch"))
			rc = nd_error_set(err, -EINVAL, "tlskey %s does not match tlscert %s", key, cert);
		else
			rc = nd_error_set(err, -EINVAL, "tlskey %s: %s", key, eb);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		rc = nd_error_set(err, -EINVAL, "tlskey %s does not match tlscert %s", key, cert);
		ERR_clear_error();
		goto fail;
	}
	X509 *x = SSL_CTX_get0_certificate(ctx);
	if (x && X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		rc = nd_error_set(err, -EINVAL, "tlscert %s has expired", cert);
		goto fail;
	}
	if (verify) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			rc = nd_error_set(err, -EINVAL, "tlscacert %s: %s", ca, ssl_errstr(eb, sizeof(eb)));
			goto fail;
		}
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
		if (!names) {
			rc = nd_error_set(err, -EINVAL, "tlscacert %s: no CA certificate in it", ca);
			ERR_clear_error();
			goto fail;
		}
		/* no list of acceptable CAs in the request: a client whose
		 * certificate another CA signed still sends it (Go's client sends
		 * none otherwise) and hears "unknown CA", not "certificate required" */
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return rc;
}

int http_tls_new(const char *ca, const char *cert, const char *key, bool verify, struct http_tls **out,
		 struct nd_error *err)
{
	struct http_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return nd_error_set(err, -ENOMEM, "out of memory");
	t->verify = verify;
	int rc = ctx_build(ca, cert, key, verify, &t->ctx, err);
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int http_tls_reload(struct http_tls *t, const char *ca, const char *cert, const char *key, struct nd_error *err)
{
	SSL_CTX *ctx = NULL;
	int rc = ctx_build(ca, cert, key, t->verify, &ctx, err);
	if (rc < 0)
		return rc;
	SSL_CTX_free(t->ctx);        /* connections that use it hold their own reference */
	t->ctx = ctx;
	return 0;
}

void http_tls_free(struct http_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

static void peer_addr(struct http_conn *c, char *buf, size_t len);

static void on_deadline_closed(uv_handle_t *h) { free(h); }

static void deadline_stop(struct http_tls_conn *tc)
{
	if (!tc->deadline)
		return;
	uv_timer_stop(tc->deadline);
	uv_close((uv_handle_t *)tc->deadline, on_deadline_closed);
	tc->deadline = NULL;
}

/* A client that connects and never finishes its handshake holds a socket
 * and nothing else can tell: it goes after TLS_HANDSHAKE_TIMEOUT_MS. */
static void on_deadline(uv_timer_t *t)
{
	struct http_conn *c = t->data;
	char who[96];
	peer_addr(c, who, sizeof(who));
	log_warn("tls handshake refused peer=%s: no handshake within %d s", who, TLS_HANDSHAKE_TIMEOUT_MS / 1000);
	deadline_stop(c->tls);
	c->tls->failed = true;
	http__conn_close(c);
}

int http__tls_conn_new(struct http_conn *c, struct http_tls *t)
{
	struct http_tls_conn *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	tc->ssl = SSL_new(t->ctx);
	tc->rbio = BIO_new(BIO_s_mem());
	tc->wbio = BIO_new(BIO_s_mem());
	if (!tc->ssl || !tc->rbio || !tc->wbio) {
		SSL_free(tc->ssl);
		BIO_free(tc->rbio);
		BIO_free(tc->wbio);
		free(tc);
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(tc->rbio, -1);   /* empty means "want more", not EOF */
	SSL_set_bio(tc->ssl, tc->rbio, tc->wbio);
	SSL_set_accept_state(tc->ssl);
	tc->deadline = malloc(sizeof(*tc->deadline));
	if (tc->deadline) {
		uv_timer_init(c->srv->loop, tc->deadline);
		tc->deadline->data = c;
		uv_timer_start(tc->deadline, on_deadline, TLS_HANDSHAKE_TIMEOUT_MS, 0);
	}
	c->tls = tc;
	return 0;
}

void http__tls_conn_free(struct http_conn *c)
{
	struct http_tls_conn *tc = c->tls;
	if (!tc)
		return;
	deadline_stop(tc);
	SSL_free(tc->ssl);
	free(tc->subject);
	free(tc->cn);
	free(tc->ou);
	free(tc);
	c->tls = NULL;
}

/* Whatever the SSL object has to send (handshake, alerts, records). */
static void flush_out(struct http_conn *c)
{
	struct http_tls_conn *tc = c->tls;
	size_t n = BIO_ctrl_pending(tc->wbio);
	if (n == 0)
		return;
	char *buf = malloc(n);
	if (!buf) {
		http__conn_close(c);
		return;
	}
	int got = BIO_read(tc->wbio, buf, (int)n);
	if (got <= 0) {
		free(buf);
		return;
	}
	http__conn_write_raw(c, buf, (size_t)got);
}

static char *name_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return NULL;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0)
		return NULL;
	char *r = strndup((char *)u, (size_t)n);
	OPENSSL_free(u);
	return r;
}

static void peer_record(struct http_tls_conn *tc)
{
	X509 *peer = SSL_get1_peer_certificate(tc->ssl);
	if (!peer)
		return;
	const X509_NAME *name = X509_get_subject_name(peer);
	tc->subject = X509_NAME_oneline(name, NULL, 0);
	tc->cn = name_entry(name, NID_commonName);
	tc->ou = name_entry(name, NID_organizationalUnitName);
	X509_free(peer);
}

static void peer_addr(struct http_conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	snprintf(buf, len, "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) != 0)
		return;
	char ip[64] = "?";
	int port = 0;
	if (ss.ss_family == AF_INET) {
		uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	snprintf(buf, len, "%s:%d", ip, port);
}

/* The linger of a refused handshake is over: the connection goes. */
static void on_linger_end(uv_timer_t *t)
{
	struct http_conn *c = t->data;
	deadline_stop(c->tls);
	http__conn_close(c);
}

static void on_linger_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;   /* the read side ends the linger (EOF) or the timer does */
}

/* Why a handshake failed, in words a person can act on. */
static void handshake_failed(struct http_conn *c)
{
	struct http_tls_conn *tc = c->tls;
	char eb[256], who[96];
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	long vr = SSL_get_verify_result(tc->ssl);
	peer_addr(c, who, sizeof(who));
	if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		log_warn("tls handshake refused peer=%s: the client sent no certificate (--tlsverify wants one signed by the CA)", who);
	else if (vr != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
		log_warn("tls handshake refused peer=%s: client certificate: %s", who,
			 X509_verify_cert_error_string(vr));
	else
		log_warn("tls handshake failed peer=%s: %s", who, ssl_errstr(eb, sizeof(eb)));
	ERR_clear_error();
	tc->failed = true;
	flush_out(c);                /* the alert tells the client why */
	/* A lingering close: with TLS 1.3 the client counts its handshake done
	 * and may already be sending its request; closing with those bytes
	 * unread would answer with a reset that destroys the alert (the client
	 * sees "broken pipe" instead of why). So: the alert, then FIN, then
	 * read and drop until the client closes or TLS_LINGER_MS pass. */
	if (tc->deadline) {
		uv_timer_stop(tc->deadline);
		uv_timer_start(tc->deadline, on_linger_end, TLS_LINGER_MS, 0);
		if (uv_shutdown(&tc->shut, (uv_stream_t *)&c->pipe, on_linger_shutdown) == 0)
			return;
	}
	c->close_after_write = true;
	if (c->pending_writes == 0)
		http__conn_close(c);
}

/* A client that speaks plain HTTP to a TLS port gets a plain answer saying so. */
static bool looks_like_http(const char *p, size_t n)
{
	static const char *const methods[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS " };
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		size_t m = strlen(methods[i]);
		if (n >= m && memcmp(p, methods[i], m) == 0)
			return true;
	}
	return false;
}

void http__tls_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf)
{
	struct http_tls_conn *tc = c->tls;
	if (nread <= 0 || tc->failed) {
		if (nread < 0 && !tc->failed) {
			uv_buf_t none = uv_buf_init(NULL, 0);
			http__plain_read(c, nread, &none);
		} else if (nread < 0) {
			http__conn_close(c);   /* a refused client closed: the linger is over */
		}
		free(buf->base);
		return;
	}
	if (!tc->saw_bytes) {
		tc->saw_bytes = true;
		if (looks_like_http(buf->base, (size_t)nread)) {
			char who[96];
			peer_addr(c, who, sizeof(who));
			log_warn("tls handshake refused peer=%s: the client sent plain HTTP to a TLS port", who);
			free(buf->base);
			tc->failed = true;
			static const char msg[] = "{\"message\":\"Client sent an HTTP request to a TLS port: use TLS (netctl --tlsverify, docker --tlsverify)\"}\n";
			char *r = NULL;
			int n = asprintf(&r, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
					     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sizeof(msg) - 1, msg);
			if (n > 0)
				http__conn_write_raw(c, r, (size_t)n);
			c->close_after_write = true;
			if (c->pending_writes == 0)
				http__conn_close(c);
			return;
		}
	}
	BIO_write(tc->rbio, buf->base, (int)nread);
	free(buf->base);
	if (!tc->established) {
		int r = SSL_do_handshake(tc->ssl);
		if (r != 1) {
			int e = SSL_get_error(tc->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				flush_out(c);
				return;
			}
			handshake_failed(c);
			return;
		}
		tc->established = true;
		deadline_stop(tc);
		peer_record(tc);
		flush_out(c);
	}
	/* everything the records hold, in one piece for the parser */
	size_t cap = 65536, len = 0;
	char *plain = malloc(cap);
	if (!plain) {
		http__conn_close(c);
		return;
	}
	bool eof = false, broken = false;
	for (;;) {
		if (len == cap) {
			char *n = realloc(plain, cap * 2);
			if (!n) {
				broken = true;
				break;
			}
			plain = n;
			cap *= 2;
		}
		int r = SSL_read(tc->ssl, plain + len, (int)(cap - len));
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		int e = SSL_get_error(tc->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			eof = true;          /* close_notify: the client closed its side */
		else if (e != SSL_ERROR_WANT_READ)
			broken = true;
		ERR_clear_error();
		break;
	}
	flush_out(c);
	if (len > 0) {
		uv_buf_t pb = uv_buf_init(plain, (unsigned)len);
		http__plain_read(c, (ssize_t)len, &pb);
	} else {
		free(plain);
	}
	if (c->closing)
		return;
	if (broken)
		http__conn_close(c);
	else if (eof) {
		uv_buf_t none = uv_buf_init(NULL, 0);
		http__plain_read(c, UV_EOF, &none);
	}
}

char *http__tls_encrypt(struct http_conn *c, char *plain, size_t *len)
{
	struct http_tls_conn *tc = c->tls;
	if (tc->failed || !tc->established) {
		free(plain);
		*len = 0;
		return NULL;
	}
	int r = SSL_write(tc->ssl, plain, (int)*len);
	free(plain);
	if (r <= 0) {
		ERR_clear_error();
		*len = 0;
		return NULL;
	}
	size_t n = BIO_ctrl_pending(tc->wbio);
	char *out = malloc(n ? n : 1);
	if (!out) {
		*len = 0;
		return NULL;
	}
	int got = BIO_read(tc->wbio, out, (int)n);
	*len = got > 0 ? (size_t)got : 0;
	return out;
}

/* The connection is closing: the deadline goes, and a close_notify is sent
 * if the socket takes it now. */
void http__tls_close_notify(struct http_conn *c)
{
	struct http_tls_conn *tc = c->tls;
	if (!tc)
		return;
	deadline_stop(tc);
	if (!tc->established || tc->failed)
		return;
	SSL_shutdown(tc->ssl);
	char buf[256];
	int n = BIO_read(tc->wbio, buf, sizeof(buf));
	if (n > 0) {
		uv_buf_t b = uv_buf_init(buf, (unsigned)n);
		uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
	}
	ERR_clear_error();
}

const char *http__tls_subject(const struct http_conn *c) { return c->tls ? c->tls->subject : NULL; }
const char *http__tls_cn(const struct http_conn *c) { return c->tls ? c->tls->cn : NULL; }
const char *http__tls_ou(const struct http_conn *c) { return c->tls ? c->tls->ou : NULL; }

int http_parse_tcp_addr(const char *hostport, struct sockaddr_storage *out)
{
	char host[128];
	const char *colon = strrchr(hostport, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	char *end = NULL;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	size_t hl = (size_t)(colon - hostport);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof(*out));
	if (hl == 0)
		return uv_ip4_addr("0.0.0.0", (int)port, (struct sockaddr_in *)out) == 0 ? 0 : -EINVAL;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		return uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)out) == 0 ? 0 : -EINVAL;
	}
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0)
		return 0;
	if (strcmp(host, "localhost") == 0)
		return uv_ip4_addr("127.0.0.1", (int)port, (struct sockaddr_in *)out) == 0 ? 0 : -EINVAL;
	return -EINVAL;
}

const char *http_req_method(const struct http_req *req) { return req->method; }
const char *http_req_path(const struct http_req *req) { return req->path; }
const char *http_req_body(const struct http_req *req, size_t *len)
{
	*len = req->body.len;
	return req->body.data ? req->body.data : "";
}
const char *http_req_peer_subject(const struct http_req *req) { return req->conn ? http__tls_subject(req->conn) : NULL; }
const char *http_req_peer_cn(const struct http_req *req) { return req->conn ? http__tls_cn(req->conn) : NULL; }
const char *http_req_peer_ou(const struct http_req *req) { return req->conn ? http__tls_ou(req->conn) : NULL; }
bool http_req_remote(const struct http_req *req)
{
	return req->conn && req->conn->tcp.type == UV_TCP;
}
